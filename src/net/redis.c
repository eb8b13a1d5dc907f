/*
 * redis.c - a worker's connection to the Redis session store.  The bytes
 * travel over a libevent bufferevent (an OpenSSL one for rediss://, with
 * the peer's certificate checked against store_ca_file or the system CAs
 * and its name against store_host); hiredis only formats the commands and
 * parses the replies (its reader needs no socket, and hiredis 0.14 has no
 * TLS of its own).
 *
 * A connection is made on the first command: connect, then AUTH (with
 * store_password) and SELECT (store_db), pipelined ahead of the command.
 * Commands are pipelined; replies come back in order and are matched to a
 * FIFO of callbacks.  Each command must be answered within store_timeout
 * of being sent (the first ones: of the connect).  When a deadline passes,
 * or on a connection error, end of stream, protocol error, a refused
 * handshake or an oversized reply, every waiting command gets NULL, once,
 * and the connection closes; for the next REDIS_BACKOFF_MS commands fail at
 * once without a connect, so a dead Redis costs each request nothing rather
 * than a connect timeout.  Callbacks only ever run from the event loop,
 * never inside redis_conn_command; failures reach them through fail_ev.
 *
 * What it does not do: follow Redis Sentinel or Cluster redirections, try
 * a name's other addresses (the first one getaddrinfo gives is used; a
 * host name is resolved with the blocking resolver at each connect), or
 * pick up changed settings on a reload (it keeps copies of the settings it
 * was made with).  A callback must not free the connection.
 */
#include "config.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <hiredis.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net_int.h"

/* One reply may cost at most this much memory, all told (strings, arrays,
 * reply objects), and the reader may hold at most this much unparsed: a
 * hostile or broken server cannot make a worker grow without limit. */
#define REDIS_REPLY_MAX (16 * 1024 * 1024)
/* After a failure, commands fail at once for this long. */
#define REDIS_BACKOFF_MS 1000

/* A command waiting for its reply. */
struct pending {
	struct pending *next;
	sg_net_redis_cb cb; /* NULL: our own AUTH or SELECT */
	void *arg;
	uint64_t deadline; /* CLOCK_MONOTONIC, ms */
};

struct redis_conn {
	struct event_base *base;
	/* Copies of the settings: the snapshot may be released before us. */
	char *host;
	unsigned port;
	unsigned db;
	bool tls;
	char *password; /* a secret: wiped when freed, never logged */
	char *ca_file;
	uint64_t timeout_ms;
	char name[300];          /* "host:port", for the log */
	SSL_CTX *ssl;            /* made on the first rediss:// connect */
	struct bufferevent *bev; /* NULL when not connected */
	redisReader *reader;
	redisReplyObjectFunctions fns;      /* hiredis's, with a budget */
	redisReplyObjectFunctions base_fns; /* hiredis's own */
	size_t reply_cost;                  /* of the reply being parsed */
	unsigned handshake;                 /* AUTH/SELECT replies still due */
	struct pending *head, **tail;       /* sent, in order */
	struct pending *failed, **ftail;    /* to be told NULL from the loop */
	struct event *timer;                /* the head's deadline */
	struct event *fail_ev;              /* runs on_fail */
	uint64_t retry_at;                  /* fail fast until then */
	bool unreachable;                   /* logged as such */
	bool closing;
};

/* The monotonic clock in milliseconds: deadlines ignore wall-clock steps. */
static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Calls back everything on the failed list with NULL.  Commands that those
 * callbacks send land on a fresh list and a fresh activation. */
static void
on_fail(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn *r = arg;
	struct pending *p = r->failed;

	(void)fd;
	(void)what;
	r->failed = NULL;
	r->ftail = &r->failed;
	while (p != NULL) {
		struct pending *next = p->next;

		p->cb(p->arg, NULL);
		free(p);
		p = next;
	}
}

