/*
 * saml_int.h - the SAML module's internals: the key set, the per-thread
 * collector of libxml2/xmlsec error messages, the hardened parser, the
 * signature and decryption steps, and the small tree helpers the response
 * checks share.  Only the saml module (and its unit tests) include it.
 */
#ifndef SG_SAML_INT_H
#define SG_SAML_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/hash.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <xmlsec/keys.h>

#include "lib.h"
#include "saml.h"

#define SG_SAML_NS_PROTOCOL "urn:oasis:names:tc:SAML:2.0:protocol"
#define SG_SAML_NS_ASSERTION "urn:oasis:names:tc:SAML:2.0:assertion"
#define SG_SAML_NS_DSIG "http://www.w3.org/2000/09/xmldsig#"
#define SG_SAML_NS_XENC "http://www.w3.org/2001/04/xmlenc#"
#define SG_SAML_NS_METADATA "urn:oasis:names:tc:SAML:2.0:metadata"

/* Bounds on untrusted XML (besides trust->max_size on its bytes). */
#define SG_SAML_MAX_DEPTH 64
#define SG_SAML_MAX_NODES 20000
#define SG_SAML_MAX_ATTRS 256
#define SG_SAML_MAX_VALUES 1024 /* AttributeValues in all */
#define SG_SAML_MAX_ENC_KEYS 4

/* A shared, read-only set of xmlsec keys (public or private). */
struct sg_saml_keys {
	int refs; /* atomic */
	xmlSecKeyPtr *keys;
	size_t n;
};

/* One validation's state, passed between the steps. */
struct saml_ctx {
	const struct sg_saml_trust *t;
	int64_t now;
	struct sg_arena *a;
	struct sg_err *err;
	sg_saml_check_cb check;
	void *check_arg;
	xmlDocPtr doc;
	xmlHashTablePtr ids; /* every ID-like attribute value seen */
	size_t nodes;        /* nodes counted by saml_tree_check */
	xmlNodePtr resp;
	xmlNodePtr assertion;
	bool resp_signed;      /* the Response's signature verified */
	bool assertion_signed; /* the Assertion's own signature verified */
	bool was_encrypted;
};

/* saml.c: libxml2/xmlsec messages go to the calling thread's buffer (the
 * last one wins), never to stderr. */
void saml_errors_begin(char *buf, size_t n);
void saml_errors_end(void);
/* The collected message ("" if none). */
const char *saml_errors_last(void);

/* Reports a passed check to the callback. */
void saml_pass(struct saml_ctx *c, const char *check, const char *fmt, ...) SG_PRINTF(3, 4);
/* Reports a failed check and fills c->err; returns -1. */
int saml_fail(struct saml_ctx *c, const char *check, int code, const char *fmt, ...)
    SG_PRINTF(4, 5);

/* saml_keys.c */
/* The private key of an SP key set (sg_saml_keys_from_key_file), borrowed
 * from the set (valid while it is referenced); NULL if it holds none. */
EVP_PKEY *saml_keys_private(const struct sg_saml_keys *k);
/* Adds to k the public key of every certificate in the PEM text (len
 * bytes); what names the text in errs.  -1 if it holds none, or one whose
 * key xmlsec cannot use. */
int saml_keys_add_pem(struct sg_saml_keys *k, const char *pem, size_t len, const char *what,
                      struct sg_errlist *errs);

/* saml_parse.c */
/* Decodes base64 (white space skipped, padding strict) into out, at most max
 * bytes; -2 past max, -1 on anything else. */
int saml_base64_decode(const char *s, size_t n, size_t max, struct sg_buf *out);
/* Parses the XML with entities, DTDs and the network off; c->doc on 0. */
int saml_parse(struct saml_ctx *c, const char *xml, size_t len);
/* Checks depth, node count and node kinds of the subtree at n, and records
 * (and for Response/Assertion registers) its ID attributes, refusing a
 * value seen twice (a signature error: "#ID" would be ambiguous).  depth is
 * that of n. */
int saml_tree_check(struct saml_ctx *c, xmlNodePtr n, int depth);
/* Parses xs:dateTime in UTC ("Z" or "+00:00", optional fraction). */
int saml_time_parse(const char *s, int64_t *out);

