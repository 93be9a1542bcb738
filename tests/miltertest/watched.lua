-- watched.lua: POC mail is collected and spooled; at end of message the
-- filter removes every X-POC-Case header from outside and (AddHeader yes)
-- adds its own, and changes nothing else.
conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end

if mt.mailfrom(conn, "<finder@example.org>") ~= nil then error("mt.mailfrom") end
-- {rcpt_addr} is what the filter reads first (postfix sends it).
if mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", "security@vendor.example") ~= nil then error("mt.macro") end
if mt.rcptto(conn, "<security@vendor.example>") ~= nil then error("mt.rcptto") end
if mt.data(conn) ~= nil then error("mt.data") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("watched mail: DATA did not continue") end

if mt.header(conn, "From", "Finder <finder@example.org>") ~= nil then error("mt.header") end
if mt.header(conn, "To", "security@vendor.example") ~= nil then error("mt.header") end
if mt.header(conn, "Subject", "Vulnerability report for the widget") ~= nil then error("mt.header") end
if mt.header(conn, "Message-ID", "<miltertest-" .. os.time() .. "@example.org>") ~= nil then error("mt.header") end
if mt.header(conn, "X-POC-Case", "forged 1") ~= nil then error("mt.header") end
if mt.header(conn, "X-POC-Case", "forged 2") ~= nil then error("mt.header") end
if mt.eoh(conn) ~= nil then error("mt.eoh") end
if mt.bodystring(conn, "Hello PSIRT,\r\n\r\nthe widget crashes on long input.\r\n") ~= nil then
	error("mt.bodystring")
end
if mt.eom(conn) ~= nil then error("mt.eom") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("end of message: not SMFIS_CONTINUE") end

if not mt.eom_check(conn, MT_HDRADD, "X-POC-Case") then
	error("no X-POC-Case header added (AddHeader yes)")
end
if not (mt.eom_check(conn, MT_HDRDELETE, "X-POC-Case") or mt.eom_check(conn, MT_HDRCHANGE, "X-POC-Case")) then
	error("the X-POC-Case headers from outside were not removed")
end
if mt.eom_check(conn, MT_BODYCHANGE) then error("the body was changed") end
if mt.eom_check(conn, MT_RCPTDELETE, "<security@vendor.example>") then error("the recipient was removed") end
mt.echo("ok: watched mail spooled, X-POC-Case from outside removed, ours added: " ..
	tostring(mt.getheader(conn, "X-POC-Case", 0)))
mt.disconnect(conn)
