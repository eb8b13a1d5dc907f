/*
 * login_state.c - the sealed cookie that carries one login in flight.
 *
 * Starting a login sets "<cookie_name>_login_<ref>", where ref (22
 * base64url characters: creation time in ms, then random bytes) is also
 * what travels through the IdP as RelayState or OIDC state.  The value is
 * the state (app, IdP, return URL, request id, nonce, PKCE verifier...)
 * sealed with AES-256-GCM under the login key, with the cookie's name as
 * the associated data: a value copied under another ref does not open.
 * The creation time is sealed inside, so expiry does not rest on the
 * browser honouring Max-Age.  Several logins may be in flight (tabs);
 * login_state_max bounds how many cookies pile up, oldest out first.
 *
 * The record inside the seal (lib/wire.c): a version byte, created (i64),
 * a flags byte (1: force_authn, 2: a logout), then app, idp, return_url, request_id,
 * oidc_nonce, pkce_verifier, post_ref as optional strings.  It does not
 * check return_url; the caller did before sealing and may again after.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sso.h"
#include "sso_int.h"

/* 2: lengths as lib/wire.c varints (1 had u32 lengths); a record from an
 * older build in flight across an upgrade is refused, not misread. */
#define SSO_LOGIN_VERSION 2
#define SSO_REF_BYTES 16
#define SSO_REF_CHARS 22
/* Bounds on one field when opening; a cookie is ~4 KiB anyway. */
#define SSO_LOGIN_FIELD_MAX 8192
/* Clocks of a cluster may differ a little; more is a forged time. */
#define SSO_LOGIN_FUTURE_SLACK 60
#define SSO_LOGIN_STR(f) offsetof(struct sg_login_state, f)
#define SSO_FLAG_FORCE 1
#define SSO_FLAG_LOGOUT 2

/* The strings of the record, in their order: encoding and decoding share
 * this list. */
static const size_t sso_login_strs[] = {
	SSO_LOGIN_STR(app),        SSO_LOGIN_STR(idp),        SSO_LOGIN_STR(return_url),
	SSO_LOGIN_STR(request_id), SSO_LOGIN_STR(oidc_nonce), SSO_LOGIN_STR(pkce_verifier),
	SSO_LOGIN_STR(post_ref),
};

/* The ref is the time and 8 random bytes, so refs sort by age and cannot
 * be guessed. */
void
sg_sso_login_ref_new(int64_t now_ms, char ref[23])
{
	uint8_t raw[SSO_REF_BYTES];
	struct sg_buf b = { 0 };
	uint64_t t = (uint64_t)now_ms;

	for (int i = 0; i < 8; i++)
		raw[i] = (uint8_t)(t >> (56 - 8 * i));
	sg_csprng(raw + 8, 8);
	sg_base64url_encode(raw, sizeof(raw), &b);
	memcpy(ref, b.data, SSO_REF_CHARS);
	ref[SSO_REF_CHARS] = '\0';
	sg_buf_free(&b);
}

/* The prefix every login-state cookie's name starts with. */
static const char *
sso_login_prefix(const struct sg_conf *c, struct sg_arena *a)
{
	return sg_arena_printf(a, "%s_login_", c->session.cookie_name);
}

/* The name is the AEAD's associated data too: it binds value to ref. */
const char *
sg_sso_login_cookie_name(const struct sg_conf *c, const char *ref, struct sg_arena *a)
{
	return sg_arena_printf(a, "%s_login_%s", c->session.cookie_name, ref);
}

/* Serialises ls as described at the top of this file. */
static void
sso_login_encode(const struct sg_login_state *ls, struct sg_buf *b)
{
	sg_wire_put_u8(b, SSO_LOGIN_VERSION);
	sg_wire_put_i64(b, ls->created);
	sg_wire_put_u8(b, (uint8_t)((ls->force_authn ? SSO_FLAG_FORCE : 0) |
	                            (ls->logout ? SSO_FLAG_LOGOUT : 0)));
	sg_wire_put_strs(b, ls, sso_login_strs, SG_NELEM(sso_login_strs));
}

/* Strict inverse of sso_login_encode: known version, sane time, the
 * required strings present, nothing left over.  0 or -1. */
