/*
 * pipeline.c - the data path, top to bottom.  net/ does the I/O and calls
 * the hooks below at the points where a decision is due:
 *
 *   accept -> TLS -> parse request                      (net/client.c)
 *   -> route                  which app, or the gateway's own prefix
 *                             (endpoints.c: login, logout, JWKS, replay)
 *   -> session                public and pass-through paths need none;
 *                             the session cookie -> the store
 *   -> authorize              allow, deny (403), step up, or log in
 *                             (browser: redirect; API: 401)
 *   -> rewrite request        strip before inject: client-sent identity
 *                             fields and gateway cookies out; hop-by-hop,
 *                             Host, X-Forwarded-*, Forwarded, Via; then the
 *                             session's identity; the header budget
 *   -> backend pool -> stream response                  (net/)
 *   -> rewrite response       hop-by-hop; Location, Refresh, Set-Cookie
 *   -> client                                            (net/)
 *   -> access log             one line per exchange
 *
 * A new feature extends one of these steps; it does not add a side path.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pipeline_int.h"
#include "saml.h"

struct pipeline_state pipeline;

/* ---- answers ---- */

void
flow_respond_error(struct sg_flow *f, int status, const char *detail)
{
	struct sg_request_ctx *rc = f->rc;

	sg_log_debug("%s: %d %s", rc->client.addr, status, detail);
	f->act->kind = SG_ACT_RESPOND;
	sg_buf_reset(&f->act->body);
	sg_http_error_response(f->req, status, detail, rc->arena, &f->act->resp, &f->act->body);
	sg_http_set(&f->act->resp, rc->arena, "Cache-Control", "no-store");
}

void
flow_redirect(struct sg_flow *f, int status, const char *location)
{
	struct sg_http_msg *resp = &f->act->resp;

	f->act->kind = SG_ACT_RESPOND;
	sg_buf_reset(&f->act->body);
	memset(resp, 0, sizeof(*resp));
	resp->major = resp->minor = 1;
	resp->status = status;
	resp->reason = sg_http_reason(status);
	sg_http_set(resp, f->rc->arena, "Location", location);
	sg_http_set(resp, f->rc->arena, "Cache-Control", "no-store");
}

void
flow_respond_body(struct sg_flow *f, int status, const char *content_type, struct sg_buf *body)
{
	struct sg_http_msg *resp = &f->act->resp;
	struct sg_arena *a = f->rc->arena;

	f->act->kind = SG_ACT_RESPOND;
	memset(resp, 0, sizeof(*resp));
	resp->major = resp->minor = 1;
	resp->status = status;
	resp->reason = sg_http_reason(status);
	sg_http_set(resp, a, "Content-Type", content_type);
	sg_http_set(resp, a, "Cache-Control", "no-store");
	sg_http_set(resp, a, "X-Content-Type-Options", "nosniff");
	sg_http_set(resp, a, "X-Frame-Options", "DENY");
	sg_buf_free(&f->act->body);
	f->act->body = *body;
	memset(body, 0, sizeof(*body));
}

void
flow_wait(struct sg_flow *f)
{
	f->act->kind = SG_ACT_WAIT;
}

void
flow_settle(struct sg_flow *f)
{
	if (!f->in_hook && f->act->kind != SG_ACT_WAIT)
		sg_net_resume(f->rc);
}

void
flow_read_body(struct sg_flow *f, uint64_t max, sg_flow_body_cb cb)
{
	f->act->kind = SG_ACT_READ_BODY;
	f->act->body_max = max;
	f->on_body = cb;
}

const char *
sg_app_url(const struct sg_conf *c, const struct sg_conf_app *app, bool endpoint, const char *path,
           struct sg_arena *a)
{
	const char *base = app->url.text;
	size_t n = strlen(base);

	if (n > 0 && base[n - 1] == '/')
		n--;
	return sg_arena_printf(a, "%.*s%s%s", (int)n, base, endpoint ? c->server.prefix : "", path);
}

const char *
flow_app_url(struct sg_flow *f, const char *path)
{
	return sg_app_url(f->rc->conf, f->r.app, false, path, f->rc->arena);
}

const char *
flow_endpoint_url(struct sg_flow *f, const char *sub)
{
	return sg_app_url(f->rc->conf, f->r.app, true, sub, f->rc->arena);
}

const char *
flow_query(struct sg_flow *f, const char *name)
{
	const char *q = sg_http_target_query(f->req->target);

	return sg_http_form_get(q, strlen(q), name, f->rc->arena);
}

