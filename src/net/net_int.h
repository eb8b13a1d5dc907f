/*
 * net_int.h - internals of net/: the generation (a config snapshot and the
 * TLS context built from it), workers, client connections and backend
 * connections.  Ownership:
 *   sg_net     owns the workers and the bound listening sockets;
 *   a worker   owns its event loop, its listeners, its clients and its pool
 *              of idle backend connections, and holds one generation ref;
 *   a client   holds a generation ref for its whole life, owns its request
 *              arena and parsers, and borrows one backend connection per
 *              exchange, which goes back to the pool or is freed.
 * Everything a worker owns is touched only by that worker's thread; the
 * main thread talks to a worker through worker_post() alone.
 */
#ifndef SG_NET_INT_H
#define SG_NET_INT_H

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>

#include "net.h"

/* A config snapshot and the TLS context built from it. */
struct gen {
	atomic_int refs;
	struct sg_conf *conf;
	SSL_CTX *ssl;          /* the listeners' ([server]'s certificate) */
	SSL_CTX **app_ssl;     /* per app with its own certificate, chosen by SNI */
	SSL_CTX **backend_ssl; /* per app, for https backends; NULL for http ones */
};

struct gen *gen_new(struct sg_conf *c, struct sg_errlist *errs);
struct gen *gen_ref(struct gen *g);
/* The client TLS context for app's backend in g, or NULL (http). */
SSL_CTX *gen_backend_ssl(const struct gen *g, const struct sg_conf_app *app);
void gen_unref(struct gen *g);

/* tls.c */
SSL_CTX *tls_server_ctx(const struct sg_conf *c, struct sg_errlist *errs);
/* A listener context with app's own certificate. */
SSL_CTX *tls_app_ctx(const struct sg_conf *c, const struct sg_conf_app *app,
                     struct sg_errlist *errs);
/* Lets g's listener context hand SNI names to the apps' contexts. */
void tls_enable_sni(struct gen *g);
/* Starts a new session ticket key; the current one becomes the previous. */
void tls_rotate_ticket_keys(void);
/* The client context for app's https backend (CA file or system CAs). */
SSL_CTX *tls_backend_ctx(const struct sg_conf *c, const struct sg_conf_app *app,
                         struct sg_errlist *errs);

/* One listening socket of one worker. */
struct listener {
	int fd;
	bool tls;
	const char *text;
	struct evconnlistener *ev;
	struct event *retry; /* re-enables ev after an accept error */
	time_t last_error_log;
	struct worker *w;
};

struct backend_conn;
struct client;
struct redis_conn;

struct worker {
	struct sg_net *net;
	unsigned id;
	pthread_t thread;
	bool started;
	struct event_base *base;
	struct gen *gen;
	struct listener *listeners;
	size_t nlisteners;
	struct client *clients;    /* every open client connection */
	struct backend_conn *idle; /* the pool: idle keep-alive backend connections */
	struct redis_conn *redis;  /* the session store's connection, or NULL */
	size_t nidle;
	bool draining;
	atomic_size_t nclients;
	/* Commands from the main thread, under lock. */
	pthread_mutex_t lock;
	struct event *cmd_ev;
	struct gen *cmd_gen;
	bool cmd_stop_accepting;
	bool cmd_exit;
};

struct sg_net {
	struct worker *workers;
	unsigned nworkers;
	struct sg_net_hooks hooks;
	struct gen *gen; /* the newest generation */
};

/* listen.c: binds every address of c, n times each. */
int listeners_bind(struct worker *w, unsigned nworkers, const struct sg_conf *c,
                   struct sg_errlist *errs);
int listeners_start(struct worker *w);
void listeners_close(struct worker *w);

/* client.c */
void client_accept(struct worker *w, int fd, const struct sockaddr *sa, bool tls);
/* The worker is draining: closes every client that is between requests. */
void client_drain_all(struct worker *w);
void client_free_all(struct worker *w);

/* backend.c: a connection to app's backend, from the pool or new. */
struct backend_cb {
	void (*read)(struct backend_conn *b, void *arg);
	void (*write)(struct backend_conn *b, void *arg);
	void (*event)(struct backend_conn *b, short what, void *arg);
	void *arg;
};
/* ssl: the app's backend context (NULL for http). */
struct backend_conn *backend_get(struct worker *w, const struct sg_conf_app *app, SSL_CTX *ssl,
                                 const struct backend_cb *cb);
struct bufferevent *backend_bev(struct backend_conn *b);
bool backend_reused(const struct backend_conn *b);
/* Sends n bytes on b, at once when b is a connected plain-TCP connection
 * with nothing queued and last says no more bytes of this request will
 * follow; else through its output buffer. */
void backend_send(struct backend_conn *b, const void *p, size_t n, bool last);
/* Enables writing on b before bytes are added to its output directly. */
void backend_writing(struct backend_conn *b);
/* Describes why b failed (TLS verification, connection refused...). */
const char *backend_error(struct backend_conn *b, char *buf, size_t n);
/* Gives b new callbacks (for a tunnel). */
void backend_rebind(struct backend_conn *b, const struct backend_cb *cb);
/* Returns b to the pool (it can carry another request) or frees it. */
void backend_release(struct backend_conn *b, bool reusable);
void backend_pool_free(struct worker *w);

/* tunnel.c: bytes both ways after a 101.  done is called once the tunnel
 * has ended (why: a few words for the log); the caller then frees it. */
struct tunnel;
typedef void (*tunnel_done_cb)(void *arg, const char *why, uint64_t up, uint64_t down);
struct tunnel *tunnel_start(struct bufferevent *client, struct backend_conn *be, uint64_t idle_ms,
                            tunnel_done_cb done, void *arg);
/* The client connection's read and write events, while it is a tunnel. */
void tunnel_client_read(struct tunnel *t);
void tunnel_client_write(struct tunnel *t);
/* Bytes moved so far: client to backend, backend to client. */
void tunnel_bytes(const struct tunnel *t, uint64_t *up, uint64_t *down);
/* Frees t and closes its backend connection. */
void tunnel_free(struct tunnel *t);
/* What the tunnel was bound to is gone: stops reading the backend, sends
 * the client a close frame (code 1008) at the next frame boundary it can
 * reach, and ends the tunnel (done is called). */
void tunnel_end_policy(struct tunnel *t, const char *why);

/* redis.c: one connection to Redis on one event loop (plain or TLS per
 * ses->store_tls), commands pipelined in order, each with a deadline of
 * store_timeout; on any failure every waiting command gets NULL and the
 * next command connects again. */
struct redis_conn *redis_conn_new(struct event_base *base, const struct sg_conf_session *ses);
void redis_conn_command(struct redis_conn *r, int argc, const char **argv, const size_t *lens,
                        sg_net_redis_cb cb, void *arg);
/* Fails what is still waiting (cb with NULL) and closes. */
void redis_conn_free(struct redis_conn *r);

/* client.c: the worker serving the request of rc (a hook's argument). */
struct worker *client_worker_of(struct sg_request_ctx *rc);

#endif