static int
sso_login_decode(const void *p, size_t n, struct sg_arena *a, struct sg_login_state *ls)
{
	struct sg_wire_reader r = { p, n, false };
	uint8_t flags;

	memset(ls, 0, sizeof(*ls));
	if (sg_wire_get_u8(&r) != SSO_LOGIN_VERSION)
		return -1;
	ls->created = sg_wire_get_i64(&r);
	flags = sg_wire_get_u8(&r);
	ls->force_authn = (flags & SSO_FLAG_FORCE) != 0;
	ls->logout = (flags & SSO_FLAG_LOGOUT) != 0;
	sg_wire_get_strs(&r, SSO_LOGIN_FIELD_MAX, a, ls, sso_login_strs, SG_NELEM(sso_login_strs));
	if (!sg_wire_done(&r) || (flags & ~(SSO_FLAG_FORCE | SSO_FLAG_LOGOUT)) != 0 ||
	    ls->created < 0 || ls->app == NULL || ls->idp == NULL || ls->return_url == NULL) {
		memset(ls, 0, sizeof(*ls));
		return -1;
	}
	return 0;
}

/* Max-Age in whole seconds, rounded up so the cookie outlives the check. */
static uint64_t
sso_login_ttl_s(const struct sg_conf *c)
{
	return (c->session.login_state_ttl_ms + 999) / 1000;
}

/* Host-only on purpose (no Domain): only this gateway reads it. */
const char *
sg_sso_login_cookie(const struct sg_conf *c, const uint8_t key[SG_KEY_LEN], const char *ref,
                    const struct sg_login_state *ls, struct sg_arena *a)
{
	const char *name = sg_sso_login_cookie_name(c, ref, a), *v;
	struct sg_buf plain = { 0 }, sealed = { 0 }, enc = { 0 };

	sso_login_encode(ls, &plain);
	sg_seal(key, name, plain.data, plain.len, &sealed);
	sg_base64url_encode(sealed.data, sealed.len, &enc);
	v = sg_arena_printf(a, "%s=%s; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=%llu", name,
	                    enc.data, (unsigned long long)sso_login_ttl_s(c));
	sg_wipe(plain.data, plain.cap);
	sg_buf_free(&plain);
	sg_buf_free(&sealed);
	sg_buf_free(&enc);
	return v;
}

/* Every attribute but Max-Age as set, so the browser matches the cookie. */
static const char *
sso_login_clear_named(const char *name, size_t n, struct sg_arena *a)
{
	return sg_arena_printf(a, "%.*s=; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=0",
	                       (int)n, name);
}

/* See sso_login_clear_named. */
const char *
sg_sso_login_cookie_clear(const struct sg_conf *c, const char *ref, struct sg_arena *a)
{
	const char *name = sg_sso_login_cookie_name(c, ref, a);

	return sso_login_clear_named(name, strlen(name), a);
}

/* One login-state cookie found in a request. */
struct sso_login_seen {
	const char *name;
	size_t nlen;
	int64_t ms;   /* from the ref; INT64_MIN when the ref does not decode */
	size_t order; /* position in the request, to keep the sort stable */
};

/* What sso_login_collect_cb gathers. */
struct sso_login_collect {
	const char *prefix;
	size_t plen;
	struct sso_login_seen *v;
	size_t count, cap;
	struct sg_arena *a;
};

/* RFC 6265 4.1.1 cookie-name (a token): only such a name can be echoed
 * into a Set-Cookie; anything else was not set by us. */
static bool
sso_cookie_token(const char *s, size_t n)
{
	static const char tch[] = "!#$%&'*+-.^_`|~";

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || (ch != 0 && strchr(tch, ch) != NULL)))
			return false;
	}
	return true;
}

/* The creation time in ms a ref carries, or INT64_MIN (oldest). */
static int64_t
sso_ref_time(const char *ref, size_t n)
{
	uint8_t raw[SSO_REF_BYTES];
	uint64_t t = 0;

	if (sso_b64url_exact(ref, n, raw, sizeof(raw)) == -1)
		return INT64_MIN;
	for (int i = 0; i < 8; i++)
		t = t << 8 | raw[i];
	return t > INT64_MAX ? INT64_MIN : (int64_t)t;
}