/* Tree helpers. */
bool saml_is(const xmlNode *n, const char *ns, const char *name);
xmlNodePtr saml_first_el(xmlNodePtr parent);
xmlNodePtr saml_next_el(xmlNodePtr n);
/* The first element child named ns:name, or NULL. */
xmlNodePtr saml_child(xmlNodePtr parent, const char *ns, const char *name);
size_t saml_count_children(xmlNodePtr parent, const char *ns, const char *name);
/* An unqualified attribute's value, copied into the arena, or NULL. */
const char *saml_attr(struct saml_ctx *c, xmlNodePtr n, const char *name);
/* The concatenated text of n's text children; NULL if n has element
 * children or the text is too long. */
const char *saml_text(struct saml_ctx *c, xmlNodePtr n);

/* saml_dsig.c */
/* Verifies the signature sig, a direct child of el, with the IdP keys;
 * it must be an enveloped signature over exactly el. */
int saml_verify(struct saml_ctx *c, xmlNodePtr el, xmlNodePtr sig);
/* Decrypts the EncryptedAssertion enc with the SP key and replaces it in
 * the tree with the Assertion it holds (*out). */
int saml_decrypt(struct saml_ctx *c, xmlNodePtr enc, xmlNodePtr *out);

/* saml_sign.c */
/* Appends to out the message xml (len bytes, written by us: an ID on the
 * root, saml:Issuer its first child) with an enveloped RSA-SHA256
 * signature of its root by the SP key set k placed after the Issuer
 * (core 5.4; with the SP certificate in KeyInfo when k holds it).  0, or
 * -1 with err (SG_SAML_ERR_SIGNATURE). */
int saml_sign_enveloped(const struct sg_saml_keys *k, const char *xml, size_t len,
                        struct sg_buf *out, struct sg_err *err);

/* saml_parse.c: s XML-escaped for text and quoted attributes; -1 when a
 * control character had to be left out. */
int saml_xml_escape(struct sg_buf *out, const char *s);

/* saml_request.c: what every message of ours shares (the AuthnRequest's and
 * saml_logout.c's). */
/* The size of a message ID of ours: "_", 32 hex digits, NUL. */
#define SG_SAML_ID_LEN 34
/* Writes a fresh random message ID (core 1.3.4: an NCName, 128 bits). */
void saml_msg_id(char rid[SG_SAML_ID_LEN]);
/* Appends ` name="value"` with value escaped; -1 as saml_xml_escape. */
int saml_xml_attr(struct sg_buf *out, const char *name, const char *value);
/* Writes t as xs:dateTime in UTC without fraction (core 1.3.3); -1 if the
 * year has no four-digit form. */
int saml_time_format(int64_t t, char out[32]);
/* Opens the root element root of a message of ours: namespaces, ID,
 * Version, IssueInstant (now) and Destination (dest); the caller adds its
 * other attributes and closes the tag.  -1 with err. */
int saml_msg_open(struct sg_buf *xml, const char *root, const char *id, int64_t now,
                  const char *dest, struct sg_err *err);
/* Appends <saml:Issuer> with issuer escaped; -1 on a control character. */
int saml_issuer_el(struct sg_buf *xml, const char *issuer);
/* The HTTP-Redirect URL (bindings 3.4.4.1) of the message xml of ours:
 * base, "?" or "&", param (SAMLRequest or SAMLResponse) = the URL-encoded
 * base64 of its raw DEFLATE, RelayState when not NULL, and with key SigAlg
 * and an RSA-SHA256 Signature over that query as sent.  *url in a.  0, or
 * -1 with err. */
int saml_redirect_url(const char *base, const char *param, const char *xml, size_t len,
                      const char *relay_state, const struct sg_saml_keys *key, struct sg_arena *a,
                      const char **url, struct sg_err *err);

/* saml_dsig.c: decrypts enc (an EncryptedElementType, core 6.1: an
 * EncryptedAssertion, an EncryptedID) with the SP key and puts the one
 * element ns:name it holds in its place in the tree (*out).  -1 (err not
 * set: every failure reads the same to the caller). */
int saml_decrypt_element(struct saml_ctx *c, xmlNodePtr enc, const char *ns, const char *name,
                         xmlNodePtr *out);

#endif
