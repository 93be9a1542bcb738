#!/bin/bash
# Every writer at once (issue 23): the daemon receives notices through the
# private postfix while, at the same time, two `pocctl import` processes
# back-fill an overlapping Maildir and mbox and both import the POC Maildir
# the daemon is delivering into (the same messages the daemon files),
# `pocctl ack/note/close/reprocess` run on random cases and `pocctl
# list/show/export/watch` read. In every round the daemon is killed with
# SIGKILL (and restarted) and so is one importer (and run again).
#
# Checked at the end: every message filed exactly once; no acknowledgement
# twice (In-Reply-To in the coordinator's Maildir), one for every signed
# notice and exactly one for each message whose ack_state is sent; no spool
# entry left; every pocctl exit code 0 or the documented one for that verb
# with a message; importers exit 0 (the killed one excepted); each case's
# events in time order, and per message received <= filed <= ack-queued <=
# ack-sent, each at most once. Printed: the counts, and the lock cost from
# POCMILTER_TXN_LOG (doc/DATABASE.md): wait for the writer lock and hold
# time of write transactions, p50/p99/max per process kind, and wall time
# per pocctl verb.
#
#   tests/e2e/writers.sh              3 rounds (make check)
#   LONG=1 tests/e2e/writers.sh       100 rounds: the import scenario 100 times
#   ROUNDS=.. M=.. B=.. tests/e2e/writers.sh
#     M notices through postfix per round (the first BIG KB, default 256;
#     every 4th unsigned: held, for pocctl ack), B back-fill notices per
#     round (Maildir 1..2B/3, mbox B/3+1..B)
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
if [ "${LONG:-0}" = 1 ]; then ROUNDS=${ROUNDS:-100}; else ROUNDS=${ROUNDS:-3}; fi
M=${M:-8} B=${B:-9}
h_setup --no-milter
# Deliver as the daemon's user, so that pocctl import (run as that user)
# can read the POC Maildir the daemon is filing at the same time.
postconf -c "$PF_CONF" -e "virtual_uid_maps = static:$(id -u "$POC_USER")" \
	"virtual_gid_maps = static:$(id -g "$POC_USER")"
chown -R "$POC_USER:" "$H/mail"
postfix -c "$PF_CONF" reload >/dev/null 2>&1
# AckEncryptTo: pocctl ack can answer the unsigned notices (held) too.
h_config "AckRetry 5s" "AckEncryptTo $COORD_FPR"
mkdir -m 777 "$H/txn"
milter_start() { POCMILTER_TXN_LOG="$H/txn/daemon.log" h_milter_start; }
milter_start
POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"
# The POC Maildir exists before its first delivery (as on a running mailbox):
# the importers read it from the first second, and a path that does not
# exist is, rightly, an import failure.
mkdir -p "$POC/cur" "$POC/new" "$POC/tmp" && chown -R "$POC_USER:" "$H/mail" && chmod -R 700 "$POC"
mkdir -p "$H/archive/new" "$H/calls" "$H/n"
chmod -R a+rwX "$H/archive" "$H/n"
UID_GID="--reuid=$(id -u "$POC_USER") --regid=$(id -g "$POC_USER") --init-groups"
start_time=$SECONDS

h_on_fail() {
	echo "--- pocmilter.log (errors)"; grep -iE 'error|warn|fatal' "$H/pocmilter.log" | tail -20
	echo "--- pocctl calls not 0"; awk -F'\t' '$2 != 0' "$H/calls.log" 2>/dev/null | tail -20
}

# pocctl as the daemon's user, exec'd (the pid is pocctl's, for kill), with
# the transaction log of its verb.
pocctl_as() { # VERB ARGS...
	HOME=/nonexistent POCMILTER_TXN_LOG="$H/txn/$1.log" exec setpriv $UID_GID -- \
		"$POCCTL" -c "$CONF" "$@"
}
# One timed call: "VERB<TAB>RC<TAB>MICROSECONDS<TAB>first stderr line<TAB>first stdout line".
pc() { # VERB ARGS...
	local t0 t1 rc o="$H/calls/$BASHPID"
	t0=$(date +%s%N)
	(pocctl_as "$@") >"$o.out" 2>"$o.err"
	rc=$?
	t1=$(date +%s%N)
	printf '%s\t%d\t%d\t%s\t%s\n' "$1" "$rc" $(((t1 - t0) / 1000)) \
		"$(head -1 "$o.err" | cut -c1-200)" "$(head -1 "$o.out" | cut -c1-100)" >>"$H/calls.log"
	# Why it failed, beyond the first line: pocctl's lines other than the filing log.
	[ $rc = 0 ] || [ $rc = 137 ] || [ "$1" != import ] ||
		grep -v ' level=info ' "$o.err" | head -5 | sed "s/^/    import exit $rc: /" >>"$H/import-errors.txt"
	cat "$o.out"
	return $rc
}

