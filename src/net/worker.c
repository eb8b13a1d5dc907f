/*
 * worker.c - the engine: worker threads, each with its own libevent loop,
 * listeners, clients and backend pool, so that nothing on the request path
 * takes a lock.  The main thread (signals, reload, drain) reaches a worker
 * only through worker_post(): it sets a command under the worker's mutex
 * and activates the worker's command event, which runs in the worker.
 *
 * A reload builds a new generation (snapshot + TLS context) and posts it;
 * each worker swaps its pointer, and connections keep the generation they
 * were accepted with until they close.
 */
#include "config.h"

#include <event2/thread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_int.h"

struct gen *
gen_new(struct sg_conf *c, struct sg_errlist *errs)
{
	SSL_CTX *ssl = tls_server_ctx(c, errs);
	size_t before = errs->count;
	struct gen *g;

	if (ssl == NULL)
		return NULL;
	g = sg_xcalloc(1, sizeof(*g));
	atomic_init(&g->refs, 1);
	g->conf = sg_conf_ref(c);
	g->ssl = ssl;
	g->backend_ssl = sg_xcalloc(c->app_count, sizeof(*g->backend_ssl));
	g->app_ssl = sg_xcalloc(c->app_count, sizeof(*g->app_ssl));
	for (size_t i = 0; i < c->app_count; i++) {
		if (c->apps[i]->backend.url.https)
			g->backend_ssl[i] = tls_backend_ctx(c, c->apps[i], errs);
		if (c->apps[i]->tls_certificate != NULL)
			g->app_ssl[i] = tls_app_ctx(c, c->apps[i], errs);
	}
	tls_enable_sni(g);
	if (errs->count != before) {
		gen_unref(g);
		return NULL;
	}
	return g;
}

SSL_CTX *
gen_backend_ssl(const struct gen *g, const struct sg_conf_app *app)
{
	for (size_t i = 0; i < g->conf->app_count; i++)
		if (g->conf->apps[i] == app)
			return g->backend_ssl[i];
	return NULL;
}

struct gen *
gen_ref(struct gen *g)
{
	atomic_fetch_add(&g->refs, 1);
	return g;
}

void
gen_unref(struct gen *g)
{
	if (g == NULL || atomic_fetch_sub(&g->refs, 1) != 1)
		return;
	for (size_t i = 0; i < g->conf->app_count; i++) {
		SSL_CTX_free(g->backend_ssl[i]);
		SSL_CTX_free(g->app_ssl[i]);
	}
	free(g->backend_ssl);
	free(g->app_ssl);
	SSL_CTX_free(g->ssl);
	sg_conf_unref(g->conf);
	free(g);
}

/* Runs in the worker: applies what the main thread posted. */
/* Whether two snapshots reach the session store the same way. */
static bool
same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool
same_store(const struct sg_conf_session *a, const struct sg_conf_session *b)
{
	return same_text(a->store, b->store) && same_text(a->store_password, b->store_password) &&
	       same_text(a->store_ca_file, b->store_ca_file) &&
	       a->store_timeout_ms == b->store_timeout_ms;
}

static void
on_command(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct gen *g;
	bool stop, quit;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->lock);
	g = w->cmd_gen;
	w->cmd_gen = NULL;
	stop = w->cmd_stop_accepting;
	quit = w->cmd_exit;
	pthread_mutex_unlock(&w->lock);
	if (g != NULL) {
		if (w->redis != NULL && !same_store(&w->gen->conf->session, &g->conf->session)) {
			/* The next command connects with the new settings; what
			 * waits on the old connection fails now (a 503 each). */
			redis_conn_free(w->redis);
			w->redis = NULL;
		}
		gen_unref(w->gen);
		w->gen = g;
	}
	if (stop && !w->draining) {
		w->draining = true;
		listeners_close(w);
		client_drain_all(w);
	}
	if (quit)
		event_base_loopbreak(w->base);
}

/* Hands a command to worker w (main thread). */
static void
worker_post(struct worker *w, struct gen *g, bool stop, bool quit)
{
	pthread_mutex_lock(&w->lock);
	if (g != NULL) {
		gen_unref(w->cmd_gen);
		w->cmd_gen = gen_ref(g);
	}
	w->cmd_stop_accepting |= stop;
	w->cmd_exit |= quit;
	pthread_mutex_unlock(&w->lock);
	event_active(w->cmd_ev, EV_READ, 0);
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

/* The worker count: "auto" is one per online CPU. */
static unsigned
worker_count(const struct sg_conf *c)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (c->server.workers > 0)
		return c->server.workers;
	return n > 0 ? (unsigned)n : 1;
}

