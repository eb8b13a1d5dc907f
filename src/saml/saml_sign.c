/*
 * saml_sign.c - the enveloped XML signature on the SP's own protocol
 * messages, as the HTTP-POST binding carries them (SAML core 5.4, bindings
 * 3.5.4: the signature travels inside the XML, not in the query as with
 * HTTP-Redirect).  The message, written as text by its builder, is parsed
 * back, a Signature template is put right after its saml:Issuer (the
 * schema's place for it in RequestAbstractType and StatusResponseType) and
 * xmlsec signs it: RSA-SHA256, a SHA-256 digest, one Reference to "#ID"
 * with the enveloped-signature and exclusive c14n transforms, exclusive
 * c14n of SignedInfo, and the SP certificate in KeyInfo when the key set
 * holds it.  These are the choices saml_dsig.c accepts on the way in.
 *
 * It signs only XML of ours (never a received document) and reads no
 * clock.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <xmlsec/keys.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/x509.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>

#include "saml_int.h"

/*
 * Registers the root's ID attribute as an ID (libxml2 knows only xml:id
 * without a schema), so that the Reference "#ID" resolves; *id is its
 * value, owned by the tree.  -1 if the root has no ID.
 */
static int
saml_sign_register_id(xmlDocPtr doc, xmlNodePtr root, const xmlChar **id)
{
	xmlAttrPtr attr = xmlHasNsProp(root, (const xmlChar *)"ID", NULL);

	if (attr == NULL || attr->children == NULL || attr->children->content == NULL ||
	    attr->children->next != NULL)
		return -1;
	*id = attr->children->content;
	return xmlAddID(NULL, doc, *id, attr) != NULL ? 0 : -1;
}

/* Puts the Signature template after the root's saml:Issuer (core 5.4.1);
 * NULL if the message has no Issuer first. */
static xmlNodePtr
saml_sign_template(xmlDocPtr doc, xmlNodePtr root, const xmlChar *id, bool with_cert)
{
	xmlNodePtr issuer = saml_first_el(root), sig, ref, ki, xd;
	char uri[128];

	if (!saml_is(issuer, SG_SAML_NS_ASSERTION, "Issuer") ||
	    (size_t)snprintf(uri, sizeof(uri), "#%s", (const char *)id) >= sizeof(uri))
		return NULL;
	sig = xmlSecTmplSignatureCreateNsPref(doc, xmlSecTransformExclC14NId,
	                                      xmlSecOpenSSLTransformRsaSha256Id, NULL,
	                                      (const xmlChar *)"ds");
	if (sig == NULL)
		return NULL;
	if (xmlAddNextSibling(issuer, sig) == NULL) {
		xmlFreeNode(sig);
		return NULL;
	}
	ref = xmlSecTmplSignatureAddReference(sig, xmlSecOpenSSLTransformSha256Id, NULL,
	                                      (const xmlChar *)uri, NULL);
	if (ref == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) == NULL ||
	    xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId) == NULL)
		return NULL;
	if (!with_cert)
		return sig;
	ki = xmlSecTmplSignatureEnsureKeyInfo(sig, NULL);
	xd = ki != NULL ? xmlSecTmplKeyInfoAddX509Data(ki) : NULL;
	if (xd == NULL || xmlSecTmplX509DataAddCertificate(xd) == NULL)
		return NULL;
	return sig;
}

/* Fills the template sig with the SP key: digest, then signature value. */
static int
saml_sign_fill(xmlSecKeyPtr key, xmlNodePtr sig)
{
	xmlSecDSigCtxPtr d;
	int rc = -1;

	d = xmlSecDSigCtxCreate(NULL);
	if (d == NULL)
		sg_fatal("out of memory in xmlSecDSigCtxCreate");
	/* The key is set, so xmlsec looks nothing up in a keys manager. */
	d->signKey = xmlSecKeyDuplicate(key);
	if (d->signKey != NULL && xmlSecDSigCtxSign(d, sig) == 0 &&
	    d->status == xmlSecDSigStatusSucceeded)
		rc = 0;
	xmlSecDSigCtxDestroy(d);
	return rc;
}

/* Appends the root element of doc as XML text (no declaration) to out. */
static int
saml_sign_dump(xmlDocPtr doc, xmlNodePtr root, struct sg_buf *out)
{
	xmlBufferPtr b = xmlBufferCreate();
	int rc = -1;

	if (b == NULL)
		sg_fatal("out of memory in xmlBufferCreate");
	if (xmlNodeDump(b, doc, root, 0, 0) > 0) {
		sg_buf_append(out, xmlBufferContent(b), (size_t)xmlBufferLength(b));
		rc = 0;
	}
	xmlBufferFree(b);
	return rc;
}

/* Signs the root of a message of ours after its Issuer (see saml_int.h). */
int
saml_sign_enveloped(const struct sg_saml_keys *k, const char *xml, size_t len, struct sg_buf *out,
                    struct sg_err *err)
{
	EVP_PKEY *pk = saml_keys_private(k);
	xmlDocPtr doc = NULL;
	xmlNodePtr root, sig;
	const xmlChar *id = NULL;
	char errbuf[160];
	bool with_cert;
	int rc = -1;

	if (pk == NULL || EVP_PKEY_base_id(pk) != EVP_PKEY_RSA)
		return sg_err_set(err, SG_SAML_ERR_SIGNATURE,
		                  "the message cannot be signed (the SP key must be an RSA "
		                  "private key)");
	saml_errors_begin(errbuf, sizeof(errbuf));
	if (len > INT32_MAX)
		goto out;
	doc = xmlReadMemory(xml, (int)len, NULL, NULL, XML_PARSE_NONET);
	root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
	if (root == NULL || saml_sign_register_id(doc, root, &id) < 0)
		goto out;
	with_cert = xmlSecKeyGetData(k->keys[0], xmlSecOpenSSLKeyDataX509Id) != NULL;
	sig = saml_sign_template(doc, root, id, with_cert);
	if (sig == NULL || saml_sign_fill(k->keys[0], sig) < 0)
		goto out;
	rc = saml_sign_dump(doc, root, out);
out:
	if (rc < 0)
		sg_err_set(err, SG_SAML_ERR_SIGNATURE, "the message cannot be signed (%s)",
		           saml_errors_last()[0] != '\0' ? saml_errors_last() : "no detail");
	if (doc != NULL)
		xmlFreeDoc(doc);
	saml_errors_end();
	ERR_clear_error();
	return rc;
}
