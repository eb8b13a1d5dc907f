/*
 * jose.c - the gateway's signing key, the identity JWT (RFC 7519) it signs
 * for backends, and the JWK Set (RFC 7517) that lets them verify it.
 *
 * The key is read once from a PEM file with OpenSSL and must be EC P-256
 * (ES256) or RSA of 2048 bits or more (RS256, RFC 7518 3.3); anything else
 * is refused with a sentence naming what was found.  Its kid is the RFC 7638
 * thumbprint of the public key, so it changes exactly when the key does and
 * backends caching the JWK Set notice a rotation.
 *
 * Signing uses OpenSSL directly on the loaded EVP_PKEY, not cjose_jws_sign:
 * OpenSSL 3 documents an EVP_PKEY as safe to share between threads for
 * signing as long as each call has its own EVP_MD_CTX, which is what every
 * call here makes, so workers sign in parallel with no lock.  cjose keeps
 * its key in legacy RSA / EC_KEY objects and promises nothing about
 * concurrent use, and a mutex around RS256 would cap the whole gateway at
 * about a thousand signatures a second.  OpenSSL's ECDSA signature is DER;
 * JWS wants the 64-byte R || S form (RFC 7518 3.4), converted here.  cjose
 * checks that work once, at load: a probe token is signed here and verified
 * by cjose against the published JWK, so a key that would produce tokens no
 * JOSE library accepts never goes into service.  jansson builds the JSON.
 *
 * The header and the JWK are the same for every token, so both are built
 * once at load; per token only the claims are serialized and signed.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "jose.h"

/* A PEM key file is a few kilobytes; anything far larger is not one. */
#define JOSE_KEY_FILE_MAX (64 * 1024)
#define JOSE_RSA_MIN_BITS 2048
#define JOSE_P256_LEN 32 /* bytes of a P-256 coordinate, and of R and of S */

struct sg_jose_key {
	EVP_PKEY *pkey; /* shared read-only by every signing thread */
	bool ec;        /* ES256; else RS256 */
	char *kid;      /* RFC 7638 thumbprint */
	char *header;   /* base64url of the protected header, built once */
	char *jwk;      /* the public JWK as JSON, built once */
};

/* base64url without padding (RFC 7515 2) of n bytes, as a heap string. */
static char *
b64url(const void *p, size_t n)
{
	struct sg_buf b = { 0 };

	sg_base64url_encode(p, n, &b);
	return b.data != NULL ? b.data : sg_xstrdup("");
}

/* A big number as base64url of its big-endian bytes: the minimal length
 * (RFC 7518 6.3.1: n and e have no leading zero octets), or exactly pad
 * bytes (RFC 7518 6.2.1.2: EC coordinates are full length). */
static char *
bn_b64url(const BIGNUM *bn, int pad)
{
	int n = pad > 0 ? pad : BN_num_bytes(bn);
	unsigned char *buf = sg_xmalloc(n > 0 ? (size_t)n : 1);
	char *s;

	if (BN_bn2binpad(bn, buf, n) != n)
		sg_fatal("jose: a key number does not fit in %d bytes", n);
	s = b64url(buf, (size_t)n);
	free(buf);
	return s;
}

/* JSON text of o, compact, as a heap string; NULL if jansson refuses. */
static char *
json_text(json_t *o)
{
	char *t = json_dumps(o, JSON_COMPACT);
	char *s;

	if (t == NULL)
		return NULL;
	s = sg_xstrdup(t);
	free(t);
	return s;
}

/* The public members of the key as base64url, and its kid. */
struct jwk_parts {
	char *x, *y; /* EC */
	char *n, *e; /* RSA */
	char *kid;
};

/* Frees the strings of jp (none of them is secret). */
static void
jwk_parts_free(struct jwk_parts *jp)
{
	free(jp->x);
	free(jp->y);
	free(jp->n);
	free(jp->e);
	free(jp->kid);
}

/* Sets jp->kid to the RFC 7638 3 thumbprint: SHA-256 of the required
 * members in lexical order without white space.  Every value is base64url
 * or a fixed name, so no JSON escaping can arise. */
