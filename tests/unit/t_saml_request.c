/*
 * t_saml_request.c - the SP's AuthnRequest and the HTTP-Redirect binding
 * (src/saml/saml_request.c): the URL sg_saml_authn_redirect makes is taken
 * apart here the way an IdP would (query split, URL-decoded, base64 and
 * raw INFLATE through sg_saml_redirect_decode, the XML read with libxml2),
 * every field checked, hostile values shown to round-trip without breaking
 * out of their attribute, and the RSA-SHA256 Signature verified with
 * OpenSSL against the SP certificate (tests/unit/data/saml/sp.crt).  The
 * RequestedAuthnContext in both bindings.  The HTTP-POST binding: base64
 * decoded back to the same request, and its enveloped signature verified
 * with the SP certificate by the library's own checks (saml_verify, as for
 * a Response) and by the xmlsec1 command (when installed), and refused by
 * both once a byte changes.  Then the decoder alone: strict base64, bad
 * DEFLATE data, and a zip bomb that stops at the bound.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "lib.h"
#include "saml.h"
#include "saml_int.h"
#include "unit.h"

#ifndef SG_SRCDIR
#define SG_SRCDIR "."
#endif
#define SP_KEY SG_SRCDIR "/tests/unit/data/saml/sp.key"
#define SP_CRT SG_SRCDIR "/tests/unit/data/saml/sp.crt"
#define IDP_CRT SG_SRCDIR "/tests/unit/data/saml/idp.crt"

#define SP_ENTITY "https://jira.example.test/ssogw/saml/metadata"
#define ACS_URL "https://jira.example.test/ssogw/saml/acs"
#define IDP_SSO "https://idp.example.test/saml/sso"
#define FMT_EMAIL "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
#define NOW 1767225660 /* 2026-01-01T00:01:00Z */
#define MAX_XML (64 * 1024)
#define NS_PROTOCOL "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_ASSERTION "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_DSIG "http://www.w3.org/2000/09/xmldsig#"
#define AC_PPT "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
#define AC_MFA "http://schemas.microsoft.com/claims/multipleauthn"

static struct sg_saml_keys *sp_keys, *sp_cert_only, *idp_cert_only;

/* A plain request to the test IdP; tests change what they need. */
static struct sg_saml_authn_request
base_request(void)
{
	struct sg_saml_authn_request r = { 0 };

	r.sp_entity_id = SP_ENTITY;
	r.acs_url = ACS_URL;
	r.idp_sso_url = IDP_SSO;
	r.now = NOW;
	return r;
}

/* The value of a hex digit, or -1. */
static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* URL-decodes s[0..n) (percent escapes; "+" is a space as in forms). */
static char *
url_decode(struct sg_arena *a, const char *s, size_t n)
{
	char *out = sg_arena_alloc(a, n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			assert_true(i + 2 < n);
			assert_true(hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0);
			*o++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

/* The raw (still URL-encoded) value of name in the query of url, or NULL.
 * Checks that the query holds only characters URL encoding leaves. */
static char *
query_raw(struct sg_arena *a, const char *url, const char *name)
{
	const char *q = strrchr(url, '?'), *p, *end;
	size_t nl = strlen(name);

	assert_non_null(q);
	for (p = q + 1; *p != '\0'; p = *end == '&' ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
			return sg_arena_strndup(a, p + nl + 1, (size_t)(end - p) - nl - 1);
	}
	return NULL;
}

/* The URL-decoded value of name in url's query, or NULL. */
static char *
query_get(struct sg_arena *a, const char *url, const char *name)
{
	char *raw = query_raw(a, url, name);
	size_t i;

	if (raw == NULL)
		return NULL;
	/* Every byte but the unreserved ones is percent-encoded (RFC 3986). */
	for (i = 0; raw[i] != '\0'; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		                       "0123456789-._~%",
		                       raw[i]));
	return url_decode(a, raw, strlen(raw));
}

/* The XML the SAMLRequest of url carries. */
static const char *
request_xml(struct sg_arena *a, const char *url)
{
	struct sg_err err = { 0 };
	const char *v = query_get(a, url, "SAMLRequest"), *xml = NULL;
	size_t n = 0;

	assert_non_null(v);
	assert_int_equal(sg_saml_redirect_decode(v, strlen(v), MAX_XML, a, &xml, &n, &err), 0);
	assert_int_equal(strlen(xml), n);
	return xml;
}

/* Parses xml (no network, no entities) and returns its root; *doc set. */
static xmlNodePtr
parse_root(const char *xml, xmlDocPtr *doc)
{
	xmlNodePtr root;

	*doc = xmlReadMemory(xml, (int)strlen(xml), "req.xml", NULL, XML_PARSE_NONET);
	assert_non_null(*doc);
	root = xmlDocGetRootElement(*doc);
	assert_non_null(root);
	assert_string_equal((const char *)root->name, "AuthnRequest");
	assert_non_null(root->ns);
	assert_string_equal((const char *)root->ns->href, NS_PROTOCOL);
	return root;
}

/* Asserts that attribute name of n is want (NULL: absent). */
static void
assert_attr(xmlNodePtr n, const char *name, const char *want)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);

	if (want == NULL) {
		assert_null(v);
		return;
	}
	assert_non_null(v);
	assert_string_equal((const char *)v, want);
	xmlFree(v);
}

