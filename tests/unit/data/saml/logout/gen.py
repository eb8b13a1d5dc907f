#!/usr/bin/env python3
# gen.py - (re)generates the SAML Single Logout fixtures of
# tests/unit/t_saml_logout.c (src/saml/saml_logout.c) from the test keys one
# folder up (idp, idp2, idpec, sp: TEST ONLY keys made by ../gen.sh).
#
#   Run:   python3 tests/unit/data/saml/logout/gen.py   (from anywhere; needs
#          openssl and xmlsec1: `scripts/deps.sh check` installs xmlsec1)
#   Then:  review `git diff tests/unit/data/saml/logout` and commit the
#          outputs.  The tests read only the committed files; they never
#          need openssl or xmlsec1.
#
# What an IdP sends, two ways:
#   NAME.query   HTTP-Redirect (bindings 3.4.4.1): the raw query string the
#                IdP's redirect carries (SAMLRequest or SAMLResponse, raw
#                DEFLATE + base64 + URL-encoding, RelayState, and SigAlg and
#                Signature when signed), one line, no newline at the end
#   NAME.b64     HTTP-POST (bindings 3.5.4): base64 of the XML, as the form's
#                SAMLRequest or SAMLResponse value
#   xml/NAME.xml the XML inside, for reading and diffing only
#   fixtures.txt one line per fixture: what it is and what the test expects
#
# Every query signature is made by `openssl dgst -sign` over the octets
# bindings 3.4.4.1 names, every XML signature and encryption by the xmlsec1
# command line; nothing is hand-edited.  The attacks that change a message
# after it was signed (wrapping, comment injection, a changed NameID) are
# made here on xmlsec1's output: that is the attack, not a forgery.  The
# tampered queries (a changed byte, a repeated parameter) are made by the
# unit test itself from these files.
#
# RSA PKCS#1 v1.5 signatures are deterministic, so a rerun writes the same
# bytes.  ECDSA signatures and encryptions are not; for those a rerun keeps
# the committed file when its input (xml/NAME.src: the XML and parameters
# before the random step) did not change.  At the end a self-check verifies
# each signature with openssl or xmlsec1 and the key it claims, and fails
# if any fixture is not what it says.
import base64
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.dirname(HERE)
TMP = tempfile.mkdtemp()

IDP = "https://idp.example.test/saml"
EVIL_IDP = "https://evil.example.test/saml"
SLO = "https://jira.example.test/ssogw/saml/slo"
OTHER_SLO = "https://confluence.example.test/ssogw/saml/slo"
REQ_ID = "_idp_lo_4b1d0c9e7f2a"
RESP_ID = "_idp_lr_9e8c27d1a05f"
IRT = "_ssogw_lo_1"
NAMEID = "alice@example.test"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
II = "2026-01-01T00:00:00Z"  # IssueInstant; the tests' now is 00:01:00
NOA = "2026-01-01T00:05:00Z"
RELAY = "rs/1 a"  # '/' and ' ' so that the query encodes something
DS = "http://www.w3.org/2000/09/xmldsig#"
MORE = "http://www.w3.org/2001/04/xmldsig-more#"
ALGS = {
    "rsa-sha256": (MORE + "rsa-sha256", "-sha256"),
    "rsa-sha512": (MORE + "rsa-sha512", "-sha512"),
    "rsa-sha1": (DS + "rsa-sha1", "-sha1"),
    "ecdsa-sha256": (MORE + "ecdsa-sha256", "-sha256"),
}
STATUS = "urn:oasis:names:tc:SAML:2.0:status:"
IDS = ["--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutRequest",
       "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:LogoutResponse"]

built = []     # (name, ext)
index = []     # fixtures.txt lines
checks = []    # (name, ext, key that must verify | "unsigned" | "-")


def run(args, data=None):
    p = subprocess.run(args, input=data, capture_output=True)
    if p.returncode != 0:
        sys.exit("gen.py: %s failed: %s" % (args[0], p.stderr.decode(errors="replace")))
    return p.stdout


def key(name, ext):
    return os.path.join(KEYS, name + "." + ext)


