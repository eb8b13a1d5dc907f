/*
 * t_session.c - src/session: the session object (ids, index values, copy,
 * the binary form and its decoder's refusals) and the memory store (get,
 * put, del, the timeouts, touching, the sweep, max_sessions eviction, each
 * secondary index, blobs, one-time marks, many threads at once, and the
 * state file with every way it can be missing or wrong).
 *
 * The store is given the time by argument, so nothing here sleeps.  Stores
 * are built from a zeroed struct sg_conf with only the [session] fields the
 * store reads.  The redis back end is not exercised here.
 */
#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib.h"
#include "session.h"
#include "unit.h"

#define T0 1700000000 /* "now" in these tests */
#define IDLE 3600
#define ABSOLUTE 36000

static char tmpdir[] = "/tmp/sg-unit-XXXXXX";
static const uint8_t state_key[SG_KEY_LEN] = "state-key-state-key-state-key-32";
static const uint8_t other_key[SG_KEY_LEN] = "state-key-state-key-state-key-33";

/* The outcome of one store call, filled by the callbacks below. */
struct result {
	int calls;
	enum sg_store_status st;
	struct sg_session *s;
	char blob[64];
	size_t n;
};

static void
get_cb(void *arg, enum sg_store_status st, struct sg_session *s)
{
	struct result *r = arg;

	r->calls++;
	r->st = st;
	r->s = s;
}

static void
done_cb(void *arg, enum sg_store_status st)
{
	struct result *r = arg;

	r->calls++;
	r->st = st;
}

static void
blob_cb(void *arg, enum sg_store_status st, const void *p, size_t n)
{
	struct result *r = arg;

	r->calls++;
	r->st = st;
	r->n = n;
	if (st == SG_STORE_OK && n < sizeof(r->blob)) {
		memcpy(r->blob, p, n);
		r->blob[n] = '\0';
	}
}

/* A memory store with the given limits (timeouts in seconds). */
static struct sg_store *
new_store(uint64_t max, uint64_t idle, uint64_t absolute)
{
	struct sg_conf c;
	struct sg_errlist errs = { 0 };
	struct sg_store *st;

	memset(&c, 0, sizeof(c));
	c.session.store_kind = SG_STORE_MEMORY;
	c.session.max_sessions = max;
	c.session.idle_timeout_ms = idle * 1000;
	c.session.absolute_timeout_ms = absolute * 1000;
	st = sg_store_new(&c, &errs);
	assert_non_null(st);
	assert_int_equal(errs.count, 0);
	assert_true(sg_store_is_memory(st));
	return st;
}

/* A session of user created at `created`, with a fresh key, in a. */
static struct sg_session *
make_session(struct sg_arena *a, const char *user, int64_t created)
{
	struct sg_session *s = sg_arena_alloc(a, sizeof(*s));
	uint8_t id[SG_SESSION_ID_LEN];
	static const char *groups[] = { "staff", "dev", "ops", "admins", "everyone" };

	sg_session_new_id(id, s->key);
	s->user = user ? sg_arena_strdup(a, user) : NULL;
	s->display_name = "Some One";
	s->email = "someone@example.org";
	s->groups = groups;
	s->ngroups = SG_NELEM(groups);
	s->idp = "corp";
	s->protocol = SG_PROTO_SAML;
	s->auth_time = created - 5;
	s->created = created;
	s->expires = created + ABSOLUTE;
	s->last_seen = created;
	return s;
}

static void
put(struct sg_store *st, const struct sg_session *s)
{
	struct result r = { 0 };

	sg_store_put(st, NULL, s, done_cb, &r);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.st, SG_STORE_OK);
}

/* Looks key up at now; the session (in a) or NULL. */
static struct sg_session *
get(struct sg_store *st, const uint8_t *key, int64_t now, struct sg_arena *a)
{
	struct result r = { 0 };

	sg_store_get(st, NULL, key, now, a, get_cb, &r);
	assert_int_equal(r.calls, 1);
	if (r.st == SG_STORE_OK) {
		assert_non_null(r.s);
		return r.s;
	}
	assert_int_equal(r.st, SG_STORE_NOT_FOUND);
	assert_null(r.s);
	return NULL;
}

/* Peeks at key at now: found, with last_seen untouched at want. */
static void
peek(struct sg_store *st, const uint8_t *key, int64_t now, struct sg_arena *a, int64_t want)
{
	struct result r = { 0 };

	sg_store_peek(st, NULL, key, now, a, get_cb, &r);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.st, SG_STORE_OK);
	assert_int_equal(r.s->last_seen, want);
}

static bool
found(struct sg_store *st, const uint8_t *key, int64_t now)
{
	struct sg_arena *a = sg_arena_new();
	bool ok = get(st, key, now, a) != NULL;

	sg_arena_free(a);
	return ok;
}

