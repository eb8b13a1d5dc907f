/*
 * logout_saml.c - SAML 2.0 Single Logout (profiles 4.4) for the SAML
 * sign-in provider, at <prefix>saml/slo:
 *
 *   SP-initiated: once <prefix>logout has ended a SAML session, a signed
 *   (sign_requests) LogoutRequest over HTTP-Redirect sends the browser to
 *   the IdP's SingleLogoutService, with RelayState naming a sealed logout
 *   state (the request's ID, the return URL); the IdP's LogoutResponse
 *   comes back here and the browser goes on.  The gateway's own session
 *   is gone before the browser leaves: whatever the IdP does, this
 *   gateway has signed the user out.
 *
 *   IdP-initiated: a LogoutRequest (HTTP-Redirect or HTTP-POST; it must be
 *   signed by the IdP, or anyone could end anyone's sessions) ends every
 *   session of that NameID at that IdP, or of its SessionIndexes, on every
 *   gateway sharing the store, open WebSocket tunnels included (their
 *   session checks find it gone); a LogoutResponse goes back to the IdP.
 *
 * The protocol itself (building, parsing, signatures) is src/saml/.
 */
#include "config.h"

#include <string.h>

#include "pipeline_int.h"
#include "saml.h"

/* A logout message is small; a POSTed one is base64 of it. */
#define SLO_MAX (64 * 1024)
/* SessionIndexes ended one by one (core allows any number); a request
 * with more ends every session of its NameID instead: more, never less. */
#define SLO_MAX_INDEXES 16

bool
saml_logout(struct sg_flow *f, const struct sg_conf_idp *idp, const struct sg_session *s,
            struct sg_login_state *ls, const char *ref)
{
	struct sg_saml_logout_request r = { 0 };
	struct sg_saml_keys *key = NULL;
	struct sg_err err = { 0 };
	struct saml_idp_view v;
	const char *id, *url;
	int rc;

	if (!idp->single_logout || s->protocol != SG_PROTO_SAML || s->saml_name_id == NULL ||
	    saml_idp_resolve(idp, false, f->now, f->rc->arena, &v) != NULL || v.slo_url == NULL)
		return false;
	if (idp->sign_requests && (key = saml_sp_keys(f->r.app)) == NULL)
		return false; /* logged; the local logout stands */
	r.sp_entity_id = flow_endpoint_url(f, "saml/metadata");
	r.idp_slo_url = v.slo_url;
	r.name_id = s->saml_name_id;
	r.name_id_format = s->saml_name_id_format;
	r.session_index = s->saml_session_index;
	r.relay_state = ref;
	r.sign_key = key;
	r.now = f->now;
	rc = sg_saml_logout_request_redirect(&r, f->rc->arena, &id, &url, &err);
	sg_saml_keys_unref(key);
	if (rc == -1) {
		sg_log_error("[idp %s]: cannot build a LogoutRequest: %s", idp->s.name, err.detail);
		return false;
	}
	ls->request_id = id;
	flow_redirect(f, 302, url);
	sg_log_info("%s: user %s goes on to sign out at [idp %s]", f->rc->client.addr, s->user,
	            idp->s.name);
	return true;
}

/* What a logout message received for idp must match; false when act holds
 * the error page.  t->idp_keys and t->sp_keys are references to drop. */
static bool
slo_trust(struct sg_flow *f, const struct sg_conf_idp *idp, struct sg_saml_logout_trust *t)
{
	struct saml_idp_view v;
	const char *why = saml_idp_resolve(idp, true, f->now, f->rc->arena, &v);

	memset(t, 0, sizeof(*t));
	if (why != NULL) {
		flow_respond_error(f, 503, why);
		return false;
	}
	t->idp_entity_id = v.entity_id;
	t->idp_keys = v.keys;
	t->sp_keys = saml_sp_keys(f->r.app);
	t->slo_url = flow_endpoint_url(f, "saml/slo");
	t->allow_sha1 = idp->allow_sha1;
	t->clock_skew = (int64_t)(idp->clock_skew_ms / 1000);
	t->require_signed_response = false; /* bound to our request by InResponseTo */
	t->max_size = SLO_MAX;
	return true;
}

static void
slo_trust_free(struct sg_saml_logout_trust *t)
{
	sg_saml_keys_unref((struct sg_saml_keys *)t->idp_keys);
	sg_saml_keys_unref((struct sg_saml_keys *)t->sp_keys);
}