# ---------------------------------------------------------------- messages
def sigtpl(ref):
    """An enveloped-signature template (SAML core 5.4) for the root ref."""
    return ('<ds:Signature xmlns:ds="%s"><ds:SignedInfo>'
            '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            '<ds:SignatureMethod Algorithm="%srsa-sha256"/>'
            '<ds:Reference URI="#%s"><ds:Transforms>'
            '<ds:Transform Algorithm="%senveloped-signature"/>'
            '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
            '</ds:Transforms>'
            '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
            '<ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo>'
            '<ds:SignatureValue></ds:SignatureValue>'
            '<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>' % (DS, MORE, ref, DS))


def attrs(pairs):
    return "".join(' %s="%s"' % (k, v) for k, v in pairs if v is not None)


def logout_request(id=REQ_ID, issuer=IDP, dest=SLO, ii=II, noa=NOA, nameid=NAMEID,
                   subject=None, sessions=("_sess_1", "_sess_2"), sig=False, prolog=""):
    """A samlp:LogoutRequest (core 3.7.1) as an IdP writes it."""
    if subject is None:
        subject = '<saml:NameID Format="%s">%s</saml:NameID>' % (EMAIL, nameid)
    root = attrs([("ID", id), ("Version", "2.0"), ("IssueInstant", ii),
                  ("Destination", dest), ("NotOnOrAfter", noa)])
    return (prolog + '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"'
            ' xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"%s>'
            '<saml:Issuer>%s</saml:Issuer>%s%s%s</samlp:LogoutRequest>'
            % (root, issuer, sigtpl(id) if sig else "", subject,
               "".join("<samlp:SessionIndex>%s</samlp:SessionIndex>" % s for s in sessions)))


def logout_response(id=RESP_ID, issuer=IDP, dest=SLO, irt=IRT, status="Success", sub=None,
                    sig=False):
    """A samlp:LogoutResponse (core 3.7.2) as an IdP writes it."""
    root = attrs([("ID", id), ("Version", "2.0"), ("IssueInstant", II),
                  ("Destination", dest), ("InResponseTo", irt)])
    code = '<samlp:StatusCode Value="%s%s"/>' % (STATUS, status)
    if sub:
        code = ('<samlp:StatusCode Value="%s%s"><samlp:StatusCode Value="%s%s"/>'
                '</samlp:StatusCode>' % (STATUS, status, STATUS, sub))
    st = "<samlp:Status>%s</samlp:Status>" % code if status else ""
    return ('<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"'
            ' xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"%s>'
            '<saml:Issuer>%s</saml:Issuer>%s%s</samlp:LogoutResponse>'
            % (root, issuer, sigtpl(id) if sig else "", st))


# ---------------------------------------------------------------- signing
def xmlsec_sign(xml, who):
    src = os.path.join(TMP, "in.xml")
    out = os.path.join(TMP, "out.xml")
    with open(src, "w") as f:
        f.write(xml)
    run(["xmlsec1", "--sign", "--privkey-pem", key(who, "key") + "," + key(who, "crt")] + IDS +
        ["--output", out, src])
    with open(out) as f:
        return f.read()


def encrypt_nameid(xml):
    """xml with its saml:NameID in a saml:EncryptedID (core 2.2.4) to sp.crt:
    AES-256-GCM, the key sent with RSA-OAEP."""
    tpl = ('<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" '
           'xmlns:ds="%s" Type="http://www.w3.org/2001/04/xmlenc#Element">'
           '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>'
           '<ds:KeyInfo><xenc:EncryptedKey><xenc:EncryptionMethod '
           'Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>'
           '<xenc:CipherData><xenc:CipherValue></xenc:CipherValue></xenc:CipherData>'
           '</xenc:EncryptedKey></ds:KeyInfo>'
           '<xenc:CipherData><xenc:CipherValue></xenc:CipherValue></xenc:CipherData>'
           '</xenc:EncryptedData>' % DS)
    xml = re.sub(r"(<saml:NameID[^>]*>.*?</saml:NameID>)", r"<saml:EncryptedID>\1</saml:EncryptedID>",
                 xml)
    xml = xml.replace("<saml:NameID ", '<saml:NameID xmlns:saml="urn:oasis:names:tc:SAML:2.0:'
                      'assertion" ')
    paths = {n: os.path.join(TMP, n) for n in ("data.xml", "tpl.xml", "enc.xml")}
    with open(paths["data.xml"], "w") as f:
        f.write(xml)
    with open(paths["tpl.xml"], "w") as f:
        f.write(tpl)
    run(["xmlsec1", "--encrypt", "--pubkey-cert-pem", key("sp", "crt"), "--session-key",
         "aes-256", "--xml-data", paths["data.xml"], "--node-xpath",
         "//*[local-name()='NameID']", "--output", paths["enc.xml"], paths["tpl.xml"]])
    with open(paths["enc.xml"]) as f:
        out = f.read()
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", out)


