#!/bin/bash
# AckSmtp: acknowledgements handed to postfix over SMTP, one connection per
# outbox round, not through sendmail (AckSendmail is /bin/false here, so a
# fallback to it would fail). Each notice gets one acknowledgement, decrypted
# and checked at the coordinator; the milter sees each pass (smtpd_milters)
# and it is recorded sent once. Then AckSmtp points at a closed port: the
# acknowledgement fails, is retried and paged (send-failed); after a reload
# with the right port it is sent, once.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --pages --no-milter
h_config "AckSmtp 127.0.0.1:$SMTP_PORT" "AckSendmail /bin/false" "AckRetry 2s" "PageCommand $H/page.sh"
h_milter_start
COORD="$H/mail/jpcert/vuls"

n=5
for i in $(seq $n); do
	h_notice --tn "JPCERT#9620000$i" --message-id "<smtp-$i@jpcert.example>" >"$H/s$i.eml"
done
python3 "$TOP/tests/lib/smtp-send-many.py" "$SMTP_PORT" vuls@jpcert.example security@vendor.example 1 \
	$(for i in $(seq $n); do echo "$H/s$i.eml"; done) >/dev/null || fail "sending the notices"
h_wait_for 60 h_maildir_ge "$COORD" $n || fail "only $(h_maildir_count "$COORD") of $n acknowledgements arrived"
for i in $(seq $n); do
	[ "$(h_acks_of "<smtp-$i@jpcert.example>")" = 1 ] || fail "smtp-$i: $(h_acks_of "<smtp-$i@jpcert.example>") acknowledgements"
	f=$(grep -l "^In-Reply-To: <smtp-$i@jpcert.example>" "$COORD"/new/* "$COORD"/cur/* 2>/dev/null)
	h_check_ack "$f" --tracking "JPCERT#9620000$i" --in-reply-to "<smtp-$i@jpcert.example>" \
		--subject "[JPCERT#9620000$i] Summary information on a vulnerability" >/dev/null ||
		fail "acknowledgement of smtp-$i"
done
sent=$(grep -c 'event=ack-sent .* to=vuls@jpcert.example' "$H/pocmilter.log")
[ "$sent" = $n ] || fail "$sent ack-sent log lines for $n acknowledgements"
grep -q 'client=localhost\[127.0.0.1\]' "$H/pf/maillog" || fail "postfix's smtpd did not take them"
grep -q '/pickup\[.*from=<security@vendor.example>' "$H/pf/maillog" &&
	fail "an acknowledgement went through sendmail/pickup"
[ "$(h_field '<smtp-1@jpcert.example>' ack_state)" = sent ] || fail "smtp-1 not recorded sent"
ok "$n acknowledgements over SMTP, each once, checked at the coordinator"

# --- a closed port: failed, retried, paged; the right port after a reload: sent once
closed=$((SMTP_PORT + 50))
sed -i "s/^AckSmtp .*/AckSmtp 127.0.0.1:$closed/" "$CONF"
kill -HUP "$MILTER_PID"
h_wait_for 20 grep -q 'reloaded' "$H/pocmilter.log" || fail "no reload"
h_notice --tn 'JPCERT#96200009' --message-id '<smtp-9@jpcert.example>' >"$H/s9.eml"
h_send "$H/s9.eml" || fail "send s9"
h_wait_for 30 grep -q 'event=ack-send-failed .*attempt=2 ' "$H/pocmilter.log" || fail "no failed attempts logged"
echo "failed: $(grep -m1 'event=ack-send-failed' "$H/pocmilter.log" | sed 's/^.*event=/event=/')"
runuser -u "$POC_USER" -- "$POCCTL" -c "$CONF" watch --page >/dev/null
grep -F '"reason":"send-failed","status":"firing"' "$H/pages.jsonl" | grep -qF '<smtp-9@jpcert.example>' ||
	fail "the failing acknowledgement was not paged"
sed -i "s/^AckSmtp .*/AckSmtp 127.0.0.1:$SMTP_PORT/" "$CONF"
kill -HUP "$MILTER_PID"
h_wait_for 90 h_acked '<smtp-9@jpcert.example>' ||
	fail "not sent after the reload"
sleep 5
[ "$(h_acks_of '<smtp-9@jpcert.example>')" = 1 ] || fail "smtp-9: $(h_acks_of '<smtp-9@jpcert.example>') acknowledgements"
ok "closed port -> failed, retried, paged; right port after a reload -> sent once"
