/*
 * saml_response.c - validation of a <samlp:Response> posted to the ACS
 * (SAML core 2.0 sections 2 and 3, profiles 4.1.4.2, 4.1.4.3 and 4.1.4.5,
 * bindings 3.5 HTTP-POST), step by step, each step one check reported to the
 * caller's callback:
 *
 *   parse -> response -> status -> structure -> signature (Response)
 *   -> decrypt -> signature (Assertion) -> require_signed -> issuer
 *   -> destination -> in-response-to -> assertion -> name-id
 *   -> subject-confirmation -> conditions -> audience -> authn-statement
 *   -> attributes
 *
 * The structure step is the defence against signature wrapping (XSW): the
 * document may hold exactly one Assertion or EncryptedAssertion, as a
 * direct child of the Response, no other Response, and Signatures only as
 * direct children of the Response or of that Assertion; a signature is
 * then verified as an enveloped signature over exactly its parent
 * (saml_dsig.c), so whatever is signed is what is consumed.  Misplaced
 * assertions, signatures or Responses (and duplicate IDs) are reported as
 * signature failures (wrapping); several assertions in their right place as
 * an assertion failure.  Nothing here logs or reads the clock.
 */
#include "config.h"

#include <string.h>

#include <libxml/hash.h>
#include <libxml/tree.h>

#include "saml_int.h"

#define SAML_STATUS_SUCCESS "urn:oasis:names:tc:SAML:2.0:status:Success"
#define SAML_CM_BEARER "urn:oasis:names:tc:SAML:2.0:cm:bearer"
#define SAML_NAMEID_ENTITY "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"

/* What the structure walk found. */
struct saml_shape {
	size_t nassert;
	xmlNodePtr assertion;
	bool misplaced;   /* an assertion that is not the Response's child */
	bool nested_resp; /* a Response inside the Response */
	bool bad_sig;     /* a Signature in a place no signature may be */
};

/* Walks n and its subtree (depth already bounded by saml_tree_check). */
static void
saml_shape_walk(struct saml_ctx *c, xmlNodePtr n, struct saml_shape *s)
{
	xmlNodePtr k;

	if (saml_is(n, SG_SAML_NS_ASSERTION, "Assertion") ||
	    saml_is(n, SG_SAML_NS_ASSERTION, "EncryptedAssertion")) {
		s->nassert++;
		s->assertion = n;
		if (n->parent != c->resp)
			s->misplaced = true;
	} else if (saml_is(n, SG_SAML_NS_PROTOCOL, "Response") && n != c->resp) {
		s->nested_resp = true;
	} else if (saml_is(n, SG_SAML_NS_DSIG, "Signature")) {
		if (n->parent != c->resp &&
		    !(saml_is(n->parent, SG_SAML_NS_ASSERTION, "Assertion") &&
		      n->parent->parent == c->resp))
			s->bad_sig = true;
	}
	for (k = saml_first_el(n); k != NULL; k = saml_next_el(k))
		saml_shape_walk(c, k, s);
}

/* The document's shape (see the top of the file); the one assertion in
 * *as.  top is the Response, or the decrypted Assertion. */
static int
saml_check_shape(struct saml_ctx *c, xmlNodePtr top, xmlNodePtr *as)
{
	struct saml_shape s = { 0 };

	saml_shape_walk(c, top, &s);
	if (s.nested_resp || s.bad_sig ||
	    saml_count_children(c->resp, SG_SAML_NS_DSIG, "Signature") > 1 ||
	    (s.assertion != NULL &&
	     saml_count_children(s.assertion, SG_SAML_NS_DSIG, "Signature") > 1))
		return saml_fail(c, "structure", SG_SAML_ERR_SIGNATURE,
		                 "a Signature or Response in a place where none may be (wrapping)");
	/* An assertion elsewhere than as the Response's child is a copy kept
	 * where a lookup by ID might still find it: wrapping. */
	if (s.misplaced)
		return saml_fail(
		    c, "structure", SG_SAML_ERR_SIGNATURE,
		    "an assertion is not a child of the Response (signature wrapping)");
	if (s.nassert != 1)
		return saml_fail(c, "structure", SG_SAML_ERR_ASSERTION,
		                 s.nassert == 0 ? "the Response has no assertion"
		                                : "the Response holds more than one assertion");
	*as = s.assertion;
	saml_pass(c, "structure", "one assertion, signatures only in their places");
	return 0;
}

