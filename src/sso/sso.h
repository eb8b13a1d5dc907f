/*
 * sso.h - the protocol-neutral parts of signing in and out: the cookies
 * the gateway sets, the sealed login-state cookie that carries one
 * in-flight login, the one validator for every return URL, the logout
 * CSRF token, and POST bodies kept across a login.  Pure functions over
 * the config snapshot, the request and a key: SAML and OIDC (their own
 * modules) plug their redirects and callbacks into these.
 */
#ifndef SG_SSO_H
#define SG_SSO_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "http.h"
#include "lib.h"
#include "session.h"

/* The keys derived from session_key_file (or from random bytes at start
 * when none is set), one per purpose. */
struct sg_sso_keys {
	uint8_t state[SG_KEY_LEN];  /* the memory store's state file */
	uint8_t login[SG_KEY_LEN];  /* login-state cookies */
	uint8_t post[SG_KEY_LEN];   /* preserved POST bodies */
	uint8_t csrf[SG_KEY_LEN];   /* logout CSRF tokens */
	uint8_t tokens[SG_KEY_LEN]; /* refresh tokens inside sessions */
};
/* Reads session_key_file (at least 32 bytes of key material) and derives
 * the keys; without one, random keys (logins then do not survive a
 * restart).  0, or -1 with errs. */
int sg_sso_keys_load(const struct sg_conf *c, struct sg_sso_keys *k, struct sg_errlist *errs);

/*
 * The session cookie.  Value: the 32-byte id, base64url (43 characters).
 * Attributes: Path=/; Secure; HttpOnly; SameSite=Lax, and Domain when
 * cookie_domain is set.  No Max-Age: the browser forgets it when it
 * closes; the store's timeouts decide how long it is honoured.
 */
const char *sg_sso_session_cookie(const struct sg_conf *c, const uint8_t id[SG_SESSION_ID_LEN],
                                  struct sg_arena *a);
/* The Set-Cookie value that deletes the session cookie (Max-Age=0). */
const char *sg_sso_session_cookie_clear(const struct sg_conf *c, struct sg_arena *a);
/* The session id in m's Cookie fields; false when absent or malformed
 * (then the request simply has no session). */
bool sg_sso_session_id(const struct sg_conf *c, const struct sg_http_msg *m,
                       uint8_t id[SG_SESSION_ID_LEN]);

/* One login in flight. */
struct sg_login_state {
	const char *app;        /* [app] name */
	const char *idp;        /* [idp] name */
	const char *return_url; /* where to go after the login (checked) */
	bool force_authn;       /* step-up: the IdP must authenticate again */
	bool logout;            /* not a login: a logout at the IdP (SAML SLO) */
	const char *request_id; /* SAML AuthnRequest (LogoutRequest) ID; may be NULL */
	const char *oidc_nonce; /* may be NULL */
	const char *pkce_verifier;
	const char *post_ref; /* a preserved POST (base64url store key), or NULL */
	int64_t created;      /* seconds since the epoch */
};

/* A new login reference: 22 base64url characters (8 bytes of creation time
 * in ms, big-endian, then 8 random bytes).  It names the login-state cookie
 * and is what travels through the IdP (RelayState, OIDC state). */
void sg_sso_login_ref_new(int64_t now_ms, char ref[23]);
/* The login-state cookie's name for ref: "<cookie_name>_login_<ref>". */
const char *sg_sso_login_cookie_name(const struct sg_conf *c, const char *ref, struct sg_arena *a);

/*
 * Seals ls under key (AES-256-GCM, bound to the cookie's name) and returns
 * the whole Set-Cookie value: SameSite=None (the IdP's POST to the ACS is
 * cross-site), Secure, HttpOnly, Path=/, Max-Age=login_state_ttl.
 */
const char *sg_sso_login_cookie(const struct sg_conf *c, const uint8_t key[SG_KEY_LEN],
                                const char *ref, const struct sg_login_state *ls,
                                struct sg_arena *a);
