#!/bin/bash
# AckMode auto through the real postfix: each ack-worthy notice gets exactly
# one acknowledgement in the coordinator's Maildir, decrypted with the
# coordinator's key, signed by ours, threaded, ISO-2022-JP (B-encoded
# subject), every placeholder filled. The same notice again over SMTP, or
# through pocctl import, gets none.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup

POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"

s1='[JPCERT#20260001] 脆弱性関連情報(概要情報)のお知らせ'
s2='Re: RE: [JPCERT#20260002] Detailed information (詳細情報)'
h_notice --tn 'JPCERT#20260001' --subject "$s1" --message-id '<ack-auto-1@jpcert.example>' >"$H/n1.eml"
h_notice --tn 'JPCERT#20260002' --subject "$s2" --message-id '<ack-auto-2@jpcert.example>' \
	--body 'JPCERT#20260002

詳細情報 (detailed information) for JVNVU#99999999.' >"$H/n2.eml"
h_send "$H/n1.eml" || fail "SMTP send n1"
h_send "$H/n2.eml" || fail "SMTP send n2"

h_wait_for 40 h_maildir_ge "$COORD" 2 || fail "acknowledgements did not arrive ($(h_maildir_count "$COORD"))"
for f in $(h_maildir_files "$COORD"); do
	if grep -q '^In-Reply-To: <ack-auto-1@' "$f"; then a1=$f; else a2=$f; fi
done
[ -n "${a1:-}" ] && [ -n "${a2:-}" ] || fail "one acknowledgement per notice expected"
h_check_ack "$a1" --tracking 'JPCERT#20260001' --in-reply-to '<ack-auto-1@jpcert.example>' \
	--subject "$s1" --expect 'JVNVU#99999999' --expect 'CVE-2026-12345' \
	--expect 'Vendor Example PSIRT' --expect '+09:00' --expect '概要情報を受けました' ||
	fail "acknowledgement of n1"
h_check_ack "$a2" --tracking 'JPCERT#20260002' --in-reply-to '<ack-auto-2@jpcert.example>' \
	--subject "$s2" --expect 'JVNVU#99999999' --expect 'Vendor Example PSIRT' ||
	fail "acknowledgement of n2"
ok "two notices, two acknowledgements, each checked by the coordinator"

# The same notices again: over SMTP (a sender's retry) and by import (back-fill).
h_send "$H/n1.eml" || fail "SMTP resend n1"
h_wait_for 30 h_maildir_ge "$POC" 3 || fail "the resent notice was not delivered"
h_pocctl import "$H/n2.eml" >"$H/import.out" 2>&1 || fail "pocctl import: $(cat "$H/import.out")"
grep -q '0 filed, 1 duplicates' "$H/import.out" || fail "import did not see a duplicate: $(cat "$H/import.out")"
sleep 4
[ "$(h_maildir_count "$COORD")" = 2 ] || fail "a second acknowledgement was sent ($(h_maildir_count "$COORD"))"
"$POCCTL" -c "$CONF" export >"$H/export.json"
python3 - "$H/export.json" <<'PY' || fail "export: $(cat "$H/export.json")"
import json, sys
cases = [json.loads(l) for l in open(sys.argv[1])]
msgs = [m for c in cases for m in c["messages"]]
assert len(msgs) == 2, len(msgs)
for m in msgs:
    assert m["ack_state"] == "sent", m
    assert m["ack_sent_at"] and m["ack_sent_at"].endswith("+09:00"), m
    assert m["ack_message_id"].endswith("@vendor.example>"), m
PY
ok "resent and imported notices filed once, no second acknowledgement"
