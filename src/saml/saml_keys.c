/*
 * saml_keys.c - key sets for the SAML module: the IdP's signing keys, taken
 * from the certificates in PEM files or PEM texts (those of IdP metadata;
 * every certificate of every file, so that an IdP's key rollover is two
 * certificates side by side), and the SP's own private key for decryption
 * and signing, checked against its certificate (which it then carries).
 *
 * Only the public key of an IdP certificate is used: trust comes from our
 * configuration (metadata or files), not from a certificate chain, and
 * never from a key or certificate that a message carries in its KeyInfo.
 * Sets are immutable once built and refcounted, so that validations on
 * worker threads can go on with an old set while a refresh builds a new one.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/evp.h>

#include "saml_int.h"

#define SAML_PEM_MAX (1024 * 1024)

/* A passphrase callback that refuses: an encrypted key must not prompt. */
static int
saml_no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* Wraps pk (taking it over) as an xmlsec key; NULL on failure. */
static xmlSecKeyPtr
saml_key_from_evp(EVP_PKEY *pk)
{
	xmlSecKeyDataPtr data;
	xmlSecKeyPtr key;

	data = xmlSecOpenSSLEvpKeyAdopt(pk);
	if (data == NULL) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	key = xmlSecKeyCreate();
	if (key == NULL || xmlSecKeySetValue(key, data) < 0) {
		xmlSecKeyDataDestroy(data);
		if (key != NULL)
			xmlSecKeyDestroy(key);
		return NULL;
	}
	return key;
}

/* Appends key to k. */
static void
saml_keys_add(struct sg_saml_keys *k, xmlSecKeyPtr key)
{
	k->keys = sg_xrealloc(k->keys, (k->n + 1) * sizeof(*k->keys));
	k->keys[k->n++] = key;
}

int
saml_keys_add_pem(struct sg_saml_keys *k, const char *pem, size_t len, const char *what,
                  struct sg_errlist *errs)
{
	size_t found = 0;
	BIO *bio;
	X509 *x;
	EVP_PKEY *pk;
	xmlSecKeyPtr key;
	int rc = -1;

