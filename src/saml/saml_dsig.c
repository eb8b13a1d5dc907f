/*
 * saml_dsig.c - XML Signature verification and XML Encryption decryption
 * for SAML responses and logout messages (SAML core 5 and 6, XML
 * Signature, XML Encryption).
 *
 * Signatures: before xmlsec sees a Signature, its shape is checked against
 * the SAML profile of XML Signature (core 5.4): exactly one Reference, whose
 * URI is "#" + the ID of the element that holds the Signature as a direct
 * child (an enveloped signature), exclusive c14n, the enveloped-signature
 * and exclusive c14n transforms only, and signature and digest algorithms
 * from a short list (SHA-1 only when the trust allows it), no Object (no
 * place to hide a wrapped copy).  xmlsec then verifies it with one IdP key
 * at a time, set as the signing key so that KeyInfo in the message is never
 * read, with the same algorithm list enforced on its side and only
 * same-document references, and the result must say Succeeded for the very
 * reference we checked.
 *
 * Decryption: the key transport (RSA-OAEP with SHA-1 or SHA-256, or RSA
 * PKCS#1 v1.5) is done here with OpenSSL, because xmlsec 1.2 knows only
 * OAEP with SHA-1 and would otherwise look for keys through KeyInfo; the
 * content (AES-GCM or AES-CBC) is decrypted by xmlsec with the key we set.
 * Every failure reads the same, and a failed PKCS#1 v1.5 unwrap goes on
 * with a random key (XML Encryption 5.4.2), so that nothing tells an
 * attacker which step failed.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <xmlsec/buffer.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlenc.h>

#include "saml_int.h"

#define SAML_NS_XENC11 "http://www.w3.org/2009/xmlenc11#"
#define SAML_EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define SAML_ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

/* An algorithm URI, its xmlsec transform, and whether it is a SHA-1 one. */
struct saml_alg {
	const char *uri;
	xmlSecTransformId (*klass)(void);
	bool sha1;
	size_t key_len; /* content encryption: the AES key length */
};

static const struct saml_alg saml_sig_algs[] = {
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
	  xmlSecOpenSSLTransformRsaSha256GetKlass, false, 0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
	  xmlSecOpenSSLTransformRsaSha384GetKlass, false, 0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
	  xmlSecOpenSSLTransformRsaSha512GetKlass, false, 0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
	  xmlSecOpenSSLTransformEcdsaSha256GetKlass, false, 0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
	  xmlSecOpenSSLTransformEcdsaSha384GetKlass, false, 0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
	  xmlSecOpenSSLTransformEcdsaSha512GetKlass, false, 0 },
	{ "http://www.w3.org/2000/09/xmldsig#rsa-sha1", xmlSecOpenSSLTransformRsaSha1GetKlass, true,
	  0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
	  xmlSecOpenSSLTransformEcdsaSha1GetKlass, true, 0 },
};

static const struct saml_alg saml_digest_algs[] = {
	{ "http://www.w3.org/2001/04/xmlenc#sha256", xmlSecOpenSSLTransformSha256GetKlass, false,
	  0 },
	{ "http://www.w3.org/2001/04/xmldsig-more#sha384", xmlSecOpenSSLTransformSha384GetKlass,
	  false, 0 },
	{ "http://www.w3.org/2001/04/xmlenc#sha512", xmlSecOpenSSLTransformSha512GetKlass, false,
	  0 },
	{ "http://www.w3.org/2000/09/xmldsig#sha1", xmlSecOpenSSLTransformSha1GetKlass, true, 0 },
};

static const struct saml_alg saml_content_algs[] = {
	{ SAML_NS_XENC11 "aes128-gcm", xmlSecOpenSSLTransformAes128GcmGetKlass, false, 16 },
	{ SAML_NS_XENC11 "aes256-gcm", xmlSecOpenSSLTransformAes256GcmGetKlass, false, 32 },
	{ SG_SAML_NS_XENC "aes128-cbc", xmlSecOpenSSLTransformAes128CbcGetKlass, false, 16 },
	{ SG_SAML_NS_XENC "aes256-cbc", xmlSecOpenSSLTransformAes256CbcGetKlass, false, 32 },
};

