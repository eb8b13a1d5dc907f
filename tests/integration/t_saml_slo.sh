#!/bin/sh
# t_saml_slo.sh - SAML 2.0 single logout through ssogw with a real IdP
# (SimpleSAMLphp, tests/integration/saml_idp.sh) that knows the SP's
# certificate, so it checks the signatures of the SP's AuthnRequests and
# logout messages; the application is Node's "ws" echo server, so that a
# WebSocket tunnel (Confluence's collaborative editing) is held open:
#   IdP-initiated: the IdP's signed LogoutRequest (HTTP-Redirect) ends the
#   user's sessions, closes the tunnel with 1008, and the SP's signed
#   LogoutResponse is accepted by the IdP; an unsigned, a tampered and a
#   replayed LogoutRequest end nothing.
#   SP-initiated: <prefix>logout ends the session and sends a signed
#   LogoutRequest to the IdP; the IdP's LogoutResponse brings the browser
#   back to the return URL; the answer cannot be used twice.
. "$(dirname "$0")/harness.sh"
. "$(dirname "$0")/saml_idp.sh"
NODE_DIR=$TOP/tests/integration/node

if ! saml_idp_available; then
	skip "SAML single logout through a real IdP" "$SAML_IDP_WHY"
	exit 0
fi
wsport=$(free_port)
node "$NODE_DIR/ws_echo.js" "$wsport" >"$WORK/ws.log" 2>&1 &
STARTED_PIDS="$STARTED_PIDS $!"
ok "the WebSocket server starts" wait_for listening "$wsport"
port=$(free_port)
base=https://localhost:$port
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/sp.key" -out "$WORK/sp.crt" \
	-subj /CN=ssogw-sp -days 2 2>/dev/null
iport=$(free_port)
ok "the IdP starts, knowing the SP's certificate" start_saml_idp "$iport" \
	"$base/ssogw/saml/metadata" "$base/ssogw/saml/acs" "$base/ssogw/saml/slo" "$WORK/sp.crt"
make_cert
cat >"$WORK/s.conf" <<EOC
[server]
listen = 127.0.0.1:$port
tls_certificate = $WORK/cert.pem
tls_key = $WORK/key.pem
drain_timeout = 1s

[app confluence]
url = $base
backend = http://127.0.0.1:$wsport
public = /public
sp_certificate = $WORK/sp.crt
sp_key = $WORK/sp.key

[idp corp]
type = saml
entity_id = $SAML_IDP_ENTITY_ID
sso_url = $SAML_IDP_SSO_URL
slo_url = $SAML_IDP_SLO_URL
certificate = $SAML_IDP_CERT_PEM
sign_requests = yes
user_attribute = uid
EOC
ok "ssogw starts" start_ssogw "$WORK/s.conf"
"$SSOGW" -c "$WORK/s.conf" --sp-info confluence >"$WORK/spinfo" 2>&1
ok "--sp-info names the Logout URL" grep -q "Logout URL *$base/ssogw/saml/slo\$" "$WORK/spinfo"

# cookie JAR: the session cookie in JAR, as "ssogw_session=VALUE".
cookie() { awk '$6 == "ssogw_session" { print "ssogw_session=" $7 }' "$1"; }
# hold NAME COOKIE: a WebSocket held open in the background.
hold() { ws_hold "$1" "wss://localhost:$port/editor" "$2"; }
closed_within() { ws_closed_within "$@"; }
# get JAR URL: GET with the jar; head to $WORK/h; prints "STATUS LOCATION".
get() {
	curl -sk --max-time 10 -c "$1" -b "$1" -D "$WORK/h" -o "$WORK/b" \
		-w '%{http_code} %{redirect_url}' -H 'Accept: text/html' "$2"
}
# status JAR URL: the status of a GET with the jar.
status() { get "$1" "$2" | cut -d' ' -f1; }
session_lives() { # COOKIE: a WebSocket opens with it
	node "$NODE_DIR/ws_hold.js" "wss://localhost:$port/editor" "$1" >"$WORK/probe.out" 2>&1 &
	p=$!
	wait_for grep -q '^open\|^refused\|^error' "$WORK/probe.out"
	kill "$p" 2>/dev/null
	grep -q '^open' "$WORK/probe.out"
}
session_gone() { ! session_lives "$1"; }
# idp_asks_password JAR: a new sign-in from JAR's browser gets the IdP's
# password form (its own session has ended), not a Response.
idp_asks_password() {
	loc=$(get "$1" "$base/editor" | cut -d' ' -f2)
	saml_idp_follow "$1" "$loc" >/dev/null
	grep -q 'name="password"' "$SAML_IDP_DIR/flow/page"
}