/* Parses a time attribute of n (NULL *out untouched when absent and not
 * required). */
static int
saml_time_attr(struct saml_ctx *c, xmlNodePtr n, const char *name, bool required, int64_t *out,
               const char *check)
{
	const char *v = saml_attr(c, n, name);

	if (v == NULL) {
		if (!required)
			return 0;
		return saml_fail(c, check, SG_SAML_ERR_TIME, "%s has no %s", (const char *)n->name,
		                 name);
	}
	if (saml_time_parse(v, out) < 0)
		return saml_fail(c, check, SG_SAML_ERR_TIME, "%s's %s is not a UTC xs:dateTime",
		                 (const char *)n->name, name);
	return 1;
}

/* The root: a SAML 2.0 Response with an ID and an IssueInstant. */
static int
saml_check_root(struct saml_ctx *c, struct sg_saml_identity *out)
{
	const char *v;
	int64_t t;

	c->resp = xmlDocGetRootElement(c->doc);
	if (!saml_is(c->resp, SG_SAML_NS_PROTOCOL, "Response"))
		return saml_fail(c, "response", SG_SAML_ERR_INPUT,
		                 "the root is not samlp:Response");
	v = saml_attr(c, c->resp, "Version");
	if (v == NULL || strcmp(v, "2.0") != 0)
		return saml_fail(c, "response", SG_SAML_ERR_INPUT,
		                 "the Response is not version 2.0");
	out->response_id = saml_attr(c, c->resp, "ID");
	if (out->response_id == NULL || out->response_id[0] == '\0')
		return saml_fail(c, "response", SG_SAML_ERR_INPUT, "the Response has no ID");
	if (saml_time_attr(c, c->resp, "IssueInstant", true, &t, "response") < 0)
		return -1;
	saml_pass(c, "response", "a SAML 2.0 Response");
	return 0;
}

/* Status must be Success (core 3.2.2.2); else the codes are the detail. */
static int
saml_check_status(struct saml_ctx *c)
{
	xmlNodePtr st = saml_child(c->resp, SG_SAML_NS_PROTOCOL, "Status");
	xmlNodePtr code = saml_child(st, SG_SAML_NS_PROTOCOL, "StatusCode");
	xmlNodePtr sub = saml_child(code, SG_SAML_NS_PROTOCOL, "StatusCode");
	const char *v = saml_attr(c, code, "Value"), *v2 = saml_attr(c, sub, "Value");

	if (v == NULL)
		return saml_fail(c, "status", SG_SAML_ERR_STATUS, "the Response has no StatusCode");
	if (strcmp(v, SAML_STATUS_SUCCESS) != 0)
		return saml_fail(c, "status", SG_SAML_ERR_STATUS, "status %.80s%s%.80s", v,
		                 v2 != NULL ? " / " : "", v2 != NULL ? v2 : "");
	saml_pass(c, "status", "Success");
	return 0;
}

/* An Issuer element (core 2.2.5): our IdP's entity ID, entity format. */
static int
saml_check_issuer_el(struct saml_ctx *c, xmlNodePtr el, const char *what, const char **out)
{
	xmlNodePtr is = saml_child(el, SG_SAML_NS_ASSERTION, "Issuer");
	const char *v, *fmt;

	if (is == NULL)
		return 1;
	v = saml_text(c, is);
	fmt = saml_attr(c, is, "Format");
	if (v == NULL || strcmp(v, c->t->idp_entity_id) != 0)
		return saml_fail(c, "issuer", SG_SAML_ERR_ISSUER,
		                 "the %s's Issuer is not the IdP's entity ID", what);
	if (fmt != NULL && strcmp(fmt, SAML_NAMEID_ENTITY) != 0)
		return saml_fail(c, "issuer", SG_SAML_ERR_ISSUER,
		                 "the %s's Issuer has a Format other than entity", what);
	*out = v;
	return 0;
}

