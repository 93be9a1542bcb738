#!/bin/bash
# package.sh - the Debian package, installed on this machine as an admin
# would (debian/pocmilter.README.Debian), and one notice through it:
#   1. dpkg-buildpackage -us -uc -b in a copy of the source tree; lintian
#      (when installed) reports no error or warning;
#   2. apt-get install ./pocmilter_*.deb: programs, units, manuals, docs,
#      the user, the directories and modes (state 0750, GnuPG home 0700,
#      config 0640 root:pocmilter); the installed `pocmilter -n` refuses the
#      unfilled conffile naming what is missing; systemd-analyze verify;
#   3. the site's part: the keys imported into /var/lib/pocmilter/gnupg,
#      Watch/Coordinator/CoordinatorKey/AckFrom filled in; the daemon
#      started with the unit's own ExecStartPre and ExecStart (no systemd
#      PID 1 here) under a NOTIFY_SOCKET: READY=1 once the socket listens,
#      WATCHDOG=1 while it runs; one notice through the private postfix is
#      filed in /var/lib/pocmilter/db (0700) and acknowledged;
#   4. apt-get purge: programs, configuration, statoverride and
#      /run/pocmilter gone; the database and the user stay.
# Then the machine is put back as it was (a trap, on failure too): the
# package purged, the directories it made removed, pocmilter's groups as
# before. Skipped when the package or its directories are here already (not
# a machine to test on) or the build tools are missing (scripts/deps.sh).
#
# Not in `make check` (it builds everything once more: ~2 min on 2 cores);
# scripts/test.sh runs it. By hand: BUILD=$PWD/build tests/e2e/package.sh
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/lib/harness.sh"
h_need_root
for t in dpkg-buildpackage dh apt-get; do
	command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/deps.sh installs it)"; exit 77; }
done
# One package test at a time on a machine (before anything is looked at).
exec 9>/run/lock/pocmilter-package.lock
flock -n 9 || { echo "SKIP: another package test runs"; exit 77; }
if dpkg-query -W -f '${Status}' pocmilter 2>/dev/null | grep -q 'ok installed' ||
	[ -e /etc/pocmilter ] || [ -e /var/lib/pocmilter ] || [ -e /run/pocmilter ]; then
	echo "SKIP: pocmilter is installed here already (package or /etc, /var/lib, /run/pocmilter)"
	exit 77
fi

START=$SECONDS

h_init
groups_before=$(id -nG pocmilter 2>/dev/null)
user_before=$(getent passwd pocmilter)
undo() {
	local rc=$?
	[ -n "${LISTENER:-}" ] && kill "$LISTENER" 2>/dev/null
	h_milter_stop
	if dpkg-query -W -f '${Status}' pocmilter 2>/dev/null | grep -qv 'not-installed'; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -q pocmilter >"$H/undo-purge.log" 2>&1 ||
			dpkg --purge pocmilter >>"$H/undo-purge.log" 2>&1
	fi
	rm -rf /var/lib/pocmilter /etc/pocmilter /run/pocmilter
	dpkg-statoverride --remove /etc/pocmilter/pocmilter.conf >/dev/null 2>&1
	# The package adds pocmilter to postdrop; put its groups back as they were.
	if [ -n "$user_before" ] && ! echo " $groups_before " | grep -q ' postdrop '; then
		gpasswd -d pocmilter postdrop >/dev/null 2>&1
	fi
	(exit $rc)
	h_cleanup
}
trap undo EXIT