# Case ids so far (tracking numbers; some not filed yet: exit 2 is right then).
TNS=()
random_case() { echo "${TNS[RANDOM % ${#TNS[@]}]}"; }

readers() {
	while [ ! -e "$H/stop" ]; do
		[ -s "$H/tns" ] || { sleep 0.2; continue; }
		mapfile -t TNS <"$H/tns"
		pc list --json >/dev/null
		pc show "$(random_case)" --json >/dev/null
		pc export >/dev/null
		pc watch >/dev/null
	done
}
writers() {
	local n=0
	while [ ! -e "$H/stop" ]; do
		[ -s "$H/tns" ] || { sleep 0.2; continue; }
		mapfile -t TNS <"$H/tns"
		n=$((n + 1))
		case $((RANDOM % 6)) in
		0 | 1) pc ack "$(random_case)" ;;
		2) pc note "$(random_case)" "stress note $n" ;;
		3) pc close "$(random_case)" ;;
		*) pc reprocess "$(random_case)" ;;
		esac >/dev/null
	done
}

# Notices of round R: M through postfix (w-R-I), B back-fill (b-R-I).
make_round() { # R
	local r=$1 i tn d="$H/n/$1"
	mkdir -p "$d/mta" "$d/maildir/cur" "$d/maildir/new"
	: >"$d/mbox"
	: >"$d/tns"
	for i in $(seq "$M"); do
		tn=$(printf 'JPCERT#9%03d%04d' "$r" "$i")
		if [ $((i % 4)) = 0 ]; then
			h_notice --tn "$tn" --sign none --message-id "<w-$r-$i@jpcert.example>"
		elif [ "$i" = 1 ]; then
			# A big one: nothing proportional to size may happen in a write transaction.
			h_notice --tn "$tn" --message-id "<w-$r-$i@jpcert.example>" --body "$tn

Vendor Example PSIRT

This is the summary information (概要情報) of a vulnerability.
VN: JVNVU#99999999 / TN: $tn
CVE-2026-12345
Please tell us if you have affected products.

$BIG_TEXT"
		else
			h_notice --tn "$tn" --message-id "<w-$r-$i@jpcert.example>"
		fi >"$d/mta/$i.eml"
		echo "$tn" >>"$d/tns"
	done
	for i in $(seq "$B"); do
		tn=$(printf 'JPCERT#8%03d%04d' "$r" "$i")
		h_notice --tn "$tn" --message-id "<b-$r-$i@jpcert.example>" >"$d/b$i.eml"
		echo "$tn" >>"$d/tns"
		# The Maildir has the first two thirds, the mbox the last two: a third in both.
		[ "$i" -le $((B * 2 / 3)) ] && cp "$d/b$i.eml" "$d/maildir/cur/$r.$i.backfill:2,S"
		if [ "$i" -gt $((B / 3)) ]; then
			printf 'From vuls@jpcert.example Thu Nov 26 10:00:00 2026\n' >>"$d/mbox"
			cat "$d/b$i.eml" >>"$d/mbox"
			printf '\n' >>"$d/mbox"
		fi
	done
	chmod -R a+rX "$d"
}

importer() { # NAME ROUND PATH...: run, and again after a SIGKILL
	local name=$1 r=$2 rc
	shift 2
	pc import "$@" >"$H/import-$name-$r.out"
	rc=$?
	if [ $rc -eq 137 ]; then
		echo "round $r: importer $name killed; run again" >>"$H/events.txt"
		pc import "$@" >"$H/import-$name-$r.out"
		rc=$?
	fi
	echo "round $r: importer $name exit $rc: $(cat "$H/import-$name-$r.out")" >>"$H/events.txt"
}