/* The entry of table for uri (NULL if none, or SHA-1 when not allowed). */
static const struct saml_alg *
saml_alg_find(const struct saml_alg *table, size_t n, const char *uri, bool allow_sha1)
{
	size_t i;

	for (i = 0; uri != NULL && i < n; i++)
		if (strcmp(table[i].uri, uri) == 0)
			return table[i].sha1 && !allow_sha1 ? NULL : &table[i];
	return NULL;
}

/* The Algorithm of n if it is in table, else NULL. */
static const struct saml_alg *
saml_alg_of(struct saml_ctx *c, xmlNodePtr n, const struct saml_alg *table, size_t count)
{
	return saml_alg_find(table, count, saml_attr(c, n, "Algorithm"), c->t->allow_sha1);
}

/* Checks the Transforms of a Reference: enveloped-signature and exclusive
 * c14n (with an InclusiveNamespaces PrefixList) only, each at most once. */
static int
saml_sig_transforms(struct saml_ctx *c, xmlNodePtr tr)
{
	xmlNodePtr t, k;
	const char *alg;
	int seen_env = 0, seen_c14n = 0;

	for (t = saml_first_el(tr); t != NULL; t = saml_next_el(t)) {
		if (!saml_is(t, SG_SAML_NS_DSIG, "Transform"))
			return -1;
		alg = saml_attr(c, t, "Algorithm");
		if (alg != NULL && strcmp(alg, SAML_ENVELOPED) == 0 && saml_first_el(t) == NULL)
			seen_env++;
		else if (alg != NULL && strcmp(alg, SAML_EXC_C14N) == 0) {
			seen_c14n++;
			for (k = saml_first_el(t); k != NULL; k = saml_next_el(k))
				if (!saml_is(k, SAML_EXC_C14N, "InclusiveNamespaces"))
					return -1;
		} else
			return -1;
	}
	return seen_env <= 1 && seen_c14n <= 1 ? 0 : -1;
}

/* Checks the shape of Signature sig under el (see the top of the file). */
static int
saml_sig_shape(struct saml_ctx *c, xmlNodePtr el, xmlNodePtr sig, const char *id)
{
	xmlNodePtr si, sv, n, ref, k;
	const char *uri;

	si = saml_first_el(sig);
	sv = saml_next_el(si);
	if (!saml_is(si, SG_SAML_NS_DSIG, "SignedInfo") ||
	    !saml_is(sv, SG_SAML_NS_DSIG, "SignatureValue"))
		return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the Signature is not SignedInfo, SignatureValue[, KeyInfo]");
	n = saml_next_el(sv);
	if (n != NULL && saml_is(n, SG_SAML_NS_DSIG, "KeyInfo"))
		n = saml_next_el(n);
	if (n != NULL)
		return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the Signature has an Object or other extra element");
	n = saml_first_el(si);
	if (!saml_is(n, SG_SAML_NS_DSIG, "CanonicalizationMethod") ||
	    strcmp(saml_attr(c, n, "Algorithm") ? saml_attr(c, n, "Algorithm") : "",
	           SAML_EXC_C14N) != 0)
		return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the canonicalization method is not exclusive c14n");
	for (k = saml_first_el(n); k != NULL; k = saml_next_el(k))
		if (!saml_is(k, SAML_EXC_C14N, "InclusiveNamespaces"))
			return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
			                 "unexpected element in CanonicalizationMethod");
	n = saml_next_el(n);
	if (!saml_is(n, SG_SAML_NS_DSIG, "SignatureMethod") || saml_first_el(n) != NULL ||
	    saml_alg_of(c, n, saml_sig_algs, SG_NELEM(saml_sig_algs)) == NULL)
		return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the signature algorithm is not allowed");
	ref = saml_next_el(n);
	if (!saml_is(ref, SG_SAML_NS_DSIG, "Reference") || saml_next_el(ref) != NULL)
		return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "SignedInfo must hold exactly one Reference");
	uri = saml_attr(c, ref, "URI");
	if (uri == NULL || uri[0] != '#' || strcmp(uri + 1, id) != 0)
		return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the Reference does not point at the signed element's ID");
	n = saml_first_el(ref);
	if (saml_is(n, SG_SAML_NS_DSIG, "Transforms")) {
		if (saml_sig_transforms(c, n) < 0)
			return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
			                 "a Reference transform is not allowed");
		n = saml_next_el(n);
	}
	if (!saml_is(n, SG_SAML_NS_DSIG, "DigestMethod") ||
	    saml_alg_of(c, n, saml_digest_algs, SG_NELEM(saml_digest_algs)) == NULL)
		return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the digest algorithm is not allowed");
	n = saml_next_el(n);
	if (!saml_is(n, SG_SAML_NS_DSIG, "DigestValue") || saml_next_el(n) != NULL)
		return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the Reference is malformed");
	(void)el;
	return 0;
}

