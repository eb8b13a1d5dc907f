/*
 * t_cookie.c - the cookie and form helpers of src/http/cookie.c: reading
 * Cookie fields (RFC 6265 5.4, 4.2.1) as browsers and sloppier clients
 * send them, removing the gateway's own cookies without disturbing the
 * rest, and reading application/x-www-form-urlencoded text.
 *
 * Each case builds a request with the Cookie fields it needs; an arena per
 * case holds everything and goes at the end.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http.h"
#include "lib.h"
#include "unit.h"

/* ---- fixtures ---- */

/* A request with the given Cookie field values (NULL-terminated list). */
static struct sg_http_msg *
req_with(struct sg_arena *a, const char *const *cookies)
{
	struct sg_http_msg *m = sg_arena_alloc(a, sizeof(*m));

	memset(m, 0, sizeof(*m));
	m->is_request = true;
	m->method = "GET";
	m->target = "/";
	sg_http_add(m, a, "Host", "a.example");
	for (size_t i = 0; cookies[i] != NULL; i++)
		sg_http_add(m, a, "Cookie", cookies[i]);
	sg_http_add(m, a, "Accept", "*/*");
	return m;
}

/* Collects "name=value|" for every pair sg_http_cookie_each reports. */
static void
collect_cb(const char *name, size_t nlen, const char *value, size_t vlen, void *arg)
{
	sg_buf_printf(arg, "%.*s=%.*s|", (int)nlen, name, (int)vlen, value);
}

static void
assert_each(const struct sg_http_msg *m, const char *want)
{
	struct sg_buf b = { 0 };

	sg_http_cookie_each(m, collect_cb, &b);
	assert_string_equal(b.len ? b.data : "", want);
	sg_buf_free(&b);
}

/* The fields of m as "Name: value\n" lines. */
static void
assert_fields(const struct sg_http_msg *m, const char *want)
{
	struct sg_buf b = { 0 };

	for (size_t i = 0; i < m->nh; i++)
		sg_buf_printf(&b, "%s: %s\n", m->h[i].name, m->h[i].value);
	assert_string_equal(b.len ? b.data : "", want);
	sg_buf_free(&b);
}

/* ---- reading cookies ---- */

/* The browser's form, "; " between pairs. */
static void
browser_form_is_read(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ "a=1; b=2; c=3", NULL });

	assert_string_equal(sg_http_cookie_get(m, "a", a), "1");
	assert_string_equal(sg_http_cookie_get(m, "b", a), "2");
	assert_string_equal(sg_http_cookie_get(m, "c", a), "3");
	assert_null(sg_http_cookie_get(m, "d", a));
	assert_each(m, "a=1|b=2|c=3|");
}

/* No spaces, extra spaces and tabs, trailing and doubled separators. */
static void
spacing_is_tolerated(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ "a=1;b=2 ;  c = 3\t;;\td=4;", NULL });

	assert_each(m, "a=1|b=2|c=3|d=4|");
	assert_string_equal(sg_http_cookie_get(m, "c", a), "3");
}

/* Several Cookie fields (HTTP/2 gateways, odd clients) read as one list. */
static void
several_fields_are_read_in_order(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m =
	    req_with(a, (const char *[]){ "a=1; b=2", "c=3", "d=4; a=5", NULL });

	assert_each(m, "a=1|b=2|c=3|d=4|a=5|");
	assert_string_equal(sg_http_cookie_get(m, "d", a), "4");
}

/* Only the name of a field decides, in any case. */
static void
field_name_is_case_insensitive(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ NULL });

	sg_http_add(m, a, "cOOKIE", "x=1");
	sg_http_add(m, a, "Set-Cookie", "y=2");
	sg_http_add(m, a, "Cookies", "z=3");
	assert_each(m, "x=1|");
}

/* An empty value is a value: present, and "". */
static void
empty_value_is_present(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ "a=; b=2; c=", NULL });

	assert_string_equal(sg_http_cookie_get(m, "a", a), "");
	assert_string_equal(sg_http_cookie_get(m, "c", a), "");
	assert_each(m, "a=|b=2|c=|");
}

/* The first '=' splits; the rest belong to the value (base64 padding). */
static void
equals_sign_in_value_is_kept(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ "t=YWJj==; u=a=b=c", NULL });

	assert_string_equal(sg_http_cookie_get(m, "t", a), "YWJj==");
	assert_string_equal(sg_http_cookie_get(m, "u", a), "a=b=c");
}