	if (len > SAML_PEM_MAX) {
		sg_errlist_add(errs, "%s: the PEM text is too large", what);
		return -1;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		sg_fatal("out of memory in BIO_new_mem_buf");
	while ((x = PEM_read_bio_X509(bio, NULL, saml_no_passphrase, NULL)) != NULL) {
		pk = X509_get_pubkey(x);
		X509_free(x);
		key = pk != NULL ? saml_key_from_evp(pk) : NULL;
		if (key == NULL) {
			sg_errlist_add(errs, "%s: a certificate's key is not usable for signatures",
			               what);
			goto out;
		}
		saml_keys_add(k, key);
		found++;
	}
	if (found == 0) {
		sg_errlist_add(errs, "%s: no PEM certificate in it", what);
		goto out;
	}
	rc = 0;
out:
	/* The loop ends on "no start line": not an error worth keeping. */
	ERR_clear_error();
	BIO_free(bio);
	return rc;
}

/* Adds the public key of every certificate in the PEM file path. */
static int
saml_keys_load_certs(struct sg_saml_keys *k, const char *path, struct sg_errlist *errs)
{
	char *pem;
	size_t len;
	int rc;

	pem = sg_read_file(path, SAML_PEM_MAX, &len);
	if (pem == NULL) {
		sg_errlist_add(errs, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = saml_keys_add_pem(k, pem, len, path, errs);
	free(pem);
	return rc;
}

/* A new, empty set with one reference. */
static struct sg_saml_keys *
saml_keys_new(void)
{
	struct sg_saml_keys *k;

	k = sg_xcalloc(1, sizeof(*k));
	k->refs = 1;
	return k;
}

/* k, or NULL (k released) when it holds no key. */
static struct sg_saml_keys *
saml_keys_nonempty(struct sg_saml_keys *k, struct sg_errlist *errs)
{
	if (k->n != 0)
		return k;
	sg_errlist_add(errs, "saml: no IdP certificate given");
	sg_saml_keys_unref(k);
	return NULL;
}

struct sg_saml_keys *
sg_saml_keys_from_cert_files(const char *const *paths, size_t n, struct sg_errlist *errs)
{
	struct sg_saml_keys *k = saml_keys_new();
	size_t i;

	for (i = 0; i < n; i++) {
		if (saml_keys_load_certs(k, paths[i], errs) < 0) {
			sg_saml_keys_unref(k);
			return NULL;
		}
	}
	return saml_keys_nonempty(k, errs);
}

/* The IdP set from PEM texts, e.g. sg_saml_idp_metadata's signing_certs. */
struct sg_saml_keys *
sg_saml_keys_from_cert_pems(const char *const *pems, size_t n, struct sg_errlist *errs)
{
	struct sg_saml_keys *k = saml_keys_new();
	char what[48];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "saml: IdP certificate %zu", i + 1);
		if (pems[i] == NULL ||
		    saml_keys_add_pem(k, pems[i], strlen(pems[i]), what, errs) < 0) {
			if (pems[i] == NULL)
				sg_errlist_add(errs, "%s: missing", what);
			sg_saml_keys_unref(k);
			return NULL;
		}
	}
	return saml_keys_nonempty(k, errs);
}

/* Reads a PEM private key (not encrypted); NULL with errs. */
static EVP_PKEY *
saml_read_private_key(const char *path, struct sg_errlist *errs)
{
	char *pem;
	size_t len;
	BIO *bio;
	EVP_PKEY *pk;

	pem = sg_read_file(path, SAML_PEM_MAX, &len);
	if (pem == NULL) {
		sg_errlist_add(errs, "%s: %s", path, strerror(errno));
		return NULL;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		sg_fatal("out of memory in BIO_new_mem_buf");
	pk = PEM_read_bio_PrivateKey(bio, NULL, saml_no_passphrase, NULL);
	BIO_free(bio);
	sg_wipe(pem, len);
	free(pem);
	ERR_clear_error();
	if (pk == NULL)
		sg_errlist_add(errs, "%s: not a PEM private key (or an encrypted one)", path);
	return pk;
}

/* 0 when the first certificate in cert_path holds the public half of pk. */
static int
saml_check_cert_matches(EVP_PKEY *pk, const char *cert_path, struct sg_errlist *errs)
{
	char *pem;
	size_t len;
	BIO *bio;
	X509 *x;
	int rc = -1;

	pem = sg_read_file(cert_path, SAML_PEM_MAX, &len);
	if (pem == NULL) {
		sg_errlist_add(errs, "%s: %s", cert_path, strerror(errno));
		return -1;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		sg_fatal("out of memory in BIO_new_mem_buf");
	x = PEM_read_bio_X509(bio, NULL, saml_no_passphrase, NULL);
	if (x == NULL)
		sg_errlist_add(errs, "%s: no PEM certificate in the file", cert_path);
	else if (EVP_PKEY_eq(X509_get0_pubkey(x), pk) != 1)
		sg_errlist_add(errs, "%s: the certificate does not match the private key",
		               cert_path);
	else
		rc = 0;
	X509_free(x);
	BIO_free(bio);
	free(pem);
	ERR_clear_error();
	return rc;
}

struct sg_saml_keys *
sg_saml_keys_from_key_file(const char *key_path, const char *cert_path, struct sg_errlist *errs)
{
	struct sg_saml_keys *k;
	EVP_PKEY *pk;
	xmlSecKeyPtr key;

	pk = saml_read_private_key(key_path, errs);
	if (pk == NULL)
		return NULL;
	if (cert_path != NULL && saml_check_cert_matches(pk, cert_path, errs) < 0) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	key = saml_key_from_evp(pk);
	if (key == NULL) {
		sg_errlist_add(errs, "%s: the key cannot be used by xmlsec", key_path);
		return NULL;
	}
	/* The certificate rides along for the KeyInfo of XML signatures we
	 * make (saml_sign.c); decryption does not need it. */
	if (cert_path != NULL &&
	    xmlSecOpenSSLAppKeyCertLoad(key, cert_path, xmlSecKeyDataFormatPem) < 0) {
		sg_errlist_add(errs, "%s: the certificate cannot be used by xmlsec", cert_path);
		xmlSecKeyDestroy(key);
		ERR_clear_error();
		return NULL;
	}
	k = saml_keys_new();
	saml_keys_add(k, key);
	return k;
}

/* The SP set's private key, borrowed (see saml_int.h). */
EVP_PKEY *
saml_keys_private(const struct sg_saml_keys *k)
{
	xmlSecKeyDataPtr data;

	if (k == NULL || k->n == 0 ||
	    (xmlSecKeyGetType(k->keys[0]) & xmlSecKeyDataTypePrivate) == 0)
		return NULL;
	data = xmlSecKeyGetValue(k->keys[0]);
	return data != NULL ? xmlSecOpenSSLEvpKeyDataGetEvp(data) : NULL;
}

struct sg_saml_keys *
sg_saml_keys_ref(struct sg_saml_keys *k)
{
	if (k != NULL)
		__atomic_add_fetch(&k->refs, 1, __ATOMIC_RELAXED);
	return k;
}

void
sg_saml_keys_unref(struct sg_saml_keys *k)
{
	size_t i;

	if (k == NULL || __atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (i = 0; i < k->n; i++)
		xmlSecKeyDestroy(k->keys[i]);
	free(k->keys);
	free(k);
}
