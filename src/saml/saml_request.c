/*
 * saml_request.c - the SP's AuthnRequest (SAML core 2.0 3.4.1) and the
 * HTTP-Redirect binding (SAML bindings 2.0 3.4.4.1) both ways: the request
 * is written as text with every interpolated value escaped, raw-DEFLATEd,
 * base64-encoded and URL-encoded into the IdP's SSO URL, with RelayState
 * and, when the SP signs, SigAlg and an RSA-SHA256 Signature over the query
 * exactly as sent.  For the HTTP-POST binding (bindings 3.5.4) the same
 * request is base64 of the XML, with the signature enveloped in it
 * (saml_sign.c).  The decoder takes a URL-decoded SAMLRequest or
 * SAMLResponse value back to XML with the inflated size bounded: a zip bomb
 * stops at the bound and never costs more memory than it.
 *
 * It neither parses nor validates the decoded XML (the caller does, with
 * the hardened parser), and it reads no clock: the issue time is the
 * caller's.  Standard base64 here (RFC 4648 4, with padding), not lib's
 * base64url.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "http.h"
#include "saml_int.h"

#define SAML_RELAY_STATE_MAX 80 /* bindings 3.4.3 */
#define SAML_ID_BYTES 16        /* 128 random bits, 32 hex digits */
/* An ID's size: "_", the digits, NUL. */
#define SAML_ID_LEN (1 + 2 * SAML_ID_BYTES + 1)
#define SAML_INFLATE_CHUNK 16384
#define SAML_BINDING_POST "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
#define SAML_SIGALG_RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

static const char saml_b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Appends the standard base64 of p (RFC 4648 4, padded) to out. */
static void
saml_b64_encode(const void *p, size_t n, struct sg_buf *out)
{
	const unsigned char *in = p;
	char q[4];
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		unsigned long v =
		    (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];

		q[0] = saml_b64_alphabet[v >> 18];
		q[1] = saml_b64_alphabet[(v >> 12) & 63];
		q[2] = saml_b64_alphabet[(v >> 6) & 63];
		q[3] = saml_b64_alphabet[v & 63];
		sg_buf_append(out, q, 4);
	}
	if (n - i == 0)
		return;
	q[0] = saml_b64_alphabet[in[i] >> 2];
	if (n - i == 1) {
		q[1] = saml_b64_alphabet[(in[i] & 3) << 4];
		q[2] = '=';
	} else {
		q[1] = saml_b64_alphabet[(in[i] & 3) << 4 | in[i + 1] >> 4];
		q[2] = saml_b64_alphabet[(in[i + 1] & 15) << 2];
	}
	q[3] = '=';
	sg_buf_append(out, q, 4);
}

/* The 6-bit value of a standard base64 character, or -1. */
static int
saml_b64_char(unsigned char ch)
{
	const char *p;

	if (ch == '\0')
		return -1;
	p = strchr(saml_b64_alphabet, ch);
	return p != NULL ? (int)(p - saml_b64_alphabet) : -1;
}

/*
 * Decodes strict standard base64 into out: whole quanta only, "=" only as
 * the padding of the last one, no white space, and the unused bits of the
 * last quantum zero (every encoder writes them so; one input, one reading).
 * 0 or -1.
 */
static int
saml_b64_decode_strict(const char *s, size_t n, struct sg_buf *out)
{
	unsigned char b[3];
	int v[4];
	size_t i, j, pad;

	if (n == 0 || n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		pad = 0;
		for (j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == n && j >= 2) {
				pad++;
				v[j] = 0;
				continue;
			}
			v[j] = saml_b64_char((unsigned char)s[i + j]);
			if (v[j] < 0 || pad > 0)
				return -1;
		}
		if ((pad == 1 && (v[2] & 3) != 0) || (pad == 2 && (v[1] & 15) != 0))
			return -1;
		b[0] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		b[1] = (unsigned char)(v[1] << 4 | v[2] >> 2);
		b[2] = (unsigned char)(v[2] << 6 | v[3]);
		sg_buf_append(out, b, 3 - pad);
	}
	return 0;
}

