#!/bin/bash
# A wall clock that steps under a running daemon (a VM that boots before
# NTP, then is corrected): the daemon runs under libfaketime with its
# offset in a file the test rewrites (FAKETIME_TIMESTAMP_FILE,
# FAKETIME_NO_CACHE; the monotonic clock is left real).
#  1. Started 10 days ahead: `pocctl watch` on the real clock reports the
#     heartbeat in the future as filter-silent (clock stepped back?), not
#     as fresh.
#  2. Stepped back to the real time: the daemon logs the step, writes a
#     heartbeat and runs the paging check at once (a notice that could not
#     be decrypted pages decrypt-failed within seconds, not a minute).
#  3. Stepped 2 hours forward: logged, and decrypt-failed (CRITICAL,
#     PageRepeat 1h) repeats at once.
#  4. Stepped back again: the page sent "2 hours ahead" does not silence
#     the repeats: decrypt-failed pages at once again; the heartbeat is
#     fresh on the real clock.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
FT=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 /usr/lib/faketime/libfaketimeMT.so.1 2>/dev/null | head -1)
[ -n "$FT" ] || { echo "SKIP: libfaketime not installed (package faketime)"; exit 77; }
h_setup --pages --no-milter

count() { grep -c "\"reason\":\"$1\",\"status\":\"firing\"" "$H/pages.jsonl" || true; }
count_ge() { [ "$(count "$1")" -ge "$2" ]; }

# A GnuPG home with another vendor key than the one notices are encrypted
# to (the start refuses a home with none): every notice is filed as not
# decrypted (CRITICAL).
mkdir -m 700 "$H/nokeys"
h_genkey "$H/nokeys" "Vendor PSIRT <security@vendor.example>" >/dev/null
gpg --homedir "$H/nokeys" --batch --quiet --import "$H/coord.pub" 2>/dev/null
gpgconf --homedir "$H/nokeys" --kill all 2>/dev/null
chown -R "$POC_USER:" "$H/nokeys"
h_config "PageCommand $H/page.sh" "PageRepeat 1h" "HeartbeatMax 5m" "GnuPGHome $H/nokeys"

OFFSET="$H/faketime"
echo "+10d" >"$OFFSET"
chmod 644 "$OFFSET"
# The daemon under libfaketime, its clock read from the offset file. Under
# LD_PRELOAD of libfaketime (not without it: 0 in 20 starts), gpgme's calls
# at start now and then fail on a loaded machine ("GnuPG engine: Invalid
# crypto engine", "sign and encrypt: General error", a public key not found:
# 3 starts in 100 here), so a start refused for GnuPG is tried again, up
# to three times, and said so. Anything else fails the test.
start_faked() {
	rm -f "$MILTER_SOCKET"
	LD_PRELOAD="$FT" FAKETIME_TIMESTAMP_FILE="$OFFSET" FAKETIME_NO_CACHE=1 \
		FAKETIME_DONT_FAKE_MONOTONIC=1 "$POCMILTER" -f -c "$CONF" >>"$H/pocmilter.log" 2>&1 &
	MILTER_PID=$!
	export MILTER_PID
	h_wait_for 20 test -S "$MILTER_SOCKET"
}
for try in 1 2 3; do
	n0=$(wc -l <"$H/pocmilter.log" 2>/dev/null || echo 0)
	start_faked && break
	kill "$MILTER_PID" 2>/dev/null; wait "$MILTER_PID" 2>/dev/null
	why=$(tail -n +$((n0 + 1)) "$H/pocmilter.log" | grep -E 'GnuPG|sign and encrypt|public key|secret key' | tail -1)
	[ -n "$why" ] && [ "$try" -lt 3 ] || fail "pocmilter did not start under libfaketime (try $try)"
	echo "note: start $try under libfaketime refused for GnuPG, tried again: $why"
done

# 1. Ten days ahead: the heartbeat is in the future for the real clock.
h_wait_for 10 sh -c "'$POCCTL' -c '$CONF' watch | grep -q 'in the future'" ||
	fail "a heartbeat 10 days ahead was not reported: $("$POCCTL" -c "$CONF" watch)"
out=$("$POCCTL" -c "$CONF" watch)
[ $? = 2 ] || fail "pocctl watch exit with a future heartbeat (want 2): $out"
echo "$out" | grep -q 'CRITICAL filter-silent (heartbeat 86[0-9]*s in the future: clock stepped back?)' ||
	fail "filter-silent note: $out"
ok "clock 10 days ahead: $(echo "$out" | grep filter-silent)"

h_notice --tn 'JPCERT#31000001' --message-id '<clock-1@jpcert.example>' >"$H/n1.eml"
h_send "$H/n1.eml" || fail "SMTP send"
h_wait_for 30 sh -c "'$POCCTL' -c '$CONF' export | grep -q 'clock-1@'" || fail "notice not filed"
[ "$(h_field '<clock-1@jpcert.example>' decryption)" = failed ] || fail "notice was decrypted"

# 2. Back to the real time: the step is caught within seconds.
t0=$(date +%s)
echo "+0" >"$OFFSET"
h_wait_for 15 grep -q 'event=clock-step step=-86[0-9]*s' "$H/pocmilter.log" ||
	fail "no step back logged"
h_wait_for 15 count_ge decrypt-failed 1 || fail "no decrypt-failed page after the step back"
[ $(($(date +%s) - t0)) -lt 30 ] || fail "the check after the step came late"
out=$("$POCCTL" -c "$CONF" watch)
echo "$out" | grep -q 'filter-silent' && fail "filter-silent after the step back: $out"
age=$(echo "$out" | sed -n 's/.*heartbeat_age=\([0-9]*\)s.*/\1/p')
[ -n "$age" ] && [ "$age" -le 35 ] || fail "heartbeat not rewritten after the step back: $out"
ok "stepped back: $(grep -o 'event=clock-step step=[^ ]*' "$H/pocmilter.log" | tail -1), heartbeat_age=${age}s, decrypt-failed paged"

# 3. Two hours forward: logged, the CRITICAL page repeats at once.
echo "+2h" >"$OFFSET"
h_wait_for 15 grep -q 'event=clock-step step=+7[0-9]*s' "$H/pocmilter.log" ||
	fail "no step forward logged"
h_wait_for 15 count_ge decrypt-failed 2 || fail "decrypt-failed did not repeat after 2 hours forward"
ok "stepped forward 2h: decrypt-failed repeated (count $(count decrypt-failed))"

# 4. Back again: the page "2 hours ahead" does not hold the next one back.
echo "+0" >"$OFFSET"
h_wait_for 15 count_ge decrypt-failed 3 ||
	fail "decrypt-failed silenced by a page from 2 hours ahead"
h_wait_for 15 sh -c "'$POCCTL' -c '$CONF' watch | grep -q 'heartbeat_age=[0-9]s\|heartbeat_age=[12][0-9]s'" ||
	fail "heartbeat not fresh after the second step back: $("$POCCTL" -c "$CONF" watch)"
[ "$(grep -c 'event=clock-step' "$H/pocmilter.log")" = 3 ] ||
	fail "want 3 steps logged: $(grep 'event=clock-step' "$H/pocmilter.log")"
kill -0 "$MILTER_PID" || fail "the daemon died"
ok "stepped back again: decrypt-failed paged at once (count $(count decrypt-failed)), heartbeat fresh"
