/*
 * t_crypto.c - lib/crypto.c: hashes and HMAC against published vectors,
 * HKDF (RFC 5869 test case 3, determinism, one key per label), AES-256-GCM
 * sealing (round trip, every byte of nonce, cipher text and tag tampered,
 * wrong key, wrong aad, short input, the output left alone on failure),
 * base64url (RFC 4648 10 vectors, the URL alphabet, every kind of bad input)
 * and the constant-time comparison.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib.h"

/* Parses a hex string of 2n digits into out. */
static void
unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t i;

	assert_int_equal(strlen(hex), 2 * n);
	for (i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void
sha256_vectors(void **state)
{
	uint8_t got[SG_SHA256_LEN], want[SG_SHA256_LEN];

	(void)state;
	sg_sha256("abc", 3, got);
	unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	assert_memory_equal(got, want, 32);
	sg_sha256(NULL, 0, got);
	unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want, 32);
	assert_memory_equal(got, want, 32);
}

/* Expected values from Python's hmac module. */
static void
hmac_vectors(void **state)
{
	uint8_t key[SG_KEY_LEN], got[SG_SHA256_LEN], want[SG_SHA256_LEN];
	const char *msg = "The quick brown fox jumps over the lazy dog";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	sg_hmac_sha256(key, msg, strlen(msg), got);
	unhex("f87ad256151fc7b4c5dffa4adb3ebe911a8eeb8a8ebdee3c2a4a8e5f5ec02c32", want, 32);
	assert_memory_equal(got, want, 32);
	sg_hmac_sha256(key, NULL, 0, got);
	unhex("d38b42096d80f45f826b44a9d5607de72496a415d3f4a1a8c88e3bb9da8dc1cb", want, 32);
	assert_memory_equal(got, want, 32);
}

/* RFC 5869 A.3: no salt, no info, the first 32 of its 42 bytes. */
static void
hkdf_rfc5869_case3(void **state)
{
	uint8_t ikm[22], got[SG_KEY_LEN], want[SG_KEY_LEN];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	sg_key_derive(ikm, sizeof(ikm), "", got);
	unhex("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d", want, 32);
	assert_memory_equal(got, want, 32);
}

static void
hkdf_is_deterministic_and_separates_labels(void **state)
{
	const char master[] = "some master key material, 32+ bytes long";
	uint8_t a[SG_KEY_LEN], b[SG_KEY_LEN], c[SG_KEY_LEN], d[SG_KEY_LEN];

	(void)state;
	sg_key_derive(master, sizeof(master), "session-state", a);
	sg_key_derive(master, sizeof(master), "session-state", b);
	sg_key_derive(master, sizeof(master), "login-state", c);
	sg_key_derive(master, sizeof(master) - 1, "session-state", d);
	assert_memory_equal(a, b, SG_KEY_LEN);
	assert_memory_not_equal(a, c, SG_KEY_LEN);
	assert_memory_not_equal(a, d, SG_KEY_LEN);
}

static void
csprng_gives_different_bytes(void **state)
{
	uint8_t a[32] = { 0 }, b[32] = { 0 }, zero[32] = { 0 };

	(void)state;
	sg_csprng(a, sizeof(a));
	sg_csprng(b, sizeof(b));
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	sg_csprng(a, 0);
}

