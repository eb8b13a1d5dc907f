/*
 * client.c - one client connection: TLS, the request head, the exchange
 * with a backend, and keep-alive.  A connection handles one exchange at a
 * time, so pipelined requests are answered in order: the next head is not
 * read until the previous response has been written out.
 *
 *   head      read and vet a request head (size limits, a deadline from its
 *             first byte against slowloris), then ask the request hook;
 *   exchange  either write the hook's own response, or forward: the
 *             rewritten head goes to a backend connection, the body is
 *             streamed and re-framed (Content-Length kept, anything else
 *             re-chunked), and the response streams back the same way;
 *   end       keep the connection for the next request, or close it.
 *
 * Bodies stream in both directions with backpressure: when more than
 * HIGH_WATER bytes wait for one side, reading from the other stops until
 * the queue is half empty, so a slow client never makes the gateway hold a
 * whole download, nor a fast upload a whole upload.
 */
#include "config.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net_int.h"

#define HIGH_WATER (256 * 1024)
/* How long a close lingers to drop a body we refused (nginx's default). */
#define LINGER_MS 5000
/* A backend's response head may be larger than what we accept from clients
 * (Set-Cookie, CSP), but it is still bounded. */
#define BACKEND_HEAD_MAX (64 * 1024)

enum client_state {
	CS_HEAD,     /* between requests, or reading a request head */
	CS_EXCHANGE, /* a request is being answered */
	CS_TUNNEL,   /* bytes both ways after a 101 (tunnel.c) */
	CS_CLOSING,  /* writing out the last bytes, then close */
	CS_LINGER,   /* answered; dropping what the client still sends */
};

struct client {
	struct client *next, *prev; /* the worker's list */
	struct worker *w;
	struct gen *gen;
	struct bufferevent *bev;
	struct event *timer; /* head deadline, keep-alive idle */
	char addr[INET6_ADDRSTRLEN];
	struct sg_client_info info;
	enum client_state state;
	bool head_started; /* bytes of the next head have arrived */
	bool lingering;    /* drop unread input for a while before closing */
	bool no_linger;    /* timed out or garbled: close without lingering */
	bool keep_alive;   /* the connection may carry another request */
	/* The exchange in progress. */
	struct sg_arena *arena;
	struct sg_http_parser *req_parser, *resp_parser;
	struct sg_http_msg req, resp;
	struct sg_request_ctx rc;
	struct sg_action act;
	struct sg_buf head; /* the request head for the backend, kept for a retry */
	struct backend_conn *be;
	struct tunnel *tunnel;
	bool forwarding;
	bool req_chunked; /* re-chunk the request body toward the backend */
	bool req_done;    /* the whole request body was read */
	uint64_t req_bytes;
	bool resp_started; /* response bytes went to the client */
	bool resp_chunked; /* re-chunk the response body toward the client */
	bool resp_done;
	bool retried;
	bool waiting;       /* the request hook went asynchronous (SG_ACT_WAIT) */
	bool close_pending; /* the connection ended while waiting: close on resume */
	bool reading_body;  /* SG_ACT_READ_BODY: the gateway reads the body itself */
	struct sg_buf gw_body;
	unsigned client_minor;     /* the client's HTTP/1.x (the hook rewrites req's) */
	const char *client_target; /* the client's target (likewise), in the arena */
	/* For the access log. */
	bool logged_open; /* an exchange began and its line is still owed */
	struct timespec t_start, t_backend;
	double backend_ms;
	int status;
	uint64_t bytes_out;
};

static void read_head(struct client *c);
static void act(struct client *c);
static void client_close(struct client *c);
static void start_tunnel(struct client *c);
static void end_exchange(struct client *c);
static void backend_failed(struct client *c, short what);

static const struct sg_conf *
conf_of(const struct client *c)
{
	return c->gen->conf;
}

static double
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) * 1e3 + (double)(now.tv_nsec - t->tv_nsec) / 1e6;
}

/* Starts the bookkeeping of an exchange: its arena, timing and context. */
static void
open_exchange(struct client *c)
{
	if (c->arena == NULL)
		c->arena = sg_arena_new();
	clock_gettime(CLOCK_MONOTONIC, &c->t_start);
	c->logged_open = true;
	c->backend_ms = -1;
	c->status = 0;
	c->bytes_out = 0;
	c->rc.conf = conf_of(c);
	c->rc.arena = c->arena;
	c->rc.client = c->info;
	c->rc.app = NULL;
	c->rc.request_id = NULL;
	c->rc.user = NULL;
	c->rc.flow = NULL;
}

