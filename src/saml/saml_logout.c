/*
 * saml_logout.c - SAML 2.0 Single Logout for the SP (SAML core 3.7,
 * profiles 4.4, bindings 3.4 HTTP-Redirect and 3.5 HTTP-POST), both ways.
 *
 * Out: the SP's LogoutRequest (SP-initiated logout) and its LogoutResponse
 * to an IdP's LogoutRequest, written as text with every value escaped and
 * sent over HTTP-Redirect, signed over the query (saml_request.c).
 *
 * In: the IdP's LogoutRequest or LogoutResponse over either binding.  With
 * HTTP-Redirect the raw query is split once (a parameter given twice, or
 * one of ours with a percent-encoded name, is refused: two readers could
 * see two messages) and its Signature checked over the octets as received
 * (bindings 3.4.4.1) before anything is inflated; the XML must then hold no
 * ds:Signature, which that binding strips (a second, embedded signature
 * would be a second opinion on the same message).  With HTTP-POST the
 * root's enveloped signature is checked by saml_dsig.c as a Response's is,
 * and a Signature anywhere else, or a logout message nested in the root
 * (a signed copy kept for a lookup by ID), is wrapping.  Then both: the
 * root's name and Version, ID, IssueInstant within the clock skew of now
 * and at most ten minutes old, Issuer, Destination (required when signed,
 * bindings 3.4.5.2 and 3.5.5.2); for a request NotOnOrAfter, exactly one
 * NameID (an EncryptedID decrypted with the SP key) read whole, and its
 * SessionIndexes; for a response its StatusCode and InResponseTo.
 *
 * It does not look sessions up, match InResponseTo against the request we
 * sent, remember IDs against replay, or read a POST form's RelayState: the
 * caller does.  It never logs and never reads the clock.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/hash.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/evp.h>

#include "saml_int.h"

#define SAML_LOGOUT_TTL 300     /* our requests' NotOnOrAfter: now + 5 minutes */
#define SAML_LOGOUT_MAX_AGE 600 /* an older IssueInstant (past the skew) is refused */
#define SAML_LOGOUT_MAX_SESSIONS 64
#define SAML_RELAY_STATE_MAX 80 /* bindings 3.4.3 */
#define SAML_QSIG_MAX 2048      /* decoded Signature bytes (RSA up to 16384 bits) */
#define SAML_STATUS "urn:oasis:names:tc:SAML:2.0:status:"
#define SAML_STATUS_SUCCESS SAML_STATUS "Success"
#define SAML_NAMEID_ENTITY "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
#define SAML_DSIG_MORE "http://www.w3.org/2001/04/xmldsig-more#"

/* ---- what the SP sends ---- */

/* Checks what both messages of ours need before anything is built. */
static int
saml_logout_out_check(const char *issuer, const char *dest, const char *relay_state,
                      struct sg_err *err)
{
	if (issuer == NULL || dest == NULL)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "the SP entity ID and the IdP's SLO URL are required");
	if (strchr(dest, '#') != NULL)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "the IdP's SLO URL has a fragment: no query can follow it");
	if (relay_state != NULL && strlen(relay_state) > SAML_RELAY_STATE_MAX)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "the RelayState is longer than %d bytes (bindings 3.4.3)",
		                  SAML_RELAY_STATE_MAX);
	return 0;
}

/* Writes the LogoutRequest (core 3.7.1) with ID rid into xml. */
static int
saml_logout_request_xml(const struct sg_saml_logout_request *r, const char *rid, struct sg_buf *xml,
                        struct sg_err *err)
{
	char noa[32];
	int bad = 0;

	if (saml_msg_open(xml, "LogoutRequest", rid, r->now, r->idp_slo_url, err) < 0)
		return -1;
	if (saml_time_format(r->now + SAML_LOGOUT_TTL, noa) < 0)
		return sg_err_set(err, SG_SAML_ERR_INPUT, "the current time cannot be written");
	sg_buf_printf(xml, " NotOnOrAfter=\"%s\">", noa);
	bad |= saml_issuer_el(xml, r->sp_entity_id);
	sg_buf_puts(xml, "<saml:NameID");
	if (r->name_qualifier != NULL)
		bad |= saml_xml_attr(xml, "NameQualifier", r->name_qualifier);
	if (r->sp_name_qualifier != NULL)
		bad |= saml_xml_attr(xml, "SPNameQualifier", r->sp_name_qualifier);
	if (r->name_id_format != NULL)
		bad |= saml_xml_attr(xml, "Format", r->name_id_format);
	sg_buf_puts(xml, ">");
	bad |= saml_xml_escape(xml, r->name_id);
	sg_buf_puts(xml, "</saml:NameID>");
	if (r->session_index != NULL) {
		sg_buf_puts(xml, "<samlp:SessionIndex>");
		bad |= saml_xml_escape(xml, r->session_index);
		sg_buf_puts(xml, "</samlp:SessionIndex>");
	}
	sg_buf_puts(xml, "</samlp:LogoutRequest>");
	if (bad)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "a value of the LogoutRequest holds a control character");
	return 0;
}

