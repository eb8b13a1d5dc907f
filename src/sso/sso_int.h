/*
 * sso_int.h - internals of sso/: the strict base64url helpers (sso_wire.c)
 * for the values that travel in cookies and parameters.  The sealed login
 * state and preserved POST bodies inside them use lib/wire.c, whose
 * decoding is strict: every length is checked against what is left and a
 * record must be used up exactly.
 */
#ifndef SG_SSO_INT_H
#define SG_SSO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib.h"

/* True when s..s+n is made of base64url characters only. */
bool sso_b64url_chars(const char *s, size_t n);
/* Decodes exactly want bytes from the n base64url characters at s into
 * out, refusing any other spelling than the one sg_base64url_encode
 * makes (so one value has one encoding).  0 or -1. */
int sso_b64url_exact(const char *s, size_t n, void *out, size_t want);

#endif
