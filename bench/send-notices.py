#!/usr/bin/env python3
"""send-notices.py - send N real PGP/MIME notices to an SMTP port, paced.

usage: send-notices.py PORT COUNT RATE CONCURRENCY FIRST_TN OUT TEMPLATE...

Send i is TEMPLATE file i (modulo their number; bench/run.sh gives one
file per send, made by bench/make-notices.py, since pocmilter holds a
re-sent signed text as a replay) with two outer headers rewritten:
Message-ID <bench-TN@jpcert.example> and the tracking number in the
Subject, TN = FIRST_TN + i. The encrypted part is not touched.

RATE is notices per second offered (open loop: send i starts at i/RATE,
whatever the previous ones are doing); 0 means as fast as CONCURRENCY
connections go. Each line of OUT: tracking number, Message-ID, the time
the final "." was written (end of DATA), the time the 250 came back.
"""
import queue
import re
import smtplib
import socket
import sys
import threading
import time

port, count, rate, conc, first_tn, out = (int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]),
                                          int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
templates = []
for path in sys.argv[7:]:
    data = open(path, 'rb').read().replace(b'\r\n', b'\n')
    head, body = data.split(b'\n\n', 1)
    head = re.sub(rb'(?m)^Message-ID:.*$', b'Message-ID: <bench-%(tn)s@jpcert.example>', head)
    head = re.sub(rb'(?m)^Subject:.*$', b'Subject: [JPCERT#%(tn)s] Summary information on a vulnerability', head)
    msg = (head + b'\n\n' + body).replace(b'%', b'%%').replace(b'%%(tn)s', b'%(tn)s')
    # SMTP: CRLF line ends and dot-stuffing, done once per template.
    msg = msg.replace(b'\n', b'\r\n')
    msg = re.sub(rb'(?m)^\.', b'..', msg)
    if not msg.endswith(b'\r\n'):
        msg += b'\r\n'
    templates.append(msg)

jobs = queue.Queue()
results = []
lock = threading.Lock()
errors = []


def worker():
    s = None
    while True:
        i = jobs.get()
        if i is None:
            break
        tn = b'%08d' % (first_tn + i)
        data = templates[i % len(templates)] % {b'tn': tn}
        for attempt in range(3):
            try:
                if s is None:
                    s = smtplib.SMTP('127.0.0.1', port, timeout=120)
                    s.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                t_start = time.time()
                s.mail('vuls@jpcert.example')
                s.rcpt('security@vendor.example')
                code, _ = s.docmd('DATA')
                if code != 354:
                    raise smtplib.SMTPException('DATA %d' % code)
                s.send(data + b'.\r\n')
                t_eod = time.time()
                code, _ = s.getreply()
                t_250 = time.time()
                if code != 250:
                    raise smtplib.SMTPException('end of DATA %d' % code)
                with lock:
                    results.append((tn.decode(), '<bench-%s@jpcert.example>' % tn.decode(),
                                    t_start, t_eod, t_250))
                break
            except Exception as e:  # a broken connection: reconnect and retry
                with lock:
                    errors.append(repr(e))
                try:
                    s.close()
                except Exception:
                    pass
                s = None
    if s is not None:
        try:
            s.quit()
        except Exception:
            pass


threads = [threading.Thread(target=worker) for _ in range(conc)]
for t in threads:
    t.start()
t0 = time.time()
for i in range(count):
    if rate > 0:
        delay = t0 + i / rate - time.time()
        if delay > 0:
            time.sleep(delay)
    jobs.put(i)
for _ in threads:
    jobs.put(None)
for t in threads:
    t.join()
with open(out, 'w') as f:
    for r in sorted(results, key=lambda r: r[3]):
        f.write('%s\t%s\t%.6f\t%.6f\t%.6f\n' % r)
if errors:
    sys.stderr.write('send-notices: %d errors, first: %s\n' % (len(errors), errors[0]))
sys.exit(0 if len(results) == count else 1)
