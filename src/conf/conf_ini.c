/*
 * conf_ini.c - the one file that calls libinih.  libinih splits "key = value"
 * lines and strips comments; this file feeds it one line at a time so that
 * we know every line number, and it handles what libinih would get wrong
 * or keep silent about:
 *   - a line longer than libinih's 200-byte buffer would be cut silently:
 *     it is refused instead;
 *   - "[section]" headers are parsed here, so repeated and unknown sections
 *     are reported where they are;
 *   - a line that is neither a comment, a header nor "key = value" is
 *     reported with its number (libinih only returns the first one);
 *   - leading white space is dropped, so an indented line is an ordinary
 *     line and never a continuation of the previous value.
 */
#include "config.h"

#include <ini.h>
#include <string.h>

#include "conf_int.h"

struct ini_stream {
	struct conf_parser *p;
	const char *next; /* start of the next line in the text */
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Handles "[header]" on the current line; returns false if it is malformed. */
static bool
section_line(struct conf_parser *p, const char *line, size_t len)
{
	const char *close = memchr(line, ']', len);
	char header[SG_CONF_LINE_MAX + 1];
	size_t n;

	if (close == NULL)
		return false;
	for (const char *r = close + 1; r < line + len && *r != ';' && *r != '#'; r++)
		if (!is_blank(*r))
			return false;
	n = (size_t)(close - line - 1);
	while (n > 0 && is_blank(line[1 + n - 1]))
		n--;
	memcpy(header, line + 1, n);
	header[n] = '\0';
	conf_section_begin(p, header + strspn(header, " \t"));
	return true;
}

/*
 * The ini_reader: copies the next line into buf for libinih.  Lines libinih
 * must not see (headers, already reported errors) are passed as blank.
 */
static char *
read_line(char *buf, int size, void *stream)
{
	struct ini_stream *st = stream;
	struct conf_parser *p = st->p;
	const char *line = st->next, *end;
	size_t len;

	if (*line == '\0')
		return NULL;
	end = strchr(line, '\n');
	len = end ? (size_t)(end - line) : strlen(line);
	st->next = end ? end + 1 : line + len;
	p->line++;
	if (p->line == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3;
		len -= 3;
	}
	while (len > 0 && is_blank(*line)) {
		line++;
		len--;
	}
	strcpy(buf, "\n");
	if (len == 0 || *line == '#' || *line == ';')
		return buf;
	if (len > SG_CONF_LINE_MAX || len + 1 > (size_t)size) {
		conf_error(p, p->line,
		           "line longer than %d characters (use \"@FILE\" for long secrets)",
		           SG_CONF_LINE_MAX);
		return buf;
	}
	if (*line == '[') {
		p->headers++;
		if (!section_line(p, line, len)) {
			conf_error(p, p->line, "malformed section header (expected [NAME])");
			p->sect = NULL; /* its keys belong to no section we know */
			p->base = NULL;
		}
		return buf;
	}
	if (memchr(line, '=', len) == NULL || *line == '=') {
		conf_error(p, p->line, "expected \"key = value\", a [section] or a # comment");
		return buf;
	}
	if (p->headers == 0) {
		conf_error(p, p->line, "directive outside any section (start with [server])");
		return buf;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	return buf;
}

/* The ini_handler: every "key = value" libinih found on the current line. */
static int
on_pair(void *user, const char *section, const char *name, const char *value)
{
	(void)section; /* tracked by read_line, which also saw bad headers */
	conf_directive_set(user, name, value);
	return 1;
}

void
conf_parse_text(struct conf_parser *p, const char *text)
{
	struct ini_stream st = { p, text };
	size_t before = p->errs->count;
	int rc = ini_parse_stream(read_line, &st, on_pair, p);

	/* Every malformed line was caught above; libinih's own verdict would
	 * only repeat one of them, so it matters only if it disagrees. */
	if (rc > 0 && p->errs->count == before)
		conf_error(p, rc, "syntax error");
}