/* Builds the LogoutRequest and its HTTP-Redirect URL (see saml.h). */
int
sg_saml_logout_request_redirect(const struct sg_saml_logout_request *r, struct sg_arena *a,
                                const char **id, const char **url, struct sg_err *err)
{
	char rid[SG_SAML_ID_LEN];
	struct sg_buf xml = { 0 };
	int rc = -1;

	if (saml_logout_out_check(r->sp_entity_id, r->idp_slo_url, r->relay_state, err) < 0)
		return -1;
	if (r->name_id == NULL || r->name_id[0] == '\0')
		return sg_err_set(err, SG_SAML_ERR_INPUT, "the session's NameID is required");
	saml_msg_id(rid);
	if (saml_logout_request_xml(r, rid, &xml, err) < 0 ||
	    saml_redirect_url(r->idp_slo_url, "SAMLRequest", xml.data, xml.len, r->relay_state,
	                      r->sign_key, a, url, err) < 0)
		goto out;
	*id = sg_arena_strdup(a, rid);
	rc = 0;
out:
	sg_buf_free(&xml);
	return rc;
}

/* The StatusCode of our LogoutResponse: Success by default, else one of
 * the top-level codes of core 3.2.2.2 (a second-level one alone is not a
 * valid top-level code); NULL if s is not one. */
static const char *
saml_logout_status_out(const char *s)
{
	static const char *const top[] = { "Success", "Requester", "Responder", "VersionMismatch" };
	size_t i, n = strlen(SAML_STATUS);

	if (s == NULL)
		return SAML_STATUS_SUCCESS;
	for (i = 0; i < SG_NELEM(top); i++)
		if (strncmp(s, SAML_STATUS, n) == 0 && strcmp(s + n, top[i]) == 0)
			return s;
	return NULL;
}

/* Writes the LogoutResponse (core 3.7.2, StatusResponseType 3.2.2) with ID
 * rid into xml. */
static int
saml_logout_response_xml(const struct sg_saml_logout_response *r, const char *rid,
                         const char *status, struct sg_buf *xml, struct sg_err *err)
{
	int bad = 0;

	if (saml_msg_open(xml, "LogoutResponse", rid, r->now, r->idp_slo_url, err) < 0)
		return -1;
	bad |= saml_xml_attr(xml, "InResponseTo", r->in_response_to);
	sg_buf_puts(xml, ">");
	bad |= saml_issuer_el(xml, r->sp_entity_id);
	sg_buf_printf(xml, "<samlp:Status><samlp:StatusCode Value=\"%s\"/></samlp:Status>", status);
	sg_buf_puts(xml, "</samlp:LogoutResponse>");
	if (bad)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "a value of the LogoutResponse holds a control character");
	return 0;
}

/* Builds the LogoutResponse and its HTTP-Redirect URL (see saml.h). */
int
sg_saml_logout_response_redirect(const struct sg_saml_logout_response *r, struct sg_arena *a,
                                 const char **url, struct sg_err *err)
{
	char rid[SG_SAML_ID_LEN];
	struct sg_buf xml = { 0 };
	const char *status = saml_logout_status_out(r->status);
	int rc = -1;

	if (saml_logout_out_check(r->sp_entity_id, r->idp_slo_url, r->relay_state, err) < 0)
		return -1;
	if (r->in_response_to == NULL || r->in_response_to[0] == '\0')
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "the ID of the LogoutRequest answered is required");
	if (status == NULL)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "the status is not a top-level SAML StatusCode (core 3.2.2.2)");
	saml_msg_id(rid);
	if (saml_logout_response_xml(r, rid, status, &xml, err) < 0 ||
	    saml_redirect_url(r->idp_slo_url, "SAMLResponse", xml.data, xml.len, r->relay_state,
	                      r->sign_key, a, url, err) < 0)
		goto out;
	rc = 0;
out:
	sg_buf_free(&xml);
	return rc;
}

/* ---- what the SP receives ---- */

/* One received message's state, passed between the steps. */
struct saml_logout_rx {
	struct saml_ctx c;
	struct sg_saml_trust t; /* the logout trust as saml_dsig.c reads it */
	const struct sg_saml_logout_trust *lt;
	struct sg_saml_logout_message *out;
	xmlNodePtr root;
	bool is_request;
	bool redirect; /* HTTP-Redirect: any signature is the query's */
	bool sig_ok;   /* a signature verified with an IdP key */
};

/* Sets up x for one message; -1 with err when the trust lacks what every
 * check needs. */
