/*
 * t_http.c - HTTP/1.1 messages without sockets (src/http): the head scanner
 * (headscan.c), the http-parser wrapper with the framing rules of RFC 9112 6
 * and 7.1 (http_parse.c), and the header-list helpers (headers.c).
 *
 * Every byte string a case hands to the code under test is first copied into
 * a heap block of exactly its length, so AddressSanitizer catches a read past
 * the end; the message must not point into those bytes once they are freed.
 * A case whose comment starts with "BUG" pins down a bug found while writing
 * this file (most sit at the end); it fails until the code is fixed.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "http.h"
#include "lib.h"

/* A string literal as pointer and length (it may hold NUL bytes). */
#define BYTES(s) s, sizeof(s) - 1
#define REQ(s) BYTES(s), true
#define RES(s) BYTES(s), false

static const struct sg_http_limits roomy = { 8192, 65536, 100 };
static const struct sg_http_limits tight = { 64, 512, 8 };

/* Copies len bytes of s into a heap block of exactly that size. */
static char *
exact_copy(const char *s, size_t len)
{
	char *p = sg_xmalloc(len > 0 ? len : 1);

	memcpy(p, s, len);
	return p;
}

/* sg_http_head_scan on an exact-size copy of the first len bytes of s. */
static ssize_t
scan(const char *s, size_t len, bool request, const struct sg_http_limits *lim, struct sg_err *err)
{
	char *p = exact_copy(s, len);
	ssize_t n = sg_http_head_scan(p, len, request, lim, err);

	free(p);
	return n;
}

/* One parser with its arena, message, error and decoded body. */
struct ctx {
	bool request;
	struct sg_http_parser *p;
	struct sg_arena *a;
	struct sg_http_msg m;
	struct sg_err err;
	struct sg_buf body;
	size_t headlen; /* length of the last head scanned */
};

static void
ctx_open(struct ctx *c, bool request)
{
	memset(c, 0, sizeof(*c));
	c->request = request;
	c->p = sg_http_parser_new(request);
	c->a = sg_arena_new();
}

static void
ctx_close(struct ctx *c)
{
	sg_http_parser_free(c->p);
	sg_arena_free(c->a);
	sg_buf_free(&c->body);
}

/* Scans the head at the start of buf and parses it.  A head the scanner
 * refuses is refused with the scanner's status, as the gateway does. */
static int
parse_head(struct ctx *c, const char *buf, size_t len)
{
	struct sg_err serr = { 0, "" };
	ssize_t n = scan(buf, len, c->request, &roomy, &serr);
	char *copy;
	int rc;

	if (n < 0) {
		c->err = serr;
		return -1;
	}
	if (n == 0)
		print_message("scan gave 0 (incomplete) for \"%s\"\n", buf);
	assert_true(n > 0);
	c->headlen = (size_t)n;
	copy = exact_copy(buf, c->headlen);
	rc = sg_http_parser_head(c->p, copy, c->headlen, c->a, &c->m, &c->err);
	free(copy);
	return rc;
}

/* parse_head that must succeed. */
static void
parse_ok(struct ctx *c, const char *buf)
{
	int rc = parse_head(c, buf, strlen(buf));

	if (rc != 0)
		print_message("\"%s\": %d %s\n", buf, c->err.code, c->err.detail);
	assert_int_equal(rc, 0);
}

static void
collect(const char *data, size_t len, void *arg)
{
	sg_buf_append(arg, data, len);
}

/*
 * Feeds len bytes to the body parser in pieces of at most step bytes until
 * the message ends or fails (at least one call, even for no bytes); *used
 * gets how many bytes the parser took in all.
 */
static enum sg_http_body_rc
feed(struct ctx *c, const char *data, size_t len, size_t step, size_t *used)
{
	enum sg_http_body_rc rc;
	size_t off = 0;

	for (;;) {
		size_t n = len - off < step ? len - off : step, took = 99;
		char *piece = exact_copy(data + off, n);

		rc = sg_http_parser_body(c->p, piece, n, &took, collect, &c->body, &c->err);
		free(piece);
		assert_true(took <= n);
		if (rc == SG_BODY_MORE)
			assert_int_equal(took, n);
		off += took;
		if (rc != SG_BODY_MORE || off == len)
			break;
	}
	*used = off;
	return rc;
}

static void
assert_body(const struct ctx *c, const char *want)
{
	assert_int_equal(c->body.len, strlen(want));
	if (c->body.len > 0)
		assert_memory_equal(c->body.data, want, c->body.len);
}

/* ---- sg_http_head_scan ---- */

struct scan_good {
	const char *head; /* what the scan must return the length of */
	const char *tail; /* bytes after it, left alone */
	size_t tail_len;
	bool request;
};

