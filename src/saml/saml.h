/*
 * saml.h - the SAML 2.0 service provider's protocol code, sans I/O: bytes,
 * the trust settings, the current time and an arena in; a result, or an
 * error with the check that failed, out.  The only module that touches
 * libxml2 and xmlsec1.
 *
 * This header starts with the security core, the validation of a
 * <samlp:Response> received at the ACS (SAML core 2.0, profiles 4.1.4):
 * XML parsed with DTDs, entities and network access off and size and depth
 * bounded; the signature checked with the IdP's keys only, on the very
 * element that is consumed (no XML signature wrapping); the Status,
 * Issuer, Destination, SubjectConfirmation, Conditions, Audience,
 * InResponseTo and times checked; encrypted assertions decrypted with the
 * SP's key first.
 */
#ifndef SG_SAML_H
#define SG_SAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib.h"

/* Process-wide setup of libxml2 and xmlsec (once, before any thread uses
 * them) and teardown at exit.  0, or -1 with errs. */
int sg_saml_init(struct sg_errlist *errs);
void sg_saml_shutdown(void);

/*
 * A set of keys: the IdP's signing certificates (every one of them is
 * accepted, for rollover), or the SP's own key pair.  Built once from PEM
 * files or PEM text, shared read-only by every thread, refcounted so that
 * a metadata refresh can replace a set while validations use the old one.
 */
struct sg_saml_keys;
/* The certificates in the PEM files (each may hold several). */
struct sg_saml_keys *sg_saml_keys_from_cert_files(const char *const *paths, size_t n,
                                                  struct sg_errlist *errs);
/* The SP's private key (PEM) and its certificate (PEM), for decryption. */
struct sg_saml_keys *sg_saml_keys_from_key_file(const char *key_path, const char *cert_path,
                                                struct sg_errlist *errs);
struct sg_saml_keys *sg_saml_keys_ref(struct sg_saml_keys *k);
void sg_saml_keys_unref(struct sg_saml_keys *k);

enum sg_saml_require_signed {
	SG_SAML_SIGNED_EITHER,    /* Response or Assertion; accepted only when the
	                             signature covers the assertion that is used */
	SG_SAML_SIGNED_ASSERTION, /* the Assertion itself */
	SG_SAML_SIGNED_RESPONSE,  /* the Response (which contains the assertion) */
	SG_SAML_SIGNED_BOTH,
};

/* What a Response must match. */
struct sg_saml_trust {
	const char *idp_entity_id; /* the Issuer expected */
	const struct sg_saml_keys *idp_keys;
	const struct sg_saml_keys *sp_keys; /* decryption; NULL: no encrypted assertions */
	const char *sp_entity_id;           /* the Audience expected */
	const char *acs_url;                /* Destination and Recipient expected */
	int require_signed;                 /* enum sg_saml_require_signed */
	bool allow_sha1;                    /* RSA-SHA1 / SHA-1 digests (legacy IdPs only) */
	int64_t clock_skew;                 /* seconds of tolerance on every time check */
	const char *in_response_to;         /* our AuthnRequest's ID; NULL: unsolicited */
	bool allow_unsolicited;             /* a Response without InResponseTo may be used */
	size_t max_size;                    /* decoded XML larger than this is refused */
};

struct sg_saml_attribute {
	const char *name;    /* the Name, as sent (a claim URI or a plain name) */
	const char **values; /* text content of each AttributeValue */
	size_t nvalues;
};

/* What a valid Response says (strings in the caller's arena). */
struct sg_saml_identity {
	const char *issuer;
	const char *response_id;
	const char *assertion_id;   /* for the replay cache */
	int64_t assertion_expires;  /* the latest NotOnOrAfter: keep the replay mark so long */
	const char *in_response_to; /* NULL when unsolicited */
	const char *name_id;        /* the whole text content (comments cannot cut it) */
	const char *name_id_format;
	const char *session_index;       /* AuthnStatement's, or NULL */
	int64_t authn_instant;           /* AuthnStatement's AuthnInstant, or 0 */
	int64_t session_not_on_or_after; /* AuthnStatement's, or 0 */
	struct sg_saml_attribute *attrs;
	size_t nattrs;
};

/* Each check as it is made, for the troubleshooting tool (--check-saml-
 * response): name ("signature", "audience"...), passed, and a detail. */
typedef void (*sg_saml_check_cb)(void *arg, const char *check, bool passed, const char *detail);