/* Both Issuers: the Response's if present, the Assertion's always. */
static int
saml_check_issuers(struct saml_ctx *c, struct sg_saml_identity *out)
{
	int rc;

	if (saml_check_issuer_el(c, c->resp, "Response", &out->issuer) < 0)
		return -1;
	rc = saml_check_issuer_el(c, c->assertion, "Assertion", &out->issuer);
	if (rc < 0)
		return -1;
	if (rc > 0)
		return saml_fail(c, "issuer", SG_SAML_ERR_ISSUER, "the Assertion has no Issuer");
	saml_pass(c, "issuer", "the IdP's entity ID");
	return 0;
}

/* Destination (bindings 3.5.5.2): our ACS; required on a signed Response. */
static int
saml_check_destination(struct saml_ctx *c)
{
	const char *d = saml_attr(c, c->resp, "Destination");

	if (d == NULL && c->resp_signed)
		return saml_fail(c, "destination", SG_SAML_ERR_DESTINATION,
		                 "a signed Response has no Destination");
	if (d != NULL && strcmp(d, c->t->acs_url) != 0)
		return saml_fail(c, "destination", SG_SAML_ERR_DESTINATION,
		                 "the Destination is not our ACS URL");
	saml_pass(c, "destination", d != NULL ? "our ACS URL" : "absent (unsigned Response)");
	return 0;
}

/* InResponseTo of the Response: ours, or absent when unsolicited is ok. */
static int
saml_check_irt(struct saml_ctx *c, struct sg_saml_identity *out)
{
	const char *irt = saml_attr(c, c->resp, "InResponseTo");
	const char *want = c->t->in_response_to;

	if (irt != NULL && (want == NULL || strcmp(irt, want) != 0))
		return saml_fail(c, "in-response-to", SG_SAML_ERR_IN_RESPONSE_TO,
		                 want == NULL ? "the Response answers a request we did not send"
		                              : "the Response answers another request");
	if (irt == NULL && !c->t->allow_unsolicited)
		return saml_fail(c, "in-response-to", SG_SAML_ERR_IN_RESPONSE_TO,
		                 "unsolicited Response, and unsolicited ones are not allowed");
	out->in_response_to = irt;
	saml_pass(c, "in-response-to", irt != NULL ? "our request" : "unsolicited (allowed)");
	return 0;
}

/* Verifies the signature that is a direct child of el, if any. */
static int
saml_check_sig_of(struct saml_ctx *c, xmlNodePtr el, bool *signed_out)
{
	xmlNodePtr sig = saml_child(el, SG_SAML_NS_DSIG, "Signature");

	if (sig == NULL)
		return 0;
	if (saml_verify(c, el, sig) < 0)
		return -1;
	*signed_out = true;
	return 0;
}

/* require_signed: the signature must cover the assertion that is used. */
static int
saml_check_required(struct saml_ctx *c)
{
	bool ok;

	switch (c->t->require_signed) {
	case SG_SAML_SIGNED_ASSERTION:
		ok = c->assertion_signed;
		break;
	case SG_SAML_SIGNED_RESPONSE:
		ok = c->resp_signed;
		break;
	case SG_SAML_SIGNED_BOTH:
		ok = c->assertion_signed && c->resp_signed;
		break;
	default:
		/* A signed Response covers its one assertion (or, profiles
		 * 4.1.4.5 note, the EncryptedAssertion it was sent as). */
		ok = c->assertion_signed || c->resp_signed;
		break;
	}
	if (!ok)
		return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the signatures required are missing (Response %s, Assertion %s)",
		                 c->resp_signed ? "signed" : "unsigned",
		                 c->assertion_signed ? "signed" : "unsigned");
	return 0;
}

