#!/bin/bash
# bench/run.sh - what a milter costs postfix: no milter, a no-op milter,
# pocmilter on unwatched mail, OpenDKIM verifying, and pocmilter on real
# notices (filed and acknowledged), in one run, interleaved, repeated.
#
#   bench/run.sh             the full run (doc/BENCHMARKS.md): 5 rounds,
#                            10,000 messages per configuration, size and
#                            round; 1,000 notices per size and round
#   QUICK=1 bench/run.sh     a CI-size run (same steps, fewer messages)
#
# Everything is on 127.0.0.1 in one temporary directory (KEEP=1 keeps it):
# a private postfix (tests/lib/harness.sh) whose smtpd listens on one port
# per configuration, each with its own smtpd_milters, and relays all mail
# to postfix's smtp-sink (no disk delivery); smtp-source is the load. All
# milters are on unix sockets. Results: $RESULTS (default build/bench-results)
# raw.tsv (round config size metric value) and summary.md (the tables).
#
# Knobs (environment): ROUNDS, MSGS, NOTICES, NOTICE_RATE (notices/s
# offered), LIGHT_NOTICES and LIGHT_RATE (the light-load latency run),
# SESSIONS (smtp-source parallel sessions), SIZES, NOTICE_SIZES, TCP=0 (skip
# the no-op milter on inet:PORT@127.0.0.1, the socket comparison), WORKERS
# (pocmilter's filer threads; default 2, the daemon's default), ACK_SMTP=1
# (acknowledgements to postfix over SMTP, AckSmtp, instead of sendmail).
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
export TOP BUILD
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	: "${ROUNDS:=3}" "${MSGS:=1000}" "${NOTICES:=100}" "${LIGHT_NOTICES:=20}"
else
	: "${ROUNDS:=5}" "${MSGS:=10000}" "${NOTICES:=1000}" "${LIGHT_NOTICES:=100}"
fi
: "${LIGHT_RATE:=5}"
: "${NOTICE_RATE:=50}" "${SESSIONS:=20}" "${SIZES:=4096 102400}" "${NOTICE_SIZES:=8k 200k}"
: "${RESULTS:=$BUILD/bench-results}" "${TCP:=1}" "${WORKERS:=2}" "${ACK_SMTP:=0}"

