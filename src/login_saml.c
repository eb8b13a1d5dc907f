/*
 * login_saml.c - SAML 2.0 Web Browser SSO (profiles 4.1) as a sign-in
 * provider of the data path: the AuthnRequest that starts a login (HTTP-
 * Redirect binding, RelayState = the login reference), and the Assertion
 * Consumer Service at <prefix>saml/acs (HTTP-POST binding) that turns a
 * validated Response into a session.  The protocol itself is src/saml/;
 * this file maps an [idp] section onto it, keeps the replay cache (in the
 * session store, so that every gateway sharing it refuses a replay), and
 * maps the assertion onto the session's user, names and groups.
 *
 * The IdP is given explicitly (entity_id, sso_url, certificate) or by its
 * metadata file; both are read per use, which is once per login.  The SP's
 * own metadata is served at <prefix>saml/metadata.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"
#include "saml.h"

/* A posted Response may be large (many groups, encrypted): bounded. */
#define ACS_BODY_MAX (512 * 1024)

const char *
saml_idp_resolve(const struct sg_conf_idp *idp, bool want_keys, int64_t now, struct sg_arena *a,
                 struct saml_idp_view *v)
{
	const char *why = NULL;
	struct sg_idp_meta *m;

	memset(v, 0, sizeof(*v));
	m = sg_idp_meta_get(idp, now, &why);
	if (m == NULL)
		return why;
	v->entity_id = sg_arena_strdup(a, m->entity_id);
	v->sso_url = m->sso_url ? sg_arena_strdup(a, m->sso_url) : NULL;
	v->sso_post_url = m->sso_post_url ? sg_arena_strdup(a, m->sso_post_url) : NULL;
	v->slo_url = m->slo_url ? sg_arena_strdup(a, m->slo_url) : NULL;
	v->slo_response_url = m->slo_response_url ? sg_arena_strdup(a, m->slo_response_url) : NULL;
	if (want_keys)
		v->keys = sg_saml_keys_ref(m->keys);
	sg_idp_meta_unref(m);
	return NULL;
}

/* Fills v for idp; false when act holds the error page. */
static bool
idp_view(struct sg_flow *f, const struct sg_conf_idp *idp, bool want_keys, struct saml_idp_view *v)
{
	const char *why = saml_idp_resolve(idp, want_keys, f->now, f->rc->arena, v);

	if (why != NULL)
		flow_respond_error(f, 503, why);
	return why == NULL;
}

struct sg_saml_keys *
saml_sp_keys(const struct sg_conf_app *app)
{
	struct sg_errlist errs = { 0 };
	struct sg_saml_keys *k;

	if (app->sp_key == NULL)
		return NULL;
	k = sg_saml_keys_from_key_file(app->sp_key, app->sp_certificate, &errs);
	for (size_t i = 0; i < errs.count; i++)
		sg_log_error("[app %s]: %s", app->s.name, errs.msg[i]);
	sg_errlist_clear(&errs);
	return k;
}

/* Same order as the authn_context_comparison words in conf/directives.c;
 * exact, the default, is left out of the request. */
static const char *const comparisons[] = { NULL, "minimum", "maximum", "better" };

/* Sends the AuthnRequest r in the binding idp asks for; false when act
 * holds an error page.  *id is the request's ID. */
static bool
send_authn_request(struct sg_flow *f, const struct sg_conf_idp *idp, const struct saml_idp_view *v,
                   struct sg_saml_authn_request *r, const char **id)
{
	bool post = idp->request_binding == SG_SAML_BINDING_POST;
	struct sg_err err = { 0 };
	const char *out;
	int rc;

