#!/bin/bash
# run-bench.sh [RUNS] - make the notice corpus and time poc_notice_read on it
# Run from the build directory after `make bench/bench_notice`.
set -eu
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
runs=${1:-20}
tmp=$(mktemp -d /tmp/pgXXXXXX)
trap 'for h in "$tmp"/vendor "$tmp"/coord; do gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null; done; rm -rf "$tmp"' EXIT
bash "$srcdir/tests/corpus/make-corpus.sh" "$srcdir/tests/corpus/src" "$tmp/mail" "$tmp" >/dev/null
. "$tmp/keys.env"
./bench/bench_notice -g "$tmp/vendor" -t "$FPR_COORD" -n "$runs" "$tmp"/mail/*.eml
