#!/bin/bash
# config-errors.sh - a bad configuration line is an error "FILE:LINE: Key:
# what is wrong" and exit 1, the same from `pocmilter -n -c FILE` and from
# `pocctl -c FILE check-config`; a good file prints "FILE: OK", exit 0.
set -u
: "${TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${BUILD:=$TOP}"
POCMILTER="$BUILD/milter/pocmilter" POCCTL="$BUILD/pocctl/pocctl"
tmp=$(mktemp -d /tmp/ceXXXXXX) || exit 1
export LC_ALL=C
fail=0 n=0

# A machine the checks pass on (preflight.c): a GnuPG home with our secret
# key and the coordinator's public key, the socket's, database's and pid
# file's directories, and (as root) User pocmilter owning the GnuPG home.
chmod 755 "$tmp"
mkdir -p "$tmp/run" "$tmp/var"
mkdir -m 700 "$tmp/gv" "$tmp/gc"
genkey() { # HOME UID
	gpg --homedir "$1" --batch --quiet --passphrase '' --pinentry-mode loopback \
		--quick-gen-key "$2" ed25519 sign never 2>/dev/null || return 1
	local fpr
	fpr=$(gpg --homedir "$1" --with-colons --list-keys "$2" | awk -F: '/^fpr/{print $10; exit}')
	gpg --homedir "$1" --batch --quiet --passphrase '' --pinentry-mode loopback \
		--quick-add-key "$fpr" cv25519 encr never 2>/dev/null || return 1
	echo "$fpr"
}
VFPR=$(genkey "$tmp/gv" "Vendor PSIRT <security@vendor.example>") || { echo "FAIL: gpg"; exit 1; }
CFPR=$(genkey "$tmp/gc" "JPCERT/CC Test <vuls@jpcert.example>") || { echo "FAIL: gpg"; exit 1; }
gpg --homedir "$tmp/gc" --batch --quiet --export "$CFPR" | gpg --homedir "$tmp/gv" --batch --quiet --import 2>/dev/null
gpgconf --homedir "$tmp/gv" --kill all 2>/dev/null
gpgconf --homedir "$tmp/gc" --kill all 2>/dev/null
USER_LINE=
if [ "$(id -u)" = 0 ]; then
	id pocmilter >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin pocmilter
	chown -R pocmilter: "$tmp/gv"
	USER_LINE="User pocmilter"
