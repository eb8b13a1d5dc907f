/*
 * store_memory.c - the memory back end of the session store: a hash table
 * in 64 shards, each under its own mutex, shared by the worker threads.
 *
 * A session is kept as the bytes of sg_session_encode in one allocation
 * with a small header (the times the timeouts need, the list and index
 * links), and decoded into the caller's arena when found: a million
 * sessions then cost a few hundred megabytes, not a forest of small
 * strings.  The header's last_seen is the one that counts (touching a
 * session does not rewrite its bytes).
 *
 * Beside the shards: a list of all sessions in insertion order (the oldest
 * is evicted first when max_sessions is reached) under its own mutex, and
 * for each secondary index 64 shards of chains by a seeded hash of the
 * index value.  Locks are taken in one order only: a key shard, then the
 * list lock or an index shard, never two of the latter at once.  Whatever
 * finds its work through the list or an index (eviction, del_index) copies
 * the keys it found, lets go, and then removes by key like sg_store_del.
 *
 * Blobs and one-time marks live in their own tables in the same shards;
 * an expired one is ignored when met and removed by the sweep.
 *
 * The state file carries the live sessions across a restart: a header
 * ("SGSTATE" and a version byte) and one sg_seal blob (aad
 * "ssogw-session-state-v1") holding records of u32 length, be64 last_seen
 * and the encoded session.  Nothing here logs a key, an id or session
 * contents beyond a user name.  Callbacks are called before returning and
 * never under a lock.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session_int.h"

#define MEM_SHARDS 64
#define MEM_KEY_LEN SG_SHA256_LEN
#define MEM_MIN_BUCKETS 16
#define MEM_STATE_MAGIC "SGSTATE"
#define MEM_STATE_VERSION 1
#define MEM_STATE_HEAD 8
#define MEM_STATE_AAD "ssogw-session-state-v1"
#define MEM_STATE_MAX ((uint64_t)4 << 30)
#define MEM_USER_LOG 128

/* What every table entry starts with: the chain link and the key. */
struct mem_item {
	struct mem_item *next;
	uint8_t key[MEM_KEY_LEN];
};

/* One session: the header the store needs, then its encoded bytes. */
struct mem_sess {
	struct mem_item it;
	struct mem_sess *older, *newer; /* the insertion-order list */
	struct mem_sess *ix_prev[SG_INDEX_COUNT], *ix_next[SG_INDEX_COUNT];
	uint64_t ix_hash[SG_INDEX_COUNT];
	int64_t expires;
	int64_t last_seen;
	uint32_t len;
	uint8_t ix_in; /* bit k: linked into index k */
	uint8_t data[];
};

struct mem_blob {
	struct mem_item it;
	int64_t expires;
	size_t len;
	uint8_t data[];
};

struct mem_mark {
	struct mem_item it;
	int64_t expires;
};

/* A chained hash table that doubles when it holds more than one entry per
 * bucket. */
struct mem_table {
	struct mem_item **b;
	size_t nb;
	size_t count;
};

struct mem_shard {
	_Alignas(64) pthread_mutex_t lock;
	struct mem_table sess, blobs, marks;
};

/* One shard of one secondary index: chains through ix_next[kind]. */
struct mem_ix {
	_Alignas(64) pthread_mutex_t lock;
	struct mem_sess **b;
	size_t nb;
	size_t count;
};

struct mem_store {
	struct mem_shard shard[MEM_SHARDS];
	struct mem_ix ix[SG_INDEX_COUNT][MEM_SHARDS];
	pthread_mutex_t list_lock;
	struct mem_sess *oldest, *newest;
	size_t count;  /* sessions; atomic */
	uint64_t seed; /* keys the hashes, so chains cannot be aimed at */
};

static const struct store_ops memory_ops;

/* The limits as they are now (see store.c for why atomically). */
static struct store_limits
mem_limits(const struct sg_store *st)
{
	struct store_limits l;

	l.idle_timeout = __atomic_load_n(&st->limits.idle_timeout, __ATOMIC_RELAXED);
	l.absolute_timeout = __atomic_load_n(&st->limits.absolute_timeout, __ATOMIC_RELAXED);
	l.max_sessions = __atomic_load_n(&st->limits.max_sessions, __ATOMIC_RELAXED);
	l.touch_interval = __atomic_load_n(&st->limits.touch_interval, __ATOMIC_RELAXED);
	return l;
}

/* splitmix64's finalizer: spreads every input bit over the result. */
static uint64_t
mem_mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Session keys are SHA-256 values, but blob and mark keys come from
 * callers: mixing all 32 bytes keeps any of them evenly spread. */
static uint64_t
mem_key_hash(const struct mem_store *m, const uint8_t *key)
{
	uint64_t h = m->seed, w;
	int i;

	for (i = 0; i < MEM_KEY_LEN; i += 8) {
		memcpy(&w, key + i, sizeof(w));
		h = mem_mix(h ^ w);
	}
	return h;
}

