/*
 * pipeline.c - the data path, top to bottom.  net/ does the I/O and calls
 * the two hooks below at the two points where a decision is due:
 *
 *   accept -> TLS -> parse request                      (net/client.c)
 *   -> route                  which app, or the gateway's own prefix
 *   -> session -> authorize   (with the session store: until then every
 *                             app is proxied as public)
 *   -> rewrite request        hop-by-hop, Host, X-Forwarded-*, Forwarded
 *   -> backend pool -> stream response                  (net/)
 *   -> rewrite response       hop-by-hop
 *   -> client                                            (net/)
 *
 * A new feature extends one of these steps; it does not add a side path.
 */
#include "config.h"

#include <string.h>

#include "gate.h"
#include "pipeline.h"

/* Fills act with an error page for req, and says why in the debug log. */
static void
respond_error(struct sg_request_ctx *rc, const struct sg_http_msg *req, int status,
              const char *detail, struct sg_action *act)
{
	sg_log_debug("%s: %d %s", rc->client.addr, status, detail);
	act->kind = SG_ACT_RESPOND;
	sg_http_error_response(req, status, detail, rc->arena, &act->resp, &act->body);
}

/* A request on a plain-HTTP listener: send the client to the https URL of
 * the same path (RFC 9110 15.4.2). */
static void
redirect_to_https(struct sg_request_ctx *rc, const struct sg_http_msg *req,
                  const struct sg_route *r, struct sg_action *act)
{
	const struct sg_url *u = &r->app->url.url;
	const char *location =
	    u->port == 443
	        ? sg_arena_printf(rc->arena, "https://%s%s%s%s", u->host_is_v6 ? "[" : "", u->host,
	                          u->host_is_v6 ? "]" : "", r->path)
	        : sg_arena_printf(rc->arena, "https://%s%s%s:%u%s", u->host_is_v6 ? "[" : "",
	                          u->host, u->host_is_v6 ? "]" : "", u->port, r->path);

	respond_error(rc, req, 301, "This application is served over HTTPS.", act);
	sg_http_set(&act->resp, rc->arena, "Location", location);
}

/* Step: route.  Returns false when act already holds the answer. */
static bool
route(struct sg_request_ctx *rc, const struct sg_http_msg *req, struct sg_route *r,
      struct sg_action *act)
{
	struct sg_err err = { 0 };

	if (sg_gate_route(rc->conf, req, rc->arena, r, &err) == -1) {
		respond_error(rc, req, err.code, err.detail, act);
		return false;
	}
	rc->app = r->app;
	if (!rc->client.tls) {
		redirect_to_https(rc, req, r, act);
		return false;
	}
	if (r->kind == SG_ROUTE_GATEWAY) {
		respond_error(rc, req, 404, "There is no gateway endpoint at this address.", act);
		return false;
	}
	return true;
}

static void
on_request(struct sg_request_ctx *rc, struct sg_http_msg *req, struct sg_action *act)
{
	struct sg_route r;

	if (!route(rc, req, &r, act))
		return;
	sg_gate_rewrite_request(req, rc->arena, &r, &rc->client);
	act->kind = SG_ACT_FORWARD;
	act->app = r.app;
}

static void
on_response(struct sg_request_ctx *rc, struct sg_http_msg *resp)
{
	(void)rc;
	sg_gate_rewrite_response(resp);
}

const struct sg_net_hooks *
sg_pipeline_hooks(void)
{
	static const struct sg_net_hooks hooks = { on_request, on_response };

	return &hooks;
}
