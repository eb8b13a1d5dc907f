/*
 * listen.c - listening sockets.  Every address is bound once per worker
 * with SO_REUSEPORT, so each worker accepts on its own socket and the
 * kernel spreads new connections between them: no lock and no shared
 * accept queue on the request path.  They are bound while the daemon still
 * has the privileges for low ports, and handed to libevent only when the
 * worker's event loop runs.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net_int.h"

#define LISTEN_BACKLOG 511
#define ACCEPT_RETRY_MS 500

/*
 * Opens, configures and binds one socket; -1 with errno on failure.  With
 * reuseport the socket may share its address with our other workers'; a
 * probe (no reuseport, not listening) first finds out whether another
 * process, say a second ssogw, already holds the address, which
 * SO_REUSEPORT alone would let us share without a word.
 */
static int
bind_one(const struct sockaddr_storage *addr, socklen_t len, bool reuseport)
{
	int fd, on = 1, saved;

	fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == -1))
		goto fail;
	if (addr->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1)
		goto fail;
	if (bind(fd, (const struct sockaddr *)addr, len) == -1)
		goto fail;
	if (!reuseport)
		return fd; /* the probe */
	if (listen(fd, LISTEN_BACKLOG) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static void
add_listener(struct worker *w, int fd, bool tls, const char *text)
{
	struct listener *l;

	w->listeners = sg_xrealloc(w->listeners, (w->nlisteners + 1) * sizeof(*l));
	l = &w->listeners[w->nlisteners++];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->tls = tls;
	l->text = sg_xstrdup(text);
	l->w = w;
}

/* Binds each address of ls once per worker; failures go to errs. */
static void
bind_list(struct worker *w, unsigned nworkers, const struct sg_conf *c,
          const struct sg_conf_listens *ls, bool tls, struct sg_errlist *errs)
{
	for (size_t i = 0; i < ls->count; i++) {
		int probe = bind_one(&ls->v[i].addr, ls->v[i].addrlen, false);

		if (probe == -1) {
			sg_errlist_add(errs, "%s:%d: cannot listen on %s: %s", c->file,
			               ls->v[i].line, ls->v[i].text, strerror(errno));
			continue;
		}
		close(probe);
		for (unsigned k = 0; k < nworkers; k++) {
			int fd = bind_one(&ls->v[i].addr, ls->v[i].addrlen, true);

			if (fd == -1) {
				sg_errlist_add(errs, "%s:%d: cannot listen on %s: %s", c->file,
				               ls->v[i].line, ls->v[i].text, strerror(errno));
				break;
			}
			add_listener(&w[k], fd, tls, ls->v[i].text);
		}
	}
}

int
listeners_bind(struct worker *w, unsigned nworkers, const struct sg_conf *c,
               struct sg_errlist *errs)
{
	size_t before = errs->count;

	bind_list(w, nworkers, c, &c->server.listen, true, errs);
	bind_list(w, nworkers, c, &c->server.listen_http, false, errs);
	return errs->count == before ? 0 : -1;
}

static void
on_accept(struct evconnlistener *ev, evutil_socket_t fd, struct sockaddr *sa, int len, void *arg)
{
	struct listener *l = arg;

	(void)ev;
	(void)len;
	client_accept(l->w, fd, sa, l->tls);
}

/* The listener paused after an accept error (no descriptors left): try
 * again. */
static void
on_accept_retry(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	(void)fd;
	(void)what;
	if (l->ev != NULL)
		evconnlistener_enable(l->ev);
}

/* accept() failed, typically with EMFILE: the connection stays in the
 * backlog, so retrying at once would spin.  Pause this listener for
 * ACCEPT_RETRY_MS (as nginx does), and say so at most once a second. */
static void
on_accept_error(struct evconnlistener *ev, void *arg)
{
	struct listener *l = arg;
	struct timeval retry = { 0, ACCEPT_RETRY_MS * 1000 };
	time_t now = time(NULL);

	evconnlistener_disable(ev);
	event_add(l->retry, &retry);
	if (now != l->last_error_log) {
		l->last_error_log = now;
		sg_log_error("accept on %s: %s; pausing it for %d ms", l->text,
		             evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()), ACCEPT_RETRY_MS);
	}
}

int
listeners_start(struct worker *w)
{
	for (size_t i = 0; i < w->nlisteners; i++) {
		struct listener *l = &w->listeners[i];

		l->ev = evconnlistener_new(w->base, on_accept, l, LEV_OPT_CLOSE_ON_FREE, -1, l->fd);
		if (l->ev == NULL) {
			sg_log_error("cannot start listener on %s", l->text);
			return -1;
		}
		evconnlistener_set_error_cb(l->ev, on_accept_error);
		l->retry = evtimer_new(w->base, on_accept_retry, l);
		if (w->id == 0)
			sg_log_info("listening on %s (%s)", l->text,
			            l->tls ? "https" : "http, redirects to https");
	}
	return 0;
}

void
listeners_close(struct worker *w)
{
	for (size_t i = 0; i < w->nlisteners; i++) {
		struct listener *l = &w->listeners[i];

		if (l->retry != NULL)
			event_free(l->retry);
		l->retry = NULL;
		if (l->ev != NULL)
			evconnlistener_free(l->ev); /* closes fd */
		else if (l->fd != -1)
			close(l->fd);
		l->ev = NULL;
		l->fd = -1;
	}
}
