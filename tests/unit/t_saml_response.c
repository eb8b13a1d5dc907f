/*
 * t_saml_response.c - validation of SAML Responses (src/saml): every line
 * of tests/unit/data/saml/manifest.txt (fixtures made by gen.sh with the
 * xmlsec1 command line; one cmocka test per line, named after it), then
 * direct tests of the parts that need no signature: base64, xs:dateTime,
 * the hardened parser (DOCTYPE, entities, depth, node count), duplicate
 * IDs, the document's shape (wrapping), Status, and key loading.
 *
 * SG_SAML_FIXTURES in the environment points at another fixture folder
 * (a scratch run of gen.sh); the default is the committed one.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib.h"
#include "saml.h"
#include "saml_int.h"

#ifndef SG_SRCDIR
#define SG_SRCDIR "."
#endif
#define DATA_DEFAULT SG_SRCDIR "/tests/unit/data/saml"

#define IDP_ENTITY "https://idp.example.test/saml"
#define SP_ENTITY "https://jira.example.test/ssogw/saml/metadata"
#define ACS_URL "https://jira.example.test/ssogw/saml/acs"
#define REQ_ID "_ssogw_req_1"
#define NOW 1767225660 /* 2026-01-01T00:01:00Z */

static const char *data_dir;
static struct sg_saml_keys *idp_keys, *idp_ec_keys, *sp_keys;

/* One manifest line. */
struct mline {
	char *file;
	char *expect;
	char *options;
	char *name; /* the test's name: the whole line */
};

/* The error class names of the manifest, by enum sg_saml_error. */
static const char *
code_name(int code)
{
	switch (code) {
	case 0:
		return "ok";
	case SG_SAML_ERR_INPUT:
		return "input";
	case SG_SAML_ERR_STATUS:
		return "status";
	case SG_SAML_ERR_SIGNATURE:
		return "signature";
	case SG_SAML_ERR_ISSUER:
		return "issuer";
	case SG_SAML_ERR_DESTINATION:
		return "destination";
	case SG_SAML_ERR_AUDIENCE:
		return "audience";
	case SG_SAML_ERR_TIME:
		return "time";
	case SG_SAML_ERR_IN_RESPONSE_TO:
		return "in_response_to";
	case SG_SAML_ERR_ASSERTION:
		return "assertion";
	case SG_SAML_ERR_DECRYPT:
		return "decrypt";
	default:
		return "?";
	}
}

/* The default trust of the fixtures. */
static struct sg_saml_trust
default_trust(void)
{
	struct sg_saml_trust t = {
		.idp_entity_id = IDP_ENTITY,
		.idp_keys = idp_keys,
		.sp_keys = sp_keys,
		.sp_entity_id = SP_ENTITY,
		.acs_url = ACS_URL,
		.require_signed = SG_SAML_SIGNED_EITHER,
		.allow_sha1 = false,
		.clock_skew = 60,
		.in_response_to = REQ_ID,
		.allow_unsolicited = false,
		.max_size = 256 * 1024,
	};
	return t;
}

/* Validates b64 with t at now; the error class name, "ok" on success.
 * The identity is copied to *id when id is not NULL. */
static const char *
run(const char *b64, const struct sg_saml_trust *t, int64_t now, struct sg_arena *a,
    struct sg_saml_identity *id, struct sg_err *err)
{
	struct sg_saml_identity tmp;
	int rc;

	rc = sg_saml_validate_response(b64, strlen(b64), t, now, a, id != NULL ? id : &tmp, err,
	                               NULL, NULL);
	if (rc == 0)
		assert_int_equal(err->code, 0);
	else
		assert_int_not_equal(err->code, 0);
	return rc == 0 ? "ok" : code_name(err->code);
}

/* Reads a fixture file of the data folder (NULL if absent). */
static char *
read_fixture(const char *name)
{
	char path[4096];
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	return sg_read_file(path, 4 * 1024 * 1024, &len);
}

