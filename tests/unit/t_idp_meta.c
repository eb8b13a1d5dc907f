/*
 * t_idp_meta.c - the IdP metadata snapshots of src/idp_meta.c, without the
 * keeper (no event loop, no network): which [idp] changes count as a new
 * source (a reload builds it again), how a snapshot is built from a
 * metadata document and the section's own values (these override the
 * document's), validUntil refusal and expiry, and sg_idp_meta_get's
 * on-demand path (what the command-line tools use) for explicit values and
 * a metadata file.  The documents are tests/unit/data/saml/metadata-*.xml.
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
#include "pipeline_int.h"
#include "saml.h"
#include "unit.h"

#ifndef SG_SRCDIR
#define SG_SRCDIR "."
#endif
#define DATA SG_SRCDIR "/tests/unit/data/saml"
#define NOW 1767225600     /* 2026-01-01T00:00:00Z */
#define B_UNTIL 1798761599 /* idp-b's validUntil, 2026-12-31T23:59:59Z */
#define KC "https://keycloak.example.test/realms/ssogw"

#define SERVER                                                                               \
	"[server]\nlisten = 127.0.0.1:8443\ntls_certificate = cert.pem\ntls_key = key.pem\n" \
	"[app jira]\nurl = https://jira.example.test/\nbackend = http://127.0.0.1:8080/\n"

static char tmpdir[] = "/tmp/sg-idpmeta-XXXXXX";

/* The [idp corp] of a configuration whose [idp] section holds lines;
 * *c gets the snapshot (the caller drops it). */
static const struct sg_conf_idp *
idp_of(const char *lines, struct sg_conf **c)
{
	char text[4096];

	snprintf(text, sizeof(text), SERVER "[idp corp]\ntype = saml\n%s", lines);
	*c = unit_conf_load(text, tmpdir);
	assert_non_null(*c);
	assert_int_equal((*c)->idp_count, 1);
	return (*c)->idps[0];
}

/* The document of the data folder named name; the caller frees it. */
static char *
doc(const char *name, size_t *len)
{
	char path[4096];
	char *s;

	snprintf(path, sizeof(path), "%s/%s", DATA, name);
	s = sg_read_file(path, 1024 * 1024, len);
	assert_non_null(s);
	return s;
}

static int
group_setup(void **state)
{
	struct sg_errlist e = { 0 };

	(void)state;
	if (mkdtemp(tmpdir) == NULL || unit_put_file(tmpdir, "cert.pem", "placeholder\n", 12) ||
	    unit_put_file(tmpdir, "key.pem", "placeholder\n", 12))
		return -1;
	return sg_saml_init(&e);
}

static int
group_teardown(void **state)
{
	(void)state;
	sg_saml_shutdown();
	unit_rmtree(tmpdir);
	return 0;
}

/* Name, metadata_url/file and the explicit values make the source; other
 * settings (require_signed, metadata_refresh) do not. */
static void
same_source(void **state)
{
	struct sg_conf *c1, *c2, *c3, *c4, *c5, *c6;
	const char *url = "metadata_url = https://idp.example.test/md\n";
	const struct sg_conf_idp *a = idp_of(url, &c1);

	(void)state;
	assert_true(sg_idp_meta_same_source(a, a));
	assert_true(sg_idp_meta_same_source(a, idp_of(url, &c2)));
	assert_true(sg_idp_meta_same_source(
	    a, idp_of("metadata_url = https://idp.example.test/md\nrequire_signed = both\n"
	              "metadata_refresh = 5m\n",
	              &c3)));
	assert_false(sg_idp_meta_same_source(
	    a, idp_of("metadata_url = https://idp.example.test/md2\n", &c4)));
	assert_false(sg_idp_meta_same_source(
	    a, idp_of("metadata_url = https://idp.example.test/md\nentity_id = x\n", &c5)));
	assert_false(sg_idp_meta_same_source(
	    a,
	    idp_of("metadata_url = https://idp.example.test/md\ncertificate = " DATA "/idp.crt\n",
	           &c6)));
	sg_conf_unref(c1);
	sg_conf_unref(c2);
	sg_conf_unref(c3);
	sg_conf_unref(c4);
	sg_conf_unref(c5);
	sg_conf_unref(c6);
}

