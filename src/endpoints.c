/*
 * endpoints.c - the gateway's own side of the data path: what happens to a
 * protected request without a session (a login starts, a form POST is kept
 * for after it, an API call gets 401), how a login ends (the session, its
 * cookie, the way back), and the endpoints under the reserved prefix:
 *
 *   <prefix>login        GET ?return=URL: sign in, then go to URL
 *   <prefix>logout       GET: a confirmation form; POST (CSRF token): end
 *                        the session, then ?return= or a signed-out page
 *   <prefix>post-replay  POST ref=: sends a preserved form POST on to the
 *                        application, as the signed-in user
 *   <prefix>jwks.json    the public key of identity JWTs
 *   anything else        the sign-in providers' (SAML ACS, OIDC callback)
 *
 * Every URL the gateway redirects to on someone else's say goes through
 * sg_sso_return_url_ok.  The protocols themselves live in their modules;
 * this file only knows struct sg_login_provider.
 */
#include "config.h"

#include <stdatomic.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "pipeline_int.h"

/* Bodies the gateway reads for its own forms: a few fields. */
#define FORM_MAX 8192

/* An API client without a session: 401 with a JSON body that says where a
 * browser would sign in (RFC 9110 15.5.2 wants a challenge: ours names the
 * gateway's cookie scheme, which no client will mistake for its own). */
static void
respond_login_required(struct sg_flow *f)
{
	struct sg_buf body = { 0 }, url = { 0 };

	sg_buf_puts(&url, flow_endpoint_url(f, "login?return="));
	sg_http_percent_encode(&url, f->r.path, strlen(f->r.path), "/");
	sg_buf_puts(&body, "{\"status\":401,\"error\":\"login_required\",\"detail\":\"Sign in "
	                   "first: this application needs a session.\",\"login_url\":\"");
	sg_buf_json_escape(&body, url.data);
	sg_buf_puts(&body, "\"}\n");
	flow_respond_body(f, 401, "application/json", &body);
	sg_http_set(&f->act->resp, f->rc->arena, "WWW-Authenticate",
	            sg_arena_printf(f->rc->arena, "Cookie realm=\"%s\"", f->r.app->s.name));
	sg_buf_free(&url);
}

/* The kept POST is in the store: go and sign in, then replay it. */
static void
on_post_kept(void *arg, enum sg_store_status st)
{
	struct sg_flow *f = arg;

	if (st != SG_STORE_OK)
		flow_respond_error(f, 503,
		                   "The session store cannot be reached. Please try again in a "
		                   "moment.");
	else
		flow_start_login(f, f->login_force, f->r.path, f->post_ref);
	flow_settle(f);
}

/* Keeps body (a form POST that came without a usable session), sealed, in
 * the store for the length of a login, then starts the login; force: a
 * step-up. */
static void
keep_post_and_login(struct sg_flow *f, const struct sg_buf *body, bool force)
{
	struct sg_preserved_post p = { 0 };
	struct sg_buf sealed = { 0 }, ref = { 0 };
	uint8_t raw[16], key[SG_SHA256_LEN];

	p.target = f->req->target;
	p.content_type = sg_http_get(f->req, "Content-Type");
	p.body = body->data ? body->data : "";
	p.len = body->len;
	sg_sso_post_seal(pipeline.keys.post, &p, &sealed);
	sg_csprng(raw, sizeof(raw));
	sg_base64url_encode(raw, sizeof(raw), &ref);
	f->post_ref = sg_arena_strdup(f->rc->arena, ref.data);
	sg_sha256(ref.data, ref.len, key);
	f->login_force = force;
	f->act->own_body = false; /* the body is the store's now; the answer is ours */
	flow_wait(f);
	sg_store_blob_put(pipeline.store, &f->link, key, sealed.data, sealed.len,
	                  f->now + (int64_t)(f->rc->conf->session.login_state_ttl_ms / 1000),
	                  on_post_kept, f);
	sg_buf_free(&sealed);
	sg_buf_free(&ref);
}

