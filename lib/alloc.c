/*
 * alloc.c - allocation that cannot fail.  A daemon that runs out of memory
 * half-way through building a response cannot answer correctly anyway, so
 * every allocation either succeeds or ends the process with a log line.
 * Growth driven by untrusted input is bounded by configured limits elsewhere.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

static void SG_NORETURN
alloc_fail(size_t n)
{
	sg_fatal("out of memory allocating %zu bytes", n);
}

void *
sg_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		alloc_fail(n);
	return p;
}

void *
sg_xcalloc(size_t count, size_t n)
{
	void *p = calloc(count ? count : 1, n ? n : 1);

	if (p == NULL)
		alloc_fail(count * n);
	return p;
}

void *
sg_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		alloc_fail(n);
	return q;
}

char *
sg_xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		alloc_fail(strlen(s) + 1);
	return p;
}

char *
sg_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		alloc_fail(0);
	return s;
}

void
sg_wipe(void *p, size_t n)
{
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
#endif
}

void
sg_free_secret(char *s)
{
	if (s == NULL)
		return;
	sg_wipe(s, strlen(s));
	free(s);
}