void
sg_pipeline_register_provider(int type, const struct sg_login_provider *p)
{
	if (type >= 0 && (size_t)type < SG_NELEM(pipeline.providers))
		pipeline.providers[type] = p;
}

/* The store's link to Redis: the worker's connection (net/redis.c). */
static void
link_command(struct sg_store_link *l, int argc, const char **argv, const size_t *lens,
             sg_store_reply_cb cb, void *arg)
{
	struct sg_flow *f = (struct sg_flow *)l; /* link is the first member */

	sg_net_redis_command(f->rc, argc, argv, lens, cb, arg);
}

/* A request on a plain-HTTP listener: send the client to the https URL of
 * the same path (RFC 9110 15.4.2). */
static void
redirect_to_https(struct sg_flow *f)
{
	const struct sg_url *u = &f->r.app->url.url;
	struct sg_arena *a = f->rc->arena;
	const char *location =
	    u->port == 443 ? sg_arena_printf(a, "https://%s%s%s%s", u->host_is_v6 ? "[" : "",
	                                     u->host, u->host_is_v6 ? "]" : "", f->r.path)
	                   : sg_arena_printf(a, "https://%s%s%s:%u%s", u->host_is_v6 ? "[" : "",
	                                     u->host, u->host_is_v6 ? "]" : "", u->port, f->r.path);

	flow_respond_error(f, 301, "This application is served over HTTPS.");
	sg_http_set(&f->act->resp, a, "Location", location);
}

/* Step: route.  Returns false when act already holds the answer. */
static bool
route(struct sg_flow *f)
{
	struct sg_err err = { 0 };

	if (sg_gate_route(f->rc->conf, f->req, f->rc->client.tls, f->rc->arena, &f->r, &err) ==
	    -1) {
		flow_respond_error(f, err.code, err.detail);
		return false;
	}
	f->rc->app = f->r.app;
	if (!f->rc->client.tls) {
		redirect_to_https(f);
		return false;
	}
	return true;
}

/* The identity JWT for s, or NULL when the app sends none. */
static const char *
identity_jwt(struct sg_flow *f, const struct sg_session *s)
{
	const struct sg_conf_app *app = f->r.app;
	struct sg_jose_key *key = atomic_load(&pipeline.jwt_key);
	struct sg_jose_identity id = { 0 };
	const char **groups;

	if (app->identity_jwt_header == NULL || key == NULL)
		return NULL;
	id.iss = flow_endpoint_url(f, "");
	id.aud = app->url.text;
	id.sub = s->user;
	id.email = s->email;
	id.name = s->display_name;
	id.ngroups = sg_gate_filter_groups(app, s, f->rc->arena, &groups);
	id.groups = groups;
	id.iat = f->now;
	id.exp = f->now + (int64_t)(app->identity_jwt_ttl_ms / 1000);
	return sg_jose_identity_jwt(key, &id, f->rc->arena);
}

/* Step: rewrite request.  Strip before inject: fields and cookies the
 * gateway owns are removed before any are set.  The head must then fit the
 * backend's limit (Tomcat's maxHttpHeaderSize): better a 431 that says why
 * than the backend's bare 400.  Returns false when act holds that answer. */
static bool
rewrite_request(struct sg_flow *f, const struct sg_session *s)
{
	const struct sg_conf *c = f->rc->conf;
	struct sg_http_msg *req = f->req;
	struct sg_arena *a = f->rc->arena;
	size_t plain, size, limit = (size_t)f->r.app->backend_max_header_size;
	const char *jwt;

	sg_gate_strip_identity(req, c);
	sg_http_cookie_strip(req, a, c->session.cookie_name,
	                     sg_arena_printf(a, "%s_login_", c->session.cookie_name));
	sg_gate_rewrite_request(req, a, &f->r, &f->rc->client);
	sg_http_set(req, a, "X-Request-Id", f->rc->request_id);
	if (c->server.via)
		sg_gate_add_via(req, a);
	plain = sg_http_head_size(req);
	if (s != NULL) {
		sg_gate_add_identity(req, a, f->r.app, s);
		jwt = identity_jwt(f, s);
		if (jwt != NULL)
			sg_http_set(req, a, f->r.app->identity_jwt_header, jwt);
	}
	size = sg_http_head_size(req);
	if (size > limit) {
		flow_respond_error(
		    f, 431,
		    sg_arena_printf(a,
		                    "The request's header fields would be %zu bytes at the "
		                    "application, which accepts at most %zu%s.",
		                    size, limit,
		                    plain <= limit ? ": the group list is too long for the "
		                                     "application (see groups_include, groups_max)"
		                                   : ""));
		return false;
	}
	return true;
}

