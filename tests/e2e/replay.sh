#!/bin/bash
# Replays (issue 22, finding 3): a genuine notice and a copy of it under a
# new Message-ID carry the same signature. Exactly one of them may be
# acknowledged by itself, however they arrive:
#   1. both at the same moment through postfix, Workers 2 (3 pairs): one
#      acknowledgement per pair, the other message held as a replay;
#   2. `pocctl reprocess` of the case: the held replay stays held;
#   3. AckMode hold with the guard (AckGuard) due: the guard sends the
#      genuine notice's acknowledgement, never the replay's.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup "Workers 2"

POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"
pair_acks() { echo $(( $(h_acks_of "<rp-g$1@jpcert.example>") + $(h_acks_of "<rp-c$1@jpcert.example>") )); }

for i in 1 2 3; do
	h_notice --tn "JPCERT#9610000$i" --message-id "<rp-g$i@jpcert.example>" >"$H/g$i.eml"
	sed "s/^Message-ID: .*/Message-ID: <rp-c$i@jpcert.example>/" "$H/g$i.eml" >"$H/c$i.eml"
done
for i in 1 2 3; do
	h_send "$H/g$i.eml" & p1=$!
	h_send "$H/c$i.eml" & p2=$!
	wait $p1 && wait $p2 || fail "send pair $i"
done
h_wait_for 60 h_filed_ge 6 || fail "not all filed"
h_wait_maildir 60 "$COORD" 3 || fail "acknowledgements missing: $(h_maildir_count "$COORD")"
sleep 5	# time for any (wrong) second acknowledgement
for i in 1 2 3; do
	n=$(pair_acks $i)
	[ "$n" = 1 ] || fail "pair $i: $n acknowledgements"
	held=0
	for m in g c; do
		st=$(h_field "<rp-$m$i@jpcert.example>" ack_state)
		[ "$st" = held ] && held=$((held + 1)) && held_mid="<rp-$m$i@jpcert.example>"
	done
	[ "$held" = 1 ] || fail "pair $i: $held held"
	h_field "$held_mid" problems | grep -q "replay: " || fail "pair $i: $held_mid has no replay problem"
	eval "held_$i='$held_mid'"
done
ok "3 pairs sent at the same moment with Workers 2: one acknowledgement per pair, the copy held as a replay"

h_pocctl reprocess 'JPCERT#96100001' >"$H/reprocess.out" 2>&1 || fail "reprocess: $(cat "$H/reprocess.out")"
grep -q "$held_1 .*ack=held" "$H/reprocess.out" || fail "reprocess said: $(cat "$H/reprocess.out")"
sleep 4
[ "$(pair_acks 1)" = 1 ] || fail "reprocess sent a replay's acknowledgement"
[ "$(h_field "$held_1" ack_state)" = held ] || fail "reprocess: $(h_field "$held_1" ack_state)"
ok "pocctl reprocess: the replay stays held"

# The guard in hold mode: due for both, acknowledges only the genuine one.
h_milter_stop
h_config "Workers 2" "AckMode hold"
h_milter_start
h_notice --tn 'JPCERT#96100004' --message-id '<rp-g4@jpcert.example>' >"$H/g4.eml"
sed "s/^Message-ID: .*/Message-ID: <rp-c4@jpcert.example>/" "$H/g4.eml" >"$H/c4.eml"
h_send "$H/g4.eml" || fail "send g4"
h_wait_for 30 h_filed_ge 7 || fail "g4 not filed"
h_send "$H/c4.eml" || fail "send c4"
h_wait_for 30 h_filed_ge 8 || fail "c4 not filed"
for m in g4 c4; do
	[ "$(h_field "<rp-$m@jpcert.example>" ack_state)" = held ] || fail "$m not held"
done
deadline=$(h_field '<rp-g4@jpcert.example>' ack_deadline)
h_milter_stop
POC_FAKE_NOW=$(( $(date -d "$deadline" +%s) - 3600 )) h_milter_start
h_wait_for 30 h_acked '<rp-g4@jpcert.example>' || fail "the guard did not acknowledge the genuine notice"
sleep 4
[ "$(h_acks_of '<rp-c4@jpcert.example>')" = 0 ] || fail "the guard acknowledged the replay"
[ "$(h_field '<rp-c4@jpcert.example>' ack_state)" = held ] || fail "c4: $(h_field '<rp-c4@jpcert.example>' ack_state)"
[ "$(h_maildir_count "$COORD")" = 4 ] || fail "$(h_maildir_count "$COORD") acknowledgements in all, want 4"
ok "AckGuard: the genuine notice acknowledged, the replay stays held"
