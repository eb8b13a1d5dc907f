/*
 * fuzz_url.c - libFuzzer target for sg_url_parse: any bytes give a URL
 * whose parts obey their invariants, or an error with a reason.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_arena *a = sg_arena_new();
	const char *why = NULL;
	struct sg_url u;
	char *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	if (sg_url_parse(s, a, &u, &why) == 0) {
		if (u.host == NULL || u.host[0] == '\0' || u.port == 0 || u.path == NULL ||
		    u.path[0] != '/')
			abort();
	} else if (why == NULL) {
		abort();
	}
	free(s);
	sg_arena_free(a);
	return 0;
}
