/*
 * t_authz.c - who may enter which path (src/gate/authz.c) and what the
 * backend is told about the user (src/gate/identity.c): path patterns
 * (prefix on segment boundaries, fnmatch(3) globs), public and passthrough
 * paths (RFC 9110 11.4 credentials, RFC 6750 Bearer, RFC 7617 Basic), the
 * app's allow lists and [rule] sections in file order with step-up, the
 * text a 403 shows, which requests get a login redirect rather than a 401
 * (RFC 9110 12.5.1 Accept), and strip-before-inject of identity fields with
 * every spelling a backend might read as the same name.
 *
 * The configurations go through sg_conf_load_string, so the real parser
 * fills every list; their TLS and key files are placeholders in a fresh
 * temporary folder.
 */
#include "config.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf.h"
#include "gate.h"
#include "http.h"
#include "lib.h"
#include "session.h"
#include "unit.h"

/*
 *   jira  rules in file order; public and passthrough paths
 *   wiki  app-level allow lists; its own identity fields, '|' groups, a JWT
 *         field, groups_include ^jira- and groups_max 2
 *   open  nobody is kept out; groups_max 1
 */
static const char conf_text[] =
    "[server]\nlisten = 127.0.0.1:8443\ntls_certificate = cert.pem\ntls_key = key.pem\n"
    "signing_key_file = sign.pem\n"
    "[idp i]\ntype = oidc\nissuer = https://idp.example/\nclient_id = c\nclient_secret = s\n"
    "[app jira]\nurl = https://tools.example/jira\nbackend = http://127.0.0.1:8080/\n"
    "public = /status /static/ /favicon.ico\npublic = /assets/*.css\n"
    "passthrough = /rest/ /api/*/export /status\n"
    "[app wiki]\nurl = https://tools.example/wiki\nbackend = http://127.0.0.1:8090/\n"
    "allow_groups = staff\nallow_users = dave\n"
    "identity_header = X-Wiki-User\nidentity_groups_header = X-Wiki-Groups\n"
    "identity_email_header = off\nidentity_name_header = X-Wiki-Name\n"
    "groups_separator = |\nidentity_jwt_header = X-Identity-Token\n"
    "groups_include = ^jira-\ngroups_max = 2\n"
    "[app open]\nurl = https://open.example/\nbackend = http://127.0.0.1:8091/\n"
    "groups_max = 1\n"
    "[rule first]\napp = jira\npath = /projects/secret\nallow_users = bob\n"
    "[rule second]\napp = jira\npath = /projects/\nallow_groups = jira-users\n"
    "[rule admin]\napp = jira\npath = /secure/admin /plugins/servlet/*admin*\n"
    "allow_groups = jira-administrators\nstep_up = yes\n"
    "[rule board]\napp = jira\npath = /board\nallow_groups = a b\n"
    "[rule fresh]\napp = jira\npath = /fresh\nstep_up = yes\n"
    "[rule mixed]\napp = jira\npath = /mixed\nallow_users = carol\nallow_groups = ops\n";

static char tmpdir[] = "/tmp/sg-authz-XXXXXX";
static struct sg_conf *conf;

static const int64_t now = 1700000000;

/* ---- fixtures ---- */

static struct sg_conf *
load_conf(const char *text)
{
	return unit_conf_load(text, tmpdir);
}

static int
group_setup(void **state)
{
	static const char placeholder[] = "placeholder\n";

	(void)state;
	if (mkdtemp(tmpdir) == NULL ||
	    unit_put_file(tmpdir, "cert.pem", placeholder, sizeof(placeholder) - 1) ||
	    unit_put_file(tmpdir, "key.pem", placeholder, sizeof(placeholder) - 1) ||
	    unit_put_file(tmpdir, "sign.pem", placeholder, sizeof(placeholder) - 1))
		return -1;
	conf = load_conf(conf_text);
	return conf != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	sg_conf_unref(conf);
	return unit_rmtree(tmpdir);
}

static const struct sg_conf_app *
app(const char *name)
{
	for (size_t i = 0; i < conf->app_count; i++)
		if (strcmp(conf->apps[i]->s.name, name) == 0)
			return conf->apps[i];
	print_message("no [app %s] in the fixture\n", name);
	fail();
	return NULL;
}

