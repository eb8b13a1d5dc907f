/*
 * unit.h - small helpers shared by the cmocka unit tests.
 */
#ifndef SG_UNIT_H
#define SG_UNIT_H

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"

static inline int
unit_remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes the folder dir and everything in it (a test's mkdtemp folder). */
static inline int
unit_rmtree(const char *dir)
{
	return nftw(dir, unit_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes n bytes of data to dir/name.  0 or -1. */
static inline int
unit_put_file(const char *dir, const char *name, const void *data, size_t n)
{
	char path[PATH_MAX];
	FILE *f;
	size_t w;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	w = fwrite(data, 1, n, f);
	return fclose(f) == 0 && w == n ? 0 : -1;
}

/* Loads configuration text with relative paths in dir; prints what is
 * wrong with it (cmocka's print_message) and returns NULL then. */
static inline struct sg_conf *
unit_conf_load(const char *text, const char *dir)
{
	struct sg_errlist e = { 0 };
	struct sg_conf *c = sg_conf_load_string(text, "t.conf", dir, &e);

	for (size_t i = 0; i < e.count; i++)
		printf("config: %s\n", e.msg[i]);
	sg_errlist_clear(&e);
	return c;
}

/* cmocka setup and teardown for tests that want a fresh arena in *state. */
static inline int
unit_arena_setup(void **state)
{
	*state = sg_arena_new();
	return 0;
}

static inline int
unit_arena_teardown(void **state)
{
	sg_arena_free(*state);
	return 0;
}

#endif
