/*
 * http.h - HTTP/1.1 without sockets: the message model, the head scanner
 * and the http-parser wrapper (RFC 9112 framing), header-list helpers, and
 * parsing the absolute base URLs that configuration names.  Everything here
 * works on bytes in memory; net/ moves the bytes.
 */
#ifndef SG_HTTP_H
#define SG_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* ---- messages (message.c, http_parse.c) ---- */

enum sg_http_framing {
	SG_BODY_NONE,     /* no body */
	SG_BODY_LENGTH,   /* Content-Length bytes */
	SG_BODY_CHUNKED,  /* chunked transfer coding */
	SG_BODY_TO_CLOSE, /* a response delimited by the connection's end */
};

struct sg_http_header {
	const char *name; /* as received; compare case-insensitively */
	const char *value;
};

/* A parsed request or response head; strings live in the caller's arena. */
struct sg_http_msg {
	bool is_request;
	const char *method; /* requests: "GET" */
	const char *target; /* requests: the request-target, byte for byte */
	int status;         /* responses */
	const char *reason; /* responses */
	unsigned major, minor;
	struct sg_http_header *h;
	size_t nh, cap;
	enum sg_http_framing framing;
	uint64_t content_length; /* SG_BODY_LENGTH */
	bool keep_alive;         /* the sender is willing to keep the connection */
	bool upgrade;            /* Connection: upgrade with an Upgrade header */
	bool expect_continue;    /* Expect: 100-continue */
};

/* Limits for one head (RFC 9112 2.3, 3, 5): status codes say which broke. */
struct sg_http_limits {
	size_t max_line;    /* request line: 414 past it (responses: 502) */
	size_t max_head;    /* all of the head: 431 */
	size_t max_headers; /* header fields: 431 */
};

/*
 * Finds the end of a message head at the start of buf.  Returns its length
 * (through the empty line) once complete, 0 while more bytes are needed, or
 * -1 with err->code 400, 414 or 431 as soon as the bytes seen already break
 * RFC 9112 or a limit: bare CR or LF, NUL, obs-fold, white space before a
 * colon, a bad field name or value character.  Leading empty lines before
 * a request line are part of the head (RFC 9112 2.2).
 */
ssize_t sg_http_head_scan(const char *buf, size_t len, bool request,
                          const struct sg_http_limits *lim, struct sg_err *err);

/* The incremental parser for one message at a time (wraps http-parser). */
struct sg_http_parser;
struct sg_http_parser *sg_http_parser_new(bool request);
void sg_http_parser_free(struct sg_http_parser *p);
/* Resets for the next message.  no_body: a response to HEAD (RFC 9110 9.3.2). */
void sg_http_parser_reset(struct sg_http_parser *p, bool no_body);

/*
 * Parses a head that sg_http_head_scan accepted into m (allocating from a)
 * and checks the framing rules: Content-Length with Transfer-Encoding, more
 * than one Content-Length, a Transfer-Encoding other than one final
 * "chunked", a missing or repeated Host, an unsupported version.  0, or -1
 * with err->code the status to answer (400, 501, 505).
 */
int sg_http_parser_head(struct sg_http_parser *p, const char *head, size_t len, struct sg_arena *a,
                        struct sg_http_msg *m, struct sg_err *err);

typedef void (*sg_http_data_cb)(const char *data, size_t len, void *arg);
enum sg_http_body_rc { SG_BODY_MORE, SG_BODY_DONE, SG_BODY_ERROR };
/*
 * Feeds body bytes: the decoded payload goes to cb, *used says how many
 * bytes were consumed (bytes after the message's end are left alone).
 * Returns SG_BODY_DONE at the end of the message.
 */
enum sg_http_body_rc sg_http_parser_body(struct sg_http_parser *p, const char *data, size_t len,
                                         size_t *used, sg_http_data_cb cb, void *arg,
                                         struct sg_err *err);
/* The connection ended: completes a to-close body, else an error. */
enum sg_http_body_rc sg_http_parser_eof(struct sg_http_parser *p, struct sg_err *err);

