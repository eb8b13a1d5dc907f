/*
 * sso_pages.c - the two small pages the gateway shows around a login: the
 * one that replays a preserved POST, and the logout confirmation.  Each is
 * self-contained UTF-8 HTML with no external resources, so it works under
 * a strict Content-Security-Policy (the only script carries the nonce the
 * caller put in the header).  Every interpolated value is escaped for both
 * text and quoted attributes.
 *
 * Form fields the gateway's endpoints read back: the replay form posts
 * "ref"; the logout form posts "csrf" and, when given, "return".
 */
#include "config.h"

#include <string.h>

#include "sso.h"

/* The head every page shares. */
static void
sso_page_head(struct sg_buf *out, const char *title)
{
	sg_buf_puts(out,
	            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	            "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	sg_http_html_escape(out, title);
	sg_buf_puts(out, "</title>\n</head>\n<body>\n");
}

/* Scripts submit at once; without them the button does the same. */
void
sg_sso_replay_page(const char *action, const char *ref, const char *nonce, struct sg_buf *out)
{
	sso_page_head(out, "Continuing");
	sg_buf_puts(out, "<form id=\"ssogw-replay\" method=\"post\" action=\"");
	sg_http_html_escape(out, action);
	sg_buf_puts(out, "\">\n<input type=\"hidden\" name=\"ref\" value=\"");
	sg_http_html_escape(out, ref);
	sg_buf_puts(out, "\">\n<noscript>\n<p>You are signed in. Continue to send the form you "
	                 "were filling in.</p>\n<button type=\"submit\">Continue</button>\n"
	                 "</noscript>\n</form>\n<script nonce=\"");
	sg_http_html_escape(out, nonce);
	sg_buf_puts(out, "\">document.getElementById(\"ssogw-replay\").submit();</script>\n"
	                 "</body>\n</html>\n");
}

/* A GET never signs out: only this form's POST with the token does. */
void
sg_sso_logout_page(const char *action, const char *token, const char *return_url,
                   struct sg_buf *out)
{
	sso_page_head(out, "Sign out?");
	sg_buf_puts(out, "<h1>Sign out?</h1>\n<form method=\"post\" action=\"");
	sg_http_html_escape(out, action);
	sg_buf_puts(out, "\">\n<input type=\"hidden\" name=\"csrf\" value=\"");
	sg_http_html_escape(out, token);
	sg_buf_puts(out, "\">\n");
	if (return_url != NULL) {
		sg_buf_puts(out, "<input type=\"hidden\" name=\"return\" value=\"");
		sg_http_html_escape(out, return_url);
		sg_buf_puts(out, "\">\n");
	}
	sg_buf_puts(out, "<button type=\"submit\">Sign out</button>\n</form>\n</body>\n</html>\n");
}
