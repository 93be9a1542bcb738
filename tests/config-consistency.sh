#!/bin/bash
# config-consistency.sh - the sample conf/pocmilter.conf and the KEYS section
# of man/pocmilter.conf.5 must be exactly what the key table in src/conf.c
# makes (`pocmilter -C`, `pocmilter -M`), and every key of the table must
# parse with its default or example.
#
#   tests/config-consistency.sh            check (make check runs it)
#   tests/config-consistency.sh --update   rewrite both files from the table
#                                          (make update-generated)
set -u
: "${TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${BUILD:=$TOP}"
POCMILTER="$BUILD/milter/pocmilter"
SAMPLE="$TOP/conf/pocmilter.conf"
MAN="$TOP/man/pocmilter.conf.5"
BEGIN='.\" BEGIN GENERATED KEYS'
END='.\" END GENERATED KEYS'

[ -x "$POCMILTER" ] || { echo "FAIL: $POCMILTER not built"; exit 1; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The man page with its generated section replaced by `pocmilter -M`.
"$POCMILTER" -M >"$tmp/keys.man" || { echo "FAIL: pocmilter -M"; exit 1; }
# (awk -v would eat the backslashes of the markers: pass them in the environment.)
B="$BEGIN" E="$END" KEYS="$tmp/keys.man" awk '
	$0 == ENVIRON["B"] { print; while ((getline l < ENVIRON["KEYS"]) > 0) print l; skip = 1; next }
	$0 == ENVIRON["E"] { skip = 0 }
	!skip { print }' "$MAN" >"$tmp/man.new"
"$POCMILTER" -C >"$tmp/sample.new" || { echo "FAIL: pocmilter -C"; exit 1; }

if [ "${1:-}" = --update ]; then
	cp "$tmp/sample.new" "$SAMPLE" && cp "$tmp/man.new" "$MAN" && echo "updated $SAMPLE $MAN"
	exit
fi

fail=0
grep -qxF "$BEGIN" "$MAN" && grep -qxF "$END" "$MAN" ||
	{ echo "FAIL: $MAN lacks the GENERATED KEYS markers"; fail=1; }
if ! diff -u "$SAMPLE" "$tmp/sample.new"; then
	echo "FAIL: conf/pocmilter.conf is not what 'pocmilter -C' prints: run make update-generated"
	fail=1
fi
if ! diff -u "$MAN" "$tmp/man.new"; then
	echo "FAIL: man/pocmilter.conf.5 KEYS differ from 'pocmilter -M': run make update-generated"
	fail=1
fi

# Every key of the table appears in the sample and the manual, once.
keys=$(sed -n 's/^#\([A-Z][A-Za-z]*\) .*/\1/p' "$tmp/sample.new")
[ "$(echo "$keys" | wc -l)" -ge 40 ] || { echo "FAIL: only $(echo "$keys" | wc -l) keys in the sample"; fail=1; }
for k in $keys; do
	n=$(grep -c "^\.BI $k \"" "$tmp/man.new")
	[ "$n" = 1 ] || { echo "FAIL: key $k appears $n times in the manual"; fail=1; }
done
# The keys of the contract (PRODUCT.md) are there.
for k in Socket Watch Coordinator CoordinatorKey GnuPGHome Database AckMode AckFrom \
	AckSendmail TemplateDir BusinessHours Closures PageCommand User; do
	echo "$keys" | grep -qx "$k" || { echo "FAIL: contract key $k missing"; fail=1; }
done

# Uncommented, every default and example parses (paths that must exist
# point into a scratch directory).
mkdir -p "$tmp/templates/ja" "$tmp/templates/en"
cp "$TOP"/conf/templates/ja/*.tmpl "$tmp/templates/ja/"
cp "$TOP"/conf/templates/en/*.tmpl "$tmp/templates/en/"
: >"$tmp/kinds.rules" && : >"$tmp/holidays.txt"
sed -e 's/^#\([A-Z][A-Za-z]*\) /\1 /' \
	-e "s#^TemplateDir .*#TemplateDir $tmp/templates#" \
	-e "s#^KindRules .*#KindRules $tmp/kinds.rules#" \
	-e "s#^HolidayFile .*#HolidayFile $tmp/holidays.txt#" \
	-e "s#^Socket .*#Socket unix:$tmp/s.sock#" \
	-e "s#^Database .*#Database $tmp/db#" \
	-e "s#^PidFile .*#PidFile $tmp/p.pid#" \
	"$tmp/sample.new" >"$tmp/all.conf"
chmod 755 "$tmp" && chmod 644 "$tmp/all.conf" && chmod -R a+rX "$tmp/templates"
# Every key parses; what -n then finds on this machine (no GnuPG home, no
# keys, no paging command here) is about the machine, not the syntax.
out=$("$POCMILTER" -n -c "$tmp/all.conf" 2>&1)
bad=$(printf '%s\n' "$out" | grep -v -e '^$' -e ': GnuPGHome: ' -e ': PageCommand: ' -e ': AckSendmail: ' \
	-e ': CoordinatorKey: [0-9A-F]*: ' -e ': AckEncryptTo: [0-9A-F]*: ' -e ': AckSignKey: [^ ]*: cannot sign' \
	-e ': User: pocmilter: no such user' -e ': SocketGroup: postfix: no such group' \
	-e '^pocmilter: warning: ')
if [ -z "$bad" ]; then
	echo "ok: the sample, uncommented, is a valid configuration"
else
	echo "FAIL: the sample, uncommented, does not load: $bad"
	fail=1
fi
[ $fail = 0 ] && echo "ok: conf/pocmilter.conf and pocmilter.conf(5) match the key table"
exit $fail
