/*
 * t_gate.c - the gateway's pure decisions (src/gate): which application a
 * request is for (route.c: RFC 9110 7.2, RFC 9112 3.2, RFC 9110 15.5.20) and
 * how heads are rewritten on the way to the backend and back (rewrite.c: RFC
 * 9110 7.6.1 hop-by-hop fields, RFC 7239 Forwarded, RFC 6265 Set-Cookie, the
 * WebSocket upgrade of RFC 6455 4.1, stripped fields, Via of RFC 9110 7.6.3
 * and request ids).
 *
 * One configuration with several applications is loaded once for the whole
 * group; its TLS files are placeholders in a fresh temporary folder.  Fields
 * are written as "Name: value\n" lines and compared the same way, so a case
 * sees the whole list and its order.  A case whose comment starts with "BUG"
 * pins down a bug found while writing this file (they sit at the end); it
 * fails until the code is fixed.
 */
#include "config.h"

#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "conf.h"
#include "gate.h"
#include "http.h"
#include "lib.h"
#include "unit.h"

/*
 * The applications, by section name:
 *   root   https://a.example/          -> http://127.0.0.1:8090/confluence
 *   tools  https://tools.example/      -> http://127.0.0.1:8085/
 *   jira   https://tools.example/jira  -> http://127.0.0.1:8080/
 *   api    https://tools.example/jira/api -> http://127.0.0.1:8086/rest
 *   wiki   https://tools.example/wiki  -> http://127.0.0.1:8090/confluence
 *   port   https://p.example:8443/     -> http://127.0.0.1:8081/
 *   v6     https://[::1]:8443/         -> http://127.0.0.1:8082/
 *   same   https://same.example/app/   -> http://localhost:8083/app (host_header backend)
 *   b80    https://b80.example/        -> http://127.0.0.1/ (host_header backend)
 *   lit    https://lit.example/        -> http://127.0.0.1:8084/ (literal Host)
 */
static const char conf_text[] =
    "[server]\nlisten = 127.0.0.1:8443\ntls_certificate = cert.pem\ntls_key = key.pem\n"
    "[idp i]\ntype = oidc\nissuer = https://idp.example/\nclient_id = c\nclient_secret = s\n"
    "[app root]\nurl = https://a.example/\nbackend = http://127.0.0.1:8090/confluence\n"
    "[app tools]\nurl = https://tools.example/\nbackend = http://127.0.0.1:8085/\n"
    "[app jira]\nurl = https://tools.example/jira\nbackend = http://127.0.0.1:8080/\n"
    "[app api]\nurl = https://tools.example/jira/api\nbackend = http://127.0.0.1:8086/rest\n"
    "[app wiki]\nurl = https://tools.example/wiki\nbackend = http://127.0.0.1:8090/confluence\n"
    "[app port]\nurl = https://p.example:8443/\nbackend = http://127.0.0.1:8081/\n"
    "[app v6]\nurl = https://[::1]:8443/\nbackend = http://127.0.0.1:8082/\n"
    "[app same]\nurl = https://same.example/app/\nbackend = http://localhost:8083/app\n"
    "host_header = backend\n"
    "[app b80]\nurl = https://b80.example/\nbackend = http://127.0.0.1/\n"
    "host_header = backend\n"
    "[app lit]\nurl = https://lit.example/\nbackend = http://127.0.0.1:8084/\n"
    "host_header = internal.example:8000\n";

static char tmpdir[] = "/tmp/sg-gate-XXXXXX";
static struct sg_conf *conf;

/* The fields the gateway sets on every request, whatever the client sent. */
static const char *const gateway_set[] = {
	"Host",      "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port",
	"Forwarded",
};

static const struct sg_client_info client4 = { "192.0.2.1", false, true, false };
static const struct sg_client_info trusted4 = { "192.0.2.1", false, true, true };
static const struct sg_client_info client6 = { "2001:db8::1", true, true, false };

/* ---- fixtures ---- */

static int
put_file(const char *name, const char *data)
{
	char path[PATH_MAX];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	rc = fputs(data, f) < 0;
	return fclose(f) == 0 && rc == 0 ? 0 : -1;
}

static int
group_setup(void **state)
{
	struct sg_errlist e = { 0 };

	(void)state;
	if (mkdtemp(tmpdir) == NULL || put_file("cert.pem", "placeholder certificate\n") ||
	    put_file("key.pem", "placeholder key\n"))
		return -1;
	conf = sg_conf_load_string(conf_text, "t.conf", tmpdir, &e);
	for (size_t i = 0; i < e.count; i++)
		print_message("config: %s\n", e.msg[i]);
	sg_errlist_clear(&e);
	return conf != NULL ? 0 : -1;
}

static int
group_teardown(void **state)
{
	(void)state;
	sg_conf_unref(conf);
	return unit_rmtree(tmpdir);
}

/* The application of section [app name]. */
static const struct sg_conf_app *
app(const char *name)
{
	for (size_t i = 0; i < conf->app_count; i++)
		if (strcmp(conf->apps[i]->s.name, name) == 0)
			return conf->apps[i];
	print_message("no [app %s] in the fixture\n", name);
	assert_true(false);
	return NULL;
}

/* ---- messages as text ---- */

/* One message with its arena; target is an exact-size heap copy so that
 * AddressSanitizer sees a read past its end. */
struct ctx {
	struct sg_arena *a;
	struct sg_http_msg m;
	struct sg_route r;
	struct sg_err err;
	char *target;
};

static void
ctx_open(struct ctx *c, bool request)
{
	memset(c, 0, sizeof(*c));
	c->a = sg_arena_new();
	c->m.is_request = request;
	c->m.major = 1;
	c->m.minor = 1;
	if (request)
		c->m.method = "GET";
	else
		c->m.status = 302;
}

static void
ctx_close(struct ctx *c)
{
	sg_arena_free(c->a);
	free(c->target);
}

/* Appends the "Name: value\n" lines of text to m. */
static void
add_fields(struct sg_http_msg *m, struct sg_arena *a, const char *text)
{
	while (*text != '\0') {
		size_t n = strcspn(text, "\n");
		const char *colon = memchr(text, ':', n), *v, *end = text + n;

		assert_non_null(colon);
		for (v = colon + 1; v < end && *v == ' '; v++)
			;
		sg_http_add(m, a, sg_arena_strndup(a, text, (size_t)(colon - text)),
		            sg_arena_strndup(a, v, (size_t)(end - v)));
		text = *end == '\n' ? end + 1 : end;
	}
}

static bool
in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(name, list[i]) == 0)
			return true;
	return false;
}

/* The fields of m as "Name: value\n" lines, leaving out the n names in skip. */
static const char *
fields_text(const struct sg_http_msg *m, struct sg_arena *a, const char *const *skip, size_t n)
{
	struct sg_buf b = { 0 };
	const char *s;

	for (size_t i = 0; i < m->nh; i++)
		if (!in_list(m->h[i].name, skip, n))
			sg_buf_printf(&b, "%s: %s\n", m->h[i].name, m->h[i].value);
	s = sg_arena_strdup(a, b.data ? b.data : "");
	sg_buf_free(&b);
	return s;
}

/* The fields a request kept from the client, in order. */
static const char *
passed_fields(struct ctx *c)
{
	return fields_text(&c->m, c->a, gateway_set, SG_NELEM(gateway_set));
}

static bool
same_text(const char *what, const char *got, const char *want)
{
	if (got == NULL && want == NULL)
		return true;
	if (got != NULL && want != NULL && strcmp(got, want) == 0)
		return true;
	print_message("%s: got \"%s\", want \"%s\"\n", what, got ? got : "(none)",
	              want ? want : "(none)");
	return false;
}