/* The Assertion's own attributes (core 2.3.3). */
static int
saml_check_assertion_el(struct saml_ctx *c, struct sg_saml_identity *out)
{
	const char *v = saml_attr(c, c->assertion, "Version");
	int64_t t;

	if (v == NULL || strcmp(v, "2.0") != 0)
		return saml_fail(c, "assertion", SG_SAML_ERR_ASSERTION,
		                 "the Assertion is not version 2.0");
	out->assertion_id = saml_attr(c, c->assertion, "ID");
	if (out->assertion_id == NULL || out->assertion_id[0] == '\0')
		return saml_fail(c, "assertion", SG_SAML_ERR_ASSERTION, "the Assertion has no ID");
	if (saml_time_attr(c, c->assertion, "IssueInstant", true, &t, "assertion") < 0)
		return -1;
	saml_pass(c, "assertion", "a SAML 2.0 Assertion");
	return 0;
}

/* The Subject's NameID: its whole text (a comment cannot cut it short). */
static int
saml_check_name_id(struct saml_ctx *c, xmlNodePtr subj, struct sg_saml_identity *out)
{
	xmlNodePtr id = saml_first_el(subj);

	if (subj == NULL)
		return saml_fail(c, "name-id", SG_SAML_ERR_ASSERTION,
		                 "the Assertion has no Subject");
	if (!saml_is(id, SG_SAML_NS_ASSERTION, "NameID"))
		return saml_fail(
		    c, "name-id", SG_SAML_ERR_ASSERTION,
		    "the Subject has no NameID (BaseID and EncryptedID are not supported)");
	out->name_id = saml_text(c, id);
	if (out->name_id == NULL || out->name_id[0] == '\0')
		return saml_fail(c, "name-id", SG_SAML_ERR_ASSERTION,
		                 "the NameID is empty or has child elements");
	out->name_id_format = saml_attr(c, id, "Format");
	/* SAML core 2.2.2: an SPNameQualifier names the SP the identifier was
	 * made for; one made for another SP is not ours to use. */
	{
		const char *spq = saml_attr(c, id, "SPNameQualifier");

		if (spq != NULL && strcmp(spq, c->t->sp_entity_id) != 0)
			return saml_fail(c, "name-id", SG_SAML_ERR_AUDIENCE,
			                 "the NameID was issued for another service provider");
	}
	saml_pass(c, "name-id", "present");
	return 0;
}

/* One bearer SubjectConfirmationData (profiles 4.1.4.2): -1 with err. */
static int
saml_check_scd(struct saml_ctx *c, xmlNodePtr scd, int64_t *expires)
{
	const char *rcpt = saml_attr(c, scd, "Recipient");
	const char *irt = saml_attr(c, scd, "InResponseTo");
	int64_t nb = 0, noa = 0, skew = c->t->clock_skew;
	int rc;

	if (scd == NULL)
		return saml_fail(c, "subject-confirmation", SG_SAML_ERR_ASSERTION,
		                 "the bearer confirmation has no SubjectConfirmationData");
	if (rcpt == NULL || strcmp(rcpt, c->t->acs_url) != 0)
		return saml_fail(c, "recipient", SG_SAML_ERR_DESTINATION,
		                 "the Recipient is not our ACS URL");
	if (saml_time_attr(c, scd, "NotOnOrAfter", true, &noa, "subject-confirmation") < 0)
		return -1;
	if (c->now >= noa + skew)
		return saml_fail(c, "subject-confirmation", SG_SAML_ERR_TIME,
		                 "the bearer confirmation has expired");
	rc = saml_time_attr(c, scd, "NotBefore", false, &nb, "subject-confirmation");
	if (rc < 0)
		return -1;
	if (rc > 0 && nb > c->now + skew)
		return saml_fail(c, "subject-confirmation", SG_SAML_ERR_TIME,
		                 "the bearer confirmation is not valid yet");
	if (irt != NULL && (c->t->in_response_to == NULL || strcmp(irt, c->t->in_response_to) != 0))
		return saml_fail(c, "in-response-to", SG_SAML_ERR_IN_RESPONSE_TO,
		                 "the bearer confirmation answers another request");
	*expires = noa;
	return 0;
}