static void
on_preserve_body(struct sg_flow *f, const struct sg_buf *body, bool too_large)
{
	if (too_large) {
		flow_respond_error(f, 413,
		                   "Your session has ended, and this form is larger than the "
		                   "gateway keeps across a sign-in. Sign in again, then send the "
		                   "form once more.");
		return;
	}
	keep_post_and_login(f, body, false);
}

void
flow_login_keeping_post(struct sg_flow *f, bool force)
{
	struct sg_buf body = f->act->body; /* moved out: responses reuse act->body */

	memset(&f->act->body, 0, sizeof(f->act->body));
	keep_post_and_login(f, &body, force);
	sg_buf_free(&body);
}

/* True when the client is a browser that would show a page (Accept names
 * HTML), whatever the method. */
static bool
accepts_html(const struct sg_http_msg *m)
{
	const char *accept = sg_http_get(m, "Accept");

	return accept != NULL && strstr(accept, "text/html") != NULL &&
	       sg_http_get(m, "X-Requested-With") == NULL;
}

void
flow_no_session(struct sg_flow *f)
{
	const struct sg_conf_app *app = f->r.app;

	if (f->act->own_body) {
		/* A replayed POST that still finds no session: its body was read
		 * already (it is the kept one), so keep it again. */
		flow_login_keeping_post(f, false);
		return;
	}
	if (app->preserve_post_max > 0 && sg_sso_post_preservable(f->req) && accepts_html(f->req)) {
		flow_read_body(f, app->preserve_post_max, on_preserve_body);
		return;
	}
	if (sg_gate_wants_login_redirect(f->req)) {
		flow_start_login(f, false, f->r.path, NULL);
		return;
	}
	respond_login_required(f);
}

/* A new login reference (it names a login or logout state cookie). */
static void
new_ref(char ref[23])
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	sg_sso_login_ref_new((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, ref);
}

const struct sg_conf_idp *
flow_app_idp(const struct sg_flow *f, const char *name)
{
	for (size_t i = 0; i < f->r.app->idp_count; i++)
		if (strcmp(f->r.app->idps[i]->s.name, name) == 0)
			return f->r.app->idps[i];
	return NULL;
}

/* The app's IdP for an email address or a bare domain (its "domains"), or
 * NULL. */
static const struct sg_conf_idp *
idp_for_domain(const struct sg_conf_app *app, const char *email_or_domain)
{
	const char *at = strrchr(email_or_domain, '@');
	const char *d = at != NULL ? at + 1 : email_or_domain;

	for (size_t i = 0; i < app->idp_count; i++)
		for (size_t j = 0; j < app->idps[i]->domains.count; j++)
			if (strcasecmp(app->idps[i]->domains.v[j], d) == 0)
				return app->idps[i];
	return NULL;
}

/*
 * Home-realm discovery: the IdP this login goes to.  The only one when the
 * app has one; else the one the request names: idp=NAME (on <prefix>login),
 * domain_hint=DOMAIN or login_hint=EMAIL (Entra ID's names, on any URL),
 * matched against each IdP's "domains".  NULL: the user chooses.
 */
static const struct sg_conf_idp *
pick_idp(struct sg_flow *f, bool own_endpoint)
{
	const struct sg_conf_app *app = f->r.app;
	const char *name = own_endpoint ? flow_query(f, "idp") : NULL;
	const char *hint = flow_query(f, "domain_hint");
	const struct sg_conf_idp *idp = NULL;

	if (app->idp_count <= 1)
		return app->idp;
	if (name != NULL)
		idp = flow_app_idp(f, name);
	if (idp == NULL && hint != NULL)
		idp = idp_for_domain(app, hint);
	if (idp == NULL && (hint = flow_query(f, "login_hint")) != NULL)
		idp = idp_for_domain(app, hint);
	return idp;
}