# --- 1. build ------------------------------------------------------------------
t0=$SECONDS
mkdir -p "$H/pkg/src"
if [ -n "${PKG_DIR:-}" ]; then	# debugging: .debs and .changes built before
	cp "$PKG_DIR"/*.deb "$PKG_DIR"/*.changes "$PKG_DIR"/*.buildinfo "$H/pkg/" || fail "PKG_DIR $PKG_DIR"
else
	# A copy without builds, the VCS and generated autotools files: the build
	# must start from what a fresh clone has.
	(cd "$TOP" && tar --exclude=./build --exclude='./build-*' --exclude=./.git --exclude=./autom4te.cache \
		--exclude=./configure --exclude=./Makefile.in --exclude=./aclocal.m4 --exclude=./config.h.in \
		--exclude=./build-aux --exclude=./fuzz-work -cf - .) | tar -xf - -C "$H/pkg/src" || fail "copy the source"
	# The unit tests run in make check already (debian/rules runs them without nocheck).
	(cd "$H/pkg/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
		>"$H/dpkg-buildpackage.log" 2>&1 || { tail -40 "$H/dpkg-buildpackage.log"; fail "dpkg-buildpackage"; }
fi
DEB=$(ls "$H"/pkg/pocmilter_*.deb) && DEV=$(ls "$H"/pkg/libpocdb-dev_*.deb) || fail "no .deb built"
ok "dpkg-buildpackage -b: $(basename "$DEB") $(basename "$DEV") in $((SECONDS - t0)) s"
if command -v lintian >/dev/null; then
	# All tags down to pedantic are shown; errors and warnings (the
	# default level) fail. Overrides: debian/*.lintian-overrides.
	lintian --info --pedantic --show-overrides "$H"/pkg/*.changes 2>&1 | grep -v 'running with root' |
		tee "$H/lintian.log" | sed 's/^/lintian: /'
	grep -E '^[EW]: ' "$H/lintian.log" >/dev/null && fail "lintian: errors or warnings (above)"
	ok "lintian: no error, no warning"
fi
dpkg-deb -c "$DEV" | grep 'usr/lib/.*/pkgconfig/pocdb.pc$' >/dev/null || fail "libpocdb-dev lacks pocdb.pc"
dpkg-deb -c "$DEV" | grep 'usr/include/pocdb.h$' >/dev/null || fail "libpocdb-dev lacks pocdb.h"

# --- 2. install ----------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$DEB" >"$H/apt-install.log" 2>&1 ||
	{ tail -20 "$H/apt-install.log"; fail "apt-get install ./$(basename "$DEB")"; }
for f in /usr/sbin/pocmilter /usr/bin/pocctl /lib/systemd/system/pocmilter.service \
	/lib/systemd/system/pocctl-watch.service /lib/systemd/system/pocctl-watch.timer \
	/usr/lib/sysusers.d/pocmilter.conf /usr/lib/tmpfiles.d/pocmilter.conf \
	/etc/pocmilter/templates/ja/summary.tmpl /etc/pocmilter/templates/en/summary.tmpl \
	/usr/share/man/man8/pocmilter.8.gz /usr/share/man/man5/pocmilter.conf.5.gz /usr/share/man/man1/pocctl.1.gz \
	/usr/share/doc/pocmilter/DATABASE.md.gz /usr/share/doc/pocmilter/KINDS.md.gz \
	/usr/share/doc/pocmilter/README.Debian /usr/share/doc/pocmilter/examples/postfix-main.cf.snippet; do
	[ -e "$f" ] || fail "not installed: $f"
done
ok "installed: programs, units, timer, sysusers.d, tmpfiles.d, templates, manuals, docs"
getent passwd pocmilter >/dev/null || fail "no user pocmilter"
mode() { stat -c '%a %U:%G' "$1"; }
[ "$(mode /etc/pocmilter/pocmilter.conf)" = "640 root:pocmilter" ] ||
	fail "config is $(mode /etc/pocmilter/pocmilter.conf), not 640 root:pocmilter"
[ "$(mode /var/lib/pocmilter)" = "750 pocmilter:pocmilter" ] || fail "/var/lib/pocmilter is $(mode /var/lib/pocmilter)"
[ "$(mode /var/lib/pocmilter/gnupg)" = "700 pocmilter:pocmilter" ] ||
	fail "/var/lib/pocmilter/gnupg is $(mode /var/lib/pocmilter/gnupg)"
[ "$(mode /run/pocmilter)" = "755 pocmilter:pocmilter" ] || fail "/run/pocmilter is $(mode /run/pocmilter)"
if getent group postdrop >/dev/null; then
	id -nG pocmilter | tr ' ' '\n' | grep -qx postdrop || fail "pocmilter is not in postdrop"