/* Hands the exchange's facts to the done hook (the access log), once. */
static void
report_done(struct client *c, bool aborted)
{
	struct sg_exchange_facts f;

	if (!c->logged_open)
		return;
	c->logged_open = false;
	f.req = c->req.method != NULL ? &c->req : NULL;
	f.target = c->client_target;
	f.minor = c->client_minor;
	f.status = c->status;
	if (c->tunnel != NULL)
		tunnel_bytes(c->tunnel, &c->req_bytes, &c->bytes_out);
	f.bytes_in = c->req_bytes;
	f.bytes_out = c->bytes_out;
	f.total_ms = ms_since(&c->t_start);
	f.backend_ms = c->backend_ms;
	f.aborted = aborted;
	if (c->w->net->hooks.done != NULL)
		c->w->net->hooks.done(&c->rc, &f);
}

static void
arm_timer(struct client *c, uint64_t ms)
{
	struct timeval tv = sg_timeval_ms(ms);

	event_add(c->timer, &tv);
}

/* Sets the read and write idle timeouts of the client's bufferevent. */
static void
client_timeouts(struct client *c, bool read)
{
	uint64_t ms = conf_of(c)->server.client_timeout_ms;
	struct timeval tv = sg_timeval_ms(ms);

	bufferevent_set_timeouts(c->bev, read ? &tv : NULL, &tv);
}

/* Frees the exchange's state; the backend connection is not reused. */
static void
exchange_free(struct client *c)
{
	if (c->be != NULL)
		backend_release(c->be, false);
	c->be = NULL;
	tunnel_free(c->tunnel);
	c->tunnel = NULL;
	sg_buf_free(&c->act.body);
	sg_buf_free(&c->gw_body);
	sg_buf_free(&c->head);
	sg_arena_free(c->arena);
	c->arena = NULL;
	memset(&c->req, 0, sizeof(c->req));
	memset(&c->resp, 0, sizeof(c->resp));
	memset(&c->act, 0, sizeof(c->act));
	c->forwarding = c->req_chunked = c->req_done = c->resp_started = false;
	c->resp_chunked = c->resp_done = c->retried = false;
	c->reading_body = false;
	c->client_target = NULL; /* it lived in the arena */
	c->req_bytes = 0;
}

/* Everything is written: close, or linger first. */
static void
flushed(struct client *c)
{
	if (!c->lingering) {
		client_close(c);
		return;
	}
	/* Read and drop what the client still sends, for LINGER_MS at most. */
	c->state = CS_LINGER;
	report_done(c, false);
	exchange_free(c);
	evbuffer_drain(bufferevent_get_input(c->bev),
	               evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	arm_timer(c, LINGER_MS);
	bufferevent_enable(c->bev, EV_READ);
}

static void
client_close(struct client *c)
{
	struct worker *w = c->w;

	if (c->waiting) {
		/* The hook's pending callback still points into this exchange:
		 * free it when it arrives (sg_net_resume). */
		c->close_pending = true;
		event_del(c->timer);
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		return;
	}
	report_done(c, !c->resp_done);
	exchange_free(c);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	event_free(c->timer);
	bufferevent_free(c->bev);
	sg_http_parser_free(c->req_parser);
	sg_http_parser_free(c->resp_parser);
	gen_unref(c->gen);
	free(c);
	atomic_fetch_sub(&w->nclients, 1);
}

/* Stops reading and closes once what is queued has been written (within
 * client_timeout: a peer that reads nothing cannot hold us).  When the
 * client may still be sending a body we did not read, the close lingers
 * (see flushed()) so that it still gets our answer (RFC 9112 9.6). */
static void
close_after_flush(struct client *c)
{
	c->lingering =
	    !c->no_linger &&
	    (c->lingering || (c->forwarding && !c->req_done) ||
	     (c->state == CS_EXCHANGE && c->req.framing != SG_BODY_NONE && !c->req_done));
	c->state = CS_CLOSING;
	event_del(c->timer);
	bufferevent_disable(c->bev, EV_READ);
	client_timeouts(c, false);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		flushed(c);
}

/* Queues resp (and body, unless the request was HEAD) for the client. */
static void
send_response(struct client *c, struct sg_http_msg *resp, const struct sg_buf *body)
{
	struct sg_buf out = { 0 };
	char date[64];
	time_t now = time(NULL);
	struct tm tm;

	if (c->arena == NULL)
		open_exchange(c);
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	sg_http_set(resp, c->arena, "Date", date);
	sg_http_set(resp, c->arena, "Content-Length",
	            sg_arena_printf(c->arena, "%zu", body ? body->len : 0));
	if (!c->keep_alive)
		sg_http_set(resp, c->arena, "Connection", "close");
	sg_http_serialize_head(resp, &out);
	if (body != NULL && !(c->req.method && strcmp(c->req.method, "HEAD") == 0))
		sg_buf_append(&out, body->data ? body->data : "", body->len);
	bufferevent_write(c->bev, out.data, out.len);
	sg_buf_free(&out);
	c->resp_started = c->resp_done = true;
	c->status = resp->status;
	c->bytes_out =
	    body != NULL && !(c->req.method && strcmp(c->req.method, "HEAD") == 0) ? body->len : 0;
}

/* Answers with an error page; close ends the connection after it. */
static void
respond_error(struct client *c, int status, const char *detail, bool close)
{
	struct sg_http_msg resp;
	struct sg_buf body = { 0 };

	if (c->arena == NULL)
		open_exchange(c);
	if (c->be != NULL)
		backend_release(c->be, false);
	c->be = NULL;
	if (close)
		c->keep_alive = false;
	sg_log_debug("%s: %d %s", c->addr, status, detail);
	sg_http_error_response(c->req.method ? &c->req : NULL, status, detail, c->arena, &resp,
	                       &body);
	send_response(c, &resp, &body);
	sg_buf_free(&body);
	c->state = CS_EXCHANGE;
	if (!c->keep_alive)
		close_after_flush(c);
}

/* ---- request body: client -> backend ---- */

static void
on_request_data(const char *data, size_t len, void *arg)
{
	struct client *c = arg;
	struct evbuffer *out = bufferevent_get_output(backend_bev(c->be));

	c->req_bytes += len;
	if (c->req_chunked)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, data, len);
	if (c->req_chunked)
		evbuffer_add(out, "\r\n", 2);
}