/* Repeated names: the first one wins, each reports both. */
static void
first_of_duplicate_names_wins(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ "s=first; x=1", "s=second", NULL });

	assert_string_equal(sg_http_cookie_get(m, "s", a), "first");
	assert_each(m, "s=first|x=1|s=second|");
}

/* A pair without '=' or without a name is no cookie we can name. */
static void
pairs_without_equals_or_name_are_skipped(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ "lonely; =v; a=1; b", NULL });

	assert_each(m, "a=1|");
	assert_null(sg_http_cookie_get(m, "lonely", a));
	assert_null(sg_http_cookie_get(m, "", a));
	assert_null(sg_http_cookie_get(m, "b", a));
}

/* Names compare exactly: case and prefixes matter. */
static void
names_compare_exactly(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ "Sess=1; sess_x=2", NULL });

	assert_null(sg_http_cookie_get(m, "sess", a));
	assert_null(sg_http_cookie_get(m, "Ses", a));
	assert_string_equal(sg_http_cookie_get(m, "Sess", a), "1");
	assert_string_equal(sg_http_cookie_get(m, "sess_x", a), "2");
}

/* Quotes are part of the value (documented in cookie.c). */
static void
quoted_value_is_kept_as_sent(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ "q=\"a b\"; r=\"\"", NULL });

	assert_string_equal(sg_http_cookie_get(m, "q", a), "\"a b\"");
	assert_string_equal(sg_http_cookie_get(m, "r", a), "\"\"");
}

/* No Cookie field, or an empty or blank one. */
static void
missing_or_empty_fields_hold_nothing(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ "", " ", ";", NULL });

	assert_each(m, "");
	assert_null(sg_http_cookie_get(m, "a", a));
	m = req_with(a, (const char *[]){ NULL });
	assert_null(sg_http_cookie_get(m, "a", a));
}

/* ---- stripping ---- */

/* The other pairs stay byte for byte, joined with "; ". */
static void
strip_keeps_other_pairs_byte_for_byte(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(
	    a, (const char *[]){ "JSESSIONID=abc;sso=XYZ;  theme = \"dark\" ;odd;x=a=b", NULL });

	assert_int_equal(sg_http_cookie_strip(m, a, "sso", NULL), 1);
	assert_fields(m, "Host: a.example\n"
	                 "Cookie: JSESSIONID=abc; theme = \"dark\"; odd; x=a=b\n"
	                 "Accept: */*\n");
}

/* A field that loses nothing is not rewritten at all. */
static void
strip_leaves_untouched_fields_alone(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ "a=1;;b=2 ", "sso=1", NULL });
	const char *before = m->h[1].value;

	assert_int_equal(sg_http_cookie_strip(m, a, "sso", NULL), 1);
	assert_ptr_equal(m->h[1].value, before);
	assert_fields(m, "Host: a.example\nCookie: a=1;;b=2 \nAccept: */*\n");
}

/* A field left empty goes; the others keep their order. */
static void
strip_drops_emptied_fields(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m =
	    req_with(a, (const char *[]){ "sso=1; sso_login_A=2", "k=v", "sso_login_B=3", NULL });

	assert_int_equal(sg_http_cookie_strip(m, a, "sso", "sso_login_"), 3);
	assert_fields(m, "Host: a.example\nCookie: k=v\nAccept: */*\n");
}

/* Name and prefix together; every duplicate goes; near misses stay. */
static void
strip_by_name_and_prefix(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(
	    a,
	    (const char *[]){ "sso=1; SSO=2; sso_login_x=3; sso_loginx=4; ssox=5; sso=6", NULL });

	assert_int_equal(sg_http_cookie_strip(m, a, "sso", "sso_login_"), 3);
	assert_fields(m, "Host: a.example\nCookie: SSO=2; sso_loginx=4; ssox=5\nAccept: */*\n");
}

/* Nothing to strip: nothing changes, and a NULL prefix is no prefix. */
static void
strip_without_matches_changes_nothing(void **state)
{
	struct sg_arena *a = *state;
	struct sg_http_msg *m = req_with(a, (const char *[]){ "a=1", NULL });

	assert_int_equal(sg_http_cookie_strip(m, a, "sso", NULL), 0);
	assert_int_equal(sg_http_cookie_strip(m, a, "sso", ""), 0);
	assert_fields(m, "Host: a.example\nCookie: a=1\nAccept: */*\n");
}

/* ---- forms ---- */

