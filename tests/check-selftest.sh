#!/bin/sh
# check-selftest.sh LOGDIR - proves that the layering and docs checks can
# fail: each is run on a copy with one planted mistake and must object.
# Prints "ok NAME" or "FAIL NAME" per case.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
logs=${1:-/tmp}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_failure() { # name command...
	name=$1
	shift
	if "$@" >"$logs/selftest-$name.log" 2>&1; then
		echo "FAIL $name"
	else
		echo "ok $name"
	fi
}

cp -r "$top/lib" "$top/src" "$tmp/"
echo '#include "net.h"' >>"$tmp/src/http/url.c"
expect_failure layering-catches-module-include sh "$top/tests/check-layering.sh" "$tmp"

rm -rf "$tmp/lib" "$tmp/src"
cp -r "$top/lib" "$top/src" "$tmp/"
echo '#include <event2/event.h>' >>"$tmp/src/conf/conf.c"
expect_failure layering-catches-library-header sh "$top/tests/check-layering.sh" "$tmp"

grep -v '^#\?workers' "$top/etc/ssogw.conf" >"$tmp/sample.conf"
expect_failure docs-catch-missing-sample-directive sh "$top/tests/check-docs.sh" \
	"$top/build/tools/dump_directives" "$top/man/ssogw.conf.5" "$tmp/sample.conf"

sed 's/^\.B drain_timeout$/.B drain_timeouts/' "$top/man/ssogw.conf.5" >"$tmp/ssogw.conf.5"
expect_failure docs-catch-misnamed-man-directive sh "$top/tests/check-docs.sh" \
	"$top/build/tools/dump_directives" "$tmp/ssogw.conf.5" "$top/etc/ssogw.conf"

sed -e 's/^ProtectSystem=strict//' -e 's/^SystemCallFilter=.*//' -e 's/^PrivateDevices=yes//' \
	"$top/systemd/ssogw.service" >"$tmp/ssogw.service"
expect_failure unit-check-catches-weaker-hardening sh "$top/tests/check-unit.sh" "$tmp/ssogw.service"
