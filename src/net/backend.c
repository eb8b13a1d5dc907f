/*
 * backend.c - connections to the backends and the per-worker pool of idle
 * keep-alive ones.  A connection is lent to one client exchange at a time;
 * afterwards it goes back to the pool if its last response was complete
 * and persistent, or is closed.  An idle connection that the backend
 * closes, that receives stray bytes, or that stays idle past
 * backend_idle_timeout is closed at once, so a reused one is at least
 * believed to be open; the client retries once when that belief fails.
 */
#include "config.h"

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_int.h"

struct backend_conn {
	struct backend_conn *next; /* in the pool */
	struct worker *w;
	struct bufferevent *bev;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	SSL_CTX *ssl;                   /* TLS: the context it was verified with */
	char host[SG_URL_HOST_MAX + 1]; /* the name TLS verified */
	bool reused;
	bool connected;
	uint64_t timeout_ms; /* backend_timeout of the current exchange */
	struct backend_cb cb;
};

static void
set_timeouts(struct bufferevent *bev, uint64_t ms)
{
	struct timeval tv = sg_timeval_ms(ms);

	bufferevent_set_timeouts(bev, &tv, &tv);
}

static void
backend_free(struct backend_conn *b)
{
	bufferevent_free(b->bev);
	free(b);
}

/* Takes b out of its worker's pool. */
static void
pool_remove(struct backend_conn *b)
{
	for (struct backend_conn **pp = &b->w->idle; *pp != NULL; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			b->w->nidle--;
			return;
		}
}

/* An idle connection stirred: the backend closed it, timed it out, or sent
 * bytes nobody asked for.  It cannot be trusted with a request any more. */
static void
on_idle_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	pool_remove(arg);
	backend_free(arg);
}

static void
on_idle_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	pool_remove(arg);
	backend_free(arg);
}

static void
on_read(struct bufferevent *bev, void *arg)
{
	struct backend_conn *b = arg;

	(void)bev;
	b->cb.read(b, b->cb.arg);
}

static void
on_write(struct bufferevent *bev, void *arg)
{
	struct backend_conn *b = arg;

	(void)bev;
	b->cb.write(b, b->cb.arg);
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct backend_conn *b = arg;

	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;

		b->connected = true;
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		set_timeouts(bev, b->timeout_ms);
		return;
	}
	b->cb.event(b, what, b->cb.arg);
}

/* Lends b to a new user with its callbacks and timeouts. */
static void
lend(struct backend_conn *b, const struct sg_conf_app *app, const struct backend_cb *cb)
{
	b->cb = *cb;
	b->timeout_ms = app->backend_timeout_ms;
	bufferevent_setcb(b->bev, on_read, on_write, on_event, b);
	/* Writing is enabled when there is something to write (backend_send,
	 * backend_writing): enabled on an empty buffer it costs an epoll_ctl
	 * pair for nothing.  A connect needs it to report completion. */
	bufferevent_enable(b->bev, b->connected ? EV_READ : EV_READ | EV_WRITE);
}

void
backend_writing(struct backend_conn *b)
{
	bufferevent_enable(b->bev, EV_WRITE);
}

/* A TLS client bufferevent for app's backend: SNI and certificate name
 * checks for its host name (or address). */
static struct bufferevent *
tls_bev(struct worker *w, SSL_CTX *ctx, const struct sg_conf_app *app)
{
	const char *host = app->backend.url.host;
	SSL *ssl = SSL_new(ctx);
	struct bufferevent *bev;

	if (ssl == NULL)
		return NULL;
	if (app->backend.url.host_is_v6 || strspn(host, "0123456789.") == strlen(host)) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
	} else {
		SSL_set_tlsext_host_name(ssl, host);
		SSL_set1_host(ssl, host);
	}
	bev = bufferevent_openssl_socket_new(w->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	                                     BEV_OPT_CLOSE_ON_FREE);
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