/* Applies one manifest option to t, now and the expected NameID. */
static void
apply_option(const char *o, struct sg_saml_trust *t, int64_t *now, const char **nameid)
{
	if (strcmp(o, "require=either") == 0)
		t->require_signed = SG_SAML_SIGNED_EITHER;
	else if (strcmp(o, "require=assertion") == 0)
		t->require_signed = SG_SAML_SIGNED_ASSERTION;
	else if (strcmp(o, "require=response") == 0)
		t->require_signed = SG_SAML_SIGNED_RESPONSE;
	else if (strcmp(o, "require=both") == 0)
		t->require_signed = SG_SAML_SIGNED_BOTH;
	else if (strcmp(o, "sha1") == 0)
		t->allow_sha1 = true;
	else if (strcmp(o, "unsolicited") == 0) {
		t->in_response_to = NULL;
		t->allow_unsolicited = true;
	} else if (strcmp(o, "unsolicited-refused") == 0) {
		t->in_response_to = NULL;
		t->allow_unsolicited = false;
	} else if (strncmp(o, "now=", 4) == 0)
		*now = NOW + strtoll(o + 4, NULL, 10);
	else if (strcmp(o, "nosp") == 0)
		t->sp_keys = NULL;
	else if (strcmp(o, "ec") == 0)
		t->idp_keys = idp_ec_keys;
	else if (strncmp(o, "nameid=", 7) == 0)
		*nameid = o + 7;
	else
		fail_msg("unknown manifest option %s", o);
}

/* One manifest line: the expected class, and the NameID of ok lines. */
static void
manifest_line(void **state)
{
	const struct mline *m = *state;
	struct sg_saml_trust t = default_trust();
	struct sg_saml_identity id;
	struct sg_arena *a = sg_arena_new();
	struct sg_err err;
	int64_t now = NOW;
	const char *nameid = NULL, *got;
	char *b64, *opts, *o, *save = NULL;

	opts = sg_xstrdup(m->options != NULL ? m->options : "");
	for (o = strtok_r(opts, ",", &save); o != NULL; o = strtok_r(NULL, ",", &save))
		apply_option(o, &t, &now, &nameid);
	b64 = read_fixture(m->file);
	assert_non_null(b64);
	got = run(b64, &t, now, a, &id, &err);
	if (strcmp(got, m->expect) != 0)
		fail_msg("%s: expected %s, got %s (%s)", m->file, m->expect, got, err.detail);
	if (strcmp(got, "ok") == 0) {
		assert_string_equal(id.issuer, IDP_ENTITY);
		assert_non_null(id.assertion_id);
		assert_true(id.assertion_expires > now - 60);
		if (nameid != NULL)
			assert_string_equal(id.name_id, nameid);
	}
	free(b64);
	free(opts);
	sg_arena_free(a);
}

/* Loads the manifest into *out; the count, 0 when there is none. */
static size_t
load_manifest(struct mline **out)
{
	char *text = read_fixture("manifest.txt"), *line, *save = NULL;
	struct mline *v = NULL;
	size_t n = 0;

	if (text == NULL)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *f, *e, *o, *s2 = NULL, *copy;

		if (line[0] == '#' || line[strspn(line, " \t\r")] == '\0')
			continue;
		copy = sg_xstrdup(line);
		f = strtok_r(line, " \t\r", &s2);
		e = strtok_r(NULL, " \t\r", &s2);
		o = strtok_r(NULL, " \t\r", &s2);
		if (f == NULL || e == NULL) {
			free(copy);
			continue;
		}
		v = sg_xrealloc(v, (n + 1) * sizeof(*v));
		v[n].file = sg_xstrdup(f);
		v[n].expect = sg_xstrdup(e);
		v[n].options = o != NULL ? sg_xstrdup(o) : NULL;
		v[n].name = copy;
		n++;
	}
	free(text);
	*out = v;
	return n;
}

/* --- direct tests ------------------------------------------------------ */

/* base64 as the HTTP-POST binding carries it. */
static void
base64_decoding(void **state)
{
	struct sg_buf b = { 0 };

	(void)state;
	assert_int_equal(saml_base64_decode("aGVs\r\n bG8=", 11, 100, &b), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "hello", 5);
	sg_buf_reset(&b);
	assert_int_equal(saml_base64_decode("aGk=", 4, 100, &b), 0);
	assert_int_equal(b.len, 2);
	sg_buf_reset(&b);
	assert_int_equal(saml_base64_decode("aA==", 4, 100, &b), 0);
	assert_int_equal(b.len, 1);
	sg_buf_reset(&b);
	assert_int_equal(saml_base64_decode("", 0, 100, &b), 0);
	assert_int_equal(saml_base64_decode("aGVsbG8", 7, 100, &b), -1);       /* length */
	assert_int_equal(saml_base64_decode("aG=sbG8=", 8, 100, &b), -1);      /* inner pad */
	assert_int_equal(saml_base64_decode("aGVs*G8=", 8, 100, &b), -1);      /* alphabet */
	assert_int_equal(saml_base64_decode("a===", 4, 100, &b), -1);          /* 3 pads */
	assert_int_equal(saml_base64_decode("aGVsbG8=aGk=", 12, 100, &b), -1); /* after pad */
	assert_int_equal(saml_base64_decode("aGVsbG8=", 8, 4, &b), -2);        /* size */
	sg_buf_free(&b);
}

