/*
 * t_saml_metadata.c - SAML metadata in and out (src/saml/saml_metadata.c):
 * IdP metadata as Keycloak, Entra ID and ADFS publish it (the samples in
 * tests/unit/data/saml/metadata-*.xml, made from the test certificates),
 * an EntitiesDescriptor with two IdPs, the documents that must be refused,
 * the SSO service in either binding and the SLO ResponseLocation,
 * the python3-saml corpus' metadata files, the SP's own metadata parsed
 * back with libxml2, and the end-to-end proof: keys built from the parsed
 * certificates validate a signed Response.
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

#include "lib.h"
#include "saml.h"
#include "saml_int.h"
#include "unit.h"

#ifndef SG_SRCDIR
#define SG_SRCDIR "."
#endif
#define DATA SG_SRCDIR "/tests/unit/data/saml"
#define CORPUS SG_SRCDIR "/tests/unit/data/corpora/python3-saml/tests/data/metadata"

#define IDP_ENTITY "https://idp.example.test/saml"
#define SP_ENTITY "https://jira.example.test/ssogw/saml/metadata"
#define ACS_URL "https://jira.example.test/ssogw/saml/acs"
#define REQ_ID "_ssogw_req_1"
#define NOW 1767225660 /* 2026-01-01T00:01:00Z */

#define REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
#define POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"

/* Reads path (NULL if absent); the caller frees. */
static char *
slurp(const char *path)
{
	size_t len;

	return sg_read_file(path, 8 * 1024 * 1024, &len);
}

/* Reads a file of the data folder; fails the test if absent. */
static char *
data_file(const char *name)
{
	char path[4096];
	char *s;

	snprintf(path, sizeof(path), "%s/%s", DATA, name);
	s = slurp(path);
	if (s == NULL)
		fail_msg("cannot read %s", path);
	return s;
}

/* The base64 body of a PEM certificate file, with its line breaks. */
static char *
cert_body(const char *name)
{
	char *pem = data_file(name), *b, *e, *s;

	b = strstr(pem, "-----BEGIN CERTIFICATE-----");
	assert_non_null(b);
	b += strlen("-----BEGIN CERTIFICATE-----");
	e = strstr(b, "-----END CERTIFICATE-----");
	assert_non_null(e);
	s = sg_xasprintf("%.*s", (int)(e - b), b);
	free(pem);
	return s;
}

/* Parses the XML text; the error code (0 on success). */
static int
parse(const char *xml, const char *want, struct sg_arena *a, struct sg_saml_idp_metadata *md,
      struct sg_err *err)
{
	int rc = sg_saml_idp_metadata_parse(xml, strlen(xml), want, a, md, err);

	if (rc == 0)
		assert_int_equal(err->code, 0);
	else
		assert_int_equal(err->code, SG_SAML_ERR_INPUT);
	return rc == 0 ? 0 : err->code;
}

/* Parses the sample file name of the data folder. */
static int
parse_file(const char *name, const char *want, struct sg_arena *a, struct sg_saml_idp_metadata *md,
           struct sg_err *err)
{
	char *xml = data_file(name);
	int rc = parse(xml, want, a, md, err);

	free(xml);
	return rc;
}

/* Asserts that pem is the certificate in the PEM file name, byte for byte
 * (both are OpenSSL's canonical PEM). */
static void
assert_cert(const char *pem, const char *name)
{
	char *want = data_file(name);

	assert_string_equal(pem, want);
	free(want);
}

/* Asserts err's detail contains s. */
static void
assert_detail(const struct sg_err *err, const char *s)
{
	if (strstr(err->detail, s) == NULL)
		fail_msg("detail \"%s\" lacks \"%s\"", err->detail, s);
}

static void
keycloak(void **state)
{
	struct sg_saml_idp_metadata md;
	struct sg_err err;

	assert_int_equal(parse_file("metadata-keycloak.xml", NULL, *state, &md, &err), 0);
	assert_string_equal(md.entity_id, "https://keycloak.example.test/realms/ssogw");
	assert_string_equal(md.sso_redirect_url,
	                    "https://keycloak.example.test/realms/ssogw/protocol/saml");
	assert_string_equal(md.sso_post_url,
	                    "https://keycloak.example.test/realms/ssogw/protocol/saml");
	assert_string_equal(md.slo_redirect_url,
	                    "https://keycloak.example.test/realms/ssogw/protocol/saml");
	assert_null(md.slo_response_url);
	assert_int_equal(md.ncerts, 1);
	assert_cert(md.signing_certs[0], "idp.crt");
	assert_int_equal(md.valid_until, 0);
	/* Named by its entity ID: the same; another name: refused. */
	assert_int_equal(parse_file("metadata-keycloak.xml",
	                            "https://keycloak.example.test/realms/ssogw", *state, &md,
	                            &err),
	                 0);
	assert_int_equal(parse_file("metadata-keycloak.xml", IDP_ENTITY, *state, &md, &err),
	                 SG_SAML_ERR_INPUT);
	assert_detail(&err, "no EntityDescriptor with entityID");
	assert_null(md.entity_id);
}