log() { printf '%s bench: %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- build ---------------------------------------------------------------------
"$TOP/scripts/deps.sh" || die "deps.sh"
"$TOP/scripts/build.sh" >/dev/null || die "build"
make -s -C "$BUILD" bench/noop-milter >/dev/null || die "make bench/noop-milter"
NOOP="$BUILD/bench/noop-milter"
TOOLS="python3 $TOP/bench/tools.py"

. "$TOP/tests/lib/harness.sh"
h_init
mkdir -p "$RESULTS"
RAW="$RESULTS/raw.tsv"
: >"$RAW"
SINK_PORT=$((SMTP_PORT + 1)) PORT_A=$((SMTP_PORT + 2)) PORT_B=$((SMTP_PORT + 3))
PORT_D=$((SMTP_PORT + 4)) PORT_T=$((SMTP_PORT + 5)) NOOP_TCP_PORT=$((SMTP_PORT + 6))
PORT_C=$SMTP_PORT

h_keys
h_postfix_start
if [ "$ACK_SMTP" = 1 ]; then
	h_config "Workers $WORKERS" "AckSmtp 127.0.0.1:$SMTP_PORT"
else
	h_config "Workers $WORKERS"
fi
PF="$H/pf"

# pocmilter in the foreground, its log lines stamped with the wall clock at
# microsecond resolution as they are written (the latencies are read there).
MLOG="$H/pocmilter.log"
rm -f "$MILTER_SOCKET"
"$POCMILTER" -f -c "$CONF" 2> >($TOOLS stamp >>"$MLOG") &
MILTER_PID=$!
h_wait_for 20 test -S "$MILTER_SOCKET" || { cat "$MLOG"; die "pocmilter did not start"; }

# The no-op milter, on a unix socket (and on TCP for the socket comparison).
"$NOOP" "unix:$H/run/noop.sock" &
NOOP_PID=$!
if [ "$TCP" = 1 ]; then
	"$NOOP" "inet:$NOOP_TCP_PORT@127.0.0.1" &
	NOOP_TCP_PID=$!
fi

# OpenDKIM, verifying only, on a unix socket; no key needed.
cat >"$H/etc/opendkim.conf" <<EOT
Mode v
Socket local:$H/run/dkim/dkim.sock
UMask 000
Background no
Syslog no
PidFile $H/run/dkim/opendkim.pid
UserID opendkim
EOT
install -d -o opendkim "$H/run/dkim"
opendkim -f -x "$H/etc/opendkim.conf" >"$H/opendkim.log" 2>&1 &
DKIM_PID=$!

smtp-sink -u nobody "127.0.0.1:$SINK_PORT" 1024 &
SINK_PID=$!

bench_cleanup() {
	local rc=$?
	for p in ${NOOP_PID:-} ${NOOP_TCP_PID:-} ${DKIM_PID:-} ${SINK_PID:-}; do
		kill "$p" 2>/dev/null
	done
	wait ${NOOP_PID:-} ${NOOP_TCP_PID:-} ${DKIM_PID:-} ${SINK_PID:-} 2>/dev/null
	# h_cleanup reads $? for KEEP_ON_FAIL
	(exit $rc)
	h_cleanup
}
trap bench_cleanup EXIT

h_wait_for 20 test -S "$H/run/noop.sock" || die "noop-milter did not start"
h_wait_for 20 test -S "$H/run/dkim/dkim.sock" || { cat "$H/opendkim.log"; die "opendkim did not start"; }
h_wait_for 20 h_port_open "$SINK_PORT" || die "smtp-sink did not start"

# Postfix: everything to smtp-sink; one smtpd port per configuration.
postconf -c "$PF_CONF" -e \
	"relayhost = [127.0.0.1]:$SINK_PORT" \
	"default_transport = smtp" \
	"virtual_mailbox_domains =" \
	"virtual_mailbox_maps =" \
	"smtp_tls_security_level = none" \
	"default_destination_concurrency_limit = 20" \
	"smtpd_milters = unix:$MILTER_SOCKET" >/dev/null
{
	echo "127.0.0.1:$PORT_A inet n - n - - smtpd -o smtpd_milters="
	echo "127.0.0.1:$PORT_B inet n - n - - smtpd -o smtpd_milters=unix:$H/run/noop.sock"
	echo "127.0.0.1:$PORT_D inet n - n - - smtpd -o smtpd_milters=unix:$H/run/dkim/dkim.sock"
	[ "$TCP" = 1 ] &&
		echo "127.0.0.1:$PORT_T inet n - n - - smtpd -o smtpd_milters=inet:127.0.0.1:$NOOP_TCP_PORT"
} >>"$PF_CONF/master.cf"
postfix -c "$PF_CONF" reload >/dev/null 2>&1 || die "postfix reload"
for p in $PORT_A $PORT_B $PORT_D; do h_wait_for 20 h_port_open "$p" || die "port $p"; done

queue_empty() {
	[ -z "$(find "$PF/queue/incoming" "$PF/queue/active" "$PF/queue/maildrop" "$PF/queue/deferred" -type f -print -quit 2>/dev/null)" ]
}
drain() { h_wait_for "${1:-600}" queue_empty || log "queue not empty after ${1:-600}s"; }

# The machine is shared: should something end our postfix under us, say so
# in the results and start it again rather than wait on a dead queue.
postfix_alive() {
	postfix -c "$PF_CONF" status >/dev/null 2>&1 && return 0
	log "WARNING: our postfix master is gone (not stopped by this script); starting it again"
	record "${round:-0}" postfix - restarted 1
	postfix -c "$PF_CONF" start >/dev/null 2>&1 || die "postfix does not start again"
	h_wait_for 20 h_port_open "$PORT_A"
}

# CPU seconds (user+system) of a process, itself and its waited-for children.
cpu_self() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"; }
cpu_children() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($14 + $15) / hz }' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# VmRSS counts the pages of the LMDB map that were read (RssFile: page cache,
# shared, reclaimable); RssAnon is the process's own memory.
rss_anon_kb() { awk '/^RssAnon/ { print $2 }' "/proc/$1/status"; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
record() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; }

