#!/bin/bash
# sendmail.sh - pocmilter behind a real sendmail 8.17 (Debian 12's own
# packages, unpacked privately: tests/lib/sendmail.sh), for the paths where
# sendmail differs from postfix. The harness's postfix runs without milters
# as the inner server and the coordinator's MTA; pocmilter is attached to
# sendmail only (F=T). Notices are numbered sm-1..sm-TOTAL and counted at
# the end (tests/lib/count-notices.py: delivered, filed exactly once,
# acknowledged exactly once).
#
#   1. relay: sendmail relays vendor.example to the postfix; AckSmtp
#      to sendmail.
#   2. local: sendmail delivers vendor.example itself ({rcpt_addr} is only
#      the local part): security@ and security+jpcert@ filed; other@ not.
#   3. the filter down: F=T answers 4xx to all mail, watched or not; the
#      sender retries; once it is back, filed once.
#   4. a burst with SIGKILLs of pocmilter (sendmail tempfails what was in
#      flight; the sender retries). An acknowledgement whose SMTP hand-over
#      a kill cut is not resent by guess (ack-outcome-unknown, for a person).
#   5. AckSendmail through sendmail's MSP (submit.cf), run by the daemon's
#      user: works here (its queue is the user's), and adds
#      X-Authentication-Warning (-f); with Debian's queue permissions under
#      NoNewPrivileges (the unit) it fails: hence AckSmtp, used in 1-4.
#
#   tests/e2e/sendmail.sh              quick: burst of 16, 2 kills (make check)
#   LONG=1 tests/e2e/sendmail.sh       burst of 100, 8 kills
set -u
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/sendmail.sh"
h_need_root
if [ "${LONG:-0}" = 1 ]; then N=${N:-100} KILLS=${KILLS:-8}; else N=${N:-16} KILLS=${KILLS:-2}; fi
h_init
sm_init
trap 'rc=$?; sm_stop; (exit $rc); h_cleanup' EXIT
h_keys
h_postfix_start
sm_postfix_plain
h_config "AckSmtp 127.0.0.1:$SM_PORT" "AckRetry 5s"
h_milter_start

POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"
h_on_fail() {
	echo "--- pocmilter.log (last)"; tail -20 "$H/pocmilter.log"
	echo "--- sendmail log"; tail -20 "$SM_LOG"
	echo "--- postfix maillog"; tail -8 "$H/pf/maillog"
}
mkdir "$H/out"
notice() { # I [TO]: notice sm-I, written to $H/out/I.eml (CRLF)
	h_notice --tn "$(printf 'JPCERT#%08d' $((94000000 + $1)))" --message-id "<sm-$1@jpcert.example>" |
		sm_crlf /dev/stdin >"$H/out/$1.eml"
}
filed() { "$POCCTL" -c "$CONF" export | grep -c "<sm-$1@jpcert.example>"; }
i=0

# --- 1. relayed POC mailbox ----------------------------------------------
sm_start relay
i=$((i + 1)); notice $i
sm_send "$H/out/$i.eml" || fail "relay: sendmail did not take the notice"
h_wait_for 30 h_acked "<sm-$i@jpcert.example>" || fail "relay: no acknowledgement"
grep -q "filed queue_id=[0-9A-Za-z]* message_id=<sm-$i@" "$H/pocmilter.log" || fail "relay: not filed under sendmail's queue id"
ok "relay: sm-$i delivered by the inner postfix, filed, acknowledged by AckSmtp through sendmail"
sm_stop

# --- 2. local POC mailbox -------------------------------------------------
sm_start local
i=$((i + 1)); notice $i
sm_send "$H/out/$i.eml" || fail "local: sendmail did not take the notice"
i=$((i + 1)); notice $i
sm_send "$H/out/$i.eml" vuls@jpcert.example security+jpcert@vendor.example || fail "local: not taken (+detail)"
printf 'From: finder@example.org\r\nTo: other@vendor.example\r\nSubject: hello\r\nMessage-ID: <sm-unwatched-1@example.org>\r\n\r\nnot for the POC\r\n' >"$H/out/u1.eml"
sm_send "$H/out/u1.eml" finder@example.org other@vendor.example || fail "local: unwatched mail not taken"
h_wait_for 30 h_acked "<sm-$((i - 1))@jpcert.example>" || fail "local: no acknowledgement of security@"
h_wait_for 30 h_acked "<sm-$i@jpcert.example>" || fail "local: no acknowledgement of security+jpcert@"
h_wait_maildir 20 "$H/mail/vendor/other" 1 || fail "local: unwatched mail not delivered"
grep -q "sm-$((i - 1))@jpcert.example.*mailer=local\|to=|\"$SM/deliver $POC\"" "$SM_LOG" || fail "local: sendmail did not deliver locally"
"$POCCTL" -c "$CONF" export | grep -q 'sm-unwatched-1' && fail "local: unwatched mail was filed"
ok "local: sm-$((i - 1)) (security@) and sm-$i (security+jpcert@) delivered by sendmail, filed, acknowledged; other@ not filed"