def der_to_raw(der, size):
    """An ECDSA signature from DER (SEQUENCE of two INTEGERs) to r || s."""
    assert der[0] == 0x30
    i = 2 if der[1] < 0x80 else 2 + (der[1] & 0x7f)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n = der[i + 1]
        v = der[i + 2:i + 2 + n].lstrip(b"\0")
        out += v.rjust(size, b"\0")
        i += 2 + n
    return out


def q(s, lower=False):
    """Percent-encodes s (RFC 3986 unreserved kept; space as '+', as PHP's
    urlencode and HTML forms do).  lower: lower-case hex digits."""
    e = urllib.parse.quote_plus(s, safe="")
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), e) if lower else e


def query(param, xml, relay=None, who=None, alg="rsa-sha256", raw_ecdsa=False, lower=False,
          deflated=None):
    """The HTTP-Redirect query (bindings 3.4.4.1) carrying xml."""
    if deflated is None:
        z = zlib.compressobj(9, zlib.DEFLATED, -15)
        deflated = z.compress(xml.encode()) + z.flush()
    s = param + "=" + q(base64.b64encode(deflated).decode(), lower)
    if relay is not None:
        s += "&RelayState=" + q(relay, lower)
    if who:
        uri, md = ALGS[alg]
        s += "&SigAlg=" + q(uri, lower)
        sig = run(["openssl", "dgst", md, "-sign", key(who, "key")], s.encode())
        if raw_ecdsa:
            sig = der_to_raw(sig, 32)
        s += "&Signature=" + q(base64.b64encode(sig).decode(), lower)
    return s


# ---------------------------------------------------------------- output
def write(path, data):
    with open(path, "w") as f:
        f.write(data)


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def emit(name, ext, data, xml, what, expect, check, src=None):
    """Writes NAME.ext and xml/NAME.xml; src (volatile fixtures): keep the
    committed NAME.ext when xml/NAME.src says the same."""
    built.append((name, ext))
    index.append("%-28s %-12s %s" % (name + "." + ext, expect, what))
    checks.append((name, ext, check))
    if src is not None:
        built.append((name, "src"))
        srcp = os.path.join(HERE, "xml", name + ".src")
        if read(srcp) == src and read(os.path.join(HERE, name + "." + ext)) is not None and \
                read(os.path.join(HERE, "xml", name + ".xml")) is not None:
            return
        write(srcp, src)
    write(os.path.join(HERE, "xml", name + ".xml"), xml)
    write(os.path.join(HERE, name + "." + ext), data)


def redirect(name, param, xml, what, expect, who="idp", volatile=None, **kw):
    """volatile: for an ECDSA signature or an encryption, the input of the
    random step (the XML before it): when that is unchanged, so is the file."""
    src = "%s\n%s\n%s\n%r\n" % (param, who, volatile, sorted(kw.items())) if volatile else None
    emit(name, "query", query(param, xml, who=who, **kw), xml, what, expect, who or "unsigned",
         src)


def post(name, xml, what, expect, check):
    emit(name, "b64", base64.b64encode(xml.encode()).decode(), xml, what, expect, check)


