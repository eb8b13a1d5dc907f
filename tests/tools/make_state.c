/*
 * make_state.c - writes a session state file holding N sessions, for `make
 * bench` to measure what ssogw's memory store costs when it holds them:
 *
 *   make_state CONF N GROUPS
 *
 * CONF is an ssogw configuration with state_dir and session_key_file; the
 * file goes to <state_dir>/sessions.state, sealed under the key that ssogw
 * derives from session_key_file, so that ssogw restores it at start.  Each
 * session has a distinct user, an email, a display name and GROUPS groups.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "conf.h"
#include "session.h"
#include "sso.h"

static void
done(void *arg, enum sg_store_status st)
{
	*(enum sg_store_status *)arg = st;
}

int
main(int argc, char **argv)
{
	struct sg_errlist errs = { 0 };
	struct sg_conf *c;
	struct sg_store *st;
	struct sg_sso_keys keys;
	int64_t now = (int64_t)time(NULL);
	unsigned long n, ngroups;
	char path[4096];

	if (argc != 4) {
		fprintf(stderr, "usage: make_state CONF N GROUPS\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	ngroups = strtoul(argv[3], NULL, 10);
	sg_conf_test_idp_allowed = true; /* bench configs sign in with the test IdP */
	c = sg_conf_load(argv[1], &errs);
	if (c == NULL || c->session.state_dir == NULL || sg_sso_keys_load(c, &keys, &errs) == -1 ||
	    (st = sg_store_new(c, &errs)) == NULL) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		fprintf(stderr, "make_state: needs a loadable config with state_dir\n");
		return 1;
	}
	for (unsigned long i = 0; i < n; i++) {
		struct sg_arena *a = sg_arena_new();
		struct sg_session s = { 0 };
		const char **groups = sg_arena_alloc(a, (ngroups + 1) * sizeof(*groups));
		uint8_t id[SG_SESSION_ID_LEN];
		enum sg_store_status rc = SG_STORE_UNAVAILABLE;

		for (unsigned long g = 0; g < ngroups; g++)
			groups[g] = sg_arena_printf(a, "group-%lu-%lu", g, i % 50);
		sg_session_new_id(id, s.key);
		s.user = sg_arena_printf(a, "user%07lu", i);
		s.email = sg_arena_printf(a, "user%07lu@example.com", i);
		s.display_name = sg_arena_printf(a, "User Number %lu", i);
		s.groups = groups;
		s.ngroups = ngroups;
		s.idp = "corp";
		s.protocol = SG_PROTO_SAML;
		s.saml_name_id = s.email;
		s.saml_session_index = sg_arena_printf(a, "_idx%lu", i);
		s.auth_time = s.created = s.last_seen = now;
		s.expires = now + 36000;
		sg_store_put(st, NULL, &s, done, &rc);
		sg_arena_free(a);
		if (rc != SG_STORE_OK) {
			fprintf(stderr, "make_state: the store refused session %lu\n", i);
			return 1;
		}
	}
	snprintf(path, sizeof(path), "%s/sessions.state", c->session.state_dir);
	if (sg_store_save(st, path, keys.state, now, &errs) == -1) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		return 1;
	}
	printf("%lu sessions written to %s\n", n, path);
	sg_store_free(st);
	sg_conf_unref(c);
	return 0;
}
