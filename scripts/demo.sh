#!/bin/bash
# demo.sh - the real thing on loopback, from a fresh Debian 12 as root:
# installs what is missing, builds, starts a private postfix on 127.0.0.1
# with pocmilter attached, makes a vendor and a coordinator key, sends a
# coordinator notice (signed and encrypted) over SMTP, then shows the filed
# case and the acknowledgement that arrived in the coordinator's mailbox.
# KEEP=1 keeps the temporary directory (printed) for a look around.
set -u
cd "$(dirname "$0")/.."
scripts/deps.sh || exit 1
scripts/build.sh || exit 1
TOP=$(pwd) BUILD=$(pwd)/build
. tests/lib/harness.sh

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Setting up in a temporary directory"
h_init
echo "directory: $H   smtp: 127.0.0.1:$SMTP_PORT   milter: unix:$MILTER_SOCKET"
step "Making keys: coordinator (JPCERT/CC Test) and vendor (Vendor PSIRT)"
h_keys
echo "coordinator key: $COORD_FPR"
echo "vendor key:      $VENDOR_FPR"
step "Starting a private postfix on 127.0.0.1:$SMTP_PORT and pocmilter"
h_postfix_start
h_config
h_milter_start
sed 's/^/    /' "$CONF"

step "The coordinator sends an encrypted, signed notice over SMTP"
h_notice --tn 'JPCERT#12345678' \
	--subject '[JPCERT#12345678] 脆弱性関連情報に関する概要情報のご連絡' >"$H/notice.eml"
sed -n '1,12p' "$H/notice.eml" | sed 's/^/    /'
echo "    ..."
h_send "$H/notice.eml" || h_die "SMTP send failed"

step "Waiting for the case and the acknowledgement"
COORD="$H/mail/jpcert/vuls"
h_wait_maildir 60 "$COORD" 1 || {
	tail -20 "$H/pocmilter.log"; h_die "no acknowledgement arrived"; }
echo "notice in the POC mailbox: $(h_maildir_count "$H/mail/vendor/security") message(s)"

step "pocctl list"
"$POCCTL" -c "$CONF" list
step "pocctl show JPCERT#12345678"
"$POCCTL" -c "$CONF" show 'JPCERT#12345678'

step "The acknowledgement in the coordinator's mailbox (headers, decoded)"
ack=$(h_maildir_files "$COORD" | head -1)
show_mime() { # print headers (decoded) and text of a MIME entity on stdin
	python3 -c '
import email, email.header, email.policy, sys
m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
for h in ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
          "Auto-Submitted", "Content-Type"):
    if m[h] is not None:
        print("    %s: %s" % (h, m[h]))
if sys.argv[1] == "body":
    print()
    for line in m.get_content().splitlines():
        print("    " + line)
' "$1"
}
show_mime headers <"$ack"
step "...decrypted and verified with the coordinator's key"
sed -n '/-----BEGIN PGP MESSAGE-----/,/-----END PGP MESSAGE-----/p' "$ack" |
	gpg --homedir "$GC" --batch --decrypt 2>"$H/verify.txt" | show_mime body
grep -E 'Good signature|using' "$H/verify.txt" | sed 's/^/    /'

step "pocmilter's log"
sed 's/^/    /' "$H/pocmilter.log"
echo
echo "Demo done. (KEEP=1 $0 keeps $H.)"
