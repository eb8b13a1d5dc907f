#!/bin/sh
# t_check_saml.sh - `ssogw --check-saml-response`, the admin's SAML tracer on
# the server: the ACS's own checks on a saved Response, offline, with each
# check and the identity it would yield.  Uses the unit tests' generated
# fixtures and their trust (tests/unit/data/saml).
. "$(dirname "$0")/harness.sh"

D=$TOP/tests/unit/data/saml
make_cert
cat >"$WORK/c.conf" <<EOC
[server]
listen = 127.0.0.1:$(free_port)
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem

[app jira]
url = https://jira.example.test
backend = http://127.0.0.1:8080

[idp corp]
type = saml
entity_id = https://idp.example.test/saml
sso_url = https://idp.example.test/sso
certificate = $D/idp.crt
certificate = $D/idp2.crt
user_attribute = uid
EOC
check() { # FIXTURE [ARGS...]
	f=$1
	shift
	"$SSOGW_INSTALLED" -c "$WORK/c.conf" --check-saml-response "$D/$f.b64" --idp corp \
		--request-id _ssogw_req_1 --now 2026-01-01T00:01:00Z "$@" >"$WORK/out" 2>&1
}
ok "a valid Response passes (exit 0)" check valid-assertion-signed
ok "... every check is printed" sh -c "grep -q '^  ok   signature' '$WORK/out' && grep -q '^  ok   audience' '$WORK/out'"
ok "... with the identity the session would hold" grep -q '^  user   ' "$WORK/out"
check xsw2
ok "an XSW attack is refused (exit 1)" test $? -eq 1
ok "... naming the check that failed" grep -q '^  FAIL ' "$WORK/out"
ok "... and the reason" grep -q '^refused: ' "$WORK/out"
check valid-assertion-signed --now 2026-01-01T01:00:00Z
ok "the same Response an hour later is refused as expired" sh -c "grep -q '^refused: ' '$WORK/out'"
check unsolicited
ok "a Response that answers another request is refused" sh -c "grep -q '^refused: ' '$WORK/out'"
"$SSOGW_INSTALLED" -c "$WORK/c.conf" --check-saml-response "$D/valid-assertion-signed.b64" \
	--now 2026-01-01T00:01:00Z >"$WORK/out" 2>&1
ok "--idp is required" test $? -eq 2
"$SSOGW_INSTALLED" -c "$WORK/c.conf" --check-saml-response "$D/valid-assertion-signed.b64" \
	--idp corp --now yesterday >"$WORK/out" 2>&1
ok "a bad --now is refused" test $? -eq 2
