-- rcpt.lua: one whole message to the recipient `rcpt`; DATA must answer
-- `expect` ("accept": not watched, "continue": watched and spooled).
-- Run with -D sock=unix:PATH -D rcpt=ADDR -D expect=accept|continue.
conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end
if mt.mailfrom(conn, "<finder@example.org>") ~= nil then error("mt.mailfrom") end
if mt.rcptto(conn, "<" .. rcpt .. ">") ~= nil then error("mt.rcptto") end
if mt.data(conn) ~= nil then error("mt.data") end
if expect == "accept" then
	if mt.getreply(conn) ~= SMFIR_ACCEPT then error(rcpt .. ": DATA did not accept") end
	mt.echo("ok: " .. rcpt .. " is not watched")
else
	if mt.getreply(conn) ~= SMFIR_CONTINUE then error(rcpt .. ": DATA did not continue") end
	mt.header(conn, "From", "finder@example.org")
	mt.header(conn, "Subject", "report")
	mt.header(conn, "Message-ID", "<rcpt-" .. rcpt .. "-" .. os.time() .. "@example.org>")
	mt.eoh(conn)
	mt.bodystring(conn, "a report\r\n")
	if mt.eom(conn) ~= nil then error("mt.eom") end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then error(rcpt .. ": end of message did not continue") end
	mt.echo("ok: " .. rcpt .. " is watched and spooled")
end
mt.disconnect(conn)
