#!/usr/bin/env python3
"""make-garbage.py DIR N [SEED] - N messages of mixed garbage to the POC address:
random MIME trees (deep, wide, bad boundaries, bad encodings), random bytes,
huge headers and header counts, NULs, bare CRs, 8-bit junk. Each starts with
a From/To/Message-ID that SMTP accepts, so the mail itself gets delivered."""
import os, random, sys

out, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 10)

ALPHA = list(b"abcdefghij JPCERT#0123456789 JVNVU#\xe6\xa6\x82\n=?_")

def junk(k):
    return rnd.randbytes(k)

def text(k):
    return bytes(rnd.choices(ALPHA, k=k))

def mime(depth):
    if depth > 0 and rnd.random() < 0.6:
        b = b"b%d" % rnd.getrandbits(30)
        parts = b"".join(b"--" + (b if rnd.random() < 0.95 else b"x") + b"\n" + mime(depth - 1)
                         for _ in range(rnd.randint(0, 4) if depth < 6 else 1))
        sub = rnd.choice([b"mixed", b"encrypted", b"signed", b"alternative"])
        return (b'Content-Type: multipart/' + sub + b'; protocol="application/pgp-encrypted"; boundary="'
                + b + b'"\n\n' + parts + (b"--" + b + b"--\n" if rnd.random() < 0.8 else b""))
    cte = rnd.choice([b"base64", b"quoted-printable", b"7bit", b"x-uuencode", b"8bit"])
    ct = rnd.choice([b"text/plain; charset=iso-2022-jp", b"application/pgp-encrypted",
                     b"application/octet-stream", b"text/plain; charset=bogus", b"message/rfc822"])
    body = rnd.choice([text, junk])(rnd.randint(0, 3000))
    if rnd.random() < 0.2:
        body = b"-----BEGIN PGP MESSAGE-----\n\n" + text(500) + b"\n-----END PGP MESSAGE-----\n"
    return b"Content-Type: " + ct + b"\nContent-Transfer-Encoding: " + cte + b"\n\n" + body + b"\n"

for i in range(n):
    h = [b"From: <finder%d@jpcert.example>" % i, b"To: security@vendor.example",
         b"Message-ID: <garbage-%d@jpcert.example>" % (i + 1), b"MIME-Version: 1.0"]
    kind = i % 4
    if kind == 0:      # huge headers: one long folded header, many small ones
        h.append(b"Subject: " + b"\n ".join(text(70).replace(b"\n", b" ") for _ in range(rnd.randint(10, 1500))))
        h += [b"X-Junk-%d: %s" % (k, text(30).replace(b"\n", b" ")) for k in range(rnd.randint(0, 800))]
        body = mime(2)
    elif kind == 1:    # random bytes for a body
        h.append(b"Subject: =?UTF-8?B?" + text(40).replace(b"\n", b"") + b"?= =?ISO-2022-JP?Q?=1B$B?=")
        body = b"\n" + junk(rnd.randint(0, 20000)).replace(b"\r", b"").replace(b"\n.", b"\n..")
    else:              # random MIME trees, sometimes deep
        h.append(b"Subject: [JPCERT#%08d] garbage" % rnd.randint(0, 99999999))
        body = mime(rnd.choice([1, 3, 4, 40]))
    with open(os.path.join(out, "%d.eml" % (i + 1)), "wb") as f:
        f.write(b"\n".join(h) + b"\n" + body)
