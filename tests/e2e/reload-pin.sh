#!/bin/bash
# reload-pin.sh - SIGHUP in the middle of a message: each milter connection
# keeps the configuration it started with (pinned, reference-counted) until
# it closes, so one message is never handled under two configurations;
# connections made after the reload get the new one. miltertest(8) drives
# the daemon (tests/miltertest/reload-pin.lua); no postfix involved.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
command -v miltertest >/dev/null || { echo "SKIP: miltertest not installed (Debian package miltertest)"; exit 77; }
h_init

CONF="$H/etc/pocmilter.conf"
write_conf() { # WATCH ADDHEADER
	cat >"$1.new" <<EOT
Socket unix:$MILTER_SOCKET
User $POC_USER
Watch $2
AckMode off
AddHeader $3
GnuPGHome $H/gnupg
Database $H/db
EOT
	mv "$1.new" "$1"
}
write_conf "$CONF" security@vendor.example yes
install -d -m 700 "$H/gnupg"
h_genkey "$H/gnupg" "Vendor PSIRT <security@vendor.example>" >/dev/null
gpgconf --homedir "$H/gnupg" --kill all 2>/dev/null
chown -R "$POC_USER:" "$H/gnupg"
h_milter_start

# What the Lua script runs between the headers and the end of the message.
write_conf "$H/conf-b" psirt@vendor.example no
cat >"$H/hup.sh" <<EOT
cp "$H/conf-b" "$CONF"
kill -HUP $MILTER_PID
for i in \$(seq 100); do
	grep -q 'event=reloaded' "$H/pocmilter.log" && exit 0
	sleep 0.1
done
exit 1
EOT

out=$(miltertest -D sock="unix:$MILTER_SOCKET" -D hup="$H/hup.sh" -s "$TOP/tests/miltertest/reload-pin.lua" 2>&1) ||
	fail "reload-pin.lua (exit $?): $out"
printf '%s\n' "$out" | sed 's/^/reload-pin: /'
grep -q 'event=reloaded' "$H/pocmilter.log" || fail "no reload logged"
ok "one configuration per message across a SIGHUP"

# The message begun before the reload was spooled and filed (watched then).
h_wait_for 20 grep -q 'event=filed ' "$H/pocmilter.log" || fail "the message begun before the reload was not filed"
[ "$("$POCCTL" -c "$CONF" export | wc -l)" = 1 ] || fail "not exactly one message filed"
kill -0 "$MILTER_PID" || fail "the daemon died"
ok "the message begun before the reload was filed; the daemon lives"