/* xs:dateTime in UTC only, calendar-checked. */
static void
time_parsing(void **state)
{
	int64_t t = 0;

	(void)state;
	assert_int_equal(saml_time_parse("2026-01-01T00:01:00Z", &t), 0);
	assert_int_equal(t, NOW);
	assert_int_equal(saml_time_parse("2026-01-01T00:01:00.123456Z", &t), 0);
	assert_int_equal(t, NOW);
	assert_int_equal(saml_time_parse("2026-01-01T00:01:00+00:00", &t), 0);
	assert_int_equal(saml_time_parse("2024-02-29T12:00:00Z", &t), 0);
	assert_int_equal(saml_time_parse("2026-01-01T00:01:00", &t), -1);
	assert_int_equal(saml_time_parse("2026-01-01T00:01:00-05:00", &t), -1);
	assert_int_equal(saml_time_parse("2026-01-01T00:01:00.Z", &t), -1);
	assert_int_equal(saml_time_parse("2025-02-29T00:00:00Z", &t), -1);
	assert_int_equal(saml_time_parse("2026-01-01T24:00:00Z", &t), -1);
	assert_int_equal(saml_time_parse("2026-01-01T23:59:60Z", &t), -1);
	assert_int_equal(saml_time_parse("2026-1-01T00:00:00Z", &t), -1);
	assert_int_equal(saml_time_parse("2026-01-01T00:01:00Zjunk", &t), -1);
	assert_int_equal(saml_time_parse(" 2026-01-01T00:01:00Z", &t), -1);
}

