/*
 * store_redis.c - the session store in Redis: builds the commands of each
 * operation, sends them through the caller's sg_store_link and turns the
 * replies into store results.  It holds no state of its own (sessions,
 * expiry and sharing between gateways are Redis's), opens no socket and
 * reads no reply bytes: net/redis.c carries them.
 *
 * The data model; every key starts with "ssogw:", <hex> is lowercase hex:
 *   ssogw:s:<hex key>        a string, sg_session_encode()'s bytes, with a
 *                            TTL (SET ... PX) of the time left until the
 *                            idle or the absolute timeout, whichever comes
 *                            first; rewritten (SET ... XX) when touched;
 *   ssogw:i:<kind>:<hex sha256(value)>
 *                            a set of the hex keys of the sessions with that
 *                            index value (kind: user, nameid, saml, sid),
 *                            its EXPIRE renewed by every SADD to at least
 *                            the absolute timeout; members whose session
 *                            has expired are left behind until a del_index
 *                            or the set's own expiry (harmless: deleting a
 *                            missing key is a no-op);
 *   ssogw:b:<hex key>        a blob (SET ... EX), taken once with GETDEL;
 *   ssogw:m:<hex key>        a one-time mark: SET "1" NX EX.
 * GETDEL needs Redis 6.2 or later (Debian 12 has 7.0); no MULTI/EXEC or
 * Lua is used.  del_index is SMEMBERS, then DEL of those sessions and SREM
 * of exactly those members, so a session indexed in between is kept in the
 * set for the next logout rather than dropped from it.
 *
 * Every operation calls back exactly once, from a link callback: a NULL
 * reply (Redis unreachable or late) is SG_STORE_UNAVAILABLE, and so is an
 * error reply, which is logged.  Whatever an operation allocates is freed
 * when it calls back.  Idle and absolute timeouts are checked again here
 * on each get, in case a TTL was lost or changed by hand.  The link is
 * assumed to copy a command's arguments before command() returns (net/
 * formats them at once).  Blob and mark keys are SG_SHA256_LEN bytes, like
 * session keys.
 */
#include "config.h"

#include <hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "session_int.h"

#define KEY_HEX (2 * SG_SHA256_LEN)
/* "ssogw:i:" + kind + ":" + hex, with room to spare. */
#define KEY_MAX 96

/* The name of each index kind inside its keys. */
static const char *const index_names[SG_INDEX_COUNT] = {
	[SG_INDEX_USER] = "user",
	[SG_INDEX_SAML_NAMEID] = "nameid",
	[SG_INDEX_SAML_SESSION] = "saml",
	[SG_INDEX_OIDC_SID] = "sid",
};

/* One operation in flight: what it waits for and whom it answers. */
struct op {
	struct sg_store *st;
	struct sg_store_link *l;
	const char *what; /* the command, for the log */
	unsigned waiting; /* replies still due */
	enum sg_store_status status;
	union {
		sg_store_get_cb get;
		sg_store_done_cb done;
		sg_store_blob_cb blob;
	} cb;
	void *arg;
	char key[KEY_MAX]; /* get, del_index */
	/* get */
	uint8_t want[SG_SHA256_LEN];
	int64_t now;
	bool touch; /* a use, not a look (sg_store_peek) */
	struct sg_arena *a;
	struct sg_session *s;
};

/* A new operation answering arg; freed when it calls back. */
static struct op *
op_new(struct sg_store *st, struct sg_store_link *l, const char *what, void *arg)
{
	struct op *o = sg_xcalloc(1, sizeof(*o));

	o->st = st;
	o->l = l;
	o->what = what;
	o->arg = arg;
	return o;
}

