/*
 * unit.h - small helpers shared by the cmocka unit tests.
 */
#ifndef SG_UNIT_H
#define SG_UNIT_H

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

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

#endif
