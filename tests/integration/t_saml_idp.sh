#!/bin/sh
# t_saml_idp.sh - the SAML IdP of tests/integration/saml_idp.sh on its own,
# without ssogw: SimpleSAMLphp under a private Apache starts, publishes
# metadata, signs alice and bob in (IdP- and SP-initiated, the SP's side
# played by hand-made messages and an nginx ACS), refuses a wrong password,
# does single logout both ways, rotates its key, and stops completely.
. "$(dirname "$0")/harness.sh"
. "$(dirname "$0")/saml_idp.sh"

SP=https://jira.example.test/saml/metadata
NF_EMAIL=urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress

if ! saml_idp_available; then
	for t in "the IdP starts" "metadata" "IdP-initiated login" "SP-initiated login" \
		"single logout" "wrong password" "key rotation" "cleanup"; do
		skip "$t" "$SAML_IDP_WHY"
	done
	exit 0
fi

# The SP's ACS: an nginx that answers a POST as an SP would, 303 to the app.
sp_port=$(free_port)
ACS=http://127.0.0.1:$sp_port/saml/acs
SLO=http://127.0.0.1:$sp_port/saml/slo
start_nginx sp "$sp_port" "server { listen 127.0.0.1:$sp_port;
	location = /saml/acs { return 303 /app/; }
	location / { return 404; } }"

port=$(free_port)
ok "the IdP starts on 127.0.0.1:$port" start_saml_idp "$port" "$SP" "$ACS" "$SLO"
loopback_only() { [ "$(ss -Htln "sport = :$port" | awk '{ print $4 }' | sort -u)" = "127.0.0.1:$port" ]; }
ok "it listens on 127.0.0.1 only" loopback_only

# ---- metadata
curl -s -o "$WORK/md.xml" "$SAML_IDP_METADATA_URL"
# certs FILE: the X509Certificate values of FILE, in order, one a line.
certs() {
	tr -d '\n' <"$1" | grep -o '<ds:X509Certificate>[^<]*' | sed 's/.*>//' | tr -d ' \r\t'
}
ok "metadata names the entity ID" contains "$WORK/md.xml" "entityID=\"$SAML_IDP_ENTITY_ID\""
ok "metadata holds the signing certificate" \
	same_text "$(saml_idp_cert_b64 "$SAML_IDP_CERT_PEM")" "$(certs "$WORK/md.xml" | head -n 1)"
ok "metadata gives the SSO URL" contains "$WORK/md.xml" "SingleSignOnService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"$SAML_IDP_SSO_URL\""
ok "metadata gives the SLO URL" contains "$WORK/md.xml" "SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"$SAML_IDP_SLO_URL\""
ok "metadata says NameID format emailAddress" contains "$WORK/md.xml" "<md:NameIDFormat>$NF_EMAIL</md:NameIDFormat>"

# ---- IdP-initiated login
# response NAME: the SAMLResponse of the last form, decoded, in $WORK/NAME.
response() {
	saml_idp_xml "$(saml_idp_field SAMLResponse)" >"$WORK/$1"
}
saml_idp_idp_initiated "$WORK/alice.jar" alice alicepw "$SP" "/browse/JIRA-1" >"$WORK/alice.form"
ok "IdP-initiated login of alice gives a form for the SP" test -s "$WORK/alice.form"
ok "that form posts to the SP's ACS" same_text "$ACS" "$(saml_idp_field action "$WORK/alice.form")"
ok "with the RelayState asked for" same_text "/browse/JIRA-1" "$(saml_idp_field RelayState "$WORK/alice.form")"
response alice.xml
ok "its SAMLResponse is base64 XML of a successful Response" contains "$WORK/alice.xml" "urn:oasis:names:tc:SAML:2.0:status:Success"
ok "NameID is alice's mail, format emailAddress" \
	contains "$WORK/alice.xml" "Format=\"$NF_EMAIL\">alice@example.test</saml:NameID>"