/* Moves request body bytes from the client to the backend while the
 * backend's queue has room. */
static void
pump_request_body(struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	uint64_t max = c->rc.app->max_body_size;

	while (!c->req_done && evbuffer_get_length(in) > 0) {
		struct evbuffer *out = bufferevent_get_output(backend_bev(c->be));
		struct evbuffer_iovec v;
		struct sg_err err = { 0 };
		size_t used;
		enum sg_http_body_rc rc;

		if (evbuffer_get_length(out) > HIGH_WATER) {
			bufferevent_disable(c->bev, EV_READ); /* resumed by on_backend_write */
			return;
		}
		evbuffer_peek(in, -1, NULL, &v, 1);
		rc = sg_http_parser_body(c->req_parser, v.iov_base, v.iov_len, &used,
		                         on_request_data, c, &err);
		evbuffer_drain(in, used);
		if (rc == SG_BODY_ERROR) {
			c->no_linger = true; /* garbled framing: nothing left to read sanely */
			if (!c->resp_started)
				respond_error(c, 400, err.detail, true);
			else
				client_close(c);
			return;
		}
		if (max > 0 && c->req_bytes > max) {
			if (!c->resp_started)
				respond_error(
				    c, 413,
				    "the request body is larger than this application allows",
				    true);
			else
				client_close(c);
			return;
		}
		if (rc == SG_BODY_DONE) {
			if (c->req_chunked)
				evbuffer_add(out, "0\r\n\r\n", 5);
			c->req_done = true;
		}
	}
	if (c->req_done) {
		bufferevent_set_timeouts(c->bev, NULL, NULL);
		client_timeouts(c, false);
	}
}

/* ---- response: backend -> client ---- */

static void
on_response_data(const char *data, size_t len, void *arg)
{
	struct client *c = arg;
	struct evbuffer *out = bufferevent_get_output(c->bev);

	c->bytes_out += len;
	if (c->resp_chunked)
		evbuffer_add_printf(out, "%zx\r\n", len);
	evbuffer_add(out, data, len);
	if (c->resp_chunked)
		evbuffer_add(out, "\r\n", 2);
}

/* The backend failed after the response began: what the client already
 * has stays, the connection closes once it is written, and the missing
 * end (short of Content-Length, no last chunk) tells the client the body
 * is incomplete. */
static void
abort_response(struct client *c)
{
	backend_release(c->be, false);
	c->be = NULL;
	c->keep_alive = false;
	c->no_linger = true;
	close_after_flush(c);
}

/* The response has been read whole: the backend goes back to the pool if
 * it can carry another request. */
static void
finish_response(struct client *c)
{
	bool reusable = c->resp.keep_alive && c->req_done && c->resp.framing != SG_BODY_TO_CLOSE;

	if (c->resp_chunked)
		evbuffer_add(bufferevent_get_output(c->bev), "0\r\n\r\n", 5);
	c->resp_done = true;
	if (!c->req_done) {
		/* The backend answered before the body was all read: close, but
		 * linger so that the client reads the answer (RFC 9112 9.6). */
		c->keep_alive = false;
		c->lingering = !c->no_linger;
	}
	backend_release(c->be, reusable);
	c->be = NULL;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		end_exchange(c);
}