/*
 * The Set-Cookie values that delete the oldest login-state cookies m
 * carries so that, with one new cookie, at most login_state_max remain.
 * Returns the count; *out in a.
 */
size_t sg_sso_login_cookies_to_drop(const struct sg_conf *c, const struct sg_http_msg *m,
                                    struct sg_arena *a, const char ***out);
/* The Set-Cookie value that deletes ref's login-state cookie. */
const char *sg_sso_login_cookie_clear(const struct sg_conf *c, const char *ref, struct sg_arena *a);
/*
 * Opens the login-state cookie for ref from m.  -1 with err (400) when it
 * is missing ("the login took too long, or cookies are blocked"), has been
 * tampered with, was sealed under another key, or is older than
 * login_state_ttl at now.
 */
int sg_sso_login_state_open(const struct sg_conf *c, const uint8_t key[SG_KEY_LEN],
                            const struct sg_http_msg *m, const char *ref, int64_t now,
                            struct sg_arena *a, struct sg_login_state *out, struct sg_err *err);

/*
 * The one validator for every URL the gateway redirects to on someone
 * else's say (return=, RelayState, post-login): an origin-form path
 * ("/x", never "//x" or "/\x"), or an https URL whose host and port are
 * those of a configured app.  No control characters, no backslashes, no
 * userinfo.  True when url may be used.
 */
bool sg_sso_return_url_ok(const struct sg_conf *c, const char *url);

/* The logout form's CSRF token for the session with store key skey. */
const char *sg_sso_csrf_token(const uint8_t key[SG_KEY_LEN], const uint8_t *skey,
                              struct sg_arena *a);
bool sg_sso_csrf_ok(const uint8_t key[SG_KEY_LEN], const uint8_t *skey, const char *token);

/* A request body kept across a login. */
struct sg_preserved_post {
	const char *target;       /* the request target as the client sent it */
	const char *content_type; /* application/x-www-form-urlencoded or multipart/form-data */
	const void *body;
	size_t len;
};
/* True when m is a form POST that may be preserved: POST with an
 * urlencoded or multipart/form-data body. */
bool sg_sso_post_preservable(const struct sg_http_msg *m);
/* Seals p under key for the store. */
void sg_sso_post_seal(const uint8_t key[SG_KEY_LEN], const struct sg_preserved_post *p,
                      struct sg_buf *out);
/* Opens it; strings and body in a.  0 or -1. */
int sg_sso_post_open(const uint8_t key[SG_KEY_LEN], const void *sealed, size_t n,
                     struct sg_arena *a, struct sg_preserved_post *out);

/* One identity provider on the chooser page. */
struct sg_sso_choice {
	const char *name;  /* the [idp] section's name: the value sent back */
	const char *label; /* what the button says */
};
/*
 * The page where a user picks an identity provider (home-realm discovery):
 * GET forms to action carrying ref, one button per choice ("idp"), and,
 * when by_email, an email field ("email") whose domain decides.  notice,
 * when not NULL, is said above them.
 */
void sg_sso_chooser_page(const char *action, const char *ref, const struct sg_sso_choice *c,
                         size_t n, bool by_email, const char *notice, struct sg_buf *out);
/* One field of a form the browser is made to post. */
struct sg_sso_field {
	const char *name;
	const char *value; /* NULL: left out */
};
/*
 * A page that posts fields to action at once (a preserved POST's replay
 * after the login; the SAML HTTP-POST binding, bindings 3.5.4): a small
 * script with the nonce the caller puts in its Content-Security-Policy
 * submits the form; without scripts, message and a button.
 */
void sg_sso_autopost_page(const char *action, const struct sg_sso_field *fields, size_t n,
                          const char *nonce, const char *message, struct sg_buf *out);
/* The logout confirmation page: a form posting the CSRF token to action. */
void sg_sso_logout_page(const char *action, const char *token, const char *return_url,
                        struct sg_buf *out);

#endif
