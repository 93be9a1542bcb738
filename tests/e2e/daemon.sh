#!/bin/bash
# daemon.sh - the installed daemon as a system runs it: `make install` into a
# scratch DESTDIR (units, timer, sysusers.d, docs and pocdb.pc checked too),
# started as root with `User nobody`; checks the drop of
# privileges (/proc/PID/status), the socket's and the database's owners and
# modes, the pid file, refusals (root without User, a second instance),
# SIGHUP with a good and a bad configuration, and with a key read only at
# start changed (reload-needs-restart), and SIGTERM.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
command -v miltertest >/dev/null || { echo "SKIP: miltertest not installed (Debian package miltertest)"; exit 77; }
POC_USER=nobody
h_init
NOBODY_UID=$(id -u nobody) NOBODY_GID=$(id -g nobody) NOBODY_GROUP=$(id -gn nobody)


# --- make install ------------------------------------------------------------
DEST="$H/dest"
make -s -C "$BUILD" install DESTDIR="$DEST" >"$H/install.log" 2>&1 || { cat "$H/install.log"; fail "make install"; }
SBIN=$(find "$DEST" -path '*/sbin/pocmilter' -type f | head -1)
[ -x "$SBIN" ] || fail "no sbin/pocmilter installed"
for f in bin/pocctl share/man/man8/pocmilter.8 share/man/man5/pocmilter.conf.5 share/man/man1/pocctl.1 \
	lib/systemd/system/pocmilter.service lib/tmpfiles.d/pocmilter.conf; do
	find "$DEST" -path "*/$f" | grep -q . || fail "make install did not install $f"
done
find "$DEST" -path '*/pocmilter/pocmilter.conf.sample' | grep -q . || fail "no sample configuration installed"
find "$DEST" -path '*/pocmilter/templates/ja/summary.tmpl' | grep -q . || fail "no templates installed"
unit=$(find "$DEST" -name pocmilter.service)
for k in NoNewPrivileges=yes ProtectSystem=strict ReadWritePaths=/var/lib/pocmilter PrivateTmp=yes \
	"ExecStart=${SBIN#"$DEST"} -c"; do
	grep -q "^$k" "$unit" || fail "the installed unit lacks $k"
done
ok "make install: programs, manuals, sample, templates, hardened unit, tmpfiles entry"
# The watch timer and its service (paths substituted), sysusers.d, the
# docs the manuals cite, and pocdb.pc, which links a downstream tool.
PCTL=$(find "$DEST" -path '*/bin/pocctl' -type f | head -1)
for f in lib/systemd/system/pocctl-watch.service lib/systemd/system/pocctl-watch.timer \
	lib/sysusers.d/pocmilter.conf share/doc/pocmilter/DATABASE.md share/doc/pocmilter/KINDS.md \
	lib/pkgconfig/pocdb.pc include/pocdb.h lib/libpocdb.a; do
	find "$DEST" -path "*/$f" | grep -q . || fail "make install did not install $f"
done
grep -q "^ExecStart=${PCTL#"$DEST"} -c .*/pocmilter/pocmilter.conf watch --page" \
	"$(find "$DEST" -name pocctl-watch.service)" || fail "pocctl-watch.service does not run the installed pocctl"
grep -q '@[a-z]*@' "$unit" "$(find "$DEST" -name pocctl-watch.service)" && fail "an unsubstituted @var@ in a unit"
grep -q '^Type=notify' "$unit" && grep -q '^WatchdogSec=' "$unit" || fail "the unit is not Type=notify with a watchdog"
pc=$(find "$DEST" -name pocdb.pc)
pcprefix=$(sed -n 's/^prefix=//p' "$pc")
cat >"$H/tool.c" <<'EOT'
#include <pocdb.h>
#include <stdio.h>
int main(int argc, char **argv) {
	pocdb *db; char *err = NULL;
	int rc = pocdb_open(argv[1], &db, &err);
	printf("%d %s\n", rc, err ? err : "");
	pocdb_free(err);
	return argc == 2 && rc == POCDB_NOTFOUND ? 0 : 1;
}
EOT
# The build's compiler and flags (the ASan build links the sanitizer runtime).
BUILD_CC=$(sed -n 's/^CC = //p' "$BUILD/Makefile") BUILD_CFLAGS=$(sed -n 's/^CFLAGS = //p' "$BUILD/Makefile")
# shellcheck disable=SC2046,SC2086
${BUILD_CC:-cc} $BUILD_CFLAGS -o "$H/tool" "$H/tool.c" $(PKG_CONFIG_PATH="$(dirname "$pc")" pkg-config --define-variable=prefix="$DEST$pcprefix" \
	--cflags --libs pocdb) >"$H/tool.log" 2>&1 || { cat "$H/tool.log"; fail "a tool built with pkg-config pocdb"; }
"$H/tool" "$H/no-such-db" >/dev/null || fail "the tool linked with pocdb.pc does not run"
ok "make install: watch service and timer (paths substituted), Type=notify, sysusers.d, docs, pocdb.pc links a tool"

