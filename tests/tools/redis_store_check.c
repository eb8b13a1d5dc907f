/*
 * redis_store_check.c - drives the redis session store (session/store_redis.c
 * over net/redis.c) against a real Redis, for tests/integration/
 * t_redis_store.sh.  `redis_store_check CONF PHASE [DIR]` loads CONF (whose
 * [session] store names the Redis) with sg_conf_load_string, makes one event
 * loop, one redis_conn and one sg_store, and runs the scripted scenarios of
 * PHASE, printing one TAP line ("ok N - ..." / "not ok N - ...") per check:
 *
 *   basic    put/get, not found, TTLs, touch, idle timeout in code, del,
 *            indexes and del_index, blobs taken once, marks, a reply over
 *            the size bound and a reply later than store_timeout (DEBUG
 *            SLEEP: Redis needs --enable-debug-command) each failing the
 *            connection, then recovery;
 *   ok       one put/get round trip (password and TLS cases);
 *   down     every operation is SG_STORE_UNAVAILABLE, the second one at once;
 *   outage   works, then (after DIR/go1, which the script writes once it has
 *            killed Redis; we write DIR/step1 when ready) is unavailable,
 *            then (after DIR/go2: Redis is back) recovers by itself.
 *
 * Every store callback is checked to come exactly once and never before
 * the call that started it has returned.  Redis's own log lines go to
 * stderr, where the script looks for them.
 */
#include "config.h"

#include <hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net_int.h"
#include "session.h"

static struct event_base *base;
static struct redis_conn *conn;
static struct sg_store *store;
static uint64_t store_timeout_ms;
static int testno, failures;
static bool in_call; /* inside an sg_store_* call or redis_conn_command */
static int early;    /* callbacks that came before their call returned */

/* What one callback reported. */
struct res {
	int calls;
	enum sg_store_status st;
	struct sg_session *s;
	char data[64];
	size_t n;
	/* raw commands */
	bool null;
	int type;
	long long integer;
};

static void check(bool ok, const char *fmt, ...) SG_PRINTF(2, 3);

/* Prints one TAP line. */
static void
check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", ok ? "" : "not ", ++testno);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failures += !ok;
}

/* Every result handed out, kept to the end: a callback that came twice,
 * or late, still writes to live memory, and is counted. */
static struct res *results[4096];
static size_t nresults;

/* A zeroed result that lives to the end of the run. */
static struct res *
newres(void)
{
	struct res *r = sg_xcalloc(1, sizeof(*r));

	if (nresults == SG_NELEM(results))
		sg_fatal("too many results");
	return results[nresults++] = r;
}

/* Runs the loop until r has been called back (at most 10 s). */
static void
wait_for(struct res *r)
{
	time_t end = time(NULL) + 10;

	while (r->calls == 0 && time(NULL) < end)
		event_base_loop(base, EVLOOP_ONCE);
}

/* The link as pipeline.c makes it, over our redis_conn. */
static void
link_command(struct sg_store_link *l, int argc, const char **argv, const size_t *lens,
             sg_store_reply_cb cb, void *arg)
{
	(void)l;
	redis_conn_command(conn, argc, argv, lens, cb, arg);
}

static struct sg_store_link store_link = { link_command };

/* The callbacks record what they were told and when. */
static void
on_done(void *arg, enum sg_store_status st)
{
	struct res *r = arg;

	early += in_call;
	r->calls++;
	r->st = st;
}

static void
on_get(void *arg, enum sg_store_status st, struct sg_session *s)
{
	struct res *r = arg;

	early += in_call;
	r->calls++;
	r->st = st;
	r->s = s;
}

static void
on_blob(void *arg, enum sg_store_status st, const void *p, size_t n)
{
	struct res *r = arg;

	early += in_call;
	r->calls++;
	r->st = st;
	r->n = n;
	memcpy(r->data, p, n < sizeof(r->data) ? n : sizeof(r->data));
}

static void
on_raw(void *arg, struct redisReply *reply)
{
	struct res *r = arg;

	early += in_call;
	r->calls++;
	r->null = reply == NULL;
	if (reply == NULL)
		return;
	r->type = reply->type;
	r->integer = reply->integer;
	r->n = reply->str != NULL ? reply->len : 0;
	if (reply->str != NULL)
		memcpy(r->data, reply->str, r->n < sizeof(r->data) ? r->n : sizeof(r->data));
}