/* Queues p to be told NULL from the loop. */
static void
fail_later(struct redis_conn *r, struct pending *p)
{
	if (p->cb == NULL) {
		free(p);
		return;
	}
	p->next = NULL;
	*r->ftail = p;
	r->ftail = &p->next;
	if (!r->closing)
		event_active(r->fail_ev, EV_TIMEOUT, 0);
}

/* Sets the timer for the deadline of the oldest command. */
static void
arm_timer(struct redis_conn *r)
{
	uint64_t now = now_ms();
	struct timeval tv;

	if (r->head == NULL) {
		evtimer_del(r->timer);
		return;
	}
	tv = sg_timeval_ms(r->head->deadline > now ? r->head->deadline - now : 0);
	evtimer_add(r->timer, &tv);
}

/* Drops the connection (not the waiting commands). */
static void
conn_close(struct redis_conn *r)
{
	if (r->bev != NULL)
		bufferevent_free(r->bev);
	r->bev = NULL;
	if (r->reader != NULL)
		redisReaderFree(r->reader);
	r->reader = NULL;
	r->handshake = 0;
	evtimer_del(r->timer);
}

/*
 * The connection failed (why, for the log): it closes, every waiting
 * command is told NULL from the loop, and commands fail fast for a while.
 * The warning is logged once per transition from reachable.
 */
static void conn_fail(struct redis_conn *r, const char *fmt, ...) SG_PRINTF(2, 3);

static void
conn_fail(struct redis_conn *r, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	struct pending *p;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!r->unreachable)
		sg_log_warn("redis store %s unreachable: %s", r->name, why);
	else
		sg_log_debug("redis store %s: %s", r->name, why);
	r->unreachable = true;
	r->retry_at = now_ms() + REDIS_BACKOFF_MS;
	conn_close(r);
	while ((p = r->head) != NULL) {
		r->head = p->next;
		fail_later(r, p);
	}
	r->tail = &r->head;
}

/* The reader's object builders, with a budget per reply: they refuse (and
 * hiredis reports "out of memory") once a reply would cost too much. */
static bool
charge(const redisReadTask *t, size_t cost)
{
	struct redis_conn *r = t->privdata;

	r->reply_cost += cost;
	return r->reply_cost <= REDIS_REPLY_MAX;
}

/* A string, status or error reply, charged its bytes. */
static void *
bounded_string(const redisReadTask *t, char *s, size_t n)
{
	struct redis_conn *r = t->privdata;

	if (!charge(t, sizeof(redisReply) + n))
		return NULL;
	return r->base_fns.createString(t, s, n);
}

/* An array, charged its element vector (refused outright if negative). */
static void *
bounded_array(const redisReadTask *t, int n)
{
	struct redis_conn *r = t->privdata;

	if (n < 0 || !charge(t, sizeof(redisReply) + (size_t)n * sizeof(redisReply *)))
		return NULL;
	return r->base_fns.createArray(t, n);
}

/* An integer reply. */
static void *
bounded_integer(const redisReadTask *t, long long v)
{
	struct redis_conn *r = t->privdata;

	if (!charge(t, sizeof(redisReply)))
		return NULL;
	return r->base_fns.createInteger(t, v);
}

/* A nil reply. */
static void *
bounded_nil(const redisReadTask *t)
{
	struct redis_conn *r = t->privdata;

	if (!charge(t, sizeof(redisReply)))
		return NULL;
	return r->base_fns.createNil(t);
}

/* A fresh reader for a new connection, with the budgeted builders. */
static void
reader_new(struct redis_conn *r)
{
	r->reader = redisReaderCreate();
	if (r->reader == NULL)
		sg_fatal("out of memory");
	r->base_fns = *r->reader->fn;
	r->fns = r->base_fns;
	r->fns.createString = bounded_string;
	r->fns.createArray = bounded_array;
	r->fns.createInteger = bounded_integer;
	r->fns.createNil = bounded_nil;
	r->reader->fn = &r->fns;
	r->reader->privdata = r;
	r->reply_cost = 0;
}

