/*
 * buf.c - a growable byte buffer for building messages (a response head, a
 * status page).  It grows by doubling and is always NUL-terminated, so
 * text can be read back as a C string; the bytes may also hold NULs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

/* Makes room for n more bytes plus the terminating NUL. */
static void
buf_reserve(struct sg_buf *b, size_t n)
{
	size_t need = b->len + n + 1;

	if (need < n)
		sg_fatal("buffer size overflows");
	if (need <= b->cap)
		return;
	b->cap = b->cap ? b->cap : 256;
	while (b->cap < need)
		b->cap *= 2;
	b->data = sg_xrealloc(b->data, b->cap);
}

void
sg_buf_append(struct sg_buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
sg_buf_puts(struct sg_buf *b, const char *s)
{
	sg_buf_append(b, s, strlen(s));
}

void
sg_buf_printf(struct sg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		sg_fatal("cannot format into a buffer");
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
sg_buf_json_escape(struct sg_buf *b, const char *s)
{
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			sg_buf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sg_buf_printf(b, "\\u%04x", c);
		else
			sg_buf_append(b, s, 1);
	}
}

void
sg_buf_reset(struct sg_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
sg_buf_free(struct sg_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