/* Error codes in sg_err.code: which class of check failed. */
enum sg_saml_error {
	SG_SAML_ERR_INPUT = 1, /* not base64, too large, not well-formed, DTD/entities */
	SG_SAML_ERR_STATUS,    /* Status is not Success */
	SG_SAML_ERR_SIGNATURE, /* missing, wrong key, wrong algorithm, wrapping, digest */
	SG_SAML_ERR_ISSUER,
	SG_SAML_ERR_DESTINATION, /* Destination or Recipient */
	SG_SAML_ERR_AUDIENCE,
	SG_SAML_ERR_TIME,           /* NotBefore/NotOnOrAfter, SubjectConfirmationData */
	SG_SAML_ERR_IN_RESPONSE_TO, /* mismatch, or unsolicited when not allowed */
	SG_SAML_ERR_ASSERTION,      /* none, several, no bearer confirmation, no subject */
	SG_SAML_ERR_DECRYPT,
};

/*
 * Validates a SAMLResponse as posted to the ACS (base64 of the XML, as the
 * HTTP-POST binding carries it; white space in the base64 is allowed).
 * 0 with out filled, or -1 with err (code: enum sg_saml_error, detail: a
 * sentence for the log and the admin, never the assertion's content).
 * check, if not NULL, hears every check made.
 */
int sg_saml_validate_response(const char *b64, size_t len, const struct sg_saml_trust *t,
                              int64_t now, struct sg_arena *a, struct sg_saml_identity *out,
                              struct sg_err *err, sg_saml_check_cb check, void *check_arg);

/*
 * The Issuer a received message names (a Response's, else its first
 * Assertion's; a logout message's), read with the same hardened parser but
 * NOT validated: only to pick which of several IdPs' settings validate it.
 * b64 is the HTTP-POST value, or the HTTP-Redirect one when deflated.
 * 0 with *issuer (NULL when none is there), or -1 when it cannot be read.
 */
int sg_saml_peek_issuer(const char *b64, size_t len, bool deflated, size_t max, struct sg_arena *a,
                        const char **issuer);

/* ---- metadata (SAML metadata 2.0) ---- */

/* What an IdP's metadata says (strings in the caller's arena). */
struct sg_saml_idp_metadata {
	const char *entity_id;
	const char *sso_redirect_url; /* SingleSignOnService, HTTP-Redirect; NULL: none */
	const char *sso_post_url;     /* SingleSignOnService, HTTP-POST; NULL: none (one of
	                                 the two is always there) */
	const char *slo_redirect_url; /* SingleLogoutService, HTTP-Redirect; NULL: none */
	const char *slo_response_url; /* that SingleLogoutService's ResponseLocation, or NULL
	                                 (then responses go to slo_redirect_url) */
	const char **signing_certs;   /* PEM text of every signing certificate */
	size_t ncerts;
	int64_t valid_until; /* validUntil, or 0 when absent */
};

/*
 * Reads IdP metadata: an EntityDescriptor with an IDPSSODescriptor (or an
 * EntitiesDescriptor holding exactly one such entity, or the one whose
 * entityID is want_entity_id when not NULL), as Keycloak, Entra ID
 * (federationmetadata.xml) and ADFS publish it.  The same hardened parser
 * as responses (no DTD, no network, bounded).  Signing certificates are the
 * KeyDescriptors with use="signing" or no use.  A SingleSignOnService with
 * the HTTP-Redirect or the HTTP-POST binding is required.  0, or -1 with
 * err.
 */
int sg_saml_idp_metadata_parse(const char *xml, size_t len, const char *want_entity_id,
                               struct sg_arena *a, struct sg_saml_idp_metadata *out,
                               struct sg_err *err);
/* An IdP key set from the PEM texts (as the metadata gives them). */
struct sg_saml_keys *sg_saml_keys_from_cert_pems(const char *const *pems, size_t n,
                                                 struct sg_errlist *errs);

/* What the SP publishes. */
struct sg_saml_sp_info {
	const char *entity_id;
	const char *acs_url;  /* HTTP-POST */
	const char *slo_url;  /* HTTP-Redirect and HTTP-POST */
	const char *cert_pem; /* PEM text of the SP certificate, or NULL */
	bool want_assertions_signed;
	bool authn_requests_signed;
};
/* The SP's metadata document (an EntityDescriptor with an SPSSODescriptor:
 * ACS, SLO, KeyDescriptors for signing and encryption when a certificate
 * is given), appended to out. */