/* Appends ` name="value"` with value escaped (see saml_int.h). */
int
saml_xml_attr(struct sg_buf *out, const char *name, const char *value)
{
	sg_buf_printf(out, " %s=\"", name);
	if (saml_xml_escape(out, value) < 0)
		return -1;
	sg_buf_puts(out, "\"");
	return 0;
}

/* Opens the root element of a message of ours (see saml_int.h). */
int
saml_msg_open(struct sg_buf *xml, const char *root, const char *id, int64_t now, const char *dest,
              struct sg_err *err)
{
	char instant[32];

	if (saml_time_format(now, instant) < 0)
		return sg_err_set(err, SG_SAML_ERR_INPUT, "the current time cannot be written");
	sg_buf_printf(xml,
	              "<samlp:%s xmlns:samlp=\"" SG_SAML_NS_PROTOCOL
	              "\" xmlns:saml=\"" SG_SAML_NS_ASSERTION
	              "\" ID=\"%s\" Version=\"2.0\" IssueInstant=\"%s\"",
	              root, id, instant);
	if (saml_xml_attr(xml, "Destination", dest) < 0)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "the %s's Destination holds a control character", root);
	return 0;
}

/* Appends the Issuer element (core 2.2.5; the entity format is the
 * default); -1 when issuer holds a control character. */
int
saml_issuer_el(struct sg_buf *xml, const char *issuer)
{
	int rc;

	sg_buf_puts(xml, "<saml:Issuer>");
	rc = saml_xml_escape(xml, issuer);
	sg_buf_puts(xml, "</saml:Issuer>");
	return rc;
}

/* Writes t as xs:dateTime in UTC without fraction ("2026-01-01T00:00:00Z",
 * SAML core 1.3.3).  -1 if the year has no four-digit form. */
int
saml_time_format(int64_t t, char out[32])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 < 1 ||
	    tm.tm_year + 1900 > 9999)
		return -1;
	return strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 ? -1 : 0;
}

/* Appends the RequestedAuthnContext (core 3.3.2.2.1) r asks for, if any;
 * -1 as saml_xml_escape. */
static int
saml_authn_context(const struct sg_saml_authn_request *r, struct sg_buf *xml)
{
	size_t i;
	int bad = 0;

	if (r->nauthn_context == 0)
		return 0;
	sg_buf_puts(xml, "<samlp:RequestedAuthnContext");
	if (r->authn_context_comparison != NULL)
		bad |= saml_xml_attr(xml, "Comparison", r->authn_context_comparison);
	sg_buf_puts(xml, ">");
	for (i = 0; i < r->nauthn_context; i++) {
		sg_buf_puts(xml, "<saml:AuthnContextClassRef>");
		bad |= saml_xml_escape(xml, r->authn_context[i]);
		sg_buf_puts(xml, "</saml:AuthnContextClassRef>");
	}
	sg_buf_puts(xml, "</samlp:RequestedAuthnContext>");
	return bad;
}

/* Writes the AuthnRequest (SAML core 3.4.1) with ID id into xml: Issuer
 * first, as the schema's sequence wants, and nothing between it and
 * NameIDPolicy, where the POST binding's signature goes (core 5.4.1). */
static int
saml_authn_xml(const struct sg_saml_authn_request *r, const char *id, struct sg_buf *xml,
               struct sg_err *err)
{
	int bad = 0;

	if (saml_msg_open(xml, "AuthnRequest", id, r->now, r->idp_sso_url, err) < 0)
		return -1;
	bad |= saml_xml_attr(xml, "AssertionConsumerServiceURL", r->acs_url);
	sg_buf_puts(xml, " ProtocolBinding=\"" SAML_BINDING_POST "\"");
	if (r->force_authn)
		sg_buf_puts(xml, " ForceAuthn=\"true\"");
	sg_buf_puts(xml, ">");
	bad |= saml_issuer_el(xml, r->sp_entity_id);
	sg_buf_puts(xml, "<samlp:NameIDPolicy AllowCreate=\"true\"");
	if (r->name_id_format != NULL)
		bad |= saml_xml_attr(xml, "Format", r->name_id_format);
	sg_buf_puts(xml, "/>");
	bad |= saml_authn_context(r, xml);
	sg_buf_puts(xml, "</samlp:AuthnRequest>");
	if (bad)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "a value of the AuthnRequest holds a control character");
	return 0;
}

