#!/bin/sh
# gen.sh - (re)generates the SAML Response fixtures of the validator's unit
# tests (src/saml, tests/unit/t_saml_response.c) from the test keys here.
#
#   Run:   tests/unit/data/saml/gen.sh        (from anywhere; needs xmlsec1,
#          openssl and python3: `scripts/deps.sh check` installs xmlsec1)
#   Then:  review `git diff tests/unit/data/saml` and commit the outputs.
#          The tests read only the committed *.b64 and manifest.txt; they
#          never need xmlsec1.
#
# Every signature and every encryption is made by the xmlsec1 command line
# from the templates below (shell functions with heredocs); nothing is
# hand-edited.  The attacks that change a document after it was signed (the
# XSW wrappings, the stripped signature, the injected comment...) are done
# by mutate.py on xmlsec1's output: that is the attack, not a forgery.
#
# Outputs, per fixture NAME:
#   NAME.b64        base64 -w0 of the final XML: what the IdP's browser POST
#                   carries as SAMLResponse (the one input the tests use)
#   xml/NAME.xml    the same XML, for reading and diffing only
#   manifest.txt    one line per test: FILE EXPECT [OPTIONS] (its header
#                   says what they mean), with a comment per fixture
#
# Keys: idp, idp2, idpec, other and sp (.key/.crt) are committed TEST ONLY
# keys, valid 2020-01-01 to 2099-12-31; this script makes a missing pair and
# never replaces an existing one (delete a pair to get a new one, then rerun).
#
# Deterministic where xmlsec1 is: the RSA PKCS#1 v1.5 signatures are, so a
# rerun writes the same bytes.  The ECDSA signature and the encryptions
# (random session key, IV, OAEP/PKCS#1 padding) differ on every run; for
# those a rerun keeps the committed file when it says the same thing
# (compared decrypted, with signature, digest and cipher values blanked).
# So a rerun with no change to this script or the keys changes no file.
# A .b64 or xml/*.xml that no fixture makes any more is removed.
#
# At the end a self-check runs xmlsec1 --verify on every signature of every
# fixture, once per key (idp, idp2, idpec, other), after decrypting with
# sp.key where there is an EncryptedData, and compares the result with what
# the fixture is meant to be (valid ones verify with an IdP key; tampered
# ones do not, or verify while the structure is wrong on purpose); it prints
# a summary and fails if any fixture is not what it claims.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
for tool in xmlsec1 openssl python3 base64; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "gen.sh: needs $tool (apt-get install -y xmlsec1 openssl python3)" >&2
		exit 1
	}
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---------------------------------------------------------------- constants
IDP=https://idp.example.test/saml
SPID=https://jira.example.test/ssogw/saml/metadata
ACS=https://jira.example.test/ssogw/saml/acs
REQ=_ssogw_req_1
DSNS=http://www.w3.org/2000/09/xmldsig#
RSA_SHA256=http://www.w3.org/2001/04/xmldsig-more#rsa-sha256
RSA_SHA1=http://www.w3.org/2000/09/xmldsig#rsa-sha1
ECDSA_SHA256=http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256
SHA256=http://www.w3.org/2001/04/xmlenc#sha256
SHA1=http://www.w3.org/2000/09/xmldsig#sha1
AES256GCM=http://www.w3.org/2009/xmlenc11#aes256-gcm
AES128CBC=http://www.w3.org/2001/04/xmlenc#aes128-cbc
RSAOAEP=http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p
RSA15=http://www.w3.org/2001/04/xmlenc#rsa-1_5
IDS="--id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion
	--id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response"
XP_SIG="*[local-name()='Signature' and namespace-uri()='$DSNS']"

# ---------------------------------------------------------------- test keys
# keys NAME ALG SUBJECT: makes NAME.key/NAME.crt (self-signed, 2020-2099)
# unless NAME.key exists.  `openssl ca` is the one openssl 3.0 command that
# takes an explicit start date.
keypair() {
	[ -s "$1.key" ] && [ -s "$1.crt" ] && return 0
	case $2 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null ;;
	ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null ;;
	esac
	mkdir -p "$tmp/ca"
	: >"$tmp/ca/index.txt"
	echo 01 >"$tmp/ca/serial"
	cat >"$tmp/ca/ca.cnf" <<-EOF
		[ca]
		default_ca = test
		[test]
		database = $tmp/ca/index.txt
		new_certs_dir = $tmp/ca
		serial = $tmp/ca/serial
		default_md = sha256
		policy = anything
		unique_subject = no
		x509_extensions = ext
		[anything]
		organizationName = optional
		commonName = supplied
		[ext]
		basicConstraints = critical,CA:FALSE
		keyUsage = critical,digitalSignature,keyEncipherment
		subjectKeyIdentifier = hash
	EOF
	openssl req -new -key "$1.key" -subj "/O=ssogw tests/CN=$3" -out "$tmp/ca/$1.csr"
	openssl ca -batch -config "$tmp/ca/ca.cnf" -selfsign -preserveDN -notext \
		-keyfile "$1.key" -in "$tmp/ca/$1.csr" \
		-startdate 20200101000000Z -enddate 20991231235959Z -out "$1.crt" 2>/dev/null
	rm -rf "$tmp/ca"
	chmod 0644 "$1.key" "$1.crt"
	echo "gen.sh: made test key pair $1.key/$1.crt"
}
keypair idp rsa "TEST ONLY idp.example.test signing"
keypair idp2 rsa "TEST ONLY idp.example.test signing (rollover)"
keypair idpec ec "TEST ONLY idp.example.test signing (ECDSA P-256)"
keypair other rsa "TEST ONLY attacker"
keypair sp rsa "TEST ONLY jira.example.test ssogw encryption"