/* Adds the allowed transforms of table to list. */
static int
saml_enable(xmlSecDSigCtxPtr d, const struct saml_alg *table, size_t n, bool allow_sha1, bool ref)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (table[i].sha1 && !allow_sha1)
			continue;
		rc |= ref ? xmlSecDSigCtxEnableReferenceTransform(d, table[i].klass())
		          : xmlSecDSigCtxEnableSignatureTransform(d, table[i].klass());
	}
	return rc;
}

/* One verification attempt with key; true when it succeeded on the one
 * reference "#id". */
static bool
saml_verify_with(struct saml_ctx *c, xmlSecKeyPtr key, xmlNodePtr sig, const char *id)
{
	xmlSecDSigCtxPtr d;
	xmlSecDSigReferenceCtxPtr r;
	bool ok = false;

	d = xmlSecDSigCtxCreate(NULL);
	if (d == NULL)
		return false;
	d->flags |=
	    XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES | XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
	d->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
	if (xmlSecDSigCtxEnableSignatureTransform(d, xmlSecTransformExclC14NGetKlass()) < 0 ||
	    saml_enable(d, saml_sig_algs, SG_NELEM(saml_sig_algs), c->t->allow_sha1, false) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(d, xmlSecTransformExclC14NGetKlass()) < 0 ||
	    xmlSecDSigCtxEnableReferenceTransform(d, xmlSecTransformEnvelopedGetKlass()) < 0 ||
	    saml_enable(d, saml_digest_algs, SG_NELEM(saml_digest_algs), c->t->allow_sha1, true) <
	        0)
		goto out;
	/* Our key, set before: xmlsec then never reads the message's KeyInfo. */
	d->signKey = xmlSecKeyDuplicate(key);
	if (d->signKey == NULL)
		goto out;
	if (xmlSecDSigCtxVerify(d, sig) < 0 || d->status != xmlSecDSigStatusSucceeded)
		goto out;
	if (xmlSecPtrListGetSize(&d->signedInfoReferences) != 1)
		goto out;
	r = xmlSecPtrListGetItem(&d->signedInfoReferences, 0);
	ok = r != NULL && r->status == xmlSecDSigStatusSucceeded && r->uri != NULL &&
	     r->uri[0] == '#' && xmlStrEqual(r->uri + 1, (const xmlChar *)id);
out:
	xmlSecDSigCtxDestroy(d);
	return ok;
}

int
saml_verify(struct saml_ctx *c, xmlNodePtr el, xmlNodePtr sig)
{
	const char *id = saml_attr(c, el, "ID");
	xmlAttrPtr idattr;
	const struct sg_saml_keys *k = c->t->idp_keys;
	const char *why;
	size_t i;

	/* "#ID" must resolve to el, and (IDs being unique) only to el. */
	idattr = id != NULL && id[0] != '\0' ? xmlGetID(c->doc, (const xmlChar *)id) : NULL;
	if (idattr == NULL || idattr->parent != el)
		return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
		                 "the signed element has no usable ID");
	if (saml_sig_shape(c, el, sig, id) < 0)
		return -1;
	if (k == NULL || k->n == 0)
		return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE, "no IdP key is configured");
	for (i = 0; i < k->n; i++) {
		if (saml_verify_with(c, k->keys[i], sig, id)) {
			ERR_clear_error();
			saml_pass(c, "signature", "the %s is signed by IdP key %zu",
			          (const char *)el->name, i + 1);
			return 0;
		}
	}
	ERR_clear_error();
	why = saml_errors_last();
	return saml_fail(c, "signature", SG_SAML_ERR_SIGNATURE,
	                 "the %s's signature does not verify with any IdP key%s%s%s",
	                 (const char *)el->name, *why ? " (" : "", why, *why ? ")" : "");
}

