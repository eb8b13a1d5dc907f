#!/bin/sh
# t_saml_login.sh - SAML 2.0 sign-in through ssogw with a real IdP
# (SimpleSAMLphp, tests/integration/saml_idp.sh) in front of the nginx echo
# backend: SP-initiated login (AuthnRequest over HTTP-Redirect, Response
# posted to the ACS), the identity the backend receives, the group rule
# on the admin area, a replayed Response, a Response for another login,
# and an IdP-initiated login where the app allows it.
. "$(dirname "$0")/harness.sh"
. "$(dirname "$0")/saml_idp.sh"

if ! saml_idp_available; then
	skip "SAML sign-in through a real IdP" "$SAML_IDP_WHY"
	exit 0
fi
bport=$(free_port)
ok "the backend starts" start_nginx_backend "$bport"
port=$(free_port)
base=https://localhost:$port
iport=$(free_port)
ok "the IdP starts" start_saml_idp "$iport" "$base/ssogw/saml/metadata" "$base/ssogw/saml/acs" \
	"$base/ssogw/saml/slo"
make_cert
write_saml_conf() { # EXTRA-IDP-LINES [IDP-LINES]
	idp_lines=${2:-"entity_id = $SAML_IDP_ENTITY_ID
sso_url = $SAML_IDP_SSO_URL
certificate = $SAML_IDP_CERT_PEM"}
	cat >"$WORK/s.conf" <<EOC
[server]
listen = 127.0.0.1:$port
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem
drain_timeout = 1s

[app jira]
url = $base
backend = http://127.0.0.1:$bport
public = /public

[rule admin]
app = jira
path = /echo/admin
allow_groups = jira-administrators

[idp corp]
type = saml
$idp_lines
user_attribute = uid
${1:-}
EOC
}
write_saml_conf
ok "ssogw starts" start_ssogw "$WORK/s.conf"

"$SSOGW" -c "$WORK/s.conf" --sp-info jira >"$WORK/spinfo" 2>&1
ok "--sp-info prints the Entity ID an admin enters at the IdP" \
	grep -q "Identifier (Entity ID) *$base/ssogw/saml/metadata" "$WORK/spinfo"
ok "... and the Reply URL (ACS)" grep -q "Reply URL (ACS, POST) *$base/ssogw/saml/acs" "$WORK/spinfo"
ok "--sp-info for an unknown app fails" sh -c "! '$SSOGW' -c '$WORK/s.conf' --sp-info nope >/dev/null 2>&1"
ok "the SP metadata is served at the entity ID" \
	sh -c "curl -sk --max-time 10 '$base/ssogw/saml/metadata' | grep -q 'entityID=\"$base/ssogw/saml/metadata\"'"
ok "... naming the ACS" \
	sh -c "curl -sk --max-time 10 '$base/ssogw/saml/metadata' | grep -q 'Location=\"$base/ssogw/saml/acs\"'"

A=$WORK/alice.jar
out=$(saml_idp_login "$A" "$base/echo/browse/X-1" alice alicepw)
ok "alice signs in at the IdP, and the ACS takes the Response (303)" \
	sh -c "echo '$out' | grep -q '^303 $base/echo/browse/X-1\$'"
code=$(curl -sk --max-time 10 -b "$A" -o "$WORK/b" -w '%{http_code}' -H 'Accept: text/html' "$base/echo/browse/X-1")
ok "her page opens" test "$code" = 200
ok "the backend got her user id (uid)" grep -q '^X-Remote-User: alice' "$WORK/b"
ok "... her email and name" sh -c "grep -q '^X-Remote-Email: alice@example.test' '$WORK/b' && grep -q '^X-Remote-Name: Alice Example' '$WORK/b'"
ok "... her groups" grep -q '^X-Remote-Groups: jira-users,jira-administrators' "$WORK/b"
ok "alice enters the admin area" \
	test "$(curl -sk --max-time 10 -b "$A" -o /dev/null -w '%{http_code}' -H 'Accept: text/html' "$base/echo/admin/x")" = 200
ok "the sign-in is logged" grep -q 'user alice signed in to \[app jira\] through \[idp corp\]' "$WORK/ssogw.log"

# The same Response, posted again: the replay cache refuses it.
out=$(saml_idp_post_to_sp "$A")
ok "the same Response posted again is refused: its login is over (400)" sh -c "echo '$out' | grep -q '^400'"

B=$WORK/bob.jar
out=$(saml_idp_login "$B" "$base/echo/browse/X-2" bob bobpw)
ok "bob signs in" sh -c "echo '$out' | grep -q '^303 '"
ok "bob is kept out of the admin area (403 naming the group)" sh -c "
	test \"\$(curl -sk --max-time 10 -b '$B' -o '$WORK/b' -w '%{http_code}' -H 'Accept: text/html' '$base/echo/admin/x')\" = 403 &&
	grep -q 'jira-administrators' '$WORK/b'"

C=$WORK/carol.jar
saml_idp_idp_initiated "$C" alice alicepw "$base/ssogw/saml/metadata" >/dev/null
out=$(saml_idp_post_to_sp "$C")
ok "an IdP-initiated Response is refused where unsolicited logins are not allowed (400)" \
	sh -c "echo '$out' | grep -q '^400'"

stop_ssogw TERM
curl -s --max-time 10 -o "$WORK/idp-metadata.xml" "$SAML_IDP_METADATA_URL"
write_saml_conf "" "metadata_file = $WORK/idp-metadata.xml"
ok "ssogw starts with the IdP's metadata file instead of its values" start_ssogw "$WORK/s.conf"
M=$WORK/meta.jar
out=$(saml_idp_login "$M" "$base/echo/browse/M-1" alice alicepw)
ok "a login works with the IdP read from its metadata" sh -c "echo '$out' | grep -q '^303 $base/echo/browse/M-1\$'"
stop_ssogw TERM
write_saml_conf "allow_unsolicited = yes
group_map = jira-users=jira-software-users"
ok "ssogw starts with allow_unsolicited and a group_map" start_ssogw "$WORK/s.conf"
D=$WORK/dave.jar
saml_idp_idp_initiated "$D" bob bobpw "$base/ssogw/saml/metadata" "/echo/from-tile" >/dev/null
out=$(saml_idp_post_to_sp "$D")
ok "an IdP-initiated login (the My Apps tile) goes to its RelayState path" \
	sh -c "echo '$out' | grep -q '^303 $base/echo/from-tile\$'"
ok "... and bob is signed in" \
	test "$(curl -sk --max-time 10 -b "$D" -o "$WORK/b" -w '%{http_code}' -H 'Accept: text/html' "$base/echo/x")" = 200
ok "... with his IdP group renamed by group_map" grep -q '^X-Remote-Groups: jira-software-users' "$WORK/b"
out=$(saml_idp_post_to_sp "$D")
ok "the same unsolicited Response posted again is refused by the replay cache (403)" \
	sh -c "echo '$out' | grep -q '^403'"
ok "... and logged" grep -q 'assertion .* replayed' "$WORK/ssogw.log"
D2=$WORK/dave2.jar
saml_idp_idp_initiated "$D2" bob bobpw "$base/ssogw/saml/metadata" "https://evil.example/" >/dev/null
out=$(saml_idp_post_to_sp "$D2")
ok "a RelayState that is not the app's own goes to the app's start page" sh -c "echo '$out' | grep -q '^303 https://localhost:$port/\$'"
stop_ssogw TERM

# The AuthnRequest in a form the browser posts (HTTP-POST binding), with a
# RequestedAuthnContext.  SimpleSAMLphp's SSOService.php takes both.
write_saml_conf "request_binding = post
authn_context = urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport
authn_context_comparison = minimum"
ok "ssogw starts with request_binding = post" start_ssogw "$WORK/s.conf"
P=$WORK/post.jar
code=$(curl -sk --max-time 10 -c "$P" -b "$P" -D "$WORK/h" -o "$WORK/page" -w '%{http_code}' -H 'Accept: text/html' "$base/echo/browse/P-1")
ok "a protected page answers with a page that posts the AuthnRequest (200)" test "$code" = 200
ok "... to the IdP's SSO URL" grep -qF "action=\"$SAML_IDP_SSO_URL\"" "$WORK/page"
ok "... under a CSP whose script nonce the page's script carries" sh -c "
	n=\$(sed -n \"s/^[Cc]ontent-[Ss]ecurity-[Pp]olicy:.*script-src 'nonce-\\([A-Za-z0-9_-]*\\)'.*/\\1/p\" '$WORK/h') &&
	test -n \"\$n\" && grep -qF \"<script nonce=\\\"\$n\\\">\" '$WORK/page'"
req=$(sed -n 's/.*name="SAMLRequest" value="\([^"]*\)".*/\1/p' "$WORK/page")
printf '%s' "$req" | base64 -d >"$WORK/authn-post.xml" 2>/dev/null
ok "... an AuthnRequest with the RequestedAuthnContext asked for" sh -c "
	grep -q '<samlp:RequestedAuthnContext Comparison=\"minimum\">' '$WORK/authn-post.xml' &&
	grep -qF 'ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>' '$WORK/authn-post.xml'"
ok "... and a RelayState that is only a login reference" \
	grep -q 'name="RelayState" value="[A-Za-z0-9_-]\{22\}"' "$WORK/page"
out=$(saml_idp_login "$P" "$base/echo/browse/P-1" alice alicepw)
ok "the IdP takes the posted AuthnRequest and alice signs in" \
	sh -c "echo '$out' | grep -q '^303 $base/echo/browse/P-1\$'"
stop_ssogw TERM
