/*
 * http_parse.c - the one file that includes Debian's http-parser (2.9).  It
 * turns a head that headscan.c already vetted into a struct sg_http_msg,
 * applies the framing rules of RFC 9112 6 that decide where a body ends,
 * and then decodes the body (Content-Length or chunked) as it streams by.
 * One parser handles one message at a time: it pauses at the end of each
 * message so that pipelined bytes after it are left for the next one.
 */
#include "config.h"

#include <ctype.h>
#include <http_parser.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http_int.h"

/* Where the body decoder is (RFC 9112 6.3, 7.1). */
enum body_state {
	B_LENGTH,     /* counting down Content-Length bytes */
	B_TO_CLOSE,   /* everything until the connection ends */
	B_CHUNK_SIZE, /* reading a chunk-size line (with extensions) */
	B_CHUNK_DATA, /* passing chunk data on */
	B_CHUNK_CRLF, /* the CRLF after chunk data */
	B_TRAILER,    /* reading trailer field lines */
	B_DONE,
};

/* Bounds for what the chunked decoder buffers itself. */
#define CHUNK_LINE_MAX 4096     /* a chunk-size line with its extensions */
#define TRAILER_MAX (16 * 1024) /* the whole trailer section */
#define TRAILER_FIELDS_MAX 64

struct sg_http_parser {
	http_parser hp;
	bool request;
	bool no_body;   /* a response to HEAD */
	bool in_value;  /* the last callback was a header value */
	bool head_done; /* the head has been parsed */
	bool complete;  /* the message has ended */
	struct sg_arena *arena;
	struct sg_http_msg *msg;
	struct sg_buf url, field, value;
	/* The body decoder: ours, not http-parser's, whose Debian build is not
	 * strict about chunk framing (a smuggling surface). */
	enum body_state bstate;
	uint64_t remaining; /* B_LENGTH, B_CHUNK_DATA */
	char *line;         /* CHUNK_LINE_MAX bytes, made for the first chunked body */
	size_t line_len;
	size_t trailer_bytes, trailer_fields;
};

static struct sg_http_parser *
parser_of(http_parser *hp)
{
	return hp->data;
}

/* Stores the field being assembled into the message, without the white
 * space that may end a field line (RFC 9112 5.1: it is not in the value). */
static void
commit_field(struct sg_http_parser *p)
{
	while (p->value.len > 0 &&
	       (p->value.data[p->value.len - 1] == ' ' || p->value.data[p->value.len - 1] == '\t'))
		p->value.data[--p->value.len] = '\0';
	if (p->field.len > 0 && !p->head_done)
		sg_http_add(p->msg, p->arena, p->field.data, p->value.data ? p->value.data : "");
	sg_buf_reset(&p->field);
	sg_buf_reset(&p->value);
	p->in_value = false;
}

static int
on_url(http_parser *hp, const char *at, size_t n)
{
	sg_buf_append(&parser_of(hp)->url, at, n);
	return 0;
}

static int
on_status(http_parser *hp, const char *at, size_t n)
{
	sg_buf_append(&parser_of(hp)->url, at, n); /* the reason phrase */
	return 0;
}

static int
on_header_field(http_parser *hp, const char *at, size_t n)
{
	struct sg_http_parser *p = parser_of(hp);

	if (p->in_value)
		commit_field(p);
	sg_buf_append(&p->field, at, n);
	return 0;
}

static int
on_header_value(http_parser *hp, const char *at, size_t n)
{
	struct sg_http_parser *p = parser_of(hp);

	sg_buf_append(&p->value, at, n);
	p->in_value = true;
	return 0;
}

/* Fills the message's start-line data and framing; 1 tells http-parser
 * that a response to HEAD, a 1xx, 204 or 304 has no body. */
static int
on_headers_complete(http_parser *hp)
{
	struct sg_http_parser *p = parser_of(hp);
	struct sg_http_msg *m = p->msg;

	commit_field(p);
	p->head_done = true;
	m->major = hp->http_major;
	m->minor = hp->http_minor;
	if (p->request) {
		m->method = sg_arena_strdup(p->arena, http_method_str(hp->method));
		m->target = sg_arena_strndup(p->arena, p->url.data ? p->url.data : "", p->url.len);
	} else {
		m->status = hp->status_code;
		m->reason = sg_arena_strndup(p->arena, p->url.data ? p->url.data : "", p->url.len);
	}
	if (hp->flags & F_CHUNKED)
		m->framing = SG_BODY_CHUNKED;
	else if (hp->flags & F_CONTENTLENGTH)
		m->framing = SG_BODY_LENGTH;
	else
		m->framing = p->request ? SG_BODY_NONE : SG_BODY_TO_CLOSE;
	m->content_length = m->framing == SG_BODY_LENGTH ? hp->content_length : 0;
	if (m->framing == SG_BODY_LENGTH && m->content_length == 0)
		m->framing = SG_BODY_NONE;
	if (!p->request &&
	    (p->no_body || m->status / 100 == 1 || m->status == 204 || m->status == 304))
		m->framing = SG_BODY_NONE;
	return 1; /* the body is decoded by body_feed() below, not by http-parser */
}