/* True when m has exactly one field name, valued want (or none if NULL). */
static bool
only_field(const struct sg_http_msg *m, const char *name, const char *want)
{
	size_t n = sg_http_count(m, name);

	if (n > 1) {
		print_message("%s: %zu fields, want one\n", name, n);
		return false;
	}
	return same_text(name, sg_http_get(m, name), want);
}

/* ---- sg_gate_route ---- */

/* Routes method target with Host host (NULL: no Host field). */
static int
route(struct ctx *c, const char *method, const char *target, const char *host)
{
	size_t n = strlen(target) + 1;

	ctx_open(c, true);
	c->target = sg_xmalloc(n);
	memcpy(c->target, target, n);
	c->m.method = method;
	c->m.target = c->target;
	if (host != NULL)
		sg_http_add(&c->m, c->a, "Host", host);
	return sg_gate_route(conf, &c->m, true, c->a, &c->r, &c->err);
}

/* A request that routes: to app (section name), of kind, with backend
 * target and r->path (NULL: the target itself). */
struct route_ok {
	const char *target;
	const char *host;
	const char *app;
	enum sg_route_kind kind;
	const char *backend;
	const char *path;
};

static bool
route_ok_row(const struct route_ok *t)
{
	struct ctx c;
	bool ok;

	if (route(&c, "GET", t->target, t->host) != 0) {
		print_message("%s (Host %s): %d %s\n", t->target, t->host ? t->host : "none",
		              c.err.code, c.err.detail);
		ctx_close(&c);
		return false;
	}
	ok = same_text("app", c.r.app->s.name, t->app) &&
	     same_text("backend target", c.r.backend_target, t->backend) &&
	     same_text("path", c.r.path, t->path ? t->path : t->target) && c.r.kind == t->kind;
	if (!ok)
		print_message("  for %s (Host %s), kind %d\n", t->target,
		              t->host ? t->host : "none", (int)c.r.kind);
	ctx_close(&c);
	return ok;
}

/* How many rows did not route as expected. */
static size_t
routes_misjudged(const struct route_ok *t, size_t n)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++)
		bad += !route_ok_row(&t[i]);
	return bad;
}

/* A request refused with status. */
struct route_bad {
	const char *method;
	const char *target;
	const char *host;
	int status;
};

/* How many rows were not refused with their status. */
static size_t
refusals_misjudged(const struct route_bad *t, size_t n)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct ctx c;
		int rc = route(&c, t[i].method ? t[i].method : "GET", t[i].target, t[i].host);

		if (rc != -1 || c.err.code != t[i].status) {
			print_message("%s (Host %s): rc %d, status %d, want -1 and %d (app %s)\n",
			              t[i].target, t[i].host ? t[i].host : "none", rc, c.err.code,
			              t[i].status, rc == 0 ? c.r.app->s.name : "none");
			bad++;
		}
		ctx_close(&c);
	}
	return bad;
}

#define APP_ SG_ROUTE_APP
#define GW_ SG_ROUTE_GATEWAY

static void
host_matches_case_insensitively_and_443_is_the_default(void **state)
{
	static const struct route_ok t[] = {
		{ "/x", "a.example", "root", APP_, "/confluence/x", NULL },
		{ "/x", "A.EXAMPLE", "root", APP_, "/confluence/x", NULL },
		{ "/x", "a.Example:443", "root", APP_, "/confluence/x", NULL },
		{ "/x", "a.example:", "root", APP_, "/confluence/x", NULL },
		{ "/jira/x", "Tools.Example:443", "jira", APP_, "/x", NULL },
	};

	(void)state;
	assert_int_equal(routes_misjudged(t, SG_NELEM(t)), 0);
}

static void
port_must_match(void **state)
{
	static const struct route_ok ok[] = {
		{ "/x", "p.example:8443", "port", APP_, "/x", NULL },
		{ "/x", "P.EXAMPLE:8443", "port", APP_, "/x", NULL },
	};
	static const struct route_bad bad[] = {
		{ NULL, "/x", "p.example", 421 },      { NULL, "/x", "p.example:443", 421 },
		{ NULL, "/x", "p.example:8444", 421 }, { NULL, "/x", "a.example:8443", 421 },
		{ NULL, "/x", "a.example:80", 421 },
	};

	(void)state;
	assert_int_equal(routes_misjudged(ok, SG_NELEM(ok)), 0);
	assert_int_equal(refusals_misjudged(bad, SG_NELEM(bad)), 0);
}

static void
longest_prefix_wins_on_whole_segments(void **state)
{
	static const struct route_ok t[] = {
		{ "/jira/x", "tools.example", "jira", APP_, "/x", NULL },
		{ "/jira/api/x", "tools.example", "api", APP_, "/rest/x", NULL },
		{ "/jira/api", "tools.example", "api", APP_, "/rest/", NULL },
		{ "/jira/apix", "tools.example", "jira", APP_, "/apix", NULL },
		{ "/jirax", "tools.example", "tools", APP_, "/jirax", NULL },
		{ "/jirax/y", "tools.example", "tools", APP_, "/jirax/y", NULL },
		{ "/JIRA/x", "tools.example", "tools", APP_, "/JIRA/x", NULL },
		{ "/wiki", "tools.example", "wiki", APP_, "/confluence/", NULL },
		{ "/", "tools.example", "tools", APP_, "/", NULL },
	};

	(void)state;
	assert_int_equal(routes_misjudged(t, SG_NELEM(t)), 0);
}

static void
external_prefix_is_swapped_for_the_backend_path(void **state)
{
	static const struct route_ok t[] = {
		{ "/jira", "tools.example", "jira", APP_, "/", NULL },
		{ "/jira/", "tools.example", "jira", APP_, "/", NULL },
		{ "/jira?x", "tools.example", "jira", APP_, "/?x", NULL },
		{ "/jira/?x=1&y", "tools.example", "jira", APP_, "/?x=1&y", NULL },
		{ "/jira/secure/Dashboard.jspa", "tools.example", "jira", APP_,
		  "/secure/Dashboard.jspa", NULL },
		{ "/wiki/display/X", "tools.example", "wiki", APP_, "/confluence/display/X", NULL },
		{ "/wiki?a", "tools.example", "wiki", APP_, "/confluence/?a", NULL },
		{ "/x", "a.example", "root", APP_, "/confluence/x", NULL },
		{ "/", "a.example", "root", APP_, "/confluence/", NULL },
		{ "/?q=1", "a.example", "root", APP_, "/confluence/?q=1", NULL },
		{ "/app/x", "same.example", "same", APP_, "/app/x", NULL },
		{ "/app", "same.example", "same", APP_, "/app", NULL },
	};

	(void)state;
	assert_int_equal(routes_misjudged(t, SG_NELEM(t)), 0);
}

static void
target_bytes_are_kept_as_sent(void **state)
{
	static const struct route_ok t[] = {
		{ "/jira/a%2Cb;jsessionid=1?q=%20x", "tools.example", "jira", APP_,
		  "/a%2Cb;jsessionid=1?q=%20x", NULL },
		/* routed by the path Tomcat maps (/x), forwarded as sent */
		{ "/jira/../x", "tools.example", "tools", APP_, "/jira/../x", NULL },
		{ "/wiki/%7Euser/./a%2e%2E", "tools.example", "wiki", APP_,
		  "/confluence/%7Euser/./a%2e%2E", NULL },
		{ "/a//b;p=1", "a.example", "root", APP_, "/confluence/a//b;p=1", NULL },
		{ "/app/%41?%42", "same.example", "same", APP_, "/app/%41?%42", NULL },
		{ "/Mixed/Case%3a", "tools.example", "tools", APP_, "/Mixed/Case%3a", NULL },
	};

	(void)state;
	assert_int_equal(routes_misjudged(t, SG_NELEM(t)), 0);
}

