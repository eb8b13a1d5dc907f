/*
 * crypto.c - the few cryptographic primitives the gateway needs, over
 * OpenSSL's libcrypto: random bytes for secrets, SHA-256, HMAC-SHA256,
 * HKDF-SHA256 key derivation, AES-256-GCM sealing with a random nonce, and
 * base64url (RFC 4648 5, unpadded).  It holds no keys and no state: callers
 * own their key material and wipe it.  It does no TLS (net/ does) and knows
 * nothing about what it seals.  A failure of libcrypto where no input can be
 * at fault (a digest that cannot run) is fatal; only opening sealed bytes
 * and decoding base64url fail normally, because their input is untrusted.
 */
#include "config.h"

#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "lib.h"

#define SEAL_NONCE_LEN 12
#define SEAL_TAG_LEN 16
/* EVP update calls take an int length: feed large inputs in slices. */
#define CRYPTO_SLICE (1U << 30)

_Static_assert(SEAL_NONCE_LEN + SEAL_TAG_LEN == SG_SEAL_OVERHEAD, "seal overhead");

void
sg_csprng(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		size_t k = n > CRYPTO_SLICE ? CRYPTO_SLICE : n;

		if (RAND_priv_bytes(p, (int)k) != 1)
			sg_fatal("crypto: no random bytes from OpenSSL");
		p += k;
		n -= k;
	}
}

void
sg_sha256(const void *p, size_t n, uint8_t out[SG_SHA256_LEN])
{
	unsigned int len = 0;

	if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 || len != SG_SHA256_LEN)
		sg_fatal("crypto: SHA-256 failed");
}

void
sg_hmac_sha256(const uint8_t key[SG_KEY_LEN], const void *p, size_t n, uint8_t out[SG_SHA256_LEN])
{
	unsigned int len = 0;

	/* HMAC() with a NULL-safe pointer: an empty message is legitimate. */
	if (HMAC(EVP_sha256(), key, SG_KEY_LEN, n ? p : (const void *)"", n, out, &len) == NULL ||
	    len != SG_SHA256_LEN)
		sg_fatal("crypto: HMAC-SHA256 failed");
}

/* RFC 5869 with SHA-256, no salt, the label as info: one independent key
 * per purpose from one secret, so a leak of one does not expose another. */
void
sg_key_derive(const void *master, size_t n, const char *label, uint8_t out[SG_KEY_LEN])
{
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx;
	OSSL_PARAM params[4];
	int ok;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf == NULL)
		sg_fatal("crypto: HKDF is not available");
	ctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (ctx == NULL)
		sg_fatal("crypto: cannot make an HKDF context");
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)master, n);
	params[2] =
	    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)label, strlen(label));
	params[3] = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(ctx, out, SG_KEY_LEN, params);
	EVP_KDF_CTX_free(ctx); /* clears the key copy it held */
	if (ok != 1)
		sg_fatal("crypto: HKDF failed");
}

/* Runs the cipher over n bytes at p in place, in int-sized slices. */
static int
crypto_update(EVP_CIPHER_CTX *ctx, unsigned char *p, size_t n, bool enc)
{
	while (n > 0) {
		int k = (int)(n > CRYPTO_SLICE ? CRYPTO_SLICE : n), got = 0;
		int ok = enc ? EVP_EncryptUpdate(ctx, p, &got, p, k)
		             : EVP_DecryptUpdate(ctx, p, &got, p, k);

		/* GCM is a stream mode: every byte comes straight back out. */
		if (ok != 1 || got != k)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Starts AES-256-GCM under key and nonce and feeds the aad. */
static EVP_CIPHER_CTX *
crypto_gcm_start(const uint8_t *key, const uint8_t *nonce, const char *aad, bool enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	size_t alen = aad ? strlen(aad) : 0;
	int got = 0, ok;

	if (ctx == NULL)
		sg_fatal("crypto: cannot make a cipher context");
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, enc ? 1 : 0);
	if (ok == 1 && alen > 0)
		ok = (alen <= INT_MAX) &&
		     EVP_CipherUpdate(ctx, NULL, &got, (const unsigned char *)aad, (int)alen) == 1;
	if (ok != 1)
		sg_fatal("crypto: cannot start AES-256-GCM");
	return ctx;
}

/* The plain bytes are copied into out and encrypted there, in place, so a
 * large state file needs no second buffer. */
void
sg_seal(const uint8_t key[SG_KEY_LEN], const char *aad, const void *p, size_t n, struct sg_buf *out)
{
	uint8_t nonce[SEAL_NONCE_LEN], tag[SEAL_TAG_LEN];
	EVP_CIPHER_CTX *ctx;
	size_t off;
	int got = 0;

	sg_csprng(nonce, sizeof(nonce));
	sg_buf_append(out, nonce, sizeof(nonce));
	off = out->len;
	sg_buf_append(out, n ? p : "", n);
	ctx = crypto_gcm_start(key, nonce, aad, true);
	if (crypto_update(ctx, (unsigned char *)out->data + off, n, true) == -1 ||
	    EVP_EncryptFinal_ex(ctx, tag, &got) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_LEN, tag) != 1)
		sg_fatal("crypto: AES-256-GCM encryption failed");
	EVP_CIPHER_CTX_free(ctx);
	sg_buf_append(out, tag, sizeof(tag));
}

