#!/bin/bash
# AckSendmail fails with 75 (EX_TEMPFAIL) once, then works: the
# acknowledgement is retried after AckRetry, reaches the coordinator once,
# and the failed attempt and the send are in the case's events.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --no-milter

POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"

# The wrapper: the first run fails like a full queue, later runs are the real sendmail.
install -d -o "$POC_USER" "$H/sm"
cat >"$H/sm/sendmail" <<EOT
#!/bin/sh
echo "\$(date +%s.%N) \$*" >>"$H/sm/runs"
if [ ! -f "$H/sm/failed-once" ]; then
	touch "$H/sm/failed-once"
	cat >/dev/null
	echo "sendmail: fatal: queue file write error" >&2
	exit 75
fi
exec /usr/sbin/sendmail "\$@"
EOT
chmod 755 "$H/sm/sendmail"
h_config "AckSendmail $H/sm/sendmail -C $PF_CONF -i -t" "AckRetry 2s"
h_milter_start

h_notice --tn 'JPCERT#20260021' --message-id '<retry@jpcert.example>' >"$H/n.eml"
h_send "$H/n.eml" || fail "SMTP send"
h_wait_for 40 h_maildir_ge "$COORD" 1 || fail "no acknowledgement after the retry"
a=$(h_maildir_files "$COORD" | head -1)
h_check_ack "$a" --tracking 'JPCERT#20260021' --in-reply-to '<retry@jpcert.example>' \
	--subject '[JPCERT#20260021] Summary information on a vulnerability' || fail "the acknowledgement"
sleep 5
[ "$(h_maildir_count "$COORD")" = 1 ] || fail "more than one acknowledgement"
[ "$(wc -l <"$H/sm/runs")" = 2 ] || fail "AckSendmail ran $(wc -l <"$H/sm/runs") times, want 2"
grep -q -- "-f security@vendor.example" "$H/sm/runs" || fail "envelope sender not AckFrom"
ok "failed once with 75, retried, one acknowledgement"

"$POCCTL" -c "$CONF" show --json 'JPCERT#20260021' >"$H/show.json" || fail "pocctl show"
python3 - "$H/show.json" <<'PY' || fail "events: $(cat "$H/show.json")"
import json, sys
c = json.load(open(sys.argv[1]))
m = c["messages"][0]
assert m["ack_state"] == "sent", m["ack_state"]
types = [e["type"] for e in c["events"]]
assert types.count("ack-send-failed") == 1, types
assert types.count("ack-sent") == 1, types
failed = next(e for e in c["events"] if e["type"] == "ack-send-failed")
assert "exited with 75" in failed["detail"] and "queue file write error" in failed["detail"], failed
assert "attempt 1" in failed["detail"] and "retry in 2s" in failed["detail"], failed
assert types.index("ack-send-failed") < types.index("ack-sent"), types
print("ok: events", [t for t in types if t.startswith("ack")])
PY
[ $? = 0 ] || exit 1
grep -q 'event=ack-send-failed .*attempt=1 retry_in=2s error=".* exited with 75' "$H/pocmilter.log" || fail "the failure is not logged with sendmail's stderr"
ok "the failed attempt and the send are recorded"
