#!/bin/bash
# doc-drift.sh - the manuals say what the programs do (issue 20). Fails when:
#  - a pocctl verb or one of its options (from `pocctl VERB --help`) is not
#    in pocctl(1), or pocctl(1) names an option no verb takes;
#  - a pocmilter flag (from `pocmilter --help`) is not in pocmilter(8), or
#    pocmilter(8) lists a flag the program does not take;
#  - `--help` is not on stdout with exit 0 (watch: 3, as monitoring plugins);
#  - an example command line in README.md, doc/*.md or a man page uses a verb
#    or an option pocctl does not have, or a --template that no template
#    file provides;
#  - the page reasons of src/page.c (name, level) are not those of
#    doc/PAGING.md and doc/OPERATIONS.md.
# Config keys are kept equal to pocmilter.conf(5) by config-consistency.sh.
set -u
: "${TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${BUILD:=$TOP}"
POCMILTER="$BUILD/milter/pocmilter" POCCTL="$BUILD/pocctl/pocctl"
export LC_ALL=C
fail=0 n=0
bad() { echo "FAIL: $*"; fail=1; }
okk() { n=$((n + 1)); }
man_esc() { printf '%s' "$1" | sed 's/-/\\\\-/g'; }	# "check-config" -> "check\\-config" (a regex)

help=$("$POCCTL" --help); rc=$?
[ $rc = 0 ] && [ -n "$help" ] || bad "pocctl --help: exit $rc"
verbs=$(printf '%s\n' "$help" | sed -n 's/^  pocctl \([a-z-]*\).*/\1/p' | sort -u)
[ -n "$verbs" ] || bad "pocctl --help lists no verb"
declare -A vopts
all_opts=" --help --version $(printf '%s\n' "$help" | grep -v '^  pocctl ' | grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' ') "
for o in $all_opts; do
	grep -q -- "$(man_esc "$o")" "$TOP/man/pocctl.1" || bad "pocctl(1) does not name the option $o"
	okk
done
for v in $verbs; do
	out=$("$POCCTL" "$v" --help 2>/dev/null); rc=$?
	want=0; [ "$v" = watch ] && want=3
	[ $rc = $want ] && printf '%s\n' "$out" | grep -q "^usage: pocctl .*$v" || bad "pocctl $v --help: exit $rc (want $want), said: $out"
	okk
	grep -Eq "^\.B $(man_esc "$v")( |\\\\|$)" "$TOP/man/pocctl.1" || bad "pocctl(1) does not describe the verb $v"
	okk
	opts=$(printf '%s\n' "$out" | grep -o -- '--[a-z][a-z-]*' | sort -u | tr '\n' ' ')
	vopts[$v]=" $opts "
	all_opts="$all_opts$opts "
	for o in $opts; do
		[ "$o" = --help ] && continue
		grep -q -- "$(man_esc "$o")" "$TOP/man/pocctl.1" || bad "pocctl(1) does not name $v's option $o"
		okk
	done
done
for o in $(grep -oE '\\-\\-[a-z]([a-z]|\\-)*' "$TOP/man/pocctl.1" | sed 's/\\//g' | sort -u); do
	case "$all_opts" in *" $o "*) okk ;; *) bad "pocctl(1) names $o, which no verb takes" ;; esac
done

# pocmilter's flags, both ways.
mh=$("$POCMILTER" --help); rc=$?
[ $rc = 0 ] && [ -n "$mh" ] || bad "pocmilter --help: exit $rc"
"$POCMILTER" -h >/dev/null || bad "pocmilter -h: exit $?"
flags=$(printf '%s\n' "$mh" | grep -o -- ' -[a-zA-Z]\b' | tr -d ' -' | sort -u)
for f in $flags; do
	grep -Eq "^\.B \\\\-$f( |\\\\|$)|\\\\fB\\\\-$f\\\\fR" "$TOP/man/pocmilter.8" || bad "pocmilter(8) does not describe -$f"
	okk