static void
pump_response_body(struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(backend_bev(c->be));
	struct evbuffer *out = bufferevent_get_output(c->bev);

	while (!c->resp_done && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		struct sg_err err = { 0 };
		size_t used;
		enum sg_http_body_rc rc;

		if (evbuffer_get_length(out) > HIGH_WATER) {
			bufferevent_disable(backend_bev(c->be), EV_READ); /* see on_client_write */
			return;
		}
		evbuffer_peek(in, -1, NULL, &v, 1);
		rc = sg_http_parser_body(c->resp_parser, v.iov_base, v.iov_len, &used,
		                         on_response_data, c, &err);
		evbuffer_drain(in, used);
		if (rc == SG_BODY_ERROR) {
			sg_log_warn("%s: backend sent a malformed body: %s", c->addr, err.detail);
			abort_response(c);
			return;
		}
		if (rc == SG_BODY_DONE) {
			finish_response(c);
			return;
		}
	}
}

/* Queues a response head for the client.  A small body that follows goes
 * into the same buffer chunk, so that TLS sends head and body in one
 * record and one write. */
static void
write_head(struct client *c, const struct sg_http_msg *resp)
{
	struct sg_buf out = { 0 };
	struct evbuffer *o = bufferevent_get_output(c->bev);

	sg_http_serialize_head(resp, &out);
	if (evbuffer_get_length(o) == 0 && resp->framing == SG_BODY_LENGTH &&
	    resp->content_length <= 16384 - out.len)
		evbuffer_expand(o, out.len + (size_t)resp->content_length);
	bufferevent_write(c->bev, out.data, out.len);
	sg_buf_free(&out);
}

/* Chooses how the response body is framed toward this client. */
static void
frame_response(struct client *c, struct sg_http_msg *resp)
{
	bool client11 = c->client_minor >= 1;

	c->resp_chunked = false;
	if (resp->framing == SG_BODY_CHUNKED || resp->framing == SG_BODY_TO_CLOSE) {
		if (client11) {
			sg_http_add(resp, c->arena, "Transfer-Encoding", "chunked");
			c->resp_chunked = true;
		} else {
			/* HTTP/1.0 has no chunks: the end of the connection ends the body. */
			c->keep_alive = false;
		}
	}
	if (!c->keep_alive)
		sg_http_set(resp, c->arena, "Connection", "close");
	else if (!client11)
		sg_http_set(resp, c->arena, "Connection", "keep-alive");
	resp->major = 1;
	resp->minor = 1;
}

/* The tunnel has ended: log the exchange and close the connection once
 * the last bytes are out. */
static void
on_tunnel_done(void *arg, const char *why, uint64_t up, uint64_t down)
{
	struct client *c = arg;

	(void)up;
	(void)down;
	sg_log_debug("%s: tunnel to [app %s] ended: %s", c->addr, c->rc.app->s.name, why);
	report_done(c, false);
	close_after_flush(c);
}

/* The backend answered 101: if we asked for a WebSocket and it agreed,
 * pass the 101 on and become a tunnel; anything else is a 502. */
static void
start_tunnel(struct client *c)
{
	if (sg_http_get(&c->req, "Upgrade") == NULL ||
	    !sg_http_has_token(&c->resp, "Upgrade", "websocket")) {
		respond_error(c, 502, "the application switched protocols unasked", true);
		return;
	}
	c->status = 101;
	c->backend_ms = ms_since(&c->t_backend);
	c->w->net->hooks.response(&c->rc, &c->resp);
	sg_http_set(&c->resp, c->arena, "Connection", "Upgrade");
	sg_http_set(&c->resp, c->arena, "Upgrade", "websocket");
	write_head(c, &c->resp);
	c->resp_started = c->resp_done = true;
	c->keep_alive = false;
	c->state = CS_TUNNEL;
	bufferevent_enable(c->bev, EV_READ);
	c->tunnel = tunnel_start(c->bev, c->be, conf_of(c)->server.tunnel_idle_timeout_ms,
	                         on_tunnel_done, c);
	c->be = NULL; /* the tunnel's now */
	if (c->act.bind_tunnel && c->w->net->hooks.tunnel_check != NULL)
		arm_timer(c, SG_NET_TUNNEL_CHECK_MS);
}

/* Reads response heads: interim 1xx ones are passed on or dropped, the
 * final one is rewritten, framed and sent to the client. */