/* ---- requests and sessions ---- */

struct ctx {
	struct sg_arena *a;
	struct sg_http_msg m;
};

/* Opens a request with method and the "Name: value\n" lines of fields. */
static void
req(struct ctx *c, const char *method, const char *fields)
{
	memset(c, 0, sizeof(*c));
	c->a = sg_arena_new();
	c->m.is_request = true;
	c->m.method = method;
	c->m.target = "/";
	c->m.major = c->m.minor = 1;
	while (*fields != '\0') {
		size_t n = strcspn(fields, "\n");
		const char *colon = memchr(fields, ':', n), *v, *end = fields + n;

		assert_non_null(colon);
		for (v = colon + 1; v < end && *v == ' '; v++)
			;
		sg_http_add(&c->m, c->a, sg_arena_strndup(c->a, fields, (size_t)(colon - fields)),
		            sg_arena_strndup(c->a, v, (size_t)(end - v)));
		fields = *end == '\n' ? end + 1 : end;
	}
}

static void
done(struct ctx *c)
{
	sg_arena_free(c->a);
}

/* The fields of m as "Name: value\n" lines, in order. */
static const char *
fields_text(struct ctx *c)
{
	struct sg_buf b = { 0 };
	const char *s;

	for (size_t i = 0; i < c->m.nh; i++)
		sg_buf_printf(&b, "%s: %s\n", c->m.h[i].name, c->m.h[i].value);
	s = sg_arena_strdup(c->a, b.data ? b.data : "");
	sg_buf_free(&b);
	return s;
}

/* A session of user with the NULL-terminated groups, logged in age
 * seconds before now. */
static struct sg_session
session(const char *user, int64_t age, const char **groups)
{
	struct sg_session s = { .user = user, .auth_time = now - age, .groups = groups };

	while (groups != NULL && groups[s.ngroups] != NULL)
		s.ngroups++;
	return s;
}

/* ---- path patterns ---- */

static void
prefix_matches_on_segment_boundaries(void **state)
{
	(void)state;
	assert_true(sg_gate_path_match("/status", "/status"));
	assert_true(sg_gate_path_match("/status", "/status/"));
	assert_true(sg_gate_path_match("/status", "/status/x"));
	assert_false(sg_gate_path_match("/status", "/statusx"));
	assert_false(sg_gate_path_match("/status", "/stat"));
	assert_false(sg_gate_path_match("/status", "/a/status"));
	assert_false(sg_gate_path_match("/Status", "/status")); /* case-sensitive, as Tomcat */
	assert_true(sg_gate_path_match("/", "/"));
	assert_true(sg_gate_path_match("/", "/anything/at/all"));
}

static void
prefix_with_a_slash_covers_the_folder_and_its_bare_name(void **state)
{
	(void)state;
	assert_true(sg_gate_path_match("/s/", "/s"));
	assert_true(sg_gate_path_match("/s/", "/s/"));
	assert_true(sg_gate_path_match("/s/", "/s/x/y"));
	assert_false(sg_gate_path_match("/s/", "/sx"));
	assert_false(sg_gate_path_match("/s/", "/"));
}

static void
glob_uses_fnmatch_where_star_crosses_slashes(void **state)
{
	(void)state;
	assert_true(sg_gate_path_match("/assets/*.css", "/assets/a.css"));
	assert_true(sg_gate_path_match("/assets/*.css", "/assets/deep/b.css"));
	assert_false(sg_gate_path_match("/assets/*.css", "/assets/a.js"));
	assert_false(sg_gate_path_match("/assets/*.css", "/assets/a.css/x")); /* whole path */
	assert_true(sg_gate_path_match("/a?c", "/abc"));
	assert_false(sg_gate_path_match("/a?c", "/abbc"));
	assert_true(sg_gate_path_match("/[ab]x", "/bx"));
	assert_false(sg_gate_path_match("/[ab]x", "/cx"));
}

/* ---- access classes ---- */