static void
thumbprint(struct jwk_parts *jp, bool ec)
{
	uint8_t md[SG_SHA256_LEN];
	char *canon;

	if (ec)
		canon = sg_xasprintf("{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		                     jp->x, jp->y);
	else
		canon = sg_xasprintf("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", jp->e, jp->n);
	sg_sha256(canon, strlen(canon), md);
	jp->kid = b64url(md, sizeof(md));
	free(canon);
}

/* Checks that pkey is one we sign with and reads its public members.
 * 0, or -1 with a sentence in errs naming what the key is instead. */
static int
key_parts(EVP_PKEY *pkey, const char *path, bool *ec, struct jwk_parts *jp, struct sg_errlist *errs)
{
	BIGNUM *a = NULL, *b = NULL;
	char group[64] = "";
	int rc = -1;

	if (EVP_PKEY_is_a(pkey, "EC")) {
		*ec = true;
		if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
		                                    sizeof(group), NULL) ||
		    OBJ_txt2nid(group) != NID_X9_62_prime256v1) {
			sg_errlist_add(errs,
			               "%s: an EC key on curve %s; only P-256 (ES256) is supported",
			               path, group[0] ? group : "(unknown)");
			goto out;
		}
		if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &a) ||
		    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &b))
			goto unreadable;
		jp->x = bn_b64url(a, JOSE_P256_LEN);
		jp->y = bn_b64url(b, JOSE_P256_LEN);
	} else if (EVP_PKEY_is_a(pkey, "RSA")) {
		*ec = false;
		if (EVP_PKEY_get_bits(pkey) < JOSE_RSA_MIN_BITS) {
			sg_errlist_add(errs,
			               "%s: an RSA key of %d bits; RS256 needs %d bits or more "
			               "(RFC 7518 3.3)",
			               path, EVP_PKEY_get_bits(pkey), JOSE_RSA_MIN_BITS);
			goto out;
		}
		if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &a) ||
		    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &b))
			goto unreadable;
		jp->n = bn_b64url(a, 0);
		jp->e = bn_b64url(b, 0);
	} else {
		const char *type = EVP_PKEY_get0_type_name(pkey);

		sg_errlist_add(errs,
		               "%s: key type %s; the signing key must be EC P-256 (ES256) or RSA "
		               "of %d bits or more (RS256)",
		               path, type ? type : "unknown", JOSE_RSA_MIN_BITS);
		goto out;
	}
	thumbprint(jp, *ec);
	rc = 0;
	goto out;
unreadable:
	sg_errlist_add(errs, "%s: cannot read the public part of the key", path);
out:
	BN_free(a);
	BN_free(b);
	return rc;
}

/* The public JWK (RFC 7517 4, RFC 7518 6) with kid, use and alg, and the
 * protected header that names the same kid. */
static int
build_json(struct sg_jose_key *k, const struct jwk_parts *jp)
{
	const char *alg = sg_jose_key_alg(k);
	json_t *jwk, *hdr;
	char *htext;

	if (k->ec)
		jwk = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x", jp->x,
		                "y", jp->y);
	else
		jwk = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", jp->n, "e", jp->e);
	if (jwk == NULL)
		return -1;
	json_object_set_new(jwk, "kid", json_string(jp->kid));
	json_object_set_new(jwk, "use", json_string("sig"));
	json_object_set_new(jwk, "alg", json_string(alg));
	k->jwk = json_text(jwk);
	json_decref(jwk);
	/* RFC 7515 4.1: alg; RFC 7519 5.1: typ "JWT"; kid picks the JWK. */
	hdr = json_pack("{s:s, s:s, s:s}", "alg", alg, "typ", "JWT", "kid", jp->kid);
	if (hdr == NULL)
		return -1;
	htext = json_text(hdr);
	json_decref(hdr);
	if (k->jwk == NULL || htext == NULL) {
		free(htext);
		return -1;
	}
	k->header = b64url(htext, strlen(htext));
	free(htext);
	return 0;
}