/* A bearer SubjectConfirmation that holds; the first failure otherwise. */
static int
saml_check_bearer(struct saml_ctx *c, xmlNodePtr subj, struct sg_saml_identity *out)
{
	xmlNodePtr n;
	const char *m;
	struct sg_err first = { 0 };
	int64_t exp = 0;
	bool any = false;

	for (n = saml_first_el(subj); n != NULL; n = saml_next_el(n)) {
		if (!saml_is(n, SG_SAML_NS_ASSERTION, "SubjectConfirmation"))
			continue;
		m = saml_attr(c, n, "Method");
		if (m == NULL || strcmp(m, SAML_CM_BEARER) != 0)
			continue;
		if (saml_check_scd(c,
		                   saml_child(n, SG_SAML_NS_ASSERTION, "SubjectConfirmationData"),
		                   &exp) == 0) {
			if (exp > out->assertion_expires)
				out->assertion_expires = exp;
			saml_pass(c, "subject-confirmation", "bearer, our ACS, in time");
			return 0;
		}
		if (!any)
			first = *c->err;
		any = true;
	}
	if (!any)
		return saml_fail(c, "subject-confirmation", SG_SAML_ERR_ASSERTION,
		                 "the Subject has no bearer SubjectConfirmation");
	*c->err = first;
	return -1;
}

/* Conditions (core 2.5): times, and every AudienceRestriction names us. */
static int
saml_check_conditions(struct saml_ctx *c, struct sg_saml_identity *out)
{
	xmlNodePtr cond = saml_child(c->assertion, SG_SAML_NS_ASSERTION, "Conditions"), n, au;
	int64_t nb = 0, noa = 0, skew = c->t->clock_skew;
	size_t nrestr = 0;
	bool found;
	int rc;

	if (cond == NULL ||
	    saml_count_children(c->assertion, SG_SAML_NS_ASSERTION, "Conditions") > 1)
		return saml_fail(c, "audience", SG_SAML_ERR_AUDIENCE,
		                 "the Assertion needs one Conditions with an AudienceRestriction");
	if ((rc = saml_time_attr(c, cond, "NotBefore", false, &nb, "conditions")) < 0)
		return -1;
	if (rc > 0 && nb > c->now + skew)
		return saml_fail(c, "conditions", SG_SAML_ERR_TIME,
		                 "the Assertion is not valid yet");
	if ((rc = saml_time_attr(c, cond, "NotOnOrAfter", false, &noa, "conditions")) < 0)
		return -1;
	if (rc > 0 && c->now >= noa + skew)
		return saml_fail(c, "conditions", SG_SAML_ERR_TIME, "the Assertion has expired");
	if (rc > 0 && noa > out->assertion_expires)
		out->assertion_expires = noa;
	saml_pass(c, "conditions", "in time");
	for (n = saml_first_el(cond); n != NULL; n = saml_next_el(n)) {
		if (saml_is(n, SG_SAML_NS_ASSERTION, "OneTimeUse") ||
		    saml_is(n, SG_SAML_NS_ASSERTION, "ProxyRestriction"))
			continue;
		if (!saml_is(n, SG_SAML_NS_ASSERTION, "AudienceRestriction"))
			return saml_fail(c, "conditions", SG_SAML_ERR_ASSERTION,
			                 "a condition is not understood (core 2.5.1.1)");
		nrestr++;
		found = false;
		for (au = saml_first_el(n); au != NULL && !found; au = saml_next_el(au)) {
			const char *v =
			    saml_is(au, SG_SAML_NS_ASSERTION, "Audience") ? saml_text(c, au) : NULL;
			found = v != NULL && strcmp(v, c->t->sp_entity_id) == 0;
		}
		if (!found)
			return saml_fail(c, "audience", SG_SAML_ERR_AUDIENCE,
			                 "an AudienceRestriction does not name this SP");
	}
	if (nrestr == 0)
		return saml_fail(c, "audience", SG_SAML_ERR_AUDIENCE,
		                 "the Assertion has no AudienceRestriction");
	saml_pass(c, "audience", "this SP");
	return 0;
}

