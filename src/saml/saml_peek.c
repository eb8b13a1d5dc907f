/*
 * saml_peek.c - who says a message is from them, before anything is
 * believed: the Issuer of a received Response, LogoutRequest or
 * LogoutResponse, so that an application trusting several IdPs knows
 * whose keys and settings to validate it with.  The answer is a routing
 * hint only; the validation that follows checks the Issuer again, with
 * the signature, and nothing here is trusted for more.  The same hardened
 * parser as the validators (no DTD, no network, bounded).
 */
#include "config.h"

#include <string.h>

#include "saml_int.h"

/* The Issuer text of the root, else of its first Assertion (a Response may
 * leave its own Issuer out, core 3.2.2); NULL when neither has one (an
 * encrypted assertion hides its Issuer). */
static const char *
saml_root_issuer(struct saml_ctx *c, xmlNodePtr root)
{
	xmlNodePtr is = saml_child(root, SG_SAML_NS_ASSERTION, "Issuer");
	xmlNodePtr as;

	if (is == NULL && (as = saml_child(root, SG_SAML_NS_ASSERTION, "Assertion")) != NULL)
		is = saml_child(as, SG_SAML_NS_ASSERTION, "Issuer");
	return is != NULL ? saml_text(c, is) : NULL;
}

int
sg_saml_peek_issuer(const char *b64, size_t len, bool deflated, size_t max, struct sg_arena *a,
                    const char **issuer)
{
	struct sg_saml_trust t = { .max_size = max };
	struct sg_err err = { 0 };
	struct saml_ctx c = { .t = &t, .a = a, .err = &err };
	struct sg_buf xml = { 0 };
	const char *text;
	size_t n;
	char errbuf[160];
	int rc = -1;

	*issuer = NULL;
	saml_errors_begin(errbuf, sizeof(errbuf));
	if (deflated) {
		if (sg_saml_redirect_decode(b64, len, max, a, &text, &n, &err) < 0)
			goto out;
	} else {
		if (saml_base64_decode(b64, len, max, &xml) < 0)
			goto out;
		text = xml.data != NULL ? xml.data : "";
		n = xml.len;
	}
	c.ids = xmlHashCreate(16);
	if (c.ids == NULL)
		sg_fatal("out of memory in xmlHashCreate");
	if (saml_parse(&c, text, n) < 0 || saml_tree_check(&c, xmlDocGetRootElement(c.doc), 1) < 0)
		goto out;
	*issuer = saml_root_issuer(&c, xmlDocGetRootElement(c.doc));
	rc = 0;
out:
	if (c.doc != NULL)
		xmlFreeDoc(c.doc);
	if (c.ids != NULL)
		xmlHashFree(c.ids, NULL);
	sg_buf_free(&xml);
	saml_errors_end();
	return rc;
}