static void
assert_str_or_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* Every field of a and b is equal. */
static void
assert_same_session(const struct sg_session *a, const struct sg_session *b)
{
	size_t i;

	assert_memory_equal(a->key, b->key, SG_SHA256_LEN);
	assert_str_or_null(a->user, b->user);
	assert_str_or_null(a->display_name, b->display_name);
	assert_str_or_null(a->email, b->email);
	assert_str_or_null(a->idp, b->idp);
	assert_int_equal(a->protocol, b->protocol);
	assert_int_equal(a->auth_time, b->auth_time);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->expires, b->expires);
	assert_int_equal(a->last_seen, b->last_seen);
	assert_str_or_null(a->saml_name_id, b->saml_name_id);
	assert_str_or_null(a->saml_name_id_format, b->saml_name_id_format);
	assert_str_or_null(a->saml_session_index, b->saml_session_index);
	assert_str_or_null(a->oidc_id_token, b->oidc_id_token);
	assert_str_or_null(a->oidc_sid, b->oidc_sid);
	assert_str_or_null(a->oidc_refresh_sealed, b->oidc_refresh_sealed);
	assert_int_equal(a->ngroups, b->ngroups);
	for (i = 0; i < a->ngroups; i++)
		assert_string_equal(a->groups[i], b->groups[i]);
}

/* A session with every field set, some with awkward values. */
static struct sg_session *
full_session(struct sg_arena *a)
{
	struct sg_session *s = make_session(a, "alice@example.org", T0);

	s->display_name = "";
	s->protocol = SG_PROTO_OIDC;
	s->auth_time = -1;
	s->expires = INT64_MAX;
	s->last_seen = INT64_MIN;
	s->saml_name_id = "name\nid";
	s->saml_name_id_format = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
	s->saml_session_index = "_idx";
	s->oidc_id_token = "eyJhbGciOi.eyJzdWIi.c2ln";
	s->oidc_sid = "sid-1";
	s->oidc_refresh_sealed = "c2VhbGVk";
	return s;
}

static void
new_id_key_is_sha256_of_id(void **state)
{
	uint8_t id1[SG_SESSION_ID_LEN], id2[SG_SESSION_ID_LEN];
	uint8_t k1[SG_SHA256_LEN], k2[SG_SHA256_LEN], h[SG_SHA256_LEN];

	(void)state;
	sg_session_new_id(id1, k1);
	sg_session_new_id(id2, k2);
	assert_memory_not_equal(id1, id2, sizeof(id1));
	sg_sha256(id1, sizeof(id1), h);
	assert_memory_equal(k1, h, sizeof(h));
	sg_session_key_of(id2, h);
	assert_memory_equal(k2, h, sizeof(h));
}

static void
index_values(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s = full_session(a);

	(void)state;
	assert_string_equal(sg_session_index_value(s, SG_INDEX_USER, a), "alice@example.org");
	assert_string_equal(sg_session_index_value(s, SG_INDEX_SAML_NAMEID, a), "corp\nname\nid");
	assert_string_equal(sg_session_index_value(s, SG_INDEX_SAML_SESSION, a),
	                    "corp\nname\nid\n_idx");
	assert_string_equal(sg_session_index_value(s, SG_INDEX_OIDC_SID, a), "corp\nsid-1");
	s->saml_session_index = NULL;
	s->oidc_sid = NULL;
	assert_null(sg_session_index_value(s, SG_INDEX_SAML_SESSION, a));
	assert_null(sg_session_index_value(s, SG_INDEX_OIDC_SID, a));
	s->user = NULL;
	s->saml_name_id = NULL;
	assert_null(sg_session_index_value(s, SG_INDEX_USER, a));
	assert_null(sg_session_index_value(s, SG_INDEX_SAML_NAMEID, a));
	sg_arena_free(a);
}

static void
encode_decode_all_fields(void **state)
{
	struct sg_arena *a = sg_arena_new(), *b = sg_arena_new();
	struct sg_session *s = full_session(a), d;
	struct sg_buf enc = { 0 };

	(void)state;
	sg_session_encode(s, &enc);
	assert_int_equal(sg_session_decode(enc.data, enc.len, b, &d), 0);
	assert_same_session(s, &d);
	assert_string_equal(d.display_name, ""); /* empty is not NULL */
	sg_buf_free(&enc);
	sg_arena_free(a);
	sg_arena_free(b);
}

static void
encode_decode_nulls(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_session s, d;
	struct sg_buf enc = { 0 };

	(void)state;
	memset(&s, 0, sizeof(s));
	memset(s.key, 0xab, sizeof(s.key));
	sg_session_encode(&s, &enc);
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), 0);
	assert_same_session(&s, &d);
	assert_null(d.groups);
	assert_null(d.user);
	sg_buf_free(&enc);
	sg_arena_free(a);
}

static void
copy_is_deep(void **state)
{
	struct sg_arena *a = sg_arena_new(), *b = sg_arena_new(), *c = sg_arena_new();
	struct sg_session *s = full_session(a), copy, ref;

	(void)state;
	sg_session_copy(s, c, &ref);
	sg_session_copy(s, b, &copy);
	assert_ptr_not_equal(copy.user, s->user);
	assert_ptr_not_equal(copy.groups, s->groups);
	sg_arena_free(a);
	assert_same_session(&copy, &ref);
	sg_arena_free(b);
	sg_arena_free(c);
}

static void
decode_refuses_every_truncation_and_trailing_bytes(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s = full_session(a), d;
	struct sg_buf enc = { 0 };
	uint8_t *copy;
	size_t n;

	(void)state;
	sg_session_encode(s, &enc);
	for (n = 0; n < enc.len; n++) {
		/* An exact-size copy, so ASan sees any read past n. */
		copy = sg_xmalloc(n ? n : 1);
		memcpy(copy, enc.data, n);
		assert_int_equal(sg_session_decode(copy, n, a, &d), -1);
		assert_null(d.user);
		free(copy);
	}
	sg_buf_append(&enc, "", 1);
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), -1);
	sg_buf_free(&enc);
	sg_arena_free(a);
}

