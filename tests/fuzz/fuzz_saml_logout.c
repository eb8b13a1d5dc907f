/*
 * fuzz_saml_logout.c - libFuzzer target for the receiving side of SAML
 * Single Logout (src/saml/saml_logout.c).  The first byte picks the
 * binding: '0' (and anything not '1' or '2') an HTTP-Redirect query,
 * '1' an HTTP-POST SAMLRequest, '2' an HTTP-POST SAMLResponse; the rest is
 * the query or the form value.  Any bytes are accepted with the fields a
 * caller relies on, or refused with an error class and a reason and an
 * empty result; nothing crashes, leaks or reaches the network.  Unsigned
 * LogoutResponses are allowed, so that mutations reach the XML checks
 * without a valid signature.  The keys are the unit tests'
 * (tests/unit/data/saml, relative to the repository, where make check runs
 * the fuzzers).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "saml.h"

#define FUZZ_NOW 1767225660 /* 2026-01-01T00:01:00Z, the fixtures' now */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sg_saml_keys *idp, *sp;

static void
setup(void)
{
	struct sg_errlist errs = { 0 };
	const char *certs[] = { "tests/unit/data/saml/idp.crt", "tests/unit/data/saml/idpec.crt" };

	if (sg_saml_init(&errs) == -1)
		abort();
	idp = sg_saml_keys_from_cert_files(certs, 2, &errs);
	sp = sg_saml_keys_from_key_file("tests/unit/data/saml/sp.key",
	                                "tests/unit/data/saml/sp.crt", &errs);
	if (idp == NULL || sp == NULL)
		abort();
}

/* Aborts unless m is what a caller may rely on after a success. */
static void
check_accepted(const struct sg_saml_logout_message *m)
{
	if (m->id == NULL || m->issuer == NULL)
		abort();
	if (m->is_request && (m->name_id == NULL || m->name_id[0] == '\0' || !m->is_signed ||
	                      (m->nsession_indexes > 0 && m->session_indexes == NULL)))
		abort();
	if (!m->is_request && m->status == NULL)
		abort();
	if (m->relay_state != NULL && strlen(m->relay_state) > 80)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_saml_logout_trust t = { 0 };
	struct sg_saml_logout_message m;
	struct sg_err err = { 0 };
	struct sg_arena *a;
	char *s;
	int rc;

	if (size == 0)
		return 0;
	if (idp == NULL)
		setup();
	a = sg_arena_new();
	t.idp_entity_id = "https://idp.example.test/saml";
	t.idp_keys = idp;
	t.sp_keys = sp;
	t.slo_url = "https://jira.example.test/ssogw/saml/slo";
	t.clock_skew = 60;
	t.max_size = 64 * 1024;
	/* A copy of exactly the input's bytes, so that ASan sees any read
	 * past them. */
	s = malloc(size - 1 > 0 ? size - 1 : 1);
	memcpy(s, data + 1, size - 1);
	if (data[0] == '1' || data[0] == '2')
		rc = sg_saml_logout_receive_post(s, size - 1, data[0] == '1', &t, FUZZ_NOW, a, &m,
		                                 &err);
	else
		rc = sg_saml_logout_receive_redirect(s, size - 1, &t, FUZZ_NOW, a, &m, &err);
	if (rc == 0)
		check_accepted(&m);
	else if (rc != -1 || err.code == 0 || err.detail[0] == '\0' || m.id != NULL)
		abort();
	free(s);
	sg_arena_free(a);
	return 0;
}
