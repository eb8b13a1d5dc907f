/*
 * saml_metadata.c - SAML metadata (SAML metadata 2.0) in and out: the IdP's
 * EntityDescriptor read into what the SP needs (entity ID, the
 * SingleSignOnService for HTTP-Redirect and HTTP-POST, the HTTP-Redirect
 * SingleLogoutService and its ResponseLocation, the signing certificates,
 * validUntil), as Keycloak, Entra ID (federationmetadata.xml) and ADFS
 * publish it, and the SP's own EntityDescriptor written for the IdP's
 * administrator.
 *
 * Reading uses the hardened parser of responses (no DTD, no network, depth
 * and node count bounded).  Elements we do not use are skipped, among them
 * Entra's and ADFS's RoleDescriptor (fed:SecurityTokenServiceType,
 * fed:ApplicationServiceType) and Extensions.  A metadata signature is NOT
 * verified and is ignored: the administrator pins the file (or its URL over
 * TLS), and the certificates in it are the trust anchor; verifying the
 * document with a key from the same document would add nothing.
 *
 * Sans I/O: no fetching, no clock (the caller compares validUntil).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "saml_int.h"

#define SAML_MD_MAX (4 * 1024 * 1024) /* bytes of metadata accepted */
#define SAML_MD_CERT_MAX (64 * 1024)  /* DER bytes of one certificate */
#define SAML_MD_MAX_CERTS 16          /* distinct signing certificates kept */

#define SAML_BINDING_REDIRECT "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
#define SAML_BINDING_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define SAML_NAMEID_UNSPECIFIED "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"

/* The entity search's state. */
struct saml_md_pick {
	const char *want; /* the entityID asked for, or NULL */
	xmlNodePtr entity;
	xmlNodePtr idp; /* its IDPSSODescriptor for SAML 2.0, or NULL */
	size_t n;       /* candidates seen */
};

/* True if the role's protocolSupportEnumeration lists SAML 2.0 (a list of
 * URIs separated by white space, metadata 2.4.1). */
static bool
saml_md_supports_saml2(struct saml_ctx *c, xmlNodePtr role)
{
	const char *p = saml_attr(c, role, "protocolSupportEnumeration");
	size_t want = strlen(SG_SAML_NS_PROTOCOL), n;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t\r\n");
		n = strcspn(p, " \t\r\n");
		if (n == want && strncmp(p, SG_SAML_NS_PROTOCOL, n) == 0)
			return true;
		p += n;
	}
	return false;
}

/* The entity's first IDPSSODescriptor that supports SAML 2.0, or NULL. */
static xmlNodePtr
saml_md_idpsso(struct saml_ctx *c, xmlNodePtr entity)
{
	xmlNodePtr n;

	for (n = saml_first_el(entity); n != NULL; n = saml_next_el(n))
		if (saml_is(n, SG_SAML_NS_METADATA, "IDPSSODescriptor") &&
		    saml_md_supports_saml2(c, n))
			return n;
	return NULL;
}

/* Looks at every EntityDescriptor under n (EntitiesDescriptor nest, metadata
 * 2.3.1): the one with entityID want, or each IdP when want is NULL. */
static void
saml_md_walk(struct saml_ctx *c, xmlNodePtr n, struct saml_md_pick *p)
{
	const char *id;
	xmlNodePtr k, idp;

	if (saml_is(n, SG_SAML_NS_METADATA, "EntitiesDescriptor")) {
		for (k = saml_first_el(n); k != NULL; k = saml_next_el(k))
			saml_md_walk(c, k, p);
		return;
	}
	if (!saml_is(n, SG_SAML_NS_METADATA, "EntityDescriptor"))
		return;
	idp = saml_md_idpsso(c, n);
	if (p->want != NULL) {
		id = saml_attr(c, n, "entityID");
		if (id == NULL || strcmp(id, p->want) != 0)
			return;
	} else if (idp == NULL) {
		return;
	}
	if (p->n++ == 0) {
		p->entity = n;
		p->idp = idp;
	}
}

