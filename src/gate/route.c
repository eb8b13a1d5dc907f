/*
 * route.c - which application a request is for.  The authority comes from
 * the Host field, or from an absolute-form target, which RFC 9112 3.2.2
 * says wins over Host; an absolute-form target naming a host we do not
 * serve is refused rather than proxied, since we are not a forward proxy.
 * Among the apps at that authority, the longest external path prefix wins
 * (/jira beside /), matched on whole segments so /jirax is not /jira.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate.h"

/* Splits "host[:port]" (or "[v6]:port") into a lower-case host and port;
 * no port means dflt (RFC 9110 4.2: 443 for https, 80 for http). */
static int
split_authority(const char *auth, size_t n, unsigned dflt, struct sg_arena *a, char **host,
                unsigned *port)
{
	const char *colon = NULL, *end = auth + n;
	struct in6_addr v6;

	if (n == 0)
		return -1;
	if (auth[0] == '[') {
		const char *close = memchr(auth, ']', n);

		if (close == NULL)
			return -1;
		*host = sg_arena_strndup(a, auth + 1, (size_t)(close - auth - 1));
		if (inet_pton(AF_INET6, *host, &v6) != 1)
			return -1; /* brackets hold an IPv6 literal and nothing else */
		colon = close + 1 < end ? close + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return -1;
	} else {
		colon = memchr(auth, ':', n);
		*host = sg_arena_strndup(a, auth, colon ? (size_t)(colon - auth) : n);
	}
	for (char *h = *host; *h; h++) {
		if (!isalnum((unsigned char)*h) && !strchr("-._~:", *h))
			return -1;
		*h = (char)tolower((unsigned char)*h);
	}
	*port = dflt;
	if (colon != NULL) {
		unsigned long v = 0;
		const char *p = colon + 1;

		if (p == end)
			return 0; /* "host:" means the default port (RFC 3986 3.2.3) */
		for (; p < end; p++) {
			if (!isdigit((unsigned char)*p) ||
			    (v = v * 10 + (unsigned)(*p - '0')) > 65535)
				return -1;
		}
		*port = (unsigned)v;
	}
	return **host ? 0 : -1;
}

/* Length of the app's external path prefix without its trailing '/'. */
static size_t
prefix_len(const char *path)
{
	size_t n = strlen(path);

	return n > 0 && path[n - 1] == '/' ? n - 1 : n;
}

/* True when path starts with the n-byte prefix on a segment boundary. */
static bool
path_has_prefix(const char *path, const char *prefix, size_t n)
{
	return strncmp(path, prefix, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/' || path[n] == '?');
}

/* The backend target: the app's external prefix swapped for the backend's
 * path, every other byte kept as the client sent it. */
static const char *
backend_target(const struct sg_conf_app *app, const char *path, struct sg_arena *a)
{
	size_t ext = prefix_len(app->url.url.path);
	size_t be = prefix_len(app->backend.url.path);
	const char *rest = path + ext;

	if (ext == be && strncmp(app->url.url.path, app->backend.url.path, ext) == 0)
		return path;
	/* Only the leading prefix bytes change, so they must be there as such
	 * (not "/%6Aira" or "/x/../jira"). */
	if (!path_has_prefix(path, app->url.url.path, ext))
		return NULL;
	return sg_arena_printf(a, "%.*s%s%s", (int)be, app->backend.url.path,
	                       (*rest == '\0' || *rest == '?') ? "/" : "", rest);
}

/* Finds the origin-form path of the target and the authority to route on. */
static int
request_authority(const struct sg_http_msg *m, const char **auth, size_t *auth_len,
                  const char **path, struct sg_err *err)
{
	const char *t = m->target;

	if (t[0] == '/') {
		*path = t;
		*auth = sg_http_get(m, "Host");
		*auth_len = *auth ? strlen(*auth) : 0;
		if (*auth == NULL)
			return sg_err_set(err, 400, "request without Host");
		return 0;
	}
	if (strncasecmp(t, "https://", 8) == 0 || strncasecmp(t, "http://", 7) == 0) {
		const char *a = strchr(t, ':') + 3;

		*auth_len = strcspn(a, "/?");
		*auth = a;
		*path = a[*auth_len] == '/' ? a + *auth_len : NULL;
		if (*path == NULL)
			return sg_err_set(err, 400, "absolute-form target without a path");
		return 0;
	}
	if (strcmp(t, "*") == 0 && strcmp(m->method, "OPTIONS") == 0)
		return sg_err_set(err, 400, "OPTIONS * is not forwarded");
	return sg_err_set(err, 400, "request target is not origin-form or absolute-form");
}

int
sg_gate_route(const struct sg_conf *c, const struct sg_http_msg *m, bool tls, struct sg_arena *a,
              struct sg_route *r, struct sg_err *err)
{
	const char *auth = NULL, *path = NULL, *canon = NULL;
	size_t auth_len = 0, best_len = 0;
	const struct sg_conf_app *best = NULL;
	char *host;
	unsigned port;

	memset(r, 0, sizeof(*r));
	if (request_authority(m, &auth, &auth_len, &path, err) == -1)
		return -1;
	if (m->target[0] != '/')
		tls = strncasecmp(m->target, "https:", 6) == 0; /* the target's own scheme */
	if (split_authority(auth, auth_len, tls ? 443 : 80, a, &host, &port) == -1)
		return sg_err_set(err, 400, "malformed Host");
	if (sg_gate_canonical_path(path, a, &canon, err) == -1)
		return -1;
	for (size_t i = 0; i < c->app_count; i++) {
		const struct sg_conf_app *app = c->apps[i];
		size_t n = prefix_len(app->url.url.path);

		/* Over plain HTTP (only ever redirected to https) the port is the
		 * listener's, not the app's: the host decides. */
		if (strcmp(app->url.url.host, host) != 0 || (tls && app->url.url.port != port))
			continue;
		if (path_has_prefix(canon, app->url.url.path, n) &&
		    (best == NULL || n > best_len)) {
			best = app;
			best_len = n;
		}
	}
	if (best == NULL)
		return sg_err_set(err, m->target[0] == '/' ? 421 : 400,
		                  "no application is served at %.80s", host);
	r->app = best;
	r->path = path;
	r->canon = canon;
	r->app_path = canon + best_len;
	if (*r->app_path == '\0')
		r->app_path = "/";
	r->kind = strncmp(canon + best_len, c->server.prefix, strlen(c->server.prefix)) == 0
	              ? SG_ROUTE_GATEWAY
	              : SG_ROUTE_APP;
	r->backend_target = backend_target(best, path, a);
	if (r->backend_target == NULL)
		return sg_err_set(err, 400, "the application's path prefix is not written plainly");
	return 0;
}
