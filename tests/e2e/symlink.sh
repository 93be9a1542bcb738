#!/bin/bash
# symlink.sh - no root file through the daemon's account (issue 22, finding 2).
# The database directory is User's: as User, plant links (lock.mdb, data.mdb,
# the directory itself) to root-owned files, or hand the directory to another
# user; then start pocmilter as root. Each start is refused with an error that
# names the path, and the root-owned target keeps its owner, mode and content.
# A root `pocctl` refuses the same links. Then a clean start: the socket
# appears owned by User with SocketMode, and is gone after SIGTERM.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
h_init
U=$POC_USER UG=$(id -gn "$POC_USER")

install -d -m 755 -o "$U" "$H/var"	# User's, like /var/lib/pocmilter
install -d -m 755 -o "$U" "$H/own"	# User's, like /run/pocmilter
# The start checks that the home can decrypt: it holds a secret key (preflight.c).
install -d -m 700 "$H/gnupg"
h_genkey "$H/gnupg" "Vendor PSIRT <security@vendor.example>" >/dev/null
gpgconf --homedir "$H/gnupg" --kill all 2>/dev/null
chown -R "$U:" "$H/gnupg"
MILTER_SOCKET="$H/own/pocmilter.sock"
CONF="$H/etc/pocmilter.conf"
cat >"$CONF" <<EOT
Socket unix:$MILTER_SOCKET
SocketMode 0660
SocketGroup $UG
User $U
PidFile $H/own/pocmilter.pid
Watch security@vendor.example
AckMode off
GnuPGHome $H/gnupg
Database $H/var/db
SyslogFacility local3
EOT
chmod 644 "$CONF"

start() { # run as root in the foreground until the socket is there, or exit
	"$POCMILTER" -f -c "$CONF" >>"$H/pocmilter.log" 2>&1 &
	MILTER_PID=$!
	h_wait_for 20 sh -c "test -S '$MILTER_SOCKET' || ! kill -0 $MILTER_PID 2>/dev/null"
}
refused() { # WHAT EXPECTED-MESSAGE: a start as root fails with it
	local out rc
	out=$("$POCMILTER" -f -c "$CONF" 2>&1); rc=$?
	[ $rc = 1 ] || fail "$1: started (exit $rc): $out"
	echo "$out" | grep -q -- "$2" || fail "$1: the error does not say '$2': $out"
	[ -e "$MILTER_SOCKET" ] && fail "$1: a socket was made"
	echo "  $1: $(echo "$out" | tail -1)"
}
target_ok() {
	[ "$(stat -c '%a %U %G %s' "$H/target")" = "$before" ] ||
		fail "$1: the target changed: $(stat -c '%a %U %G %s' "$H/target")"
	cmp -s "$H/target" "$H/target.copy" || fail "$1: the target's content changed"
}

# A first clean start makes the database (User's) and stops.
start
[ -S "$MILTER_SOCKET" ] || fail "the first start did not serve"
[ "$(stat -c '%a %U %G' "$MILTER_SOCKET")" = "660 $U $UG" ] || fail "socket: $(stat -c '%a %U %G' "$MILTER_SOCKET")"
ls -a "$H/own" | grep -q '^\.pocmilter-' && fail "the private socket directory was left behind"
h_milter_stop
[ -e "$MILTER_SOCKET" ] && fail "the socket was left after SIGTERM"
for f in data.mdb lock.mdb; do
	[ "$(stat -c '%a %U' "$H/var/db/$f")" = "600 $U" ] || fail "$f: $(stat -c '%a %U' "$H/var/db/$f")"
done
ok "clean start: socket 0660 $U:$UG from its first moment, database User's; SIGTERM removes the socket"

# The root file a local attacker (User) would like to own.
printf 'root:precious\n' >"$H/target"
chmod 644 "$H/target"
cp "$H/target" "$H/target.copy"
before=$(stat -c '%a %U %G %s' "$H/target")
install -d -m 755 "$H/rootdir"

for f in lock.mdb data.mdb; do
	runuser -u "$U" -- mv "$H/var/db/$f" "$H/var/db/$f.real"
	runuser -u "$U" -- ln -s "$H/target" "$H/var/db/$f"
	refused "$f -> root file" "$H/var/db/$f is a symbolic link: refusing to start"
	target_ok "$f"
	out=$("$POCCTL" -c "$CONF" list 2>&1) && fail "root pocctl list opened a database with $f a link: $out"
	echo "$out" | grep -q "is a symbolic link" || fail "pocctl: $out"
	target_ok "pocctl with $f"
	runuser -u "$U" -- rm "$H/var/db/$f"
	runuser -u "$U" -- mv "$H/var/db/$f.real" "$H/var/db/$f"
done
ok "lock.mdb and data.mdb linked to a root file: start refused, pocctl refused, target untouched"

runuser -u "$U" -- mv "$H/var/db" "$H/var/db.real"
runuser -u "$U" -- ln -s "$H/rootdir" "$H/var/db"
refused "directory -> root directory" "$H/var/db is a symbolic link: refusing to start"
[ "$(stat -c '%a %U' "$H/rootdir")" = "755 root" ] || fail "the root directory changed: $(stat -c '%a %U' "$H/rootdir")"
[ -z "$(ls -A "$H/rootdir")" ] || fail "files were made in the root directory: $(ls -A "$H/rootdir")"
runuser -u "$U" -- rm "$H/var/db"
runuser -u "$U" -- mv "$H/var/db.real" "$H/var/db"
ok "the database directory linked to a root directory: start refused, nothing made there"

chown nobody "$H/var/db/lock.mdb"
refused "lock.mdb of another user" "lock.mdb is owned by uid $(id -u nobody), not by root or $U"
chown "$U" "$H/var/db/lock.mdb"
ok "a database file owned by another user: start refused"

start
[ -S "$MILTER_SOCKET" ] || fail "the clean start after the refusals did not serve"
h_milter_stop
target_ok "the end"
ok "after the links are gone, the daemon starts again; the target is as it was"
