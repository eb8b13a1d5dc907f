/*
 * sso_pages.c - the small pages the gateway shows around a login: the one
 * that replays a preserved POST, the identity-provider chooser, the one
 * that posts a SAML message to the IdP, and the logout confirmation.  Each is
 * self-contained UTF-8 HTML with no external resources, so it works under
 * a strict Content-Security-Policy (the only script carries the nonce the
 * caller put in the header).  Every interpolated value is escaped for both
 * text and quoted attributes.
 *
 * Form fields the gateway's endpoints read back: the replay form posts
 * "ref"; the chooser sends "ref" with "idp" or "email"; the logout form
 * posts "csrf" and, when given, "return".
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

/* A hidden field. */
static void
sso_hidden(struct sg_buf *out, const char *name, const char *value)
{
	sg_buf_puts(out, "<input type=\"hidden\" name=\"");
	sg_http_html_escape(out, name);
	sg_buf_puts(out, "\" value=\"");
	sg_http_html_escape(out, value);
	sg_buf_puts(out, "\">\n");
}

/* GET forms: the choice is in the URL, which is all the next step needs
 * (the login itself is in the sealed cookie that ref names). */
void
sg_sso_chooser_page(const char *action, const char *ref, const struct sg_sso_choice *c, size_t n,
                    bool by_email, const char *notice, struct sg_buf *out)
{
	sso_page_head(out, "Sign in");
	sg_buf_puts(out, "<h1>Sign in</h1>\n");
	if (notice != NULL) {
		sg_buf_puts(out, "<p>");
		sg_http_html_escape(out, notice);
		sg_buf_puts(out, "</p>\n");
	}
	if (by_email) {
		sg_buf_puts(out, "<form method=\"get\" action=\"");
		sg_http_html_escape(out, action);
		sg_buf_puts(out, "\">\n");
		sso_hidden(out, "ref", ref);
		sg_buf_puts(out, "<label>Email address <input type=\"email\" name=\"email\" "
		                 "autocomplete=\"username\" required></label>\n"
		                 "<button type=\"submit\">Continue</button>\n</form>\n"
		                 "<p>Or choose:</p>\n");
	}
	sg_buf_puts(out, "<form method=\"get\" action=\"");
	sg_http_html_escape(out, action);
	sg_buf_puts(out, "\">\n");
	sso_hidden(out, "ref", ref);
	for (size_t i = 0; i < n; i++) {
		sg_buf_puts(out, "<p><button type=\"submit\" name=\"idp\" value=\"");
		sg_http_html_escape(out, c[i].name);
		sg_buf_puts(out, "\">");
		sg_http_html_escape(out, c[i].label);
		sg_buf_puts(out, "</button></p>\n");
	}
	sg_buf_puts(out, "</form>\n</body>\n</html>\n");
}

/* Scripts submit at once; without them the button does the same. */
void
sg_sso_autopost_page(const char *action, const struct sg_sso_field *fields, size_t n,
                     const char *nonce, const char *message, struct sg_buf *out)
{
	sso_page_head(out, "Continuing");
	sg_buf_puts(out, "<form id=\"ssogw-post\" method=\"post\" action=\"");
	sg_http_html_escape(out, action);
	sg_buf_puts(out, "\">\n");
	for (size_t i = 0; i < n; i++)
		if (fields[i].value != NULL)
			sso_hidden(out, fields[i].name, fields[i].value);
	sg_buf_puts(out, "<noscript>\n<p>");
	sg_http_html_escape(out, message);
	sg_buf_puts(out, "</p>\n<button type=\"submit\">Continue</button>\n</noscript>\n</form>\n"
	                 "<script nonce=\"");
	sg_http_html_escape(out, nonce);
	sg_buf_puts(out, "\">document.getElementById(\"ssogw-post\").submit();</script>\n"
	                 "</body>\n</html>\n");
}