static void
reserved_prefix_under_the_app_is_the_gateways(void **state)
{
	static const struct route_ok t[] = {
		{ "/ssogw/login", "a.example", "root", GW_, "/confluence/ssogw/login", NULL },
		{ "/ssogw/", "tools.example", "tools", GW_, "/ssogw/", NULL },
		{ "/jira/ssogw/acs?x", "tools.example", "jira", GW_, "/ssogw/acs?x", NULL },
		{ "/jira/api/ssogw/", "tools.example", "api", GW_, "/rest/ssogw/", NULL },
		{ "/app/ssogw/cb", "same.example", "same", GW_, "/app/ssogw/cb", NULL },
		{ "/ssogwx/", "a.example", "root", APP_, "/confluence/ssogwx/", NULL },
		{ "/x/ssogw/", "a.example", "root", APP_, "/confluence/x/ssogw/", NULL },
		{ "/jira/x/ssogw/", "tools.example", "jira", APP_, "/x/ssogw/", NULL },
	};
	/* only directly under an app's prefix: /ssogw/ is not under /app/ */
	static const struct route_bad bad[] = {
		{ NULL, "/ssogw/", "same.example", 421 },
	};

	(void)state;
	assert_int_equal(routes_misjudged(t, SG_NELEM(t)), 0);
	assert_int_equal(refusals_misjudged(bad, SG_NELEM(bad)), 0);
}

static void
unknown_authority_is_421(void **state)
{
	static const struct route_bad t[] = {
		{ NULL, "/", "nowhere.example", 421 }, { NULL, "/x", "a.example.evil", 421 },
		{ NULL, "/x", "example", 421 },        { NULL, "/other", "same.example", 421 },
		{ NULL, "/ap", "same.example", 421 },  { NULL, "/", "127.0.0.1", 421 },
		{ NULL, "/", "[::1]", 421 },
	};

	(void)state;
	assert_int_equal(refusals_misjudged(t, SG_NELEM(t)), 0);
}

static void
absolute_form_routes_by_its_own_authority(void **state)
{
	static const struct route_ok t[] = {
		{ "https://a.example/x", "a.example", "root", APP_, "/confluence/x", "/x" },
		{ "https://tools.example/jira/x?y", "a.example", "jira", APP_, "/x?y",
		  "/jira/x?y" },
		{ "HTTPS://Tools.Example:443/wiki", "p.example:8443", "wiki", APP_, "/confluence/",
		  "/wiki" },
		{ "https://p.example:8443/x", "a.example", "port", APP_, "/x", "/x" },
		{ "https://a.example/ssogw/acs", "tools.example", "root", GW_,
		  "/confluence/ssogw/acs", "/ssogw/acs" },
		/* RFC 9112 3.2.2: the Host field is ignored, even a malformed one */
		{ "https://a.example/x", "bad host", "root", APP_, "/confluence/x", "/x" },
		{ "https://a.example/x", NULL, "root", APP_, "/confluence/x", "/x" },
	};

	(void)state;
	assert_int_equal(routes_misjudged(t, SG_NELEM(t)), 0);
}

static void
absolute_form_for_another_host_is_400(void **state)
{
	static const struct route_bad t[] = {
		{ NULL, "https://evil.example/x", "a.example", 400 },
		{ NULL, "http://evil.example/jira/x", "tools.example", 400 },
		{ NULL, "https://p.example/x", "p.example:8443", 400 },
		{ NULL, "https://a.example:8443/x", "a.example", 400 },
		{ NULL, "https://user@a.example/x", "a.example", 400 },
		{ NULL, "https:///x", "a.example", 400 },
	};

	(void)state;
	assert_int_equal(refusals_misjudged(t, SG_NELEM(t)), 0);
}

static void
absolute_form_without_a_path_is_400(void **state)
{
	static const struct route_bad t[] = {
		{ NULL, "https://a.example", "a.example", 400 },
		{ NULL, "https://a.example?x=1", "a.example", 400 },
		{ NULL, "https://p.example:8443", "p.example:8443", 400 },
	};

	(void)state;
	assert_int_equal(refusals_misjudged(t, SG_NELEM(t)), 0);
}

static void
other_target_forms_are_400(void **state)
{
	static const struct route_bad t[] = {
		{ "OPTIONS", "*", "a.example", 400 },
		{ "GET", "*", "a.example", 400 },
		{ "CONNECT", "a.example:443", "a.example", 400 },
		{ "GET", "a.example/x", "a.example", 400 },
		{ "GET", "x", "a.example", 400 },
		{ "GET", "ftp://a.example/x", "a.example", 400 },
		{ "GET", "", "a.example", 400 },
	};

	(void)state;
	assert_int_equal(refusals_misjudged(t, SG_NELEM(t)), 0);
}

static void
malformed_host_is_400(void **state)
{
	static const struct route_bad t[] = {
		{ NULL, "/", "a.example x", 400 },
		{ NULL, "/", "a .example", 400 },
		{ NULL, "/", "user@a.example", 400 },
		{ NULL, "/", "[::1", 400 },
		{ NULL, "/", "[::1:8443", 400 },
		{ NULL, "/", "[::1]x", 400 },
		{ NULL, "/", "[::1]8443", 400 },
		{ NULL, "/", "[]:8443", 400 },
		{ NULL, "/", "a.example:99999", 400 },
		{ NULL, "/", "a.example:65536", 400 },
		{ NULL, "/", "a.example:4a3", 400 },
		{ NULL, "/", "a.example:-1", 400 },
		{ NULL, "/", "a.example:443:443", 400 },
		{ NULL, "/", "", 400 },
		{ NULL, "/", ":443", 400 },
		{ NULL, "/", "a.example/x", 400 },
		{ NULL, "/", "a%2eexample", 400 },
		{ NULL, "/", "::1", 400 },
		{ NULL, "/", NULL, 400 },
	};

	(void)state;
	assert_int_equal(refusals_misjudged(t, SG_NELEM(t)), 0);
}

static void
ipv6_literal_host_routes(void **state)
{
	static const struct route_ok t[] = {
		{ "/x", "[::1]:8443", "v6", APP_, "/x", NULL },
		{ "/ssogw/x", "[::1]:8443", "v6", GW_, "/ssogw/x", NULL },
		{ "https://[::1]:8443/y", "a.example", "v6", APP_, "/y", "/y" },
	};
	static const struct route_bad bad[] = {
		{ NULL, "/x", "[::1]", 421 },
		{ NULL, "/x", "[::2]:8443", 421 },
	};

	(void)state;
	assert_int_equal(routes_misjudged(t, SG_NELEM(t)), 0);
	assert_int_equal(refusals_misjudged(bad, SG_NELEM(bad)), 0);
}

/* ---- sg_gate_rewrite_request ---- */

/* A GET for app with the given fields, routed to backend target "/b/t". */
static void
request_for(struct ctx *c, const char *app_name, const char *fields)
{
	ctx_open(c, true);
	c->m.target = "/t";
	add_fields(&c->m, c->a, fields);
	c->r.kind = SG_ROUTE_APP;
	c->r.app = app(app_name);
	c->r.path = "/t";
	c->r.backend_target = "/b/t";
}

/* Input fields and the client fields that must remain. */
struct fields_case {
	const char *in;
	const char *want;
};

/* How many rows of t left other client fields than want for the backend. */
static size_t
requests_misjudged(const struct fields_case *t, size_t n)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct ctx c;

		request_for(&c, "jira", t[i].in);
		sg_gate_rewrite_request(&c.m, c.a, &c.r, &client4);
		if (!same_text("request fields", passed_fields(&c), t[i].want)) {
			print_message("  from \"%s\"\n", t[i].in);
			bad++;
		}
		ctx_close(&c);
	}
	return bad;
}

