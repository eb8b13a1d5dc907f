#!/usr/bin/python3
"""gen.py - signed SAML Responses for the ACS benchmark (tests/bench/saml_acs.sh).

    gen.py KEY CERT ISSUER ACS AUDIENCE PREFIX COUNT [FIRST] > BODIES
    gen.py --tamper < BODIES > TAMPERED

Writes COUNT lines, each a complete application/x-www-form-urlencoded POST
body "SAMLResponse=..." as the HTTP-POST binding carries it: a typical
IdP-initiated Response (no InResponseTo) from ISSUER to the SP whose ACS
URL (Destination, Recipient) and entity ID (Audience) are given, with one
bearer Assertion signed by KEY (enveloped, exclusive c14n, RSA-SHA256,
SHA-256 digest, the certificate in KeyInfo): NameID, SessionIndex, and
the attributes uid, mail, displayName and groups (5 values).  Response
and Assertion IDs are unique per line (PREFIX and the line number from
FIRST, default 0), so no replay cache refuses a line; the times are
around now (valid for an hour).

--tamper changes, in each body read, the NameID's value after the fact
(to admin@example.test): a validator that checks the signature refuses it.

Debian 12's python3-lxml and python3-xmlsec do the signing (xmlsec1 under
it, as the xmlsec1 command line of the unit fixtures, at ~1 ms a line).
"""
import base64
import datetime
import re
import sys
import urllib.parse

from lxml import etree
import xmlsec

TEMPLATE = """\
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" \
xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{rid}" Version="2.0" \
IssueInstant="{now}" Destination="{acs}">
  <saml:Issuer>{issuer}</saml:Issuer>
  <samlp:Status>
    <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>
  </samlp:Status>
  <saml:Assertion xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{aid}" Version="2.0" \
IssueInstant="{now}">
    <saml:Issuer>{issuer}</saml:Issuer>
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{user}@example.test</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="{noa}" Recipient="{acs}"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="{nb}" NotOnOrAfter="{noa}">
      <saml:AudienceRestriction>
        <saml:Audience>{audience}</saml:Audience>
      </saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="{authn}" SessionNotOnOrAfter="{snoa}" SessionIndex="_sess_{sid}">
      <saml:AuthnContext>
        <saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>
      </saml:AuthnContext>
    </saml:AuthnStatement>
    <saml:AttributeStatement>
      <saml:Attribute Name="uid" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">
        <saml:AttributeValue xsi:type="xs:string">{user}</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="mail" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">
        <saml:AttributeValue xsi:type="xs:string">{user}@example.test</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="displayName" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">
        <saml:AttributeValue xsi:type="xs:string">Bench User {n}</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="groups" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">
        <saml:AttributeValue xsi:type="xs:string">jira-users</saml:AttributeValue>
        <saml:AttributeValue xsi:type="xs:string">jira-developers</saml:AttributeValue>
        <saml:AttributeValue xsi:type="xs:string">confluence-users</saml:AttributeValue>
        <saml:AttributeValue xsi:type="xs:string">team-platform</saml:AttributeValue>
        <saml:AttributeValue xsi:type="xs:string">vpn-users</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>"""

DS = "http://www.w3.org/2000/09/xmldsig#"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def tamper():
    for line in sys.stdin:
        b64 = urllib.parse.unquote(line.strip().split("=", 1)[1])
        xml = base64.b64decode(b64).decode()
        xml = re.sub(r'(<saml:NameID [^>]*>)[^<]*', r'\1admin@example.test', xml, count=1)
        b64 = base64.b64encode(xml.encode())
        sys.stdout.write("SAMLResponse=" + urllib.parse.quote(b64, safe="") + "\n")


def main():
    if sys.argv[1:] == ["--tamper"]:
        return tamper()
    if len(sys.argv) not in (8, 9):
        sys.exit(__doc__)
    key_file, cert_file, issuer, acs, audience, prefix, count = sys.argv[1:8]
    first = int(sys.argv[8]) if len(sys.argv) == 9 else 0
    key = xmlsec.Key.from_file(key_file, xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_file(cert_file, xmlsec.constants.KeyDataFormatPem)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    times = dict(now=iso(now), nb=iso(now - datetime.timedelta(minutes=5)),
                 noa=iso(now + datetime.timedelta(hours=1)),
                 authn=iso(now - datetime.timedelta(seconds=10)),
                 snoa=iso(now + datetime.timedelta(hours=8)))
    out = sys.stdout
    for n in range(first, first + int(count)):
        xml = TEMPLATE.format(rid="_r%s%08d" % (prefix, n), aid="_a%s%08d" % (prefix, n),
                              sid="%s%d" % (prefix, n), n=n, user="user%d" % (n % 1000),
                              issuer=issuer, acs=acs, audience=audience, **times)
        doc = etree.fromstring(xml.encode())
        assertion = doc.find("{%s}Assertion" % SAML)
        sig = xmlsec.template.create(assertion, xmlsec.constants.TransformExclC14N,
                                     xmlsec.constants.TransformRsaSha256, ns="ds")
        assertion.insert(1, sig)  # after the Issuer, as the schema wants
        ref = xmlsec.template.add_reference(sig, xmlsec.constants.TransformSha256,
                                            uri="#" + assertion.get("ID"))
        xmlsec.template.add_transform(ref, xmlsec.constants.TransformEnveloped)
        c14n = xmlsec.template.add_transform(ref, xmlsec.constants.TransformExclC14N)
        inc = etree.SubElement(c14n, "{http://www.w3.org/2001/10/xml-exc-c14n#}InclusiveNamespaces",
                               nsmap={"ec": "http://www.w3.org/2001/10/xml-exc-c14n#"})
        inc.set("PrefixList", "xs")
        xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
        ctx = xmlsec.SignatureContext()
        ctx.key = key
        ctx.register_id(assertion, "ID")
        ctx.sign(sig)
        b64 = base64.b64encode(etree.tostring(doc, xml_declaration=True, encoding="UTF-8"))
        out.write("SAMLResponse=" + urllib.parse.quote(b64, safe="") + "\n")


if __name__ == "__main__":
    main()
