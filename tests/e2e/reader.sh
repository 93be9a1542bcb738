#!/bin/bash
# reader.sh - an operator who may only read (issue 20), as a real second
# Unix user: the database directory 0750 and data.mdb 0640 to a reading
# group (lock.mdb 0660: an LMDB reader registers in it). `pocctl show`,
# `export` and `list` print the case and exit 0; the read, which the reader
# cannot write into the case's event log, is recorded in syslog's authpriv
# facility (uid, verb, case) and said on stderr. The same reads by the
# daemon's user land in the event log as before.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
READER=pocreader
getent group pocreaders >/dev/null || groupadd --system pocreaders
id "$READER" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent \
	--shell /usr/sbin/nologin --gid pocreaders "$READER"
h_setup --no-postfix
PF_CONF=/nonexistent h_config "AckMode off"
chmod 644 "$CONF"
install -d -m 700 -o "$POC_USER" "$H/db"

# One notice, filed by import as the daemon's user.
h_notice --tn 'JPCERT#97000001' --message-id '<reader-1@jpcert.example>' >"$H/n1.eml"
chmod 644 "$H/n1.eml"
h_pocctl import "$H/n1.eml" >"$H/import.out" 2>&1 || { cat "$H/import.out"; fail "import"; }
h_pocctl show 'JPCERT#97000001' >/dev/null || fail "show as the daemon's user"
h_pocctl show --json 'JPCERT#97000001' | grep -q '"type" *: *"read"' || fail "no read event for the daemon's user"
ok "a read by the daemon's user is in the event log"

# The reading group: read, never write.
chgrp -R pocreaders "$H/db"
chmod 0750 "$H/db"
chmod 0640 "$H/db/data.mdb"
chmod 0660 "$H/db/lock.mdb"

# syslog: catch what is sent to /dev/log when nothing listens there (a container).
LOGCAP=
if [ ! -e /dev/log ]; then
	python3 - "$H/syslog.txt" <<'PY' &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log"); os.chmod("/dev/log", 0o666)
s.settimeout(60)
with open(sys.argv[1], "ab", buffering=0) as f:
    try:
        while True:
            f.write(s.recv(65536) + b"\n")
    except Exception:
        pass
PY
	LOGCAP=$!
	trap 'kill $LOGCAP 2>/dev/null; rm -f /dev/log; h_cleanup' EXIT
	h_wait_for 10 test -S /dev/log || fail "no /dev/log listener"
fi

as_reader() { runuser -u "$READER" -- "$POCCTL" -c "$CONF" "$@"; }
events_before=$(h_pocctl show --json 'JPCERT#97000001' | grep -c '"read"')
out=$(as_reader show 'JPCERT#97000001' 2>"$H/err"); rc=$?
[ $rc = 0 ] || fail "show as a reader: exit $rc: $(cat "$H/err")"
echo "$out" | grep -q '^tracking: *JPCERT#97000001' || fail "show as a reader printed no case: $out"
grep -q "this read is recorded in syslog (authpriv)" "$H/err" || fail "no note on stderr: $(cat "$H/err")"
ok "show by a read-only user: the case, exit 0, a note that the read went to syslog"
out=$(as_reader export 2>"$H/err"); rc=$?
[ $rc = 0 ] && echo "$out" | grep -q 'JPCERT#97000001' || fail "export as a reader: exit $rc: $(cat "$H/err")"
as_reader list >/dev/null 2>"$H/err" || fail "list as a reader: $(cat "$H/err")"
ok "export and list by a read-only user: exit 0"
uid=$(id -u "$READER")
if [ -n "$LOGCAP" ]; then
	h_wait_for 10 grep -q "read verb=export case=" "$H/syslog.txt" || fail "nothing in syslog: $(cat "$H/syslog.txt")"
	# <PRI>: authpriv (10) * 8 + notice (5) = 85
	grep -q "^<85>.*pocctl\[[0-9]*\]: read verb=show case=.* actor=pocctl:$uid($READER) uid=$uid" "$H/syslog.txt" ||
		fail "the syslog line: $(cat "$H/syslog.txt")"
	ok "syslog authpriv.notice: read verb=show case=... uid=$uid"
else
	ok "(a system syslog is present: the authpriv line is not captured here)"
fi
[ "$(h_pocctl show --json 'JPCERT#97000001' | grep -c '"read"')" = $((events_before + 1)) ] ||
	fail "the reader's reads changed the event log"
ok "the database was not written by the reader"