static enum sg_authz_kind
access_class_of(const char *method, const char *path, const char *fields)
{
	struct ctx c;
	enum sg_authz_kind k;

	req(&c, method, fields);
	k = sg_gate_access_class(app("jira"), path, &c.m);
	done(&c);
	return k;
}

static enum sg_authz_kind
access_class(const char *path, const char *fields)
{
	return access_class_of("GET", path, fields);
}

static void
public_paths_need_no_login(void **state)
{
	(void)state;
	assert_int_equal(access_class("/status", ""), SG_AUTHZ_PUBLIC);
	assert_int_equal(access_class("/status/check", ""), SG_AUTHZ_PUBLIC);
	assert_int_equal(access_class("/static", ""), SG_AUTHZ_PUBLIC);
	assert_int_equal(access_class("/static/x.js", ""), SG_AUTHZ_PUBLIC);
	assert_int_equal(access_class("/assets/deep/site.css", ""), SG_AUTHZ_PUBLIC);
	assert_int_equal(access_class("/favicon.ico", ""), SG_AUTHZ_PUBLIC);
	assert_int_equal(access_class("/statusx", ""), SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/assets/site.js", ""), SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/", ""), SG_AUTHZ_LOGIN);
	/* public wins over passthrough: no Authorization is needed there */
	assert_int_equal(access_class("/status", "Authorization: Bearer t\n"), SG_AUTHZ_PUBLIC);
}

static void
passthrough_needs_bearer_or_basic_credentials(void **state)
{
	(void)state;
	assert_int_equal(access_class("/rest/api/2/issue", "Authorization: Bearer abc.def\n"),
	                 SG_AUTHZ_PASSTHROUGH);
	assert_int_equal(access_class("/rest", "Authorization: Basic dXNlcjpwYXNz\n"),
	                 SG_AUTHZ_PASSTHROUGH);
	assert_int_equal(access_class("/rest/x", "Authorization: bearer abc\n"),
	                 SG_AUTHZ_PASSTHROUGH);
	assert_int_equal(access_class("/rest/x", "Authorization: BASIC abc\n"),
	                 SG_AUTHZ_PASSTHROUGH);
	assert_int_equal(access_class("/api/v2/export", "Authorization: Bearer abc\n"),
	                 SG_AUTHZ_PASSTHROUGH);
	/* without credentials, or not ours to pass, a passthrough path needs a login */
	assert_int_equal(access_class("/rest/x", ""), SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/rest/x", "Authorization: Bearer\n"), SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/rest/x", "Authorization: Bearer    \n"), SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/rest/x", "Authorization: Basic\n"), SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/rest/x", "Authorization: \n"), SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/rest/x", "Authorization: Bearerabc\n"), SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/rest/x", "Authorization: Negotiate YII=\n"),
	                 SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/rest/x", "Authorization: Digest username=\"a\"\n"),
	                 SG_AUTHZ_LOGIN);
	assert_int_equal(
	    access_class("/rest/x", "Authorization: Bearer a\nAuthorization: Bearer b\n"),
	    SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/rest/x", "Proxy-Authorization: Bearer abc\n"),
	                 SG_AUTHZ_LOGIN);
	/* credentials on a path that is not passthrough do not skip the login */
	assert_int_equal(access_class("/secure/Dashboard.jspa", "Authorization: Bearer abc\n"),
	                 SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/restx", "Authorization: Bearer abc\n"), SG_AUTHZ_LOGIN);
	assert_int_equal(access_class("/api/v2/import", "Authorization: Bearer abc\n"),
	                 SG_AUTHZ_LOGIN);
	/* a CORS preflight carries no credentials: the backend's policy answers */
	assert_int_equal(access_class_of("OPTIONS", "/rest/x",
	                                 "Origin: https://app.example\n"
	                                 "Access-Control-Request-Method: POST\n"),
	                 SG_AUTHZ_PASSTHROUGH);
	assert_int_equal(access_class_of("OPTIONS", "/rest/x", "Origin: https://app.example\n"),
	                 SG_AUTHZ_LOGIN);
	assert_int_equal(access_class_of("GET", "/rest/x",
	                                 "Origin: https://app.example\n"
	                                 "Access-Control-Request-Method: POST\n"),
	                 SG_AUTHZ_LOGIN);
	assert_int_equal(access_class_of("OPTIONS", "/secure/x",
	                                 "Origin: https://app.example\n"
	                                 "Access-Control-Request-Method: POST\n"),
	                 SG_AUTHZ_LOGIN);
}

