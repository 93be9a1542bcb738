-- unwatched.lua: mail to no Watch address leaves the filter at DATA with
-- SMFIS_ACCEPT, before any header or body is sent; RCPT never accepts.
-- Run by tests/e2e/miltertest.sh with -D sock=unix:PATH.
conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end

-- The filter asked for no connect/HELO events and no replies to RCPT.
if not mt.test_option(conn, SMFIP_NOCONNECT) then error("SMFIP_NOCONNECT not negotiated") end
if not mt.test_option(conn, SMFIP_NOHELO) then error("SMFIP_NOHELO not negotiated") end
if not mt.test_option(conn, SMFIP_NR_RCPT) then error("SMFIP_NR_RCPT not negotiated") end
if not mt.test_option(conn, SMFIP_NR_HDR) then error("SMFIP_NR_HDR not negotiated") end
if not mt.test_option(conn, SMFIP_NR_BODY) then error("SMFIP_NR_BODY not negotiated") end
if mt.test_option(conn, SMFIP_NR_DATA) then error("DATA must get a reply (the accept)") end

if mt.mailfrom(conn, "<someone@example.org>") ~= nil then error("mt.mailfrom") end
if mt.rcptto(conn, "<other@vendor.example>") ~= nil then error("mt.rcptto") end
if mt.rcptto(conn, "<sales@vendor.example>") ~= nil then error("mt.rcptto 2") end
if mt.data(conn) ~= nil then error("mt.data") end
if mt.getreply(conn) ~= SMFIR_ACCEPT then
	error("unwatched mail: DATA did not answer SMFIS_ACCEPT")
end
mt.echo("ok: unwatched mail accepted at DATA, no headers or body needed")

-- A second message on the same connection, this time with a watched
-- recipient after an unwatched one (+detail, other case): not accepted.
if mt.mailfrom(conn, "<someone@example.org>") ~= nil then error("mt.mailfrom 2") end
if mt.rcptto(conn, "<other@vendor.example>") ~= nil then error("mt.rcptto 3") end
if mt.rcptto(conn, "<Security+jvn@Vendor.Example>") ~= nil then error("mt.rcptto 4") end
if mt.data(conn) ~= nil then error("mt.data 2") end
if mt.getreply(conn) ~= SMFIR_CONTINUE then
	error("a watched recipient after an unwatched one: DATA did not continue")
end
mt.echo("ok: a later watched recipient (+detail, any case) is not missed")
mt.disconnect(conn)