static void
entra(void **state)
{
	struct sg_saml_idp_metadata md;
	struct sg_err err;
	char *xml, *bom;

	/* RoleDescriptors (xsi:type fed:...) around the IDPSSODescriptor, and
	 * a document Signature (not verified: the file is pinned). */
	assert_int_equal(parse_file("metadata-entra.xml", NULL, *state, &md, &err), 0);
	assert_string_equal(md.entity_id, "https://sts.windows.net/9188040d-6c67-4c5b-b112-"
	                                  "36a304b66dad/");
	assert_string_equal(md.sso_redirect_url, "https://login.microsoftonline.com/9188040d-6c67-"
	                                         "4c5b-b112-36a304b66dad/saml2");
	assert_string_equal(md.sso_post_url, "https://login.microsoftonline.com/9188040d-6c67-"
	                                     "4c5b-b112-36a304b66dad/saml2");
	assert_string_equal(md.slo_redirect_url, "https://login.microsoftonline.com/9188040d-6c67-"
	                                         "4c5b-b112-36a304b66dad/saml2");
	assert_null(md.slo_response_url);
	/* Rollover: both certificates, in document order. */
	assert_int_equal(md.ncerts, 2);
	assert_cert(md.signing_certs[0], "idp.crt");
	assert_cert(md.signing_certs[1], "idp2.crt");
	assert_int_equal(md.valid_until, 0);
	/* Entra serves the file with a UTF-8 byte order mark. */
	xml = data_file("metadata-entra.xml");
	bom = sg_xasprintf("\xEF\xBB\xBF%s", xml);
	assert_int_equal(parse(bom, NULL, *state, &md, &err), 0);
	assert_int_equal(md.ncerts, 2);
	free(bom);
	free(xml);
}

static void
adfs(void **state)
{
	struct sg_saml_idp_metadata md;
	struct sg_err err;

	/* An SPSSODescriptor beside the IDPSSODescriptor, an encryption
	 * certificate (other.crt) that must not become a signing key. */
	assert_int_equal(parse_file("metadata-adfs.xml", NULL, *state, &md, &err), 0);
	assert_string_equal(md.entity_id, "http://adfs.example.test/adfs/services/trust");
	assert_string_equal(md.sso_redirect_url, "https://adfs.example.test/adfs/ls/");
	assert_string_equal(md.sso_post_url, "https://adfs.example.test/adfs/ls/");
	assert_string_equal(md.slo_redirect_url, "https://adfs.example.test/adfs/ls/");
	assert_null(md.slo_response_url);
	assert_int_equal(md.ncerts, 1);
	assert_cert(md.signing_certs[0], "idp.crt");
}

static void
entities(void **state)
{
	struct sg_saml_idp_metadata md;
	struct sg_err err;
	int64_t t;

	assert_int_equal(parse_file("metadata-entities.xml", NULL, *state, &md, &err),
	                 SG_SAML_ERR_INPUT);
	assert_detail(&err, "2 SAML 2.0 IdPs");

	assert_int_equal(parse_file("metadata-entities.xml", "https://idp-b.example.test/saml",
	                            *state, &md, &err),
	                 0);
	assert_string_equal(md.entity_id, "https://idp-b.example.test/saml");
	assert_string_equal(md.sso_redirect_url, "https://idp-b.example.test/sso/redirect");
	assert_string_equal(md.sso_post_url, "https://idp-b.example.test/sso/post");
	assert_null(md.slo_redirect_url);
	assert_null(md.slo_response_url);
	assert_int_equal(md.ncerts, 1);
	assert_cert(md.signing_certs[0], "idp2.crt");
	/* The entity's validUntil is earlier than the EntitiesDescriptor's. */
	assert_int_equal(saml_time_parse("2026-12-31T23:59:59Z", &t), 0);
	assert_int_equal(md.valid_until, t);

	assert_int_equal(parse_file("metadata-entities.xml", "https://idp-a.example.test/saml",
	                            *state, &md, &err),
	                 0);
	assert_string_equal(md.sso_redirect_url, "https://idp-a.example.test/sso/redirect");
	assert_string_equal(md.sso_post_url, "https://idp-a.example.test/sso/post");
	assert_cert(md.signing_certs[0], "idp.crt");
	assert_int_equal(saml_time_parse("2027-06-30T12:00:00Z", &t), 0);
	assert_int_equal(md.valid_until, t);

	/* The SP entity in the same file, and one that is not there. */
	assert_int_equal(
	    parse_file("metadata-entities.xml", "https://sp.example.test/saml", *state, &md, &err),
	    SG_SAML_ERR_INPUT);
	assert_detail(&err, "no IDPSSODescriptor");
	assert_int_equal(
	    parse_file("metadata-entities.xml", "https://nope.example.test/", *state, &md, &err),
	    SG_SAML_ERR_INPUT);
	assert_detail(&err, "no EntityDescriptor with entityID");
}

