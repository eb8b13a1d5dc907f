/*
 * cookie.c - reading the Cookie fields of a request (RFC 6265 5.4 and
 * 4.2.1), removing some cookies before a request goes on, and reading
 * application/x-www-form-urlencoded text (WHATWG URL 5.1).
 *
 * A Cookie field is "name=value" pairs separated by ';'.  Browsers send
 * "; " between them, but other clients forget the space or send several
 * Cookie fields, so pairs are split on ';' alone and white space around a
 * name or a value is dropped.  A value is kept as sent: double quotes
 * around it stay part of it (RFC 6265 4.1.1 makes them part of the
 * cookie-value, and our own cookies never use them, so a quoted value of
 * ours is simply malformed).  A pair without '=' or with an empty name is
 * no cookie we can name: get and each skip it, strip keeps it.  Names
 * compare exactly (case-sensitive), as browsers do.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "http.h"

/* One pair of a Cookie field: the trimmed pair, its name and its value. */
struct cookie_pair {
	const char *pair; /* the pair without surrounding white space */
	size_t plen;
	const char *name;
	size_t nlen;
	const char *value; /* NULL when the pair has no '=' */
	size_t vlen;
};

/* RFC 9110 5.6.3 OWS: what clients put around pairs. */
static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Splits the pair at s..s+n (no ';' inside) into p. */
static void
cookie_split(const char *s, size_t n, struct cookie_pair *p)
{
	const char *eq;

	while (n > 0 && is_ows(*s))
		s++, n--;
	while (n > 0 && is_ows(s[n - 1]))
		n--;
	p->pair = s;
	p->plen = n;
	eq = memchr(s, '=', n);
	p->name = s;
	p->nlen = eq != NULL ? (size_t)(eq - s) : n;
	while (p->nlen > 0 && is_ows(s[p->nlen - 1]))
		p->nlen--;
	p->value = NULL;
	p->vlen = 0;
	if (eq != NULL) {
		p->value = eq + 1;
		p->vlen = n - (size_t)(eq + 1 - s);
		while (p->vlen > 0 && is_ows(*p->value))
			p->value++, p->vlen--;
	}
}

/* The next pair of the Cookie field value at *s, stepping *s past it;
 * false at the end.  Empty pairs (";;") are reported with plen 0. */
static bool
cookie_next(const char **s, struct cookie_pair *p)
{
	size_t n;

	if (**s == '\0')
		return false;
	n = strcspn(*s, ";");
	cookie_split(*s, n, p);
	*s += n + ((*s)[n] == ';');
	return true;
}

/* True when p is a cookie a caller can name: it has '=' and a name. */
static bool
cookie_named(const struct cookie_pair *p)
{
	return p->value != NULL && p->nlen > 0;
}

/* Every named pair of every Cookie field, in the order sent. */
void
sg_http_cookie_each(const struct sg_http_msg *m, sg_http_cookie_cb cb, void *arg)
{
	struct cookie_pair p;

	for (size_t i = 0; i < m->nh; i++) {
		const char *s = m->h[i].value;

		if (strcasecmp(m->h[i].name, "Cookie") != 0)
			continue;
		while (cookie_next(&s, &p))
			if (cookie_named(&p))
				cb(p.name, p.nlen, p.value, p.vlen, arg);
	}
}

/* What sg_http_cookie_get looks for and what it found. */
struct cookie_find {
	const char *name;
	size_t nlen;
	const char *value;
	size_t vlen;
};

/* Keeps the first pair named f->name. */
static void
cookie_find_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	struct cookie_find *f = arg;

	if (f->value == NULL && nlen == f->nlen && memcmp(name, f->name, nlen) == 0) {
		f->value = value;
		f->vlen = vlen;
	}
}

/* The first value sent for name, copied so that it ends in a NUL. */
const char *
sg_http_cookie_get(const struct sg_http_msg *m, const char *name, struct sg_arena *a)
{
	struct cookie_find f = { name, strlen(name), NULL, 0 };

	sg_http_cookie_each(m, cookie_find_cb, &f);
	return f.value != NULL ? sg_arena_strndup(a, f.value, f.vlen) : NULL;
}

