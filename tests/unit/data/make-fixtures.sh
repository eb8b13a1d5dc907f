#!/bin/sh
# make-fixtures.sh - regenerates the unit-test fixtures in this folder from
# the openssl command line.  Fixtures are generated, never hand-edited; run
# this script and commit its output.
#
#   idp-cert.pem  a self-signed test certificate (CN=test-idp, 10 years),
#                 standing in for a SAML IdP's signing certificate.  Its
#                 private key is thrown away: tests only parse the PEM.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
	-subj "/CN=test-idp" -keyout "$tmp/idp-key.pem" -out "$tmp/idp-cert.pem" 2>/dev/null
openssl x509 -in "$tmp/idp-cert.pem" -noout -subject >/dev/null
mv "$tmp/idp-cert.pem" "$here/idp-cert.pem"
chmod 0644 "$here/idp-cert.pem"
echo "wrote $here/idp-cert.pem"