/* The AuthnStatement the SSO profile requires (profiles 4.1.4.2). */
static int
saml_check_authn(struct saml_ctx *c, struct sg_saml_identity *out)
{
	xmlNodePtr as = saml_child(c->assertion, SG_SAML_NS_ASSERTION, "AuthnStatement");
	int rc;

	if (as == NULL)
		return saml_fail(c, "authn-statement", SG_SAML_ERR_ASSERTION,
		                 "the Assertion has no AuthnStatement");
	if (saml_time_attr(c, as, "AuthnInstant", true, &out->authn_instant, "authn-statement") < 0)
		return -1;
	out->session_index = saml_attr(c, as, "SessionIndex");
	rc = saml_time_attr(c, as, "SessionNotOnOrAfter", false, &out->session_not_on_or_after,
	                    "authn-statement");
	if (rc < 0)
		return -1;
	if (rc > 0 && c->now >= out->session_not_on_or_after + c->t->clock_skew)
		return saml_fail(c, "authn-statement", SG_SAML_ERR_TIME,
		                 "the session's SessionNotOnOrAfter has passed");
	saml_pass(c, "authn-statement", "present");
	return 0;
}

/* One Attribute: its Name and the text of its simple AttributeValues. */
static void
saml_attr_values(struct saml_ctx *c, xmlNodePtr at, struct sg_saml_attribute *dst, size_t *total)
{
	xmlNodePtr v;
	size_t n = 0;
	const char *s;

	for (v = saml_first_el(at); v != NULL; v = saml_next_el(v))
		if (saml_is(v, SG_SAML_NS_ASSERTION, "AttributeValue"))
			n++;
	dst->values = sg_arena_alloc(c->a, (n > 0 ? n : 1) * sizeof(*dst->values));
	dst->nvalues = 0;
	for (v = saml_first_el(at); v != NULL; v = saml_next_el(v)) {
		if (!saml_is(v, SG_SAML_NS_ASSERTION, "AttributeValue"))
			continue;
		s = saml_text(c, v);
		if (s != NULL) /* complex values (child elements) are skipped */
			dst->values[dst->nvalues++] = s;
	}
	*total += n;
}

/* Every Attribute of every AttributeStatement, bounded. */
static int
saml_collect_attrs(struct saml_ctx *c, struct sg_saml_identity *out)
{
	xmlNodePtr st, at;
	size_t n = 0, total = 0;

	for (st = saml_first_el(c->assertion); st != NULL; st = saml_next_el(st))
		if (saml_is(st, SG_SAML_NS_ASSERTION, "AttributeStatement"))
			n += saml_count_children(st, SG_SAML_NS_ASSERTION, "Attribute");
	if (n > SG_SAML_MAX_ATTRS)
		return saml_fail(c, "attributes", SG_SAML_ERR_ASSERTION, "too many attributes");
	out->attrs = sg_arena_alloc(c->a, (n > 0 ? n : 1) * sizeof(*out->attrs));
	for (st = saml_first_el(c->assertion); st != NULL; st = saml_next_el(st)) {
		if (!saml_is(st, SG_SAML_NS_ASSERTION, "AttributeStatement"))
			continue;
		for (at = saml_first_el(st); at != NULL; at = saml_next_el(at)) {
			struct sg_saml_attribute *dst = &out->attrs[out->nattrs];

			if (!saml_is(at, SG_SAML_NS_ASSERTION, "Attribute"))
				continue;
			dst->name = saml_attr(c, at, "Name");
			if (dst->name == NULL)
				continue;
			/* One name, one attribute: with two, which one is meant
			 * would be the consumer's guess (a group list, a user id). */
			for (size_t i = 0; i < out->nattrs; i++)
				if (strcmp(out->attrs[i].name, dst->name) == 0)
					return saml_fail(c, "attributes", SG_SAML_ERR_ASSERTION,
					                 "the attribute %s is given twice",
					                 dst->name);
			saml_attr_values(c, at, dst, &total);
			if (total > SG_SAML_MAX_VALUES)
				return saml_fail(c, "attributes", SG_SAML_ERR_ASSERTION,
				                 "too many attribute values");
			out->nattrs++;
		}
	}
	saml_pass(c, "attributes", "%zu attributes", out->nattrs);
	return 0;
}

