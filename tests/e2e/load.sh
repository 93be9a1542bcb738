#!/bin/bash
# Load (issue 10): messages of mixed garbage (random MIME, random bytes,
# huge headers) to the POC address through postfix, over 4 connections.
# Every one is delivered, the daemon stays alive, its memory stays flat
# (RssAnon after a warm-up tenth vs. at the end).
#   tests/e2e/load.sh             500 messages (make check)
#   LONG=1 tests/e2e/load.sh      10,000 messages
#   WORKERS=2 ...                 with that many filer threads (Workers)
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
if [ "${LONG:-0}" = 1 ]; then N=${N:-10000}; else N=${N:-500}; fi
h_setup ${WORKERS:+"Workers $WORKERS"}
POC="$H/mail/vendor/security"
h_on_fail() { grep -iE 'error|fatal' "$H/pocmilter.log" | sort | uniq -c | sort -rn | head; }
# RssAnon: the heap. VmRSS also counts the LMDB map's file pages, which grow
# with the database (each message's ciphertext is kept), not with a leak.
rss() { awk '/^RssAnon/{print $2}' "/proc/$MILTER_PID/status"; }
vmrss() { awk '/^VmRSS/{print $2}' "/proc/$MILTER_PID/status"; }

mkdir "$H/g"
python3 "$TOP/tests/lib/make-garbage.py" "$H/g" "$N" || fail "making garbage"
echo "made $N messages, $(du -sm "$H/g" | cut -f1) MiB"
warm=$((N / 10))
python3 "$TOP/tests/lib/smtp-send-many.py" "$SMTP_PORT" finder@jpcert.example security@vendor.example 4 \
	$(for i in $(seq "$warm"); do echo "$H/g/$i.eml"; done) || fail "sending the warm-up"
h_wait_maildir 120 "$POC" "$warm" || fail "warm-up not delivered"
rss0=$(rss)
start=$SECONDS
python3 "$TOP/tests/lib/smtp-send-many.py" "$SMTP_PORT" finder@jpcert.example security@vendor.example 4 \
	$(for i in $(seq $((warm + 1)) "$N"); do echo "$H/g/$i.eml"; done) || fail "sending"
h_wait_maildir 600 "$POC" "$N" || fail "only $(h_maildir_count "$POC") of $N delivered"
took=$((SECONDS - start))
h_wait_for 300 sh -c "[ \$('$POCCTL' -c '$CONF' export | grep -o '\"message_id\":\"<garbage-[0-9]*@' | sort -u | wc -l) -ge $N ]" ||
	echo "note: not all filed yet: $("$POCCTL" -c "$CONF" export | grep -o '"message_id":"<garbage-[0-9]*@' | sort -u | wc -l)"
kill -0 "$MILTER_PID" 2>/dev/null || fail "pocmilter died"
rss1=$(rss)
filed=$("$POCCTL" -c "$CONF" export | grep -o '"message_id":"<garbage-[0-9]*@' | sort -u | wc -l)
echo "load: $N garbage messages delivered ($((N - warm)) in ${took}s), $filed filed; daemon alive; RssAnon ${rss0} KiB after warm-up -> ${rss1} KiB at the end (VmRSS with the map's pages: $(vmrss) KiB)"
# AddressSanitizer keeps freed memory in quarantine: RSS says nothing there.
if nm "$POCMILTER" 2>/dev/null | grep -q __asan_init; then
	ok "memory not judged (AddressSanitizer build)"
else
	[ "$rss1" -lt $((rss0 + 40960)) ] || fail "memory grew by $((rss1 - rss0)) KiB"
fi
ok "all delivered, daemon alive, memory flat"
