/*
 * t_sso.c - the protocol-neutral sign-in pieces of src/sso: keys from
 * session_key_file, the session cookie (RFC 6265 4.1), the sealed
 * login-state cookie and how many of them a browser keeps, the one
 * return-URL validator, the logout CSRF token, preserved POST bodies and
 * the two small pages.
 *
 * Two configurations are loaded once for the group: "conf" with a key file
 * and several apps (one on another port, one on an IPv6 literal), and
 * "conf_dom" with a cookie_domain and no key file.  Their files live in a
 * fresh temporary folder.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf.h"
#include "http.h"
#include "lib.h"
#include "session.h"
#include "sso.h"
#include "unit.h"

#define KEY_TEXT "k3y-material-for-the-tests-0123456789abcdef"
#define NOW 1700000000                /* seconds */
#define REF1 "AAABi8_laAABAgMEBQYHCA" /* a ref made at NOW */

#define SERVER "[server]\nlisten = 127.0.0.1:8443\ntls_certificate = cert.pem\ntls_key = key.pem\n"
#define IDP \
	"[idp i]\ntype = oidc\nissuer = https://idp.example/\nclient_id = c\nclient_secret = s\n"

static const char conf_text[] =
    SERVER IDP "[session]\ncookie_name = sso\nsession_key_file = session.key\n"
               "login_state_ttl = 10m\nlogin_state_max = 3\n"
               "[app jira]\nurl = https://jira.example.test/\nbackend = http://127.0.0.1:8080/\n"
               "[app wiki]\nurl = https://wiki.example.test:8443/wiki\n"
               "backend = http://127.0.0.1:8090/\n"
               "[app v6]\nurl = https://[2001:db8::1]/\nbackend = http://127.0.0.1:8091/\n";

static const char conf_dom_text[] =
    SERVER IDP "[session]\ncookie_name = sso\ncookie_domain = example.test\n"
               "[app jira]\nurl = https://jira.example.test/\nbackend = http://127.0.0.1:8080/\n";

static char tmpdir[] = "/tmp/sg-sso-XXXXXX";
static struct sg_conf *conf, *conf_dom;
static struct sg_sso_keys keys;

/* ---- fixtures ---- */

static int
group_setup(void **state)
{
	struct sg_errlist e = { 0 };

	(void)state;
	if (mkdtemp(tmpdir) == NULL || unit_put_file(tmpdir, "cert.pem", "placeholder\n", 12) ||
	    unit_put_file(tmpdir, "key.pem", "placeholder\n", 12) ||
	    unit_put_file(tmpdir, "session.key", KEY_TEXT "\n", strlen(KEY_TEXT) + 1))
		return -1;
	conf = unit_conf_load(conf_text, tmpdir);
	conf_dom = unit_conf_load(conf_dom_text, tmpdir);
	if (conf == NULL || conf_dom == NULL || sg_sso_keys_load(conf, &keys, &e) == -1)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	sg_conf_unref(conf);
	sg_conf_unref(conf_dom);
	unit_rmtree(tmpdir);
	return 0;
}

/* A GET request carrying the given Cookie field value (or none). */
static struct sg_http_msg *
req_cookie(struct sg_arena *a, const char *cookie)
{
	struct sg_http_msg *m = sg_arena_alloc(a, sizeof(*m));

	memset(m, 0, sizeof(*m));
	m->is_request = true;
	m->method = "GET";
	m->target = "/";
	sg_http_add(m, a, "Host", "jira.example.test");
	if (cookie != NULL)
		sg_http_add(m, a, "Cookie", cookie);
	return m;
}

/* The "name=value" part of a Set-Cookie value. */
static const char *
pair_of(const char *set_cookie, struct sg_arena *a)
{
	return sg_arena_strndup(a, set_cookie, strcspn(set_cookie, ";"));
}

/* ---- keys ---- */

/* Keys come from the file, one per purpose, the same on every load; a
 * trailing newline is not key material. */
static void
keys_from_file_are_stable_and_distinct(void **state)
{
	struct sg_sso_keys k = { 0 };
	struct sg_errlist e = { 0 };
	const uint8_t *all[] = { keys.state, keys.login, keys.post, keys.csrf, keys.tokens };

	(void)state;
	assert_int_equal(sg_sso_keys_load(conf, &k, &e), 0);
	assert_memory_equal(&k, &keys, sizeof(k));
	for (size_t i = 0; i < SG_NELEM(all); i++)
		for (size_t j = 0; j < i; j++)
			assert_memory_not_equal(all[i], all[j], SG_KEY_LEN);
	assert_int_equal(unit_put_file(tmpdir, "session.key", KEY_TEXT, strlen(KEY_TEXT)), 0);
	assert_int_equal(sg_sso_keys_load(conf, &k, &e), 0);
	assert_memory_equal(&k, &keys, sizeof(k));
	assert_int_equal(
	    unit_put_file(tmpdir, "session.key", KEY_TEXT "\r\n", strlen(KEY_TEXT) + 2), 0);
	assert_int_equal(sg_sso_keys_load(conf, &k, &e), 0);
	assert_memory_equal(&k, &keys, sizeof(k));
	assert_int_equal(unit_put_file(tmpdir, "session.key", KEY_TEXT "x", strlen(KEY_TEXT) + 1),
	                 0);
	assert_int_equal(sg_sso_keys_load(conf, &k, &e), 0);
	assert_memory_not_equal(k.login, keys.login, SG_KEY_LEN);
	assert_int_equal(e.count, 0);
	assert_int_equal(unit_put_file(tmpdir, "session.key", KEY_TEXT "\n", strlen(KEY_TEXT) + 1),
	                 0);
}