static struct mem_shard *
mem_shard_of(struct mem_store *m, uint64_t h)
{
	return &m->shard[h % MEM_SHARDS];
}

/* FNV-1a over bytes, continuing from h (so "a" "\n" "b" hashes like "a\nb"). */
static uint64_t
mem_fnv(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static uint64_t
mem_ix_hash_str(const struct mem_store *m, enum sg_session_index kind, const char *v)
{
	return mem_mix(mem_fnv(m->seed ^ (0xcbf29ce484222325ULL + (uint64_t)kind), v));
}

/* The hash of s's value for index kind, as sg_session_index_value builds
 * the value but without allocating; false when s has none. */
static bool
mem_ix_hash_of(const struct mem_store *m, const struct sg_session *s, enum sg_session_index kind,
               uint64_t *h)
{
	const char *part[3] = { NULL, NULL, NULL };
	uint64_t x = m->seed ^ (0xcbf29ce484222325ULL + (uint64_t)kind);
	size_t n;

	switch (kind) {
	case SG_INDEX_USER:
		part[0] = s->user;
		break;
	case SG_INDEX_SAML_NAMEID:
		part[0] = s->idp;
		part[1] = s->saml_name_id;
		break;
	case SG_INDEX_SAML_SESSION:
		part[0] = s->idp;
		part[1] = s->saml_name_id;
		part[2] = s->saml_session_index;
		break;
	case SG_INDEX_OIDC_SID:
		part[0] = s->idp;
		part[1] = s->oidc_sid;
		break;
	case SG_INDEX_COUNT:
		return false;
	}
	n = kind == SG_INDEX_USER ? 1 : kind == SG_INDEX_SAML_SESSION ? 3 : 2;
	for (size_t i = 0; i < n; i++) {
		if (part[i] == NULL)
			return false;
		x = mem_fnv(i > 0 ? mem_fnv(x, "\n") : x, part[i]);
	}
	*h = mem_mix(x);
	return true;
}

/* The slot that points at key's entry (or at the NULL ending its chain). */
static struct mem_item **
mem_table_find(struct mem_table *t, uint64_t h, const uint8_t *key)
{
	struct mem_item **pp;

	if (t->nb == 0)
		return NULL;
	for (pp = &t->b[(h / MEM_SHARDS) & (t->nb - 1)]; *pp != NULL; pp = &(*pp)->next)
		if (memcmp((*pp)->key, key, MEM_KEY_LEN) == 0)
			break;
	return pp;
}

/* Adds it (whose key is not in t) with hash h, doubling t when full. */
static void
mem_table_add(const struct mem_store *m, struct mem_table *t, uint64_t h, struct mem_item *it)
{
	struct mem_item **pp;

	if (t->count >= t->nb) {
		size_t nb = t->nb ? t->nb * 2 : MEM_MIN_BUCKETS, i;
		struct mem_item **b = sg_xcalloc(nb, sizeof(*b));

		for (i = 0; i < t->nb; i++) {
			struct mem_item *e, *next;

			for (e = t->b[i]; e != NULL; e = next) {
				next = e->next;
				pp = &b[(mem_key_hash(m, e->key) / MEM_SHARDS) & (nb - 1)];
				e->next = *pp;
				*pp = e;
			}
		}
		free(t->b);
		t->b = b;
		t->nb = nb;
	}
	pp = &t->b[(h / MEM_SHARDS) & (t->nb - 1)];
	it->next = *pp;
	*pp = it;
	t->count++;
}

/* Takes the entry at *pp out of t. */
static struct mem_item *
mem_table_unlink(struct mem_table *t, struct mem_item **pp)
{
	struct mem_item *it = *pp;

	*pp = it->next;
	it->next = NULL;
	t->count--;
	return it;
}

static void
mem_table_free(struct mem_table *t, void (*item_free)(struct mem_item *))
{
	size_t i;

	for (i = 0; i < t->nb; i++) {
		struct mem_item *e, *next;

		for (e = t->b[i]; e != NULL; e = next) {
			next = e->next;
			item_free(e);
		}
	}
	free(t->b);
	memset(t, 0, sizeof(*t));
}

/* Frees a session, wiping it: its bytes hold tokens. */
static void
mem_sess_free(struct mem_item *it)
{
	struct mem_sess *e = (struct mem_sess *)it;

	sg_wipe(e->data, e->len);
	free(e);
}

static void
mem_blob_free(struct mem_item *it)
{
	struct mem_blob *b = (struct mem_blob *)it;

	sg_wipe(b->data, b->len);
	free(b);
}

static void
mem_mark_free(struct mem_item *it)
{
	free(it);
}

/* Frees a chain of entries linked through it.next. */
static void
mem_free_chain(struct mem_item *it, void (*item_free)(struct mem_item *))
{
	while (it != NULL) {
		struct mem_item *next = it->next;

		item_free(it);
		it = next;
	}
}

/* Whether a session is past its absolute or its idle timeout at now. */
static bool
mem_sess_expired(const struct mem_sess *e, int64_t now, const struct store_limits *l)
{
	if (now >= e->expires)
		return true;
	/* Unsigned difference: a last_seen from a state file cannot overflow. */
	return l->idle_timeout > 0 && now > e->last_seen &&
	       (uint64_t)now - (uint64_t)e->last_seen >= (uint64_t)l->idle_timeout;
}

/* Links e into the index shard for kind (the caller holds e's key shard). */
static void
mem_ix_link(struct mem_store *m, struct mem_sess *e, enum sg_session_index kind)
{
	uint64_t h = e->ix_hash[kind];
	struct mem_ix *x = &m->ix[kind][h % MEM_SHARDS];
	struct mem_sess **pp;
	size_t i;

	pthread_mutex_lock(&x->lock);
	if (x->count >= x->nb) {
		size_t nb = x->nb ? x->nb * 2 : MEM_MIN_BUCKETS;
		struct mem_sess **b = sg_xcalloc(nb, sizeof(*b)), *o, *next;

		for (i = 0; i < x->nb; i++)
			for (o = x->b[i]; o != NULL; o = next) {
				next = o->ix_next[kind];
				pp = &b[(o->ix_hash[kind] / MEM_SHARDS) & (nb - 1)];
				o->ix_prev[kind] = NULL;
				o->ix_next[kind] = *pp;
				if (*pp != NULL)
					(*pp)->ix_prev[kind] = o;
				*pp = o;
			}
		free(x->b);
		x->b = b;
		x->nb = nb;
	}
	pp = &x->b[(h / MEM_SHARDS) & (x->nb - 1)];
	e->ix_prev[kind] = NULL;
	e->ix_next[kind] = *pp;
	if (*pp != NULL)
		(*pp)->ix_prev[kind] = e;
	*pp = e;
	x->count++;
	pthread_mutex_unlock(&x->lock);
}

/* Takes e out of the index shard for kind. */
static void
mem_ix_unlink(struct mem_store *m, struct mem_sess *e, enum sg_session_index kind)
{
	uint64_t h = e->ix_hash[kind];
	struct mem_ix *x = &m->ix[kind][h % MEM_SHARDS];

	pthread_mutex_lock(&x->lock);
	if (e->ix_prev[kind] != NULL)
		e->ix_prev[kind]->ix_next[kind] = e->ix_next[kind];
	else
		x->b[(h / MEM_SHARDS) & (x->nb - 1)] = e->ix_next[kind];
	if (e->ix_next[kind] != NULL)
		e->ix_next[kind]->ix_prev[kind] = e->ix_prev[kind];
	x->count--;
	pthread_mutex_unlock(&x->lock);
}

/* Takes a session that left its key table out of the list and the
 * indexes (the caller holds its key shard). */
static void
mem_sess_unlink_rest(struct mem_store *m, struct mem_sess *e)
{
	int k;

	pthread_mutex_lock(&m->list_lock);
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		m->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		m->newest = e->older;
	pthread_mutex_unlock(&m->list_lock);
	for (k = 0; k < SG_INDEX_COUNT; k++)
		if (e->ix_in & (1U << k))
			mem_ix_unlink(m, e, (enum sg_session_index)k);
	__atomic_sub_fetch(&m->count, 1, __ATOMIC_RELAXED);
}

/* Removes the session with key and hands it back unlinked, or NULL. */
static struct mem_sess *
mem_sess_remove(struct mem_store *m, const uint8_t *key)
{
	uint64_t h = mem_key_hash(m, key);
	struct mem_shard *sh = mem_shard_of(m, h);
	struct mem_item **pp;
	struct mem_sess *e = NULL;

	pthread_mutex_lock(&sh->lock);
	pp = mem_table_find(&sh->sess, h, key);
	if (pp != NULL && *pp != NULL) {
		e = (struct mem_sess *)mem_table_unlink(&sh->sess, pp);
		mem_sess_unlink_rest(m, e);
	}
	pthread_mutex_unlock(&sh->lock);
	return e;
}

/* A session's bytes and header, with the hashes of its index values. */
static struct mem_sess *
mem_sess_make(const struct mem_store *m, const struct sg_session *s)
{
	struct sg_buf b = { 0 };
	struct mem_sess *e;
	int k;

	sg_session_encode(s, &b);
	if (b.len > UINT32_MAX)
		sg_fatal("store: a session of %zu bytes", b.len);
	e = sg_xcalloc(1, sizeof(*e) + b.len);
	memcpy(e->it.key, s->key, MEM_KEY_LEN);
	e->expires = s->expires;
	e->last_seen = s->last_seen;
	e->len = (uint32_t)b.len;
	memcpy(e->data, b.data, b.len);
	sg_wipe(b.data, b.len);
	sg_buf_free(&b);
	for (k = 0; k < SG_INDEX_COUNT; k++)
		if (mem_ix_hash_of(m, s, (enum sg_session_index)k, &e->ix_hash[k]))
			e->ix_in |= (uint8_t)(1U << k);
	return e;
}

/* Adds e, replacing a session with the same key; returns the replaced one. */
static struct mem_sess *
mem_sess_insert(struct mem_store *m, struct mem_sess *e)
{
	uint64_t h = mem_key_hash(m, e->it.key);
	struct mem_shard *sh = mem_shard_of(m, h);
	struct mem_sess *old = NULL;
	struct mem_item **pp;
	int k;

	pthread_mutex_lock(&sh->lock);
	pp = mem_table_find(&sh->sess, h, e->it.key);
	if (pp != NULL && *pp != NULL) {
		old = (struct mem_sess *)mem_table_unlink(&sh->sess, pp);
		mem_sess_unlink_rest(m, old);
	}
	mem_table_add(m, &sh->sess, h, &e->it);
	pthread_mutex_lock(&m->list_lock);
	e->older = m->newest;
	e->newer = NULL;
	if (m->newest != NULL)
		m->newest->newer = e;
	else
		m->oldest = e;
	m->newest = e;
	pthread_mutex_unlock(&m->list_lock);
	for (k = 0; k < SG_INDEX_COUNT; k++)
		if (e->ix_in & (1U << k))
			mem_ix_link(m, e, (enum sg_session_index)k);
	__atomic_add_fetch(&m->count, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&sh->lock);
	return old;
}

/* Copies the user name of a detached session into buf, for a log line. */
static void
mem_sess_user(const struct mem_sess *e, char *buf, size_t size)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_session s;

	if (sg_session_decode(e->data, e->len, a, &s) == 0 && s.user != NULL)
		snprintf(buf, size, "%s", s.user);
	else
		snprintf(buf, size, "(unknown)");
	sg_arena_free(a);
}