static const uint8_t key1[SG_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[SG_KEY_LEN] = "0123456789abcdef0123456789abcdeF";

static void
seal_round_trip(void **state)
{
	const char *msg = "the plain text, with a NUL\0inside";
	size_t n = 33;
	struct sg_buf sealed = { 0 }, again = { 0 }, plain = { 0 };

	(void)state;
	sg_seal(key1, "cookie", msg, n, &sealed);
	assert_int_equal(sealed.len, n + SG_SEAL_OVERHEAD);
	assert_null(memmem(sealed.data, sealed.len, "plain text", 10));
	assert_int_equal(sg_unseal(key1, "cookie", sealed.data, sealed.len, &plain), 0);
	assert_int_equal(plain.len, n);
	assert_memory_equal(plain.data, msg, n);
	/* A fresh nonce each time: the same plain text never seals the same. */
	sg_seal(key1, "cookie", msg, n, &again);
	assert_memory_not_equal(sealed.data, again.data, sealed.len);
	sg_buf_free(&sealed);
	sg_buf_free(&again);
	sg_buf_free(&plain);
}

static void
seal_empty_and_appends(void **state)
{
	struct sg_buf sealed = { 0 }, plain = { 0 };

	(void)state;
	sg_buf_puts(&sealed, "head:");
	sg_seal(key1, NULL, NULL, 0, &sealed);
	assert_int_equal(sealed.len, 5 + SG_SEAL_OVERHEAD);
	assert_memory_equal(sealed.data, "head:", 5);
	sg_buf_puts(&plain, "kept");
	assert_int_equal(sg_unseal(key1, NULL, sealed.data + 5, sealed.len - 5, &plain), 0);
	assert_string_equal(plain.data, "kept");
	/* No aad and an empty aad are the same associated data. */
	assert_int_equal(sg_unseal(key1, "", sealed.data + 5, sealed.len - 5, &plain), 0);
	sg_buf_free(&sealed);
	sg_buf_free(&plain);
}

/* Every single-bit flip in nonce, cipher text and tag is refused, and the
 * output buffer is left as it was. */
static void
seal_tampering_fails(void **state)
{
	struct sg_buf sealed = { 0 }, plain = { 0 };
	const char *msg = "0123456789abcdefghij";
	size_t i;
	int bit;

	(void)state;
	sg_seal(key1, "aad", msg, strlen(msg), &sealed);
	sg_buf_puts(&plain, "prefix");
	for (i = 0; i < sealed.len; i++)
		for (bit = 0; bit < 8; bit += 7) {
			sealed.data[i] ^= (char)(1 << bit);
			assert_int_equal(sg_unseal(key1, "aad", sealed.data, sealed.len, &plain),
			                 -1);
			sealed.data[i] ^= (char)(1 << bit);
			assert_int_equal(plain.len, 6);
			assert_string_equal(plain.data, "prefix");
		}
	assert_int_equal(sg_unseal(key1, "aad", sealed.data, sealed.len, &plain), 0);
	assert_string_equal(plain.data, "prefix0123456789abcdefghij");
	sg_buf_free(&sealed);
	sg_buf_free(&plain);
}

static void
unseal_wrong_key_aad_or_length_fails(void **state)
{
	struct sg_buf sealed = { 0 }, plain = { 0 }, longer = { 0 };
	size_t n;

	(void)state;
	sg_seal(key1, "aad", "secret", 6, &sealed);
	assert_int_equal(sg_unseal(key2, "aad", sealed.data, sealed.len, &plain), -1);
	assert_int_equal(sg_unseal(key1, "aaD", sealed.data, sealed.len, &plain), -1);
	assert_int_equal(sg_unseal(key1, NULL, sealed.data, sealed.len, &plain), -1);
	for (n = 0; n < sealed.len; n++)
		assert_int_equal(sg_unseal(key1, "aad", sealed.data, n, &plain), -1);
	sg_buf_append(&longer, sealed.data, sealed.len);
	sg_buf_append(&longer, "x", 1);
	assert_int_equal(sg_unseal(key1, "aad", longer.data, longer.len, &plain), -1);
	assert_int_equal(plain.len, 0);
	sg_buf_free(&sealed);
	sg_buf_free(&plain);
	sg_buf_free(&longer);
}

/* RFC 4648 10 and the two URL-safe characters. */
static void
base64url_vectors(void **state)
{
	static const struct {
		const char *plain, *enc;
	} v[] = {
		{ "", "" },
		{ "f", "Zg" },
		{ "fo", "Zm8" },
		{ "foo", "Zm9v" },
		{ "foob", "Zm9vYg" },
		{ "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" },
		{ "\xfb\xff", "-_8" },
		{ "\xff\xff\xfe", "___-" },
	};
	struct sg_buf b = { 0 };
	size_t i;

	(void)state;
	for (i = 0; i < SG_NELEM(v); i++) {
		sg_buf_reset(&b);
		sg_base64url_encode(v[i].plain, strlen(v[i].plain), &b);
		assert_int_equal(b.len, strlen(v[i].enc));
		if (b.len > 0)
			assert_string_equal(b.data, v[i].enc);
		sg_buf_reset(&b);
		assert_int_equal(sg_base64url_decode(v[i].enc, strlen(v[i].enc), &b), 0);
		assert_int_equal(b.len, strlen(v[i].plain));
		if (b.len > 0)
			assert_memory_equal(b.data, v[i].plain, b.len);
	}
	sg_buf_free(&b);
}

static void
base64url_round_trips_every_length(void **state)
{
	uint8_t raw[70];
	struct sg_buf enc = { 0 }, dec = { 0 };
	size_t n;

	(void)state;
	sg_csprng(raw, sizeof(raw));
	for (n = 0; n <= sizeof(raw); n++) {
		sg_buf_reset(&enc);
		sg_buf_reset(&dec);
		sg_base64url_encode(raw, n, &enc);
		assert_int_equal(enc.len, (n * 4 + 2) / 3);
		assert_int_equal(sg_base64url_decode(enc.data ? enc.data : "", enc.len, &dec), 0);
		assert_int_equal(dec.len, n);
		if (n > 0)
			assert_memory_equal(dec.data, raw, n);
	}
	sg_buf_free(&enc);
	sg_buf_free(&dec);
}

static void
base64url_refuses_bad_input(void **state)
{
	static const char *bad[] = {
		"Zg==",           /* padding */
		"Zm8=",           /* padding */
		"Zm9v+/8A",       /* the standard alphabet */
		"Zm9vY",          /* 5 characters: no encoding has n % 4 == 1 */
		"A",        "Zh", /* unused bits set: "f" is only Zg */
		"Zm9",            /* unused bits set: "fo" is only Zm8 */
		"Zm 9v",    "Zm9v\n", "Zm9v.",
	};
	struct sg_buf b = { 0 };
	size_t i;

	(void)state;
	sg_buf_puts(&b, "prefix");
	for (i = 0; i < SG_NELEM(bad); i++) {
		assert_int_equal(sg_base64url_decode(bad[i], strlen(bad[i]), &b), -1);
		assert_int_equal(b.len, 6);
		assert_string_equal(b.data, "prefix");
	}
	/* A NUL inside the counted length is not the end of the input. */
	assert_int_equal(sg_base64url_decode("Zm9v\0Zm9v", 9, &b), -1);
	assert_int_equal(sg_base64url_decode("Zm9v\0\0\0\0", 8, &b), -1);
	assert_int_equal(b.len, 6);
	sg_buf_free(&b);
}

static void
ct_equal_compares(void **state)
{
	(void)state;
	assert_true(sg_ct_equal("abcdef", "abcdef", 6));
	assert_false(sg_ct_equal("abcdef", "abcdeg", 6));
	assert_false(sg_ct_equal("Abcdef", "abcdef", 6));
	assert_true(sg_ct_equal("abc", "abd", 2));
	assert_true(sg_ct_equal("", "", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha256_vectors),
		cmocka_unit_test(hmac_vectors),
		cmocka_unit_test(hkdf_rfc5869_case3),
		cmocka_unit_test(hkdf_is_deterministic_and_separates_labels),
		cmocka_unit_test(csprng_gives_different_bytes),
		cmocka_unit_test(seal_round_trip),
		cmocka_unit_test(seal_empty_and_appends),
		cmocka_unit_test(seal_tampering_fails),
		cmocka_unit_test(unseal_wrong_key_aad_or_length_fails),
		cmocka_unit_test(base64url_vectors),
		cmocka_unit_test(base64url_round_trips_every_length),
		cmocka_unit_test(base64url_refuses_bad_input),
		cmocka_unit_test(ct_equal_compares),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