# ---------------------------------------------------------------- fixtures
def fixtures_redirect():
    req = logout_request()
    redirect("req-signed", "SAMLRequest", req, "LogoutRequest signed by idp (RSA-SHA256), "
             "NameID alice@example.test, SessionIndex _sess_1 and _sess_2, RelayState", "ok",
             relay=RELAY)
    redirect("req-idp2", "SAMLRequest", req, "the same signed by idp2", "signature/ok",
             who="idp2", relay=RELAY)
    redirect("req-unsigned", "SAMLRequest", req, "the same, no SigAlg or Signature",
             "signature", who=None, relay=RELAY)
    redirect("req-sha1", "SAMLRequest", req, "signed with RSA-SHA1", "signature/ok",
             alg="rsa-sha1", relay=RELAY)
    redirect("req-sha512", "SAMLRequest", req, "signed with RSA-SHA512, no RelayState", "ok")
    redirect("req-ecdsa", "SAMLRequest", req, "signed by idpec with ECDSA-SHA256 (DER)", "ok",
             who="idpec", alg="ecdsa-sha256", volatile=req, relay=RELAY)
    redirect("req-ecdsa-raw", "SAMLRequest", req, "signed by idpec with ECDSA-SHA256 "
             "(r || s, XML Signature's form)", "ok", who="idpec", alg="ecdsa-sha256",
             raw_ecdsa=True, volatile=req)
    redirect("req-lower-hex", "SAMLRequest", req, "signed over a query written with lower-case "
             "percent escapes (checked as sent, not re-encoded)", "ok", relay=RELAY, lower=True)
    redirect("req-wrong-issuer", "SAMLRequest", logout_request(issuer=EVIL_IDP),
             "Issuer https://evil.example.test/saml, signed by idp", "issuer")
    redirect("req-wrong-destination", "SAMLRequest", logout_request(dest=OTHER_SLO),
             "Destination another SP's SLO URL, signed by idp", "destination")
    redirect("req-no-destination", "SAMLRequest", logout_request(dest=None),
             "no Destination on a signed request", "destination")
    redirect("req-expired", "SAMLRequest", logout_request(ii="2025-12-31T23:55:00Z",
                                                          noa="2025-12-31T23:59:00Z"),
             "NotOnOrAfter 23:59:00 the day before (now 00:01:00, skew 60 s)", "time")
    redirect("req-future", "SAMLRequest", logout_request(ii="2026-01-01T00:03:00Z"),
             "IssueInstant 00:03:00, two minutes after now", "time")
    redirect("req-old", "SAMLRequest", logout_request(ii="2025-12-31T23:45:00Z", noa=None),
             "IssueInstant 23:45:00 the day before, 16 minutes old", "time")
    redirect("req-relay-long", "SAMLRequest", req, "RelayState of 81 bytes", "input",
             relay="r" * 81)
    signed_inside = xmlsec_sign(logout_request(sig=True), "idp")
    redirect("req-embedded-sig", "SAMLRequest", re.sub(r"^<\?xml[^>]*\?>\s*", "", signed_inside),
             "query signed by idp over XML that holds an enveloped ds:Signature too "
             "(bindings 3.4.4.1 strips it)", "signature")
    enc = encrypt_nameid(req)
    redirect("req-encrypted-id", "SAMLRequest", enc, "NameID in an EncryptedID to sp.crt "
             "(AES-256-GCM, RSA-OAEP), signed by idp", "ok/decrypt", volatile=req,
             relay=RELAY)
    redirect("req-comment-nameid", "SAMLRequest",
             logout_request(nameid="alice@example.test<!---->.evil.test"),
             "NameID alice@example.test<!---->.evil.test", "ok")
    redirect("req-no-nameid", "SAMLRequest", logout_request(subject=""), "no NameID",
             "input")
    two = '<saml:NameID>%s</saml:NameID><saml:NameID>admin@example.test</saml:NameID>' % NAMEID
    redirect("req-two-nameids", "SAMLRequest", logout_request(subject=two), "two NameIDs",
             "input")
    xxe = ('<?xml version="1.0"?>\n<!DOCTYPE samlp:LogoutRequest [<!ENTITY xxe SYSTEM '
           '"file:///etc/passwd">]>\n')
    redirect("req-xxe", "SAMLRequest", logout_request(nameid="&xxe;", prolog=xxe),
             "DOCTYPE with an external entity used as the NameID, signed by idp", "input")
    redirect("req-is-response", "SAMLRequest", logout_response(),
             "a LogoutResponse sent as SAMLRequest, signed by idp", "input")
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = z.compress(b"<" + b" " * (16 * 1024 * 1024)) + z.flush()
    redirect("req-bomb", "SAMLRequest", "(16 MiB of white space)", "a deflate bomb "
             "(16 MiB inflated) signed by idp", "input", deflated=bomb)
    redirect("resp-bomb", "SAMLResponse", "(16 MiB of white space)", "the deflate bomb as an "
             "unsigned SAMLResponse", "input", who=None, deflated=bomb)
    redirect("resp-unsigned", "SAMLResponse", logout_response(), "LogoutResponse Success, "
             "InResponseTo _ssogw_lo_1, unsigned, RelayState", "ok/signature", who=None,
             relay=RELAY)
    redirect("resp-signed", "SAMLResponse", logout_response(), "the same signed by idp", "ok",
             relay=RELAY)
    redirect("resp-responder", "SAMLResponse",
             logout_response(status="Responder", sub="PartialLogout"),
             "LogoutResponse Responder/PartialLogout, signed by idp", "ok")
    redirect("resp-no-status", "SAMLResponse", logout_response(status=None),
             "LogoutResponse without Status, signed by idp", "status")


