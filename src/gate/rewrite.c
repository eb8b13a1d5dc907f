/*
 * rewrite.c - the request head as the backend sees it, and the response
 * head as the client sees it.
 *
 * Tomcat builds absolute URLs from Host (or its connector's proxyName and
 * proxyPort) and the scheme; a gateway that forwards the wrong ones is the
 * classic "base URL mismatch".  So Host is set per the app's host_header
 * (the external host by default), and the X-Forwarded-* and RFC 7239
 * Forwarded fields carry the client address, scheme, host and port.  A
 * client's own forwarding fields are believed only from trusted proxies;
 * from anyone else they are replaced, never appended to.
 *
 * Hop-by-hop fields (RFC 9110 7.6.1) are dropped both ways, with every field
 * that Connection names, and the body is always re-framed by the gateway,
 * so the backend never sees a Transfer-Encoding it must second-guess.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gate_int.h"

/* Fields that belong to one connection, not to the message. */
static const char *const hop_by_hop[] = {
	"Connection", "Keep-Alive",       "TE", "Trailer", "Transfer-Encoding",
	"Upgrade",    "Proxy-Connection",
};

/* Removes the fields Connection names, then the hop-by-hop set and every
 * Proxy-* field (Proxy-Authorization is for us, not the backend). */
static void
drop_hop_by_hop(struct sg_http_msg *m)
{
	/* Decide on the original list: compacting it in place would overwrite
	 * the Connection field before the fields it names are looked at. */
	struct sg_http_msg orig = *m;
	size_t kept = 0;

	orig.h = sg_xmalloc((m->nh ? m->nh : 1) * sizeof(*orig.h));
	if (m->nh > 0)
		memcpy(orig.h, m->h, m->nh * sizeof(*orig.h));
	for (size_t i = 0; i < orig.nh; i++) {
		const char *name = orig.h[i].name;
		bool drop = strncasecmp(name, "Proxy-", 6) == 0 ||
		            sg_http_has_token(&orig, "Connection", name);

		for (size_t j = 0; j < SG_NELEM(hop_by_hop) && !drop; j++)
			drop = strcasecmp(name, hop_by_hop[j]) == 0;
		if (!drop)
			m->h[kept++] = orig.h[i];
	}
	m->nh = kept;
	free(orig.h);
}

/* "host" or "host:port" (brackets for IPv6), the port only if not default. */
static const char *
authority(const struct sg_url *u, struct sg_arena *a)
{
	bool dflt = u->port == (u->https ? 443 : 80);
	const char *l = u->host_is_v6 ? "[" : "", *r = u->host_is_v6 ? "]" : "";

	if (dflt)
		return sg_arena_printf(a, "%s%s%s", l, u->host, r);
	return sg_arena_printf(a, "%s%s%s:%u", l, u->host, r, u->port);
}

static void
set_host(struct sg_http_msg *m, struct sg_arena *a, const struct sg_conf_app *app)
{
	const char *mode = app->host_header;

	if (mode == NULL || strcmp(mode, "external") == 0)
		sg_http_set(m, a, "Host", authority(&app->url.url, a));
	else if (strcmp(mode, "backend") == 0)
		sg_http_set(m, a, "Host", authority(&app->backend.url, a));
	else
		sg_http_set(m, a, "Host", mode);
}

/* Sets field to value, or, when the client is a trusted proxy that sent
 * the field, to its list (every line of it, RFC 9110 5.3) plus ", value"
 * (RFC 7239 4 for Forwarded; X-Forwarded-For alike). */
static void
extend_or_set(struct sg_http_msg *m, struct sg_arena *a, const char *field, const char *value,
              bool trusted)
{
	struct sg_buf joined = { 0 };

	for (size_t i = 0; trusted && i < m->nh; i++)
		if (strcasecmp(m->h[i].name, field) == 0)
			sg_buf_printf(&joined, "%s, ", m->h[i].value);
	sg_buf_puts(&joined, value);
	sg_http_set(m, a, field, joined.data);
	sg_buf_free(&joined);
}

/* Sets field unless a trusted proxy already did. */
static void
keep_or_set(struct sg_http_msg *m, struct sg_arena *a, const char *field, const char *value,
            bool trusted)
{
	if (!trusted || sg_http_get(m, field) == NULL)
		sg_http_set(m, a, field, value);
}

