/*
 * t_wire.c - the binary record encoding (lib/wire.c): round trips of every
 * shape, the exact bytes a few values take, one spelling per varint, no
 * reads past the end (every truncation of a record fails), NULs and
 * maximum lengths refused, and a bad flag that stays bad.
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

#include "lib.h"

/* A reader over n bytes at p. */
static struct sg_wire_reader
reader(const void *p, size_t n)
{
	return (struct sg_wire_reader){ p, n, false };
}

/* Decodes the varint spelled by n bytes at p as the whole record: 0 and
 * the value, or -1. */
static int
varint_of(const char *p, size_t n, uint64_t *v)
{
	struct sg_wire_reader r = reader(p, n);

	*v = sg_wire_get_varint(&r);
	return sg_wire_done(&r) ? 0 : -1;
}

static void
varint_round_trips_and_sizes(void **state)
{
	static const struct {
		uint64_t v;
		size_t len;
	} c[] = {
		{ 0, 1 },         { 1, 1 },           { 127, 1 },        { 128, 2 },
		{ 16383, 2 },     { 16384, 3 },       { UINT32_MAX, 5 }, { (uint64_t)1 << 63, 10 },
		{ INT64_MAX, 9 }, { UINT64_MAX, 10 },
	};

	(void)state;
	for (size_t i = 0; i < SG_NELEM(c); i++) {
		struct sg_buf b = { 0 };
		uint64_t v;

		sg_wire_put_varint(&b, c[i].v);
		assert_int_equal(b.len, c[i].len);
		assert_int_equal(varint_of(b.data, b.len, &v), 0);
		assert_true(v == c[i].v);
		sg_buf_free(&b);
	}
}

