/*
 * url.c - parsing absolute http(s) URLs from configuration (RFC 3986).  It
 * accepts what an admin legitimately writes (host names, IPv4, bracketed
 * IPv6, an optional port and path) and rejects the rest with a reason:
 * user info (a classic way to disguise a host), fragments, spaces and
 * control characters, ports out of range.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* RFC 3986 reg-name characters we accept in a host: the unreserved ones
 * (no percent-escapes: a configured host name is written plainly). */
static bool
host_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Parses "host[:port]" or "[v6][:port]" in s..end into u. */
static int
parse_authority(const char *s, const char *end, struct sg_arena *a, struct sg_url *u,
                const char **why)
{
	const char *host_end, *p;
	struct in6_addr v6;
	uint64_t port = 0;

	if (memchr(s, '@', (size_t)(end - s)) != NULL) {
		*why = "user info (user@host) is not allowed in a URL";
		return -1;
	}
	if (*s == '[') {
		host_end = memchr(s, ']', (size_t)(end - s));
		if (host_end == NULL || host_end == s + 1) {
			*why = "bad IPv6 literal in URL";
			return -1;
		}
		u->host = sg_arena_strndup(a, s + 1, (size_t)(host_end - s - 1));
		if (inet_pton(AF_INET6, u->host, &v6) != 1) {
			*why = "bad IPv6 literal in URL";
			return -1;
		}
		u->host_is_v6 = true;
		p = host_end + 1;
	} else {
		for (p = s; p < end && *p != ':'; p++)
			if (!host_char_ok(*p)) {
				*why = "bad character in URL host";
				return -1;
			}
		if (p == s || p - s > SG_URL_HOST_MAX) {
			*why = p == s ? "URL has no host" : "URL host too long";
			return -1;
		}
		u->host = sg_arena_strndup(a, s, (size_t)(p - s));
	}
	for (char *h = u->host; *h; h++)
		*h = (char)tolower((unsigned char)*h);
	if (p < end) {
		if (*p != ':' || p + 1 == end) {
			*why = "bad port in URL";
			return -1;
		}
		for (p++; p < end; p++) {
			if (!isdigit((unsigned char)*p) ||
			    (port = port * 10 + (uint64_t)(*p - '0')) > 65535) {
				*why = "bad port in URL";
				return -1;
			}
		}
		if (port == 0) {
			*why = "bad port in URL";
			return -1;
		}
		u->port_given = true;
	}
	u->port = u->port_given ? (uint16_t)port : (u->https ? 443 : 80);
	return 0;
}

int
sg_url_parse(const char *s, struct sg_arena *a, struct sg_url *u, const char **why)
{
	const char *auth, *auth_end, *q;

	memset(u, 0, sizeof(*u));
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			*why = "URL contains a space or control character";
			return -1;
		}
	if (strncasecmp(s, "https://", 8) == 0) {
		u->https = true;
		auth = s + 8;
	} else if (strncasecmp(s, "http://", 7) == 0) {
		auth = s + 7;
	} else {
		*why = "URL must start with http:// or https://";
		return -1;
	}
	if (strchr(s, '#') != NULL) {
		*why = "URL must not have a #fragment";
		return -1;
	}
	auth_end = auth + strcspn(auth, "/?");
	if (parse_authority(auth, auth_end, a, u, why) == -1)
		return -1;
	q = strchr(auth_end, '?');
	if (q != NULL) {
		u->query = sg_arena_strdup(a, q + 1);
		u->path = *auth_end == '/' ? sg_arena_strndup(a, auth_end, (size_t)(q - auth_end))
		                           : sg_arena_strdup(a, "/");
	} else {
		u->path = sg_arena_strdup(a, *auth_end == '/' ? auth_end : "/");
	}
	return 0;
}

void
sg_http_percent_encode(struct sg_buf *b, const char *s, size_t n, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";
	char pct[3] = { '%', 0, 0 };

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~' ||
		    (ch && strchr(keep, ch))) {
			sg_buf_append(b, s + i, 1);
			continue;
		}
		pct[1] = hex[ch >> 4];
		pct[2] = hex[ch & 15];
		sg_buf_append(b, pct, 3);
	}
}