/* Evicts the oldest sessions until at most max remain; returns how many
 * went, with the first one's user in user. */
static size_t
mem_evict(struct mem_store *m, uint64_t max, char *user, size_t size)
{
	uint8_t key[MEM_KEY_LEN];
	struct mem_sess *e;
	size_t n = 0;

	while (__atomic_load_n(&m->count, __ATOMIC_RELAXED) > max) {
		pthread_mutex_lock(&m->list_lock);
		e = m->oldest;
		if (e != NULL)
			memcpy(key, e->it.key, MEM_KEY_LEN);
		pthread_mutex_unlock(&m->list_lock);
		if (e == NULL)
			break;
		/* Another thread may have removed it meanwhile: look again. */
		e = mem_sess_remove(m, key);
		if (e == NULL)
			continue;
		if (n++ == 0)
			mem_sess_user(e, user, size);
		mem_sess_free(&e->it);
	}
	return n;
}

/* Finds key's session at now and decodes it into a; touches it when
 * touch is set and the last write-back is touch_interval old. */
static void
mem_lookup(struct sg_store *st, const uint8_t *key, int64_t now, bool touch, struct sg_arena *a,
           sg_store_get_cb cb, void *arg)
{
	struct mem_store *m = st->impl;
	struct store_limits lim = mem_limits(st);
	uint64_t h = mem_key_hash(m, key);
	struct mem_shard *sh = mem_shard_of(m, h);
	struct sg_session *s = sg_arena_alloc(a, sizeof(*s));
	struct mem_sess *e = NULL, *dead = NULL;
	struct mem_item **pp;
	bool ok = false;

	pthread_mutex_lock(&sh->lock);
	pp = mem_table_find(&sh->sess, h, key);
	if (pp != NULL && *pp != NULL)
		e = (struct mem_sess *)*pp;
	if (e != NULL && mem_sess_expired(e, now, &lim)) {
		dead = (struct mem_sess *)mem_table_unlink(&sh->sess, pp);
		mem_sess_unlink_rest(m, dead);
	} else if (e != NULL && sg_session_decode(e->data, e->len, a, s) == 0) {
		if (touch && now > e->last_seen &&
		    (uint64_t)now - (uint64_t)e->last_seen >= (uint64_t)lim.touch_interval)
			e->last_seen = now;
		s->last_seen = e->last_seen;
		ok = true;
	}
	pthread_mutex_unlock(&sh->lock);
	if (dead != NULL)
		mem_sess_free(&dead->it);
	if (ok)
		cb(arg, SG_STORE_OK, s);
	else
		cb(arg, SG_STORE_NOT_FOUND, NULL);
}

