#!/bin/bash
# Decrypted text never touches disk: a canary word inside encrypted notices
# must not appear in the database files, the logs, the mail queue, or any
# file under the test directory other than the notice we wrote ourselves.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup

canary="CANARY$RANDOM$RANDOM$RANDOM"
tmp_before=$(mktemp)
find /tmp /var/tmp /dev/shm -xdev -newer "$tmp_before" -type f 2>/dev/null >/dev/null
for i in 1 2 3; do
	h_notice --tn "JPCERT#1111111$i" --message-id "<canary-$i@jpcert.example>" \
		--body "JPCERT#1111111$i
$canary: the reproduction steps are secret ($i).
概要情報 JVN#1234567$i" >"$H/plain-$i.eml"
	grep -q "$canary" "$H/plain-$i.eml" && fail "the notice itself is not encrypted"
	h_send "$H/plain-$i.eml" || fail "send $i"
done
h_wait_maildir 60 "$H/mail/jpcert/vuls" 3 || fail "acknowledgements did not arrive"
"$POCCTL" -c "$CONF" export >"$H/export.json"
python3 - "$H/export.json" <<'PY' || fail "the notices were not decrypted (the canary test would prove nothing)"
import json, sys
cases = [json.loads(l) for l in open(sys.argv[1])]
ok = [m for c in cases for m in c["messages"] if m["decryption"] == "ok" and "JVN" in " ".join(c["vuln_ids"])]
sys.exit(0 if len(ok) >= 3 else 1)
PY
h_milter_stop
# The daemon's files: database, log, spool; postfix's queue, log, mailboxes.
hits=$(grep -rla "$canary" "$H/db" "$H/pocmilter.log" "$H/pf" "$H/mail" "$H/run" "$H/export.json" 2>/dev/null)
[ -z "$hits" ] || fail "plaintext found at rest: $hits"
# Any file written anywhere in the temporary directories during the run.
newer=$(find /tmp /var/tmp /dev/shm -xdev -type f -newer "$tmp_before" 2>/dev/null | grep -v "^$H/plain-" |
	xargs -r grep -la "$canary" 2>/dev/null | grep -v "^$H/plain-")
rm -f "$tmp_before"
[ -z "$newer" ] || fail "plaintext found in temporary files: $newer"
ok "canary absent from database, logs, queue, mailboxes and temporary files ($(du -sk "$H/db" | cut -f1) KiB database searched)"
