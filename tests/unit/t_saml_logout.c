/*
 * t_saml_logout.c - SAML Single Logout (src/saml/saml_logout.c).  The SP's
 * LogoutRequest and LogoutResponse are built, taken apart the way an IdP
 * would (query split, Signature verified with OpenSSL against sp.crt over
 * the raw octets, XML inflated and read with libxml2) and fed back through
 * the receiving side.  Then what an IdP sends, from the fixtures of
 * tests/unit/data/saml/logout (made by gen.py there, signatures by openssl
 * and xmlsec1): accepted when right, and each attack or mistake refused
 * with its error class; the tampered and repeated query parameters are
 * made here from a signed fixture.  Every test asserts the error code.
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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "http.h"
#include "lib.h"
#include "saml.h"
#include "unit.h"

#ifndef SG_SRCDIR
#define SG_SRCDIR "."
#endif
#define DATA SG_SRCDIR "/tests/unit/data/saml/"
#define LOGOUT DATA "logout/"

#define IDP_ENTITY "https://idp.example.test/saml"
#define IDP_SLO "https://idp.example.test/saml/slo"
#define SP_ENTITY "https://jira.example.test/ssogw/saml/metadata"
#define SP_SLO "https://jira.example.test/ssogw/saml/slo"
#define FMT_EMAIL "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
#define ST_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"
#define ST_RESPONDER "urn:oasis:names:tc:SAML:2.0:status:Responder"
#define NS_PROTOCOL "urn:oasis:names:tc:SAML:2.0:protocol"
#define NS_ASSERTION "urn:oasis:names:tc:SAML:2.0:assertion"
#define NOW 1767225660 /* 2026-01-01T00:01:00Z, the fixtures' now */
#define MAX_XML (64 * 1024)
#define REQ_ID "_idp_lo_4b1d0c9e7f2a"
#define IRT "_ssogw_lo_1"

static struct sg_saml_keys *idp, *idp_rollover, *idpec, *sp, *sp_cert, *other;

static int
group_setup(void **state)
{
	struct sg_errlist errs = { 0 };
	const char *one[] = { DATA "idp.crt" }, *two[] = { DATA "idp.crt", DATA "idp2.crt" };
	const char *ec[] = { DATA "idpec.crt" }, *spc[] = { DATA "sp.crt" };

	(void)state;
	if (sg_saml_init(&errs) < 0)
		return -1;
	idp = sg_saml_keys_from_cert_files(one, 1, &errs);
	idp_rollover = sg_saml_keys_from_cert_files(two, 2, &errs);
	idpec = sg_saml_keys_from_cert_files(ec, 1, &errs);
	sp = sg_saml_keys_from_key_file(DATA "sp.key", DATA "sp.crt", &errs);
	sp_cert = sg_saml_keys_from_cert_files(spc, 1, &errs);
	other = sg_saml_keys_from_key_file(DATA "other.key", DATA "other.crt", &errs);
	for (size_t i = 0; i < errs.count; i++)
		printf("keys: %s\n", errs.msg[i]);
	sg_errlist_clear(&errs);
	return idp && idp_rollover && idpec && sp && sp_cert && other ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	sg_saml_keys_unref(idp);
	sg_saml_keys_unref(idp_rollover);
	sg_saml_keys_unref(idpec);
	sg_saml_keys_unref(sp);
	sg_saml_keys_unref(sp_cert);
	sg_saml_keys_unref(other);
	sg_saml_shutdown();
	return 0;
}

/* The trust the fixtures are made for: idp.crt, our SLO URL, 60 s skew. */
static struct sg_saml_logout_trust
base_trust(void)
{
	struct sg_saml_logout_trust t = { 0 };

	t.idp_entity_id = IDP_ENTITY;
	t.idp_keys = idp;
	t.sp_keys = sp;
	t.slo_url = SP_SLO;
	t.clock_skew = 60;
	t.max_size = MAX_XML;
	return t;
}

/* The fixture logout/name, NUL-terminated, in a. */
static const char *
fixture(struct sg_arena *a, const char *name)
{
	char path[512];
	size_t n = 0;
	char *s, *copy;

	snprintf(path, sizeof(path), "%s%s", LOGOUT, name);
	s = sg_read_file(path, 1 << 20, &n);
	if (s == NULL)
		fail_msg("cannot read %s", path);
	copy = sg_arena_strndup(a, s, n);
	free(s);
	return copy;
}

/* Receives the query q over HTTP-Redirect at now. */
static int
rx_query_at(const char *q, const struct sg_saml_logout_trust *t, int64_t now, struct sg_arena *a,
            struct sg_saml_logout_message *m, struct sg_err *err)
{
	return sg_saml_logout_receive_redirect(q, strlen(q), t, now, a, m, err);
}

