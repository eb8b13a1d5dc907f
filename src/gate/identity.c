/*
 * identity.c - strip before inject (house rule 7): every field a backend
 * would read as the gateway's word on who the user is goes from the client's
 * request first, then the gateway sets its own from the session.
 *
 * Stripping looks at all apps' identity field names, not only the routed
 * app's: a client could otherwise send another app's X-Auth-User through an
 * app that does not set it, to a backend shared by both.  Names compare
 * case-insensitively with '_' and '-' as one letter, since CGI-style
 * lookups (HTTP_X_REMOTE_USER) make X_Remote_User and X-Remote-User the
 * same field to many backends.
 *
 * Values: a field value cannot hold CR, LF or NUL, and the gateway sends no
 * other control character either, so a value with any byte below 0x20 or
 * 0x7f is left out rather than mangled.  A group that holds the separator
 * (or is empty) is left out of the joined list: "admins,x" sent through ","
 * would reach the backend as two groups, one of which the user may not
 * have.  When no group is left, the groups field is not sent at all.
 * The identity JWT is set by the pipeline, which owns the signing key.
 */
#include "config.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "gate_int.h"

/* Appends name to l unless it is NULL (that field is not sent). */
static void
list_add(struct sg_conf_list *l, const char *name)
{
	if (name != NULL)
		l->v[l->count++] = name;
}

/* Whole names through sg_gate_strip_fields, then the prefix, in one pass each. */
void
sg_gate_strip_identity(struct sg_http_msg *m, const struct sg_conf *c)
{
	const char *prefix = c->server.strip_header_prefix;
	struct sg_conf_list names = { 0 };
	size_t kept = 0;

	names.v =
	    sg_xmalloc((c->server.strip_headers.count + 5 * c->app_count + 1) * sizeof(*names.v));
	for (size_t i = 0; i < c->server.strip_headers.count; i++)
		list_add(&names, c->server.strip_headers.v[i]);
	for (size_t i = 0; i < c->app_count; i++) {
		const struct sg_conf_app *app = c->apps[i];

		list_add(&names, app->identity_header);
		list_add(&names, app->identity_email_header);
		list_add(&names, app->identity_name_header);
		list_add(&names, app->identity_groups_header);
		list_add(&names, app->identity_jwt_header);
	}
	sg_gate_strip_fields(m, &names);
	free(names.v);
	if (prefix == NULL || *prefix == '\0')
		return;
	for (size_t i = 0; i < m->nh; i++)
		if (!gate_field_match(m->h[i].name, prefix, true))
			m->h[kept++] = m->h[i];
	m->nh = kept;
}

static bool clean_value(const char *s);

/* Keeps s's order, so groups_max keeps the first groups the IdP listed.
 * Groups that cannot travel in a field (empty, control characters, the
 * separator inside) are left out before groups_max counts. */
size_t
sg_gate_filter_groups(const struct sg_conf_app *app, const struct sg_session *s, struct sg_arena *a,
                      const char ***out)
{
	const regex_t *re = app->groups_include_re;
	const char **v = sg_arena_alloc(a, (s->ngroups + 1) * sizeof(*v));
	size_t n = 0;

	/* The regex is unanchored (regexec(3) searches): "^jira-" for a prefix.
	 * A snapshot's regex_t is only read here, safe from several threads. */
	for (size_t i = 0; i < s->ngroups; i++) {
		if (app->groups_max > 0 && n >= app->groups_max)
			break;
		if (s->groups[i] == NULL || s->groups[i][0] == '\0' || !clean_value(s->groups[i]) ||
		    (app->groups_separator && *app->groups_separator &&
		     strstr(s->groups[i], app->groups_separator) != NULL))
			continue;
		if (re == NULL || regexec(re, s->groups[i], 0, NULL, 0) == 0)
			v[n++] = s->groups[i];
	}
	*out = v;
	return n;
}

/* True when s can be a field value as the gateway sends one: no byte below
 * 0x20 (CR, LF, NUL, TAB and the rest) and no DEL. */
static bool
clean_value(const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return s != NULL;
}

/* Sets field name to value when both are there and value is clean. */
static void
set_field(struct sg_http_msg *m, struct sg_arena *a, const char *name, const char *value)
{
	if (name != NULL && value != NULL && clean_value(value))
		sg_http_set(m, a, name, value);
}

/* The filtered groups of s joined by sep, or NULL when none is left. */
static const char *
joined_groups(const struct sg_conf_app *app, const struct sg_session *s, const char *sep,
              struct sg_arena *a)
{
	const char **g, *out = NULL;
	size_t n = sg_gate_filter_groups(app, s, a, &g), used = 0;
	struct sg_buf b = { 0 };

	for (size_t i = 0; i < n; i++)
		sg_buf_printf(&b, "%s%s", used++ > 0 ? sep : "", g[i]);
	if (used > 0)
		out = sg_arena_strdup(a, b.data);
	sg_buf_free(&b);
	return out;
}

/* Sets, never appends: strip_identity already removed the client's fields. */
void
sg_gate_add_identity(struct sg_http_msg *m, struct sg_arena *a, const struct sg_conf_app *app,
                     const struct sg_session *s)
{
	/* An empty separator would glue the names together; "," is the default. */
	const char *sep =
	    app->groups_separator && *app->groups_separator ? app->groups_separator : ",";

	set_field(m, a, app->identity_header, s->user);
	set_field(m, a, app->identity_email_header, s->email);
	set_field(m, a, app->identity_name_header, s->display_name);
	if (app->identity_groups_header != NULL)
		set_field(m, a, app->identity_groups_header, joined_groups(app, s, sep, a));
}
