#!/bin/bash
# miltertest.sh - the milter protocol with a second, independent MTA side:
# miltertest(8) runs tests/miltertest/*.lua against the daemon (started as
# root, dropped to the harness user, no postfix involved).
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
command -v miltertest >/dev/null || { echo "SKIP: miltertest not installed (Debian package miltertest)"; exit 77; }
h_init


# No keys, no acknowledgements: the filter's manners are what is tested.
CONF="$H/etc/pocmilter.conf"
cat >"$CONF" <<EOT
Socket unix:$MILTER_SOCKET
User $POC_USER
Watch security@vendor.example
AckMode off
AddHeader yes
GnuPGHome $H/gnupg
Database $H/db
EOT
# The start checks that the home can decrypt: it holds a secret key (preflight.c).
install -d -m 700 "$H/gnupg"
h_genkey "$H/gnupg" "Vendor PSIRT <security@vendor.example>" >/dev/null
gpgconf --homedir "$H/gnupg" --kill all 2>/dev/null
chown -R "$POC_USER:" "$H/gnupg"
h_milter_start

for t in "$TOP"/tests/miltertest/unwatched.lua "$TOP"/tests/miltertest/watched.lua \
	"$TOP"/tests/miltertest/rcpt-macros.lua; do
	out=$(miltertest -D sock="unix:$MILTER_SOCKET" -s "$t" 2>&1); rc=$?
	[ $rc = 0 ] || fail "$(basename "$t") (exit $rc): $out"
	printf '%s\n' "$out" | sed "s/^/$(basename "$t" .lua): /"
done

# Back-pressure, after a reload that lowers the limit.
echo "MaxConnections 1" >>"$CONF"
kill -HUP "$MILTER_PID"
h_wait_for 10 grep -q "event=reloaded config=$CONF" "$H/pocmilter.log" || fail "no reload"
out=$(miltertest -D sock="unix:$MILTER_SOCKET" -s "$TOP/tests/miltertest/limits.lua" 2>&1) ||
	fail "limits.lua: $out"
printf '%s\n' "$out" | sed "s/^/limits: /"
grep -q 'event=busy .*max_connections=1 ' "$H/pocmilter.log" || fail "the back-pressure was not logged"
kill -0 "$MILTER_PID" || fail "the daemon died"

# The watched message reached the spool and was filed (as a direct report:
# it is not from a Coordinator).
h_wait_for 20 grep -q 'filed queue_id=' "$H/pocmilter.log" || fail "the watched message was not filed"
"$POCCTL" -c "$CONF" export | grep -q '"kind":"direct-report"' || fail "no direct-report case in the export"
# rcpt-macros.lua's whole message, to a sendmail local mailbox, was filed
# under the queue id sendmail sent before the end of message (it sends no
# i there: libmilter keeps the earlier one).
h_wait_for 20 grep -q 'filed queue_id=SMQID14X ' "$H/pocmilter.log" ||
	fail "the message to a sendmail local mailbox was not filed under its queue id"
# Exactly two messages were spooled: the unwatched and aborted ones never were.
[ "$("$POCCTL" -c "$CONF" export | wc -l)" = 2 ] || fail "unwatched or aborted mail was filed"
grep -q 'Vulnerability report\|widget crashes' "$H/pocmilter.log" && fail "notice text in the log"
ok "two cases filed (direct-report), nothing of the text in the log"
