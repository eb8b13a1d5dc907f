/*
 * tunnel.c - the byte pipe after a protocol switch (RFC 9110 7.8): a
 * WebSocket connection, such as Confluence's collaborative editing, once
 * the backend has answered 101.  Bytes go both ways unchanged, with the same
 * backpressure as bodies (a side stops being read while more than
 * HIGH_WATER bytes wait for the other), and the tunnel ends when either side
 * closes or nothing has moved for tunnel_idle_timeout.
 *
 * The tunnel owns the backend connection; the client connection stays the
 * client's, which forwards its socket events here while in tunnel state.
 */
#include "config.h"

#include <event2/buffer.h>
#include <stdlib.h>

#include "net_int.h"

#define TUNNEL_HIGH_WATER (256 * 1024)

struct tunnel {
	struct bufferevent *client;
	struct backend_conn *be;
	struct event *idle;
	uint64_t idle_ms;
	uint64_t up, down; /* bytes client -> backend, backend -> client */
	tunnel_done_cb done;
	void *arg;
};

static void
touch(struct tunnel *t)
{
	struct timeval tv = sg_timeval_ms(t->idle_ms);

	event_add(t->idle, &tv);
}

/* Moves what src has read to dst, unless dst's queue is full. */
static void
pump(struct tunnel *t, struct bufferevent *src, struct bufferevent *dst, uint64_t *count)
{
	struct evbuffer *in = bufferevent_get_input(src), *out = bufferevent_get_output(dst);
	size_t n = evbuffer_get_length(in);

	if (n > 0) {
		*count += n;
		evbuffer_add_buffer(out, in);
		touch(t);
	}
	if (evbuffer_get_length(out) > TUNNEL_HIGH_WATER)
		bufferevent_disable(src, EV_READ); /* resumed when dst drains */
	else
		bufferevent_enable(src, EV_READ);
}

/* Ends the tunnel; the client decides what happens to its connection. */
static void
finish(struct tunnel *t, const char *why)
{
	t->done(t->arg, why, t->up, t->down);
}

static void
on_backend_read(struct backend_conn *b, void *arg)
{
	struct tunnel *t = arg;

	pump(t, backend_bev(b), t->client, &t->down);
}

static void
on_backend_write(struct backend_conn *b, void *arg)
{
	struct tunnel *t = arg;

	if (evbuffer_get_length(bufferevent_get_output(backend_bev(b))) <= TUNNEL_HIGH_WATER / 2)
		pump(t, t->client, backend_bev(b), &t->up);
}

static void
on_backend_event(struct backend_conn *b, short what, void *arg)
{
	struct tunnel *t = arg;

	/* Pass on what the backend sent before it closed. */
	pump(t, backend_bev(b), t->client, &t->down);
	finish(t, (what & BEV_EVENT_EOF) ? "backend closed" : "backend failed");
}

static void
on_idle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	finish(arg, "idle timeout");
}

struct tunnel *
tunnel_start(struct bufferevent *client, struct backend_conn *be, uint64_t idle_ms,
             tunnel_done_cb done, void *arg)
{
	static const struct backend_cb cb = { on_backend_read, on_backend_write, on_backend_event,
		                              NULL };
	struct backend_cb mine = cb;
	struct tunnel *t = sg_xcalloc(1, sizeof(*t));

	t->client = client;
	t->be = be;
	t->idle_ms = idle_ms;
	t->done = done;
	t->arg = arg;
	t->idle = evtimer_new(bufferevent_get_base(client), on_idle, t);
	mine.arg = t;
	backend_rebind(be, &mine);
	bufferevent_set_timeouts(client, NULL, NULL);
	bufferevent_set_timeouts(backend_bev(be), NULL, NULL);
	touch(t);
	/* Bytes may already wait on either side of the 101. */
	pump(t, client, backend_bev(be), &t->up);
	pump(t, backend_bev(be), client, &t->down);
	return t;
}

void
tunnel_client_read(struct tunnel *t)
{
	pump(t, t->client, backend_bev(t->be), &t->up);
}

void
tunnel_client_write(struct tunnel *t)
{
	if (evbuffer_get_length(bufferevent_get_output(t->client)) <= TUNNEL_HIGH_WATER / 2)
		pump(t, backend_bev(t->be), t->client, &t->down);
}

void
tunnel_bytes(const struct tunnel *t, uint64_t *up, uint64_t *down)
{
	*up = t->up;
	*down = t->down;
}

void
tunnel_free(struct tunnel *t)
{
	if (t == NULL)
		return;
	event_free(t->idle);
	backend_release(t->be, false);
	free(t);
}