/* Hand-built encodings, each wrong in one way. */
static void
decode_refuses_malformed_fields(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_session s, d;
	struct sg_buf enc = { 0 };
	size_t groups_at;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.user = "bob";
	sg_session_encode(&s, &enc);
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), 0);
	/* version */
	enc.data[0] = 2;
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), -1);
	enc.data[0] = 1;
	/* a NUL inside user ("bob" at 1 + 32 + 1) */
	enc.data[34] = '\0';
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), -1);
	enc.data[34] = 'b';
	/* an unknown protocol (after 4 strings: 1 + 32 + 4 + 1 + 1 + 1) */
	enc.data[40] = 9;
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), -1);
	enc.data[40] = 0;
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), 0);
	/* the group count is the last byte: too many, and more than the input */
	groups_at = enc.len - 1;
	enc.len = groups_at;
	sg_buf_append(&enc, "\x91\x4e", 2); /* 10001 */
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), -1);
	enc.len = groups_at;
	sg_buf_append(&enc, "\x03\x01x", 3); /* 3 groups, one present */
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), -1);
	enc.len = groups_at;
	sg_buf_append(&enc, "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11);
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), -1);
	enc.len = groups_at;
	sg_buf_append(&enc, "\x01\x02x\0", 4); /* a NUL in a group */
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), -1);
	enc.len = groups_at;
	sg_buf_append(&enc, "\x01\x02xy", 4);
	assert_int_equal(sg_session_decode(enc.data, enc.len, a, &d), 0);
	assert_int_equal(d.ngroups, 1);
	assert_string_equal(d.groups[0], "xy");
	sg_buf_free(&enc);
	sg_arena_free(a);
}

/* Random bytes, and random damage to a valid encoding, never crash the
 * decoder (ASan and UBSan watch). */
static void
decode_survives_garbage(void **state)
{
	struct sg_arena *a = sg_arena_new(), *scratch;
	struct sg_session *s = full_session(a), d;
	struct sg_buf enc = { 0 };
	uint8_t *buf;
	int i, j, ok = 0;

	(void)state;
	sg_session_encode(s, &enc);
	for (i = 0; i < 20000; i++) {
		size_t n = sg_random_u64() % (enc.len + 40);

		buf = sg_xmalloc(n ? n : 1);
		if (i % 2 == 0) {
			for (j = 0; j < (int)n; j++)
				buf[j] = (uint8_t)sg_random_u64();
			if (n > 0)
				buf[0] = 1; /* get past the version byte */
		} else {
			memcpy(buf, enc.data, n < enc.len ? n : enc.len);
			for (j = (int)enc.len; j < (int)n; j++)
				buf[j] = (uint8_t)sg_random_u64();
			for (j = 0; j < 3 && n > 0; j++)
				buf[sg_random_u64() % n] = (uint8_t)sg_random_u64();
		}
		scratch = sg_arena_new();
		if (sg_session_decode(buf, n, scratch, &d) == 0)
			ok++;
		sg_arena_free(scratch);
		free(buf);
	}
	(void)ok;
	sg_buf_free(&enc);
	sg_arena_free(a);
}