# ---- IdP-initiated
A=$WORK/alice.jar
out=$(saml_idp_login "$A" "$base/editor" alice alicepw)
ok "alice signs in (the IdP checked the signed AuthnRequest)" \
	sh -c "echo '$out' | grep -q '^303 $base/editor\$'"
alice=$(cookie "$A")
ok "a WebSocket tunnel opens with her session" hold alice "$alice"
B=$WORK/bob.jar
saml_idp_login "$B" "$base/editor" bob bobpw >/dev/null
bob=$(cookie "$B")
ok "bob has a session too" session_lives "$bob"

slo=$(saml_idp_logout "$A" "$base/bye")
ok "the IdP sends alice's browser to our SLO URL with a LogoutRequest" \
	sh -c "case '$slo' in '$base/ssogw/saml/slo?SAMLRequest='*'&Signature='*) exit 0 ;; esac; exit 1"
saml_idp_redirect_xml "$slo" >"$WORK/idp-req.xml"
req_id=$(grep -o '<samlp:LogoutRequest[^>]* ID="[^"]*"' "$WORK/idp-req.xml" | sed 's/.* ID="//; s/"$//')

# Tampered: one byte of the signed query changed (the RelayState).
bad=$(printf '%s' "$slo" | sed 's/RelayState=\(.\)/RelayState=X\1/')
ok "(the IdP's LogoutRequest has a RelayState to tamper with)" test "$bad" != "$slo"
ok "a tampered LogoutRequest is refused (403)" test "$(status "$WORK/m.jar" "$bad")" = 403
# Unsigned: the same request without SigAlg and Signature.
unsigned=$(printf '%s' "$slo" | sed 's/&SigAlg=[^&]*//; s/&Signature=[^&]*//')
ok "the same LogoutRequest without its signature is refused (403)" \
	test "$(status "$WORK/m.jar" "$unsigned")" = 403
ok "... and says why" grep -q 'is not signed' "$WORK/b"
ok "alice's tunnel is still open after both" sh -c "! grep -q '^closed' '$WORK/alice.out'"

t0=$(now_ms)
out=$(get "$A" "$slo")
ok "the IdP's signed LogoutRequest is taken: a redirect back to the IdP" \
	sh -c "echo '$out' | grep -q '^302 $SAML_IDP_SLO_URL?SAMLResponse=.*&SigAlg=.*&Signature='"
