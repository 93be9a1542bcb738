#!/bin/bash
# AckMode hold: nothing goes out by itself at first; `pocctl ack ID
# [--template NAME]` queues (the daemon sends, once); `--none REASON`
# records that no acknowledgement is needed. A notice still held within
# AckGuard (2 business hours) of its deadline goes out by itself (time moved
# with POC_FAKE_NOW); a spoofed one never does.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup "AckMode hold"

POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"

h_notice --tn 'JPCERT#20260041' --message-id '<hold-1@jpcert.example>' >"$H/n1.eml"
h_notice --tn 'JPCERT#20260042' --message-id '<hold-2@jpcert.example>' >"$H/n2.eml"
h_notice --tn 'JPCERT#20260043' --sign none --message-id '<hold-spoofed@jpcert.example>' >"$H/n3.eml"
h_notice --tn 'JPCERT#20260044' --message-id '<hold-4@jpcert.example>' >"$H/n4.eml"
for f in n1 n2 n3 n4; do h_send "$H/$f.eml" || fail "SMTP send $f"; done
h_wait_for 30 h_filed_ge 4 || fail "not all filed"
for m in hold-1 hold-2 hold-spoofed hold-4; do
	[ "$(h_field "<$m@jpcert.example>" ack_state)" = held ] || fail "$m not held"
done
"$POCCTL" -c "$CONF" show 'JPCERT#20260041' | grep -q 'AckMode hold: waiting for a person' || fail "show: why held"
sleep 3
[ "$(h_maildir_count "$COORD")" = 0 ] || fail "hold mode sent something by itself"
ok "four notices held, nothing sent"

# A person sends one, with a named template.
h_pocctl ack 'JPCERT#20260041' --template summary-affected >"$H/ack.out" 2>&1 || fail "pocctl ack: $(cat "$H/ack.out")"
grep -q 'queued (template summary-affected); the daemon sends it' "$H/ack.out" || fail "pocctl ack said: $(cat "$H/ack.out")"
h_wait_for 30 h_maildir_ge "$COORD" 1 || fail "the acknowledgement queued by pocctl did not arrive"
a=$(h_maildir_files "$COORD" | head -1)
h_check_ack "$a" --tracking 'JPCERT#20260041' --in-reply-to '<hold-1@jpcert.example>' \
	--subject '[JPCERT#20260041] Summary information on a vulnerability' \
	--expect '詳細情報を送ってください' || fail "the acknowledgement sent by pocctl ack"
# Twice is refused; nothing more leaves.
h_pocctl ack 'JPCERT#20260041' >"$H/ack2.out" 2>&1 && fail "a second pocctl ack was accepted: $(cat "$H/ack2.out")"
h_wait_for 15 sh -c "[ \"\$(\"$POCCTL\" -c \"$CONF\" export | grep -c 'hold-1@jpcert.example.*\"ack_state\":\"sent\"')\" = 1 ]" ||
	fail "not recorded as sent: $(h_field '<hold-1@jpcert.example>' ack_state)"
"$POCCTL" -c "$CONF" show --json 'JPCERT#20260041' | python3 -c '
import json, sys
c = json.load(sys.stdin)
ev = [e for e in c["events"] if e["type"] == "ack-queued-by-person"]
assert len(ev) == 1 and ev[0]["detail"] == "summary-affected" and ev[0]["actor"].startswith("pocctl:"), ev
assert [e["type"] for e in c["events"]].count("ack-sent") == 1' || fail "events of the person's ack"
ok "pocctl ack --template summary-affected: queued, sent once by the daemon; a second ack refused"

# A person decides none is needed.
h_pocctl ack 'JPCERT#20260042' --none 'answered by phone' >"$H/none.out" 2>&1 || fail "pocctl ack --none: $(cat "$H/none.out")"
[ "$(h_field '<hold-2@jpcert.example>' ack_state)" = not-required ] || fail "--none: $(h_field '<hold-2@jpcert.example>' ack_state)"
"$POCCTL" -c "$CONF" show 'JPCERT#20260042' | grep -q 'answered by phone' || fail "--none reason not shown"
ok "pocctl ack --none REASON recorded"

# The guard: an hour of business time before the deadline, the daemon acts alone.
deadline=$(h_field '<hold-4@jpcert.example>' ack_deadline)
fake=$(( $(date -d "$deadline" +%s) - 3600 ))
h_milter_stop
POC_FAKE_NOW=$fake h_milter_start
h_wait_for 30 h_maildir_ge "$COORD" 2 || fail "the guard did not send the held acknowledgement"
sleep 4
[ "$(h_maildir_count "$COORD")" = 2 ] || fail "$(h_maildir_count "$COORD") acknowledgements in all, want 2"
[ "$(h_field '<hold-4@jpcert.example>' ack_state)" = sent ] || fail "hold-4: $(h_field '<hold-4@jpcert.example>' ack_state)"
[ "$(h_field '<hold-spoofed@jpcert.example>' ack_state)" = held ] || fail "the spoofed notice left the hold"
"$POCCTL" -c "$CONF" show --json 'JPCERT#20260044' | grep -q '"ack-guard"' || fail "no ack-guard event"
grep -q 'event=ack-guard case=JPCERT#20260044 .*result="still held' "$H/pocmilter.log" || fail "the guard's send is not logged"
for f in $(h_maildir_files "$COORD"); do
	grep -q '^In-Reply-To: <hold-4@' "$f" && a4=$f
done
h_check_ack "$a4" --tracking 'JPCERT#20260044' --in-reply-to '<hold-4@jpcert.example>' \
	--subject '[JPCERT#20260044] Summary information on a vulnerability' || fail "the guard's acknowledgement"
ok "AckGuard: the default template went out by itself, recorded; the spoofed notice stays held"