ok "attribute mail" contains "$WORK/alice.xml" '<saml:Attribute Name="mail" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue xsi:type="xs:string">alice@example.test<'
ok "attribute uid and displayName" sh -c "grep -qF '>alice</saml:AttributeValue>' '$WORK/alice.xml' && grep -qF 'Name=\"displayName\"' '$WORK/alice.xml'"
ok "attribute groups: jira-users and jira-administrators" contains "$WORK/alice.xml" '<saml:Attribute Name="groups" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue xsi:type="xs:string">jira-users</saml:AttributeValue><saml:AttributeValue xsi:type="xs:string">jira-administrators</saml:AttributeValue></saml:Attribute>'
ok "the audience is the SP" contains "$WORK/alice.xml" "<saml:Audience>$SP</saml:Audience>"
ok "signed: ds:Signature with rsa-sha256" contains "$WORK/alice.xml" '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
ok "Response and Assertion signatures verify with the IdP's certificate" \
	same_text 2 "$(saml_idp_verify "$WORK/alice.xml" "$SAML_IDP_CERT_PEM")"
sed 's/alice@example.test/mallory@example.test/g' "$WORK/alice.xml" >"$WORK/forged.xml"
forged_fails() { ! saml_idp_verify "$WORK/forged.xml" "$SAML_IDP_CERT_PEM" >/dev/null; }
ok "an altered Response does not verify" forged_fails
ok "posting it on to the ACS gets the SP's answer" same_text "303 http://127.0.0.1:$sp_port/app/" "$(saml_idp_post_to_sp "$WORK/alice.jar")"

saml_idp_idp_initiated "$WORK/bob.jar" bob bobpw "$SP" >"$WORK/bob.form"
response bob.xml
ok "bob signs in too, NameID bob@example.test" \
	contains "$WORK/bob.xml" "Format=\"$NF_EMAIL\">bob@example.test</saml:NameID>"
ok "bob's groups are jira-users only" contains "$WORK/bob.xml" '<saml:Attribute Name="groups" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue xsi:type="xs:string">jira-users</saml:AttributeValue></saml:Attribute>'
ok "bob's Response is signed" contains "$WORK/bob.xml" "<ds:Signature"

wrong_password() { ! saml_idp_idp_initiated "$WORK/eve.jar" bob alicepw "$SP" >/dev/null 2>&1; }
ok "a wrong password gets no SAMLResponse" wrong_password
ok "and the login form again" grep -q 'name="password"' "$SAML_IDP_DIR/flow/page"

# ---- SP-initiated login, the AuthnRequest made by hand (HTTP-Redirect)
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
authn="<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_req0001\" Version=\"2.0\" IssueInstant=\"$now\" Destination=\"$SAML_IDP_SSO_URL\" AssertionConsumerServiceURL=\"$ACS\" ProtocolBinding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\"><saml:Issuer>$SP</saml:Issuer><samlp:NameIDPolicy Format=\"$NF_EMAIL\" AllowCreate=\"true\"/></samlp:AuthnRequest>"
sso="$SAML_IDP_SSO_URL?SAMLRequest=$(saml_idp_redirect_encode "$authn")&RelayState=sp-state-1"
ok "SP-initiated login of alice gets the ACS's answer" \
	same_text "303 http://127.0.0.1:$sp_port/app/" "$(saml_idp_login "$WORK/sp.jar" "$sso" alice alicepw)"
response sp.xml
ok "the Response answers the AuthnRequest (InResponseTo)" contains "$WORK/sp.xml" 'InResponseTo="_req0001"'
ok "and keeps the RelayState" same_text sp-state-1 "$(saml_idp_field RelayState)"
ok "a second AuthnRequest is answered from the IdP session, no password" \
	sh -c '[ -n "$1" ]' sh "$(saml_idp_login_response "$WORK/sp.jar" "$sso" alice nopassword | grep '^SAMLResponse=')"