fi
cleanup() {
	gpgconf --homedir "$tmp/gv" --kill all 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
base() { # the lines every test file starts with
	printf 'Socket unix:%s/run/s.sock
Database %s/var/db
PidFile %s/run/p.pid
GnuPGHome %s/gv
%s
' \
		"$tmp" "$tmp" "$tmp" "$tmp" "$USER_LINE"
	printf 'Coordinator vuls@jpcert.example\nCoordinatorKey %s\nAckFrom security@vendor.example\nTemplateDir %s/conf/templates\n' "$CFPR" "$TOP"
}

# expect NAME EXPECTED-MESSAGE EXTRA-LINES...: both programs, exit status and message.
expect() {
	local name=$1 want=$2 f="$tmp/$1.conf" out rc prog
	shift 2
	printf '# %s\nWatch security@vendor.example\n%s\n' "$name" "${ACKMODE_LINE:-AckMode off}" >"$f"
	for line in "$@"; do printf '%s\n' "$line" >>"$f"; done
	base | grep -v "^${BASE_SKIP:-^}" | grep -v '^$' >>"$f"
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

# The checks against the machine (preflight.c): every problem, each on its
# own line naming FILE:LINE: Key, exit 1 from both programs; and the daemon
# refuses to start on the same file. expect_error NAME WANT LINES...: WANT is
# one line of the output (FILE stands for the file).
expect_error() {
	local name=$1 want=$2 f="$tmp/$1.conf" out rc prog
	shift 2
	{ printf '# %s\nWatch security@vendor.example\n%s\n' "$name" "${ACKMODE_LINE:-AckMode off}"
	  for line in "$@"; do printf '%s\n' "$line"; done
	  base | grep -v "^${BASE_SKIP:-^}" | grep -v '^$'; } >"$f"
	chmod 644 "$f"
	want=${want//FILE/$f}
	for prog in pocmilter pocctl daemon; do
		n=$((n + 1))
		case $prog in
		pocmilter) out=$("$POCMILTER" -n -c "$f" 2>&1); rc=$? ;;
		pocctl) out=$("$POCCTL" -c "$f" check-config 2>&1); rc=$? ;;
		daemon) out=$(timeout 20 "$POCMILTER" -f -c "$f" 2>&1); rc=$? ;;
		esac
		local p=$prog; [ $p = daemon ] && p=pocmilter
		if [ "$want" = OK ]; then
			[ $rc = 0 ] && [ $prog != daemon ] && printf '%s\n' "$out" | grep -qxF "$f: OK" &&
				{ echo "ok: $prog $name"; continue; }
			[ $prog = daemon ] && { n=$((n - 1)); continue; }
		elif [ "${want#warning: }" != "$want" ]; then
			[ $prog = daemon ] && { n=$((n - 1)); continue; }
			[ $rc = 0 ] && printf '%s\n' "$out" | grep -qxF "$p: $want" &&
				printf '%s\n' "$out" | grep -qxF "$f: OK" && { echo "ok: $prog $name"; continue; }
		else
			if [ $rc = 1 ] && printf '%s\n' "$out" | grep -qxF "$p: $want"; then
				[ $prog != daemon ] || printf '%s\n' "$out" | grep -q "^pocmilter: not started: " &&
					{ echo "ok: $prog $name"; continue; }
			fi
		fi
		echo "FAIL: $prog $name: exit $rc, said: $out"
		echo "      wanted: $p: $want"
		fail=1
	done
}
if [ "$(id -u)" = 0 ]; then
	ACKMODE_LINE="AckMode hold" expect_error machine-good OK
	BASE_SKIP=Socket expect_error socket-tcp \
		'FILE:4: Socket: "tcp:1234": not unix:PATH, local:PATH, inet:PORT@HOST or inet6:PORT@HOST' "Socket tcp:1234"
	BASE_SKIP=Socket expect_error socket-inet-bogus \
		'FILE:4: Socket: "inet:bogus": "bogus" is not a port (inet:PORT@HOST)' "Socket inet:bogus"
	BASE_SKIP=Socket expect_error socket-no-dir \
		'FILE:4: Socket: directory /nonexistent/dir: No such file or directory' "Socket unix:/nonexistent/dir/x.sock"
	BASE_SKIP=Socket expect_error socket-relative \
		'FILE:4: Socket: "unix:run/x.sock": a unix socket needs an absolute path' "Socket unix:run/x.sock"
	BASE_SKIP=GnuPGHome expect_error gnupg-missing \
		"FILE:4: GnuPGHome: $tmp/nogpg: No such file or directory" "GnuPGHome $tmp/nogpg"
	mkdir -m 000 "$tmp/gpg000"
	BASE_SKIP=GnuPGHome expect_error gnupg-mode-000 \
		"FILE:4: GnuPGHome: $tmp/gpg000: Permission denied" "GnuPGHome $tmp/gpg000"
	: >"$tmp/gpgfile"
	BASE_SKIP=GnuPGHome expect_error gnupg-a-file \
		"FILE:4: GnuPGHome: $tmp/gpgfile is not a directory" "GnuPGHome $tmp/gpgfile"
	mkdir -m 700 "$tmp/gpgempty"; chown pocmilter: "$tmp/gpgempty"
	BASE_SKIP=GnuPGHome expect_error gnupg-no-secret-key \
		"FILE:4: GnuPGHome: $tmp/gpgempty holds no secret key: no notice can be decrypted" "GnuPGHome $tmp/gpgempty"
	BASE_SKIP=User expect_error no-such-user 'FILE:4: User: nosuchuser: no such user' "User nosuchuser"
	BASE_SKIP=User expect_error no-user-as-root 'FILE: User (not set): required when started as root'
	expect_error page-command-missing 'FILE:4: PageCommand: /nonexistent/page: No such file or directory' \
		"PageCommand /nonexistent/page --now"
	ACKMODE_LINE="AckMode hold" expect_error sendmail-missing \
		'FILE:4: AckSendmail: /nonexistent/sendmail: No such file or directory' "AckSendmail /nonexistent/sendmail -t"
	BASE_SKIP=Database expect_error database-typo \
		'FILE:4: Database: directory /nonexistent/dir: No such file or directory (it is not created)' \
		"Database /nonexistent/dir/db"
	[ ! -e /nonexistent/dir ] || { echo "FAIL: /nonexistent/dir was created"; fail=1; }
	BASE_SKIP=PidFile expect_error pidfile-typo \
		'FILE:4: PidFile: directory /nonexistent/run: No such file or directory (it is not created)' \
		"PidFile /nonexistent/run/p.pid"
	BASE_SKIP=CoordinatorKey expect_error coordinator-key-missing \
		"FILE:4: CoordinatorKey: 0123456789ABCDEF0123456789ABCDEF01234567: no such public key in GnuPGHome $tmp/gv" \
		"CoordinatorKey 0123456789ABCDEF0123456789ABCDEF01234567"
	BASE_SKIP=AckFrom ACKMODE_LINE="AckMode hold" expect_error ack-key-missing \
		"FILE:4: AckFrom: nobody@vendor.example: cannot sign and encrypt an acknowledgement: no usable secret key for signing as nobody@vendor.example" \
		"AckFrom nobody@vendor.example"
	BASE_SKIP=CoordinatorKey ACKMODE_LINE="AckMode auto" expect_error auto-without-key \
		'warning: FILE: CoordinatorKey (not set): not set with AckMode auto: no signature can be good, so every notice is held for a person'
	# A file that User cannot read: the start works, the first reload would not.
	f="$tmp/root-only.conf"
	{ printf 'Watch security@vendor.example\nAckMode off\n'; base; } >"$f"; chmod 600 "$f"
	n=$((n + 1))
	out=$("$POCMILTER" -n -c "$f" 2>&1); rc=$?
	if [ $rc = 1 ] && printf '%s\n' "$out" | grep -qF "pocmilter: $f: pocmilter cannot read it (Permission denied): a reload would fail"; then
		echo "ok: pocmilter unreadable by User"
	else
		echo "FAIL: pocmilter unreadable by User: exit $rc, said: $out"; fail=1
	fi
	# All problems at once, not only the first.
	f="$tmp/many.conf"
	{ printf 'Watch security@vendor.example\nAckMode off\nSocket tcp:1\nUser nosuchuser\nDatabase /nonexistent/d/db\n'
	  printf 'GnuPGHome %s/nogpg\nPageCommand /nonexistent/p\n' "$tmp"; } >"$f"; chmod 644 "$f"
	n=$((n + 1))
	out=$("$POCMILTER" -n -c "$f" 2>&1); rc=$?
	if [ $rc = 1 ] && [ "$(printf '%s\n' "$out" | grep -c "^pocmilter: $f:[0-9]*: ")" -ge 4 ]; then
		echo "ok: pocmilter reports every problem"
	else
		echo "FAIL: pocmilter reports every problem: exit $rc, said: $out"; fail=1
	fi
fi

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
