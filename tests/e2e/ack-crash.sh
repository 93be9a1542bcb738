#!/bin/bash
# kill -9 of the daemon around the send, then a restart: each
# acknowledgement reaches the coordinator exactly once.
#  A. killed while AckSendmail runs (the entry is SENDING: outcome unknown).
#     The restarted daemon does not resend; the MTA passes the mail through
#     the milter (non_smtpd_milters), which is the evidence: recorded sent.
#  B. killed while the entry waits for a retry (QUEUED after a 75). The
#     restarted daemon sends it.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --no-milter

POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"
SM="$H/sm"
install -d -o "$POC_USER" "$SM"
# Reads the (encrypted) mail, then: "block" waits for $SM/release; "fail" exits 75
# until $SM/release exists. Then the real sendmail.
cat >"$SM/sendmail" <<EOT
#!/bin/sh
echo "\$\$ \$*" >>"$SM/runs"
mode=\$(cat "$SM/mode")
tmp=\$(mktemp "$SM/mail.XXXXXX")
cat >"\$tmp"
if [ "\$mode" = block ]; then
	touch "$SM/started"
	while [ ! -f "$SM/release" ]; do sleep 0.1; done
elif [ ! -f "$SM/release" ]; then
	rm -f "\$tmp"; echo "sendmail: fatal: queue file write error" >&2; exit 75
fi
exec /usr/sbin/sendmail "\$@" <"\$tmp"
EOT
chmod 755 "$SM/sendmail"
h_config "AckSendmail $SM/sendmail -C $PF_CONF -i -t" "AckRetry 3s"
runs() { [ -f "$SM/runs" ] && wc -l <"$SM/runs" || echo 0; }
state_of() { # MESSAGE-ID -> ack_state
	"$POCCTL" -c "$CONF" export | python3 -c '
import json, sys
for l in sys.stdin:
    for m in json.loads(l)["messages"]:
        if m["message_id"] == sys.argv[1]: print(m["ack_state"])' "$1"
}

# --- A: killed during the send ---------------------------------------------------
echo block >"$SM/mode"
h_milter_start
h_notice --tn 'JPCERT#20260031' --message-id '<crash-a@jpcert.example>' >"$H/a.eml"
h_send "$H/a.eml" || fail "SMTP send a"
h_wait_for 30 test -f "$SM/started" || fail "AckSendmail was not started"
kill -KILL "$MILTER_PID"; wait "$MILTER_PID" 2>/dev/null; MILTER_PID=
ok "daemon killed while AckSendmail ran"
[ "$(state_of '<crash-a@jpcert.example>')" = queued ] || fail "ack_state after the kill: $(state_of '<crash-a@jpcert.example>')"
h_milter_start
sleep 3
[ "$(runs)" = 1 ] || fail "the restarted daemon ran AckSendmail again ($(runs) runs)"
grep -q 'event=ack-outcome-unknown .*waiting for the MTA to show it' "$H/pocmilter.log" ||
	fail "the restart does not say it waits for evidence"
touch "$SM/release"	# the orphaned AckSendmail of the killed daemon goes on
h_wait_for 30 h_maildir_ge "$COORD" 1 || fail "A: the acknowledgement did not arrive"
h_wait_for 15 sh -c "[ \"\$(\"$POCCTL\" -c \"$CONF\" export | grep -c '\"ack_state\":\"sent\"')\" = 1 ]" ||
	fail "A: not recorded as sent on the MTA's evidence: $(state_of '<crash-a@jpcert.example>')"
"$POCCTL" -c "$CONF" show --json 'JPCERT#20260031' | grep -q '"ack-evidence"' || fail "A: no ack-evidence event"
sleep 3
[ "$(h_maildir_count "$COORD")" = 1 ] || fail "A: $(h_maildir_count "$COORD") acknowledgements"
[ "$(runs)" = 1 ] || fail "A: AckSendmail ran $(runs) times"
ok "A: sent once, recorded sent on the MTA's evidence"

# --- B: killed while queued for a retry --------------------------------------------
rm -f "$SM/release" "$SM/runs"
echo fail >"$SM/mode"
h_notice --tn 'JPCERT#20260032' --message-id '<crash-b@jpcert.example>' >"$H/b.eml"
h_send "$H/b.eml" || fail "SMTP send b"
h_wait_for 30 grep -q 'event=ack-send-failed case=JPCERT#20260032 .*attempt=1 ' "$H/pocmilter.log" || fail "B: no failed attempt"
kill -KILL "$MILTER_PID"; wait "$MILTER_PID" 2>/dev/null; MILTER_PID=
[ "$(state_of '<crash-b@jpcert.example>')" = queued ] || fail "B: ack_state after the kill: $(state_of '<crash-b@jpcert.example>')"
ok "daemon killed while the acknowledgement was queued for a retry"
touch "$SM/release"
h_milter_start
h_wait_for 30 h_maildir_ge "$COORD" 2 || fail "B: the acknowledgement did not arrive after the restart"
sleep 4
[ "$(h_maildir_count "$COORD")" = 2 ] || fail "B: $(h_maildir_count "$COORD") acknowledgements in all"
[ "$(runs)" = 2 ] || fail "B: AckSendmail ran $(runs) times, want 2 (75, then sent)"
[ "$(state_of '<crash-b@jpcert.example>')" = sent ] || fail "B: ack_state $(state_of '<crash-b@jpcert.example>')"
n=0
for f in $(h_maildir_files "$COORD"); do grep -q '^In-Reply-To: <crash-b@' "$f" && n=$((n + 1)); done
[ $n = 1 ] || fail "B: $n acknowledgements of the notice"
ok "B: sent once after the restart"
