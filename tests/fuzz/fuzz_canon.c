/*
 * fuzz_canon.c - libFuzzer target for sg_gate_canonical_path: any target
 * gives a canonical path (absolute, no "//", no "." or ".." segment, no
 * NUL) or a 400.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_err err = { 0, "" };
	const char *out;
	char *s = malloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	if (sg_gate_canonical_path(s, a, &out, &err) == 0) {
		if (out[0] != '/' || strstr(out, "//") || strstr(out, "/./") || strstr(out, "/../"))
			abort();
	} else if (err.code != 400) {
		abort();
	}
	free(s);
	sg_arena_free(a);
	return 0;
}