/* Asserts that the query q is refused with code, and out left empty. */
static void
refused_query(struct sg_arena *a, const char *q, const struct sg_saml_logout_trust *t, int code)
{
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };

	if (rx_query_at(q, t, NOW, a, &m, &err) != -1)
		fail_msg("accepted: %.60s...", q);
	if (err.code != code)
		fail_msg("error %d (%s), not %d", err.code, err.detail, code);
	assert_true(err.detail[0] != '\0');
	assert_null(m.id);
	assert_null(m.name_id);
	assert_null(m.relay_state);
}

/* The fixture name (a .query) is refused with code under t. */
static void
refused_fixture(struct sg_arena *a, const char *name, const struct sg_saml_logout_trust *t,
                int code)
{
	refused_query(a, fixture(a, name), t, code);
}

/* The fixture name (a .query) is accepted under t; *m filled. */
static void
accepted_fixture(struct sg_arena *a, const char *name, const struct sg_saml_logout_trust *t,
                 struct sg_saml_logout_message *m)
{
	struct sg_err err = { 0 };

	if (rx_query_at(fixture(a, name), t, NOW, a, m, &err) != 0)
		fail_msg("%s refused: %d %s", name, err.code, err.detail);
	assert_int_equal(err.code, 0);
}

/* Receives the POST fixture name (a .b64). */
static int
rx_post(struct sg_arena *a, const char *name, bool is_request, const struct sg_saml_logout_trust *t,
        struct sg_saml_logout_message *m, struct sg_err *err)
{
	const char *b64 = fixture(a, name);

	return sg_saml_logout_receive_post(b64, strlen(b64), is_request, t, NOW, a, m, err);
}

/* The POST fixture name is refused with code. */
static void
refused_post(struct sg_arena *a, const char *name, bool is_request,
             const struct sg_saml_logout_trust *t, int code)
{
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };

	if (rx_post(a, name, is_request, t, &m, &err) != -1)
		fail_msg("%s accepted", name);
	if (err.code != code)
		fail_msg("%s: error %d (%s), not %d", name, err.code, err.detail, code);
	assert_true(err.detail[0] != '\0');
	assert_null(m.id);
	assert_null(m.name_id);
}

/* The raw (still encoded) value of parameter name in query q, or NULL. */
static const char *
raw_param(struct sg_arena *a, const char *q, const char *name)
{
	size_t nl = strlen(name);
	const char *p, *end;

	for (p = q; *p != '\0'; p = *end == '&' ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=')
			return sg_arena_strndup(a, p + nl + 1, (size_t)(end - p) - nl - 1);
	}
	return NULL;
}

/* q with the pair of parameter name replaced by "name=value" (value NULL:
 * the pair removed). */
static const char *
with_param(struct sg_arena *a, const char *q, const char *name, const char *value)
{
	struct sg_buf b = { 0 };
	size_t nl = strlen(name);
	const char *p, *end, *r;

	for (p = q; *p != '\0'; p = *end == '&' ? end + 1 : end) {
		end = p + strcspn(p, "&");
		if ((size_t)(end - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			if (value == NULL)
				continue;
			sg_buf_printf(&b, "%s%s=%s", b.len > 0 ? "&" : "", name, value);
		} else {
			sg_buf_printf(&b, "%s%.*s", b.len > 0 ? "&" : "", (int)(end - p), p);
		}
	}
	r = sg_arena_strndup(a, b.data, b.len);
	sg_buf_free(&b);
	return r;
}

/* ---- what the SP sends ---- */

/* The query part of url (after '?'). */
static const char *
query_of(const char *url)
{
	const char *q = strchr(url, '?');

	assert_non_null(q);
	return q + 1;
}

/* Verifies the Signature of the query q with sp.crt (OpenSSL, not the
 * library): over the raw octets before "&Signature=".  1 if it verifies. */
static int
verify_sp_signature(struct sg_arena *a, const char *q)
{
	const char *sigpos = strstr(q, "&Signature="), *sig64;
	unsigned char sig[1024];
	EVP_MD_CTX *md;
	X509 *x;
	FILE *f;
	int slen, rc;
	size_t blen;

	assert_non_null(sigpos);
	sig64 = sg_http_form_get(q, strlen(q), "Signature", a);
	assert_non_null(sig64);
	blen = strlen(sig64);
	assert_true(blen % 4 == 0 && blen / 4 * 3 <= sizeof(sig));
	slen = EVP_DecodeBlock(sig, (const unsigned char *)sig64, (int)blen);
	assert_true(slen > 0);
	slen -= (sig64[blen - 1] == '=') + (sig64[blen - 2] == '=');
	f = fopen(DATA "sp.crt", "r");
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	md = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, X509_get0_pubkey(x)),
	                 1);
	rc =
	    EVP_DigestVerify(md, sig, (size_t)slen, (const unsigned char *)q, (size_t)(sigpos - q));
	EVP_MD_CTX_free(md);
	X509_free(x);
	return rc;
}

