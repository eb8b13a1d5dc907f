/*
 * tls.c - TLS contexts for the listeners (OpenSSL 3).  TLS 1.2 and 1.3
 * only, tls_ciphers for 1.2 (by default forward-secret AEAD ones; OpenSSL's
 * defaults for 1.3),
 * ALPN "http/1.1" (we speak nothing else), no renegotiation, and
 * SSL_MODE_RELEASE_BUFFERS so that an idle connection holds no TLS buffers.
 * Session tickets are on with keys OpenSSL generates per context, in
 * memory only; a reload builds a new context and so new keys.
 *
 * `ssogw -t` and a reload build the very context the listeners use, so a
 * key that does not match its certificate is refused before anything
 * serves with it.
 */
#include "config.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "net_int.h"

/* Appends OpenSSL's oldest queued error, or "unknown error", to errs. */
static void
tls_error(struct sg_errlist *errs, const struct sg_conf *c, const char *key, const char *what,
          const char *path)
{
	unsigned long e = ERR_peek_error();
	char buf[256] = "unknown error";

	if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
		snprintf(buf, sizeof(buf), "the key does not match tls_certificate");
	else if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	sg_errlist_add(errs, "%s:%d: %s: cannot %s %s: %s", c->file,
	               sg_conf_line(&c->server.s, key), key, what, path, buf);
}

/* Refuses to ask for a passphrase: a daemon has no terminal to ask on, and
 * OpenSSL's default would prompt on stdin during `ssogw -t`. */
static int
no_passphrase(char *buf, int size, int rwflag, void *userdata)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)userdata;
	return -1;
}

/* ALPN (RFC 7301): choose http/1.1 if offered; otherwise go on without. */
static int
select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
            unsigned int inlen, void *arg)
{
	static const unsigned char h11[] = "\x08http/1.1";
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, h11, sizeof(h11) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

SSL_CTX *
tls_server_ctx(const struct sg_conf *c, struct sg_errlist *errs)
{
	const struct sg_conf_server *srv = &c->server;
	size_t before = errs->count;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		sg_fatal("cannot create a TLS context");
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	if (SSL_CTX_use_certificate_chain_file(ctx, srv->tls_certificate) != 1)
		tls_error(errs, c, "tls_certificate", "load certificate chain",
		          srv->tls_certificate);
	else if (SSL_CTX_use_PrivateKey_file(ctx, srv->tls_key, SSL_FILETYPE_PEM) != 1)
		tls_error(errs, c, "tls_key", "load private key", srv->tls_key);
	else if (SSL_CTX_check_private_key(ctx) != 1)
		tls_error(errs, c, "tls_key", "use private key", srv->tls_key);
	if (errs->count != before) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_set_cipher_list(ctx, srv->tls_ciphers) != 1) {
		ERR_clear_error();
		sg_errlist_add(errs, "%s:%d: tls_ciphers: no cipher in \"%s\" is known to OpenSSL",
		               c->file, sg_conf_line(&c->server.s, "tls_ciphers"),
		               srv->tls_ciphers);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_alpn_select_cb(ctx, select_alpn, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
	return ctx;
}

SSL_CTX *
tls_backend_ctx(const struct sg_conf *c, const struct sg_conf_app *app, struct sg_errlist *errs)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int ok;

	if (ctx == NULL)
		sg_fatal("cannot create a TLS context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, app->backend_verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
	if (app->backend_ca_file != NULL)
		ok = SSL_CTX_load_verify_locations(ctx, app->backend_ca_file, NULL);
	else
		ok = SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		unsigned long e = ERR_peek_error();
		char buf[256] = "unknown error";

		if (e != 0)
			ERR_error_string_n(e, buf, sizeof(buf));
		ERR_clear_error();
		sg_errlist_add(errs, "%s:%d: backend_ca_file: cannot load %s: %s", c->file,
		               sg_conf_line(&app->s, "backend_ca_file"),
		               app->backend_ca_file ? app->backend_ca_file : "the system CAs", buf);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	return ctx;
}

int
sg_net_tls_check(struct sg_conf *c, struct sg_errlist *errs)
{
	struct gen *g = gen_new(c, errs); /* the very contexts a start builds */

	gen_unref(g);
	return g != NULL ? 0 : -1;
}