/* Seals ls into the login cookie named by ref, dropping the oldest such
 * cookies beyond login_state_max. */
static void
set_login_cookie(struct sg_flow *f, const char *ref, const struct sg_login_state *ls)
{
	const struct sg_conf *c = f->rc->conf;
	const char **drop;
	size_t n = sg_sso_login_cookies_to_drop(c, f->req, f->rc->arena, &drop);

	for (size_t i = 0; i < n; i++)
		sg_http_add(&f->act->resp, f->rc->arena, "Set-Cookie", drop[i]);
	sg_http_add(&f->act->resp, f->rc->arena, "Set-Cookie",
	            sg_sso_login_cookie(c, pipeline.keys.login, ref, ls, f->rc->arena));
}

/* Sends the browser to idp for login ls under ref, and seals ls (now with
 * what the provider added) into the login cookie. */
static void
start_with(struct sg_flow *f, const struct sg_conf_idp *idp, struct sg_login_state *ls,
           const char *ref)
{
	const struct sg_login_provider *p = pipeline.providers[idp->type];

	if (p == NULL) {
		/* Said once at start (sg_pipeline_init); here only for -d. */
		flow_respond_error(f, 503, "Sign-in is not available for this application yet.");
		return;
	}
	ls->idp = idp->s.name;
	if (!p->start(f, idp, ls, ref))
		return; /* the provider answered with an error */
	set_login_cookie(f, ref, ls);
}

/* The chooser: one button per IdP of the app, and an email field whose
 * domain picks one; both come back to <prefix>login/choose with ref. */
static void
respond_chooser(struct sg_flow *f, const char *ref, const char *notice, int status)
{
	const struct sg_conf_app *app = f->r.app;
	struct sg_sso_choice *ch = sg_arena_alloc(f->rc->arena, app->idp_count * sizeof(*ch));
	struct sg_buf page = { 0 };
	bool by_email = false;

	for (size_t i = 0; i < app->idp_count; i++) {
		ch[i].name = app->idps[i]->s.name;
		ch[i].label =
		    app->idps[i]->display_name ? app->idps[i]->display_name : app->idps[i]->s.name;
		by_email = by_email || app->idps[i]->domains.count > 0;
	}
	sg_sso_chooser_page(flow_endpoint_url(f, "login/choose"), ref, ch, app->idp_count, by_email,
	                    notice, &page);
	flow_respond_body(f, status, "text/html; charset=utf-8", &page);
}

/* A login whose IdP the user must choose: the state is sealed now, with
 * an empty IdP, and the chooser page comes back with its reference. */
static void
start_choosing(struct sg_flow *f, struct sg_login_state *ls, const char *ref)
{
	ls->idp = "";
	respond_chooser(f, ref, NULL, 200);
	set_login_cookie(f, ref, ls);
}

/* Starts a login; own_endpoint: the request is <prefix>login (idp= counts). */
static void
start_login(struct sg_flow *f, bool force, const char *return_url, const char *post_ref,
            bool own_endpoint)
{
	const struct sg_conf_idp *idp = pick_idp(f, own_endpoint);
	struct sg_login_state ls = { 0 };
	char ref[23];

	if (f->r.app->idp_count == 0) {
		flow_respond_error(f, 503, "Sign-in is not available for this application.");
		return;
	}
	new_ref(ref);
	ls.app = f->r.app->s.name;
	ls.return_url = return_url;
	ls.force_authn = force;
	ls.post_ref = post_ref;
	ls.created = f->now;
	if (idp == NULL)
		start_choosing(f, &ls, ref);
	else
		start_with(f, idp, &ls, ref);
}

void
flow_start_login(struct sg_flow *f, bool force, const char *return_url, const char *post_ref)
{
	start_login(f, force, return_url, post_ref, false);
}

/* <prefix>login/choose?ref=REF&idp=NAME or &email=ADDRESS: the chooser's
 * answer goes on to the IdP under the same login reference. */