static void
mem_get(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now, bool touch,
        struct sg_arena *a, sg_store_get_cb cb, void *arg)
{
	(void)l;
	mem_lookup(st, key, now, touch, a, cb, arg);
}

static void
mem_put(struct sg_store *st, struct sg_store_link *l, const struct sg_session *s,
        sg_store_done_cb cb, void *arg)
{
	struct mem_store *m = st->impl;
	struct mem_sess *old;
	char user[MEM_USER_LOG];
	uint64_t max = mem_limits(st).max_sessions;
	size_t n;

	(void)l;
	old = mem_sess_insert(m, mem_sess_make(m, s));
	if (old != NULL)
		mem_sess_free(&old->it);
	if (max > 0 && (n = mem_evict(m, max, user, sizeof(user))) > 0) {
		if (n == 1)
			sg_log_warn("session store full (max_sessions %llu): evicted the oldest "
			            "session of user %s",
			            (unsigned long long)max, user);
		else
			sg_log_warn(
			    "session store full (max_sessions %llu): evicted the %zu oldest "
			    "sessions, the first of user %s",
			    (unsigned long long)max, n, user);
	}
	if (cb != NULL)
		cb(arg, SG_STORE_OK);
}

static void
mem_del(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, sg_store_done_cb cb,
        void *arg)
{
	struct mem_sess *e = mem_sess_remove(st->impl, key);

	(void)l;
	if (e != NULL)
		mem_sess_free(&e->it);
	if (cb != NULL)
		cb(arg, e != NULL ? SG_STORE_OK : SG_STORE_NOT_FOUND);
}