/* The base64 text of n decoded into out (at most max bytes); -1 if bad. */
static int
saml_b64_node(struct saml_ctx *c, xmlNodePtr n, size_t max, struct sg_buf *out)
{
	const char *s = n != NULL ? saml_text(c, n) : NULL;

	if (s == NULL || saml_base64_decode(s, strlen(s), max, out) < 0 || out->len == 0)
		return -1;
	return 0;
}

/* The digest named by a DigestMethod/MGF child of an OAEP EncryptionMethod
 * (SHA-1 when absent); NULL if not SHA-1 or SHA-256. */
static const EVP_MD *
saml_oaep_md(struct saml_ctx *c, xmlNodePtr em, const char *ns, const char *name, const char *sha1,
             const char *sha256)
{
	xmlNodePtr n = saml_child(em, ns, name);
	const char *alg = n != NULL ? saml_attr(c, n, "Algorithm") : NULL;

	if (n == NULL)
		return EVP_sha1();
	if (alg != NULL && strcmp(alg, sha1) == 0)
		return EVP_sha1();
	if (alg != NULL && strcmp(alg, sha256) == 0)
		return EVP_sha256();
	return NULL;
}

/* Unwraps the content key from EncryptedKey ek with the SP key pk into
 * key (klen bytes).  A bad PKCS#1 v1.5 block yields a random key. */
static int
saml_unwrap(struct saml_ctx *c, xmlNodePtr ek, EVP_PKEY *pk, unsigned char *key, size_t klen)
{
	xmlNodePtr em = saml_child(ek, SG_SAML_NS_XENC, "EncryptionMethod");
	xmlNodePtr cd = saml_child(ek, SG_SAML_NS_XENC, "CipherData");
	const char *alg = saml_attr(c, em, "Algorithm");
	struct sg_buf ct = { 0 }, label = { 0 };
	const EVP_MD *md = NULL, *mgf = NULL;
	EVP_PKEY_CTX *pc = NULL;
	unsigned char out[1024];
	size_t olen = sizeof(out);
	bool pkcs1 = false;
	int rc = -1;

	if (alg == NULL || cd == NULL ||
	    saml_b64_node(c, saml_child(cd, SG_SAML_NS_XENC, "CipherValue"), 4096, &ct) < 0)
		goto out;
	if (strcmp(alg, SG_SAML_NS_XENC "rsa-1_5") == 0)
		pkcs1 = true;
	else if (strcmp(alg, SG_SAML_NS_XENC "rsa-oaep-mgf1p") == 0)
		mgf = EVP_sha1();
	else if (strcmp(alg, SAML_NS_XENC11 "rsa-oaep") == 0)
		mgf = saml_oaep_md(c, em, SAML_NS_XENC11, "MGF", SAML_NS_XENC11 "mgf1sha1",
		                   SAML_NS_XENC11 "mgf1sha256");
	else
		goto out;
	if (!pkcs1) {
		md = saml_oaep_md(c, em, SG_SAML_NS_DSIG, "DigestMethod",
		                  "http://www.w3.org/2000/09/xmldsig#sha1",
		                  "http://www.w3.org/2001/04/xmlenc#sha256");
		if (md == NULL || mgf == NULL)
			goto out;
		if (saml_child(em, SG_SAML_NS_XENC, "OAEPparams") != NULL &&
		    saml_b64_node(c, saml_child(em, SG_SAML_NS_XENC, "OAEPparams"), 1024, &label) <
		        0)
			goto out;
	}
	pc = EVP_PKEY_CTX_new(pk, NULL);
	if (pc == NULL || EVP_PKEY_decrypt_init(pc) <= 0)
		goto out;
	if (pkcs1) {
		if (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) <= 0)
			goto out;
		/* XML Encryption 5.4.2: on any failure go on with a random key. */
		sg_csprng(key, klen);
		if (EVP_PKEY_decrypt(pc, out, &olen, (unsigned char *)ct.data, ct.len) > 0 &&
		    olen == klen)
			memcpy(key, out, klen);
		rc = 0;
		goto out;
	}
	if (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pc, md) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(pc, mgf) <= 0)
		goto out;
	if (label.len > 0) {
		unsigned char *l = OPENSSL_memdup(label.data, label.len);

		if (l == NULL || EVP_PKEY_CTX_set0_rsa_oaep_label(pc, l, (int)label.len) <= 0) {
			OPENSSL_free(l);
			goto out;
		}
	}
	if (EVP_PKEY_decrypt(pc, out, &olen, (unsigned char *)ct.data, ct.len) <= 0 || olen != klen)
		goto out;
	memcpy(key, out, klen);
	rc = 0;
