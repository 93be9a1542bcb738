#!/bin/bash
# shape.sh - the code's shape, for a refactor's before/after note:
#   lines per module (src/, pocctl/, milter/), the longest functions,
#   the include graph between our own headers (and whether it has a cycle),
#   which files include lmdb.h.
#   scripts/shape.sh [N]     N longest functions (default 10)
# A function is counted from its name at the start of a line to the
# closing brace at the start of a line (the project's style, see STYLE.md).
set -u
cd "$(dirname "$0")/.."
N=${1:-10}
files=$(ls src/*.c src/*.h pocctl/*.c pocctl/*.h milter/*.c milter/*.h 2>/dev/null)

echo "== lines per module (.c + .h)"
for f in $files; do echo "${f%.*}"; done | sort -u | while read -r m; do
	n=$(cat "$m".[ch] 2>/dev/null | wc -l)
	printf '%6d %s\n' "$n" "$m"
done | sort -rn
printf '%6d total\n' "$(cat $files | wc -l)"

echo "== the $N longest functions"
for f in $files; do
	case $f in *.c) ;; *) continue ;; esac
	awk -v f="$f" '
		/^[A-Za-z_][A-Za-z0-9_]*\(/ && !start { name = $0; sub(/\(.*/, "", name); start = NR; next }
		start && /^}/ { printf "%5d %s %s:%d\n", NR - start + 1, name, f, start; start = 0 }
		start && /;[ \t]*$/ && NR == start { start = 0 }' "$f"
done | sort -rn | head -"$N"

echo "== include graph (our headers)"
edges=$(for f in $files; do
	for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		echo "$(basename "${f%.*}") $(basename "${h%.h}")"
	done
done | awk '$1 != $2' | sort -u)
echo "$edges" | awk '{ a[$1] = a[$1] " " $2 } END { for (k in a) print k ":" a[k] }' | sort
if echo "$edges" | tsort >/dev/null 2>/tmp/shape.$$; then
	echo "cycles: none"
else
	echo "cycles: $(grep -c . /tmp/shape.$$) lines from tsort:"; cat /tmp/shape.$$
fi
rm -f /tmp/shape.$$

echo "== files that include lmdb.h"
grep -l '#include <lmdb.h>' $files || echo "(none)"