static void
login_choose(struct sg_flow *f)
{
	const char *ref = flow_query(f, "ref"), *name = flow_query(f, "idp");
	const char *email = flow_query(f, "email");
	const struct sg_conf_idp *idp = NULL;
	struct sg_login_state ls;

	if (!flow_open_login(f, ref, &ls))
		return;
	if (ls.idp[0] != '\0') {
		flow_respond_error(f, 400,
		                   "This sign-in has already chosen its identity provider.");
		return;
	}
	if (name != NULL)
		idp = flow_app_idp(f, name);
	else if (email != NULL && *email != '\0')
		idp = idp_for_domain(f->r.app, email);
	if (idp == NULL) {
		respond_chooser(f, ref,
		                email != NULL ? "No sign-in is set up for that email address's "
		                                "domain. Choose where to sign in."
		                              : "Choose where to sign in.",
		                email != NULL ? 200 : 400);
		return;
	}
	start_with(f, idp, &ls, ref);
}

bool
flow_open_login(struct sg_flow *f, const char *ref, struct sg_login_state *ls)
{
	struct sg_err err = { 0 };

	if (ref == NULL || sg_sso_login_state_open(f->rc->conf, pipeline.keys.login, f->req, ref,
	                                           f->now, f->rc->arena, ls, &err) == -1) {
		sg_log_info("%s: login state refused: %s", f->rc->client.addr,
		            ref ? err.detail : "no reference");
		flow_respond_error(f, 400,
		                   ref ? err.detail : "This sign-in has no login reference.");
		return false;
	}
	if (strcmp(ls->app, f->r.app->s.name) != 0) {
		flow_respond_error(f, 400, "This sign-in was started for another application.");
		return false;
	}
	return true;
}

/* What a finished login needs after the store has the session. */
struct login_end {
	struct sg_flow *f;
	const char *ref;
	struct sg_login_state ls;
	const char *cookie; /* the session's Set-Cookie value */
	const char *user;
	uint8_t skey[SG_SHA256_LEN]; /* the new session's store key */
};

/* The token that binds a kept POST's replay to the session whose login
 * kept it: without it, anyone holding a reference (say, from a login of
 * their own) could have another signed-in browser send the form. */
static const char *
replay_token(const uint8_t *skey, const char *ref, struct sg_arena *a)
{
	uint8_t bound[SG_SHA256_LEN];
	struct sg_buf b = { 0 };
	const char *t;

	sg_buf_append(&b, skey, SG_SHA256_LEN);
	sg_buf_puts(&b, ref);
	sg_sha256(b.data, b.len, bound);
	sg_buf_free(&b);
	t = sg_sso_csrf_token(pipeline.keys.csrf, bound, a);
	sg_wipe(bound, sizeof(bound));
	return t;
}

void
flow_respond_autopost(struct sg_flow *f, const char *action, const struct sg_sso_field *fields,
                      size_t n, bool to_self, const char *message)
{
	struct sg_buf page = { 0 }, nonce = { 0 };
	uint8_t raw[16];

	sg_csprng(raw, sizeof(raw));
	sg_base64url_encode(raw, sizeof(raw), &nonce);
	sg_sso_autopost_page(action, fields, n, nonce.data, message, &page);
	flow_respond_body(f, 200, "text/html; charset=utf-8", &page);
	sg_http_set(&f->act->resp, f->rc->arena, "Content-Security-Policy",
	            sg_arena_printf(f->rc->arena,
	                            "default-src 'none'; script-src 'nonce-%s'; "
	                            "style-src 'unsafe-inline'%s",
	                            nonce.data, to_self ? "; form-action 'self'" : ""));
	sg_buf_free(&nonce);
}

/* Sends the browser on after a login: the replay page for a kept POST,
 * else the return URL when it passes the validator, else the app's start. */