static void
request_hop_by_hop_fields_are_dropped(void **state)
{
	static const struct fields_case t[] = {
		{ "Connection: close\nX-A: 1\n", "X-A: 1\n" },
		{ "X-A: 1\nKeep-Alive: timeout=5\n", "X-A: 1\n" },
		{ "TE: trailers\nX-A: 1\n", "X-A: 1\n" },
		{ "Trailer: X-T\nX-A: 1\n", "X-A: 1\n" },
		{ "Transfer-Encoding: gzip, chunked\nX-A: 1\n", "X-A: 1\n" },
		{ "Upgrade: websocket\nX-A: 1\n", "X-A: 1\n" },
		{ "Proxy-Connection: keep-alive\nX-A: 1\n", "X-A: 1\n" },
		{ "Proxy-Authorization: Basic dTpw\nX-A: 1\n", "X-A: 1\n" },
		{ "proxy-authorization: Basic dTpw\nX-A: 1\n", "X-A: 1\n" },
		{ "Proxy-Foo: 1\nPROXY-BAR: 2\nX-A: 1\n", "X-A: 1\n" },
		{ "CONNECTION: close\nkeep-alive: 5\nte: trailers\nX-A: 1\n", "X-A: 1\n" },
		{ "Authorization: Bearer t\nX-Proxy: 1\n",
		  "Authorization: Bearer t\nX-Proxy: 1\n" },
	};

	(void)state;
	assert_int_equal(requests_misjudged(t, SG_NELEM(t)), 0);
}

static void
request_fields_named_by_connection_are_dropped(void **state)
{
	static const struct fields_case t[] = {
		{ "Connection: X-Secret\nX-Secret: 1\nX-A: 2\n", "X-A: 2\n" },
		{ "Connection: x-secret, X-Other\nX-SECRET: 1\nx-other: 2\nX-A: 3\n", "X-A: 3\n" },
		{ "Connection: keep-alive\nConnection: X-B\nX-B: 1\nX-A: 2\n", "X-A: 2\n" },
		{ "Connection: ,, X-B ,\nX-B: 1\nX-A: 2\n", "X-A: 2\n" },
		{ "Connection: X-Secret-Long\nX-Secret: 1\n", "X-Secret: 1\n" },
		{ "Connection: Cookie\nCookie: a=b\nX-A: 1\n", "X-A: 1\n" },
	};

	(void)state;
	assert_int_equal(requests_misjudged(t, SG_NELEM(t)), 0);
}

static void
request_fields_keep_their_order(void **state)
{
	static const struct fields_case t[] = {
		{ "X-A: 1\nConnection: close\nX-B: 2\nKeep-Alive: 5\nX-C: 3\nx-a: 4\n",
		  "X-A: 1\nX-B: 2\nX-C: 3\nx-a: 4\n" },
		{ "Accept: */*\nCookie: a=b\nCookie: c=d\nUser-Agent: t\n",
		  "Accept: */*\nCookie: a=b\nCookie: c=d\nUser-Agent: t\n" },
	};

	(void)state;
	assert_int_equal(requests_misjudged(t, SG_NELEM(t)), 0);
}

/* A body framing as the parser left it, and what the backend must see. */
struct framing_case {
	enum sg_http_framing framing;
	uint64_t length;
	const char *in;
	const char *content_length; /* NULL: no Content-Length */
	const char *te;             /* NULL: no Transfer-Encoding */
};

static void
body_is_reframed_for_the_backend(void **state)
{
	static const struct framing_case t[] = {
		{ SG_BODY_LENGTH, 5, "Content-Length: 5\n", "5", NULL },
		{ SG_BODY_LENGTH, 12, "content-length: 0012\nX-A: 1\n", "12", NULL },
		{ SG_BODY_LENGTH, 0, "Content-Length: 0\n", "0", NULL },
		{ SG_BODY_LENGTH, UINT64_MAX, "Content-Length: 18446744073709551615\n",
		  "18446744073709551615", NULL },
		{ SG_BODY_CHUNKED, 0, "Transfer-Encoding: chunked\n", NULL, "chunked" },
		{ SG_BODY_CHUNKED, 0, "Transfer-Encoding: gzip, chunked\nTE: trailers\n", NULL,
		  "chunked" },
		{ SG_BODY_NONE, 0, "X-A: 1\n", NULL, NULL },
		{ SG_BODY_NONE, 0, "Content-Length: 0\n", NULL, NULL },
	};
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < SG_NELEM(t); i++) {
		struct ctx c;

		request_for(&c, "jira", t[i].in);
		c.m.framing = t[i].framing;
		c.m.content_length = t[i].length;
		sg_gate_rewrite_request(&c.m, c.a, &c.r, &client4);
		if (!only_field(&c.m, "Content-Length", t[i].content_length) ||
		    !only_field(&c.m, "Transfer-Encoding", t[i].te)) {
			print_message("  row %zu\n", i);
			bad++;
		}
		ctx_close(&c);
	}
	assert_int_equal(bad, 0);
}

static void
expect_is_removed(void **state)
{
	struct ctx c;

	(void)state;
	request_for(&c, "jira", "Expect: 100-continue\nContent-Length: 3\nexpect: x\n");
	c.m.framing = SG_BODY_LENGTH;
	c.m.content_length = 3;
	c.m.expect_continue = true;
	sg_gate_rewrite_request(&c.m, c.a, &c.r, &client4);
	assert_int_equal(sg_http_count(&c.m, "Expect"), 0);
	assert_true(only_field(&c.m, "Content-Length", "3"));
	ctx_close(&c);
}

static void
host_follows_host_header_mode(void **state)
{
	static const struct {
		const char *app, *want;
	} t[] = {
		{ "root", "a.example" },
		{ "jira", "tools.example" },
		{ "port", "p.example:8443" },
		{ "v6", "[::1]:8443" },
		{ "same", "localhost:8083" },
		{ "b80", "127.0.0.1" },
		{ "lit", "internal.example:8000" },
	};
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < SG_NELEM(t); i++) {
		struct ctx c;

		request_for(&c, t[i].app, "Host: evil.example\nX-A: 1\nhost: second.example\n");
		sg_gate_rewrite_request(&c.m, c.a, &c.r, &client4);
		if (!only_field(&c.m, "Host", t[i].want)) {
			print_message("  app %s\n", t[i].app);
			bad++;
		}
		ctx_close(&c);
	}
	assert_int_equal(bad, 0);
}

/* The forwarding fields the backend must see. */
struct forwarded {
	const char *xff, *proto, *host, *port, *fwd;
};

static bool
forwarding_is(const struct sg_http_msg *m, const struct forwarded *w)
{
	bool ok = only_field(m, "X-Forwarded-For", w->xff);

	ok = only_field(m, "X-Forwarded-Proto", w->proto) && ok;
	ok = only_field(m, "X-Forwarded-Host", w->host) && ok;
	ok = only_field(m, "X-Forwarded-Port", w->port) && ok;
	return only_field(m, "Forwarded", w->fwd) && ok;
}

/* Rewrites a request for app_name from client with fields in. */
static bool
forwarding_after(const char *app_name, const struct sg_client_info *client, const char *in,
                 const struct forwarded *want)
{
	struct ctx c;
	bool ok;

	request_for(&c, app_name, in);
	sg_gate_rewrite_request(&c.m, c.a, &c.r, client);
	ok = forwarding_is(&c.m, want);
	ctx_close(&c);
	return ok;
}

static const struct forwarded jira_from_client4 = {
	"192.0.2.1",
	"https",
	"tools.example",
	"443",
	"for=192.0.2.1;host=\"tools.example\";proto=https",
};

static void
forwarding_fields_are_set(void **state)
{
	static const struct forwarded port = {
		"192.0.2.1",
		"https",
		"p.example:8443",
		"8443",
		"for=192.0.2.1;host=\"p.example:8443\";proto=https",
	};

	(void)state;
	assert_true(forwarding_after("jira", &client4, "X-A: 1\n", &jira_from_client4));
	assert_true(forwarding_after("port", &client4, "", &port));
}

