/*
 * fuzz_cookie.c - libFuzzer target for the cookie and form helpers that
 * read untrusted Cookie fields, queries and bodies: parsing never reads
 * past its input, and once the gateway's own cookies are stripped no pair
 * with their names is left for the backend to see.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "ssogw_session"
#define PREFIX "ssogw_session_login_"

/* Aborts on a pair that should have been stripped. */
static void
no_gateway_cookie(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	(void)value;
	(void)vlen;
	(void)arg;
	if ((nlen == strlen(NAME) && memcmp(name, NAME, nlen) == 0) ||
	    (nlen >= strlen(PREFIX) && memcmp(name, PREFIX, strlen(PREFIX)) == 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_http_msg m = { 0 };
	char *s = malloc(size + 1);
	const char *v;

	memcpy(s, data, size);
	s[size] = '\0';
	/* The same bytes as two Cookie fields, a form and a target. */
	sg_http_add(&m, a, "Cookie", s);
	sg_http_add(&m, a, "Cookie", s + size / 2);
	v = sg_http_cookie_get(&m, NAME, a);
	if (v != NULL && strlen(v) > size)
		abort();
	sg_http_cookie_strip(&m, a, NAME, PREFIX);
	sg_http_cookie_each(&m, no_gateway_cookie, NULL);
	if (sg_http_cookie_get(&m, NAME, a) != NULL)
		abort();
	v = sg_http_form_get(s, size, "ref", a);
	if (v != NULL && strlen(v) > size)
		abort();
	v = sg_http_target_query(s);
	if (v == NULL || strlen(v) > strlen(s))
		abort();
	free(s);
	sg_arena_free(a);
	return 0;
}