/* The lowercase hex of n bytes at p, NUL-terminated, into out[2n + 1]. */
static void
hex_of(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* "ssogw:<kind>:<hex of the 32 bytes at p>" into out[KEY_MAX]. */
static void
key_of(char *out, const char *kind, const uint8_t p[SG_SHA256_LEN])
{
	char hex[KEY_HEX + 1];

	hex_of(hex, p, SG_SHA256_LEN);
	snprintf(out, KEY_MAX, "ssogw:%s:%s", kind, hex);
}

/* Sends one command whose arguments are NUL-terminated strings but the
 * value at index bin (if any) of n bytes. */
static void
cmd_send(struct sg_store_link *l, int argc, const char **argv, int bin, size_t n,
         sg_store_reply_cb cb, void *arg)
{
	size_t lens[8];

	for (int i = 0; i < argc; i++)
		lens[i] = i == bin ? n : strlen(argv[i]);
	l->command(l, argc, argv, lens, cb, arg);
}

/* Whether reply is usable: NULL (Redis unreachable) and error replies are
 * not; an error reply is logged, since it means a misconfigured Redis
 * (maxmemory, an ACL, a version without GETDEL) that no retry will fix. */
static bool
reply_ok(const struct op *o, const redisReply *r)
{
	if (r == NULL)
		return false;
	if (r->type != REDIS_REPLY_ERROR)
		return true;
	sg_log_warn("redis store: %s: %.*s", o->what, (int)(r->len > 200 ? 200 : r->len),
	            r->str != NULL ? r->str : "");
	return false;
}

/* A limit of st: store.c writes them atomically while workers read. */
static int64_t
limit(const int64_t *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

/* Milliseconds until s passes its idle or absolute timeout (at least one
 * second, so that a TTL is always valid). */
static int64_t
session_ttl_ms(const struct sg_store *st, const struct sg_session *s, int64_t now)
{
	int64_t end = s->expires;
	int64_t idle = limit(&st->limits.idle_timeout);

	if (idle > 0 && s->last_seen + idle < end)
		end = s->last_seen + idle;
	return end - now > 1 ? (end - now) * 1000 : 1000;
}

/* Seconds until expires, at least one. */
static int64_t
ttl_until(int64_t expires)
{
	int64_t left = expires - (int64_t)time(NULL);

	return left > 1 ? left : 1;
}

/* A reply of a multi-command operation: the worst result wins; the last
 * reply answers the caller. */
static void
on_done_reply(void *arg, struct redisReply *r)
{
	struct op *o = arg;

	if (!reply_ok(o, r))
		o->status = SG_STORE_UNAVAILABLE;
	if (--o->waiting > 0)
		return;
	o->cb.done(o->arg, o->status);
	free(o);
}

/* SET ssogw:s:<hex> <bytes> PX <ttl> [XX]. */
static void
send_session(struct op *o, const struct sg_session *s, int64_t now, bool xx, sg_store_reply_cb cb)
{
	struct sg_buf enc = { 0 };
	char key[KEY_MAX], px[24];
	const char *argv[] = { "SET", key, NULL, "PX", px, "XX" };

	key_of(key, "s", s->key);
	sg_session_encode(s, &enc);
	argv[2] = enc.data;
	snprintf(px, sizeof(px), "%lld", (long long)session_ttl_ms(o->st, s, now));
	cmd_send(o->l, xx ? 6 : 5, argv, 2, enc.len, cb, o);
	sg_wipe(enc.data, enc.len);
	sg_buf_free(&enc);
}

/* SADD and EXPIRE of the index set of kind for value v, holding s. */
static void
send_index(struct op *o, const struct sg_session *s, enum sg_session_index kind, const char *v,
           int64_t now)
{
	uint8_t h[SG_SHA256_LEN];
	char set[KEY_MAX], member[KEY_HEX + 1], kindkey[16], secs[24];
	int64_t abs = limit(&o->st->limits.absolute_timeout);

	sg_sha256(v, strlen(v), h);
	snprintf(kindkey, sizeof(kindkey), "i:%s", index_names[kind]);
	key_of(set, kindkey, h);
	hex_of(member, s->key, SG_SHA256_LEN);
	/* The set outlives the session just added (and, unless the timeout
	 * was made shorter meanwhile, every older one). */
	if (s->expires - now > abs)
		abs = s->expires - now;
	snprintf(secs, sizeof(secs), "%lld", (long long)abs + 60);
	cmd_send(o->l, 3, (const char *[]){ "SADD", set, member }, -1, 0, on_done_reply, o);
	cmd_send(o->l, 3, (const char *[]){ "EXPIRE", set, secs }, -1, 0, on_done_reply, o);
}

/* SET of the session, then SADD and EXPIRE per index value, pipelined. */
static void
redis_put(struct sg_store *st, struct sg_store_link *l, const struct sg_session *s,
          sg_store_done_cb cb, void *arg)
{
	struct op *o = op_new(st, l, "put", arg);
	struct sg_arena *a = sg_arena_new();
	const char *v[SG_INDEX_COUNT];
	int64_t now = (int64_t)time(NULL);

	o->cb.done = cb;
	/* Every reply is counted before the first command goes, so that not
	 * even a link that answered at once could finish the op early. */
	o->waiting = 1;
	for (int k = 0; k < SG_INDEX_COUNT; k++) {
		v[k] = sg_session_index_value(s, (enum sg_session_index)k, a);
		o->waiting += v[k] != NULL ? 2 : 0;
	}
	send_session(o, s, now, false, on_done_reply);
	for (int k = 0; k < SG_INDEX_COUNT; k++)
		if (v[k] != NULL)
			send_index(o, s, (enum sg_session_index)k, v[k], now);
	sg_arena_free(a);
}

/* The caller learns of the session it asked for (or why not). */
static void
get_finish(struct op *o, enum sg_store_status status)
{
	o->cb.get(o->arg, status, status == SG_STORE_OK ? o->s : NULL);
	free(o);
}

/* The touch (or the delete of an expired session) is answered; either way
 * the result of the GET stands. */
static void
on_get_followup(void *arg, struct redisReply *r)
{
	struct op *o = arg;

	(void)reply_ok(o, r);
	get_finish(o, o->status);
}

/* A session read: decodes, checks the timeouts, touches when due. */
static void
on_get_reply(void *arg, struct redisReply *r)
{
	struct op *o = arg;
	struct sg_session *s;
	int64_t idle = limit(&o->st->limits.idle_timeout);
	int64_t touch = limit(&o->st->limits.touch_interval);

	if (!reply_ok(o, r) || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL)) {
		get_finish(o, SG_STORE_UNAVAILABLE);
		return;
	}
	if (r->type == REDIS_REPLY_NIL) {
		get_finish(o, SG_STORE_NOT_FOUND);
		return;
	}
	s = o->s = sg_arena_alloc(o->a, sizeof(*s));
	if (sg_session_decode(r->str, r->len, o->a, s) == -1 ||
	    memcmp(s->key, o->want, SG_SHA256_LEN) != 0) {
		/* Not ours to trust (another version, a hand edit): no session. */
		sg_log_warn("redis store: %.24s... does not hold a valid session", o->key);
		get_finish(o, SG_STORE_NOT_FOUND);
		return;
	}
	if (o->now >= s->expires || (idle > 0 && o->now - s->last_seen >= idle)) {
		o->status = SG_STORE_NOT_FOUND; /* expired, the TTL notwithstanding */
		cmd_send(o->l, 2, (const char *[]){ "DEL", o->key }, -1, 0, on_get_followup, o);
		return;
	}
	o->status = SG_STORE_OK;
	if (!o->touch || o->now - s->last_seen < touch) {
		get_finish(o, SG_STORE_OK);
		return;
	}
	s->last_seen = o->now;
	o->what = "touch";
	send_session(o, s, o->now, true, on_get_followup);
}

/* GET; on_get_reply does the rest. */
static void
redis_get(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now, bool touch,
          struct sg_arena *a, sg_store_get_cb cb, void *arg)
{
	struct op *o = op_new(st, l, "get", arg);

	o->touch = touch;
	o->cb.get = cb;
	o->now = now;
	o->a = a;
	memcpy(o->want, key, SG_SHA256_LEN);
	key_of(o->key, "s", key);
	cmd_send(l, 2, (const char *[]){ "GET", o->key }, -1, 0, on_get_reply, o);
}

/* DEL of one session (its index members stay, see the top comment). */
static void
redis_del(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, sg_store_done_cb cb,
          void *arg)
{
	struct op *o = op_new(st, l, "del", arg);
	char k[KEY_MAX];

	o->cb.done = cb;
	o->waiting = 1;
	key_of(k, "s", key);
	cmd_send(l, 2, (const char *[]){ "DEL", k }, -1, 0, on_done_reply, o);
}

/* True for a member that names a session: 64 lowercase hex digits. */
static bool
is_hex_key(const redisReply *m)
{
	return m->type == REDIS_REPLY_STRING && m->len == KEY_HEX &&
	       strspn(m->str, "0123456789abcdef") == KEY_HEX;
}

/* DEL of the sessions that the members of index set o->key name, and SREM
 * of exactly those members; r is SMEMBERS's non-empty reply.  o->waiting
 * says how many commands went (none if no member is a string). */
static void
send_kill(struct op *o, const redisReply *r)
{
	size_t n = r->elements, nd = 1, ns = 2;
	const char **dv = sg_xcalloc(n + 2, sizeof(*dv)), **sv = sg_xcalloc(n + 2, sizeof(*sv));
	size_t *dl = sg_xcalloc(n + 2, sizeof(*dl)), *sl = sg_xcalloc(n + 2, sizeof(*sl));
	char(*keys)[KEY_MAX] = sg_xcalloc(n, sizeof(*keys));

	dv[0] = "DEL", dl[0] = 3;
	sv[0] = "SREM", sl[0] = 4;
	sv[1] = o->key, sl[1] = strlen(o->key);
	for (size_t i = 0; i < n; i++) {
		const redisReply *m = r->element[i];

		if (m->type != REDIS_REPLY_STRING)
			continue;
		sv[ns] = m->str, sl[ns++] = m->len;
		if (!is_hex_key(m))
			continue;
		snprintf(keys[i], KEY_MAX, "ssogw:s:%.*s", KEY_HEX, m->str);
		dv[nd] = keys[i], dl[nd++] = strlen(keys[i]);
	}
	o->waiting = (nd > 1) + (ns > 2);
	if (nd > 1)
		o->l->command(o->l, (int)nd, dv, dl, on_done_reply, o);
	if (ns > 2)
		o->l->command(o->l, (int)ns, sv, sl, on_done_reply, o);
	free(dv), free(sv), free(dl), free(sl), free(keys);
}

/* The members of an index set: each session they name ends. */
static void
on_members_reply(void *arg, struct redisReply *r)
{
	struct op *o = arg;

	if (!reply_ok(o, r) || r->type != REDIS_REPLY_ARRAY) {
		o->cb.done(o->arg, SG_STORE_UNAVAILABLE);
		free(o);
		return;
	}
	if (r->elements > 0)
		send_kill(o, r);
	if (o->waiting == 0) {
		o->cb.done(o->arg, SG_STORE_OK);
		free(o);
	}
}

/* SMEMBERS of the index set; on_members_reply ends the sessions. */
static void
redis_del_index(struct sg_store *st, struct sg_store_link *l, enum sg_session_index kind,
                const char *value, sg_store_done_cb cb, void *arg)
{
	struct op *o = op_new(st, l, "del_index", arg);
	uint8_t h[SG_SHA256_LEN];
	char kindkey[16];

	o->cb.done = cb;
	sg_sha256(value, strlen(value), h);
	snprintf(kindkey, sizeof(kindkey), "i:%s",
	         kind >= 0 && kind < SG_INDEX_COUNT ? index_names[kind] : "?");
	key_of(o->key, kindkey, h);
	cmd_send(l, 2, (const char *[]){ "SMEMBERS", o->key }, -1, 0, on_members_reply, o);
}

/* SET with EX: Redis drops the blob when it expires. */
static void
redis_blob_put(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, const void *p,
               size_t n, int64_t expires, sg_store_done_cb cb, void *arg)
{
	struct op *o = op_new(st, l, "blob_put", arg);
	char k[KEY_MAX], ex[24];

	o->cb.done = cb;
	o->waiting = 1;
	key_of(k, "b", key);
	snprintf(ex, sizeof(ex), "%lld", (long long)ttl_until(expires));
	cmd_send(l, 5, (const char *[]){ "SET", k, p, "EX", ex }, 2, n, on_done_reply, o);
}

/* GETDEL's reply: the blob, or nil when there was none (or it expired). */
static void
on_take_reply(void *arg, struct redisReply *r)
{
	struct op *o = arg;

	if (!reply_ok(o, r) || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_NIL))
		o->cb.blob(o->arg, SG_STORE_UNAVAILABLE, NULL, 0);
	else if (r->type == REDIS_REPLY_NIL)
		o->cb.blob(o->arg, SG_STORE_NOT_FOUND, NULL, 0);
	else
		o->cb.blob(o->arg, SG_STORE_OK, r->str, r->len);
	free(o);
}