/* The XML that the query's param carries, parsed; the root checked. */
static xmlDocPtr
query_xml(struct sg_arena *a, const char *q, const char *param, const char *root_name)
{
	const char *v = sg_http_form_get(q, strlen(q), param, a), *xml = NULL;
	struct sg_err err = { 0 };
	xmlDocPtr doc;
	xmlNodePtr root;
	size_t n = 0;

	assert_non_null(v);
	assert_int_equal(sg_saml_redirect_decode(v, strlen(v), MAX_XML, a, &xml, &n, &err), 0);
	doc = xmlReadMemory(xml, (int)n, "m.xml", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, root_name);
	assert_string_equal((const char *)root->ns->href, NS_PROTOCOL);
	return doc;
}

/* The text of the first element child of n named ns:name ("" if none). */
static char *
child_text(struct sg_arena *a, xmlNodePtr n, const char *ns, const char *name)
{
	xmlChar *v;
	char *s;

	for (n = n->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE && n->ns != NULL &&
		    strcmp((const char *)n->ns->href, ns) == 0 &&
		    strcmp((const char *)n->name, name) == 0)
			break;
	if (n == NULL)
		return sg_arena_strdup(a, "");
	v = xmlNodeGetContent(n);
	s = sg_arena_strdup(a, (const char *)v);
	xmlFree(v);
	return s;
}

/* Asserts attribute name of n is want (NULL: absent). */
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

/* A plain logout request of ours; tests change what they need. */
static struct sg_saml_logout_request
base_request(void)
{
	struct sg_saml_logout_request r = { 0 };

	r.sp_entity_id = SP_ENTITY;
	r.idp_slo_url = IDP_SLO;
	r.name_id = "alice@example.test";
	r.name_id_format = FMT_EMAIL;
	r.session_index = "_sess_1";
	r.relay_state = "back/to=1&x";
	r.sign_key = sp;
	r.now = NOW;
	return r;
}

/* The trust an IdP would have in us: our entity ID, sp.crt, its SLO URL. */
static struct sg_saml_logout_trust
idp_side_trust(void)
{
	struct sg_saml_logout_trust t = base_trust();

	t.idp_entity_id = SP_ENTITY;
	t.idp_keys = sp_cert;
	t.slo_url = IDP_SLO;
	return t;
}

/* Our LogoutRequest: the URL's shape, the signature (OpenSSL, sp.crt), the
 * XML's fields; then the receiving side reads the same message back. */
static void
test_request_round_trip(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_request r = base_request();
	struct sg_saml_logout_trust t = idp_side_trust();
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };
	const char *id = NULL, *url = NULL, *q;
	xmlDocPtr doc;
	xmlNodePtr root;
	char *tampered;

	r.name_qualifier = IDP_ENTITY;
	r.sp_name_qualifier = SP_ENTITY;
	assert_int_equal(sg_saml_logout_request_redirect(&r, a, &id, &url, &err), 0);
	assert_int_equal(strlen(id), 33);
	assert_true(strncmp(url, IDP_SLO "?SAMLRequest=", strlen(IDP_SLO "?SAMLRequest=")) == 0);
	q = query_of(url);
	assert_non_null(strstr(q,
	                       "&RelayState=back%2Fto%3D1%26x&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001"
	                       "%2F04%2Fxmldsig-more%23rsa-sha256&Signature="));
	assert_int_equal(verify_sp_signature(a, q), 1);
	tampered = sg_arena_strdup(a, q);
	tampered[20] = tampered[20] == 'A' ? 'B' : 'A';
	assert_int_not_equal(verify_sp_signature(a, tampered), 1);
	doc = query_xml(a, q, "SAMLRequest", "LogoutRequest");
	root = xmlDocGetRootElement(doc);
	assert_attr(root, "ID", id);
	assert_attr(root, "Version", "2.0");
	assert_attr(root, "IssueInstant", "2026-01-01T00:01:00Z");
	assert_attr(root, "NotOnOrAfter", "2026-01-01T00:06:00Z");
	assert_attr(root, "Destination", IDP_SLO);
	assert_string_equal(child_text(a, root, NS_ASSERTION, "Issuer"), SP_ENTITY);
	assert_string_equal(child_text(a, root, NS_ASSERTION, "NameID"), "alice@example.test");
	assert_string_equal(child_text(a, root, NS_PROTOCOL, "SessionIndex"), "_sess_1");
	xmlFreeDoc(doc);
	/* The receiving side, as the IdP: everything read back. */
	assert_int_equal(rx_query_at(q, &t, NOW + 30, a, &m, &err), 0);
	assert_true(m.is_request && m.is_signed);
	assert_string_equal(m.id, id);
	assert_string_equal(m.issuer, SP_ENTITY);
	assert_string_equal(m.name_id, "alice@example.test");
	assert_string_equal(m.name_id_format, FMT_EMAIL);
	assert_string_equal(m.name_qualifier, IDP_ENTITY);
	assert_string_equal(m.sp_name_qualifier, SP_ENTITY);
	assert_int_equal(m.nsession_indexes, 1);
	assert_string_equal(m.session_indexes[0], "_sess_1");
	assert_int_equal(m.not_on_or_after, NOW + 300);
	assert_string_equal(m.relay_state, "back/to=1&x");
	/* Past its NotOnOrAfter and the skew, our own request is refused. */
	assert_int_equal(rx_query_at(q, &t, NOW + 360, a, &m, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_TIME);
}