/* Raw DEFLATE (RFC 1951, no zlib header: bindings 3.4.4.1) of p: *out
 * (malloc'd) and *outlen.  0 or -1. */
static int
saml_deflate(const void *p, size_t n, unsigned char **out, size_t *outlen)
{
	z_stream zs;
	uLong bound;
	int rc;

	*out = NULL;
	memset(&zs, 0, sizeof(zs));
	if (n > UINT_MAX / 2 ||
	    deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	/* One call with deflateBound's room always finishes the stream. */
	bound = deflateBound(&zs, (uLong)n);
	*out = sg_xmalloc(bound);
	zs.next_in = (Bytef *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	zs.next_out = *out;
	zs.avail_out = (uInt)bound;
	rc = deflate(&zs, Z_FINISH);
	*outlen = zs.total_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END ? 0 : -1;
}

/* Appends base64(RSA-SHA256 PKCS#1 v1.5 signature of msg) to out. */
static int
saml_sign(const struct sg_saml_keys *k, const char *msg, size_t n, struct sg_buf *out)
{
	EVP_PKEY *pk = saml_keys_private(k);
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int rc = -1;

	if (pk == NULL || EVP_PKEY_base_id(pk) != EVP_PKEY_RSA)
		goto out;
	md = EVP_MD_CTX_new();
	if (md == NULL)
		sg_fatal("out of memory in EVP_MD_CTX_new");
	/* RSA's default padding in OpenSSL is PKCS#1 v1.5, as rsa-sha256 means. */
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)msg, n) != 1)
		goto out;
	sig = sg_xmalloc(siglen);
	if (EVP_DigestSign(md, sig, &siglen, (const unsigned char *)msg, n) != 1)
		goto out;
	saml_b64_encode(sig, siglen, out);
	rc = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	free(sig);
	return rc;
}

/* Checks the RequestedAuthnContext settings: no empty class, and a
 * Comparison the schema's enumeration has (core 3.3.2.2.1). */
static int
saml_authn_context_check(const struct sg_saml_authn_request *r, struct sg_err *err)
{
	static const char *const cmp[] = { "exact", "minimum", "maximum", "better" };
	const char *c = r->authn_context_comparison;
	size_t i;

	for (i = 0; i < r->nauthn_context; i++)
		if (r->authn_context[i] == NULL || r->authn_context[i][0] == '\0')
			return sg_err_set(err, SG_SAML_ERR_INPUT,
			                  "AuthnContextClassRef %zu is empty", i + 1);
	for (i = 0; c != NULL && i < SG_NELEM(cmp); i++)
		if (strcmp(c, cmp[i]) == 0)
			return 0;
	if (c != NULL)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "the AuthnContext comparison is not exact, minimum, maximum or "
		                  "better");
	return 0;
}

/* Checks the request's settings before anything is built. */
static int
saml_authn_check(const struct sg_saml_authn_request *r, struct sg_err *err)
{
	if (r->sp_entity_id == NULL || r->acs_url == NULL || r->idp_sso_url == NULL)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "the SP entity ID, the ACS URL and the IdP SSO URL are required");
	if (strchr(r->idp_sso_url, '#') != NULL)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "the IdP SSO URL has a fragment: no query can follow it");
	if (r->relay_state != NULL && strlen(r->relay_state) > SAML_RELAY_STATE_MAX)
		return sg_err_set(err, SG_SAML_ERR_INPUT,
		                  "the RelayState is longer than %d bytes (bindings 3.4.3)",
		                  SAML_RELAY_STATE_MAX);
	return saml_authn_context_check(r, err);
}

/* Writes a fresh random request ID: an NCName (core 1.3.4) with "_" first,
 * as a digit may not start one, and 128 random bits (core 1.3.4: a chance
 * of collision of at most 2^-128).  Every message of ours takes one. */