/* Finds the entity to use and its IDPSSODescriptor (*entity, *idp). */
static int
saml_md_select(struct saml_ctx *c, const char *want, xmlNodePtr *entity, xmlNodePtr *idp)
{
	xmlNodePtr root = xmlDocGetRootElement(c->doc);
	struct saml_md_pick p = { .want = want };

	if (!saml_is(root, SG_SAML_NS_METADATA, "EntityDescriptor") &&
	    !saml_is(root, SG_SAML_NS_METADATA, "EntitiesDescriptor"))
		return saml_fail(c, "metadata", SG_SAML_ERR_INPUT,
		                 "the root element is not a SAML 2.0 metadata "
		                 "EntityDescriptor or EntitiesDescriptor");
	saml_md_walk(c, root, &p);
	if (want != NULL && p.n == 0)
		return saml_fail(c, "metadata", SG_SAML_ERR_INPUT,
		                 "no EntityDescriptor with entityID \"%.80s\"", want);
	if (want != NULL && p.n > 1)
		return saml_fail(c, "metadata", SG_SAML_ERR_INPUT,
		                 "%zu EntityDescriptors have entityID \"%.80s\"", p.n, want);
	if (p.n == 0 || p.idp == NULL)
		return saml_fail(c, "metadata", SG_SAML_ERR_INPUT,
		                 "no IDPSSODescriptor for SAML 2.0 in the metadata (is it an "
		                 "SP's?)");
	if (p.n > 1)
		return saml_fail(c, "metadata", SG_SAML_ERR_INPUT,
		                 "the metadata describes %zu SAML 2.0 IdPs: name the one to use "
		                 "by its entity ID",
		                 p.n);
	*entity = p.entity;
	*idp = p.idp;
	return 0;
}

/* The Location of role's first element name with binding, or NULL;
 * *response (if not NULL) its ResponseLocation (metadata 2.2.2), or NULL. */
static const char *
saml_md_service(struct saml_ctx *c, xmlNodePtr role, const char *name, const char *binding,
                const char **response)
{
	const char *b, *loc, *rl;
	xmlNodePtr n;

	if (response != NULL)
		*response = NULL;
	for (n = saml_first_el(role); n != NULL; n = saml_next_el(n)) {
		if (!saml_is(n, SG_SAML_NS_METADATA, name))
			continue;
		b = saml_attr(c, n, "Binding");
		loc = saml_attr(c, n, "Location");
		if (b == NULL || strcmp(b, binding) != 0 || loc == NULL || loc[0] == '\0')
			continue;
		rl = saml_attr(c, n, "ResponseLocation");
		if (response != NULL && rl != NULL && rl[0] != '\0')
			*response = rl;
		return loc;
	}
	return NULL;
}

/*
 * The PEM text of the base64 DER in an X509Certificate (white space
 * allowed), checked as one whole X.509 certificate whose key xmlsec can
 * use, in c's arena; NULL if it is not one.
 */
static const char *
saml_md_cert_pem(struct saml_ctx *c, const char *b64)
{
	struct sg_buf der = { 0 };
	struct sg_saml_keys *k = NULL;
	struct sg_errlist errs = { 0 };
	const unsigned char *p;
	const char *pem = NULL, *s;
	X509 *x = NULL;
	BIO *bio = NULL;
	char *data;
	long n;

	if (saml_base64_decode(b64, strlen(b64), SAML_MD_CERT_MAX, &der) < 0 || der.len == 0)
		goto out;
	p = (const unsigned char *)der.data;
	x = d2i_X509(NULL, &p, (long)der.len);
	if (x == NULL || p != (const unsigned char *)der.data + der.len ||
	    X509_get0_pubkey(x) == NULL)
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL)
		sg_fatal("out of memory in BIO_new");
	/* "-----BEGIN CERTIFICATE-----", 64 columns, "-----END ...-----\n". */
	if (PEM_write_bio_X509(bio, x) != 1 || (n = BIO_get_mem_data(bio, &data)) <= 0)
		goto out;
	s = sg_arena_strndup(c->a, data, (size_t)n);
	/* The key must be one the signature check can use (RSA, EC). */
	k = sg_saml_keys_from_cert_pems(&s, 1, &errs);
	if (k != NULL)
		pem = s;
