#!/bin/bash
# Header injection (issue 10): notices from the coordinator whose Subject,
# From and Message-ID carry CR/LF through encoded words (B, Q, ISO-2022-JP)
# or folding, each trying to add "Bcc:" and "X-Injected:" headers. Every
# one is acknowledged (AckMode auto, real postfix) and no acknowledgement,
# outside or inside its encryption, has a header the notice smuggled in:
# one To (the coordinator), no Bcc, no X-Injected, no CR/LF in the Subject.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup
COORD="$H/mail/jpcert/vuls"

b64() { printf '%s' "$1" | base64 -w0; }
inj=$'\r\nBcc: evil@attacker.example\r\nX-Injected: yes'
subjects=(
	"=?UTF-8?B?$(b64 "[JPCERT#20269001] B-word$inj")?="
	"=?UTF-8?Q?[JPCERT#20269002]_Q-word=0D=0ABcc:_evil@attacker.example=0D=0AX-Injected:_yes?="
	"=?ISO-2022-JP?B?$(printf '[JPCERT#20269003] \033$B%%\\%%%%\033(B%s' "$inj" | base64 -w0)?="
	"[JPCERT#20269004] folded
 Bcc: evil@attacker.example
	X-Injected: yes"
	"[JPCERT#20269005] plain, with a From and a Message-ID that try it"
)
n=${#subjects[@]}
for i in $(seq 1 "$n"); do
	h_notice --tn "JPCERT#2026900$i" --subject "${subjects[$((i - 1))]}" \
		--message-id "<inj-$i@jpcert.example>" >"$H/n$i.eml"
done
# The fifth: a From display name that decodes to CR/LF, and a folded Message-ID.
python3 - "$H/n5.eml" "$(b64 "JPCERT/CC$inj")" <<'PY'
import sys
p, word = sys.argv[1], sys.argv[2]
s = open(p, 'rb').read()
s = s.replace(b'From: JPCERT/CC <', b'From: =?UTF-8?B?' + word.encode() + b'?= <', 1)
s = s.replace(b'Message-ID: <inj-5@jpcert.example>',
              b'Message-ID: <inj-5@jpcert.example>\n X-Injected: yes', 1)
open(p, 'wb').write(s)
PY
for i in $(seq 1 "$n"); do h_send "$H/n$i.eml" || fail "SMTP send $i"; done
h_wait_for 60 h_maildir_ge "$COORD" "$n" || fail "only $(h_maildir_count "$COORD") of $n acknowledged"
sleep 2
[ "$(h_maildir_count "$COORD")" = "$n" ] || fail "$(h_maildir_count "$COORD") acknowledgements for $n notices"

python3 - "$GC" $(h_maildir_files "$COORD") <<'PY' || fail "an acknowledgement carries a smuggled header"
import email, email.header, email.policy, email.utils, re, subprocess, sys
home = sys.argv[1]
bad = 0
def check(where, msg):
    global bad
    names = [k.lower() for k in msg.keys()]
    for name in ('bcc', 'x-injected'):
        if name in names:
            print('FAIL: %s: has a %s header' % (where, name)); bad += 1
    for name in ('to', 'subject', 'from', 'message-id', 'in-reply-to'):
        if names.count(name) > 1:
            print('FAIL: %s: %d %s headers' % (where, names.count(name), name)); bad += 1
    for k, v in msg.items():
        # Folding is allowed; what an encoded word decodes to may not break a line.
        d = str(email.header.make_header(email.header.decode_header(re.sub(r'\r?\n[ \t]', ' ', v))))
        if '\r' in d or '\n' in d:
            print('FAIL: %s: %s decodes with CR/LF: %r' % (where, k, d)); bad += 1
seen = set()
for path in sys.argv[2:]:
    raw = open(path, 'rb').read()
    head = raw.split(b'\n\n', 1)[0]
    for line in head.split(b'\n'):
        if line.lower().startswith((b'bcc:', b'x-injected:')):
            print('FAIL: %s: header line %r' % (path, line)); bad += 1
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    check(path, msg)
    to = email.utils.getaddresses(msg.get_all('To', []))
    if [a for _, a in to] != ['vuls@jpcert.example']:
        print('FAIL: %s: To %r' % (path, to)); bad += 1
    irt = msg['In-Reply-To'] or ''
    seen.add(irt.strip())
    enc = [p for p in msg.walk() if p.get_content_type() == 'application/octet-stream']
    if not enc:
        print('FAIL: %s: not encrypted' % path); bad += 1; continue
    inner = subprocess.run(['gpg', '--homedir', home, '--batch', '--quiet', '--decrypt'],
                           input=enc[0].get_payload(decode=True), capture_output=True)
    if inner.returncode != 0:
        print('FAIL: %s: does not decrypt: %s' % (path, inner.stderr)); bad += 1; continue
    ihead = inner.stdout.split(b'\r\n\r\n', 1)[0].split(b'\n\n', 1)[0]
    for line in ihead.replace(b'\r', b'').split(b'\n'):
        if line.lower().startswith((b'bcc:', b'x-injected:')):
            print('FAIL: %s (inside): header line %r' % (path, line)); bad += 1
    check(path + ' (inside)', email.message_from_bytes(inner.stdout, policy=email.policy.compat32))
want = {'<inj-%d@jpcert.example>' % i for i in range(1, 6)}
if seen != want:
    print('FAIL: In-Reply-To %r, want %r' % (sorted(seen), sorted(want))); bad += 1
print('checked %d acknowledgements' % len(seen))
sys.exit(1 if bad else 0)
PY
ok "$n injection attempts (B, Q, ISO-2022-JP words, folding, From, Message-ID): each acknowledged once, no smuggled header"
