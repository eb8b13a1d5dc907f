/*
 * t_units.c - the value syntaxes every directive shares (lib/units.c), the
 * region allocator (lib/arena.c) and error lists (lib/errlist.c).  The value
 * parsers are table-driven: one row per spelling, good or bad.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib.h"

struct num_case {
	const char *in;
	int rc;        /* 0 or -1 */
	uint64_t want; /* when rc == 0 */
};

/* Runs parse over each row: the result, the value, and a reason on error. */
static void
check_num_cases(int (*parse)(const char *, uint64_t *, const char **), const struct num_case *c,
                size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t v = 12345;
		const char *why = NULL;
		int rc = parse(c[i].in, &v, &why);

		if (rc != c[i].rc || (rc == 0 && v != c[i].want))
			print_message("\"%s\" -> %d, %llu (%s)\n", c[i].in, rc,
			              (unsigned long long)v, why ? why : "");
		assert_int_equal(rc, c[i].rc);
		if (c[i].rc == 0)
			assert_int_equal(v, c[i].want);
		else
			assert_non_null(why);
	}
}

#define KIB 1024ULL
#define MIB (1024ULL * 1024)
#define GIB (1024ULL * 1024 * 1024)

static void
size_plain_and_units(void **state)
{
	static const struct num_case c[] = {
		{ "0", 0, 0 },
		{ "512", 0, 512 },
		{ "64k", 0, 64 * KIB },
		{ "64K", 0, 64 * KIB },
		{ "1m", 0, MIB },
		{ "1M", 0, MIB },
		{ "2g", 0, 2 * GIB },
		{ "2G", 0, 2 * GIB },
		{ "0g", 0, 0 },
		{ "007", 0, 7 },
		{ "16777215g", 0, 16777215 * GIB },
	};

	(void)state;
	check_num_cases(sg_parse_size, c, SG_NELEM(c));
}

static void
size_overflow_is_an_error(void **state)
{
	static const struct num_case c[] = {
		{ "99999999999999999999", -1, 0 },
		{ "17179869184g", -1, 0 },
		{ "18014398509481984k", -1, 0 },
		{ "17592186044416m", -1, 0 },
	};

	(void)state;
	check_num_cases(sg_parse_size, c, SG_NELEM(c));
}

static void
size_garbage_is_an_error(void **state)
{
	static const struct num_case c[] = {
		{ "12x", -1, 0 }, { "k", -1, 0 },    { "", -1, 0 },     { "-1", -1, 0 },
		{ " 1", -1, 0 },  { "1 ", -1, 0 },   { "1kb", -1, 0 },  { "1kk", -1, 0 },
		{ "+1", -1, 0 },  { "1.5m", -1, 0 }, { "0x10", -1, 0 }, { "1t", -1, 0 },
	};

	(void)state;
	check_num_cases(sg_parse_size, c, SG_NELEM(c));
}

static void
duration_single_units(void **state)
{
	static const struct num_case c[] = {
		{ "250ms", 0, 250 },   { "30s", 0, 30000 },    { "5m", 0, 300000 },
		{ "8h", 0, 28800000 }, { "7d", 0, 604800000 }, { "0s", 0, 0 },
		{ "1ms", 0, 1 },       { "90s", 0, 90000 },
	};

	(void)state;
	check_num_cases(sg_parse_duration_ms, c, SG_NELEM(c));
}

static void
duration_sums(void **state)
{
	static const struct num_case c[] = {
		{ "1h30m", 0, 5400000 },
		{ "1m30s", 0, 90000 },
		{ "1d2h3m4s5ms", 0, 93784005 },
		{ "1s500ms", 0, 1500 },
	};

	(void)state;
	check_num_cases(sg_parse_duration_ms, c, SG_NELEM(c));
}

static void
duration_bare_number_is_seconds(void **state)
{
	static const struct num_case c[] = {
		{ "30", 0, 30000 },
		{ "0", 0, 0 },
		{ "1", 0, 1000 },
	};

	(void)state;
	check_num_cases(sg_parse_duration_ms, c, SG_NELEM(c));
}

static void
duration_units_are_case_insensitive(void **state)
{
	static const struct num_case c[] = {
		{ "30S", 0, 30000 },     { "250MS", 0, 250 },   { "250Ms", 0, 250 },
		{ "5M", 0, 300000 },     { "8H", 0, 28800000 }, { "7D", 0, 604800000 },
		{ "1H30M", 0, 5400000 },
	};

	(void)state;
	check_num_cases(sg_parse_duration_ms, c, SG_NELEM(c));
}

static void
duration_bad_syntax_is_an_error(void **state)
{
	static const struct num_case c[] = {
		{ "", -1, 0 },      { "1h30", -1, 0 },   { "30 s", -1, 0 }, { " 30s", -1, 0 },
		{ "30s ", -1, 0 },  { "s", -1, 0 },      { "ms", -1, 0 },   { "30x", -1, 0 },
		{ "30sec", -1, 0 }, { "5mss", -1, 0 },   { "-5s", -1, 0 },  { "1.5h", -1, 0 },
		{ "1s5", -1, 0 },   { "1h 30m", -1, 0 }, { "30y", -1, 0 },
	};

	(void)state;
	check_num_cases(sg_parse_duration_ms, c, SG_NELEM(c));
}

