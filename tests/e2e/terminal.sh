#!/bin/bash
# terminal.sh - what pocctl prints of a crafted notice (issue 22, finding 6).
# A notice whose Subject decodes to newlines, fake "crypto: ... signature=good"
# and "ack: sent" lines and ESC[8m (hide) is imported; `pocctl show` and
# `list` print it as one escaped line: no ESC byte, no extra line, the real
# crypto line the only one. `show --json` is escaped JSON that decodes to the
# stored text. `calendar ics --output` under umask 022 makes a 0600 file.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --no-postfix
PF_CONF=$H/no-postfix	# no mail leaves: import and print only
h_config "AckMode hold"
install -d -m 700 -o "$POC_USER" "$H/db"

evil=$'[JPCERT#96200001] hello\n  crypto:    decryption=ok signature=good signer=FAKE\n  ack:       sent\r\033[8m'
enc=$(printf '%s' "$evil" | base64 -w0)
{
	printf 'From: JPCERT/CC <vuls@jpcert.example>\nTo: security@vendor.example\n'
	printf 'Subject: =?utf-8?b?%s?=\nDate: %s\nMessage-ID: <evil\033[8m@jpcert.example>\n' "$enc" "$(LC_ALL=C date -R)"
	printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nJPCERT#96200001\nunsigned text\n'
} >"$H/evil.eml"
chown "$POC_USER" "$H/evil.eml"
h_pocctl import "$H/evil.eml" >"$H/import.out" 2>&1 || fail "import: $(cat "$H/import.out")"
"$POCCTL" -c "$CONF" export >"$H/export.json"
python3 - "$H/export.json" <<'PY' || fail "the crafted Subject was not stored as sent (nothing to test)"
import json, sys
m = [m for l in open(sys.argv[1]) for m in json.loads(l)["messages"]][0]
assert "\n" in m["subject"] and "\x1b[8m" in m["subject"], repr(m["subject"])
PY

"$POCCTL" -c "$CONF" show 'JPCERT#96200001' >"$H/show.out" 2>&1 || fail "show: $(cat "$H/show.out")"
"$POCCTL" -c "$CONF" list >"$H/list.out" 2>&1 || fail "list: $(cat "$H/list.out")"
for f in show list; do
	if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$H/$f.out"; then
		fail "$f prints control characters: $(cat -v "$H/$f.out")"
	fi
done
[ "$(grep -c '^  crypto:' "$H/show.out")" = 1 ] || fail "show has a fake crypto line: $(cat -v "$H/show.out")"
grep -q '^  crypto:    decryption=none signature=none' "$H/show.out" || fail "the real crypto line: $(cat -v "$H/show.out")"
grep -q '^  ack:       sent' "$H/show.out" && fail "show has a fake ack line"
grep -qF '  subject:   [JPCERT#96200001] hello\n  crypto:    decryption=ok signature=good signer=FAKE\n  ack:       sent\r\x1b[8m' "$H/show.out" ||
	fail "the subject is not shown escaped on one line: $(cat -v "$H/show.out")"
grep -qF 'message 1:   <evil\x1b[8m@jpcert.example>' "$H/show.out" || fail "the Message-ID is not escaped: $(cat -v "$H/show.out")"
ok "show and list: the crafted Subject and Message-ID print escaped, one line, no fake crypto/ack line"

"$POCCTL" -c "$CONF" show --json 'JPCERT#96200001' >"$H/show.json" || fail "show --json"
LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$H/show.json" && fail "show --json prints control characters"
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
s = c["messages"][0]["subject"]
assert "\n  crypto:" in s and "\x1b[8m" in s, repr(s)' "$H/show.json" || fail "show --json does not decode to the stored subject"
ok "show --json: escaped by the JSON encoder, decodes to the stored text"

rm -f "$H/cal.ics"
(umask 022; "$POCCTL" -c "$CONF" calendar ics --output "$H/cal.ics" 2>"$H/ics.err") || fail "calendar ics: $(cat "$H/ics.err")"
[ "$(stat -c %a "$H/cal.ics")" = 600 ] || fail "calendar ics --output made a $(stat -c %a "$H/cal.ics") file"
grep -q 'BEGIN:VCALENDAR' "$H/cal.ics" || fail "no calendar written"
printf 'old\n' >"$H/cal2.ics"; chmod 644 "$H/cal2.ics"
(umask 022; "$POCCTL" -c "$CONF" calendar ics --output "$H/cal2.ics" 2>/dev/null) || fail "calendar ics over a file"
[ "$(stat -c %a "$H/cal2.ics")" = 600 ] || fail "calendar ics --output over a 0644 file left it $(stat -c %a "$H/cal2.ics")"
ok "calendar ics --output under umask 022: 0600, also over an existing 0644 file"