# --- 3. the filter down (F=T) ---------------------------------------------
h_milter_stop
i=$((i + 1)); notice $i
printf 'From: finder@example.org\r\nTo: other@vendor.example\r\nSubject: hello\r\nMessage-ID: <sm-unwatched-2@example.org>\r\n\r\nnot for the POC\r\n' >"$H/out/u2.eml"
python3 - "$SM_PORT" "$H/out/$i.eml" "$H/out/u2.eml" >"$H/down.out" <<'PY' || fail "filter down: $(cat "$H/down.out")"
import smtplib, sys
port = int(sys.argv[1])
for path, rcpt in ((sys.argv[2], "security@vendor.example"), (sys.argv[3], "other@vendor.example")):
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
            s.sendmail("vuls@jpcert.example", [rcpt], open(path, "rb").read())
        print("%s: accepted while the filter is down" % rcpt); sys.exit(1)
    except smtplib.SMTPResponseException as e:
        code, text = e.smtp_code, e.smtp_error
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
    except smtplib.SMTPSenderRefused as e:
        code, text = e.smtp_code, e.smtp_error
    print("%s: %d %s" % (rcpt, code, text.decode(errors="replace") if isinstance(text, bytes) else text))
    if not 400 <= code < 500: sys.exit(1)
PY
cat "$H/down.out"
h_milter_start
SEND_DEADLINE=60 python3 "$TOP/tests/lib/smtp-send-many.py" "$SM_PORT" vuls@jpcert.example \
	security@vendor.example 1 "$H/out/$i.eml" >"$H/retry.out" 2>&1 || fail "filter back: $(cat "$H/retry.out")"
h_wait_for 30 h_acked "<sm-$i@jpcert.example>" || fail "filter down: no acknowledgement after the retry"
ok "filter down: watched and unwatched mail got 4xx (F=T); retried once it was back: sm-$i filed, acknowledged"

# --- 4. burst with SIGKILLs -----------------------------------------------
first=$((i + 1))
for _ in $(seq "$N"); do i=$((i + 1)); notice $i; done
gap=$(python3 -c "print(max(0.05, $KILLS * 2.0 * 2 / $N))")
SEND_GAP=$gap python3 "$TOP/tests/lib/smtp-send-many.py" "$SM_PORT" vuls@jpcert.example \
	security@vendor.example 2 $(for j in $(seq "$first" "$i"); do echo "$H/out/$j.eml"; done) \
	>"$H/burst.out" 2>"$H/burst.err" &
sender=$!
h_milter_kills "$KILLS" 3 1
kills=$H_KILLS
wait "$sender" || fail "burst: the sender could not hand over every notice: $(cat "$H/burst.out" "$H/burst.err")"
cat "$H/burst.out"
[ "$kills" -ge "$KILLS" ] || fail "only $kills kills"
# Each is acknowledged, unless a kill landed while its acknowledgement was
# being handed to sendmail over SMTP (AckSmtp): then sendmail never took it
# (the transaction died with the daemon; the filter, gone too, could not
# answer for it), and the restarted daemon, which cannot know that, leaves
# it to a person after a grace time (ack-outcome-unknown, paged), never
# resending by guess.
h_wait_maildir 90 "$COORD" "$i" || true
unknown=""
for j in $(seq "$first" "$i"); do
	h_acked "<sm-$j@jpcert.example>" && continue
	tn=$(printf 'JPCERT#%08d' $((94000000 + j)))
	ackid=$(grep -o "event=ack-outcome-unknown case=$tn ack=<[^>]*>" "$H/pocmilter.log" | head -1 |
		sed 's/.*ack=\(<[^>]*>\).*/\1/')
	[ -n "$ackid" ] || fail "burst: sm-$j not acknowledged, and its hand-over was not cut by a kill"
	for q in $(grep -F "msgid=$ackid" "$SM_LOG" | sed -n 's/.*: \([0-9A-Za-z]*\): from=.*/\1/p'); do
		grep -q "$q: to=.*stat=Sent" "$SM_LOG" && fail "burst: sendmail sent $ackid (sm-$j), which did not arrive"
	done
	unknown="$unknown,<sm-$j@jpcert.example>"