static void
ipv6_client_is_quoted_and_bracketed_in_forwarded(void **state)
{
	static const struct forwarded want = {
		"2001:db8::1",
		"https",
		"[::1]:8443",
		"8443",
		"for=\"[2001:db8::1]\";host=\"[::1]:8443\";proto=https",
	};

	(void)state;
	assert_true(forwarding_after("v6", &client6, "", &want));
}

static void
untrusted_clients_forwarding_fields_are_replaced(void **state)
{
	static const char spoofed[] = "X-Forwarded-For: 10.0.0.1\n"
	                              "x-forwarded-for: 10.0.0.2\n"
	                              "X-Forwarded-Proto: http\n"
	                              "X-FORWARDED-HOST: evil.example\n"
	                              "X-Forwarded-Port: 80\n"
	                              "Forwarded: for=10.0.0.1;proto=http\n"
	                              "forwarded: for=10.0.0.3\n";

	static const char one_each[] = "X-Forwarded-For: 10.0.0.1\n"
	                               "Forwarded: for=10.0.0.1\n";

	(void)state;
	assert_true(forwarding_after("jira", &client4, spoofed, &jira_from_client4));
	assert_true(forwarding_after("jira", &client4, one_each, &jira_from_client4));
}

static void
trusted_proxy_chain_is_extended_and_the_rest_kept(void **state)
{
	static const struct forwarded want = {
		"203.0.113.7, 198.51.100.2, 192.0.2.1",
		"http",
		"front.example",
		"8443",
		"for=203.0.113.7;proto=http, for=192.0.2.1;host=\"tools.example\";proto=https",
	};
	static const char sent[] = "X-Forwarded-For: 203.0.113.7, 198.51.100.2\n"
	                           "X-Forwarded-Proto: http\n"
	                           "X-Forwarded-Host: front.example\n"
	                           "X-Forwarded-Port: 8443\n"
	                           "Forwarded: for=203.0.113.7;proto=http\n";

	(void)state;
	assert_true(forwarding_after("jira", &trusted4, sent, &want));
}

static void
trusted_proxy_without_forwarding_fields_gets_ours(void **state)
{
	(void)state;
	assert_true(forwarding_after("jira", &trusted4, "X-A: 1\n", &jira_from_client4));
}

static void
target_and_version_are_set_for_the_backend(void **state)
{
	struct ctx c;

	(void)state;
	request_for(&c, "jira", "X-A: 1\n");
	c.m.method = "POST";
	c.m.minor = 0;
	c.r.backend_target = "/secure/a%2Fb?x=1";
	sg_gate_rewrite_request(&c.m, c.a, &c.r, &client4);
	assert_string_equal(c.m.target, "/secure/a%2Fb?x=1");
	assert_string_equal(c.m.method, "POST");
	assert_int_equal(c.m.major, 1);
	assert_int_equal(c.m.minor, 1);
	ctx_close(&c);
}

/* A WebSocket handshake (RFC 6455 4.1) as the parser flags it. */
static void
websocket_request(struct ctx *c, const char *method, const char *fields)
{
	request_for(c, "jira", fields);
	c->m.method = method;
	c->m.upgrade = true;
}

static void
websocket_upgrade_is_passed_on(void **state)
{
	static const char *const handshakes[] = {
		"Connection: Upgrade\nUpgrade: websocket\nSec-WebSocket-Key: k\n",
		"Connection: keep-alive, Upgrade, X-Secret\nX-Secret: 1\nUpgrade: WebSocket\n"
		"Sec-WebSocket-Key: k\n",
	};
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < SG_NELEM(handshakes); i++) {
		struct ctx c;

		websocket_request(&c, "GET", handshakes[i]);
		sg_gate_rewrite_request(&c.m, c.a, &c.r, &client4);
		bad +=
		    !same_text("upgrade", passed_fields(&c),
		               "Sec-WebSocket-Key: k\nConnection: Upgrade\nUpgrade: websocket\n");
		ctx_close(&c);
	}
	assert_int_equal(bad, 0);
}

static void
other_upgrades_are_dropped(void **state)
{
	static const struct {
		const char *method;
		bool upgrade;
		enum sg_http_framing framing;
		const char *fields;
	} t[] = {
		{ "GET", true, SG_BODY_NONE, "Connection: Upgrade\nUpgrade: h2c\nX-A: 1\n" },
		{ "GET", true, SG_BODY_NONE, "Connection: Upgrade\nUpgrade: TLS/1.2\nX-A: 1\n" },
		{ "POST", true, SG_BODY_NONE, "Connection: Upgrade\nUpgrade: websocket\nX-A: 1\n" },
		{ "GET", false, SG_BODY_NONE, "Upgrade: websocket\nX-A: 1\n" },
		{ "GET", true, SG_BODY_CHUNKED,
		  "Connection: Upgrade\nUpgrade: websocket\nX-A: 1\n" },
	};
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < SG_NELEM(t); i++) {
		struct ctx c;

		websocket_request(&c, t[i].method, t[i].fields);
		c.m.upgrade = t[i].upgrade;
		c.m.framing = t[i].framing;
		sg_gate_rewrite_request(&c.m, c.a, &c.r, &client4);
		if (sg_http_count(&c.m, "Upgrade") + sg_http_count(&c.m, "Connection") != 0) {
			print_message("row %zu kept \"%s\"\n", i, passed_fields(&c));
			bad++;
		}
		ctx_close(&c);
	}
	assert_int_equal(bad, 0);
}

static void
strip_fields_treats_underscore_as_dash(void **state)
{
	static const char *names[] = { "X-Remote-User", "x_groups" };
	const struct sg_conf_list list = { names, SG_NELEM(names) };
	const struct sg_conf_list none = { NULL, 0 };
	struct ctx c;

	(void)state;
	request_for(&c, "jira",
	            "X-Remote-User: a\nx_remote_user: b\nX-Remote-Userx: c\n"
	            "X-Remote: d\nX-GROUPS: e\nX_Groups: f\nX-A: 1\n");
	sg_gate_strip_fields(&c.m, &none);
	assert_int_equal(c.m.nh, 7);
	sg_gate_strip_fields(&c.m, &list);
	assert_string_equal(fields_text(&c.m, c.a, NULL, 0),
	                    "X-Remote-Userx: c\nX-Remote: d\nX-A: 1\n");
	ctx_close(&c);
}

/* The values of every field name in m, one a line. */
static const char *
values_of(const struct sg_http_msg *m, struct sg_arena *a, const char *name)
{
	struct sg_buf b = { 0 };
	const char *s;

	for (size_t i = 0; i < m->nh; i++)
		if (strcasecmp(m->h[i].name, name) == 0)
			sg_buf_printf(&b, "%s\n", m->h[i].value);
	s = sg_arena_strdup(a, b.data ? b.data : "");
	sg_buf_free(&b);
	return s;
}

static void
via_names_the_gateway_last(void **state)
{
	static const struct fields_case t[] = {
		{ "X-A: 1\n", "1.1 ssogw\n" },
		{ "Via: 1.0 fred, 1.1 p.example\nX-A: 1\n",
		  "1.0 fred, 1.1 p.example, 1.1 ssogw\n" },
		{ "via: 1.0 fred\nX-A: 1\nVia: 1.1 p.example\n",
		  "1.0 fred\n1.1 p.example\n1.1 ssogw\n" },
	};
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < SG_NELEM(t); i++) {
		struct ctx c;

		request_for(&c, "jira", t[i].in);
		sg_gate_add_via(&c.m, c.a);
		bad += !same_text("Via", values_of(&c.m, c.a, "Via"), t[i].want);
		bad += !same_text("X-A", sg_http_get(&c.m, "X-A"), "1");
		ctx_close(&c);
	}
	assert_int_equal(bad, 0);
}

