#!/bin/bash
# bench_ack.sh - latency of acknowledgements through the real thing: from
# the end of DATA of a notice to its acknowledgement handed to the MTA.
#
# usage (root): BUILD=build bench/bench_ack.sh [N] [INTERVAL]
#   N         notices (default 200), each signed and encrypted by the
#             coordinator's key, made before the clock starts
#   INTERVAL  seconds between notices (default 0.05; 0 = one burst)
#
# A private postfix on 127.0.0.1 with pocmilter (AckMode auto), as in the
# end-to-end tests (tests/lib/harness.sh). One SMTP session sends the
# notices; for each, t0 is taken just before the DATA command (so the
# milter's end-of-message spool write is inside the figure) and t1 is the
# handed_at=RFC 3339 TIME WITH MICROSECONDS the daemon logs when AckSendmail (postfix's
# sendmail) exits 0 for its acknowledgement; both clocks are this host's
# wall clock. The database keeps whole seconds only, so the log line is the
# source. Prints the median, p90, p99 and max of t1 - t0, and checks that
# every notice got exactly one acknowledgement in the coordinator's Maildir.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
: "${BUILD:=$TOP}"
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
. "$TOP/tests/lib/harness.sh"
N=${1:-200}
INTERVAL=${2:-0.05}
h_init
h_keys
h_postfix_start
h_config
h_milter_start

h_log "making $N notices"
mkdir "$H/notices"
for i in $(seq 1 "$N"); do
	tn=$(printf 'JPCERT#%08d' $((30000000 + i)))
	h_notice --tn "$tn" --message-id "<bench-$i@jpcert.example>" \
		--subject "[$tn] 脆弱性関連情報(概要情報)のお知らせ" >"$H/notices/$i.eml"
done

h_log "sending $N notices, one every ${INTERVAL}s"
python3 - "$H/notices" "$N" "$INTERVAL" "$SMTP_PORT" >"$H/t0" <<'PY'
import smtplib, sys, time
d, n, interval, port = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
s = smtplib.SMTP('127.0.0.1', port, timeout=120)
s.ehlo()
for i in range(1, n + 1):
    data = open('%s/%d.eml' % (d, i), 'rb').read()
    s.mail('vuls@jpcert.example')
    s.rcpt('security@vendor.example')
    t0 = time.time()
    code, _ = s.data(data)
    assert code == 250, code
    print('JPCERT#%08d %.6f' % (30000000 + i, t0), flush=True)
    if interval:
        time.sleep(interval)
s.quit()
PY
COORD="$H/mail/jpcert/vuls"
h_wait_for 300 h_maildir_ge "$COORD" "$N" || h_log "only $(h_maildir_count "$COORD") of $N acknowledgements arrived"
sleep 2
got=$(h_maildir_count "$COORD")

python3 - "$H/t0" "$H/pocmilter.log" "$N" "$got" "$INTERVAL" <<'PY'
import datetime, re, statistics, sys
t0 = dict(l.split() for l in open(sys.argv[1]))
t1 = {}
for l in open(sys.argv[2]):
    m = re.search(r'event=ack-sent case=(\S+) ack=\S+ to=\S+ attempt=\d+ handed_at=(\S+)', l)
    if m:
        assert m.group(1) not in t1, 'two sends for ' + m.group(1)
        t1[m.group(1)] = datetime.datetime.fromisoformat(m.group(2)).timestamp()
n, got, interval = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
lat = sorted((t1[k] - float(v)) * 1000 for k, v in t0.items() if k in t1)
def pct(p):
    return lat[min(len(lat) - 1, max(0, int(round(p / 100 * len(lat) + 0.5)) - 1))]
print('bench_ack: %d notices (one every %ss), %d acknowledgements handed to the MTA, %d in the coordinator Maildir'
      % (n, interval, len(lat), got))
print('end of DATA -> ack handed to the MTA: median %.1f ms  p90 %.1f ms  p99 %.1f ms  max %.1f ms'
      % (statistics.median(lat), pct(90), pct(99), lat[-1]))
ok = len(lat) == n and got == n and pct(99) < 1000
print('target p99 < 1000 ms: %s' % ('met' if ok else 'NOT met'))
sys.exit(0 if ok else 1)
PY