	r->idp_sso_url = post && v->sso_post_url != NULL ? v->sso_post_url : v->sso_url;
	if (r->idp_sso_url == NULL) {
		sg_log_error("[idp %s]: no SingleSignOnService for the HTTP-%s binding",
		             idp->s.name, post ? "POST" : "Redirect");
		flow_respond_error(
		    f, 503,
		    post ? "The identity provider has no HTTP-POST sign-on service."
		         : "The identity provider has no HTTP-Redirect sign-on "
		           "service (request_binding = post would use its POST one).");
		return false;
	}
	rc = post ? sg_saml_authn_post(r, f->rc->arena, id, &out, &err)
	          : sg_saml_authn_redirect(r, f->rc->arena, id, &out, &err);
	if (rc == -1) {
		sg_log_error("[idp %s]: cannot build an AuthnRequest: %s", idp->s.name, err.detail);
		flow_respond_error(f, 500, "The sign-in request could not be made.");
		return false;
	}
	if (post) {
		struct sg_sso_field fields[] = { { "SAMLRequest", out },
			                         { "RelayState", r->relay_state } };

		flow_respond_autopost(f, r->idp_sso_url, fields, SG_NELEM(fields), false,
		                      "Continue to the identity provider to sign in.");
	} else {
		flow_redirect(f, 302, out);
	}
	return true;
}

static bool
saml_start(struct sg_flow *f, const struct sg_conf_idp *idp, struct sg_login_state *ls,
           const char *ref)
{
	struct sg_saml_authn_request r = { 0 };
	struct sg_saml_keys *key = NULL;
	struct saml_idp_view v;
	const char *id;
	bool sent;

	if (!idp_view(f, idp, false, &v))
		return false;
	if (idp->sign_requests && (key = saml_sp_keys(f->r.app)) == NULL) {
		flow_respond_error(f, 500, "The gateway's SAML key cannot be read.");
		return false;
	}
	r.sp_entity_id = flow_endpoint_url(f, "saml/metadata");
	r.acs_url = flow_endpoint_url(f, "saml/acs");
	r.name_id_format = idp->name_id_format;
	r.force_authn = ls->force_authn;
	r.authn_context = idp->authn_context.v;
	r.nauthn_context = idp->authn_context.count;
	r.authn_context_comparison = comparisons[idp->authn_context_comparison];
	r.relay_state = ref;
	r.sign_key = key;
	r.now = f->now;
	sent = send_authn_request(f, idp, &v, &r, &id);
	sg_saml_keys_unref(key);
	if (sent)
		ls->request_id = id;
	return sent;
}

/* The values of the first attribute of names that the assertion has. */
static const struct sg_saml_attribute *
find_attribute(const struct sg_saml_identity *id, const struct sg_conf_list *names)
{
	for (size_t n = 0; n < names->count; n++)
		for (size_t i = 0; i < id->nattrs; i++)
			if (strcmp(id->attrs[i].name, names->v[n]) == 0 && id->attrs[i].nvalues > 0)
				return &id->attrs[i];
	return NULL;
}

/* The first value of names, or NULL. */
static const char *
first_value(const struct sg_saml_identity *id, const struct sg_conf_list *names)
{
	const struct sg_saml_attribute *a = find_attribute(id, names);

	return a != NULL ? a->values[0] : NULL;
}

/* The user id per user_attribute, lowercase_user and strip_domain; NULL
 * when the attribute is missing. */
static char *
user_id(struct sg_arena *a, const struct sg_conf_idp *idp, const struct sg_saml_identity *id)
{
	const char *name = idp->user_attribute;
	struct sg_conf_list one = { &name, 1 };
	const char *v = name ? first_value(id, &one) : id->name_id;
	char *u, *at;

	if (v == NULL)
		return NULL;
	u = sg_arena_strdup(a, v);
	if (idp->strip_domain && (at = strchr(u, '@')) != NULL)
		*at = '\0';
	if (idp->lowercase_user)
		for (char *p = u; *p; p++)
			*p = (char)tolower((unsigned char)*p);
	return u;
}

/* The IdP's group names through group_map (Entra ID sends object ids;
 * Jira wants its group names); unmapped ones pass as they are. */