static void
login_onward(struct login_end *e)
{
	struct sg_flow *f = e->f;
	const char *back = e->ls.return_url;

	if (e->ls.post_ref != NULL) {
		struct sg_sso_field ref = {
			"ref", sg_arena_printf(f->rc->arena, "%s.%s", e->ls.post_ref,
			                       replay_token(e->skey, e->ls.post_ref, f->rc->arena))
		};

		flow_respond_autopost(f, flow_endpoint_url(f, "post-replay"), &ref, 1, true,
		                      "You are signed in. Continue to send the form you were "
		                      "filling in.");
		return;
	}
	if (back == NULL || !sg_sso_return_url_ok(f->rc->conf, back))
		back = flow_app_url(f, "/");
	flow_redirect(f, 303, back);
}

/* The store has the new session (or could not take it). */
static void
on_login_stored(void *arg, enum sg_store_status st)
{
	struct login_end *e = arg;
	struct sg_flow *f = e->f;
	struct sg_arena *a = f->rc->arena;

	if (st != SG_STORE_OK) {
		flow_respond_error(f, 503,
		                   "The session store cannot be reached, so the sign-in could not "
		                   "be kept. Please try again in a moment.");
		flow_settle(f);
		return;
	}
	f->rc->user = e->user;
	sg_log_info("%s: user %s signed in to [app %s] through [idp %s]%s", f->rc->client.addr,
	            e->user, f->r.app->s.name, e->ls.idp, e->ls.force_authn ? " (step-up)" : "");
	login_onward(e);
	sg_http_add(&f->act->resp, a, "Set-Cookie", e->cookie);
	if (e->ref != NULL) /* NULL: an unsolicited login had no login cookie */
		sg_http_add(&f->act->resp, a, "Set-Cookie",
		            sg_sso_login_cookie_clear(f->rc->conf, e->ref, a));
	flow_settle(f);
}

/* The old session of this browser ends when a new one begins. */
static void
on_old_session_gone(void *arg, enum sg_store_status st)
{
	(void)arg;
	(void)st;
}

/* True when s is text that can go into a header field and a log line: no
 * control characters, at most max bytes. */
static bool
clean_text(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f || n >= max)
			return false;
	return true;
}

/* What an IdP said about the user must be usable as it is: a user id that
 * is not is refused; names, email and groups that are not are left out. */
static bool
session_usable(struct sg_flow *f, struct sg_session *s)
{
	size_t kept = 0;

	if (s->user == NULL || s->user[0] == '\0' || !clean_text(s->user, 256)) {
		sg_log_warn("%s: sign-in to [app %s] refused: the IdP's user id is empty, too long "
		            "or holds control characters",
		            f->rc->client.addr, f->r.app->s.name);
		flow_respond_error(f, 400,
		                   "The identity provider sent a user id that cannot be used "
		                   "(empty, longer than 256 bytes, or with control characters).");
		return false;
	}
	if (s->display_name != NULL && !clean_text(s->display_name, 1024))
		s->display_name = NULL;
	if (s->email != NULL && !clean_text(s->email, 1024))
		s->email = NULL;
	for (size_t i = 0; i < s->ngroups; i++)
		if (s->groups[i] != NULL && s->groups[i][0] != '\0' &&
		    clean_text(s->groups[i], 1024))
			s->groups[kept++] = s->groups[i];
	s->ngroups = kept;
	return true;
}

void
flow_finish_login(struct sg_flow *f, const char *ref, const struct sg_login_state *ls,
                  struct sg_session *s)
{
	const struct sg_conf_session *ses = &f->rc->conf->session;
	struct login_end *e;
	uint8_t id[SG_SESSION_ID_LEN];