static void
read_response_head(struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(backend_bev(c->be));
	struct sg_http_limits lim = { BACKEND_HEAD_MAX, BACKEND_HEAD_MAX, 1000 };

	for (;;) {
		size_t len = evbuffer_get_length(in),
		       n = len < BACKEND_HEAD_MAX + 1 ? len : BACKEND_HEAD_MAX + 1;
		const char *buf = (const char *)evbuffer_pullup(in, (ssize_t)n);
		struct sg_err err = { 0 };
		ssize_t r = sg_http_head_scan(buf, n, false, &lim, &err);

		if (r == 0)
			return;
		if (r < 0 || sg_http_parser_head(c->resp_parser, buf, (size_t)r, c->arena, &c->resp,
		                                 &err) == -1) {
			sg_log_warn("%s: invalid response from backend of [app %s]: %s", c->addr,
			            c->rc.app->s.name, err.detail);
			respond_error(c, 502, "the application sent an invalid response", true);
			return;
		}
		evbuffer_drain(in, (size_t)r);
		if (c->resp.status / 100 != 1)
			break;
		if (c->resp.status == 101) {
			start_tunnel(c);
			return;
		}
		if (c->resp.status != 100 && c->client_minor >= 1) {
			c->w->net->hooks.response(&c->rc, &c->resp);
			write_head(c, &c->resp);
		}
		sg_http_parser_reset(c->resp_parser, strcmp(c->req.method, "HEAD") == 0);
	}
	c->status = c->resp.status;
	c->backend_ms = ms_since(&c->t_backend);
	if (!c->req_done)
		c->keep_alive = false; /* answered early: say Connection: close now */
	c->w->net->hooks.response(&c->rc, &c->resp);
	frame_response(c, &c->resp);
	write_head(c, &c->resp);
	c->resp_started = true;
	if (c->resp.framing == SG_BODY_NONE)
		finish_response(c);
	else
		pump_response_body(c);
}

static void
on_backend_read(struct backend_conn *b, void *arg)
{
	struct client *c = arg;

	(void)b;
	if (!c->resp_started)
		read_response_head(c);
	else
		pump_response_body(c);
}

static void
on_backend_write(struct backend_conn *b, void *arg)
{
	struct client *c = arg;

	if (!c->req_done &&
	    evbuffer_get_length(bufferevent_get_output(backend_bev(b))) <= HIGH_WATER / 2) {
		bufferevent_enable(c->bev, EV_READ);
		pump_request_body(c);
	}
}

static void
on_backend_event(struct backend_conn *b, short what, void *arg)
{
	struct client *c = arg;

	if ((what & BEV_EVENT_EOF) && c->resp_started && c->resp.framing == SG_BODY_TO_CLOSE) {
		/* The end of the connection ends this body: pass on all that is
		 * left, even past the high-water mark (it is in memory already). */
		struct evbuffer *in = bufferevent_get_input(backend_bev(b));
		struct sg_err err = { 0 };
		struct evbuffer_iovec v;

		while (evbuffer_peek(in, -1, NULL, &v, 1) > 0 && v.iov_len > 0) {
			on_response_data(v.iov_base, v.iov_len, c);
			evbuffer_drain(in, v.iov_len);
		}
		sg_http_parser_eof(c->resp_parser, &err);
		finish_response(c); /* may end c: nothing after this */
		return;
	}
	backend_failed(c, what);
}

static const struct backend_cb backend_callbacks = {
	on_backend_read,
	on_backend_write,
	on_backend_event,
	NULL,
};

/* Sends the request head (and what body is buffered) to a backend. */
static void
connect_backend(struct client *c)
{
	struct backend_cb cb = backend_callbacks;

	cb.arg = c;
	clock_gettime(CLOCK_MONOTONIC, &c->t_backend);
	c->be = backend_get(c->w, c->rc.app, gen_backend_ssl(c->gen, c->rc.app), &cb);
	if (c->be == NULL) {
		respond_error(c, 502, "the application cannot be reached", !c->req_done);
		return;
	}
	backend_send(c->be, c->head.data, c->head.len, c->req_done);
	sg_http_parser_reset(c->resp_parser, strcmp(c->req.method, "HEAD") == 0);
}

/* RFC 9110 9.2.2: a request that may be sent twice. */
static bool
idempotent(const char *method)
{
	static const char *const m[] = { "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE" };

	for (size_t i = 0; i < SG_NELEM(m); i++)
		if (strcmp(method, m[i]) == 0)
			return true;
	return false;
}

/* The backend connection failed before the response was complete. */
static void
backend_failed(struct client *c, short what)
{
	/* A pooled connection that the backend had closed fails at once with
	 * nothing read; a timeout means the backend may be working on it. */
	bool silent_reuse = backend_reused(c->be) && !(what & BEV_EVENT_TIMEOUT) &&
	                    evbuffer_get_length(bufferevent_get_input(backend_bev(c->be))) == 0;

	if (c->resp_started) {
		sg_log_warn("%s: backend of [app %s] failed in the middle of a response", c->addr,
		            c->rc.app->s.name);
		abort_response(c);
		return;
	}
	if (silent_reuse && !c->retried && c->req.framing == SG_BODY_NONE &&
	    idempotent(c->req.method)) {
		/* A pooled connection the backend had closed: try once on a new one. */
		backend_release(c->be, false);
		c->be = NULL;
		c->retried = true;
		connect_backend(c);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		sg_log_warn("%s: backend of [app %s] timed out", c->addr, c->rc.app->s.name);
		respond_error(c, 504, "the application did not answer in time", !c->req_done);
	} else {
		char why[256];

		sg_log_warn("%s: backend of [app %s] failed: %s", c->addr, c->rc.app->s.name,
		            backend_error(c->be, why, sizeof(why)));
		respond_error(c, 502, "the application cannot be reached", !c->req_done);
	}
}

