#!/bin/bash
# make-corpus.sh SRCDIR OUTDIR KEYDIR - make keys, then the test mails
#
# KEYDIR must be short (gpg-agent sockets): mktemp -d /tmp/pgXXXXXX.
# Keys are made on the spot (../make-keys.sh); the mails are built from
# the readable sources in SRCDIR (make-corpus.py says how); then the
# expired key is expired and the revoked key revoked (../age-keys.sh),
# after it signed its mails. See README.md.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$1 out=$2 keys=$3
bash "$here/../make-keys.sh" "$keys"
python3 "$here/make-corpus.py" "$src" "$out" "$keys"
bash "$here/../age-keys.sh" "$keys"
