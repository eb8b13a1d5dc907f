/*
 * pages.c - the small responses the gateway writes itself: error pages in
 * HTML for browsers and JSON for API clients (Accept: application/json),
 * with the reason in one plain sentence.  The text is escaped, since a
 * detail may quote a piece of the request.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "http.h"

const char *
sg_http_reason(int status)
{
	static const struct {
		int status;
		const char *reason;
	} reasons[] = {
		{ 100, "Continue" },
		{ 101, "Switching Protocols" },
		{ 200, "OK" },
		{ 204, "No Content" },
		{ 301, "Moved Permanently" },
		{ 302, "Found" },
		{ 303, "See Other" },
		{ 304, "Not Modified" },
		{ 307, "Temporary Redirect" },
		{ 400, "Bad Request" },
		{ 401, "Unauthorized" },
		{ 403, "Forbidden" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 408, "Request Timeout" },
		{ 411, "Length Required" },
		{ 413, "Content Too Large" },
		{ 414, "URI Too Long" },
		{ 421, "Misdirected Request" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 502, "Bad Gateway" },
		{ 503, "Service Unavailable" },
		{ 504, "Gateway Timeout" },
		{ 505, "HTTP Version Not Supported" },
	};

	for (size_t i = 0; i < SG_NELEM(reasons); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

void
sg_http_html_escape(struct sg_buf *b, const char *s)
{
	for (; s != NULL && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (strchr("<>&\"'", c))
			sg_buf_printf(b, "&#%d;", c);
		else if (c < 0x20 || c == 0x7f)
			sg_buf_puts(b, "?");
		else
			sg_buf_append(b, s, 1);
	}
}

/* True when the client asked for JSON rather than a page. */
static bool
wants_json(const struct sg_http_msg *req)
{
	const char *accept = req ? sg_http_get(req, "Accept") : NULL;

	return accept != NULL && strstr(accept, "json") != NULL &&
	       strstr(accept, "text/html") == NULL;
}

void
sg_http_error_response(const struct sg_http_msg *req, int status, const char *detail,
                       struct sg_arena *a, struct sg_http_msg *resp, struct sg_buf *body)
{
	const char *reason = sg_http_reason(status);
	bool json = wants_json(req);

	memset(resp, 0, sizeof(*resp));
	resp->major = 1;
	resp->minor = 1;
	resp->status = status;
	resp->reason = reason;
	sg_buf_reset(body);
	if (json) {
		sg_buf_printf(body, "{\"status\":%d,\"error\":\"", status);
		sg_buf_json_escape(body, reason);
		sg_buf_puts(body, "\",\"detail\":\"");
		sg_buf_json_escape(body, detail);
		sg_buf_puts(body, "\"}\n");
	} else {
		sg_buf_printf(body,
		              "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
		              "<body><h1>%d %s</h1>\n<p>",
		              status, reason, status, reason);
		sg_http_html_escape(body, detail);
		sg_buf_puts(body, "</p>\n<hr><p>ssogw</p></body></html>\n");
	}
	sg_http_add(resp, a, "Content-Type",
	            json ? "application/json" : "text/html; charset=utf-8");
	sg_http_add(resp, a, "Cache-Control", "no-store");
	resp->framing = SG_BODY_LENGTH;
	resp->content_length = body->len;
}
