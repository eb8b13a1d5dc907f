/*
 * http.h - HTTP message helpers shared by the gateway.  So far: parsing the
 * absolute base URLs that configuration names (an app's external URL, its
 * backend, an IdP's endpoints).  The message model and the http-parser
 * wrapper join this header with the proxy engine.
 */
#ifndef SG_HTTP_H
#define SG_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include "lib.h"

#define SG_URL_HOST_MAX 255

/* An absolute http(s) URL split into parts; strings live in an arena. */
struct sg_url {
	bool https;
	char *host;      /* without IPv6 brackets, lower-cased */
	bool host_is_v6; /* host was a bracketed IPv6 literal */
	uint16_t port;   /* explicit, or 80/443 from the scheme */
	bool port_given; /* the URL spelled the port */
	char *path;      /* at least "/", percent-escapes kept as written */
	char *query;     /* after '?', or NULL */
};

/*
 * Parses an absolute http:// or https:// URL (RFC 3986 section 3) with no
 * user info and no fragment into u, allocating from a.  Returns 0, or -1
 * with a static reason in *why.
 */
int sg_url_parse(const char *s, struct sg_arena *a, struct sg_url *u, const char **why);

#endif
