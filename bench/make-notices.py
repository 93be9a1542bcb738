#!/usr/bin/env python3
"""make-notices.py GNUPGHOME SIGNER RECIPIENT BYTES FIRST_TN COUNT OUTDIR [JOBS]

COUNT distinct notices for bench/run.sh: PGP/MIME (RFC 3156), the text
signed by SIGNER and encrypted to RECIPIENT in one gpg run, like
tests/lib/harness.sh's h_notice. Notice i carries the tracking number
JPCERT#(FIRST_TN + i), as 8 digits, inside its signed text, followed by
BYTES of random base64 (an attachment's worth), so that every notice is a
new signature: pocmilter holds a notice whose signature it has filed
before (a replay), and a benchmark that re-sent one signed text would
measure that path instead. send-notices.py rewrites the outer Subject and
Message-ID with the same number. Files: OUTDIR/FIRST_TN+i.eml.
"""
import base64
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

home, signer, rcpt = sys.argv[1:4]
size, first, count = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
outdir = sys.argv[7]
jobs = int(sys.argv[8]) if len(sys.argv) > 8 else os.cpu_count() or 1
os.makedirs(outdir, exist_ok=True)

TEXT = ("JPCERT#{tn}\r\n\r\nVendor Example PSIRT\r\n\r\n"
        "This is the summary information (\u6982\u8981\u60c5\u5831) of a vulnerability.\r\n"
        "VN: JVNVU#99999999 / TN: JPCERT#{tn}\r\nCVE-2026-12345\r\n"
        "Please tell us if you have affected products.\r\n\r\n")


def one(i):
    tn = "%08d" % (first + i)
    filler = base64.encodebytes(os.urandom(size)).replace(b"\n", b"\r\n")
    inner = (b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
             + TEXT.format(tn=tn).encode() + filler)
    armored = subprocess.run(
        ["gpg", "--homedir", home, "--batch", "--quiet", "--armor", "--trust-model", "always",
         "--encrypt", "--recipient", rcpt, "--sign", "--local-user", signer],
        input=inner, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True).stdout
    b = "=-poc-bench-%s" % tn
    head = ("From: JPCERT/CC <vuls@jpcert.example>\nTo: security@vendor.example\n"
            "Subject: [JPCERT#%s] Summary information on a vulnerability\n"
            "Date: Thu, 26 Nov 2026 10:00:00 +0900\nMessage-ID: <bench-%s@jpcert.example>\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; "
            "boundary=\"%s\"\n\n"
            "This is an OpenPGP/MIME encrypted message (RFC 3156).\n--%s\n"
            "Content-Type: application/pgp-encrypted\n\nVersion: 1\n\n--%s\n"
            "Content-Type: application/octet-stream; name=\"encrypted.asc\"\n\n") % (tn, tn, b, b, b)
    with open(os.path.join(outdir, "%s.eml" % tn), "wb") as f:
        f.write(head.encode() + armored + ("\n--%s--\n" % b).encode())


with ThreadPoolExecutor(max_workers=jobs) as pool:
    for _ in pool.map(one, range(count)):
        pass
