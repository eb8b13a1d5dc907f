/*
 * headscan.c - finds and vets a message head before anything parses it.
 * Request smuggling lives in the gaps between two parsers' readings of the
 * same bytes, so the gateway refuses every head that RFC 9112 allows to be
 * read two ways: bare CR or LF line ends, obs-fold continuation lines,
 * white space between a field name and its colon, NUL and other control
 * bytes.  It also enforces the size limits while the head is still
 * arriving, so a client cannot make us buffer more than max_head bytes.
 */
#include "config.h"

#include <string.h>

#include "http_int.h"

/* RFC 9110 5.6.2 tchar. */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* RFC 9110 5.5 field-value bytes: VCHAR, obs-text, SP and HTAB. */
static bool
is_value_byte(unsigned char c)
{
	return c == ' ' || c == '\t' || (c >= 0x21 && c != 0x7f);
}

int
http_check_field_line(const char *line, size_t n, struct sg_err *err)
{
	size_t i = 0;

	if (line[0] == ' ' || line[0] == '\t')
		return sg_err_set(err, 400, "obsolete line folding in a header field");
	while (i < n && line[i] != ':') {
		if (line[i] == ' ' || line[i] == '\t')
			return sg_err_set(err, 400,
			                  "white space before the colon of a header field");
		if (!is_tchar((unsigned char)line[i]))
			return sg_err_set(err, 400, "invalid character in a header field name");
		i++;
	}
	if (i == n)
		return sg_err_set(err, 400, "header line without a colon");
	if (i == 0)
		return sg_err_set(err, 400, "empty header field name");
	for (i++; i < n; i++)
		if (!is_value_byte((unsigned char)line[i]))
			return sg_err_set(err, 400, "control character in a header field value");
	return 0;
}

/* True when s (n bytes) is "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3). */
static bool
is_version(const char *s, size_t n)
{
	return n == 8 && memcmp(s, "HTTP/", 5) == 0 && s[5] >= '0' && s[5] <= '9' && s[6] == '.' &&
	       s[7] >= '0' && s[7] <= '9';
}

/* Checks the start line: printable ASCII, and the shape of RFC 9112 3
 * (method SP target SP version) or 4 (version SP status ...). */
static int
check_start_line(const char *line, size_t n, bool request, struct sg_err *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] <= 0x20 && line[i] != ' ')
			return sg_err_set(err, 400, "control character in the start line");
		else if ((unsigned char)line[i] >= 0x7f)
			return sg_err_set(err, 400, "non-ASCII byte in the start line");
	if (!request)
		return n >= 12 && is_version(line, 8) && line[8] == ' '
		           ? 0
		           : sg_err_set(err, 502, "malformed status line");
	for (i = 0; i < n && line[i] != ' '; i++)
		if (!is_tchar((unsigned char)line[i]))
			return sg_err_set(err, 400, "invalid character in the method");
	if (i == 0 || n < i + 11 || line[n - 9] != ' ' || !is_version(line + n - 8, 8) ||
	    memchr(line + i + 1, ' ', n - 9 - (i + 1)) != NULL)
		return sg_err_set(err, 400, "malformed request line");
	return 0;
}

ssize_t
sg_http_head_scan(const char *buf, size_t len, bool request, const struct sg_http_limits *lim,
                  struct sg_err *err)
{
	size_t pos = 0, fields = 0;
	bool first = true;

	/* RFC 9112 2.2: empty lines before a request line are ignored. */
	while (request && len - pos >= 2 && buf[pos] == '\r' && buf[pos + 1] == '\n')
		pos += 2;
	for (;;) {
		const char *line = buf + pos;
		size_t avail = len - pos, n;
		const char *cr = memchr(line, '\r', avail), *lf = memchr(line, '\n', avail);
		const char *nul = memchr(line, '\0', avail);

		if (nul != NULL && (cr == NULL || nul < cr))
			return sg_err_set(err, 400, "NUL byte in the message head");
		if (lf != NULL && (cr == NULL || lf < cr))
			return sg_err_set(err, 400, "bare LF in the message head");
		if (cr == NULL || cr + 1 == buf + len) {
			/* Incomplete line: only the limits can be checked yet (a CR
			 * whose LF is still to come is not part of the line). */
			if (first && avail - (cr != NULL) > lim->max_line)
				return sg_err_set(err, request ? 414 : 502, "start line too long");
			if (len > lim->max_head)
				return sg_err_set(err, 431, "message head too large");
			return 0;
		}
		if (cr[1] != '\n')
			return sg_err_set(err, 400, "bare CR in the message head");
		n = (size_t)(cr - line);
		if (pos + n + 2 > lim->max_head)
			return sg_err_set(err, 431, "message head too large");
		if (first) {
			if (n > lim->max_line)
				return sg_err_set(err, request ? 414 : 502, "start line too long");
			if (n == 0 || check_start_line(line, n, request, err) == -1)
				return n == 0 ? sg_err_set(err, 400, "empty start line") : -1;
			first = false;
		} else if (n == 0) {
			return (ssize_t)(pos + 2);
		} else {
			if (++fields > lim->max_headers)
				return sg_err_set(err, 431, "too many header fields");
			if (http_check_field_line(line, n, err) == -1)
				return -1;
		}
		pos += n + 2;
	}
}