struct backend_conn *
backend_get(struct worker *w, const struct sg_conf_app *app, SSL_CTX *ssl,
            const struct backend_cb *cb)
{
	struct backend_conn *b;

	for (b = w->idle; b != NULL; b = b->next)
		if (b->addrlen == app->backend_addrlen &&
		    memcmp(&b->addr, &app->backend_addr, b->addrlen) == 0 && b->ssl == ssl &&
		    strcmp(b->host, app->backend.url.host) == 0) {
			pool_remove(b);
			b->reused = true;
			lend(b, app, cb);
			set_timeouts(b->bev, b->timeout_ms);
			return b;
		}
	b = sg_xcalloc(1, sizeof(*b));
	b->w = w;
	b->addr = app->backend_addr;
	b->addrlen = app->backend_addrlen;
	b->ssl = ssl; /* compared only: a reload's new CAs mean new connections */
	snprintf(b->host, sizeof(b->host), "%s", app->backend.url.host);
	b->bev =
	    ssl ? tls_bev(w, ssl, app) : bufferevent_socket_new(w->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (b->bev == NULL)
		sg_fatal("cannot create a backend connection");
	lend(b, app, cb);
	set_timeouts(b->bev, app->backend_connect_timeout_ms);
	if (bufferevent_socket_connect(b->bev, (struct sockaddr *)&b->addr, (int)b->addrlen) ==
	    -1) {
		/* Refused at once (no route, no port): report it like a late failure. */
		backend_free(b);
		return NULL;
	}
	return b;
}

const char *
backend_error(struct backend_conn *b, char *buf, size_t n)
{
	unsigned long e = b->ssl != NULL ? bufferevent_get_openssl_error(b->bev) : 0;

	if (e != 0)
		ERR_error_string_n(e, buf, n);
	else
		snprintf(buf, n, "%s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	return buf;
}

void
backend_rebind(struct backend_conn *b, const struct backend_cb *cb)
{
	b->cb = *cb;
}

struct bufferevent *
backend_bev(struct backend_conn *b)
{
	return b->bev;
}

bool
backend_reused(const struct backend_conn *b)
{
	return b->reused;
}

void
backend_send(struct backend_conn *b, const void *p, size_t n, bool last)
{
	struct evbuffer *out = bufferevent_get_output(b->bev);

	/* A connected plain-TCP connection with nothing queued takes the bytes
	 * now: queuing them would cost an epoll_ctl pair and a loop turn per
	 * request.  Only the last bytes of a request go this way, so that a
	 * request whose body turns out bad has sent nothing. */
	if (last && b->connected && b->ssl == NULL && evbuffer_get_length(out) == 0) {
		ssize_t k = send(bufferevent_getfd(b->bev), p, n, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (k > 0) {
			p = (const char *)p + k;
			n -= (size_t)k;
		}
	}
	if (n > 0) {
		bufferevent_enable(b->bev, EV_WRITE);
		bufferevent_write(b->bev, p, n); /* a failed send fails here again, visibly */
	}
}

/* How many idle connections the pool holds to b's address. */
static uint64_t
idle_count(const struct worker *w, const struct backend_conn *b)
{
	uint64_t n = 0;

	for (const struct backend_conn *i = w->idle; i != NULL; i = i->next)
		n += i->addrlen == b->addrlen && memcmp(&i->addr, &b->addr, b->addrlen) == 0;
	return n;
}

void
backend_release(struct backend_conn *b, bool reusable)
{
	struct worker *w = b->w;
	const struct sg_conf *c = w->gen->conf;
	struct timeval idle = sg_timeval_ms(c->server.backend_idle_timeout_ms);

	if (!reusable || w->draining || idle_count(w, b) >= c->server.backend_max_idle ||
	    evbuffer_get_length(bufferevent_get_input(b->bev)) != 0 ||
	    evbuffer_get_length(bufferevent_get_output(b->bev)) != 0) {
		backend_free(b);
		return;
	}
	bufferevent_setcb(b->bev, on_idle_read, NULL, on_idle_event, b);
	bufferevent_set_timeouts(b->bev, &idle, NULL);
	bufferevent_disable(b->bev, EV_WRITE);
	bufferevent_enable(b->bev, EV_READ);
	b->next = w->idle;
	w->idle = b;
	w->nidle++;
}

void
backend_pool_free(struct worker *w)
{
	while (w->idle != NULL) {
		struct backend_conn *b = w->idle;

		w->idle = b->next;
		backend_free(b);
	}
	w->nidle = 0;
}