/* ---- authorization ---- */

/* Authorizes s on path of appname and expects kind, the deciding [rule]
 * by name (NULL: the app's lists) and DENY's text (NULL: none). */
static void
check(const char *appname, const char *path, struct sg_session s, enum sg_authz_kind kind,
      const char *rule, const char *required)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_authz out;

	sg_gate_authorize(app(appname), path, &s, now, a, &out);
	if (out.kind != kind)
		print_message("%s %s as %s: kind %d, want %d\n", appname, path, s.user, out.kind,
		              kind);
	assert_int_equal(out.kind, kind);
	if (rule == NULL) {
		assert_null(out.rule);
	} else {
		assert_non_null(out.rule);
		assert_string_equal(out.rule->s.name, rule);
	}
	if (required == NULL) {
		assert_null(out.required);
	} else {
		assert_non_null(out.required);
		assert_string_equal(out.required, required);
	}
	sg_arena_free(a);
}

static const char *g_none[] = { NULL };
static const char *g_users[] = { "jira-users", NULL };
static const char *g_admins[] = { "jira-users", "jira-administrators", NULL };
static const char *g_staff[] = { "staff", NULL };
static const char *g_b[] = { "b", NULL };
static const char *g_ops[] = { "ops", NULL };
static const char *g_staff_upper[] = { "Staff", NULL };
static const char *g_user_named_dave[] = { "dave", NULL };

static void
app_without_lists_lets_every_session_in(void **state)
{
	(void)state;
	check("open", "/x", session("anyone", 0, NULL), SG_AUTHZ_ALLOW, NULL, NULL);
	check("jira", "/secure/Dashboard.jspa", session("eve", 0, g_none), SG_AUTHZ_ALLOW, NULL,
	      NULL);
}

static void
app_allow_lists_admit_listed_users_or_group_members(void **state)
{
	const char *mixed = "membership in group staff or being one of the allowed users";

	(void)state;
	check("wiki", "/", session("dave", 0, NULL), SG_AUTHZ_ALLOW, NULL, NULL);
	check("wiki", "/", session("erin", 0, g_staff), SG_AUTHZ_ALLOW, NULL, NULL);
	check("wiki", "/", session("frank", 0, g_users), SG_AUTHZ_DENY, NULL, mixed);
	/* exact comparison: neither user names nor groups fold case */
	check("wiki", "/", session("Dave", 0, NULL), SG_AUTHZ_DENY, NULL, mixed);
	check("wiki", "/", session("erin", 0, g_staff_upper), SG_AUTHZ_DENY, NULL, mixed);
	check("wiki", "/", session("gina", 0, g_user_named_dave), SG_AUTHZ_DENY, NULL, mixed);
}

static void
first_matching_rule_wins(void **state)
{
	(void)state;
	/* "/projects/secret" (first) and "/projects/" (second) both match: first decides */
	check("jira", "/projects/secret/x", session("alice", 0, g_users), SG_AUTHZ_DENY, "first",
	      "being one of the allowed users");
	check("jira", "/projects/secret", session("bob", 0, NULL), SG_AUTHZ_ALLOW, "first", NULL);
	check("jira", "/projects/other", session("alice", 0, g_users), SG_AUTHZ_ALLOW, "second",
	      NULL);
	check("jira", "/projects/other", session("bob", 0, NULL), SG_AUTHZ_DENY, "second",
	      "membership in group jira-users");
	check("jira", "/projects", session("alice", 0, g_users), SG_AUTHZ_ALLOW, "second", NULL);
	check("jira", "/projectsx", session("bob", 0, NULL), SG_AUTHZ_ALLOW, NULL, NULL);
}

