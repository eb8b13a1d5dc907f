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

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "net_int.h"

/* Appends OpenSSL's oldest queued error, or "unknown error", to errs,
 * naming the directive key of section sect. */
static void
tls_error(struct sg_errlist *errs, const struct sg_conf *c, const struct sg_conf_sect *sect,
          const char *key, const char *what, const char *path)
{
	unsigned long e = ERR_peek_error();
	char buf[256] = "unknown error";

	if (ERR_GET_LIB(e) == ERR_LIB_X509 && ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
		snprintf(buf, sizeof(buf), "the key does not match tls_certificate");
	else if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	sg_errlist_add(errs, "%s:%d: %s: cannot %s %s: %s", c->file, sg_conf_line(sect, key), key,
	               what, path, buf);
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

/*
 * Session tickets (RFC 5077): the keys live in memory only, are shared by
 * every context and worker, and rotate (tls_rotate_ticket_keys, from the
 * main thread on a timer).  A ticket made with the previous key is still
 * accepted, and renewed, so a rotation ends no session at once.
 */
struct ticket_key {
	unsigned char name[16];
	unsigned char aes[32];
	unsigned char hmac[32];
};

static struct {
	pthread_rwlock_t lock;
	struct ticket_key current, previous;
	bool ready;
} tickets = { .lock = PTHREAD_RWLOCK_INITIALIZER };

void
sg_net_rotate_ticket_keys(void)
{
	tls_rotate_ticket_keys();
}

void
tls_rotate_ticket_keys(void)
{
	pthread_rwlock_wrlock(&tickets.lock);
	if (!tickets.ready) {
		sg_random_bytes(&tickets.previous, sizeof(tickets.previous));
		tickets.ready = true;
	} else {
		tickets.previous = tickets.current;
	}
	sg_random_bytes(&tickets.current, sizeof(tickets.current));
	pthread_rwlock_unlock(&tickets.lock);
}

/* Sets up the cipher and MAC for one ticket with key k. */
static int
ticket_init(const struct ticket_key *k, unsigned char *iv, EVP_CIPHER_CTX *ectx, EVP_MAC_CTX *hctx,
            int enc)
{
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, (void *)k->hmac,
		                                  sizeof(k->hmac)),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};

	if (EVP_CipherInit_ex(ectx, EVP_aes_256_cbc(), NULL, k->aes, iv, enc) != 1 ||
	    EVP_MAC_CTX_set_params(hctx, params) != 1)
		return -1;
	return 0;
}

/* OpenSSL's ticket key callback: 1 = use, 2 = use and renew, 0 = unknown. */
static int
on_ticket_key(SSL *ssl, unsigned char name[16], unsigned char *iv, EVP_CIPHER_CTX *ectx,
              EVP_MAC_CTX *hctx, int enc)
{
	int rc = 0;

	(void)ssl;
	pthread_rwlock_rdlock(&tickets.lock);
	if (enc) {
		memcpy(name, tickets.current.name, 16);
		if (RAND_bytes(iv, EVP_CIPHER_iv_length(EVP_aes_256_cbc())) == 1 &&
		    ticket_init(&tickets.current, iv, ectx, hctx, 1) == 0)
			rc = 1;
		else
			rc = -1;
	} else if (memcmp(name, tickets.current.name, 16) == 0) {
		rc = ticket_init(&tickets.current, iv, ectx, hctx, 0) == 0 ? 1 : -1;
	} else if (memcmp(name, tickets.previous.name, 16) == 0) {
		rc = ticket_init(&tickets.previous, iv, ectx, hctx, 0) == 0 ? 2 : -1;
	}
	pthread_rwlock_unlock(&tickets.lock);
	return rc;
}

/* Makes the first ticket keys if none exist yet. */
static void
tickets_ready(void)
{
	bool ready;

	pthread_rwlock_rdlock(&tickets.lock);
	ready = tickets.ready;
	pthread_rwlock_unlock(&tickets.lock);
	if (!ready)
		tls_rotate_ticket_keys();
}

/* A server context with one certificate chain and key (from section sect:
 * [server], or an [app] with its own), and the listeners' settings. */
static SSL_CTX *
server_ctx(const struct sg_conf *c, const struct sg_conf_sect *sect, const char *cert,
           const char *key, struct sg_errlist *errs)
{
	const struct sg_conf_server *srv = &c->server;
	size_t before = errs->count;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		sg_fatal("cannot create a TLS context");
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1)
		tls_error(errs, c, sect, "tls_certificate", "load certificate chain", cert);
	else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)
		tls_error(errs, c, sect, "tls_key", "load private key", key);
	else if (SSL_CTX_check_private_key(ctx) != 1)
		tls_error(errs, c, sect, "tls_key", "use private key", key);
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
	tickets_ready();
	SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, on_ticket_key);
	return ctx;
}

SSL_CTX *
tls_server_ctx(const struct sg_conf *c, struct sg_errlist *errs)
{
	return server_ctx(c, &c->server.s, c->server.tls_certificate, c->server.tls_key, errs);
}

SSL_CTX *
tls_app_ctx(const struct sg_conf *c, const struct sg_conf_app *app, struct sg_errlist *errs)
{
	return server_ctx(c, &app->s, app->tls_certificate, app->tls_key, errs);
}

/* SNI (RFC 6066 3): a client naming an app host with its own certificate
 * gets that app's context; anyone else gets [server]'s. */
static int
on_servername(SSL *ssl, int *alert, void *arg)
{
	const struct gen *g = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);

	(void)alert;
	if (name == NULL)
		return SSL_TLSEXT_ERR_OK;
	for (size_t i = 0; i < g->conf->app_count; i++)
		if (g->app_ssl[i] != NULL &&
		    strcasecmp(g->conf->apps[i]->url.url.host, name) == 0) {
			SSL_set_SSL_CTX(ssl, g->app_ssl[i]);
			break;
		}
	return SSL_TLSEXT_ERR_OK;
}

void
tls_enable_sni(struct gen *g)
{
	SSL_CTX_set_tlsext_servername_callback(g->ssl, on_servername);
	SSL_CTX_set_tlsext_servername_arg(g->ssl, g);
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