out:
	sg_saml_keys_unref(k);
	sg_errlist_clear(&errs);
	BIO_free(bio);
	X509_free(x);
	sg_buf_free(&der);
	ERR_clear_error();
	return pem;
}

/* Adds the certificates of one KeyDescriptor's ds:KeyInfo to out (without
 * duplicates: ADFS and Entra repeat one certificate); counts bad ones. */
static void
saml_md_key_certs(struct saml_ctx *c, xmlNodePtr kd, struct sg_saml_idp_metadata *out, size_t *bad)
{
	xmlNodePtr ki, xd, xc;
	const char *text, *pem;
	size_t i;

	ki = saml_child(kd, SG_SAML_NS_DSIG, "KeyInfo");
	for (xd = saml_first_el(ki); xd != NULL; xd = saml_next_el(xd)) {
		if (!saml_is(xd, SG_SAML_NS_DSIG, "X509Data"))
			continue;
		for (xc = saml_first_el(xd); xc != NULL; xc = saml_next_el(xc)) {
			if (!saml_is(xc, SG_SAML_NS_DSIG, "X509Certificate"))
				continue;
			text = saml_text(c, xc);
			pem = text != NULL ? saml_md_cert_pem(c, text) : NULL;
			if (pem == NULL) {
				(*bad)++;
				continue;
			}
			for (i = 0; i < out->ncerts; i++)
				if (strcmp(out->signing_certs[i], pem) == 0)
					break;
			if (i < out->ncerts || out->ncerts == SAML_MD_MAX_CERTS)
				continue;
			out->signing_certs[out->ncerts++] = pem;
		}
	}
}

/* Fills out's signing certificates: KeyDescriptors with use="signing" or
 * no use (metadata 2.4.1.1: then the key serves both purposes). */
static int
saml_md_certs(struct saml_ctx *c, xmlNodePtr idp, struct sg_saml_idp_metadata *out)
{
	xmlNodePtr kd;
	const char *use;
	size_t bad = 0;

	out->signing_certs = sg_arena_alloc(c->a, SAML_MD_MAX_CERTS * sizeof(*out->signing_certs));
	for (kd = saml_first_el(idp); kd != NULL; kd = saml_next_el(kd)) {
		if (!saml_is(kd, SG_SAML_NS_METADATA, "KeyDescriptor"))
			continue;
		use = saml_attr(c, kd, "use");
		if (use != NULL && strcmp(use, "signing") != 0)
			continue;
		saml_md_key_certs(c, kd, out, &bad);
	}
	if (out->ncerts == 0)
		return saml_fail(c, "metadata", SG_SAML_ERR_INPUT,
		                 "the IDPSSODescriptor has no usable signing certificate "
		                 "(%zu not X.509 or with an unusable key)",
		                 bad);
	saml_pass(c, "metadata", "%zu signing certificates, %zu unusable skipped", out->ncerts,
	          bad);
	return 0;
}

/* Lowers *until to n's validUntil if it has one; -1 if it is not valid. */
static int
saml_md_until(struct saml_ctx *c, xmlNodePtr n, int64_t *until)
{
	const char *v = saml_attr(c, n, "validUntil");
	int64_t t;

	if (v == NULL)
		return 0;
	if (saml_time_parse(v, &t) < 0)
		return saml_fail(c, "metadata", SG_SAML_ERR_INPUT,
		                 "validUntil on %s is not an xs:dateTime in UTC",
		                 (const char *)n->name);
	if (*until == 0 || t < *until)
		*until = t;
	return 0;
}