def strip_decl(xml):
    return re.sub(r"^<\?xml[^>]*\?>\s*", "", xml)


def unsigned_copy(signed):
    return re.sub(r"<ds:Signature .*?</ds:Signature>", "", signed, flags=re.S)


def fixtures_post():
    good = strip_decl(xmlsec_sign(logout_request(sig=True), "idp"))
    post("post-req-signed", good, "LogoutRequest with an enveloped signature by idp", "ok",
         "idp")
    post("post-req-idp2", strip_decl(xmlsec_sign(logout_request(sig=True), "idp2")),
         "the same signed by idp2", "signature", "idp2")
    post("post-req-unsigned", logout_request(), "the same, unsigned", "signature", "unsigned")
    post("post-req-tampered", good.replace(">%s<" % NAMEID, ">admin@example.test<"),
         "the signed request with its NameID changed to admin@example.test", "signature", "bad")
    # Wrapping: the genuine signed request kept where a lookup by ID finds it.
    evil = logout_request(id="_evil", nameid="admin@example.test")
    ext = "<samlp:Extensions>%s</samlp:Extensions>" % good
    post("post-req-wrap-ext", evil.replace("</saml:Issuer>", "</saml:Issuer>" + ext),
         "evil unsigned request (NameID admin@) with the genuine signed one in its "
         "Extensions", "signature", "idp")
    sig = re.search(r"<ds:Signature .*?</ds:Signature>", good, re.S).group(0)
    ext = "<samlp:Extensions>%s</samlp:Extensions>" % unsigned_copy(good)
    post("post-req-wrap-sig", evil.replace("</saml:Issuer>", "</saml:Issuer>" + sig + ext),
         "evil request carrying the genuine signature (Reference #%s), the genuine request "
         "unsigned in its Extensions" % REQ_ID, "signature", "idp")
    dup = logout_request(nameid="admin@example.test")
    ext = "<samlp:Extensions>%s</samlp:Extensions>" % good
    post("post-req-dup-id", dup.replace("</saml:Issuer>", "</saml:Issuer>" + ext),
         "evil request with the genuine one's ID, the genuine signed one in its Extensions: "
         "#ID names two elements", "signature", "-")
    plain = strip_decl(xmlsec_sign(logout_request(sig=True,
                                                  nameid="alice@example.test.evil.test"),
                                   "idp"))
    post("post-req-comment", plain.replace("alice@example.test.evil.test",
                                           "alice@example.test<!---->.evil.test"),
         "comment injected after signing into NameID alice@example.test.evil.test: still "
         "verifies (c14n drops comments); the NameID must be read whole", "ok", "idp")
    xxe = ('<?xml version="1.0"?>\n<!DOCTYPE samlp:LogoutRequest [<!ENTITY xxe SYSTEM '
           '"file:///etc/passwd">]>\n')
    post("post-req-xxe", logout_request(nameid="&xxe;", prolog=xxe),
         "DOCTYPE with an external entity used as the NameID", "input", "-")
    post("post-resp-signed", strip_decl(xmlsec_sign(logout_response(sig=True), "idp")),
         "LogoutResponse Success, InResponseTo _ssogw_lo_1, signed by idp", "ok", "idp")
    post("post-resp-responder",
         strip_decl(xmlsec_sign(logout_response(status="Responder", sig=True), "idp")),
         "LogoutResponse Responder, signed by idp", "ok", "idp")
    post("post-resp-unsigned", logout_response(), "LogoutResponse Success, unsigned",
         "ok/signature", "unsigned")