fi
ok "user pocmilter; /var/lib/pocmilter 0750, gnupg 0700, /run/pocmilter 0755; config 0640 root:pocmilter"
[ -L /etc/systemd/system/multi-user.target.wants/pocmilter.service ] || fail "pocmilter.service not enabled"
[ -L /etc/systemd/system/timers.target.wants/pocctl-watch.timer ] || fail "pocctl-watch.timer not enabled"
ok "pocmilter.service and pocctl-watch.timer enabled"

out=$(/usr/sbin/pocmilter -n 2>&1) && fail "pocmilter -n accepts the unfilled conffile: $out"
echo "$out" | grep -q 'Watch' || fail "pocmilter -n on the unfilled conffile does not name Watch: $out"
ok "unfilled conffile: pocmilter -n says what is missing ($out)"

# Offline: units, commands and manuals they name must exist.
systemd-analyze verify /lib/systemd/system/pocmilter.service /lib/systemd/system/pocctl-watch.service \
	/lib/systemd/system/pocctl-watch.timer >"$H/verify.log" 2>&1 || { cat "$H/verify.log"; fail "systemd-analyze verify"; }
grep -v 'postfix.service\|sendmail.service\|time-sync.target' "$H/verify.log" | grep -q . &&
	{ cat "$H/verify.log"; fail "systemd-analyze verify complains"; }
grep -q '^ExecStart=/usr/bin/pocctl -c /etc/pocmilter/pocmilter.conf watch --page' \
	/lib/systemd/system/pocctl-watch.service || fail "pocctl-watch.service runs another pocctl"
ok "systemd-analyze verify: the daemon's unit, the watch service and timer"

# --- 3. the site's part --------------------------------------------------------
h_keys
MILTER_SOCKET=/run/pocmilter/pocmilter.sock	# the conffile's; the private postfix uses it
export MILTER_SOCKET
h_postfix_start
runuser -u pocmilter -- gpg --homedir "$GV" --batch --pinentry-mode loopback --passphrase '' \
	--export-secret-keys --armor "$VENDOR_FPR" >"$H/poc-secret.asc" 2>/dev/null || fail "export the POC key"
for k in "$H/poc-secret.asc" "$H/coord.pub"; do
	runuser -u pocmilter -- gpg --homedir /var/lib/pocmilter/gnupg --batch --quiet --import <"$k" 2>/dev/null ||
		fail "gpg --import $(basename "$k") as pocmilter"
done
runuser -u pocmilter -- gpgconf --homedir /var/lib/pocmilter/gnupg --kill all
rm -f "$H/poc-secret.asc"
CONF=/etc/pocmilter/pocmilter.conf
cat >>"$CONF" <<EOT
Watch security@vendor.example
Coordinator vuls@jpcert.example
CoordinatorKey $COORD_FPR
AckFrom security@vendor.example
Organization Vendor Example
PocName PSIRT
SocketGroup postfix
AckSendmail /usr/sbin/sendmail -C $PF_CONF -i -t
EOT
[ "$(mode "$CONF")" = "640 root:pocmilter" ] || fail "editing changed the config's mode"
out=$(/usr/sbin/pocmilter -n 2>&1) || fail "installed pocmilter -n on the filled-in conffile: $out"
ok "filled in: $out"

# The unit's own commands (the sandbox needs systemd as PID 1: not here).
unit_cmd() { sed -n "s/^$1=//p" /lib/systemd/system/pocmilter.service; }
pre=$(unit_cmd ExecStartPre) start=$(unit_cmd ExecStart)
[ "${start%% *}" = /usr/sbin/pocmilter ] || fail "ExecStart is $start"
$pre >"$H/pre.log" 2>&1 || { cat "$H/pre.log"; fail "ExecStartPre: $pre"; }
python3 - "$H/notify.sock" >"$H/notify.log" 2>&1 9>&- <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(120)
while True:
    try:
        print(s.recv(4096).decode().replace("\n", " "), flush=True)
    except socket.timeout:
        break
