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
	enum sg_authz_kind access;    /* the access class of the path */
	struct sg_arena *check_arena; /* a bound tunnel\'s session check */
};

/* A sign-in protocol (the test IdP now; SAML and OIDC in their modules). */
struct sg_login_provider {
	/* The URL that sends the browser to the IdP for login ls (under ref);
	 * it may add its own data to ls (a request id) before ls is sealed.
	 * NULL when it has put an answer in the action itself. */
	const char *(*start)(struct sg_flow *f, const struct sg_conf_idp *idp,
	                     struct sg_login_state *ls, const char *ref);
	/* Handles a request to <prefix>sub; false when sub is not its own. */
	bool (*endpoint)(struct sg_flow *f, const char *sub);
};
/* login_saml.c: SAML 2.0 Web Browser SSO. */
extern const struct sg_login_provider sg_saml_provider;
/* Registers the provider for IdPs of type (enum sg_idp_type). */
void sg_pipeline_register_provider(int type, const struct sg_login_provider *p);

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
/* Handles a request under the reserved prefix. */
void flow_gateway(struct sg_flow *f);
/* After the session lookup on a protected path: no session. */
void flow_no_session(struct sg_flow *f);

#endif
