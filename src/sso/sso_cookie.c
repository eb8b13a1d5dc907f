/*
 * sso_cookie.c - the session cookie (RFC 6265 4.1): writing it, deleting
 * it, and reading the session id back from a request.  The cookie holds
 * only the random id; what it stands for lives in the session store.
 * SameSite=Lax keeps it off cross-site subrequests and POSTs while a link
 * from elsewhere still arrives signed in.
 */
#include "config.h"

#include <string.h>

#include "sso.h"
#include "sso_int.h"

/* Base64url of SG_SESSION_ID_LEN bytes, without padding. */
#define SSO_SESSION_ID_CHARS ((SG_SESSION_ID_LEN * 4 + 2) / 3)

/* "; Domain=D" when cookie_domain is set, else "". */
static const char *
sso_domain_attr(const struct sg_conf *c, struct sg_arena *a)
{
	if (c->session.cookie_domain == NULL)
		return "";
	return sg_arena_printf(a, "; Domain=%s", c->session.cookie_domain);
}

/* No Max-Age: a browser session cookie; the store's timeouts rule. */
const char *
sg_sso_session_cookie(const struct sg_conf *c, const uint8_t id[SG_SESSION_ID_LEN],
                      struct sg_arena *a)
{
	struct sg_buf b = { 0 };
	const char *v;

	sg_base64url_encode(id, SG_SESSION_ID_LEN, &b);
	v = sg_arena_printf(a, "%s=%s; Path=/; Secure; HttpOnly; SameSite=Lax%s",
	                    c->session.cookie_name, b.data, sso_domain_attr(c, a));
	sg_wipe(b.data, b.cap);
	sg_buf_free(&b);
	return v;
}

/* The same name, path and domain as the cookie, or the browser keeps it. */
const char *
sg_sso_session_cookie_clear(const struct sg_conf *c, struct sg_arena *a)
{
	return sg_arena_printf(a, "%s=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0%s",
	                       c->session.cookie_name, sso_domain_attr(c, a));
}

/* Where sso_session_cb puts the first session cookie it sees. */
struct sso_session_find {
	const char *name;
	size_t nlen;
	const char *value;
	size_t vlen;
	bool found;
};

/* The first cookie of that name decides, as sg_http_cookie_get does. */
static void
sso_session_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct sso_session_find *f = arg;

	if (!f->found && nlen == f->nlen && memcmp(name, f->name, nlen) == 0) {
		f->value = value;
		f->vlen = vlen;
		f->found = true;
	}
}

/* Exactly 43 base64url characters in their one canonical spelling. */
bool
sg_sso_session_id(const struct sg_conf *c, const struct sg_http_msg *m,
                  uint8_t id[SG_SESSION_ID_LEN])
{
	struct sso_session_find f = { 0 };

	f.name = c->session.cookie_name;
	f.nlen = strlen(f.name);
	sg_http_cookie_each(m, sso_session_cb, &f);
	if (!f.found || f.vlen != SSO_SESSION_ID_CHARS)
		return false;
	return sso_b64url_exact(f.value, f.vlen, id, SG_SESSION_ID_LEN) == 0;
}
