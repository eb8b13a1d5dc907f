/*
 * headers.c - the header list of a message: lookup, add, remove and
 * serialise.  Field names compare case-insensitively (RFC 9110 5.1); the
 * order of fields is kept, since some recipients care about it.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "http.h"

const char *
sg_http_get(const struct sg_http_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nh; i++)
		if (strcasecmp(m->h[i].name, name) == 0)
			return m->h[i].value;
	return NULL;
}

size_t
sg_http_count(const struct sg_http_msg *m, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nh; i++)
		n += strcasecmp(m->h[i].name, name) == 0;
	return n;
}

void
sg_http_add(struct sg_http_msg *m, struct sg_arena *a, const char *name, const char *value)
{
	if (m->nh == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct sg_http_header *h = sg_arena_alloc(a, cap * sizeof(*h));

		if (m->nh > 0)
			memcpy(h, m->h, m->nh * sizeof(*h));
		m->h = h;
		m->cap = cap;
	}
	m->h[m->nh].name = sg_arena_strdup(a, name);
	m->h[m->nh].value = sg_arena_strdup(a, value);
	m->nh++;
}

size_t
sg_http_remove(struct sg_http_msg *m, const char *name)
{
	size_t kept = 0, before = m->nh;

	for (size_t i = 0; i < m->nh; i++)
		if (strcasecmp(m->h[i].name, name) != 0)
			m->h[kept++] = m->h[i];
	m->nh = kept;
	return before - kept;
}

void
sg_http_set(struct sg_http_msg *m, struct sg_arena *a, const char *name, const char *value)
{
	sg_http_remove(m, name);
	sg_http_add(m, a, name, value);
}

const char *
sg_http_next_element(const char *s, size_t *n)
{
	s += strspn(s, " \t,");
	if (*s == '\0')
		return NULL;
	*n = strcspn(s, ",");
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

/* True when the comma-separated list s holds token. */
static bool
list_has_token(const char *s, const char *token)
{
	size_t tlen = strlen(token), n;

	while ((s = sg_http_next_element(s, &n)) != NULL) {
		if (n == tlen && strncasecmp(s, token, n) == 0)
			return true;
		s += n;
	}
	return false;
}

bool
sg_http_has_token(const struct sg_http_msg *m, const char *name, const char *token)
{
	for (size_t i = 0; i < m->nh; i++)
		if (strcasecmp(m->h[i].name, name) == 0 && list_has_token(m->h[i].value, token))
			return true;
	return false;
}

size_t
sg_http_head_size(const struct sg_http_msg *m)
{
	/* "METHOD SP target SP HTTP/1.x CRLF" or "HTTP/1.x SP 200 SP reason CRLF" */
	size_t n = m->is_request ? strlen(m->method) + 1 + strlen(m->target) + 11
	                         : 13 + strlen(m->reason ? m->reason : "") + 2;

	for (size_t i = 0; i < m->nh; i++)
		n += strlen(m->h[i].name) + 2 + strlen(m->h[i].value) + 2;
	return n + 2;
}

void
sg_http_serialize_head(const struct sg_http_msg *m, struct sg_buf *out)
{
	if (m->is_request)
		sg_buf_printf(out, "%s %s HTTP/%u.%u\r\n", m->method, m->target, m->major,
		              m->minor);
	else
		sg_buf_printf(out, "HTTP/%u.%u %03d %s\r\n", m->major, m->minor, m->status,
		              m->reason ? m->reason : "");
	for (size_t i = 0; i < m->nh; i++) {
		sg_buf_puts(out, m->h[i].name);
		sg_buf_append(out, ": ", 2);
		sg_buf_puts(out, m->h[i].value);
		sg_buf_append(out, "\r\n", 2);
	}
	sg_buf_append(out, "\r\n", 2);
}