/* Under 32 bytes is refused, naming the file but never its content. */
static void
keys_short_file_is_refused(void **state)
{
	struct sg_sso_keys k;
	struct sg_errlist e = { 0 };
	const char secret[] = "S3CRET-but-31-bytes-long-xxxxxx";

	(void)state;
	assert_int_equal(strlen(secret), 31);
	assert_int_equal(unit_put_file(tmpdir, "session.key", secret, 31), 0);
	memset(&k, 0x55, sizeof(k));
	assert_int_equal(sg_sso_keys_load(conf, &k, &e), -1);
	assert_int_equal(e.count, 1);
	assert_non_null(strstr(e.msg[0], "session.key"));
	assert_non_null(strstr(e.msg[0], "31 bytes"));
	assert_null(strstr(e.msg[0], "S3CRET"));
	sg_errlist_clear(&e);
	/* 31 bytes and a newline are still 31 bytes. */
	assert_int_equal(
	    unit_put_file(tmpdir, "session.key", "S3CRET-but-31-bytes-long-xxxxxx\n", 32), 0);
	assert_int_equal(sg_sso_keys_load(conf, &k, &e), -1);
	sg_errlist_clear(&e);
	/* Exactly 32 is enough. */
	assert_int_equal(
	    unit_put_file(tmpdir, "session.key", "S3CRET-but-32-bytes-long-xxxxxxx", 32), 0);
	assert_int_equal(sg_sso_keys_load(conf, &k, &e), 0);
	assert_int_equal(unit_put_file(tmpdir, "session.key", KEY_TEXT "\n", strlen(KEY_TEXT) + 1),
	                 0);
}