# ---- single logout
session_index=$(grep -o 'SessionIndex="[^"]*"' "$WORK/sp.xml" | head -n 1 | cut -d'"' -f2)
slo_req="<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_logout0001\" Version=\"2.0\" IssueInstant=\"$now\" Destination=\"$SAML_IDP_SLO_URL\"><saml:Issuer>$SP</saml:Issuer><saml:NameID SPNameQualifier=\"$SP\" Format=\"$NF_EMAIL\">alice@example.test</saml:NameID><samlp:SessionIndex>$session_index</samlp:SessionIndex></samlp:LogoutRequest>"
back=$(saml_idp_follow "$WORK/sp.jar" "$SAML_IDP_SLO_URL?SAMLRequest=$(saml_idp_redirect_encode "$slo_req")&RelayState=bye")
case "$back" in "$SLO?SAMLResponse="*) slo_ok=0 ;; *) slo_ok=1 ;; esac
ok "SP-initiated logout: the IdP redirects to the SP's SLO URL with a LogoutResponse" test "$slo_ok" = 0
saml_idp_redirect_xml "$back" >"$WORK/slo-resp.xml"
ok "a successful LogoutResponse to the request" sh -c "grep -qF 'InResponseTo=\"_logout0001\"' '$WORK/slo-resp.xml' && grep -qF 'status:Success' '$WORK/slo-resp.xml'"
ok "signed with rsa-sha256 (SigAlg and Signature in the query)" sh -c 'case "$1" in *"&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256&Signature="*) exit 0 ;; esac; exit 1' sh "$back"
relogin() { curl -s -o /dev/null -w '%{redirect_url}' -b "$WORK/sp.jar" "$sso" | grep -q '/loginuserpass.php?AuthState='; }
ok "after it the IdP asks for the password again" relogin

out=$(saml_idp_logout "$WORK/alice.jar" "http://127.0.0.1:$sp_port/bye")
case "$out" in "$SLO?SAMLRequest="*) idp_slo_ok=0 ;; *) idp_slo_ok=1 ;; esac
ok "IdP-initiated logout: the IdP redirects to the SP's SLO URL with a LogoutRequest" test "$idp_slo_ok" = 0
saml_idp_redirect_xml "$out" >"$WORK/slo-req.xml"
ok "for alice's NameID" contains "$WORK/slo-req.xml" "Format=\"$NF_EMAIL\">alice@example.test</saml:NameID>"
req_id=$(grep -o '<samlp:LogoutRequest[^>]* ID="[^"]*"' "$WORK/slo-req.xml" | sed 's/.* ID="//; s/"$//')
slo_resp="<samlp:LogoutResponse xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_lr0001\" Version=\"2.0\" IssueInstant=\"$now\" Destination=\"$SAML_IDP_SLO_URL\" InResponseTo=\"$req_id\"><saml:Issuer>$SP</saml:Issuer><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status></samlp:LogoutResponse>"
relay=$(printf '%s\n' "$out" | grep -o '[?&]RelayState=[^&]*' | cut -d= -f2)
ok "the LogoutRequest has a RelayState" test -n "$relay"
ok "the SP's LogoutResponse brings the browser to ReturnTo" same_text "http://127.0.0.1:$sp_port/bye" \
	"$(saml_idp_follow "$WORK/alice.jar" "$SAML_IDP_SLO_URL?SAMLResponse=$(saml_idp_redirect_encode "$slo_resp")&RelayState=$relay")"

# ---- key rotation
old=$SAML_IDP_CERT_PEM
saml_idp_rotate_key
curl -s -o "$WORK/md2.xml" "$SAML_IDP_METADATA_URL"
ok "after rotation, metadata lists the new certificate first" \
	same_text "$(saml_idp_cert_b64 "$SAML_IDP_CERT_PEM")" "$(certs "$WORK/md2.xml" | head -n 1)"