static const char **
mapped_groups(struct sg_arena *a, const struct sg_conf_idp *idp, const struct sg_saml_attribute *g)
{
	const char **out = sg_arena_alloc(a, (g->nvalues + 1) * sizeof(*out));

	for (size_t i = 0; i < g->nvalues; i++) {
		size_t n = strlen(g->values[i]);

		out[i] = g->values[i];
		for (size_t m = 0; m < idp->group_map.count; m++) {
			const char *e = idp->group_map.v[m];

			if (strncmp(e, g->values[i], n) == 0 && e[n] == '=') {
				out[i] = e + n + 1;
				break;
			}
		}
	}
	return out;
}

/* The session's identity from a validated assertion (strings in a);
 * false when the user id's attribute is missing. */
static bool
map_identity(struct sg_arena *a, const struct sg_conf_idp *idp, const struct sg_saml_identity *id,
             struct sg_session *s)
{
	const struct sg_saml_attribute *g = find_attribute(id, &idp->groups_attribute);

	memset(s, 0, sizeof(*s));
	s->user = user_id(a, idp, id);
	s->display_name = first_value(id, &idp->name_attribute);
	s->email = first_value(id, &idp->email_attribute);
	s->groups = g ? mapped_groups(a, idp, g) : NULL;
	s->ngroups = g ? g->nvalues : 0;
	s->protocol = SG_PROTO_SAML;
	s->auth_time = id->authn_instant;
	s->saml_name_id = id->name_id;
	s->saml_name_id_format = id->name_id_format;
	s->saml_session_index = id->session_index;
	return s->user != NULL;
}

/* What the session needs from a validated assertion; false when act holds
 * the error page. */
static bool
session_from(struct sg_flow *f, const struct sg_conf_idp *idp, const struct sg_saml_identity *id,
             struct sg_session *s)
{
	if (map_identity(f->rc->arena, idp, id, s))
		return true;
	sg_log_warn("%s: [idp %s] sent no attribute %s for the user id", f->rc->client.addr,
	            idp->s.name, idp->user_attribute);
	flow_respond_error(f, 403,
	                   sg_arena_printf(f->rc->arena,
	                                   "The identity provider did not send the attribute "
	                                   "\"%s\", which this gateway uses as the user id.",
	                                   idp->user_attribute));
	return false;
}

/* A validated Response waiting for the replay cache's word. */
struct acs {
	struct sg_flow *f;
	const struct sg_conf_idp *idp;
	const char *ref; /* NULL: unsolicited */
	struct sg_login_state ls;
	struct sg_saml_identity id;
};

static void
on_replay_mark(void *arg, enum sg_store_status st)
{
	struct acs *x = arg;
	struct sg_flow *f = x->f;
	struct sg_session s;

	if (st == SG_STORE_UNAVAILABLE) {
		flow_respond_error(f, 503, "The session store cannot be reached.");
	} else if (st != SG_STORE_OK) {
		sg_log_warn("%s: [idp %s] assertion %s replayed", f->rc->client.addr,
		            x->idp->s.name, x->id.assertion_id);
		flow_respond_error(f, 403, "This sign-in response has been used before.");
	} else if (session_from(f, x->idp, &x->id, &s)) {
		struct sg_session *copy = sg_arena_alloc(f->rc->arena, sizeof(*copy));

		*copy = s;
		flow_finish_login(f, x->ref, &x->ls, copy);
	}
	flow_settle(f);
}

/* True when relay has the shape of a login reference (sg_sso_login_ref_new). */
static bool
is_login_ref(const char *relay)
{
	return relay != NULL && strlen(relay) == 22 &&
	       strspn(relay, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                     "abcdefghijklmnopqrstuvwxyz"
	                     "0123456789-_") == 22;
}

const struct sg_conf_idp *
saml_idp_by_issuer(struct sg_flow *f, const char *msg, bool deflated)
{
	const struct sg_conf_app *app = f->r.app;
	const struct sg_conf_idp *only = NULL;
	const char *issuer = NULL;
	size_t nsaml = 0;
	struct saml_idp_view v;

	for (size_t i = 0; i < app->idp_count; i++)
		if (app->idps[i]->type == SG_IDP_SAML) {
			only = app->idps[i];
			nsaml++;
		}
	if (nsaml <= 1)
		return only;
	if (sg_saml_peek_issuer(msg, strlen(msg), deflated, ACS_BODY_MAX, f->rc->arena, &issuer) ==
	        -1 ||
	    issuer == NULL)
		return NULL;
	for (size_t i = 0; i < app->idp_count; i++)
		if (app->idps[i]->type == SG_IDP_SAML &&
		    saml_idp_resolve(app->idps[i], false, f->now, f->rc->arena, &v) == NULL &&
		    strcmp(v.entity_id, issuer) == 0)
			return app->idps[i];
	return NULL;
}

