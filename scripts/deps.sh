#!/bin/sh
# deps.sh - install what pocmilter needs to build, test and run the demo, on
# Debian 12, from Debian's package mirror only. Idempotent; needs root.
set -eu
PKGS="build-essential autoconf automake pkg-config
      libmilter-dev libgmime-3.0-dev libgpgme-dev liblmdb-dev lmdb-utils
      libglib2.0-dev libjson-glib-dev check libsystemd-dev
      postfix gnupg gpg-agent python3 miltertest faketime
      clang libclang-rt-14-dev valgrind libical-dev
      opendkim opendkim-tools python3-prometheus-client m4
      debhelper lintian systemd"
# libsystemd-dev: sd_notify. debhelper, lintian, systemd: the Debian package
# and tests/e2e/package.sh (systemd.pc names the unit directory; the test
# runs systemd-analyze verify and the package's systemd-sysusers).
missing=""
for p in $PKGS; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || { echo "deps.sh: as root, or install:$missing" >&2; exit 1; }
	echo "deps.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# postfix must not ask questions nor start the system instance.
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
# A real sendmail for tests/e2e/sendmail.sh. sendmail-bin conflicts with
# postfix, so it is only downloaded (never installed) and the test unpacks
# it privately with dpkg -x (m4, above, builds its .cf).
SM_CACHE=/var/cache/pocmilter-test/sendmail
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$SM_CACHE"
	for p in sendmail-bin sendmail-cf libwrap0; do
		ls "$SM_CACHE/${p}_"*.deb >/dev/null 2>&1 ||
			(cd "$SM_CACHE" && apt-get download -q "$p" >/dev/null 2>&1) ||
			{ apt-get update -q && (cd "$SM_CACHE" && apt-get download -q "$p"); }
	done
fi
# The daemon's user.
if ! id pocmilter >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin pocmilter
fi
