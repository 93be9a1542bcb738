#!/bin/bash
# ack-keys.sh - an acknowledgement is encrypted to the pinned CoordinatorKey
# only (issue 22 finding 6, issue 24 item 3). Through postfix, AckMode hold:
#   1. a notice signed by another key of the vendor's keyring (untrusted):
#      `pocctl ack` sends an acknowledgement the coordinator's key decrypts,
#      not addressed to the key that signed;
#   2. a notice with a bad signature (the signer is then a 16-hex key id):
#      `pocctl ack` works (it failed: "no usable encryption key for ...").
set -u
. "$(dirname "$0")/../lib/harness.sh"
h_setup --forgers "AckMode hold"
COORD="$H/mail/jpcert/vuls"
ack_of() { grep -l "^In-Reply-To: $1" "$COORD"/new/* "$COORD"/cur/* 2>/dev/null | head -1; }

h_notice --tn 'JPCERT#96400001' --sign untrusted --message-id '<keys-1@jpcert.example>' >"$H/n1.eml"
h_notice --tn 'JPCERT#96400002' --sign badsig --message-id '<keys-2@jpcert.example>' >"$H/n2.eml"
h_send "$H/n1.eml" && h_send "$H/n2.eml" || fail "send"
h_wait_for 60 h_filed_ge 2 || fail "not filed"
[ "$(h_field '<keys-1@jpcert.example>' signature)" = untrusted ] || fail "n1: $(h_field '<keys-1@jpcert.example>' signature)"
[ "$(h_field '<keys-2@jpcert.example>' signature)" = bad ] || fail "n2: $(h_field '<keys-2@jpcert.example>' signature)"

h_pocctl ack 'JPCERT#96400001' >"$H/ack1.out" 2>&1 || fail "pocctl ack (untrusted signer): $(cat "$H/ack1.out")"
h_wait_for 60 h_acked '<keys-1@jpcert.example>' || fail "no acknowledgement of the untrusted-signed notice"
a=$(ack_of '<keys-1@jpcert.example>')
h_check_ack "$a" --tracking 'JPCERT#96400001' --in-reply-to '<keys-1@jpcert.example>' \
	--subject '[JPCERT#96400001] Summary information on a vulnerability' >"$H/check1.out" ||
	fail "the coordinator's key cannot read it: $(cat "$H/check1.out")"
untrusted_ids=$(gpg --homedir "$GO" --with-colons --list-keys "$UNTRUSTED_FPR" | awk -F: '/^(pub|sub):/{print $5}')
packets=$(sed -n '/BEGIN PGP MESSAGE/,/END PGP MESSAGE/p' "$a" | gpg --homedir "$GC" --batch --list-packets 2>&1)
for id in $untrusted_ids; do
	echo "$packets" | grep -qi "keyid $id" && fail "the acknowledgement is encrypted to the key that signed ($id)"
done
coord_to=0
for id in $(gpg --homedir "$GC" --with-colons --list-keys "$COORD_FPR" | awk -F: '/^(pub|sub):/{print $5}'); do
	echo "$packets" | grep -qi "keyid $id" && coord_to=1
done
[ $coord_to = 1 ] || fail "the packets do not name the CoordinatorKey: $packets"
ok "signed by another key of the keyring: acknowledged to the CoordinatorKey, not to the signer"

h_pocctl ack 'JPCERT#96400002' >"$H/ack2.out" 2>&1 || fail "pocctl ack (bad signature): $(cat "$H/ack2.out")"
h_wait_for 60 h_acked '<keys-2@jpcert.example>' || fail "no acknowledgement of the badly signed notice"
h_check_ack "$(ack_of '<keys-2@jpcert.example>')" --tracking 'JPCERT#96400002' --in-reply-to '<keys-2@jpcert.example>' \
	--subject '[JPCERT#96400002] Summary information on a vulnerability' >"$H/check2.out" ||
	fail "the coordinator's key cannot read it: $(cat "$H/check2.out")"
ok "bad signature (a key id as signer): pocctl ack works, encrypted to the CoordinatorKey"