/* http-parser reads the head only: stop it there, whatever follows. */
static int
on_message_complete(http_parser *hp)
{
	http_parser_pause(hp, 1);
	return 0;
}

static const http_parser_settings settings = {
	.on_url = on_url,
	.on_status = on_status,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_message_complete = on_message_complete,
};

struct sg_http_parser *
sg_http_parser_new(bool request)
{
	struct sg_http_parser *p = sg_xcalloc(1, sizeof(*p));

	p->request = request;
	sg_http_parser_reset(p, false);
	return p;
}

void
sg_http_parser_reset(struct sg_http_parser *p, bool no_body)
{
	http_parser_init(&p->hp, p->request ? HTTP_REQUEST : HTTP_RESPONSE);
	p->hp.data = p;
	p->no_body = no_body;
	p->in_value = p->head_done = p->complete = false;
	p->msg = NULL;
	p->arena = NULL;
	p->bstate = B_DONE;
	p->remaining = 0;
	p->line_len = p->trailer_bytes = p->trailer_fields = 0;
	sg_buf_reset(&p->url);
	sg_buf_reset(&p->field);
	sg_buf_reset(&p->value);
}

void
sg_http_parser_free(struct sg_http_parser *p)
{
	if (p == NULL)
		return;
	sg_buf_free(&p->url);
	sg_buf_free(&p->field);
	sg_buf_free(&p->value);
	free(p->line);
	free(p);
}

/* The status for an http-parser error in a head: for a request the one to
 * answer, for a backend's response always 502 (RFC 9110 15.6.3). */
static int
parse_error(struct sg_http_parser *p, struct sg_err *err)
{
	enum http_errno e = HTTP_PARSER_ERRNO(&p->hp);

	if (!p->request)
		return sg_err_set(err, 502, "malformed response head: %s",
		                  http_errno_description(e));
	if (e == HPE_INVALID_VERSION)
		return sg_err_set(err, 505, "unsupported HTTP version");
	if (e == HPE_INVALID_TRANSFER_ENCODING)
		return sg_err_set(err, 400, "Transfer-Encoding other than a final chunked");
	if (e == HPE_UNEXPECTED_CONTENT_LENGTH)
		return sg_err_set(err, 400, "Content-Length repeated or beside Transfer-Encoding");
	if (e == HPE_INVALID_CONTENT_LENGTH)
		return sg_err_set(err, 400, "invalid Content-Length");
	return sg_err_set(err, 400, "malformed message head: %s", http_errno_description(e));
}

/* RFC 9112 6.1 and 6.3: the codings of every Transfer-Encoding field, in
 * order, must end with one "chunked" (else 400, the length is unknown); the
 * only coding we support is that one chunked (else 501). */
static int
check_transfer_encoding(const struct sg_http_msg *m, struct sg_err *err)
{
	size_t codings = 0;
	bool last_chunked = false, early_chunked = false;

	for (size_t i = 0; i < m->nh; i++) {
		const char *s = m->h[i].value;

		if (strcasecmp(m->h[i].name, "Transfer-Encoding") != 0)
			continue;
		size_t n;

		while ((s = sg_http_next_element(s, &n)) != NULL) {
			early_chunked |= last_chunked;
			last_chunked = n == 7 && strncasecmp(s, "chunked", 7) == 0;
			codings++;
			s += n;
		}
	}
	if (codings == 0)
		return sg_http_count(m, "Transfer-Encoding")
		           ? sg_err_set(err, 400, "empty Transfer-Encoding")
		           : 0;
	if (m->major == 1 && m->minor == 0)
		return sg_err_set(err, 400, "Transfer-Encoding in an HTTP/1.0 message");
	if (!last_chunked || early_chunked)
		return sg_err_set(err, m->is_request ? 400 : 502,
		                  "Transfer-Encoding does not end with one chunked");
	if (codings > 1)
		return sg_err_set(err, m->is_request ? 501 : 502,
		                  "unsupported Transfer-Encoding (only chunked is supported)");
	return 0;
}