static int
saml_logout_begin(struct saml_logout_rx *x, const struct sg_saml_logout_trust *lt, int64_t now,
                  struct sg_arena *a, struct sg_saml_logout_message *out, struct sg_err *err)
{
	memset(x, 0, sizeof(*x));
	memset(out, 0, sizeof(*out));
	err->code = 0;
	err->detail[0] = '\0';
	x->lt = lt;
	x->out = out;
	x->t.idp_entity_id = lt->idp_entity_id;
	x->t.idp_keys = lt->idp_keys;
	x->t.sp_keys = lt->sp_keys;
	x->t.allow_sha1 = lt->allow_sha1;
	x->t.clock_skew = lt->clock_skew;
	x->t.max_size = lt->max_size;
	x->c.t = &x->t;
	x->c.now = now;
	x->c.a = a;
	x->c.err = err;
	if (lt->idp_entity_id == NULL || lt->slo_url == NULL)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "the IdP entity ID and our SLO URL are needed to check a logout "
		                  "message");
	return 0;
}

/* Frees what x holds; the result rc, with out cleared on failure. */
static int
saml_logout_end(struct saml_logout_rx *x, int rc)
{
	if (x->c.doc != NULL)
		xmlFreeDoc(x->c.doc);
	if (x->c.ids != NULL)
		xmlHashFree(x->c.ids, NULL);
	if (rc < 0)
		memset(x->out, 0, sizeof(*x->out));
	return rc;
}

/* Parses the decoded XML with the hardened parser and walks its tree once
 * (depth, node count and kinds, duplicate IDs). */
static int
saml_logout_parse(struct saml_logout_rx *x, const char *xml, size_t len)
{
	x->c.ids = xmlHashCreate(64);
	if (x->c.ids == NULL)
		sg_fatal("out of memory in xmlHashCreate");
	if (saml_parse(&x->c, xml, len) < 0 ||
	    saml_tree_check(&x->c, xmlDocGetRootElement(x->c.doc), 1) < 0)
		return -1;
	x->root = xmlDocGetRootElement(x->c.doc);
	return 0;
}

/* The root: the message expected (a request where a request was sent),
 * SAML 2.0, with an ID that "#ID" resolves to (registered here, as no
 * schema says which attribute is an ID). */
static int
saml_logout_root(struct saml_logout_rx *x)
{
	const char *want = x->is_request ? "LogoutRequest" : "LogoutResponse";
	const char *v = saml_attr(&x->c, x->root, "Version");
	const char *id = saml_attr(&x->c, x->root, "ID");
	xmlAttrPtr at = xmlHasNsProp(x->root, (const xmlChar *)"ID", NULL);

	if (!saml_is(x->root, SG_SAML_NS_PROTOCOL, want))
		return saml_fail(&x->c, "message", SG_SAML_ERR_INPUT, "the root is not samlp:%s",
		                 want);
	if (v == NULL || strcmp(v, "2.0") != 0)
		return saml_fail(&x->c, "message", SG_SAML_ERR_INPUT, "the %s is not version 2.0",
		                 want);
	if (id == NULL || id[0] == '\0' || at == NULL)
		return saml_fail(&x->c, "message", SG_SAML_ERR_INPUT, "the %s has no ID", want);
	if (xmlGetID(x->c.doc, (const xmlChar *)id) == NULL &&
	    xmlAddID(NULL, x->c.doc, (const xmlChar *)id, at) == NULL)
		return saml_fail(&x->c, "message", SG_SAML_ERR_INPUT,
		                 "the ID cannot be registered");
	x->out->is_request = x->is_request;
	x->out->id = id;
	return 0;
}

/* True when n or its subtree holds a Signature in a place none may be, or
 * a logout message or assertion below the root (see the top comment). */
static bool
saml_logout_misplaced(struct saml_logout_rx *x, xmlNodePtr n)
{
	xmlNodePtr k;

	if (saml_is(n, SG_SAML_NS_DSIG, "Signature") && (x->redirect || n->parent != x->root))
		return true;
	if (n != x->root && (saml_is(n, SG_SAML_NS_PROTOCOL, "LogoutRequest") ||
	                     saml_is(n, SG_SAML_NS_PROTOCOL, "LogoutResponse") ||
	                     saml_is(n, SG_SAML_NS_ASSERTION, "Assertion")))
		return true;
	for (k = saml_first_el(n); k != NULL; k = saml_next_el(k))
		if (saml_logout_misplaced(x, k))
			return true;
	return false;
}

/* The structure: signatures only where the binding puts them. */
static int
saml_logout_shape(struct saml_logout_rx *x)
{
	if (x->redirect && saml_logout_misplaced(x, x->root))
		return saml_fail(
		    &x->c, "structure", SG_SAML_ERR_SIGNATURE,
		    "an HTTP-Redirect message holds a ds:Signature or a nested message "
		    "(bindings 3.4.4.1: its signature is the query's)");
	if (saml_logout_misplaced(x, x->root) ||
	    saml_count_children(x->root, SG_SAML_NS_DSIG, "Signature") > 1)
		return saml_fail(&x->c, "structure", SG_SAML_ERR_SIGNATURE,
		                 "a Signature or message in a place where none may be (wrapping)");
	return 0;
}

/* A request must be signed (profiles 4.4.4.1: the requester authenticates
 * itself, or anyone could end anyone's session); a response when the trust
 * says so. */
