/*
 * pipeline.c - the data path, top to bottom.  net/ does the I/O and calls
 * the two hooks below at the two points where a decision is due:
 *
 *   accept -> TLS -> parse request                      (net/client.c)
 *   -> route                  which app, or the gateway's own prefix
 *   -> session -> authorize   (with the session store: until then every
 *                             app is proxied as public)
 *   -> rewrite request        request id; client-sent identity fields out;
 *                             hop-by-hop, Host, X-Forwarded-*, Forwarded, Via
 *   -> backend pool -> stream response                  (net/)
 *   -> rewrite response       hop-by-hop; Location, Refresh, Set-Cookie
 *   -> client                                            (net/)
 *   -> access log             one line per exchange
 *
 * A new feature extends one of these steps; it does not add a side path.
 */
#include "config.h"

#include <string.h>
#include <time.h>

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

	if (sg_gate_route(rc->conf, req, rc->client.tls, rc->arena, r, &err) == -1) {
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

/* Step: rewrite request.  Strip before inject: fields the gateway owns
 * are removed before any are set.  The head must then fit the backend's
 * limit (Tomcat's maxHttpHeaderSize): better a 431 that says why than the
 * backend's bare 400.  Returns false when act holds that answer. */
static bool
rewrite_request(struct sg_request_ctx *rc, struct sg_http_msg *req, const struct sg_route *r,
                struct sg_action *act)
{
	size_t size, limit = (size_t)r->app->backend_max_header_size;

	const struct sg_conf_server *srv = &rc->conf->server;

	sg_gate_strip_fields(req, &srv->strip_headers);
	sg_gate_rewrite_request(req, rc->arena, r, &rc->client);
	sg_http_set(req, rc->arena, "X-Request-Id", rc->request_id);
	if (srv->via)
		sg_gate_add_via(req, rc->arena);
	size = sg_http_head_size(req);
	if (size > limit) {
		respond_error(
		    rc, req, 431,
		    sg_arena_printf(rc->arena,
		                    "The request's header fields would be %zu bytes at the "
		                    "application, which accepts at most %zu.",
		                    size, limit),
		    act);
		return false;
	}
	return true;
}

static void
on_request(struct sg_request_ctx *rc, struct sg_http_msg *req, struct sg_action *act)
{
	struct sg_route r;

	rc->request_id = sg_gate_request_id(req, rc->client.trusted, rc->arena);
	if (!route(rc, req, &r, act) || !rewrite_request(rc, req, &r, act))
		return;
	act->kind = SG_ACT_FORWARD;
	act->app = r.app;
}

/* Step: rewrite response. */
static void
on_response(struct sg_request_ctx *rc, struct sg_http_msg *resp)
{
	uint64_t hsts = rc->conf->server.hsts_ms;

	sg_gate_rewrite_response(resp, rc->arena, rc->app);
	if (hsts > 0 && sg_http_get(resp, "Strict-Transport-Security") == NULL)
		sg_http_add(
		    resp, rc->arena, "Strict-Transport-Security",
		    sg_arena_printf(rc->arena, "max-age=%llu", (unsigned long long)(hsts / 1000)));
}

/* Appends s for a quoted field of the combined format: no quote, no CTL. */
static void
combined_escape(struct sg_buf *b, const char *s)
{
	if (s == NULL || *s == '\0') {
		sg_buf_puts(b, "-");
		return;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\' || c < 0x20 || c == 0x7f)
			sg_buf_printf(b, "\\x%02x", c);
		else
			sg_buf_append(b, s, 1);
	}
}

static void
format_combined(struct sg_buf *b, const struct sg_request_ctx *rc,
                const struct sg_exchange_facts *f, const char *when)
{
	const struct sg_http_msg *req = f->req;

	sg_buf_printf(b, "%s - - [%s] \"", rc->client.addr, when);
	if (req != NULL) {
		combined_escape(b, req->method);
		sg_buf_puts(b, " ");
		combined_escape(b, f->target);
		sg_buf_printf(b, " HTTP/1.%u", f->minor);
	} else {
		sg_buf_puts(b, "-");
	}
	sg_buf_printf(b, "\" %d %llu \"", f->status, (unsigned long long)f->bytes_out);
	combined_escape(b, req ? sg_http_get(req, "Referer") : NULL);
	sg_buf_puts(b, "\" \"");
	combined_escape(b, req ? sg_http_get(req, "User-Agent") : NULL);
	sg_buf_printf(b, "\" app=%s rid=%s in=%llu rt=%.3f bt=%.3f%s\n",
	              rc->app ? rc->app->s.name : "-", rc->request_id ? rc->request_id : "-",
	              (unsigned long long)f->bytes_in, f->total_ms / 1e3,
	              f->backend_ms < 0 ? 0.0 : f->backend_ms / 1e3, f->aborted ? " aborted" : "");
}

static void
format_json(struct sg_buf *b, const struct sg_request_ctx *rc, const struct sg_exchange_facts *f,
            const char *when)
{
	const struct sg_http_msg *req = f->req;

	sg_buf_printf(b, "{\"time\":\"%s\",\"client\":\"", when);
	sg_buf_json_escape(b, rc->client.addr);
	sg_buf_puts(b, "\",\"app\":\"");
	sg_buf_json_escape(b, rc->app ? rc->app->s.name : "");
	sg_buf_puts(b, "\",\"method\":\"");
	sg_buf_json_escape(b, req ? req->method : "");
	sg_buf_puts(b, "\",\"target\":\"");
	sg_buf_json_escape(b, req ? f->target : "");
	sg_buf_printf(b,
	              "\",\"status\":%d,\"bytes_in\":%llu,\"bytes_out\":%llu,"
	              "\"time_ms\":%.3f,\"backend_ms\":%.3f,\"user\":null,\"request_id\":\"",
	              f->status, (unsigned long long)f->bytes_in, (unsigned long long)f->bytes_out,
	              f->total_ms, f->backend_ms < 0 ? 0.0 : f->backend_ms);
	sg_buf_json_escape(b, rc->request_id ? rc->request_id : "");
	sg_buf_printf(b, "\",\"aborted\":%s}\n", f->aborted ? "true" : "false");
}

/* Step: access log, one line per exchange. */
static void
on_done(struct sg_request_ctx *rc, const struct sg_exchange_facts *f)
{
	struct sg_buf line = { 0 };
	char when[64];
	time_t now = time(NULL);
	struct tm tm;

	if (!sg_access_log_enabled())
		return;
	gmtime_r(&now, &tm);
	if (rc->conf->server.access_log_format == SG_ACCESS_JSON) {
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		format_json(&line, rc, f, when);
	} else {
		strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
		format_combined(&line, rc, f, when);
	}
	sg_access_log_write(line.data, line.len);
	sg_buf_free(&line);
}

const struct sg_net_hooks *
sg_pipeline_hooks(void)
{
	static const struct sg_net_hooks hooks = { on_request, on_response, on_done };

	return &hooks;
}
