#!/bin/bash
# too-large.sh - a POC message over MaxMessageSize (issue 22, finding 6).
# Through postfix with MaxMessageSize 64k: a coordinator notice of ~200 KB is
# delivered whole to the mailbox; its start (envelope, headers) is spooled
# and filed with the problem "message over the size limit", held (never
# acknowledged by itself) and paged with reason too-large. A small notice
# sent after it is filed and acknowledged as usual.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --pages "MaxMessageSize 64k"
POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"

big=$(python3 -c 'import random; random.seed(7); print("\n".join("line %d %s" % (i, "".join(random.choice("abcdefghij") for _ in range(70))) for i in range(2600)))')
h_notice --tn 'JPCERT#96300001' --message-id '<big-1@jpcert.example>' --body "JPCERT#96300001
$big" >"$H/big.eml"
size=$(stat -c %s "$H/big.eml")
[ "$size" -gt 131072 ] || fail "the test notice is only $size bytes"
h_send "$H/big.eml" || fail "send the large notice"
h_wait_maildir 60 "$POC" 1 || fail "the large notice was not delivered"
got=$(stat -c %s "$(h_maildir_files "$POC" | head -1)")
[ "$got" -ge "$size" ] || fail "delivered $got bytes of $size"
h_wait_for 60 sh -c "'$POCCTL' -c '$CONF' export | grep -q 'big-1@jpcert.example'" || fail "the large notice was not filed"
[ "$(h_field '<big-1@jpcert.example>' ack_state)" = held ] || fail "ack_state $(h_field '<big-1@jpcert.example>' ack_state)"
h_field '<big-1@jpcert.example>' problems | grep -q 'message over the size limit' ||
	fail "no size problem: $(h_field '<big-1@jpcert.example>' problems)"
h_field '<big-1@jpcert.example>' envelope_from | grep -q 'vuls@jpcert.example' || fail "envelope not filed: $(h_field '<big-1@jpcert.example>' envelope_from)"
grep -q 'event=too-large .*max_message_size=.* action=delivered' "$H/pocmilter.log" || fail "not logged"
ok "a $size-byte notice over MaxMessageSize 64k: delivered whole, its start filed with the problem, held"

"$POCCTL" -c "$CONF" watch --page >"$H/watch.out" 2>&1
grep -q 'too-large' "$H/watch.out" || fail "watch does not report too-large: $(cat "$H/watch.out")"
h_wait_for 10 grep -q '"reason": *"too-large"' "$H/pages.jsonl" || fail "no too-large page: $(cat "$H/pages.jsonl")"
grep '"too-large"' "$H/pages.jsonl" | grep -q 'big-1@jpcert.example' || fail "the page does not name the message"
ok "paged: too-large, naming the message"

h_notice --tn 'JPCERT#96300002' --message-id '<small-2@jpcert.example>' >"$H/small.eml"
h_send "$H/small.eml" || fail "send the small notice"
h_wait_for 60 h_acked '<small-2@jpcert.example>' || fail "the small notice after it was not acknowledged"
[ "$(h_acks_of '<big-1@jpcert.example>')" = 0 ] || fail "the large notice was acknowledged"
ok "the next notice is acknowledged as usual; the large one never"