/* A bare number after a term is an error ("1h30"); a zero term must not
 * change that. */
static void
duration_bare_number_after_zero_term_is_an_error(void **state)
{
	static const struct num_case c[] = {
		{ "0h30", -1, 0 },
		{ "0m5", -1, 0 },
	};

	(void)state;
	check_num_cases(sg_parse_duration_ms, c, SG_NELEM(c));
}

static void
duration_overflow_is_an_error(void **state)
{
	static const struct num_case c[] = {
		{ "99999999999999999999ms", -1, 0 },
		{ "213503982335d", -1, 0 },
		{ "200000000000d200000000000d", -1, 0 },
		{ "18446744073709552s", -1, 0 },
	};

	(void)state;
	check_num_cases(sg_parse_duration_ms, c, SG_NELEM(c));
}

static void
bool_all_spellings(void **state)
{
	static const struct {
		const char *in;
		bool want;
	} c[] = {
		{ "yes", true },    { "YES", true },  { "on", true },   { "On", true },
		{ "true", true },   { "TRUE", true }, { "1", true },    { "no", false },
		{ "No", false },    { "off", false }, { "OFF", false }, { "false", false },
		{ "False", false }, { "0", false },
	};

	(void)state;
	for (size_t i = 0; i < SG_NELEM(c); i++) {
		bool v = !c[i].want;
		const char *why = NULL;

		assert_int_equal(sg_parse_bool(c[i].in, &v, &why), 0);
		assert_true(v == c[i].want);
	}
}

static void
bool_bad_spellings_are_errors(void **state)
{
	static const char *const bad[] = { "maybe", "", "y", "n", "2", " yes", "yes ", "enable" };

	(void)state;
	for (size_t i = 0; i < SG_NELEM(bad); i++) {
		bool v = false;
		const char *why = NULL;

		assert_int_equal(sg_parse_bool(bad[i], &v, &why), -1);
		assert_non_null(why);
	}
}

static void
uint_bounds_are_inclusive(void **state)
{
	uint64_t v = 0;
	const char *why = NULL;

	(void)state;
	assert_int_equal(sg_parse_uint("8", 8, 10, &v, &why), 0);
	assert_int_equal(v, 8);
	assert_int_equal(sg_parse_uint("10", 8, 10, &v, &why), 0);
	assert_int_equal(v, 10);
	assert_int_equal(sg_parse_uint("7", 8, 10, &v, &why), -1);
	assert_non_null(why);
	why = NULL;
	assert_int_equal(sg_parse_uint("11", 8, 10, &v, &why), -1);
	assert_non_null(why);
	assert_int_equal(v, 10); /* untouched on error */
}

static void
uint_trailing_garbage_is_an_error(void **state)
{
	static const char *const bad[] = { "12a", "1 ", " 1", "", "-1", "+1", "1.0", "1e3", "0x1" };

	(void)state;
	for (size_t i = 0; i < SG_NELEM(bad); i++) {
		uint64_t v = 0;
		const char *why = NULL;

		assert_int_equal(sg_parse_uint(bad[i], 0, 100, &v, &why), -1);
		assert_non_null(why);
	}
}

static void
uint_overflow_is_an_error(void **state)
{
	uint64_t v = 0;
	const char *why = NULL;

	(void)state;
	assert_int_equal(sg_parse_uint("18446744073709551616", 0, UINT64_MAX, &v, &why), -1);
	assert_non_null(why);
	assert_int_equal(sg_parse_uint("99999999999999999999", 0, UINT64_MAX, &v, &why), -1);
}

/* The whole uint64_t range is a valid range: UINT64_MAX itself parses. */
static void
uint_accepts_uint64_max(void **state)
{
	uint64_t v = 0;
	const char *why = NULL;

	(void)state;
	assert_int_equal(sg_parse_uint("18446744073709551609", 0, UINT64_MAX, &v, &why), 0);
	assert_true(v == 18446744073709551609ULL);
	assert_int_equal(sg_parse_uint("18446744073709551615", 0, UINT64_MAX, &v, &why), 0);
	assert_true(v == UINT64_MAX);
}

static void
arena_many_allocations_stay_intact(void **state)
{
	struct sg_arena *a = sg_arena_new();
	unsigned char *p[2000];

	(void)state;
	for (size_t i = 0; i < SG_NELEM(p); i++) {
		size_t n = 1 + i % 97;

		p[i] = sg_arena_alloc(a, n);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		for (size_t j = 0; j < n; j++)
			assert_int_equal(p[i][j], 0); /* zeroed */
		memset(p[i], (int)(i & 0xff), n);
	}
	for (size_t i = 0; i < SG_NELEM(p); i++)
		for (size_t j = 0; j < 1 + i % 97; j++)
			assert_int_equal(p[i][j], i & 0xff);
	sg_arena_free(a);
}