/* An IdP's LogoutRequest being acted on. */
struct slo {
	struct sg_flow *f;
	const struct sg_conf_idp *idp;
	struct sg_saml_logout_message m;
	const char *relay_state;
	size_t next;  /* the SessionIndex to end next */
	bool failed;  /* the store could not be reached */
	bool pending; /* a store call has not answered yet */
	bool in_loop; /* slo_end_next is on the stack: it goes on itself */
};

/* Answers the IdP: a LogoutResponse back to its SLO service (Success, or
 * Responder when the store could not end the sessions). */
static void
slo_answer(struct slo *x)
{
	struct sg_flow *f = x->f;
	struct sg_saml_logout_response r = { 0 };
	struct sg_saml_keys *key = NULL;
	struct sg_err err = { 0 };
	struct saml_idp_view v;
	const char *url;
	int rc;

	if (saml_idp_resolve(x->idp, false, f->now, f->rc->arena, &v) != NULL ||
	    (v.slo_response_url == NULL && v.slo_url == NULL) ||
	    (x->idp->sign_requests && (key = saml_sp_keys(f->r.app)) == NULL)) {
		flow_respond_error(f, x->failed ? 503 : 200,
		                   x->failed ? "The session store cannot be reached."
		                             : "You are signed out.");
		return;
	}
	r.sp_entity_id = flow_endpoint_url(f, "saml/metadata");
	r.idp_slo_url = v.slo_response_url != NULL ? v.slo_response_url : v.slo_url;
	r.in_response_to = x->m.id;
	r.status = x->failed ? "urn:oasis:names:tc:SAML:2.0:status:Responder" : NULL;
	r.relay_state = x->relay_state;
	r.sign_key = key;
	r.now = f->now;
	rc = sg_saml_logout_response_redirect(&r, f->rc->arena, &url, &err);
	sg_saml_keys_unref(key);
	if (rc == -1) {
		sg_log_error("[idp %s]: cannot build a LogoutResponse: %s", x->idp->s.name,
		             err.detail);
		flow_respond_error(f, 500, "The sign-out answer could not be made.");
		return;
	}
	flow_redirect(f, 302, url);
}

static void slo_end_next(struct slo *x);

static void
on_slo_ended(void *arg, enum sg_store_status st)
{
	struct slo *x = arg;

	x->failed = x->failed || st == SG_STORE_UNAVAILABLE;
	x->pending = false;
	if (x->in_loop)
		return; /* answered at once: the loop in slo_end_next goes on */
	slo_end_next(x);
	flow_settle(x->f);
}

/* Ends the sessions of the request, one index value at a time: every
 * SessionIndex given, else the NameID's every session at this IdP. */
static void
slo_end_next(struct slo *x)
{
	struct sg_flow *f = x->f;
	size_t n = x->m.nsession_indexes <= SLO_MAX_INDEXES ? x->m.nsession_indexes : 0;
	struct sg_session s = { 0 };

	s.idp = x->idp->s.name;
	s.saml_name_id = x->m.name_id;
	while (x->next < (n > 0 ? n : 1)) {
		enum sg_session_index kind = n > 0 ? SG_INDEX_SAML_SESSION : SG_INDEX_SAML_NAMEID;

		s.saml_session_index = n > 0 ? x->m.session_indexes[x->next] : NULL;
		x->next++;
		x->pending = x->in_loop = true;
		flow_wait(f);
		sg_store_del_index(pipeline.store, &f->link, kind,
		                   sg_session_index_value(&s, kind, f->rc->arena), on_slo_ended, x);
		x->in_loop = false;
		if (x->pending)
			return; /* on_slo_ended goes on */
	}
	sg_log_info("%s: [idp %s] signed %s out (single logout)%s", f->rc->client.addr,
	            x->idp->s.name, x->m.name_id, x->failed ? "; the store failed" : "");
	slo_answer(x);
	sg_http_add(&f->act->resp, f->rc->arena, "Set-Cookie",
	            sg_sso_session_cookie_clear(f->rc->conf, f->rc->arena));
}