/* The longest request id passed on: 128 characters. */
#define ID_128                                                             \
	"0123456789012345678901234567890123456789012345678901234567890123" \
	"0123456789012345678901234567890123456789012345678901234567890123"

/* True when id is a fresh one: 24 lower-case hex digits. */
static bool
is_fresh_id(const char *id)
{
	return id != NULL && strlen(id) == 24 && strspn(id, "0123456789abcdef") == 24;
}

static void
request_id_of_a_trusted_proxy_is_kept(void **state)
{
	static const char *const sane[] = {
		"abc-123",
		"Az09-_.:+=/",
		"x",
		ID_128,
	};
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < SG_NELEM(sane); i++) {
		struct ctx c;
		const char *id;

		request_for(&c, "jira", "");
		sg_http_add(&c.m, c.a, "X-Request-Id", sane[i]);
		id = sg_gate_request_id(&c.m, true, c.a);
		bad += !same_text("returned id", id, sane[i]);
		bad += !only_field(&c.m, "X-Request-Id", sane[i]);
		ctx_close(&c);
	}
	assert_int_equal(bad, 0);
}

/* Gives request fields to sg_gate_request_id; true when it set a fresh id. */
static bool
gets_fresh_id(const char *fields, bool trusted)
{
	struct ctx c;
	const char *id;
	bool ok;

	request_for(&c, "jira", fields);
	id = sg_gate_request_id(&c.m, trusted, c.a);
	ok = is_fresh_id(id) && only_field(&c.m, "X-Request-Id", id);
	if (!ok)
		print_message("id \"%s\" from \"%s\" (trusted %d)\n", id, fields, trusted);
	ctx_close(&c);
	return ok;
}

static void
request_id_is_new_unless_sane_and_trusted(void **state)
{
	static const struct {
		const char *fields;
		bool trusted;
	} t[] = {
		{ "", false },
		{ "", true },
		{ "X-Request-Id: abc\n", false },
		{ "X-Request-Id: a b\n", true },
		{ "X-Request-Id: a\"b\n", true },
		{ "X-Request-Id: \n", true },
		{ "X-Request-Id: a\nx-request-id: b\n", true },
		{ "X-Request-Id: " ID_128 "x\n", true }, /* 129 characters */
	};
	size_t bad = 0;

	(void)state;
	for (size_t i = 0; i < SG_NELEM(t); i++)
		bad += !gets_fresh_id(t[i].fields, t[i].trusted);
	assert_int_equal(bad, 0);
}

static void
request_ids_differ(void **state)
{
	struct ctx c;
	const char *one, *two;

	(void)state;
	request_for(&c, "jira", "");
	one = sg_gate_request_id(&c.m, false, c.a);
	two = sg_gate_request_id(&c.m, false, c.a);
	assert_true(is_fresh_id(one) && is_fresh_id(two));
	assert_string_not_equal(one, two);
	ctx_close(&c);
}

/* ---- sg_gate_rewrite_response ---- */

/* A response's fields before and after, for app (NULL: none); want NULL
 * means unchanged. */
struct response_case {
	const char *app;
	const char *in;
	const char *want;
};

/* How many rows of t did not give their fields. */
static size_t
responses_misjudged(const struct response_case *t, size_t n)
{
	size_t bad = 0;

	for (size_t i = 0; i < n; i++) {
		struct ctx c;
		const char *want = t[i].want ? t[i].want : t[i].in;

		ctx_open(&c, false);
		add_fields(&c.m, c.a, t[i].in);
		sg_gate_rewrite_response(&c.m, c.a, t[i].app ? app(t[i].app) : NULL);
		if (!same_text("response fields", fields_text(&c.m, c.a, NULL, 0), want)) {
			print_message("  from \"%s\" for app %s\n", t[i].in,
			              t[i].app ? t[i].app : "NULL");
			bad++;
		}
		ctx_close(&c);
	}
	return bad;
}

