#!/bin/sh
# check-unit.sh - the systemd unit is valid (systemd-analyze verify) and
# stays hardened: an exposure of 2.0 ("OK") or better in
# systemd-analyze security.  Usage: check-unit.sh [UNIT_FILE]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
unit=${1:-$top/systemd/ssogw.service}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Fill the install-time paths with this tree's, so verify finds the binary.
sed "s|@SBINDIR@|$top|g; s|@SYSCONFDIR@|$top/etc|g" "$unit" >"$tmp/ssogw.service"
systemd-analyze verify --man=no "$tmp/ssogw.service"
rc=0
systemd-analyze security --offline=true --threshold=20 "$tmp/ssogw.service" >"$tmp/out" || rc=$?
tail -n 1 "$tmp/out"
exit $rc