/* The IdP's answer to our LogoutRequest: on to where the sign-out began. */
static void
slo_response(struct sg_flow *f, const struct sg_conf_idp *idp,
             const struct sg_saml_logout_message *m, const char *relay)
{
	struct sg_login_state ls;
	const char *back;

	if (!flow_open_login(f, relay, &ls))
		return;
	if (!ls.logout || strcmp(ls.idp, idp->s.name) != 0 || ls.request_id == NULL ||
	    m->in_response_to == NULL || strcmp(ls.request_id, m->in_response_to) != 0) {
		flow_respond_error(f, 400,
		                   "This sign-out answer is not for a sign-out started here.");
		return;
	}
	if (!m->success)
		sg_log_warn("%s: [idp %s] answered the sign-out with %s", f->rc->client.addr,
		            idp->s.name, m->status ? m->status : "no status");
	back = ls.return_url;
	if (back != NULL && *back != '\0' && sg_sso_return_url_ok(f->rc->conf, back))
		flow_redirect(f, 303, back);
	else
		flow_respond_error(f, 200,
		                   m->success ? "You are signed out, here and at the identity "
		                                "provider."
		                              : "You are signed out here; the identity provider "
		                                "could not end every one of its sessions.");
	sg_http_add(&f->act->resp, f->rc->arena, "Set-Cookie",
	            sg_sso_login_cookie_clear(f->rc->conf, relay, f->rc->arena));
}

/* A logout message (value of SAMLRequest or SAMLResponse) has arrived by
 * binding: checks it with the IdP that sent it, then acts on it. */
static void
slo_received(struct sg_flow *f, const char *value, bool is_request, bool redirect,
             const char *relay)
{
	const struct sg_conf_idp *idp = saml_idp_by_issuer(f, value, redirect);
	struct slo *x = sg_arena_alloc(f->rc->arena, sizeof(*x));
	struct sg_saml_logout_trust t;
	struct sg_err err = { 0 };
	const char *q = sg_http_target_query(f->req->target);
	int rc;

	memset(x, 0, sizeof(*x));
	if (idp == NULL) {
		flow_respond_error(f, 400,
		                   "This sign-out message is not from an identity provider "
		                   "of this application.");
		return;
	}
	if (!slo_trust(f, idp, &t))
		return;
	rc = redirect ? sg_saml_logout_receive_redirect(q, strlen(q), &t, f->now, f->rc->arena,
	                                                &x->m, &err)
	              : sg_saml_logout_receive_post(value, strlen(value), is_request, &t, f->now,
	                                            f->rc->arena, &x->m, &err);
	slo_trust_free(&t);
	if (rc == -1 || x->m.is_request != is_request) {
		sg_log_warn("%s: [idp %s] logout message refused: %s", f->rc->client.addr,
		            idp->s.name, rc == -1 ? err.detail : "not the kind its parameter says");
		flow_respond_error(f, 403,
		                   sg_arena_printf(f->rc->arena,
		                                   "The sign-out message could not be verified: %s",
		                                   rc == -1 ? err.detail : "wrong kind"));
		return;
	}
	if (redirect)
		relay = x->m.relay_state;
	if (!is_request) {
		slo_response(f, idp, &x->m, relay);
		return;
	}
	x->f = f;
	x->idp = idp;
	x->relay_state = relay;
	slo_end_next(x);
}

static void
on_slo_body(struct sg_flow *f, const struct sg_buf *body, bool too_large)
{
	const char *form = body->data ? body->data : "";
	const char *req =
	    too_large ? NULL : sg_http_form_get(form, body->len, "SAMLRequest", f->rc->arena);
	const char *resp =
	    too_large ? NULL : sg_http_form_get(form, body->len, "SAMLResponse", f->rc->arena);

	if ((req == NULL) == (resp == NULL)) {
		flow_respond_error(f, 400,
		                   "A sign-out message needs one SAMLRequest or SAMLResponse.");
		return;
	}
	slo_received(f, req ? req : resp, req != NULL, false,
	             sg_http_form_get(form, body->len, "RelayState", f->rc->arena));
}

void
saml_slo_endpoint(struct sg_flow *f)
{
	const char *req, *resp;

	if (strcmp(f->req->method, "POST") == 0) {
		flow_read_body(f, SLO_MAX, on_slo_body);
		return;
	}
	if (strcmp(f->req->method, "GET") != 0) {
		flow_respond_error(f, 405, "The SAML logout service takes GET and POST.");
		sg_http_set(&f->act->resp, f->rc->arena, "Allow", "GET, POST");
		return;
	}
	req = flow_query(f, "SAMLRequest");
	resp = flow_query(f, "SAMLResponse");
	if ((req == NULL) == (resp == NULL)) {
		flow_respond_error(f, 400,
		                   "A sign-out message needs one SAMLRequest or SAMLResponse.");
		return;
	}
	slo_received(f, req ? req : resp, req != NULL, true, NULL);
}
