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
 * in the shapes of lib/wire.c: a str is a varint (LEB128) of length + 1
 * followed by the bytes, and 0 stands for NULL.  Decoding trusts nothing:
 * it never reads past the end, refuses trailing bytes, non-canonical
 * varints, NULs inside strings and groups and absurd group counts,
 * because a Redis server or a state file is outside our control.
 * Nothing here does I/O or keeps state.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "session.h"

#define SESSION_VERSION 1
#define SESSION_MAX_GROUPS 10000
#define SESSION_STR(f) offsetof(struct sg_session, f)

/* The strings before and after the protocol and the times, in their order
 * in the binary form: encoding and decoding share these lists. */
static const size_t session_head[] = { SESSION_STR(user), SESSION_STR(display_name),
	                               SESSION_STR(email), SESSION_STR(idp) };
static const size_t session_tail[] = {
	SESSION_STR(saml_name_id),       SESSION_STR(saml_name_id_format),
	SESSION_STR(saml_session_index), SESSION_STR(oidc_id_token),
	SESSION_STR(oidc_sid),           SESSION_STR(oidc_refresh_sealed),
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
		return session_pair(s->idp, s->saml_name_id, a);
	case SG_INDEX_SAML_SESSION:
		if (s->saml_session_index == NULL)
			return NULL;
		return session_pair(s->idp, session_pair(s->saml_name_id, s->saml_session_index, a),
		                    a);
	case SG_INDEX_OIDC_SID:
		return session_pair(s->idp, s->oidc_sid, a);
	case SG_INDEX_COUNT:
		break;
	}
	return NULL;
}

void
sg_session_encode(const struct sg_session *s, struct sg_buf *out)
{
	size_t i;

	sg_wire_put_u8(out, SESSION_VERSION);
	sg_buf_append(out, s->key, SG_SHA256_LEN);
	sg_wire_put_strs(out, s, session_head, SG_NELEM(session_head));
	sg_wire_put_varint(out, (uint64_t)(unsigned)s->protocol);
	sg_wire_put_i64(out, s->auth_time);
	sg_wire_put_i64(out, s->created);
	sg_wire_put_i64(out, s->expires);
	sg_wire_put_i64(out, s->last_seen);
	sg_wire_put_strs(out, s, session_tail, SG_NELEM(session_tail));
	sg_wire_put_varint(out, s->ngroups);
	for (i = 0; i < s->ngroups; i++)
		sg_wire_put_bytes(out, s->groups[i], strlen(s->groups[i]));
}

/* Reads the group count and the groups: each a varint length and the
 * bytes, which like every string here may not hold a NUL. */
static void
session_get_groups(struct sg_wire_reader *r, struct sg_arena *a, struct sg_session *s)
{
	uint64_t count = sg_wire_get_varint(r), i;
	size_t n;

	/* Each group takes at least one byte: refuse counts the input cannot hold
	 * before allocating for them. */
	if (r->bad || count > SESSION_MAX_GROUPS || count > r->left) {
		r->bad = true;
		return;
	}
	s->ngroups = (size_t)count;
	s->groups = count ? sg_arena_alloc(a, (size_t)count * sizeof(*s->groups)) : NULL;
	for (i = 0; i < count && !r->bad; i++) {
		s->groups[i] = sg_wire_get_bytes(r, SIZE_MAX, &n, a);
		if (s->groups[i] != NULL && memchr(s->groups[i], '\0', n) != NULL)
			r->bad = true;
	}
}

int
sg_session_decode(const void *p, size_t n, struct sg_arena *a, struct sg_session *s)
{
	struct sg_wire_reader r = { p, n, false };
	uint64_t proto;

	memset(s, 0, sizeof(*s));
	if (sg_wire_get_u8(&r) != SESSION_VERSION)
		goto fail;
	sg_wire_get_raw(&r, s->key, SG_SHA256_LEN);
	sg_wire_get_strs(&r, SIZE_MAX, a, s, session_head, SG_NELEM(session_head));
	proto = sg_wire_get_varint(&r);
	if (r.bad || proto > SG_PROTO_OIDC)
		goto fail;
	s->protocol = (int)proto;
	s->auth_time = sg_wire_get_i64(&r);
	s->created = sg_wire_get_i64(&r);
	s->expires = sg_wire_get_i64(&r);
	s->last_seen = sg_wire_get_i64(&r);
	sg_wire_get_strs(&r, SIZE_MAX, a, s, session_tail, SG_NELEM(session_tail));
	session_get_groups(&r, a, s);
	if (sg_wire_done(&r))
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