/* Keeps each distinct login-state cookie once. */
static void
sso_login_collect_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct sso_login_collect *k = arg;

	(void)value;
	(void)vlen;
	if (nlen <= k->plen || memcmp(name, k->prefix, k->plen) != 0 ||
	    !sso_cookie_token(name, nlen))
		return;
	for (size_t i = 0; i < k->count; i++)
		if (k->v[i].nlen == nlen && memcmp(k->v[i].name, name, nlen) == 0)
			return;
	if (k->count == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 8;
		struct sso_login_seen *v = sg_arena_alloc(k->a, cap * sizeof(*v));

		if (k->count > 0)
			memcpy(v, k->v, k->count * sizeof(*v));
		k->v = v;
		k->cap = cap;
	}
	k->v[k->count] =
	    (struct sso_login_seen){ name, nlen, sso_ref_time(name + k->plen, nlen - k->plen),
		                     k->count };
	k->count++;
}

/* Oldest first; equal times keep the request's order. */
static int
sso_login_seen_cmp(const void *x, const void *y)
{
	const struct sso_login_seen *a = x, *b = y;

	if (a->ms != b->ms)
		return a->ms < b->ms ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Leaves room for the cookie about to be set: login_state_max - 1 stay. */
size_t
sg_sso_login_cookies_to_drop(const struct sg_conf *c, const struct sg_http_msg *m,
                             struct sg_arena *a, const char ***out)
{
	struct sso_login_collect k = { 0 };
	uint64_t keep = c->session.login_state_max > 0 ? c->session.login_state_max - 1 : 0;
	size_t drop;
	const char **v;

	k.prefix = sso_login_prefix(c, a);
	k.plen = strlen(k.prefix);
	k.a = a;
	sg_http_cookie_each(m, sso_login_collect_cb, &k);
	*out = NULL;
	if (k.count <= keep)
		return 0;
	drop = k.count - (size_t)keep;
	qsort(k.v, k.count, sizeof(*k.v), sso_login_seen_cmp);
	v = sg_arena_alloc(a, drop * sizeof(*v));
	for (size_t i = 0; i < drop; i++)
		v[i] = sso_login_clear_named(k.v[i].name, k.v[i].nlen, a);
	*out = v;
	return drop;
}

/* Unseals value (base64url) under name into out; 0 or -1. */
static int
sso_login_unseal(const uint8_t key[SG_KEY_LEN], const char *name, const char *value,
                 struct sg_arena *a, struct sg_login_state *out)
{
	struct sg_buf sealed = { 0 }, plain = { 0 };
	int rc = -1;

	if (!sso_b64url_chars(value, strlen(value)) ||
	    sg_base64url_decode(value, strlen(value), &sealed) == -1 ||
	    sg_unseal(key, name, sealed.data, sealed.len, &plain) == -1)
		goto out;
	rc = sso_login_decode(plain.data, plain.len, a, out);
out:
	if (plain.data != NULL)
		sg_wipe(plain.data, plain.cap);
	sg_buf_free(&plain);
	sg_buf_free(&sealed);
	return rc;
}

/* The details are shown to the user: they say what to do, not how. */
int
sg_sso_login_state_open(const struct sg_conf *c, const uint8_t key[SG_KEY_LEN],
                        const struct sg_http_msg *m, const char *ref, int64_t now,
                        struct sg_arena *a, struct sg_login_state *out, struct sg_err *err)
{
	const char *name, *value;
	int64_t ttl = (int64_t)(c->session.login_state_ttl_ms / 1000);

	memset(out, 0, sizeof(*out));
	if (ref == NULL || strlen(ref) != SSO_REF_CHARS || !sso_b64url_chars(ref, SSO_REF_CHARS))
		return sg_err_set(err, 400,
		                  "The sign-in reference is malformed; please start again.");
	name = sg_sso_login_cookie_name(c, ref, a);
	value = sg_http_cookie_get(m, name, a);
	if (value == NULL || *value == '\0')
		return sg_err_set(err, 400,
		                  "The sign-in was not found: it took too long, or cookies are "
		                  "blocked; please enable cookies and try again.");
	if (sso_login_unseal(key, name, value, a, out) == -1)
		return sg_err_set(err, 400,
		                  "The sign-in state is invalid (altered, or from another gateway "
		                  "or key); please start again.");
	if (out->created > now + SSO_LOGIN_FUTURE_SLACK) {
		memset(out, 0, sizeof(*out));
		return sg_err_set(err, 400,
		                  "The sign-in state is dated in the future; check the gateway's "
		                  "clock and start again.");
	}
	if (now - out->created > ttl) {
		memset(out, 0, sizeof(*out));
		return sg_err_set(err, 400,
		                  "The sign-in took too long and has expired; please start again.");
	}
	return 0;
}