/* The earliest validUntil of the role, its entity and the EntitiesDescriptors
 * around it (metadata 2.3.1, 2.3.2, 2.4.1), or 0. */
static int
saml_md_valid_until(struct saml_ctx *c, xmlNodePtr idp, int64_t *until)
{
	xmlNodePtr n;

	*until = 0;
	for (n = idp; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent)
		if (saml_md_until(c, n, until) < 0)
			return -1;
	return 0;
}

/* Reads the selected entity into out. */
static int
saml_md_read(struct saml_ctx *c, const char *want, struct sg_saml_idp_metadata *out)
{
	xmlNodePtr entity = NULL, idp = NULL;

	if (saml_md_select(c, want, &entity, &idp) < 0)
		return -1;
	out->entity_id = saml_attr(c, entity, "entityID");
	if (out->entity_id == NULL || out->entity_id[0] == '\0')
		return saml_fail(c, "metadata", SG_SAML_ERR_INPUT,
		                 "the EntityDescriptor has no entityID");
	out->sso_redirect_url =
	    saml_md_service(c, idp, "SingleSignOnService", SAML_BINDING_REDIRECT, NULL);
	out->sso_post_url = saml_md_service(c, idp, "SingleSignOnService", SAML_BINDING_POST, NULL);
	if (out->sso_redirect_url == NULL && out->sso_post_url == NULL)
		return saml_fail(c, "metadata", SG_SAML_ERR_INPUT,
		                 "the IdP has no SingleSignOnService with the HTTP-Redirect or "
		                 "HTTP-POST binding");
	out->slo_redirect_url = saml_md_service(c, idp, "SingleLogoutService",
	                                        SAML_BINDING_REDIRECT, &out->slo_response_url);
	if (saml_md_certs(c, idp, out) < 0)
		return -1;
	return saml_md_valid_until(c, idp, &out->valid_until);
}

int
sg_saml_idp_metadata_parse(const char *xml, size_t len, const char *want_entity_id,
                           struct sg_arena *a, struct sg_saml_idp_metadata *out, struct sg_err *err)
{
	struct saml_ctx c = { .a = a, .err = err };
	char errbuf[160];
	int rc = -1;

