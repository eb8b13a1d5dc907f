/*
 * session.c - the session object: new ids and their store keys, the values
 * of the secondary indexes, a deep copy, and the compact binary form that
 * the memory store keeps, Redis holds and the state file carries.
 *
 * The binary form (version 1), in this fixed order:
 *   u8      version (1)
 *   32      key
 *   str     user, display_name, email, idp
 *   varint  protocol
 *   be64    auth_time, created, expires, last_seen
 *   str     saml_name_id, saml_name_id_format, saml_session_index,
 *           oidc_id_token, oidc_sid, oidc_refresh_sealed
 *   varint  group count, then each group as varint length + bytes
 * where a str is a varint (LEB128) of length + 1 followed by the bytes, and
 * 0 stands for NULL.  Decoding trusts nothing: it never reads past the end,
 * refuses trailing bytes, NULs inside strings and absurd group counts,
 * because a Redis server or a state file is outside our control.
 * Nothing here does I/O or keeps state.
 */
#include "config.h"

#include <string.h>

#include "session.h"

#define SESSION_VERSION 1
#define SESSION_MAX_GROUPS 10000

/* A cursor over bytes being decoded. */
struct session_reader {
	const uint8_t *p;
	size_t n;
	size_t off;
};

void
sg_session_new_id(uint8_t id[SG_SESSION_ID_LEN], uint8_t key[SG_SHA256_LEN])
{
	sg_csprng(id, SG_SESSION_ID_LEN);
	sg_session_key_of(id, key);
}

void
sg_session_key_of(const uint8_t id[SG_SESSION_ID_LEN], uint8_t key[SG_SHA256_LEN])
{
	sg_sha256(id, SG_SESSION_ID_LEN, key);
}

/* Joins two parts with "\n" (which neither may contain in a name). */
static const char *
session_pair(const char *a, const char *b, struct sg_arena *ar)
{
	if (a == NULL || b == NULL)
		return NULL;
	return sg_arena_printf(ar, "%s\n%s", a, b);
}

const char *
sg_session_index_value(const struct sg_session *s, enum sg_session_index kind, struct sg_arena *a)
{
	switch (kind) {
	case SG_INDEX_USER:
		return s->user ? sg_arena_strdup(a, s->user) : NULL;
	case SG_INDEX_SAML_NAMEID:
		return s->saml_name_id ? sg_arena_strdup(a, s->saml_name_id) : NULL;
	case SG_INDEX_SAML_SESSION:
		return session_pair(s->saml_name_id, s->saml_session_index, a);
	case SG_INDEX_OIDC_SID:
		return session_pair(s->idp, s->oidc_sid, a);
	case SG_INDEX_COUNT:
		break;
	}
	return NULL;
}

