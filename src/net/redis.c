/*
 * redis.c - placeholder until the redis transport lands.
 */
#include "config.h"

#include "net_int.h"

struct redis_conn *
redis_conn_new(struct event_base *base, const struct sg_conf_session *ses)
{
	(void)base;
	(void)ses;
	return NULL;
}

void
redis_conn_command(struct redis_conn *r, int argc, const char **argv, const size_t *lens,
                   sg_net_redis_cb cb, void *arg)
{
	(void)r;
	(void)argc;
	(void)argv;
	(void)lens;
	cb(arg, NULL);
}

void
redis_conn_free(struct redis_conn *r)
{
	(void)r;
}

void
sg_net_redis_command(struct sg_request_ctx *rc, int argc, const char **argv, const size_t *lens,
                     sg_net_redis_cb cb, void *arg)
{
	(void)rc;
	redis_conn_command(NULL, argc, argv, lens, cb, arg);
}