	if (ls->logout || flow_app_idp(f, ls->idp) == NULL) {
		/* An empty IdP: the chooser's state, which no IdP has answered. */
		flow_respond_error(f, 400, "This sign-in has not chosen an identity provider.");
		return;
	}
	if (!session_usable(f, s))
		return;
	if (s->auth_time == 0 || s->auth_time > f->now)
		s->auth_time = f->now;
	/* A step-up the IdP did not honour (it kept its old sign-in) would
	 * send the browser round again and again: stop here instead. */
	if (ls->force_authn &&
	    f->now - s->auth_time > (int64_t)(f->r.app->step_up_max_age_ms / 1000)) {
		sg_log_warn("%s: step-up for user %s on [app %s]: the IdP did not sign the user in "
		            "again",
		            f->rc->client.addr, s->user, f->r.app->s.name);
		flow_respond_error(f, 403,
		                   "This page needs a fresh sign-in, and the identity provider did "
		                   "not ask you to sign in again.");
		return;
	}
	e = sg_arena_alloc(f->rc->arena, sizeof(*e));
	e->f = f;
	e->ref = ref;
	e->ls = *ls;
	e->user = s->user;
	/* A new id at every login: a planted cookie never becomes a session. */
	sg_session_new_id(id, s->key);
	memcpy(e->skey, s->key, SG_SHA256_LEN);
	e->cookie = sg_sso_session_cookie(f->rc->conf, id, f->rc->arena);
	sg_wipe(id, sizeof(id));
	s->idp = ls->idp;
	s->created = s->last_seen = f->now;
	s->expires = f->now + (int64_t)(ses->absolute_timeout_ms / 1000);
	if (f->has_id)
		sg_store_del(pipeline.store, &f->link, f->skey, on_old_session_gone, NULL);
	flow_wait(f);
	sg_store_put(pipeline.store, &f->link, s, on_login_stored, e);
}

/* ---- <prefix>logout ---- */

/* Single logout: when the ended session came from an IdP whose protocol
 * logs out there too, the browser goes there, with a sealed logout state;
 * true when act holds that redirect. */
static bool
logout_at_idp(struct sg_flow *f)
{
	const struct sg_session *s = f->ended;
	const struct sg_conf_idp *idp = s != NULL ? flow_app_idp(f, s->idp) : NULL;
	const struct sg_login_provider *p = idp != NULL ? pipeline.providers[idp->type] : NULL;
	struct sg_login_state ls = { 0 };
	char ref[23];

	if (p == NULL || p->logout == NULL)
		return false;
	new_ref(ref);
	ls.app = f->r.app->s.name;
	ls.idp = idp->s.name;
	ls.logout = true;
	ls.return_url = f->return_url != NULL ? f->return_url : "";
	ls.created = f->now;
	if (!p->logout(f, idp, s, &ls, ref))
		return false;
	set_login_cookie(f, ref, &ls);
	return true;
}

/* The session is gone: clear the cookie and go on (by the IdP's logout
 * when there is one). */
static void
on_logged_out(void *arg, enum sg_store_status st)
{
	struct sg_flow *f = arg;
	const char *back = f->return_url;

	if (st == SG_STORE_UNAVAILABLE) {
		flow_respond_error(f, 503,
		                   "The session store cannot be reached, so the session could not "
		                   "be ended. Please try again in a moment.");
		flow_settle(f);
		return;
	}
	sg_log_info("%s: session%s%s ended by sign-out on [app %s]", f->rc->client.addr,
	            f->ended ? " of " : "", f->ended ? f->ended->user : "", f->r.app->s.name);
	if (logout_at_idp(f))
		; /* the IdP's answer comes back to the provider's endpoint */
	else if (back != NULL)
		flow_redirect(f, 303, back);
	else
		flow_respond_error(f, 200, "You are signed out.");
	sg_http_add(&f->act->resp, f->rc->arena, "Set-Cookie",
	            sg_sso_session_cookie_clear(f->rc->conf, f->rc->arena));
	flow_settle(f);
}

