#!/usr/bin/env python3
"""count-notices.py EXPORT POC_MAILDIR COORD_MAILDIR PREFIX N [ACKWORTHY]

Counts, for the N notices whose Message-IDs are <PREFIX-1@jpcert.example>
.. <PREFIX-N@jpcert.example>: copies in the POC Maildir, filings in
`pocctl export` (NDJSON) and acknowledgements in the coordinator's Maildir
(by In-Reply-To). ACKWORTHY (default N) is how many of them, the first
ones, must be acknowledged. Prints one line of counts and the problems;
exit 0 only when every notice is delivered, filed exactly once and, when
ack-worthy, acknowledged exactly once (and no other is).

UNKNOWN_OUTCOME (environment, comma-separated Message-IDs of notices): their
acknowledgement was being handed over SMTP (AckSmtp) when the daemon was
killed, never reached the MTA, and waits for a person (ack-outcome-unknown,
never resent by guess): none or one acknowledgement, never two."""
import collections, email.parser, json, os, sys

export, poc, coord, prefix, n = sys.argv[1:6]
n = int(n)
ackworthy = int(sys.argv[6]) if len(sys.argv) > 6 else n
want = ["<%s-%d@jpcert.example>" % (prefix, i) for i in range(1, n + 1)]
unknown = set(x for x in os.environ.get("UNKNOWN_OUTCOME", "").split(",") if x)
parser = email.parser.BytesHeaderParser()

def maildir(d, header):
    c = collections.Counter()
    for sub in ("new", "cur"):
        p = os.path.join(d, sub)
        if not os.path.isdir(p):
            continue
        for f in os.listdir(p):
            with open(os.path.join(p, f), "rb") as fp:
                h = parser.parse(fp)
            v = h.get(header)
            c[(v or "").strip()] += 1
    return c

delivered = maildir(poc, "Message-ID")
acks = maildir(coord, "In-Reply-To")
filed = collections.Counter()
ack_state = {}
for line in open(export):
    case = json.loads(line)
    for m in case["messages"]:
        filed[m["message_id"]] += 1
        ack_state[m["message_id"]] = m["ack_state"]

problems = []
for i, mid in enumerate(want):
    if delivered[mid] < 1:
        problems.append("not delivered: " + mid)
    if delivered[mid] > 1:
        problems.append("delivered %d times: %s" % (delivered[mid], mid))
    if filed[mid] != 1:
        problems.append("filed %d times: %s" % (filed[mid], mid))
    expect = 1 if i < ackworthy else 0
    if mid in unknown:
        if acks[mid] > 1:
            problems.append("%d acknowledgements (want at most 1): %s" % (acks[mid], mid))
        continue
    if acks[mid] != expect:
        problems.append("%d acknowledgements (want %d): %s (ack_state %s)"
                        % (acks[mid], expect, mid, ack_state.get(mid)))
    if expect and ack_state.get(mid) != "sent":
        problems.append("ack_state %s: %s" % (ack_state.get(mid), mid))
stray = sum(v for k, v in acks.items() if k not in want)
if stray:
    problems.append("%d acknowledgements of unknown notices" % stray)
print("notices %d: delivered %d (copies %d), filed %d (filings %d), "
      "acknowledged %d (acks %d, want %d)" % (
          n, sum(1 for m in want if delivered[m]), sum(delivered[m] for m in want),
          sum(1 for m in want if filed[m]), sum(filed[m] for m in want),
          sum(1 for m in want if acks[m]), sum(acks.values()), ackworthy))
for p in problems[:40]:
    print("  " + p)
if len(problems) > 40:
    print("  ... %d more" % (len(problems) - 40))
sys.exit(1 if problems else 0)