# The body of the first notice of each round: BIG KB (default 256) of text.
BIG_TEXT="$(head -c $((${BIG:-256} * 768)) /dev/urandom | base64 -w 76)"

daemon_kills=0 importer_kills=0
run_round() { # R
	local r=$1 d="$H/n/$1" sender i1 i2 pid killed=0
	cat "$d/tns" >>"$H/tns"
	SEND_GAP=0.2 python3 "$TOP/tests/lib/smtp-send-many.py" "$SMTP_PORT" vuls@jpcert.example \
		security@vendor.example 2 "$d"/mta/*.eml >"$H/sender-$r.out" 2>&1 &
	sender=$!
	sleep "0.$((RANDOM % 10))"
	# Both import the POC Maildir while the daemon delivers into it and files it.
	importer one "$r" "$d/maildir" "$POC" &
	i1=$!
	importer two "$r" "$d/mbox" "$POC" "$d/maildir" &
	i2=$!
	sleep "$((RANDOM % 2)).$((RANDOM % 10))"
	# SIGKILL one importer's pocctl, whichever is running (its parent is the importer's shell).
	for _ in $(seq 30); do
		for pid in $(pgrep -P "$i1" -x pocctl) $(pgrep -P "$i2" -x pocctl); do
			kill -KILL "$pid" 2>/dev/null && { killed=1; break; }
		done
		[ $killed = 1 ] && break
		kill -0 "$i1" 2>/dev/null || kill -0 "$i2" 2>/dev/null || break
		sleep 0.1
	done
	importer_kills=$((importer_kills + killed))
	kill -KILL "$MILTER_PID" 2>/dev/null && daemon_kills=$((daemon_kills + 1))
	wait "$MILTER_PID" 2>/dev/null
	sleep "0.$((RANDOM % 10))"
	milter_start
	wait "$sender" || { cat "$H/sender-$r.out"; fail "round $r: the sender could not hand over every notice"; }
	wait "$i1" "$i2"
	# Delivered messages of this round move on, so that the next round's
	# imports read only the new ones (at 100 rounds, re-reading all would
	# be quadratic). Delivery of this round is complete: the sender is done.
	h_wait_maildir 60 "$POC" "$M" || fail "round $r: POC Maildir has $(h_maildir_count "$POC") of $M"
	mv "$POC"/new/* "$H/archive/new/" 2>/dev/null
	echo "round $r done at $((SECONDS - start_time)) s: daemon kills $daemon_kills, importer kills $importer_kills"
}

: >"$H/tns"; : >"$H/calls.log"; : >"$H/events.txt"
chmod 666 "$H/calls.log"
make_round 1
readers & rpid=$!
writers & wpid=$!
for r in $(seq "$ROUNDS"); do
	[ "$r" -lt "$ROUNDS" ] && { make_round $((r + 1)) & mpid=$!; }
	run_round "$r"
	[ "$r" -lt "$ROUNDS" ] && wait "$mpid"
done
touch "$H/stop"
wait "$rpid" "$wpid"
cat "$H/events.txt"
cat "$H/import-errors.txt" 2>/dev/null

# Settle: everything filed, every queued acknowledgement sent, except one
# a kill stranded between its claim (SENDING) and the hand-over to the MTA:
# never resent by guess, it fails after POC_OUTBOX_GRACE and is paged
# (outbox.c), so at most once holds and a person acknowledges it.
N_MSG=$((ROUNDS * (M + B)))
settled() {
	"$POCCTL" -c "$CONF" export >"$H/export.json" 2>/dev/null || return 1
	python3 - "$H/export.json" "$N_MSG" "$H/pocmilter.log" <<'PY'
import json, re, sys
limbo = set(re.findall(r"event=ack-outcome-unknown case=(\S+) ack=", open(sys.argv[3]).read()))
n = 0; open_ = 0
for l in open(sys.argv[1]):
    for m in json.loads(l)["messages"]:
        n += 1
        open_ += m["ack_state"] in ("queued", "sending") and m["case_id"] not in limbo
sys.exit(0 if n >= int(sys.argv[2]) and open_ == 0 else 1)
PY
}
h_wait_for 120 settled || echo "not settled after 120 s"
sleep 6	# a second acknowledgement, if any, would arrive now
"$POCCTL" -c "$CONF" export >"$H/export.json" || fail "pocctl export"
for tn in $(sort -u "$H/tns"); do "$POCCTL" -c "$CONF" show "$tn" --json; echo; done >"$H/shows.json" 2>"$H/shows.err"
spool=$(mdb_stat -s spool "$H/db" | awk '/Entries:/ {print $2}')
h_milter_stop

python3 - "$H" "$ROUNDS" "$M" "$B" "${spool:-?}" <<'PY' || fail "invariants (above)"
import collections, email.parser, glob, json, os, re, sys
H, rounds, M, B, spool = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
problems = []
want = {}
for r in range(1, rounds + 1):
    for i in range(1, M + 1):
        want["<w-%d-%d@jpcert.example>" % (r, i)] = i % 4 != 0   # signed: must be acknowledged
    for i in range(1, B + 1):
        want["<b-%d-%d@jpcert.example>" % (r, i)] = True
hp = email.parser.BytesHeaderParser()
def headers(d, name):
    c = collections.Counter()
    for f in glob.glob(d + "/new/*") + glob.glob(d + "/cur/*"):
        with open(f, "rb") as fp:
            c[(hp.parse(fp).get(name) or "").strip()] += 1
    return c
acks = headers(H + "/mail/jpcert/vuls", "In-Reply-To")
filed = collections.Counter(); state = {}; case_of = {}
limbo = set(re.findall(r"event=ack-outcome-unknown case=(\S+) ack=", open(H + "/pocmilter.log").read()))
stranded = 0
for l in open(H + "/export.json"):
    for m in json.loads(l)["messages"]:
        filed[m["message_id"]] += 1
        state[m["message_id"]] = m["ack_state"]
        case_of[m["message_id"]] = m["case_id"]
for mid, signed in want.items():
    if filed[mid] != 1:
        problems.append("filed %d times: %s" % (filed[mid], mid))
    if acks[mid] > 1:
        problems.append("%d acknowledgements: %s" % (acks[mid], mid))
    if signed and acks[mid] == 0 and state.get(mid) in ("queued", "failed") and case_of.get(mid) in limbo:
        stranded += 1
    elif signed and (acks[mid] != 1 or state.get(mid) != "sent"):
        problems.append("signed notice: %d acknowledgements, ack_state %s: %s" % (acks[mid], state.get(mid), mid))
    if (state.get(mid) == "sent") != (acks[mid] == 1):
        problems.append("ack_state %s but %d acknowledgements: %s" % (state.get(mid), acks[mid], mid))
stray = [k for k in filed if k not in want] + [k for k in acks if k not in want]
if stray:
    problems.append("unknown messages filed or acknowledged: %s" % stray[:5])
if spool != "0":
    problems.append("spool entries left: %s" % spool)

# Exit codes: the documented ones per verb (pocctl(1)), with a message.
allowed = {"list": {0}, "export": {0}, "show": {0, 2}, "watch": {0, 1, 2}, "ack": {0, 2},
           "note": {0, 2}, "close": {0, 2}, "reprocess": {0, 2}, "import": {0, 137}}
calls = collections.defaultdict(list); codes = collections.Counter()
for l in open(H + "/calls.log", encoding="utf-8", errors="replace"):
    verb, rc, us, err, out = (l.rstrip("\n").split("\t") + ["", "", "", ""])[:5]
    rc = int(rc); calls[verb].append(int(us)); codes[(verb, rc)] += 1
    if rc not in allowed.get(verb, {0}):
        problems.append("pocctl %s exit %d: %s" % (verb, rc, err or out))
    elif rc not in (0, 137) and verb != "watch" and not err.startswith("pocctl: "):
        problems.append("pocctl %s exit %d without a message" % (verb, rc))
    elif verb == "watch" and not out.startswith("POCMILTER "):
        problems.append("pocctl watch exit %d without a status line: %s" % (rc, out))
imp = collections.Counter()
for l in open(H + "/events.txt"):
    if "exit" in l and not " exit 0: " in l:
        problems.append(l.strip())
    if "imported:" in l:
        w = l.split("imported:")[1].replace(",", "").split()
        imp["filed"] += int(w[0]); imp["duplicates"] += int(w[2]); imp["failed"] += int(w[5])

# Events: in time order; per message received <= filed <= ack-queued <= ack-sent, once each.
ncases = 0
dec = json.JSONDecoder()
text = open(H + "/shows.json").read()
pos = 0
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    case, pos = dec.raw_decode(text, pos)
    ncases += 1
    ev = case.get("events", [])
    ats = [e["at"] for e in ev]
    if ats != sorted(ats):
        problems.append("%s: events not in time order" % case["id"])
    per = collections.defaultdict(list)
    for e in ev:
        if e.get("message_id"):
            per[e["message_id"]].append(e)
    for mid, es in per.items():
        seen = {}
        for e in es:
            if e["type"] in ("received", "filed", "ack-queued", "ack-sent"):
                if e["type"] in seen:
                    problems.append("%s %s: %s twice" % (case["id"], mid, e["type"]))
                seen[e["type"]] = e["at"]
        order = [seen[t] for t in ("received", "filed", "ack-queued", "ack-sent") if t in seen]
        if order != sorted(order):
            problems.append("%s %s: events out of order %s" % (case["id"], mid, seen))
        if "filed" not in seen:
            problems.append("%s %s: no filed event" % (case["id"], mid))

print("messages %d (through postfix %d, back-fill %d): filed %d, filings %d; acknowledgements %d "
      "(signed notices %d); cases shown %d; spool entries left %s" % (
    len(want), rounds * M, rounds * B, sum(1 for m in want if filed[m]), sum(filed.values()),
    sum(acks.values()), sum(want.values()), ncases, spool))
print("acknowledgements stranded by a daemon kill between claim and hand-over (outcome unknown, "
      "failed after the grace, not resent): %d" % stranded)
print("imports (completed runs): filed %d, duplicates skipped %d, failed %d" % (
    imp["filed"], imp["duplicates"], imp["failed"]))
print("pocctl calls: " + ", ".join("%s %d" % (v, len(calls[v])) for v in sorted(calls)) +
      "; exit codes: " + ", ".join("%s=%d:%d" % (v, rc, n) for (v, rc), n in sorted(codes.items())))

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] if xs else 0
def ms(us):
    return "%.1f" % (us / 1000.0)
for f in sorted(glob.glob(H + "/txn/*.log")):
    kind = os.path.basename(f)[:-4]
    w = [l.split() for l in open(f) if " w " in l]
    r = [int(l.split()[2]) for l in open(f) if " r " in l]
    if w:
        wait = [int(x[2]) for x in w]; hold = [int(x[3]) for x in w]
        work = [int(x[3]) - (int(x[4]) if x[4].isdigit() else 0) for x in w]
        print("lock %-9s writes %5d: wait for the writer lock p50 %s p99 %s max %s ms; "
              "held p50 %s p99 %s max %s ms (before the commit p99 %s max %s ms)" % (
              kind, len(w), ms(pct(wait, .5)), ms(pct(wait, .99)), ms(max(wait)),
              ms(pct(hold, .5)), ms(pct(hold, .99)), ms(max(hold)), ms(pct(work, .99)), ms(max(work))))
    if r and kind in ("list", "show", "export", "watch"):
        print("lock %-9s reads  %5d: wait to begin p50 %s p99 %s max %s ms" % (
            kind, len(r), ms(pct(r, .5)), ms(pct(r, .99)), ms(max(r))))
for v in sorted(calls):
    print("call %-9s %5d: wall time p50 %s p99 %s max %s ms" % (
        v, len(calls[v]), ms(pct(calls[v], .5)), ms(pct(calls[v], .99)), ms(max(calls[v]))))
for p in problems[:40]:
    print("  " + p)
sys.exit(1 if problems else 0)
PY
[ "$daemon_kills" -ge "$ROUNDS" ] || fail "only $daemon_kills daemon kills in $ROUNDS rounds"
[ "$importer_kills" -ge 1 ] || fail "no importer was killed"
ok "$ROUNDS rounds in $((SECONDS - start_time)) s, $daemon_kills daemon and $importer_kills importer SIGKILLs: every message filed once, acknowledged at most once (signed: once), spool empty, exit codes documented, events in order"
