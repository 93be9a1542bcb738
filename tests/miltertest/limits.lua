-- limits.lua: with MaxConnections 1 (set by miltertest.sh), a second open
-- connection gets a temporary failure at DATA for POC mail (back-pressure,
-- the sender retries), while unwatched mail still passes.
first = mt.connect(sock, 20, 0.25)
if first == nil then error("cannot connect to " .. sock) end
if mt.mailfrom(first, "<a@example.org>") ~= nil then error("mt.mailfrom") end
second = mt.connect(sock, 20, 0.25)
if second == nil then error("cannot connect a second time") end

if mt.mailfrom(second, "<b@example.org>") ~= nil then error("mt.mailfrom 2") end
if mt.rcptto(second, "<security@vendor.example>") ~= nil then error("mt.rcptto") end
if mt.data(second) ~= nil then error("mt.data") end
if mt.getreply(second) ~= SMFIR_REPLYCODE and mt.getreply(second) ~= SMFIR_TEMPFAIL then
	error("POC mail over MaxConnections: no temporary failure at DATA")
end
mt.echo("ok: POC mail over MaxConnections gets a temporary failure at DATA")

if mt.mailfrom(second, "<b@example.org>") ~= nil then error("mt.mailfrom 3") end
if mt.rcptto(second, "<other@vendor.example>") ~= nil then error("mt.rcptto 2") end
if mt.data(second) ~= nil then error("mt.data 2") end
if mt.getreply(second) ~= SMFIR_ACCEPT then error("unwatched mail over MaxConnections not accepted") end
mt.echo("ok: unwatched mail over MaxConnections still passes")
mt.disconnect(second)
mt.disconnect(first)