/* Appends to keys the keys of the sessions in one index chain whose value
 * for kind is exactly value (equal hashes are checked by decoding). */
static void
mem_ix_collect(struct mem_store *m, enum sg_session_index kind, const char *value,
               struct sg_buf *keys)
{
	uint64_t h = mem_ix_hash_str(m, kind, value);
	struct mem_ix *x = &m->ix[kind][h % MEM_SHARDS];
	struct sg_arena *a = sg_arena_new();
	struct mem_sess *e;
	struct sg_session s;
	const char *v;

	pthread_mutex_lock(&x->lock);
	for (e = x->nb ? x->b[(h / MEM_SHARDS) & (x->nb - 1)] : NULL; e != NULL;
	     e = e->ix_next[kind]) {
		if (e->ix_hash[kind] != h || sg_session_decode(e->data, e->len, a, &s) == -1)
			continue;
		v = sg_session_index_value(&s, kind, a);
		if (v != NULL && strcmp(v, value) == 0)
			sg_buf_append(keys, e->it.key, MEM_KEY_LEN);
	}
	pthread_mutex_unlock(&x->lock);
	sg_arena_free(a);
}

static void
mem_del_index(struct sg_store *st, struct sg_store_link *l, enum sg_session_index kind,
              const char *value, sg_store_done_cb cb, void *arg)
{
	struct mem_store *m = st->impl;
	struct sg_buf keys = { 0 };
	struct mem_sess *e;
	size_t i, n = 0;

	(void)l;
	if ((unsigned)kind < SG_INDEX_COUNT && value != NULL)
		mem_ix_collect(m, kind, value, &keys);
	for (i = 0; i + MEM_KEY_LEN <= keys.len; i += MEM_KEY_LEN) {
		e = mem_sess_remove(m, (const uint8_t *)keys.data + i);
		if (e != NULL) {
			mem_sess_free(&e->it);
			n++;
		}
	}
	sg_buf_free(&keys);
	if (cb != NULL)
		cb(arg, n > 0 ? SG_STORE_OK : SG_STORE_NOT_FOUND);
}

static void
mem_blob_put(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, const void *p,
             size_t n, int64_t expires, sg_store_done_cb cb, void *arg)
{
	struct mem_store *m = st->impl;
	uint64_t h = mem_key_hash(m, key);
	struct mem_shard *sh = mem_shard_of(m, h);
	struct mem_blob *b = sg_xmalloc(sizeof(*b) + n);
	struct mem_item **pp, *old = NULL;

	(void)l;
	memcpy(b->it.key, key, MEM_KEY_LEN);
	b->expires = expires;
	b->len = n;
	if (n > 0)
		memcpy(b->data, p, n);
	pthread_mutex_lock(&sh->lock);
	pp = mem_table_find(&sh->blobs, h, key);
	if (pp != NULL && *pp != NULL)
		old = mem_table_unlink(&sh->blobs, pp);
	mem_table_add(m, &sh->blobs, h, &b->it);
	pthread_mutex_unlock(&sh->lock);
	if (old != NULL)
		mem_blob_free(old);
	if (cb != NULL)
		cb(arg, SG_STORE_OK);
}

static void
mem_blob_take(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now,
              sg_store_blob_cb cb, void *arg)
{
	struct mem_store *m = st->impl;
	uint64_t h = mem_key_hash(m, key);
	struct mem_shard *sh = mem_shard_of(m, h);
	struct mem_blob *b = NULL;
	struct mem_item **pp;

	(void)l;
	pthread_mutex_lock(&sh->lock);
	pp = mem_table_find(&sh->blobs, h, key);
	if (pp != NULL && *pp != NULL)
		b = (struct mem_blob *)mem_table_unlink(&sh->blobs, pp);
	pthread_mutex_unlock(&sh->lock);
	if (b != NULL && now < b->expires)
		cb(arg, SG_STORE_OK, b->data, b->len);
	else
		cb(arg, SG_STORE_NOT_FOUND, NULL, 0);
	if (b != NULL)
		mem_blob_free(&b->it);
}

