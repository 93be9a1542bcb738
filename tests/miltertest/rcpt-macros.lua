-- rcpt-macros.lua: which envelope recipients are watched (pocmilter(8),
-- "Which recipients are watched"), with the RCPT macros each MTA really
-- sends. Watch is security@vendor.example, WatchSubaddress yes.
-- Sendmail: {rcpt_addr} is the address after its rewriting, only the local
-- part for a mailbox it delivers itself ({rcpt_mailer}=local).
-- Postfix: {rcpt_addr} is the RCPT address without <>.
-- Each case is one transaction; DATA answers accept (not watched) or
-- continue (watched). Watched ones are aborted, except the last case,
-- which goes to the end of message with sendmail's i (sent at MAIL here,
-- at DATA by sendmail; sendmail sends none at end of message) and is spooled.
conn = mt.connect(sock, 20, 0.25)
if conn == nil then error("cannot connect to " .. sock) end

local function sm(addr, mailer, host)	-- sendmail's RCPT macros
	return { "{rcpt_addr}", addr, "{rcpt_mailer}", mailer, "{rcpt_host}", host }
end
local function pf(addr)			-- postfix's
	return { "{rcpt_addr}", addr }
end

-- { name, { { RCPT argument(s), macros }, ... }, watched? }
local cases = {
	{ "sendmail local mailbox", { { { "<security@vendor.example>" }, sm("security", "local", "") } }, true },
	{ "sendmail local, any case", { { { "<SECURITY@Vendor.Example>" }, sm("SECURITY", "local", "") } }, true },
	{ "sendmail local subaddress", { { { "<security+jpcert@vendor.example>" }, sm("security+jpcert", "local", "") } }, true },
	{ "sendmail local, another local domain", { { { "<security@other.example>" }, sm("security", "local", "") } }, false },
	{ "sendmail local, another user", { { { "<info@vendor.example>" }, sm("info", "local", "") } }, false },
	{ "sendmail relayed", { { { "<security@vendor.example>" }, sm("security@vendor.example", "relay", "[127.0.0.1]") } }, true },
	{ "sendmail virtusertable to the POC", { { { "<psirt@vendor.example>" }, sm("security@vendor.example", "esmtp", "inner.vendor.example") } }, true },
	{ "sendmail, watched second recipient", { { { "<info@vendor.example>" }, sm("info", "local", "") },
						  { { "<security@vendor.example>" }, sm("security", "local", "") } }, true },
	{ "postfix", { { { "<security@vendor.example>" }, pf("security@vendor.example") } }, true },
	{ "postfix, ESMTP parameters", { { { "<security@vendor.example>", "NOTIFY=NEVER", "ORCPT=rfc822;security@vendor.example" }, pf("security@vendor.example") } }, true },
	{ "postfix subaddress", { { { "<security+jpcert@vendor.example>" }, pf("security+jpcert@vendor.example") } }, true },
	{ "postfix, another domain", { { { "<security@other.example>" }, pf("security@other.example") } }, false },
	{ "no macro", { { { "<security@vendor.example>" }, { "{rcpt_host}", "x" } } }, true },
	{ "sendmail local mailbox, whole message", { { { "<security@vendor.example>" }, sm("security", "local", "") } }, true },
}
local unpack = table.unpack or unpack

for i, c in ipairs(cases) do
	local name, rcpts, watched = c[1], c[2], c[3]
	if mt.macro(conn, SMFIC_MAIL, "i", "SMQID" .. i .. "X") ~= nil then error("mt.macro") end
	if mt.mailfrom(conn, "<finder@example.org>") ~= nil then error("mt.mailfrom") end
	for _, r in ipairs(rcpts) do
		if mt.macro(conn, SMFIC_RCPT, unpack(r[2])) ~= nil then error("mt.macro") end
		if mt.rcptto(conn, unpack(r[1])) ~= nil then error(name .. ": mt.rcptto") end
	end
	if mt.data(conn) ~= nil then error(name .. ": mt.data") end
	local reply = mt.getreply(conn)
	if watched and reply ~= SMFIR_CONTINUE then error(name .. ": not watched, should be") end
	if not watched and reply ~= SMFIR_ACCEPT then error(name .. ": watched, should not be") end
	mt.echo("ok: " .. name .. (watched and ": watched" or ": not watched"))
	if i < #cases then
		if watched and mt.abort(conn) ~= nil then error("mt.abort") end
	else
		mt.header(conn, "From", "finder@example.org")
		mt.header(conn, "Subject", "report to a local mailbox")
		mt.header(conn, "Message-ID", "<rcpt-macros-" .. os.time() .. "@example.org>")
		mt.eoh(conn)
		mt.bodystring(conn, "a report\r\n")
		if mt.eom(conn) ~= nil then error("mt.eom") end
		if mt.getreply(conn) ~= SMFIR_CONTINUE then error(name .. ": end of message did not continue") end
		mt.echo("ok: " .. name .. ": spooled")
	end
end
mt.disconnect(conn)