void sg_saml_sp_metadata(const struct sg_saml_sp_info *sp, struct sg_buf *out);

/* ---- the SP's requests (SAML core 3.4, bindings 3.4 HTTP-Redirect, 3.5 HTTP-POST) ---- */

struct sg_saml_authn_request {
	const char *sp_entity_id;            /* our Issuer */
	const char *acs_url;                 /* AssertionConsumerServiceURL (HTTP-POST binding) */
	const char *idp_sso_url;             /* Destination, and where the browser is sent */
	const char *name_id_format;          /* NameIDPolicy Format; NULL: none asked for */
	bool force_authn;                    /* step-up: the IdP must authenticate again */
	const char *relay_state;             /* opaque, at most 80 bytes (bindings 3.4.3) */
	const struct sg_saml_keys *sign_key; /* the SP's key (RSA-SHA256): SigAlg/Signature
	                                        (Redirect), ds:Signature (POST); NULL:
	                                        unsigned */
	int64_t now;
	/* RequestedAuthnContext (core 3.3.2.2.1) */
	const char *const *authn_context; /* AuthnContextClassRef values; 0: none asked for */
	size_t nauthn_context;
	const char *authn_context_comparison; /* exact|minimum|maximum|better; NULL: exact
	                                         (omitted); unused without classes */
};

/*
 * Builds an AuthnRequest with a fresh random ID and the HTTP-Redirect URL
 * that carries it (bindings 3.4.4.1: raw DEFLATE, base64, URL-encoded, with
 * RelayState, and SigAlg and Signature over the query when signing).
 * *id and *url in a.  0, or -1 with err.
 */
int sg_saml_authn_redirect(const struct sg_saml_authn_request *r, struct sg_arena *a,
                           const char **id, const char **url, struct sg_err *err);

/*
 * Builds an AuthnRequest with a fresh random ID for the HTTP-POST binding
 * (bindings 3.5.4): *saml_request is the base64 (one line) of the XML, for
 * the caller's auto-submitting form that posts SAMLRequest and RelayState
 * to r->idp_sso_url.  With r->sign_key the request carries an enveloped
 * XML signature (core 5.4: RSA-SHA256, SHA-256, exclusive c14n) after its
 * Issuer.  *id and *saml_request in a.  0, or -1 with err.
 */
int sg_saml_authn_post(const struct sg_saml_authn_request *r, struct sg_arena *a, const char **id,
                       const char **saml_request, struct sg_err *err);

/* Decodes a SAMLRequest/SAMLResponse value of the HTTP-Redirect binding
 * (URL-decoded already): base64, then raw INFLATE bounded by max bytes.
 * *xml NUL-terminated in a.  0, or -1 with err (SG_SAML_ERR_INPUT). */
int sg_saml_redirect_decode(const char *b64, size_t len, size_t max, struct sg_arena *a,
                            const char **xml, size_t *xml_len, struct sg_err *err);

/* ---- single logout (SAML core 3.7, profiles 4.4, bindings 3.4 and 3.5) ---- */

/* What the SP sends: a LogoutRequest (SP-initiated logout) over HTTP-Redirect. */
struct sg_saml_logout_request {
	const char *sp_entity_id;   /* Issuer */
	const char *idp_slo_url;    /* Destination; the URL the browser is sent to */
	const char *name_id;        /* the session's NameID, as the assertion gave it */
	const char *name_id_format; /* NULL: none */
	/* The assertion's NameQualifier and SPNameQualifier, echoed; NULL: none. */
	const char *name_qualifier, *sp_name_qualifier;
	const char *session_index;           /* NULL: none */
	const char *relay_state;             /* opaque, <= 80 bytes (bindings 3.4.3) */
	const struct sg_saml_keys *sign_key; /* SP key: SigAlg+Signature (RSA-SHA256); NULL
	                                        unsigned */
	int64_t now;
};
/*
 * Builds the LogoutRequest (core 3.7.1: a fresh random ID, IssueInstant now,
 * NotOnOrAfter now + 5 minutes, the NameID and SessionIndex) and the
 * HTTP-Redirect URL that carries it (deflate, base64, SAMLRequest,
 * RelayState, SigAlg, Signature).  *id and *url in a.  0, or -1 with err.
 */