/* Sends the request to the app's backend, with s's identity if s. */
static void
proxy(struct sg_flow *f, const struct sg_session *s)
{
	if (!rewrite_request(f, s))
		return;
	f->act->kind = SG_ACT_FORWARD;
	f->act->app = f->r.app;
	/* A WebSocket opened with a session lives no longer than the session;
	 * one on a public path is nobody's. */
	f->act->bind_tunnel = s != NULL && f->req->upgrade;
}

/* Step: authorize a request that has session s. */
static void
authorize(struct sg_flow *f, struct sg_session *s)
{
	struct sg_authz z;

	sg_gate_authorize(f->r.app, f->r.app_path, s, f->now, f->rc->arena, &z);
	switch (z.kind) {
	case SG_AUTHZ_DENY:
		sg_log_info("%s: [app %s] %s denied to user %s: needs %s (request %s)",
		            f->rc->client.addr, f->r.app->s.name, f->r.app_path, s->user,
		            z.required, f->rc->request_id);
		flow_respond_error(f, 403,
		                   sg_arena_printf(f->rc->arena,
		                                   "User %s may not open this page: it needs %s.",
		                                   s->user, z.required));
		return;
	case SG_AUTHZ_STEP_UP:
		if (f->act->own_body) {
			flow_login_keeping_post(f, true); /* a replayed POST */
			return;
		}
		if (sg_gate_wants_login_redirect(f->req)) {
			flow_start_login(f, true, f->r.path, NULL);
			return;
		}
		flow_respond_error(f, 401,
		                   "This page needs a fresh sign-in: reload it in the browser.");
		return;
	default:
		proxy(f, s);
		return;
	}
}

/* The store answered the session lookup. */
static void
on_session(void *arg, enum sg_store_status st, struct sg_session *s)
{
	struct sg_flow *f = arg;

	if (st == SG_STORE_UNAVAILABLE) {
		sg_log_warn("%s: session store unavailable (request %s)", f->rc->client.addr,
		            f->rc->request_id);
		flow_respond_error(f, 503,
		                   "The session store cannot be reached. Please try again in a "
		                   "moment.");
	} else if (st == SG_STORE_NOT_FOUND) {
		flow_no_session(f);
	} else if (s->user == NULL || s->idp == NULL || flow_app_idp(f, s->idp) == NULL) {
		/* Shared cookies (cookie_domain) must not carry a login from one
		 * IdP into an app that trusts another. */
		flow_no_session(f);
	} else {
		f->session = s;
		f->rc->user = s->user;
		authorize(f, s);
	}
	flow_settle(f);
}

/* Step: session.  Public and pass-through requests need none. */
static void
find_session(struct sg_flow *f)
{
	f->access = sg_gate_access_class(f->r.app, f->r.app_path, f->req);
	if (f->access == SG_AUTHZ_PUBLIC || f->access == SG_AUTHZ_PASSTHROUGH) {
		proxy(f, NULL);
		return;
	}
	if (!f->has_id) {
		flow_no_session(f);
		return;
	}
	flow_wait(f);
	sg_store_get(pipeline.store, &f->link, f->skey, f->now, f->rc->arena, on_session, f);
}

/* Routes a request and walks it through the steps. */
void
flow_dispatch(struct sg_flow *f)
{
	if (!route(f))
		return;
	if (f->r.kind == SG_ROUTE_GATEWAY) {
		flow_gateway(f);
		return;
	}
	find_session(f);
}

static void
on_request(struct sg_request_ctx *rc, struct sg_http_msg *req, struct sg_action *act)
{
	struct sg_flow *f = sg_arena_alloc(rc->arena, sizeof(*f));
	uint8_t id[SG_SESSION_ID_LEN];

	memset(f, 0, sizeof(*f));
	f->link.command = link_command;
	f->rc = rc;
	f->req = req;
	f->act = act;
	f->now = (int64_t)time(NULL);
	rc->flow = f;
	rc->request_id = sg_gate_request_id(req, rc->client.trusted, rc->arena);
	f->has_id = sg_sso_session_id(rc->conf, req, id);
	if (f->has_id)
		sg_session_key_of(id, f->skey);
	sg_wipe(id, sizeof(id));
	f->in_hook = true;
	flow_dispatch(f);
	f->in_hook = false;
}

static void
on_body(struct sg_request_ctx *rc, struct sg_http_msg *req, const struct sg_buf *body,
        bool too_large, struct sg_action *act)
{
	struct sg_flow *f = rc->flow;

	(void)req;
	(void)act;
	f->in_hook = true;
	f->on_body(f, body, too_large);
	f->in_hook = false;
}