/* The handshake is done: the connection may carry commands. */
static void
handshake_done(struct redis_conn *r)
{
	if (r->unreachable)
		sg_log_info("redis store %s reachable again", r->name);
	else
		sg_log_debug("redis store %s connected", r->name);
	r->unreachable = false;
}

/* Hands one reply to the oldest command.  -1: the connection failed. */
static int
deliver(struct redis_conn *r, redisReply *reply)
{
	struct pending *p = r->head;

	r->reply_cost = 0;
	if (p == NULL) {
		freeReplyObject(reply);
		conn_fail(r, "a reply to no command");
		return -1;
	}
	r->head = p->next;
	if (r->head == NULL)
		r->tail = &r->head;
	arm_timer(r);
	if (p->cb != NULL) {
		p->cb(p->arg, reply);
	} else if (reply->type == REDIS_REPLY_ERROR) {
		/* Redis's words, e.g. "WRONGPASS invalid username-password pair". */
		conn_fail(r, "the handshake was refused: %.*s", (int)reply->len, reply->str);
		freeReplyObject(reply);
		free(p);
		return -1;
	} else if (--r->handshake == 0) {
		handshake_done(r);
	}
	freeReplyObject(reply);
	free(p);
	return 0;
}

/* Parses what has been fed and delivers every complete reply.  -1: the
 * connection failed. */
static int
parse(struct redis_conn *r)
{
	void *reply;

	for (;;) {
		if (redisReaderGetReply(r->reader, &reply) != REDIS_OK) {
			if (r->reply_cost > REDIS_REPLY_MAX)
				conn_fail(r, "a reply larger than %d bytes", REDIS_REPLY_MAX);
			else
				conn_fail(r, "protocol error: %s", r->reader->errstr);
			return -1;
		}
		if (reply == NULL)
			break;
		if (deliver(r, reply) == -1)
			return -1;
	}
	if (r->reader->len - r->reader->pos > REDIS_REPLY_MAX) {
		conn_fail(r, "a reply larger than %d bytes", REDIS_REPLY_MAX);
		return -1;
	}
	return 0;
}

/* Feeds the reader chunk by chunk, so that the unparsed bytes it holds stay
 * within REDIS_REPLY_MAX plus one chunk. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct redis_conn *r = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;

	while (evbuffer_peek(in, -1, NULL, &v, 1) > 0 && v.iov_len > 0) {
		if (redisReaderFeed(r->reader, v.iov_base, v.iov_len) != REDIS_OK)
			sg_fatal("out of memory");
		evbuffer_drain(in, v.iov_len);
		if (parse(r) == -1)
			return;
	}
}

/* Why a TLS connection failed: the certificate check, or OpenSSL's last
 * error. */
static const char *
tls_failure(struct bufferevent *bev, char *buf, size_t n)
{
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e, last = 0;
	long v;

	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		last = e;
	v = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	if (v != X509_V_OK)
		snprintf(buf, n, "TLS: certificate verify failed: %s",
		         X509_verify_cert_error_string(v));
	else if (last != 0)
		ERR_error_string_n(last, buf, n);
	else
		return NULL;
	return buf;
}

/* Connected (TLS included), or the connection broke: idle, it just closes;
 * with commands waiting, it fails. */
static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct redis_conn *r = arg;
	int err = EVUTIL_SOCKET_ERROR();
	const char *tls = NULL;
	char buf[256];

	if (what & BEV_EVENT_CONNECTED) {
		int one = 1;

		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
		return;
	}
	if (r->tls)
		tls = tls_failure(bev, buf, sizeof(buf));
	if (r->head == NULL) {
		/* Idle, closed by the server (its timeout, a restart): not a
		 * failure; the next command connects again at once. */
		sg_log_debug("redis store %s closed an idle connection", r->name);
		conn_close(r);
	} else if (tls != NULL) {
		conn_fail(r, "%s", tls);
	} else if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR)) {
		conn_fail(r, "the server closed the connection");
	} else {
		conn_fail(r, "%s", evutil_socket_error_to_string(err));
	}
}

