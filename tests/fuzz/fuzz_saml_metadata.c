/*
 * fuzz_saml_metadata.c - libFuzzer target for sg_saml_idp_metadata_parse,
 * which reads a file an admin downloaded from the IdP (or, later, fetched
 * from it): any bytes give an IdP with an entity ID, a sign-on URL and at
 * least one signing certificate, or an input error with a reason.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "saml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct sg_errlist errs = { 0 };
	struct sg_saml_idp_metadata md;
	struct sg_err err = { 0 };
	struct sg_arena *a;

	if (!ready && sg_saml_init(&errs) == -1)
		abort();
	ready = true;
	a = sg_arena_new();
	if (sg_saml_idp_metadata_parse((const char *)data, size, NULL, a, &md, &err) == 0) {
		if (md.entity_id == NULL ||
		    (md.sso_redirect_url == NULL && md.sso_post_url == NULL) || md.ncerts == 0)
			abort();
	} else if (err.code == 0 || err.detail[0] == '\0') {
		abort();
	}
	sg_arena_free(a);
	return 0;
}
