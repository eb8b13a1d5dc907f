/*
 * store_redis.c - placeholder until the redis back end lands.
 */
#include "config.h"

#include "session_int.h"

int
store_redis_init(struct sg_store *st, const struct sg_conf *c, struct sg_errlist *errs)
{
	(void)st;
	(void)c;
	sg_errlist_add(errs, "store: the redis back end is not built yet");
	return -1;
}
