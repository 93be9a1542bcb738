#!/bin/bash
# A key expired (issue 10), through the real postfix and GnuPG:
#  1. The coordinator's key, as we hold it, has expired: a notice it signed
#     before is filed with signature `bad`, not acknowledged, and paged
#     (signature-not-good). The coordinator's refreshed key (a later
#     expiry) is imported; `pocctl reprocess ID` verifies it again:
#     signature good, acknowledged once.
#  2. Our own (POC) key has expired: the coordinator's copy still encrypts
#     to it, so the notice is decrypted and verified, but no
#     acknowledgement can be signed: none leaves, the notice stays open and
#     is paged (send-failed). Once the expiry is moved on, `pocctl ack ID`
#     sends it, once.
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --pages "AckRetry 5s"
COORD="$H/mail/jpcert/vuls"
h_on_fail() { grep -iE 'error|warn' "$H/pocmilter.log" | tail -20; cat "$H/pages.jsonl"; }
asuser() { runuser -u "$POC_USER" -- "$@"; }
paged() { # REASON MESSAGE-ID: a firing page of that reason names the message
	grep -F "\"reason\":\"$1\",\"status\":\"firing\"" "$H/pages.jsonl" | grep -qF "\"message_id\":\"$2\""
}
GV_() { runuser -u "$POC_USER" -- gpg --homedir "$GV" --batch --quiet --no-tty "$@"; }

# --- 1. the coordinator's key expired -----------------------------------------
h_notice --tn 'JPCERT#96100001' --message-id '<exp-1@jpcert.example>' >"$H/e1.eml"
gpg --homedir "$GC" --batch --quiet --quick-set-expire "$COORD_FPR" seconds=1 2>/dev/null ||
	fail "setting the coordinator key's expiry"
sleep 2
gpg --homedir "$GC" --batch --quiet --export --armor "$COORD_FPR" >"$H/coord-expired.pub"
GV_ --import "$H/coord-expired.pub" 2>/dev/null
h_send "$H/e1.eml" || fail "send e1"
h_wait_for 30 sh -c "'$POCCTL' -c '$CONF' export | grep -q 'exp-1@'" || fail "e1 not filed"
sig=$(h_field '<exp-1@jpcert.example>' signature) st=$(h_field '<exp-1@jpcert.example>' ack_state)
echo "coordinator key expired: signature=$sig ack_state=$st"
[ "$sig" = bad ] || fail "signature is $sig with the signer's key expired"
[ "$st" = held ] || fail "ack_state is $st"
asuser "$POCCTL" -c "$CONF" watch --page >/dev/null
paged signature-not-good '<exp-1@jpcert.example>' || fail "e1 was not paged as signature-not-good"
sleep 3
[ "$(h_acks_of '<exp-1@jpcert.example>')" = 0 ] || fail "acknowledged with an expired signer key"
# The coordinator publishes its key with a new expiry; we import it.
gpg --homedir "$GC" --batch --quiet --quick-set-expire "$COORD_FPR" 1y 2>/dev/null || fail "renewing"
gpg --homedir "$GC" --batch --quiet --export --armor "$COORD_FPR" >"$H/coord-renewed.pub"
GV_ --import "$H/coord-renewed.pub" 2>/dev/null
asuser "$POCCTL" -c "$CONF" reprocess 'JPCERT#96100001' | tee "$H/reprocess1.out" || fail "pocctl reprocess"
grep -q 'signature=good' "$H/reprocess1.out" || fail "reprocess after the renewal: not good"
h_wait_for 60 h_acked '<exp-1@jpcert.example>' ||
	fail "e1 not acknowledged after the renewal"
ok "coordinator key expired -> bad, held, paged; renewed + pocctl reprocess -> good, acknowledged"

# --- 2. our own key expired ------------------------------------------------------
GV_ --pinentry-mode loopback --passphrase '' --quick-set-expire "$VENDOR_FPR" seconds=1 2>/dev/null ||
	fail "setting the POC key's expiry"
GV_ --pinentry-mode loopback --passphrase '' --quick-set-expire "$VENDOR_FPR" seconds=1 '*' 2>/dev/null
sleep 2
h_notice --tn 'JPCERT#96100002' --message-id '<exp-2@jpcert.example>' >"$H/e2.eml"
h_send "$H/e2.eml" || fail "send e2"
h_wait_for 30 sh -c "'$POCCTL' -c '$CONF' export | grep -q 'exp-2@'" || fail "e2 not filed"
dec=$(h_field '<exp-2@jpcert.example>' decryption) sig=$(h_field '<exp-2@jpcert.example>' signature)
st=$(h_field '<exp-2@jpcert.example>' ack_state)
echo "POC key expired: decryption=$dec signature=$sig ack_state=$st"
[ "$dec" = ok ] || fail "decryption is $dec (GnuPG decrypts with an expired key)"
sleep 8
[ "$(h_acks_of '<exp-2@jpcert.example>')" = 0 ] || fail "an acknowledgement left, signed by an expired key?"
asuser "$POCCTL" -c "$CONF" watch --page >/dev/null
grep -F '"status":"firing"' "$H/pages.jsonl" | grep -qF '"message_id":"<exp-2@jpcert.example>"' ||
	fail "e2 was not paged"
echo "paged: $(grep -F '<exp-2@jpcert.example>' "$H/pages.jsonl" | grep -o '"reason":"[a-z-]*"' | sort -u | tr '\n' ' ')"
# '*' would pick only subkeys not yet expired: name the expired ones.
subs=$(GV_ --with-colons --list-options show-unusable-subkeys --list-keys "$VENDOR_FPR" |
	awk -F: '/^sub/ { s = 1; next } s && /^fpr/ { print $10; s = 0 }')
[ -n "$subs" ] || fail "no subkey of our key listed"
GV_ --pinentry-mode loopback --passphrase '' --quick-set-expire "$VENDOR_FPR" 1y 2>/dev/null || fail "renewing ours"
GV_ --pinentry-mode loopback --passphrase '' --quick-set-expire "$VENDOR_FPR" 1y $subs 2>/dev/null ||
	fail "renewing our subkeys"
# A person sends it (the acknowledgement failed to compose: nothing retries it by itself).
asuser "$POCCTL" -c "$CONF" ack 'JPCERT#96100002' | tee "$H/ack2.out" || fail "pocctl ack after the renewal"
h_wait_for 60 h_acked '<exp-2@jpcert.example>' ||
	fail "e2 not acknowledged after our key was renewed"
sleep 6
[ "$(h_acks_of '<exp-2@jpcert.example>')" = 1 ] || fail "e2: $(h_acks_of '<exp-2@jpcert.example>') acknowledgements"
[ "$(h_acks_of '<exp-1@jpcert.example>')" = 1 ] || fail "e1: $(h_acks_of '<exp-1@jpcert.example>') acknowledgements"
ok "POC key expired -> decrypted, no acknowledgement, paged; renewed -> acknowledged once"
