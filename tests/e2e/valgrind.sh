#!/bin/bash
# The daemon under valgrind (issue 10): a few notices (one good, one
# forged, one garbage), acknowledgements sent, then SIGTERM. valgrind
# --leak-check=full must report no memory errors and no definite leaks at
# exit. Known false positives (PCRE2's JIT, ld.so's word-wise strncmp when
# iconv loads its ISO-2022-JP module) are suppressed, each with its reason,
# in tests/valgrind.supp. Skipped in a sanitizer build (valgrind cannot run
# those).
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
command -v valgrind >/dev/null || { echo "SKIP: no valgrind"; exit 77; }
if nm "$POCMILTER" 2>/dev/null | grep -q __asan_init; then
	echo "SKIP: a sanitizer build (valgrind cannot run it)"; exit 77
fi
h_setup --no-milter
h_config
POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"
h_on_fail() { tail -40 "$H/valgrind.log"; }
rm -f "$MILTER_SOCKET"
# Forked children (GnuPG, sendmail) are not ours to judge before they exec.
# No --error-exitcode: GPGME spawns through an intermediate child that
# _exit()s, valgrind would run its leak check there and turn that exit into
# the error code, and GPGME would take gpg for broken ("Invalid crypto
# engine"). The verdict is the main process's ERROR SUMMARY in the log
# (definite leaks count as errors there).
valgrind --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--child-silent-after-fork=yes --suppressions="$TOP/tests/valgrind.supp" \
	--num-callers=30 --log-file="$H/valgrind.log" \
	"$POCMILTER" -f -c "$CONF" >>"$H/pocmilter.log" 2>&1 &
MILTER_PID=$!
h_wait_for 120 test -S "$MILTER_SOCKET" || fail "pocmilter did not start under valgrind"
for i in 1 2; do
	h_notice --tn "JPCERT#9800000$i" --message-id "<vg-$i@jpcert.example>" >"$H/v$i.eml"
done
h_notice --tn "JPCERT#98000003" --message-id "<vg-3@jpcert.example>" --sign none >"$H/v3.eml"
printf 'From: x@y\nTo: security@vendor.example\nMessage-ID: <vg-4@x>\nContent-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: text/plain; charset=bogus\n\n\xff\xfe\n' >"$H/v4.eml"
for i in 1 2 3 4; do h_send "$H/v$i.eml" || fail "send $i"; done
h_wait_maildir 180 "$POC" 4 || fail "not delivered"
h_wait_maildir 300 "$COORD" 2 || fail "not acknowledged under valgrind"
sleep 5
kill -TERM "$MILTER_PID"
wait "$MILTER_PID"; rc=$?
MILTER_PID=
grep -E 'ERROR SUMMARY|definitely lost|indirectly lost|possibly lost' "$H/valgrind.log" | sed 's/^==[0-9]*== */valgrind: /'
[ $rc = 0 ] || fail "pocmilter under valgrind exited with $rc"
grep -q 'ERROR SUMMARY: 0 errors from 0 contexts' "$H/valgrind.log" ||
	fail "valgrind found memory errors or definite leaks"
ok "4 notices, 2 acknowledgements, SIGTERM: no memory errors, no definite leaks"
