/*
 * pipeline_int.h - what pipeline.c (the data path), endpoints.c (the
 * gateway's own endpoints under the reserved prefix) and the sign-in
 * providers share: one request's walk through the steps (struct sg_flow),
 * the process-wide state the steps use, and the calls that start and
 * finish a login.
 *
 * Store calls may answer at once (memory) or later (redis): a step that
 * calls the store sets the action to SG_ACT_WAIT first, and every store
 * callback ends with flow_settle(), which resumes the connection when the
 * answer came after the hook had returned.
 */
#ifndef SG_PIPELINE_INT_H
#define SG_PIPELINE_INT_H

#include "gate.h"
#include "jose.h"
#include "pipeline.h"
#include "session.h"
#include "sso.h"

struct sg_flow;
typedef void (*sg_flow_body_cb)(struct sg_flow *f, const struct sg_buf *body, bool too_large);

/* One request on its way through the steps; lives in the request arena. */
struct sg_flow {
	struct sg_store_link link; /* the redis store reaches Redis through this */
	struct sg_request_ctx *rc;
	struct sg_http_msg *req;
	struct sg_action *act;
	struct sg_route r;
	int64_t now; /* seconds since the epoch, when the head arrived */
	bool in_hook;
	bool has_id; /* the request carries a well-formed session cookie */
	uint8_t skey[SG_SHA256_LEN];
	struct sg_session *session;   /* the request's session, once found */
	sg_flow_body_cb on_body;      /* who gets the body asked for with flow_read_body */
	const char *post_ref;         /* a POST kept for after the login */
	bool login_force;             /* the login that follows is a step-up */
	const char *return_url;       /* a checked return URL (logout) */
	struct sg_session *ended;     /* the session a logout ended, for the IdP's logout */
	enum sg_authz_kind access;    /* the access class of the path */
	struct sg_arena *check_arena; /* a bound tunnel\'s session check */
};

/* A sign-in protocol (the test IdP now; SAML and OIDC in their modules). */
struct sg_login_provider {
	/* Sends the browser to the IdP for login ls (under ref): a redirect,
	 * or a page that posts to it; it may add its own data to ls (a request
	 * id) before the caller seals ls into the login cookie.  false when
	 * act holds an error page instead. */
	bool (*start)(struct sg_flow *f, const struct sg_conf_idp *idp, struct sg_login_state *ls,
	              const char *ref);
	/* Handles a request to <prefix>sub; false when sub is not its own. */
	bool (*endpoint)(struct sg_flow *f, const char *sub);
	/* Single logout: the gateway has ended session s, of idp; sends the
	 * browser to the IdP's logout for it, adding what the answer will be
	 * matched with (a request id) to ls, a logout state the caller seals
	 * under ref.  false: no logout at the IdP (act untouched); NULL: the
	 * protocol has none. */
	bool (*logout)(struct sg_flow *f, const struct sg_conf_idp *idp, const struct sg_session *s,
	               struct sg_login_state *ls, const char *ref);
};
/* login_saml.c: SAML 2.0 Web Browser SSO; logout_saml.c: its single
 * logout. */
extern const struct sg_login_provider sg_saml_provider;
/* Registers the provider for IdPs of type (enum sg_idp_type). */
void sg_pipeline_register_provider(int type, const struct sg_login_provider *p);

/* ---- the SAML provider's own (login_saml.c, logout_saml.c) ---- */
struct sg_saml_keys;
/* A SAML IdP as one request sees it: what the gateway knows of it now
 * (idp_meta.c: its [idp] values, its metadata file or fetched metadata). */
struct saml_idp_view {
	const char *entity_id;
	const char *sso_url;          /* HTTP-Redirect SSO, or NULL */
	const char *sso_post_url;     /* HTTP-POST SSO, or NULL */
	const char *slo_url;          /* HTTP-Redirect SLO, or NULL */
	const char *slo_response_url; /* where our LogoutResponses go, or NULL */
	struct sg_saml_keys *keys;    /* with want_keys: one reference, the caller's */
};
/* Fills v for idp as of now (metadata expires; strings in a); NULL, or
 * why the IdP cannot be used (logged already). */
const char *saml_idp_resolve(const struct sg_conf_idp *idp, bool want_keys, int64_t now,
                             struct sg_arena *a, struct saml_idp_view *v);
/* The app's SP key set (signing, decryption), or NULL (logged). */
struct sg_saml_keys *saml_sp_keys(const struct sg_conf_app *app);
/* The app's SAML IdP whose entity ID a message (the value of a SAMLRequest
 * or SAMLResponse; deflated: of the HTTP-Redirect binding) names as its
 * Issuer; when the app has one SAML IdP, that one (the validation checks
 * the Issuer anyway).  NULL when none does. */
const struct sg_conf_idp *saml_idp_by_issuer(struct sg_flow *f, const char *msg, bool deflated);
/* Single logout (logout_saml.c): the provider's logout hook, and the
 * <prefix>saml/slo endpoint. */
bool saml_logout(struct sg_flow *f, const struct sg_conf_idp *idp, const struct sg_session *s,
                 struct sg_login_state *ls, const char *ref);
void saml_slo_endpoint(struct sg_flow *f);

/* The state every worker shares (pipeline.c). */
struct pipeline_state {
	struct sg_store *store;
	struct sg_sso_keys keys;
	struct sg_jose_key *_Atomic jwt_key; /* NULL without signing_key_file */
	const struct sg_login_provider *providers[3];
};
extern struct pipeline_state pipeline;

