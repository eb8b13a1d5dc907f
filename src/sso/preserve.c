/*
 * preserve.c - keeping a form POST across a login.  A browser whose
 * session ran out while it filled in a form would lose the text; instead
 * the body is sealed (AES-256-GCM under the post key, associated data
 * "ssogw-post-v1") and kept in the store, and after the login a small page
 * (sso_pages.c) posts it again.  Only form bodies qualify: they are what a
 * browser re-posts itself, and other types (JSON from scripts) should
 * simply fail and retry.  Size limits (preserve_post_max) are the
 * caller's, which reads the body; opening bounds every field again.
 *
 * The record inside the seal (lib/wire.c): a version byte, target and
 * content type as strings, the body as bytes, nothing after.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "sso.h"
#include "sso_int.h"

#define SSO_POST_AAD "ssogw-post-v1"
/* 2: lengths as lib/wire.c varints (1 had u32 lengths). */
#define SSO_POST_VERSION 2
/* Bounds when opening: a request line and a Content-Type are short; the
 * body bound only guards against a corrupt length (the seal checked it). */
#define SSO_POST_TARGET_MAX (64 * 1024)
#define SSO_POST_CTYPE_MAX 1024
#define SSO_POST_BODY_MAX (1024u * 1024 * 1024)

/* The media type of a Content-Type value (before ';', trimmed) is one of
 * the two form types, compared case-insensitively (RFC 9110 8.3.1). */
static bool
sso_form_type(const char *ct)
{
	size_t n;

	ct += strspn(ct, " \t");
	n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return (n == 33 && strncasecmp(ct, "application/x-www-form-urlencoded", n) == 0) ||
	       (n == 19 && strncasecmp(ct, "multipart/form-data", n) == 0);
}

/* One Content-Type only: two would leave the backend to pick one. */
bool
sg_sso_post_preservable(const struct sg_http_msg *m)
{
	const char *ct;

	if (!m->is_request || m->method == NULL || strcmp(m->method, "POST") != 0 ||
	    sg_http_count(m, "Content-Type") != 1)
		return false;
	ct = sg_http_get(m, "Content-Type");
	return ct != NULL && sso_form_type(ct);
}

/* The plain record is wiped: a form may hold anything, passwords too. */
void
sg_sso_post_seal(const uint8_t key[SG_KEY_LEN], const struct sg_preserved_post *p,
                 struct sg_buf *out)
{
	struct sg_buf plain = { 0 };

	sg_wire_put_u8(&plain, SSO_POST_VERSION);
	sg_wire_put_str(&plain, p->target);
	sg_wire_put_str(&plain, p->content_type);
	sg_wire_put_bytes(&plain, p->body, p->len);
	sg_seal(key, SSO_POST_AAD, plain.data, plain.len, out);
	sg_wipe(plain.data, plain.cap);
	sg_buf_free(&plain);
}

/* Strict: known version, both strings present and plain text, a form
 * content type, nothing left over. */
int
sg_sso_post_open(const uint8_t key[SG_KEY_LEN], const void *sealed, size_t n, struct sg_arena *a,
                 struct sg_preserved_post *out)
{
	struct sg_buf plain = { 0 };
	struct sg_wire_reader r;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (sg_unseal(key, SSO_POST_AAD, sealed, n, &plain) == -1)
		goto out;
	r = (struct sg_wire_reader){ (const uint8_t *)plain.data, plain.len, false };
	if (sg_wire_get_u8(&r) != SSO_POST_VERSION)
		goto out;
	out->target = sg_wire_get_str(&r, SSO_POST_TARGET_MAX, a);
	out->content_type = sg_wire_get_str(&r, SSO_POST_CTYPE_MAX, a);
	out->body = sg_wire_get_bytes(&r, SSO_POST_BODY_MAX, &out->len, a);
	if (!sg_wire_done(&r) || out->target == NULL || *out->target == '\0' ||
	    out->content_type == NULL || !sso_form_type(out->content_type))
		goto out;
	for (const char *s = out->target; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == 0x7f)
			goto out;
	for (const char *s = out->content_type; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			goto out;
	rc = 0;
out:
	if (rc == -1)
		memset(out, 0, sizeof(*out));
	if (plain.data != NULL)
		sg_wipe(plain.data, plain.cap);
	sg_buf_free(&plain);
	return rc;
}
