#!/bin/bash
# config-errors.sh - a bad configuration line is an error "FILE:LINE: Key:
# what is wrong" and exit 1, the same from `pocmilter -n -c FILE` and from
# `pocctl -c FILE check-config`; a good file prints "FILE: OK", exit 0.
set -u
: "${TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${BUILD:=$TOP}"
POCMILTER="$BUILD/milter/pocmilter" POCCTL="$BUILD/src/pocctl"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C
fail=0 n=0

# expect NAME EXPECTED-MESSAGE EXTRA-LINES...: both programs, exit status and message.
expect() {
	local name=$1 want=$2 f="$tmp/$1.conf" out rc prog
	shift 2
	printf '# %s\nWatch security@vendor.example\n%s\n' "$name" "${ACKMODE_LINE:-AckMode off}" >"$f"
	for line in "$@"; do printf '%s\n' "$line" >>"$f"; done
	want=${want//FILE/$f}
	for prog in pocmilter pocctl; do
		n=$((n + 1))
		if [ $prog = pocmilter ]; then
			out=$("$POCMILTER" -n -c "$f" 2>&1); rc=$?
		else
			out=$("$POCCTL" -c "$f" check-config 2>&1); rc=$?
		fi
		if [ "$want" = OK ]; then
			[ $rc = 0 ] && [ "$out" = "$f: OK" ] && { echo "ok: $prog $name"; continue; }
		else
			[ $rc = 1 ] && [ "$out" = "$prog: $want" ] && { echo "ok: $prog $name"; continue; }
		fi
		echo "FAIL: $prog $name: exit $rc, said: $out"
		echo "      wanted: ${want/#/$prog: }"
		fail=1
	done
}

expect good OK "Coordinator vuls@jpcert.or.jp, cert@example.org" "Coordinator vu@example.net"
expect unknown-key 'FILE:4: Wacth: unknown key' "Wacth other@vendor.example"
ACKMODE_LINE="AckMode sometimes" \
expect bad-ackmode 'FILE:3: AckMode: "sometimes" is not one of auto, hold, off'
expect twice-user 'FILE:5: User: given twice (it takes one value)' "User pocmilter" "User nobody"
expect no-value 'FILE:4: PidFile: no value' "PidFile"
expect bad-address 'FILE:4: Watch: "not-an-address" is not a mail address' "Watch not-an-address"
expect bad-fingerprint 'FILE:4: CoordinatorKey: "ABCD" is not a 40-hex-digit fingerprint' "CoordinatorKey ABCD"
expect bad-size 'FILE:4: MaxMessageSize: "12X" is not a size (bytes, or with k, M, G)' "MaxMessageSize 12X"
expect huge-size 'FILE:4: DatabaseMaxSize: "99999999999G" is not a size (bytes, or with k, M, G)' "DatabaseMaxSize 99999999999G"
expect good-max-size OK "DatabaseMaxSize 2G"
expect bad-hostport "FILE:4: AckSmtp: \"127.0.0.1:x\" is not HOST:PORT (Unknown service 'x' specified in hostname '127.0.0.1:x')" "AckSmtp 127.0.0.1:x"
expect good-hostport OK "AckSmtp 127.0.0.1:25"
expect bad-mode 'FILE:4: SocketMode: "0999" is not an octal file mode' "SocketMode 0999"
expect bad-number 'FILE:4: MaxConnections: "0" is not a number from 1 to 4096' "MaxConnections 0"
expect bad-bool 'FILE:4: AddHeader: "maybe" is not yes or no' "AddHeader maybe"
expect bad-duration 'FILE:4: AckGuard: "2 weeks" is not a duration (like 30s, 5m, 4h, 3d)' "AckGuard 2 weeks"
expect bad-facility 'FILE:4: SyslogFacility: unknown syslog facility "kern"' "SyslogFacility kern"
expect bad-hours 'FILE:4: BusinessHours: "18:00-09:00" is not HH:MM-HH:MM with start before end' "BusinessHours 18:00-09:00"
expect bad-storefail 'FILE:4: OnStoreFailure: "reject" is not one of tempfail, accept' "OnStoreFailure reject"

# A check across keys names the file and the key.
f="$tmp/no-watch.conf"
printf 'AckMode off\n' >"$f"
for prog in pocmilter pocctl; do
	n=$((n + 1))
	if [ $prog = pocmilter ]; then out=$("$POCMILTER" -n -c "$f" 2>&1); rc=$?
	else out=$("$POCCTL" -c "$f" check-config 2>&1); rc=$?; fi
	case $rc:$out in
	"1:$prog: "*"no-watch.conf: Watch: no POC address is watched") echo "ok: $prog no-watch" ;;
	*) echo "FAIL: $prog no-watch: exit $rc, said: $out"; fail=1 ;;
	esac
done

# Files that cannot be read: missing, a directory, and (as root) one that
# the unprivileged user cannot read.
for f in "$tmp/missing.conf" "$tmp"; do
	for prog in pocmilter pocctl; do
		n=$((n + 1))
		if [ $prog = pocmilter ]; then out=$("$POCMILTER" -n -c "$f" 2>&1); rc=$?
		else out=$("$POCCTL" -c "$f" check-config 2>&1); rc=$?; fi
		case $rc:$out in
		"1:$prog: $f: "*) echo "ok: $prog unreadable $f" ;;
		*) echo "FAIL: $prog unreadable $f: exit $rc, said: $out"; fail=1 ;;
		esac
	done
done
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	f="$tmp/secret.conf"
	printf 'Watch security@vendor.example\nAckMode off\n' >"$f"
	chmod 600 "$f"; chmod 755 "$tmp"
	n=$((n + 1))
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$POCMILTER" -n -c "$f" 2>&1); rc=$?
	case $rc:$out in
	"1:pocmilter: $f: "*"Permission denied"*) echo "ok: pocmilter unreadable (permissions)" ;;
	126:*|127:*) echo "skip: the build directory is not reachable by nobody" ;;
	*) echo "FAIL: pocmilter unreadable (permissions): exit $rc, said: $out"; fail=1 ;;
	esac
fi

echo "$n checks"
exit $fail
