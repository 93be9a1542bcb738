#!/bin/bash
# metrics.sh - `pocctl metrics` in the Prometheus text format, read back by
# the Prometheus client library's own parser (tests/lib/check_metrics.py):
# every series present on an empty database (NaN heartbeat age, zero
# counts), then the counts after two notices are filed with AckMode hold
# (two held, two unacknowledged, overdue once the clock is past the
# deadline); --output writes the file by a rename, mode 0644. Also: the
# perfdata labels of `pocctl watch` are the same before and after the
# first heartbeat.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
	{ echo "SKIP: python3-prometheus-client not installed"; exit 77; }
check() { /usr/bin/python3 "$TOP/tests/lib/check_metrics.py" "$@"; }
h_setup --no-postfix
PF_CONF=/nonexistent h_config "AckMode hold"
chmod 644 "$CONF"
install -d -m 700 -o "$POC_USER" "$H/db"

mkdir -p "$H/md/cur" "$H/md/new" "$H/md/tmp"; chmod -R 755 "$H/md"
h_pocctl import "$H/md" >/dev/null || fail "import of an empty Maildir (makes the database)"
h_pocctl metrics >"$H/m0.prom" 2>"$H/err" || fail "metrics on an empty database: $(cat "$H/err")"
check "$H/m0.prom" 'pocmilter_cases_open=0' 'pocmilter_heartbeat_age_seconds=nan' \
	'pocmilter_messages_held=0' 'pocmilter_spool_depth=0' 'pocmilter_outbox_depth{state="queued"}=0' \
	'pocmilter_unacknowledged_age{le="+Inf"}=0' 'pocmilter_events_total{type="filed"}=0' ||
	fail "empty database: $(cat "$H/m0.prom")"
ok "an empty database: every series present, parsed by prometheus_client"

for n in 1 2; do
	h_notice --tn "JPCERT#9710000$n" --message-id "<metrics-$n@jpcert.example>" >"$H/n$n.eml"
done
chmod 644 "$H"/n*.eml
h_pocctl import "$H/n1.eml" "$H/n2.eml" >"$H/import.out" 2>&1 || { cat "$H/import.out"; fail "import"; }
install -d -m 755 -o "$POC_USER" "$H/textfile"
h_pocctl metrics --output "$H/textfile/m1.prom" || fail "metrics --output"
mv "$H/textfile/m1.prom" "$H/m1.prom"
[ "$(stat -c %a "$H/m1.prom")" = 644 ] || fail "mode $(stat -c %a "$H/m1.prom")"
ls "$H"/textfile/*  >/dev/null 2>&1 && fail "a temporary file was left"
check "$H/m1.prom" 'pocmilter_cases_open=2' 'pocmilter_cases{state="open"}=2' \
	'pocmilter_messages_held=2' 'pocmilter_messages_unacknowledged=2' 'pocmilter_messages_overdue=0' \
	'pocmilter_unacknowledged_age{le="1h"}=2' 'pocmilter_events_total{type="filed"}=2' \
	'pocmilter_last_received_timestamp_seconds=>0' || fail "after two notices"
ok "two held notices counted"
# Ten days later both are overdue and the oldest has business time behind it.
later=$(( $(date +%s) + 10 * 86400 ))
POC_FAKE_NOW=$later h_pocctl metrics >"$H/m2.prom" || fail "metrics later"
check "$H/m2.prom" 'pocmilter_messages_overdue=2' 'pocmilter_unacknowledged_age{le="1d"}=0' \
	'pocmilter_unacknowledged_age{le="+Inf"}=2' 'pocmilter_oldest_unacknowledged_business_seconds=>0' ||
	fail "ten days later"
ok "ten days later: overdue 2, age buckets move, business seconds > 0"

# watch: the same perfdata labels whether or not a heartbeat was ever written.
labels() { sed -n 's/^[^|]*| *//p' | head -1 | tr ' ' '\n' | sed 's/=.*//' | sort | tr '\n' ' '; }
l0=$(h_pocctl watch | labels)
h_pocctl watch --help >/dev/null; [ $? = 3 ] || fail "watch --help exit"
echo "watch labels: $l0"
[ -n "$l0" ] || fail "watch prints no perfdata"
echo "$l0" | grep -q heartbeat_age || fail "watch has no heartbeat_age before the first heartbeat: $l0"
ok "watch perfdata labels: $l0"