static int
saml_logout_sig_required(struct saml_logout_rx *x)
{
	if (x->sig_ok)
		return 0;
	if (x->is_request)
		return saml_fail(&x->c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the LogoutRequest is not signed");
	if (x->lt->require_signed_response)
		return saml_fail(&x->c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the LogoutResponse is not signed, and a signature is required");
	return 0;
}

/* HTTP-POST: the root's own enveloped signature, if any (saml_dsig.c). */
static int
saml_logout_post_sig(struct saml_logout_rx *x)
{
	xmlNodePtr sig = saml_child(x->root, SG_SAML_NS_DSIG, "Signature");

	if (sig != NULL) {
		if (saml_verify(&x->c, x->root, sig) < 0)
			return -1;
		x->sig_ok = true;
	}
	return saml_logout_sig_required(x);
}

/* The Issuer (profiles 4.4.4.1, 4.4.4.2: required): one, the IdP's entity
 * ID, entity format. */
static int
saml_logout_issuer(struct saml_logout_rx *x)
{
	xmlNodePtr is = saml_child(x->root, SG_SAML_NS_ASSERTION, "Issuer");
	const char *v, *fmt;

	if (is == NULL || saml_count_children(x->root, SG_SAML_NS_ASSERTION, "Issuer") != 1)
		return saml_fail(&x->c, "issuer", SG_SAML_ERR_ISSUER,
		                 "the message needs exactly one Issuer (profiles 4.4.4)");
	v = saml_text(&x->c, is);
	fmt = saml_attr(&x->c, is, "Format");
	if (v == NULL || strcmp(v, x->lt->idp_entity_id) != 0)
		return saml_fail(&x->c, "issuer", SG_SAML_ERR_ISSUER,
		                 "the Issuer is not the IdP's entity ID");
	if (fmt != NULL && strcmp(fmt, SAML_NAMEID_ENTITY) != 0)
		return saml_fail(&x->c, "issuer", SG_SAML_ERR_ISSUER,
		                 "the Issuer has a Format other than entity");
	x->out->issuer = v;
	return 0;
}

/* Destination (bindings 3.4.5.2, 3.5.5.2): our SLO URL; required when the
 * message is signed, so that a signed message cannot be replayed to
 * another SP that trusts the same IdP. */
static int
saml_logout_destination(struct saml_logout_rx *x)
{
	const char *d = saml_attr(&x->c, x->root, "Destination");

	if (d == NULL && x->sig_ok)
		return saml_fail(&x->c, "destination", SG_SAML_ERR_DESTINATION,
		                 "a signed message has no Destination");
	if (d != NULL && strcmp(d, x->lt->slo_url) != 0)
		return saml_fail(&x->c, "destination", SG_SAML_ERR_DESTINATION,
		                 "the Destination is not our SLO URL");
	return 0;
}

/* Reads the time attribute name of the root into *t: 0, 1 when absent, -1
 * with err when it is not a UTC xs:dateTime. */
static int
saml_logout_time_attr(struct saml_logout_rx *x, const char *name, int64_t *t)
{
	const char *v = saml_attr(&x->c, x->root, name);

	if (v == NULL)
		return 1;
	if (saml_time_parse(v, t) < 0)
		return saml_fail(&x->c, "time", SG_SAML_ERR_TIME, "%s is not a UTC xs:dateTime",
		                 name);
	return 0;
}

/* IssueInstant: present, not from the future beyond the skew, not older
 * than SAML_LOGOUT_MAX_AGE (a logout is acted on at once); a request's
 * NotOnOrAfter, when present, not passed (core 3.7.1). */
static int
saml_logout_times(struct saml_logout_rx *x)
{
	int64_t t = 0, skew = x->lt->clock_skew, now = x->c.now;
	int rc = saml_logout_time_attr(x, "IssueInstant", &t);

	if (rc < 0)
		return -1;
	if (rc > 0)
		return saml_fail(&x->c, "time", SG_SAML_ERR_TIME,
		                 "the message has no IssueInstant");
	if (t > now + skew)
		return saml_fail(&x->c, "time", SG_SAML_ERR_TIME,
		                 "the IssueInstant is in the future");
	if (t + SAML_LOGOUT_MAX_AGE + skew < now)
		return saml_fail(&x->c, "time", SG_SAML_ERR_TIME,
		                 "the IssueInstant is more than %d minutes old",
		                 SAML_LOGOUT_MAX_AGE / 60);
	if (!x->is_request)
		return 0;
	rc = saml_logout_time_attr(x, "NotOnOrAfter", &t);
	if (rc < 0)
		return -1;
	if (rc == 0 && now >= t + skew)
		return saml_fail(&x->c, "time", SG_SAML_ERR_TIME,
		                 "the LogoutRequest has expired (NotOnOrAfter)");
	x->out->not_on_or_after = rc == 0 ? t : 0;
	return 0;
}

/* The request's identifier element: its NameID, or the NameID its
 * EncryptedID holds (core 3.7.1, 2.2.4), decrypted in place. */
static int
saml_logout_id_el(struct saml_logout_rx *x, xmlNodePtr *id)
{
	size_t nn = saml_count_children(x->root, SG_SAML_NS_ASSERTION, "NameID");
	size_t ne = saml_count_children(x->root, SG_SAML_NS_ASSERTION, "EncryptedID");

	if (saml_child(x->root, SG_SAML_NS_ASSERTION, "BaseID") != NULL)
		return saml_fail(&x->c, "name-id", SG_SAML_ERR_INPUT,
		                 "the LogoutRequest names a BaseID, which no session has");
	if (nn + ne != 1)
		return saml_fail(&x->c, "name-id", SG_SAML_ERR_INPUT,
		                 "the LogoutRequest needs exactly one NameID or EncryptedID");
	if (nn == 1) {
		*id = saml_child(x->root, SG_SAML_NS_ASSERTION, "NameID");
		return 0;
	}
	if (x->lt->sp_keys == NULL)
		return saml_fail(&x->c, "decrypt", SG_SAML_ERR_DECRYPT,
		                 "the NameID is encrypted and no SP key is configured");
	if (saml_decrypt_element(&x->c, saml_child(x->root, SG_SAML_NS_ASSERTION, "EncryptedID"),
	                         SG_SAML_NS_ASSERTION, "NameID", id) < 0)
		return saml_fail(&x->c, "decrypt", SG_SAML_ERR_DECRYPT,
		                 "the EncryptedID cannot be decrypted with the SP key");
	return saml_tree_check(&x->c, *id, 2);
}

/* The NameID: its whole text (a comment cannot cut it short) and its
 * attributes. */
static int
saml_logout_name_id(struct saml_logout_rx *x)
{
	xmlNodePtr id = NULL;

	if (saml_logout_id_el(x, &id) < 0)
		return -1;
	x->out->name_id = saml_text(&x->c, id);
	if (x->out->name_id == NULL || x->out->name_id[0] == '\0')
		return saml_fail(&x->c, "name-id", SG_SAML_ERR_INPUT,
		                 "the NameID is empty or has child elements");
	x->out->name_id_format = saml_attr(&x->c, id, "Format");
	x->out->name_qualifier = saml_attr(&x->c, id, "NameQualifier");
	x->out->sp_name_qualifier = saml_attr(&x->c, id, "SPNameQualifier");
	return 0;
}

/* The request's SessionIndexes (none: every session of the NameID). */
static int
saml_logout_sessions(struct saml_logout_rx *x)
{
	size_t n = saml_count_children(x->root, SG_SAML_NS_PROTOCOL, "SessionIndex");
	xmlNodePtr k;
	const char *s;

	if (n > SAML_LOGOUT_MAX_SESSIONS)
		return saml_fail(&x->c, "session-index", SG_SAML_ERR_INPUT,
		                 "the LogoutRequest has more than %d SessionIndexes",
		                 SAML_LOGOUT_MAX_SESSIONS);
	x->out->session_indexes = sg_arena_alloc(x->c.a, (n > 0 ? n : 1) * sizeof(const char *));
	for (k = saml_first_el(x->root); k != NULL; k = saml_next_el(k)) {
		if (!saml_is(k, SG_SAML_NS_PROTOCOL, "SessionIndex"))
			continue;
		s = saml_text(&x->c, k);
		if (s == NULL || s[0] == '\0')
			return saml_fail(&x->c, "session-index", SG_SAML_ERR_INPUT,
			                 "a SessionIndex is empty or has child elements");
		x->out->session_indexes[x->out->nsession_indexes++] = s;
	}
	return 0;
}

/* The response's top-level StatusCode (core 3.2.2.2) and InResponseTo; a
 * status other than Success is reported, not refused. */
static int
saml_logout_status_in(struct saml_logout_rx *x)
{
	xmlNodePtr st = saml_child(x->root, SG_SAML_NS_PROTOCOL, "Status");
	xmlNodePtr code = saml_child(st, SG_SAML_NS_PROTOCOL, "StatusCode");
	const char *v = saml_attr(&x->c, code, "Value");

	if (v == NULL || v[0] == '\0')
		return saml_fail(&x->c, "status", SG_SAML_ERR_STATUS,
		                 "the LogoutResponse has no StatusCode");
	x->out->status = v;
	x->out->success = strcmp(v, SAML_STATUS_SUCCESS) == 0;
	x->out->in_response_to = saml_attr(&x->c, x->root, "InResponseTo");
	return 0;
}

/* Every check on the parsed message, in the order of the top comment. */
static int
saml_logout_check(struct saml_logout_rx *x)
{
	if (saml_logout_root(x) < 0 || saml_logout_shape(x) < 0)
		return -1;
	if (!x->redirect && saml_logout_post_sig(x) < 0)
		return -1;
	x->out->is_signed = x->sig_ok;
	if (saml_logout_issuer(x) < 0 || saml_logout_destination(x) < 0 || saml_logout_times(x) < 0)
		return -1;
	if (x->is_request)
		return saml_logout_name_id(x) < 0 || saml_logout_sessions(x) < 0 ? -1 : 0;
	return saml_logout_status_in(x);
}

/* ---- HTTP-Redirect ---- */

/* The parameters of the Redirect binding, as raw (still encoded) spans. */
enum { Q_REQUEST, Q_RESPONSE, Q_RELAY, Q_SIGALG, Q_SIG, Q_N };
static const char *const saml_qnames[Q_N] = { "SAMLRequest", "SAMLResponse", "RelayState", "SigAlg",
	                                      "Signature" };
struct saml_span {
	const char *p;
	size_t n;
	bool set;
};

/* The value of a hex digit, or -1. */
static int
saml_hex(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* s[0..n) form-decoded ('+' a space, %XX) into the arena; NULL on a stray
 * '%' or a NUL, encoded or not. */
static char *
saml_url_decode(struct sg_arena *a, const char *s, size_t n)
{
	char *out = sg_arena_alloc(a, n + 1), *o = out;
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (n - i < 3)
				return NULL;
			hi = saml_hex((unsigned char)s[i + 1]);
			lo = saml_hex((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return NULL;
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else if (s[i] == '\0') {
			return NULL;
		} else {
			*o++ = s[i] == '+' ? ' ' : s[i];
		}
	}
	*o = '\0';
	return out;
}

/* Files the pair name[=value] (raw spans) under its parameter, if it is one
 * of ours.  -1 with err on a bad name, a repeat, or no value. */
static int
saml_query_pair(struct saml_logout_rx *x, const char *p, size_t nlen, const char *eq,
                const char *pend, struct saml_span sp[Q_N])
{
	const char *name = saml_url_decode(x->c.a, p, nlen);
	size_t i;

	if (name == NULL)
		return saml_fail(&x->c, "query", SG_SAML_ERR_INPUT,
		                 "a query parameter's name is badly percent-encoded");
	for (i = 0; i < Q_N; i++) {
		if (strcmp(name, saml_qnames[i]) != 0)
			continue;
		/* Encoded, the name would be one thing to us and maybe another
		 * to a reader that does not decode names. */
		if (nlen != strlen(name))
			return saml_fail(&x->c, "query", SG_SAML_ERR_INPUT,
			                 "the parameter %s has a percent-encoded name", name);
		if (sp[i].set)
			return saml_fail(&x->c, "query", SG_SAML_ERR_INPUT,
			                 "the parameter %s is given twice", name);
		if (eq == NULL)
			return saml_fail(&x->c, "query", SG_SAML_ERR_INPUT,
			                 "the parameter %s has no value", name);
		sp[i].p = eq + 1;
		sp[i].n = (size_t)(pend - eq - 1);
		sp[i].set = true;
	}
	return 0;
}

/* Splits the raw query on '&' (each pair once, in order) into sp; exactly
 * one SAMLRequest or SAMLResponse. */
static int
saml_query_split(struct saml_logout_rx *x, const char *q, size_t len, struct saml_span sp[Q_N])
{
	const char *p = q, *end = q + len, *amp, *pend, *eq;

	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		pend = amp != NULL ? amp : end;
		eq = memchr(p, '=', (size_t)(pend - p));
		if (pend > p &&
		    saml_query_pair(x, p, (size_t)((eq != NULL ? eq : pend) - p), eq, pend, sp) < 0)
			return -1;
		p = pend + (amp != NULL);
	}
	if (sp[Q_REQUEST].set == sp[Q_RESPONSE].set)
		return saml_fail(&x->c, "query", SG_SAML_ERR_INPUT,
		                 "the query must hold exactly one SAMLRequest or SAMLResponse");
	x->is_request = sp[Q_REQUEST].set;
	return 0;
}

/* The RelayState, decoded, at most 80 bytes (bindings 3.4.3). */
static int
saml_query_relay(struct saml_logout_rx *x, const struct saml_span sp[Q_N])
{
	const char *rs;

	if (!sp[Q_RELAY].set)
		return 0;
	rs = saml_url_decode(x->c.a, sp[Q_RELAY].p, sp[Q_RELAY].n);
	if (rs == NULL)
		return saml_fail(&x->c, "query", SG_SAML_ERR_INPUT,
		                 "the RelayState is badly percent-encoded");
	if (strlen(rs) > SAML_RELAY_STATE_MAX)
		return saml_fail(&x->c, "query", SG_SAML_ERR_INPUT,
		                 "the RelayState is longer than %d bytes (bindings 3.4.3)",
		                 SAML_RELAY_STATE_MAX);
	x->out->relay_state = rs;
	return 0;
}

/* A signature algorithm of the query: its URI, digest and key type. */
struct saml_qsig_alg {
	const char *uri;
	const EVP_MD *(*md)(void);
	int key_type;
	bool sha1;
};

static const struct saml_qsig_alg saml_qsig_algs[] = {
	{ SAML_DSIG_MORE "rsa-sha256", EVP_sha256, EVP_PKEY_RSA, false },
	{ SAML_DSIG_MORE "rsa-sha384", EVP_sha384, EVP_PKEY_RSA, false },
	{ SAML_DSIG_MORE "rsa-sha512", EVP_sha512, EVP_PKEY_RSA, false },
	{ SAML_DSIG_MORE "ecdsa-sha256", EVP_sha256, EVP_PKEY_EC, false },
	{ SAML_DSIG_MORE "ecdsa-sha384", EVP_sha384, EVP_PKEY_EC, false },
	{ SAML_DSIG_MORE "ecdsa-sha512", EVP_sha512, EVP_PKEY_EC, false },
	{ SG_SAML_NS_DSIG "rsa-sha1", EVP_sha1, EVP_PKEY_RSA, true },
	{ SAML_DSIG_MORE "ecdsa-sha1", EVP_sha1, EVP_PKEY_EC, true },
};

/* The algorithm named uri, or NULL (unknown, or SHA-1 when not allowed). */
static const struct saml_qsig_alg *
saml_qsig_alg_find(const char *uri, bool allow_sha1)
{
	size_t i;

	for (i = 0; uri != NULL && i < SG_NELEM(saml_qsig_algs); i++)
		if (strcmp(uri, saml_qsig_algs[i].uri) == 0)
			return saml_qsig_algs[i].sha1 && !allow_sha1 ? NULL : &saml_qsig_algs[i];
	return NULL;
}

/* An ECDSA signature in XML Signature's form, r || s of the curve's size
 * each (RFC 4050 3.3; some IdPs use it in the query too), as the DER form
 * OpenSSL verifies: *der (OPENSSL_malloc'd) and *dlen.  -1 if sig does not
 * have that size. */
static int
saml_ecdsa_der(EVP_PKEY *pk, const struct sg_buf *sig, unsigned char **der, size_t *dlen)
{
	size_t half = ((size_t)EVP_PKEY_bits(pk) + 7) / 8;
	ECDSA_SIG *es;
	BIGNUM *r, *s;
	int n;

	*der = NULL;
	if (half == 0 || sig->len != 2 * half)
		return -1;
	es = ECDSA_SIG_new();
	r = BN_bin2bn((const unsigned char *)sig->data, (int)half, NULL);
	s = BN_bin2bn((const unsigned char *)sig->data + half, (int)half, NULL);
	if (es == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return -1;
	}
	n = i2d_ECDSA_SIG(es, der);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return -1;
	*dlen = (size_t)n;
	return 0;
}

/* One verification of sig over msg with pk; the key must be of the kind
 * the algorithm names. */
static bool
saml_qsig_verify_with(EVP_PKEY *pk, const struct saml_qsig_alg *alg, const struct sg_buf *msg,
                      const struct sg_buf *sig)
{
	EVP_MD_CTX *md;
	unsigned char *der = NULL;
	size_t dlen = 0;
	bool ok = false;

	if (pk == NULL || EVP_PKEY_base_id(pk) != alg->key_type)
		return false;
	md = EVP_MD_CTX_new();
	if (md == NULL)
		sg_fatal("out of memory in EVP_MD_CTX_new");
	/* RSA's default padding in OpenSSL is PKCS#1 v1.5, as rsa-shaN means. */
	if (EVP_DigestVerifyInit(md, NULL, alg->md(), NULL, pk) == 1)
		ok = EVP_DigestVerify(md, (const unsigned char *)sig->data, sig->len,
		                      (const unsigned char *)msg->data, msg->len) == 1;
	if (!ok && alg->key_type == EVP_PKEY_EC && saml_ecdsa_der(pk, sig, &der, &dlen) == 0 &&
	    EVP_DigestVerifyInit(md, NULL, alg->md(), NULL, pk) == 1)
		ok = EVP_DigestVerify(md, der, dlen, (const unsigned char *)msg->data, msg->len) ==
		     1;
	OPENSSL_free(der);
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

/* Appends the octets the signature covers (bindings 3.4.4.1): the message
 * parameter, RelayState when present and SigAlg, in that order, each
 * value exactly as it came (not decoded and encoded again). */
static void
saml_qsig_octets(const struct saml_span sp[Q_N], struct sg_buf *b)
{
	int m = sp[Q_REQUEST].set ? Q_REQUEST : Q_RESPONSE;

	sg_buf_printf(b, "%s=", saml_qnames[m]);
	sg_buf_append(b, sp[m].p, sp[m].n);
	if (sp[Q_RELAY].set) {
		sg_buf_puts(b, "&RelayState=");
		sg_buf_append(b, sp[Q_RELAY].p, sp[Q_RELAY].n);
	}
	sg_buf_puts(b, "&SigAlg=");
	sg_buf_append(b, sp[Q_SIGALG].p, sp[Q_SIGALG].n);
}

/* Verifies sig over msg with each IdP key in turn. */
static int
saml_qsig_keys(struct saml_logout_rx *x, const struct saml_qsig_alg *alg, const struct sg_buf *msg,
               const struct sg_buf *sig)
{
	const struct sg_saml_keys *k = x->lt->idp_keys;
	size_t i;

	if (k == NULL || k->n == 0)
		return saml_fail(&x->c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "no IdP key is configured");
	for (i = 0; i < k->n; i++) {
		if (saml_qsig_verify_with(
		        xmlSecOpenSSLEvpKeyDataGetEvp(xmlSecKeyGetValue(k->keys[i])), alg, msg,
		        sig)) {
			x->sig_ok = true;
			return 0;
		}
	}
	return saml_fail(&x->c, "signature", SG_SAML_ERR_SIGNATURE,
	                 "the query's signature does not verify with any IdP key");
}

/* The query's signature, when there is one (SigAlg and Signature go
 * together), checked before anything of the message is decoded. */
static int
saml_query_verify(struct saml_logout_rx *x, const struct saml_span sp[Q_N])
{
	struct sg_buf msg = { 0 }, sig = { 0 };
	const struct saml_qsig_alg *alg;
	const char *v;
	int rc = -1;

	if (!sp[Q_SIG].set && !sp[Q_SIGALG].set)
		return 0;
	if (!sp[Q_SIG].set || !sp[Q_SIGALG].set)
		return saml_fail(&x->c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "SigAlg and Signature must come together");
	v = saml_url_decode(x->c.a, sp[Q_SIGALG].p, sp[Q_SIGALG].n);
	alg = saml_qsig_alg_find(v, x->lt->allow_sha1);
	if (alg == NULL)
		return saml_fail(&x->c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the signature algorithm (SigAlg) is not allowed");
	v = saml_url_decode(x->c.a, sp[Q_SIG].p, sp[Q_SIG].n);
	if (v == NULL || saml_base64_decode(v, strlen(v), SAML_QSIG_MAX, &sig) < 0 ||
	    sig.len == 0) {
		saml_fail(&x->c, "signature", SG_SAML_ERR_SIGNATURE,
		          "the Signature is not base64, or too long");
		goto out;
	}
	saml_qsig_octets(sp, &msg);
	rc = saml_qsig_keys(x, alg, &msg, &sig);
out:
	sg_buf_free(&msg);
	sg_buf_free(&sig);
	return rc;
}

/* The message parameter: URL-decoded, base64, bounded INFLATE, parsed. */
static int
saml_query_xml(struct saml_logout_rx *x, const struct saml_span sp[Q_N])
{
	const struct saml_span *m = &sp[x->is_request ? Q_REQUEST : Q_RESPONSE];
	const char *v = saml_url_decode(x->c.a, m->p, m->n), *xml = NULL;
	size_t n = 0;

	if (v == NULL)
		return saml_fail(&x->c, "parse", SG_SAML_ERR_INPUT,
		                 "the message is badly percent-encoded");
	if (sg_saml_redirect_decode(v, strlen(v), x->lt->max_size, x->c.a, &xml, &n, x->c.err) < 0)
		return -1;
	return saml_logout_parse(x, xml, n);
}

/* Checks a logout message received over HTTP-Redirect (see saml.h). */
int
sg_saml_logout_receive_redirect(const char *query, size_t len, const struct sg_saml_logout_trust *t,
                                int64_t now, struct sg_arena *a, struct sg_saml_logout_message *out,
                                struct sg_err *err)
{
	struct saml_logout_rx x;
	struct saml_span sp[Q_N];
	char errbuf[160];
	int rc = -1;

	memset(sp, 0, sizeof(sp));
	if (saml_logout_begin(&x, t, now, a, out, err) < 0)
		return -1;
	x.redirect = true;
	saml_errors_begin(errbuf, sizeof(errbuf));
	if (saml_query_split(&x, query, len, sp) < 0 || saml_query_relay(&x, sp) < 0 ||
	    saml_query_verify(&x, sp) < 0 || saml_logout_sig_required(&x) < 0 ||
	    saml_query_xml(&x, sp) < 0)
		goto out;
	rc = saml_logout_check(&x);
out:
	saml_errors_end();
	return saml_logout_end(&x, rc);
}

/* ---- HTTP-POST ---- */

/* Checks a logout message received over HTTP-POST (see saml.h). */
int
sg_saml_logout_receive_post(const char *b64, size_t len, bool is_request,
                            const struct sg_saml_logout_trust *t, int64_t now, struct sg_arena *a,
                            struct sg_saml_logout_message *out, struct sg_err *err)
{
	struct saml_logout_rx x;
	struct sg_buf xml = { 0 };
	char errbuf[160];
	int rc = -1, drc;

	if (saml_logout_begin(&x, t, now, a, out, err) < 0)
		return -1;
	x.is_request = is_request;
	saml_errors_begin(errbuf, sizeof(errbuf));
	drc = saml_base64_decode(b64, len, t->max_size, &xml);
	if (drc < 0) {
		saml_fail(&x.c, "parse", SG_SAML_ERR_INPUT,
		          drc == -2 ? "the message is larger than the limit"
		                    : "the message is not base64");
		goto out;
	}
	if (saml_logout_parse(&x, xml.data != NULL ? xml.data : "", xml.len) < 0)
		goto out;
	rc = saml_logout_check(&x);
out:
	sg_buf_free(&xml);
	saml_errors_end();
	return saml_logout_end(&x, rc);
}
