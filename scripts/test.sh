#!/bin/bash
# test.sh - the whole test suite, from a fresh Debian 12 as root:
#   1. dependencies (scripts/deps.sh), build with -Wall -Wextra -Werror;
#   2. `make check`: unit tests (Check), the corpus, the end-to-end tests
#      with a real postfix, gpg-agent and LMDB on 127.0.0.1;
#   3. all of it again under ASan+UBSan (clang, build-asan/): the daemon and
#      pocctl in the end-to-end tests too;
#   4. the fuzz targets built with libFuzzer, run over their seed corpora;
#   5. the Debian package built, installed, used and purged
#      (tests/e2e/package.sh, about 2 minutes).
# Ends with one line "N passed, N failed" over all of it; exit 0 only if
# nothing failed.
set -u
cd "$(dirname "$0")/.."
TOP=$(pwd)
scripts/deps.sh || exit 1
scripts/build.sh || exit 1

pass=0 fail=0 skip=0
# Count what each test checked, not only test programs: Check's own totals,
# the corpus's, and the "ok:" steps of an end-to-end script.
count() { # a build directory after make check
	local trs log res n f
	for trs in $(find "$1" -name '*.trs' 2>/dev/null); do
		log=${trs%.trs}.log
		res=$(sed -n 's/^:test-result: //p' "$trs" | head -1)
		case $res in
		SKIP) skip=$((skip + 1)); continue ;;
		PASS | XFAIL) ;;
		*) fail=$((fail + 1)); continue ;;
		esac
		if n=$(grep -Eo 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -1) && [ -n "$n" ]; then
			set -- $(echo "$n" | tr -dc '0-9 ')
			pass=$((pass + $1 - $2 - $3)) fail=$((fail + $2 + $3))
		elif n=$(sed -n 's/^corpus: .* \([0-9]*\) passed, \([0-9]*\) failed.*/\1 \2/p' "$log") && [ -n "$n" ]; then
			set -- $n
			pass=$((pass + $1)) fail=$((fail + $2))
		else
			f=$(grep -c '^ok' "$log")
			pass=$((pass + (f > 0 ? f : 1)))
		fi
	done
}
section() { printf '\n==== %s ====\n' "$*"; }

section "make check"
make -C build -j2 check; rc=$?
count build
[ $rc -eq 0 ] || { fail=$((fail + 1)); tail -80 build/test-suite.log; }

section "the whole make check again under ASan+UBSan"
mkdir -p build-asan
(cd build-asan &&
	{ [ -f Makefile ] || ../configure -q CC=clang --enable-werror \
		CFLAGS="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"; } &&
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 CK_TIMEOUT_MULTIPLIER=4 \
	make -j2 check) ; rc=$?
count build-asan
[ $rc -eq 0 ] || { fail=$((fail + 1)); tail -80 build-asan/test-suite.log; }

section "fuzz targets over their seed corpora"
mkdir -p build-fuzz
(cd build-fuzz &&
	{ [ -f Makefile ] || ../configure -q CC=clang --enable-fuzz \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"; } &&
	make -j2 fuzz) ; rc=$?
if [ $rc -ne 0 ]; then
	fail=$((fail + 1))
else
	for t in build-fuzz/tests/fuzz/fuzz_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		corpus="tests/fuzz/corpus/${name#fuzz_}"
		# New inputs go to the first directory: a scratch one, not the seeds.
		rm -rf "build-fuzz/new-$name" && mkdir -p "build-fuzz/new-$name"
		if "$t" -runs=0 "$corpus" >"build-fuzz/$name.log" 2>&1 &&
			"$t" -runs=2000 -max_total_time=30 "build-fuzz/new-$name" "$corpus" \
				>>"build-fuzz/$name.log" 2>&1; then
			echo "PASS: $name (seed corpus, then 2000 runs)"; pass=$((pass + 1))
		else
			echo "FAIL: $name"; tail -30 "build-fuzz/$name.log"; fail=$((fail + 1))
		fi
	done
fi

section "the Debian package: build, install, one notice, purge (tests/e2e/package.sh)"
# Outside make check: it builds everything once more (dpkg-buildpackage).
t0=$SECONDS
BUILD="$TOP/build" TOP="$TOP" bash tests/e2e/package.sh >build/package.log 2>&1; rc=$?
cat build/package.log
case $rc in
0) n=$(grep -c '^ok' build/package.log); pass=$((pass + n)) ;;
77) skip=$((skip + 1)) ;;
*) fail=$((fail + 1)) ;;
esac
echo "package test: exit $rc in $((SECONDS - t0)) s"

echo
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
