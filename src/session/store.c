/*
 * store.c - the session store's front: it picks the back end from the
 * [session] settings, turns the configured limits into seconds, and passes
 * every operation to the back end's store_ops.  It holds no sessions and
 * takes no locks of its own.  What must tell the back ends apart
 * (sg_store_is_memory) and the memory-only operations
 * (sweep, count, save, load) live in store_memory.c, which alone knows its
 * store_ops; the latter do nothing for redis, where Redis expires and keeps
 * the sessions itself.
 *
 * The limits are read by worker threads while a reload may rewrite them, and
 * session_int.h gives the front no hook into the back end's locks, so each
 * field is stored with an atomic write (and the memory back end reads each
 * with an atomic load): a reader sees the old or the new value of a field,
 * never a torn one.
 */
#include "config.h"

#include <stdlib.h>

#include "session_int.h"

/* The interval at which a found session's last_seen is written back: less
 * often would let the idle timeout drift, more often would make every
 * request a write (a Redis round trip). */
#define STORE_TOUCH_INTERVAL 60

struct sg_store *
sg_store_new(const struct sg_conf *c, struct sg_errlist *errs)
{
	struct sg_store *st = sg_xcalloc(1, sizeof(*st));

	sg_store_reconfigure(st, c);
	if (c->session.store_kind == SG_STORE_MEMORY) {
		store_memory_init(st);
	} else if (store_redis_init(st, c, errs) == -1) {
		free(st);
		return NULL;
	}
	return st;
}

void
sg_store_reconfigure(struct sg_store *st, const struct sg_conf *c)
{
	struct store_limits *l = &st->limits;

	__atomic_store_n(&l->idle_timeout, (int64_t)(c->session.idle_timeout_ms / 1000),
	                 __ATOMIC_RELAXED);
	__atomic_store_n(&l->absolute_timeout, (int64_t)(c->session.absolute_timeout_ms / 1000),
	                 __ATOMIC_RELAXED);
	__atomic_store_n(&l->max_sessions, c->session.max_sessions, __ATOMIC_RELAXED);
	/* A short idle timeout needs more frequent write-backs, or sessions in
	 * use would end: at most half the idle timeout. */
	int64_t idle = (int64_t)(c->session.idle_timeout_ms / 1000);
	int64_t touch = idle / 2 < STORE_TOUCH_INTERVAL ? idle / 2 : STORE_TOUCH_INTERVAL;

	__atomic_store_n(&l->touch_interval, touch > 0 ? touch : 1, __ATOMIC_RELAXED);
}

void
sg_store_free(struct sg_store *st)
{
	if (st == NULL)
		return;
	if (st->ops != NULL && st->ops->free != NULL)
		st->ops->free(st);
	free(st);
}

void
sg_store_get(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now,
             struct sg_arena *a, sg_store_get_cb cb, void *arg)
{
	st->ops->get(st, l, key, now, true, a, cb, arg);
}

void
sg_store_peek(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now,
              struct sg_arena *a, sg_store_get_cb cb, void *arg)
{
	st->ops->get(st, l, key, now, false, a, cb, arg);
}

void
sg_store_put(struct sg_store *st, struct sg_store_link *l, const struct sg_session *s,
             sg_store_done_cb cb, void *arg)
{
	st->ops->put(st, l, s, cb, arg);
}

void
sg_store_del(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, sg_store_done_cb cb,
             void *arg)
{
	st->ops->del(st, l, key, cb, arg);
}

void
sg_store_del_index(struct sg_store *st, struct sg_store_link *l, enum sg_session_index kind,
                   const char *value, sg_store_done_cb cb, void *arg)
{
	st->ops->del_index(st, l, kind, value, cb, arg);
}

void
sg_store_blob_put(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, const void *p,
                  size_t n, int64_t expires, sg_store_done_cb cb, void *arg)
{
	st->ops->blob_put(st, l, key, p, n, expires, cb, arg);
}

void
sg_store_blob_take(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now,
                   sg_store_blob_cb cb, void *arg)
{
	st->ops->blob_take(st, l, key, now, cb, arg);
}

void
sg_store_mark_once(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now,
                   int64_t expires, sg_store_done_cb cb, void *arg)
{
	st->ops->mark_once(st, l, key, now, expires, cb, arg);
}