/* A one-entity IdP document: root attributes (after entityID), the
 * protocols, the SSO binding, and the KeyDescriptors' XML. */
static char *
doc(const char *root_attrs, const char *protocols, const char *sso_binding, const char *keys)
{
	return sg_xasprintf(
	    "<?xml version=\"1.0\"?>\n"
	    "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" "
	    "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"urn:test:idp\"%s>\n"
	    "<md:IDPSSODescriptor protocolSupportEnumeration=\"%s\">%s"
	    "<md:SingleSignOnService Binding=\"%s\" Location=\"https://idp.test/sso\"/>"
	    "</md:IDPSSODescriptor></md:EntityDescriptor>\n",
	    root_attrs, protocols, keys, sso_binding);
}

/* A KeyDescriptor (use_attr: ` use="..."` or "") with one certificate. */
static char *
key(const char *use_attr, const char *b64)
{
	return sg_xasprintf("<md:KeyDescriptor%s><ds:KeyInfo><ds:X509Data><ds:X509Certificate>%s"
	                    "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>",
	                    use_attr, b64);
}

/* Parses doc(root_attrs, protocols, sso_binding, keys); the code. */
static int
parse_doc(const char *root_attrs, const char *protocols, const char *sso_binding, const char *keys,
          struct sg_arena *a, struct sg_saml_idp_metadata *md, struct sg_err *err)
{
	char *xml = doc(root_attrs, protocols, sso_binding, keys);
	int rc = parse(xml, NULL, a, md, err);

	free(xml);
	return rc;
}

static void
refusals(void **state)
{
	struct sg_saml_idp_metadata md;
	struct sg_err err;
	char *b = cert_body("idp.crt"), *k = key(" use=\"signing\"", b);
	char *enc = key(" use=\"encryption\"", b), *xml;

	/* The baseline is accepted. */
	assert_int_equal(parse_doc("", SG_SAML_NS_PROTOCOL, REDIRECT, k, *state, &md, &err), 0);
	/* No SingleSignOnService with HTTP-Redirect or HTTP-POST (POST alone
	 * is accepted: see bindings). */
	assert_int_equal(parse_doc("", SG_SAML_NS_PROTOCOL,
	                           "urn:oasis:names:tc:SAML:2.0:bindings:SOAP", k, *state, &md,
	                           &err),
	                 SG_SAML_ERR_INPUT);
	assert_detail(&err, "no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding");
	/* An encryption certificate only. */
	assert_int_equal(parse_doc("", SG_SAML_NS_PROTOCOL, REDIRECT, enc, *state, &md, &err),
	                 SG_SAML_ERR_INPUT);
	assert_detail(&err, "no usable signing certificate");
	/* No KeyDescriptor at all. */
	assert_int_equal(parse_doc("", SG_SAML_NS_PROTOCOL, REDIRECT, "", *state, &md, &err),
	                 SG_SAML_ERR_INPUT);
	assert_detail(&err, "no usable signing certificate");
	/* SAML 1.1 only. */
	assert_int_equal(
	    parse_doc("", "urn:oasis:names:tc:SAML:1.1:protocol", REDIRECT, k, *state, &md, &err),
	    SG_SAML_ERR_INPUT);
	assert_detail(&err, "no IDPSSODescriptor for SAML 2.0");
	/* A bad validUntil. */
	assert_int_equal(parse_doc(" validUntil=\"2026-01-01 00:00:00\"", SG_SAML_NS_PROTOCOL,
	                           REDIRECT, k, *state, &md, &err),
	                 SG_SAML_ERR_INPUT);
	assert_detail(&err, "validUntil");
	/* A DOCTYPE, even a harmless one. */
	xml = sg_xasprintf("<?xml version=\"1.0\"?>\n<!DOCTYPE md:EntityDescriptor [<!ENTITY x "
	                   "\"y\">]>\n<md:EntityDescriptor xmlns:md=\"" SG_SAML_NS_METADATA
	                   "\" entityID=\"&x;\"/>");
	assert_int_equal(parse(xml, NULL, *state, &md, &err), SG_SAML_ERR_INPUT);
	assert_detail(&err, "DOCTYPE");
	free(xml);
	/* Not metadata, not XML, empty, no entityID. */
	assert_int_equal(parse("<samlp:Response xmlns:samlp=\"" SG_SAML_NS_PROTOCOL "\"/>", NULL,
	                       *state, &md, &err),
	                 SG_SAML_ERR_INPUT);
	assert_detail(&err, "root element");
	assert_int_equal(parse("<md:EntityDescriptor", NULL, *state, &md, &err), SG_SAML_ERR_INPUT);
	assert_detail(&err, "not well-formed");
	assert_int_equal(parse("", NULL, *state, &md, &err), SG_SAML_ERR_INPUT);
	xml = doc("", SG_SAML_NS_PROTOCOL, REDIRECT, k);
	memmove(strstr(xml, "entityID="), "entityXX=", 9);
	assert_int_equal(parse(xml, NULL, *state, &md, &err), SG_SAML_ERR_INPUT);
	assert_detail(&err, "no entityID");
	free(xml);
	free(enc);
	free(k);
	free(b);
}