struct sg_net *
sg_net_new(struct sg_conf *c, const struct sg_net_hooks *hooks, struct sg_errlist *errs)
{
	struct sg_net *n = sg_xcalloc(1, sizeof(*n));

	evthread_use_pthreads();
	n->hooks = *hooks;
	n->nworkers = worker_count(c);
	n->workers = sg_xcalloc(n->nworkers, sizeof(*n->workers));
	for (unsigned i = 0; i < n->nworkers; i++) {
		n->workers[i].net = n;
		n->workers[i].id = i;
		pthread_mutex_init(&n->workers[i].lock, NULL);
	}
	n->gen = gen_new(c, errs);
	if (n->gen == NULL || listeners_bind(n->workers, n->nworkers, c, errs) == -1) {
		sg_net_free(n);
		return NULL;
	}
	return n;
}

/* A worker's event loop.  With epoll's change list, an event added and
 * deleted again before the loop next waits costs no system call: a
 * response that the TLS layer writes out at once (bufferevent_openssl
 * writes as soon as data is queued) no longer pays an epoll_ctl pair.
 * The list's known caveat is dup(2)ed descriptors, which net/ never
 * makes. */
static struct event_base *
new_base(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (cfg == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

int
sg_net_start(struct sg_net *n)
{
	for (unsigned i = 0; i < n->nworkers; i++) {
		struct worker *w = &n->workers[i];

		w->base = new_base();
		if (w->base == NULL)
			return -1;
		w->gen = gen_ref(n->gen);
		w->cmd_ev = event_new(w->base, -1, EV_PERSIST, on_command, w);
		if (listeners_start(w) == -1)
			return -1;
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			sg_log_error("cannot start worker thread %u", i);
			return -1;
		}
		w->started = true;
	}
	sg_log_info("%u worker%s running", n->nworkers, n->nworkers == 1 ? "" : "s");
	return 0;
}

int
sg_net_reload(struct sg_net *n, struct sg_conf *c, struct sg_errlist *errs)
{
	struct gen *g = gen_new(c, errs);

	if (g == NULL)
		return -1;
	for (unsigned i = 0; i < n->nworkers; i++)
		if (n->workers[i].started)
			worker_post(&n->workers[i], g, false, false);
	gen_unref(n->gen);
	n->gen = g;
	return 0;
}

/* True when every address of ls is bound by worker 0 as that kind. */
static bool
all_bound(const struct worker *w, const struct sg_conf_listens *ls, bool tls, size_t *count)
{
	for (size_t i = 0; i < ls->count; i++) {
		bool found = false;

		for (size_t j = 0; j < w->nlisteners && !found; j++)
			found = w->listeners[j].tls == tls &&
			        strcmp(w->listeners[j].text, ls->v[i].text) == 0;
		if (!found)
			return false;
	}
	*count += ls->count;
	return true;
}

bool
sg_net_listeners_match(const struct sg_net *n, const struct sg_conf *c)
{
	size_t count = 0;

	return worker_count(c) == n->nworkers &&
	       all_bound(&n->workers[0], &c->server.listen, true, &count) &&
	       all_bound(&n->workers[0], &c->server.listen_http, false, &count) &&
	       count == n->workers[0].nlisteners;
}

void
sg_net_stop_accepting(struct sg_net *n)
{
	for (unsigned i = 0; i < n->nworkers; i++)
		if (n->workers[i].started)
			worker_post(&n->workers[i], NULL, true, false);
}

size_t
sg_net_active_connections(const struct sg_net *n)
{
	size_t total = 0;

	for (unsigned i = 0; i < n->nworkers; i++)
		total += atomic_load(&n->workers[i].nclients);
	return total;
}

/* Frees what worker w owns; its thread has ended (or never started). */
static void
worker_free(struct worker *w)
{
	/* First: waiting commands fail now, while their clients still exist. */
	if (w->redis != NULL)
		redis_conn_free(w->redis);
	w->redis = NULL;
	client_free_all(w);
	backend_pool_free(w);
	listeners_close(w);
	for (size_t i = 0; i < w->nlisteners; i++)
		free((char *)w->listeners[i].text);
	free(w->listeners);
	if (w->cmd_ev != NULL)
		event_free(w->cmd_ev);
	gen_unref(w->cmd_gen);
	gen_unref(w->gen);
	if (w->base != NULL)
		event_base_free(w->base);
	pthread_mutex_destroy(&w->lock);
}

void
sg_net_free(struct sg_net *n)
{
	if (n == NULL)
		return;
	for (unsigned i = 0; i < n->nworkers; i++)
		if (n->workers[i].started)
			worker_post(&n->workers[i], NULL, false, true);
	for (unsigned i = 0; i < n->nworkers; i++) {
		if (n->workers[i].started)
			pthread_join(n->workers[i].thread, NULL);
		worker_free(&n->workers[i]);
	}
	free(n->workers);
	gen_unref(n->gen);
	free(n);
}