/* A missing file is an error with its name. */
static void
keys_unreadable_file_is_refused(void **state)
{
	struct sg_sso_keys k;
	struct sg_errlist e = { 0 };
	char path[PATH_MAX], moved[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/session.key", tmpdir);
	snprintf(moved, sizeof(moved), "%s/moved.key", tmpdir);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(sg_sso_keys_load(conf, &k, &e), -1);
	assert_int_equal(rename(moved, path), 0);
	assert_int_equal(e.count, 1);
	assert_non_null(strstr(e.msg[0], "session.key"));
	sg_errlist_clear(&e);
}

/* Without a key file every key is random. */
static void
keys_without_file_are_random(void **state)
{
	struct sg_sso_keys k1, k2;
	struct sg_errlist e = { 0 };

	(void)state;
	assert_int_equal(sg_sso_keys_load(conf_dom, &k1, &e), 0);
	assert_int_equal(sg_sso_keys_load(conf_dom, &k2, &e), 0);
	assert_memory_not_equal(k1.login, k2.login, SG_KEY_LEN);
	assert_memory_not_equal(k1.login, k1.post, SG_KEY_LEN);
}

/* ---- the session cookie ---- */

static const uint8_t some_id[SG_SESSION_ID_LEN] = {
	0xfb, 0xff, 0x3e, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
	14,   15,   16,   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 0xff,
};
#define SOME_ID_B64 "-_8-AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHP8"

static void
session_cookie_attributes(void **state)
{
	struct sg_arena *a = *state;

	assert_string_equal(sg_sso_session_cookie(conf, some_id, a),
	                    "sso=" SOME_ID_B64 "; Path=/; Secure; HttpOnly; SameSite=Lax");
	assert_string_equal(sg_sso_session_cookie_clear(conf, a),
	                    "sso=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0");
}

static void
session_cookie_with_domain(void **state)
{
	struct sg_arena *a = *state;

	assert_string_equal(sg_sso_session_cookie(conf_dom, some_id, a),
	                    "sso=" SOME_ID_B64
	                    "; Path=/; Secure; HttpOnly; SameSite=Lax; Domain=example.test");
	assert_string_equal(
	    sg_sso_session_cookie_clear(conf_dom, a),
	    "sso=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0; Domain=example.test");
}

/* The id reads back from what the cookie set, among other cookies. */
static void
session_id_round_trip(void **state)
{
	struct sg_arena *a = *state;
	const char *sc = sg_sso_session_cookie(conf, some_id, a);
	uint8_t id[SG_SESSION_ID_LEN];
	const char *cookie = sg_arena_printf(a, "JSESSIONID=x; %s;other=1", pair_of(sc, a));

	assert_true(sg_sso_session_id(conf, req_cookie(a, cookie), id));
	assert_memory_equal(id, some_id, sizeof(id));
	/* The first of two wins, and a bad first is no session. */
	cookie = sg_arena_printf(a, "%s; sso=AAAA", pair_of(sc, a));
	assert_true(sg_sso_session_id(conf, req_cookie(a, cookie), id));
	cookie = sg_arena_printf(a, "sso=AAAA; %s", pair_of(sc, a));
	assert_false(sg_sso_session_id(conf, req_cookie(a, cookie), id));
}

/* Anything but 43 canonical base64url characters is no session. */
static void
session_id_rejects_malformed_values(void **state)
{
	struct sg_arena *a = *state;
	uint8_t id[SG_SESSION_ID_LEN];
	static const char *const bad[] = {
		NULL,
		"other=" SOME_ID_B64,
		"SSO=" SOME_ID_B64,
		"sso=",
		"sso=" SOME_ID_B64 "A",
		"sso=-_8-AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHP",
		"sso=+_8-AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHP8",
		"sso=-/8-AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHP8",
		"sso=-_8-AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHP=",
		"sso=-_8-AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHP.",
		"sso=-_8-AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHP9", /* low bits set */
		"sso=\"-_8-AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHP8\"",
		"sso=-_8-AQIDBAUGBwgJCgsMDQ4PEBE SExQVFhcYGRobHP8",
		"sso=-_8-AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHP8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
		"AAAAAAAAAA",
	};

	for (size_t i = 0; i < SG_NELEM(bad); i++)
		assert_false(sg_sso_session_id(conf, req_cookie(a, bad[i]), id));
	assert_true(sg_sso_session_id(conf, req_cookie(a, "sso=" SOME_ID_B64), id));
	assert_true(sg_sso_session_id(conf, req_cookie(a, "a=1;sso=" SOME_ID_B64 " ;b"), id));
}

/* ---- the login state ---- */

static const struct sg_login_state full_state = {
	.app = "jira",
	.idp = "i",
	.return_url = "/secure/Dashboard.jspa?x=1#top",
	.force_authn = true,
	.logout = true,
	.request_id = "_a1b2c3",
	.oidc_nonce = "n0nce",
	.pkce_verifier = "verifier-0123456789",
	.post_ref = "cG9zdA",
	.created = NOW,
};

/* The cookie for ref, set at NOW, as a request sends it back. */
static struct sg_http_msg *
req_with_login(struct sg_arena *a, const uint8_t *key, const char *ref,
               const struct sg_login_state *ls)
{
	return req_cookie(a, pair_of(sg_sso_login_cookie(conf, key, ref, ls, a), a));
}

static void
login_ref_shape(void **state)
{
	char r1[23], r2[23];
	struct sg_buf b = { 0 };
	const uint8_t want[8] = { 0, 0, 1, 0x8b, 0xcf, 0xe5, 0x68, 0x00 };

	(void)state;
	sg_sso_login_ref_new((int64_t)NOW * 1000, r1);
	sg_sso_login_ref_new((int64_t)NOW * 1000, r2);
	assert_int_equal(strlen(r1), 22);
	assert_string_not_equal(r1, r2);
	assert_int_equal(sg_base64url_decode(r1, 22, &b), 0);
	assert_int_equal(b.len, 16);
	assert_memory_equal(b.data, want, 8);
	assert_memory_equal(r1, r2, 10); /* the time part */
	sg_buf_free(&b);
}

static void
login_cookie_attributes(void **state)
{
	struct sg_arena *a = *state;
	const char *ref = REF1;
	const char *sc = sg_sso_login_cookie(conf, keys.login, ref, &full_state, a);
	const char *attrs = strchr(sc, ';');

	assert_string_equal(sg_sso_login_cookie_name(conf, ref, a), "sso_login_" REF1);
	assert_true(strncmp(sc, "sso_login_AAABi8_laAABAgMEBQYHCA=", 33) == 0);
	assert_non_null(attrs);
	assert_string_equal(attrs, "; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=600");
	assert_string_equal(sg_sso_login_cookie_clear(conf, ref, a),
	                    "sso_login_" REF1
	                    "=; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=0");
	/* Host-only even when cookie_domain is set. */
	assert_null(
	    strstr(sg_sso_login_cookie(conf_dom, keys.login, ref, &full_state, a), "Domain"));
	/* Nothing of the state shows through. */
	assert_null(strstr(sc, "jira"));
	assert_null(strstr(sc, "verifier"));
}

static void
login_state_round_trip(void **state)
{
	struct sg_arena *a = *state;
	struct sg_login_state ls;
	struct sg_err err = { 0 };
	char ref[23];

	sg_sso_login_ref_new((int64_t)NOW * 1000, ref);
	assert_int_equal(sg_sso_login_state_open(conf, keys.login,
	                                         req_with_login(a, keys.login, ref, &full_state),
	                                         ref, NOW + 5, a, &ls, &err),
	                 0);
	assert_string_equal(ls.app, "jira");
	assert_string_equal(ls.idp, "i");
	assert_string_equal(ls.return_url, full_state.return_url);
	assert_true(ls.force_authn);
	assert_true(ls.logout);
	assert_string_equal(ls.request_id, "_a1b2c3");
	assert_string_equal(ls.oidc_nonce, "n0nce");
	assert_string_equal(ls.pkce_verifier, "verifier-0123456789");
	assert_string_equal(ls.post_ref, "cG9zdA");
	assert_int_equal(ls.created, NOW);
}

/* Optional fields stay NULL; "" stays "". */
static void
login_state_keeps_null_and_empty_apart(void **state)
{
	struct sg_arena *a = *state;
	struct sg_login_state in = {
		.app = "jira", .idp = "i", .return_url = "/", .created = NOW, .request_id = ""
	};
	struct sg_login_state ls;
	struct sg_err err = { 0 };
	const char *ref = REF1;

	assert_int_equal(sg_sso_login_state_open(conf, keys.login,
	                                         req_with_login(a, keys.login, ref, &in), ref, NOW,
	                                         a, &ls, &err),
	                 0);
	assert_false(ls.force_authn);
	assert_false(ls.logout);
	assert_string_equal(ls.request_id, "");
	assert_null(ls.oidc_nonce);
	assert_null(ls.pkce_verifier);
	assert_null(ls.post_ref);
}

/* Changing any one character of the value, in any way, breaks it. */
static void
login_state_every_tampering_fails(void **state)
{
	struct sg_arena *a = *state;
	const char *ref = REF1;
	const char *pair = pair_of(sg_sso_login_cookie(conf, keys.login, ref, &full_state, a), a);
	const char *value = strchr(pair, '=') + 1;
	size_t off = (size_t)(value - pair), n = strlen(value);
	static const char subst[] = "AQgw-_z9.+/=\"";
	struct sg_login_state ls;
	struct sg_err err;

	for (size_t i = 0; i < n; i++) {
		for (size_t s = 0; s < sizeof(subst) - 1; s++) {
			char *t = sg_arena_strdup(a, pair);

			if (t[off + i] == subst[s])
				continue;
			t[off + i] = subst[s];
			memset(&err, 0, sizeof(err));
			assert_int_equal(sg_sso_login_state_open(conf, keys.login, req_cookie(a, t),
			                                         ref, NOW, a, &ls, &err),
			                 -1);
			assert_int_equal(err.code, 400);
			assert_null(ls.app);
		}
	}
	/* Shorter and longer values too. */
	for (size_t cut = 1; cut < n; cut += 7) {
		char *t = sg_arena_strndup(a, pair, off + n - cut);

		assert_int_equal(sg_sso_login_state_open(conf, keys.login, req_cookie(a, t), ref,
		                                         NOW, a, &ls, &err),
		                 -1);
	}
	assert_int_equal(sg_sso_login_state_open(conf, keys.login,
	                                         req_cookie(a, sg_arena_printf(a, "%sA", pair)),
	                                         ref, NOW, a, &ls, &err),
	                 -1);
	/* The untouched value still opens. */
	assert_int_equal(
	    sg_sso_login_state_open(conf, keys.login, req_cookie(a, pair), ref, NOW, a, &ls, &err),
	    0);
}

/* A value moved under another ref's name does not open. */
static void
login_state_is_bound_to_its_ref(void **state)
{
	struct sg_arena *a = *state;
	const char *r1 = "AAABi8_laAABAgMEBQYHCA", *r2 = "AAABi8_laAABAgMEBQYHCQ";
	const char *pair = pair_of(sg_sso_login_cookie(conf, keys.login, r1, &full_state, a), a);
	const char *moved = sg_arena_printf(a, "sso_login_%s%s", r2, strchr(pair, '='));
	struct sg_login_state ls;
	struct sg_err err = { 0 }, err2 = { 0 };

	assert_int_equal(
	    sg_sso_login_state_open(conf, keys.login, req_cookie(a, moved), r2, NOW, a, &ls, &err),
	    -1);
	assert_int_equal(err.code, 400);
	/* And ref r1 without its cookie is missing, a different story. */
	assert_int_equal(
	    sg_sso_login_state_open(conf, keys.login, req_cookie(a, moved), r1, NOW, a, &ls, &err2),
	    -1);
	assert_int_equal(err2.code, 400);
	assert_string_not_equal(err.detail, err2.detail);
}

/* Sealed under another key (another gateway, a rotated key). */
static void
login_state_other_key_fails(void **state)
{
	struct sg_arena *a = *state;
	const char *ref = REF1;
	struct sg_login_state ls;
	struct sg_err err = { 0 };

	assert_int_equal(sg_sso_login_state_open(conf, keys.login,
	                                         req_with_login(a, keys.post, ref, &full_state),
	                                         ref, NOW, a, &ls, &err),
	                 -1);
	assert_int_equal(err.code, 400);
	assert_non_null(strstr(err.detail, "invalid"));
}

/* Missing, malformed ref, expired, from the future: 400, each its own
 * words. */
static void
login_state_expiry_and_missing(void **state)
{
	struct sg_arena *a = *state;
	const char *ref = REF1;
	struct sg_http_msg *m = req_with_login(a, keys.login, ref, &full_state);
	struct sg_login_state ls;
	struct sg_err missing = { 0 }, expired = { 0 }, future = { 0 }, badref = { 0 };
	struct sg_err err = { 0 };

	assert_int_equal(sg_sso_login_state_open(conf, keys.login, m, ref, NOW + 600, a, &ls, &err),
	                 0);
	assert_int_equal(sg_sso_login_state_open(conf, keys.login, m, ref, NOW - 60, a, &ls, &err),
	                 0);
	assert_int_equal(
	    sg_sso_login_state_open(conf, keys.login, m, ref, NOW + 601, a, &ls, &expired), -1);
	assert_int_equal(
	    sg_sso_login_state_open(conf, keys.login, m, ref, NOW - 61, a, &ls, &future), -1);
	assert_int_equal(sg_sso_login_state_open(conf, keys.login, req_cookie(a, "a=b"), ref, NOW,
	                                         a, &ls, &missing),
	                 -1);
	assert_int_equal(sg_sso_login_state_open(conf, keys.login, m, "../x", NOW, a, &ls, &badref),
	                 -1);
	assert_int_equal(expired.code, 400);
	assert_int_equal(future.code, 400);
	assert_int_equal(missing.code, 400);
	assert_int_equal(badref.code, 400);
	assert_non_null(strstr(expired.detail, "expired"));
	assert_non_null(strstr(missing.detail, "cookies"));
	assert_string_not_equal(expired.detail, missing.detail);
	assert_string_not_equal(future.detail, expired.detail);
	assert_null(ls.app);
}

/* The oldest go so that login_state_max - 1 (here 2) remain. */
static void
login_cookies_drop_oldest(void **state)
{
	struct sg_arena *a = *state;
	const char **out;
	char r[4][23];
	const char *cookie;

	for (int i = 0; i < 4; i++)
		sg_sso_login_ref_new((int64_t)(NOW + i) * 1000, r[i]);
	/* Sent newest first: the order of the field does not decide. */
	cookie = sg_arena_printf(a,
	                         "sso_login_%s=x; sso=s; sso_login_%s=x; sso_login_%s=x; "
	                         "JSESSIONID=j; sso_login_%s=x",
	                         r[3], r[1], r[2], r[0]);
	assert_int_equal(sg_sso_login_cookies_to_drop(conf, req_cookie(a, cookie), a, &out), 2);
	assert_string_equal(out[0], sg_sso_login_cookie_clear(conf, r[0], a));
	assert_string_equal(out[1], sg_sso_login_cookie_clear(conf, r[1], a));
	/* Two already leave room for one more. */
	cookie = sg_arena_printf(a, "sso_login_%s=x; sso_login_%s=x", r[0], r[1]);
	assert_int_equal(sg_sso_login_cookies_to_drop(conf, req_cookie(a, cookie), a, &out), 0);
	assert_int_equal(sg_sso_login_cookies_to_drop(conf, req_cookie(a, NULL), a, &out), 0);
	/* A repeated name counts once. */
	cookie =
	    sg_arena_printf(a, "sso_login_%s=x; sso_login_%s=y; sso_login_%s=x", r[0], r[0], r[1]);
	assert_int_equal(sg_sso_login_cookies_to_drop(conf, req_cookie(a, cookie), a, &out), 0);
}

/* A name whose ref does not decode counts as the oldest; other cookies
 * and other prefixes are not counted. */
static void
login_cookies_undecodable_are_oldest(void **state)
{
	struct sg_arena *a = *state;
	const char **out;
	char r[3][23];
	const char *cookie;

	for (int i = 0; i < 3; i++)
		sg_sso_login_ref_new((int64_t)(NOW + i) * 1000, r[i]);
	cookie = sg_arena_printf(a,
	                         "sso_login_%s=x; sso_login_junk=x; sso_login_%s=x; "
	                         "sso_login_%s=x; sso_loginX=x; xsso_login_a=1",
	                         r[2], r[0], r[1]);
	assert_int_equal(sg_sso_login_cookies_to_drop(conf, req_cookie(a, cookie), a, &out), 2);
	assert_string_equal(out[0],
	                    "sso_login_junk=; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=0");
	assert_string_equal(out[1], sg_sso_login_cookie_clear(conf, r[0], a));
}

/* ---- the return-URL validator ---- */

static void
return_url_table(void **state)
{
	static const struct {
		const char *url;
		bool ok;
	} cases[] = {
		{ "/", true },
		{ "/path?x#y", true },
		{ "/secure/Dashboard.jspa?selectPageId=1&x=%20y", true },
		{ "/a/b/../c", true },
		{ "/x//y", true },
		{ "/~user/", true },
		{ "https://jira.example.test/", true },
		{ "https://jira.example.test", true },
		{ "https://jira.example.test?x=1", true },
		{ "https://jira.example.test#frag", true },
		{ "https://JIRA.example.test/x", true },
		{ "HTTPS://jira.example.test/x", true },
		{ "https://jira.example.test:443/x", true },
		{ "https://wiki.example.test:8443/wiki/x", true },
		{ "https://wiki.example.test:8443/", true },
		{ "https://[2001:db8::1]/x", true },
		{ "https://[2001:db8:0::1]:443/x", true },
		{ "", false },
		{ "//evil.com", false },
		{ "//evil.com/x", false },
		{ "/\\evil.com", false },
		{ "\\\\evil.com", false },
		{ "/x\\y", false },
		{ "https://evil.com", false },
		{ "https://evil.com/", false },
		{ "https://jira.example.test@evil.com/", false },
		{ "https://evil.com@jira.example.test/", false },
		{ "https://user:pw@jira.example.test/", false },
		{ "https://jira.example.test.evil.com/", false },
		{ "https://jira.example.test./", false },
		{ "https://xjira.example.test/", false },
		{ "https://example.test/", false },
		{ "javascript:alert(1)", false },
		{ "JavaScript:alert(1)//", false },
		{ "data:text/html,<script>alert(1)</script>", false },
		{ "http://jira.example.test/", false },
		{ "ftp://jira.example.test/", false },
		{ "https:/jira.example.test/", false },
		{ "https:jira.example.test/", false },
		{ "https:///jira.example.test/", false },
		{ "https://", false },
		{ "https://:443/", false },
		{ "/%0d%0aSet-Cookie:%20a=b", false },
		{ "/%0D%0ASet-Cookie", false },
		{ "/x%00y", false },
		{ "/x%7f", false },
		{ "/x\r\nSet-Cookie: a=b", false },
		{ "https://jira.example.test:8443/", false },
		{ "https://wiki.example.test/", false },
		{ "https://wiki.example.test:443/", false },
		{ "https://jira.example.test:/", false },
		{ "https://jira.example.test:0443/", false },
		{ "https://jira.example.test:65979/", false },
		{ "https://jira.example.test:44a/", false },
		{ "https://jira.example.test:443:443/", false },
		{ "\t/x", false },
		{ " /x", false },
		{ "/x y", false },
		{ "/x\t", false },
		{ "/\xc3\xa9", false },
		{ "/x\x7f", false },
		{ "https://jira%2eexample.test/", false },
		{ "https://jira.example.test%2f@evil.com/", false },
		{ "https://[2001:db8::2]/", false },
		{ "https://[2001:db8::1/", false },
		{ "https://[]/", false },
		{ "https://[2001:db8::1]x/", false },
		{ "https://2001:db8::1/", false },
		{ "https://jira.example.test\\@evil.com/", false },
		{ "x", false },
		{ "evil.com", false },
		{ "./x", false },
		{ "?x=1", false },
		{ "#x", false },
	};

	(void)state;
	for (size_t i = 0; i < SG_NELEM(cases); i++) {
		bool got = sg_sso_return_url_ok(conf, cases[i].url);

		if (got != cases[i].ok)
			fail_msg("return URL \"%s\": got %s, want %s", cases[i].url,
			         got ? "ok" : "refused", cases[i].ok ? "ok" : "refused");
	}
	assert_false(sg_sso_return_url_ok(conf, NULL));
}

/* ---- logout CSRF ---- */

static void
csrf_token_checks(void **state)
{
	struct sg_arena *a = *state;
	uint8_t skey[SG_SHA256_LEN], other[SG_SHA256_LEN];
	const char *t;
	char *bad;

	memset(skey, 7, sizeof(skey));
	memset(other, 7, sizeof(other));
	other[31] = 8;
	t = sg_sso_csrf_token(keys.csrf, skey, a);
	assert_int_equal(strlen(t), 43);
	assert_string_equal(t, sg_sso_csrf_token(keys.csrf, skey, a));
	assert_true(sg_sso_csrf_ok(keys.csrf, skey, t));
	assert_false(sg_sso_csrf_ok(keys.csrf, other, t));
	assert_false(sg_sso_csrf_ok(keys.login, skey, t));
	assert_false(sg_sso_csrf_ok(keys.csrf, skey, NULL));
	assert_false(sg_sso_csrf_ok(keys.csrf, skey, ""));
	assert_false(sg_sso_csrf_ok(keys.csrf, skey, sg_arena_strndup(a, t, 42)));
	assert_false(sg_sso_csrf_ok(keys.csrf, skey, sg_arena_printf(a, "%sA", t)));
	bad = sg_arena_strdup(a, t);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	assert_false(sg_sso_csrf_ok(keys.csrf, skey, bad));
	assert_string_not_equal(t, sg_sso_csrf_token(keys.csrf, other, a));
}

/* ---- preserved POST bodies ---- */

static struct sg_http_msg *
req_post(struct sg_arena *a, const char *method, const char *ctype, const char *ctype2)
{
	struct sg_http_msg *m = req_cookie(a, NULL);

	m->method = method;
	if (ctype != NULL)
		sg_http_add(m, a, "Content-Type", ctype);
	if (ctype2 != NULL)
		sg_http_add(m, a, "Content-Type", ctype2);
	return m;
}

static void
post_preservable_table(void **state)
{
	struct sg_arena *a = *state;

	assert_true(sg_sso_post_preservable(
	    req_post(a, "POST", "application/x-www-form-urlencoded", NULL)));
	assert_true(sg_sso_post_preservable(
	    req_post(a, "POST", "Application/X-WWW-Form-URLencoded; charset=UTF-8", NULL)));
	assert_true(sg_sso_post_preservable(
	    req_post(a, "POST", "multipart/form-data; boundary=----x", NULL)));
	assert_true(
	    sg_sso_post_preservable(req_post(a, "POST", " MULTIPART/FORM-DATA ;b=1", NULL)));
	assert_false(sg_sso_post_preservable(req_post(a, "POST", "application/json", NULL)));
	assert_false(sg_sso_post_preservable(req_post(a, "POST", "text/plain", NULL)));
	assert_false(sg_sso_post_preservable(
	    req_post(a, "POST", "application/x-www-form-urlencodedx", NULL)));
	assert_false(sg_sso_post_preservable(req_post(a, "POST", "multipart/mixed", NULL)));
	assert_false(sg_sso_post_preservable(req_post(a, "POST", NULL, NULL)));
	assert_false(
	    sg_sso_post_preservable(req_post(a, "GET", "application/x-www-form-urlencoded", NULL)));
	assert_false(
	    sg_sso_post_preservable(req_post(a, "PUT", "application/x-www-form-urlencoded", NULL)));
	assert_false(sg_sso_post_preservable(
	    req_post(a, "post", "application/x-www-form-urlencoded", NULL)));
	assert_false(sg_sso_post_preservable(
	    req_post(a, "POST", "application/x-www-form-urlencoded", "application/json")));
}

static void
post_seal_round_trip_and_tamper(void **state)
{
	struct sg_arena *a = *state;
	static const char body[] = "a=1&b=%00\0binary\xff";
	struct sg_preserved_post in = { "/secure/CreateIssue.jspa?x=1",
		                        "application/x-www-form-urlencoded; charset=UTF-8", body,
		                        sizeof(body) - 1 };
	struct sg_preserved_post out;
	struct sg_buf s = { 0 };

	sg_sso_post_seal(keys.post, &in, &s);
	assert_null(memmem(s.data, s.len, "CreateIssue", 11));
	assert_int_equal(sg_sso_post_open(keys.post, s.data, s.len, a, &out), 0);
	assert_string_equal(out.target, in.target);
	assert_string_equal(out.content_type, in.content_type);
	assert_int_equal(out.len, in.len);
	assert_memory_equal(out.body, body, in.len);
	/* Every byte flipped, short, long, another key: refused, out cleared. */
	for (size_t i = 0; i < s.len; i++) {
		s.data[i] ^= 0x01;
		assert_int_equal(sg_sso_post_open(keys.post, s.data, s.len, a, &out), -1);
		assert_null(out.target);
		s.data[i] ^= 0x01;
	}
	assert_int_equal(sg_sso_post_open(keys.post, s.data, s.len - 1, a, &out), -1);
	assert_int_equal(sg_sso_post_open(keys.post, s.data, 0, a, &out), -1);
	assert_int_equal(sg_sso_post_open(keys.login, s.data, s.len, a, &out), -1);
	sg_buf_append(&s, "x", 1);
	assert_int_equal(sg_sso_post_open(keys.post, s.data, s.len, a, &out), -1);
	sg_buf_free(&s);
}

/* An empty body is a body; a login-state seal is no POST. */
static void
post_seal_edges(void **state)
{
	struct sg_arena *a = *state;
	struct sg_preserved_post in = { "/x", "multipart/form-data; boundary=b", "", 0 };
	struct sg_preserved_post out;
	struct sg_buf s = { 0 };

	sg_sso_post_seal(keys.post, &in, &s);
	assert_int_equal(sg_sso_post_open(keys.post, s.data, s.len, a, &out), 0);
	assert_int_equal(out.len, 0);
	sg_buf_reset(&s);
	sg_seal(keys.post, "ssogw-post-v2", "x", 1, &s);
	assert_int_equal(sg_sso_post_open(keys.post, s.data, s.len, a, &out), -1);
	sg_buf_free(&s);
}

/* ---- pages ---- */

#define HOSTILE "\"><script>alert('x')</script>&amp;"
#define HOSTILE_ESC "&#34;&#62;&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;&#38;amp;"

static void
autopost_page_escapes(void **state)
{
	struct sg_sso_field fields[] = { { "ref", "ref" HOSTILE },
		                         { "Relay" HOSTILE, "r" },
		                         { "absent", NULL } };
	struct sg_buf b = { 0 };

	(void)state;
	sg_sso_autopost_page("/ssogw/replay?a=1&b=" HOSTILE, fields, 3, "n0nce" HOSTILE,
	                     "Go on" HOSTILE, &b);
	assert_non_null(strstr(b.data, "action=\"/ssogw/replay?a=1&#38;b=" HOSTILE_ESC "\""));
	assert_non_null(strstr(b.data, "name=\"ref\" value=\"ref" HOSTILE_ESC "\""));
	assert_non_null(strstr(b.data, "name=\"Relay" HOSTILE_ESC "\" value=\"r\""));
	assert_null(strstr(b.data, "absent"));
	assert_non_null(strstr(b.data, "<p>Go on" HOSTILE_ESC "</p>"));
	assert_non_null(strstr(b.data, "<script nonce=\"n0nce" HOSTILE_ESC "\">"));
	assert_non_null(strstr(b.data, ".submit()"));
	assert_non_null(strstr(b.data, "<noscript>"));
	assert_non_null(strstr(b.data, "<button type=\"submit\">"));
	assert_non_null(strstr(b.data, "<meta charset=\"utf-8\">"));
	assert_null(strstr(b.data, "alert('x')"));
	assert_null(strstr(b.data, "http:"));
	assert_null(strstr(b.data, "src="));
	/* Exactly one script, the nonced one. */
	assert_null(strstr(strstr(b.data, "<script") + 1, "<script"));
	sg_buf_free(&b);
}

static void
chooser_page_escapes(void **state)
{
	struct sg_sso_choice c[] = { { "corp", "Corp" HOSTILE }, { "x" HOSTILE, "Partners" } };
	struct sg_buf b = { 0 };

	(void)state;
	sg_sso_chooser_page("/ssogw/login/choose" HOSTILE, "ref" HOSTILE, c, 2, true,
	                    "Pick" HOSTILE, &b);
	assert_non_null(strstr(b.data, "action=\"/ssogw/login/choose" HOSTILE_ESC "\""));
	assert_non_null(strstr(b.data, "name=\"ref\" value=\"ref" HOSTILE_ESC "\""));
	assert_non_null(strstr(b.data, "name=\"idp\" value=\"corp\">Corp" HOSTILE_ESC "<"));
	assert_non_null(strstr(b.data, "name=\"idp\" value=\"x" HOSTILE_ESC "\">Partners<"));
	assert_non_null(strstr(b.data, "name=\"email\""));
	assert_non_null(strstr(b.data, "<p>Pick" HOSTILE_ESC "</p>"));
	assert_null(strstr(b.data, "alert('x')"));
	assert_null(strstr(b.data, "<script"));
	sg_buf_reset(&b);
	sg_sso_chooser_page("/c", "r", c, 2, false, NULL, &b);
	assert_null(strstr(b.data, "name=\"email\""));
	assert_non_null(strstr(b.data, "value=\"corp\""));
	sg_buf_free(&b);
}

static void
logout_page_escapes(void **state)
{
	struct sg_buf b = { 0 };

	(void)state;
	sg_sso_logout_page("/ssogw/logout" HOSTILE, "tok" HOSTILE, "/back" HOSTILE, &b);
	assert_non_null(strstr(b.data, "Sign out?"));
	assert_non_null(
	    strstr(b.data, "<form method=\"post\" action=\"/ssogw/logout" HOSTILE_ESC "\">"));
	assert_non_null(strstr(b.data, "name=\"csrf\" value=\"tok" HOSTILE_ESC "\""));
	assert_non_null(strstr(b.data, "name=\"return\" value=\"/back" HOSTILE_ESC "\""));
	assert_null(strstr(b.data, "alert('x')"));
	assert_null(strstr(b.data, "<script"));
	sg_buf_reset(&b);
	sg_sso_logout_page("/ssogw/logout", "tok", NULL, &b);
	assert_null(strstr(b.data, "name=\"return\""));
	assert_non_null(strstr(b.data, "name=\"csrf\" value=\"tok\""));
	sg_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keys_from_file_are_stable_and_distinct),
		cmocka_unit_test(keys_short_file_is_refused),
		cmocka_unit_test(keys_unreadable_file_is_refused),
		cmocka_unit_test(keys_without_file_are_random),
		cmocka_unit_test_setup_teardown(session_cookie_attributes, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(session_cookie_with_domain, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(session_id_round_trip, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(session_id_rejects_malformed_values,
		                                unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test(login_ref_shape),
		cmocka_unit_test_setup_teardown(login_cookie_attributes, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(login_state_round_trip, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(login_state_keeps_null_and_empty_apart,
		                                unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(login_state_every_tampering_fails, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(login_state_is_bound_to_its_ref, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(login_state_other_key_fails, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(login_state_expiry_and_missing, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(login_cookies_drop_oldest, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(login_cookies_undecodable_are_oldest,
		                                unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test(return_url_table),
		cmocka_unit_test_setup_teardown(csrf_token_checks, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(post_preservable_table, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(post_seal_round_trip_and_tamper, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(post_seal_edges, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test(autopost_page_escapes),
		cmocka_unit_test(chooser_page_escapes),
		cmocka_unit_test(logout_page_escapes),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