static void
certificates(void **state)
{
	struct sg_saml_idp_metadata md;
	struct sg_err err;
	char *b = cert_body("idp.crt"), *b2 = cert_body("idp2.crt");
	char *good, *noisy, *keys, *cut, *bad, *k[4];
	struct sg_buf ws = { 0 };
	size_t i;

	/* White space of every kind inside the base64 (the PEM's line breaks,
	 * CRLF, tabs, spaces), and no use attribute (signing and encryption). */
	for (i = 0; b2[i] != '\0'; i++) {
		if (i % 50 == 7)
			sg_buf_puts(&ws, "\r\n\t  ");
		sg_buf_append(&ws, &b2[i], 1);
	}
	sg_buf_puts(&ws, "");
	noisy = key("", ws.data);
	good = key(" use=\"signing\"", b);
	keys = sg_xasprintf("%s%s%s", good, noisy, good);
	assert_int_equal(parse_doc(" validUntil=\"2030-01-02T03:04:05.678+00:00\"",
	                           "urn:oasis:names:tc:SAML:1.1:protocol  \n " SG_SAML_NS_PROTOCOL,
	                           REDIRECT, keys, *state, &md, &err),
	                 0);
	/* The repeated certificate is kept once. */
	assert_int_equal(md.ncerts, 2);
	assert_cert(md.signing_certs[0], "idp.crt");
	assert_cert(md.signing_certs[1], "idp2.crt");
	assert_int_equal(md.valid_until, 1893553445);
	free(keys);

	/* Bad ones are skipped: not base64, a cut certificate, base64 of
	 * something else, trailing bytes after the certificate. */
	cut = sg_xasprintf("%.*s", (int)(strlen(b) / 2 / 4 * 4), b);
	k[0] = key("", "!!not base64!!");
	k[1] = key("", cut);
	k[2] = key("", "SGVsbG8gd29ybGQ=");
	k[3] = key("", "MAA=");
	bad = sg_xasprintf("%s%s%s%s", k[0], k[1], k[2], k[3]);
	for (i = 0; i < 4; i++)
		free(k[i]);
	keys = sg_xasprintf("%s%s", bad, good);
	assert_int_equal(parse_doc("", SG_SAML_NS_PROTOCOL, REDIRECT, keys, *state, &md, &err), 0);
	assert_int_equal(md.ncerts, 1);
	assert_cert(md.signing_certs[0], "idp.crt");
	free(keys);
	/* ...and with nothing good left, the document is refused. */
	assert_int_equal(parse_doc("", SG_SAML_NS_PROTOCOL, REDIRECT, bad, *state, &md, &err),
	                 SG_SAML_ERR_INPUT);
	assert_detail(&err, "no usable signing certificate (4 not X.509");
	free(bad);
	free(cut);
	free(good);
	free(noisy);
	sg_buf_free(&ws);
	free(b);
	free(b2);
}

/* Parses a one-entity IdP document whose IDPSSODescriptor holds the
 * signing certificate b64 and then services (SSO and SLO elements). */
static int
parse_services(const char *b64, const char *services, struct sg_arena *a,
               struct sg_saml_idp_metadata *md, struct sg_err *err)
{
	char *k = key(" use=\"signing\"", b64);
	char *xml =
	    sg_xasprintf("<md:EntityDescriptor xmlns:md=\"" SG_SAML_NS_METADATA
	                 "\" xmlns:ds=\"" SG_SAML_NS_DSIG "\" entityID=\"urn:test:idp\">"
	                 "<md:IDPSSODescriptor protocolSupportEnumeration=\"" SG_SAML_NS_PROTOCOL
	                 "\">%s%s</md:IDPSSODescriptor></md:EntityDescriptor>",
	                 k, services);
	int rc = parse(xml, NULL, a, md, err);