/* GETDEL: read and removed in one step, so a blob is taken once even by
 * two gateways at the same time. */
static void
redis_blob_take(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now,
                sg_store_blob_cb cb, void *arg)
{
	struct op *o = op_new(st, l, "blob_take", arg);
	char k[KEY_MAX];

	(void)now; /* Redis expires blobs itself */
	o->cb.blob = cb;
	key_of(k, "b", key);
	cmd_send(l, 2, (const char *[]){ "GETDEL", k }, -1, 0, on_take_reply, o);
}

/* SET NX answers OK when it set the mark and nil when it was there. */
static void
on_mark_reply(void *arg, struct redisReply *r)
{
	struct op *o = arg;

	if (!reply_ok(o, r) || (r->type != REDIS_REPLY_STATUS && r->type != REDIS_REPLY_NIL))
		o->cb.done(o->arg, SG_STORE_UNAVAILABLE);
	else
		o->cb.done(o->arg, r->type == REDIS_REPLY_NIL ? SG_STORE_NOT_FOUND : SG_STORE_OK);
	free(o);
}

/* SET NX EX: whoever sets the mark first gets SG_STORE_OK. */
static void
redis_mark_once(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now,
                int64_t expires, sg_store_done_cb cb, void *arg)
{
	struct op *o = op_new(st, l, "mark_once", arg);
	char k[KEY_MAX], ex[24];

	o->cb.done = cb;
	key_of(k, "m", key);
	(void)now;
	snprintf(ex, sizeof(ex), "%lld", (long long)ttl_until(expires));
	cmd_send(l, 6, (const char *[]){ "SET", k, "1", "NX", "EX", ex }, -1, 0, on_mark_reply, o);
}

/* Nothing to free: Redis holds everything. */
static void
redis_free(struct sg_store *st)
{
	st->impl = NULL;
}

static const struct store_ops redis_ops = {
	.get = redis_get,
	.put = redis_put,
	.del = redis_del,
	.del_index = redis_del_index,
	.blob_put = redis_blob_put,
	.blob_take = redis_blob_take,
	.mark_once = redis_mark_once,
	.free = redis_free,
};

/* Fills st with the redis back end; nothing connects until the first
 * operation. */
int
store_redis_init(struct sg_store *st, const struct sg_conf *c, struct sg_errlist *errs)
{
	if (c->session.store_kind != SG_STORE_REDIS || c->session.store_host == NULL) {
		sg_errlist_add(errs, "store: not a redis:// or rediss:// store");
		return -1;
	}
	st->ops = &redis_ops;
	st->impl = NULL;
	return 0;
}