done
n_unknown=$(printf '%s' "$unknown" | tr ',' '\n' | grep -c .)
ok "burst: $N notices, $kills SIGKILLs of pocmilter, each filed; acknowledged: $((N - n_unknown)), left to a person because a kill cut the SMTP hand-over: $n_unknown"

# --- 5. AckSendmail through sendmail's MSP ---------------------------------
sed -i "/^AckSmtp /d; s#^AckSendmail .*#AckSendmail $(sm_msp) -i -t#" "$CONF"
kill -HUP "$MILTER_PID"
h_wait_for 10 grep -q "event=reloaded config=$CONF" "$H/pocmilter.log" || fail "no reload"
i=$((i + 1)); notice $i
sm_send "$H/out/$i.eml" || fail "msp: sendmail did not take the notice"
h_wait_for 30 h_acked "<sm-$i@jpcert.example>" || fail "msp: no acknowledgement through the MSP"
ack=$(grep -l "^In-Reply-To: <sm-$i@jpcert.example>" "$COORD"/new/* "$COORD"/cur/* 2>/dev/null | head -1)
grep -qi '^Content-Type: multipart/encrypted' "$ack" || fail "msp: the acknowledgement is not encrypted"
if grep -q '^X-Authentication-Warning:.*set sender to' "$ack"; then
	warn="with X-Authentication-Warning (${POC_USER} is not trusted in submit.cf)"
else
	fail "msp: expected X-Authentication-Warning: the documentation says so"
fi
ok "msp: sm-$i acknowledged by AckSendmail through submit.cf, $warn"
# The same MSP as Debian installs it (queue directory of its group, 2770,
# the binary set-gid) run by the daemon's user under NoNewPrivileges, as
# the unit does: the set-gid bit does nothing, the MSP cannot enter its
# queue and fails. (Modelled with group mail for smmsp; the copy is not
# made set-gid: under NoNewPrivileges that would change nothing.)
mkdir "$SM/mqueue-client"
chown root:mail "$SM/mqueue-client" && chmod 2770 "$SM/mqueue-client"
sed "s#^O QueueDirectory=.*#O QueueDirectory=$SM/mqueue-client#" "$SM/submit.cf" >"$SM/submit-debian.cf"
printf 'From: security@vendor.example\r\nTo: vuls@jpcert.example\r\nSubject: nnp\r\n\r\nx\r\n' >"$H/nnp.eml"
chmod 644 "$H/nnp.eml" "$SM/submit-debian.cf"
setpriv --no-new-privs --reuid "$POC_USER" --regid "$(id -g "$POC_USER")" --clear-groups \
	"$SM/sendmail" -C "$SM/submit-debian.cf" -i -t -f security@vendor.example <"$H/nnp.eml" >"$H/nnp.out" 2>&1
nnp=$?
[ $nnp -ne 0 ] || fail "msp: under NoNewPrivileges the MSP took the mail: the documentation says it cannot"
ok "msp under NoNewPrivileges with Debian's queue permissions: exit $nnp, $(head -1 "$H/nnp.out")"

# --- all of them -----------------------------------------------------------
sleep 5	# a second acknowledgement, if any, would arrive now
"$POCCTL" -c "$CONF" export >"$H/export.json" || fail "pocctl export"
UNKNOWN_OUTCOME=$unknown python3 "$TOP/tests/lib/count-notices.py" "$H/export.json" "$POC" "$COORD" sm "$i" ||
	fail "lost or doubled notices or acknowledgements"
grep -q 'queue_id=- ' "$H/pocmilter.log" && fail "a queue id was missing (macro i not available)"
ok "$i notices through sendmail: every one delivered, filed once, acknowledged once (but $n_unknown left to a person, none twice)"