# --- the notices: real PGP/MIME, signed by the coordinator, encrypted to the POC
# Every notice sent is its own signed text (bench/make-notices.py): pocmilter
# holds a second notice with a signature it has filed before (a replay), so
# re-sending one signed text would measure the held path, not acknowledgements.
# They are made before each step, outside the measured time.
notice_bytes() { case $1 in 8k) echo 4200 ;; 200k) echo 142000 ;; *) die "NOTICE_SIZES: $1?" ;; esac; }
make_notices() { # SIZE FIRST_TN COUNT DIR
	python3 "$TOP/bench/make-notices.py" "$GC" "$COORD_FPR" "$VENDOR_FPR" "$(notice_bytes "$1")" \
		"$2" "$3" "$4" || die "make-notices.py"
}
for sz in $NOTICE_SIZES; do
	make_notices "$sz" 1 1 "$H/size-$sz"
	log "notice $sz: $(stat -c %s "$H"/size-"$sz"/*.eml) bytes"
	record 0 notice "$sz" bytes "$(stat -c %s "$H"/size-"$sz"/*.eml)"
done

GPG_AGENT_PID=
NOTICE_SEQ=0

unwatched() { # ROUND CONFIG PORT SIZE [PID]
	local round=$1 config=$2 port=$3 size=$4 pid=${5:-} c0=0 c1 t0 t1 rate
	postfix_alive
	drain
	[ -n "$pid" ] && c0=$(cpu_self "$pid")
	t0=$(date +%s.%N)
	smtp-source -s "$SESSIONS" -l "$size" -m "$MSGS" -f bench@example.net \
		-t user@sink.example "127.0.0.1:$port" || log "smtp-source $config failed"
	t1=$(date +%s.%N)
	rate=$(calc "$MSGS / ($t1 - $t0)")
	record "$round" "$config" "$size" msgs_per_s "$(printf '%.1f' "$rate")"
	if [ -n "$pid" ]; then
		c1=$(cpu_self "$pid")
		record "$round" "$config" "$size" cpu_s_per_1000 "$(calc "($c1 - $c0) * 1000 / $MSGS")"
	fi
	log "round $round $config $size: $(printf '%.0f' "$rate") msgs/s"
}

