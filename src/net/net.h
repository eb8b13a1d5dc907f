/*
 * net.h - the only part of ssogw that touches sockets and the TLS layer:
 * listeners, worker threads with one event loop each, client connections,
 * the backend pool, and the service manager's notification socket.
 *
 * net/ moves bytes; what a request means is decided by the hooks that
 * pipeline.c registers (route, session, authorize, rewrite).
 */
#ifndef SG_NET_H
#define SG_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "http.h"
#include "lib.h"

/* What a hook knows of the request in flight. */
struct sg_request_ctx {
	const struct sg_conf *conf; /* the snapshot the connection started with */
	struct sg_arena *arena;     /* the request's; freed when it ends */
	struct sg_client_info client;
	const struct sg_conf_app *app; /* set by the request hook */
	const char *request_id;        /* set by the request hook */
	const char *user;              /* the session's user, for the access log */
	void *flow;                    /* the hooks' own state of this request */
};

/* What happened in one exchange, for the access log. */
struct sg_exchange_facts {
	const struct sg_http_msg *req; /* NULL when no head could be parsed */
	const char *target;            /* the target as the client sent it */
	unsigned minor;                /* the client's HTTP/1.x */
	int status;                    /* sent to the client; 0 if nothing was */
	uint64_t bytes_in;             /* request body bytes read */
	uint64_t bytes_out;            /* response body bytes sent */
	double total_ms;               /* from the whole head to the last byte queued */
	double backend_ms;             /* to the backend's response head; < 0: none */
	bool aborted;                  /* the connection broke before the end */
};

enum sg_action_kind {
	SG_ACT_RESPOND,   /* send resp and body */
	SG_ACT_FORWARD,   /* send the (rewritten) request to app's backend */
	SG_ACT_WAIT,      /* the hook went asynchronous (the session store): it
	                     fills the action later and calls sg_net_resume */
	SG_ACT_READ_BODY, /* read the request body (at most body_max bytes) and
	                     hand it to the body hook */
};

struct sg_action {
	enum sg_action_kind kind;
	struct sg_http_msg resp; /* SG_ACT_RESPOND */
	struct sg_buf body;      /* SG_ACT_RESPOND; SG_ACT_FORWARD with own_body; owned by net/ */
	const struct sg_conf_app *app;
	bool own_body;     /* SG_ACT_FORWARD: send body instead of the client's (already
	                      read); the request's framing fields must say so */
	uint64_t body_max; /* SG_ACT_READ_BODY */
	bool bind_tunnel;  /* SG_ACT_FORWARD: a tunnel this opens lives only as long
	                      as the tunnel_check hook says (a session) */
};

struct sg_net_hooks {
	/* Decides what to do with a request whose head has arrived. */
	void (*request)(struct sg_request_ctx *rc, struct sg_http_msg *req, struct sg_action *act);
	/* Rewrites a backend's response head before it goes to the client. */
	void (*response)(struct sg_request_ctx *rc, struct sg_http_msg *resp);
	/* The exchange is over (the access log). */
	void (*done)(struct sg_request_ctx *rc, const struct sg_exchange_facts *f);
	/* The body asked for with SG_ACT_READ_BODY has been read (too_large:
	 * it is longer than body_max and was not read, or not all of it);
	 * decides again, as the request hook does. */
	void (*body)(struct sg_request_ctx *rc, struct sg_http_msg *req, const struct sg_buf *body,
	             bool too_large, struct sg_action *act);
	/* Every SG_NET_TUNNEL_CHECK_MS while a bound tunnel is open: is what
	 * it is bound to still there?  Answers with sg_net_tunnel_verdict, now
	 * or later. */
	void (*tunnel_check)(struct sg_request_ctx *rc);
};

#define SG_NET_TUNNEL_CHECK_MS 2000

/* The answer to tunnel_check: when !alive, the client gets a WebSocket
 * close frame 1008 (policy violation, RFC 6455 7.4.1) and both connections
 * close. */
void sg_net_tunnel_verdict(struct sg_request_ctx *rc, bool alive);

/* Goes on with a request whose hook answered SG_ACT_WAIT, once the action
 * it was given is filled.  Only on the request's worker thread. */
void sg_net_resume(struct sg_request_ctx *rc);

struct sg_net;

/*
 * Binds every listen and listen_http address once per worker (SO_REUSEPORT,
 * so the kernel spreads connections) and builds the TLS context.  Called
 * before privileges are dropped.  NULL with messages in errs on failure.
 */