static const struct scan_good scan_good[] = {
	{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", BYTES(""), true },
	{ "GET / HTTP/1.0\r\n\r\n", BYTES(""), true },
	{ "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n", BYTES("a\nb\rc\0d"), true },
	{ "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n", BYTES("GET /2 HTTP/1.1\r\nHost: h\r\n\r\n"), true },
	{ "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", BYTES(""), true },
	{ "GET / HTTP/1.1\r\nHost: h\r\nX-Tab: a\tb\t\r\n\r\n", BYTES(""), true },
	{ "GET / HTTP/1.1\r\nHost: h\r\nX-Obs: caf\xe9 \xff\r\n\r\n", BYTES(""), true },
	{ "GET / HTTP/1.1\r\nHost: h\r\nX-Empty:\r\n\r\n", BYTES(""), true },
	{ "GET / HTTP/1.1\r\nX!#$%&'*+-.^_`|~09az: v\r\nHost: h\r\n\r\n", BYTES(""), true },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", BYTES("hi"), false },
	{ "HTTP/1.1 204 No Content\r\n\r\n", BYTES("HTTP/1.1 200 OK\r\n"), false },
};

/* Builds head + tail in b. */
static void
join(struct sg_buf *b, const struct scan_good *g)
{
	sg_buf_reset(b);
	sg_buf_puts(b, g->head);
	sg_buf_append(b, g->tail, g->tail_len);
}

static void
complete_heads_return_their_length_and_leave_the_rest(void **state)
{
	struct sg_buf b = { 0 };

	(void)state;
	for (size_t i = 0; i < SG_NELEM(scan_good); i++) {
		struct sg_err err = { 0, "" };
		ssize_t n;

		join(&b, &scan_good[i]);
		n = scan(b.data, b.len, scan_good[i].request, &roomy, &err);
		if (n != (ssize_t)strlen(scan_good[i].head))
			print_message("\"%s\": %zd (%d %s)\n", scan_good[i].head, n, err.code,
			              err.detail);
		assert_int_equal(n, strlen(scan_good[i].head));
	}
	sg_buf_free(&b);
}

static void
every_prefix_of_a_valid_head_is_incomplete(void **state)
{
	(void)state;
	for (size_t i = 0; i < SG_NELEM(scan_good); i++) {
		const char *h = scan_good[i].head;

		for (size_t k = 0; k < strlen(h); k++) {
			struct sg_err err = { 0, "" };
			ssize_t n = scan(h, k, scan_good[i].request, &roomy, &err);

			if (n != 0)
				print_message("\"%s\" cut at %zu: %zd (%d %s)\n", h, k, n, err.code,
				              err.detail);
			assert_int_equal(n, 0);
		}
	}
}

struct scan_bad {
	const char *what;
	const char *in;
	size_t len;
	bool request;
	int code;
};

static const struct scan_bad scan_bad[] = {
	{ "bare LF ending the request line", REQ("GET / HTTP/1.1\nHost: h\r\n\r\n"), 400 },
	{ "bare LF ending a field line", REQ("GET / HTTP/1.1\r\nHost: h\nX: 1\r\n\r\n"), 400 },
	{ "bare LF ending the head", REQ("GET / HTTP/1.1\r\nHost: h\r\n\n"), 400 },
	{ "bare LFs only", REQ("\n\n"), 400 },
	{ "bare LF inside a value", REQ("GET / HTTP/1.1\r\nHost: h\r\nX: a\nb\r\n\r\n"), 400 },
	{ "bare LF in a status line", RES("HTTP/1.1 200 OK\nX: 1\r\n\r\n"), 400 },
	{ "bare CR in the request line", REQ("GET /\rx HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "bare CR in a value", REQ("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n"), 400 },
	{ "bare CR before the empty line", REQ("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n"), 400 },
	{ "NUL in the request line", REQ("GET /\0 HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "NUL before the first CRLF arrives", REQ("GET /\0"), 400 },
	{ "NUL in a value", REQ("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"), 400 },
	{ "obs-fold with SP", REQ("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"), 400 },
	{ "obs-fold with HTAB", REQ("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n"), 400 },
	{ "obs-fold as the first field", REQ("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), 400 },
	{ "SP before the colon", REQ("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400 },
	{ "HTAB before the colon", REQ("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n"), 400 },
	{ "empty field name", REQ("GET / HTTP/1.1\r\nHost: h\r\n: x\r\n\r\n"), 400 },
	{ "line without a colon", REQ("GET / HTTP/1.1\r\nHost h\r\n\r\n"), 400 },
	{ "parenthesis in a name", REQ("GET / HTTP/1.1\r\nHost: h\r\nX(a): 1\r\n\r\n"), 400 },
	{ "SP inside a name", REQ("GET / HTTP/1.1\r\nHost: h\r\nX a: 1\r\n\r\n"), 400 },
	{ "non-ASCII in a name", REQ("GET / HTTP/1.1\r\nHost: h\r\nX\xff: 1\r\n\r\n"), 400 },
	{ "0x01 in a value",
	  REQ("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01"
	      "b\r\n\r\n"),
	  400 },
	{ "DEL in a value", REQ("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n"), 400 },
	{ "ESC in a response value", RES("HTTP/1.1 200 OK\r\nX: \x1b[0m\r\n\r\n"), 400 },
	{ "HTAB in the request line", REQ("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "0x01 in the request line", REQ("GET /\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "DEL in the request line", REQ("GET /\x7f HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "UTF-8 in the request line", REQ("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "empty status line", RES("\r\nHTTP/1.1 200 OK\r\n\r\n"), 400 },
};

/* Also checks that no prefix of a bad head passes as a complete one and that
 * a prefix that already fails fails with the same status. */
static void
bad_heads_are_refused_with_their_status(void **state)
{
	(void)state;
	for (size_t i = 0; i < SG_NELEM(scan_bad); i++) {
		const struct scan_bad *b = &scan_bad[i];

		for (size_t k = 0; k <= b->len; k++) {
			struct sg_err err = { 0, "" };
			ssize_t n = scan(b->in, k, b->request, &roomy, &err);

			if (n > 0 || (n < 0 && err.code != b->code) || (k == b->len && n != -1))
				print_message("%s, cut at %zu of %zu: %zd (%d %s)\n", b->what, k,
				              b->len, n, err.code, err.detail);
			assert_true(n <= 0);
			if (n < 0)
				assert_int_equal(err.code, b->code);
		}
		{
			struct sg_err err = { 0, "" };

			assert_int_equal(scan(b->in, b->len, b->request, &roomy, &err), -1);
		}
	}
}

/* A request line of exactly n bytes (n >= 14) followed by rest. */
static void
request_of_line(struct sg_buf *b, size_t n, const char *rest)
{
	sg_buf_reset(b);
	sg_buf_puts(b, "GET /");
	for (size_t i = 14; i < n; i++)
		sg_buf_puts(b, "a");
	sg_buf_puts(b, " HTTP/1.1");
	sg_buf_puts(b, rest);
}

static void
request_line_over_max_line_is_414_before_its_crlf(void **state)
{
	struct sg_buf b = { 0 };
	struct sg_err err = { 0, "" };

	(void)state;
	request_of_line(&b, tight.max_line + 1, "");
	assert_int_equal(scan(b.data, b.len, true, &tight, &err), -1);
	assert_int_equal(err.code, 414);
	request_of_line(&b, tight.max_line + 1, "\r\nHost: h\r\n\r\n");
	err.code = 0;
	assert_int_equal(scan(b.data, b.len, true, &tight, &err), -1);
	assert_int_equal(err.code, 414);
	sg_buf_free(&b);
}

/*
 * BUG (headscan.c): while the line is incomplete the scanner compares
 * avail, which counts a CR that has arrived without its LF yet, with
 * max_line; a request line of exactly max_line bytes is refused with 414
 * when a read ends between its CR and LF, though the whole line passes.
 */
static void
request_line_of_exactly_max_line_is_accepted_at_every_prefix(void **state)
{
	struct sg_buf b = { 0 };

	(void)state;
	request_of_line(&b, tight.max_line, "\r\nHost: h\r\n\r\n");
	for (size_t k = 0; k <= b.len; k++) {
		struct sg_err err = { 0, "" };
		ssize_t n = scan(b.data, k, true, &tight, &err);

		if (n != (k == b.len ? (ssize_t)b.len : 0))
			print_message("cut at %zu of %zu: %zd (%d %s)\n", k, b.len, n, err.code,
			              err.detail);
		assert_int_equal(n, k == b.len ? (ssize_t)b.len : 0);
	}
	sg_buf_free(&b);
}

static void
status_line_over_max_line_is_502(void **state)
{
	struct sg_buf b = { 0 };
	struct sg_err err = { 0, "" };

	(void)state;
	sg_buf_puts(&b, "HTTP/1.1 200 ");
	while (b.len <= tight.max_line)
		sg_buf_puts(&b, "x");
	assert_int_equal(scan(b.data, b.len, false, &tight, &err), -1);
	assert_int_equal(err.code, 502);
	sg_buf_puts(&b, "\r\n\r\n");
	err.code = 0;
	assert_int_equal(scan(b.data, b.len, false, &tight, &err), -1);
	assert_int_equal(err.code, 502);
	sg_buf_free(&b);
}

/* "GET / HTTP/1.1\r\nHost: h\r\nX: " + fill, then end (a CRLF or two). */
static void
head_with_fill(struct sg_buf *b, size_t fill, const char *end)
{
	sg_buf_reset(b);
	sg_buf_puts(b, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	for (size_t i = 0; i < fill; i++)
		sg_buf_puts(b, "a");
	sg_buf_puts(b, end);
}

static void
head_over_max_head_is_431_while_incomplete(void **state)
{
	struct sg_buf b = { 0 };
	struct sg_err err = { 0, "" };

	(void)state;
	head_with_fill(&b, tight.max_head, "");
	assert_int_equal(scan(b.data, b.len, true, &tight, &err), -1);
	assert_int_equal(err.code, 431);
	head_with_fill(&b, tight.max_head, "\r\n");
	err.code = 0;
	assert_int_equal(scan(b.data, b.len, true, &tight, &err), -1);
	assert_int_equal(err.code, 431);
	sg_buf_free(&b);
}

static void
head_of_exactly_max_head_is_accepted_and_one_more_is_431(void **state)
{
	struct sg_buf b = { 0 };
	struct sg_err err = { 0, "" };
	const size_t fixed = strlen("GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n");

	(void)state;
	head_with_fill(&b, tight.max_head - fixed, "\r\n\r\n");
	assert_int_equal(b.len, tight.max_head);
	for (size_t k = 0; k < b.len; k++)
		assert_int_equal(scan(b.data, k, true, &tight, &err), 0);
	assert_int_equal(scan(b.data, b.len, true, &tight, &err), tight.max_head);
	head_with_fill(&b, tight.max_head - fixed + 1, "\r\n\r\n");
	assert_int_equal(scan(b.data, b.len, true, &tight, &err), -1);
	assert_int_equal(err.code, 431);
	sg_buf_free(&b);
}

/* A request with Host and n - 1 more fields. */
static void
head_with_fields(struct sg_buf *b, size_t n)
{
	sg_buf_reset(b);
	sg_buf_puts(b, "GET / HTTP/1.1\r\nHost: h\r\n");
	for (size_t i = 1; i < n; i++)
		sg_buf_printf(b, "X-%zu: %zu\r\n", i, i);
	sg_buf_puts(b, "\r\n");
}

static void
more_than_max_headers_fields_is_431(void **state)
{
	struct sg_buf b = { 0 };
	struct sg_err err = { 0, "" };

	(void)state;
	head_with_fields(&b, tight.max_headers);
	assert_int_equal(scan(b.data, b.len, true, &tight, &err), b.len);
	head_with_fields(&b, tight.max_headers + 1);
	assert_int_equal(scan(b.data, b.len, true, &tight, &err), -1);
	assert_int_equal(err.code, 431);
	sg_buf_free(&b);
}

static void
leading_empty_lines_count_against_max_head(void **state)
{
	struct sg_buf b = { 0 };
	struct sg_err err = { 0, "" };

	(void)state;
	while (b.len <= tight.max_head)
		sg_buf_puts(&b, "\r\n");
	assert_int_equal(scan(b.data, b.len, true, &tight, &err), -1);
	assert_int_equal(err.code, 431);
	sg_buf_free(&b);
}

/* ---- requests ---- */

static void
get_request_keeps_method_target_version_and_fields(void **state)
{
	struct ctx c;
	size_t used;

	(void)state;
	ctx_open(&c, true);
	parse_ok(&c, "GET /a%2Fb/../c;x=y?q=%41&b HTTP/1.1\r\nHost: Example.COM\r\n"
	             "accept: */*\r\nX-Dup: 1\r\nx-dup:  2 \xff\r\n\r\n");
	assert_true(c.m.is_request);
	assert_string_equal(c.m.method, "GET");
	assert_string_equal(c.m.target, "/a%2Fb/../c;x=y?q=%41&b");
	assert_int_equal(c.m.major, 1);
	assert_int_equal(c.m.minor, 1);
	assert_int_equal(c.m.nh, 4);
	assert_string_equal(c.m.h[0].name, "Host");
	assert_string_equal(c.m.h[0].value, "Example.COM");
	assert_string_equal(c.m.h[1].name, "accept");
	assert_string_equal(c.m.h[1].value, "*/*");
	assert_string_equal(c.m.h[2].name, "X-Dup");
	assert_string_equal(c.m.h[2].value, "1");
	assert_string_equal(c.m.h[3].name, "x-dup");
	assert_string_equal(c.m.h[3].value, "2 \xff");
	assert_int_equal(c.m.framing, SG_BODY_NONE);
	assert_true(c.m.keep_alive);
	assert_false(c.m.upgrade);
	assert_false(c.m.expect_continue);
	assert_int_equal(feed(&c, BYTES("GET / HTTP/1.1\r\n"), SIZE_MAX, &used), SG_BODY_DONE);
	assert_int_equal(used, 0);
	ctx_close(&c);
}

static void
leading_empty_lines_before_a_request_are_skipped(void **state)
{
	struct ctx c;

	(void)state;
	ctx_open(&c, true);
	parse_ok(&c, "\r\n\r\nPUT /x HTTP/1.1\r\nHost: h\r\n\r\n");
	assert_int_equal(c.headlen, strlen("\r\n\r\nPUT /x HTTP/1.1\r\nHost: h\r\n\r\n"));
	assert_string_equal(c.m.method, "PUT");
	assert_string_equal(c.m.target, "/x");
	ctx_close(&c);
}

static const struct {
	const char *in;
	bool keep_alive;
} persistence[] = {
	{ "GET / HTTP/1.1\r\nHost: h\r\n\r\n", true },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: CLOSE\r\n\r\n", false },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, close\r\n\r\n", false },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: x\r\nConnection: close\r\n\r\n", false },
	{ "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n", true },
	{ "GET / HTTP/1.0\r\n\r\n", false },
	{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true },
	{ "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true },
	{ "GET / HTTP/1.0\r\nKeep-Alive: timeout=5\r\n\r\n", false },
};

static void
keep_alive_follows_version_and_connection(void **state)
{
	(void)state;
	for (size_t i = 0; i < SG_NELEM(persistence); i++) {
		struct ctx c;

		ctx_open(&c, true);
		parse_ok(&c, persistence[i].in);
		if (c.m.keep_alive != persistence[i].keep_alive)
			print_message("\"%s\": keep_alive %d\n", persistence[i].in, c.m.keep_alive);
		assert_true(c.m.keep_alive == persistence[i].keep_alive);
		ctx_close(&c);
	}
}

#define POST_CL "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n"

static void
content_length_body_decodes_byte_by_byte(void **state)
{
	struct ctx c;
	size_t used;

	(void)state;
	ctx_open(&c, true);
	parse_ok(&c, POST_CL);
	assert_int_equal(c.m.framing, SG_BODY_LENGTH);
	assert_int_equal(c.m.content_length, 11);
	assert_int_equal(feed(&c, BYTES("hello world"), 1, &used), SG_BODY_DONE);
	assert_int_equal(used, 11);
	assert_body(&c, "hello world");
	assert_int_equal(feed(&c, BYTES("more"), 1, &used), SG_BODY_DONE);
	assert_int_equal(used, 0);
	ctx_close(&c);
}

static void
content_length_body_stops_at_the_message_end(void **state)
{
	static const char rest[] = "hello worldGET /next HTTP/1.1\r\nHost: h\r\n\r\n";
	struct ctx c;
	size_t used;

	(void)state;
	ctx_open(&c, true);
	parse_ok(&c, POST_CL);
	assert_int_equal(feed(&c, BYTES(rest), SIZE_MAX, &used), SG_BODY_DONE);
	assert_int_equal(used, 11);
	assert_body(&c, "hello world");
	ctx_close(&c);
}

#define POST_CHUNKED "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
#define CHUNKED_BODY                                                                  \
	"5;ext=1\r\nhello\r\n6 ; a=\"b c\";z\r\n world\r\n10\r\n, sixteen bytes.\r\n" \
	"0\r\nX-Trailer: t\r\nX-Other: u\r\n\r\n"

/* Whole and byte by byte; the trailer fields must not join the head's. */
static void
chunked_body_decodes_and_drops_trailers(void **state)
{
	static const size_t steps[] = { 1, 2, 7, SIZE_MAX };

	(void)state;
	for (size_t i = 0; i < SG_NELEM(steps); i++) {
		struct ctx c;
		size_t used;

		ctx_open(&c, true);
		parse_ok(&c, POST_CHUNKED);
		assert_int_equal(c.m.framing, SG_BODY_CHUNKED);
		assert_int_equal(feed(&c, BYTES(CHUNKED_BODY "NEXT"), steps[i], &used),
		                 SG_BODY_DONE);
		assert_int_equal(used, strlen(CHUNKED_BODY));
		assert_body(&c, "hello world, sixteen bytes.");
		assert_int_equal(c.m.nh, 2);
		assert_null(sg_http_get(&c.m, "X-Trailer"));
		assert_null(sg_http_get(&c.m, "X-Other"));
		ctx_close(&c);
	}
}

static void
invalid_chunk_size_is_a_body_error(void **state)
{
	static const char *const bodies[] = { "zz\r\n", "-5\r\nhello\r\n0\r\n\r\n",
		                              "5\nhello\r\n0\r\n\r\n", "ffffffffffffffffff\r\n" };

	(void)state;
	for (size_t i = 0; i < SG_NELEM(bodies); i++) {
		struct ctx c;
		size_t used;
		enum sg_http_body_rc rc;

		ctx_open(&c, true);
		parse_ok(&c, POST_CHUNKED);
		rc = feed(&c, bodies[i], strlen(bodies[i]), 1, &used);
		if (rc != SG_BODY_ERROR)
			print_message("\"%s\" accepted\n", bodies[i]);
		assert_int_equal(rc, SG_BODY_ERROR);
		assert_int_equal(c.err.code, 400);
		ctx_close(&c);
	}
}

static const struct {
	const char *in;
	bool expect;
} expectations[] = {
	{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n", true },
	{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: 100-Continue\r\n\r\n", true },
	{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\n", false },
	{ "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: 200-ok\r\n\r\n", false },
};

static void
expect_100_continue_is_flagged(void **state)
{
	(void)state;
	for (size_t i = 0; i < SG_NELEM(expectations); i++) {
		struct ctx c;

		ctx_open(&c, true);
		parse_ok(&c, expectations[i].in);
		if (c.m.expect_continue != expectations[i].expect)
			print_message("\"%s\": expect_continue %d\n", expectations[i].in,
			              c.m.expect_continue);
		assert_true(c.m.expect_continue == expectations[i].expect);
		ctx_close(&c);
	}
}

static void
websocket_upgrade_is_flagged_without_a_body(void **state)
{
	struct ctx c;
	size_t used;

	(void)state;
	ctx_open(&c, true);
	parse_ok(&c, "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\n"
	             "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n");
	assert_true(c.m.upgrade);
	assert_int_equal(c.m.framing, SG_BODY_NONE);
	assert_int_equal(feed(&c, BYTES("\x81\x05hello"), SIZE_MAX, &used), SG_BODY_DONE);
	assert_int_equal(used, 0);
	ctx_close(&c);
}

static void
upgrade_needs_both_connection_and_upgrade(void **state)
{
	static const char *const heads[] = {
		"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrades\r\nUpgrade: websocket\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < SG_NELEM(heads); i++) {
		struct ctx c;

		ctx_open(&c, true);
		parse_ok(&c, heads[i]);
		if (c.m.upgrade)
			print_message("\"%s\" flagged as an upgrade\n", heads[i]);
		assert_false(c.m.upgrade);
		ctx_close(&c);
	}
}

struct bad_head {
	const char *in;
	int code;
};

#define POST_H "POST / HTTP/1.1\r\nHost: h\r\n"

/*
 * RFC 9112 6.3 (4): a request whose Transfer-Encoding does not end in
 * chunked MUST get 400; one that ends in chunked after a coding we do not
 * implement gets 501 (RFC 9112 6.1).
 */
static const struct bad_head bad_requests[] = {
	{ POST_H "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ POST_H "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400 },
	{ POST_H "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", 400 },
	{ POST_H "Content-Length: 5\r\nContent-Length: 5\r\n\r\n", 400 },
	{ POST_H "Content-Length: 5\r\ncontent-length: 5\r\n\r\n", 400 },
	{ POST_H "Content-Length: 5, 5\r\n\r\n", 400 },
	{ POST_H "Content-Length: +5\r\n\r\n", 400 },
	{ POST_H "Content-Length: -5\r\n\r\n", 400 },
	{ POST_H "Content-Length: 5a\r\n\r\n", 400 },
	{ POST_H "Content-Length: abc\r\n\r\n", 400 },
	{ POST_H "Content-Length: 0x10\r\n\r\n", 400 },
	{ POST_H "Content-Length: 1 2\r\n\r\n", 400 },
	{ POST_H "Content-Length: 18446744073709551616\r\n\r\n", 400 },
	{ POST_H "Transfer-Encoding: gzip\r\n\r\n", 400 },
	{ POST_H "Transfer-Encoding: chunked, gzip\r\n\r\n", 400 },
	{ POST_H "Transfer-Encoding: gzip, chunked\r\n\r\n", 501 },
	{ POST_H "Transfer-Encoding: chunked, chunked\r\n\r\n", 400 }, /* 6.1 MUST NOT */
	{ POST_H "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ POST_H "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", 501 },
	{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", 400 },
	{ "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505 },
	{ "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505 },
	{ "GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505 },
	{ "GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505 },
	{ "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n", 405 },
	{ "G{T / HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
	{ "GE<T / HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
	{ "GET@ / HTTP/1.1\r\nHost: h\r\n\r\n", 400 },
	/* a malformed version is a malformed request line: 400 (RFC 9112 3) */
	{ "GET / HTTP/1.1 x\r\nHost: h\r\n\r\n", 400 },
	{ "GET / HTTP/1.x\r\nHost: h\r\n\r\n", 400 },
	{ "GET / HTTP/11\r\nHost: h\r\n\r\n", 400 },
	{ "GET / http/1.1\r\nHost: h\r\n\r\n", 400 },
};

/* Parses every row of a bad-head table with a fresh parser; returns how many
 * rows were not refused with their status, naming each. */
static size_t
heads_misjudged(const struct bad_head *t, size_t n, bool request)
{
	size_t wrong = 0;

	for (size_t i = 0; i < n; i++) {
		struct ctx c;
		int rc;

		ctx_open(&c, request);
		rc = parse_head(&c, t[i].in, strlen(t[i].in));
		if (rc != -1 || c.err.code != t[i].code) {
			print_message("\"%s\": rc %d, %d %s; expected %d\n", t[i].in, rc,
			              c.err.code, c.err.detail, t[i].code);
			wrong++;
		}
		ctx_close(&c);
	}
	return wrong;
}

static void
framing_violations_are_refused_with_their_status(void **state)
{
	(void)state;
	assert_int_equal(heads_misjudged(bad_requests, SG_NELEM(bad_requests), true), 0);
}

static void
unknown_methods_are_refused(void **state)
{
	static const char *const heads[] = {
		"BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n",
		"get / HTTP/1.1\r\nHost: h\r\n\r\n",
		"GETT / HTTP/1.1\r\nHost: h\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < SG_NELEM(heads); i++) {
		struct ctx c;

		ctx_open(&c, true);
		assert_int_equal(parse_head(&c, heads[i], strlen(heads[i])), -1);
		assert_true(c.err.code >= 400);
		ctx_close(&c);
	}
}

/* Scans and parses the next message at buf[*off], and its body; advances *off. */
static void
next_message(struct ctx *c, const char *buf, size_t len, size_t *off)
{
	size_t used;

	sg_http_parser_reset(c->p, false);
	sg_buf_reset(&c->body);
	assert_int_equal(parse_head(c, buf + *off, len - *off), 0);
	*off += c->headlen;
	assert_int_equal(feed(c, buf + *off, len - *off, SIZE_MAX, &used), SG_BODY_DONE);
	*off += used;
}

static void
pipelined_requests_parse_one_after_another(void **state)
{
	static const char buf[] = "POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
	                          "\r\n" /* RFC 9112 2.2: a stray CRLF after a body */
	                          "POST /2 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	                          "\r\n2\r\nde\r\n0\r\n\r\n"
	                          "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char *const targets[] = { "/1", "/2", "/3" };
	static const char *const bodies[] = { "abc", "de", "" };
	struct ctx c;
	size_t off = 0;

	(void)state;
	ctx_open(&c, true);
	for (size_t i = 0; i < SG_NELEM(targets); i++) {
		next_message(&c, buf, sizeof(buf) - 1, &off);
		assert_string_equal(c.m.target, targets[i]);
		assert_body(&c, bodies[i]);
	}
	assert_int_equal(off, sizeof(buf) - 1);
	ctx_close(&c);
}

/* ---- responses ---- */

static void
response_with_content_length(void **state)
{
	struct ctx c;
	size_t used;

	(void)state;
	ctx_open(&c, false);
	parse_ok(&c, "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nServer: t\r\n\r\n");
	assert_false(c.m.is_request);
	assert_int_equal(c.m.status, 404);
	assert_string_equal(c.m.reason, "Not Found");
	assert_int_equal(c.m.framing, SG_BODY_LENGTH);
	assert_int_equal(c.m.content_length, 5);
	assert_true(c.m.keep_alive);
	assert_int_equal(feed(&c, BYTES("helloHTTP/1.1 200 OK\r\n"), 1, &used), SG_BODY_DONE);
	assert_int_equal(used, 5);
	assert_body(&c, "hello");
	ctx_close(&c);
}

static void
chunked_response_decodes(void **state)
{
	struct ctx c;
	size_t used;

	(void)state;
	ctx_open(&c, false);
	parse_ok(&c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	assert_int_equal(c.m.framing, SG_BODY_CHUNKED);
	assert_int_equal(feed(&c, BYTES(CHUNKED_BODY), 1, &used), SG_BODY_DONE);
	assert_int_equal(used, strlen(CHUNKED_BODY));
	assert_body(&c, "hello world, sixteen bytes.");
	assert_int_equal(c.m.nh, 1);
	ctx_close(&c);
}

static void
response_without_length_reads_to_close(void **state)
{
	struct ctx c;
	size_t used;

	(void)state;
	ctx_open(&c, false);
	parse_ok(&c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
	assert_int_equal(c.m.framing, SG_BODY_TO_CLOSE);
	assert_false(c.m.keep_alive);
	assert_int_equal(feed(&c, BYTES("all of\r\n\r\nit"), 3, &used), SG_BODY_MORE);
	assert_int_equal(used, strlen("all of\r\n\r\nit"));
	assert_int_equal(sg_http_parser_eof(c.p, &c.err), SG_BODY_DONE);
	assert_body(&c, "all of\r\n\r\nit");
	ctx_close(&c);
}

static void
bodiless_statuses_have_no_body_despite_content_length(void **state)
{
	static const char *const heads[] = {
		"HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 103 Early Hints\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n",
		"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < SG_NELEM(heads); i++) {
		struct ctx c;
		size_t used;

		ctx_open(&c, false);
		parse_ok(&c, heads[i]);
		if (c.m.framing != SG_BODY_NONE)
			print_message("\"%s\": framing %d\n", heads[i], c.m.framing);
		assert_int_equal(c.m.framing, SG_BODY_NONE);
		assert_int_equal(feed(&c, BYTES("hello"), SIZE_MAX, &used), SG_BODY_DONE);
		assert_int_equal(used, 0);
		ctx_close(&c);
	}
}

static void
response_to_head_has_no_body(void **state)
{
	static const char *const heads[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 200 OK\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < SG_NELEM(heads); i++) {
		struct ctx c;
		size_t used;

		ctx_open(&c, false);
		sg_http_parser_reset(c.p, true);
		parse_ok(&c, heads[i]);
		assert_int_equal(c.m.framing, SG_BODY_NONE);
		assert_int_equal(feed(&c, BYTES("HTTP/1.1 200 OK\r\n"), SIZE_MAX, &used),
		                 SG_BODY_DONE);
		assert_int_equal(used, 0);
		assert_body(&c, "");
		ctx_close(&c);
	}
}

static void
reset_after_head_response_expects_a_body_again(void **state)
{
	struct ctx c;
	size_t used;

	(void)state;
	ctx_open(&c, false);
	sg_http_parser_reset(c.p, true);
	parse_ok(&c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
	assert_int_equal(c.m.framing, SG_BODY_NONE);
	sg_http_parser_reset(c.p, false);
	parse_ok(&c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
	assert_int_equal(c.m.framing, SG_BODY_LENGTH);
	assert_int_equal(feed(&c, BYTES("abc"), SIZE_MAX, &used), SG_BODY_DONE);
	assert_body(&c, "abc");
	ctx_close(&c);
}

static void
eof_inside_a_body_is_a_502_error(void **state)
{
	static const char *const heads[] = {
		"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	};
	static const char *const bodies[] = { "hello", "5\r\nhel" };

	(void)state;
	for (size_t i = 0; i < SG_NELEM(heads); i++) {
		struct ctx c;
		size_t used;

		ctx_open(&c, false);
		parse_ok(&c, heads[i]);
		assert_int_equal(feed(&c, bodies[i], strlen(bodies[i]), SIZE_MAX, &used),
		                 SG_BODY_MORE);
		assert_int_equal(sg_http_parser_eof(c.p, &c.err), SG_BODY_ERROR);
		assert_int_equal(c.err.code, 502);
		ctx_close(&c);
	}
}

static void
response_with_unsupported_transfer_encoding_is_502(void **state)
{
	static const struct bad_head t[] = {
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 502 },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 502 },
	};

	(void)state;
	assert_int_equal(heads_misjudged(t, SG_NELEM(t), false), 0);
}

/* ---- header lists ---- */

static void
get_and_count_ignore_case(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_http_msg m = { 0 };

	(void)state;
	assert_null(sg_http_get(&m, "Host"));
	assert_int_equal(sg_http_count(&m, "Host"), 0);
	sg_http_add(&m, a, "Accept", "a");
	sg_http_add(&m, a, "X-Forwarded-For", "1");
	sg_http_add(&m, a, "x-forwarded-for", "2");
	assert_string_equal(sg_http_get(&m, "x-FORWARDED-for"), "1");
	assert_int_equal(sg_http_count(&m, "X-FORWARDED-FOR"), 2);
	assert_int_equal(sg_http_count(&m, "X-Forwarded"), 0);
	assert_null(sg_http_get(&m, "Accept-Encoding"));
	sg_arena_free(a);
}

static void
add_copies_and_keeps_order_past_growth(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_http_msg m = { 0 };
	char name[16], value[16];

	(void)state;
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "X-%d", i);
		snprintf(value, sizeof(value), "v%d", i);
		sg_http_add(&m, a, name, value);
	}
	strcpy(name, "changed");
	strcpy(value, "changed");
	assert_int_equal(m.nh, 40);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "X-%d", i);
		snprintf(value, sizeof(value), "v%d", i);
		assert_string_equal(m.h[i].name, name);
		assert_string_equal(m.h[i].value, value);
	}
	sg_arena_free(a);
}

static void
remove_drops_every_match(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_http_msg m = { 0 };

	(void)state;
	sg_http_add(&m, a, "A", "1");
	sg_http_add(&m, a, "Cookie", "x");
	sg_http_add(&m, a, "B", "2");
	sg_http_add(&m, a, "COOKIE", "y");
	sg_http_add(&m, a, "C", "3");
	assert_int_equal(sg_http_remove(&m, "cookie"), 2);
	assert_int_equal(m.nh, 3);
	assert_string_equal(m.h[0].name, "A");
	assert_string_equal(m.h[1].name, "B");
	assert_string_equal(m.h[2].name, "C");
	assert_int_equal(sg_http_remove(&m, "Cookie"), 0);
	assert_int_equal(m.nh, 3);
	sg_arena_free(a);
}

static void
set_replaces_every_match_by_one(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_http_msg m = { 0 };

	(void)state;
	sg_http_add(&m, a, "X-User", "mallory");
	sg_http_add(&m, a, "Host", "h");
	sg_http_add(&m, a, "x-user", "eve");
	sg_http_set(&m, a, "X-User", "alice");
	assert_int_equal(sg_http_count(&m, "X-User"), 1);
	assert_string_equal(sg_http_get(&m, "x-user"), "alice");
	assert_int_equal(m.nh, 2);
	sg_http_set(&m, a, "X-New", "n");
	assert_string_equal(sg_http_get(&m, "X-New"), "n");
	assert_int_equal(m.nh, 3);
	sg_arena_free(a);
}

static const struct {
	const char *values[3]; /* Connection fields, NULL-terminated */
	const char *token;
	bool has;
} tokens[] = {
	{ { "keep-alive, Upgrade", NULL }, "upgrade", true },
	{ { " upgrade ", NULL }, "upgrade", true },
	{ { "\tUPGRADE\t", NULL }, "Upgrade", true },
	{ { "upgrades", NULL }, "upgrade", false },
	{ { "up grade", NULL }, "upgrade", false },
	{ { "xupgrade", NULL }, "upgrade", false },
	{ { "upgrade-x, keep-alive", NULL }, "upgrade", false },
	{ { "keep-alive", "close", NULL }, "close", true },
	{ { "keep-alive", "te, close ,x", NULL }, "close", true },
	{ { ",,close,,", NULL }, "close", true },
	{ { "a,b", "c", NULL }, "b", true },
	{ { "", NULL }, "close", false },
	{ { ", ,", NULL }, "close", false },
	{ { NULL }, "close", false },
};

static void
has_token_reads_comma_lists_in_every_field(void **state)
{
	(void)state;
	for (size_t i = 0; i < SG_NELEM(tokens); i++) {
		struct sg_arena *a = sg_arena_new();
		struct sg_http_msg m = { 0 };
		bool has;

		sg_http_add(&m, a, "Upgrade", tokens[i].token);
		for (size_t j = 0; tokens[i].values[j] != NULL; j++)
			sg_http_add(&m, a, j % 2 ? "connection" : "Connection",
			            tokens[i].values[j]);
		has = sg_http_has_token(&m, "Connection", tokens[i].token);
		if (has != tokens[i].has)
			print_message("row %zu (\"%s\"): %d\n", i,
			              tokens[i].values[0] ? tokens[i].values[0] : "(none)", has);
		assert_true(has == tokens[i].has);
		sg_arena_free(a);
	}
}

static void
serialize_writes_start_line_fields_and_empty_line(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_http_msg req = {
		.is_request = true, .method = "GET", .target = "/a?b", .major = 1, .minor = 1
	};
	struct sg_http_msg res = { .status = 204, .reason = "No Content", .major = 1, .minor = 0 };
	struct sg_http_msg bare = { .status = 200, .major = 1, .minor = 1 };
	struct sg_buf b = { 0 };

	(void)state;
	sg_http_add(&req, a, "Host", "h");
	sg_http_add(&req, a, "x-a", "1 2");
	sg_http_serialize_head(&req, &b);
	assert_string_equal(b.data, "GET /a?b HTTP/1.1\r\nHost: h\r\nx-a: 1 2\r\n\r\n");
	sg_buf_reset(&b);
	sg_http_serialize_head(&res, &b);
	assert_string_equal(b.data, "HTTP/1.0 204 No Content\r\n\r\n");
	sg_buf_reset(&b);
	sg_http_serialize_head(&bare, &b);
	assert_string_equal(b.data, "HTTP/1.1 200 \r\n\r\n");
	sg_buf_free(&b);
	sg_arena_free(a);
}

static void
serialized_request_parses_back_the_same(void **state)
{
	struct ctx one, two;
	struct sg_buf b = { 0 };

	(void)state;
	ctx_open(&one, true);
	ctx_open(&two, true);
	parse_ok(&one, "PATCH /x/%7e?y=1&z HTTP/1.1\r\nHost: h:8080\r\nContent-Length: 3\r\n"
	               "X-A: a\tb\r\nx-a: \xff\r\nX-Empty:\r\nCookie: s=1; t=2\r\n\r\n");
	sg_http_serialize_head(&one.m, &b);
	parse_ok(&two, b.data);
	assert_int_equal(two.headlen, b.len);
	assert_string_equal(two.m.method, one.m.method);
	assert_string_equal(two.m.target, one.m.target);
	assert_int_equal(two.m.major, one.m.major);
	assert_int_equal(two.m.minor, one.m.minor);
	assert_int_equal(two.m.framing, one.m.framing);
	assert_int_equal(two.m.content_length, one.m.content_length);
	assert_int_equal(two.m.nh, one.m.nh);
	for (size_t i = 0; i < one.m.nh; i++) {
		assert_string_equal(two.m.h[i].name, one.m.h[i].name);
		assert_string_equal(two.m.h[i].value, one.m.h[i].value);
	}
	sg_buf_free(&b);
	ctx_close(&one);
	ctx_close(&two);
}

/* ---- bugs found while writing this file ---- */

/*
 * BUG (http_parse.c): RFC 9112 5.1 says trailing white space is not part of
 * a field value, but http-parser hands it over and the wrapper keeps it, so
 * a valid "Transfer-Encoding: chunked " is refused with 501, and
 * "Expect: 100-continue " is not flagged (the client waits for a 100).
 */
static void
trailing_whitespace_is_not_part_of_a_field_value(void **state)
{
	struct ctx c;

	(void)state;
	ctx_open(&c, true);
	parse_ok(&c, "POST / HTTP/1.1\r\nHost: h \t\r\nExpect: 100-continue \r\n"
	             "Transfer-Encoding: chunked \r\n\r\n");
	assert_string_equal(sg_http_get(&c.m, "Host"), "h");
	assert_true(c.m.expect_continue);
	assert_int_equal(c.m.framing, SG_BODY_CHUNKED);
	ctx_close(&c);
}

/*
 * BUG (http_parse.c): sg_http_parser_body passes len 0 to
 * http_parser_execute, which reads it as the end of the input: a body call
 * with no bytes yet (the head arrived alone) fails a Content-Length or
 * chunked body with 400, and ends a read-to-close response at once.
 */
static void
feeding_zero_body_bytes_is_not_end_of_input(void **state)
{
	static const char *const heads[] = {
		POST_CL,
		POST_CHUNKED,
		"HTTP/1.1 200 OK\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < SG_NELEM(heads); i++) {
		struct ctx c;
		size_t used = 99;
		enum sg_http_body_rc rc;

		ctx_open(&c, i < 2);
		parse_ok(&c, heads[i]);
		rc = sg_http_parser_body(c.p, "", 0, &used, collect, &c.body, &c.err);
		if (rc != SG_BODY_MORE)
			print_message("\"%s\": rc %d (%d %s)\n", heads[i], rc, c.err.code,
			              c.err.detail);
		assert_int_equal(rc, SG_BODY_MORE);
		assert_int_equal(used, 0);
		ctx_close(&c);
	}
}

/*
 * BUG (http_parse.c): Debian builds libhttp_parser with HTTP_PARSER_STRICT=0,
 * so the CRLF after a chunk size, after chunk data and at the end of the
 * chunked body is never checked, and a bare LF inside a chunk extension is
 * skipped as part of it.  RFC 9112 7.1 has no such forms; a reader that
 * takes the bytes literally (or honours the bare LF, RFC 9112 2.2) ends the
 * message elsewhere, which is how requests are smuggled.
 */
static const char *const bad_chunked[] = {
	"5\r\nhelloXX0\r\n\r\n",          /* no CRLF after the chunk data */
	"5\r\nhello\r0\r\n\r\n",          /* CR without LF after the data */
	"5\rXhello\r\n0\r\n\r\n",         /* CR without LF after the size */
	"5;a\nb\r\nhello\r\n0\r\n\r\n",   /* bare LF in a chunk extension */
	"5\r\nhello\r\n0\r\n\rX",         /* CR without LF ending the body */
	"5\r\nhello\r\n0\r\nX: a\r\n\rX", /* the same after a trailer */
};

/* Feeds each body after POST_CHUNKED; returns how many of them were not
 * refused with 400, naming each. */
static size_t
chunked_bodies_accepted(const char *const *bodies, size_t n)
{
	size_t accepted = 0;

	for (size_t i = 0; i < n; i++) {
		struct ctx c;
		size_t used;
		enum sg_http_body_rc rc;

		ctx_open(&c, true);
		parse_ok(&c, POST_CHUNKED);
		rc = feed(&c, bodies[i], strlen(bodies[i]), SIZE_MAX, &used);
		if (rc != SG_BODY_ERROR || c.err.code != 400) {
			print_message("row %zu accepted: rc %d, used %zu of %zu\n", i, rc, used,
			              strlen(bodies[i]));
			accepted++;
		}
		ctx_close(&c);
	}
	return accepted;
}

static void
chunked_framing_without_crlf_is_a_body_error(void **state)
{
	(void)state;
	assert_int_equal(chunked_bodies_accepted(bad_chunked, SG_NELEM(bad_chunked)), 0);
}

/*
 * BUG (http_parse.c): the trailer section has the field-line syntax of the
 * head (RFC 9112 7.1.2), but headscan.c never sees it and lenient
 * http-parser accepts bare LF line ends there (so "0\r\n\n" ends a message)
 * and white space before a colon, which RFC 9112 5.1 says a server MUST
 * reject with 400.
 */
static const char *const bad_trailers[] = {
	"0\r\nX: a\n\r\n",     /* bare LF ending a trailer field */
	"0\r\n\n",             /* bare LF ending the trailer section */
	"0\r\nX: a\r\n\n",     /* the same after a field */
	"0\r\nX : a\r\n\r\n",  /* white space before the colon */
	"0\r\nX\t: a\r\n\r\n", /* the same with HTAB */
};

static void
trailer_section_follows_the_head_rules(void **state)
{
	(void)state;
	assert_int_equal(chunked_bodies_accepted(bad_trailers, SG_NELEM(bad_trailers)), 0);
}

/*
 * BUG (http_parse.c): with HTTP_PARSER_STRICT=0 (see above) http-parser
 * checks only the "H" of the HTTP-name and takes any three bytes for "TTP/",
 * so "HTTX/1.1" passes as HTTP/1.1.  RFC 9112 2.3: HTTP-name is the
 * case-sensitive "HTTP"; a line that is not HTTP/1.x must be refused.
 */
static void
version_must_be_spelled_http(void **state)
{
	static const struct bad_head requests[] = {
		{ "GET / HTTX/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET / Hxxx/1.1\r\nHost: h\r\n\r\n", 400 },
		{ "GET / HTTP_1.1\r\nHost: h\r\n\r\n", 400 },
	};
	struct ctx c;

	(void)state;
	ctx_open(&c, false);
	assert_int_equal(parse_head(&c, BYTES("HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")), -1);
	ctx_close(&c);
	assert_int_equal(heads_misjudged(requests, SG_NELEM(requests), true), 0);
}

/*
 * BUG (http_parse.c): parse_error() and the body path answer 400 whatever
 * the direction, while the rest of the module answers a bad response with
 * 502 (the status line limit, an unsupported Transfer-Encoding, an early
 * end): a broken upstream response must not tell the client its request
 * was bad (RFC 9110 15.6.3).
 */
static void
malformed_responses_answer_502(void **state)
{
	static const struct bad_head t[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 502 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
		  502 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 502 },
	};
	struct ctx c;
	size_t used;

	(void)state;
	assert_int_equal(heads_misjudged(t, SG_NELEM(t), false), 0);
	ctx_open(&c, false);
	parse_ok(&c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	assert_int_equal(feed(&c, BYTES("zz\r\n"), SIZE_MAX, &used), SG_BODY_ERROR);
	assert_int_equal(c.err.code, 502);
	ctx_close(&c);
}

/* sg_http_head_size says exactly how long the serialized head will be. */
static void
head_size_matches_the_serialized_head(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_http_msg m = { 0 };
	struct sg_buf out = { 0 };

	(void)state;
	m.is_request = true;
	m.method = "POST";
	m.target = "/a%20b?c=d";
	m.major = 1;
	m.minor = 1;
	sg_http_add(&m, a, "Host", "example.test");
	sg_http_add(&m, a, "X-Empty", "");
	sg_http_serialize_head(&m, &out);
	assert_int_equal(sg_http_head_size(&m), out.len);
	sg_buf_reset(&out);
	m.is_request = false;
	m.status = 404;
	m.reason = "Not Found";
	sg_http_serialize_head(&m, &out);
	assert_int_equal(sg_http_head_size(&m), out.len);
	sg_buf_free(&out);
	sg_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(complete_heads_return_their_length_and_leave_the_rest),
		cmocka_unit_test(every_prefix_of_a_valid_head_is_incomplete),
		cmocka_unit_test(bad_heads_are_refused_with_their_status),
		cmocka_unit_test(request_line_over_max_line_is_414_before_its_crlf),
		cmocka_unit_test(request_line_of_exactly_max_line_is_accepted_at_every_prefix),
		cmocka_unit_test(status_line_over_max_line_is_502),
		cmocka_unit_test(head_over_max_head_is_431_while_incomplete),
		cmocka_unit_test(head_of_exactly_max_head_is_accepted_and_one_more_is_431),
		cmocka_unit_test(more_than_max_headers_fields_is_431),
		cmocka_unit_test(leading_empty_lines_count_against_max_head),
		cmocka_unit_test(get_request_keeps_method_target_version_and_fields),
		cmocka_unit_test(leading_empty_lines_before_a_request_are_skipped),
		cmocka_unit_test(keep_alive_follows_version_and_connection),
		cmocka_unit_test(content_length_body_decodes_byte_by_byte),
		cmocka_unit_test(content_length_body_stops_at_the_message_end),
		cmocka_unit_test(chunked_body_decodes_and_drops_trailers),
		cmocka_unit_test(invalid_chunk_size_is_a_body_error),
		cmocka_unit_test(expect_100_continue_is_flagged),
		cmocka_unit_test(websocket_upgrade_is_flagged_without_a_body),
		cmocka_unit_test(upgrade_needs_both_connection_and_upgrade),
		cmocka_unit_test(framing_violations_are_refused_with_their_status),
		cmocka_unit_test(unknown_methods_are_refused),
		cmocka_unit_test(pipelined_requests_parse_one_after_another),
		cmocka_unit_test(response_with_content_length),
		cmocka_unit_test(chunked_response_decodes),
		cmocka_unit_test(response_without_length_reads_to_close),
		cmocka_unit_test(bodiless_statuses_have_no_body_despite_content_length),
		cmocka_unit_test(response_to_head_has_no_body),
		cmocka_unit_test(reset_after_head_response_expects_a_body_again),
		cmocka_unit_test(eof_inside_a_body_is_a_502_error),
		cmocka_unit_test(response_with_unsupported_transfer_encoding_is_502),
		cmocka_unit_test(get_and_count_ignore_case),
		cmocka_unit_test(add_copies_and_keeps_order_past_growth),
		cmocka_unit_test(remove_drops_every_match),
		cmocka_unit_test(set_replaces_every_match_by_one),
		cmocka_unit_test(has_token_reads_comma_lists_in_every_field),
		cmocka_unit_test(serialize_writes_start_line_fields_and_empty_line),
		cmocka_unit_test(serialized_request_parses_back_the_same),
		cmocka_unit_test(trailing_whitespace_is_not_part_of_a_field_value),
		cmocka_unit_test(feeding_zero_body_bytes_is_not_end_of_input),
		cmocka_unit_test(chunked_framing_without_crlf_is_a_body_error),
		cmocka_unit_test(trailer_section_follows_the_head_rules),
		cmocka_unit_test(version_must_be_spelled_http),
		cmocka_unit_test(malformed_responses_answer_502),
		cmocka_unit_test(head_size_matches_the_serialized_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