/* The session about to end, read first for the IdP's logout. */
static void
on_logout_session(void *arg, enum sg_store_status st, struct sg_session *s)
{
	struct sg_flow *f = arg;

	if (st == SG_STORE_UNAVAILABLE) {
		on_logged_out(f, st);
		return;
	}
	f->ended = st == SG_STORE_OK ? s : NULL;
	sg_store_del(pipeline.store, &f->link, f->skey, on_logged_out, f);
}

static void
on_logout_body(struct sg_flow *f, const struct sg_buf *body, bool too_large)
{
	const char *form = body->data ? body->data : "";
	const char *token =
	    too_large ? NULL : sg_http_form_get(form, body->len, "csrf", f->rc->arena);
	const char *back =
	    too_large ? NULL : sg_http_form_get(form, body->len, "return", f->rc->arena);

	f->return_url = back != NULL && sg_sso_return_url_ok(f->rc->conf, back) ? back : NULL;
	if (!f->has_id) {
		on_logged_out(f, SG_STORE_OK);
		return;
	}
	if (token == NULL || !sg_sso_csrf_ok(pipeline.keys.csrf, f->skey, token)) {
		flow_respond_error(f, 403,
		                   "This sign-out form is not valid for your session. Open the "
		                   "sign-out page again.");
		return;
	}
	flow_wait(f);
	sg_store_peek(pipeline.store, &f->link, f->skey, f->now, f->rc->arena, on_logout_session,
	              f);
}

static void
logout(struct sg_flow *f)
{
	const char *back = flow_query(f, "return");
	struct sg_buf page = { 0 };

	if (back != NULL && !sg_sso_return_url_ok(f->rc->conf, back))
		back = NULL;
	if (strcmp(f->req->method, "POST") == 0) {
		flow_read_body(f, FORM_MAX, on_logout_body);
		return;
	}
	if (!f->has_id) {
		flow_respond_error(f, 200, "You are signed out.");
		return;
	}
	sg_sso_logout_page(flow_endpoint_url(f, "logout"),
	                   sg_sso_csrf_token(pipeline.keys.csrf, f->skey, f->rc->arena), back,
	                   &page);
	flow_respond_body(f, 200, "text/html; charset=utf-8", &page);
}

/* ---- <prefix>post-replay ---- */

/* The kept POST is back: send it on as if it had just arrived. */
static void
on_replay_blob(void *arg, enum sg_store_status st, const void *sealed, size_t n)
{
	struct sg_flow *f = arg;
	struct sg_preserved_post p;
	struct sg_http_msg *req = f->req;
	struct sg_arena *a = f->rc->arena;

	if (st == SG_STORE_UNAVAILABLE) {
		flow_respond_error(f, 503, "The session store cannot be reached.");
	} else if (st != SG_STORE_OK ||
	           sg_sso_post_open(pipeline.keys.post, sealed, n, a, &p) == -1) {
		flow_respond_error(f, 400,
		                   "This form was already sent, or was kept too long. Send it "
		                   "again from the application.");
	} else {
		req->target = p.target;
		sg_http_remove(req, "Transfer-Encoding");
		sg_http_set(req, a, "Content-Type", p.content_type);
		sg_http_set(req, a, "Content-Length", sg_arena_printf(a, "%zu", p.len));
		req->framing = SG_BODY_LENGTH;
		req->content_length = p.len;
		sg_buf_reset(&f->act->body);
		sg_buf_append(&f->act->body, p.body, p.len);
		f->act->own_body = true;
		flow_dispatch(f);
	}
	flow_settle(f);
}

/* The replay form's "ref" is REF.TOKEN: the kept POST's reference and the
 * token that binds it to this browser's session (replay_token). */
