/*
 * test_idp.c - the test-only sign-in, linked into build/ssogw-test and
 * never into the installed daemon.  An [idp] of type test stands in for a
 * real IdP until the SAML and OpenID Connect modules exist, and beside them
 * for tests that are about sessions rather than protocols:
 *
 *   a login starts with a redirect to
 *     <prefix>test-idp/login?ref=REF&force=0|1
 *   and the test (curl) completes it by adding who signed in:
 *     ...&user=alice&groups=a,b&name=Alice%20A&email=alice@example.test
 *   which opens the login-state cookie of REF and finishes the login
 *   through the same code as every protocol (flow_finish_login);
 *
 *   <prefix>test-idp/logout?nameid=N[&session_index=I] or ?sid=S
 *   ends every session of that login through the store's indexes, the way
 *   an IdP-initiated single logout (SAML, OIDC back-channel) will.
 */
#include "config.h"

#include <string.h>

#include "pipeline_int.h"

void sg_test_idp_register(void);

static bool
test_start(struct sg_flow *f, const struct sg_conf_idp *idp, struct sg_login_state *ls,
           const char *ref)
{
	flow_redirect(f, 302,
	              flow_endpoint_url(
	                  f, sg_arena_printf(f->rc->arena, "test-idp/login?ref=%s&force=%d&idp=%s",
	                                     ref, ls->force_authn ? 1 : 0, idp->s.name)));
	return true;
}

/* Splits "a,b,c" into a NULL-less array in a. */
static size_t
split_groups(const char *list, struct sg_arena *a, const char ***out)
{
	size_t n = 0, cap = 1;
	const char **v;

	for (const char *s = list; s && *s; s++)
		cap += *s == ',';
	v = sg_arena_alloc(a, cap * sizeof(*v));
	while (list != NULL && *list != '\0') {
		size_t len = strcspn(list, ",");

		if (len > 0)
			v[n++] = sg_arena_strndup(a, list, len);
		list += len + (list[len] == ',');
	}
	*out = v;
	return n;
}

static void
on_logout_done(void *arg, enum sg_store_status st)
{
	struct sg_flow *f = arg;

	flow_respond_error(f,
	                   st == SG_STORE_OK          ? 200
	                   : st == SG_STORE_NOT_FOUND ? 404
	                                              : 503,
	                   st == SG_STORE_OK          ? "test IdP: the sessions of that login ended"
	                   : st == SG_STORE_NOT_FOUND ? "test IdP: no session of that login"
	                                              : "test IdP: the store is unavailable");
	flow_settle(f);
}

/* An IdP-initiated logout of one login, by the store's indexes. */
static void
test_logout(struct sg_flow *f)
{
	struct sg_session s = { 0 };
	enum sg_session_index kind;
	const char *value;

	s.saml_name_id = flow_query(f, "nameid");
	s.saml_session_index = flow_query(f, "session_index");
	s.oidc_sid = flow_query(f, "sid");
	s.idp = f->r.app->idp->s.name;
	kind = s.oidc_sid             ? SG_INDEX_OIDC_SID
	       : s.saml_session_index ? SG_INDEX_SAML_SESSION
	                              : SG_INDEX_SAML_NAMEID;
	value = sg_session_index_value(&s, kind, f->rc->arena);
	if (value == NULL) {
		flow_respond_error(f, 400, "test IdP: give nameid=, with session_index=, or sid=");
		return;
	}
	flow_wait(f);
	sg_store_del_index(pipeline.store, &f->link, kind, value, on_logout_done, f);
}

static bool
test_endpoint(struct sg_flow *f, const char *sub)
{
	struct sg_login_state ls;
	struct sg_session *s;
	const char *ref = flow_query(f, "ref"), *user = flow_query(f, "user");

	if (strcmp(sub, "test-idp/logout") == 0) {
		test_logout(f);
		return true;
	}
	if (strcmp(sub, "test-idp/login") != 0)
		return false;
	if (!flow_open_login(f, ref, &ls))
		return true;
	if (user == NULL || *user == '\0') {
		flow_respond_error(f, 400, "test IdP: add user=NAME to the URL");
		return true;
	}
	s = sg_arena_alloc(f->rc->arena, sizeof(*s));
	memset(s, 0, sizeof(*s));
	s->user = user;
	s->display_name = flow_query(f, "name");
	s->email = flow_query(f, "email");
	s->ngroups = split_groups(flow_query(f, "groups"), f->rc->arena, &s->groups);
	s->protocol = SG_PROTO_TEST;
	s->saml_name_id = flow_query(f, "nameid");
	s->saml_session_index = flow_query(f, "session_index");
	s->oidc_sid = flow_query(f, "sid");
	flow_finish_login(f, ref, &ls, s);
	return true;
}

static const struct sg_login_provider test_provider = { test_start, test_endpoint, NULL };

void
sg_test_idp_register(void)
{
	sg_conf_test_idp_allowed = true;
	sg_pipeline_register_provider(SG_IDP_TEST, &test_provider);
}