/* The semantic checks http-parser leaves to us. */
static int
check_head(const struct sg_http_msg *m, struct sg_err *err)
{
	if (m->major != 1 || m->minor > 1)
		return sg_err_set(err, 505, "unsupported HTTP version %u.%u", m->major, m->minor);
	if (check_transfer_encoding(m, err) == -1)
		return -1;
	if (sg_http_count(m, "Content-Length") > 1)
		return sg_err_set(err, 400, "more than one Content-Length");
	if (!m->is_request)
		return 0;
	if (sg_http_count(m, "Host") > 1)
		return sg_err_set(err, 400, "more than one Host field");
	if (m->minor == 1 && sg_http_count(m, "Host") == 0)
		return sg_err_set(err, 400, "HTTP/1.1 request without Host");
	if (strcmp(m->method, "CONNECT") == 0)
		return sg_err_set(err, 405, "CONNECT is not supported by a gateway");
	return 0;
}

/* Connection semantics (RFC 9112 9.3, RFC 9110 7.8). */
static void
connection_options(struct sg_http_msg *m)
{
	if (m->minor >= 1)
		m->keep_alive = !sg_http_has_token(m, "Connection", "close");
	else
		m->keep_alive = sg_http_has_token(m, "Connection", "keep-alive");
	if (m->framing == SG_BODY_TO_CLOSE)
		m->keep_alive = false;
	m->upgrade = sg_http_has_token(m, "Connection", "upgrade") && sg_http_get(m, "Upgrade");
	m->expect_continue = m->is_request && m->minor >= 1 && sg_http_get(m, "Expect") != NULL &&
	                     strcasecmp(sg_http_get(m, "Expect"), "100-continue") == 0;
}

/* Sets up the body decoder for the framing of m. */
static void
body_start(struct sg_http_parser *p, const struct sg_http_msg *m)
{
	switch (m->framing) {
	case SG_BODY_NONE:
		p->bstate = B_DONE;
		break;
	case SG_BODY_LENGTH:
		p->bstate = B_LENGTH;
		p->remaining = m->content_length;
		break;
	case SG_BODY_CHUNKED:
		p->bstate = B_CHUNK_SIZE;
		break;
	case SG_BODY_TO_CLOSE:
		p->bstate = B_TO_CLOSE;
		break;
	}
	p->complete = p->bstate == B_DONE;
}

int
sg_http_parser_head(struct sg_http_parser *p, const char *head, size_t len, struct sg_arena *a,
                    struct sg_http_msg *m, struct sg_err *err)
{
	size_t n;

	memset(m, 0, sizeof(*m));
	m->is_request = p->request;
	p->arena = a;
	p->msg = m;
	n = http_parser_execute(&p->hp, &settings, head, len);
	if (HTTP_PARSER_ERRNO(&p->hp) != HPE_PAUSED && HTTP_PARSER_ERRNO(&p->hp) != HPE_OK)
		return parse_error(p, err);
	if (!p->head_done || n != len)
		return sg_err_set(err, p->request ? 400 : 502, "incomplete message head");
	if (check_head(m, err) == -1)
		return -1;
	connection_options(m);
	body_start(p, m);
	return 0;
}

/* Parses a complete chunk-size line (RFC 9112 7.1): hex size, then only
 * well-formed extensions; a size of 0 starts the trailer section. */
static int
chunk_size_line(struct sg_http_parser *p, const char *line, size_t n, struct sg_err *err)
{
	uint64_t size = 0;
	size_t i = 0;

	for (; i < n && isxdigit((unsigned char)line[i]); i++) {
		if (i == 16)
			return sg_err_set(err, 400, "chunk size too large");
		size = size * 16 + (uint64_t)(isdigit((unsigned char)line[i])
		                                  ? line[i] - '0'
		                                  : tolower((unsigned char)line[i]) - 'a' + 10);
	}
	if (i == 0)
		return sg_err_set(err, 400, "invalid chunk size");
	for (size_t k = i; k < n; k++)
		if ((unsigned char)line[k] < 0x20 && line[k] != '\t')
			return sg_err_set(err, 400, "control character in a chunk extension");
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < n && line[i] != ';')
		return sg_err_set(err, 400, "invalid chunk size");
	p->remaining = size;
	p->bstate = size == 0 ? B_TRAILER : B_CHUNK_DATA;
	return 0;
}