/* The login this Response answers and the IdP that must have sent it: the
 * login-state cookie named by RelayState, or, for an unsolicited Response,
 * the IdP its Issuer names and a state made here whose return URL is
 * RelayState when the validator lets it be one.  false when act holds the
 * error page. */
static bool
acs_login_state(struct acs *x, const char *resp, const char *relay)
{
	struct sg_flow *f = x->f;
	const char *back;

	if (is_login_ref(relay)) {
		x->ref = relay;
		if (!flow_open_login(f, relay, &x->ls))
			return false;
		x->idp = flow_app_idp(f, x->ls.idp);
		if (x->idp == NULL || x->idp->type != SG_IDP_SAML) {
			flow_respond_error(
			    f, 400, "This sign-in was not sent to a SAML identity provider.");
			return false;
		}
		return true;
	}
	x->idp = saml_idp_by_issuer(f, resp, false);
	if (x->idp == NULL || !x->idp->allow_unsolicited) {
		flow_respond_error(f, 400,
		                   "This sign-in was not started here (an IdP-initiated sign-in), "
		                   "and the gateway does not accept those from this identity "
		                   "provider for this application.");
		return false;
	}
	back = relay != NULL && sg_sso_return_url_ok(f->rc->conf, relay) ? relay
	                                                                 : flow_app_url(f, "/");
	x->ls.app = f->r.app->s.name;
	x->ls.idp = x->idp->s.name;
	x->ls.return_url = back;
	x->ls.created = f->now;
	return true;
}

/*
 * Validates a posted SAMLResponse for app and idp: the one code path of
 * the ACS and of `ssogw --check-saml-response`.  in_response_to is our
 * request's ID, or NULL for an unsolicited Response.  0 with id filled,
 * or -1 with err; check hears every check.
 */
static int
saml_check(const struct sg_conf *c, const struct sg_conf_app *app, const struct sg_conf_idp *idp,
           const char *b64, size_t len, const char *in_response_to, int64_t now, struct sg_arena *a,
           struct sg_saml_identity *id, struct sg_err *err, sg_saml_check_cb check, void *arg)
{
	struct sg_saml_trust t = { 0 };
	struct saml_idp_view v;
	const char *why = saml_idp_resolve(idp, true, now, a, &v);
	int rc;

	if (why != NULL)
		return sg_err_set(err, 503, "%s", why); /* ours, not the Response's */
	t.idp_entity_id = v.entity_id;
	t.idp_keys = v.keys;
	t.sp_keys = saml_sp_keys(app);
	t.sp_entity_id = sg_app_url(c, app, true, "saml/metadata", a);
	t.acs_url = sg_app_url(c, app, true, "saml/acs", a);
	t.require_signed = idp->require_signed;
	t.allow_sha1 = idp->allow_sha1;
	t.clock_skew = (int64_t)(idp->clock_skew_ms / 1000);
	t.in_response_to = in_response_to;
	t.allow_unsolicited = in_response_to == NULL;
	t.max_size = ACS_BODY_MAX;
	rc = sg_saml_validate_response(b64, len, &t, now, a, id, err, check, arg);
	sg_saml_keys_unref(v.keys);
	sg_saml_keys_unref((struct sg_saml_keys *)t.sp_keys);
	return rc;
}

