#!/bin/sh
# t_install.sh - `make install` into a DESTDIR puts every file in place, with
# the unit's paths filled in, and never overwrites an existing config.
. "$(dirname "$0")/harness.sh"
unset MAKEFLAGS MFLAGS MAKELEVEL

root=$WORK/root
"$SSOGW" -V >"$WORK/v"
conf_default=$(sed -n 's/^configuration: //p' "$WORK/v")
make -s -C "$TOP" install DESTDIR="$root" PREFIX=/usr >"$WORK/install.log" 2>&1
ok "make install into DESTDIR succeeds" test $? -eq 0
ok "installs the daemon" test -x "$root/usr/sbin/ssogw"
ok "installs the sample configuration at the compiled-in path" test -f "$root$conf_default"
ok "installs ssogw(8)" test -f "$root/usr/share/man/man8/ssogw.8"
ok "installs ssogw.conf(5)" test -f "$root/usr/share/man/man5/ssogw.conf.5"
unit=$root/usr/lib/systemd/system/ssogw.service
ok "installs the unit" test -f "$unit"
ok "the unit runs the installed binary" grep -q "^ExecStart=/usr/sbin/ssogw -f -c $conf_default\$" "$unit"
ok "the unit has no unfilled @PLACEHOLDER@" sh -c "! grep -q '@[A-Z]*@' '$unit'"

echo "# edited by the admin" >>"$root$conf_default"
make -s -C "$TOP" install DESTDIR="$root" PREFIX=/usr >"$WORK/install.log" 2>&1
ok "a second install keeps the admin's configuration" grep -q "edited by the admin" "$root$conf_default"

# The test-only sign-in is not in the installed daemon.
ok "the installed daemon holds no test IdP code" sh -c "! grep -q 'test-idp/login' '$SSOGW_INSTALLED'"
write_conf "$WORK/t.conf" "$(free_port)"
sed -i 's/^type = saml$/type = test/; /^metadata_file/d' "$WORK/t.conf"
"$SSOGW_INSTALLED" -t -c "$WORK/t.conf" >"$WORK/t.out" 2>&1
ok "the installed daemon refuses an [idp] of type test" test $? -ne 0
ok "... and says it exists only in test builds" grep -q 'type = test exists only in test builds' "$WORK/t.out"
ok "the test build accepts it" sh -c "\"$SSOGW\" -t -c \"$WORK/t.conf\" >/dev/null"