static void
set_forwarding(struct sg_http_msg *m, struct sg_arena *a, const struct sg_conf_app *app,
               const struct sg_client_info *client)
{
	const struct sg_url *ext = &app->url.url;
	const char *host = authority(ext, a);
	const char *port = sg_arena_printf(a, "%u", ext->port);
	const char *node =
	    client->addr_is_v6 ? sg_arena_printf(a, "\"[%s]\"", client->addr) : client->addr;

	extend_or_set(m, a, "X-Forwarded-For", client->addr, client->trusted);
	keep_or_set(m, a, "X-Forwarded-Proto", "https", client->trusted);
	keep_or_set(m, a, "X-Forwarded-Host", host, client->trusted);
	keep_or_set(m, a, "X-Forwarded-Port", port, client->trusted);
	extend_or_set(m, a, "Forwarded",
	              sg_arena_printf(a, "for=%s;host=\"%s\";proto=https", node, host),
	              client->trusted);
}

/* Frames the body for the backend: a length stays a length, anything else
 * the gateway re-encodes as chunked. */
static void
set_framing(struct sg_http_msg *m, struct sg_arena *a)
{
	sg_http_remove(m, "Content-Length");
	sg_http_remove(m, "Expect"); /* the gateway answers 100-continue itself */
	if (m->framing == SG_BODY_LENGTH)
		sg_http_add(m, a, "Content-Length",
		            sg_arena_printf(a, "%llu", (unsigned long long)m->content_length));
	else if (m->framing == SG_BODY_CHUNKED)
		sg_http_add(m, a, "Transfer-Encoding", "chunked");
}

/* RFC 6455 4.1: a WebSocket handshake is a GET asking to upgrade to
 * "websocket"; no other protocol switch (h2c, TLS) is passed on. */
static bool
is_websocket_upgrade(const struct sg_http_msg *m)
{
	return m->upgrade && strcmp(m->method, "GET") == 0 && m->framing == SG_BODY_NONE &&
	       sg_http_has_token(m, "Upgrade", "websocket");
}

void
sg_gate_rewrite_request(struct sg_http_msg *m, struct sg_arena *a, const struct sg_route *r,
                        const struct sg_client_info *client)
{
	bool websocket = is_websocket_upgrade(m);

	drop_hop_by_hop(m);
	if (websocket) {
		/* The one hop-by-hop exchange we pass on: the upgrade itself. */
		sg_http_add(m, a, "Connection", "Upgrade");
		sg_http_add(m, a, "Upgrade", "websocket");
	}
	set_framing(m, a);
	set_host(m, a, r->app);
	set_forwarding(m, a, r->app, client);
	m->target = r->backend_target;
	m->major = 1;
	m->minor = 1;
}

bool
gate_field_match(const char *name, const char *pattern, bool prefix)
{
	for (; *name && *pattern; name++, pattern++) {
		char x = *name == '_' ? '-' : (char)tolower((unsigned char)*name);
		char y = *pattern == '_' ? '-' : (char)tolower((unsigned char)*pattern);

		if (x != y)
			return false;
	}
	return *pattern == '\0' && (prefix || *name == '\0');
}

void
sg_gate_strip_fields(struct sg_http_msg *m, const struct sg_conf_list *names)
{
	size_t kept = 0;

	for (size_t i = 0; i < m->nh; i++) {
		bool drop = false;

		for (size_t j = 0; j < names->count && !drop; j++)
			drop = gate_field_match(m->h[i].name, names->v[j], false);
		if (!drop)
			m->h[kept++] = m->h[i];
	}
	m->nh = kept;
}

void
sg_gate_add_via(struct sg_http_msg *m, struct sg_arena *a)
{
	const char *old = sg_http_get(m, "Via");

	if (old != NULL && sg_http_count(m, "Via") == 1)
		sg_http_set(m, a, "Via", sg_arena_printf(a, "%s, 1.1 ssogw", old));
	else
		sg_http_add(m, a, "Via", "1.1 ssogw");
}

/* A request id we pass on: 1 to 128 token characters. */
static bool
sane_request_id(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= 128 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:+=/") ==
	           n;
}