static void
mem_mark_once(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now,
              int64_t expires, sg_store_done_cb cb, void *arg)
{
	struct mem_store *m = st->impl;
	uint64_t h = mem_key_hash(m, key);
	struct mem_shard *sh = mem_shard_of(m, h);
	struct mem_mark *k = NULL;
	struct mem_item **pp;
	bool replay = false;

	(void)l;
	pthread_mutex_lock(&sh->lock);
	pp = mem_table_find(&sh->marks, h, key);
	if (pp != NULL && *pp != NULL)
		k = (struct mem_mark *)*pp;
	if (k != NULL && now < k->expires) {
		replay = true;
	} else if (k != NULL) {
		k->expires = expires; /* an expired mark is set anew */
	} else {
		k = sg_xmalloc(sizeof(*k));
		memcpy(k->it.key, key, MEM_KEY_LEN);
		k->expires = expires;
		mem_table_add(m, &sh->marks, h, &k->it);
	}
	pthread_mutex_unlock(&sh->lock);
	if (cb != NULL)
		cb(arg, replay ? SG_STORE_NOT_FOUND : SG_STORE_OK);
}

static void
mem_free(struct sg_store *st)
{
	struct mem_store *m = st->impl;
	int i, k;

	if (m == NULL)
		return;
	for (i = 0; i < MEM_SHARDS; i++) {
		mem_table_free(&m->shard[i].sess, mem_sess_free);
		mem_table_free(&m->shard[i].blobs, mem_blob_free);
		mem_table_free(&m->shard[i].marks, mem_mark_free);
		pthread_mutex_destroy(&m->shard[i].lock);
		for (k = 0; k < SG_INDEX_COUNT; k++) {
			free(m->ix[k][i].b);
			pthread_mutex_destroy(&m->ix[k][i].lock);
		}
	}
	pthread_mutex_destroy(&m->list_lock);
	free(m);
	st->impl = NULL;
}

static const struct store_ops memory_ops = {
	.get = mem_get,
	.put = mem_put,
	.del = mem_del,
	.del_index = mem_del_index,
	.blob_put = mem_blob_put,
	.blob_take = mem_blob_take,
	.mark_once = mem_mark_once,
	.free = mem_free,
};

void
store_memory_init(struct sg_store *st)
{
	struct mem_store *m = sg_xcalloc(1, sizeof(*m));
	int i, k;

	for (i = 0; i < MEM_SHARDS; i++) {
		pthread_mutex_init(&m->shard[i].lock, NULL);
		for (k = 0; k < SG_INDEX_COUNT; k++)
			pthread_mutex_init(&m->ix[k][i].lock, NULL);
	}
	pthread_mutex_init(&m->list_lock, NULL);
	sg_random_bytes(&m->seed, sizeof(m->seed));
	st->impl = m;
	st->ops = &memory_ops;
}

bool
sg_store_is_memory(const struct sg_store *st)
{
	return st->ops == &memory_ops;
}

size_t
sg_store_count(const struct sg_store *st)
{
	const struct mem_store *m = st->impl;

	if (!sg_store_is_memory(st))
		return 0;
	return __atomic_load_n(&m->count, __ATOMIC_RELAXED);
}

/* Moves what expired in t to *dead (a chain through next); returns how
 * many.  expired(item, now, lim) decides. */
static size_t
mem_table_sweep(struct mem_table *t, int64_t now, const struct store_limits *lim,
                bool (*expired)(const struct mem_item *, int64_t, const struct store_limits *),
                struct mem_item **dead)
{
	struct mem_item **pp, *it;
	size_t i, n = 0;

	for (i = 0; i < t->nb; i++)
		for (pp = &t->b[i]; (it = *pp) != NULL;) {
			if (!expired(it, now, lim)) {
				pp = &it->next;
				continue;
			}
			mem_table_unlink(t, pp);
			it->next = *dead;
			*dead = it;
			n++;
		}
	return n;
}

static bool
mem_sess_item_expired(const struct mem_item *it, int64_t now, const struct store_limits *l)
{
	return mem_sess_expired((const struct mem_sess *)it, now, l);
}

static bool
mem_blob_item_expired(const struct mem_item *it, int64_t now, const struct store_limits *l)
{
	(void)l;
	return now >= ((const struct mem_blob *)it)->expires;
}

static bool
mem_mark_item_expired(const struct mem_item *it, int64_t now, const struct store_limits *l)
{
	(void)l;
	return now >= ((const struct mem_mark *)it)->expires;
}