/* Is the session of a bound tunnel still there?  A store that cannot be
 * reached keeps the tunnel: an outage must not cut every editor off. */
static void
on_tunnel_session(void *arg, enum sg_store_status st, struct sg_session *s)
{
	struct sg_flow *f = arg;

	(void)s;
	sg_arena_free(f->check_arena);
	f->check_arena = NULL;
	sg_net_tunnel_verdict(f->rc, st != SG_STORE_NOT_FOUND);
}

/* The check does not touch the session: an open tunnel alone must not
 * keep it from its idle timeout.  Its copy goes to an arena of its own, so
 * that a tunnel open for days does not grow the request's. */
static void
on_tunnel_check(struct sg_request_ctx *rc)
{
	struct sg_flow *f = rc->flow;

	f->check_arena = sg_arena_new();
	sg_store_peek(pipeline.store, &f->link, f->skey, (int64_t)time(NULL), f->check_arena,
	              on_tunnel_session, f);
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

	sg_buf_printf(b, "%s - ", rc->client.addr);
	combined_escape(b, rc->user);
	sg_buf_printf(b, " [%s] \"", when);
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
	              "\"time_ms\":%.3f,\"backend_ms\":%.3f,\"user\":",
	              f->status, (unsigned long long)f->bytes_in, (unsigned long long)f->bytes_out,
	              f->total_ms, f->backend_ms < 0 ? 0.0 : f->backend_ms);
	if (rc->user != NULL) {
		sg_buf_puts(b, "\"");
		sg_buf_json_escape(b, rc->user);
		sg_buf_puts(b, "\"");
	} else {
		sg_buf_puts(b, "null");
	}
	sg_buf_puts(b, ",\"request_id\":\"");
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

/* ---- what the hooks share ---- */

/* The state file of the memory store, or NULL without state_dir. */
static const char *
state_file(const struct sg_conf *c, char *buf, size_t n)
{
	if (c->session.state_dir == NULL || !sg_store_is_memory(pipeline.store))
		return NULL;
	snprintf(buf, n, "%s/sessions.state", c->session.state_dir);
	return buf;
}

/* Reads the sessions a previous run left; any problem is logged, never
 * fatal: the worst case is that users sign in again. */
static void
restore_sessions(const struct sg_conf *c)
{
	struct sg_errlist errs = { 0 };
	char buf[4096];
	const char *path = state_file(c, buf, sizeof(buf));
	long n;

	if (path == NULL)
		return;
	if (access(path, F_OK) == -1) {
		sg_log_info("no saved sessions in %s", path);
		return;
	}
	n = sg_store_load(pipeline.store, path, pipeline.keys.state, (int64_t)time(NULL), &errs);
	if (n >= 0) {
		sg_log_info("restored %ld sessions from %s", n, path);
		/* Read once: after a crash, the next start must not bring back
		 * sessions that ended (logouts) since this one. */
		if (unlink(path) == -1)
			sg_log_warn("cannot remove %s: %s", path, strerror(errno));
	}
	for (size_t i = 0; i < errs.count; i++)
		sg_log_warn("session state not restored: %s", errs.msg[i]);
	sg_errlist_clear(&errs);
}

int
sg_pipeline_init(const struct sg_conf *c, struct sg_errlist *errs)
{
	if (sg_saml_init(errs) == -1)
		return -1;
	sg_pipeline_register_provider(SG_IDP_SAML, &sg_saml_provider);
	if (sg_sso_keys_load(c, &pipeline.keys, errs) == -1)
		return -1;
	if (c->server.signing_key_file != NULL) {
		struct sg_jose_key *k = sg_jose_key_load(c->server.signing_key_file, errs);

		if (k == NULL)
			return -1;
		atomic_store(&pipeline.jwt_key, k);
	}
	pipeline.store = sg_store_new(c, errs);
	if (pipeline.store == NULL)
		return -1;
	restore_sessions(c);
	sg_idp_meta_init(c);
	for (size_t i = 0; i < c->app_count; i++)
		for (size_t j = 0; j < c->apps[i]->idp_count; j++) {
			const struct sg_conf_idp *idp = c->apps[i]->idps[j];

			if (pipeline.providers[idp->type] == NULL)
				sg_log_warn("[app %s]: sign-in through [idp %s] is not available "
				            "in this version: protected requests get 503",
				            c->apps[i]->s.name, idp->s.name);
		}
	return 0;
}