const char *
sg_gate_request_id(struct sg_http_msg *m, bool trusted, struct sg_arena *a)
{
	const char *id = sg_http_get(m, "X-Request-Id");

	if (!trusted || sg_http_count(m, "X-Request-Id") != 1 || !sane_request_id(id)) {
		id = sg_arena_printf(a, "%016llx%08llx", (unsigned long long)sg_random_u64(),
		                     (unsigned long long)(sg_random_u64() & 0xffffffffULL));
		sg_http_set(m, a, "X-Request-Id", id);
	}
	return id;
}

/* ---- responses: the backend's URLs translated to the external ones ---- */

/* The parts of a URL reference that translation looks at. */
struct urlref {
	bool absolute; /* scheme://authority... */
	bool https;
	const char *host; /* absolute only: start and length */
	size_t host_len;
	unsigned port;    /* absolute only: explicit or scheme default */
	const char *path; /* from the first '/' after the authority, or the reference */
};

/* Splits an absolute http(s) URL or an absolute-path reference. */
static bool
urlref_parse(const char *s, struct urlref *u)
{
	const char *auth, *end, *colon;

	memset(u, 0, sizeof(*u));
	if (s[0] == '/' && s[1] != '/') {
		u->path = s;
		return true;
	}
	if (strncasecmp(s, "https://", 8) == 0)
		u->https = true;
	else if (strncasecmp(s, "http://", 7) != 0)
		return false;
	u->absolute = true;
	auth = s + (u->https ? 8 : 7);
	end = auth + strcspn(auth, "/?#");
	colon = auth[0] == '[' ? strstr(auth, "]:") : memchr(auth, ':', (size_t)(end - auth));
	if (colon != NULL && colon >= end)
		colon = NULL;
	if (colon != NULL && auth[0] == '[')
		colon++;
	u->host = auth[0] == '[' ? auth + 1 : auth;
	u->host_len = (size_t)((colon ? colon : end) - u->host) - (auth[0] == '[' ? 1 : 0);
	u->port = colon ? (unsigned)strtoul(colon + 1, NULL, 10) : (u->https ? 443 : 80);
	u->path = *end == '/' ? end : NULL;
	return true;
}

static bool
host_is(const struct urlref *u, const char *host)
{
	return strlen(host) == u->host_len && strncasecmp(u->host, host, u->host_len) == 0;
}

/* True when path lies under the n-byte prefix pre (on a segment edge). */
static bool
under(const char *path, const char *pre, size_t n)
{
	return path != NULL && strncmp(path, pre, n) == 0 &&
	       (path[n] == '\0' || path[n] == '/' || path[n] == '?' || path[n] == '#');
}

static size_t
trimmed_len(const char *path)
{
	size_t n = strlen(path);

	return n > 0 && path[n - 1] == '/' ? n - 1 : n;
}

/* The "/" a translated reference needs: a bare context root becomes the
 * external root with its slash ("/ctx" -> "/jira/"), and under the root
 * prefix a query or fragment keeps a path ("/ctx?x" -> "/?x", not "?x"). */
static const char *
slash_before(const char *rest, size_t ext_n)
{
	if (*rest == '\0')
		return "/";
	return ext_n == 0 && (*rest == '?' || *rest == '#') ? "/" : "";
}

/*
 * Translates one URL reference from the backend's view to the users'.
 * An absolute URL at the backend's address, or at the external host over
 * plain http (Tomcat that does not know it is behind TLS), becomes the
 * external https URL; a path under the backend's context path moves under
 * the external prefix.  Anything else (another site) is left alone.
 * Returns NULL when nothing changes.
 */