static void
rule_allow_lists_and_the_deny_text(void **state)
{
	(void)state;
	check("jira", "/secure/admin/ViewUsers.jspa", session("alice", 0, g_users), SG_AUTHZ_DENY,
	      "admin", "membership in group jira-administrators");
	check("jira", "/plugins/servlet/upm/admin", session("alice", 0, g_users), SG_AUTHZ_DENY,
	      "admin", "membership in group jira-administrators");
	check("jira", "/secure/admin", session("root", 10, g_admins), SG_AUTHZ_ALLOW, "admin",
	      NULL);
	check("jira", "/board/1", session("alice", 0, g_users), SG_AUTHZ_DENY, "board",
	      "membership in one of the groups a, b");
	check("jira", "/board/1", session("bea", 0, g_b), SG_AUTHZ_ALLOW, "board", NULL);
	check("jira", "/mixed", session("carol", 0, NULL), SG_AUTHZ_ALLOW, "mixed", NULL);
	check("jira", "/mixed", session("olga", 0, g_ops), SG_AUTHZ_ALLOW, "mixed", NULL);
	check("jira", "/mixed", session("alice", 0, g_users), SG_AUTHZ_DENY, "mixed",
	      "membership in group ops or being one of the allowed users");
}

static void
step_up_asks_for_a_fresh_login(void **state)
{
	(void)state;
	/* step_up_max_age defaults to 5m: 300 s is still fresh, 301 s is not */
	check("jira", "/secure/admin", session("root", 300, g_admins), SG_AUTHZ_ALLOW, "admin",
	      NULL);
	check("jira", "/secure/admin", session("root", 301, g_admins), SG_AUTHZ_STEP_UP, "admin",
	      NULL);
	check("jira", "/fresh", session("anyone", 0, NULL), SG_AUTHZ_ALLOW, "fresh", NULL);
	check("jira", "/fresh", session("anyone", 3600, NULL), SG_AUTHZ_STEP_UP, "fresh", NULL);
	/* a login dated ahead of our clock counts as fresh */
	check("jira", "/fresh", session("anyone", -30, NULL), SG_AUTHZ_ALLOW, "fresh", NULL);
	/* a fresh login cannot help one who is not allowed at all */
	check("jira", "/secure/admin", session("alice", 3600, g_users), SG_AUTHZ_DENY, "admin",
	      "membership in group jira-administrators");
}

/* ---- login redirect or 401 ---- */

static bool
redirects(const char *method, const char *fields)
{
	struct ctx c;
	bool r;

	req(&c, method, fields);
	r = sg_gate_wants_login_redirect(&c.m);
	done(&c);
	return r;
}

static const char browser_accept[] =
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\n";

static void
browser_navigation_gets_a_redirect(void **state)
{
	(void)state;
	assert_true(redirects("GET", browser_accept));
	assert_true(redirects("HEAD", browser_accept));
	assert_true(redirects("GET", "Accept: application/xhtml+xml\n"));
	assert_true(redirects("GET", "Accept: Text/HTML; charset=utf-8\n"));
	assert_true(redirects("GET", "Accept: application/json\nAccept: text/html\n"));
}

static void
api_and_xhr_requests_get_a_401(void **state)
{
	(void)state;
	assert_false(redirects("POST", browser_accept));
	assert_false(redirects("PUT", browser_accept));
	assert_false(redirects("GET", "X-Requested-With: XMLHttpRequest\nAccept: text/html\n"));
	assert_false(redirects("GET", "Accept: application/json\n"));
	assert_false(redirects("GET", "Accept: application/json, text/plain, */*\n"));
	/* curl, libraries, fetch(): no Accept or only * / * is not a page view */
	assert_false(redirects("GET", ""));
	assert_false(redirects("GET", "Accept: */*\n"));
	assert_false(redirects("GET", "Accept: text/htmlx\n"));
	assert_false(redirects("GET", "Accept: text/html;q=0\n"));
	assert_false(redirects("GET", "Accept: text/html; q=0.000, application/json\n"));
	assert_true(redirects("GET", "Accept: text/html;q=0.5\n"));
}

/* ---- identity: strip before inject ---- */

