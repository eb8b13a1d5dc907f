#!/bin/sh
# t_cli.sh - command-line flags and `ssogw -t`, as an admin uses them.
. "$(dirname "$0")/harness.sh"

"$SSOGW" -h >"$WORK/out" 2>&1
ok "-h exits 0" test $? -eq 0
ok "-h prints the usage line" contains "$WORK/out" "usage: ssogw [-c FILE] [-f] [-d] [-t] [-V] [-h]"

"$SSOGW" -V >"$WORK/out" 2>&1
ok "-V exits 0" test $? -eq 0
ok "-V names the version" grep -q '^ssogw [0-9]' "$WORK/out"
for lib in libevent OpenSSL libxml2 xmlsec1 jansson cjose libcurl hiredis inih http-parser; do
	ok "-V names $lib and its version" grep -q "$lib [0-9]" "$WORK/out"
done

"$SSOGW" -x >"$WORK/out" 2>&1
ok "an unknown flag exits 2" test $? -eq 2
ok "an unknown flag prints the usage" contains "$WORK/out" "usage:"
"$SSOGW" -t -c /dev/null extra >"$WORK/out" 2>&1
ok "a stray argument exits 2" test $? -eq 2

port=$(free_port)
write_conf "$WORK/good.conf" "$port"
"$SSOGW" -t -c "$WORK/good.conf" >"$WORK/out" 2>&1
ok "-t on a good config exits 0" test $? -eq 0
ok "-t on a good config says OK" contains "$WORK/out" "configuration file $WORK/good.conf is OK"
ok "-t binds nothing" sh -c "! ss -Htln 'sport = :$port' | grep -q ."

"$SSOGW" -t -c "$TOP/etc/ssogw.conf" >"$WORK/out" 2>&1
ok "-t on the sample etc/ssogw.conf exits 0" test $? -eq 0
ok "-t on the sample etc/ssogw.conf says OK" contains "$WORK/out" "is OK"

# Three different mistakes: a bad value, an unknown key, a missing key.
sed -e 's/^drain_timeout = 2s/drain_timeout = 2 fortnights/' \
	-e 's/^\[app jira\]/[app jira]\nbackends = http:\/\/127.0.0.1:9/' \
	-e '/^backend = /d' "$WORK/good.conf" >"$WORK/bad3.conf"
"$SSOGW" -t -c "$WORK/bad3.conf" >"$WORK/out" 2>&1
ok "-t on a config with three mistakes exits 1" test $? -eq 1
ok "three mistakes give three file:line errors" \
	test "$(grep -c "^$WORK/bad3.conf:[0-9]*: " "$WORK/out")" -eq 3
ok "the bad duration is reported on its line" \
	grep -q "^$WORK/bad3.conf:5: drain_timeout: invalid value \"2 fortnights\"" "$WORK/out"
ok "the unknown directive is reported" grep -q 'unknown directive "backends" in \[app\]' "$WORK/out"
ok "the missing directive is reported" grep -q 'missing required directive "backend"' "$WORK/out"
ok "-t failure says so" contains "$WORK/out" "test failed"

"$SSOGW" -t -c "$WORK/nonexistent.conf" >"$WORK/out" 2>&1
ok "-t on a missing file exits 1" test $? -eq 1
ok "-t on a missing file says why" contains "$WORK/out" "cannot read: No such file or directory"

# A key that does not belong to its certificate is found by -t.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other \
	-keyout "$WORK/other-key.pem" -out "$WORK/other-cert.pem" 2>/dev/null
sed "s|^tls_key = .*|tls_key = $WORK/other-key.pem|" "$WORK/good.conf" >"$WORK/mismatch.conf"
"$SSOGW" -t -c "$WORK/mismatch.conf" >"$WORK/out" 2>&1
ok "-t refuses a key that does not match the certificate" test $? -eq 1
ok "the mismatch names tls_key and its line" grep -q "^$WORK/mismatch.conf:4: tls_key: .*does not match" "$WORK/out"

echo "not a certificate" >"$WORK/junk.pem"
sed "s|^tls_certificate = .*|tls_certificate = $WORK/junk.pem|" "$WORK/good.conf" >"$WORK/junk.conf"
"$SSOGW" -t -c "$WORK/junk.conf" >"$WORK/out" 2>&1
ok "-t refuses a certificate file that is not PEM" grep -q "^$WORK/junk.conf:3: tls_certificate: cannot load" "$WORK/out"

# A secret is never echoed in an error.
printf '[server]\nlisten = 127.0.0.1:%s\ntls_certificate = %s\ntls_key = %s\n[app a]\nurl = https://a.test\nbackend = http://127.0.0.1:1\n[idp o]\ntype = saml\nclient_secret = hunter2-topsecret\nmetadata_file = %s\n' \
	"$port" "$WORK/cert.pem" "$WORK/key.pem" "$WORK/idp-metadata.xml" >"$WORK/secret.conf"
"$SSOGW" -t -c "$WORK/secret.conf" >"$WORK/out" 2>&1
ok "a misplaced secret is an error" grep -q 'client_secret" applies only to type = oidc' "$WORK/out"
ok "the secret value is not printed" sh -c "! grep -q hunter2 '$WORK/out'"
