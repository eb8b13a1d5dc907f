/*
 * errlist.c - error reporting: an ordered list of finished messages
 * (configuration checking collects every problem instead of stopping at the
 * first, so that `ssogw -t` shows an admin all of them at once), and the
 * single-error struct sg_err that protocol code fills for its caller.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib.h"

void
sg_errlist_vadd(struct sg_errlist *e, const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		sg_fatal("out of memory formatting an error");
	if (e->count == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->msg = sg_xrealloc(e->msg, e->cap * sizeof(*e->msg));
	}
	e->msg[e->count++] = s;
}

void
sg_errlist_add(struct sg_errlist *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sg_errlist_vadd(e, fmt, ap);
	va_end(ap);
}

int
sg_err_set(struct sg_err *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
	va_end(ap);
	return -1;
}

void
sg_errlist_clear(struct sg_errlist *e)
{
	for (size_t i = 0; i < e->count; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->count = e->cap = 0;
}
