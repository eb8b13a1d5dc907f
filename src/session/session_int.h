/*
 * session_int.h - internals of session/: the back-end operations behind
 * struct sg_store.  store.c dispatches; store_memory.c and store_redis.c
 * each fill one struct store_ops.
 */
#ifndef SG_SESSION_INT_H
#define SG_SESSION_INT_H

#include "session.h"

/* The limits a store works with, from the [session] section. */
struct store_limits {
	int64_t idle_timeout;     /* seconds */
	int64_t absolute_timeout; /* seconds */
	uint64_t max_sessions;
	int64_t touch_interval; /* last_seen is written back at most this often: 60 s */
};

struct store_ops {
	/* touch: write last_seen back when it is touch_interval old (a use);
	 * without it, a look that is not the user's doing (sg_store_peek). */
	void (*get)(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now,
	            bool touch, struct sg_arena *a, sg_store_get_cb cb, void *arg);
	void (*put)(struct sg_store *st, struct sg_store_link *l, const struct sg_session *s,
	            sg_store_done_cb cb, void *arg);
	void (*del)(struct sg_store *st, struct sg_store_link *l, const uint8_t *key,
	            sg_store_done_cb cb, void *arg);
	void (*del_index)(struct sg_store *st, struct sg_store_link *l, enum sg_session_index kind,
	                  const char *value, sg_store_done_cb cb, void *arg);
	void (*blob_put)(struct sg_store *st, struct sg_store_link *l, const uint8_t *key,
	                 const void *p, size_t n, int64_t expires, sg_store_done_cb cb, void *arg);
	void (*blob_take)(struct sg_store *st, struct sg_store_link *l, const uint8_t *key,
	                  int64_t now, sg_store_blob_cb cb, void *arg);
	void (*mark_once)(struct sg_store *st, struct sg_store_link *l, const uint8_t *key,
	                  int64_t now, int64_t expires, sg_store_done_cb cb, void *arg);
	void (*free)(struct sg_store *st);
};

struct sg_store {
	const struct store_ops *ops;
	struct store_limits
	    limits; /* written by sg_store_reconfigure, under the back end's locks */
	void *impl; /* the back end's own state */
};

/* store_memory.c */
void store_memory_init(struct sg_store *st);
/* store_redis.c */
int store_redis_init(struct sg_store *st, const struct sg_conf *c, struct sg_errlist *errs);

#endif