	free(xml);
	free(k);
	return rc;
}

/* The SSO service in either binding or both; the Redirect SLO service's
 * ResponseLocation (metadata 2.2.2), and not another binding's. */
static void
bindings(void **state)
{
	struct sg_saml_idp_metadata md;
	struct sg_err err;
	char *b = cert_body("idp.crt");

	/* POST only: accepted, with no Redirect URL. */
	assert_int_equal(parse_services(b,
	                                "<md:SingleSignOnService Binding=\"" POST
	                                "\" Location=\"https://idp.test/sso/post\"/>",
	                                *state, &md, &err),
	                 0);
	assert_null(md.sso_redirect_url);
	assert_string_equal(md.sso_post_url, "https://idp.test/sso/post");
	assert_null(md.slo_redirect_url);
	assert_null(md.slo_response_url);
	/* Redirect only; a POST one with an empty Location does not count. */
	assert_int_equal(parse_services(b,
	                                "<md:SingleSignOnService Binding=\"" POST
	                                "\" Location=\"\"/>"
	                                "<md:SingleSignOnService Binding=\"" REDIRECT
	                                "\" Location=\"https://idp.test/sso/redirect\"/>",
	                                *state, &md, &err),
	                 0);
	assert_string_equal(md.sso_redirect_url, "https://idp.test/sso/redirect");
	assert_null(md.sso_post_url);
	/* SLO: POST's ResponseLocation first, then the Redirect one's. */
	assert_int_equal(
	    parse_services(b,
	                   "<md:SingleLogoutService Binding=\"" POST
	                   "\" Location=\"https://idp.test/slo/post\" "
	                   "ResponseLocation=\"https://idp.test/slo/post-resp\"/>"
	                   "<md:SingleLogoutService Binding=\"" REDIRECT
	                   "\" Location=\"https://idp.test/slo\" "
	                   "ResponseLocation=\"https://idp.test/slo/resp?a=1&amp;b=2\"/>"
	                   "<md:SingleSignOnService Binding=\"" POST
	                   "\" Location=\"https://idp.test/sso/post\"/>"
	                   "<md:SingleSignOnService Binding=\"" REDIRECT
	                   "\" Location=\"https://idp.test/sso/redirect\"/>",
	                   *state, &md, &err),
	    0);
	assert_string_equal(md.sso_redirect_url, "https://idp.test/sso/redirect");
	assert_string_equal(md.sso_post_url, "https://idp.test/sso/post");
	assert_string_equal(md.slo_redirect_url, "https://idp.test/slo");
	assert_string_equal(md.slo_response_url, "https://idp.test/slo/resp?a=1&b=2");
	/* Only the POST SLO has a ResponseLocation: the Redirect one has none. */
	assert_int_equal(parse_services(b,
	                                "<md:SingleLogoutService Binding=\"" POST
	                                "\" Location=\"https://idp.test/slo/post\" "
	                                "ResponseLocation=\"https://idp.test/slo/post-resp\"/>"
	                                "<md:SingleLogoutService Binding=\"" REDIRECT
	                                "\" Location=\"https://idp.test/slo\"/>"
	                                "<md:SingleSignOnService Binding=\"" REDIRECT
	                                "\" Location=\"https://idp.test/sso/redirect\"/>",
	                                *state, &md, &err),
	                 0);
	assert_string_equal(md.slo_redirect_url, "https://idp.test/slo");
	assert_null(md.slo_response_url);
	/* Neither SSO binding: refused, and out is left empty. */
	assert_int_equal(parse_services(b,
	                                "<md:SingleSignOnService Binding=\"urn:oasis:names:tc:"
	                                "SAML:2.0:bindings:HTTP-Artifact\" "
	                                "Location=\"https://idp.test/sso/artifact\"/>",
	                                *state, &md, &err),
	                 SG_SAML_ERR_INPUT);
	assert_detail(&err, "no SingleSignOnService");
	assert_null(md.sso_post_url);
	assert_null(md.entity_id);
	free(b);
}

/* One file of the python3-saml corpus and what the parser must make of it. */
struct corpus_case {
	const char *file;
	const char *want;      /* want_entity_id */
	const char *entity_id; /* NULL: refused, with detail containing why */
	const char *why;
	const char *sso;
	size_t ncerts;
	int64_t valid_until;
};