/* '+' is a space and %XX a byte, in names and values. */
static void
form_decodes_plus_and_percent(void **state)
{
	struct sg_arena *a = *state;
	const char *f = "a=1&b=x+y%20z&c%5Fd=%3d%26%2B&e=%C3%A9";

	assert_string_equal(sg_http_form_get(f, strlen(f), "a", a), "1");
	assert_string_equal(sg_http_form_get(f, strlen(f), "b", a), "x y z");
	assert_string_equal(sg_http_form_get(f, strlen(f), "c_d", a), "=&+");
	assert_string_equal(sg_http_form_get(f, strlen(f), "e", a), "\xc3\xa9");
	assert_null(sg_http_form_get(f, strlen(f), "c%5Fd", a));
	assert_null(sg_http_form_get(f, strlen(f), "z", a));
}

/* A stray or short '%', bad hex digits or a decoded NUL are refused. */
static void
form_refuses_bad_encoding(void **state)
{
	struct sg_arena *a = *state;
	static const char *const bad[] = { "v=%",   "v=%4",    "v=%zz", "v=a%g1",
		                           "v=%00", "v=a%00b", "v=50%", "v=%%41" };

	for (size_t i = 0; i < SG_NELEM(bad); i++)
		assert_null(sg_http_form_get(bad[i], strlen(bad[i]), "v", a));
}

/* A raw NUL inside the text is refused too. */
static void
form_refuses_raw_nul(void **state)
{
	struct sg_arena *a = *state;
	static const char f[] = "v=a\0b&w=1";

	assert_null(sg_http_form_get(f, sizeof(f) - 1, "v", a));
	assert_string_equal(sg_http_form_get(f, sizeof(f) - 1, "w", a), "1");
}

/* Repeated names: the first decides, even when it is the bad one. */
static void
form_first_of_repeated_names_decides(void **state)
{
	struct sg_arena *a = *state;
	const char *f = "x=1&x=2", *g = "x=%&x=2";

	assert_string_equal(sg_http_form_get(f, strlen(f), "x", a), "1");
	assert_null(sg_http_form_get(g, strlen(g), "x", a));
}

/* Empty values, names without '=', empty pairs, and only len bytes read. */
static void
form_edges(void **state)
{
	struct sg_arena *a = *state;
	const char *f = "&&a=&b&=z&c=3&d=4";

	assert_string_equal(sg_http_form_get(f, strlen(f), "a", a), "");
	assert_string_equal(sg_http_form_get(f, strlen(f), "b", a), "");
	assert_string_equal(sg_http_form_get(f, strlen(f), "", a), "z");
	assert_string_equal(sg_http_form_get(f, strlen(f) - 4, "c", a), "3");
	assert_null(sg_http_form_get(f, strlen(f) - 4, "d", a));
	assert_string_equal(sg_http_form_get(f, strlen(f) - 5, "c", a), "");
	assert_null(sg_http_form_get("", 0, "a", a));
	/* Names are exact: no case folding, no trimming. */
	assert_null(sg_http_form_get("A=1", 3, "a", a));
	assert_null(sg_http_form_get(" a=1", 4, "a", a));
}

/* The query of a request target. */
static void
target_query(void **state)
{
	(void)state;
	assert_string_equal(sg_http_target_query("/x?a=1&b"), "a=1&b");
	assert_string_equal(sg_http_target_query("/x?"), "");
	assert_string_equal(sg_http_target_query("/x"), "");
	assert_string_equal(sg_http_target_query("/x?a?b"), "a?b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(browser_form_is_read, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(spacing_is_tolerated, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(several_fields_are_read_in_order, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(field_name_is_case_insensitive, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(empty_value_is_present, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(equals_sign_in_value_is_kept, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(first_of_duplicate_names_wins, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(pairs_without_equals_or_name_are_skipped,
		                                unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(names_compare_exactly, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(quoted_value_is_kept_as_sent, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(missing_or_empty_fields_hold_nothing,
		                                unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(strip_keeps_other_pairs_byte_for_byte,
		                                unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(strip_leaves_untouched_fields_alone,
		                                unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(strip_drops_emptied_fields, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(strip_by_name_and_prefix, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(strip_without_matches_changes_nothing,
		                                unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(form_decodes_plus_and_percent, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(form_refuses_bad_encoding, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(form_refuses_raw_nul, unit_arena_setup,
		                                unit_arena_teardown),
		cmocka_unit_test_setup_teardown(form_first_of_repeated_names_decides,
		                                unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test_setup_teardown(form_edges, unit_arena_setup, unit_arena_teardown),
		cmocka_unit_test(target_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