/* The deadline of the oldest command: the connect or the reply is late. */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct redis_conn *r = arg;

	(void)fd;
	(void)what;
	if (r->head == NULL)
		return;
	if (r->head->deadline > now_ms()) {
		arm_timer(r);
		return;
	}
	conn_fail(r, "%s within %llu ms", r->handshake ? "no connection" : "no reply",
	          (unsigned long long)r->timeout_ms);
}

/* The TLS client context: the CAs of store_ca_file or the system's. */
static SSL_CTX *
tls_ctx(struct redis_conn *r, char *why, size_t n)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int ok;

	if (ctx == NULL)
		sg_fatal("cannot create a TLS context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (r->ca_file != NULL)
		ok = SSL_CTX_load_verify_locations(ctx, r->ca_file, NULL);
	else
		ok = SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		char err[200] = "unknown error";

		if (ERR_peek_error() != 0)
			ERR_error_string_n(ERR_peek_error(), err, sizeof(err));
		ERR_clear_error();
		snprintf(why, n, "cannot load %s: %s", r->ca_file ? r->ca_file : "the system CAs",
		         err);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* A TLS bufferevent that sends SNI and checks the certificate's name (or
 * address) against store_host. */
static struct bufferevent *
tls_bev(struct redis_conn *r, char *why, size_t n)
{
	unsigned char a[16];
	struct bufferevent *bev;
	SSL *ssl;

	if (r->ssl == NULL && (r->ssl = tls_ctx(r, why, n)) == NULL)
		return NULL;
	if ((ssl = SSL_new(r->ssl)) == NULL)
		sg_fatal("cannot create a TLS connection");
	if (inet_pton(AF_INET, r->host, a) == 1 || inet_pton(AF_INET6, r->host, a) == 1) {
		X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), r->host);
	} else {
		SSL_set_tlsext_host_name(ssl, r->host);
		SSL_set1_host(ssl, r->host);
	}
	bev = bufferevent_openssl_socket_new(r->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
	                                     BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (bev == NULL)
		sg_fatal("cannot create a TLS connection");
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* Formats one command into the output and queues its callback. */
static void
send_command(struct redis_conn *r, int argc, const char **argv, const size_t *lens,
             sg_net_redis_cb cb, void *arg)
{
	struct pending *p = sg_xcalloc(1, sizeof(*p));
	char *cmd;
	int n = redisFormatCommandArgv(&cmd, argc, argv, lens);

	if (n < 0)
		sg_fatal("out of memory");
	bufferevent_write(r->bev, cmd, (size_t)n);
	sg_wipe(cmd, (size_t)n); /* it may be AUTH */
	redisFreeCommand(cmd);
	p->cb = cb;
	p->arg = arg;
	p->deadline = now_ms() + r->timeout_ms;
	*r->tail = p;
	r->tail = &p->next;
	if (r->head == p)
		arm_timer(r);
}

/* Starts a connection and queues its handshake.  -1 with why. */
static int
conn_start(struct redis_conn *r, char *why, size_t n)
{
	struct evutil_addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct evutil_addrinfo *ai = NULL;
	char port[8], db[12];
	int rc;

	snprintf(port, sizeof(port), "%u", r->port);
	if ((rc = evutil_getaddrinfo(r->host, port, &hints, &ai)) != 0) {
		snprintf(why, n, "cannot resolve %s: %s", r->host, evutil_gai_strerror(rc));
		return -1;
	}
	r->bev = r->tls ? tls_bev(r, why, n)
	                : bufferevent_socket_new(r->base, -1,
	                                         BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (r->bev == NULL) {
		evutil_freeaddrinfo(ai);
		return -1;
	}
	/* Deferred callbacks: none can run inside bufferevent_socket_connect. */
	bufferevent_setcb(r->bev, on_read, NULL, on_event, r);
	bufferevent_enable(r->bev, EV_READ | EV_WRITE);
	rc = bufferevent_socket_connect(r->bev, ai->ai_addr, (int)ai->ai_addrlen);
	evutil_freeaddrinfo(ai);
	if (rc == -1) {
		snprintf(why, n, "%s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		conn_close(r);
		return -1;
	}
	reader_new(r);
	if (r->password != NULL) {
		const char *argv[] = { "AUTH", r->password };
		size_t lens[] = { 4, strlen(r->password) };

		send_command(r, 2, argv, lens, NULL, NULL);
		r->handshake++;
	}
	snprintf(db, sizeof(db), "%u", r->db);
	send_command(r, 2, (const char *[]){ "SELECT", db }, (size_t[]){ 6, strlen(db) }, NULL,
	             NULL);
	r->handshake++;
	return 0;
}

/* A connection for ses, not yet connected: the first command connects. */
struct redis_conn *
redis_conn_new(struct event_base *base, const struct sg_conf_session *ses)
{
	struct redis_conn *r = sg_xcalloc(1, sizeof(*r));

	r->base = base;
	r->host = sg_xstrdup(ses->store_host != NULL ? ses->store_host : "127.0.0.1");
	r->port = ses->store_port;
	r->db = ses->store_db;
	r->tls = ses->store_tls;
	r->password = ses->store_password ? sg_xstrdup(ses->store_password) : NULL;
	r->ca_file = ses->store_ca_file ? sg_xstrdup(ses->store_ca_file) : NULL;
	r->timeout_ms = ses->store_timeout_ms > 0 ? ses->store_timeout_ms : 2000;
	snprintf(r->name, sizeof(r->name), strchr(r->host, ':') ? "[%s]:%u" : "%s:%u", r->host,
	         r->port);
	r->tail = &r->head;
	r->ftail = &r->failed;
	r->timer = evtimer_new(base, on_timer, r);
	r->fail_ev = event_new(base, -1, 0, on_fail, r);
	if (r->timer == NULL || r->fail_ev == NULL)
		sg_fatal("cannot create the redis store's events");
	return r;
}

/* Sends one command, connecting first if need be; during the back-off, or
 * if the connect cannot even start, cb gets NULL from the loop. */
void
redis_conn_command(struct redis_conn *r, int argc, const char **argv, const size_t *lens,
                   sg_net_redis_cb cb, void *arg)
{
	char why[256];

	if (r->bev == NULL && !r->closing && now_ms() >= r->retry_at &&
	    conn_start(r, why, sizeof(why)) == -1)
		conn_fail(r, "%s", why);
	if (r->bev == NULL) {
		struct pending *p = sg_xcalloc(1, sizeof(*p));

		p->cb = cb;
		p->arg = arg;
		fail_later(r, p);
		return;
	}
	send_command(r, argc, argv, lens, cb, arg);
}

/* Closes, tells every waiting command NULL (now: there is no later), and
 * wipes the password. */
void
redis_conn_free(struct redis_conn *r)
{
	struct pending *p;

	if (r == NULL)
		return;
	r->closing = true;
	conn_close(r);
	while ((p = r->head) != NULL) {
		r->head = p->next;
		fail_later(r, p);
	}
	/* Commands that these callbacks send fail too, until none is left. */
	while (r->failed != NULL)
		on_fail(-1, 0, r);
	event_free(r->timer);
	event_free(r->fail_ev);
	SSL_CTX_free(r->ssl);
	free(r->host);
	free(r->ca_file);
	if (r->password != NULL)
		sg_free_secret(r->password);
	free(r);
}

/* The calling worker's connection, made on first use. */
void
sg_net_redis_command(struct sg_request_ctx *rc, int argc, const char **argv, const size_t *lens,
                     sg_net_redis_cb cb, void *arg)
{
	struct worker *w = client_worker_of(rc);

	if (w->redis == NULL)
		w->redis = redis_conn_new(w->base, &w->gen->conf->session);
	redis_conn_command(w->redis, argc, argv, lens, cb, arg);
}