/* Decrypts the assertion if it came encrypted, then checks its subtree
 * as the document was checked. */
static int
saml_open_assertion(struct saml_ctx *c, xmlNodePtr as)
{
	xmlNodePtr dec;

	if (saml_is(as, SG_SAML_NS_ASSERTION, "Assertion")) {
		c->assertion = as;
		return 0;
	}
	if (saml_decrypt(c, as, &dec) < 0)
		return -1;
	c->was_encrypted = true;
	c->assertion = dec;
	if (saml_tree_check(c, dec, 2) < 0)
		return -1;
	return saml_check_shape(c, dec, &as);
}

/* Everything after parsing, in the order of the top comment. */
static int
saml_validate_tree(struct saml_ctx *c, struct sg_saml_identity *out)
{
	xmlNodePtr as = NULL, subj;

	if (saml_check_root(c, out) < 0 || saml_check_status(c) < 0 ||
	    saml_check_shape(c, c->resp, &as) < 0)
		return -1;
	/* The Response's signature covers what it holds as it was sent (the
	 * EncryptedAssertion): check it before decryption changes the tree. */
	if (saml_check_sig_of(c, c->resp, &c->resp_signed) < 0 || saml_open_assertion(c, as) < 0 ||
	    saml_check_sig_of(c, c->assertion, &c->assertion_signed) < 0 ||
	    saml_check_required(c) < 0)
		return -1;
	if (saml_check_issuers(c, out) < 0 || saml_check_destination(c) < 0 ||
	    saml_check_irt(c, out) < 0 || saml_check_assertion_el(c, out) < 0)
		return -1;
	subj = saml_child(c->assertion, SG_SAML_NS_ASSERTION, "Subject");
	if (saml_check_name_id(c, subj, out) < 0 || saml_check_bearer(c, subj, out) < 0 ||
	    saml_check_conditions(c, out) < 0 || saml_check_authn(c, out) < 0 ||
	    saml_collect_attrs(c, out) < 0)
		return -1;
	return 0;
}

int
sg_saml_validate_response(const char *b64, size_t len, const struct sg_saml_trust *t, int64_t now,
                          struct sg_arena *a, struct sg_saml_identity *out, struct sg_err *err,
                          sg_saml_check_cb check, void *check_arg)
{
	struct saml_ctx c = {
		.t = t, .now = now, .a = a, .err = err, .check = check, .check_arg = check_arg
	};
	struct sg_buf xml = { 0 };
	char errbuf[160];
	int rc = -1, drc;

	memset(out, 0, sizeof(*out));
	err->code = 0;
	err->detail[0] = '\0';
	saml_errors_begin(errbuf, sizeof(errbuf));
	drc = saml_base64_decode(b64, len, t->max_size, &xml);
	if (drc < 0) {
		saml_fail(&c, "parse", SG_SAML_ERR_INPUT,
		          drc == -2 ? "the SAMLResponse is larger than the limit"
		                    : "the SAMLResponse is not base64");
		goto out;
	}
	c.ids = xmlHashCreate(64);
	if (c.ids == NULL)
		sg_fatal("out of memory in xmlHashCreate");
	if (saml_parse(&c, xml.data != NULL ? xml.data : "", xml.len) < 0 ||
	    saml_tree_check(&c, xmlDocGetRootElement(c.doc), 1) < 0)
		goto out;
	saml_pass(&c, "parse", "well-formed, no DTD, %zu nodes", c.nodes);
	rc = saml_validate_tree(&c, out);
out:
	if (c.doc != NULL)
		xmlFreeDoc(c.doc);
	if (c.ids != NULL)
		xmlHashFree(c.ids, NULL);
	if (xml.data != NULL)
		sg_wipe(xml.data, xml.len);
	sg_buf_free(&xml);
	saml_errors_end();
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}