# --- configuration -------------------------------------------------------------
RUN="$H/run"				# root's, like /run itself
install -d -m 700 "$H/gnupg"
# The start checks that the home can decrypt: it holds a secret key (preflight.c).
h_genkey "$H/gnupg" "Vendor PSIRT <security@vendor.example>" >/dev/null
gpgconf --homedir "$H/gnupg" --kill all 2>/dev/null
chown -R nobody: "$H/gnupg"
CONF="$H/etc/pocmilter.conf"
write_conf() { # extra lines
	cat >"$CONF" <<EOT
Socket unix:$MILTER_SOCKET
SocketMode 0660
SocketGroup $NOBODY_GROUP
User nobody
PidFile $RUN/pocmilter.pid
Watch security@vendor.example
AckMode off
GnuPGHome $H/gnupg
Database $H/db
DatabaseMode 0600
SyslogFacility local3
EOT
	for l in "$@"; do printf '%s\n' "$l" >>"$CONF"; done
	chmod 644 "$CONF"
}
mt() { miltertest -D sock="unix:$MILTER_SOCKET" -D rcpt="$1" -D expect="$2" -s "$TOP/tests/miltertest/rcpt.lua" 2>&1; }

# Refusals first: root without User, then (below) a second instance.
write_conf
sed -i '/^User /d' "$CONF"
out=$("$SBIN" -f -c "$CONF" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "User (not set): required when started as root" || fail "root without User: exit $rc: $out"
[ -e "$MILTER_SOCKET" ] && fail "root without User left a socket"
ok "refuses to run as root without User"

# --- start -----------------------------------------------------------------------
write_conf
# Started with core dumps allowed by the shell: the daemon itself forbids them.
(ulimit -c unlimited; exec "$SBIN" -f -c "$CONF" >>"$H/pocmilter.log" 2>&1) &
PID=$!
MILTER_PID=$PID		# h_cleanup stops it on failure
h_wait_for 20 test -S "$MILTER_SOCKET" || fail "no socket"
h_wait_for 10 grep -q starting "$H/pocmilter.log" || fail "no start line"

uids=$(awk '/^Uid:/{print $2,$3,$4,$5}' "/proc/$PID/status")
gids=$(awk '/^Gid:/{print $2,$3,$4,$5}' "/proc/$PID/status")
[ "$uids" = "$NOBODY_UID $NOBODY_UID $NOBODY_UID $NOBODY_UID" ] || fail "Uid: $uids"
[ "$gids" = "$NOBODY_GID $NOBODY_GID $NOBODY_GID $NOBODY_GID" ] || fail "Gid: $gids"
groups=$(awk '/^Groups:/{$1=""; print}' "/proc/$PID/status")
case " $groups " in *" 0 "*) fail "still in group 0: $groups" ;; esac
capeff=$(awk '/^CapEff:/{print $2}' "/proc/$PID/status")
[ "$capeff" = 0000000000000000 ] || fail "effective capabilities left: $capeff"
# Every thread, not only the main one.
for t in /proc/$PID/task/*/status; do
	grep -q "^Uid:[[:space:]]*$NOBODY_UID[[:space:]]" "$t" || fail "a thread is not nobody: $t"
done
ok "runs as nobody (uid $NOBODY_UID, gid $NOBODY_GID, every thread, no capabilities)"

# Decrypted notices are in its memory: no core file, no ptrace by other nobody processes.
core=$(awk '/^Max core file size/{print $5, $6}' "/proc/$PID/limits")
[ "$core" = "0 0" ] || fail "core file size limit: $core"
[ "$(stat -c %U "/proc/$PID/environ")" = root ] || fail "the daemon is dumpable (/proc/$PID is not root's)"
ok "not dumpable, core size limit 0 (CoreDumps no)"

[ "$(stat -c '%a %U %G' "$MILTER_SOCKET")" = "660 nobody $NOBODY_GROUP" ] ||
	fail "socket: $(stat -c '%a %U %G' "$MILTER_SOCKET")"
ok "socket 0660 nobody:$NOBODY_GROUP"
for f in data.mdb lock.mdb; do
	[ "$(stat -c '%a %U' "$H/db/$f")" = "600 nobody" ] || fail "$f: $(stat -c '%a %U' "$H/db/$f")"
done
[ "$(stat -c '%a %U' "$H/db")" = "700 nobody" ] || fail "db directory: $(stat -c '%a %U' "$H/db")"
ok "database files 0600 nobody, directory 0700"
[ "$(cat "$RUN/pocmilter.pid")" = "$PID" ] || fail "pid file: '$(cat "$RUN/pocmilter.pid")', pid $PID"
ok "pid file holds $PID"

out=$("$SBIN" -f -c "$CONF" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "is running" || fail "second instance: exit $rc: $out"
[ -S "$MILTER_SOCKET" ] || fail "the second instance removed the socket"
kill -0 $PID || fail "the first instance died"
ok "a second instance refuses to start and leaves the first alone"

# --- SIGHUP with a good configuration: a new Watch address takes effect --------
out=$(mt newpoc@vendor.example accept) || fail "before reload: $out"
write_conf "Watch newpoc@vendor.example"
kill -HUP $PID
h_wait_for 10 grep -q "event=reloaded config=$CONF" "$H/pocmilter.log" || fail "no reload logged"
out=$(mt newpoc@vendor.example continue) || fail "after reload: $out"
h_wait_for 20 sh -c "'$POCCTL' -c '$CONF' export 2>/dev/null | grep -q rcpt-newpoc" || fail "mail to the new address not filed"
ok "SIGHUP: a new Watch address is watched, its mail spooled and filed"

# --- SIGHUP with a bad configuration: the old one stays -------------------------
echo "Wacth other@vendor.example" >>"$CONF"
line=$(wc -l <"$CONF")
kill -HUP $PID
h_wait_for 10 grep -q "event=reload-failed error=\"$CONF:$line: Wacth: unknown key\" action=kept" "$H/pocmilter.log" ||
	fail "the bad configuration was not reported with file, line and key"
kill -0 $PID || fail "the daemon died on a bad configuration"
out=$(mt newpoc@vendor.example continue) || fail "after a bad reload: $out"
ok "SIGHUP with a bad file: error with file:line: key logged, old configuration in force"

# A burst of SIGHUPs never stops the filter (libmilter's own signal thread
# would take SIGHUP for a shutdown).
write_conf "Watch newpoc@vendor.example"
for _ in $(seq 20); do kill -HUP $PID; done
sleep 1
kill -0 $PID || fail "the daemon died on a burst of SIGHUPs"
out=$(mt security@vendor.example continue) || fail "after a burst of SIGHUPs: $out"
ok "20 SIGHUPs in a row: still serving"

# --- SIGHUP changing a key read only at start: a warning, the filter goes on -------
grep -q "event=reload-needs-restart" "$H/pocmilter.log" && fail "reload-needs-restart when only Watch changed"
sed -i 's/^SyslogFacility local3$/SyslogFacility local4/' "$CONF"
kill -HUP $PID
h_wait_for 10 grep -q 'event=reload-needs-restart keys=Socket,SocketMode,SocketGroup,User,PidFile,SyslogFacility,CoreDumps,GnuPGHome,Database,DatabaseMode detail="changes of these take effect at restart"' "$H/pocmilter.log" ||
	fail "a changed SyslogFacility was not reported as needing a restart"
out=$(mt security@vendor.example continue) || fail "after a restart-only change: $out"
ok "SIGHUP with a restart-only key changed: reload-needs-restart names the keys, still serving"

# --- SIGTERM ------------------------------------------------------------------------
t0=$(date +%s%N)
kill -TERM $PID
wait $PID; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
MILTER_PID=
[ $rc = 0 ] || fail "SIGTERM: exit $rc"
[ $ms -lt 5000 ] || fail "SIGTERM: exit took $ms ms"
# $RUN is root's: nobody cannot remove the pid file, so it is emptied.
if [ -e "$RUN/pocmilter.pid" ]; then
	[ -s "$RUN/pocmilter.pid" ] && fail "a stale pid file is left: $(cat "$RUN/pocmilter.pid")"
	grep -q "emptied" "$H/pocmilter.log" || fail "the emptied pid file was not logged"
fi
grep -q "^pocmilter: time=[-0-9T:+]* level=info event=stopped$" "$H/pocmilter.log" || fail "no stop line"
ok "SIGTERM: exit 0 in $ms ms; pid file emptied (its directory is root's)"

# With a run directory of its own (as tmpfiles.d makes it), everything goes.
install -d -m 750 -o nobody -g "$NOBODY_GROUP" "$H/own"
MILTER_SOCKET="$H/own/pocmilter.sock" RUN="$H/own"
write_conf
"$SBIN" -f -c "$CONF" >>"$H/pocmilter.log" 2>&1 &
PID=$!
MILTER_PID=$PID
h_wait_for 20 test -S "$MILTER_SOCKET" || fail "no socket in the own directory"
"$POCCTL" -c "$CONF" export | grep -q rcpt-newpoc || fail "the database did not survive the restart"
kill -TERM $PID
wait $PID; rc=$?
MILTER_PID=
[ $rc = 0 ] || fail "second SIGTERM: exit $rc"
[ -e "$RUN/pocmilter.pid" ] && fail "pid file left in a directory of its own"
[ -e "$MILTER_SOCKET" ] && fail "socket left in a directory of its own"
ok "restart: database kept; SIGTERM removes pid file and socket from a directory of its own"
# Start, reload (good and bad), pid file, stop: every line logfmt (pocmilter(8)).
out=$(/usr/bin/python3 "$TOP/tests/lib/check_logfmt.py" "$H/pocmilter.log") || fail "log: $out"
for e in starting reloaded reload-failed stopping stopped; do
	echo "$out" | grep -q " $e:" || fail "log has no $e event: $out"
done
ok "$out"