/* Base64 of s, for hand-written XML. */
static char *
b64_of(const char *s)
{
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), i, o = 0;
	char *out = sg_xmalloc(n / 3 * 4 + 8);
	const unsigned char *p = (const unsigned char *)s;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = al[p[i] >> 2];
		out[o++] = al[(p[i] & 3) << 4 | p[i + 1] >> 4];
		out[o++] = al[(p[i + 1] & 15) << 2 | p[i + 2] >> 6];
		out[o++] = al[p[i + 2] & 63];
	}
	if (n - i == 1) {
		out[o++] = al[p[i] >> 2];
		out[o++] = al[(p[i] & 3) << 4];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		out[o++] = al[p[i] >> 2];
		out[o++] = al[(p[i] & 3) << 4 | p[i + 1] >> 4];
		out[o++] = al[(p[i + 1] & 15) << 2];
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

/* The error class of validating the XML text xml with the default trust;
 * the detail is copied to detail (200 bytes) when not NULL. */
static const char *
run_xml(const char *xml, char *detail)
{
	static char got[32];
	struct sg_saml_trust t = default_trust();
	struct sg_arena *a = sg_arena_new();
	struct sg_err err;
	char *b64 = b64_of(xml);

	snprintf(got, sizeof(got), "%s", run(b64, &t, NOW, a, NULL, &err));
	if (detail != NULL)
		snprintf(detail, 200, "%s", err.detail);
	free(b64);
	sg_arena_free(a);
	return got;
}

#define RESP_OPEN                                                                                  \
	"<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "                    \
	"xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"_r1\" Version=\"2.0\" "         \
	"IssueInstant=\"2026-01-01T00:00:00Z\" Destination=\"" ACS_URL "\" InResponseTo=\"" REQ_ID \
	"\"><saml:Issuer>" IDP_ENTITY "</saml:Issuer>"
#define SUCCESS                                                                                  \
	"<samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/>" \
	"</samlp:Status>"
#define ASSERTION(id)                                                                             \
	"<saml:Assertion ID=\"" id "\" Version=\"2.0\" IssueInstant=\"2026-01-01T00:00:00Z\">"    \
	"<saml:Issuer>" IDP_ENTITY "</saml:Issuer><saml:Subject><saml:NameID>alice</saml:NameID>" \
	"</saml:Subject></saml:Assertion>"
#define RESP_CLOSE "</samlp:Response>"

/* Input that is not a SAMLResponse at all. */
static void
bad_input_is_refused(void **state)
{
	struct sg_saml_trust t = default_trust();
	struct sg_arena *a = sg_arena_new();
	struct sg_err err;
	char *big, *b64;

	(void)state;
	assert_string_equal(run("not base64!", &t, NOW, a, NULL, &err), "input");
	assert_string_equal(run("", &t, NOW, a, NULL, &err), "input");
	assert_string_equal(run("aGVsbG8", &t, NOW, a, NULL, &err), "input");
	assert_string_equal(run_xml("hello, world", NULL), "input");
	assert_string_equal(run_xml("<samlp:Response", NULL), "input");
	assert_string_equal(run_xml("<a/>", NULL), "input"); /* not a Response */
	/* Too large: the limit is on the decoded bytes. */
	big = sg_xmalloc(300 * 1024);
	memset(big, ' ', 300 * 1024 - 1);
	big[300 * 1024 - 1] = '\0';
	memcpy(big, "<x>", 3);
	b64 = b64_of(big);
	assert_string_equal(run(b64, &t, NOW, a, NULL, &err), "input");
	assert_non_null(strstr(err.detail, "larger"));
	free(b64);
	free(big);
	sg_arena_free(a);
}

/* A DOCTYPE is refused however harmless, and entities never expand. */
static void
doctype_and_entities_are_refused(void **state)
{
	char detail[200];

	(void)state;
	assert_string_equal(run_xml("<!DOCTYPE samlp:Response>" RESP_OPEN SUCCESS ASSERTION("_a1")
	                                RESP_CLOSE,
	                            detail),
	                    "input");
	assert_non_null(strstr(detail, "DOCTYPE"));
	assert_string_equal(run_xml("<!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	                            "<r>&x;</r>",
	                            NULL),
	                    "input");
	assert_string_equal(run_xml("<!DOCTYPE r [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]>"
	                            "<r>&b;</r>",
	                            NULL),
	                    "input");
	assert_string_equal(run_xml("<!DOCTYPE r SYSTEM \"http://127.0.0.1:1/x.dtd\"><r/>", NULL),
	                    "input");
	/* An undefined entity without a DTD is not well-formed. */
	assert_string_equal(run_xml(RESP_OPEN SUCCESS "<x>&x;</x>" RESP_CLOSE, NULL), "input");
}

/* Depth and node count are bounded below libxml2's own limits. */
static void
depth_and_node_count_are_bounded(void **state)
{
	struct sg_buf b = { 0 };
	char detail[200];
	int i;

	(void)state;
	sg_buf_puts(&b, RESP_OPEN SUCCESS);
	for (i = 0; i < 70; i++)
		sg_buf_puts(&b, "<x>");
	for (i = 0; i < 70; i++)
		sg_buf_puts(&b, "</x>");
	sg_buf_puts(&b, RESP_CLOSE);
	assert_string_equal(run_xml(b.data, detail), "input");
	assert_non_null(strstr(detail, "deeply"));
	sg_buf_reset(&b);
	sg_buf_puts(&b, RESP_OPEN SUCCESS "<x>");
	for (i = 0; i < 25000; i++)
		sg_buf_puts(&b, "<y/>");
	sg_buf_puts(&b, "</x>" RESP_CLOSE);
	assert_string_equal(run_xml(b.data, detail), "input");
	assert_non_null(strstr(detail, "nodes"));
	sg_buf_free(&b);
}

/* "#ID" must name one element: a repeated ID (any ID-like attribute,
 * xml:id included) is a wrapping attempt. */
static void
duplicate_ids_are_refused(void **state)
{
	(void)state;
	assert_string_equal(run_xml(RESP_OPEN SUCCESS ASSERTION("_r1") RESP_CLOSE, NULL),
	                    "signature");
	assert_string_equal(
	    run_xml(RESP_OPEN SUCCESS "<x xml:id=\"_a1\"/>" ASSERTION("_a1") RESP_CLOSE, NULL),
	    "signature");
	assert_string_equal(
	    run_xml(RESP_OPEN SUCCESS "<x Id=\"_a1\"/>" ASSERTION("_a1") RESP_CLOSE, NULL),
	    "signature");
	assert_string_equal(
	    run_xml(RESP_OPEN SUCCESS "<x ID=\"\"/>" ASSERTION("_a1") RESP_CLOSE, NULL),
	    "signature");
}

/* Exactly one assertion, the Response's child; signatures in place. */
static void
document_shape_is_checked(void **state)
{
	(void)state;
	assert_string_equal(run_xml(RESP_OPEN SUCCESS RESP_CLOSE, NULL), "assertion");
	assert_string_equal(
	    run_xml(RESP_OPEN SUCCESS ASSERTION("_a1") ASSERTION("_a2") RESP_CLOSE, NULL),
	    "assertion");
	assert_string_equal(run_xml(RESP_OPEN "<samlp:Extensions>" ASSERTION(
	                                "_a1") "</samlp:Extensions>" SUCCESS RESP_CLOSE,
	                            NULL),
	                    "signature");
	assert_string_equal(
	    run_xml(RESP_OPEN
	            "<samlp:Extensions><ds:Signature "
	            "xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/></samlp:Extensions>" SUCCESS
	                ASSERTION("_a1") RESP_CLOSE,
	            NULL),
	    "signature");
	/* Unsigned: refused for want of a signature, whatever it says. */
	assert_string_equal(run_xml(RESP_OPEN SUCCESS ASSERTION("_a1") RESP_CLOSE, NULL),
	                    "signature");
	/* Not version 2.0. */
	assert_string_equal(
	    run_xml("<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
	            "ID=\"_r\" Version=\"1.1\" IssueInstant=\"2026-01-01T00:00:00Z\"/>",
	            NULL),
	    "input");
}

/* A Status other than Success is reported with its codes. */
static void
status_failure_names_the_codes(void **state)
{
	char detail[200];

	(void)state;
	assert_string_equal(
	    run_xml(RESP_OPEN
	            "<samlp:Status><samlp:StatusCode "
	            "Value=\"urn:oasis:names:tc:SAML:2.0:status:Responder\"><samlp:StatusCode "
	            "Value=\"urn:oasis:names:tc:SAML:2.0:status:AuthnFailed\"/>"
	            "</samlp:StatusCode></samlp:Status>" RESP_CLOSE,
	            detail),
	    "status");
	assert_non_null(strstr(detail, "status:Responder"));
	assert_non_null(strstr(detail, "AuthnFailed"));
}

/* Records the checks the callback hears. */
static void
record_check(void *arg, const char *check, bool passed, const char *detail)
{
	struct sg_buf *b = arg;

	(void)detail;
	sg_buf_printf(b, "%s:%s ", check, passed ? "ok" : "FAIL");
}

/* The callback hears each check, the failed one last. */
static void
checks_are_reported(void **state)
{
	struct sg_saml_trust t = default_trust();
	struct sg_saml_identity id;
	struct sg_arena *a = sg_arena_new();
	struct sg_buf heard = { 0 };
	struct sg_err err;
	char *b64 = b64_of(RESP_OPEN SUCCESS ASSERTION("_a1") RESP_CLOSE);

	(void)state;
	assert_int_equal(sg_saml_validate_response(b64, strlen(b64), &t, NOW, a, &id, &err,
	                                           record_check, &heard),
	                 -1);
	assert_string_equal(heard.data,
	                    "parse:ok response:ok status:ok structure:ok signature:FAIL ");
	assert_null(id.name_id);
	sg_buf_free(&heard);
	free(b64);
	sg_arena_free(a);
}

/* Key files: missing, not PEM, refcounts. */
static void
key_loading(void **state)
{
	struct sg_errlist errs = { 0 };
	const char *missing[] = { "/nonexistent/idp.crt" };
	const char *notpem[] = { "/etc/hostname" };
	char path[4096];
	const char *p[1];
	struct sg_saml_keys *k;

	(void)state;
	assert_null(sg_saml_keys_from_cert_files(missing, 1, &errs));
	assert_null(sg_saml_keys_from_cert_files(notpem, 1, &errs));
	assert_null(sg_saml_keys_from_cert_files(NULL, 0, &errs));
	assert_null(sg_saml_keys_from_key_file("/nonexistent/sp.key", NULL, &errs));
	assert_int_equal(errs.count, 4);
	sg_errlist_clear(&errs);
	if (idp_keys == NULL)
		skip();
	snprintf(path, sizeof(path), "%s/idp.crt", data_dir);
	p[0] = path;
	k = sg_saml_keys_from_cert_files(p, 1, &errs);
	assert_non_null(k);
	assert_ptr_equal(sg_saml_keys_ref(k), k);
	sg_saml_keys_unref(k);
	sg_saml_keys_unref(k);
	/* The SP key with a certificate that is not its own. */
	snprintf(path, sizeof(path), "%s/sp.key", data_dir);
	{
		char cert[4096];

		snprintf(cert, sizeof(cert), "%s/idp.crt", data_dir);
		assert_null(sg_saml_keys_from_key_file(path, cert, &errs));
		assert_int_equal(errs.count, 1);
	}
	sg_errlist_clear(&errs);
}

/* Validations on several threads at once over shared keys. */
static void *
thread_body(void *arg)
{
	const char *b64 = arg;
	struct sg_saml_trust t = default_trust();
	struct sg_arena *a;
	struct sg_saml_identity id;
	struct sg_err err;
	intptr_t bad = 0;
	int i;

	for (i = 0; i < 20; i++) {
		a = sg_arena_new();
		if (sg_saml_validate_response(b64, strlen(b64), &t, NOW, a, &id, &err, NULL,
		                              NULL) != 0 ||
		    strcmp(id.name_id, "alice@example.test") != 0)
			bad++;
		sg_arena_free(a);
	}
	return (void *)bad;
}

/* Worker threads validate concurrently (run under ASan/UBSan). */
static void
concurrent_validations(void **state)
{
	char *b64 = read_fixture("valid-both-signed.b64");
	pthread_t th[4];
	void *ret;
	int i;

	(void)state;
	if (b64 == NULL || idp_keys == NULL) {
		free(b64);
		skip();
	}
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, thread_body, b64), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_int_equal((intptr_t)ret, 0);
	}
	free(b64);
}