# ---------------------------------------------------------------- templates
# Each fixture starts from these defaults (reset) and overrides some.
reset() {
	R_ID=_resp_7c2a91f0e4b3d856
	A_ID=_assert_3f9e0b71c6a2d845
	R_ISSUER=$IDP A_ISSUER=$IDP
	DEST=$ACS RECIPIENT=$ACS AUDIENCE=$SPID AUD_XML=
	R_IRT=$REQ SCD_IRT=$REQ
	NAMEID=alice@example.test
	CM=urn:oasis:names:tc:SAML:2.0:cm:bearer
	NB=2025-12-31T23:59:00Z NOA=2026-01-01T00:05:00Z SCD_NOA=2026-01-01T00:05:00Z
	STATUS="<samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/>"
	SUBJECT=yes AUTHN=yes ASSERTIONS=1
	R_KEY='' A_KEY=idp    # who signs the Response / the Assertion ("": unsigned)
	SIGALG=$RSA_SHA256 DIGALG=$SHA256 KEYINFO=x509 XPATH_TRANSFORM=
	ENC='' ENC_CERT=sp    # ENC: gcm-oaep or cbc-rsa15
	MUTATE=             # mutate.py operation applied last
}

# sigtpl ID: an enveloped-signature template for the element with ID.
sigtpl() {
	ki=
	[ "$KEYINFO" = x509 ] && ki="
    <ds:KeyInfo><ds:X509Data/></ds:KeyInfo>"
	xp=
	[ -n "$XPATH_TRANSFORM" ] && xp="
          <ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\">$XPATH_TRANSFORM</ds:XPath></ds:Transform>"
	cat <<-EOF
    <ds:Signature xmlns:ds="$DSNS">
      <ds:SignedInfo>
        <ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>
        <ds:SignatureMethod Algorithm="$SIGALG"/>
        <ds:Reference URI="#$1">
          <ds:Transforms>
            <ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>$xp
            <ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="xs"/></ds:Transform>
          </ds:Transforms>
          <ds:DigestMethod Algorithm="$DIGALG"/>
          <ds:DigestValue></ds:DigestValue>
        </ds:Reference>
      </ds:SignedInfo>
      <ds:SignatureValue></ds:SignatureValue>$ki
    </ds:Signature>
	EOF
}