/* What the connection knows about the client, for X-Forwarded-* and logs. */
struct sg_client_info {
	const char *addr; /* numeric address, no brackets */
	bool addr_is_v6;
	bool tls;     /* arrived on an HTTPS listener */
	bool trusted; /* in trusted_proxies: its forwarding fields are kept */
};

/* ---- status pages (pages.c) ---- */

/* Appends s (NULL: nothing) with & < > " ' as numeric references and
 * control bytes as '?', safe in element text and quoted attributes. */
void sg_http_html_escape(struct sg_buf *b, const char *s);
/* Appends n bytes of s percent-encoded (RFC 3986 2.1, upper-case hex),
 * keeping the unreserved characters and those in keep ("" or "/"). */
void sg_http_percent_encode(struct sg_buf *b, const char *s, size_t n, const char *keep);
/* The reason phrase of status (RFC 9110 15), "Unknown" for others. */
const char *sg_http_reason(int status);
/*
 * Fills resp (allocating from a) with a complete small response for status:
 * an HTML page, or JSON when the request's Accept prefers it, naming the
 * reason in plain words.  detail is shown to the client: never put a secret
 * or internal address in it.
 */
void sg_http_error_response(const struct sg_http_msg *req, int status, const char *detail,
                            struct sg_arena *a, struct sg_http_msg *resp, struct sg_buf *body);

/* ---- header lists (headers.c) ---- */

/* The first value of field name, or NULL. */
const char *sg_http_get(const struct sg_http_msg *m, const char *name);
/* How many fields are named name. */
size_t sg_http_count(const struct sg_http_msg *m, const char *name);
/* Appends a field (strings copied into a). */
void sg_http_add(struct sg_http_msg *m, struct sg_arena *a, const char *name, const char *value);
/* Removes every field named name; returns how many went. */
size_t sg_http_remove(struct sg_http_msg *m, const char *name);
/* Replaces every field named name by one with value. */
void sg_http_set(struct sg_http_msg *m, struct sg_arena *a, const char *name, const char *value);
/* The next element of a comma-separated list (RFC 9110 5.6.1) at or after
 * s, with *n its length without surrounding white space; NULL at the end.
 * Step on with s + *n. */
const char *sg_http_next_element(const char *s, size_t *n);
/* True when a comma-separated list field holds token (case-insensitive),
 * looking at every field of that name (RFC 9110 5.6.1). */
bool sg_http_has_token(const struct sg_http_msg *m, const char *name, const char *token);
/* ---- cookies and forms (cookie.c) ---- */

/* The value of cookie name in m's Cookie fields (RFC 6265 5.4), in a;
 * NULL if absent.  The first one wins when it is repeated. */
const char *sg_http_cookie_get(const struct sg_http_msg *m, const char *name, struct sg_arena *a);
typedef void (*sg_http_cookie_cb)(const char *name, size_t nlen, const char *value, size_t vlen,
                                  void *arg);
/* Calls cb for every name=value pair of m's Cookie fields, in order. */
void sg_http_cookie_each(const struct sg_http_msg *m, sg_http_cookie_cb cb, void *arg);
/* Removes the cookies named name, or whose name starts with prefix (may be
 * NULL), from m's Cookie fields, keeping every other pair as it was; a
 * field left empty goes.  Returns how many pairs were removed. */
size_t sg_http_cookie_strip(struct sg_http_msg *m, struct sg_arena *a, const char *name,
                            const char *prefix);
/* The decoded value of name in application/x-www-form-urlencoded text (a
 * query or a body): '+' is a space, %XX is decoded.  NULL when absent or
 * badly encoded (a stray '%', a decoded NUL).  In a. */
const char *sg_http_form_get(const char *form, size_t len, const char *name, struct sg_arena *a);
/* The query part of a request target (after '?'), or "". */
const char *sg_http_target_query(const char *target);

/* The size in bytes of the head sg_http_serialize_head would write. */
size_t sg_http_head_size(const struct sg_http_msg *m);
/* Appends the head of m (request or status line, fields, empty line). */
void sg_http_serialize_head(const struct sg_http_msg *m, struct sg_buf *out);

#endif