static const struct corpus_case corpus[] = {
	{ "entities_metadata.xml", NULL, NULL, "no IDPSSODescriptor", NULL, 0, 0 },
	{ "expired_metadata_settings1.xml", NULL, NULL, "no IDPSSODescriptor", NULL, 0, 0 },
	{ "idp_metadata.xml", NULL, "https://app.onelogin.com/saml/metadata/383123", NULL,
	  "https://app.onelogin.com/trust/saml2/http-post/sso/383123", 1, 0 },
	{ "idp_metadata2.xml", NULL, "urn:example:idp", NULL, "http://idp.example.com", 1, 0 },
	{ "idp_metadata_different_sign_and_encrypt_cert.xml", NULL,
	  "https://app.onelogin.com/saml/metadata/383123", NULL,
	  "https://app.onelogin.com/trust/saml2/http-post/sso/383123", 1, 0 },
	{ "idp_metadata_multi_certs.xml", NULL, "https://idp.examle.com/saml/metadata", NULL,
	  "https://idp.examle.com/saml/sso", 2, 0 },
	/* Three signing KeyDescriptors, the first and the third the same. */
	{ "idp_metadata_multi_signing_certs.xml", NULL, "https://idp.examle.com/saml/metadata",
	  NULL, "https://idp.examle.com/saml/sso", 2, 0 },
	{ "idp_metadata_same_sign_and_encrypt_cert.xml", NULL,
	  "https://app.onelogin.com/saml/metadata/383123", NULL,
	  "https://app.onelogin.com/trust/saml2/http-post/sso/383123", 1, 0 },
	{ "idp_multiple_descriptors.xml", NULL, NULL, "2 SAML 2.0 IdPs", NULL, 0, 0 },
	/* Named, the entity is found, but its X509Certificates hold the base64
	 * of PEM text rather than of DER: not certificates. */
	{ "idp_multiple_descriptors.xml", "https://bar.example.com/access/saml/idp.xml", NULL,
	  "no usable signing certificate (1 not X.509", NULL, 0, 0 },
	{ "idp_multiple_descriptors.xml", "https://nobody.example.com/", NULL,
	  "no EntityDescriptor with entityID", NULL, 0, 0 },
	{ "metadata_bad_order_settings1.xml", NULL, NULL, "no IDPSSODescriptor", NULL, 0, 0 },
	{ "metadata_settings1.xml", NULL, NULL, "no IDPSSODescriptor", NULL, 0, 0 },
	{ "no_expiration_mark_metadata.xml", NULL, NULL, "no IDPSSODescriptor", NULL, 0, 0 },
	{ "noentity_metadata_settings1.xml", NULL, NULL, "root element", NULL, 0, 0 },
	{ "signed_metadata_settings1.xml", NULL, NULL, "no IDPSSODescriptor", NULL, 0, 0 },
	{ "signed_metadata_settings2.xml", NULL, NULL, "no IDPSSODescriptor", NULL, 0, 0 },
	{ "testshib-providers.xml", NULL, "https://idp.testshib.org/idp/shibboleth", NULL,
	  "https://idp.testshib.org/idp/profile/SAML2/Redirect/SSO", 1, 0 },
	{ "unparsed_metadata.xml", NULL, NULL, "not well-formed", NULL, 0, 0 },
};

static void
python3_saml_corpus(void **state)
{
	struct sg_saml_idp_metadata md;
	struct sg_err err;
	struct sg_saml_keys *k;
	struct sg_errlist errs = { 0 };
	char path[4096], *xml;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
		const struct corpus_case *cc = &corpus[i];

		snprintf(path, sizeof(path), "%s/%s", CORPUS, cc->file);
		xml = slurp(path);
		if (xml == NULL)
			fail_msg("cannot read %s", path);
		rc = parse(xml, cc->want, *state, &md, &err);
		free(xml);
		print_message("%s: %s %s (%zu certs)\n", cc->file, rc == 0 ? "ok" : "refused",
		              rc == 0 ? md.entity_id : err.detail, md.ncerts);
		if (cc->entity_id == NULL) {
			assert_int_equal(rc, SG_SAML_ERR_INPUT);
			assert_detail(&err, cc->why);
			continue;
		}
		assert_int_equal(rc, 0);
		assert_string_equal(md.entity_id, cc->entity_id);
		assert_string_equal(md.sso_redirect_url, cc->sso);
		assert_int_equal(md.ncerts, cc->ncerts);
		assert_int_equal(md.valid_until, cc->valid_until);
		/* Every certificate kept loads as a key. */
		k = sg_saml_keys_from_cert_pems(md.signing_certs, md.ncerts, &errs);
		assert_non_null(k);
		assert_int_equal(k->n, md.ncerts);
		sg_saml_keys_unref(k);
	}
	sg_errlist_clear(&errs);
}

/* The text of the first element named name (any namespace) under n. */
static xmlNodePtr
find(xmlNodePtr n, const char *name, size_t *count)
{
	xmlNodePtr k, f = NULL, r;

	for (k = n; k != NULL; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(k->name, (const xmlChar *)name)) {
			(*count)++;
			if (f == NULL)
				f = k;
		}
		r = find(k->children, name, count);
		if (f == NULL)
			f = r;
	}
	return f;
}

