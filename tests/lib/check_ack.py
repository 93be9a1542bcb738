#!/usr/bin/env python3
"""check_ack.py - read an acknowledgement as the coordinator does, and check it.

usage: check_ack.py ACK_FILE --gnupghome GC --signer FPR --tracking TN
                    --in-reply-to MSGID --subject ORIGINAL [--charset iso-2022-jp]
                    [--expect TEXT]...

Decrypts with the coordinator's home (in memory: gpg's output is a pipe),
verifies the signature is a VALIDSIG by FPR, and checks the outer headers
(Subject "Re: " once + original, RFC 2047, In-Reply-To, References,
Auto-Submitted, Message-ID of our domain, Date in +0900), the inner charset,
that every placeholder was filled and that each --expect text is in the body.
Exit 0 and "ok" lines, or exit 1 with what is wrong.
"""
import argparse, email, email.header, email.policy, re, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument('ack')
ap.add_argument('--gnupghome', required=True)
ap.add_argument('--signer', required=True)
ap.add_argument('--tracking', required=True)
ap.add_argument('--in-reply-to', required=True)
ap.add_argument('--subject', required=True)
ap.add_argument('--charset', default='iso-2022-jp')
ap.add_argument('--expect', action='append', default=[])
a = ap.parse_args()

def fail(why):
    print('FAIL: ' + why)
    sys.exit(1)

raw = open(a.ack, 'rb').read()
msg = email.message_from_bytes(raw, policy=email.policy.compat32)

def decoded(value):
    return str(email.header.make_header(email.header.decode_header(value)))

subj_raw = msg['Subject']
subj = decoded(subj_raw)
orig = a.subject
while True:
    s = orig.lstrip()
    if s[:3].lower() == 're:':
        orig = s[3:]
    else:
        orig = s
        break
want = 'Re: ' + orig if a.tracking in orig else 'Re: [%s] %s' % (a.tracking, orig)
if subj != want:
    fail('Subject %r, want %r (raw %r)' % (subj, want, subj_raw))
if subj.count('Re:') != 1:
    fail('Subject has "Re:" %d times' % subj.count('Re:'))
if any(ord(c) > 127 for c in subj_raw):
    fail('8-bit Subject header: %r' % subj_raw)
if any(ord(c) > 127 for c in orig):
    want_cs = 'utf-8' if a.charset.lower() == 'utf-8' else 'iso-2022-jp'
    words = email.header.decode_header(subj_raw)
    charsets = {(cs or '').lower() for _, cs in words if cs}
    if charsets != {want_cs}:
        fail('Subject encoded in %s, want %s: %r' % (charsets, want_cs, subj_raw))
    if want_cs == 'iso-2022-jp' and '?B?' not in subj_raw.upper():
        fail('ISO-2022-JP subject not B-encoded: %r' % subj_raw)
print('ok: subject %r' % subj)

for name, value in (('In-Reply-To', a.in_reply_to), ('References', a.in_reply_to),
                    ('Auto-Submitted', 'auto-replied')):
    got = (msg[name] or '').strip()
    if value not in got.split() and got != value:
        fail('%s %r, want %r' % (name, got, value))
mid = (msg['Message-ID'] or '').strip()
if not re.fullmatch(r'<[^<>@\s]+@vendor\.example>', mid):
    fail('Message-ID %r not of our domain' % mid)
if not (msg['Date'] or '').strip().endswith('+0900'):
    fail('Date %r not in Japan time' % msg['Date'])
if msg.get_content_type() != 'multipart/encrypted' or msg.get_param('protocol') != 'application/pgp-encrypted':
    fail('not RFC 3156 multipart/encrypted: %s' % msg['Content-Type'])
print('ok: threading, Auto-Submitted, Message-ID, Date, PGP/MIME')

armour = re.search(rb'-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----', raw, re.S)
if not armour:
    fail('no PGP message')
p = subprocess.run(['gpg', '--homedir', a.gnupghome, '--batch', '--status-fd', '2', '--decrypt'],
                   input=armour.group(0), capture_output=True)
if p.returncode != 0:
    fail('the coordinator cannot decrypt: ' + p.stderr.decode(errors='replace')[-300:])
if not re.search(r'^\[GNUPG:\] VALIDSIG .* %s$' % a.signer, p.stderr.decode(errors='replace'), re.M):
    fail('not validly signed by %s' % a.signer)
print('ok: decrypted by the coordinator, signed by the vendor key')

inner = email.message_from_bytes(p.stdout, policy=email.policy.compat32)
cs = (inner.get_content_charset() or '').lower()
if cs != a.charset.lower():
    fail('inner charset %r, want %r' % (cs, a.charset))
body = inner.get_payload(decode=True).decode(cs)
if a.charset.lower() == 'iso-2022-jp' and b'\x1b$B' not in inner.get_payload(decode=True):
    fail('ISO-2022-JP body without JIS escapes')
if '{{' in body or '}}' in body:
    fail('an unfilled placeholder: ' + body)
inner_subject = decoded(inner['Subject'] or '')
if inner_subject != want:
    fail('protected Subject %r, want %r' % (inner_subject, want))
for text in [a.tracking] + a.expect:
    if text not in body:
        fail('body lacks %r' % text)
print('ok: inner %s, every placeholder filled, %d expected texts present' % (cs, 1 + len(a.expect)))