answer=${out#302 }
saml_idp_redirect_xml "$answer" >"$WORK/sp-resp.xml"
ok "... with a LogoutResponse to that request, Success" \
	sh -c "grep -qF 'InResponseTo=\"$req_id\"' '$WORK/sp-resp.xml' && grep -qF 'status:Success' '$WORK/sp-resp.xml'"
ok "... issued by our entity ID" grep -qF ">$base/ssogw/saml/metadata</saml:Issuer>" "$WORK/sp-resp.xml"
ok "alice's tunnel closes with 1008 within 5 s" closed_within alice "$t0" 5000
ok "her session is gone: a WebSocket with it is refused" session_gone "$alice"
ok "... and a page sends her to sign in" \
	test "$(curl -sk --max-time 10 -o /dev/null -w '%{http_code}' -H 'Accept: text/html' -H "Cookie: $alice" "$base/page")" = 302
ok "bob's session is untouched" session_lives "$bob"
ok "the logout is logged" grep -q '\[idp corp\] signed alice@example.test out (single logout)' "$WORK/ssogw.log"
back=$(saml_idp_follow "$A" "$answer")
ok "the IdP accepts our signed LogoutResponse and finishes at its ReturnTo" test "$back" = "$base/bye"
ok "the same LogoutRequest again ends nothing more and is still answered" \
	test "$(status "$A" "$slo")" = 302

# An unsigned LogoutRequest for bob, made by hand: refused, bob stays.
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
forged="<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_forged1\" Version=\"2.0\" IssueInstant=\"$now\" Destination=\"$base/ssogw/saml/slo\"><saml:Issuer>$SAML_IDP_ENTITY_ID</saml:Issuer><saml:NameID>bob@example.test</saml:NameID></samlp:LogoutRequest>"
ok "a forged, unsigned LogoutRequest for bob is refused (403)" \
	test "$(status "$WORK/m.jar" "$base/ssogw/saml/slo?SAMLRequest=$(saml_idp_redirect_encode "$forged")")" = 403
ok "... as a POST too" \
	test "$(curl -sk --max-time 10 -o /dev/null -w '%{http_code}' --data-urlencode "SAMLRequest=$(printf '%s' "$forged" | base64 -w0)" "$base/ssogw/saml/slo")" = 403
ok "bob's session is still there" session_lives "$bob"

# ---- SP-initiated
get "$B" "$base/ssogw/logout" >/dev/null
token=$(sed -n 's/.*name="csrf" value="\([A-Za-z0-9_-]*\)".*/\1/p' "$WORK/b")
out=$(curl -sk --max-time 10 -c "$B" -b "$B" -D "$WORK/h" -o /dev/null -w '%{http_code} %{redirect_url}' \
	--data "csrf=$token&return=$base/goodbye" "$base/ssogw/logout")
ok "bob's sign-out sends him to the IdP's logout" \
	sh -c "echo '$out' | grep -q '^302 $SAML_IDP_SLO_URL?SAMLRequest=.*&RelayState=.*&SigAlg=.*&Signature='"
ok "... clearing his session cookie" grep -qi '^set-cookie: ssogw_session=;' "$WORK/h"
ok "... with a sealed logout state" grep -qi '^set-cookie: ssogw_session_login_' "$WORK/h"
ok "his session is gone before he reaches the IdP" session_gone "$bob"
request=${out#302 }
saml_idp_redirect_xml "$request" >"$WORK/sp-req.xml"
ok "the LogoutRequest names his NameID and SessionIndex" \
	sh -c "grep -qF '>bob@example.test</saml:NameID>' '$WORK/sp-req.xml' && grep -q '<samlp:SessionIndex>' '$WORK/sp-req.xml'"
back=$(saml_idp_follow "$B" "$request")
ok "the IdP accepts it and answers at our SLO URL with a LogoutResponse" \
	sh -c "case '$back' in '$base/ssogw/saml/slo?SAMLResponse='*) exit 0 ;; esac; exit 1"
saml_idp_redirect_xml "$back" >"$WORK/idp-resp.xml"
ok "... Success" grep -qF 'status:Success' "$WORK/idp-resp.xml"
out=$(get "$B" "$back")
ok "the LogoutResponse brings him to the return URL" test "$out" = "303 $base/goodbye"
ok "... and clears the logout state" grep -qi '^set-cookie: ssogw_session_login_[^=]*=;' "$WORK/h"
ok "the same LogoutResponse again is refused (400)" test "$(status "$B" "$back")" = 400
ok "at the IdP, bob must sign in again" idp_asks_password "$B"

# ---- a signed AuthnRequest over HTTP-POST (an enveloped XML signature,
# which the IdP checks with the SP's certificate)
stop_ssogw TERM
sed -i 's/^sign_requests = yes$/sign_requests = yes\nrequest_binding = post/' "$WORK/s.conf"
ok "ssogw starts with request_binding = post" start_ssogw "$WORK/s.conf"
P=$WORK/post.jar
out=$(saml_idp_login "$P" "$base/editor" alice alicepw)
ok "the IdP verifies the posted, signed AuthnRequest and alice signs in" \
	sh -c "echo '$out' | grep -q '^303 $base/editor\$'"
ok "... the request carried its signature" \
	sh -c "sed -n 's/^SAMLRequest=//p' '$SAML_IDP_DIR/flow/sp-request' | base64 -d | grep -q 'SignatureValue'"