/* An attribute of n as a C string in a static buffer ("" if absent). */
static const char *
prop(xmlNodePtr n, const char *name)
{
	static char buf[1024];
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);

	snprintf(buf, sizeof(buf), "%s", v != NULL ? (const char *)v : "");
	xmlFree(v);
	return buf;
}

static void
sp_metadata(void **state)
{
	struct sg_saml_sp_info sp = {
		.entity_id = SP_ENTITY "?a=1&b=<\"'>",
		.acs_url = ACS_URL,
		.slo_url = "https://jira.example.test/ssogw/saml/slo",
		.want_assertions_signed = true,
		.authn_requests_signed = false,
	};
	struct sg_saml_idp_metadata md;
	struct sg_err err;
	struct sg_buf out = { 0 };
	char *pem = data_file("sp.crt"), *body = cert_body("sp.crt"), *squeezed;
	xmlDocPtr d;
	xmlNodePtr root, n, m;
	xmlChar *text;
	size_t count, i, j;

	sp.cert_pem = pem;
	sg_saml_sp_metadata(&sp, &out);
	d = xmlReadMemory(out.data, (int)out.len, "sp.xml", NULL, XML_PARSE_NONET);
	assert_non_null(d);
	root = xmlDocGetRootElement(d);
	assert_true(saml_is(root, SG_SAML_NS_METADATA, "EntityDescriptor"));
	assert_string_equal(prop(root, "entityID"), sp.entity_id);
	n = saml_child(root, SG_SAML_NS_METADATA, "SPSSODescriptor");
	assert_non_null(n);
	assert_string_equal(prop(n, "protocolSupportEnumeration"), SG_SAML_NS_PROTOCOL);
	assert_string_equal(prop(n, "WantAssertionsSigned"), "true");
	assert_string_equal(prop(n, "AuthnRequestsSigned"), "false");
	/* KeyDescriptors: signing, then encryption, with the DER of sp.crt. */
	assert_int_equal(saml_count_children(n, SG_SAML_NS_METADATA, "KeyDescriptor"), 2);
	m = saml_child(n, SG_SAML_NS_METADATA, "KeyDescriptor");
	assert_string_equal(prop(m, "use"), "signing");
	assert_string_equal(prop(saml_next_el(m), "use"), "encryption");
	count = 0;
	m = find(m, "X509Certificate", &count);
	assert_int_equal(count, 2);
	assert_true(saml_is(m, SG_SAML_NS_DSIG, "X509Certificate"));
	squeezed = sg_xstrdup(body);
	for (i = j = 0; body[i] != '\0'; i++)
		if (body[i] != '\n' && body[i] != '\r')
			squeezed[j++] = body[i];
	squeezed[j] = '\0';
	text = xmlNodeGetContent(m);
	assert_string_equal((const char *)text, squeezed);
	xmlFree(text);
	/* SLO in both bindings, one ACS. */
	assert_int_equal(saml_count_children(n, SG_SAML_NS_METADATA, "SingleLogoutService"), 2);
	m = saml_child(n, SG_SAML_NS_METADATA, "SingleLogoutService");
	assert_string_equal(prop(m, "Binding"), REDIRECT);
	assert_string_equal(prop(m, "Location"), sp.slo_url);
	assert_string_equal(prop(saml_next_el(m), "Binding"), POST);
	m = saml_child(n, SG_SAML_NS_METADATA, "AssertionConsumerService");
	assert_non_null(m);
	assert_string_equal(prop(m, "Binding"), POST);
	assert_string_equal(prop(m, "Location"), ACS_URL);
	assert_string_equal(prop(m, "index"), "0");
	assert_string_equal(prop(m, "isDefault"), "true");
	assert_non_null(saml_child(n, SG_SAML_NS_METADATA, "NameIDFormat"));
	xmlFreeDoc(d);

	/* Our own metadata is an SP's: the IdP parser refuses it. */
	assert_int_equal(parse(out.data, NULL, *state, &md, &err), SG_SAML_ERR_INPUT);
	assert_detail(&err, "no IDPSSODescriptor");

	/* Without a certificate and SLO: neither KeyDescriptor nor SLO. */
	sg_buf_reset(&out);
	sp.cert_pem = NULL;
	sp.slo_url = NULL;
	sp.authn_requests_signed = true;
	sg_saml_sp_metadata(&sp, &out);
	d = xmlReadMemory(out.data, (int)out.len, "sp.xml", NULL, XML_PARSE_NONET);
	assert_non_null(d);
	n = saml_child(xmlDocGetRootElement(d), SG_SAML_NS_METADATA, "SPSSODescriptor");
	assert_string_equal(prop(n, "AuthnRequestsSigned"), "true");
	assert_int_equal(saml_count_children(n, SG_SAML_NS_METADATA, "KeyDescriptor"), 0);
	assert_int_equal(saml_count_children(n, SG_SAML_NS_METADATA, "SingleLogoutService"), 0);
	assert_int_equal(saml_count_children(n, SG_SAML_NS_METADATA, "AssertionConsumerService"),
	                 1);
	xmlFreeDoc(d);
	sg_buf_free(&out);
	free(squeezed);
	free(body);
	free(pem);
}