static void
strip_identity_removes_every_spelling(void **state)
{
	struct ctx c;

	(void)state;
	req(&c, "GET",
	    "Host: tools.example\n"
	    "X-Remote-User: mallory\n"
	    "x-remote-user: mallory\n"
	    "X_Remote_User: mallory\n"
	    "X-REMOTE_user: mallory\n"
	    "X-Remote-Anything: x\n"
	    "x_remote_custom_thing: x\n"
	    "X-Remote-Groups: admins\n"
	    "X-Wiki-User: mallory\n"
	    "x_wiki_user: mallory\n"
	    "X-Wiki-Groups: admins\n"
	    "X-Wiki-Name: M\n"
	    "X-Identity-Token: forged\n"
	    "x_identity_token: forged\n"
	    "X-Remote: kept, no dash after the prefix\n"
	    "X-Remotely: kept\n"
	    "X-Wiki-Users: kept, another name\n"
	    "Accept: text/html\n");
	sg_gate_strip_identity(&c.m, conf);
	assert_string_equal(fields_text(&c), "Host: tools.example\n"
	                                     "X-Remote: kept, no dash after the prefix\n"
	                                     "X-Remotely: kept\n"
	                                     "X-Wiki-Users: kept, another name\n"
	                                     "Accept: text/html\n");
	done(&c);
}

static void
strip_identity_without_a_prefix_keeps_other_names(void **state)
{
	static const char text[] =
	    "[server]\nlisten = 127.0.0.1:8443\ntls_certificate = cert.pem\ntls_key = key.pem\n"
	    "strip_header_prefix = off\n"
	    "[idp i]\ntype = oidc\nissuer = https://idp.example/\nclient_id = c\n"
	    "client_secret = s\n"
	    "[app wiki]\nurl = https://tools.example/wiki\nbackend = http://127.0.0.1:8090/\n"
	    "identity_header = X-Wiki-User\n";
	struct sg_conf *c2 = load_conf(text);
	struct ctx c;

	(void)state;
	assert_non_null(c2);
	assert_null(c2->server.strip_header_prefix);
	req(&c, "GET",
	    "X-Remote-Anything: kept\nX_Remote_User: mallory\nx-remote-email: m@x\n"
	    "X-Wiki-User: mallory\nX-REMOTE_GROUPS: admins\n");
	sg_gate_strip_identity(&c.m, c2);
	assert_string_equal(fields_text(&c), "X-Remote-Anything: kept\n");
	done(&c);
	sg_conf_unref(c2);
}