/* OpenSSL's default passphrase callback would prompt on the terminal; a
 * daemon must fail instead. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Reads the PEM private key at path.  NULL with a sentence in errs. */
static EVP_PKEY *
read_pem(const char *path, struct sg_errlist *errs)
{
	EVP_PKEY *pkey = NULL;
	size_t len = 0;
	char *pem;
	BIO *bio;

	pem = sg_read_file(path, JOSE_KEY_FILE_MAX, &len);
	if (pem == NULL) {
		sg_errlist_add(errs, "%s: %s", path,
		               errno == EFBIG ? "too large for a key file" : strerror(errno));
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		sg_fatal("jose: out of memory");
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	sg_wipe(pem, len);
	free(pem);
	ERR_clear_error();
	if (pkey == NULL)
		sg_errlist_add(
		    errs, "%s: not a PEM private key (an encrypted key is not supported)", path);
	return pkey;
}

/* RFC 7518 3.4: an ECDSA P-256 signature is R and S, 32 bytes each, big
 * endian, concatenated; OpenSSL gives DER.  0, or -1 if der is not one. */
static int
ecdsa_der_to_jws(const unsigned char *der, size_t n, unsigned char out[2 * JOSE_P256_LEN])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)n);
	const BIGNUM *r, *s;
	int rc = -1;

	if (sig == NULL)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, out, JOSE_P256_LEN) == JOSE_P256_LEN &&
	    BN_bn2binpad(s, out + JOSE_P256_LEN, JOSE_P256_LEN) == JOSE_P256_LEN)
		rc = 0;
	ECDSA_SIG_free(sig);
	return rc;
}

/* The JWS signature (RFC 7515 5.1) of input as base64url, heap; NULL on
 * failure.  A fresh EVP_MD_CTX per call keeps the shared key read-only. */
static char *
sign(const struct sg_jose_key *k, const char *input, size_t n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL, rs[2 * JOSE_P256_LEN];
	size_t siglen = 0;
	char *out = NULL;

	if (ctx == NULL)
		sg_fatal("jose: out of memory");
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input, n) != 1)
		goto out;
	sig = sg_xmalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, n) != 1)
		goto out;
	if (!k->ec)
		out = b64url(sig, siglen);
	else if (ecdsa_der_to_jws(sig, siglen, rs) == 0)
		out = b64url(rs, sizeof(rs));
out:
	if (out == NULL)
		ERR_clear_error();
	free(sig);
	EVP_MD_CTX_free(ctx);
	return out;
}

/* Signs a probe token and has cjose verify it against the published JWK:
 * the JWK, the header and the signature encoding all agree, or the key is
 * not used.  0, or -1 with errs. */
static int
self_test(const struct sg_jose_key *k, const char *path, struct sg_errlist *errs)
{
	static const char *const groups[] = { "probe" };
	struct sg_jose_identity id = { "https://probe.invalid/ssogw/",
		                       "https://probe.invalid/",
		                       "probe",
		                       NULL,
		                       NULL,
		                       groups,
		                       1,
		                       0,
		                       60 };
	struct sg_arena *a = sg_arena_new();
	const char *jwt = sg_jose_identity_jwt(k, &id, a);
	cjose_jwk_t *jwk = NULL;
	cjose_jws_t *jws = NULL;
	cjose_err err = { 0 };
	bool ok = false;

	if (jwt != NULL && (jwk = cjose_jwk_import(k->jwk, strlen(k->jwk), &err)) != NULL &&
	    (jws = cjose_jws_import(jwt, strlen(jwt), &err)) != NULL)
		ok = cjose_jws_verify(jws, jwk, &err);
	if (!ok)
		sg_errlist_add(errs, "%s: a token signed with this key does not verify (%s)", path,
		               jwt == NULL   ? "signing failed"
		               : err.message ? err.message
		                             : "?");
	cjose_jws_release(jws);
	cjose_jwk_release(jwk);
	sg_arena_free(a);
	return ok ? 0 : -1;
}

