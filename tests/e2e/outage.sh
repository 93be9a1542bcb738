#!/bin/bash
# The filter down, and GnuPG broken (issue 10):
#  1. milter_default_action = tempfail, pocmilter stopped: postfix does not
#     take the POC mail (4xx, the sender retries); once pocmilter is back
#     it is delivered, filed and acknowledged once.
#  2. milter_default_action = accept, pocmilter stopped: the mail is
#     delivered unfiled; `pocctl import` of the Maildir files it (a second
#     import skips it), and the daemon acknowledges it once.
#  3. gpg-agent killed and the GnuPG home unreadable (chmod 000): a notice
#     is filed as `decryption failed`, not acknowledged, and paged
#     (decrypt-failed, from `pocctl watch --page`); once fixed,
#     `pocctl reprocess ID` reads it again: decryption ok, acknowledged once.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --pages "AckRetry 5s"
POC="$H/mail/vendor/security" COORD="$H/mail/jpcert/vuls"
h_on_fail() { grep -iE 'error|warn' "$H/pocmilter.log" | tail -20; tail -5 "$H/pf/maillog"; }
asuser() { runuser -u "$POC_USER" -- "$@"; }

# --- 1. tempfail ---------------------------------------------------------------
h_notice --tn 'JPCERT#96000001' --message-id '<down-1@jpcert.example>' >"$H/d1.eml"
h_milter_stop
if h_send "$H/d1.eml" 2>"$H/send1.err"; then fail "postfix took POC mail with the milter down (tempfail)"; fi
grep -q '4[0-9][0-9]' "$H/send1.err" || fail "not a 4xx: $(tail -1 "$H/send1.err")"
ok "milter down, tempfail: the SMTP client got $(grep -o '(4[0-9][0-9][^)]*' "$H/send1.err" | head -1 | cut -c2-60)"
[ "$(h_maildir_count "$POC")" = 0 ] || fail "delivered while the milter was down"
h_milter_start
python3 "$TOP/tests/lib/smtp-send-many.py" "$SMTP_PORT" vuls@jpcert.example security@vendor.example 1 "$H/d1.eml" >/dev/null ||
	fail "retry after restart"
h_wait_maildir 30 "$POC" 1 || fail "not delivered after the milter came back"
h_wait_maildir 60 "$COORD" 1 || fail "not acknowledged after the milter came back"
[ "$(h_field '<down-1@jpcert.example>' ack_state)" = sent ] || fail "ack_state of down-1"
ok "retried after the milter came back: delivered, filed, acknowledged"

# --- 2. accept + pocctl import --------------------------------------------------
postconf -c "$PF_CONF" -e milter_default_action=accept && postfix -c "$PF_CONF" reload >/dev/null 2>&1
sleep 1
h_milter_stop
for i in 2 3; do
	h_notice --tn "JPCERT#9600000$i" --message-id "<down-$i@jpcert.example>" >"$H/d$i.eml"
	h_send "$H/d$i.eml" || fail "send d$i with the milter down (accept)"
done
h_wait_maildir 30 "$POC" 3 || fail "accept: not delivered with the milter down"
[ -z "$(h_field '<down-2@jpcert.example>' message_id)" ] || fail "filed although the milter was down?"
mkdir -m 755 "$H/import" && cp -r "$POC" "$H/import/" && chown -R "$POC_USER:" "$H/import"
asuser "$POCCTL" -c "$CONF" import "$H/import/security" >"$H/import.out" 2>&1 || { cat "$H/import.out"; fail "pocctl import"; }
asuser "$POCCTL" -c "$CONF" import "$H/import/security" >"$H/import2.out" 2>&1 || { cat "$H/import2.out"; fail "second pocctl import"; }
echo "import: $(tr '\n' ' ' <"$H/import.out")"
echo "again:  $(tr '\n' ' ' <"$H/import2.out")"
postconf -c "$PF_CONF" -e milter_default_action=tempfail && postfix -c "$PF_CONF" reload >/dev/null 2>&1
h_milter_start
h_wait_maildir 60 "$COORD" 3 || fail "imported notices not acknowledged"
sleep 6
for i in 1 2 3; do
	n=$(h_acks_of "<down-$i@jpcert.example>")
	[ "$n" = 1 ] || fail "down-$i: $n acknowledgements"
done
[ "$("$POCCTL" -c "$CONF" export | grep -o '"message_id":"<down-[0-9]@' | sort | uniq -d | wc -l)" = 0 ] ||
	fail "a message filed twice by import"
ok "accept: delivered unfiled, pocctl import filed both once, each acknowledged once"

# --- 3. GnuPG broken, then fixed, then pocctl reprocess ------------------------
gpgconf --homedir "$GV" --kill all
pkill_agent() { local p; for p in $(pgrep -u "$POC_USER" -x gpg-agent); do
	grep -qa -- "$GV" "/proc/$p/cmdline" 2>/dev/null && kill "$p"; done; }
pkill_agent
chmod 000 "$GV"
h_notice --tn 'JPCERT#96000004' --message-id '<down-4@jpcert.example>' >"$H/d4.eml"
h_send "$H/d4.eml" || fail "send d4"
h_wait_for 30 sh -c "'$POCCTL' -c '$CONF' export | grep -q 'down-4@'" || fail "d4 not filed"
dec=$(h_field '<down-4@jpcert.example>' decryption) st=$(h_field '<down-4@jpcert.example>' ack_state)
echo "GnuPG home unreadable: decryption=$dec ack_state=$st"
[ "$dec" = failed ] || fail "decryption is $dec with an unreadable GnuPG home"
sleep 3
[ "$(h_acks_of '<down-4@jpcert.example>')" = 0 ] || fail "a notice that was not decrypted was acknowledged"
asuser "$POCCTL" -c "$CONF" watch --page >/dev/null
grep -F '"reason":"decrypt-failed","status":"firing"' "$H/pages.jsonl" | grep -qF '"message_id":"<down-4@jpcert.example>"' ||
	fail "decryption failure not paged: $(cat "$H/pages.jsonl")"
echo "paged: decrypt-failed for <down-4@jpcert.example>"
chmod 700 "$GV"
asuser "$POCCTL" -c "$CONF" reprocess 'JPCERT#96000004' | tee "$H/reprocess.out" || fail "pocctl reprocess"
grep -q 'decryption=ok signature=good' "$H/reprocess.out" || fail "reprocess did not decrypt"
h_wait_for 60 h_acked '<down-4@jpcert.example>' ||
	fail "reprocessed notice not acknowledged"
asuser "$POCCTL" -c "$CONF" reprocess 'JPCERT#96000004' >/dev/null || fail "second reprocess"
sleep 6
[ "$(h_acks_of '<down-4@jpcert.example>')" = 1 ] || fail "down-4: $(h_acks_of '<down-4@jpcert.example>') acknowledgements"
ok "GnuPG broken -> decryption failed, not acknowledged; fixed + pocctl reprocess -> ok, acknowledged once (twice reprocessed)"
