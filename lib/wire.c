/*
 * wire.c - a small binary encoding for records that ssogw writes and later
 * reads back (sessions in a store, sealed cookies and blobs): single bytes,
 * unsigned LEB128 varints, 64-bit integers as 8 bytes big-endian, optional
 * strings as a varint of length + 1 (0 for NULL) and the bytes, and byte
 * strings as a varint length and the bytes.  What the fields are and in
 * which order they come is the caller's; this file only knows the shapes.
 *
 * Decoding trusts nothing, since the bytes may come from a store outside
 * our control or from a forged record: every length is checked against
 * what is left and against the caller's maximum, a varint has exactly one
 * spelling per value and fits in 64 bits, and strings hold no NULs.  The
 * reader's bad flag is sticky: after the first problem every read yields
 * 0 or NULL, so a decoder reads all its fields and checks once at the end
 * (sg_wire_done) that nothing went wrong and nothing is left over.
 */
#include "config.h"

#include <string.h>

#include "lib.h"

/* The most bytes a 64-bit varint takes: ceil(64 / 7). */
#define WIRE_VARINT_MAX 10

/* Appends one byte. */
void
sg_wire_put_u8(struct sg_buf *b, uint8_t v)
{
	sg_buf_append(b, &v, 1);
}

/* Seven bits a byte, least significant first, the high bit meaning "more". */
void
sg_wire_put_varint(struct sg_buf *b, uint64_t v)
{
	uint8_t x[WIRE_VARINT_MAX];
	size_t i = 0;

	while (v >= 0x80) {
		x[i++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	x[i++] = (uint8_t)v;
	sg_buf_append(b, x, i);
}

/* Two's complement, most significant byte first. */
void
sg_wire_put_i64(struct sg_buf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;
	uint8_t x[8];

	for (int i = 7; i >= 0; i--) {
		x[i] = (uint8_t)u;
		u >>= 8;
	}
	sg_buf_append(b, x, sizeof(x));
}

/* A varint length, then the bytes. */
void
sg_wire_put_bytes(struct sg_buf *b, const void *p, size_t n)
{
	sg_wire_put_varint(b, (uint64_t)n);
	sg_buf_append(b, p, n);
}

/* Length + 1 keeps NULL (0) and "" (1) apart in one varint. */
void
sg_wire_put_str(struct sg_buf *b, const char *s)
{
	size_t n;

	if (s == NULL) {
		sg_wire_put_varint(b, 0);
		return;
	}
	n = strlen(s);
	sg_wire_put_varint(b, (uint64_t)n + 1);
	sg_buf_append(b, s, n);
}

/* memcpy reads the pointers whatever the struct's layout, without casts
 * that alignment or aliasing rules could object to. */
void
sg_wire_put_strs(struct sg_buf *b, const void *base, const size_t *off, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s;

		memcpy(&s, (const char *)base + off[i], sizeof(s));
		sg_wire_put_str(b, s);
	}
}

/* Takes n bytes, or marks r bad (and takes none) when fewer are left. */
static const uint8_t *
wire_take(struct sg_wire_reader *r, size_t n)
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
sg_wire_get_u8(struct sg_wire_reader *r)
{
	const uint8_t *p = wire_take(r, 1);

	return p != NULL ? p[0] : 0;
}

/* Copies exactly n bytes to out; zeroes out when fewer are left. */
void
sg_wire_get_raw(struct sg_wire_reader *r, void *out, size_t n)
{
	const uint8_t *p = wire_take(r, n);

	if (p != NULL)
		memcpy(out, p, n);
	else if (n > 0)
		memset(out, 0, n);
}

/* The only spelling accepted is the one sg_wire_put_varint makes: no
 * trailing zero group, and in the tenth byte only the 64th bit. */
uint64_t
sg_wire_get_varint(struct sg_wire_reader *r)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		const uint8_t *p = wire_take(r, 1);

		if (p == NULL)
			return 0;
		if ((shift == 63 && p[0] > 1) || (p[0] == 0 && shift > 0))
			break;
		v |= (uint64_t)(p[0] & 0x7f) << shift;
		if ((p[0] & 0x80) == 0)
			return v;
	}
	r->bad = true;
	return 0;
}

/* Eight bytes big-endian, 0 when fewer are left. */
int64_t
sg_wire_get_i64(struct sg_wire_reader *r)
{
	const uint8_t *p = wire_take(r, 8);
	uint64_t u = 0;

	if (p == NULL)
		return 0;
	for (int i = 0; i < 8; i++)
		u = u << 8 | p[i];
	return (int64_t)u;
}

/* Copies n bytes into a, NUL-terminated, after checking n against max and
 * what is left, so a corrupt length allocates nothing. */
static char *
wire_copy(struct sg_wire_reader *r, uint64_t n, size_t max, struct sg_arena *a)
{
	const uint8_t *p;
	char *out;

	if (n > max || n > r->left)
		r->bad = true;
	p = wire_take(r, r->bad ? 0 : (size_t)n);
	if (r->bad)
		return NULL;
	out = sg_arena_alloc(a, (size_t)n + 1);
	if (n > 0)
		memcpy(out, p, (size_t)n);
	out[n] = '\0';
	return out;
}

/* A byte string of at most max bytes, copied into a with a NUL after it
 * (which *n does not count); NULL and *n = 0 when r is or turns bad. */
const void *
sg_wire_get_bytes(struct sg_wire_reader *r, size_t max, size_t *n, struct sg_arena *a)
{
	uint64_t len = sg_wire_get_varint(r);
	const char *out = r->bad ? NULL : wire_copy(r, len, max, a);

	*n = out != NULL ? (size_t)len : 0;
	return out;
}

/* A NUL inside would make the string read back shorter than it was
 * written, so it is refused. */
const char *
sg_wire_get_str(struct sg_wire_reader *r, size_t max, struct sg_arena *a)
{
	uint64_t len = sg_wire_get_varint(r);
	const char *s;

	if (r->bad || len == 0)
		return NULL;
	s = wire_copy(r, len - 1, max, a);
	if (s != NULL && memchr(s, '\0', (size_t)len - 1) != NULL)
		r->bad = true;
	return r->bad ? NULL : s;
}

/* Each field is set, to NULL at the latest once r is bad. */
void
sg_wire_get_strs(struct sg_wire_reader *r, size_t max, struct sg_arena *a, void *base,
                 const size_t *off, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = sg_wire_get_str(r, max, a);

		memcpy((char *)base + off[i], &s, sizeof(s));
	}
}

/* True when every read succeeded and the record was used up exactly. */
bool
sg_wire_done(const struct sg_wire_reader *r)
{
	return !r->bad && r->left == 0;
}