void
saml_msg_id(char rid[SAML_ID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[SAML_ID_BYTES];
	size_t i;

	sg_csprng(rnd, sizeof(rnd));
	rid[0] = '_';
	for (i = 0; i < sizeof(rnd); i++) {
		rid[1 + 2 * i] = hex[rnd[i] >> 4];
		rid[2 + 2 * i] = hex[rnd[i] & 15];
	}
	rid[SAML_ID_LEN - 1] = '\0';
}

/* Builds the AuthnRequest and its HTTP-Redirect URL (see saml.h). */
int
sg_saml_authn_redirect(const struct sg_saml_authn_request *r, struct sg_arena *a, const char **id,
                       const char **url, struct sg_err *err)
{
	char rid[SAML_ID_LEN];
	struct sg_buf xml = { 0 };
	int rc = -1;

	if (saml_authn_check(r, err) < 0)
		return -1;
	saml_msg_id(rid);
	if (saml_authn_xml(r, rid, &xml, err) < 0 ||
	    saml_redirect_url(r->idp_sso_url, "SAMLRequest", xml.data, xml.len, r->relay_state,
	                      r->sign_key, a, url, err) < 0)
		goto out;
	*id = sg_arena_strdup(a, rid);
	rc = 0;
out:
	sg_buf_free(&xml);
	return rc;
}

/* Builds the AuthnRequest for the HTTP-POST binding, signed in the XML
 * when there is a key (see saml.h). */
int
sg_saml_authn_post(const struct sg_saml_authn_request *r, struct sg_arena *a, const char **id,
                   const char **saml_request, struct sg_err *err)
{
	char rid[SAML_ID_LEN];
	struct sg_buf xml = { 0 }, signed_xml = { 0 }, b64 = { 0 };
	const struct sg_buf *msg = &xml;
	int rc = -1;

	if (saml_authn_check(r, err) < 0)
		return -1;
	saml_msg_id(rid);
	if (saml_authn_xml(r, rid, &xml, err) < 0)
		goto out;
	if (r->sign_key != NULL) {
		if (saml_sign_enveloped(r->sign_key, xml.data, xml.len, &signed_xml, err) < 0)
			goto out;
		msg = &signed_xml;
	}
	/* Bindings 3.5.4: base64 of the XML; one line, as the form value. */
	saml_b64_encode(msg->data, msg->len, &b64);
	*id = sg_arena_strdup(a, rid);
	*saml_request = sg_arena_strndup(a, b64.data, b64.len);
	rc = 0;
out:
	sg_buf_free(&xml);
	sg_buf_free(&signed_xml);
	sg_buf_free(&b64);
	return rc;
}

/*
 * Raw INFLATE of the n bytes at z: *out (malloc'd, with room for a NUL) and
 * *outlen, never holding more than max + 1 bytes of output: one byte past
 * max proves the message too large, and a zip bomb stops there.  0, or -1
 * with err.
 */
static int
saml_inflate(const unsigned char *z, size_t n, size_t max, unsigned char **out, size_t *outlen,
             struct sg_err *err)
{
	z_stream zs;
	size_t cap = 0, len = 0, room;
	int rc, ret = -1;

	*out = NULL;
	memset(&zs, 0, sizeof(zs));
	if (n > UINT_MAX || max >= SIZE_MAX / 2)
		return sg_err_set(err, SG_SAML_ERR_INPUT, "the deflated message is too large");
	if (inflateInit2(&zs, -15) != Z_OK)
		sg_fatal("out of memory in inflateInit2");
	zs.next_in = (Bytef *)(uintptr_t)z;
	zs.avail_in = (uInt)n;
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? SAML_INFLATE_CHUNK : cap * 2;
			if (cap > max)
				cap = max + 1;
			*out = sg_xrealloc(*out, cap + 1);
		}
		room = cap - len < UINT_MAX ? cap - len : UINT_MAX;
		zs.next_out = *out + len;
		zs.avail_out = (uInt)room;
		rc = inflate(&zs, Z_NO_FLUSH);
		len += room - zs.avail_out;
		if (len > max) {
			sg_err_set(err, SG_SAML_ERR_INPUT, "the inflated message exceeds %zu bytes",
			           max);
			goto out;
		}
		if (rc == Z_STREAM_END)
			break;
		/* Room left but no more output: the input ended mid-stream. */
		if ((rc != Z_OK && rc != Z_BUF_ERROR) || zs.avail_out != 0) {
			sg_err_set(err, SG_SAML_ERR_INPUT, "the message is not raw DEFLATE data%s",
			           rc == Z_OK || rc == Z_BUF_ERROR ? " (it is cut short)" : "");
			goto out;
		}
	}
	if (zs.avail_in != 0) {
		sg_err_set(err, SG_SAML_ERR_INPUT, "bytes follow the end of the DEFLATE data");
		goto out;
	}
	*outlen = len;
	ret = 0;