int
sg_pipeline_check(const struct sg_conf *c, struct sg_errlist *errs)
{
	struct sg_sso_keys keys;
	size_t before = errs->count;

	sg_sso_keys_load(c, &keys, errs);
	sg_wipe(&keys, sizeof(keys));
	if (c->server.signing_key_file != NULL)
		sg_jose_key_free(sg_jose_key_load(c->server.signing_key_file, errs));
	return errs->count == before ? 0 : -1;
}

/* Keys replaced by a reload: a worker may still be signing with one, so
 * they are freed at exit only (one per reload that changed the key). */
static struct sg_jose_key **retired_keys;
static size_t retired_count;

/* Installs k (NULL: no identity JWTs) unless it is the key in use; the one
 * it replaces is retired. */
static void
swap_jwt_key(struct sg_jose_key *k)
{
	struct sg_jose_key *cur = atomic_load(&pipeline.jwt_key);
	struct sg_arena *a;
	bool same;

	if (k == NULL || cur == NULL) {
		same = k == cur;
	} else {
		a = sg_arena_new();
		same = strcmp(sg_jose_jwks(k, a), sg_jose_jwks(cur, a)) == 0;
		sg_arena_free(a);
	}
	if (same) {
		sg_jose_key_free(k);
		return;
	}
	cur = atomic_exchange(&pipeline.jwt_key, k);
	if (cur != NULL) {
		retired_keys =
		    sg_xrealloc(retired_keys, (retired_count + 1) * sizeof(*retired_keys));
		retired_keys[retired_count++] = cur;
	}
	sg_log_info(k ? "the identity JWT signing key changed"
	              : "identity JWTs are no longer signed");
}

void
sg_pipeline_reload(const struct sg_conf *old, const struct sg_conf *c)
{
	struct sg_errlist errs = { 0 };

	sg_store_reconfigure(pipeline.store, c);
	sg_idp_meta_reload(c);
	/* A new Redis address or password is used on the next connection
	 * (net/worker.c); memory <-> redis needs the sessions moved. */
	if (old->session.store_kind != c->session.store_kind)
		sg_log_warn("the session store changed between memory and redis: it takes effect "
		            "after a restart");
	if (memcmp(&old->session.session_key_file, &c->session.session_key_file,
	           sizeof(c->session.session_key_file)) != 0 &&
	    (old->session.session_key_file == NULL || c->session.session_key_file == NULL ||
	     strcmp(old->session.session_key_file, c->session.session_key_file) != 0))
		sg_log_warn("session_key_file changed: the keys are read at start only");
	if (c->server.signing_key_file != NULL) {
		struct sg_jose_key *k = sg_jose_key_load(c->server.signing_key_file, &errs);

		if (k != NULL)
			swap_jwt_key(k);
		for (size_t i = 0; i < errs.count; i++)
			sg_log_error("keeping the previous signing key: %s", errs.msg[i]);
		sg_errlist_clear(&errs);
	} else {
		swap_jwt_key(NULL);
	}
}

void
sg_pipeline_tick(void)
{
	static time_t last;
	time_t now = time(NULL);
	size_t n;

	if (pipeline.store == NULL || now - last < 5)
		return;
	last = now;
	n = sg_store_sweep(pipeline.store, (int64_t)now);
	if (n > 0)
		sg_log_debug("%zu expired sessions removed", n);
}

void
sg_pipeline_shutdown(const struct sg_conf *c)
{
	struct sg_errlist errs = { 0 };
	char buf[4096];
	const char *path = state_file(c, buf, sizeof(buf));

	if (path != NULL) {
		if (sg_store_save(pipeline.store, path, pipeline.keys.state, (int64_t)time(NULL),
		                  &errs) == 0)
			sg_log_info("%zu sessions saved to %s", sg_store_count(pipeline.store),
			            path);
		for (size_t i = 0; i < errs.count; i++)
			sg_log_error("sessions not saved: %s", errs.msg[i]);
		sg_errlist_clear(&errs);
	}
	sg_store_free(pipeline.store);
	pipeline.store = NULL;
	sg_jose_key_free(atomic_exchange(&pipeline.jwt_key, NULL));
	for (size_t i = 0; i < retired_count; i++)
		sg_jose_key_free(retired_keys[i]);
	free(retired_keys);
	retired_keys = NULL;
	retired_count = 0;
	sg_wipe(&pipeline.keys, sizeof(pipeline.keys));
	sg_idp_meta_shutdown();
	sg_saml_shutdown();
}

const struct sg_net_hooks *
sg_pipeline_hooks(void)
{
	static const struct sg_net_hooks hooks = { on_request, on_response, on_done, on_body,
		                                   on_tunnel_check };

	return &hooks;
}
