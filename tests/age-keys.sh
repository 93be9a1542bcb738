#!/bin/bash
# age-keys.sh DIR - after the test mails are signed: expire the expired key
# and revoke the revoked key, in the vendor home (see make-keys.sh).
set -eu
dir=$1
. "$dir/keys.env"
G() { local h=$1; shift; gpg --homedir "$dir/$h" --batch --quiet --no-tty \
	--pinentry-mode loopback --passphrase '' "$@"; }
# Expiry one second after creation: already past.
G coord --quick-set-expire "$FPR_EXPIRED" seconds=1 2>/dev/null
sleep 2
G coord --export "$FPR_EXPIRED" | G vendor --import 2>/dev/null
# gpg made a revocation certificate with the key; its first line is
# defused with a ':' so it is not imported by accident.
sed 's/^:-----BEGIN/-----BEGIN/' "$dir/coord/openpgp-revocs.d/$FPR_REVOKED.rev" |
	G vendor --import 2>/dev/null