/* The request hook chose to forward: stream the exchange. */
static void
forward(struct client *c)
{
	const struct sg_conf_app *app = c->act.app;

	c->rc.app = app;
	if (app->max_body_size > 0 && c->req.framing == SG_BODY_LENGTH &&
	    c->req.content_length > app->max_body_size) {
		respond_error(c, 413, "the request body is larger than this application allows",
		              true);
		return;
	}
	c->forwarding = true;
	c->req_chunked = c->req.framing == SG_BODY_CHUNKED && !c->act.own_body;
	c->req_done = c->req.framing == SG_BODY_NONE || c->act.own_body;
	sg_http_serialize_head(&c->req, &c->head);
	if (c->act.own_body) {
		/* Part of the head buffer, so that a retry sends it again. */
		sg_buf_append(&c->head, c->act.body.data ? c->act.body.data : "", c->act.body.len);
		c->req_bytes = c->act.body.len;
	}
	/* A client that stops reading the response must not hold us: writes
	 * to it time out even when there is no body to read. */
	client_timeouts(c, !c->req_done);
	connect_backend(c);
	if (c->be == NULL || c->req_done)
		return;
	if (c->req.expect_continue)
		bufferevent_write(c->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	client_timeouts(c, true);
	bufferevent_enable(c->bev, EV_READ);
	backend_writing(c->be);
	pump_request_body(c);
}

/* A whole head is at the front of the input: parse it and act. */
static void
start_exchange(struct client *c, const char *head, size_t len)
{
	struct sg_err err = { 0 };

	event_del(c->timer);
	c->state = CS_EXCHANGE;
	/* Reading stays on: what arrives meanwhile (a pipelined request) waits
	 * in the input, which the read high-water mark bounds, and toggling it
	 * would cost two epoll_ctl calls per request. */
	open_exchange(c);
	c->keep_alive = false;
	if (sg_http_parser_head(c->req_parser, head, len, c->arena, &c->req, &err) == -1) {
		evbuffer_drain(bufferevent_get_input(c->bev), len);
		memset(&c->req, 0, sizeof(c->req));
		respond_error(c, err.code, err.detail, true);
		return;
	}
	evbuffer_drain(bufferevent_get_input(c->bev), len);
	c->client_minor = c->req.minor;
	c->client_target = c->req.target;
	c->keep_alive =
	    c->req.keep_alive && !c->w->draining && conf_of(c)->server.keepalive_timeout_ms > 0;
	c->w->net->hooks.request(&c->rc, &c->req, &c->act);
	act(c);
}

/* ---- the gateway's own reading of a request body (SG_ACT_READ_BODY) ---- */

static void
on_gateway_body_data(const char *data, size_t len, void *arg)
{
	struct client *c = arg;

	c->req_bytes += len;
	if (c->gw_body.len + len <= c->act.body_max)
		sg_buf_append(&c->gw_body, data, len);
}

/* Hands the body read so far (or the news that it is too large) to the
 * body hook and acts on its answer. */
static void
gateway_body_done(struct client *c, bool too_large)
{
	c->reading_body = false;
	event_del(c->timer);
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	if (too_large)
		c->keep_alive = false; /* the rest of the body is not read */
	memset(&c->act.resp, 0, sizeof(c->act.resp));
	c->act.kind = SG_ACT_RESPOND;
	c->w->net->hooks.body(&c->rc, &c->req, &c->gw_body, too_large, &c->act);
	act(c);
}

/* Reads the request body into gw_body, up to body_max. */
static void
read_gateway_body(struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);

	while (!c->req_done && evbuffer_get_length(in) > 0) {
		struct evbuffer_iovec v;
		struct sg_err err = { 0 };
		size_t used;
		enum sg_http_body_rc rc;

		evbuffer_peek(in, -1, NULL, &v, 1);
		rc = sg_http_parser_body(c->req_parser, v.iov_base, v.iov_len, &used,
		                         on_gateway_body_data, c, &err);
		evbuffer_drain(in, used);
		if (rc == SG_BODY_ERROR) {
			c->no_linger = true;
			c->reading_body = false;
			respond_error(c, 400, err.detail, true);
			return;
		}
		if (c->req_bytes > c->act.body_max) {
			gateway_body_done(c, true);
			return;
		}
		if (rc == SG_BODY_DONE)
			c->req_done = true;
	}
	if (c->req_done)
		gateway_body_done(c, false);
}