# assertion ID: one saml:Assertion (declaring its own namespaces, so that it
# survives encryption and decryption on its own).
assertion() {
	sig=
	[ -n "$A_KEY" ] && sig=$(sigtpl "$1")
	scd_irt=${SCD_IRT:+ InResponseTo=\"$SCD_IRT\"}
	aud=${AUD_XML:-"<saml:AudienceRestriction>
        <saml:Audience>$AUDIENCE</saml:Audience>
      </saml:AudienceRestriction>"}
	cat <<-EOF
  <saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="$1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">
    <saml:Issuer>$A_ISSUER</saml:Issuer>
$sig
	EOF
	[ "$SUBJECT" = yes ] && cat <<-EOF
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">$NAMEID</saml:NameID>
      <saml:SubjectConfirmation Method="$CM">
        <saml:SubjectConfirmationData NotOnOrAfter="$SCD_NOA" Recipient="$RECIPIENT"$scd_irt/>
      </saml:SubjectConfirmation>
    </saml:Subject>
	EOF
	cat <<-EOF
    <saml:Conditions NotBefore="$NB" NotOnOrAfter="$NOA">
      $aud
    </saml:Conditions>
	EOF
	[ "$AUTHN" = yes ] && cat <<-EOF
    <saml:AuthnStatement AuthnInstant="2026-01-01T00:00:00Z" SessionNotOnOrAfter="2026-01-01T08:00:00Z" SessionIndex="_sess_1">
      <saml:AuthnContext>
        <saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>
      </saml:AuthnContext>
    </saml:AuthnStatement>
	EOF
	cat <<-EOF
    <saml:AttributeStatement>
      <saml:Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">
        <saml:AttributeValue xsi:type="xs:string">alice@example.test</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="http://schemas.microsoft.com/identity/claims/displayname" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">
        <saml:AttributeValue xsi:type="xs:string">Alice Example</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="http://schemas.microsoft.com/ws/2008/06/identity/claims/groups" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri">
        <saml:AttributeValue xsi:type="xs:string">jira-users</saml:AttributeValue>
        <saml:AttributeValue xsi:type="xs:string">jira-developers</saml:AttributeValue>
        <saml:AttributeValue xsi:type="xs:string">R&amp;D</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="uid" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">
        <saml:AttributeValue xsi:type="xs:string">alice</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
	EOF
}

# response: the samlp:Response with ASSERTIONS (0, 1 or 2) assertions,
# inside saml:EncryptedAssertion when ENC is set.
response() {
	sig=
	[ -n "$R_KEY" ] && sig=$(sigtpl "$R_ID")
	r_irt=${R_IRT:+ InResponseTo=\"$R_IRT\"}
	cat <<-EOF
<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="$R_ID" Version="2.0" IssueInstant="2026-01-01T00:00:00Z" Destination="$DEST"$r_irt>
  <saml:Issuer>$R_ISSUER</saml:Issuer>
$sig
  <samlp:Status>
    $STATUS
  </samlp:Status>
	EOF
	n=0
	while [ "$n" -lt "$ASSERTIONS" ]; do
		n=$((n + 1))
		id=$A_ID
		[ "$n" -gt 1 ] && id=${A_ID}_$n
		if [ -n "$ENC" ]; then
			echo "  <saml:EncryptedAssertion>"
			assertion "$id"
			echo "  </saml:EncryptedAssertion>"
		else
			assertion "$id"
		fi
	done
	echo "</samlp:Response>"
}

# enctpl: an EncryptedData template for ENC (data cipher + key transport).
enctpl() {
	case $ENC in
	gcm-oaep) data=$AES256GCM kt="<xenc:EncryptionMethod Algorithm=\"$RSAOAEP\"><ds:DigestMethod Algorithm=\"$SHA1\"/></xenc:EncryptionMethod>" ;;
	cbc-rsa15) data=$AES128CBC kt="<xenc:EncryptionMethod Algorithm=\"$RSA15\"/>" ;;
	esac
	cat <<-EOF
<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" xmlns:ds="$DSNS" Type="http://www.w3.org/2001/04/xmlenc#Element">
  <xenc:EncryptionMethod Algorithm="$data"/>
  <ds:KeyInfo>
    <xenc:EncryptedKey>
      $kt
      <xenc:CipherData><xenc:CipherValue></xenc:CipherValue></xenc:CipherData>
    </xenc:EncryptedKey>
  </ds:KeyInfo>
  <xenc:CipherData><xenc:CipherValue></xenc:CipherValue></xenc:CipherData>
</xenc:EncryptedData>
	EOF
}

# ---------------------------------------------------------------- building
# sign IN OUT XPATH KEY: xmlsec1 fills the signature template at XPATH.
sign() {
	# shellcheck disable=SC2086
	xmlsec1 --sign --privkey-pem "$4.key,$4.crt" $IDS --node-xpath "$3" \
		--output "$2" "$1" 2>"$tmp/err" || {
		cat "$tmp/err" >&2
		echo "gen.sh: signing $name failed" >&2
		exit 1
	}
}

# build NAME: template -> sign assertions -> encrypt -> sign response ->
# mutate -> xml/NAME.xml and NAME.b64.
build() {
	name=$1
	f=$tmp/$name
	response >"$f.0.xml"
	cur=$f.0.xml
	if [ -n "$A_KEY" ]; then
		n=0
		while [ "$n" -lt "$ASSERTIONS" ]; do
			n=$((n + 1))
			sign "$cur" "$f.a$n.xml" "(//*[local-name()='Assertion']/$XP_SIG)[$n]" "$A_KEY"
			cur=$f.a$n.xml
		done
	fi
	if [ -n "$ENC" ]; then
		enctpl >"$f.enc-tmpl.xml"
		# The session key's size is the cipher's (aes-256 for aes256-gcm);
		# the algorithms themselves come from the template.
		case $ENC in gcm-oaep) sk=aes-256 ;; cbc-rsa15) sk=aes-128 ;; esac
		# shellcheck disable=SC2086
		xmlsec1 --encrypt --pubkey-cert-pem "$ENC_CERT.crt" --session-key "$sk" $IDS \
			--xml-data "$cur" --node-xpath "//*[local-name()='Assertion']" \
			--output "$f.e.xml" "$f.enc-tmpl.xml" 2>"$tmp/err" || {
			cat "$tmp/err" >&2
			echo "gen.sh: encrypting $name failed" >&2
			exit 1
		}
		cur=$f.e.xml
	fi
	if [ -n "$R_KEY" ]; then
		sign "$cur" "$f.r.xml" "/*/$XP_SIG" "$R_KEY"
		cur=$f.r.xml
	fi
	if [ -n "$MUTATE" ]; then
		python3 "$here/mutate.py" "$MUTATE" "$cur" "$f.m.xml"
		cur=$f.m.xml
	fi
	vol=
	if [ -n "$ENC" ] || [ "$A_KEY" = idpec ] || [ "$R_KEY" = idpec ]; then
		vol=yes
	fi
	emit "$name" "$cur" "$vol"
}

# emit NAME FILE [VOLATILE]: the outputs of one fixture.  A VOLATILE one
# (ECDSA or encrypted: random bytes on every run) keeps its committed
# version when that says the same thing, so that a rerun changes nothing.
emit() {
	echo "$1" >>"$tmp/built"
	if [ -n "${3:-}" ] && [ -s "$1.b64" ] && same "xml/$1.xml" "$2"; then
		base64 -w0 <"xml/$1.xml" | cmp -s - "$1.b64" && return 0
	fi
	cp "$2" "xml/$1.xml"
	base64 -w0 <"$2" >"$1.b64"
}

# same OLD NEW: OLD and NEW are the same document once decrypted (with
# sp.key or other.key) and with every SignatureValue, DigestValue and
# CipherValue blanked: they differ only by the randomness of ECDSA and of
# encryption.  (The self-check then proves that OLD still verifies.)
same() {
	[ -s "$1" ] || return 1
	for i in 1 2; do
		[ "$i" = 1 ] && src=$1 || src=$2
		cp "$src" "$tmp/same.$i"
		for k in sp other; do
			xmlsec1 --decrypt --privkey-pem "$k.key,$k.crt" \
				--output "$tmp/same.$i" "$src" >/dev/null 2>&1 && break
			cp "$src" "$tmp/same.$i"
		done
	done
	python3 - "$tmp/same.1" "$tmp/same.2" <<-'EOF'
		import re, sys
		from xml.etree.ElementTree import canonicalize
		def norm(path):
		    t = canonicalize(from_file=path, with_comments=True)
		    return re.sub(r"(<(ds:SignatureValue|ds:DigestValue|xenc:CipherValue)[^>]*>)[^<]*",
		                  r"\1", t)
		sys.exit(0 if norm(sys.argv[1]) == norm(sys.argv[2]) else 1)
	EOF
}

