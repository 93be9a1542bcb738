#!/bin/bash
# fuzz-long.sh - run every libFuzzer target for a long time (issue 10).
#   scripts/fuzz-long.sh [SECONDS-PER-TARGET] [JOBS]     default 3600 s, 1 job
# Builds build-fuzz/ (clang, ASan+UBSan, libFuzzer) if needed, then runs
# each tests/fuzz/fuzz_NAME over a working corpus fuzz-work/NAME seeded
# from tests/fuzz/corpus/NAME (new inputs stay in fuzz-work/ across runs;
# copy the interesting ones back into the seed corpus by hand). Crashes go
# to fuzz-work/NAME-crash-*; the script exits 1 when any target found one.
# Example for a night: scripts/fuzz-long.sh 10800 2
set -u
cd "$(dirname "$0")/.."
secs=${1:-3600} jobs=${2:-1}
mkdir -p build-fuzz fuzz-work
(cd build-fuzz &&
	{ [ -f Makefile ] || ../configure -q CC=clang --enable-fuzz \
		CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"; } &&
	make -j2 fuzz) || exit 1
rc=0
for t in build-fuzz/tests/fuzz/fuzz_*; do
	[ -x "$t" ] && [ "${t%.o}" = "$t" ] || continue
	name=${t##*/fuzz_}
	mkdir -p "fuzz-work/$name"
	dict=()
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	echo "== fuzz_$name for ${secs}s ($jobs job(s)), log fuzz-work/$name.log"
	"$t" "${dict[@]}" -max_len=65536 -max_total_time="$secs" -print_final_stats=1 \
		-jobs="$jobs" -workers="$jobs" -artifact_prefix="fuzz-work/$name-crash-" \
		"fuzz-work/$name" "tests/fuzz/corpus/$name" >"fuzz-work/$name.log" 2>&1 || rc=1
	grep -h -E 'stat::number_of_executed_units|ERROR|SUMMARY' "fuzz-work/$name.log" fuzz-work/fuzz-*.log 2>/dev/null | tail -5
	ls fuzz-work/"$name"-crash-* 2>/dev/null && rc=1
done
[ $rc = 0 ] && echo "fuzz-long: no crash" || echo "fuzz-long: CRASHES or errors, see fuzz-work/"
exit $rc