out:
	sg_wipe(out, sizeof(out));
	EVP_PKEY_CTX_free(pc);
	sg_buf_free(&ct);
	sg_buf_free(&label);
	ERR_clear_error();
	return rc;
}

/* Decrypts EncryptedData ed with the AES key into plain. */
static int
saml_decrypt_content(const struct saml_alg *alg, xmlNodePtr ed, const unsigned char *key,
                     struct sg_buf *plain)
{
	xmlSecEncCtxPtr e;
	xmlSecBufferPtr res;
	size_t i;
	int rc = -1;

	e = xmlSecEncCtxCreate(NULL);
	if (e == NULL)
		return -1;
	/* No CipherReference (no URI of any kind) and only this AES mode. */
	e->transformCtx.enabledUris = xmlSecTransformUriTypeNone;
	if (xmlSecPtrListAdd(&e->transformCtx.enabledTransforms, (void *)alg->klass()) < 0)
		goto out;
	e->encKey =
	    xmlSecKeyReadMemory(xmlSecOpenSSLKeyDataAesGetKlass(), key, (xmlSecSize)alg->key_len);
	if (e->encKey == NULL)
		goto out;
	res = xmlSecEncCtxDecryptToBuffer(e, ed);
	if (res == NULL || xmlSecBufferGetData(res) == NULL)
		goto out;
	sg_buf_append(plain, xmlSecBufferGetData(res), xmlSecBufferGetSize(res));
	for (i = 0; i < xmlSecBufferGetSize(res); i++)
		xmlSecBufferGetData(res)[i] = 0;
	rc = 0;
out:
	xmlSecEncCtxDestroy(e);
	ERR_clear_error();
	return rc;
}

/* Collects the candidate EncryptedKeys: inside EncryptedData's KeyInfo,
 * then siblings of EncryptedData (SAML core 6.2).  -1 on too many. */
static int
saml_enc_keys(xmlNodePtr ed, xmlNodePtr *eks, size_t *n)
{
	xmlNodePtr ki = saml_child(ed, SG_SAML_NS_DSIG, "KeyInfo"), k;

	*n = 0;
	for (k = saml_first_el(ki); k != NULL; k = saml_next_el(k))
		if (saml_is(k, SG_SAML_NS_XENC, "EncryptedKey")) {
			if (*n == SG_SAML_MAX_ENC_KEYS)
				return -1;
			eks[(*n)++] = k;
		}
	for (k = saml_next_el(ed); k != NULL; k = saml_next_el(k)) {
		if (!saml_is(k, SG_SAML_NS_XENC, "EncryptedKey") || *n == SG_SAML_MAX_ENC_KEYS)
			return -1;
		eks[(*n)++] = k;
	}
	return 0;
}

/* Decrypts the content of enc (an EncryptedAssertion or EncryptedID) into
 * plain. */