/* One raw command, NULL-terminated arguments, waited for. */
static struct res
raw(const char *cmd, ...)
{
	const char *argv[8] = { cmd };
	size_t lens[8] = { strlen(cmd) };
	struct res *r = newres();
	int argc = 1;
	va_list ap;

	va_start(ap, cmd);
	while (argc < 8 && (argv[argc] = va_arg(ap, const char *)) != NULL)
		lens[argc] = strlen(argv[argc]), argc++;
	va_end(ap);
	in_call = true;
	redis_conn_command(conn, argc, argv, lens, on_raw, r);
	in_call = false;
	wait_for(r);
	return *r;
}

/* The store operations, each waited for. */
static enum sg_store_status
put(const struct sg_session *s)
{
	struct res *r = newres();

	in_call = true;
	sg_store_put(store, &store_link, s, on_done, r);
	in_call = false;
	wait_for(r);
	return r->calls == 1 ? r->st : (enum sg_store_status) - 1;
}

static struct res
get(const uint8_t *key, struct sg_arena *a)
{
	struct res *r = newres();

	in_call = true;
	sg_store_get(store, &store_link, key, (int64_t)time(NULL), a, on_get, r);
	in_call = false;
	wait_for(r);
	return *r;
}

static enum sg_store_status
del(const uint8_t *key)
{
	struct res *r = newres();

	in_call = true;
	sg_store_del(store, &store_link, key, on_done, r);
	in_call = false;
	wait_for(r);
	return r->st;
}

static enum sg_store_status
del_index(enum sg_session_index kind, const char *value)
{
	struct res *r = newres();

	in_call = true;
	sg_store_del_index(store, &store_link, kind, value, on_done, r);
	in_call = false;
	wait_for(r);
	return r->st;
}

static enum sg_store_status
blob_put(const uint8_t *key, const char *s, int64_t ttl)
{
	struct res *r = newres();

	in_call = true;
	sg_store_blob_put(store, &store_link, key, s, strlen(s), (int64_t)time(NULL) + ttl, on_done,
	                  r);
	in_call = false;
	wait_for(r);
	return r->st;
}

static struct res
blob_take(const uint8_t *key)
{
	struct res *r = newres();

	in_call = true;
	sg_store_blob_take(store, &store_link, key, (int64_t)time(NULL), on_blob, r);
	in_call = false;
	wait_for(r);
	return *r;
}

static enum sg_store_status
mark(const uint8_t *key)
{
	struct res *r = newres();

	in_call = true;
	sg_store_mark_once(store, &store_link, key, (int64_t)time(NULL), (int64_t)time(NULL) + 60,
	                   on_done, r);
	in_call = false;
	wait_for(r);
	return r->st;
}

/* A new session of user with a SAML NameID and SessionIndex, last seen
 * age seconds ago. */
static struct sg_session *
new_session(struct sg_arena *a, const char *user, const char *sid, int64_t age)
{
	struct sg_session *s = sg_arena_alloc(a, sizeof(*s));
	uint8_t id[SG_SESSION_ID_LEN];
	int64_t now = (int64_t)time(NULL);
	static const char *groups[] = { "staff", "dev" };

	memset(s, 0, sizeof(*s));
	sg_session_new_id(id, s->key);
	s->user = user;
	s->email = "user@example.test";
	s->groups = groups;
	s->ngroups = 2;
	s->idp = "corp";
	s->protocol = SG_PROTO_SAML;
	s->auth_time = s->created = now - age;
	s->expires = now - age + 3600;
	s->last_seen = now - age;
	s->saml_name_id = user;
	s->saml_session_index = sid;
	return s;
}

