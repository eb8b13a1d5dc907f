/*
 * sso_wire.c - the encoding inside sealed records (login state, preserved
 * POST bodies): big-endian integers and length-prefixed strings.  It is
 * sealed before it leaves the gateway, so it needs no escaping, only
 * strict bounds when it comes back.  See sso_int.h.
 */
#include "config.h"

#include <string.h>

#include "sso_int.h"

/* Appends one byte. */
void
sso_put_u8(struct sg_buf *b, uint8_t v)
{
	sg_buf_append(b, &v, 1);
}

/* Appends v big-endian in four bytes. */
void
sso_put_u32(struct sg_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	sg_buf_append(b, x, sizeof(x));
}

/* Appends v big-endian in eight bytes. */
void
sso_put_u64(struct sg_buf *b, uint64_t v)
{
	sso_put_u32(b, (uint32_t)(v >> 32));
	sso_put_u32(b, (uint32_t)v);
}

/* Lengths beyond 4 GiB cannot be encoded; nothing we seal comes close. */
void
sso_put_bytes(struct sg_buf *b, const void *p, size_t n)
{
	if (n > UINT32_MAX)
		sg_fatal("sealed record field too long");
	sso_put_u32(b, (uint32_t)n);
	sg_buf_append(b, p, n);
}

/* A presence byte keeps NULL and "" apart. */
void
sso_put_str(struct sg_buf *b, const char *s)
{
	sso_put_u8(b, s != NULL);
	if (s != NULL)
		sso_put_bytes(b, s, strlen(s));
}

/* Takes n bytes, or marks r bad when fewer are left. */
static const uint8_t *
sso_take(struct sso_reader *r, size_t n)
{
	const uint8_t *p = r->p;

	if (r->bad || n > r->left) {
		r->bad = true;
		return NULL;
	}
	r->p += n;
	r->left -= n;
	return p;
}

/* One byte, 0 when none is left. */
uint8_t
sso_get_u8(struct sso_reader *r)
{
	const uint8_t *p = sso_take(r, 1);

	return p != NULL ? p[0] : 0;
}

/* Four bytes big-endian, 0 when fewer are left. */
uint32_t
sso_get_u32(struct sso_reader *r)
{
	const uint8_t *p = sso_take(r, 4);

	return p != NULL ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
	                 : 0;
}

/* Eight bytes big-endian. */
uint64_t
sso_get_u64(struct sso_reader *r)
{
	uint64_t hi = sso_get_u32(r);

	return hi << 32 | sso_get_u32(r);
}

/* The length is checked against max before anything is copied. */
const void *
sso_get_bytes(struct sso_reader *r, size_t max, size_t *n, struct sg_arena *a)
{
	uint32_t len = sso_get_u32(r);
	const uint8_t *p;
	char *out;

	*n = 0;
	if (len > max)
		r->bad = true;
	if ((p = sso_take(r, r->bad ? 0 : len)) == NULL)
		return NULL;
	out = sg_arena_alloc(a, (size_t)len + 1);
	memcpy(out, p, len);
	out[len] = '\0';
	*n = len;
	return out;
}

/* A string with a NUL inside would read back shorter than it was sealed. */
const char *
sso_get_str(struct sso_reader *r, size_t max, struct sg_arena *a)
{
	uint8_t present = sso_get_u8(r);
	const char *s;
	size_t n;

	if (present > 1)
		r->bad = true;
	if (r->bad || present == 0)
		return NULL;
	s = sso_get_bytes(r, max, &n, a);
	if (s != NULL && memchr(s, '\0', n) != NULL)
		r->bad = true;
	return r->bad ? NULL : s;
}

/* RFC 4648 5: A-Z a-z 0-9 - _. */
bool
sso_b64url_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* Re-encoding the bytes catches unused low bits set in the last character. */
int
sso_b64url_exact(const char *s, size_t n, void *out, size_t want)
{
	struct sg_buf dec = { 0 }, enc = { 0 };
	int rc = -1;

	if (n != (want * 4 + 2) / 3 || !sso_b64url_chars(s, n) ||
	    sg_base64url_decode(s, n, &dec) == -1 || dec.len != want)
		goto out;
	sg_base64url_encode(dec.data, dec.len, &enc);
	if (enc.len != n || memcmp(enc.data, s, n) != 0)
		goto out;
	memcpy(out, dec.data, want);
	rc = 0;
out:
	if (dec.data != NULL)
		sg_wipe(dec.data, dec.cap);
	sg_buf_free(&dec);
	if (enc.data != NULL)
		sg_wipe(enc.data, enc.cap);
	sg_buf_free(&enc);
	return rc;
}