	memset(out, 0, sizeof(*out));
	err->code = 0;
	err->detail[0] = '\0';
	if (xml == NULL || len == 0)
		return sg_err_set(err, SG_SAML_ERR_INPUT, "the metadata is empty");
	if (len > SAML_MD_MAX)
		return sg_err_set(err, SG_SAML_ERR_INPUT, "the metadata is larger than %d bytes",
		                  SAML_MD_MAX);
	saml_errors_begin(errbuf, sizeof(errbuf));
	c.ids = xmlHashCreate(64);
	if (c.ids == NULL)
		sg_fatal("out of memory in xmlHashCreate");
	if (saml_parse(&c, xml, len) < 0)
		goto out;
	if (saml_tree_check(&c, xmlDocGetRootElement(c.doc), 1) < 0) {
		/* A repeated ID is a signature matter in a Response; here the
		 * document is simply refused. */
		err->code = SG_SAML_ERR_INPUT;
		goto out;
	}
	rc = saml_md_read(&c, want_entity_id, out);
out:
	if (c.doc != NULL)
		xmlFreeDoc(c.doc);
	xmlHashFree(c.ids, NULL);
	saml_errors_end();
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* Appends an element <md:name Binding="binding" Location="loc" extra/>. */
static void
saml_md_endpoint(struct sg_buf *out, const char *name, const char *binding, const char *loc,
                 const char *extra)
{
	sg_buf_printf(out, "    <md:%s Binding=\"%s\" Location=\"", name, binding);
	(void)saml_xml_escape(out, loc);
	sg_buf_printf(out, "\"%s/>\n", extra);
}

/* The base64 of the DER of the first certificate in pem (for
 * ds:X509Certificate), in out; -1 if pem holds none. */
static int
saml_md_cert_b64(const char *pem, struct sg_buf *out)
{
	unsigned char *der = NULL;
	unsigned char *b64;
	BIO *bio;
	X509 *x;
	int n, rc = -1;

	bio = BIO_new_mem_buf(pem, -1);
	if (bio == NULL)
		sg_fatal("out of memory in BIO_new_mem_buf");
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (x != NULL && (n = i2d_X509(x, &der)) > 0) {
		b64 = sg_xmalloc(4 * (((size_t)n + 2) / 3) + 1);
		EVP_EncodeBlock(b64, der, n);
		sg_buf_puts(out, (const char *)b64);
		free(b64);
		rc = 0;
	}
	OPENSSL_free(der);
	X509_free(x);
	ERR_clear_error();
	return rc;
}

/* Appends the signing and encryption KeyDescriptors for cert_pem. */
static void
saml_md_key_descriptors(struct sg_buf *out, const char *cert_pem)
{
	static const char *const uses[] = { "signing", "encryption" };
	struct sg_buf b64 = { 0 };
	size_t i;

	/* The configuration loaded this certificate already; an unreadable one
	 * is left out rather than published broken. */
	if (cert_pem == NULL || saml_md_cert_b64(cert_pem, &b64) < 0) {
		sg_buf_free(&b64);
		return;
	}
	for (i = 0; i < 2; i++)
		sg_buf_printf(out,
		              "    <md:KeyDescriptor use=\"%s\">\n"
		              "      <ds:KeyInfo xmlns:ds=\"" SG_SAML_NS_DSIG "\">\n"
		              "        <ds:X509Data>\n"
		              "          <ds:X509Certificate>%.*s</ds:X509Certificate>\n"
		              "        </ds:X509Data>\n"
		              "      </ds:KeyInfo>\n"
		              "    </md:KeyDescriptor>\n",
		              uses[i], (int)b64.len, b64.data);
	sg_buf_free(&b64);
}

/* The SP's EntityDescriptor (metadata 2.4.4; children in the schema's
 * order: KeyDescriptor, SingleLogoutService, NameIDFormat, ACS). */
void
sg_saml_sp_metadata(const struct sg_saml_sp_info *sp, struct sg_buf *out)
{
	sg_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                 "<md:EntityDescriptor xmlns:md=\"" SG_SAML_NS_METADATA "\" entityID=\"");
	(void)saml_xml_escape(out, sp->entity_id != NULL ? sp->entity_id : "");
	sg_buf_printf(
	    out,
	    "\">\n  <md:SPSSODescriptor AuthnRequestsSigned=\"%s\" "
	    "WantAssertionsSigned=\"%s\" protocolSupportEnumeration=\"" SG_SAML_NS_PROTOCOL "\">\n",
	    sp->authn_requests_signed ? "true" : "false",
	    sp->want_assertions_signed ? "true" : "false");
	saml_md_key_descriptors(out, sp->cert_pem);
	if (sp->slo_url != NULL) {
		saml_md_endpoint(out, "SingleLogoutService", SAML_BINDING_REDIRECT, sp->slo_url,
		                 "");
		saml_md_endpoint(out, "SingleLogoutService", SAML_BINDING_POST, sp->slo_url, "");
	}
	sg_buf_puts(out, "    <md:NameIDFormat>" SAML_NAMEID_UNSPECIFIED "</md:NameIDFormat>\n");
	saml_md_endpoint(out, "AssertionConsumerService", SAML_BINDING_POST,
	                 sp->acs_url != NULL ? sp->acs_url : "", " index=\"0\" isDefault=\"true\"");
	sg_buf_puts(out, "  </md:SPSSODescriptor>\n</md:EntityDescriptor>\n");
}