/* "ssogw:<kind>:<hex of p>". */
static const char *
key_name(struct sg_arena *a, const char *kind, const uint8_t *p)
{
	char hex[2 * SG_SHA256_LEN + 1];

	for (size_t i = 0; i < SG_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", p[i]);
	return sg_arena_printf(a, "ssogw:%s:%s", kind, hex);
}

/* The index set of kind name for value v. */
static const char *
index_key(struct sg_arena *a, const char *name, const char *v)
{
	uint8_t h[SG_SHA256_LEN];

	sg_sha256(v, strlen(v), h);
	return key_name(a, sg_arena_printf(a, "i:%s", name), h);
}

/* put, get, TTL, touch, idle timeout in code, del. */
static void
basic_sessions(struct sg_arena *a)
{
	struct sg_session *s = new_session(a, "alice", "idx-1", 0), *old;
	struct res r;
	uint8_t missing[SG_SHA256_LEN] = { 1 };

	check(put(s) == SG_STORE_OK, "put a session");
	r = get(s->key, a);
	check(r.calls == 1 && r.st == SG_STORE_OK && r.s != NULL &&
	          strcmp(r.s->user, "alice") == 0 && r.s->ngroups == 2 &&
	          strcmp(r.s->groups[1], "dev") == 0 && r.s->expires == s->expires,
	      "get returns the session as put");
	r = raw("PTTL", key_name(a, "s", s->key), NULL);
	check(r.type == REDIS_REPLY_INTEGER && r.integer > 590000 && r.integer <= 600000,
	      "the session's TTL is the idle timeout (%lld ms)", r.integer);
	r = get(missing, a);
	check(r.calls == 1 && r.st == SG_STORE_NOT_FOUND && r.s == NULL, "unknown key: not found");

	old = new_session(a, "carol", "idx-9", 120);
	put(old);
	r = raw("PTTL", key_name(a, "s", old->key), NULL);
	check(r.integer > 470000 && r.integer <= 480000,
	      "a session seen 2 min ago has 8 min left (%lld ms)", r.integer);
	r = get(old->key, a);
	check(r.st == SG_STORE_OK && r.s->last_seen >= (int64_t)time(NULL) - 1,
	      "get touches a session last seen more than a minute ago");
	r = raw("PTTL", key_name(a, "s", old->key), NULL);
	check(r.integer > 590000, "the touch renewed the TTL (%lld ms)", r.integer);
	r = get(old->key, a);
	check(r.st == SG_STORE_OK && r.s->last_seen >= (int64_t)time(NULL) - 2,
	      "the touched last_seen was written back");

	old = new_session(a, "dave", "idx-8", 700);
	put(old);
	r = get(old->key, a);
	check(r.st == SG_STORE_NOT_FOUND, "a session past its idle timeout is not found");
	r = raw("EXISTS", key_name(a, "s", old->key), NULL);
	check(r.integer == 0, "and is deleted");

	check(del(s->key) == SG_STORE_OK && get(s->key, a).st == SG_STORE_NOT_FOUND,
	      "del ends a session");
}

/* Index sets and del_index by each kind of logout. */
static void
basic_indexes(struct sg_arena *a)
{
	struct sg_session *s1 = new_session(a, "amy", "idx-1", 0);
	struct sg_session *s2 = new_session(a, "amy", "idx-2", 0);
	struct sg_session *s3 = new_session(a, "bob", "idx-3", 0);
	struct res r;

	check(put(s1) == SG_STORE_OK && put(s2) == SG_STORE_OK && put(s3) == SG_STORE_OK,
	      "put three sessions of two users");
	r = raw("SCARD", index_key(a, "user", "amy"), NULL);
	check(r.integer == 2, "the user index holds amy's two sessions");
	r = raw("TTL", index_key(a, "user", "amy"), NULL);
	check(r.integer >= 3600, "the index outlives the absolute timeout (%lld s)", r.integer);
	check(del_index(SG_INDEX_SAML_SESSION, "corp\namy\nidx-1") == SG_STORE_OK,
	      "del_index by NameID + SessionIndex");
	check(get(s1->key, a).st == SG_STORE_NOT_FOUND && get(s2->key, a).st == SG_STORE_OK,
	      "ended that session only");
	check(del_index(SG_INDEX_USER, "amy") == SG_STORE_OK, "del_index by user");
	check(get(s2->key, a).st == SG_STORE_NOT_FOUND && get(s3->key, a).st == SG_STORE_OK,
	      "ended amy's other session, not bob's");
	r = raw("EXISTS", index_key(a, "user", "amy"), NULL);
	check(r.integer == 0, "the emptied index set is gone");
	check(del_index(SG_INDEX_OIDC_SID, "corp\nnone") == SG_STORE_OK,
	      "del_index of a value nobody has is OK");
	/* basic_sessions left alice's index with a member whose session is gone. */
	check(del_index(SG_INDEX_USER, "alice") == SG_STORE_OK &&
	          raw("EXISTS", index_key(a, "user", "alice"), NULL).integer == 0,
	      "del_index over members whose sessions are gone");
}

/* Blobs are taken once; marks are set once; both expire. */
static void
basic_blobs(struct sg_arena *a)
{
	uint8_t k[SG_SHA256_LEN], m[SG_SHA256_LEN];
	struct res r;

	sg_random_bytes(k, sizeof(k));
	sg_random_bytes(m, sizeof(m));
	check(blob_put(k, "a preserved body", 30) == SG_STORE_OK, "blob_put");
	r = raw("TTL", key_name(a, "b", k), NULL);
	check(r.integer > 0 && r.integer <= 30, "the blob expires with it (%lld s)", r.integer);
	r = blob_take(k);
	check(r.st == SG_STORE_OK && r.n == 16 && memcmp(r.data, "a preserved body", 16) == 0,
	      "blob_take hands the blob over");
	check(blob_take(k).st == SG_STORE_NOT_FOUND, "a blob is taken once");
	check(mark(m) == SG_STORE_OK, "mark_once sets a mark");
	check(mark(m) == SG_STORE_NOT_FOUND, "mark_once again: a replay");
	r = raw("TTL", key_name(a, "m", m), NULL);
	check(r.integer > 0 && r.integer <= 60, "the mark expires (%lld s)", r.integer);
}

/* A reply over the bound fails the connection; the next one after the
 * back-off works again. */
static void
basic_bound(void)
{
	size_t n = 17u * 1024 * 1024;
	char *big = sg_xmalloc(n);
	const char *argv[] = { "SET", "ssogw:test:big", big };
	size_t lens[] = { 3, 14, n };
	struct res r, *set = newres();

	memset(big, 'x', n);
	redis_conn_command(conn, 3, argv, lens, on_raw, set);
	wait_for(set);
	free(big);
	r = *set;
	check(!r.null && r.type == REDIS_REPLY_STATUS, "stored a 17 MiB value");
	r = raw("GET", "ssogw:test:big", NULL);
	check(r.calls == 1 && r.null, "a 17 MiB reply fails the command (NULL)");
	r = raw("PING", NULL);
	check(r.calls == 1 && r.null, "the next command fails fast during the back-off");
	usleep(1100 * 1000);
	r = raw("DEL", "ssogw:test:big", NULL);
	check(!r.null && r.integer == 1, "after the back-off the store reconnects");
}

/* A command that Redis does not answer within store_timeout gets NULL at
 * its deadline. */
static void
basic_timeout(void)
{
	struct timespec t0, t1;
	struct res r;
	double ms, want = (double)store_timeout_ms;
	char secs[24];

	snprintf(secs, sizeof(secs), "%.1f", want * 2 / 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = raw("DEBUG", "SLEEP", secs, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	check(r.calls == 1 && r.null && ms >= want - 50 && ms < want + 1000,
	      "a command Redis sits on fails at store_timeout (%.0f ms)", ms);
	usleep((useconds_t)(want * 1000 * 1.5) + 100000);
	r = raw("PING", NULL);
	check(!r.null && r.type == REDIS_REPLY_STATUS, "and the next one works again");
}

/* Everything against a healthy Redis. */
static void
phase_basic(struct sg_arena *a)
{
	basic_sessions(a);
	basic_indexes(a);
	basic_blobs(a);
	basic_bound();
	basic_timeout();
}

/* One round trip (password and TLS set-ups). */
static void
phase_ok(struct sg_arena *a)
{
	struct sg_session *s = new_session(a, "erin", "idx-5", 0);
	struct res r;

	check(put(s) == SG_STORE_OK, "put");
	r = get(s->key, a);
	check(r.st == SG_STORE_OK && strcmp(r.s->user, "erin") == 0, "get");
}

/* Every operation is unavailable; the second one comes at once. */
static void
phase_down(struct sg_arena *a)
{
	struct sg_session *s = new_session(a, "frank", "idx-6", 0);
	struct timespec t0, t1;
	double ms;

	check(put(s) == SG_STORE_UNAVAILABLE, "put: unavailable");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	check(get(s->key, a).st == SG_STORE_UNAVAILABLE, "get: unavailable");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	check(ms < 100, "during the back-off a command fails at once (%.1f ms)", ms);
	check(del(s->key) == SG_STORE_UNAVAILABLE, "del: unavailable");
	check(del_index(SG_INDEX_USER, "frank") == SG_STORE_UNAVAILABLE, "del_index: unavailable");
	check(blob_put(s->key, "x", 10) == SG_STORE_UNAVAILABLE, "blob_put: unavailable");
	check(blob_take(s->key).st == SG_STORE_UNAVAILABLE, "blob_take: unavailable");
	check(mark(s->key) == SG_STORE_UNAVAILABLE, "mark_once: unavailable");
}

/* True when every result handed out was called back exactly once. */
static bool
once(void)
{
	bool ok = true;

	for (size_t i = 0; i < nresults; i++) {
		if (results[i]->calls != 1) {
			printf("# result %zu: %d callbacks\n", i, results[i]->calls);
			ok = false;
		}
		free(results[i]);
	}
	return ok;
}

/* Signals the script with DIR/name, then waits for DIR/go (at most 20 s). */
static void
handshake(const char *dir, const char *name, const char *go)
{
	char path[4096];
	struct stat sb;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) != NULL)
		fclose(f);
	snprintf(path, sizeof(path), "%s/%s", dir, go);
	for (int i = 0; i < 200 && stat(path, &sb) == -1; i++)
		usleep(100 * 1000);
}

/* Up, killed, restarted: the store follows without help. */
static void
phase_outage(struct sg_arena *a, const char *dir)
{
	struct sg_session *s = new_session(a, "grace", "idx-7", 0);
	enum sg_store_status st = SG_STORE_UNAVAILABLE;

	check(put(s) == SG_STORE_OK && get(s->key, a).st == SG_STORE_OK, "works while Redis is up");
	handshake(dir, "step1", "go1");
	check(get(s->key, a).st == SG_STORE_UNAVAILABLE, "Redis killed: get is unavailable");
	check(put(s) == SG_STORE_UNAVAILABLE, "Redis killed: put is unavailable");
	handshake(dir, "step2", "go2");
	for (int i = 0; i < 50 && st == SG_STORE_UNAVAILABLE; i++) {
		usleep(200 * 1000);
		st = put(s);
	}
	check(st == SG_STORE_OK, "Redis restarted: the store recovers by itself");
	check(get(s->key, a).st == SG_STORE_OK, "and serves sessions again");
}

/* The configuration: CONF's text through sg_conf_load_string. */
static struct sg_conf *
load_conf(const char *path)
{
	struct sg_errlist errs = { 0 };
	struct sg_conf *c;
	size_t n;
	char *text = sg_read_file(path, SG_CONF_FILE_MAX, &n), *dir = sg_xstrdup(path);

	if (text == NULL) {
		perror(path);
		exit(2);
	}
	*strrchr(dir, '/') = '\0';
	c = sg_conf_load_string(text, path, dir, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	free(text);
	free(dir);
	sg_errlist_clear(&errs);
	if (c == NULL)
		exit(2);
	return c;
}

/* redis_store_check /PATH/CONF PHASE [DIR] */
int
main(int argc, char **argv)
{
	struct sg_errlist errs = { 0 };
	struct sg_arena *a = sg_arena_new();
	struct sg_conf *c;

	if (argc < 3 || strchr(argv[1], '/') == NULL) {
		fprintf(stderr, "usage: redis_store_check /PATH/CONF basic|ok|down|outage [DIR]\n");
		return 2;
	}
	alarm(120); /* whatever happens, no hung test */
	sg_log_init("redis_store_check", SG_LOG_INFO);
	c = load_conf(argv[1]);
	base = event_base_new();
	conn = redis_conn_new(base, &c->session);
	store_timeout_ms = c->session.store_timeout_ms;
	if ((store = sg_store_new(c, &errs)) == NULL) {
		fprintf(stderr, "%s\n", errs.count ? errs.msg[0] : "no store");
		return 2;
	}
	if (strcmp(argv[2], "basic") == 0)
		phase_basic(a);
	else if (strcmp(argv[2], "ok") == 0)
		phase_ok(a);
	else if (strcmp(argv[2], "down") == 0)
		phase_down(a);
	else if (strcmp(argv[2], "outage") == 0 && argc == 4)
		phase_outage(a, argv[3]);
	else
		return 2;
	/* Late or doubled callbacks would show up now. */
	event_base_loop(base, EVLOOP_NONBLOCK);
	check(early == 0, "no callback came before its call returned");
	check(once(), "every callback came exactly once (%zu operations)", nresults);
	sg_store_free(store);
	redis_conn_free(conn);
	event_base_free(base);
	sg_arena_free(a);
	sg_conf_unref(c);
	return failures ? 1 : 0;
}