static void
varint_exact_bytes(void **state)
{
	struct sg_buf b = { 0 };

	(void)state;
	sg_wire_put_varint(&b, 300);
	assert_int_equal(b.len, 2);
	assert_memory_equal(b.data, "\xac\x02", 2);
	sg_buf_reset(&b);
	sg_wire_put_varint(&b, UINT64_MAX);
	assert_memory_equal(b.data, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
	sg_buf_free(&b);
}

static void
varint_refuses_other_spellings(void **state)
{
	uint64_t v;

	(void)state;
	/* Trailing zero groups: 0 and 1 spelled long. */
	assert_int_equal(varint_of("\x80\x00", 2, &v), -1);
	assert_int_equal(varint_of("\x81\x00", 2, &v), -1);
	assert_int_equal(varint_of("\x81\x80\x00", 3, &v), -1);
	assert_int_equal(varint_of("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", 10, &v), -1);
	/* The shortest spellings of the same values are fine. */
	assert_int_equal(varint_of("\x00", 1, &v), 0);
	assert_true(v == 0);
	assert_int_equal(varint_of("\x01", 1, &v), 0);
	assert_true(v == 1);
}

static void
varint_refuses_overflow(void **state)
{
	uint64_t v;

	(void)state;
	/* 2^64: the tenth byte may only carry the 64th bit. */
	assert_int_equal(varint_of("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x02", 10, &v), -1);
	assert_int_equal(varint_of("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10, &v), -1);
	/* An eleventh byte. */
	assert_int_equal(varint_of("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81\x01", 11, &v), -1);
	assert_int_equal(varint_of("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 11, &v), -1);
	/* Never ending. */
	assert_int_equal(varint_of("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12, &v), -1);
	assert_int_equal(varint_of("\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01", 10, &v), 0);
	assert_true(v == (uint64_t)1 << 63);
}

static void
i64_big_endian_round_trip(void **state)
{
	static const int64_t c[] = { 0, 1, -1, 1700000000, INT64_MIN, INT64_MAX };
	struct sg_buf b = { 0 };

	(void)state;
	sg_wire_put_i64(&b, 0x0102030405060708);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	for (size_t i = 0; i < SG_NELEM(c); i++) {
		struct sg_wire_reader r;

		sg_buf_reset(&b);
		sg_wire_put_i64(&b, c[i]);
		r = reader(b.data, b.len);
		assert_true(sg_wire_get_i64(&r) == c[i]);
		assert_true(sg_wire_done(&r));
	}
	sg_buf_free(&b);
}

static void
str_null_empty_and_text(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_buf b = { 0 };
	struct sg_wire_reader r;
	const char *s;

	(void)state;
	sg_wire_put_str(&b, NULL);
	sg_wire_put_str(&b, "");
	sg_wire_put_str(&b, "alice");
	assert_int_equal(b.len, 1 + 1 + 6);
	assert_memory_equal(b.data,
	                    "\x00\x01\x06"
	                    "alice",
	                    8);
	r = reader(b.data, b.len);
	assert_null(sg_wire_get_str(&r, 100, a));
	assert_false(r.bad);
	s = sg_wire_get_str(&r, 100, a);
	assert_non_null(s);
	assert_string_equal(s, "");
	s = sg_wire_get_str(&r, 100, a);
	assert_non_null(s);
	assert_string_equal(s, "alice");
	assert_true(sg_wire_done(&r));
	sg_buf_free(&b);
	sg_arena_free(a);
}

static void
str_refuses_nul_inside(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_wire_reader r = reader("\x04"
	                                 "a\0b",
	                                 4);

	(void)state;
	assert_null(sg_wire_get_str(&r, 100, a));
	assert_true(r.bad);
	assert_false(sg_wire_done(&r));
	r = reader("\x02\0", 2);
	assert_null(sg_wire_get_str(&r, 100, a));
	assert_true(r.bad);
	sg_arena_free(a);
}

static void
str_and_bytes_max_length(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_buf b = { 0 };
	struct sg_wire_reader r;
	size_t n = 99;

	(void)state;
	sg_wire_put_str(&b, "abcd");
	r = reader(b.data, b.len);
	assert_non_null(sg_wire_get_str(&r, 4, a));
	assert_true(sg_wire_done(&r));
	r = reader(b.data, b.len);
	assert_null(sg_wire_get_str(&r, 3, a));
	assert_true(r.bad);
	sg_buf_reset(&b);
	sg_wire_put_bytes(&b, "abcd", 4);
	r = reader(b.data, b.len);
	assert_non_null(sg_wire_get_bytes(&r, 4, &n, a));
	assert_int_equal(n, 4);
	assert_true(sg_wire_done(&r));
	r = reader(b.data, b.len);
	assert_null(sg_wire_get_bytes(&r, 3, &n, a));
	assert_int_equal(n, 0);
	assert_true(r.bad);
	/* A length far past the input is refused before anything is
	 * allocated, even under a generous max. */
	r = reader("\xff\xff\xff\xff\x0f"
	           "ab",
	           7);
	assert_null(sg_wire_get_bytes(&r, SIZE_MAX, &n, a));
	assert_true(r.bad);
	r = reader("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10);
	assert_null(sg_wire_get_str(&r, SIZE_MAX, a));
	assert_true(r.bad);
	sg_buf_free(&b);
	sg_arena_free(a);
}

static void
bytes_keep_nuls_and_terminate(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_buf b = { 0 };
	struct sg_wire_reader r;
	const char *p;
	size_t n;

	(void)state;
	sg_wire_put_bytes(&b, "a\0b", 3);
	sg_wire_put_bytes(&b, "", 0);
	assert_int_equal(b.len, 1 + 3 + 1);
	r = reader(b.data, b.len);
	p = sg_wire_get_bytes(&r, 10, &n, a);
	assert_non_null(p);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "a\0b", 4);
	p = sg_wire_get_bytes(&r, 10, &n, a);
	assert_non_null(p);
	assert_int_equal(n, 0);
	assert_int_equal(p[0], '\0');
	assert_true(sg_wire_done(&r));
	sg_buf_free(&b);
	sg_arena_free(a);
}

/* Writes one record of every shape. */
static void
put_record(struct sg_buf *b)
{
	sg_wire_put_u8(b, 7);
	sg_wire_put_varint(b, 1u << 20);
	sg_wire_put_i64(b, -5);
	sg_wire_put_str(b, "text");
	sg_wire_put_str(b, NULL);
	sg_wire_put_bytes(b, "\x00\x01\x02", 3);
	sg_wire_put_varint(b, UINT64_MAX);
}

/* Reads put_record's fields from n bytes at p: true when all is well. */
static bool
get_record(const void *p, size_t n, struct sg_arena *a, bool check_values)
{
	struct sg_wire_reader r = reader(p, n);
	uint8_t u8 = sg_wire_get_u8(&r);
	uint64_t v = sg_wire_get_varint(&r);
	int64_t i = sg_wire_get_i64(&r);
	const char *s = sg_wire_get_str(&r, 100, a);
	const char *null = sg_wire_get_str(&r, 100, a);
	size_t len;
	const void *bytes = sg_wire_get_bytes(&r, 100, &len, a);
	uint64_t big = sg_wire_get_varint(&r);

	if (check_values) {
		assert_int_equal(u8, 7);
		assert_true(v == 1u << 20);
		assert_true(i == -5);
		assert_string_equal(s, "text");
		assert_null(null);
		assert_int_equal(len, 3);
		assert_memory_equal(bytes, "\x00\x01\x02", 3);
		assert_true(big == UINT64_MAX);
	}
	return sg_wire_done(&r);
}

static void
record_round_trip(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_buf b = { 0 };

	(void)state;
	put_record(&b);
	assert_true(get_record(b.data, b.len, a, true));
	sg_buf_free(&b);
	sg_arena_free(a);
}

static void
record_truncated_at_every_byte(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_buf b = { 0 };

	(void)state;
	put_record(&b);
	for (size_t n = 0; n < b.len; n++) {
		/* An exact-size heap copy lets ASan catch any read past n. */
		uint8_t *copy = sg_xmalloc(n ? n : 1);

		memcpy(copy, b.data, n);
		assert_false(get_record(copy, n, a, false));
		free(copy);
	}
	sg_buf_free(&b);
	sg_arena_free(a);
}

static void
record_with_trailing_byte_is_not_done(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_buf b = { 0 };

	(void)state;
	put_record(&b);
	sg_buf_append(&b, "", 1);
	assert_false(get_record(b.data, b.len, a, false));
	sg_buf_free(&b);
	sg_arena_free(a);
}

static void
bad_is_sticky(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_buf b = { 0 };
	struct sg_wire_reader r;
	uint8_t raw[4] = { 1, 2, 3, 4 };
	size_t n = 99;

	(void)state;
	sg_wire_put_u8(&b, 9);
	sg_wire_put_str(&b, "ok");
	r = reader(b.data, b.len);
	r.bad = true;
	/* Nothing is read once bad, and every getter yields 0 or NULL. */
	assert_int_equal(sg_wire_get_u8(&r), 0);
	assert_null(sg_wire_get_str(&r, 100, a));
	assert_true(sg_wire_get_varint(&r) == 0);
	assert_true(sg_wire_get_i64(&r) == 0);
	assert_null(sg_wire_get_bytes(&r, 100, &n, a));
	assert_int_equal(n, 0);
	sg_wire_get_raw(&r, raw, sizeof(raw));
	assert_memory_equal(raw, "\0\0\0\0", 4);
	assert_int_equal(r.left, b.len);
	assert_false(sg_wire_done(&r));
	/* A failure in the middle stays: later good fields do not clear it. */
	r = reader("\x05"
	           "ab\x01\x02",
	           5);
	assert_null(sg_wire_get_str(&r, 1, a));
	assert_int_equal(sg_wire_get_u8(&r), 0);
	assert_true(r.bad);
	sg_buf_free(&b);
	sg_arena_free(a);
}

static void
raw_and_u8_bounds(void **state)
{
	uint8_t out[4];
	struct sg_wire_reader r = reader("\x01\x02\x03", 3);

	(void)state;
	assert_int_equal(sg_wire_get_u8(&r), 1);
	sg_wire_get_raw(&r, out, 2);
	assert_memory_equal(out, "\x02\x03", 2);
	assert_true(sg_wire_done(&r));
	assert_int_equal(sg_wire_get_u8(&r), 0);
	assert_true(r.bad);
	r = reader("\x01\x02\x03", 3);
	memset(out, 0xee, sizeof(out));
	sg_wire_get_raw(&r, out, 4);
	assert_memory_equal(out, "\0\0\0\0", 4);
	assert_true(r.bad);
	assert_int_equal(r.left, 3);
	r = reader(NULL, 0);
	assert_true(sg_wire_done(&r));
	assert_true(sg_wire_get_i64(&r) == 0);
	assert_false(sg_wire_done(&r));
}

/* A record with strings among other fields, for the offset tables. */
struct rec {
	const char *a;
	int64_t n;
	const char *b;
	const char *c;
};

static void
strs_follow_the_table(void **state)
{
	static const size_t off[] = { offsetof(struct rec, c), offsetof(struct rec, a),
		                      offsetof(struct rec, b) };
	struct sg_arena *a = sg_arena_new();
	struct rec in = { "x", 5, NULL, "zz" }, out = { "junk", 7, "junk", "junk" };
	struct sg_buf b = { 0 };
	struct sg_wire_reader r;

	(void)state;
	sg_wire_put_strs(&b, &in, off, SG_NELEM(off));
	/* In the table's order: c, a, b. */
	assert_int_equal(b.len, 3 + 2 + 1);
	assert_memory_equal(b.data, "\x03zz\x02x\x00", 6);
	r = reader(b.data, b.len);
	sg_wire_get_strs(&r, 10, a, &out, off, SG_NELEM(off));
	assert_true(sg_wire_done(&r));
	assert_string_equal(out.a, "x");
	assert_null(out.b);
	assert_string_equal(out.c, "zz");
	assert_true(out.n == 7);
	/* Truncated: every field is set, NULL from the failure on. */
	out = (struct rec){ "junk", 7, "junk", "junk" };
	r = reader(b.data, 4);
	sg_wire_get_strs(&r, 10, a, &out, off, SG_NELEM(off));
	assert_false(sg_wire_done(&r));
	assert_string_equal(out.c, "zz");
	assert_null(out.a);
	assert_null(out.b);
	sg_buf_free(&b);
	sg_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(varint_round_trips_and_sizes),
		cmocka_unit_test(varint_exact_bytes),
		cmocka_unit_test(varint_refuses_other_spellings),
		cmocka_unit_test(varint_refuses_overflow),
		cmocka_unit_test(i64_big_endian_round_trip),
		cmocka_unit_test(str_null_empty_and_text),
		cmocka_unit_test(str_refuses_nul_inside),
		cmocka_unit_test(str_and_bytes_max_length),
		cmocka_unit_test(bytes_keep_nuls_and_terminate),
		cmocka_unit_test(record_round_trip),
		cmocka_unit_test(record_truncated_at_every_byte),
		cmocka_unit_test(record_with_trailing_byte_is_not_done),
		cmocka_unit_test(bad_is_sticky),
		cmocka_unit_test(raw_and_u8_bounds),
		cmocka_unit_test(strs_follow_the_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