static void
arena_large_allocation(void **state)
{
	struct sg_arena *a = sg_arena_new();
	unsigned char *small1 = sg_arena_alloc(a, 100);
	unsigned char *big = sg_arena_alloc(a, 10000);
	unsigned char *small2 = sg_arena_alloc(a, 100);

	(void)state;
	memset(small1, 1, 100);
	for (size_t i = 0; i < 10000; i++)
		assert_int_equal(big[i], 0);
	memset(big, 2, 10000);
	memset(small2, 3, 100);
	assert_int_equal(small1[99], 1);
	assert_int_equal(big[0], 2);
	assert_int_equal(big[9999], 2);
	assert_int_equal(small2[0], 3);
	assert_int_equal((uintptr_t)big % 16, 0);
	sg_arena_free(a);
}

static void
arena_zero_size_allocation(void **state)
{
	struct sg_arena *a = sg_arena_new();

	(void)state;
	assert_non_null(sg_arena_alloc(a, 0));
	assert_non_null(sg_arena_alloc(a, 4096));
	assert_non_null(sg_arena_alloc(a, 4097));
	sg_arena_free(a);
	sg_arena_free(NULL); /* a no-op */
}

static void
arena_strdup_and_strndup(void **state)
{
	struct sg_arena *a = sg_arena_new();
	const char *src = "hello, world";
	char *d = sg_arena_strdup(a, src);
	char *n = sg_arena_strndup(a, src, 5);
	char *e = sg_arena_strndup(a, src, 0);

	(void)state;
	assert_string_equal(d, "hello, world");
	assert_ptr_not_equal(d, src);
	assert_string_equal(n, "hello");
	assert_string_equal(e, "");
	sg_arena_free(a);
}

static void
arena_printf_formats_long_strings(void **state)
{
	struct sg_arena *a = sg_arena_new();
	char *s = sg_arena_printf(a, "%s:%d/%05u", "host", 443, 7u);
	char *l = sg_arena_printf(a, "%6000d|", 1);

	(void)state;
	assert_string_equal(s, "host:443/00007");
	assert_int_equal(strlen(l), 6001);
	assert_int_equal(l[5999], '1');
	assert_int_equal(l[6000], '|');
	sg_arena_free(a);
}

static void
errlist_keeps_order_and_formats(void **state)
{
	struct sg_errlist e = { 0 };
	char want[32];

	(void)state;
	for (int i = 0; i < 20; i++) /* past the first growth */
		sg_errlist_add(&e, "error %d of %s", i, "many");
	assert_int_equal(e.count, 20);
	assert_true(e.cap >= 20);
	for (int i = 0; i < 20; i++) {
		snprintf(want, sizeof(want), "error %d of many", i);
		assert_string_equal(e.msg[i], want);
	}
	sg_errlist_clear(&e);
}

static void
errlist_clear_empties_and_allows_reuse(void **state)
{
	struct sg_errlist e = { 0 };

	(void)state;
	sg_errlist_clear(&e); /* clearing an empty list is fine */
	sg_errlist_add(&e, "one");
	sg_errlist_add(&e, "two");
	sg_errlist_clear(&e);
	assert_int_equal(e.count, 0);
	assert_int_equal(e.cap, 0);
	assert_null(e.msg);
	sg_errlist_add(&e, "three");
	assert_int_equal(e.count, 1);
	assert_string_equal(e.msg[0], "three");
	sg_errlist_clear(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(size_plain_and_units),
		cmocka_unit_test(size_overflow_is_an_error),
		cmocka_unit_test(size_garbage_is_an_error),
		cmocka_unit_test(duration_single_units),
		cmocka_unit_test(duration_sums),
		cmocka_unit_test(duration_bare_number_is_seconds),
		cmocka_unit_test(duration_units_are_case_insensitive),
		cmocka_unit_test(duration_bad_syntax_is_an_error),
		cmocka_unit_test(duration_bare_number_after_zero_term_is_an_error),
		cmocka_unit_test(duration_overflow_is_an_error),
		cmocka_unit_test(bool_all_spellings),
		cmocka_unit_test(bool_bad_spellings_are_errors),
		cmocka_unit_test(uint_bounds_are_inclusive),
		cmocka_unit_test(uint_trailing_garbage_is_an_error),
		cmocka_unit_test(uint_overflow_is_an_error),
		cmocka_unit_test(uint_accepts_uint64_max),
		cmocka_unit_test(arena_many_allocations_stay_intact),
		cmocka_unit_test(arena_large_allocation),
		cmocka_unit_test(arena_zero_size_allocation),
		cmocka_unit_test(arena_strdup_and_strndup),
		cmocka_unit_test(arena_printf_formats_long_strings),
		cmocka_unit_test(errlist_keeps_order_and_formats),
		cmocka_unit_test(errlist_clear_empties_and_allows_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