done
for f in $(sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$TOP/man/pocmilter.8" | sed -n 's/^\.B \\-\([a-zA-Z]\).*/\1/p' | sort -u); do
	printf '%s\n' "$flags" | grep -qx "$f" && okk || bad "pocmilter(8) lists -$f, which pocmilter --help does not"
done

# Example command lines in the docs.
templates=$(ls "$TOP"/conf/templates/*/ | sed -n 's/\.tmpl$//p' | sort -u)
check_line() { # FILE LINE
	local file=$1 line=$2 verb rest o t
	# shellcheck disable=SC2086
	set -- $line
	shift	# pocctl
	while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
		case $1 in -c) shift 2 ;; *) shift ;; esac
	done
	verb=${1:-}
	[ -n "$verb" ] || return
	case " $(echo $verbs) " in *" $verb "*) okk ;; *) bad "$file: \"$line\": no verb $verb"; return ;; esac
	for o in $(printf '%s\n' "$line" | grep -o -- ' --[a-z][a-z-]*' | tr -d ' '); do
		case "${vopts[$verb]}" in *" $o "*) okk ;; *) bad "$file: \"$line\": $verb takes no $o" ;; esac
	done
	t=$(printf '%s\n' "$line" | sed -n 's/.*--template \([a-z0-9_-]*\)\( .*\)*$/\1/p')
	if [ -n "$t" ]; then
		printf '%s\n' "$templates" | grep -Eq "^($t|[a-z-]+-$t)$" && okk ||
			bad "$file: \"$line\": no template $t (conf/templates)"
	fi
}
for file in "$TOP/README.md" "$TOP"/doc/*.md "$TOP"/man/*.[158]; do
	while IFS= read -r line; do
		line=$(printf '%s' "$line" | sed -e 's/\\-/-/g' -e 's/^[$#] //' -e 's/^ *//' -e 's/[|;&].*//' -e 's/ *#.*//')
		check_line "${file#"$TOP"/}" "$line"
	done < <(grep -hE '^(\$ |# )? *pocctl( -c [^ ]+)? [a-z]' "$file" | grep -v '^pocctl \\-')
done

# Page reasons: reasons[] in src/page.c is the one list (name and level).
# doc/PAGING.md's table gives each with the same level, doc/OPERATIONS.md's
# "When paged" says what to do for each, morning-summary included; no other.
reasons=$(sed -n 's/^\t\[R_[A-Z_]*\] = { "\([a-z-]*\)", POC_PAGE_\([A-Z]*\) },$/\1 \2/p' "$TOP/src/page.c" | sort)
[ "$(printf '%s\n' "$reasons" | grep -c .)" -ge 10 ] && okk || bad "src/page.c: no reasons[] table read"
grep -q '"morning-summary"' "$TOP/src/page.c" && okk || bad "src/page.c: no morning-summary page"
paging=$(sed -n '/^## Reasons/,/^## [^R]/p' "$TOP/doc/PAGING.md" |
	sed -n 's/^| `\([a-z-]*\)` | \(WARNING\|CRITICAL\).*/\1 \2/p' | sort)
[ "$reasons" = "$paging" ] && okk || bad "doc/PAGING.md's reasons differ from src/page.c's (< page.c, > PAGING.md):
$(diff <(printf '%s\n' "$reasons") <(printf '%s\n' "$paging") | grep '^[<>]')"
grep -q '`morning-summary`' "$TOP/doc/PAGING.md" && okk || bad "doc/PAGING.md does not describe morning-summary"
ops=$(sed -n '/^## When paged/,/^## [^W]/p' "$TOP/doc/OPERATIONS.md" | grep '^| `' | cut -d'|' -f2 |
	grep -o '`[a-z-]*`' | tr -d '`' | sort)
want=$( (printf '%s\n' "$reasons" | cut -d' ' -f1; echo morning-summary) | sort)
[ "$ops" = "$want" ] && okk || bad "doc/OPERATIONS.md (When paged) reasons differ from src/page.c's (< page.c, > OPERATIONS.md):
$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$ops") | grep '^[<>]')"

# The bash completion reads the same help: a verb and an option complete.
complete_words() { # WORDS... -> COMPREPLY of the last word
	( PATH="$(dirname "$POCCTL"):$PATH"
	  # shellcheck disable=SC1091
	  . "$TOP/conf/pocctl.bash-completion"
	  COMP_WORDS=(pocctl "$@"); COMP_CWORD=$#
	  _pocctl; printf '%s\n' "${COMPREPLY[@]}" )
}
[ "$(complete_words li)" = list ] && okk || bad "completion of 'pocctl li': $(complete_words li)"
complete_words list --una | grep -qx -- --unacked && okk || bad "completion of 'pocctl list --una'"
complete_words -c x.conf chec | grep -qx check-config && okk || bad "completion after -c FILE"

echo "$n checks"
[ $fail = 0 ] && echo "ok: pocctl(1), pocmilter(8), --help and the examples agree"
exit $fail
