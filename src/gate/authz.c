/*
 * authz.c - who may enter which path of an app, decided on the canonical
 * path below the app's external path (sg_route.app_path), never on the raw
 * target, so "/public/../admin" is judged as "/admin".
 *
 * The order of questions: is the path public (no login at all); is it a
 * passthrough path whose request carries its own credentials (the backend
 * judges those); otherwise a session is needed, and then the app's allow
 * lists and the first matching [rule] decide.  A login redirect goes only
 * to a browser's page navigation; everything else gets a 401 it can act on.
 *
 * Patterns: one holding * ? or [ is a glob for fnmatch(3) with no flags, so
 * '*' also crosses '/'; any other is a prefix matched on whole segments.
 * A prefix ending in '/' also matches the same path without that slash
 * ("/s/" matches "/s", "/s/" and "/s/x"): Tomcat answers "/s" with a
 * redirect to "/s/", and a rule for a folder that left its bare name out
 * would leave a door open, or a public folder's redirect behind a login.
 */
#include "config.h"

#include <ctype.h>
#include <fnmatch.h>
#include <string.h>
#include <strings.h>

#include "gate.h"

/* Globs go to fnmatch(3); prefixes end on a segment boundary (see above). */
bool
sg_gate_path_match(const char *pattern, const char *path)
{
	size_t n = strlen(pattern);

	if (strpbrk(pattern, "*?[") != NULL)
		return fnmatch(pattern, path, 0) == 0;
	if (n > 0 && pattern[n - 1] == '/')
		return strncmp(path, pattern, n) == 0 ||
		       (strlen(path) == n - 1 && strncmp(path, pattern, n - 1) == 0);
	return strncmp(path, pattern, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* True when any pattern of l matches path. */
static bool
any_match(const struct sg_conf_list *l, const char *path)
{
	for (size_t i = 0; i < l->count; i++)
		if (sg_gate_path_match(l->v[i], path))
			return true;
	return false;
}

/* RFC 9110 11.4: credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ].
 * Only Bearer (RFC 6750 2.1) and Basic (RFC 7617 2) with something after the
 * scheme count: an empty or other-scheme field (Negotiate, a stray "Bearer")
 * is no reason to skip the login.  Exactly one field: two are malformed. */
static bool
has_own_credentials(const struct sg_http_msg *m)
{
	const char *v = sg_http_get(m, "Authorization");
	size_t n;

	if (v == NULL || sg_http_count(m, "Authorization") != 1)
		return false;
	if (strncasecmp(v, "Bearer", 6) == 0)
		n = 6;
	else if (strncasecmp(v, "Basic", 5) == 0)
		n = 5;
	else
		return false;
	if (v[n] != ' ')
		return false;
	v += n + strspn(v + n, " \t");
	return *v != '\0';
}

/* A CORS preflight (Fetch standard 4.8): OPTIONS with Origin and
 * Access-Control-Request-Method.  Browsers send it without credentials,
 * so an API that its own tokens open must let it reach the backend, whose
 * CORS policy answers it. */
static bool
cors_preflight(const struct sg_http_msg *m)
{
	return strcmp(m->method, "OPTIONS") == 0 && sg_http_get(m, "Origin") != NULL &&
	       sg_http_get(m, "Access-Control-Request-Method") != NULL;
}

/* Public first: a public path needs nothing, whatever the request carries. */
enum sg_authz_kind
sg_gate_access_class(const struct sg_conf_app *app, const char *app_path,
                     const struct sg_http_msg *m)
{
	if (any_match(&app->public_paths, app_path))
		return SG_AUTHZ_PUBLIC;
	if (any_match(&app->passthrough_paths, app_path) &&
	    (has_own_credentials(m) || cors_preflight(m)))
		return SG_AUTHZ_PASSTHROUGH;
	return SG_AUTHZ_LOGIN;
}

/* True when s is listed in l, compared exactly (IdP names are case-sensitive
 * as sent, and a case-folded match could let "Admins" pass as "admins"). */
static bool
listed(const struct sg_conf_list *l, const char *s)
{
	for (size_t i = 0; s != NULL && i < l->count; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* One pair of allow lists: neither set lets every session in; else the user
 * must be in allow_users or hold a group of allow_groups. */
static bool
allowed(const struct sg_conf_list *users, const struct sg_conf_list *groups,
        const struct sg_session *s)
{
	if (users->count == 0 && groups->count == 0)
		return true;
	if (listed(users, s->user))
		return true;
	for (size_t i = 0; i < s->ngroups; i++)
		if (listed(groups, s->groups[i]))
			return true;
	return false;
}

/* What a denied user lacks, for the 403 page and the log: the group names
 * (they are what a user asks an administrator for), never the user list. */
static const char *
required_text(const struct sg_conf_list *users, const struct sg_conf_list *groups,
              struct sg_arena *a)
{
	struct sg_buf b = { 0 };
	const char *s;

	if (groups->count == 1)
		sg_buf_printf(&b, "membership in group %s", groups->v[0]);
	else if (groups->count > 1)
		sg_buf_puts(&b, "membership in one of the groups ");
	for (size_t i = 0; groups->count > 1 && i < groups->count; i++)
		sg_buf_printf(&b, "%s%s", i > 0 ? ", " : "", groups->v[i]);
	if (users->count > 0)
		sg_buf_printf(&b, "%sbeing one of the allowed users", groups->count ? " or " : "");
	s = sg_arena_strdup(a, b.data ? b.data : "");
	sg_buf_free(&b);
	return s;
}

/* The app's lists gate the whole app; a [rule] can only narrow it further. */
void
sg_gate_authorize(const struct sg_conf_app *app, const char *app_path, const struct sg_session *s,
                  int64_t now, struct sg_arena *a, struct sg_authz *out)
{
	const struct sg_conf_rule *rule = NULL;

	memset(out, 0, sizeof(*out));
	out->kind = SG_AUTHZ_ALLOW;
	if (!allowed(&app->allow_users, &app->allow_groups, s)) {
		out->kind = SG_AUTHZ_DENY;
		out->required = required_text(&app->allow_users, &app->allow_groups, a);
		return;
	}
	for (size_t i = 0; i < app->rule_count && rule == NULL; i++)
		if (any_match(&app->rules[i]->paths, app_path))
			rule = app->rules[i];
	out->rule = rule;
	if (rule == NULL)
		return;
	if (!allowed(&rule->allow_users, &rule->allow_groups, s)) {
		out->kind = SG_AUTHZ_DENY;
		out->required = required_text(&rule->allow_users, &rule->allow_groups, a);
		return;
	}
	/* Seconds, as auth_time is; a login from the future (IdP clock ahead)
	 * counts as fresh rather than locking the user out. */
	if (rule->step_up && now - s->auth_time > (int64_t)(app->step_up_max_age_ms / 1000))
		out->kind = SG_AUTHZ_STEP_UP;
}

/* True when media range r (n bytes, one Accept element) is text/html or
 * application/xhtml+xml with a non-zero weight (RFC 9110 12.5.1). */
static bool
names_html(const char *r, size_t n)
{
	size_t type = strcspn(r, ";");
	const char *q;

	if (type > n)
		type = n;
	while (type > 0 && (r[type - 1] == ' ' || r[type - 1] == '\t'))
		type--;
	if (!((type == 9 && strncasecmp(r, "text/html", 9) == 0) ||
	      (type == 21 && strncasecmp(r, "application/xhtml+xml", 21) == 0)))
		return false;
	for (q = r + type; q < r + n; q++) {
		if (*q != ';')
			continue;
		q += 1 + strspn(q + 1, " \t");
		if (q + 1 < r + n && tolower((unsigned char)q[0]) == 'q' && q[1] == '=') {
			const char *w = q + 2, *end = r + n;

			if (w < end && *w == '0') {
				for (w++; w < end && (*w == '.' || *w == '0'); w++)
					;
				if (w == end || *w == ' ' || *w == '\t' || *w == ';')
					return false; /* q=0: "not acceptable" */
			}
		}
	}
	return true;
}

/*
 * A page navigation is a GET or HEAD whose Accept names an HTML type, as
 * every browser's does (text/html first).  A missing Accept, or only "* / *"
 * (curl, most HTTP libraries, fetch() by default), is treated as an API
 * client: a redirect to an IdP's login form would only confuse it, while a
 * 401 tells it plainly to authenticate.  X-Requested-With marks an XHR
 * whatever it accepts (jQuery and friends): its caller cannot follow a
 * cross-site login redirect either.
 */
bool
sg_gate_wants_login_redirect(const struct sg_http_msg *m)
{
	if (m->method == NULL || (strcmp(m->method, "GET") != 0 && strcmp(m->method, "HEAD") != 0))
		return false;
	if (sg_http_get(m, "X-Requested-With") != NULL)
		return false;
	for (size_t i = 0; i < m->nh; i++) {
		const char *e;
		size_t n;

		if (strcasecmp(m->h[i].name, "Accept") != 0)
			continue;
		for (e = sg_http_next_element(m->h[i].value, &n); e != NULL;
		     e = sg_http_next_element(e + n, &n))
			if (names_html(e, n))
				return true;
	}
	return false;
}