static void
on_acs_body(struct sg_flow *f, const struct sg_buf *body, bool too_large)
{
	const char *form = body->data ? body->data : "";
	const char *resp =
	    too_large ? NULL : sg_http_form_get(form, body->len, "SAMLResponse", f->rc->arena);
	const char *relay = sg_http_form_get(form, body->len, "RelayState", f->rc->arena);
	struct acs *x = sg_arena_alloc(f->rc->arena, sizeof(*x));
	struct sg_err err = { 0 };
	uint8_t mark[SG_SHA256_LEN];
	const struct sg_conf_idp *idp;
	const char *k;

	memset(x, 0, sizeof(*x));
	x->f = f;
	if (resp == NULL) {
		flow_respond_error(f, 400, "The sign-in response is missing or too large.");
		return;
	}
	if (!acs_login_state(x, resp, relay))
		return;
	idp = x->idp;
	if (saml_check(f->rc->conf, f->r.app, idp, resp, strlen(resp),
	               x->ref ? x->ls.request_id : NULL, f->now, f->rc->arena, &x->id, &err, NULL,
	               NULL) == -1) {
		sg_log_warn("%s: [idp %s] sign-in response refused: %s", f->rc->client.addr,
		            idp->s.name, err.detail);
		if (err.code == 503)
			flow_respond_error(f, 503, err.detail);
		else
			flow_respond_error(
			    f, 403,
			    sg_arena_printf(f->rc->arena,
			                    "The sign-in response could not be verified: "
			                    "%s",
			                    err.detail));
		return;
	}
	/* The replay cache, keyed by IdP and assertion ID, until the assertion
	 * could no longer be used anyway. */
	k = sg_arena_printf(f->rc->arena, "saml\n%s\n%s", idp->s.name, x->id.assertion_id);
	sg_sha256(k, strlen(k), mark);
	flow_wait(f);
	sg_store_mark_once(pipeline.store, &f->link, mark, f->now,
	                   x->id.assertion_expires + (int64_t)(idp->clock_skew_ms / 1000),
	                   on_replay_mark, x);
}

int
sg_pipeline_saml_init(struct sg_errlist *errs)
{
	return sg_saml_init(errs);
}

/* --check-saml-response: prints each check as it is made. */
static void
print_check(void *arg, const char *check, bool passed, const char *detail)
{
	fprintf(arg, "  %-4s %-22s %s\n", passed ? "ok" : "FAIL", check, detail ? detail : "");
}

int
sg_pipeline_check_saml_response(const struct sg_conf *c, const char *idp_name, const char *app_name,
                                const char *path, int64_t now, const char *request_id, FILE *out)
{
	const struct sg_conf_idp *idp = NULL;
	const struct sg_conf_app *app = NULL;
	struct sg_arena *a = sg_arena_new();
	struct sg_saml_identity id;
	struct sg_session s;
	struct sg_err err = { 0 };
	size_t len;
	char *b64;
	int rc = -1;

	for (size_t i = 0; i < c->idp_count; i++)
		if (strcmp(c->idps[i]->s.name, idp_name) == 0)
			idp = c->idps[i];
	for (size_t i = 0; i < c->app_count && idp != NULL && app == NULL; i++)
		if (app_name == NULL || strcmp(c->apps[i]->s.name, app_name) == 0)
			for (size_t j = 0; j < c->apps[i]->idp_count; j++)
				if (c->apps[i]->idps[j] == idp)
					app = c->apps[i];
	if (idp == NULL || idp->type != SG_IDP_SAML || app == NULL) {
		fprintf(out, "no SAML [idp %s] used by %s%s%s\n", idp_name,
		        app_name ? "[app " : "an app", app_name ? app_name : "",
		        app_name ? "]" : "");
		goto out;
	}
	b64 = sg_read_file(path, ACS_BODY_MAX, &len);
	if (b64 == NULL) {
		fprintf(out, "cannot read %s\n", path);
		goto out;
	}
	fprintf(out, "checking %s for [app %s] and [idp %s]:\n", path, app->s.name, idp->s.name);
	if (saml_check(c, app, idp, b64, len, request_id, now, a, &id, &err, print_check, out) ==
	    0) {
		bool ok = map_identity(a, idp, &id, &s);

		fprintf(out,
		        "valid.  The session would hold:\n  user   %s\n  name   %s\n"
		        "  email  %s\n  groups",
		        ok ? s.user : "(missing: the user id attribute is not there)",
		        s.display_name ? s.display_name : "-", s.email ? s.email : "-");
		for (size_t i = 0; i < s.ngroups; i++)
			fprintf(out, "%s%s", i ? ", " : " ", s.groups[i]);
		fprintf(out, "%s\n", s.ngroups ? "" : " -");
		rc = ok ? 0 : -1;
	} else {
		fprintf(out, "refused: %s\n", err.detail);
	}
	free(b64);
out:
	sg_arena_free(a);
	return rc;
}

