/*
 * t_jose.c - the gateway's signing key and identity JWTs (src/jose): ES256
 * and RS256 tokens verify with cjose against the published JWK Set (RFC
 * 7515, RFC 7517, RFC 7518 3.3 and 3.4), the claims come back as given
 * (RFC 7519 4.1), the kid is the RFC 7638 thumbprint (checked against the
 * example of RFC 7638 3.1), the JWK Set holds no private member, and keys
 * we do not sign with are refused with a sentence saying why.
 *
 * Test keys are generated with OpenSSL into a fresh temporary folder when
 * the group starts; the RFC 7638 example key is the RSA key of RFC 7517
 * appendix A.2, rebuilt from its JWK members.  None of them is a real key.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjose/cjose.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "jose.h"
#include "lib.h"
#include "unit.h"

static char tmpdir[] = "/tmp/sg-jose-XXXXXX";

/* RFC 7517 A.2's RSA key (a published example, not a secret) and the
 * thumbprint RFC 7638 3.1 computes for its public part. */
static const char *const rfc_rsa[][2] = {
	{ OSSL_PKEY_PARAM_RSA_N,
	  "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
	  "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
	  "65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrd"
	  "kt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
	  "kEgU8awapJzKnqDKgw" },
	{ OSSL_PKEY_PARAM_RSA_E, "AQAB" },
	{ OSSL_PKEY_PARAM_RSA_D,
	  "X4cTteJY_gn4FYPsXB8rdXix5vwsg1FLN5E3EaG6RJoVH-"
	  "HLLKD9M7dx5oo7GURknchnrRweUkC7hT5fJLM0WbFAKN"
	  "LWY2vv7B6NqXSzUvxT0_YSfqijwp3RTzlBaCxWp4doFk5N2o8Gy_"
	  "nHNKroADIkJ46pRUohsXywbReAdYaMwFs9tv8d_"
	  "cPVY3i07a3t8MN6TNwm0dSawm9v47UiCl3Sk5ZiG7xojPLu4sbg1U2jx4IBTNBznbJSzFHK66jT8bgkuqsk0Gjsk"
	  "DJk"
	  "19Z4qwjwbsnn4j2WBii3RL-Us2lGVkY8fkFzme1z0HbIkfz0Y6mqnOYtqc0X4jfcKoAC8Q" },
	{ OSSL_PKEY_PARAM_RSA_FACTOR1,
	  "83i-7IvMGXoMXCskv73TKr8637FiO7Z27zv8oj6pbWUQyLPQBQxtPVnwD20R-"
	  "60eTDmD2ujnMt5PoqMrm8RfmNhVWDt"
	  "jjMmCMjOpSXicFHj7XOuVIYQyqVWlWEh6dN36GVZYk93N8Bc9vY41xy8B9RzzOGVQzXvNEvn7O0nVbfs" },
	{ OSSL_PKEY_PARAM_RSA_FACTOR2,
	  "3dfOR9cuYq-0S-"
	  "mkFLzgItgMEfFzB2q3hWehMuG0oCuqnb3vobLyumqjVZQO1dIrdwgTnCdpYzBcOfW5r370AFXjiWf"
	  "t_NGEiovonizhKpo9VVS78TzFgxkIdrecRezsZ-1kYd_s1qDbxtkDEgfAITAG9LUnADun4vIcb6yelxk" },
	{ OSSL_PKEY_PARAM_RSA_EXPONENT1,
	  "G4sPXkc6Ya9y8oJW9_ILj4xuppu0lzi_"
	  "H7VTkS8xj5SdX3coE0oimYwxIi2emTAue0UOa5dpgFGyBJ4c8tQ2VF402X"
	  "RugKDTP8akYhFo5tAA77Qe_NmtuYZc3C3m3I24G2GvR5sSDxUyAN2zq8Lfn9EUms6rY3Ob8YeiKkTiBj0" },
	{ OSSL_PKEY_PARAM_RSA_EXPONENT2,
	  "s9lAH9fggBsoFR8Oac2R_E2gw282rT2kGOAhvIllETE1efrA6huUUvMfBcMpn8lqeW6vzznYY5SSQF7pMdC_"
	  "agI3nG"
	  "8Ibp1BUb0JUiraRNqUfLhcQb_d9GF4Dh7e74WbRsobRonujTYN1xCaP6TO61jvWrX-L18txXw494Q_cgk" },
	{ OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	  "GyM_p6JrXySiz1toFgKbWV-JdI3jQ4ypu9rbMWx3rQJBfmt0FoYzgUIZEVFEcOqwemRN81zoDAaa-"
	  "Bk0KWNGDjJHZDdDmFhW3AN7lI-puxk_"
	  "mHZGJ11rxyR8O55XLSe3SPmRfKwZI6yU24ZxvQKFYItdldUKGzO6Ia6zTKh"
	  "AVRU" },
};
static const char rfc7638_kid[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* ---- fixtures ---- */

static const char *
path_of(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

/* Writes pkey as a PEM private key file name in tmpdir (encrypted under
 * "test" when encrypt), and frees it. */
static int
write_key(const char *name, EVP_PKEY *pkey, bool encrypt)
{
	FILE *f;
	int ok;

	if (pkey == NULL || (f = fopen(path_of(name), "w")) == NULL)
		return -1;
	ok = PEM_write_PrivateKey(f, pkey, encrypt ? EVP_aes_128_cbc() : NULL,
	                          encrypt ? (unsigned char *)"test" : NULL, encrypt ? 4 : 0, NULL,
	                          NULL);
	EVP_PKEY_free(pkey);
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int
write_text(const char *name, const char *text)
{
	FILE *f = fopen(path_of(name), "w");
	int rc;

	if (f == NULL)
		return -1;
	rc = fputs(text, f) < 0;
	return fclose(f) == 0 && rc == 0 ? 0 : -1;
}

/* A big number from base64url. */
static BIGNUM *
b64_bn(const char *s)
{
	uint8_t *raw = NULL;
	size_t n = 0;
	BIGNUM *bn;

	if (!cjose_base64url_decode(s, strlen(s), &raw, &n, NULL))
		return NULL;
	bn = BN_bin2bn(raw, (int)n, NULL);
	cjose_get_dealloc()(raw);
	return bn;
}

/* RFC 7517 A.2's RSA key as an EVP_PKEY. */
static EVP_PKEY *
rfc_key(void)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *bn[SG_NELEM(rfc_rsa)] = { 0 };
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	for (size_t i = 0; i < SG_NELEM(rfc_rsa); i++) {
		bn[i] = b64_bn(rfc_rsa[i][1]);
		if (bn[i] == NULL || !OSSL_PARAM_BLD_push_BN(bld, rfc_rsa[i][0], bn[i]))
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
		pkey = NULL;
out:
	for (size_t i = 0; i < SG_NELEM(rfc_rsa); i++)
		BN_free(bn[i]);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static int
group_setup(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return write_key("ec.pem", EVP_EC_gen("P-256"), false) ||
	       write_key("ec2.pem", EVP_EC_gen("P-256"), false) ||
	       write_key("p384.pem", EVP_EC_gen("P-384"), false) ||
	       write_key("rsa.pem", EVP_RSA_gen(2048), false) ||
	       write_key("rsa1024.pem", EVP_RSA_gen(1024), false) ||
	       write_key("ed25519.pem", EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"), false) ||
	       write_key("encrypted.pem", EVP_EC_gen("P-256"), true) ||
	       write_key("rfc7517.pem", rfc_key(), false) ||
	       write_text("garbage.pem", "-----BEGIN PRIVATE KEY-----\nnot base64 at all\n"
	                                 "-----END PRIVATE KEY-----\n") ||
	       write_text("empty.pem", "");
}

static int
group_teardown(void **state)
{
	(void)state;
	return unit_rmtree(tmpdir);
}

/* ---- helpers ---- */

static struct sg_jose_key *
load_ok(const char *name)
{
	struct sg_errlist e = { 0 };
	struct sg_jose_key *k = sg_jose_key_load(path_of(name), &e);

	for (size_t i = 0; i < e.count; i++)
		print_message("%s: %s\n", name, e.msg[i]);
	assert_non_null(k);
	assert_int_equal(e.count, 0);
	sg_errlist_clear(&e);
	return k;
}

/* Loading name fails with one message holding want. */
static void
load_fails(const char *name, const char *want)
{
	struct sg_errlist e = { 0 };
	struct sg_jose_key *k = sg_jose_key_load(path_of(name), &e);

	assert_null(k);
	assert_int_equal(e.count, 1);
	if (strstr(e.msg[0], want) == NULL || strstr(e.msg[0], name) == NULL) {
		print_message("message \"%s\" lacks \"%s\" or the file name\n", e.msg[0], want);
		fail();
	}
	sg_errlist_clear(&e);
}

static const char *const some_groups[] = { "jira-users", "développeurs", "a\"quote" };

static const struct sg_jose_identity alice = {
	"https://tools.example/jira/ssogw/",
	"https://tools.example/jira/",
	"alice",
	"alice@example.com",
	"Alice Liddell",
	some_groups,
	SG_NELEM(some_groups),
	1700000000,
	1700000060,
};

/* The only JWK of k's JWK Set, parsed. */
static json_t *
jwks_key(const struct sg_jose_key *k, struct sg_arena *a)
{
	json_error_t je;
	json_t *set = json_loads(sg_jose_jwks(k, a), 0, &je), *keys, *jwk;

	assert_non_null(set);
	keys = json_object_get(set, "keys");
	assert_true(json_is_array(keys));
	assert_int_equal(json_array_size(keys), 1);
	jwk = json_incref(json_array_get(keys, 0));
	json_decref(set);
	return jwk;
}

static const char *
member(json_t *o, const char *name)
{
	const char *s = json_string_value(json_object_get(o, name));

	if (s == NULL)
		print_message("no string member \"%s\"\n", name);
	assert_non_null(s);
	return s;
}

/* Verifies jwt with cjose against k's published JWK; returns the claims
 * and checks the protected header (alg, typ, kid). */
static json_t *
verify(const struct sg_jose_key *k, const char *jwt, struct sg_arena *a)
{
	json_t *jwk = jwks_key(k, a), *claims;
	char *jwk_text = json_dumps(jwk, JSON_COMPACT);
	cjose_err err;
	cjose_jwk_t *cj = cjose_jwk_import(jwk_text, strlen(jwk_text), &err);
	cjose_jws_t *jws;
	cjose_header_t *hdr;
	uint8_t *plain = NULL;
	size_t plen = 0;
	json_error_t je;

	assert_non_null(cj);
	jws = cjose_jws_import(jwt, strlen(jwt), &err);
	assert_non_null(jws);
	if (!cjose_jws_verify(jws, cj, &err)) {
		print_message("cjose_jws_verify: %s\n", err.message);
		fail();
	}
	hdr = cjose_jws_get_protected(jws);
	assert_string_equal(cjose_header_get(hdr, CJOSE_HDR_ALG, &err), sg_jose_key_alg(k));
	assert_string_equal(cjose_header_get(hdr, "typ", &err), "JWT");
	assert_string_equal(cjose_header_get(hdr, CJOSE_HDR_KID, &err), member(jwk, "kid"));
	assert_string_equal(member(jwk, "alg"), sg_jose_key_alg(k));
	assert_true(cjose_jws_get_plaintext(jws, &plain, &plen, &err));
	claims = json_loadb((const char *)plain, plen, 0, &je);
	assert_non_null(claims);
	cjose_jws_release(jws);
	cjose_jwk_release(cj);
	free(jwk_text);
	json_decref(jwk);
	return claims;
}

/* The claims of alice's token came back whole. */
static void
check_alice(json_t *c)
{
	json_t *g = json_object_get(c, "groups");

	assert_string_equal(member(c, "iss"), alice.iss);
	assert_string_equal(member(c, "aud"), alice.aud);
	assert_string_equal(member(c, "sub"), "alice");
	assert_string_equal(member(c, "email"), "alice@example.com");
	assert_string_equal(member(c, "name"), "Alice Liddell");
	assert_int_equal(json_integer_value(json_object_get(c, "iat")), 1700000000);
	assert_int_equal(json_integer_value(json_object_get(c, "exp")), 1700000060);
	assert_true(json_is_array(g));
	assert_int_equal(json_array_size(g), SG_NELEM(some_groups));
	for (size_t i = 0; i < SG_NELEM(some_groups); i++)
		assert_string_equal(json_string_value(json_array_get(g, i)), some_groups[i]);
	assert_int_equal(json_object_size(c), 8);
}

/* The RFC 7638 3 thumbprint computed here, apart from the code under test. */
static char *
thumbprint_of(json_t *jwk)
{
	char *canon, *out = NULL;
	unsigned char md[32];
	size_t outlen = 0;
	char *s;

	if (strcmp(member(jwk, "kty"), "EC") == 0)
		canon = sg_xasprintf("{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		                     member(jwk, "crv"), member(jwk, "x"), member(jwk, "y"));
	else
		canon = sg_xasprintf("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
		                     member(jwk, "e"), member(jwk, "n"));
	assert_true(EVP_Digest(canon, strlen(canon), md, NULL, EVP_sha256(), NULL));
	assert_true(cjose_base64url_encode(md, sizeof(md), &out, &outlen, NULL));
	s = sg_xasprintf("%.*s", (int)outlen, out);
	cjose_get_dealloc()(out);
	free(canon);
	return s;
}

/* ---- tokens ---- */

static void
es256_token_verifies_against_the_jwks(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_jose_key *k = load_ok("ec.pem");
	const char *jwt;
	json_t *c;

	(void)state;
	assert_string_equal(sg_jose_key_alg(k), "ES256");
	jwt = sg_jose_identity_jwt(k, &alice, a);
	assert_non_null(jwt);
	c = verify(k, jwt, a);
	check_alice(c);
	json_decref(c);
	/* RFC 7518 3.4: R || S, 64 bytes, is 86 base64url characters. */
	assert_int_equal(strlen(strrchr(jwt, '.') + 1), 86);
	sg_jose_key_free(k);
	sg_arena_free(a);
}

static void
rs256_token_verifies_against_the_jwks(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_jose_key *k = load_ok("rsa.pem");
	const char *jwt;
	json_t *c;

	(void)state;
	assert_string_equal(sg_jose_key_alg(k), "RS256");
	jwt = sg_jose_identity_jwt(k, &alice, a);
	assert_non_null(jwt);
	c = verify(k, jwt, a);
	check_alice(c);
	json_decref(c);
	sg_jose_key_free(k);
	sg_arena_free(a);
}

static void
optional_claims_are_left_out_and_groups_kept_as_an_array(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_jose_key *k = load_ok("ec.pem");
	struct sg_jose_identity id = alice;
	json_t *c;

	(void)state;
	id.email = NULL;
	id.name = NULL;
	id.groups = NULL;
	id.ngroups = 0;
	c = verify(k, sg_jose_identity_jwt(k, &id, a), a);
	assert_null(json_object_get(c, "email"));
	assert_null(json_object_get(c, "name"));
	assert_true(json_is_array(json_object_get(c, "groups")));
	assert_int_equal(json_array_size(json_object_get(c, "groups")), 0);
	assert_int_equal(json_object_size(c), 6);
	json_decref(c);
	sg_jose_key_free(k);
	sg_arena_free(a);
}

static void
a_token_from_another_key_does_not_verify(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_jose_key *k1 = load_ok("ec.pem"), *k2 = load_ok("ec2.pem");
	const char *jwt = sg_jose_identity_jwt(k1, &alice, a);
	json_t *jwk = jwks_key(k2, a);
	char *text = json_dumps(jwk, JSON_COMPACT);
	cjose_jwk_t *cj = cjose_jwk_import(text, strlen(text), NULL);
	cjose_jws_t *jws = cjose_jws_import(jwt, strlen(jwt), NULL);

	(void)state;
	assert_non_null(cj);
	assert_non_null(jws);
	assert_false(cjose_jws_verify(jws, cj, NULL));
	assert_string_not_equal(member(jwk, "kid"), "");
	cjose_jws_release(jws);
	cjose_jwk_release(cj);
	free(text);
	json_decref(jwk);
	sg_jose_key_free(k1);
	sg_jose_key_free(k2);
	sg_arena_free(a);
}

static void
a_claim_that_is_not_utf8_fails_the_token(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_jose_key *k = load_ok("ec.pem");
	struct sg_jose_identity id = alice;
	static const char *const bad_group[] = { "ok", "\xff\xfe" };

	(void)state;
	id.sub = "\xc3";
	assert_null(sg_jose_identity_jwt(k, &id, a));
	id = alice;
	id.groups = bad_group;
	id.ngroups = 2;
	assert_null(sg_jose_identity_jwt(k, &id, a));
	id = alice;
	id.sub = NULL;
	assert_null(sg_jose_identity_jwt(k, &id, a));
	sg_jose_key_free(k);
	sg_arena_free(a);
}

/* Several threads sign on one key at once (the header promises it). */
struct signer {
	const struct sg_jose_key *k;
	int ok;
};

static void *
sign_many(void *arg)
{
	struct signer *s = arg;

	for (int i = 0; i < 40; i++) {
		struct sg_arena *a = sg_arena_new();
		const char *jwt = sg_jose_identity_jwt(s->k, &alice, a);
		cjose_jws_t *jws = jwt ? cjose_jws_import(jwt, strlen(jwt), NULL) : NULL;

		s->ok += jws != NULL;
		cjose_jws_release(jws);
		sg_arena_free(a);
	}
	return NULL;
}

static void
several_threads_sign_on_one_key(void **state)
{
	struct sg_jose_key *keys[2] = { load_ok("ec.pem"), load_ok("rsa.pem") };

	(void)state;
	for (size_t j = 0; j < SG_NELEM(keys); j++) {
		struct signer s[4];
		pthread_t t[4];

		for (size_t i = 0; i < 4; i++) {
			s[i] = (struct signer){ keys[j], 0 };
			assert_int_equal(pthread_create(&t[i], NULL, sign_many, &s[i]), 0);
		}
		for (size_t i = 0; i < 4; i++) {
			assert_int_equal(pthread_join(t[i], NULL), 0);
			assert_int_equal(s[i].ok, 40);
		}
		sg_jose_key_free(keys[j]);
	}
}

/* ---- the JWK Set and the kid ---- */

static void
kid_is_the_rfc7638_thumbprint_of_the_rfc_example_key(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_jose_key *k = load_ok("rfc7517.pem");
	json_t *jwk = jwks_key(k, a), *c;

	(void)state;
	assert_string_equal(member(jwk, "kid"), rfc7638_kid);
	assert_string_equal(member(jwk, "n"), rfc_rsa[0][1]);
	assert_string_equal(member(jwk, "e"), "AQAB");
	c = verify(k, sg_jose_identity_jwt(k, &alice, a), a);
	check_alice(c);
	json_decref(c);
	json_decref(jwk);
	sg_jose_key_free(k);
	sg_arena_free(a);
}

static void
ec_kid_is_the_thumbprint_and_stable(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_jose_key *k = load_ok("ec.pem"), *again = load_ok("ec.pem"),
	                   *other = load_ok("ec2.pem");
	json_t *jwk = jwks_key(k, a), *jwk2 = jwks_key(again, a), *jwk3 = jwks_key(other, a);
	char *want = thumbprint_of(jwk);

	(void)state;
	assert_string_equal(member(jwk, "kid"), want);
	assert_string_equal(member(jwk2, "kid"), want);
	assert_string_not_equal(member(jwk3, "kid"), want);
	assert_int_equal(strlen(want), 43); /* 32 bytes of SHA-256 */
	free(want);
	json_decref(jwk);
	json_decref(jwk2);
	json_decref(jwk3);
	sg_jose_key_free(k);
	sg_jose_key_free(again);
	sg_jose_key_free(other);
	sg_arena_free(a);
}

/* The JWK has exactly the public members (RFC 7518 6.2.1, 6.3.1) and use,
 * alg, kid: no d, p, q, dp, dq, qi, whatever the key held. */
static void
jwks_holds_only_public_members(void **state)
{
	static const char *const ec_members[] = { "kty", "crv", "x", "y", "kid", "use", "alg" };
	static const char *const rsa_members[] = { "kty", "n", "e", "kid", "use", "alg" };
	struct sg_arena *a = sg_arena_new();
	struct sg_jose_key *ec = load_ok("ec.pem"), *rsa = load_ok("rsa.pem");
	json_t *e = jwks_key(ec, a), *r = jwks_key(rsa, a);
	char *want;

	(void)state;
	assert_int_equal(json_object_size(e), SG_NELEM(ec_members));
	for (size_t i = 0; i < SG_NELEM(ec_members); i++)
		member(e, ec_members[i]);
	assert_int_equal(json_object_size(r), SG_NELEM(rsa_members));
	for (size_t i = 0; i < SG_NELEM(rsa_members); i++)
		member(r, rsa_members[i]);
	assert_string_equal(member(e, "kty"), "EC");
	assert_string_equal(member(e, "crv"), "P-256");
	assert_string_equal(member(e, "use"), "sig");
	assert_string_equal(member(e, "alg"), "ES256");
	assert_int_equal(strlen(member(e, "x")), 43); /* full 32-byte coordinates */
	assert_int_equal(strlen(member(e, "y")), 43);
	assert_string_equal(member(r, "kty"), "RSA");
	assert_string_equal(member(r, "alg"), "RS256");
	assert_null(strstr(sg_jose_jwks(ec, a), "\"d\""));
	assert_null(strstr(sg_jose_jwks(rsa, a), "\"d\""));
	assert_null(strstr(sg_jose_jwks(rsa, a), "\"p\""));
	want = thumbprint_of(r);
	assert_string_equal(member(r, "kid"), want);
	free(want);
	json_decref(e);
	json_decref(r);
	sg_jose_key_free(ec);
	sg_jose_key_free(rsa);
	sg_arena_free(a);
}

/* ---- refused keys ---- */

static void
small_rsa_key_is_refused(void **state)
{
	(void)state;
	load_fails("rsa1024.pem", "1024 bits");
}

static void
ed25519_key_is_refused(void **state)
{
	(void)state;
	load_fails("ed25519.pem", "key type ED25519");
}

static void
other_curves_are_refused(void **state)
{
	(void)state;
	load_fails("p384.pem", "secp384r1");
}

static void
garbage_empty_missing_and_encrypted_files_are_refused(void **state)
{
	(void)state;
	load_fails("garbage.pem", "not a PEM private key");
	load_fails("empty.pem", "not a PEM private key");
	load_fails("encrypted.pem", "encrypted key is not supported");
	load_fails("missing.pem", "No such file");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(es256_token_verifies_against_the_jwks),
		cmocka_unit_test(rs256_token_verifies_against_the_jwks),
		cmocka_unit_test(optional_claims_are_left_out_and_groups_kept_as_an_array),
		cmocka_unit_test(a_token_from_another_key_does_not_verify),
		cmocka_unit_test(a_claim_that_is_not_utf8_fails_the_token),
		cmocka_unit_test(several_threads_sign_on_one_key),
		cmocka_unit_test(kid_is_the_rfc7638_thumbprint_of_the_rfc_example_key),
		cmocka_unit_test(ec_kid_is_the_thumbprint_and_stable),
		cmocka_unit_test(jwks_holds_only_public_members),
		cmocka_unit_test(small_rsa_key_is_refused),
		cmocka_unit_test(ed25519_key_is_refused),
		cmocka_unit_test(other_curves_are_refused),
		cmocka_unit_test(garbage_empty_missing_and_encrypted_files_are_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