/* Validates the fixture name with keys; the error code (0 when valid). */
static int
validate(const char *name, const struct sg_saml_keys *keys, struct sg_arena *a)
{
	struct sg_saml_trust t = {
		.idp_entity_id = IDP_ENTITY,
		.idp_keys = keys,
		.sp_entity_id = SP_ENTITY,
		.acs_url = ACS_URL,
		.require_signed = SG_SAML_SIGNED_EITHER,
		.clock_skew = 60,
		.in_response_to = REQ_ID,
		.max_size = 256 * 1024,
	};
	struct sg_saml_identity id;
	struct sg_err err;
	char *b64 = data_file(name);
	int rc;

	rc = sg_saml_validate_response(b64, strlen(b64), &t, NOW, a, &id, &err, NULL, NULL);
	free(b64);
	if (rc == 0)
		assert_string_equal(id.name_id, "alice@example.test");
	return rc == 0 ? 0 : err.code;
}

/* Keys from the parsed metadata's PEMs. */
static struct sg_saml_keys *
metadata_keys(const char *file, struct sg_arena *a)
{
	struct sg_saml_idp_metadata md;
	struct sg_errlist errs = { 0 };
	struct sg_saml_keys *k;
	struct sg_err err;

	assert_int_equal(parse_file(file, NULL, a, &md, &err), 0);
	k = sg_saml_keys_from_cert_pems(md.signing_certs, md.ncerts, &errs);
	assert_non_null(k);
	assert_int_equal(errs.count, 0);
	return k;
}

static void
metadata_keys_validate(void **state)
{
	struct sg_saml_keys *kc = metadata_keys("metadata-keycloak.xml", *state);
	struct sg_saml_keys *entra = metadata_keys("metadata-entra.xml", *state);

	assert_int_equal(validate("valid-assertion-signed.b64", kc, *state), 0);
	/* Signed with the rollover key: Entra's pair has it, Keycloak's not. */
	assert_int_equal(validate("valid-idp2.b64", entra, *state), 0);
	assert_int_equal(validate("valid-idp2.b64", kc, *state), SG_SAML_ERR_SIGNATURE);
	assert_int_equal(validate("valid-assertion-signed.b64", entra, *state), 0);
	sg_saml_keys_unref(kc);
	sg_saml_keys_unref(entra);
}

static void
keys_from_pems(void **state)
{
	struct sg_errlist errs = { 0 };
	struct sg_saml_keys *k;
	char *p1 = data_file("idp.crt"), *p2 = data_file("idp2.crt");
	char *both = sg_xasprintf("%s%s", p1, p2);
	const char *pems[3] = { p1, both, NULL };

	(void)state;
	/* Every certificate of every text. */
	k = sg_saml_keys_from_cert_pems(pems, 2, &errs);
	assert_non_null(k);
	assert_int_equal(k->n, 3);
	assert_int_equal(errs.count, 0);
	sg_saml_keys_unref(k);
	/* None given, a NULL text, a text without a certificate. */
	assert_null(sg_saml_keys_from_cert_pems(pems, 0, &errs));
	assert_null(sg_saml_keys_from_cert_pems(pems, 3, &errs));
	pems[0] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
	assert_null(sg_saml_keys_from_cert_pems(pems, 1, &errs));
	assert_int_equal(errs.count, 3);
	assert_non_null(strstr(errs.msg[2], "IdP certificate 1: no PEM certificate"));
	sg_errlist_clear(&errs);
	free(both);
	free(p1);
	free(p2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(keycloak, unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(entra, unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(adfs, unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(entities, unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(refusals, unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(bindings, unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(certificates, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(python3_saml_corpus, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(sp_metadata, unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(metadata_keys_validate, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(keys_from_pems, unit_arena_setup,
		                                unit_arena_teardown),
	};
	struct sg_errlist errs = { 0 };
	int failed;

	if (sg_saml_init(&errs) < 0) {
		fprintf(stderr, "sg_saml_init: %s\n", errs.msg[0]);
		return 1;
	}
	failed = cmocka_run_group_tests_name("saml_metadata", tests, NULL, NULL);
	sg_saml_shutdown();
	return failed != 0;
}
