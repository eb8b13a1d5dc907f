/*
 * fuzz_http.c - libFuzzer target for the HTTP/1.1 reader: the head
 * scanner, the head parser and the body decoder, fed the same bytes the way
 * net/client.c feeds them (the first byte chooses request or response).
 * Anything must end in a message, a wait for more bytes, or an error with
 * a status, never a crash or a read outside the input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
discard(const char *p, size_t n, void *arg)
{
	size_t *total = arg;

	(void)p;
	*total += n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct sg_http_limits lim = { 256, 4096, 50 };
	bool request = size > 0 && (data[0] & 1);
	struct sg_http_parser *p = sg_http_parser_new(request);
	struct sg_arena *a = sg_arena_new();
	struct sg_err err = { 0, "" };
	struct sg_http_msg m;
	const char *buf = (const char *)data + (size > 0);
	size_t len = size - (size > 0), pos = 0, total = 0;

	/* Up to three pipelined messages, each split into 7-byte feeds. */
	for (int k = 0; k < 3 && pos < len; k++) {
		ssize_t head = sg_http_head_scan(buf + pos, len - pos, request, &lim, &err);

		if (head <= 0) {
			if (head < 0 && err.code < 400)
				abort();
			break;
		}
		if (sg_http_parser_head(p, buf + pos, (size_t)head, a, &m, &err) == -1) {
			if (err.code < 400)
				abort();
			break;
		}
		pos += (size_t)head;
		for (;;) {
			size_t used = 0, n = len - pos < 7 ? len - pos : 7;
			enum sg_http_body_rc rc =
			    sg_http_parser_body(p, buf + pos, n, &used, discard, &total, &err);

			if (used > n)
				abort();
			pos += used;
			if (rc != SG_BODY_MORE || n == 0)
				break;
		}
		sg_http_parser_reset(p, false);
	}
	sg_http_parser_free(p);
	sg_arena_free(a);
	return 0;
}
