/*
 * t_url.c - sg_url_parse (src/http/url.c): the absolute http(s) URLs that
 * configuration names.  One table of good URLs with every part they split
 * into, one table of bad URLs that must each fail with a reason.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http.h"
#include "lib.h"

struct good_url {
	const char *in;
	bool https;
	const char *host;
	bool v6;
	unsigned port;
	bool port_given;
	const char *path;
	const char *query; /* NULL: none */
};

static const struct good_url good[] = {
	{ "https://example.com", true, "example.com", false, 443, false, "/", NULL },
	{ "https://example.com/", true, "example.com", false, 443, false, "/", NULL },
	{ "http://example.com/", false, "example.com", false, 80, false, "/", NULL },
	{ "https://example.com:8443/", true, "example.com", false, 8443, true, "/", NULL },
	{ "http://127.0.0.1:8080", false, "127.0.0.1", false, 8080, true, "/", NULL },
	{ "https://h:443/", true, "h", false, 443, true, "/", NULL },
	{ "https://h:65535/", true, "h", false, 65535, true, "/", NULL },
	{ "https://h:1", true, "h", false, 1, true, "/", NULL },
	{ "https://h/a/b%20c/%2F", true, "h", false, 443, false, "/a/b%20c/%2F", NULL },
	{ "https://h/p?x=1&y=%20", true, "h", false, 443, false, "/p", "x=1&y=%20" },
	{ "https://h?x=1", true, "h", false, 443, false, "/", "x=1" },
	{ "https://h:8443?x", true, "h", false, 8443, true, "/", "x" },
	{ "https://h/p?", true, "h", false, 443, false, "/p", "" },
	{ "https://h/a@b", true, "h", false, 443, false, "/a@b", NULL },
	{ "https://[::1]/", true, "::1", true, 443, false, "/", NULL },
	{ "https://[::1]:8443/x", true, "::1", true, 8443, true, "/x", NULL },
	{ "http://[2001:DB8::A]", false, "2001:db8::a", true, 80, false, "/", NULL },
	{ "https://[::ffff:192.0.2.1]:444", true, "::ffff:192.0.2.1", true, 444, true, "/", NULL },
	{ "https://Jira.Example.COM/Path", true, "jira.example.com", false, 443, false, "/Path",
	  NULL },
	{ "HTTPS://EXAMPLE.com/", true, "example.com", false, 443, false, "/", NULL },
	{ "HtTp://a-b_c.d~e/", false, "a-b_c.d~e", false, 80, false, "/", NULL },
};

static void
good_urls_split_into_parts(void **state)
{
	(void)state;
	for (size_t i = 0; i < SG_NELEM(good); i++) {
		const struct good_url *g = &good[i];
		struct sg_arena *a = sg_arena_new();
		struct sg_url u;
		const char *why = NULL;
		int rc = sg_url_parse(g->in, a, &u, &why);

		if (rc != 0)
			print_message("%s: %s\n", g->in, why ? why : "(no reason)");
		assert_int_equal(rc, 0);
		assert_true(u.https == g->https);
		assert_string_equal(u.host, g->host);
		assert_true(u.host_is_v6 == g->v6);
		assert_int_equal(u.port, g->port);
		assert_true(u.port_given == g->port_given);
		assert_string_equal(u.path, g->path);
		if (g->query == NULL)
			assert_null(u.query);
		else
			assert_string_equal(u.query, g->query);
		sg_arena_free(a);
	}
}

static void
host_of_255_chars_is_accepted(void **state)
{
	char in[300] = "https://";
	struct sg_arena *a = sg_arena_new();
	struct sg_url u;
	const char *why = NULL;

	(void)state;
	memset(in + 8, 'a', 255);
	in[8 + 255] = '\0';
	assert_int_equal(sg_url_parse(in, a, &u, &why), 0);
	assert_int_equal(strlen(u.host), 255);
	sg_arena_free(a);
}