/* True when p is to be stripped: named name, or its name starts with prefix. */
static bool
cookie_doomed(const struct cookie_pair *p, const char *name, const char *prefix)
{
	size_t n;

	if (!cookie_named(p))
		return false;
	if (name != NULL && p->nlen == strlen(name) && memcmp(p->name, name, p->nlen) == 0)
		return true;
	n = prefix != NULL ? strlen(prefix) : 0;
	return n > 0 && p->nlen >= n && memcmp(p->name, prefix, n) == 0;
}

/* Rebuilds one Cookie field value without the doomed pairs into b; returns
 * how many went (b is only meaningful when that is not 0). */
static size_t
cookie_rebuild(const char *s, const char *name, const char *prefix, struct sg_buf *b)
{
	struct cookie_pair p;
	size_t gone = 0;

	sg_buf_reset(b);
	while (cookie_next(&s, &p)) {
		if (cookie_doomed(&p, name, prefix)) {
			gone++;
			continue;
		}
		if (p.plen == 0)
			continue;
		if (b->len > 0)
			sg_buf_puts(b, "; ");
		sg_buf_append(b, p.pair, p.plen);
	}
	return gone;
}

/* Rewrites only the Cookie fields that lose a pair: the gateway's own
 * cookies never reach a backend, everything else does untouched. */
size_t
sg_http_cookie_strip(struct sg_http_msg *m, struct sg_arena *a, const char *name,
                     const char *prefix)
{
	struct sg_buf b = { 0 };
	size_t total = 0, kept = 0;

	for (size_t i = 0; i < m->nh; i++) {
		struct sg_http_header h = m->h[i];
		size_t gone;

		/* A field that loses nothing keeps its exact bytes. */
		if (strcasecmp(h.name, "Cookie") == 0 &&
		    (gone = cookie_rebuild(h.value, name, prefix, &b)) > 0) {
			total += gone;
			if (b.len == 0)
				continue;
			h.value = sg_arena_strndup(a, b.data, b.len);
		}
		m->h[kept++] = h;
	}
	m->nh = kept;
	sg_buf_free(&b);
	return total;
}

/* The value of one hex digit, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s..s+n ('+' and %XX) into a NUL-terminated string in a; NULL on
 * a stray '%' or a decoded NUL, which no C string can carry honestly. */
static char *
form_decode(const char *s, size_t n, struct sg_arena *a)
{
	char *out = sg_arena_alloc(a, n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] != '%') {
			if (s[i] == '\0')
				return NULL;
			*o++ = s[i];
		} else if (i + 2 < n && (hi = hex_value(s[i + 1])) >= 0 &&
		           (lo = hex_value(s[i + 2])) >= 0 && (hi | lo) != 0) {
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			return NULL;
		}
	}
	*o = '\0';
	return out;
}

/* Pairs split on '&'; names compare after decoding, exactly. */
const char *
sg_http_form_get(const char *form, size_t len, const char *name, struct sg_arena *a)
{
	const char *p = form, *end = form + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pend = amp != NULL ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pend - p));
		const char *nend = eq != NULL ? eq : pend;
		char *n = pend > p ? form_decode(p, (size_t)(nend - p), a) : NULL;

		/* The first pair of that name decides, even when it is bad. */
		if (n != NULL && strcmp(n, name) == 0)
			return eq != NULL ? form_decode(eq + 1, (size_t)(pend - eq - 1), a)
			                  : sg_arena_strdup(a, "");
		p = pend + (amp != NULL);
	}
	return NULL;
}

/* Request targets carry no fragment (RFC 9112 3.2), so '?' starts the rest. */
const char *
sg_http_target_query(const char *target)
{
	const char *q = strchr(target, '?');

	return q != NULL ? q + 1 : "";
}