static int
saml_decrypt_bytes(struct saml_ctx *c, xmlNodePtr enc, struct sg_buf *plain)
{
	xmlNodePtr ed = saml_first_el(enc), eks[SG_SAML_MAX_ENC_KEYS];
	const struct saml_alg *alg;
	const struct sg_saml_keys *sp = c->t->sp_keys;
	const char *type;
	unsigned char key[32];
	size_t nek, i, j;
	EVP_PKEY *pk;

	if (!saml_is(ed, SG_SAML_NS_XENC, "EncryptedData") || saml_enc_keys(ed, eks, &nek) < 0)
		return -1;
	type = saml_attr(c, ed, "Type");
	if (type != NULL && strcmp(type, SG_SAML_NS_XENC "Element") != 0)
		return -1;
	alg = saml_alg_of(c, saml_child(ed, SG_SAML_NS_XENC, "EncryptionMethod"), saml_content_algs,
	                  SG_NELEM(saml_content_algs));
	if (alg == NULL || saml_child(saml_child(ed, SG_SAML_NS_XENC, "CipherData"),
	                              SG_SAML_NS_XENC, "CipherValue") == NULL)
		return -1;
	for (i = 0; i < nek; i++) {
		for (j = 0; j < sp->n; j++) {
			pk = xmlSecOpenSSLEvpKeyDataGetEvp(xmlSecKeyGetValue(sp->keys[j]));
			if (pk == NULL || saml_unwrap(c, eks[i], pk, key, alg->key_len) < 0)
				continue;
			if (saml_decrypt_content(alg, ed, key, plain) == 0) {
				sg_wipe(key, sizeof(key));
				return 0;
			}
			sg_buf_reset(plain);
		}
	}
	sg_wipe(key, sizeof(key));
	return -1;
}

/* Parses the plain text in the context of enc's parent and puts the one
 * element ns:name it must hold (an Assertion, a NameID) in place of enc. */
static int
saml_replace(struct saml_ctx *c, xmlNodePtr enc, const struct sg_buf *plain, const char *ns,
             const char *name, xmlNodePtr *out)
{
	xmlNodePtr lst = NULL, n, next, as = NULL;
	int nel = 0;

	if (plain->len > c->t->max_size || plain->len > (size_t)INT32_MAX)
		return -1;
	if (xmlParseInNodeContext(enc->parent, plain->data, (int)plain->len,
	                          XML_PARSE_NONET | XML_PARSE_NODICT | XML_PARSE_NOWARNING,
	                          &lst) != XML_ERR_OK)
		return -1;
	for (n = lst; n != NULL; n = n->next) {
		if (n->type == XML_ELEMENT_NODE) {
			nel++;
			as = n;
		} else if (n->type != XML_TEXT_NODE && n->type != XML_COMMENT_NODE) {
			nel = 99;
		}
	}
	if (nel != 1 || !saml_is(as, ns, name)) {
		xmlFreeNodeList(lst);
		return -1;
	}
	for (n = lst; n != NULL; n = next) {
		next = n->next;
		if (n == as) {
			xmlUnlinkNode(n);
			n->parent = NULL;
			n->prev = n->next = NULL;
		} else {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
	}
	xmlReplaceNode(enc, as);
	xmlFreeNode(enc);
	*out = as;
	return 0;
}

int
saml_decrypt_element(struct saml_ctx *c, xmlNodePtr enc, const char *ns, const char *name,
                     xmlNodePtr *out)
{
	struct sg_buf plain = { 0 };
	int rc = -1;

	if (c->t->sp_keys != NULL && c->t->sp_keys->n > 0)
		rc = saml_decrypt_bytes(c, enc, &plain);
	if (rc == 0)
		rc = saml_replace(c, enc, &plain, ns, name, out);
	if (plain.data != NULL)
		sg_wipe(plain.data, plain.len);
	sg_buf_free(&plain);
	return rc;
}

int
saml_decrypt(struct saml_ctx *c, xmlNodePtr enc, xmlNodePtr *out)
{
	if (c->t->sp_keys == NULL || c->t->sp_keys->n == 0)
		return saml_fail(c, "decrypt", SG_SAML_ERR_DECRYPT,
		                 "the assertion is encrypted and no SP key is configured");
	if (saml_decrypt_element(c, enc, SG_SAML_NS_ASSERTION, "Assertion", out) < 0)
		return saml_fail(c, "decrypt", SG_SAML_ERR_DECRYPT,
		                 "the encrypted assertion cannot be decrypted with the SP key");
	saml_pass(c, "decrypt", "the assertion was decrypted with the SP key");
	return 0;
}
