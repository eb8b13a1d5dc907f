/*
 * canon.c - the path a request really names, computed the way Tomcat maps
 * a request to a servlet (CoyoteAdapter: path parameters removed, percent
 * escapes decoded, then normalized), so that every decision the gateway
 * makes - which app, the reserved prefix, later the access rules - is made
 * on the path the backend will route, never on bytes a client arranged to
 * look different.  What Tomcat refuses by default is refused here too:
 * an encoded '/' or '\', a '\', NUL, ".." above the root, invalid UTF-8.
 * The bytes forwarded to the backend are not touched by any of this.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "gate.h"

static int
hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* True when s[0..n) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF). */
static bool
valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], len, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
		if (len == 0 || c > 0xf4 || i + len > n)
			return false;
		cp = c & (0x3f >> (len - 1));
		for (unsigned k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* Copies path (up to '?' or '#') without ";params" and percent-decoded
 * into out (which has room for as many bytes). */
static int
strip_and_decode(const char *path, char *out, size_t *outlen, struct sg_err *err)
{
	size_t o = 0;
	bool in_param = false;

	for (const char *p = path; *p && *p != '?' && *p != '#'; p++) {
		char c = *p;

		if (c == '/')
			in_param = false;
		else if (c == ';')
			in_param = true;
		if (in_param)
			continue;
		if (c == '%') {
			if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
				return sg_err_set(err, 400, "invalid percent-escape in the path");
			c = (char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
			if (c == '/' || c == '\\')
				return sg_err_set(err, 400, "encoded '/' or '\\' in the path");
		} else if (c == '\\') {
			return sg_err_set(err, 400, "'\\' in the path");
		}
		if (c == '\0')
			return sg_err_set(err, 400, "NUL in the path");
		out[o++] = c;
	}
	*outlen = o;
	return 0;
}

/* Merges "//", resolves "." and ".." segments in place (RFC 3986 5.2.4,
 * as Tomcat's normalize does); -1 for ".." above the root. */
static int
remove_dot_segments(char *s, size_t *len, struct sg_err *err)
{
	size_t in = 0, out = 0, n = *len;
	bool folder = true; /* the path ends in "/", "/." or "/.." */

	while (in < n) {
		size_t seg_end;

		while (in < n && s[in] == '/')
			in++; /* one '/' for any number of them */
		seg_end = in;
		while (seg_end < n && s[seg_end] != '/')
			seg_end++;
		folder = true;
		if (seg_end - in == 1 && s[in] == '.') {
			/* "." adds nothing */
		} else if (seg_end - in == 2 && s[in] == '.' && s[in + 1] == '.') {
			if (out == 0)
				return sg_err_set(err, 400, "'..' above the root of the path");
			while (out > 0 && s[--out] != '/')
				;
		} else if (seg_end > in) {
			s[out++] = '/';
			memmove(s + out, s + in, seg_end - in);
			out += seg_end - in;
			folder = seg_end < n; /* a '/' follows */
		}
		in = seg_end;
	}
	if (folder)
		s[out++] = '/';
	*len = out;
	return 0;
}

int
sg_gate_canonical_path(const char *path, struct sg_arena *a, const char **out, struct sg_err *err)
{
	size_t n = strcspn(path, "?#"), len = 0;
	char *buf = sg_arena_alloc(a, n + 2);

	if (path[0] != '/')
		return sg_err_set(err, 400, "the path does not start with '/'");
	if (strip_and_decode(path, buf, &len, err) == -1)
		return -1;
	if (!valid_utf8((const unsigned char *)buf, len))
		return sg_err_set(err, 400, "the path is not valid UTF-8 once decoded");
	if (remove_dot_segments(buf, &len, err) == -1)
		return -1;
	buf[len] = '\0';
	*out = buf;
	return 0;
}
