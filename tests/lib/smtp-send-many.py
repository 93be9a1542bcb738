#!/usr/bin/env python3
"""smtp-send-many.py PORT FROM TO THREADS FILE... - send each file once, over
THREADS parallel connections, retrying a file on any temporary failure or
lost connection (the way an MTA retries) until the server answers 250.
SEND_GAP seconds of pause after each message spread a run over time.
Prints "sent N attempts M refusals R" on stdout.  A 5xx is a test failure
(the milter must never reject): exit 1."""
import smtplib, socket, sys, threading, time, queue

port, sender, rcpt, nthreads = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
files = sys.argv[5:]
work = queue.Queue()
for f in files:
    work.put(f)
lock = threading.Lock()
stats = {"sent": 0, "attempts": 0, "temp": 0, "perm": 0}
gap = float(__import__("os").environ.get("SEND_GAP", "0"))
deadline = time.time() + float(__import__("os").environ.get("SEND_DEADLINE", "900"))

def one(path):
    data = open(path, "rb").read()
    while time.time() < deadline:
        with lock:
            stats["attempts"] += 1
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
                s.sendmail(sender, rcpt.split(","), data)
            with lock:
                stats["sent"] += 1
            time.sleep(gap)
            return
        except smtplib.SMTPResponseException as e:
            code = e.smtp_code
        except smtplib.SMTPRecipientsRefused as e:
            code = min(c for c, _ in e.recipients.values())
        except (smtplib.SMTPException, OSError):
            code = 421
        if 500 <= code < 600:
            with lock:
                stats["perm"] += 1
            sys.stderr.write("permanent failure %d for %s\n" % (code, path))
            return
        with lock:
            stats["temp"] += 1
        time.sleep(0.5)
    sys.stderr.write("gave up on %s\n" % path)

def run():
    while True:
        try:
            p = work.get_nowait()
        except queue.Empty:
            return
        one(p)

ts = [threading.Thread(target=run) for _ in range(nthreads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("sent %d attempts %d temporary-failures %d permanent %d" %
      (stats["sent"], stats["attempts"], stats["temp"], stats["perm"]))
sys.exit(0 if stats["sent"] == len(files) and stats["perm"] == 0 else 1)