/* The first element child of n named name in namespace ns. */
static xmlNodePtr
child(xmlNodePtr n, const char *ns, const char *name)
{
	for (n = n->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		    strcmp((const char *)n->ns->href, ns) == 0 &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

/* Asserts that the request in xml holds r's values and id. */
static void
assert_request(const char *xml, const struct sg_saml_authn_request *r, const char *id)
{
	xmlDocPtr doc;
	xmlNodePtr root = parse_root(xml, &doc), issuer, policy;
	xmlChar *text;

	assert_attr(root, "ID", id);
	assert_attr(root, "Version", "2.0");
	assert_attr(root, "IssueInstant", "2026-01-01T00:01:00Z");
	assert_attr(root, "Destination", r->idp_sso_url);
	assert_attr(root, "AssertionConsumerServiceURL", r->acs_url);
	assert_attr(root, "ProtocolBinding", "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST");
	assert_attr(root, "ForceAuthn", r->force_authn ? "true" : NULL);
	issuer = child(root, NS_ASSERTION, "Issuer");
	assert_non_null(issuer);
	text = xmlNodeGetContent(issuer);
	assert_string_equal((const char *)text, r->sp_entity_id);
	xmlFree(text);
	policy = child(root, NS_PROTOCOL, "NameIDPolicy");
	assert_non_null(policy);
	assert_attr(policy, "AllowCreate", "true");
	assert_attr(policy, "Format", r->name_id_format);
	/* Issuer comes first (core 3.2.1's sequence). */
	assert_ptr_equal(issuer, xmlFirstElementChild(root));
	xmlFreeDoc(doc);
}

/* Builds r's redirect, expecting success; *id set when id is not NULL. */
static const char *
redirect(struct sg_arena *a, const struct sg_saml_authn_request *r, const char **id)
{
	struct sg_err err = { 0 };
	const char *rid = NULL, *url = NULL;

	assert_int_equal(sg_saml_authn_redirect(r, a, &rid, &url, &err), 0);
	assert_non_null(rid);
	assert_non_null(url);
	if (id != NULL)
		*id = rid;
	return url;
}

static int
group_setup(void **state)
{
	struct sg_errlist errs = { 0 };
	const char *crt = SP_CRT;

	(void)state;
	if (sg_saml_init(&errs) < 0)
		return -1;
	sp_keys = sg_saml_keys_from_key_file(SP_KEY, SP_CRT, &errs);
	sp_cert_only = sg_saml_keys_from_cert_files(&crt, 1, &errs);
	crt = IDP_CRT;
	idp_cert_only = sg_saml_keys_from_cert_files(&crt, 1, &errs);
	for (size_t i = 0; i < errs.count; i++)
		printf("keys: %s\n", errs.msg[i]);
	sg_errlist_clear(&errs);
	return sp_keys != NULL && sp_cert_only != NULL && idp_cert_only != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	sg_saml_keys_unref(sp_keys);
	sg_saml_keys_unref(sp_cert_only);
	sg_saml_keys_unref(idp_cert_only);
	sg_saml_shutdown();
	return 0;
}

/* Every field of the request, and the shape of the URL. */
static void
test_fields(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	const char *id, *url;
	size_t i;

	r.name_id_format = FMT_EMAIL;
	r.relay_state = "s1";
	url = redirect(a, &r, &id);
	assert_int_equal(strlen(id), 33);
	assert_int_equal(id[0], '_');
	for (i = 1; i < 33; i++)
		assert_non_null(strchr("0123456789abcdef", id[i]));
	assert_true(strncmp(url, IDP_SSO "?SAMLRequest=", strlen(IDP_SSO "?SAMLRequest=")) == 0);
	assert_request(request_xml(a, url), &r, id);
	assert_string_equal(query_get(a, url, "RelayState"), "s1");
	assert_null(query_get(a, url, "SigAlg"));
	assert_null(query_get(a, url, "Signature"));
}

/* No Format when none is asked for; no RelayState when none is given. */
static void
test_minimal(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	const char *id, *url = redirect(a, &r, &id);

	assert_request(request_xml(a, url), &r, id);
	assert_null(query_get(a, url, "RelayState"));
	assert_null(strstr(url, "&"));
}

/* A fresh ID per request. */
static void
test_ids_differ(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	const char *id1, *id2, *url1, *url2;

	url1 = redirect(a, &r, &id1);
	url2 = redirect(a, &r, &id2);
	assert_string_not_equal(id1, id2);
	assert_string_not_equal(url1, url2);
	assert_non_null(strstr(request_xml(a, url2), id2));
}

/* ForceAuthn="true" only when asked for. */
static void
test_force_authn(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	const char *id, *url;

	r.force_authn = true;
	url = redirect(a, &r, &id);
	assert_non_null(strstr(request_xml(a, url), " ForceAuthn=\"true\""));
	assert_request(request_xml(a, url), &r, id);
	r.force_authn = false;
	url = redirect(a, &r, &id);
	assert_null(strstr(request_xml(a, url), "ForceAuthn"));
}

/* Quotes, angle brackets, ampersands, white space: escaped in the XML,
 * read back exactly, never an attribute or element of their own. */
static void
test_escaping(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	const char *id, *url, *xml;

	r.sp_entity_id = "urn:x\"><saml:Issuer>evil</saml:Issuer><x a='&amp;";
	r.acs_url = "https://sp.test/acs?a=1&b=\"2\"' ForceAuthn=\"true";
	r.idp_sso_url = "https://idp.test/sso?x=<y>&z='\"";
	r.name_id_format = "fmt\" Evil=\"1\t2\n3\r4";
	r.relay_state = "a&b=c d?e#f%g+h\"<";
	url = redirect(a, &r, &id);
	xml = request_xml(a, url);
	assert_null(strstr(xml, "x\">"));
	assert_null(strstr(xml, "<saml:Issuer>evil"));
	assert_null(strstr(xml, "'&amp;<"));
	assert_null(strstr(xml, "ForceAuthn=\"true"));
	assert_null(strstr(xml, " Evil=\""));
	assert_request(xml, &r, id);
	/* An SSO URL with a query gets "&", not a second "?". */
	assert_true(strncmp(url, "https://idp.test/sso?x=<y>&z='\"&SAMLRequest=",
	                    strlen("https://idp.test/sso?x=<y>&z='\"&SAMLRequest=")) == 0);
	assert_string_equal(query_get(a, url, "RelayState"), r.relay_state);
}

/* A control character has no XML form: refused, not written. */
static void
test_control_char(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	struct sg_err err = { 0 };
	const char *id = NULL, *url = NULL;

	r.sp_entity_id = "sp\x01";
	assert_int_equal(sg_saml_authn_redirect(&r, a, &id, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	assert_null(url);
}

/* RelayState: 80 bytes pass, 81 are refused (bindings 3.4.3). */
static void
test_relay_state_limit(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	struct sg_err err = { 0 };
	char rs[82];
	const char *id = NULL, *url = NULL;

	memset(rs, 'r', 80);
	rs[80] = '\0';
	r.relay_state = rs;
	url = redirect(a, &r, &id);
	assert_string_equal(query_get(a, url, "RelayState"), rs);
	rs[80] = 'r';
	rs[81] = '\0';
	url = NULL;
	assert_int_equal(sg_saml_authn_redirect(&r, a, &id, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	assert_non_null(strstr(err.detail, "RelayState"));
	assert_null(url);
}

/* Missing settings and an SSO URL with a fragment are refused. */
static void
test_bad_settings(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	struct sg_err err = { 0 };
	const char *id, *url;

	r.acs_url = NULL;
	assert_int_equal(sg_saml_authn_redirect(&r, a, &id, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	r = base_request();
	r.idp_sso_url = IDP_SSO "#frag";
	assert_int_equal(sg_saml_authn_redirect(&r, a, &id, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
}

/* Verifies sig (base64) over msg with the SP certificate: 1, 0 or -1. */
static int
verify_with_cert(const char *msg, size_t n, const char *sig_b64)
{
	FILE *f = fopen(SP_CRT, "r");
	X509 *x;
	EVP_PKEY *pk;
	EVP_MD_CTX *md;
	unsigned char sig[1024];
	size_t blen = strlen(sig_b64);
	int slen, rc;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	pk = X509_get0_pubkey(x);
	assert_true(blen % 4 == 0 && blen / 4 * 3 <= sizeof(sig));
	slen = EVP_DecodeBlock(sig, (const unsigned char *)sig_b64, (int)blen);
	assert_true(slen > 0);
	slen -= (blen > 0 && sig_b64[blen - 1] == '=') + (blen > 1 && sig_b64[blen - 2] == '=');
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk), 1);
	rc = EVP_DigestVerify(md, sig, (size_t)slen, (const unsigned char *)msg, n);
	EVP_MD_CTX_free(md);
	X509_free(x);
	return rc;
}

/* The signed binding: the query in its order, a Signature OpenSSL accepts
 * over exactly "SAMLRequest=..&RelayState=..&SigAlg=..", and none after a
 * byte of that changes. */
static void
test_signed(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	const char *id, *url, *q, *sigpos;
	char *signed_part, *sig;
	size_t n;

	r.relay_state = "relay/state=1&x";
	r.sign_key = sp_keys;
	url = redirect(a, &r, &id);
	assert_request(request_xml(a, url), &r, id);
	assert_string_equal(query_raw(a, url, "SigAlg"),
	                    "http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256");
	q = strchr(url, '?') + 1;
	sigpos = strstr(q, "&Signature=");
	assert_non_null(sigpos);
	n = (size_t)(sigpos - q);
	signed_part = sg_arena_strndup(a, q, n);
	assert_true(strncmp(signed_part, "SAMLRequest=", 12) == 0);
	assert_non_null(strstr(signed_part, "&RelayState=relay%2Fstate%3D1%26x&SigAlg="));
	assert_null(strstr(sigpos + 1, "&"));
	sig = query_get(a, url, "Signature");
	assert_non_null(sig);
	assert_int_equal(verify_with_cert(signed_part, n, sig), 1);
	/* One byte changed: in the RelayState, then in the SAMLRequest. */
	signed_part[n - strlen("&SigAlg=") - strlen(query_raw(a, url, "SigAlg")) - 1] ^= 1;
	assert_int_not_equal(verify_with_cert(signed_part, n, sig), 1);
	signed_part = sg_arena_strndup(a, q, n);
	signed_part[14] = signed_part[14] == 'A' ? 'B' : 'A';
	assert_int_not_equal(verify_with_cert(signed_part, n, sig), 1);
	/* Without a RelayState the signed part goes straight to SigAlg. */
	r.relay_state = NULL;
	url = redirect(a, &r, &id);
	q = strchr(url, '?') + 1;
	sigpos = strstr(q, "&Signature=");
	assert_null(query_raw(a, url, "RelayState"));
	assert_int_equal(verify_with_cert(q, (size_t)(sigpos - q), query_get(a, url, "Signature")),
	                 1);
}

/* A key set without a private key cannot sign: an error, no URL. */
static void
test_sign_without_private_key(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	struct sg_err err = { 0 };
	const char *id = NULL, *url = NULL;

	r.sign_key = sp_cert_only;
	assert_int_equal(sg_saml_authn_redirect(&r, a, &id, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_SIGNATURE);
	assert_null(url);
}

/* The RequestedAuthnContext element of the request in xml (NULL if none);
 * *doc set (the caller frees it). */
static xmlNodePtr
authn_context(const char *xml, xmlDocPtr *doc)
{
	xmlNodePtr root = parse_root(xml, doc),
	           rac = child(root, NS_PROTOCOL, "RequestedAuthnContext");

	/* Core 3.4.1's sequence: after NameIDPolicy, last of ours. */
	if (rac != NULL) {
		assert_ptr_equal(xmlPreviousElementSibling(rac),
		                 child(root, NS_PROTOCOL, "NameIDPolicy"));
		assert_null(xmlNextElementSibling(rac));
	}
	return rac;
}

/* Asserts that rac holds exactly the classes want[0..n) in order. */
static void
assert_classes(xmlNodePtr rac, const char *const *want, size_t n)
{
	xmlNodePtr k;
	xmlChar *text;
	size_t i = 0;

	for (k = xmlFirstElementChild(rac); k != NULL; k = xmlNextElementSibling(k), i++) {
		assert_true(i < n);
		assert_non_null(k->ns);
		assert_string_equal((const char *)k->ns->href, NS_ASSERTION);
		assert_string_equal((const char *)k->name, "AuthnContextClassRef");
		text = xmlNodeGetContent(k);
		assert_string_equal((const char *)text, want[i]);
		xmlFree(text);
	}
	assert_int_equal(i, n);
}

/* Classes in order, escaped, with the Comparison asked for (core 3.3.2.2.1). */
static void
test_authn_context(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	const char *classes[] = { AC_PPT, AC_MFA, "urn:x:<a&b>\"'" };
	const char *id, *url, *xml;
	xmlDocPtr doc;
	xmlNodePtr rac;

	r.name_id_format = FMT_EMAIL;
	r.authn_context = classes;
	r.nauthn_context = 3;
	r.authn_context_comparison = "minimum";
	url = redirect(a, &r, &id);
	xml = request_xml(a, url);
	assert_null(strstr(xml, "<a&b>"));
	assert_request(xml, &r, id);
	rac = authn_context(xml, &doc);
	assert_non_null(rac);
	assert_attr(rac, "Comparison", "minimum");
	assert_classes(rac, classes, 3);
	xmlFreeDoc(doc);
	/* One class, Comparison left to its default (exact). */
	r.nauthn_context = 1;
	r.authn_context_comparison = NULL;
	rac = authn_context(request_xml(a, redirect(a, &r, &id)), &doc);
	assert_non_null(rac);
	assert_attr(rac, "Comparison", NULL);
	assert_classes(rac, classes, 1);
	xmlFreeDoc(doc);
	r.authn_context_comparison = "better";
	rac = authn_context(request_xml(a, redirect(a, &r, &id)), &doc);
	assert_attr(rac, "Comparison", "better");
	xmlFreeDoc(doc);
}

/* No class asked for: no element, whatever the comparison says. */
static void
test_authn_context_none(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	const char *classes[] = { AC_PPT };
	const char *id, *xml;
	xmlDocPtr doc;

	xml = request_xml(a, redirect(a, &r, &id));
	assert_null(authn_context(xml, &doc));
	assert_null(strstr(xml, "AuthnContext"));
	xmlFreeDoc(doc);
	r.authn_context = classes;
	r.authn_context_comparison = "maximum";
	xml = request_xml(a, redirect(a, &r, &id));
	assert_null(strstr(xml, "AuthnContext"));
	assert_null(strstr(xml, "maximum"));
}

/* A Comparison outside the schema's list, an empty or missing class, a
 * control character: refused by both bindings. */
static void
test_authn_context_bad(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	const char *classes[] = { AC_PPT, "", NULL, "urn:x\x01" };
	const char *cmp[] = { "atleast", "Exact", "", "minimum ", NULL };
	struct sg_err err;
	const char *id, *out;
	size_t i;

	r.authn_context = classes;
	r.nauthn_context = 1;
	for (i = 0; i < SG_NELEM(cmp) + 3; i++) {
		r.authn_context = i < SG_NELEM(cmp) ? classes : classes + (i - SG_NELEM(cmp) + 1);
		r.authn_context_comparison = i < SG_NELEM(cmp) ? cmp[i] : NULL;
		if (i == SG_NELEM(cmp) - 1)
			continue; /* NULL is the default: fine */
		out = NULL;
		err.code = 0;
		assert_int_equal(sg_saml_authn_redirect(&r, a, &id, &out, &err), -1);
		assert_int_equal(err.code, SG_SAML_ERR_INPUT);
		assert_null(out);
		err.code = 0;
		assert_int_equal(sg_saml_authn_post(&r, a, &id, &out, &err), -1);
		assert_int_equal(err.code, SG_SAML_ERR_INPUT);
		assert_null(out);
	}
}

/* Builds r's POST value, expecting success; *id set. */
static const char *
post(struct sg_arena *a, const struct sg_saml_authn_request *r, const char **id)
{
	struct sg_err err = { 0 };
	const char *b64 = NULL;

	*id = NULL;
	assert_int_equal(sg_saml_authn_post(r, a, id, &b64, &err), 0);
	assert_non_null(*id);
	assert_non_null(b64);
	return b64;
}

/* The XML a POST value carries: standard base64 on one line, no white
 * space (it goes into a form field as it is). */
static const char *
post_xml(struct sg_arena *a, const char *b64)
{
	struct sg_buf xml = { 0 };
	const char *s;
	size_t n = strlen(b64);

	assert_true(n > 0 && n % 4 == 0);
	assert_int_equal(strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                             "0123456789+/="),
	                 n);
	assert_int_equal(saml_base64_decode(b64, n, MAX_XML, &xml), 0);
	assert_null(memchr(xml.data, '\0', xml.len));
	s = sg_arena_strndup(a, xml.data, xml.len);
	sg_buf_free(&xml);
	return s;
}

/* Verifies the enveloped signature of the request in xml with keys the
 * way a Response's is (saml_verify: shape, algorithms, "#ID" on the root,
 * xmlsec with our key only); 0, or the error code. */
static int
verify_enveloped(struct sg_arena *a, const char *xml, const struct sg_saml_keys *keys)
{
	struct sg_saml_trust t = { .idp_keys = keys };
	struct sg_err err = { 0 };
	struct saml_ctx c = { .t = &t, .a = a, .err = &err };
	xmlNodePtr root, sig;
	xmlAttrPtr id;
	xmlChar *v;
	int rc;

	root = parse_root(xml, &c.doc);
	id = xmlHasProp(root, (const xmlChar *)"ID");
	assert_non_null(id);
	v = xmlNodeGetContent((xmlNodePtr)id);
	assert_non_null(xmlAddID(NULL, c.doc, v, id));
	xmlFree(v);
	sig = child(root, NS_DSIG, "Signature");
	assert_non_null(sig);
	rc = saml_verify(&c, root, sig) == 0 ? 0 : err.code;
	xmlFreeDoc(c.doc);
	return rc;
}

/* Verifies xml with the xmlsec1 command and the SP certificate: its exit
 * status, or -1 when the command is not installed. */
static int
verify_xmlsec1(const char *xml)
{
	char path[] = "/tmp/t_saml_request.XXXXXX", cmd[1024];
	size_t n = strlen(xml);
	int fd, st;

	if (system("command -v xmlsec1 >/dev/null 2>&1") != 0)
		return -1;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, xml, n), (ssize_t)n);
	close(fd);
	snprintf(cmd, sizeof(cmd),
	         "xmlsec1 --verify --pubkey-cert-pem '%s' --id-attr:ID "
	         "urn:oasis:names:tc:SAML:2.0:protocol:AuthnRequest '%s' >/dev/null 2>&1",
	         SP_CRT, path);
	st = system(cmd);
	unlink(path);
	assert_true(st != -1 && WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* HTTP-POST unsigned: the same request as the Redirect binding's, with no
 * Signature anywhere and the RequestedAuthnContext in it. */
static void
test_post_unsigned(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	const char *classes[] = { AC_MFA };
	const char *id, *id2, *xml;
	xmlDocPtr doc;
	xmlNodePtr rac;

	r.name_id_format = FMT_EMAIL;
	r.force_authn = true;
	r.relay_state = "s1";
	r.authn_context = classes;
	r.nauthn_context = 1;
	r.authn_context_comparison = "exact";
	xml = post_xml(a, post(a, &r, &id));
	assert_int_equal(strlen(id), 33);
	assert_int_equal(id[0], '_');
	assert_request(xml, &r, id);
	assert_null(strstr(xml, "Signature"));
	assert_null(strstr(xml, NS_DSIG));
	/* The RelayState travels beside, never inside. */
	assert_null(strstr(xml, "s1"));
	rac = authn_context(xml, &doc);
	assert_attr(rac, "Comparison", "exact");
	assert_classes(rac, classes, 1);
	xmlFreeDoc(doc);
	/* A fresh ID each time. */
	(void)post(a, &r, &id2);
	assert_string_not_equal(id, id2);
	/* No AuthnContext asked for: none. */
	r.nauthn_context = 0;
	assert_null(strstr(post_xml(a, post(a, &r, &id)), "AuthnContext"));
}

/* The signed request's shape: ds:Signature right after Issuer (core
 * 5.4.1), RSA-SHA256 over one Reference to "#ID" with the enveloped and
 * exclusive c14n transforms, and the SP certificate in KeyInfo. */
static void
assert_signature_shape(const char *xml, const char *id)
{
	xmlDocPtr doc;
	xmlNodePtr root = parse_root(xml, &doc), issuer, sig, si, ref, n;
	char *uri = sg_xasprintf("#%s", id);

	issuer = child(root, NS_ASSERTION, "Issuer");
	sig = xmlNextElementSibling(issuer);
	assert_non_null(sig);
	assert_string_equal((const char *)sig->name, "Signature");
	assert_string_equal((const char *)sig->ns->href, NS_DSIG);
	assert_ptr_equal(xmlNextElementSibling(sig), child(root, NS_PROTOCOL, "NameIDPolicy"));
	si = child(sig, NS_DSIG, "SignedInfo");
	assert_attr(child(si, NS_DSIG, "CanonicalizationMethod"), "Algorithm",
	            "http://www.w3.org/2001/10/xml-exc-c14n#");
	assert_attr(child(si, NS_DSIG, "SignatureMethod"), "Algorithm",
	            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256");
	ref = child(si, NS_DSIG, "Reference");
	assert_attr(ref, "URI", uri);
	n = xmlFirstElementChild(child(ref, NS_DSIG, "Transforms"));
	assert_attr(n, "Algorithm", "http://www.w3.org/2000/09/xmldsig#enveloped-signature");
	assert_attr(xmlNextElementSibling(n), "Algorithm",
	            "http://www.w3.org/2001/10/xml-exc-c14n#");
	assert_null(xmlNextElementSibling(xmlNextElementSibling(n)));
	assert_attr(child(ref, NS_DSIG, "DigestMethod"), "Algorithm",
	            "http://www.w3.org/2001/04/xmlenc#sha256");
	n = child(child(child(sig, NS_DSIG, "KeyInfo"), NS_DSIG, "X509Data"), NS_DSIG,
	          "X509Certificate");
	assert_non_null(n);
	free(uri);
	xmlFreeDoc(doc);
}

/* Replaces the first from in s (which must hold it) by to, same length. */
static char *
tamper(struct sg_arena *a, const char *s, const char *from, const char *to)
{
	char *t = sg_arena_strdup(a, s), *p = strstr(t, from);

	assert_non_null(p);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
	return t;
}

/* HTTP-POST signed: verifies with the SP certificate (ours and xmlsec1's
 * checks), not with another key, and not after any byte changes. */
static void
test_post_signed(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	const char *classes[] = { AC_PPT, AC_MFA };
	const char *id, *xml, *bad[4];
	char *sv;
	size_t i;
	int cli;

	r.name_id_format = FMT_EMAIL;
	r.force_authn = true;
	r.relay_state = "relay";
	r.authn_context = classes;
	r.nauthn_context = 2;
	r.authn_context_comparison = "minimum";
	r.sp_entity_id = SP_ENTITY "?a=1&b=<\"'>";
	r.sign_key = sp_keys;
	xml = post_xml(a, post(a, &r, &id));
	assert_request(xml, &r, id);
	assert_signature_shape(xml, id);
	assert_int_equal(verify_enveloped(a, xml, sp_cert_only), 0);
	assert_int_equal(verify_enveloped(a, xml, idp_cert_only), SG_SAML_ERR_SIGNATURE);
	cli = verify_xmlsec1(xml);
	if (cli < 0)
		print_message("xmlsec1 is not installed: its check is skipped\n");
	else
		assert_int_equal(cli, 0);

	/* A changed ACS, Destination, class, and signature value. */
	bad[0] = tamper(a, xml, "saml/acs\"", "saml/acz\"");
	bad[1] = tamper(a, xml, "idp.example.test", "idp.example.tesT");
	bad[2] = tamper(a, xml, "PasswordProtected", "PasswordProtecteD");
	sv = strstr(xml, "<ds:SignatureValue>");
	assert_non_null(sv);
	sv += strlen("<ds:SignatureValue>");
	bad[3] = tamper(a, xml, sg_arena_strndup(a, sv, 8), sv[0] == 'A' ? "BAAAAAAA" : "AAAAAAAA");
	for (i = 0; i < SG_NELEM(bad); i++) {
		assert_int_equal(verify_enveloped(a, bad[i], sp_cert_only), SG_SAML_ERR_SIGNATURE);
		if (cli >= 0)
			assert_int_not_equal(verify_xmlsec1(bad[i]), 0);
	}
}

/* A key set without a private key cannot sign a POST request either; the
 * settings are checked as for the Redirect binding. */
static void
test_post_errors(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_authn_request r = base_request();
	struct sg_err err = { 0 };
	const char *id = NULL, *b64 = NULL;
	char rs[82];

	r.sign_key = sp_cert_only;
	assert_int_equal(sg_saml_authn_post(&r, a, &id, &b64, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_SIGNATURE);
	assert_null(b64);
	r = base_request();
	r.idp_sso_url = NULL;
	assert_int_equal(sg_saml_authn_post(&r, a, &id, &b64, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	r = base_request();
	memset(rs, 'r', 81);
	rs[81] = '\0';
	r.relay_state = rs;
	assert_int_equal(sg_saml_authn_post(&r, a, &id, &b64, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	r = base_request();
	r.sp_entity_id = "sp\x01";
	r.sign_key = sp_keys;
	assert_int_equal(sg_saml_authn_post(&r, a, &id, &b64, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	assert_null(b64);
}

/* Raw DEFLATE then standard base64 of p, as an IdP would send it. */
static char *
encode(struct sg_arena *a, const void *p, size_t n)
{
	z_stream zs = { 0 };
	unsigned char *z;
	char *b64;
	uLong bound;

	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	bound = deflateBound(&zs, (uLong)n);
	z = sg_arena_alloc(a, bound);
	zs.next_in = (Bytef *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	zs.next_out = z;
	zs.avail_out = (uInt)bound;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	b64 = sg_arena_alloc(a, 4 * (zs.total_out / 3 + 1) + 1);
	EVP_EncodeBlock((unsigned char *)b64, z, (int)zs.total_out);
	deflateEnd(&zs);
	return b64;
}

/* Expects sg_saml_redirect_decode(s, max) to fail with an input error. */
static void
expect_decode_error(struct sg_arena *a, const char *s, size_t max, const char *detail)
{
	struct sg_err err = { 0 };
	const char *xml = NULL;
	size_t n = 0;

	assert_int_equal(sg_saml_redirect_decode(s, strlen(s), max, a, &xml, &n, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	assert_null(xml);
	if (detail != NULL && strstr(err.detail, detail) == NULL)
		fail_msg("\"%s\" is not in \"%s\"", detail, err.detail);
}

/* What another encoder made decodes; the bound is inclusive. */
static void
test_decode_foreign(void **state)
{
	struct sg_arena *a = *state;
	const char *msg = "<samlp:LogoutRequest ID=\"_1\"/>", *xml;
	struct sg_err err = { 0 };
	char *b64 = encode(a, msg, strlen(msg));
	size_t n;

	assert_int_equal(sg_saml_redirect_decode(b64, strlen(b64), strlen(msg), a, &xml, &n, &err),
	                 0);
	assert_int_equal(n, strlen(msg));
	assert_string_equal(xml, msg);
	expect_decode_error(a, b64, strlen(msg) - 1, "exceeds");
	/* Empty output is still a stream: decodes to "". */
	b64 = encode(a, "", 0);
	assert_int_equal(sg_saml_redirect_decode(b64, strlen(b64), 0, a, &xml, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_string_equal(xml, "");
}

/* Strict standard base64: no white space, no base64url, padding needed,
 * "=" only at the end, no stray bits. */
static void
test_decode_bad_base64(void **state)
{
	struct sg_arena *a = *state;
	const char *msg = "<samlp:AuthnRequest/>";
	char *good = encode(a, msg, strlen(msg)), *s;
	size_t n = strlen(good);

	assert_int_equal(n % 4, 0);
	expect_decode_error(a, "", MAX_XML, "base64");
	expect_decode_error(a, "!!!!", MAX_XML, "base64");
	s = sg_arena_printf(a, "%.4s\n%s", good, good + 4);
	expect_decode_error(a, s, MAX_XML, "base64");
	s = sg_arena_printf(a, "%.4s %s", good, good + 4);
	expect_decode_error(a, s, MAX_XML, "base64");
	s = sg_arena_strdup(a, good);
	for (size_t i = 0; s[i] != '\0'; i++)
		s[i] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
	if (strcmp(s, good) != 0)
		expect_decode_error(a, s, MAX_XML, "base64");
	/* Padding taken away, padding in the middle. */
	s = sg_arena_strdup(a, good);
	while (n > 0 && s[n - 1] == '=')
		s[--n] = '\0';
	if (n != strlen(good))
		expect_decode_error(a, s, MAX_XML, "base64");
	expect_decode_error(a, sg_arena_printf(a, "AA==%s", good), MAX_XML, "base64");
	expect_decode_error(a, "AAA", MAX_XML, "base64");
	expect_decode_error(a, "A===", MAX_XML, "base64");
	/* "AB==" has stray bits where "AA==" has none. */
	expect_decode_error(a, "AB==", MAX_XML, "base64");
	s = sg_arena_strdup(a, good);
	s[1] = '*';
	expect_decode_error(a, s, MAX_XML, "base64");
}

/* Valid base64 of bytes that are not raw DEFLATE, a cut stream, a zlib
 * (not raw) stream, and bytes after the end. */
static void
test_decode_bad_deflate(void **state)
{
	struct sg_arena *a = *state;
	const char *msg = "<samlp:AuthnRequest xmlns:samlp=\"" NS_PROTOCOL "\"/>";
	unsigned char z[256];
	uLongf zlen = sizeof(z);
	char b64[512];
	char *good;
	int n;

	expect_decode_error(a, "/////w==", MAX_XML, "DEFLATE");
	/* A zlib-wrapped stream (header 78 da) is not raw DEFLATE. */
	assert_int_equal(compress2(z, &zlen, (const Bytef *)msg, strlen(msg), 9), Z_OK);
	EVP_EncodeBlock((unsigned char *)b64, z, (int)zlen);
	expect_decode_error(a, b64, MAX_XML, NULL);
	/* Cut short: the raw stream without its last bytes. */
	good = encode(a, msg, strlen(msg));
	n = EVP_DecodeBlock(z, (const unsigned char *)good, (int)strlen(good));
	assert_true(n > 8);
	n -= (good[strlen(good) - 1] == '=') + (good[strlen(good) - 2] == '=');
	EVP_EncodeBlock((unsigned char *)b64, z, n - 4);
	expect_decode_error(a, b64, MAX_XML, "cut short");
	/* Trailing garbage after a complete stream. */
	z[n] = 'x';
	EVP_EncodeBlock((unsigned char *)b64, z, n + 1);
	expect_decode_error(a, b64, MAX_XML, "follow");
}

/* 10 MB of zeros deflate to ~10 KB; decoding stops at 64 KiB. */
static void
test_decode_zip_bomb(void **state)
{
	struct sg_arena *a = *state;
	size_t big = 10 * 1024 * 1024;
	char *zeros = calloc(1, big), *b64;

	assert_non_null(zeros);
	b64 = encode(a, zeros, big);
	free(zeros);
	assert_true(strlen(b64) < 64 * 1024);
	expect_decode_error(a, b64, MAX_XML, "exceeds 65536 bytes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fields, unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_minimal, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_ids_differ, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_force_authn, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_escaping, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_control_char, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_relay_state_limit, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_bad_settings, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_signed, unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_sign_without_private_key, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_authn_context, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_authn_context_none, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_authn_context_bad, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_post_unsigned, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_post_signed, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_post_errors, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_decode_foreign, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_decode_bad_base64, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_decode_bad_deflate, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_decode_zip_bomb, unit_arena_setup,
		                                unit_arena_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
