#!/usr/bin/python3
"""check_logfmt.py LOG - every line pocmilter wrote to LOG ("pocmilter: ...")
is logfmt as pocmilter(8), LOGGING, says: key=value pairs, values bare or in
double quotes with \\" and \\\\ escaped; the first keys time (RFC 3339),
level, then event or msg. Prints the events seen; exit 1 on the first
line that is not."""
import datetime
import re
import sys

PAIR = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|[^\s"=\\]+)(?: |$)')
LEVELS = {"debug", "info", "warning", "error", "fatal", "panic"}
events = {}
n = 0
for number, line in enumerate(open(sys.argv[1], errors="replace"), 1):
    line = line.rstrip("\n")
    if not line.startswith("pocmilter: "):
        continue
    body, pos, keys = line[len("pocmilter: "):], 0, []
    while pos < len(body):
        m = PAIR.match(body, pos)
        if not m:
            sys.exit("line %d: not logfmt at column %d: %s" % (number, pos, line))
        keys.append((m.group(1), m.group(2)))
        pos = m.end()
    names = [k for k, _ in keys]
    if names[:2] != ["time", "level"] or len(names) < 3 or names[2] not in ("event", "msg"):
        sys.exit("line %d: wants time=, level=, then event= or msg=: %s" % (number, line))
    datetime.datetime.fromisoformat(keys[0][1])
    if keys[1][1] not in LEVELS:
        sys.exit("line %d: level %s: %s" % (number, keys[1][1], line))
    if len(set(names)) != len(names):
        sys.exit("line %d: a key twice: %s" % (number, line))
    events[keys[2][1]] = events.get(keys[2][1], 0) + 1
    n += 1
if n == 0:
    sys.exit("no pocmilter line in " + sys.argv[1])
print("logfmt: %d lines, events %s" % (n, " ".join("%s:%d" % kv for kv in sorted(events.items()))))
