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

#include <string.h>
#include <strings.h>

#include "gate.h"

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
	size_t kept = 0;

	for (size_t i = 0; i < m->nh; i++) {
		const char *name = m->h[i].name;
		bool drop =
		    strncasecmp(name, "Proxy-", 6) == 0 || sg_http_has_token(m, "Connection", name);

		for (size_t j = 0; j < SG_NELEM(hop_by_hop) && !drop; j++)
			drop = strcasecmp(name, hop_by_hop[j]) == 0;
		if (!drop)
			m->h[kept++] = m->h[i];
	}
	m->nh = kept;
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

/* Sets field to value, or appends ", value" when the client is trusted and
 * already sent one (RFC 7239 7.4 for Forwarded; X-Forwarded-For alike). */
static void
extend_or_set(struct sg_http_msg *m, struct sg_arena *a, const char *field, const char *value,
              bool trusted)
{
	const char *old = trusted ? sg_http_get(m, field) : NULL;
	const char *joined = NULL;

	if (old != NULL && sg_http_count(m, field) == 1)
		joined = sg_arena_printf(a, "%s, %s", old, value);
	else if (old != NULL)
		joined = value; /* several fields from a proxy: too ambiguous to extend */
	sg_http_set(m, a, field, joined ? joined : value);
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

void
sg_gate_rewrite_request(struct sg_http_msg *m, struct sg_arena *a, const struct sg_route *r,
                        const struct sg_client_info *client)
{
	drop_hop_by_hop(m);
	set_framing(m, a);
	set_host(m, a, r->app);
	set_forwarding(m, a, r->app, client);
	m->target = r->backend_target;
	m->major = 1;
	m->minor = 1;
}

void
sg_gate_rewrite_response(struct sg_http_msg *m)
{
	drop_hop_by_hop(m); /* Content-Length stays: net/ frames by m->framing */
}
