/*
 * fuzz_saml.c - libFuzzer target for the ACS's response validation: any
 * bytes as a posted SAMLResponse either validate (a mutation that kept a
 * fixture valid, such as white space in its base64) or fail with an error
 * class and a reason; nothing crashes, leaks or reaches the network.  The
 * trust set is the unit tests' (tests/unit/data/saml, relative to the
 * repository, where make check runs the fuzzers).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "saml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sg_saml_keys *idp, *sp;

static void
setup(void)
{
	struct sg_errlist errs = { 0 };
	const char *certs[] = { "tests/unit/data/saml/idp.crt", "tests/unit/data/saml/idp2.crt" };

	if (sg_saml_init(&errs) == -1)
		abort();
	idp = sg_saml_keys_from_cert_files(certs, 2, &errs);
	sp = sg_saml_keys_from_key_file("tests/unit/data/saml/sp.key",
	                                "tests/unit/data/saml/sp.crt", &errs);
	if (idp == NULL || sp == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_saml_trust t = { 0 };
	struct sg_saml_identity id;
	struct sg_err err = { 0 };
	struct sg_arena *a;

	if (idp == NULL)
		setup();
	a = sg_arena_new();
	t.idp_entity_id = "https://idp.example.test/saml";
	t.idp_keys = idp;
	t.sp_keys = sp;
	t.sp_entity_id = "https://jira.example.test/ssogw/saml/metadata";
	t.acs_url = "https://jira.example.test/ssogw/saml/acs";
	t.require_signed = SG_SAML_SIGNED_EITHER;
	t.clock_skew = 60;
	t.in_response_to = "_ssogw_req_1";
	t.max_size = 256 * 1024;
	if (sg_saml_validate_response((const char *)data, size, &t, 1767225660, a, &id, &err, NULL,
	                              NULL) == 0) {
		if (id.name_id == NULL || id.assertion_id == NULL)
			abort();
	} else if (err.code == 0 || err.detail[0] == '\0') {
		abort();
	}
	sg_arena_free(a);
	return 0;
}