/* Loads the fixture keys (NULL when the folder has none yet). */
static void
load_keys(void)
{
	struct sg_errlist errs = { 0 };
	char a[4096], b[4096], c[4096], k[4096];
	const char *paths[3] = { a, b, c };

	snprintf(a, sizeof(a), "%s/idp.crt", data_dir);
	snprintf(b, sizeof(b), "%s/idp2.crt", data_dir);
	snprintf(c, sizeof(c), "%s/idpec.crt", data_dir);
	idp_keys = sg_saml_keys_from_cert_files(paths, 2, &errs);
	idp_ec_keys = sg_saml_keys_from_cert_files(paths, 3, &errs);
	snprintf(k, sizeof(k), "%s/sp.key", data_dir);
	snprintf(c, sizeof(c), "%s/sp.crt", data_dir);
	sp_keys = sg_saml_keys_from_key_file(k, c, &errs);
	sg_errlist_clear(&errs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(base64_decoding),
		cmocka_unit_test(time_parsing),
		cmocka_unit_test(bad_input_is_refused),
		cmocka_unit_test(doctype_and_entities_are_refused),
		cmocka_unit_test(depth_and_node_count_are_bounded),
		cmocka_unit_test(duplicate_ids_are_refused),
		cmocka_unit_test(document_shape_is_checked),
		cmocka_unit_test(status_failure_names_the_codes),
		cmocka_unit_test(checks_are_reported),
		cmocka_unit_test(key_loading),
		cmocka_unit_test(concurrent_validations),
	};
	struct sg_errlist errs = { 0 };
	struct CMUnitTest *mt;
	struct mline *lines = NULL;
	size_t n, i;
	int failed;

	data_dir = getenv("SG_SAML_FIXTURES") != NULL ? getenv("SG_SAML_FIXTURES") : DATA_DEFAULT;
	if (sg_saml_init(&errs) < 0) {
		fprintf(stderr, "sg_saml_init: %s\n", errs.msg[0]);
		return 1;
	}
	load_keys();
	failed = cmocka_run_group_tests_name("saml_direct", tests, NULL, NULL);
	n = load_manifest(&lines);
	if (n == 0)
		printf("[  SKIPPED ] no %s/manifest.txt yet\n", data_dir);
	else if (idp_keys == NULL || idp_ec_keys == NULL || sp_keys == NULL) {
		printf("[  FAILED  ] the fixture keys in %s do not load\n", data_dir);
		failed++;
	} else {
		mt = sg_xcalloc(n, sizeof(*mt));
		for (i = 0; i < n; i++) {
			mt[i].name = lines[i].name;
			mt[i].test_func = manifest_line;
			mt[i].initial_state = &lines[i];
		}
		failed += _cmocka_run_group_tests("saml_manifest", mt, n, NULL, NULL);
		free(mt);
	}
	for (i = 0; i < n; i++) {
		free(lines[i].file);
		free(lines[i].expect);
		free(lines[i].options);
		free(lines[i].name);
	}
	free(lines);
	sg_saml_keys_unref(idp_keys);
	sg_saml_keys_unref(idp_ec_keys);
	sg_saml_keys_unref(sp_keys);
	sg_saml_shutdown();
	return failed != 0;
}
