/*
 * fuzz_session.c - libFuzzer target for sg_session_decode, which reads what
 * Redis (shared with other processes) or a state file hands back: garbage
 * is refused, and whatever is accepted encodes back to the same bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_session s, again;
	struct sg_buf out = { 0 };

	if (sg_session_decode(data, size, a, &s) == 0) {
		if (s.user == NULL && s.ngroups > 0 && s.groups == NULL)
			abort();
		sg_session_encode(&s, &out);
		if (sg_session_decode(out.data, out.len, a, &again) != 0)
			abort();
		if (out.len != size || memcmp(out.data, data, size) != 0)
			abort(); /* one encoding per session */
	}
	sg_buf_free(&out);
	sg_arena_free(a);
	return 0;
}
