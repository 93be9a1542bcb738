#!/bin/bash
# Disk full, then the LMDB map full, while spooling (issue 10).
#  1. The Database directory is a 1 MiB tmpfs. POC mail that cannot be
#     spooled gets a 4xx (not lost: the sender retries), the condition is
#     logged and paged (store-failed, firing); when space returns (the
#     tmpfs grows) the retried mail is spooled, delivered and filed, a
#     "resolved" page follows, and the daemon never needed a restart.
#  2. A fresh database capped by DatabaseMaxSize 1M: the map cannot grow,
#     POC mail gets a 4xx, logged and paged; DatabaseMaxSize raised and
#     SIGHUP: the retried mail is spooled, delivered and filed, resolved.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
h_init
mkdir -p "$H/db"
mount -t tmpfs -o size=1m,mode=0700 tmpfs "$H/db" 2>/dev/null || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
umount_db() { umount -l "$H/db" 2>/dev/null; }
h_keys
h_postfix_start
h_pages
h_config "PageCommand $H/page.sh"
h_milter_start
trap 'rc=$?; umount_db; (exit $rc); h_cleanup' EXIT
POC="$H/mail/vendor/security"
h_on_fail() { grep -iE 'error|warn|fatal' "$H/pocmilter.log" | tail -20; cat "$H/pages.jsonl"; }

# big NAME TNBASE N: N notices of ~200 KiB each (random text survives
# compression) as $H/NAME-I.eml; a 1 MiB database fills after a few.
big() {
	local i filler
	for i in $(seq "$3"); do
		filler=$(head -c 150000 /dev/urandom | base64 -w 76)
		h_notice --tn "$(printf 'JPCERT#%s%02d' "$2" "$i")" --message-id "<$1-$i@jpcert.example>" \
			--body "JPCERT#$2$i
$filler" >"$H/$1-$i.eml"
	done
}
# send_all NAME N: send each; a refusal must be a 4xx. Sets accepted, tempfails.
send_all() {
	local i
	tempfails=0 accepted=0
	for i in $(seq "$2"); do
		if h_send "$H/$1-$i.eml" 2>"$H/$1-$i.err"; then
			accepted=$((accepted + 1))
		else
			grep -q "4[0-9][0-9]" "$H/$1-$i.err" || fail "not a temporary failure: $(tail -1 "$H/$1-$i.err")"
			tempfails=$((tempfails + 1))
		fi
	done
}
# retry_refused NAME N: send the refused ones again, as an MTA would.
retry_refused() {
	python3 "$TOP/tests/lib/smtp-send-many.py" "$SMTP_PORT" vuls@jpcert.example security@vendor.example 1 \
		$(for i in $(seq "$2"); do grep -q 4 "$H/$1-$i.err" && echo "$H/$1-$i.eml"; done) >/dev/null
}
filed_of() { "$POCCTL" -c "$CONF" export | grep -o "$1-[0-9]*@" | sort -u | wc -l; } # NAME
# paged STATUS: a store-failed page with that status was written (waits 30 s).
paged() { h_wait_for 30 grep -q "\"reason\":\"store-failed\",\"status\":\"$1\"" "$H/pages.jsonl"; }

# --- 1. the disk full -------------------------------------------------------------
n=8
big full 970000 $n
send_all full $n
echo "database on a 1 MiB tmpfs: $accepted accepted, $tempfails temporary failures"
[ $tempfails -gt 0 ] || fail "the disk never filled (test too small?)"
kill -0 "$MILTER_PID" || fail "pocmilter died when the disk filled"
grep -q 'event=spool-failed ' "$H/pocmilter.log" || fail "the condition was not logged"
echo "logged: $(grep -m1 'event=spool-failed ' "$H/pocmilter.log")"
paged firing || fail "disk full was not paged"
echo "paged: $(grep -m1 store-failed "$H/pages.jsonl")"
mount -o remount,size=64m "$H/db" || fail "remount"
retry_refused full $n || fail "retries after space returned"
h_wait_maildir 60 "$POC" $n || fail "only $(h_maildir_count "$POC") of $n delivered"
h_wait_for 60 sh -c "[ \$('$POCCTL' -c '$CONF' export | grep -o 'full-[0-9]*@' | sort -u | wc -l) -ge $n ]" ||
	fail "not all filed after space returned: $(filed_of full)"
kill -0 "$MILTER_PID" || fail "pocmilter is gone"
paged resolved || fail "no resolved page after space returned"
# One firing and one resolved page per episode (PageRepeat is 1h): an
# episode ends when a message is spooled again. LMDB may reuse pages freed
# by filing while the tmpfs is still full, so one message may be spooled
# between refusals: that is two episodes, paged twice, never more.
firing=$(grep -c '"reason":"store-failed","status":"firing"' "$H/pages.jsonl")
resolved=$(grep -c '"reason":"store-failed","status":"resolved"' "$H/pages.jsonl")
episodes=$(grep -c 'event=spool-recovered' "$H/pocmilter.log")
[ "$firing" -ge 1 ] && [ "$firing" = "$episodes" ] && [ "$resolved" = "$episodes" ] ||
	fail "$firing firing and $resolved resolved pages for $episodes episodes (PageRepeat is 1h)"
ok "disk full -> 4xx, logged and paged; space back -> all $n delivered and filed, resolved page, same daemon"

# --- 2. the map full: DatabaseMaxSize --------------------------------------------
h_milter_stop
: >"$H/pages.jsonl"
h_config "PageCommand $H/page.sh" "Database $H/db2" "DatabaseMaxSize 1M"
h_milter_start
m=6
big map 971000 $m
send_all map $m
echo "database capped at 1 MiB (DatabaseMaxSize): $accepted accepted, $tempfails temporary failures"
[ $tempfails -gt 0 ] || fail "the map never filled"
grep -q 'DatabaseMaxSize' "$H/pocmilter.log" || fail "the log does not name DatabaseMaxSize"
paged firing || fail "the full map was not paged"
sed -i 's/^DatabaseMaxSize .*/DatabaseMaxSize 64M/' "$CONF"
kill -HUP "$MILTER_PID"
h_wait_for 20 grep -q 'reloaded' "$H/pocmilter.log" || fail "no reload"
retry_refused map $m || fail "retries after DatabaseMaxSize was raised"
h_wait_for 60 sh -c "[ \$('$POCCTL' -c '$CONF' export | grep -o 'map-[0-9]*@' | sort -u | wc -l) -ge $m ]" ||
	fail "not all filed after the reload: $(filed_of map)"
paged resolved || fail "no resolved page after the reload"
kill -0 "$MILTER_PID" || fail "pocmilter is gone"
ok "map full -> 4xx, logged and paged; DatabaseMaxSize raised, SIGHUP -> all $m filed, resolved page"
