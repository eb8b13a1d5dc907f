/*
 * sso_wire.c - the strict base64url checks for what sso/ puts on the wire
 * in cookies and parameters (login refs, sealed login state, session ids):
 * one value has one spelling.  The records inside the seals use the
 * generic encoding of lib/wire.c.  See sso_int.h.
 */
#include "config.h"

#include <string.h>

#include "sso_int.h"

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

/* sg_base64url_decode already refuses characters outside the alphabet
 * and unused low bits set in the last one; the length makes it exact. */
int
sso_b64url_exact(const char *s, size_t n, void *out, size_t want)
{
	struct sg_buf dec = { 0 };
	int rc = -1;

	if (n == (want * 4 + 2) / 3 && sg_base64url_decode(s, n, &dec) == 0 && dec.len == want) {
		memcpy(out, dec.data, want);
		rc = 0;
	}
	if (dec.data != NULL)
		sg_wipe(dec.data, dec.cap);
	sg_buf_free(&dec);
	return rc;
}