/* ---- answers (pipeline.c) ---- */
/* An error page (HTML or JSON per Accept), logged at debug level. */
void flow_respond_error(struct sg_flow *f, int status, const char *detail);
/* A redirect (302, 303) to location. */
void flow_redirect(struct sg_flow *f, int status, const char *location);
/* A page or document of the gateway's own: never cached. */
void flow_respond_body(struct sg_flow *f, int status, const char *content_type,
                       struct sg_buf *body);
/* The store call just made may answer later: wait for it. */
void flow_wait(struct sg_flow *f);
/* Called at the end of every store callback: resumes the connection when
 * the hook already returned and the action is decided. */
void flow_settle(struct sg_flow *f);
/* Asks net/ for the request body (at most max bytes); cb gets it. */
void flow_read_body(struct sg_flow *f, uint64_t max, sg_flow_body_cb cb);
/* The external URL of app with path appended ("/x" -> "https://h/jira/x"),
 * or, with endpoint, of the gateway's endpoint path below the prefix
 * ("saml/acs" -> "https://h/jira/ssogw/saml/acs"); in a. */
const char *sg_app_url(const struct sg_conf *c, const struct sg_conf_app *app, bool endpoint,
                       const char *path, struct sg_arena *a);
/* sg_app_url for this request's app, without and with the prefix. */
const char *flow_endpoint_url(struct sg_flow *f, const char *sub);
/* The app's external URL with path appended ("/x" -> "https://h/jira/x"). */
const char *flow_app_url(struct sg_flow *f, const char *path);
/* The decoded query parameter name of the request, or NULL. */
const char *flow_query(struct sg_flow *f, const char *name);

/* Routes the request (again, after a replay changed its target) and
 * walks it through the steps. */
void flow_dispatch(struct sg_flow *f);

/* ---- logins (endpoints.c) ---- */
/* Starts a login for this request: seals its state into a cookie and sends
 * the browser to the app's IdP.  force: the IdP must authenticate again. */
void flow_start_login(struct sg_flow *f, bool force, const char *return_url, const char *post_ref);
/* Opens the login-state cookie of ref; false when act already holds the
 * error page. */
bool flow_open_login(struct sg_flow *f, const char *ref, struct sg_login_state *ls);
/* A provider has verified the user: creates the session from s (user,
 * names, groups, IdP data; the rest is filled here), sets its cookie,
 * clears the login cookie, and sends the browser back where ls says (or
 * replays a preserved POST). */
void flow_finish_login(struct sg_flow *f, const char *ref, const struct sg_login_state *ls,
                       struct sg_session *s);
/* Keeps the body the request already carries (a replayed POST: act's own
 * body) across a new login; force: a step-up. */
void flow_login_keeping_post(struct sg_flow *f, bool force);
/* A page that makes the browser post fields to action at once (CSP
 * nonce); to_self: the action is the gateway's (form-action 'self'). */
void flow_respond_autopost(struct sg_flow *f, const char *action, const struct sg_sso_field *fields,
                           size_t n, bool to_self, const char *message);
/* Handles a request under the reserved prefix. */
void flow_gateway(struct sg_flow *f);
/* The IdP called name among the app's, or NULL: a session or a login of
 * another IdP is no use here. */
const struct sg_conf_idp *flow_app_idp(const struct sg_flow *f, const char *name);
/* After the session lookup on a protected path: no session. */
void flow_no_session(struct sg_flow *f);

/* ---- the IdPs' SAML metadata (idp_meta.c) ---- */
struct sg_saml_keys;
/* What the gateway knows now of one SAML [idp]: read-only once published,
 * shared by every worker, refcounted so that a refresh or a reload never
 * pulls it from a login in flight.  Strings are owned by it. */
struct sg_idp_meta {
	const char *entity_id;
	const char *sso_url;          /* HTTP-Redirect SSO, or NULL */
	const char *sso_post_url;     /* HTTP-POST SSO, or NULL */
	const char *slo_url;          /* HTTP-Redirect SLO, or NULL */
	const char *slo_response_url; /* its ResponseLocation, else slo_url */
	struct sg_saml_keys *keys;    /* every signing key the IdP publishes */
	int64_t valid_until;          /* metadata validUntil, 0: none */
};
/* What the gateway knows now of idp (a reference: drop it with
 * sg_idp_meta_unref), or NULL with *why, a sentence for the error page
 * (the cause was logged).  In the daemon it never touches the network; in
 * a command-line tool it builds the snapshot on demand (see idp_meta.c). */
struct sg_idp_meta *sg_idp_meta_get(const struct sg_conf_idp *idp, int64_t now, const char **why);
void sg_idp_meta_unref(struct sg_idp_meta *m);
/* Builds a snapshot for idp from a metadata document (xml NULL: from the
 * [idp] values alone; those set override the document's); refuses one
 * whose validUntil is not after now.  NULL with err. */
struct sg_idp_meta *sg_idp_meta_build(const struct sg_conf_idp *idp, const char *xml, size_t len,
                                      int64_t now, struct sg_err *err);
/* True when a and b get their metadata from the same place and values (a
 * reload keeps the snapshot). */
bool sg_idp_meta_same_source(const struct sg_conf_idp *a, const struct sg_conf_idp *b);
/* True once m's validUntil has come: it must no longer be used. */
bool sg_idp_meta_expired(const struct sg_idp_meta *m, int64_t now);
/* t as 2026-01-31T12:00:00Z ("(none)" for 0), in buf. */
const char *sg_idp_meta_time(int64_t t, char *buf, size_t n);
/* The keeper, on the main thread: loads what needs no network for c's
 * SAML IdPs (sg_pipeline_init; sg_pipeline_start_fetches then fetches and
 * refreshes); takes a reloaded snapshot; stops and frees all at exit. */
void sg_idp_meta_init(const struct sg_conf *c);
void sg_idp_meta_reload(const struct sg_conf *c);
void sg_idp_meta_shutdown(void);

#endif