out:
	inflateEnd(&zs);
	return ret;
}

/* base64, then bounded raw INFLATE, of a Redirect-binding value (see saml.h). */
int
sg_saml_redirect_decode(const char *b64, size_t len, size_t max, struct sg_arena *a,
                        const char **xml, size_t *xml_len, struct sg_err *err)
{
	struct sg_buf z = { 0 };
	unsigned char *x = NULL;
	size_t xlen = 0;
	char *s;
	int rc = -1;

	if (saml_b64_decode_strict(b64, len, &z) < 0) {
		sg_err_set(err, SG_SAML_ERR_INPUT, "the message is not standard base64");
		goto out;
	}
	if (saml_inflate((const unsigned char *)z.data, z.len, max, &x, &xlen, err) < 0)
		goto out;
	/* Bytes, not a string: a NUL inside stays for the parser to refuse. */
	s = sg_arena_alloc(a, xlen + 1);
	memcpy(s, x, xlen);
	s[xlen] = '\0';
	*xml = s;
	*xml_len = xlen;
	rc = 0;
out:
	sg_buf_free(&z);
	free(x);
	return rc;
}

/* Appends "?" or "&" to u after base, as a query then follows. */
static void
saml_url_join(struct sg_buf *u, const char *base)
{
	size_t n = strlen(base);

	sg_buf_append(u, base, n);
	if (strchr(base, '?') == NULL)
		sg_buf_puts(u, "?");
	else if (n > 0 && base[n - 1] != '?' && base[n - 1] != '&')
		sg_buf_puts(u, "&");
}

/* The HTTP-Redirect URL of any message of ours (see saml_int.h). */
int
saml_redirect_url(const char *base, const char *param, const char *xml, size_t len,
                  const char *relay_state, const struct sg_saml_keys *key, struct sg_arena *a,
                  const char **url, struct sg_err *err)
{
	struct sg_buf u = { 0 }, b64 = { 0 };
	unsigned char *z = NULL;
	size_t zlen = 0, start;
	int rc = -1;

	saml_url_join(&u, base);
	start = u.len;
	if (saml_deflate(xml, len, &z, &zlen) < 0) {
		sg_err_set(err, SG_SAML_ERR_INPUT, "the %s cannot be deflated", param);
		goto out;
	}
	saml_b64_encode(z, zlen, &b64);
	sg_buf_printf(&u, "%s=", param);
	sg_http_percent_encode(&u, b64.data, b64.len, "");
	if (relay_state != NULL) {
		sg_buf_puts(&u, "&RelayState=");
		sg_http_percent_encode(&u, relay_state, strlen(relay_state), "");
	}
	if (key != NULL) {
		sg_buf_puts(&u, "&SigAlg=");
		sg_http_percent_encode(&u, SAML_SIGALG_RSA_SHA256, strlen(SAML_SIGALG_RSA_SHA256),
		                       "");
		sg_buf_reset(&b64);
		/* Bindings 3.4.4.1: the octets signed are the query as sent. */
		if (saml_sign(key, u.data + start, u.len - start, &b64) < 0) {
			sg_err_set(err, SG_SAML_ERR_SIGNATURE,
			           "the %s cannot be signed (the SP key must be an RSA key)",
			           param);
			goto out;
		}
		sg_buf_puts(&u, "&Signature=");
		sg_http_percent_encode(&u, b64.data, b64.len, "");
	}
	*url = sg_arena_strndup(a, u.data, u.len);
	rc = 0;
out:
	free(z);
	sg_buf_free(&b64);
	sg_buf_free(&u);
	return rc;
}