PY
LISTENER=$!
h_wait_for 10 test -S "$H/notify.sock" || fail "notify listener"
chmod 666 "$H/notify.sock"	# the daemon says READY=1 as pocmilter
# WATCHDOG_USEC 2 s: pings every 0.5 s while the filers and the sender run.
NOTIFY_SOCKET="$H/notify.sock" WATCHDOG_USEC=2000000 $start >"$H/pocmilter.log" 2>&1 9>&- &
MILTER_PID=$!
h_wait_for 20 grep -q 'READY=1' "$H/notify.log" || fail "no READY=1 from the installed daemon"
[ -S /run/pocmilter/pocmilter.sock ] || fail "READY=1 but no socket"
[ "$(stat -c %G /run/pocmilter/pocmilter.sock)" = postfix ] || fail "socket group is not postfix"
ok "the installed daemon, started as the unit does, says READY=1 once the socket listens"

h_notice --tn 'JPCERT#24680135' --message-id '<pkg-1@jpcert.example>' >"$H/n1.eml"
h_send "$H/n1.eml" || fail "SMTP send"
POCCTL=/usr/bin/pocctl
h_wait_for 60 sh -c "runuser -u pocmilter -- $POCCTL export 2>/dev/null | grep -q 'JPCERT#24680135'" ||
	fail "notice not filed in /var/lib/pocmilter/db"
runuser -u pocmilter -- $POCCTL export | python3 -c '
import json, sys
m = json.loads(sys.stdin.readline())["messages"][0]
assert m["decryption"] == "ok" and m["signature"] == "good", m' || fail "filed, but not decrypted and verified"
h_wait_for 60 h_acked '<pkg-1@jpcert.example>' || fail "no acknowledgement reached the coordinator"
ok "a notice through postfix: filed (decrypted, signature good) and acknowledged"
[ "$(mode /var/lib/pocmilter/db)" = "700 pocmilter:pocmilter" ] || fail "database is $(mode /var/lib/pocmilter/db)"
[ "$(stat -c '%a %U' /var/lib/pocmilter/db/data.mdb)" = "600 pocmilter" ] || fail "data.mdb mode"
ok "database /var/lib/pocmilter/db 0700 pocmilter, data.mdb 0600"
# Idle now: every thread notes progress at least once a second, so the
# pings (every WATCHDOG_USEC/4) must come; while a notice is in gpg they may pause.
h_wait_for 15 sh -c "[ \$(grep -c 'WATCHDOG=1' '$H/notify.log') -ge 3 ]" ||
	fail "$(grep -c 'WATCHDOG=1' "$H/notify.log") watchdog pings in 15 s of idling"
pings=$(grep -c 'WATCHDOG=1' "$H/notify.log")
ok "watchdog fed: $pings pings"
kill -TERM "$MILTER_PID"
wait "$MILTER_PID"; rc=$?
MILTER_PID=
[ $rc = 0 ] || fail "the daemon exited $rc after SIGTERM"
grep -q 'STOPPING=1' "$H/notify.log" || fail "no STOPPING=1"
kill "$LISTENER" 2>/dev/null
ok "SIGTERM: STOPPING=1, exit 0"

# --- 4. purge ------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q pocmilter >"$H/apt-purge.log" 2>&1 ||
	{ tail -20 "$H/apt-purge.log"; fail "apt-get purge pocmilter"; }
for f in /usr/sbin/pocmilter /usr/bin/pocctl /lib/systemd/system/pocmilter.service /etc/pocmilter \
	/run/pocmilter /etc/systemd/system/multi-user.target.wants/pocmilter.service \
	/etc/systemd/system/timers.target.wants/pocctl-watch.timer; do
	[ -e "$f" ] && fail "left after purge: $f"
done
dpkg-statoverride --list /etc/pocmilter/pocmilter.conf >/dev/null && fail "statoverride left after purge"
[ -f /var/lib/pocmilter/db/data.mdb ] || fail "purge removed the case database"
getent passwd pocmilter >/dev/null || fail "purge removed the user"
ok "purge: programs, configuration, statoverride, /run/pocmilter gone; database and user kept"
ok "package test took $((SECONDS - START)) s"