struct bad_url {
	const char *in;
	const char *why; /* a word the reason must contain */
};

static const struct bad_url bad[] = {
	{ "example.com/", "http" },
	{ "//example.com/", "http" },
	{ "ftp://example.com/", "http" },
	{ "https:/example.com/", "http" },
	{ "", "http" },
	{ "https://user@example.com/", "user info" },
	{ "https://user:pw@example.com/", "user info" },
	{ "https://example.com/#frag", "fragment" },
	{ "https://example.com#", "fragment" },
	{ "https://exa mple.com/", "space" },
	{ "https://example.com/a b", "space" },
	{ "https://example.com/\t", "space" },
	{ "https://example.com/\x01", "control" },
	{ "https://example.com/\x7f", "control" },
	{ "https://example.com/\n", "control" },
	{ "https://", "host" },
	{ "https:///path", "host" },
	{ "https://:443/", "host" },
	{ "https://?q", "host" },
	{ "https://exa%6dple.com/", "host" },
	{ "https://ex!ample.com/", "host" },
	{ "https://host:0/", "port" },
	{ "https://host:00/", "port" },
	{ "https://host:65536/", "port" },
	{ "https://host:99999999999999999999/", "port" },
	{ "https://host:8o/", "port" },
	{ "https://host:http/", "port" },
	{ "https://host:-1/", "port" },
	{ "https://host:+80/", "port" },
	{ "https://host:", "port" },
	{ "https://host:/", "port" },
	{ "https://host:80:81/", "port" },
	{ "https://[zz]/", "IPv6" },
	{ "https://[]/", "IPv6" },
	{ "https://[::1/", "IPv6" },
	{ "https://[::1%25eth0]/", "IPv6" },
	{ "https://[::1]x/", "port" },
	{ "https://[::1]:/", "port" },
	{ "https://[::1]:0/", "port" },
};

static void
bad_urls_fail_with_a_reason(void **state)
{
	(void)state;
	for (size_t i = 0; i < SG_NELEM(bad); i++) {
		struct sg_arena *a = sg_arena_new();
		struct sg_url u;
		const char *why = NULL;
		int rc = sg_url_parse(bad[i].in, a, &u, &why);

		if (rc != -1 || why == NULL || strstr(why, bad[i].why) == NULL)
			print_message("\"%s\": rc %d, reason \"%s\", expected one with \"%s\"\n",
			              bad[i].in, rc, why ? why : "(none)", bad[i].why);
		assert_int_equal(rc, -1);
		assert_non_null(why);
		assert_non_null(strstr(why, bad[i].why));
		sg_arena_free(a);
	}
}

static void
host_of_256_chars_is_refused(void **state)
{
	char in[300] = "https://";
	struct sg_arena *a = sg_arena_new();
	struct sg_url u;
	const char *why = NULL;

	(void)state;
	memset(in + 8, 'a', 256);
	strcpy(in + 8 + 256, "/");
	assert_int_equal(sg_url_parse(in, a, &u, &why), -1);
	assert_non_null(why);
	assert_non_null(strstr(why, "too long"));
	sg_arena_free(a);
}

static void
reparsing_clears_earlier_results(void **state)
{
	struct sg_arena *a = sg_arena_new();
	struct sg_url u;
	const char *why = NULL;

	(void)state;
	assert_int_equal(sg_url_parse("https://[::1]:8443/p?q", a, &u, &why), 0);
	assert_int_equal(sg_url_parse("http://h", a, &u, &why), 0);
	assert_false(u.host_is_v6);
	assert_false(u.port_given);
	assert_int_equal(u.port, 80);
	assert_null(u.query);
	sg_arena_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_urls_split_into_parts),
		cmocka_unit_test(host_of_255_chars_is_accepted),
		cmocka_unit_test(bad_urls_fail_with_a_reason),
		cmocka_unit_test(host_of_256_chars_is_refused),
		cmocka_unit_test(reparsing_clears_earlier_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