/* Appends v as an unsigned LEB128 varint. */
static void
session_put_varint(struct sg_buf *out, uint64_t v)
{
	uint8_t b[10];
	size_t i = 0;

	while (v >= 0x80) {
		b[i++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b[i++] = (uint8_t)v;
	sg_buf_append(out, b, i);
}

/* Appends v as 8 bytes, most significant first. */
static void
session_put_i64(struct sg_buf *out, int64_t v)
{
	uint64_t u = (uint64_t)v;
	uint8_t b[8];
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = (uint8_t)u;
		u >>= 8;
	}
	sg_buf_append(out, b, sizeof(b));
}

/* Appends an optional string: length + 1, or 0 for NULL. */
static void
session_put_str(struct sg_buf *out, const char *s)
{
	size_t n;

	if (s == NULL) {
		session_put_varint(out, 0);
		return;
	}
	n = strlen(s);
	session_put_varint(out, (uint64_t)n + 1);
	sg_buf_append(out, s, n);
}

void
sg_session_encode(const struct sg_session *s, struct sg_buf *out)
{
	uint8_t version = SESSION_VERSION;
	size_t i;

	sg_buf_append(out, &version, 1);
	sg_buf_append(out, s->key, SG_SHA256_LEN);
	session_put_str(out, s->user);
	session_put_str(out, s->display_name);
	session_put_str(out, s->email);
	session_put_str(out, s->idp);
	session_put_varint(out, (uint64_t)(unsigned)s->protocol);
	session_put_i64(out, s->auth_time);
	session_put_i64(out, s->created);
	session_put_i64(out, s->expires);
	session_put_i64(out, s->last_seen);
	session_put_str(out, s->saml_name_id);
	session_put_str(out, s->saml_name_id_format);
	session_put_str(out, s->saml_session_index);
	session_put_str(out, s->oidc_id_token);
	session_put_str(out, s->oidc_sid);
	session_put_str(out, s->oidc_refresh_sealed);
	session_put_varint(out, s->ngroups);
	for (i = 0; i < s->ngroups; i++) {
		size_t n = strlen(s->groups[i]);

		session_put_varint(out, n);
		sg_buf_append(out, s->groups[i], n);
	}
}

/* Reads a varint of at most 64 bits; -1 past the end or on overflow. */
static int
session_get_varint(struct session_reader *r, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	for (;;) {
		uint8_t b;

		if (r->off >= r->n || shift > 63)
			return -1;
		b = r->p[r->off++];
		if (shift == 63 && (b & 0x7e) != 0)
			return -1;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			return b == 0 && shift > 0 ? -1 : 0; /* one encoding per value */
		shift += 7;
	}
}

static int
session_get_i64(struct session_reader *r, int64_t *v)
{
	uint64_t u = 0;
	int i;

	if (r->n - r->off < 8)
		return -1;
	for (i = 0; i < 8; i++)
		u = u << 8 | r->p[r->off++];
	*v = (int64_t)u;
	return 0;
}

/* Copies n bytes into a as a C string; -1 past the end or on a NUL. */
static int
session_get_bytes(struct session_reader *r, uint64_t n, struct sg_arena *a, const char **out)
{
	if (n > r->n - r->off || memchr(r->p + r->off, '\0', (size_t)n) != NULL)
		return -1;
	*out = sg_arena_strndup(a, (const char *)r->p + r->off, (size_t)n);
	r->off += (size_t)n;
	return 0;
}

/* Reads an optional string (see the file comment). */
static int
session_get_str(struct session_reader *r, struct sg_arena *a, const char **out)
{
	uint64_t n;

	*out = NULL;
	if (session_get_varint(r, &n) == -1)
		return -1;
	if (n == 0)
		return 0;
	return session_get_bytes(r, n - 1, a, out);
}

/* Reads the group count and the groups. */
static int
session_get_groups(struct session_reader *r, struct sg_arena *a, struct sg_session *s)
{
	uint64_t count, n, i;

	if (session_get_varint(r, &count) == -1 || count > SESSION_MAX_GROUPS)
		return -1;
	/* Each group takes at least one byte: refuse counts the input cannot hold
	 * before allocating for them. */
	if (count > r->n - r->off)
		return -1;
	s->ngroups = (size_t)count;
	s->groups = count ? sg_arena_alloc(a, (size_t)count * sizeof(*s->groups)) : NULL;
	for (i = 0; i < count; i++)
		if (session_get_varint(r, &n) == -1 ||
		    session_get_bytes(r, n, a, &s->groups[i]) == -1)
			return -1;
	return 0;
}

int
sg_session_decode(const void *p, size_t n, struct sg_arena *a, struct sg_session *s)
{
	struct session_reader r = { p, n, 0 };
	uint64_t proto;

	memset(s, 0, sizeof(*s));
	if (n < 1 + SG_SHA256_LEN || r.p[0] != SESSION_VERSION)
		goto fail;
	memcpy(s->key, r.p + 1, SG_SHA256_LEN);
	r.off = 1 + SG_SHA256_LEN;
	if (session_get_str(&r, a, &s->user) == -1 ||
	    session_get_str(&r, a, &s->display_name) == -1 ||
	    session_get_str(&r, a, &s->email) == -1 || session_get_str(&r, a, &s->idp) == -1 ||
	    session_get_varint(&r, &proto) == -1 || proto > SG_PROTO_OIDC)
		goto fail;
	s->protocol = (int)proto;
	if (session_get_i64(&r, &s->auth_time) == -1 || session_get_i64(&r, &s->created) == -1 ||
	    session_get_i64(&r, &s->expires) == -1 || session_get_i64(&r, &s->last_seen) == -1)
		goto fail;
	if (session_get_str(&r, a, &s->saml_name_id) == -1 ||
	    session_get_str(&r, a, &s->saml_name_id_format) == -1 ||
	    session_get_str(&r, a, &s->saml_session_index) == -1 ||
	    session_get_str(&r, a, &s->oidc_id_token) == -1 ||
	    session_get_str(&r, a, &s->oidc_sid) == -1 ||
	    session_get_str(&r, a, &s->oidc_refresh_sealed) == -1 ||
	    session_get_groups(&r, a, s) == -1 || r.off != r.n)
		goto fail;
	return 0;
fail:
	/* Nothing half-read is left for a careless caller to use. */
	memset(s, 0, sizeof(*s));
	return -1;
}

/* A copy of an optional string in a. */
static const char *
session_dup(struct sg_arena *a, const char *s)
{
	return s ? sg_arena_strdup(a, s) : NULL;
}

void
sg_session_copy(const struct sg_session *s, struct sg_arena *a, struct sg_session *out)
{
	struct sg_session c = *s;
	size_t i;

	c.user = session_dup(a, s->user);
	c.display_name = session_dup(a, s->display_name);
	c.email = session_dup(a, s->email);
	c.idp = session_dup(a, s->idp);
	c.saml_name_id = session_dup(a, s->saml_name_id);
	c.saml_name_id_format = session_dup(a, s->saml_name_id_format);
	c.saml_session_index = session_dup(a, s->saml_session_index);
	c.oidc_id_token = session_dup(a, s->oidc_id_token);
	c.oidc_sid = session_dup(a, s->oidc_sid);
	c.oidc_refresh_sealed = session_dup(a, s->oidc_refresh_sealed);
	c.groups = NULL;
	if (s->ngroups > 0) {
		c.groups = sg_arena_alloc(a, s->ngroups * sizeof(*c.groups));
		for (i = 0; i < s->ngroups; i++)
			c.groups[i] = sg_arena_strdup(a, s->groups[i]);
	}
	*out = c;
}