ok "and the old one after it" sh -c 'certs_old=$(tr -d "\n" <"$1" | grep -o "<ds:X509Certificate>[^<]*" | tail -n 1 | sed "s/.*>//"); [ "$certs_old" = "$2" ]' \
	sh "$WORK/md2.xml" "$(saml_idp_cert_b64 "$old")"
ok "SAML_IDP_OLD_CERT_PEM is the old one" same_text "$old" "$SAML_IDP_OLD_CERT_PEM"
saml_idp_idp_initiated "$WORK/bob2.jar" bob bobpw "$SP" >/dev/null
response bob2.xml
ok "the IdP now signs with the new key" same_text 2 "$(saml_idp_verify "$WORK/bob2.xml" "$SAML_IDP_CERT_PEM")"
not_old() { ! saml_idp_verify "$WORK/bob2.xml" "$old" >/dev/null; }
ok "not with the old one" not_old

# ---- a second SP with a certificate: signed requests, encrypted assertions
SP2=https://confluence.example.test/saml/metadata
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=sp2 \
	-keyout "$WORK/sp2.key" -out "$WORK/sp2.pem" 2>/dev/null
SAML_IDP_ENCRYPT=1
saml_idp_add_sp "$SP2" "$ACS" "$SLO" "$WORK/sp2.pem"
authn2="<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_req0002\" Version=\"2.0\" IssueInstant=\"$now\" Destination=\"$SAML_IDP_SSO_URL\" AssertionConsumerServiceURL=\"$ACS\"><saml:Issuer>$SP2</saml:Issuer></samlp:AuthnRequest>"
q2="SAMLRequest=$(saml_idp_redirect_encode "$authn2")&RelayState=two"
unsigned_refused() { ! saml_idp_login_response "$WORK/sp2a.jar" "$SAML_IDP_SSO_URL?$q2" alice alicepw >/dev/null 2>&1; }
ok "an SP with a certificate must sign its AuthnRequest" unsigned_refused
q2="$q2&SigAlg=$(_saml_idp_urlencode http://www.w3.org/2001/04/xmldsig-more#rsa-sha256)"
sig2=$(printf '%s' "$q2" | openssl dgst -sha256 -sign "$WORK/sp2.key" | base64 | tr -d '\n')
signed_answered() {
	saml_idp_login_response "$WORK/sp2b.jar" "$SAML_IDP_SSO_URL?$q2&Signature=$(_saml_idp_urlencode "$sig2")" \
		alice alicepw >/dev/null
}
ok "a signed one (HTTP-Redirect, rsa-sha256) is answered" signed_answered
response sp2.xml
encrypted() { grep -qF '<saml:EncryptedAssertion>' "$WORK/sp2.xml" && ! grep -qF 'alice@example.test' "$WORK/sp2.xml"; }
ok "with the assertion encrypted to it (SAML_IDP_ENCRYPT=1)" encrypted

# ---- stopping
pg=$SAML_IDP_PID
saml_idp_stop
ok "saml_idp_stop leaves no Apache process" sh -c "! pgrep -g $pg >/dev/null"
ok "and nothing listening on the port" sh -c "! ss -Htln 'sport = :$port' | grep -q ."
# The EXIT trap of a scenario that does not stop it: a child scenario
# starts an IdP and exits; nothing of it may be left.
sh -c '. "$1/harness.sh"; . "$1/saml_idp.sh"
	p=$(free_port)
	start_saml_idp "$p" https://sp.test/md https://sp.test/acs https://sp.test/slo || exit 1
	echo "$p $SAML_IDP_PID $WORK"' sh "$(cd "$(dirname "$0")" && pwd)" >"$WORK/child.out" 2>&1
read -r cport cpg cwork <"$WORK/child.out"
ok "a scenario's exit stops an IdP it started" sh -c "[ -n '$cpg' ] && ! pgrep -g '$cpg' >/dev/null"
ok "nothing is left listening on its port" sh -c "[ -n '$cport' ] && ! ss -Htln 'sport = :$cport' | grep -q ."
ok "and its work folder is gone" test ! -e "${cwork:-/nonexistent}"
