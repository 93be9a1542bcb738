#!/bin/bash
# Filers racing (issue 10): tests/lib/stress_filer files garbage (random MIME,
# random bytes, huge headers, PGP armour) and real notices (signed and
# encrypted by the coordinator: decrypted, verified, acknowledgement
# composed, signed and encrypted) with several filer threads at once while
# a spooler thread keeps spooling, without an MTA in the way, so the
# threads meet far more often than under load.sh. Every message is filed
# once, none fails, every notice is read right and its acknowledgement
# queued, the process survives.
#   tests/e2e/stress.sh                     1,000 messages, 4 filers (make check)
#   N=2000 ROUNDS=20 WORKERS=8 tests/e2e/stress.sh    longer
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
STRESS="$BUILD/tests/lib/stress_filer"
[ -x "$STRESS" ] || make -C "$BUILD" tests/lib/stress_filer >/dev/null || fail "cannot build $STRESS"
N=${N:-500} ROUNDS=${ROUNDS:-2} WORKERS=${WORKERS:-4} NOTICES=${NOTICES:-20}
h_setup --no-postfix
h_on_fail() { h_tail "$H/stress.log" 5; }
PF_CONF=$H/no-postfix h_config
mkdir -p "$H/db" "$H/g" && chown "$POC_USER:" "$H/db"
python3 "$TOP/tests/lib/make-garbage.py" "$H/g" "$N" "${SEED:-11}" || fail "making garbage"
python3 "$TOP/bench/make-notices.py" "$GC" vuls@jpcert.example security@vendor.example 2000 \
	10000000 "$NOTICES" "$H/g" || fail "making notices"
chmod -R a+rX "$H/g"
out=$(runuser -u "$POC_USER" -- "$STRESS" -c "$CONF" -w "$WORKERS" -r "$ROUNDS" "$H"/g/*.eml 2>"$H/stress.log")
rc=$?
echo "$out"
[ $rc -eq 0 ] || fail "stress_filer exit $rc"
n=$(h_pocctl export | grep -o '"message_id":"<r[0-9]*-[0-9]*@' | sort -u | wc -l)
[ "$n" -ge $((N * ROUNDS)) ] || fail "$n filed of $((N * ROUNDS))"
good=$(h_pocctl export | grep '"message_id":"<bench-' | grep '"signature":"good"' | grep -c '"ack_state":"queued"')
[ "$good" -eq "$NOTICES" ] || fail "$good of $NOTICES notices read with a good signature and acknowledged"
ok "$((N * ROUNDS)) garbage messages and $NOTICES notices ($ROUNDS times each) filed by $WORKERS filers at once, each notice read (signature good) and its acknowledgement queued, process alive"