/* Keycloak's document: every value from the metadata. */
static void
build_from_metadata(void **state)
{
	struct sg_conf *c;
	const struct sg_conf_idp *idp = idp_of("metadata_url = https://kc.example.test/md\n", &c);
	struct sg_err err = { 0 };
	struct sg_idp_meta *m;
	size_t len;
	char *xml = doc("metadata-keycloak.xml", &len);

	(void)state;
	m = sg_idp_meta_build(idp, xml, len, NOW, &err);
	assert_non_null(m);
	assert_string_equal(m->entity_id, KC);
	assert_string_equal(m->sso_url, KC "/protocol/saml");
	assert_string_equal(m->sso_post_url, KC "/protocol/saml");
	assert_string_equal(m->slo_url, KC "/protocol/saml");
	assert_string_equal(m->slo_response_url, KC "/protocol/saml");
	assert_non_null(m->keys);
	assert_int_equal(m->valid_until, 0);
	assert_false(sg_idp_meta_expired(m, NOW));
	sg_idp_meta_unref(m);
	free(xml);
	sg_conf_unref(c);
}

/* The section's values win over the document's; entity_id picks the
 * entity of an EntitiesDescriptor, whose validUntil comes along. */
static void
build_overrides(void **state)
{
	struct sg_conf *c;
	const struct sg_conf_idp *idp = idp_of("metadata_url = https://fed.example.test/md\n"
	                                       "entity_id = https://idp-b.example.test/saml\n"
	                                       "sso_url = https://idp-b.example.test/own-sso\n"
	                                       "slo_url = https://idp-b.example.test/own-slo\n",
	                                       &c);
	struct sg_err err = { 0 };
	struct sg_idp_meta *m;
	size_t len;
	char *xml = doc("metadata-entities.xml", &len);

	(void)state;
	m = sg_idp_meta_build(idp, xml, len, NOW, &err);
	assert_non_null(m);
	assert_string_equal(m->entity_id, "https://idp-b.example.test/saml");
	assert_string_equal(m->sso_url, "https://idp-b.example.test/own-sso");
	assert_string_equal(m->sso_post_url, "https://idp-b.example.test/own-sso");
	assert_string_equal(m->slo_url, "https://idp-b.example.test/own-slo");
	assert_string_equal(m->slo_response_url, "https://idp-b.example.test/own-slo");
	assert_int_equal(m->valid_until, B_UNTIL);
	assert_false(sg_idp_meta_expired(m, B_UNTIL - 1));
	assert_true(sg_idp_meta_expired(m, B_UNTIL));
	sg_idp_meta_unref(m);

	/* A document whose validUntil has passed is refused outright. */
	assert_null(sg_idp_meta_build(idp, xml, len, B_UNTIL, &err));
	assert_non_null(strstr(err.detail, "validUntil 2026-12-31T23:59:59Z has passed"));
	/* An unusable document is refused with the parser's reason. */
	assert_null(sg_idp_meta_build(idp, "<x/>", 4, NOW, &err));
	assert_non_null(strstr(err.detail, "not a SAML 2.0 metadata"));
	free(xml);
	sg_conf_unref(c);
}

/* Without the keeper, get builds on demand: explicit values, a file. */
static void
get_on_demand(void **state)
{
	struct sg_conf *c1, *c2, *c3;
	const char *why = NULL;
	struct sg_idp_meta *m;

	(void)state;
	m = sg_idp_meta_get(idp_of("entity_id = https://idp.example.test/\n"
	                           "sso_url = https://idp.example.test/sso\n"
	                           "certificate = " DATA "/idp.crt " DATA "/idp2.crt\n",
	                           &c1),
	                    NOW, &why);
	assert_non_null(m);
	assert_null(why);
	assert_string_equal(m->entity_id, "https://idp.example.test/");
	assert_string_equal(m->sso_post_url, "https://idp.example.test/sso");
	assert_null(m->slo_url);
	assert_non_null(m->keys);
	sg_idp_meta_unref(m);

	m = sg_idp_meta_get(idp_of("metadata_file = " DATA "/metadata-entities.xml\n"
	                           "entity_id = https://idp-a.example.test/saml\n",
	                           &c2),
	                    NOW, &why);
	assert_non_null(m);
	assert_string_equal(m->sso_url, "https://idp-a.example.test/sso/redirect");
	assert_string_equal(m->sso_post_url, "https://idp-a.example.test/sso/post");
	sg_idp_meta_unref(m);

	/* The same file read after idp-b's validUntil: nothing, and why. */
	m = sg_idp_meta_get(idp_of("metadata_file = " DATA "/metadata-entities.xml\n"
	                           "entity_id = https://idp-b.example.test/saml\n",
	                           &c3),
	                    B_UNTIL + 1, &why);
	assert_null(m);
	assert_non_null(why);
	assert_non_null(strstr(why, "metadata could not be loaded"));
	sg_conf_unref(c1);
	sg_conf_unref(c2);
	sg_conf_unref(c3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_source),
		cmocka_unit_test(build_from_metadata),
		cmocka_unit_test(build_overrides),
		cmocka_unit_test(get_on_demand),
	};

	sg_log_init("t_idp_meta", SG_LOG_ERROR);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