int sg_saml_logout_request_redirect(const struct sg_saml_logout_request *r, struct sg_arena *a,
                                    const char **id, const char **url, struct sg_err *err);

/* What the SP answers to an IdP's LogoutRequest: a LogoutResponse over HTTP-Redirect. */
struct sg_saml_logout_response {
	const char *sp_entity_id;   /* Issuer */
	const char *idp_slo_url;    /* Destination: the IdP's SLO ResponseLocation (or Location) */
	const char *in_response_to; /* the LogoutRequest's ID */
	/* NULL: urn:...:status:Success; else a top-level StatusCode URI (Requester,
	 * Responder, VersionMismatch: core 3.2.2.2). */
	const char *status;
	const char *relay_state; /* echoed from the request, or NULL */
	const struct sg_saml_keys *sign_key;
	int64_t now;
};
/* Builds the LogoutResponse (core 3.7.2) and its HTTP-Redirect URL (as
 * above, with SAMLResponse).  *url in a.  0, or -1 with err. */
int sg_saml_logout_response_redirect(const struct sg_saml_logout_response *r, struct sg_arena *a,
                                     const char **url, struct sg_err *err);

/* What a received logout message must match. */
struct sg_saml_logout_trust {
	const char *idp_entity_id;           /* Issuer expected (required) */
	const struct sg_saml_keys *idp_keys; /* the IdP's signing keys (never a key in the
	                                        message) */
	const struct sg_saml_keys *sp_keys;  /* to decrypt an EncryptedID; NULL: refused */
	const char *slo_url; /* our SLO URL (required): Destination, when present, must
	                        equal it; when the message is signed it must be present
	                        (bindings 3.4.5.2, 3.5.5.2) */
	bool allow_sha1;
	int64_t clock_skew;           /* seconds */
	bool require_signed_response; /* a LogoutResponse must be signed too (a
	                                 LogoutRequest ALWAYS must be) */
	size_t max_size;              /* decoded XML bound */
};
/* A received LogoutRequest or LogoutResponse (strings in the arena). */
struct sg_saml_logout_message {
	bool is_request; /* LogoutRequest; else LogoutResponse */
	const char *id;
	const char *issuer;
	const char *relay_state; /* Redirect: from the query; POST: NULL (the caller reads
	                            the form) */
	bool is_signed;          /* a signature was verified (always, for a request) */
	/* LogoutRequest */
	const char *name_id; /* whole text content (comments cannot cut it) */
	const char *name_id_format;
	const char *name_qualifier, *sp_name_qualifier; /* NULL when absent */
	const char **session_indexes;
	size_t nsession_indexes;
	int64_t not_on_or_after; /* 0 if absent */
	/* LogoutResponse */
	const char *in_response_to; /* NULL when absent */
	const char *status;         /* the top-level StatusCode Value */
	bool success;               /* status is Success */
};
/*
 * HTTP-Redirect binding: query is the raw query string (after '?', still
 * percent-encoded) as received.  Exactly one SAMLRequest or SAMLResponse,
 * no parameter twice; the Signature (when present) is checked over the raw
 * octets "SAMLRequest=..&RelayState=..&SigAlg=.." (bindings 3.4.4.1: in
 * that order, the values as they appear in the query, not re-encoded) with
 * the IdP keys, RSA-SHA256/384/512 and ECDSA-SHA256/384/512 (DER or r||s);
 * RSA-SHA1 and ECDSA-SHA1 only if allow_sha1.  The XML must hold no
 * ds:Signature.  0 with out filled, or -1 with err (enum sg_saml_error).
 */
int sg_saml_logout_receive_redirect(const char *query, size_t len,
                                    const struct sg_saml_logout_trust *t, int64_t now,
                                    struct sg_arena *a, struct sg_saml_logout_message *out,
                                    struct sg_err *err);
/*
 * HTTP-POST binding: b64 is the form's SAMLRequest (is_request) or
 * SAMLResponse value; the root must carry an enveloped signature over
 * itself, checked as a Response's is (exactly one Reference to the root's
 * ID, enveloped + exclusive c14n only, IdP keys only, duplicate IDs and
 * signatures elsewhere refused).  0 with out filled, or -1 with err.
 */
int sg_saml_logout_receive_post(const char *b64, size_t len, bool is_request,
                                const struct sg_saml_logout_trust *t, int64_t now,
                                struct sg_arena *a, struct sg_saml_logout_message *out,
                                struct sg_err *err);

#endif