# derive NAME FROM OP: NAME is fixture FROM after mutate.py OP.
derive() {
	python3 "$here/mutate.py" "$3" "xml/$2.xml" "$tmp/$1.m.xml"
	emit "$1" "$tmp/$1.m.xml"
}

# ---------------------------------------------------------------- manifest
# m FILE EXPECT OPTIONS COMMENT / want NAME VERIFY: a manifest line and what
# the self-check must find.
m() {
	{
		printf '# %s\n' "$4"
		if [ -n "$3" ]; then
			printf '%s.b64 %s %s\n' "$1" "$2" "$3"
		else
			printf '%s.b64 %s\n' "$1" "$2"
		fi
	} >>"$tmp/manifest"
}
want() { echo "$1 $2" >>"$tmp/want"; }

mkdir -p xml
: >"$tmp/manifest"
: >"$tmp/want"
: >"$tmp/built"
N=nameid=alice@example.test

# ---------------------------------------------------------------- fixtures
# --- valid, and what "require" does with each way of signing
reset
build valid-assertion-signed
want valid-assertion-signed idp
m valid-assertion-signed ok "$N" "valid: the Assertion signed by idp (RSA-SHA256, exc-c14n, X509 cert in KeyInfo), Response unsigned"
m valid-assertion-signed ok "require=assertion,$N" "valid: require=assertion and the Assertion is signed"
m valid-assertion-signed signature "require=response" "require=response but only the Assertion is signed"
m valid-assertion-signed signature "require=both" "require=both but only the Assertion is signed"

reset
R_KEY=idp A_KEY=
build valid-response-signed
want valid-response-signed idp
m valid-response-signed ok "$N" "valid: the Response signed by idp (covering its assertion), Assertion unsigned"
m valid-response-signed ok "require=response,$N" "valid: require=response and the Response is signed"
m valid-response-signed signature "require=assertion" "require=assertion but only the Response is signed"
m valid-response-signed signature "require=both" "require=both but only the Response is signed"

reset
R_KEY=idp
build valid-both-signed
want valid-both-signed idp,idp
m valid-both-signed ok "$N" "valid: Response and Assertion both signed by idp"
m valid-both-signed ok "require=both,$N" "valid: require=both and both are signed"
m valid-both-signed ok "require=assertion,$N" "valid: require=assertion, both signed"
m valid-both-signed ok "require=response,$N" "valid: require=response, both signed"

reset
A_KEY=idp2
build valid-idp2
want valid-idp2 idp2
m valid-idp2 ok "$N" "valid: signed by idp2, the second trusted key (rollover)"

reset
R_KEY=idp2
build valid-mixed-keys
want valid-mixed-keys idp2,idp
m valid-mixed-keys ok "$N" "valid: Response signed by idp2, Assertion by idp (rollover half done), both trusted"

reset
A_KEY=idpec SIGALG=$ECDSA_SHA256
build valid-ecdsa
want valid-ecdsa idpec
m valid-ecdsa ok "ec,$N" "valid: Assertion signed by idpec with ECDSA-SHA256, idpec.crt trusted (ec)"
m valid-ecdsa signature "" "ECDSA-signed by idpec, but idpec.crt is not in the default trust set"

reset
KEYINFO=
build valid-nokeyinfo
want valid-nokeyinfo idp
m valid-nokeyinfo ok "$N" "valid: signature without KeyInfo (the key comes from the trust set only)"

base64 -w76 <xml/valid-assertion-signed.xml >valid-wrapped-b64.b64
echo valid-wrapped-b64 >>"$tmp/built"
m valid-wrapped-b64 ok "$N" "valid: valid-assertion-signed with the base64 broken into 76-column lines (white space in base64 is allowed)"

# --- comments in the NameID (exclusive c14n drops comments)
reset
NAMEID="alice@example.test<!---->.evil.test"
build nameid-comment-signed
want nameid-comment-signed idp
m nameid-comment-signed ok "nameid=alice@example.test.evil.test" "NameID alice@example.test<!---->.evil.test, signed as is: the name is the whole text content"

reset
NAMEID=alice@example.test.evil.test
build nameid-plain-evil
derive nameid-comment-injected nameid-plain-evil comment-inject
want nameid-comment-injected idp
m nameid-comment-injected ok "nameid=alice@example.test.evil.test" "comment injected after signing into a NameID signed as alice@example.test.evil.test (CVE-2017-11427 class): still verifies (the bytes equal nameid-comment-signed: c14n drops comments); the NameID must read alice@example.test.evil.test, never alice@example.test"
rm -f nameid-plain-evil.b64 xml/nameid-plain-evil.xml
sed -i '/^nameid-plain-evil$/d' "$tmp/built"

# --- algorithms
reset
SIGALG=$RSA_SHA1 DIGALG=$SHA1
build sha1-signed
want sha1-signed idp
m sha1-signed signature "" "RSA-SHA1 signature with SHA-1 digest, SHA-1 not allowed"
m sha1-signed ok "sha1,$N" "RSA-SHA1 signature with SHA-1 digest, SHA-1 allowed (sha1)"

