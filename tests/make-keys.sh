#!/bin/bash
# make-keys.sh DIR - make throwaway OpenPGP keys for the tests, in DIR
#
# DIR must be a short path (gpg-agent's socket path is at most 108 bytes):
# use mktemp -d /tmp/pgXXXXXX. Every key is made here, now, without a
# passphrase; none is ever committed.
#
#   DIR/vendor   the POC's home (pocmilter's GnuPGHome): the vendor's secret
#                key; public keys of the coordinator, the third party, the
#                expired and the revoked keys (not of the unknown key)
#   DIR/coord    the coordinator's home: its secret key, the vendor's public
#                key, and the secret keys of third, unknown, expired, revoked
#                (so one home can make every test mail)
#   DIR/keys.env FPR_VENDOR=... FPR_COORD=... FPR_THIRD=... FPR_UNKNOWN=...
#                FPR_EXPIRED=... FPR_REVOKED=...
#
# The expired key is made valid, then its expiry is set one second after
# its creation: signatures made before stay, and now verify as EXPKEYSIG
# (the corpus makes them before calling expire-keys). The revoked key's
# revocation certificate is imported into the vendor home by revoke-keys.
set -eu
dir=$1
mkdir -p "$dir/vendor" "$dir/coord"
chmod 700 "$dir/vendor" "$dir/coord"
G() { local h=$1; shift; gpg --homedir "$dir/$h" --batch --quiet --no-tty \
	--pinentry-mode loopback --passphrase '' "$@"; }

gen() {	# home uid -> fingerprint
	G "$1" --quick-gen-key "$2" future-default default never 2>/dev/null
	G "$1" --with-colons --list-secret-keys "$2" | awk -F: '$1=="fpr"{print $10; exit}'
}
FPR_VENDOR=$(gen vendor 'Vendor PSIRT <security@vendor.example>')
FPR_COORD=$(gen coord 'JPCERT/CC Vulnerability Coordination <vuls@jpcert.or.jp>')
FPR_THIRD=$(gen coord 'Some Finder <finder@research.example>')
FPR_UNKNOWN=$(gen coord 'Stranger <stranger@unknown.example>')
FPR_EXPIRED=$(gen coord 'Old Coordinator <old@jpcert.or.jp>')
FPR_REVOKED=$(gen coord 'Revoked Coordinator <revoked@jpcert.or.jp>')

G vendor --export "$FPR_VENDOR" | G coord --import 2>/dev/null
G coord --export "$FPR_COORD" "$FPR_THIRD" "$FPR_EXPIRED" "$FPR_REVOKED" |
	G vendor --import 2>/dev/null
cat > "$dir/keys.env" <<EOT
FPR_VENDOR=$FPR_VENDOR
FPR_COORD=$FPR_COORD
FPR_THIRD=$FPR_THIRD
FPR_UNKNOWN=$FPR_UNKNOWN
FPR_EXPIRED=$FPR_EXPIRED
FPR_REVOKED=$FPR_REVOKED
EOT
