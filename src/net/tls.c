/*
 * tls.c - TLS contexts for the listeners.  For now it loads and checks the
 * configured certificate chain and key, so that `ssogw -t` and a reload
 * refuse a key that does not match its certificate before anything serves
 * with it.  The proxy engine builds its listening contexts here as well.
 */
#include "config.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>

#include "net.h"

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

int
sg_net_tls_check(const struct sg_conf *c, struct sg_errlist *errs)
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
		tls_error(errs, c, "tls_key", "use key (it does not match tls_certificate)",
		          srv->tls_key);
	SSL_CTX_free(ctx);
	return errs->count == before ? 0 : -1;
}