reset
DIGALG=$SHA1
build sha1-digest
want sha1-digest idp
m sha1-digest signature "" "RSA-SHA256 signature over a SHA-1 reference digest, SHA-1 not allowed"
m sha1-digest ok "sha1,$N" "RSA-SHA256 signature over a SHA-1 reference digest, SHA-1 allowed (sha1)"

# --- signatures that must not be accepted
reset
A_KEY=
build unsigned
want unsigned unsigned
m unsigned signature "" "neither Response nor Assertion signed"

derive sig-stripped valid-assertion-signed strip-sig
want sig-stripped unsigned
m sig-stripped signature "" "valid-assertion-signed with its ds:Signature element removed"

reset
A_KEY=other KEYINFO=
build signed-by-other
want signed-by-other other
m signed-by-other signature "" "Assertion signed by an untrusted key (other), no KeyInfo"

reset
A_KEY=other
build signed-by-other-keyinfo
want signed-by-other-keyinfo other
m signed-by-other-keyinfo signature "" "Assertion signed by other with other.crt embedded in KeyInfo: a KeyInfo cert is never a trust anchor"

reset
R_KEY=other
build response-other-assertion-idp
want response-other-assertion-idp other,idp
m response-other-assertion-idp signature "" "Assertion validly signed by idp, but the Response carries a signature by other: a signature that is present must verify"

derive tampered-nameid valid-assertion-signed tamper-nameid
want tampered-nameid bad
m tampered-nameid signature "" "signed Assertion whose NameID was changed to admin@example.test after signing (digest mismatch)"

derive sig-detached valid-assertion-signed sig-to-response
want sig-detached idp
m sig-detached signature "" "the Assertion's signature moved to be a child of the Response: it verifies (reference by ID) but it is not enveloped in the element it signs and does not sign the Response"

reset
XPATH_TRANSFORM="not(ancestor-or-self::saml:NameID)"
build xpath-transform-signed
python3 "$here/mutate.py" tamper-nameid xml/xpath-transform-signed.xml "$tmp/xpt.xml"
emit xpath-transform "$tmp/xpt.xml"
rm -f xpath-transform-signed.b64 xml/xpath-transform-signed.xml
sed -i '/^xpath-transform-signed$/d' "$tmp/built"
want xpath-transform idp
m xpath-transform signature "" "signed with an extra XPath transform that leaves the NameID out of the digest, NameID then changed to admin@example.test: verifies, but only enveloped-signature and exc-c14n transforms are acceptable"

derive dup-id valid-assertion-signed dup-id
want dup-id bad
m dup-id signature "" "duplicate IDs: the Response takes the signed Assertion's ID, so #ID names two elements"

# --- XML signature wrapping (Somorovsky et al. 2012; mutate.py)
derive xsw1 valid-response-signed xsw1
want xsw1 bad
m xsw1 signature "" "XSW1: evil Response (new IDs, NameID admin@) whose ds:Signature holds the genuine Response (minus signature) as a child; digest fails (the enveloped transform drops the copy)"
derive xsw2 valid-response-signed xsw2
want xsw2 idp
m xsw2 signature "" "XSW2: as XSW1 with the genuine Response a sibling before the signature; verifies, but signs an element that is not the root"
derive xsw3 valid-assertion-signed xsw3
want xsw3 idp
m xsw3 assertion "" "XSW3: evil unsigned Assertion (new ID) before the genuine signed one: two assertions"
derive xsw4 valid-assertion-signed xsw4
want xsw4 idp
m xsw4 signature "" "XSW4: evil unsigned Assertion wrapping the genuine signed one: the consumed assertion is unsigned"
derive xsw5 valid-assertion-signed xsw5
want xsw5 idp
m xsw5 assertion "" "XSW5: signed Assertion changed (new ID, admin@) keeping its signature, unsigned genuine copy appended to the Response: two assertions"
derive xsw6 valid-assertion-signed xsw6
want xsw6 bad
m xsw6 signature "" "XSW6: as XSW5 with the genuine copy inside the evil Assertion's ds:Signature; digest fails (the enveloped transform drops the copy)"
derive xsw7 valid-assertion-signed xsw7
want xsw7 bad
m xsw7 signature "" "XSW7 (SAML Raider form): samlp:Extensions holding an evil unsigned copy with the SAME ID before the genuine assertion: duplicate IDs"
derive xsw7b valid-assertion-signed xsw7b
want xsw7b idp
m xsw7b signature "" "XSW7 variant: the genuine signed Assertion hidden in samlp:Extensions, an evil unsigned Assertion (own ID) in its place; verifies, signs the wrong element"
derive xsw8 valid-assertion-signed xsw8
want xsw8 bad
m xsw8 signature "" "XSW8: evil Assertion (new ID) keeping the signature, whose ds:Object holds the genuine assertion minus its signature; digest fails (the enveloped transform drops the copy)"