# ---------------------------------------------------------------- self-check
def pubkey(who):
    p = os.path.join(TMP, who + ".pub")
    if not os.path.exists(p):
        write(p, run(["openssl", "x509", "-pubkey", "-noout", "-in", key(who, "crt")]).decode())
    return p


def verify_query(s, who):
    """True when the query's Signature verifies with who's certificate."""
    params = dict(p.split("=", 1) for p in s.split("&"))
    if "Signature" not in params:
        return False
    signed = s[:s.index("&Signature=")]
    md = [v[1] for v in ALGS.values() if q(v[0]).lower() == params["SigAlg"].lower()][0]
    sig = base64.b64decode(urllib.parse.unquote_plus(params["Signature"]))
    if who == "idpec" and len(sig) == 64:
        r, t = (int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        enc = [x.to_bytes((x.bit_length() + 8) // 8, "big") for x in (r, t)]
        body = b"".join(b"\x02" + bytes([len(e)]) + e for e in enc)
        sig = b"\x30" + bytes([len(body)]) + body
    sp = os.path.join(TMP, "sig.bin")
    with open(sp, "wb") as f:
        f.write(sig)
    p = subprocess.run(["openssl", "dgst", md, "-verify", pubkey(who), "-signature", sp],
                       input=signed.encode(), capture_output=True)
    return p.returncode == 0


def verify_xml(xml, who):
    path = os.path.join(TMP, "v.xml")
    write(path, xml)
    p = subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", key(who, "crt")] + IDS +
                       [path], capture_output=True)
    return p.returncode == 0


def self_check():
    bad = 0
    for name, ext, want in checks:
        if want == "-":
            continue
        data = read(os.path.join(HERE, name + "." + ext))
        got = "unsigned"
        for who in ("idp", "idp2", "idpec", "sp"):
            if ext == "query":
                if "&Signature=" not in data:
                    break
                ok = verify_query(data, who)
            else:
                xml = base64.b64decode(data).decode()
                if "<ds:Signature" not in xml:
                    break
                ok = verify_xml(xml, who)
            got = who if ok else "bad"
            if ok:
                break
        if got != want:
            bad += 1
            print("gen.py: %s.%s: signature %s, not %s" % (name, ext, got, want))
    return bad


def main():
    os.makedirs(os.path.join(HERE, "xml"), exist_ok=True)
    fixtures_redirect()
    fixtures_post()
    keep = {"gen.py", "fixtures.txt", "xml"} | {n + "." + e for n, e in built if e != "src"}
    keep_xml = {n + ".xml" for n, _ in built} | {n + ".src" for n, e in built if e == "src"}
    for f in sorted(os.listdir(HERE)):
        if f not in keep:
            os.remove(os.path.join(HERE, f))
            print("gen.py: removed stale %s" % f)
    for f in sorted(os.listdir(os.path.join(HERE, "xml"))):
        if f not in keep_xml:
            os.remove(os.path.join(HERE, "xml", f))
            print("gen.py: removed stale xml/%s" % f)
    write(os.path.join(HERE, "fixtures.txt"),
          "# fixtures.txt - the SAML logout fixtures and what t_saml_logout.c expects of\n"
          "# each (ok, or the sg_saml_error class; a/b: a by default, b with the test's\n"
          "# other setting).  GENERATED by gen.py in this folder: edit gen.py, not this.\n"
          "# IdP https://idp.example.test/saml, our SLO URL %s,\n"
          "# IssueInstant %s and NotOnOrAfter %s unless said, now 00:01:00.\n"
          % (SLO, II, NOA) + "\n".join(index) + "\n")
    bad = self_check()
    if bad:
        sys.exit("gen.py: FAILED: %d fixtures are not what they claim" % bad)
    print("gen.py: %d fixtures, self-check passed" % len(index))


if __name__ == "__main__":
    try:
        main()
    finally:
        subprocess.run(["rm", "-rf", TMP])
