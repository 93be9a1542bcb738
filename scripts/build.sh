#!/bin/sh
# build.sh - bootstrap, configure (warnings are errors) and build in build/.
# The source tree itself stays unconfigured, so that the sanitizer and fuzz
# builds (build-asan/, build-fuzz/) can sit beside it.
set -eu
cd "$(dirname "$0")/.."
if [ -f Makefile ] && [ -f config.status ]; then
	echo "build.sh: the source tree is configured in place; run 'make distclean' first" >&2
	exit 1
fi
[ -x configure ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure -q --enable-werror --sysconfdir=/etc --localstatedir=/var ${CONFIGURE_FLAGS:-}
make -j"$(nproc)"
