#!/bin/bash
# Spoofed notices: From the coordinator's address but unsigned, signed by
# another key, or not even encrypted. Each is filed and held for a person;
# no mail leaves for the coordinator. An auto-reply from the coordinator's
# address is held too.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --forgers

POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"

h_notice --tn 'JPCERT#20260011' --sign none --message-id '<unsigned@jpcert.example>' >"$H/s1.eml"
h_notice --tn 'JPCERT#20260012' --sign untrusted --message-id '<other-key@jpcert.example>' >"$H/s2.eml"
h_notice --tn 'JPCERT#20260013' --encrypt no --message-id '<plain@jpcert.example>' >"$H/s3.eml"
# A genuine, signed notice that is an auto-reply: never answered by itself.
h_notice --tn 'JPCERT#20260014' --message-id '<auto@jpcert.example>' |
	sed '1a Auto-Submitted: auto-replied' >"$H/s4.eml"
for f in s1 s2 s3 s4; do h_send "$H/$f.eml" || fail "SMTP send $f"; done
h_wait_for 30 h_maildir_ge "$POC" 4 || fail "the notices were not delivered to the POC"
h_wait_for 30 sh -c "[ \$('$POCCTL' -c '$CONF' export | wc -l) -ge 4 ]" || fail "not all filed"

"$POCCTL" -c "$CONF" export >"$H/export.json"
python3 - "$H/export.json" <<'PY' || fail "export: $(cat "$H/export.json")"
import json, sys
by_id = {}
for line in open(sys.argv[1]):
    c = json.loads(line)
    for m in c["messages"]:
        by_id[m["message_id"]] = m
want = {
    "<unsigned@jpcert.example>": ("ok", "none"),
    "<other-key@jpcert.example>": ("ok", "untrusted"),
    "<plain@jpcert.example>": ("none", "none"),
    "<auto@jpcert.example>": ("ok", "good"),
}
for mid, (dec, sig) in want.items():
    m = by_id[mid]
    assert m["decryption"] == dec, (mid, m["decryption"])
    assert m["signature"] == sig, (mid, m["signature"])
    assert m["ack_state"] == "held", (mid, m["ack_state"])
    assert m["ack_required"] is True, mid
    assert m["ack_deadline"], mid
    assert m["ack_sent_at"] is None and m["ack_message_id"] is None, mid
print("ok: unsigned, other key, unencrypted, auto-reply: all filed and held")
PY
[ $? = 0 ] || exit 1
"$POCCTL" -c "$CONF" show 'JPCERT#20260012' | grep -q 'signature is not good' || fail "show does not say why it is held"
# Give a wrong acknowledgement every chance to leave.
sleep 5
[ "$(h_maildir_count "$COORD")" = 0 ] || fail "mail reached the coordinator's Maildir"
grep -q 'from=<security@vendor.example>' "$H/pf/maillog" && fail "our address sent something"
ok "no mail left for the coordinator"
