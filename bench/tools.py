#!/usr/bin/env python3
"""tools.py - the small pieces of bench/run.sh that are easier in Python.

  tools.py stamp                     stdin to stdout, each line prefixed with
                                     the wall clock in seconds (microseconds)
  tools.py latency SENT LOG          one notice run: rates and latencies
  tools.py table RESULTS             the summary table (markdown) of a run
"""
import collections
import re
import statistics
import sys
import time


def stamp():
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    while True:
        line = inp.readline()
        if not line:
            break
        out.write(b'%.6f ' % time.time() + line)
        out.flush()


def pct(values, p):
    v = sorted(values)
    if not v:
        return float('nan')
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def latency(sent_path, log_path):
    sent = {}
    for line in open(sent_path):
        tn, mid, t_start, t_eod, t_250 = line.split('\t')
        sent[tn] = (float(t_start), float(t_eod), float(t_250))
    filed, acked = {}, {}
    filed_re = re.compile(r'^(\S+) .* event=filed .* case=JPCERT#(\d+) ')
    ack_re = re.compile(r'^(\S+) .* event=ack-sent case=JPCERT#(\d+) ack=\S+ to=')
    for line in open(log_path, errors='replace'):
        m = filed_re.match(line)
        if m and m.group(2) in sent:
            filed.setdefault(m.group(2), float(m.group(1)))
            continue
        m = ack_re.match(line)
        if m and m.group(2) in sent:
            acked.setdefault(m.group(2), float(m.group(1)))
    if not sent:
        print('sent 0\nfiled 0\nacked 0')
        return
    f_lat = [(filed[tn] - sent[tn][1]) * 1000 for tn in sent if tn in filed]
    a_lat = [(acked[tn] - sent[tn][1]) * 1000 for tn in sent if tn in acked]
    eom = [(sent[tn][2] - sent[tn][1]) * 1000 for tn in sent]
    first = min(s[0] for s in sent.values())
    last_ack = max(acked.values()) if acked else float('nan')
    last_eod = max(s[1] for s in sent.values())
    # Sustained: notices acknowledged per second, from the first send to the last ack.
    print('sent %d\nfiled %d\nacked %d' % (len(sent), len(filed), len(acked)))
    print('offered_per_s %.2f' % (len(sent) / (last_eod - first)))
    print('notices_per_s %.2f' % (len(acked) / (last_ack - first)))
    print('eom_reply_p50_ms %.1f\neom_reply_p99_ms %.1f' % (pct(eom, 50), pct(eom, 99)))
    print('filed_p50_ms %.1f\nfiled_p99_ms %.1f' % (pct(f_lat, 50), pct(f_lat, 99)))
    print('ack_p50_ms %.1f\nack_p99_ms %.1f' % (pct(a_lat, 50), pct(a_lat, 99)))


def table(path):
    # RESULTS lines: round config size metric value
    data = collections.OrderedDict()
    by_round = {}
    for line in open(path):
        f = line.split()
        if len(f) != 5:
            continue
        rnd, config, size, metric, value = f
        data.setdefault((metric, config, size), []).append(float(value))
        by_round[(rnd, metric, config, size)] = float(value)
    # Ratios within each round (the configurations ran minutes apart).
    for (rnd, metric, config, size), v in list(by_round.items()):
        if metric != 'msgs_per_s':
            continue
        for num, den, name in (('C-pocmilter', 'B-noop', 'pocmilter/noop'),
                               ('C-pocmilter', 'D-opendkim', 'pocmilter/opendkim'),
                               ('T-noop-tcp', 'B-noop', 'noop-tcp/noop-unix')):
            if config == num and (rnd, metric, den, size) in by_round:
                data.setdefault(('ratio_in_round', name, size), []).append(
                    v / by_round[(rnd, metric, den, size)])

    def fmt(v):
        return '%.0f' % v if abs(v) >= 100 else ('%.1f' % v if abs(v) >= 10 else '%.3f' % v)

    sections = collections.OrderedDict()
    for (metric, config, size), vals in data.items():
        sections.setdefault(metric, []).append((config, size, vals))
    for metric, rows in sections.items():
        print('\n| %s | size | median | min–max | n |' % metric)
        print('|---|---|---|---|---|')
        for config, size, vals in rows:
            print('| %s | %s | %s | %s–%s | %d |' % (config, size, fmt(statistics.median(vals)),
                                                  fmt(min(vals)), fmt(max(vals)), len(vals)))
    # The targets' ratio, per size: pocmilter over the no-op milter and over OpenDKIM.
    ratios = []
    for (metric, config, size), vals in data.items():
        if metric != 'msgs_per_s' or config != 'C-pocmilter':
            continue
        b = data.get((metric, 'B-noop', size))
        d = data.get((metric, 'D-opendkim', size))
        if b:
            ratios.append('| %s | pocmilter / no-op | %.3f |' % (size, statistics.median(vals) / statistics.median(b)))
        if d:
            ratios.append('| %s | pocmilter / OpenDKIM | %.3f |' % (size, statistics.median(vals) / statistics.median(d)))
    if ratios:
        print('\n| size | ratio of medians (msgs/s) | value |\n|---|---|---|')
        print('\n'.join(ratios))


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'stamp':
        stamp()
    elif cmd == 'latency':
        latency(sys.argv[2], sys.argv[3])
    elif cmd == 'table':
        table(sys.argv[2])
    else:
        sys.exit(__doc__)
