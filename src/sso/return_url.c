/*
 * return_url.c - the one validator for every URL the gateway redirects to
 * on someone else's say (house rule 7): return=, RelayState, the target
 * kept across a login.
 *
 * Two shapes pass.  An origin-form path: "/" followed by anything but a
 * second '/' or '\' (browsers read "//host" and "/\host" as another host).
 * Or an absolute https URL whose authority is exactly a configured app's
 * host (case-insensitive) and port (443 when none is written).  Anything
 * browsers might read in more than one way is refused rather than
 * interpreted: backslashes anywhere, control characters, spaces and
 * non-ASCII bytes (WHATWG URL strips tabs and newlines, so "\t/x" could
 * turn into something else), percent-encoded control characters (a
 * backend that decodes a Location would split its header), user info,
 * percent-escapes, an empty or zero-padded port, an empty host.  The
 * fragment is allowed: it never leaves the browser.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "sso.h"

/* Bytes that may appear anywhere in an accepted URL: visible ASCII but
 * the backslash. */
static bool
sso_url_bytes_ok(const char *url)
{
	for (const char *p = url; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || c == '\\')
			return false;
		/* %00-%1F and %7F: CR LF and friends once someone decodes them. */
		if (c == '%' &&
		    ((p[1] == '0' || p[1] == '1') || (p[1] == '7' && (p[2] == 'f' || p[2] == 'F'))))
			return false;
	}
	return true;
}

/* Parses the port digits at s..s+n: 1-65535 without leading zeros; -1 on
 * anything else. */
static long
sso_port(const char *s, size_t n)
{
	long port = 0;

	if (n == 0 || n > 5 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		port = port * 10 + (s[i] - '0');
	}
	return port <= 65535 ? port : -1;
}

/* True when host (n bytes, brackets removed) names app's host. */
static bool
sso_host_is(const struct sg_url *app, const char *host, size_t n, bool v6)
{
	struct in6_addr x, y;
	char buf[64];

	if (v6 != app->host_is_v6)
		return false;
	if (!v6)
		return n == strlen(app->host) && strncasecmp(host, app->host, n) == 0;
	/* Two spellings of one IPv6 address are the same host. */
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, host, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, &x) == 1 && inet_pton(AF_INET6, app->host, &y) == 1 &&
	       memcmp(&x, &y, sizeof(x)) == 0;
}

/* True when the authority s..s+n ("host[:port]" or "[v6][:port]") is a
 * configured app's. */
static bool
sso_authority_ok(const struct sg_conf *c, const char *s, size_t n)
{
	const char *host = s, *rest;
	size_t hlen;
	bool v6 = false;
	long port = 443;

	if (n == 0 || memchr(s, '@', n) != NULL || memchr(s, '%', n) != NULL)
		return false;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL || close == s + 1)
			return false;
		host = s + 1;
		hlen = (size_t)(close - host);
		rest = close + 1;
		v6 = true;
	} else {
		const char *colon = memchr(s, ':', n);

		hlen = colon != NULL ? (size_t)(colon - s) : n;
		rest = s + hlen;
		if (hlen == 0 || memchr(s, '[', n) != NULL || memchr(s, ']', n) != NULL)
			return false;
	}
	if (rest < s + n) {
		if (*rest != ':' || (port = sso_port(rest + 1, (size_t)(s + n - rest - 1))) == -1)
			return false;
	}
	for (size_t i = 0; i < c->app_count; i++) {
		const struct sg_url *u = &c->apps[i]->url.url;

		if (u->host != NULL && u->port == port && sso_host_is(u, host, hlen, v6))
			return true;
	}
	return false;
}

/* See the top of this file for what passes and why. */
bool
sg_sso_return_url_ok(const struct sg_conf *c, const char *url)
{
	const char *auth;

	if (url == NULL || *url == '\0' || !sso_url_bytes_ok(url))
		return false;
	if (url[0] == '/')
		return url[1] != '/';
	if (strncasecmp(url, "https://", 8) != 0)
		return false;
	auth = url + 8;
	return sso_authority_ok(c, auth, strcspn(auth, "/?#"));
}