static void
store_put_get_del(void **state)
{
	struct sg_store *st = new_store(100, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s = full_session(a), *g;
	struct result r = { 0 };
	uint8_t other[SG_SHA256_LEN] = { 0 };

	(void)state;
	s->expires = T0 + ABSOLUTE;
	s->last_seen = T0;
	put(st, s);
	assert_int_equal(sg_store_count(st), 1);
	g = get(st, s->key, T0 + 1, a);
	assert_non_null(g);
	assert_same_session(s, g);
	assert_null(get(st, other, T0 + 1, a));
	sg_store_del(st, NULL, other, done_cb, &r);
	assert_int_equal(r.st, SG_STORE_NOT_FOUND);
	sg_store_del(st, NULL, s->key, done_cb, &r);
	assert_int_equal(r.calls, 2);
	assert_int_equal(r.st, SG_STORE_OK);
	assert_null(get(st, s->key, T0 + 1, a));
	assert_int_equal(sg_store_count(st), 0);
	sg_store_free(st);
	sg_arena_free(a);
}

static void
store_put_replaces_same_key(void **state)
{
	struct sg_store *st = new_store(100, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s = make_session(a, "alice", T0), *g;
	struct result r = { 0 };

	(void)state;
	put(st, s);
	s->email = "new@example.org";
	put(st, s);
	assert_int_equal(sg_store_count(st), 1);
	g = get(st, s->key, T0, a);
	assert_string_equal(g->email, "new@example.org");
	/* The replaced session left the user index too. */
	sg_store_del_index(st, NULL, SG_INDEX_USER, "alice", done_cb, &r);
	assert_int_equal(r.st, SG_STORE_OK);
	assert_int_equal(sg_store_count(st), 0);
	sg_store_free(st);
	sg_arena_free(a);
}

static void
store_idle_timeout(void **state)
{
	struct sg_store *st = new_store(100, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s = make_session(a, "alice", T0), *t = make_session(a, "bob", T0);

	(void)state;
	put(st, s);
	put(st, t);
	assert_true(found(st, s->key, T0 + IDLE - 1));
	assert_false(found(st, t->key, T0 + IDLE));
	assert_int_equal(sg_store_count(st), 1); /* found expired: removed */
	/* s was touched at T0 + IDLE - 1, so its idle time runs from there. */
	assert_true(found(st, s->key, T0 + 2 * IDLE - 2));
	sg_store_free(st);
	sg_arena_free(a);
}

static void
store_absolute_timeout(void **state)
{
	struct sg_store *st = new_store(100, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s = make_session(a, "alice", T0);
	int64_t t;

	(void)state;
	s->expires = T0 + 3 * IDLE;
	put(st, s);
	/* Activity keeps it from idling out, but not past its expiry. */
	for (t = T0; t < T0 + 3 * IDLE; t += IDLE / 2)
		assert_true(found(st, s->key, t));
	assert_true(found(st, s->key, T0 + 3 * IDLE - 1));
	assert_false(found(st, s->key, T0 + 3 * IDLE));
	assert_int_equal(sg_store_count(st), 0);
	sg_store_free(st);
	sg_arena_free(a);
}

static void
store_touch_writes_back_once_a_minute(void **state)
{
	struct sg_store *st = new_store(100, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s = make_session(a, "alice", T0);

	(void)state;
	put(st, s);
	assert_int_equal(get(st, s->key, T0 + 30, a)->last_seen, T0);
	assert_int_equal(get(st, s->key, T0 + 59, a)->last_seen, T0);
	assert_int_equal(get(st, s->key, T0 + 60, a)->last_seen, T0 + 60);
	assert_int_equal(get(st, s->key, T0 + 100, a)->last_seen, T0 + 60);
	/* A clock that went back does not move last_seen backwards. */
	assert_int_equal(get(st, s->key, T0 - 500, a)->last_seen, T0 + 60);
	assert_int_equal(get(st, s->key, T0 + 125, a)->last_seen, T0 + 125);
	/* A peek never touches, but does see the timeouts. */
	peek(st, s->key, T0 + 300, a, T0 + 125);
	peek(st, s->key, T0 + 125 + IDLE - 1, a, T0 + 125);
	/* The idle timeout counts from the last write-back, not the last get. */
	assert_true(found(st, s->key, T0 + 125 + 59));
	assert_false(found(st, s->key, T0 + 125 + IDLE));
	sg_store_free(st);
	sg_arena_free(a);
}

static void
store_sweep_removes_what_expired(void **state)
{
	struct sg_store *st = new_store(1000, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s[30];
	struct result r = { 0 };
	uint8_t bkey[SG_SHA256_LEN] = "blob-key", mkey[SG_SHA256_LEN] = "mark-key";
	int i;

	(void)state;
	for (i = 0; i < 30; i++) {
		s[i] = make_session(a, "u", T0);
		if (i % 3 == 1)
			s[i]->last_seen = T0 - IDLE; /* idle */
		if (i % 3 == 2)
			s[i]->expires = T0; /* absolute */
		put(st, s[i]);
	}
	sg_store_blob_put(st, NULL, bkey, "x", 1, T0, done_cb, &r);
	sg_store_mark_once(st, NULL, mkey, T0 - 1, T0, done_cb, &r);
	assert_int_equal(sg_store_sweep(st, T0 - 1), 0);
	assert_int_equal(sg_store_count(st), 30);
	assert_int_equal(sg_store_sweep(st, T0), 20);
	assert_int_equal(sg_store_count(st), 10);
	for (i = 0; i < 30; i++)
		assert_int_equal(found(st, s[i]->key, T0), i % 3 == 0);
	/* The blob and the mark went too: the mark can be set again. */
	sg_store_blob_take(st, NULL, bkey, T0 - 10, blob_cb, &r);
	assert_int_equal(r.st, SG_STORE_NOT_FOUND);
	sg_store_mark_once(st, NULL, mkey, T0, T0 + 100, done_cb, &r);
	assert_int_equal(r.st, SG_STORE_OK);
	/* The user index lost the swept sessions: del_index ends the 10 left. */
	sg_store_del_index(st, NULL, SG_INDEX_USER, "u", done_cb, &r);
	assert_int_equal(sg_store_count(st), 0);
	assert_int_equal(sg_store_sweep(st, T0 + 10 * ABSOLUTE), 0);
	sg_store_free(st);
	sg_arena_free(a);
}

static void
store_evicts_the_oldest_past_max_sessions(void **state)
{
	struct sg_store *st = new_store(3, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s[6];
	char user[32];
	int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		s[i] = make_session(a, user, T0 + i);
		put(st, s[i]);
		assert_true(sg_store_count(st) <= 3);
	}
	assert_int_equal(sg_store_count(st), 3);
	for (i = 0; i < 6; i++)
		assert_int_equal(found(st, s[i]->key, T0 + 10), i >= 3);
	/* Deleting one makes room without another eviction. */
	sg_store_del(st, NULL, s[4]->key, NULL, NULL);
	s[0] = make_session(a, "again", T0 + 20);
	put(st, s[0]);
	assert_true(found(st, s[3]->key, T0 + 20));
	assert_true(found(st, s[5]->key, T0 + 20));
	assert_int_equal(sg_store_count(st), 3);
	sg_store_free(st);
	sg_arena_free(a);
}

/* Five sessions that share some index values but not others. */
static void
index_fixture(struct sg_store *st, struct sg_arena *a, struct sg_session **s)
{
	int i;

	s[0] = make_session(a, "alice", T0);
	s[0]->saml_name_id = "N-alice";
	s[0]->saml_session_index = "s1";
	s[1] = make_session(a, "alice", T0);
	s[1]->saml_name_id = "N-alice";
	s[1]->saml_session_index = "s2";
	s[2] = make_session(a, "bob", T0);
	s[2]->saml_name_id = "N-bob";
	s[2]->saml_session_index = "s1";
	s[3] = make_session(a, "alice", T0);
	s[3]->protocol = SG_PROTO_OIDC;
	s[3]->idp = "i";
	s[3]->oidc_sid = "sid1";
	s[4] = make_session(a, "carol", T0);
	s[4]->protocol = SG_PROTO_OIDC;
	s[4]->idp = "j";
	s[4]->oidc_sid = "sid1";
	s[5] = make_session(a, "mallory", T0); /* the same NameID at another IdP */
	s[5]->idp = "other";
	s[5]->saml_name_id = "N-alice";
	s[5]->saml_session_index = "s1";
	for (i = 0; i < 6; i++)
		put(st, s[i]);
}

/* del_index(kind, value) ends exactly the sessions whose bit is in mask. */
static void
check_del_index(enum sg_session_index kind, const char *value, unsigned mask)
{
	struct sg_store *st = new_store(100, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s[6];
	struct result r = { 0 };
	int i;

	index_fixture(st, a, s);
	sg_store_del_index(st, NULL, kind, value, done_cb, &r);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.st, mask ? SG_STORE_OK : SG_STORE_NOT_FOUND);
	for (i = 0; i < 6; i++)
		assert_int_equal(found(st, s[i]->key, T0), !(mask & (1U << i)));
	sg_store_free(st);
	sg_arena_free(a);
}

static void
store_del_index_each_kind(void **state)
{
	(void)state;
	check_del_index(SG_INDEX_USER, "alice", 0x0b);
	check_del_index(SG_INDEX_USER, "bob", 0x04);
	check_del_index(SG_INDEX_USER, "alic", 0);
	check_del_index(SG_INDEX_SAML_NAMEID, "corp\nN-alice", 0x03);
	check_del_index(SG_INDEX_SAML_NAMEID, "other\nN-alice", 0x20);
	check_del_index(SG_INDEX_SAML_NAMEID, "N-alice", 0);
	check_del_index(SG_INDEX_SAML_NAMEID, "corp\nalice", 0);
	check_del_index(SG_INDEX_SAML_SESSION, "corp\nN-alice\ns1", 0x01);
	check_del_index(SG_INDEX_SAML_SESSION, "other\nN-alice\ns1", 0x20);
	check_del_index(SG_INDEX_SAML_SESSION, "corp\nN-bob\ns1", 0x04);
	check_del_index(SG_INDEX_SAML_SESSION, "corp\nN-bob\ns2", 0);
	check_del_index(SG_INDEX_OIDC_SID, "i\nsid1", 0x08);
	check_del_index(SG_INDEX_OIDC_SID, "j\nsid1", 0x10);
	check_del_index(SG_INDEX_OIDC_SID, "sid1", 0);
}

static void
store_del_index_many_sessions_of_one_user(void **state)
{
	struct sg_store *st = new_store(10000, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct sg_session *other = make_session(a, "bob", T0);
	struct result r = { 0 };
	int i;

	(void)state;
	for (i = 0; i < 3000; i++)
		put(st, make_session(a, "alice", T0));
	put(st, other);
	sg_store_del_index(st, NULL, SG_INDEX_USER, "alice", done_cb, &r);
	assert_int_equal(r.st, SG_STORE_OK);
	assert_int_equal(sg_store_count(st), 1);
	assert_true(found(st, other->key, T0));
	sg_store_free(st);
	sg_arena_free(a);
}

static void
store_blobs_are_taken_once_and_expire(void **state)
{
	struct sg_store *st = new_store(100, IDLE, ABSOLUTE);
	struct result r = { 0 };
	uint8_t k1[SG_SHA256_LEN] = "k1", k2[SG_SHA256_LEN] = "k2";

	(void)state;
	sg_store_blob_put(st, NULL, k1, "first", 5, T0 + 60, done_cb, &r);
	assert_int_equal(r.st, SG_STORE_OK);
	sg_store_blob_put(st, NULL, k1, "body=1", 6, T0 + 60, done_cb, &r);
	sg_store_blob_put(st, NULL, k2, "late", 4, T0 + 60, done_cb, &r);
	sg_store_blob_take(st, NULL, k1, T0 + 59, blob_cb, &r);
	assert_int_equal(r.st, SG_STORE_OK);
	assert_int_equal(r.n, 6);
	assert_string_equal(r.blob, "body=1");
	sg_store_blob_take(st, NULL, k1, T0 + 59, blob_cb, &r);
	assert_int_equal(r.st, SG_STORE_NOT_FOUND);
	sg_store_blob_take(st, NULL, k2, T0 + 60, blob_cb, &r);
	assert_int_equal(r.st, SG_STORE_NOT_FOUND);
	sg_store_blob_put(st, NULL, k2, NULL, 0, T0 + 60, done_cb, &r);
	sg_store_blob_take(st, NULL, k2, T0, blob_cb, &r);
	assert_int_equal(r.st, SG_STORE_OK);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.calls, 8);
	sg_store_free(st);
}

static void
store_mark_once_detects_replays(void **state)
{
	struct sg_store *st = new_store(100, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct result r = { 0 };
	uint8_t k1[SG_SHA256_LEN] = "assertion-1", k2[SG_SHA256_LEN] = "assertion-2";

	(void)state;
	sg_store_mark_once(st, NULL, k1, T0, T0 + 300, done_cb, &r);
	assert_int_equal(r.st, SG_STORE_OK);
	sg_store_mark_once(st, NULL, k1, T0 + 299, T0 + 300, done_cb, &r);
	assert_int_equal(r.st, SG_STORE_NOT_FOUND);
	sg_store_mark_once(st, NULL, k2, T0, T0 + 300, done_cb, &r);
	assert_int_equal(r.st, SG_STORE_OK);
	/* Past its expiry a mark is gone, even before a sweep. */
	sg_store_mark_once(st, NULL, k1, T0 + 300, T0 + 600, done_cb, &r);
	assert_int_equal(r.st, SG_STORE_OK);
	sg_store_mark_once(st, NULL, k1, T0 + 300, T0 + 600, done_cb, &r);
	assert_int_equal(r.st, SG_STORE_NOT_FOUND);
	sg_store_sweep(st, T0 + 600);
	sg_store_mark_once(st, NULL, k2, T0 + 600, T0 + 900, done_cb, &r);
	assert_int_equal(r.st, SG_STORE_OK);
	assert_int_equal(r.calls, 6);
	sg_store_free(st);
	sg_arena_free(a);
}

#define THREADS 8
#define OPS 20000
#define KEYS 256

/* One worker's view: its own keys, which of them it has stored, its own
 * user name (so del_index touches only its sessions). */
struct worker {
	struct sg_store *st;
	int id;
	uint8_t key[KEYS][SG_SHA256_LEN];
	bool present[KEYS];
	size_t count;
	int errors;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	struct sg_arena *a = sg_arena_new();
	char user[32];
	int i, k;

	snprintf(user, sizeof(user), "worker%d", w->id);
	for (i = 0; i < OPS; i++) {
		uint64_t r = sg_random_u64();
		struct result res = { 0 };

		k = (int)(r % KEYS);
		switch ((r >> 16) % 10) {
		case 0:
		case 1:
		case 2: {
			struct sg_session *s = make_session(a, user, T0 + i);

			memcpy(s->key, w->key[k], SG_SHA256_LEN);
			sg_store_put(w->st, NULL, s, done_cb, &res);
			w->count += !w->present[k];
			w->present[k] = true;
			break;
		}
		case 3:
		case 4:
			sg_store_del(w->st, NULL, w->key[k], done_cb, &res);
			if ((res.st == SG_STORE_OK) != w->present[k])
				w->errors++;
			w->count -= w->present[k];
			w->present[k] = false;
			break;
		case 5:
			if (i % 50 == 0) {
				sg_store_del_index(w->st, NULL, SG_INDEX_USER, user, NULL, NULL);
				memset(w->present, 0, sizeof(w->present));
				w->count = 0;
			}
			break;
		default:
			sg_store_get(w->st, NULL, w->key[k], T0 + i, a, get_cb, &res);
			if ((res.st == SG_STORE_OK) != w->present[k] ||
			    (res.s != NULL && strcmp(res.s->user, user) != 0))
				w->errors++;
			break;
		}
		if (i % 1000 == 999) {
			sg_arena_free(a);
			a = sg_arena_new();
		}
	}
	sg_arena_free(a);
	return NULL;
}

/* Sweeps now and then while the workers run, as the main thread does. */
static void *
sweeper_run(void *arg)
{
	int i;

	for (i = 0; i < 200; i++) {
		sg_store_sweep(arg, T0);
		sched_yield();
	}
	return NULL;
}

static void
store_is_consistent_under_threads(void **state)
{
	/* Idle long enough that no session idles out during the run. */
	struct sg_store *st = new_store(1000000, 10 * OPS, ABSOLUTE);
	struct worker *w = sg_xcalloc(THREADS, sizeof(*w));
	pthread_t t[THREADS], sweeper;
	size_t total = 0;
	int i, k;

	(void)state;
	for (i = 0; i < THREADS; i++) {
		w[i].st = st;
		w[i].id = i;
		for (k = 0; k < KEYS; k++)
			sg_csprng(w[i].key[k], SG_SHA256_LEN);
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	assert_int_equal(pthread_create(&sweeper, NULL, sweeper_run, st), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_join(sweeper, NULL);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(w[i].errors, 0);
		total += w[i].count;
		for (k = 0; k < KEYS; k++)
			assert_int_equal(found(st, w[i].key[k], T0 + OPS), w[i].present[k]);
	}
	assert_int_equal(sg_store_count(st), total);
	for (i = 0; i < THREADS; i++) {
		char user[32];

		snprintf(user, sizeof(user), "worker%d", i);
		sg_store_del_index(st, NULL, SG_INDEX_USER, user, NULL, NULL);
	}
	assert_int_equal(sg_store_count(st), 0);
	sg_store_free(st);
	free(w);
}

/* Puts from many threads into a small store: eviction keeps the count at
 * max_sessions and the insertion list whole. */
static void *
evict_run(void *arg)
{
	struct sg_arena *a = sg_arena_new();
	int i;

	for (i = 0; i < 2000; i++) {
		sg_store_put(arg, NULL, make_session(a, "many", T0), NULL, NULL);
		if (i % 500 == 499) {
			sg_arena_free(a);
			a = sg_arena_new();
		}
	}
	sg_arena_free(a);
	return NULL;
}

static void
store_eviction_under_threads(void **state)
{
	struct sg_store *st = new_store(50, IDLE, ABSOLUTE);
	pthread_t t[THREADS];
	size_t n;
	int i;

	(void)state;
	sg_log_set_level(SG_LOG_ERROR); /* thousands of eviction warnings */
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, evict_run, st), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	sg_log_set_level(SG_LOG_INFO);
	/* Two threads that both see one too many may each evict one. */
	n = sg_store_count(st);
	assert_true(n <= 50 && n >= 50 - THREADS);
	assert_int_equal(sg_store_sweep(st, T0 + ABSOLUTE), n);
	assert_int_equal(sg_store_count(st), 0);
	sg_store_free(st);
}

static char *
state_path(const char *name)
{
	return sg_xasprintf("%s/%s", tmpdir, name);
}

static void
state_file_round_trip(void **state)
{
	struct sg_store *st = new_store(100, IDLE, ABSOLUTE), *st2;
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s[4], *g;
	struct sg_errlist errs = { 0 };
	char *path = state_path("rt.state"), *tmp = sg_xasprintf("%s.tmp", path);
	struct stat sb;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		s[i] = full_session(a);
		s[i]->expires = i < 3 ? T0 + ABSOLUTE : T0 + 100;
		s[i]->last_seen = T0;
		s[i]->created = T0 + i;
		put(st, s[i]);
	}
	g = get(st, s[1]->key, T0 + 90, a); /* touched: last_seen moves */
	assert_int_equal(g->last_seen, T0 + 90);
	s[1]->last_seen = T0 + 90;
	/* A stale temporary file (here a link) is replaced, not followed. */
	assert_int_equal(symlink("/nonexistent/target", tmp), 0);
	assert_int_equal(sg_store_save(st, path, state_key, T0 + 91, &errs), 0);
	assert_int_equal(errs.count, 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(access(tmp, F_OK), -1);
	st2 = new_store(100, IDLE, ABSOLUTE);
	/* s[3] has expired by the time the file is read back. */
	assert_int_equal(sg_store_load(st2, path, state_key, T0 + 100, &errs), 3);
	assert_int_equal(errs.count, 0);
	assert_int_equal(sg_store_count(st2), 3);
	for (i = 0; i < 3; i++) {
		/* Early enough that the get touches nothing. */
		g = get(st2, s[i]->key, T0 + 59, a);
		assert_non_null(g);
		assert_same_session(s[i], g);
	}
	assert_null(get(st2, s[3]->key, T0 + 99, a));
	sg_store_free(st);
	sg_store_free(st2);
	sg_arena_free(a);
	free(path);
	free(tmp);
}

static void
state_file_leaves_out_expired_sessions(void **state)
{
	struct sg_store *st = new_store(100, IDLE, ABSOLUTE), *st2;
	struct sg_arena *a = sg_arena_new();
	struct sg_session *live = make_session(a, "live", T0), *idle = make_session(a, "idle", T0);
	struct sg_errlist errs = { 0 };
	char *path = state_path("exp.state");

	(void)state;
	idle->last_seen = T0 - IDLE;
	put(st, live);
	put(st, idle);
	assert_int_equal(sg_store_save(st, path, state_key, T0, &errs), 0);
	st2 = new_store(100, IDLE, ABSOLUTE);
	assert_int_equal(sg_store_load(st2, path, state_key, T0, &errs), 1);
	assert_true(found(st2, live->key, T0));
	sg_store_free(st2);
	/* An empty store makes a valid, empty file. */
	sg_store_free(st);
	st = new_store(100, IDLE, ABSOLUTE);
	assert_int_equal(sg_store_save(st, path, state_key, T0, &errs), 0);
	assert_int_equal(sg_store_load(st, path, state_key, T0, &errs), 0);
	assert_int_equal(errs.count, 0);
	sg_store_free(st);
	sg_arena_free(a);
	free(path);
}

/* Loading path must fail with one message and leave st with only s. */
static void
assert_load_fails(struct sg_store *st, const char *path, const uint8_t *key,
                  const struct sg_session *s, const char *why)
{
	struct sg_errlist errs = { 0 };

	assert_int_equal(sg_store_load(st, path, key, T0, &errs), -1);
	assert_int_equal(errs.count, 1);
	assert_non_null(strstr(errs.msg[0], why));
	assert_int_equal(sg_store_count(st), 1);
	assert_true(found(st, s->key, T0));
	sg_errlist_clear(&errs);
}

/* Writes the first n bytes of data to path. */
static void
write_prefix(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	fclose(f);
}

static void
state_file_errors_leave_the_store_alone(void **state)
{
	struct sg_store *src = new_store(100, IDLE, ABSOLUTE), *st = new_store(100, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s = make_session(a, "resident", T0);
	struct sg_errlist errs = { 0 };
	char *good = state_path("good.state"), *bad = state_path("bad.state");
	char *data;
	size_t len, n;
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		put(src, make_session(a, "saved", T0));
	assert_int_equal(sg_store_save(src, good, state_key, T0, &errs), 0);
	put(st, s);
	data = sg_read_file(good, 1 << 20, &len);
	assert_non_null(data);
	assert_load_fails(st, bad, state_key, s, "cannot open");
	assert_load_fails(st, good, other_key, s, "another session key");
	assert_load_fails(st, tmpdir, state_key, s, "not a regular file");
	for (n = 0; n < len; n += (n < 40 ? 1 : 97)) {
		write_prefix(bad, data, n);
		assert_load_fails(st, bad, state_key, s, n < 8 ? "truncated" : "cannot be opened");
	}
	for (n = 0; n < len; n += 13) {
		data[n] ^= 0x20;
		write_prefix(bad, data, len);
		data[n] ^= 0x20;
		assert_load_fails(st, bad, state_key, s, n < 8 ? "not a session state" : "cannot");
	}
	write_prefix(bad, "SGSTATE\001 not sealed at all, but long enough",
	             strlen("SGSTATE\001 not sealed at all, but long enough"));
	assert_load_fails(st, bad, state_key, s, "cannot be opened");
	assert_int_equal(sg_store_load(st, good, state_key, T0, &errs), 5);
	assert_int_equal(sg_store_count(st), 6);
	free(data);
	free(good);
	free(bad);
	sg_store_free(src);
	sg_store_free(st);
	sg_arena_free(a);
}

/* A sealed file whose records are malformed is refused as a whole. */
static void
state_file_with_bad_record_is_refused(void **state)
{
	struct sg_store *st = new_store(100, IDLE, ABSOLUTE);
	struct sg_arena *a = sg_arena_new();
	struct sg_session *s = make_session(a, "resident", T0), *t = make_session(a, "x", T0);
	struct sg_buf plain = { 0 }, file = { 0 };
	char *path = state_path("rec.state");
	static const char rec_head[12] = { 0, 0, 0, 0 };
	uint8_t be[4];

	(void)state;
	put(st, s);
	sg_session_encode(t, &plain);
	be[0] = be[1] = 0;
	be[2] = (uint8_t)(plain.len >> 8);
	be[3] = (uint8_t)plain.len;
	sg_buf_reset(&file);
	{
		struct sg_buf body = { 0 };

		/* A good record, then a record with a length past the end. */
		sg_buf_append(&body, be, 4);
		sg_buf_append(&body, rec_head + 4, 8);
		sg_buf_append(&body, plain.data, plain.len);
		sg_buf_append(&body, "\0\0\1\0", 4);
		sg_buf_append(&body, rec_head, 8);
		sg_buf_puts(&file, "SGSTATE\001");
		sg_seal(state_key, "ssogw-session-state-v1", body.data, body.len, &file);
		sg_buf_free(&body);
	}
	write_prefix(path, file.data, file.len);
	assert_load_fails(st, path, state_key, s, "malformed");
	assert_false(found(st, t->key, T0));
	sg_buf_free(&plain);
	sg_buf_free(&file);
	sg_store_free(st);
	sg_arena_free(a);
	free(path);
}

static int
group_setup(void **state)
{
	(void)state;
	sg_log_init("t_session", SG_LOG_INFO);
	sg_log_set_stderr(true);
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	return unit_rmtree(tmpdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_id_key_is_sha256_of_id),
		cmocka_unit_test(index_values),
		cmocka_unit_test(encode_decode_all_fields),
		cmocka_unit_test(encode_decode_nulls),
		cmocka_unit_test(copy_is_deep),
		cmocka_unit_test(decode_refuses_every_truncation_and_trailing_bytes),
		cmocka_unit_test(decode_refuses_malformed_fields),
		cmocka_unit_test(decode_survives_garbage),
		cmocka_unit_test(store_put_get_del),
		cmocka_unit_test(store_put_replaces_same_key),
		cmocka_unit_test(store_idle_timeout),
		cmocka_unit_test(store_absolute_timeout),
		cmocka_unit_test(store_touch_writes_back_once_a_minute),
		cmocka_unit_test(store_sweep_removes_what_expired),
		cmocka_unit_test(store_evicts_the_oldest_past_max_sessions),
		cmocka_unit_test(store_del_index_each_kind),
		cmocka_unit_test(store_del_index_many_sessions_of_one_user),
		cmocka_unit_test(store_blobs_are_taken_once_and_expire),
		cmocka_unit_test(store_mark_once_detects_replays),
		cmocka_unit_test(store_is_consistent_under_threads),
		cmocka_unit_test(store_eviction_under_threads),
		cmocka_unit_test(state_file_round_trip),
		cmocka_unit_test(state_file_leaves_out_expired_sessions),
		cmocka_unit_test(state_file_errors_leave_the_store_alone),
		cmocka_unit_test(state_file_with_bad_record_is_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