static void
on_replay_body(struct sg_flow *f, const struct sg_buf *body, bool too_large)
{
	const char *value = too_large ? NULL
	                              : sg_http_form_get(body->data ? body->data : "", body->len,
	                                                 "ref", f->rc->arena);
	const char *dot = value ? strchr(value, '.') : NULL;
	const char *ref = dot ? sg_arena_strndup(f->rc->arena, value, (size_t)(dot - value)) : NULL;
	const char *want;
	uint8_t key[SG_SHA256_LEN];

	if (ref == NULL) {
		flow_respond_error(f, 400, "This replay has no form reference.");
		return;
	}
	want = f->has_id ? replay_token(f->skey, ref, f->rc->arena) : "";
	if (!f->has_id || strlen(dot + 1) != strlen(want) ||
	    !sg_ct_equal(dot + 1, want, strlen(want))) {
		flow_respond_error(f, 403,
		                   "This form can only be sent again by the browser that signed in "
		                   "for it.");
		return;
	}
	sg_sha256(ref, strlen(ref), key);
	flow_wait(f);
	sg_store_blob_take(pipeline.store, &f->link, key, f->now, on_replay_blob, f);
}

/* ---- the rest ---- */

static void
jwks(struct sg_flow *f)
{
	struct sg_jose_key *k = atomic_load(&pipeline.jwt_key);
	struct sg_buf doc = { 0 };

	if (k == NULL) {
		flow_respond_error(f, 404, "This gateway signs no identity tokens.");
		return;
	}
	sg_buf_puts(&doc, sg_jose_jwks(k, f->rc->arena));
	flow_respond_body(f, 200, "application/jwk-set+json", &doc);
	sg_http_set(&f->act->resp, f->rc->arena, "Cache-Control", "public, max-age=300");
}

static void
login(struct sg_flow *f)
{
	const char *back = flow_query(f, "return");

	if (back == NULL || !sg_sso_return_url_ok(f->rc->conf, back))
		back = flow_app_url(f, "/");
	start_login(f, false, back, NULL, true);
}

/* True when the request's method is one of the list, else a 405. */
static bool
method_ok(struct sg_flow *f, const char *allowed)
{
	const char *m = f->req->method;
	size_t n = strlen(m);

	for (const char *s = allowed; (s = strstr(s, m)) != NULL; s += n)
		if ((s == allowed || s[-1] == ' ') && (s[n] == ',' || s[n] == '\0'))
			return true;
	flow_respond_error(f, 405, "This gateway address does not take that method.");
	sg_http_set(&f->act->resp, f->rc->arena, "Allow", allowed);
	return false;
}

/* Hands sub to the sign-in providers of the app's IdPs (each kind once). */
static bool
provider_endpoint(struct sg_flow *f, const char *sub)
{
	const struct sg_conf_app *app = f->r.app;

	for (size_t i = 0; i < app->idp_count; i++) {
		const struct sg_login_provider *p = pipeline.providers[app->idps[i]->type];
		bool seen = false;

		for (size_t j = 0; j < i; j++)
			seen = seen || app->idps[j]->type == app->idps[i]->type;
		if (!seen && p != NULL && p->endpoint != NULL && p->endpoint(f, sub))
			return true;
	}
	return false;
}

void
flow_gateway(struct sg_flow *f)
{
	const char *sub = f->r.app_path + strlen(f->rc->conf->server.prefix);

	if (strcmp(sub, "login") == 0) {
		if (method_ok(f, "GET, HEAD"))
			login(f);
	} else if (strcmp(sub, "login/choose") == 0) {
		if (method_ok(f, "GET, HEAD"))
			login_choose(f);
	} else if (strcmp(sub, "logout") == 0) {
		if (method_ok(f, "GET, HEAD, POST"))
			logout(f);
	} else if (strcmp(sub, "post-replay") == 0) {
		if (method_ok(f, "POST"))
			flow_read_body(f, FORM_MAX, on_replay_body);
	} else if (strcmp(sub, "jwks.json") == 0) {
		if (method_ok(f, "GET, HEAD"))
			jwks(f);
	} else if (!provider_endpoint(f, sub)) {
		flow_respond_error(f, 404, "There is no gateway endpoint at this address.");
	}
}
