#!/usr/bin/python3
"""check_metrics.py FILE NAME=VALUE... - parse FILE with the Prometheus
client library's own text parser (python3-prometheus-client) and check
that each named sample (NAME or NAME{label="v",...}) has VALUE ("nan"
for NaN, ">0" for positive). Exit 0 when all match; prints what it saw."""
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read()
samples = {}
types = {}
for fam in text_string_to_metric_families(text):
    types[fam.name] = fam.type
    for s in fam.samples:
        labels = ",".join('%s="%s"' % kv for kv in sorted(s.labels.items()))
        samples[s.name + ("{" + labels + "}" if labels else "")] = s.value
ok = True
for want in sys.argv[2:]:
    name, value = want.rsplit("=", 1)
    got = samples.get(name)
    if got is None:
        good = False
    elif value == "nan":
        good = math.isnan(got)
    elif value == ">0":
        good = got > 0
    else:
        good = got == float(value)
    print("%s %s = %r (want %s)" % ("ok:" if good else "FAIL:", name, got, value))
    ok = ok and good
print("%d families, %d samples parsed" % (len(types), len(samples)))
sys.exit(0 if ok else 1)
