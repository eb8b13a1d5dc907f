/*
 * sso_int.h - internals of sso/: the small length-prefixed encoding that
 * the sealed login state and preserved POST bodies share (sso_wire.c),
 * and the base64url helpers around it.  Decoding is strict: every length
 * is checked against what is left and a record must be used up exactly.
 */
#ifndef SG_SSO_INT_H
#define SG_SSO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib.h"

/* A cursor over bytes being decoded; bad turns true at the first problem
 * and stays so, so a decoder checks it once at the end. */
struct sso_reader {
	const uint8_t *p;
	size_t left;
	bool bad;
};

void sso_put_u8(struct sg_buf *b, uint8_t v);
void sso_put_u32(struct sg_buf *b, uint32_t v);
void sso_put_u64(struct sg_buf *b, uint64_t v);
/* A string as a presence byte, a u32 length and the bytes; NULL is absent. */
void sso_put_str(struct sg_buf *b, const char *s);
/* A byte string: a u32 length and the bytes. */
void sso_put_bytes(struct sg_buf *b, const void *p, size_t n);

uint8_t sso_get_u8(struct sso_reader *r);
uint32_t sso_get_u32(struct sso_reader *r);
uint64_t sso_get_u64(struct sso_reader *r);
/* A string of at most max bytes, without NULs, copied into a; NULL when
 * absent (or bad: check r->bad). */
const char *sso_get_str(struct sso_reader *r, size_t max, struct sg_arena *a);
/* A byte string of at most max bytes, copied into a (NUL-terminated). */
const void *sso_get_bytes(struct sso_reader *r, size_t max, size_t *n, struct sg_arena *a);

/* True when s..s+n is made of base64url characters only. */
bool sso_b64url_chars(const char *s, size_t n);
/* Decodes exactly want bytes from the n base64url characters at s into
 * out, refusing any other spelling than the one sg_base64url_encode
 * makes (so one value has one encoding).  0 or -1. */
int sso_b64url_exact(const char *s, size_t n, void *out, size_t want);

#endif
