/*
 * fuzz_sso.c - libFuzzer target for what a browser (or an attacker) hands
 * the sign-in code: a login-state cookie, a preserved-POST blob, a return
 * URL, a session cookie.  Sealed values must never open without the key;
 * a return URL that passes the validator is a plain path or an https URL
 * of a configured app.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "sso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sg_conf *conf;
static uint8_t key[SG_KEY_LEN];

/* A configuration with one app at https://jira.example.test; no files but
 * /etc/passwd, which every system has, as a readable stand-in. */
static void
setup(void)
{
	struct sg_errlist errs = { 0 };

	conf = sg_conf_load_string("[server]\nlisten = 127.0.0.1:8443\n"
	                           "tls_certificate = /etc/passwd\ntls_key = /etc/passwd\n"
	                           "[app jira]\nurl = https://jira.example.test\n"
	                           "backend = http://127.0.0.1:8080\n"
	                           "[idp o]\ntype = oidc\nissuer = https://idp.example.test\n"
	                           "client_id = c\nclient_secret = s\n",
	                           "fuzz.conf", "/", &errs);
	if (conf == NULL)
		abort();
	sg_csprng(key, sizeof(key));
}

/* What the validator accepted must be one of the two safe shapes. */
static void
check_return_url(const char *s)
{
	if (!sg_sso_return_url_ok(conf, s))
		return;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			abort();
	if (s[0] == '/') {
		if (s[1] == '/')
			abort();
		return;
	}
	if (strncmp(s, "https://jira.example.test", 25) != 0 &&
	    strncasecmp(s, "https://jira.example.test", 25) != 0)
		abort();
	if (s[25] != '\0' && s[25] != '/' && s[25] != '?' && s[25] != '#' && s[25] != ':')
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_http_msg m = { 0 };
	struct sg_login_state ls;
	struct sg_preserved_post post;
	struct sg_err err = { 0 };
	uint8_t id[SG_SESSION_ID_LEN];
	char *s = malloc(size + 1);
	const char *ref = "AAABojV6qzTZf4zzjql6ww";

	if (conf == NULL)
		setup();
	memcpy(s, data, size);
	s[size] = '\0';
	check_return_url(s);
	sg_http_add(&m, a, "Cookie",
	            sg_arena_printf(a, "ssogw_session=%s; ssogw_session_login_%s=%s", s, ref, s));
	if (sg_sso_login_state_open(conf, key, &m, ref, 1000000000, a, &ls, &err) == 0)
		abort(); /* forged without the key */
	if (err.code != 400)
		abort();
	if (sg_sso_post_open(key, data, size, a, &post) == 0)
		abort();
	if (sg_sso_session_id(conf, &m, id)) {
		/* Only 43 base64url characters, give or take the spaces around
		 * a cookie value, make an id (the first pair of the name wins,
		 * and its value ends at ';'). */
		const char *b = s + strspn(s, " \t");
		size_t n =
		    strspn(b, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");
		char end = b[n + strspn(b + n, " \t")];

		if (n != 43 || (end != '\0' && end != ';'))
			abort();
	}
	free(s);
	sg_arena_free(a);
	return 0;
}
