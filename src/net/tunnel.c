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
 *
 * To end a tunnel on the gateway's own account (its session ended) with a
 * proper WebSocket close frame, the frames from the backend are followed
 * as they pass (RFC 6455 5.2: a header, then so many payload bytes): the
 * close frame must not land inside one of them.
 */
#include "config.h"

#include <event2/buffer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_int.h"

#define TUNNEL_HIGH_WATER (256 * 1024)

/* Where the backend-to-client byte stream is in its frames. */
struct frames {
	uint8_t hdr[14];    /* the header being read */
	size_t hlen;        /* bytes of it so far; 0 at a frame boundary */
	uint64_t remaining; /* payload bytes left of the current frame */
};

struct tunnel {
	struct bufferevent *client;
	struct frames frames;
	bool ending; /* the backend is no longer read */
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

/* The length of a frame header whose first two bytes are b (RFC 6455 5.2). */
static size_t
frame_header_len(const uint8_t *b)
{
	size_t n = 2 + ((b[1] & 0x7f) == 126 ? 2 : (b[1] & 0x7f) == 127 ? 8 : 0);

	return n + ((b[1] & 0x80) ? 4 : 0);
}

/* Follows n bytes of the stream in buf (from offset off) through the
 * frames; returns how many of them end exactly at a frame boundary at the
 * latest, i.e. the length up to the last boundary reached. */
static size_t
frames_follow(struct frames *fr, struct evbuffer *buf, size_t off, size_t n)
{
	size_t pos = 0, boundary = fr->hlen == 0 && fr->remaining == 0 ? 0 : SIZE_MAX;

	while (pos < n) {
		if (fr->remaining > 0) {
			uint64_t take = fr->remaining < n - pos ? fr->remaining : n - pos;

			fr->remaining -= take;
			pos += (size_t)take;
		} else {
			struct evbuffer_ptr p;
			size_t want = fr->hlen < 2 ? 2 : frame_header_len(fr->hdr);

			evbuffer_ptr_set(buf, &p, off + pos, EVBUFFER_PTR_SET);
			evbuffer_copyout_from(buf, &p, fr->hdr + fr->hlen, 1);
			fr->hlen++;
			pos++;
			if (fr->hlen < 2 || fr->hlen < (want = frame_header_len(fr->hdr)))
				continue;
			fr->remaining = 0;
			for (size_t i = 2; i < want - ((fr->hdr[1] & 0x80) ? 4 : 0); i++)
				fr->remaining = fr->remaining << 8 | fr->hdr[i];
			if ((fr->hdr[1] & 0x7f) < 126)
				fr->remaining = fr->hdr[1] & 0x7f;
			fr->hlen = 0;
		}
		if (fr->hlen == 0 && fr->remaining == 0)
			boundary = pos;
	}
	return boundary;
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

/* Backend to client: the bytes are followed through their frames. */
static void
pump_down(struct tunnel *t)
{
	struct evbuffer *in = bufferevent_get_input(backend_bev(t->be));

	if (t->ending)
		return;
	frames_follow(&t->frames, in, 0, evbuffer_get_length(in));
	pump(t, backend_bev(t->be), t->client, &t->down);
}

static void
on_backend_read(struct backend_conn *b, void *arg)
{
	(void)b;
	pump_down(arg);
}

static void
on_backend_write(struct backend_conn *b, void *arg)
{
	struct tunnel *t = arg;

	if (!t->ending &&
	    evbuffer_get_length(bufferevent_get_output(backend_bev(b))) <= TUNNEL_HIGH_WATER / 2)
		pump(t, t->client, backend_bev(b), &t->up);
}

static void
on_backend_event(struct backend_conn *b, short what, void *arg)
{
	struct tunnel *t = arg;

	(void)b;
	if (t->ending)
		return;
	/* Pass on what the backend sent before it closed. */
	pump_down(t);
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
	backend_writing(be);
	bufferevent_set_timeouts(client, NULL, NULL);
	bufferevent_set_timeouts(backend_bev(be), NULL, NULL);
	touch(t);
	/* Bytes may already wait on either side of the 101. */
	pump(t, client, backend_bev(be), &t->up);
	pump_down(t);
	return t;
}

void
tunnel_client_read(struct tunnel *t)
{
	if (!t->ending)
		pump(t, t->client, backend_bev(t->be), &t->up);
}

void
tunnel_client_write(struct tunnel *t)
{
	if (evbuffer_get_length(bufferevent_get_output(t->client)) <= TUNNEL_HIGH_WATER / 2)
		pump_down(t);
}

void
tunnel_end_policy(struct tunnel *t, const char *why)
{
	/* RFC 6455 5.5.1: FIN + opcode 8, unmasked (server to client), a
	 * 2-byte status code 1008 and a short reason. */
	static const char reason[] = "session ended";
	uint8_t frame[4 + sizeof(reason) - 1] = { 0x88, 2 + sizeof(reason) - 1, 0x03, 0xf0 };
	struct evbuffer *in = bufferevent_get_input(backend_bev(t->be));

	memcpy(frame + 4, reason, sizeof(reason) - 1);
	t->ending = true;
	bufferevent_disable(backend_bev(t->be), EV_READ);
	/* Whole frames that have arrived go first (the one in progress, if it
	 * is complete); a close frame inside a frame would garble it, so when
	 * no boundary can be reached the connection just closes. */
	size_t upto = frames_follow(&t->frames, in, 0, evbuffer_get_length(in));

	if (upto != SIZE_MAX) {
		evbuffer_remove_buffer(in, bufferevent_get_output(t->client), upto);
		t->down += upto;
		bufferevent_write(t->client, frame, sizeof(frame));
	}
	finish(t, why);
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
