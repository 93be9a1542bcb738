#!/bin/bash
# Nothing lost, nothing twice (issue 10): notices go through the real
# postfix while pocmilter is killed with SIGKILL at random moments and
# restarted. Afterwards every notice is in the POC Maildir, filed exactly
# once, and acknowledged exactly once (In-Reply-To counted in the
# coordinator's Maildir).
#
# Postfix runs with milter_default_action = tempfail (the harness's
# default): while the milter is down, smtpd answers 4xx and the sender
# retries (tests/lib/smtp-send-many.py retries like an MTA); pickup keeps
# our own acknowledgements until the milter is back, which then sees them
# pass through non_smtpd_milters and records an interrupted send as sent.
#
# AckSendmail is wrapped to wait 0-0.4 s before submitting, so that some
# kills land while an acknowledgement is SENDING (the dangerous moment).
#
#   tests/e2e/crash.sh                 quick: 60 notices, 4 kills (make check)
#   LONG=1 tests/e2e/crash.sh          300 notices, 12 kills
#   N=.. KILLS=.. tests/e2e/crash.sh   any other size
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_need_root
if [ "${LONG:-0}" = 1 ]; then N=${N:-300} KILLS=${KILLS:-12}; else N=${N:-60} KILLS=${KILLS:-4}; fi
h_setup --no-milter
cat >"$H/slow-sendmail" <<EOT
#!/bin/sh
sleep 0.\$(( \$(od -An -N1 -tu1 /dev/urandom) % 5 ))
exec /usr/sbin/sendmail -C $PF_CONF -i -t "\$@"
EOT
chmod 755 "$H/slow-sendmail"
h_config "AckRetry 5s"
sed -i "s#^AckSendmail .*#AckSendmail $H/slow-sendmail#" "$CONF"
h_milter_start

POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"
h_on_fail() {
	echo "--- pocmilter.log (errors)"; grep -iE 'error|warn|fatal' "$H/pocmilter.log" | tail -20
	echo "--- maillog"; tail -15 "$H/pf/maillog"
}

mkdir "$H/out"
for i in $(seq "$N"); do
	tn=$(printf 'JPCERT#%08d' $((93000000 + i)))
	h_notice --tn "$tn" --message-id "<crash-$i@jpcert.example>" >"$H/out/$i.eml"
done
echo "made $N notices"

# Spread the sending over the kills: about 3 s between kills, 2 connections.
gap=$(python3 -c "print(max(0.05, $KILLS * 3.0 * 2 / $N))")
SEND_GAP=$gap python3 "$TOP/tests/lib/smtp-send-many.py" "$SMTP_PORT" vuls@jpcert.example \
	security@vendor.example 2 $(for i in $(seq "$N"); do echo "$H/out/$i.eml"; done) \
	>"$H/sender.out" 2>"$H/sender.err" &
sender=$!

h_milter_kills "$KILLS" 4.5 1.5
kills=$H_KILLS
wait "$sender"; src=$?
cat "$H/sender.out" "$H/sender.err"
[ $src -eq 0 ] || fail "the sender could not hand over every notice"

h_wait_maildir 120 "$POC" "$N" || echo "POC Maildir still short after 120 s"
h_wait_for 120 sh -c "[ \$('$POCCTL' -c '$CONF' export 2>/dev/null | grep -o 'crash-[0-9]*@' | sort -u | wc -l) -ge $N ]" ||
	echo "not everything filed after 120 s"
h_wait_maildir 180 "$COORD" "$N" || echo "acknowledgements still short after 180 s"
sleep 8	# a second acknowledgement, if any, would arrive now
"$POCCTL" -c "$CONF" export >"$H/export.json" || fail "pocctl export"
h_milter_stop
# An ack recorded as sent only by the milter seeing it pass (no "sent to"
# from the sender) is one whose send a kill interrupted.
grep 'event=ack-seen ' "$H/pocmilter.log" | grep -o 'ack=<[^>]*>' | sort -u >"$H/seen"
grep 'event=ack-sent ' "$H/pocmilter.log" | grep -o 'ack=<[^>]*>' | sort -u >"$H/sentto"
recovered=$(comm -23 "$H/seen" "$H/sentto" | wc -l)
dups=$(grep -c 'event=duplicate queue_id' "$H/pocmilter.log")
raced=$(grep -c 'was sent already' "$H/pocmilter.log")
echo "kills: $kills; sends interrupted by a kill and recognised passing the MTA: $recovered;" \
	"notices spooled twice and filed once: $dups; sender/milter race log lines ('was sent already'): $raced"
python3 "$TOP/tests/lib/count-notices.py" "$H/export.json" "$POC" "$COORD" crash "$N" ||
	fail "lost or doubled notices or acknowledgements"
[ "$kills" -ge "$KILLS" ] || fail "only $kills kills"
ok "$N notices, $kills SIGKILLs: every notice delivered, filed once, acknowledged once"