/* Optional parts left out: no Format, qualifiers, SessionIndex, RelayState
 * or signature; an SLO URL with a query gets "&". */
static void
test_request_minimal(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_request r = base_request();
	struct sg_err err = { 0 };
	const char *id = NULL, *url = NULL, *q;
	xmlDocPtr doc;
	xmlNodePtr root, n;

	r.idp_slo_url = IDP_SLO "?tenant=1";
	r.name_id_format = NULL;
	r.session_index = NULL;
	r.relay_state = NULL;
	r.sign_key = NULL;
	assert_int_equal(sg_saml_logout_request_redirect(&r, a, &id, &url, &err), 0);
	assert_true(strncmp(url, IDP_SLO "?tenant=1&SAMLRequest=",
	                    strlen(IDP_SLO "?tenant=1&SAMLRequest=")) == 0);
	q = query_of(url);
	assert_null(strstr(q, "RelayState"));
	assert_null(strstr(q, "SigAlg"));
	assert_null(strstr(q, "Signature"));
	doc = query_xml(a, strstr(q, "SAMLRequest="), "SAMLRequest", "LogoutRequest");
	root = xmlDocGetRootElement(doc);
	assert_string_equal(child_text(a, root, NS_PROTOCOL, "SessionIndex"), "");
	for (n = root->children; n != NULL && !xmlStrEqual(n->name, BAD_CAST "NameID"); n = n->next)
		;
	assert_non_null(n);
	assert_attr(n, "Format", NULL);
	assert_attr(n, "SPNameQualifier", NULL);
	xmlFreeDoc(doc);
}

/* Our LogoutResponse: Success by default, a top-level code when given,
 * signed, InResponseTo and RelayState echoed; read back by the receiving
 * side. */
static void
test_response_round_trip(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_response r = { 0 };
	struct sg_saml_logout_trust t = idp_side_trust();
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };
	const char *url = NULL, *q;
	xmlDocPtr doc;
	xmlNodePtr root;

	r.sp_entity_id = SP_ENTITY;
	r.idp_slo_url = IDP_SLO;
	r.in_response_to = REQ_ID;
	r.relay_state = "rs/1 a";
	r.sign_key = sp;
	r.now = NOW;
	assert_int_equal(sg_saml_logout_response_redirect(&r, a, &url, &err), 0);
	assert_true(strncmp(url, IDP_SLO "?SAMLResponse=", strlen(IDP_SLO "?SAMLResponse=")) == 0);
	q = query_of(url);
	assert_int_equal(verify_sp_signature(a, q), 1);
	doc = query_xml(a, q, "SAMLResponse", "LogoutResponse");
	root = xmlDocGetRootElement(doc);
	assert_attr(root, "InResponseTo", REQ_ID);
	assert_attr(root, "Destination", IDP_SLO);
	assert_attr(root, "IssueInstant", "2026-01-01T00:01:00Z");
	assert_string_equal(child_text(a, root, NS_ASSERTION, "Issuer"), SP_ENTITY);
	xmlFreeDoc(doc);
	assert_int_equal(rx_query_at(q, &t, NOW, a, &m, &err), 0);
	assert_false(m.is_request);
	assert_true(m.is_signed && m.success);
	assert_string_equal(m.status, ST_SUCCESS);
	assert_string_equal(m.in_response_to, REQ_ID);
	assert_string_equal(m.relay_state, "rs/1 a");
	/* A failure status, unsigned, no RelayState. */
	r.status = ST_RESPONDER;
	r.sign_key = NULL;
	r.relay_state = NULL;
	assert_int_equal(sg_saml_logout_response_redirect(&r, a, &url, &err), 0);
	assert_null(strstr(url, "Signature="));
	assert_int_equal(rx_query_at(query_of(url), &t, NOW, a, &m, &err), 0);
	assert_false(m.is_signed || m.success);
	assert_string_equal(m.status, ST_RESPONDER);
	assert_null(m.relay_state);
	t.require_signed_response = true;
	assert_int_equal(rx_query_at(query_of(url), &t, NOW, a, &m, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_SIGNATURE);
}