int
sg_unseal(const uint8_t key[SG_KEY_LEN], const char *aad, const void *p, size_t n,
          struct sg_buf *out)
{
	const uint8_t *in = p;
	uint8_t tag[SEAL_TAG_LEN];
	EVP_CIPHER_CTX *ctx;
	size_t off = out->len, clen;
	int got = 0, ok;

	if (n < SG_SEAL_OVERHEAD)
		return -1;
	clen = n - SG_SEAL_OVERHEAD;
	memcpy(tag, in + n - SEAL_TAG_LEN, SEAL_TAG_LEN);
	sg_buf_append(out, in + SEAL_NONCE_LEN, clen);
	ctx = crypto_gcm_start(key, in, aad, false);
	ok = crypto_update(ctx, (unsigned char *)out->data + off, clen, false) == 0 &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_LEN, tag) == 1 &&
	     EVP_DecryptFinal_ex(ctx, tag, &got) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (ok)
		return 0;
	/* Unauthenticated plain text must not outlive the failure. */
	sg_wipe(out->data + off, clen);
	out->len = off;
	out->data[off] = '\0';
	return -1;
}

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void
sg_base64url_encode(const void *p, size_t n, struct sg_buf *out)
{
	const uint8_t *in = p;
	char q[4];
	size_t i;

	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		q[0] = b64url_alphabet[v >> 18];
		q[1] = b64url_alphabet[(v >> 12) & 63];
		q[2] = b64url_alphabet[(v >> 6) & 63];
		q[3] = b64url_alphabet[v & 63];
		sg_buf_append(out, q, 4);
	}
	if (n - i == 1) {
		q[0] = b64url_alphabet[in[i] >> 2];
		q[1] = b64url_alphabet[(in[i] & 3) << 4];
		sg_buf_append(out, q, 2);
	} else if (n - i == 2) {
		q[0] = b64url_alphabet[in[i] >> 2];
		q[1] = b64url_alphabet[(in[i] & 3) << 4 | in[i + 1] >> 4];
		q[2] = b64url_alphabet[(in[i + 1] & 15) << 2];
		sg_buf_append(out, q, 3);
	}
}

/* The 6-bit value of c, or -1 when c is not in the base64url alphabet. */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Strict: besides bad characters and lengths, the unused low bits of the
 * last character must be zero, so every byte string has exactly one
 * encoding (a token cannot be varied to dodge a replay cache). */
int
sg_base64url_decode(const char *s, size_t n, struct sg_buf *out)
{
	size_t i, off = out->len;
	uint32_t acc = 0;
	unsigned bits = 0;
	uint8_t byte;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		int v = b64url_value((unsigned char)s[i]);

		if (v < 0)
			goto fail;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			byte = (uint8_t)(acc >> bits);
			sg_buf_append(out, &byte, 1);
		}
	}
	if ((acc & ((1U << bits) - 1)) != 0)
		goto fail;
	return 0;
fail:
	if (out->len > off) {
		sg_wipe(out->data + off, out->len - off);
		out->len = off;
		out->data[off] = '\0';
	}
	return -1;
}

bool
sg_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