size_t
sg_store_sweep(struct sg_store *st, int64_t now)
{
	struct mem_store *m = st->impl;
	struct store_limits lim = mem_limits(st);
	struct mem_item *sess, *blobs, *marks, *it;
	size_t i, n = 0;

	if (!sg_store_is_memory(st))
		return 0;
	for (i = 0; i < MEM_SHARDS; i++) {
		struct mem_shard *sh = &m->shard[i];

		sess = blobs = marks = NULL;
		pthread_mutex_lock(&sh->lock);
		n += mem_table_sweep(&sh->sess, now, &lim, mem_sess_item_expired, &sess);
		for (it = sess; it != NULL; it = it->next)
			mem_sess_unlink_rest(m, (struct mem_sess *)it);
		mem_table_sweep(&sh->blobs, now, &lim, mem_blob_item_expired, &blobs);
		mem_table_sweep(&sh->marks, now, &lim, mem_mark_item_expired, &marks);
		pthread_mutex_unlock(&sh->lock);
		mem_free_chain(sess, mem_sess_free);
		mem_free_chain(blobs, mem_blob_free);
		mem_free_chain(marks, mem_mark_free);
	}
	return n;
}

/* Appends v as 4 or 8 bytes, most significant first. */
static void
mem_put_be(struct sg_buf *b, uint64_t v, int bytes)
{
	uint8_t p[8];
	int i;

	for (i = bytes - 1; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
	sg_buf_append(b, p, (size_t)bytes);
}

static uint64_t
mem_get_be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

/* Appends a record for every live session to plain; returns how many. */
static size_t
mem_state_collect(struct sg_store *st, int64_t now, struct sg_buf *plain)
{
	struct mem_store *m = st->impl;
	struct store_limits lim = mem_limits(st);
	struct mem_item *it;
	size_t i, j, n = 0;

	for (i = 0; i < MEM_SHARDS; i++) {
		struct mem_shard *sh = &m->shard[i];

		pthread_mutex_lock(&sh->lock);
		for (j = 0; j < sh->sess.nb; j++)
			for (it = sh->sess.b[j]; it != NULL; it = it->next) {
				struct mem_sess *e = (struct mem_sess *)it;

				if (mem_sess_expired(e, now, &lim))
					continue;
				mem_put_be(plain, e->len, 4);
				mem_put_be(plain, (uint64_t)e->last_seen, 8);
				sg_buf_append(plain, e->data, e->len);
				n++;
			}
		pthread_mutex_unlock(&sh->lock);
	}
	return n;
}

/* Writes all of p to fd; -1 with errno on failure. */
static int
mem_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Makes a rename in path's folder survive a crash (best effort: some file
 * systems cannot sync a folder, and the file itself is already synced). */
static void
mem_sync_dir(const char *path)
{
	char *copy = sg_xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd != -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

/* Writes data to path + ".tmp" (mode 0600, never through a link left
 * there), syncs it and renames it over path. */
static int
mem_write_file(const char *path, const struct sg_buf *data, struct sg_errlist *errs)
{
	char *tmp = sg_xasprintf("%s.tmp", path);
	const char *what = "create";
	int fd, rc = -1;

	if (unlink(tmp) == -1 && errno != ENOENT)
		goto out;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		goto out;
	what = "write";
	if (mem_write_all(fd, data->data, data->len) == -1 || fsync(fd) == -1) {
		int saved = errno;

		close(fd);
		unlink(tmp);
		errno = saved;
		goto out;
	}
	what = "close";
	if (close(fd) == -1) {
		unlink(tmp);
		goto out;
	}
	what = "rename";
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		goto out;
	}
	mem_sync_dir(path);
	rc = 0;
out:
	if (rc == -1)
		sg_errlist_add(errs, "session state %s: cannot %s %s: %s", path, what, tmp,
		               strerror(errno));
	free(tmp);
	return rc;
}

int
sg_store_save(struct sg_store *st, const char *path, const uint8_t key[SG_KEY_LEN], int64_t now,
              struct sg_errlist *errs)
{
	struct sg_buf plain = { 0 }, file = { 0 };
	uint8_t version = MEM_STATE_VERSION;
	int rc;

	if (!sg_store_is_memory(st))
		return 0;
	mem_state_collect(st, now, &plain);
	sg_buf_append(&file, MEM_STATE_MAGIC, MEM_STATE_HEAD - 1);
	sg_buf_append(&file, &version, 1);
	sg_seal(key, MEM_STATE_AAD, plain.data ? plain.data : "", plain.len, &file);
	if (plain.data != NULL)
		sg_wipe(plain.data, plain.len);
	sg_buf_free(&plain);
	rc = mem_write_file(path, &file, errs);
	sg_buf_free(&file);
	return rc;
}