notices() { # ROUND SIZE RATE COUNT CONFIG
	local round=$1 sz=$2 rate=$3 count=$4 config=$5 first out c0 k0 a0 c1 k1 a1 n
	NOTICE_SEQ=$((NOTICE_SEQ + 1))
	first=$((NOTICE_SEQ * 100000))
	out="$H/sent-$round-$sz-$config.tsv"
	rm -rf "$H/notices"
	make_notices "$sz" "$first" "$count" "$H/notices"
	postfix_alive
	drain
	[ -n "$GPG_AGENT_PID" ] || GPG_AGENT_PID=$(pgrep -f "gpg-agent.*$GV" | head -1)
	c0=$(cpu_self "$MILTER_PID") k0=$(cpu_children "$MILTER_PID")
	a0=$( [ -n "$GPG_AGENT_PID" ] && cpu_self "$GPG_AGENT_PID" || echo 0)
	# One file per send, in tracking-number order (send i is notice first+i).
	python3 "$TOP/bench/send-notices.py" "$PORT_C" "$count" "$rate" 10 "$first" "$out" \
		"$H"/notices/*.eml || log "send-notices: not all sent"
	# Wait for every acknowledgement to be handed to the MTA.
	n=$(wc -l <"$out")
	local end=$((SECONDS + ${ACK_WAIT:-300}))
	while :; do
		[ "$($TOOLS latency "$out" "$MLOG" | awk '/^acked/ { print $2 }')" -ge "$n" ] && break
		if [ $SECONDS -ge $end ]; then
			log "WARNING: not every acknowledgement handed over after ${ACK_WAIT:-300}s"
			record "$round" "$config" "$sz" acks_missing 1
			postfix_alive
			break
		fi
		sleep 1
	done
	[ -n "$GPG_AGENT_PID" ] || GPG_AGENT_PID=$(pgrep -f "gpg-agent.*$GV" | head -1)
	c1=$(cpu_self "$MILTER_PID") k1=$(cpu_children "$MILTER_PID")
	a1=$( [ -n "$GPG_AGENT_PID" ] && cpu_self "$GPG_AGENT_PID" || echo 0)
	$TOOLS latency "$out" "$MLOG" | tee "$H/latency-$round-$sz-$config.txt" | while read -r metric value; do
		case $metric in sent|filed|acked) continue ;; esac
		record "$round" "$config" "$sz" "$metric" "$value"
	done
	record "$round" "$config" "$sz" cpu_s_per_1000 "$(calc "($c1 - $c0) * 1000 / $n")"
	record "$round" "$config" "$sz" cpu_children_s_per_1000 "$(calc "($k1 - $k0) * 1000 / $n")"
	record "$round" "$config" "$sz" cpu_gpg_agent_s_per_1000 "$(calc "($a1 - $a0) * 1000 / $n")"
	log "round $round $config $sz: $(tr '\n' ' ' <"$H/latency-$round-$sz-$config.txt")"
}

# --- warm up (page cache, process pools), not recorded --------------------------
log "warming up"
for port in $PORT_A $PORT_B $PORT_C $PORT_D; do
	smtp-source -s "$SESSIONS" -l 4096 -m 200 -f bench@example.net -t user@sink.example "127.0.0.1:$port"
done
make_notices 8k 10 20 "$H/warmup"
python3 "$TOP/bench/send-notices.py" "$PORT_C" 20 10 4 10 "$H/sent-warmup.tsv" "$H"/warmup/*.eml
drain
sleep 5
RSS0=$(rss_kb "$MILTER_PID")
record 0 C-pocmilter - rss_kb_start "$RSS0"
record 0 C-pocmilter - rss_anon_kb_start "$(rss_anon_kb "$MILTER_PID")"
log "pocmilter idle after warm-up: VmRSS ${RSS0} kB; load: $(cut -d' ' -f1-3 /proc/loadavg)"
UNWATCHED_TOTAL=0

# --- the rounds: every configuration once per round, in turn --------------------
for round in $(seq 1 "$ROUNDS"); do
	load0=$(cut -d' ' -f1 /proc/loadavg)
	for size in $SIZES; do
		unwatched "$round" A-none "$PORT_A" "$size"
		unwatched "$round" B-noop "$PORT_B" "$size" "$NOOP_PID"
		unwatched "$round" C-pocmilter "$PORT_C" "$size" "$MILTER_PID"
		unwatched "$round" D-opendkim "$PORT_D" "$size" "$DKIM_PID"
		[ "$TCP" = 1 ] && unwatched "$round" T-noop-tcp "$PORT_T" "$size" "$NOOP_TCP_PID"
		UNWATCHED_TOTAL=$((UNWATCHED_TOTAL + MSGS))
	done
	record "$round" C-pocmilter - rss_kb_after_unwatched "$(rss_kb "$MILTER_PID")"
	record "$round" C-pocmilter - rss_anon_kb_after_unwatched "$(rss_anon_kb "$MILTER_PID")"
	for sz in $NOTICE_SIZES; do
		notices "$round" "$sz" "$NOTICE_RATE" "$NOTICES" E-pocmilter-notices
	done
	# The same path at a light load: each notice's own latency, no queueing.
	notices "$round" 8k "$LIGHT_RATE" "$LIGHT_NOTICES" F-pocmilter-notices-light
	record "$round" C-pocmilter - rss_kb_after_notices "$(rss_kb "$MILTER_PID")"
	record "$round" C-pocmilter - rss_anon_kb_after_notices "$(rss_anon_kb "$MILTER_PID")"
	kill -0 "$MILTER_PID" 2>/dev/null || die "pocmilter died (see $MLOG and dmesg)"
	record "$round" all - loadavg_1min "$(cut -d' ' -f1 /proc/loadavg)"
	log "round $round done: pocmilter VmRSS $(rss_kb "$MILTER_PID") kB after $UNWATCHED_TOTAL unwatched messages; load $load0 -> $(cut -d' ' -f1-3 /proc/loadavg)"
done
drain
sleep 5
record "$ROUNDS" C-pocmilter - rss_kb_end "$(rss_kb "$MILTER_PID")"
record "$ROUNDS" C-pocmilter - rss_anon_kb_end "$(rss_anon_kb "$MILTER_PID")"
{
	echo "# bench/run.sh $(date -u +%FT%TZ)"
	echo
	echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo)"
	echo "pocmilter: Workers $WORKERS$([ "$ACK_SMTP" = 1 ] && echo ", AckSmtp")"
	echo "rounds: $ROUNDS; unwatched: $MSGS messages per configuration, size and round, $SESSIONS sessions; notices: $NOTICES per size and round, offered at $NOTICE_RATE/s over 10 connections; light load: $LIGHT_NOTICES 8k notices per round at $LIGHT_RATE/s"
	echo "pocmilter unwatched messages in all: $UNWATCHED_TOTAL; VmRSS start $RSS0 kB, end $(rss_kb "$MILTER_PID") kB"
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	$TOOLS table "$RAW"
} | tee "$RESULTS/summary.md"
