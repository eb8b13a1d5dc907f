/*
 * t_canon.c - sg_gate_canonical_path against a table of tricky request
 * targets: the path Tomcat 10 maps (path parameters removed per segment,
 * percent-escapes decoded, "//" merged, dot segments resolved), and what
 * Tomcat refuses by default (encoded '/' or '\', '\', NUL, ".." above the
 * root, bad escapes, invalid UTF-8) refused with 400.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gate.h"

struct canon_case {
	const char *target;
	const char *want; /* NULL: refused with 400 */
};

static const struct canon_case cases[] = {
	{ "/", "/" },
	{ "/secure/admin", "/secure/admin" },
	{ "/secure/admin;x=y/", "/secure/admin/" },
	{ "/s/../secure/admin", "/secure/admin" },
	{ "/%2e%2e/secure/admin", NULL },
	{ "//secure/admin", "/secure/admin" },
	{ "/SECURE/admin", "/SECURE/admin" },
	{ "/public/%2e%2e%2fsecure", NULL },
	{ "/public/..%2Fsecure", NULL },
	{ "/a/./b", "/a/b" },
	{ "/a/%2E/b", "/a/b" },
	{ "/a/%2e%2e/b", "/b" },
	{ "/a/b/..", "/a/" },
	{ "/a/b/.", "/a/b/" },
	{ "/a;p/b;q", "/a/b" },
	{ "/a;p=1;q=2/b", "/a/b" },
	{ "/;x/secure", "/secure" },
	{ "/secure;/admin", "/secure/admin" },
	{ "/secure/admin;jsessionid=ABC", "/secure/admin" },
	{ "/a%3Bb", "/a;b" },
	{ "/a%00b", NULL },
	{ "/a\\b", NULL },
	{ "/a%5Cb", NULL },
	{ "/a%5cb", NULL },
	{ "/a%2fb", NULL },
	{ "/secure%2Fadmin", NULL },
	{ "/%", NULL },
	{ "/%zz", NULL },
	{ "/%4", NULL },
	{ "/caf%C3%A9", "/caf\xc3\xa9" },
	{ "/%C3%28", NULL },
	{ "/%C0%AF", NULL },
	{ "/%ED%A0%80", NULL },
	{ "/%F4%90%80%80", NULL },
	{ "/\xff", NULL },
	{ "/a?b=../../x", "/a" },
	{ "/a#frag", "/a" },
	{ "/..", NULL },
	{ "/../", NULL },
	{ "/a/../..", NULL },
	{ "/a/../../b", NULL },
	{ "///", "/" },
	{ "/a//..//b", "/b" },
	{ "/.;/secure", "/secure" },
	{ "/..;/secure", NULL },
	{ "/a/..;x/b", "/b" },
	{ "/%2e/", "/" },
	{ "/a%20b", "/a b" },
	{ "/%25", "/%" },
	{ "/%252e%252e/x", "/%2e%2e/x" },
	{ "/a.", "/a." },
	{ "/..a", "/..a" },
	{ "/a/.../b", "/a/.../b" },
	{ "/secure/./admin/../admin/", "/secure/admin/" },
	{ "/public/../secure/admin", "/secure/admin" },
	{ "/public/%2e%2e/secure/admin", "/secure/admin" },
	{ "/public/.%2e/secure/admin", "/secure/admin" },
	{ "/public;/../secure", "/secure" },
	{ "relative", NULL },
};

static void
every_tricky_target_is_canonicalized_as_tomcat_does(void **state)
{
	struct sg_arena *a = sg_arena_new();
	int wrong = 0;

	(void)state;
	for (size_t i = 0; i < SG_NELEM(cases); i++) {
		struct sg_err err = { 0, "" };
		const char *out = NULL;
		int rc = sg_gate_canonical_path(cases[i].target, a, &out, &err);

		if (cases[i].want == NULL && (rc != -1 || err.code != 400)) {
			print_message("%s: got \"%s\", want a 400\n", cases[i].target,
			              out ? out : "");
			wrong++;
		} else if (cases[i].want != NULL && (rc != 0 || strcmp(out, cases[i].want) != 0)) {
			print_message("%s: got %s \"%s\", want \"%s\"\n", cases[i].target,
			              rc == 0 ? "" : err.detail, rc == 0 ? out : "", cases[i].want);
			wrong++;
		}
	}
	sg_arena_free(a);
	print_message("%zu targets\n", SG_NELEM(cases));
	assert_int_equal(wrong, 0);
}

static void
refusals_say_why(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_err err = { 0, "" };
	const char *out;

	(void)state;
	assert_int_equal(sg_gate_canonical_path("/a%2Fb", a, &out, &err), -1);
	assert_non_null(strstr(err.detail, "encoded"));
	assert_int_equal(sg_gate_canonical_path("/../x", a, &out, &err), -1);
	assert_non_null(strstr(err.detail, "above the root"));
	assert_int_equal(sg_gate_canonical_path("/%C0%AF", a, &out, &err), -1);
	assert_non_null(strstr(err.detail, "UTF-8"));
	sg_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_tricky_target_is_canonicalized_as_tomcat_does),
		cmocka_unit_test(refusals_say_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