/* Reads path whole (a regular file of at most MEM_STATE_MAX bytes). */
static int
mem_read_file(const char *path, struct sg_buf *out, struct sg_errlist *errs)
{
	struct stat sb;
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd == -1) {
		sg_errlist_add(errs, "session state %s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > MEM_STATE_MAX) {
		sg_errlist_add(errs, "session state %s: not a regular file of at most 4 GiB", path);
		close(fd);
		return -1;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || out->len + (size_t)n > MEM_STATE_MAX) {
			sg_errlist_add(errs, "session state %s: cannot read: %s", path,
			               n == -1 ? strerror(errno) : "grew past 4 GiB");
			close(fd);
			return -1;
		}
		sg_buf_append(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

/* Where one record of a state file is, and what ordering and expiry need. */
struct mem_rec {
	size_t off; /* of the encoded session in the plain bytes */
	size_t len;
	int64_t last_seen;
	int64_t created;
};

/* Checks every record in plain (each must decode) and lists them in v,
 * without keeping the decoded copies: at startup the file, the plain bytes
 * and the store would otherwise all be in memory at once.  -1 on a flaw. */
static int
mem_state_parse(const struct sg_buf *plain, struct mem_rec **v, size_t *count)
{
	const uint8_t *p = (const uint8_t *)plain->data;
	struct sg_arena *a = sg_arena_new();
	size_t off = 0, cap = 0, len;
	struct sg_session s;
	int rc = -1;

	*count = 0;
	while (off < plain->len) {
		if (plain->len - off < 12)
			goto out;
		len = (size_t)mem_get_be(p + off, 4);
		if (len > plain->len - off - 12 ||
		    sg_session_decode(p + off + 12, len, a, &s) == -1)
			goto out;
		if (*count == cap) {
			cap = cap ? cap * 2 : 64;
			*v = sg_xrealloc(*v, cap * sizeof(**v));
		}
		(*v)[(*count)++] =
		    (struct mem_rec){ off + 12, len, (int64_t)mem_get_be(p + off + 4, 8),
			              s.created };
		off += 12 + len;
		if (*count % 256 == 0) {
			sg_arena_free(a);
			a = sg_arena_new();
		}
	}
	rc = 0;
out:
	sg_arena_free(a);
	return rc;
}

/* Orders records oldest first, so the insertion list stays by created. */
static int
mem_by_created(const void *x, const void *y)
{
	const struct mem_rec *a = x, *b = y;

	return (a->created > b->created) - (a->created < b->created);
}

/* Adds the sessions of the records that are still live at now; returns
 * how many. */
static long
mem_state_insert(struct sg_store *st, const uint8_t *p, struct mem_rec *v, size_t count,
                 int64_t now)
{
	struct mem_store *m = st->impl;
	struct store_limits lim = mem_limits(st);
	struct sg_arena *a = sg_arena_new();
	char user[MEM_USER_LOG];
	size_t i, evicted = 0;
	struct sg_session s;
	long n = 0;

	if (count > 1)
		qsort(v, count, sizeof(*v), mem_by_created);
	for (i = 0; i < count; i++) {
		struct mem_sess *e, *old;

		if (sg_session_decode(p + v[i].off, v[i].len, a, &s) == -1)
			continue; /* cannot happen: parsed before */
		s.last_seen = v[i].last_seen;
		e = mem_sess_make(m, &s);
		if (i % 256 == 255) {
			sg_arena_free(a);
			a = sg_arena_new();
		}
		if (mem_sess_expired(e, now, &lim)) {
			mem_sess_free(&e->it);
			continue;
		}
		old = mem_sess_insert(m, e);
		if (old != NULL)
			mem_sess_free(&old->it);
		n++;
		if (lim.max_sessions > 0)
			evicted += mem_evict(m, lim.max_sessions, user, sizeof(user));
	}
	sg_arena_free(a);
	if (evicted > 0)
		sg_log_warn("session store full (max_sessions %llu): %zu of the restored "
		            "sessions were evicted, oldest first",
		            (unsigned long long)lim.max_sessions, evicted);
	return n;
}

long
sg_store_load(struct sg_store *st, const char *path, const uint8_t key[SG_KEY_LEN], int64_t now,
              struct sg_errlist *errs)
{
	struct sg_buf file = { 0 }, plain = { 0 };
	struct mem_rec *v = NULL;
	size_t count = 0;
	long n = -1;

	if (!sg_store_is_memory(st))
		return 0;
	if (mem_read_file(path, &file, errs) == -1)
		goto out;
	if (file.len < MEM_STATE_HEAD ||
	    memcmp(file.data, MEM_STATE_MAGIC, MEM_STATE_HEAD - 1) != 0 ||
	    (uint8_t)file.data[MEM_STATE_HEAD - 1] != MEM_STATE_VERSION) {
		sg_errlist_add(errs, "session state %s: not a session state file (or truncated)",
		               path);
		goto out;
	}
	if (sg_unseal(key, MEM_STATE_AAD, file.data + MEM_STATE_HEAD, file.len - MEM_STATE_HEAD,
	              &plain) == -1) {
		sg_errlist_add(errs,
		               "session state %s: cannot be opened: truncated, corrupted, "
		               "or sealed under another session key",
		               path);
		goto out;
	}
	sg_buf_free(&file);
	if (mem_state_parse(&plain, &v, &count) == -1) {
		sg_errlist_add(errs, "session state %s: a malformed session record", path);
		goto out;
	}
	n = mem_state_insert(st, (const uint8_t *)plain.data, v, count, now);
out:
	free(v);
	if (plain.data != NULL)
		sg_wipe(plain.data, plain.len);
	sg_buf_free(&plain);
	sg_buf_free(&file);
	return n;
}