/* Starts reading the body for the gateway itself. */
static void
start_gateway_body(struct client *c)
{
	if (c->req_done) {
		/* Read already (a second decision over the same request): the
		 * hook has what it needs; no second 100 Continue either. */
		gateway_body_done(c, false);
		return;
	}
	if (c->req.framing == SG_BODY_NONE) {
		c->req_done = true;
		gateway_body_done(c, false);
		return;
	}
	if (c->req.framing == SG_BODY_LENGTH && c->req.content_length > c->act.body_max) {
		gateway_body_done(c, true);
		return;
	}
	c->reading_body = true;
	/* A whole-body deadline, like the head's: a client that trickles a
	 * byte now and then must not hold the connection for days. */
	arm_timer(c, conf_of(c)->server.client_timeout_ms);
	if (c->req.expect_continue)
		bufferevent_write(c->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	client_timeouts(c, true);
	bufferevent_enable(c->bev, EV_READ);
	read_gateway_body(c);
}

/* Carries out the action a hook chose. */
static void
act(struct client *c)
{
	switch (c->act.kind) {
	case SG_ACT_FORWARD:
		forward(c);
		return;
	case SG_ACT_WAIT:
		c->waiting = true;
		return;
	case SG_ACT_READ_BODY:
		start_gateway_body(c);
		return;
	case SG_ACT_RESPOND:
		break;
	}
	if (c->req.framing != SG_BODY_NONE && !c->req_done)
		c->keep_alive = false; /* its body is not read: the connection cannot go on */
	send_response(c, &c->act.resp, &c->act.body);
	if (!c->keep_alive)
		close_after_flush(c);
}

struct worker *
client_worker_of(struct sg_request_ctx *rc)
{
	struct client *c = (struct client *)((char *)rc - offsetof(struct client, rc));

	return c->w;
}

void
sg_net_tunnel_verdict(struct sg_request_ctx *rc, bool alive)
{
	struct client *c = (struct client *)((char *)rc - offsetof(struct client, rc));

	c->waiting = false;
	if (c->close_pending) {
		client_close(c);
		return;
	}
	if (c->state != CS_TUNNEL || c->tunnel == NULL)
		return;
	if (alive) {
		arm_timer(c, SG_NET_TUNNEL_CHECK_MS);
		return;
	}
	sg_log_info("%s: closing the WebSocket tunnel to [app %s] of user %s: the session ended",
	            c->addr, c->rc.app->s.name, c->rc.user ? c->rc.user : "-");
	tunnel_end_policy(c->tunnel, "session ended");
}

void
sg_net_resume(struct sg_request_ctx *rc)
{
	struct client *c = (struct client *)((char *)rc - offsetof(struct client, rc));

	c->waiting = false;
	if (c->close_pending) {
		client_close(c);
		return;
	}
	act(c);
}

/* Reads a request head as far as it has arrived. */
static void
read_head(struct client *c)
{
	const struct sg_conf_server *srv = &conf_of(c)->server;
	struct sg_http_limits lim = { srv->max_request_line, srv->max_header_size,
		                      srv->max_headers };
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len = evbuffer_get_length(in), n = len < lim.max_head + 1 ? len : lim.max_head + 1;
	struct sg_err err = { 0 };
	const char *buf;
	ssize_t r;

	if (len == 0)
		return;
	if (!c->head_started) {
		/* The head deadline runs from its first byte, not from the last. */
		c->head_started = true;
		arm_timer(c, srv->client_timeout_ms);
	}
	buf = (const char *)evbuffer_pullup(in, (ssize_t)n);
	r = sg_http_head_scan(buf, n, true, &lim, &err);
	if (r == 0)
		return;
	if (r < 0) {
		c->state = CS_EXCHANGE;
		bufferevent_disable(c->bev, EV_READ);
		respond_error(c, err.code, err.detail, true);
		return;
	}
	start_exchange(c, buf, (size_t)r);
}

/* The response is out: get ready for the next request, or close. */
static void
end_exchange(struct client *c)
{
	report_done(c, false);
	exchange_free(c);
	if (!c->keep_alive || c->w->draining) {
		close_after_flush(c);
		return;
	}
	c->state = CS_HEAD;
	c->head_started = false;
	sg_http_parser_reset(c->req_parser, false);
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	arm_timer(c, conf_of(c)->server.keepalive_timeout_ms);
	bufferevent_enable(c->bev, EV_READ);
	read_head(c); /* a pipelined request may be waiting */
}

static void
on_client_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;

	(void)bev;
	if (c->state == CS_LINGER)
		evbuffer_drain(bufferevent_get_input(bev),
		               evbuffer_get_length(bufferevent_get_input(bev)));
	else if (c->state == CS_HEAD)
		read_head(c);
	else if (c->state == CS_TUNNEL)
		tunnel_client_read(c->tunnel);
	else if (c->state == CS_EXCHANGE && c->forwarding && !c->req_done && c->be != NULL)
		pump_request_body(c);
	else if (c->state == CS_EXCHANGE && c->reading_body)
		read_gateway_body(c);
}