/* The SP's metadata, for IdPs that import it (Entra ID, Keycloak). */
static void
sp_metadata(struct sg_flow *f)
{
	const struct sg_conf_app *app = f->r.app;
	struct sg_saml_sp_info sp = { 0 };
	struct sg_buf doc = { 0 };
	char *pem = NULL;
	size_t len;

	if (app->sp_certificate != NULL &&
	    (pem = sg_read_file(app->sp_certificate, 64 * 1024, &len)) == NULL) {
		sg_log_error("[app %s]: cannot read sp_certificate %s", app->s.name,
		             app->sp_certificate);
		flow_respond_error(f, 500, "The service provider's certificate cannot be read.");
		return;
	}
	sp.entity_id = flow_endpoint_url(f, "saml/metadata");
	sp.acs_url = flow_endpoint_url(f, "saml/acs");
	sp.slo_url = flow_endpoint_url(f, "saml/slo");
	sp.cert_pem = pem;
	sp.want_assertions_signed = true;
	for (size_t i = 0; i < app->idp_count; i++)
		sp.authn_requests_signed = sp.authn_requests_signed || app->idps[i]->sign_requests;
	sg_saml_sp_metadata(&sp, &doc);
	free(pem);
	flow_respond_body(f, 200, "application/samlmetadata+xml", &doc);
}

int
sg_pipeline_sp_info(const struct sg_conf *c, const char *name, FILE *out)
{
	const struct sg_conf_app *app = NULL;
	struct sg_arena *a;

	for (size_t i = 0; i < c->app_count; i++)
		if (strcmp(c->apps[i]->s.name, name) == 0)
			app = c->apps[i];
	if (app == NULL)
		return -1;
	a = sg_arena_new();
	fprintf(out,
	        "[app %s] as a SAML 2.0 service provider; enter these at the IdP:\n"
	        "  Identifier (Entity ID)   %s\n"
	        "  Reply URL (ACS, POST)    %s\n"
	        "  Sign-on URL              %s\n"
	        "  Logout URL               %s\n"
	        "  SP metadata URL          %s\n",
	        app->s.name, sg_app_url(c, app, true, "saml/metadata", a),
	        sg_app_url(c, app, true, "saml/acs", a), app->url.text,
	        sg_app_url(c, app, true, "saml/slo", a),
	        sg_app_url(c, app, true, "saml/metadata", a));
	sg_arena_free(a);
	return 0;
}

static bool
saml_endpoint(struct sg_flow *f, const char *sub)
{
	if (strcmp(sub, "saml/metadata") == 0) {
		if (strcmp(f->req->method, "GET") == 0 || strcmp(f->req->method, "HEAD") == 0)
			sp_metadata(f);
		else
			flow_respond_error(f, 405, "The SAML metadata is read with GET.");
		return true;
	}
	if (strcmp(sub, "saml/slo") == 0) {
		saml_slo_endpoint(f);
		return true;
	}
	if (strcmp(sub, "saml/acs") != 0)
		return false;
	if (strcmp(f->req->method, "POST") != 0) {
		flow_respond_error(f, 405, "The SAML assertion consumer takes POST only.");
		sg_http_set(&f->act->resp, f->rc->arena, "Allow", "POST");
		return true;
	}
	flow_read_body(f, ACS_BODY_MAX, on_acs_body);
	return true;
}

const struct sg_login_provider sg_saml_provider = { saml_start, saml_endpoint, saml_logout };
