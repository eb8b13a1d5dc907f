/*
 * fuzz_saml_redirect.c - libFuzzer target for sg_saml_redirect_decode, the
 * HTTP-Redirect binding's base64 + raw INFLATE: any bytes either decode to
 * at most max bytes, NUL-terminated, or fail with an input error and a
 * reason.  max is small so that inflating past it (a zip bomb) is common.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "saml.h"

#define FUZZ_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_err err = { 0 };
	const char *xml = NULL;
	size_t n = 0;
	char *s = malloc(size + 1);

	/* A copy of exactly size bytes, so that ASan sees any read past it. */
	memcpy(s, data, size);
	if (sg_saml_redirect_decode(s, size, FUZZ_MAX, a, &xml, &n, &err) == 0) {
		if (xml == NULL || n > FUZZ_MAX || xml[n] != '\0')
			abort();
	} else if (err.code != SG_SAML_ERR_INPUT || err.detail[0] == '\0' || xml != NULL) {
		abort();
	}
	free(s);
	sg_arena_free(a);
	return 0;
}