static void
on_client_write(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	size_t queued = evbuffer_get_length(bufferevent_get_output(bev));

	if (c->state == CS_CLOSING) {
		if (queued == 0)
			flushed(c);
		return;
	}
	if (c->state == CS_TUNNEL) {
		tunnel_client_write(c->tunnel);
		return;
	}
	if (c->state != CS_EXCHANGE)
		return;
	if (c->resp_done && queued == 0) {
		end_exchange(c);
		return;
	}
	if (c->be != NULL && c->resp_started && queued <= HIGH_WATER / 2) {
		bufferevent_enable(backend_bev(c->be), EV_READ);
		pump_response_body(c);
	}
}

static void
on_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct client *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return; /* the TLS handshake is done */
	if ((what & BEV_EVENT_TIMEOUT) && c->state == CS_EXCHANGE && !c->resp_started) {
		c->no_linger = true; /* it sends nothing: no point in lingering */
		respond_error(c, 408, "the request was not received in time", true);
		return;
	}
	client_close(c); /* EOF, error, or a timeout with nothing sensible to say */
}

/* The head deadline or the keep-alive idle time has passed. */
static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;

	(void)fd;
	(void)what;
	if (c->state == CS_TUNNEL) {
		/* A bound tunnel's check; the answer comes to
		 * sg_net_tunnel_verdict, maybe before this returns. */
		c->waiting = true;
		c->w->net->hooks.tunnel_check(&c->rc);
		return;
	}
	if (c->state == CS_EXCHANGE && c->reading_body) {
		c->reading_body = false;
		bufferevent_disable(c->bev, EV_READ);
		c->no_linger = true;
		respond_error(c, 408, "the request body was not received in time", true);
		return;
	}
	if (c->state == CS_HEAD && c->head_started &&
	    evbuffer_get_length(bufferevent_get_input(c->bev)) > 0) {
		c->state = CS_EXCHANGE;
		bufferevent_disable(c->bev, EV_READ);
		c->no_linger = true;
		respond_error(c, 408, "the request head was not received in time", true);
		return;
	}
	client_close(c);
}

/* Fills c->addr and c->info from the peer address. */
static void
describe_peer(struct client *c, const struct sockaddr *sa, bool tls)
{
	if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, c->addr,
		          sizeof(c->addr));
	else
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, c->addr,
		          sizeof(c->addr));
	c->info.addr = c->addr;
	c->info.addr_is_v6 = sa->sa_family == AF_INET6;
	c->info.tls = tls;
	c->info.trusted = false;
	for (size_t i = 0; i < c->gen->conf->server.trusted_proxies.count; i++)
		if (sg_cidr_match(&c->gen->conf->server.trusted_proxies.v[i], c->addr))
			c->info.trusted = true;
}

void
client_accept(struct worker *w, int fd, const struct sockaddr *sa, bool tls)
{
	struct client *c;
	int one = 1;

	if (w->draining || atomic_load(&w->nclients) >= w->gen->conf->server.max_connections) {
		evutil_closesocket(fd);
		return;
	}
	c = sg_xcalloc(1, sizeof(*c));
	c->w = w;
	c->gen = gen_ref(w->gen);
	describe_peer(c, sa, tls);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (tls) {
		SSL *ssl = SSL_new(c->gen->ssl);

		c->bev = bufferevent_openssl_socket_new(w->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
		                                        BEV_OPT_CLOSE_ON_FREE);
		bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	} else {
		c->bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	}
	if (c->bev == NULL)
		sg_fatal("cannot create a client connection");
	c->timer = evtimer_new(w->base, on_timer, c);
	c->req_parser = sg_http_parser_new(true);
	c->resp_parser = sg_http_parser_new(false);
	bufferevent_setcb(c->bev, on_client_read, on_client_write, on_client_event, c);
	bufferevent_setwatermark(c->bev, EV_WRITE, HIGH_WATER / 2, 0);
	bufferevent_setwatermark(c->bev, EV_READ, 0,
	                         w->gen->conf->server.max_header_size + HIGH_WATER);
	c->next = w->clients;
	if (w->clients != NULL)
		w->clients->prev = c;
	w->clients = c;
	atomic_fetch_add(&w->nclients, 1);
	c->state = CS_HEAD;
	/* The first head, TLS handshake included, must come within client_timeout. */
	c->head_started = true;
	arm_timer(c, w->gen->conf->server.client_timeout_ms);
	bufferevent_enable(c->bev, EV_READ);
}

void
client_drain_all(struct worker *w)
{
	for (struct client *c = w->clients, *next; c != NULL; c = next) {
		next = c->next;
		if (c->state == CS_HEAD &&
		    evbuffer_get_length(bufferevent_get_input(c->bev)) == 0 && !c->head_started)
			client_close(c);
	}
}

void
client_free_all(struct worker *w)
{
	/* The loop has stopped: no callback can come for a waiting client. */
	while (w->clients != NULL) {
		w->clients->waiting = false;
		client_close(w->clients);
	}
}
