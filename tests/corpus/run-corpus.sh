#!/bin/bash
# run-corpus.sh - make the notice corpus and check poc_notice_read on it
#
# For each tests/corpus/src/NN-name.txt the mail is made at test time
# (make-corpus.sh), read by tests/corpus/read_notice in the vendor's
# GnuPG home with the coordinator's key trusted, and every line of
# NN-name.expect is checked against the output:
#   key: value      the value must be exactly this ($FPR_* are expanded)
#   key~: text      the value must contain text
#   problems: >=N   at least N problems
# POC_CORPUS_SKIP="kind publication_date" skips keys (e.g. with another
# text module); POC_CORPUS_KEEP=DIR keeps the mails and keys in DIR.
set -u
srcdir=${srcdir:-.}
builddir=$(pwd)
reader=$builddir/tests/corpus/read_notice
corpus=$srcdir/tests/corpus/src
tmp=$(mktemp -d /tmp/pgXXXXXX)
cleanup() {
	for h in "$tmp/vendor" "$tmp/coord"; do
		[ -d "$h" ] && gpgconf --homedir "$h" --kill gpg-agent 2>/dev/null
	done
	[ -n "${POC_CORPUS_KEEP:-}" ] && { rm -rf "$POC_CORPUS_KEEP"; cp -r "$tmp" "$POC_CORPUS_KEEP"; }
	rm -rf "$tmp"
}
trap cleanup EXIT
bash "$srcdir/tests/corpus/make-corpus.sh" "$corpus" "$tmp/mail" "$tmp" || exit 99
. "$tmp/keys.env"
export FPR_VENDOR FPR_COORD FPR_THIRD FPR_UNKNOWN FPR_EXPIRED FPR_REVOKED

pass=0 fail=0 checks=0 right=0
for expect in "$corpus"/*.expect; do
	name=$(basename "$expect" .expect)
	mail=$tmp/mail/$name.eml
	[ -f "$mail" ] || { echo "FAIL $name: no mail made"; fail=$((fail + 1)); continue; }
	# shellcheck disable=SC2046
	out=$("$reader" -g "$tmp/vendor" -t "$FPR_COORD" -c vuls@jpcert.or.jp \
		-c info@jpcert.or.jp -o security@vendor.example $(cat "$tmp/mail/$name.args") \
		"$mail" 2>&1)
	status=$?
	bad=""
	[ $status -eq 0 ] || bad="read_notice exit $status"
	while IFS= read -r line; do
		case $line in ''|'#'*) continue ;; esac
		key=${line%%:*}
		want=$(eval "printf '%s' \"${line#*: }\"")
		case " ${POC_CORPUS_SKIP:-} " in *" ${key%\~} "*) continue ;; esac
		checks=$((checks + 1))
		before=$bad
		got=$(printf '%s\n' "$out" | grep -m1 "^${key%\~}: " | cut -d' ' -f2-)
		case $key in
		*~) case $got in *"$want"*) ;; *) bad="$bad
  ${key%\~}: '$got' does not contain '$want'" ;; esac ;;
		*) case $want in
		   '>='*) [ "${got:-0}" -ge "${want#>=}" ] 2>/dev/null || bad="$bad
  $key: '$got', want $want" ;;
		   *) [ "$got" = "$want" ] || bad="$bad
  $key: '$got', want '$want'" ;;
		   esac ;;
		esac
		[ "$bad" = "$before" ] && right=$((right + 1))
	done < "$expect"
	if [ -z "$bad" ]; then
		pass=$((pass + 1))
		echo "ok   $name"
	else
		fail=$((fail + 1))
		echo "FAIL $name$bad"
		printf '%s\n' "$out" | sed 's/^/    | /'
	fi
done
echo "corpus: $((pass + fail)) notices, $pass passed, $fail failed, $checks checks"
echo "corpus facts: $right right / $checks checked"
[ $fail -eq 0 ]