/* What cannot be built is refused with an error and no URL. */
static void
test_build_errors(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_request r = base_request();
	struct sg_saml_logout_response p = { 0 };
	struct sg_err err = { 0 };
	const char *id = NULL, *url = NULL;
	char rs[82];

	r.name_id = NULL;
	assert_int_equal(sg_saml_logout_request_redirect(&r, a, &id, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	r = base_request();
	memset(rs, 'r', 81);
	rs[81] = '\0';
	r.relay_state = rs;
	assert_int_equal(sg_saml_logout_request_redirect(&r, a, &id, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	rs[80] = '\0'; /* 80 bytes are fine (bindings 3.4.3) */
	assert_int_equal(sg_saml_logout_request_redirect(&r, a, &id, &url, &err), 0);
	r = base_request();
	r.name_id = "alice\x01";
	assert_int_equal(sg_saml_logout_request_redirect(&r, a, &id, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	r = base_request();
	r.idp_slo_url = IDP_SLO "#x";
	assert_int_equal(sg_saml_logout_request_redirect(&r, a, &id, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	r = base_request();
	r.sign_key = sp_cert; /* no private key */
	assert_int_equal(sg_saml_logout_request_redirect(&r, a, &id, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_SIGNATURE);
	p.sp_entity_id = SP_ENTITY;
	p.idp_slo_url = IDP_SLO;
	p.now = NOW;
	assert_int_equal(sg_saml_logout_response_redirect(&p, a, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT); /* no InResponseTo */
	p.in_response_to = REQ_ID;
	p.status = "urn:oasis:names:tc:SAML:2.0:status:PartialLogout"; /* second-level */
	assert_int_equal(sg_saml_logout_response_redirect(&p, a, &url, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	p.status = "urn:oasis:names:tc:SAML:2.0:status:Requester";
	assert_int_equal(sg_saml_logout_response_redirect(&p, a, &url, &err), 0);
}

/* ---- HTTP-Redirect from the IdP ---- */

/* A signed LogoutRequest: every field read. */
static void
test_rx_signed(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;

	accepted_fixture(a, "req-signed.query", &t, &m);
	assert_true(m.is_request && m.is_signed);
	assert_string_equal(m.id, REQ_ID);
	assert_string_equal(m.issuer, IDP_ENTITY);
	assert_string_equal(m.name_id, "alice@example.test");
	assert_string_equal(m.name_id_format, FMT_EMAIL);
	assert_null(m.name_qualifier);
	assert_int_equal(m.nsession_indexes, 2);
	assert_string_equal(m.session_indexes[0], "_sess_1");
	assert_string_equal(m.session_indexes[1], "_sess_2");
	assert_int_equal(m.not_on_or_after, NOW + 240);
	assert_string_equal(m.relay_state, "rs/1 a");
	assert_null(m.status);
}

/* Signed by idp2: refused while only idp.crt is trusted, accepted with
 * both (rollover). */
static void
test_rx_other_key(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;

	refused_fixture(a, "req-idp2.query", &t, SG_SAML_ERR_SIGNATURE);
	t.idp_keys = idp_rollover;
	accepted_fixture(a, "req-idp2.query", &t, &m);
	assert_string_equal(m.name_id, "alice@example.test");
	t.idp_keys = NULL;
	refused_fixture(a, "req-signed.query", &t, SG_SAML_ERR_SIGNATURE);
}

/* A LogoutRequest must be signed. */
static void
test_rx_unsigned(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();

	refused_fixture(a, "req-unsigned.query", &t, SG_SAML_ERR_SIGNATURE);
}

/* A byte changed after signing, in SAMLRequest or RelayState; SigAlg
 * swapped; parts removed: all refused.  The parameters' order in the query
 * does not matter (the signed octets have theirs). */
static void
test_rx_tampered(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };
	const char *q = fixture(a, "req-signed.query"), *v;
	char *c;

	v = raw_param(a, q, "SAMLRequest");
	c = sg_arena_strdup(a, v);
	c[10] = c[10] == 'A' ? 'B' : 'A';
	refused_query(a, with_param(a, q, "SAMLRequest", c), &t, SG_SAML_ERR_SIGNATURE);
	refused_query(a, with_param(a, q, "RelayState", "rs%2F1+b"), &t, SG_SAML_ERR_SIGNATURE);
	refused_query(a, with_param(a, q, "RelayState", "rs%2f1+a"), &t, SG_SAML_ERR_SIGNATURE);
	refused_query(a, with_param(a, q, "RelayState", NULL), &t, SG_SAML_ERR_SIGNATURE);
	refused_query(a,
	              with_param(a, q, "SigAlg",
	                         "http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha512"),
	              &t, SG_SAML_ERR_SIGNATURE);
	refused_query(a, with_param(a, q, "SigAlg", "urn%3Aunknown"), &t, SG_SAML_ERR_SIGNATURE);
	refused_query(a, with_param(a, q, "Signature", NULL), &t, SG_SAML_ERR_SIGNATURE);
	refused_query(a, with_param(a, q, "SigAlg", NULL), &t, SG_SAML_ERR_SIGNATURE);
	refused_query(a, with_param(a, q, "Signature", "%25%25"), &t, SG_SAML_ERR_SIGNATURE);
	/* The Signature over the same message written with lower-case escapes
	 * (req-lower-hex) does not fit: the octets signed are those sent. */
	refused_query(a,
	              with_param(a, q, "Signature",
	                         raw_param(a, fixture(a, "req-lower-hex.query"), "Signature")),
	              &t, SG_SAML_ERR_SIGNATURE);
	/* Reordered: RelayState last. */
	c = sg_arena_printf(a, "%s&RelayState=%s", with_param(a, q, "RelayState", NULL),
	                    raw_param(a, q, "RelayState"));
	assert_int_equal(rx_query_at(c, &t, NOW, a, &m, &err), 0);
	assert_string_equal(m.relay_state, "rs/1 a");
}

/* RSA-SHA1 only when allowed. */
static void
test_rx_sha1(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;

	refused_fixture(a, "req-sha1.query", &t, SG_SAML_ERR_SIGNATURE);
	t.allow_sha1 = true;
	accepted_fixture(a, "req-sha1.query", &t, &m);
	assert_string_equal(m.name_id, "alice@example.test");
}

/* RSA-SHA512; ECDSA-SHA256 in DER and in r || s, only with the EC key;
 * lower-case escapes verified as sent. */
static void
test_rx_algorithms(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;

	accepted_fixture(a, "req-sha512.query", &t, &m);
	assert_null(m.relay_state);
	accepted_fixture(a, "req-lower-hex.query", &t, &m);
	assert_string_equal(m.relay_state, "rs/1 a");
	refused_fixture(a, "req-ecdsa.query", &t, SG_SAML_ERR_SIGNATURE);
	t.idp_keys = idpec;
	accepted_fixture(a, "req-ecdsa.query", &t, &m);
	assert_string_equal(m.name_id, "alice@example.test");
	accepted_fixture(a, "req-ecdsa-raw.query", &t, &m);
	assert_string_equal(m.name_id, "alice@example.test");
	refused_fixture(a, "req-signed.query", &t, SG_SAML_ERR_SIGNATURE);
}

/* Issuer and Destination. */
static void
test_rx_issuer_destination(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();

	refused_fixture(a, "req-wrong-issuer.query", &t, SG_SAML_ERR_ISSUER);
	refused_fixture(a, "req-wrong-destination.query", &t, SG_SAML_ERR_DESTINATION);
	refused_fixture(a, "req-no-destination.query", &t, SG_SAML_ERR_DESTINATION);
	t.slo_url = "https://jira.example.test/ssogw/saml/slo2";
	refused_fixture(a, "req-signed.query", &t, SG_SAML_ERR_DESTINATION);
}

/* NotOnOrAfter passed; IssueInstant in the future or too old; the skew
 * at its edges. */
static void
test_rx_times(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };
	const char *q = fixture(a, "req-signed.query");

	refused_fixture(a, "req-expired.query", &t, SG_SAML_ERR_TIME);
	refused_fixture(a, "req-future.query", &t, SG_SAML_ERR_TIME);
	refused_fixture(a, "req-old.query", &t, SG_SAML_ERR_TIME);
	/* NotOnOrAfter 00:05:00 + 60 s skew: 00:05:59 passes, 00:06:00 not. */
	assert_int_equal(rx_query_at(q, &t, NOW + 299, a, &m, &err), 0);
	assert_int_equal(rx_query_at(q, &t, NOW + 300, a, &m, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_TIME);
	/* IssueInstant 00:00:00: now 23:59:00 (one skew early) passes, a
	 * second earlier not. */
	assert_int_equal(rx_query_at(q, &t, NOW - 120, a, &m, &err), 0);
	assert_int_equal(rx_query_at(q, &t, NOW - 121, a, &m, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_TIME);
}

/* A parameter twice, a percent-encoded name, both messages or none. */
static void
test_rx_query_shape(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	const char *q = fixture(a, "req-signed.query");
	const char *resp = raw_param(a, fixture(a, "resp-signed.query"), "SAMLResponse");
	static const char *const names[] = { "SAMLRequest", "RelayState", "SigAlg", "Signature" };
	size_t i;

	for (i = 0; i < SG_NELEM(names); i++) {
		refused_query(
		    a, sg_arena_printf(a, "%s&%s=%s", q, names[i], raw_param(a, q, names[i])), &t,
		    SG_SAML_ERR_INPUT);
		refused_query(a, sg_arena_printf(a, "%s=x&%s", names[i], q), &t, SG_SAML_ERR_INPUT);
	}
	refused_query(a, sg_arena_printf(a, "%s&SAMLResponse=%s", q, resp), &t, SG_SAML_ERR_INPUT);
	refused_query(a, sg_arena_printf(a, "SAML%%52equest=x&%s", q), &t, SG_SAML_ERR_INPUT);
	refused_query(a, sg_arena_printf(a, "%s&Relay%%53tate=x", q), &t, SG_SAML_ERR_INPUT);
	refused_query(a, sg_arena_printf(a, "%s&SAMLRequest", q), &t, SG_SAML_ERR_INPUT);
	refused_query(a, "RelayState=x", &t, SG_SAML_ERR_INPUT);
	refused_query(a, "", &t, SG_SAML_ERR_INPUT);
	refused_query(a, sg_arena_printf(a, "%s&%%zz=1", q), &t, SG_SAML_ERR_INPUT);
	refused_query(a, with_param(a, q, "RelayState", "a%00b"), &t, SG_SAML_ERR_INPUT);
}

/* A deflate bomb stops at max_size, signed or not. */
static void
test_rx_bomb(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();

	refused_fixture(a, "req-bomb.query", &t, SG_SAML_ERR_INPUT);
	refused_fixture(a, "resp-bomb.query", &t, SG_SAML_ERR_INPUT);
}

/* RelayState longer than 80 bytes (bindings 3.4.3). */
static void
test_rx_relay_long(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();

	refused_fixture(a, "req-relay-long.query", &t, SG_SAML_ERR_INPUT);
}

/* A signed query over XML that carries its own ds:Signature. */
static void
test_rx_embedded_signature(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();

	refused_fixture(a, "req-embedded-sig.query", &t, SG_SAML_ERR_SIGNATURE);
}

/* An EncryptedID: decrypted with the SP key; without it, or with another
 * key, a decryption error. */
static void
test_rx_encrypted_id(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;

	accepted_fixture(a, "req-encrypted-id.query", &t, &m);
	assert_string_equal(m.name_id, "alice@example.test");
	assert_string_equal(m.name_id_format, FMT_EMAIL);
	assert_int_equal(m.nsession_indexes, 2);
	t.sp_keys = NULL;
	refused_fixture(a, "req-encrypted-id.query", &t, SG_SAML_ERR_DECRYPT);
	t.sp_keys = other;
	refused_fixture(a, "req-encrypted-id.query", &t, SG_SAML_ERR_DECRYPT);
}

/* The NameID: read whole around a comment; exactly one. */
static void
test_rx_name_id(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;

	accepted_fixture(a, "req-comment-nameid.query", &t, &m);
	assert_string_equal(m.name_id, "alice@example.test.evil.test");
	refused_fixture(a, "req-no-nameid.query", &t, SG_SAML_ERR_INPUT);
	refused_fixture(a, "req-two-nameids.query", &t, SG_SAML_ERR_INPUT);
}

/* DOCTYPE and entities, even signed; a response where a request is due. */
static void
test_rx_hostile_xml(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };

	assert_int_equal(rx_query_at(fixture(a, "req-xxe.query"), &t, NOW, a, &m, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	assert_non_null(strstr(err.detail, "DOCTYPE"));
	refused_fixture(a, "req-is-response.query", &t, SG_SAML_ERR_INPUT);
}

/* LogoutResponses: Success and Responder read; unsigned ones only when
 * signatures are not required; a missing Status. */
static void
test_rx_responses(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;

	accepted_fixture(a, "resp-unsigned.query", &t, &m);
	assert_false(m.is_request || m.is_signed);
	assert_true(m.success);
	assert_string_equal(m.id, "_idp_lr_9e8c27d1a05f");
	assert_string_equal(m.status, ST_SUCCESS);
	assert_string_equal(m.in_response_to, IRT);
	assert_string_equal(m.relay_state, "rs/1 a");
	assert_null(m.name_id);
	accepted_fixture(a, "resp-signed.query", &t, &m);
	assert_true(m.is_signed && m.success);
	accepted_fixture(a, "resp-responder.query", &t, &m);
	assert_false(m.success);
	assert_string_equal(m.status, ST_RESPONDER);
	assert_string_equal(m.in_response_to, IRT);
	refused_fixture(a, "resp-no-status.query", &t, SG_SAML_ERR_STATUS);
	t.require_signed_response = true;
	refused_fixture(a, "resp-unsigned.query", &t, SG_SAML_ERR_SIGNATURE);
	accepted_fixture(a, "resp-signed.query", &t, &m);
	t.idp_keys = idpec;
	refused_fixture(a, "resp-signed.query", &t, SG_SAML_ERR_SIGNATURE);
}

/* ---- HTTP-POST from the IdP ---- */

/* An enveloped signature by idp: accepted, fields read, no RelayState. */
static void
test_post_signed(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };

	assert_int_equal(rx_post(a, "post-req-signed.b64", true, &t, &m, &err), 0);
	assert_true(m.is_request && m.is_signed);
	assert_string_equal(m.id, REQ_ID);
	assert_string_equal(m.issuer, IDP_ENTITY);
	assert_string_equal(m.name_id, "alice@example.test");
	assert_int_equal(m.nsession_indexes, 2);
	assert_string_equal(m.session_indexes[1], "_sess_2");
	assert_null(m.relay_state);
	t.idp_keys = idp_rollover;
	assert_int_equal(rx_post(a, "post-req-idp2.b64", true, &t, &m, &err), 0);
}

/* Another key, no signature, a changed NameID, wrapping, duplicate IDs. */
static void
test_post_refused(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();

	refused_post(a, "post-req-idp2.b64", true, &t, SG_SAML_ERR_SIGNATURE);
	refused_post(a, "post-req-unsigned.b64", true, &t, SG_SAML_ERR_SIGNATURE);
	refused_post(a, "post-req-tampered.b64", true, &t, SG_SAML_ERR_SIGNATURE);
	refused_post(a, "post-req-wrap-ext.b64", true, &t, SG_SAML_ERR_SIGNATURE);
	refused_post(a, "post-req-wrap-sig.b64", true, &t, SG_SAML_ERR_SIGNATURE);
	refused_post(a, "post-req-dup-id.b64", true, &t, SG_SAML_ERR_SIGNATURE);
	/* A request where a response is expected, and the other way round. */
	refused_post(a, "post-req-signed.b64", false, &t, SG_SAML_ERR_INPUT);
	refused_post(a, "post-resp-signed.b64", true, &t, SG_SAML_ERR_INPUT);
	refused_post(a, "post-req-xxe.b64", true, &t, SG_SAML_ERR_INPUT);
}

/* A comment injected after signing: the signature holds (c14n drops
 * comments) and the NameID is read whole, never cut at the comment. */
static void
test_post_comment(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };

	assert_int_equal(rx_post(a, "post-req-comment.b64", true, &t, &m, &err), 0);
	assert_string_equal(m.name_id, "alice@example.test.evil.test");
}

/* LogoutResponses over POST. */
static void
test_post_responses(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };

	assert_int_equal(rx_post(a, "post-resp-signed.b64", false, &t, &m, &err), 0);
	assert_true(m.is_signed && m.success);
	assert_string_equal(m.in_response_to, IRT);
	assert_int_equal(rx_post(a, "post-resp-responder.b64", false, &t, &m, &err), 0);
	assert_false(m.success);
	assert_string_equal(m.status, ST_RESPONDER);
	assert_int_equal(rx_post(a, "post-resp-unsigned.b64", false, &t, &m, &err), 0);
	assert_false(m.is_signed);
	t.require_signed_response = true;
	refused_post(a, "post-resp-unsigned.b64", false, &t, SG_SAML_ERR_SIGNATURE);
}

/* Not base64, too large, empty; trust settings missing. */
static void
test_bad_input(void **state)
{
	struct sg_arena *a = *state;
	struct sg_saml_logout_trust t = base_trust();
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };
	const char *b64 = fixture(a, "post-req-signed.b64");

	assert_int_equal(sg_saml_logout_receive_post("%%%", 3, true, &t, NOW, a, &m, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	assert_int_equal(sg_saml_logout_receive_post("", 0, true, &t, NOW, a, &m, &err), -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	t.max_size = 512;
	assert_int_equal(sg_saml_logout_receive_post(b64, strlen(b64), true, &t, NOW, a, &m, &err),
	                 -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	refused_fixture(a, "req-signed.query", &t, SG_SAML_ERR_INPUT);
	t = base_trust();
	t.slo_url = NULL;
	assert_int_equal(sg_saml_logout_receive_post(b64, strlen(b64), true, &t, NOW, a, &m, &err),
	                 -1);
	assert_int_equal(err.code, SG_SAML_ERR_INPUT);
	refused_fixture(a, "req-signed.query", &t, SG_SAML_ERR_INPUT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_round_trip, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_request_minimal, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_response_round_trip, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_build_errors, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_signed, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_other_key, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_unsigned, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_tampered, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_sha1, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_algorithms, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_issuer_destination, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_times, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_query_shape, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_bomb, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_relay_long, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_embedded_signature, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_encrypted_id, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_name_id, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_hostile_xml, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_rx_responses, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_post_signed, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_post_refused, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_post_comment, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_post_responses, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, unit_arena_setup,
		                                unit_arena_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
