#!/bin/bash
# pocctl's exit codes for people and scripts (pocctl(1)): 2 unknown id,
# 3 database missing or unreadable, 0 on success; each with a message.
set -u
: "${BUILD:?}"
POCCTL="$BUILD/pocctl/pocctl"
d=$(mktemp -d /tmp/pocctl-exit.XXXXXX)
trap 'chmod -R u+rwx "$d"; rm -rf "$d"' EXIT
printf 'Watch security@vendor.example\nDatabase %s/db\nAckMode off\n' "$d" >"$d/c.conf"
n=0
expect() { # CODE WORDS-IN-MESSAGE -- COMMAND...
	local code=$1 words=$2 out rc
	shift 3
	out=$("$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" != "$code" ] || ! grep -q "$words" <<<"$out"; then
		echo "FAIL: $* -> exit $rc, said: $out (want $code and '$words')"
		exit 1
	fi
	echo "ok: exit $code: $out"
	n=$((n + 1))
}
expect 3 "cannot read directory" -- "$POCCTL" -c "$d/c.conf" list
# An empty message file creates the database (filed as a message without any id).
printf 'Subject: hello\n\nhello\n' >"$d/m.eml"
"$POCCTL" -c "$d/c.conf" import "$d/m.eml" >/dev/null || { echo "FAIL: import"; exit 1; }
expect 2 "no case" -- "$POCCTL" -c "$d/c.conf" show 'JPCERT#00000001'
expect 0 "" -- "$POCCTL" -c "$d/c.conf" list
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 711 "$d"
	expect 3 "Permission denied" -- runuser -u nobody -- "$POCCTL" -c "$d/c.conf" list
fi
expect 1 "usage" -- "$POCCTL" -c "$d/c.conf" show
echo "pocctl exit codes: $n checks"
