/*
 * listen.c - listening sockets.  They are bound while the daemon still has
 * the privileges to bind low ports, before it drops them, and handed to
 * libevent only once the event loop exists.  Until the proxy engine lands,
 * an accepted connection is closed at once (and logged at debug level).
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

#define LISTEN_BACKLOG 511

struct bound {
	int fd;
	const char *text; /* copied from the config */
	bool plain_http;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	struct evconnlistener *ev;
};

struct sg_listeners {
	struct bound *v;
	size_t count;
};

static atomic_size_t active_connections;

/* Opens, configures and binds one socket; -1 with errno on failure. */
static int
bind_one(const struct sockaddr_storage *addr, socklen_t len)
{
	int fd, on = 1, saved;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1)
		goto fail;
	if (addr->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)addr, len) == -1)
		goto fail;
	if (listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Binds each address of ls, appending to l; failures go to errs. */
static void
bind_list(struct sg_listeners *l, const struct sg_conf *c, const struct sg_conf_listens *ls,
          bool plain_http, struct sg_errlist *errs)
{
	for (size_t i = 0; i < ls->count; i++) {
		int fd = bind_one(&ls->v[i].addr, ls->v[i].addrlen);
		struct bound *b;

		if (fd == -1) {
			sg_errlist_add(errs, "%s:%d: cannot listen on %s: %s", c->file,
			               ls->v[i].line, ls->v[i].text, strerror(errno));
			continue;
		}
		l->v = sg_xrealloc(l->v, (l->count + 1) * sizeof(*l->v));
		b = &l->v[l->count++];
		memset(b, 0, sizeof(*b));
		b->fd = fd;
		b->text = sg_xstrdup(ls->v[i].text);
		b->plain_http = plain_http;
		b->addr = ls->v[i].addr;
		b->addrlen = ls->v[i].addrlen;
	}
}

struct sg_listeners *
sg_net_listeners_bind(const struct sg_conf *c, struct sg_errlist *errs)
{
	struct sg_listeners *l = sg_xcalloc(1, sizeof(*l));
	size_t before = errs->count;

	bind_list(l, c, &c->server.listen, false, errs);
	bind_list(l, c, &c->server.listen_http, true, errs);
	if (errs->count != before) {
		sg_net_listeners_free(l);
		return NULL;
	}
	return l;
}

/* A connection arrived; the proxy engine is not there yet to serve it. */
static void
on_accept(struct evconnlistener *ev, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	struct bound *b = arg;
	char host[64] = "?";

	(void)ev;
	(void)len;
	atomic_fetch_add(&active_connections, 1);
	if (sa->sa_family == AF_INET)
		evutil_inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, host,
		                 sizeof(host));
	else if (sa->sa_family == AF_INET6)
		evutil_inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, host,
		                 sizeof(host));
	sg_log_debug("connection from %s on %s closed: no proxy engine in this build", host,
	             b->text);
	evutil_closesocket(fd);
	atomic_fetch_sub(&active_connections, 1);
}

static void
on_accept_error(struct evconnlistener *ev, void *arg)
{
	struct bound *b = arg;
	int err = EVUTIL_SOCKET_ERROR();

	(void)ev;
	/* EMFILE and friends: log, and let libevent retry on the next event. */
	sg_log_error("accept on %s: %s", b->text, evutil_socket_error_to_string(err));
}

int
sg_net_listeners_start(struct sg_listeners *l, struct event_base *base)
{
	for (size_t i = 0; i < l->count; i++) {
		struct bound *b = &l->v[i];

		b->ev = evconnlistener_new(base, on_accept, b, LEV_OPT_CLOSE_ON_FREE, -1, b->fd);
		if (b->ev == NULL) {
			sg_log_error("cannot start listener on %s", b->text);
			return -1;
		}
		evconnlistener_set_error_cb(b->ev, on_accept_error);
		sg_log_info("listening on %s (%s)", b->text,
		            b->plain_http ? "http, redirects" : "https");
	}
	return 0;
}

void
sg_net_listeners_close(struct sg_listeners *l)
{
	for (size_t i = 0; i < l->count; i++) {
		if (l->v[i].ev != NULL)
			evconnlistener_free(l->v[i].ev); /* closes fd */
		else if (l->v[i].fd != -1)
			close(l->v[i].fd);
		l->v[i].ev = NULL;
		l->v[i].fd = -1;
	}
}

void
sg_net_listeners_free(struct sg_listeners *l)
{
	if (l == NULL)
		return;
	sg_net_listeners_close(l);
	for (size_t i = 0; i < l->count; i++)
		free((char *)l->v[i].text);
	free(l->v);
	free(l);
}

/* True when the address of b appears in ls with the same kind. */
static bool
listed(const struct bound *b, const struct sg_conf_listens *ls, bool plain_http)
{
	if (b->plain_http != plain_http)
		return false;
	for (size_t i = 0; i < ls->count; i++)
		if (ls->v[i].addrlen == b->addrlen &&
		    memcmp(&ls->v[i].addr, &b->addr, b->addrlen) == 0)
			return true;
	return false;
}

bool
sg_net_listeners_match(const struct sg_listeners *l, const struct sg_conf *c)
{
	if (l->count != c->server.listen.count + c->server.listen_http.count)
		return false;
	for (size_t i = 0; i < l->count; i++)
		if (!listed(&l->v[i], &c->server.listen, false) &&
		    !listed(&l->v[i], &c->server.listen_http, true))
			return false;
	return true;
}

size_t
sg_net_active_connections(void)
{
	return atomic_load(&active_connections);
}