struct sg_net *sg_net_new(struct sg_conf *c, const struct sg_net_hooks *hooks,
                          struct sg_errlist *errs);
/* Starts the worker threads (after daemon(3) and the privilege drop). */
int sg_net_start(struct sg_net *n);
/* Hands a new snapshot (and a TLS context built from it) to every worker;
 * connections keep the one they started with.  -1 with errs: nothing changed. */
int sg_net_reload(struct sg_net *n, struct sg_conf *c, struct sg_errlist *errs);
/* True when c listens on the addresses and worker count n was started with. */
bool sg_net_listeners_match(const struct sg_net *n, const struct sg_conf *c);
/* Closes the listeners; idle keep-alive connections close, busy ones finish
 * their request and then close. */
void sg_net_stop_accepting(struct sg_net *n);
/* Client connections open across all workers. */
size_t sg_net_active_connections(const struct sg_net *n);
/* Stops the workers and frees everything, closing what is still open. */
void sg_net_free(struct sg_net *n);

/*
 * Builds the TLS contexts of c the way a start does (the listeners'
 * certificate chain and key, which must belong together, and the CAs of
 * https backends).  0, or -1 with messages in errs.
 */
int sg_net_tls_check(struct sg_conf *c, struct sg_errlist *errs);

/* Starts a new TLS session ticket key (the previous one stays valid for
 * one more period); the main thread calls it every tls_ticket_rotate. */
void sg_net_rotate_ticket_keys(void);

/*
 * redis.c: the calling worker's connection to the Redis session store
 * ([session] store = redis:// or rediss://), made on first use, with AUTH
 * and SELECT, and made again after a failure.  Sends one command; cb is
 * called exactly once from the worker's loop, never before this returns:
 * with the reply (valid during the call), or with NULL when Redis cannot
 * be reached or did not answer within store_timeout.  Only from a hook.
 */
struct redisReply;
typedef void (*sg_net_redis_cb)(void *arg, struct redisReply *reply);
void sg_net_redis_command(struct sg_request_ctx *rc, int argc, const char **argv,
                          const size_t *lens, sg_net_redis_cb cb, void *arg);

/*
 * fetch.c: outbound HTTP(S) GET (IdP metadata) with libcurl's multi
 * interface on a libevent loop: http and https only (redirects too, at
 * most a few, never https -> http), TLS always verified, a deadline and a
 * bound on the body.
 */
struct event_base;
struct sg_net_fetcher;
struct sg_net_fetch;
struct sg_net_fetch_req {
	const char *url;
	const char *ca_file; /* PEM CAs for https; NULL: the system's */
	uint64_t timeout_ms; /* the whole exchange, redirects included */
	size_t max_body;     /* a longer body fails the request */
};
/* error: NULL when a response came (of any status), else why none did;
 * body: the response body, valid during the call. */
typedef void (*sg_net_fetch_cb)(void *arg, const char *error, long status,
                                const struct sg_buf *body);
/* Requests on base (callbacks on its thread); NULL if libcurl fails. */
struct sg_net_fetcher *sg_net_fetcher_new(struct event_base *base);
/* Cancels what is in flight (no callbacks) and frees f. */
void sg_net_fetcher_free(struct sg_net_fetcher *f);
/* Starts a GET; cb is called exactly once, from the loop, unless it is
 * cancelled first.  NULL with err when it cannot be started. */
struct sg_net_fetch *sg_net_fetch_start(struct sg_net_fetcher *f, const struct sg_net_fetch_req *r,
                                        sg_net_fetch_cb cb, void *arg, char *err, size_t errlen);
/* Abandons a request in flight; its callback is not called. */
void sg_net_fetch_cancel(struct sg_net_fetch *x);
/* The same GET, blocking, for command-line tools without a loop: 0 with
 * *status and the body appended to body, or -1 with err. */
int sg_net_fetch_blocking(const struct sg_net_fetch_req *r, long *status, struct sg_buf *body,
                          char *err, size_t errlen);

/* sd_notify(3) protocol: sends state ("READY=1", ...) to $NOTIFY_SOCKET,
 * if set.  Returns 0 when sent or not under a service manager. */
int sg_net_notify(const char *state);
/* The watchdog interval asked for by the service manager, or 0. */
uint64_t sg_net_watchdog_usec(void);

#endif