/* Read, check, derive the JSON once, then prove it with a probe signature. */
struct sg_jose_key *
sg_jose_key_load(const char *path, struct sg_errlist *errs)
{
	struct jwk_parts jp = { 0 };
	struct sg_jose_key *k;
	EVP_PKEY *pkey;

	if ((pkey = read_pem(path, errs)) == NULL)
		return NULL;
	k = sg_xcalloc(1, sizeof(*k));
	k->pkey = pkey;
	if (key_parts(pkey, path, &k->ec, &jp, errs) == -1)
		goto fail;
	k->kid = sg_xstrdup(jp.kid);
	if (build_json(k, &jp) == -1) {
		sg_errlist_add(errs, "%s: cannot build the JWK", path);
		goto fail;
	}
	if (self_test(k, path, errs) == -1)
		goto fail;
	jwk_parts_free(&jp);
	return k;
fail:
	jwk_parts_free(&jp);
	sg_jose_key_free(k);
	return NULL;
}

/* Frees k; NULL is allowed. */
void
sg_jose_key_free(struct sg_jose_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey); /* OpenSSL clears the private numbers */
	free(k->kid);
	free(k->header);
	free(k->jwk);
	free(k);
}

/* The JWS alg of k (RFC 7518 3.1). */
const char *
sg_jose_key_alg(const struct sg_jose_key *k)
{
	return k->ec ? "ES256" : "RS256";
}

/* Sets member name to the string s; false when jansson refuses it (s is
 * NULL or not UTF-8, RFC 8259 8.1). */
static bool
set_string(json_t *o, const char *name, const char *s)
{
	json_t *v = s != NULL ? json_string(s) : NULL;

	return v != NULL && json_object_set_new(o, name, v) == 0;
}

/* The claims of id (RFC 7519 4.1), in a fixed order; NULL if a string is
 * missing where required or is not UTF-8. */
static json_t *
claims(const struct sg_jose_identity *id)
{
	json_t *o = json_object(), *g = json_array();
	bool ok = o != NULL && g != NULL;

	ok = ok && set_string(o, "iss", id->iss) && set_string(o, "aud", id->aud) &&
	     set_string(o, "sub", id->sub);
	if (ok && id->email != NULL)
		ok = set_string(o, "email", id->email);
	if (ok && id->name != NULL)
		ok = set_string(o, "name", id->name);
	for (size_t i = 0; ok && i < id->ngroups; i++) {
		json_t *v = id->groups[i] ? json_string(id->groups[i]) : NULL;

		ok = v != NULL && json_array_append_new(g, v) == 0;
	}
	ok = ok && json_object_set(o, "groups", g) == 0 &&
	     json_object_set_new(o, "iat", json_integer(id->iat)) == 0 &&
	     json_object_set_new(o, "exp", json_integer(id->exp)) == 0;
	json_decref(g);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Serializes the claims, then signs header.payload (RFC 7515 7.1). */
const char *
sg_jose_identity_jwt(const struct sg_jose_key *k, const struct sg_jose_identity *id,
                     struct sg_arena *a)
{
	json_t *o = claims(id);
	char *text = NULL, *payload = NULL, *input = NULL, *sig = NULL;
	const char *jwt = NULL;

	if (o == NULL)
		return NULL;
	text = json_text(o);
	json_decref(o);
	if (text == NULL)
		goto out;
	payload = b64url(text, strlen(text));
	/* RFC 7515 5.1: the signing input is header "." payload, both encoded. */
	input = sg_xasprintf("%s.%s", k->header, payload);
	sig = sign(k, input, strlen(input));
	if (sig != NULL)
		jwt = sg_arena_printf(a, "%s.%s", input, sig);
out:
	free(text);
	free(payload);
	free(input);
	free(sig);
	return jwt;
}

/* The JWK Set (RFC 7517 5) of the one key, built at load. */
const char *
sg_jose_jwks(const struct sg_jose_key *k, struct sg_arena *a)
{
	return sg_arena_printf(a, "{\"keys\":[%s]}", k->jwk);
}