# --- XML parsing
derive xxe valid-assertion-signed xxe
want xxe -
m xxe input "" "XXE: DOCTYPE with an external entity (file:///etc/passwd) used as the NameID"
derive xxe-external-dtd valid-assertion-signed xxe-external-dtd
want xxe-external-dtd -
m xxe-external-dtd input "" "DOCTYPE naming an external DTD on the network"
derive billion-laughs valid-assertion-signed billion-laughs
want billion-laughs -
m billion-laughs input "" "billion laughs: ten levels of nested internal entities (1e9 'lol's)"
derive doctype valid-assertion-signed doctype-plain
want doctype idp
m doctype input "" "a DOCTYPE without any entity on an otherwise valid signed Response: DTDs are refused outright"
derive deep-nesting valid-assertion-signed deep-nesting
want deep-nesting -
m deep-nesting input "" "10000 nested elements in samlp:Extensions: past the depth bound"
b64=$(cat valid-assertion-signed.b64)
# shellcheck disable=SC2017 # rounding down to a multiple of 4 is the point
printf '%s' "$b64" | cut -c1-$((${#b64} / 8 * 4 + 2)) | tr -d '\n' >truncated-b64.b64
echo truncated-b64 >>"$tmp/built"
m truncated-b64 input "" "the base64 of valid-assertion-signed cut in the middle (length 4n+2)"
head -c 2000 xml/valid-assertion-signed.xml | base64 -w0 >truncated-xml.b64
echo truncated-xml >>"$tmp/built"
m truncated-xml input "" "valid base64 of the first 2000 bytes of a valid Response: not well-formed"
printf 'this is not XML\n' | base64 -w0 >not-xml.b64
echo not-xml >>"$tmp/built"
m not-xml input "" "base64 of a line of text"
printf '%s' '%%% not base64 %%%' >not-base64.b64
echo not-base64 >>"$tmp/built"
m not-base64 input "" "characters outside the base64 alphabet"
: >empty.b64
echo empty >>"$tmp/built"
m empty input "" "an empty SAMLResponse"

# --- Status
reset
R_KEY=idp A_KEY='' ASSERTIONS=0
STATUS="<samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Requester\">
      <samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:AuthnFailed\"/>
    </samlp:StatusCode>
    <samlp:StatusMessage>Authentication failed</samlp:StatusMessage>"
build status-authn-failed
want status-authn-failed idp
m status-authn-failed status "" "signed Response, Status Requester/AuthnFailed, no assertion"

# --- Issuer, Destination, Recipient, Audience
reset
R_ISSUER=https://evil.example.test/saml A_ISSUER=https://evil.example.test/saml
build wrong-issuer
want wrong-issuer idp
m wrong-issuer issuer "" "Response and Assertion Issuer https://evil.example.test/saml, signed by idp"

reset
A_ISSUER=https://evil.example.test/saml
build wrong-assertion-issuer
want wrong-assertion-issuer idp
m wrong-assertion-issuer issuer "" "Response Issuer right, Assertion Issuer https://evil.example.test/saml"

reset
DEST=https://evil.example.test/ssogw/saml/acs
build wrong-destination
want wrong-destination idp
m wrong-destination destination "" "Response Destination is another ACS"

reset
RECIPIENT=https://evil.example.test/ssogw/saml/acs
build wrong-recipient
want wrong-recipient idp
m wrong-recipient destination "" "SubjectConfirmationData Recipient is another ACS"

reset
AUDIENCE=https://confluence.example.test/ssogw/saml/metadata
build wrong-audience
want wrong-audience idp
m wrong-audience audience "" "Audience is another SP"

reset
AUD_XML="<saml:AudienceRestriction>
        <saml:Audience>https://confluence.example.test/ssogw/saml/metadata</saml:Audience>
        <saml:Audience>$SPID</saml:Audience>
      </saml:AudienceRestriction>"
build audience-any-of
want audience-any-of idp
m audience-any-of ok "$N" "one AudienceRestriction with two Audiences, ours second: any one suffices (SAML core 2.5.1.4)"

reset
AUD_XML="<saml:AudienceRestriction>
        <saml:Audience>$SPID</saml:Audience>
      </saml:AudienceRestriction>
      <saml:AudienceRestriction>
        <saml:Audience>https://confluence.example.test/ssogw/saml/metadata</saml:Audience>
      </saml:AudienceRestriction>"
build audience-all-of
want audience-all-of idp
m audience-all-of audience "" "two AudienceRestrictions, ours only in the first: every restriction must be met (SAML core 2.5.1.4)"

# --- times (default now 2026-01-01T00:01:00Z, skew 60 s)
m valid-assertion-signed time "now=+3600" "expired: now 01:01:00, NotOnOrAfter 00:05:00"
m valid-assertion-signed time "now=-3600" "not yet valid: now 2025-12-31T23:01:00Z, NotBefore 23:59:00"
m valid-assertion-signed ok "now=+270,$N" "now 00:05:30, 30 s past NotOnOrAfter (Conditions and SubjectConfirmationData): within the 60 s skew"
m valid-assertion-signed time "now=+360" "now 00:07:00, 2 minutes past NotOnOrAfter: beyond the skew"

reset
SCD_NOA=2025-12-31T23:59:00Z
build scd-expired
want scd-expired idp
m scd-expired time "" "SubjectConfirmationData NotOnOrAfter 23:59:00 the day before; Conditions fine"

reset
NB=2025-12-31T23:50:00Z NOA=2025-12-31T23:59:00Z
build conditions-expired
want conditions-expired idp
m conditions-expired time "" "Conditions NotOnOrAfter 23:59:00 the day before; SubjectConfirmationData fine"

reset
NB=2026-01-01T00:01:30Z
build not-before-within-skew
want not-before-within-skew idp
m not-before-within-skew ok "$N" "Conditions NotBefore 00:01:30, 30 s after now: within the 60 s skew"

reset
NB=2026-01-01T00:03:00Z
build conditions-not-yet
want conditions-not-yet idp
m conditions-not-yet time "" "Conditions NotBefore 00:03:00, 2 minutes after now: beyond the skew"

# --- InResponseTo
reset
R_IRT=_ssogw_req_other SCD_IRT=_ssogw_req_other
build wrong-in-response-to
want wrong-in-response-to idp
m wrong-in-response-to in_response_to "" "Response and SubjectConfirmationData InResponseTo another request"

reset
SCD_IRT=_ssogw_req_other
build wrong-scd-in-response-to
want wrong-scd-in-response-to idp
m wrong-scd-in-response-to in_response_to "" "Response InResponseTo right, SubjectConfirmationData InResponseTo another request"

reset
R_IRT='' SCD_IRT=''
build unsolicited
want unsolicited idp
m unsolicited ok "unsolicited,$N" "IdP-initiated (no InResponseTo anywhere), unsolicited allowed"
m unsolicited in_response_to "unsolicited-refused" "IdP-initiated, unsolicited not allowed"
m unsolicited in_response_to "" "no InResponseTo while we expect _ssogw_req_1"
m valid-assertion-signed in_response_to "unsolicited" "InResponseTo _ssogw_req_1 while no request of ours is pending: a solicited response replayed to another browser"

# --- assertion structure
reset
ASSERTIONS=2
build two-assertions
want two-assertions idp,idp
m two-assertions assertion "" "two assertions, each validly signed by idp"

reset
R_KEY=idp A_KEY='' ASSERTIONS=0
build no-assertion
want no-assertion idp
m no-assertion assertion "" "signed Response with Status Success and no assertion"

reset
CM=urn:oasis:names:tc:SAML:2.0:cm:holder-of-key
build no-bearer
want no-bearer idp
m no-bearer assertion "" "the only SubjectConfirmation is holder-of-key, not bearer"

reset
AUTHN=no
build no-authn-statement
want no-authn-statement idp
m no-authn-statement assertion "" "no AuthnStatement"

reset
SUBJECT=no
build no-subject
want no-subject idp
m no-subject assertion "" "no Subject"

# --- encrypted assertions (to sp.crt unless said)
reset
ENC=gcm-oaep
build enc-gcm-oaep
want enc-gcm-oaep enc:idp
m enc-gcm-oaep ok "$N" "EncryptedAssertion, AES-256-GCM with the key sent by RSA-OAEP (MGF1-SHA1); the Assertion is signed inside"
m enc-gcm-oaep decrypt "nosp" "EncryptedAssertion, but no SP decryption key configured"

reset
ENC=cbc-rsa15
build enc-cbc-rsa15
want enc-cbc-rsa15 enc:idp
m enc-cbc-rsa15 ok "$N" "EncryptedAssertion, AES-128-CBC with the key sent by RSA PKCS#1 v1.5; the Assertion is signed inside"

reset
ENC=gcm-oaep ENC_CERT=other
build enc-other-key
want enc-other-key enc:nodecrypt
m enc-other-key decrypt "" "EncryptedAssertion encrypted to other.crt, not to the SP's key"

reset
ENC=gcm-oaep MUTATE=flip-cipher
build enc-tampered
want enc-tampered enc:nodecrypt
m enc-tampered decrypt "" "EncryptedAssertion whose AES-GCM ciphertext has one bit flipped (the tag fails)"

reset
ENC=gcm-oaep R_KEY=idp A_KEY=
build enc-response-signed
want enc-response-signed idp,enc:unsigned
m enc-response-signed ok "$N" "Response signed by idp over an EncryptedAssertion whose Assertion is unsigned"
m enc-response-signed signature "require=assertion" "require=assertion: Response signed over an encrypted unsigned Assertion"

reset
ENC=gcm-oaep A_KEY=
build enc-unsigned
want enc-unsigned enc:unsigned
m enc-unsigned signature "" "EncryptedAssertion, nothing signed: anyone can encrypt to the SP's public key"

# ---------------------------------------------------------------- self-check
# result FILE: what xmlsec1 makes of FILE's signatures: for each ds:Signature
# in document order the key that verifies it (idp, idp2, idpec, other) or
# "bad"; "unsigned" when there is none; then, if there is EncryptedData,
# "enc:" and the same for the signatures in the decrypted Assertion, or
# "enc:nodecrypt".
# nsigs FILE PREFIX: how many ds:Signature elements the XPath PREFIX + XP_SIG
# selects ("//": all of them; ".../Assertion/": those of assertions).
nsigs() {
	python3 - "$1" "$2" <<-'EOF'
		import sys
		from xml.dom import minidom
		DS = "http://www.w3.org/2000/09/xmldsig#"
		doc = minidom.parse(sys.argv[1])
		sigs = doc.getElementsByTagNameNS(DS, "Signature")
		if sys.argv[2] != "//":
		    sigs = [s for s in sigs if s.parentNode.localName == "Assertion"]
		print(len(sigs))
	EOF
}
sigs() {
	n=$(nsigs "$1" "$2")
	out=
	i=0
	while [ "$i" -lt "$n" ]; do
		i=$((i + 1))
		who=bad
		for k in idp idp2 idpec other; do
			# shellcheck disable=SC2086
			if xmlsec1 --verify --pubkey-cert-pem "$k.crt" $IDS \
				--node-xpath "($2$XP_SIG)[$i]" "$1" >/dev/null 2>&1; then
				who=$k
				break
			fi
		done
		out=$out${out:+,}$who
	done
	echo "${out:-unsigned}"
}
result() {
	if grep -q 'EncryptedData' "$1"; then
		# The signatures in sight are outside the EncryptedData; those
		# inside show once decrypted.
		o=
		[ "$(nsigs "$1" //)" -eq 0 ] || o=$(sigs "$1" //)
		if xmlsec1 --decrypt --privkey-pem sp.key,sp.crt --output "$tmp/dec.xml" "$1" >/dev/null 2>&1; then
			d=enc:$(sigs "$tmp/dec.xml" "//*[local-name()='Assertion']/")
		else
			d=enc:nodecrypt
		fi
		echo "$o${o:+,}$d"
		return
	fi
	sigs "$1" //
}

fail=0
echo "gen.sh: self-check (xmlsec1 --verify with each key; '-' = not checked)"
printf '  %-32s %-18s %s\n' FIXTURE WANT XMLSEC1
while read -r name want; do
	# "-": parse-level attacks, not given to xmlsec1 (whose parser would
	# load the entities or recurse 10000 deep).
	got=-
	[ "$want" = - ] || got=$(result "xml/$name.xml")
	mark=
	[ "$got" = "$want" ] || {
		mark="  <-- MISMATCH"
		fail=1
	}
	printf '  %-32s %-18s %s%s\n' "$name" "$want" "$got" "$mark"
done <"$tmp/want"

# Outputs of fixtures that are gone.
for f in *.b64 xml/*.xml; do
	[ -e "$f" ] || continue
	n=${f#xml/}
	n=${n%.*}
	grep -qx "$n" "$tmp/built" || {
		rm -f "$f"
		echo "gen.sh: removed stale $f"
	}
done

# Every fixture built is in the manifest, and the other way round.
while read -r name; do
	grep -q "^$name\.b64 " "$tmp/manifest" || {
		echo "gen.sh: $name.b64 is not in the manifest" >&2
		fail=1
	}
done <"$tmp/built"
# shellcheck disable=SC2013 # file names have no white space
for f in $(grep -v '^#' "$tmp/manifest" | cut -d' ' -f1 | sort -u); do
	[ -e "$f" ] || {
		echo "gen.sh: manifest names missing $f" >&2
		fail=1
	}
done

# ---------------------------------------------------------------- manifest
{
	cat <<-'EOF'
		# manifest.txt - the SAML Response fixtures and what the validator must say
		# about each.  GENERATED by gen.sh in this folder: edit gen.sh, not this.
		#
		# One test per line:  FILE EXPECT [OPTIONS]
		#   FILE     a .b64 file here: the base64 SAMLResponse as POSTed to the ACS
		#   EXPECT   ok, or the sg_saml_error class that must be reported: input,
		#            status, signature, issuer, destination, audience, time,
		#            in_response_to, assertion, decrypt
		#   OPTIONS  comma-separated, changing the defaults below:
		#     require=either|assertion|response|both   which signature is required
		#     sha1                 RSA-SHA1 and SHA-1 digests allowed
		#     unsolicited          no request id (in_response_to NULL), unsolicited allowed
		#     unsolicited-refused  no request id, unsolicited not allowed
		#     now=+N / now=-N      seconds added to the default now
		#     nosp                 no SP decryption key (sp_keys NULL)
		#     nameid=VALUE         the NameID an ok line must yield
		#     ec                   trust set is idpec.crt instead of idp.crt + idp2.crt
		#
		# Defaults: now 2026-01-01T00:01:00Z, clock skew 60 s, trust set idp.crt +
		# idp2.crt, SP key sp.key/sp.crt, require=either, SHA-1 refused,
		# in_response_to "_ssogw_req_1", unsolicited refused, IdP entity ID
		# https://idp.example.test/saml, SP entity ID (Audience)
		# https://jira.example.test/ssogw/saml/metadata, ACS (Destination and
		# Recipient) https://jira.example.test/ssogw/saml/acs.
		#
		# Every fixture carries those constants unless it tests breaking one:
		# IssueInstant 2026-01-01T00:00:00Z, Conditions 2025-12-31T23:59:00Z ..
		# 2026-01-01T00:05:00Z, SubjectConfirmationData NotOnOrAfter 00:05:00,
		# AuthnInstant 00:00:00, SessionIndex _sess_1, SessionNotOnOrAfter
		# 08:00:00, NameID alice@example.test (emailAddress), attributes
		# http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress
		# (alice@example.test), http://schemas.microsoft.com/identity/claims/displayname
		# (Alice Example), http://schemas.microsoft.com/ws/2008/06/identity/claims/groups
		# (jira-users, jira-developers, R&D), uid (alice).  Response ID
		# _resp_7c2a91f0e4b3d856, Assertion ID _assert_3f9e0b71c6a2d845.
		#
		# Where a fixture breaks more than one rule, EXPECT is the class of the
		# attack: a Response with two assertions (XSW3, XSW5) is "assertion";
		# duplicate IDs are "signature"; a DOCTYPE is "input" whatever follows.
		# Replay is not a fixture: feed valid-assertion-signed twice to the
		# replay cache (assertion_id, assertion_expires).
		#
	EOF
	cat "$tmp/manifest"
} >manifest.txt

total=$(grep -vc '^#' manifest.txt)
files=$(wc -l <"$tmp/built")
if [ "$fail" -ne 0 ]; then
	echo "gen.sh: FAILED: some fixture is not what it claims (see above)" >&2
	exit 1
fi
echo "gen.sh: $files fixtures, $total manifest lines, self-check passed"