/* A complete trailer line: empty ends the message; fields are checked
 * like head fields, then dropped (they were not announced to anyone). */
static int
trailer_line(struct sg_http_parser *p, const char *line, size_t n, struct sg_err *err)
{
	if (n == 0) {
		p->bstate = B_DONE;
		return 0;
	}
	p->trailer_bytes += n + 2;
	if (++p->trailer_fields > TRAILER_FIELDS_MAX || p->trailer_bytes > TRAILER_MAX)
		return sg_err_set(err, 400, "trailer section too large");
	return http_check_field_line(line, n, err);
}

/* Collects one CRLF-terminated line byte by byte into p->line; returns 1
 * when it is complete, 0 when more bytes are needed, -1 on bad bytes. */
static int
line_byte(struct sg_http_parser *p, char c, struct sg_err *err)
{
	if (p->line_len > 0 && p->line[p->line_len - 1] == '\r') {
		if (c != '\n')
			return sg_err_set(err, 400, "bare CR in chunked framing");
		p->line_len--;
		return 1;
	}
	if (c == '\n')
		return sg_err_set(err, 400, "bare LF in chunked framing");
	if (c == '\0')
		return sg_err_set(err, 400, "NUL in chunked framing");
	if (p->line_len >= CHUNK_LINE_MAX)
		return sg_err_set(err, 400, "chunk line too long");
	if (p->line == NULL)
		p->line = sg_xmalloc(CHUNK_LINE_MAX);
	p->line[p->line_len++] = c;
	return 0;
}

/* Decodes body bytes; returns how many were used, or -1. */
static ssize_t
body_feed(struct sg_http_parser *p, const char *data, size_t len, sg_http_data_cb cb, void *arg,
          struct sg_err *err)
{
	size_t pos = 0;

	while (pos < len && p->bstate != B_DONE) {
		size_t take;
		int r;

		switch (p->bstate) {
		case B_TO_CLOSE:
			cb(data + pos, len - pos, arg);
			return (ssize_t)len;
		case B_LENGTH:
		case B_CHUNK_DATA:
			take = len - pos < p->remaining ? len - pos : (size_t)p->remaining;
			cb(data + pos, take, arg);
			pos += take;
			p->remaining -= take;
			if (p->remaining == 0)
				p->bstate = p->bstate == B_LENGTH ? B_DONE : B_CHUNK_CRLF;
			break;
		case B_CHUNK_CRLF:
			if (p->line_len == 0 && data[pos] != '\r')
				return sg_err_set(err, 400, "chunk data not followed by CRLF");
			if (p->line_len == 1 && data[pos] != '\n')
				return sg_err_set(err, 400, "chunk data not followed by CRLF");
			if (++p->line_len == 2) {
				p->line_len = 0;
				p->bstate = B_CHUNK_SIZE;
			}
			pos++;
			break;
		case B_CHUNK_SIZE:
		case B_TRAILER:
			r = line_byte(p, data[pos++], err);
			if (r == -1)
				return -1;
			if (r == 1) {
				size_t n = p->line_len;

				p->line_len = 0;
				if ((p->bstate == B_CHUNK_SIZE
				         ? chunk_size_line(p, p->line, n, err)
				         : trailer_line(p, p->line, n, err)) == -1)
					return -1;
			}
			break;
		case B_DONE:
			break;
		}
	}
	return (ssize_t)pos;
}

enum sg_http_body_rc
sg_http_parser_body(struct sg_http_parser *p, const char *data, size_t len, size_t *used,
                    sg_http_data_cb cb, void *arg, struct sg_err *err)
{
	ssize_t n;

	*used = 0;
	if (p->complete)
		return SG_BODY_DONE;
	n = body_feed(p, data, len, cb, arg, err);
	if (n == -1) {
		if (!p->request)
			err->code = 502;
		return SG_BODY_ERROR;
	}
	*used = (size_t)n;
	p->complete = p->bstate == B_DONE;
	return p->complete ? SG_BODY_DONE : SG_BODY_MORE;
}

enum sg_http_body_rc
sg_http_parser_eof(struct sg_http_parser *p, struct sg_err *err)
{
	if (p->complete || p->bstate == B_TO_CLOSE) {
		p->complete = true;
		p->bstate = B_DONE;
		return SG_BODY_DONE;
	}
	sg_err_set(err, 502, "connection closed in the middle of a message body");
	return SG_BODY_ERROR;
}