static void
response_hop_by_hop_fields_are_dropped_and_length_kept(void **state)
{
	static const struct response_case t[] = {
		{ "jira",
		  "Content-Length: 10\nConnection: keep-alive\nKeep-Alive: timeout=5\n"
		  "X-A: 1\nTransfer-Encoding: chunked\nTrailer: X-T\nUpgrade: h2c\nTE: x\n"
		  "Proxy-Connection: close\nProxy-Authenticate: Basic\nX-B: 2\n",
		  "Content-Length: 10\nX-A: 1\nX-B: 2\n" },
		{ "jira", "Connection: X-Internal, x-debug\nX-Internal: 1\nX-DEBUG: 2\nX-A: 3\n",
		  "X-A: 3\n" },
		{ NULL, "Connection: close\nContent-Length: 0\nX-A: 1\n",
		  "Content-Length: 0\nX-A: 1\n" },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

static void
location_at_the_backend_becomes_external(void **state)
{
	static const struct response_case t[] = {
		{ "jira", "Location: http://127.0.0.1:8080/secure/Dashboard.jspa?a=1\n",
		  "Location: https://tools.example/jira/secure/Dashboard.jspa?a=1\n" },
		{ "jira", "Location: http://127.0.0.1:8080/\n",
		  "Location: https://tools.example/jira/\n" },
		{ "jira", "Location: HTTP://127.0.0.1:8080/x#f\n",
		  "Location: https://tools.example/jira/x#f\n" },
		{ "wiki", "Location: http://127.0.0.1:8090/confluence/display/X\n",
		  "Location: https://tools.example/wiki/display/X\n" },
		{ "wiki", "Location: http://127.0.0.1:8090/confluence\n",
		  "Location: https://tools.example/wiki/\n" },
		{ "wiki", "Location: http://127.0.0.1:8090/confluence?x=1\n",
		  "Location: https://tools.example/wiki?x=1\n" },
		{ "root", "Location: http://127.0.0.1:8090/confluence/x\n",
		  "Location: https://a.example/x\n" },
		{ "root", "Location: http://127.0.0.1:8090/confluence\n",
		  "Location: https://a.example/\n" },
		{ "port", "Location: http://127.0.0.1:8081/x\n",
		  "Location: https://p.example:8443/x\n" },
		{ "v6", "Location: http://127.0.0.1:8082/x\n", "Location: https://[::1]:8443/x\n" },
		{ "same", "Location: http://LocalHost:8083/app/x\n",
		  "Location: https://same.example/app/x\n" },
		{ "jira", "Content-Location: http://127.0.0.1:8080/x\n",
		  "Content-Location: https://tools.example/jira/x\n" },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

static void
location_elsewhere_is_left_alone(void **state)
{
	static const struct response_case t[] = {
		{ "jira", "Location: http://127.0.0.1:8081/x\n", NULL },
		{ "jira", "Location: https://127.0.0.1:8080/x\n", NULL },
		{ "jira", "Location: http://127.0.0.1/x\n", NULL },
		{ "jira", "Location: http://127.0.0.2:8080/x\n", NULL },
		{ "jira", "Location: http://evil.example:8080/x\n", NULL },
		{ "jira", "Location: https://www.example.org/x\n", NULL },
		{ "jira", "Location: https://tools.example/jira/x\n", NULL },
		{ "jira", "Location: http://tools.example:8080/x\n", NULL },
		{ "jira", "Location: //127.0.0.1:8080/x\n", NULL },
		{ "jira", "Location: //tools.example/x\n", NULL },
		{ "jira", "Location: x/y\n", NULL },
		{ "jira", "Location: ?a=1\n", NULL },
		{ "jira", "Location: mailto:a@example.org\n", NULL },
		{ "wiki", "Location: http://127.0.0.1:8090/other/x\n", NULL },
		{ "wiki", "Location: http://127.0.0.1:8090/confluencex\n", NULL },
		{ "wiki", "Location: http://127.0.0.1:8090/\n", NULL },
		{ "root", "Content-Location: http://127.0.0.1:8090/x\n", NULL },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

static void
location_at_the_external_host_over_http_becomes_https(void **state)
{
	static const struct response_case t[] = {
		{ "jira", "Location: http://tools.example/jira/x\n",
		  "Location: https://tools.example/jira/x\n" },
		{ "jira", "Location: http://TOOLS.example/jira/x?y\n",
		  "Location: https://tools.example/jira/x?y\n" },
		{ "jira", "Location: http://tools.example:443/jira/x\n",
		  "Location: https://tools.example/jira/x\n" },
		{ "port", "Location: http://p.example:8443/x\n",
		  "Location: https://p.example:8443/x\n" },
		{ "port", "Location: http://p.example/x\n",
		  "Location: https://p.example:8443/x\n" },
		{ "port", "Location: http://p.example:80/x\n",
		  "Location: https://p.example:8443/x\n" },
		{ "port", "Location: http://p.example\n", "Location: https://p.example:8443/\n" },
		{ "v6", "Location: http://[::1]:8443/x\n", "Location: https://[::1]:8443/x\n" },
		{ "v6", "Location: http://[::1]/x?a=]:1\n",
		  "Location: https://[::1]:8443/x?a=]:1\n" },
		{ "v6", "Location: http://[::2]:8443/x\n", NULL },
		{ "v6", "Location: https://[::1]:8443/x\n", NULL },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

static void
relative_location_moves_between_prefixes(void **state)
{
	static const struct response_case t[] = {
		{ "root", "Location: /confluence/x\n", "Location: /x\n" },
		{ "root", "Location: /confluence\n", "Location: /\n" },
		{ "root", "Location: /confluence/\n", "Location: /\n" },
		{ "root", "Location: /other\n", NULL },
		{ "root", "Location: /confluencex\n", NULL },
		{ "wiki", "Location: /confluence/x?y=1\n", "Location: /wiki/x?y=1\n" },
		{ "wiki", "Location: /confluence\n", "Location: /wiki/\n" },
		{ "wiki", "Location: /confluence?y\n", "Location: /wiki?y\n" },
		{ "jira", "Location: /x\n", "Location: /jira/x\n" },
		{ "jira", "Location: /\n", "Location: /jira/\n" },
		{ "jira", "Location: /secure?a=b\n", "Location: /jira/secure?a=b\n" },
		{ "api", "Location: /rest/v2\n", "Location: /jira/api/v2\n" },
		{ "same", "Location: /app/x\n", NULL },
		{ "same", "Location: /other\n", NULL },
		{ "tools", "Location: /x\n", NULL },
		{ "jira", "Content-Location: /x\n", "Content-Location: /jira/x\n" },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

static void
refresh_url_is_translated(void **state)
{
	static const struct response_case t[] = {
		{ "jira", "Refresh: 0; url=http://127.0.0.1:8080/x\n",
		  "Refresh: 0; url=https://tools.example/jira/x\n" },
		{ "jira", "Refresh: 5; URL=/x\n", "Refresh: 5; URL=/jira/x\n" },
		{ "root", "Refresh: 1;url=/confluence/a\n", "Refresh: 1;url=/a\n" },
		{ "jira", "Refresh: 5\n", NULL },
		{ "jira", "Refresh: 0; url=https://www.example.org/\n", NULL },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

static void
cookie_domain_of_the_backend_is_dropped(void **state)
{
	static const struct response_case t[] = {
		{ "jira", "Set-Cookie: a=b; Domain=127.0.0.1; Path=/x/; HttpOnly\n",
		  "Set-Cookie: a=b; Path=/jira/x/; HttpOnly\n" },
		{ "jira", "Set-Cookie: a=b; Domain=.127.0.0.1\n", "Set-Cookie: a=b\n" },
		{ "same", "Set-Cookie: a=b; domain=LOCALHOST; Secure\n",
		  "Set-Cookie: a=b; Secure\n" },
		{ "same", "Set-Cookie: a=b;DOMAIN=.LocalHost;Secure\n",
		  "Set-Cookie: a=b; Secure\n" },
		{ "same", "Set-Cookie: a=b; Domain=example.org; Secure\n", NULL },
		{ "jira", "Set-Cookie: a=b; Domain=tools.example\n", NULL },
		{ "jira", "Set-Cookie: a=b; Domain=127.0.0.10\n", NULL },
		{ "jira", "Set-Cookie: a=b; Domain=x127.0.0.1\n", NULL },
		{ "jira", "Set-Cookie: Domain=127.0.0.1; Secure\n", NULL },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

static void
cookie_path_moves_between_prefixes(void **state)
{
	static const struct response_case t[] = {
		{ "root", "Set-Cookie: JSESSIONID=a1; Path=/confluence; HttpOnly\n",
		  "Set-Cookie: JSESSIONID=a1; Path=/; HttpOnly\n" },
		{ "root", "Set-Cookie: a=b; path=/confluence/x; Secure\n",
		  "Set-Cookie: a=b; Path=/x; Secure\n" },
		{ "root", "Set-Cookie: a=b; Path=/confluencex\n", NULL },
		{ "root", "Set-Cookie: Path=/confluence; Max-Age=60\n", NULL },
		{ "jira", "Set-Cookie: a=b; Path=/; Secure\n",
		  "Set-Cookie: a=b; Path=/jira/; Secure\n" },
		{ "jira", "Set-Cookie: a=b; Path=/x\n", "Set-Cookie: a=b; Path=/jira/x\n" },
		{ "wiki", "Set-Cookie: a=b; Path=/confluence\n", "Set-Cookie: a=b; Path=/wiki/\n" },
		{ "wiki", "Set-Cookie: a=b; Path=/other\n", NULL },
		{ "same", "Set-Cookie: a=b; Path=/app\n", NULL },
		{ "jira", "Set-Cookie: a=1; Path=/\nSet-Cookie: b=2; Path=/x\n",
		  "Set-Cookie: a=1; Path=/jira/\nSet-Cookie: b=2; Path=/jira/x\n" },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

static void
cookie_attributes_keep_their_order(void **state)
{
	static const struct response_case t[] = {
		{ "jira",
		  "Set-Cookie: a=b; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/; Secure; "
		  "HttpOnly; SameSite=Lax\n",
		  "Set-Cookie: a=b; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Path=/jira/; Secure; "
		  "HttpOnly; SameSite=Lax\n" },
		{ "jira", "Set-Cookie: a=b; SameSite=None; Domain=127.0.0.1; Max-Age=0; Path=/\n",
		  "Set-Cookie: a=b; SameSite=None; Max-Age=0; Path=/jira/\n" },
		{ "jira", "Set-Cookie: a=b; Expires=Wed, 21 Oct 2015 07:28:00 GMT; HttpOnly\n",
		  NULL },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

static void
response_without_app_only_loses_hop_by_hop_fields(void **state)
{
	static const struct response_case t[] = {
		{ NULL,
		  "Connection: close\nLocation: http://127.0.0.1:8080/x\n"
		  "Set-Cookie: a=b; Domain=127.0.0.1; Path=/\nRefresh: 0; url=/x\n"
		  "Content-Location: /x\nKeep-Alive: 5\n",
		  "Location: http://127.0.0.1:8080/x\nSet-Cookie: a=b; Domain=127.0.0.1; Path=/\n"
		  "Refresh: 0; url=/x\nContent-Location: /x\n" },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

/* ---- bugs ---- */

/*
 * BUG (rewrite.c, drop_hop_by_hop): the loop compacts m->h in place while
 * sg_http_has_token() still reads "Connection" from that same array, so
 * once a kept field has been copied over the Connection field, the fields
 * Connection names further down survive.  RFC 9110 7.6.1: a proxy MUST
 * remove every field the Connection field names, wherever they sit.
 */
static void
fields_named_by_connection_go_wherever_they_sit(void **state)
{
	static const struct fields_case req[] = {
		{ "Host: tools.example\nConnection: close, X-Secret\nX-A: 1\nX-Secret: 2\n",
		  "X-A: 1\n" },
		{ "Connection: X-Secret\nX-A: 1\nX-Secret: 2\n", "X-A: 1\n" },
	};
	static const struct response_case res[] = {
		{ "jira", "Connection: X-Internal\nX-A: 1\nX-Internal: 2\n", "X-A: 1\n" },
	};

	(void)state;
	assert_int_equal(
	    requests_misjudged(req, SG_NELEM(req)) + responses_misjudged(res, SG_NELEM(res)), 0);
}

/*
 * BUG (rewrite.c, extend_or_set): from a trusted proxy that sent its chain
 * in two X-Forwarded-For (or Forwarded) field lines, the gateway keeps only
 * its own entry, so the backend loses the real client.  RFC 9110 5.3 says
 * several field lines are one comma-joined list, and RFC 7239 4 lets a
 * proxy add its element as a new Forwarded field line: the chain must be
 * extended in order, "a, b, ours".
 */
static void
trusted_chain_in_several_field_lines_is_extended(void **state)
{
	static const struct forwarded want = {
		"203.0.113.7, 198.51.100.2, 192.0.2.1",
		"https",
		"tools.example",
		"443",
		"for=203.0.113.7, for=198.51.100.2, "
		"for=192.0.2.1;host=\"tools.example\";proto=https",
	};
	static const char sent[] = "X-Forwarded-For: 203.0.113.7\n"
	                           "X-Forwarded-For: 198.51.100.2\n"
	                           "Forwarded: for=203.0.113.7\n"
	                           "Forwarded: for=198.51.100.2\n";

	(void)state;
	assert_true(forwarding_after("jira", &trusted4, sent, &want));
}

/*
 * BUG (rewrite.c, translate_url): with an external prefix of "/" and a
 * backend context path, a relative Location of exactly the context path
 * followed by a query or fragment loses its leading "/": "/confluence?x=1"
 * becomes "?x=1", a reference relative to the current page (RFC 3986 4.2,
 * 5.2.2), instead of "/?x=1".
 */
static void
context_root_with_a_query_keeps_its_slash(void **state)
{
	static const struct response_case t[] = {
		{ "root", "Location: /confluence?x=1\n", "Location: /?x=1\n" },
		{ "root", "Location: /confluence#top\n", "Location: /#top\n" },
		{ "root", "Refresh: 0; url=/confluence?x\n", "Refresh: 0; url=/?x\n" },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

/*
 * BUG (rewrite.c, translate_url): an absolute URL at the backend with an
 * empty path is mapped to the external prefix with its query dropped and
 * without checking the context path.  RFC 3986 6.2.3: an empty http path
 * is "/", so "http://127.0.0.1:8080?x=1" is "http://127.0.0.1:8080/?x=1"
 * (-> https://tools.example/jira/?x=1), and "http://127.0.0.1:8090" lies
 * outside /confluence, which the code itself leaves alone when spelled
 * "http://127.0.0.1:8090/".
 */
static void
backend_url_without_a_path_is_its_root(void **state)
{
	static const struct response_case t[] = {
		{ "jira", "Location: http://127.0.0.1:8080?x=1\n",
		  "Location: https://tools.example/jira/?x=1\n" },
		{ "jira", "Location: http://127.0.0.1:8080\n",
		  "Location: https://tools.example/jira/\n" },
		{ "wiki", "Location: http://127.0.0.1:8090\n", NULL },
		{ "wiki", "Location: http://127.0.0.1:8090?x\n", NULL },
	};

	(void)state;
	assert_int_equal(responses_misjudged(t, SG_NELEM(t)), 0);
}

/*
 * BUG (route.c, split_authority): a bracketed Host is taken for a host name
 * without checking it is an IP literal, so "[a.example]" routes to
 * a.example.  RFC 3986 3.2.2: IP-literal is "[" IPv6address / IPvFuture
 * "]"; RFC 9112 3.2: a Host field with an invalid value is answered 400.
 */
static void
bracketed_host_must_be_an_ip_literal(void **state)
{
	static const struct route_bad t[] = {
		{ NULL, "/x", "[a.example]", 400 },
		{ NULL, "/jira/x", "[tools.example]:443", 400 },
		{ NULL, "https://[a.example]/x", "a.example", 400 },
	};

	(void)state;
	assert_int_equal(refusals_misjudged(t, SG_NELEM(t)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(host_matches_case_insensitively_and_443_is_the_default),
		cmocka_unit_test(port_must_match),
		cmocka_unit_test(longest_prefix_wins_on_whole_segments),
		cmocka_unit_test(external_prefix_is_swapped_for_the_backend_path),
		cmocka_unit_test(target_bytes_are_kept_as_sent),
		cmocka_unit_test(reserved_prefix_under_the_app_is_the_gateways),
		cmocka_unit_test(unknown_authority_is_421),
		cmocka_unit_test(absolute_form_routes_by_its_own_authority),
		cmocka_unit_test(absolute_form_for_another_host_is_400),
		cmocka_unit_test(absolute_form_without_a_path_is_400),
		cmocka_unit_test(other_target_forms_are_400),
		cmocka_unit_test(malformed_host_is_400),
		cmocka_unit_test(ipv6_literal_host_routes),
		cmocka_unit_test(request_hop_by_hop_fields_are_dropped),
		cmocka_unit_test(request_fields_named_by_connection_are_dropped),
		cmocka_unit_test(request_fields_keep_their_order),
		cmocka_unit_test(body_is_reframed_for_the_backend),
		cmocka_unit_test(expect_is_removed),
		cmocka_unit_test(host_follows_host_header_mode),
		cmocka_unit_test(forwarding_fields_are_set),
		cmocka_unit_test(ipv6_client_is_quoted_and_bracketed_in_forwarded),
		cmocka_unit_test(untrusted_clients_forwarding_fields_are_replaced),
		cmocka_unit_test(trusted_proxy_chain_is_extended_and_the_rest_kept),
		cmocka_unit_test(trusted_proxy_without_forwarding_fields_gets_ours),
		cmocka_unit_test(target_and_version_are_set_for_the_backend),
		cmocka_unit_test(websocket_upgrade_is_passed_on),
		cmocka_unit_test(other_upgrades_are_dropped),
		cmocka_unit_test(strip_fields_treats_underscore_as_dash),
		cmocka_unit_test(via_names_the_gateway_last),
		cmocka_unit_test(request_id_of_a_trusted_proxy_is_kept),
		cmocka_unit_test(request_id_is_new_unless_sane_and_trusted),
		cmocka_unit_test(request_ids_differ),
		cmocka_unit_test(response_hop_by_hop_fields_are_dropped_and_length_kept),
		cmocka_unit_test(location_at_the_backend_becomes_external),
		cmocka_unit_test(location_elsewhere_is_left_alone),
		cmocka_unit_test(location_at_the_external_host_over_http_becomes_https),
		cmocka_unit_test(relative_location_moves_between_prefixes),
		cmocka_unit_test(refresh_url_is_translated),
		cmocka_unit_test(cookie_domain_of_the_backend_is_dropped),
		cmocka_unit_test(cookie_path_moves_between_prefixes),
		cmocka_unit_test(cookie_attributes_keep_their_order),
		cmocka_unit_test(response_without_app_only_loses_hop_by_hop_fields),
		cmocka_unit_test(fields_named_by_connection_go_wherever_they_sit),
		cmocka_unit_test(trusted_chain_in_several_field_lines_is_extended),
		cmocka_unit_test(context_root_with_a_query_keeps_its_slash),
		cmocka_unit_test(backend_url_without_a_path_is_its_root),
		cmocka_unit_test(bracketed_host_must_be_an_ip_literal),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
