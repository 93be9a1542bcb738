-- reload-pin.lua: a SIGHUP in the middle of a message does not mix two
-- configurations. The message's recipient is read as watched under the
-- configuration its connection started with (AddHeader yes); hup (a shell
-- script) then installs one with AddHeader no and another Watch address
-- and waits for the reload; the end of message still adds X-POC-Case, as
-- the first configuration says. A connection made after the reload has
-- the new one: the same recipient is not watched any more.
-- miltertest does not print the message of error(): say it first.
function fail(why)
	mt.echo("FAIL: " .. why)
	error(why)
end

conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end

if mt.mailfrom(conn, "<finder@example.org>") ~= nil then error("mt.mailfrom") end
if mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", "security@vendor.example") ~= nil then error("mt.macro") end
if mt.rcptto(conn, "<security@vendor.example>") ~= nil then error("mt.rcptto") end
if mt.data(conn) ~= nil then error("mt.data") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("watched mail: DATA did not continue") end
if mt.header(conn, "From", "Finder <finder@example.org>") ~= nil then error("mt.header") end
if mt.header(conn, "Subject", "Reload in the middle") ~= nil then error("mt.header") end
if mt.header(conn, "Message-ID", "<reload-pin-" .. os.time() .. "@example.org>") ~= nil then error("mt.header") end
if mt.eoh(conn) ~= nil then error("mt.eoh") end

-- The reload, between the headers and the end of the message.
local r = os.execute("sh " .. hup)
if not (r == true or r == 0) then fail("the reload did not happen (" .. hup .. ")") end

if mt.bodystring(conn, "The widget crashes on long input.\r\n") ~= nil then error("mt.bodystring") end
if mt.eom(conn) ~= nil then error("mt.eom") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then error("end of message: not SMFIS_CONTINUE") end
if not mt.eom_check(conn, MT_HDRADD, "X-POC-Case") then
	fail("no X-POC-Case added: the end of message read AddHeader from the new configuration")
end
mt.echo("ok: the message begun before the reload kept its configuration: " ..
	tostring(mt.getheader(conn, "X-POC-Case", 0)))
mt.disconnect(conn)

-- A new connection: the new configuration (security@ is not watched now).
conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end
if mt.mailfrom(conn, "<finder@example.org>") ~= nil then error("mt.mailfrom") end
if mt.macro(conn, SMFIC_RCPT, "{rcpt_addr}", "security@vendor.example") ~= nil then error("mt.macro") end
if mt.rcptto(conn, "<security@vendor.example>") ~= nil then error("mt.rcptto") end
if mt.data(conn) ~= nil then error("mt.data") end
if mt.getreply(conn) ~= SMFIR_ACCEPT then
	fail("a connection after the reload still watches security@vendor.example")
end
mt.echo("ok: a connection after the reload has the new configuration")
mt.disconnect(conn)