static const char *
translate_url(const char *v, const struct sg_conf_app *app, struct sg_arena *a)
{
	const struct sg_url *ext = &app->url.url, *be = &app->backend.url;
	size_t ext_n = trimmed_len(ext->path), be_n = trimmed_len(be->path);
	const char *rest;
	struct urlref u;

	if (!urlref_parse(v, &u))
		return NULL;
	if (u.absolute) {
		bool at_backend =
		    host_is(&u, be->host) && u.port == be->port && u.https == be->https;
		bool plain_external =
		    host_is(&u, ext->host) && !u.https && (u.port == 80 || u.port == ext->port);

		if (!at_backend && !plain_external)
			return NULL;
		if (u.path == NULL) /* "http://backend:8080" or "...?x": the path is "/" */
			u.path = sg_arena_printf(
			    a, "/%s", u.host + u.host_len + strcspn(u.host + u.host_len, "?#"));
		if (at_backend && under(u.path, be->path, be_n))
			rest = u.path + be_n;
		else if (plain_external)
			return sg_arena_printf(a, "https://%s%s", authority(ext, a), u.path);
		else
			return NULL;
		return sg_arena_printf(a, "https://%s%.*s%s%s", authority(ext, a), (int)ext_n,
		                       ext->path, slash_before(rest, ext_n), rest);
	}
	if (ext_n == be_n && strncmp(ext->path, be->path, be_n) == 0)
		return NULL; /* same prefix outside and inside */
	if (!under(u.path, be->path, be_n))
		return NULL;
	rest = u.path + be_n;
	return sg_arena_printf(a, "%.*s%s%s", (int)ext_n, ext->path, slash_before(rest, ext_n),
	                       rest);
}

/* Refresh: "5; url=http://..." (the URL part is translated). */
static const char *
translate_refresh(const char *v, const struct sg_conf_app *app, struct sg_arena *a)
{
	const char *p = strcasestr(v, "url=");
	const char *t;

	if (p == NULL)
		return NULL;
	p += 4;
	t = translate_url(p, app, a);
	return t ? sg_arena_printf(a, "%.*s%s", (int)(p - v), v, t) : NULL;
}

/* Set-Cookie (RFC 6265 4.1): a Domain naming the backend host goes (the
 * cookie then belongs to the external host); a Path under the backend's
 * context path moves under the external prefix. */
static const char *
translate_cookie(const char *v, const struct sg_conf_app *app, struct sg_arena *a)
{
	const struct sg_url *ext = &app->url.url, *be = &app->backend.url;
	size_t ext_n = trimmed_len(ext->path), be_n = trimmed_len(be->path);
	struct sg_buf out = { 0 };
	const char *s = v, *result;
	bool changed = false;

	while (*s != '\0') {
		size_t n = strcspn(s, ";");
		const char *attr = s + strspn(s, " \t");
		size_t alen = n - (size_t)(attr - s);

		if (s != v && alen > 7 && strncasecmp(attr, "Domain=", 7) == 0 &&
		    alen - 7 == strlen(be->host) + (attr[7] == '.') &&
		    strncasecmp(attr + 7 + (attr[7] == '.'), be->host, strlen(be->host)) == 0) {
			changed = true; /* dropped */
		} else if (s != v && alen >= 5 && strncasecmp(attr, "Path=", 5) == 0 &&
		           !(ext_n == be_n && strncmp(ext->path, be->path, be_n) == 0) &&
		           strncmp(attr + 5, be->path, be_n) == 0 &&
		           (alen == 5 + be_n || attr[5 + be_n] == '/')) {
			sg_buf_printf(&out, "; Path=%.*s%.*s", (int)ext_n, ext->path,
			              (int)(alen - 5 - be_n), attr + 5 + be_n);
			if (alen == 5 + be_n)
				sg_buf_puts(&out, "/");
			changed = true;
		} else {
			sg_buf_printf(&out, "%s%.*s", s == v ? "" : "; ", (int)alen, attr);
		}
		s += n;
		if (*s == ';')
			s++;
	}
	result = changed ? sg_arena_strdup(a, out.data ? out.data : "") : NULL;
	sg_buf_free(&out);
	return result;
}

void
sg_gate_rewrite_response(struct sg_http_msg *m, struct sg_arena *a, const struct sg_conf_app *app)
{
	drop_hop_by_hop(m); /* Content-Length stays: net/ frames by m->framing */
	if (app == NULL)
		return;
	for (size_t i = 0; i < m->nh; i++) {
		const char *name = m->h[i].name, *t = NULL;

		if (strcasecmp(name, "Location") == 0 || strcasecmp(name, "Content-Location") == 0)
			t = translate_url(m->h[i].value, app, a);
		else if (strcasecmp(name, "Refresh") == 0)
			t = translate_refresh(m->h[i].value, app, a);
		else if (strcasecmp(name, "Set-Cookie") == 0)
			t = translate_cookie(m->h[i].value, app, a);
		if (t != NULL)
			m->h[i].value = t;
	}
}