static void
filter_groups_by_regex_and_max(void **state)
{
	static const char *g[] = {
		"jira-users", "staff", "jira-admins", "x-jira-y", "jira-x", NULL
	};
	struct sg_session s = session("alice", 0, g);
	struct sg_arena *a = sg_arena_new();
	const char **out;

	(void)state;
	/* wiki: ^jira- (regexec searches, the anchor is the config's), at most 2 */
	assert_int_equal(sg_gate_filter_groups(app("wiki"), &s, a, &out), 2);
	assert_string_equal(out[0], "jira-users");
	assert_string_equal(out[1], "jira-admins");
	/* open: every group, at most 1 */
	assert_int_equal(sg_gate_filter_groups(app("open"), &s, a, &out), 1);
	assert_string_equal(out[0], "jira-users");
	/* jira: every group, in the session's order */
	assert_int_equal(sg_gate_filter_groups(app("jira"), &s, a, &out), 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(out[i], g[i]);
	/* groups that cannot be sent do not take a groups_max place */
	{
		static const char *bad[] = { "evil\r\nX-Remote-User: root", "", "a,b", "jira-ok",
			                     NULL };
		struct sg_session sb = session("alice", 0, bad);

		assert_int_equal(sg_gate_filter_groups(app("open"), &sb, a, &out), 1);
		assert_string_equal(out[0], "jira-ok");
	}
	s.ngroups = 0;
	assert_int_equal(sg_gate_filter_groups(app("jira"), &s, a, &out), 0);
	assert_non_null(out);
	sg_arena_free(a);
}

static void
add_identity_sets_the_configured_fields(void **state)
{
	static const char *g[] = { "jira-users", "staff", "jira-admins", NULL };
	struct sg_session s = session("alice", 0, g);
	struct ctx c;

	(void)state;
	s.email = "alice@example.com";
	s.display_name = "Alice Liddell";
	req(&c, "GET", "Host: tools.example\nX-Remote-User: mallory\n");
	sg_gate_add_identity(&c.m, c.a, app("jira"), &s);
	assert_string_equal(fields_text(&c), "Host: tools.example\n"
	                                     "X-Remote-User: alice\n"
	                                     "X-Remote-Email: alice@example.com\n"
	                                     "X-Remote-Name: Alice Liddell\n"
	                                     "X-Remote-Groups: jira-users,staff,jira-admins\n");
	done(&c);
	/* wiki: its own names, no email field, '|' between the filtered groups */
	req(&c, "GET", "");
	sg_gate_add_identity(&c.m, c.a, app("wiki"), &s);
	assert_string_equal(fields_text(&c), "X-Wiki-User: alice\n"
	                                     "X-Wiki-Name: Alice Liddell\n"
	                                     "X-Wiki-Groups: jira-users|jira-admins\n");
	done(&c);
}

static void
add_identity_refuses_control_characters_and_ambiguous_groups(void **state)
{
	static const char *g[] = { "jira-ok",        "jira-a|b", "jira-\r\nX-Evil: 1", "jira-\x7f",
		                   "jira-tab\there", "",         "jira-last",          NULL };
	static const char *only_bad[] = { "jira-a|b", "jira-\x01", NULL };
	struct sg_session s = session("alice\r\nX-Remote-Admin: yes", 0, g);
	struct ctx c;

	(void)state;
	s.display_name = "Alice\nLiddell";
	s.email = "alice@example.com\r";
	req(&c, "GET", "");
	sg_gate_add_identity(&c.m, c.a, app("jira"), &s);
	/* jira has no groups_max: every clean group that holds no ',' */
	assert_string_equal(fields_text(&c), "X-Remote-Groups: jira-ok,jira-a|b,jira-last\n");
	done(&c);
	/* wiki: '|' separates, so "jira-a|b" would read as two groups: left out */
	s.user = "alice";
	s.groups = g;
	s.ngroups = 2;
	req(&c, "GET", "");
	sg_gate_add_identity(&c.m, c.a, app("wiki"), &s);
	assert_string_equal(fields_text(&c), "X-Wiki-User: alice\nX-Wiki-Groups: jira-ok\n");
	done(&c);
	/* no group left: no groups field at all */
	s = session("alice", 0, only_bad);
	req(&c, "GET", "X-Wiki-Groups: forged\n");
	sg_gate_strip_identity(&c.m, conf);
	sg_gate_add_identity(&c.m, c.a, app("wiki"), &s);
	assert_string_equal(fields_text(&c), "X-Wiki-User: alice\n");
	done(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefix_matches_on_segment_boundaries),
		cmocka_unit_test(prefix_with_a_slash_covers_the_folder_and_its_bare_name),
		cmocka_unit_test(glob_uses_fnmatch_where_star_crosses_slashes),
		cmocka_unit_test(public_paths_need_no_login),
		cmocka_unit_test(passthrough_needs_bearer_or_basic_credentials),
		cmocka_unit_test(app_without_lists_lets_every_session_in),
		cmocka_unit_test(app_allow_lists_admit_listed_users_or_group_members),
		cmocka_unit_test(first_matching_rule_wins),
		cmocka_unit_test(rule_allow_lists_and_the_deny_text),
		cmocka_unit_test(step_up_asks_for_a_fresh_login),
		cmocka_unit_test(browser_navigation_gets_a_redirect),
		cmocka_unit_test(api_and_xhr_requests_get_a_401),
		cmocka_unit_test(strip_identity_removes_every_spelling),
		cmocka_unit_test(strip_identity_without_a_prefix_keeps_other_names),
		cmocka_unit_test(filter_groups_by_regex_and_max),
		cmocka_unit_test(add_identity_sets_the_configured_fields),
		cmocka_unit_test(add_identity_refuses_control_characters_and_ambiguous_groups),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
