#!/bin/bash
# The first real path, every step through the real component:
# SMTP -> postfix -> pocmilter (spool) -> GPGME decrypt+verify -> case in
# LMDB -> acknowledgement signed and encrypted -> postfix -> coordinator's
# Maildir, where it is decrypted with the coordinator's key and checked.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup

h_notice --tn 'JPCERT#12345678' --message-id '<notice-1@jpcert.example>' >"$H/n1.eml"
h_send "$H/n1.eml" || fail "SMTP send"

POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"
h_wait_maildir 30 "$POC" 1 || fail "notice not delivered to the POC Maildir"
delivered=$(h_maildir_files "$POC" | head -1)
# Postfix adds Return-Path, Delivered-To and Received above; SMTP may end it with a blank line.
python3 -c 'import sys; a=open(sys.argv[1],"rb").read().rstrip(b"\n"); b=open(sys.argv[2],"rb").read().rstrip(b"\n"); sys.exit(0 if a.endswith(b) else 1)' \
	"$delivered" "$H/n1.eml" || fail "the delivered notice differs from what was sent"
ok "notice delivered unchanged"

h_wait_for 30 sh -c "'$POCCTL' -c '$CONF' export 2>/dev/null | grep -q 'JPCERT#12345678'" || fail "case not filed"
export_line=$("$POCCTL" -c "$CONF" export)
echo "$export_line" | python3 -c '
import json, sys
c = json.loads(sys.stdin.readline())
m = c["messages"][0]
assert c["id"] == "JPCERT#12345678", c["id"]
assert c["tracking"] == "JPCERT#12345678"
assert m["message_id"] == "<notice-1@jpcert.example>", m["message_id"]
assert m["decryption"] == "ok", m["decryption"]
assert m["signature"] == "good", m["signature"]
assert m["encrypted"] is True
assert m["ack_required"] is True
assert m["ack_deadline"].endswith("+09:00"), m["ack_deadline"]
assert "JVNVU#99999999" in c["vuln_ids"], c["vuln_ids"]
assert "CVE-2026-12345" in c["cve_ids"], c["cve_ids"]
' || fail "exported case is not as expected: $export_line"
ok "case filed: decryption ok, signature good, ids read"
"$POCCTL" -c "$CONF" list | grep -q 'JPCERT#12345678' || fail "pocctl list does not show the case"

h_wait_maildir 60 "$COORD" 1 || fail "no acknowledgement reached the coordinator"
ack=$(h_maildir_files "$COORD" | head -1)
grep -q '^Subject: Re: \[JPCERT#12345678\]' "$ack" || fail "ack subject: $(grep -m1 '^Subject:' "$ack")"
grep -q '^In-Reply-To: <notice-1@jpcert.example>' "$ack" || fail "ack In-Reply-To"
grep -q '^Auto-Submitted: auto-replied' "$ack" || fail "ack Auto-Submitted"
grep -q 'multipart/encrypted' "$ack" || fail "ack is not PGP/MIME encrypted"
sed -n '/-----BEGIN PGP MESSAGE-----/,/-----END PGP MESSAGE-----/p' "$ack" >"$H/ack.asc"
gpg --homedir "$GC" --batch --status-fd 3 --decrypt "$H/ack.asc" 3>"$H/ack.status" >"$H/ack.plain" 2>/dev/null ||
	fail "the coordinator cannot decrypt the acknowledgement"
grep -q "^\[GNUPG:\] VALIDSIG .* $VENDOR_FPR\$" "$H/ack.status" || fail "ack not validly signed by the vendor key"
grep -q 'JPCERT#12345678' "$H/ack.plain" || fail "ack body lacks the tracking number"
grep -q '{{' "$H/ack.plain" && fail "ack has an unfilled placeholder"
ok "acknowledgement decrypted by the coordinator, signed by the vendor, threaded"

sleep 3
[ "$(h_maildir_count "$COORD")" = 1 ] || fail "more than one acknowledgement"
"$POCCTL" -c "$CONF" export | grep -q '"ack_state":"sent"' || fail "ack_state is not sent"
ok "exactly one acknowledgement, recorded as sent"
# The log is logfmt, as pocmilter(8) says (tests/lib/check_logfmt.py).
out=$(/usr/bin/python3 "$TOP/tests/lib/check_logfmt.py" "$H/pocmilter.log") || fail "log: $out"
for e in starting filed ack-sent; do
	echo "$out" | grep -q " $e:" || fail "log has no $e event: $out"
done
ok "$out"
