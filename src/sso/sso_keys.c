/*
 * sso_keys.c - the gateway's symmetric keys and the logout CSRF token.
 *
 * One file of key material (session_key_file) yields one key per purpose
 * through HKDF (sg_key_derive), so a value sealed for one use can never be
 * opened as another and the file itself is never used as a key.  Without a
 * file every key is random: fine for one gateway whose logins need not
 * survive a restart (conf_check.c insists on a file for state_dir and
 * redis).  The file's bytes are never logged or put in a message.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sso.h"

/* Key material below this is too weak to derive keys from. */
#define SSO_KEY_MATERIAL_MIN 32

/* The HKDF labels; changing one invalidates every value sealed under it. */
static const char *const key_labels[] = {
	"ssogw state", "ssogw login", "ssogw post", "ssogw csrf", "ssogw tokens",
};

/* The keys of k in the order of key_labels. */
static uint8_t *
sso_key_slot(struct sg_sso_keys *k, size_t i)
{
	uint8_t *slots[] = { k->state, k->login, k->post, k->csrf, k->tokens };

	return slots[i];
}

/* Reads the file and derives every key; a single trailing newline (an
 * editor's) is not key material. */
static int
sso_keys_from_file(const char *path, struct sg_sso_keys *k, struct sg_errlist *errs)
{
	size_t got = 0, len;
	char *m = sg_read_file(path, SG_CONF_SECRET_MAX, &got);
	int rc = -1;

	if (m == NULL) {
		sg_errlist_add(errs, "session_key_file %s: cannot read: %s", path,
		               errno == EFBIG ? "file too large" : strerror(errno));
		return -1;
	}
	len = got;
	if (len > 0 && m[len - 1] == '\n')
		len--;
	if (len > 0 && m[len - 1] == '\r')
		len--;
	if (len < SSO_KEY_MATERIAL_MIN) {
		sg_errlist_add(errs,
		               "session_key_file %s: holds %zu bytes of key material, at least %d "
		               "are needed (e.g. openssl rand -base64 48 > FILE)",
		               path, len, SSO_KEY_MATERIAL_MIN);
		goto out;
	}
	for (size_t i = 0; i < SG_NELEM(key_labels); i++)
		sg_key_derive(m, len, key_labels[i], sso_key_slot(k, i));
	rc = 0;
out:
	/* Binary key material may hold NULs: wipe by length, not strlen. */
	sg_wipe(m, got);
	free(m);
	return rc;
}

/* Loads or makes the keys; on failure k holds nothing usable (zeros). */
int
sg_sso_keys_load(const struct sg_conf *c, struct sg_sso_keys *k, struct sg_errlist *errs)
{
	const char *path = c->session.session_key_file;

	if (path == NULL) {
		for (size_t i = 0; i < SG_NELEM(key_labels); i++)
			sg_csprng(sso_key_slot(k, i), SG_KEY_LEN);
		return 0;
	}
	if (sso_keys_from_file(path, k, errs) == -1) {
		sg_wipe(k, sizeof(*k));
		return -1;
	}
	return 0;
}

/* HMAC-SHA256(key, "logout" || skey), base64url: bound to one session and
 * to this purpose, so neither a session id nor another MAC stands in. */
static void
sso_csrf_mac(const uint8_t key[SG_KEY_LEN], const uint8_t *skey, struct sg_buf *out)
{
	uint8_t msg[6 + SG_SHA256_LEN], mac[SG_SHA256_LEN];

	memcpy(msg, "logout", 6);
	memcpy(msg + 6, skey, SG_SHA256_LEN);
	sg_hmac_sha256(key, msg, sizeof(msg), mac);
	sg_base64url_encode(mac, sizeof(mac), out);
	sg_wipe(mac, sizeof(mac));
	sg_wipe(msg, sizeof(msg));
}

/* The token is derived, not stored: any worker can check it. */
const char *
sg_sso_csrf_token(const uint8_t key[SG_KEY_LEN], const uint8_t *skey, struct sg_arena *a)
{
	struct sg_buf b = { 0 };
	const char *t;

	sso_csrf_mac(key, skey, &b);
	t = sg_arena_strndup(a, b.data, b.len);
	sg_wipe(b.data, b.cap);
	sg_buf_free(&b);
	return t;
}

/* Compared in constant time so that a timing probe learns nothing. */
bool
sg_sso_csrf_ok(const uint8_t key[SG_KEY_LEN], const uint8_t *skey, const char *token)
{
	struct sg_buf b = { 0 };
	bool ok;

	if (token == NULL)
		return false;
	sso_csrf_mac(key, skey, &b);
	ok = strlen(token) == b.len && sg_ct_equal(b.data, token, b.len);
	sg_wipe(b.data, b.cap);
	sg_buf_free(&b);
	return ok;
}
