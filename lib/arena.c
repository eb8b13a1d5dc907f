/*
 * arena.c - a region allocator.  Objects whose lifetimes end together (one
 * request, one configuration snapshot) are carved from large chunks and
 * released in one call.  Freed chunks are wiped first, because snapshots hold
 * secrets and requests hold tokens.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

#define ARENA_CHUNK 4096
#define ARENA_ALIGN 16

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct sg_arena {
	struct arena_chunk *head;
};

struct sg_arena *
sg_arena_new(void)
{
	return sg_xcalloc(1, sizeof(struct sg_arena));
}

/* Starts a chunk big enough for n bytes and puts it at the head. */
static struct arena_chunk *
arena_grow(struct sg_arena *a, size_t n)
{
	size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;
	struct arena_chunk *c = sg_xmalloc(sizeof(*c) + size);

	c->size = size;
	c->used = 0;
	c->next = a->head;
	a->head = c;
	return c;
}

void *
sg_arena_alloc(struct sg_arena *a, size_t n)
{
	struct arena_chunk *c = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *p;

	if (need < n)
		sg_fatal("arena allocation of %zu bytes overflows", n);
	if (c == NULL || c->size - c->used < need)
		c = arena_grow(a, need);
	p = c->data + c->used;
	c->used += need;
	memset(p, 0, n);
	return p;
}

char *
sg_arena_strndup(struct sg_arena *a, const char *s, size_t n)
{
	char *p = sg_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
sg_arena_strdup(struct sg_arena *a, const char *s)
{
	return sg_arena_strndup(a, s, strlen(s));
}

char *
sg_arena_printf(struct sg_arena *a, const char *fmt, ...)
{
	char small[256], *p;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		sg_fatal("cannot format a string");
	p = sg_arena_alloc(a, (size_t)n + 1);
	if ((size_t)n < sizeof(small)) {
		memcpy(p, small, (size_t)n + 1);
	} else {
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	return p;
}

void
sg_arena_free(struct sg_arena *a)
{
	struct arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->head; c != NULL; c = next) {
		next = c->next;
		sg_wipe(c->data, c->used);
		free(c);
	}
	free(a);
}
