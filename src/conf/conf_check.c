/*
 * conf_check.c - what can only be checked once the whole file is read:
 * defaults, required directives, directives that belong to the other IdP
 * type, references between sections, and the files the configuration names
 * (readable, and certificates parse).  TLS keys are loaded by net/, which
 * owns OpenSSL's SSL layer, when main runs `ssogw -t` or starts.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pwd.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_int.h"

/* "[server]" or "[app jira]", for messages. */
static const char *
sect_label(struct conf_parser *p, enum conf_section_kind kind, const struct sg_conf_sect *s)
{
	if (s->name == NULL)
		return sg_arena_printf(p->conf->arena, "[%s]", conf_section_word(kind));
	return sg_arena_printf(p->conf->arena, "[%s %s]", conf_section_word(kind), s->name);
}

/* The line key was set on in s: 0 if unset, negative if its value was bad. */
static int
key_line(const struct sg_conf_sect *s, enum conf_section_kind kind, const char *key)
{
	return s->key_line[conf_directive_find(kind, key) - conf_directives];
}

/* Whether directive d applies to this section instance (IdP type keys). */
static bool
applies(const struct conf_directive *d, enum conf_section_kind kind, const void *base)
{
	const struct sg_conf_idp *idp = base;

	if (kind != SECT_IDP || !(d->flags & (D_SAML | D_OIDC)))
		return true;
	return (d->flags & D_SAML) ? idp->type == SG_IDP_SAML : idp->type == SG_IDP_OIDC;
}

/*
 * Applies defaults to one section and reports missing required directives
 * and directives meant for the other IdP type.
 */
static void
check_section(struct conf_parser *p, enum conf_section_kind kind, void *base)
{
	struct sg_conf_sect *s = base;
	bool type_known;

	if (s->key_line == NULL) /* an absent optional section */
		s->key_line = sg_arena_alloc(p->conf->arena, conf_directive_count * sizeof(int));
	type_known = kind != SECT_IDP || key_line(s, SECT_IDP, "type") > 0;
	p->sect = s;
	for (size_t i = 0; i < conf_directive_count; i++) {
		const struct conf_directive *d = &conf_directives[i];
		int line = s->key_line[i];

		if (d->section != kind || (!type_known && (d->flags & (D_SAML | D_OIDC))))
			continue;
		if (!applies(d, kind, base)) {
			if (line != 0)
				conf_error(p, abs(line), "%s: \"%s\" applies only to type = %s",
				           sect_label(p, kind, s), d->name,
				           (d->flags & D_SAML) ? "saml" : "oidc");
			continue;
		}
		if (line != 0)
			continue;
		if (d->def != NULL) {
			p->line = 0;
			conf_value_parse(p, d, base, d->def);
		} else if (d->flags & D_REQUIRED) {
			conf_error(p, s->line, "%s: missing required directive \"%s\"",
			           sect_label(p, kind, s), d->name);
		}
	}
}

/* True when directive key was set (validly) in section s. */
static bool
is_set(const struct sg_conf_sect *s, enum conf_section_kind kind, const char *key)
{
	return key_line(s, kind, key) > 0;
}

/* Reports path unless it is a regular file we can open for reading. */
static void
check_readable(struct conf_parser *p, const struct sg_conf_sect *s, const char *key,
               const char *path)
{
	struct stat st;
	int fd;

	if (path == NULL)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1 || fstat(fd, &st) == -1) {
		conf_error(p, sg_conf_line(s, key), "%s: cannot read %s: %s", key, path,
		           strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		conf_error(p, sg_conf_line(s, key), "%s: cannot read %s: not a regular file", key,
		           path);
	}
	if (fd != -1)
		close(fd);
}

/* Reports path unless it holds at least one PEM X.509 certificate. */
static void
check_certificate(struct conf_parser *p, const struct sg_conf_sect *s, const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (f == NULL) {
		conf_error(p, sg_conf_line(s, "certificate"), "certificate: cannot read %s: %s",
		           path, strerror(errno));
		return;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error(); /* leave nothing on this thread's queue for TLS code */
	if (x == NULL)
		conf_error(p, sg_conf_line(s, "certificate"),
		           "certificate: %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
		           path);
	X509_free(x);
}

static void
check_saml_idp(struct conf_parser *p, struct sg_conf_idp *idp)
{
	const struct sg_conf_sect *s = &idp->s;
	/* Present counts even when the value was bad (and already reported). */
	bool file = key_line(s, SECT_IDP, "metadata_file") != 0;
	bool url = key_line(s, SECT_IDP, "metadata_url") != 0;
	bool manual = key_line(s, SECT_IDP, "entity_id") != 0 &&
	              key_line(s, SECT_IDP, "sso_url") != 0 && idp->certificate.count > 0;

	if (file && url)
		conf_error(p, sg_conf_line(s, "metadata_url"),
		           "[idp %s]: set metadata_file or metadata_url, not both", s->name);
	else if (!file && !url && !manual)
		conf_error(p, s->line,
		           "[idp %s]: type = saml needs metadata_file, metadata_url, or entity_id, "
		           "sso_url and certificate",
		           s->name);
	if (is_set(s, SECT_IDP, "metadata_file"))
		check_readable(p, s, "metadata_file", idp->metadata_file);
	if (idp->metadata_ca_file != NULL && !(url && idp->metadata_url.url.https))
		conf_error(p, sg_conf_line(s, "metadata_ca_file"),
		           "metadata_ca_file: metadata_url is not https://");
	check_readable(p, s, "metadata_ca_file", idp->metadata_ca_file);
	for (size_t i = 0; i < idp->certificate.count; i++)
		check_certificate(p, s, idp->certificate.v[i]);
}

/* domains are DNS names; compared in lower case. */
static void
check_domains(struct conf_parser *p, struct sg_conf_idp *idp)
{
	for (size_t i = 0; i < idp->domains.count; i++) {
		const char *d = idp->domains.v[i];
		char *low = sg_arena_strdup(p->conf->arena, d);

		if (d[0] == '.' || d[0] == '-' || strchr(d, '@') != NULL ||
		    strchr(d, '.') == NULL ||
		    strspn(d, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-") !=
		        strlen(d))
			conf_error(p, sg_conf_line(&idp->s, "domains"),
			           "domains: \"%s\" is not an email domain (example.com)", d);
		for (char *c = low; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		idp->domains.v[i] = low;
	}
}

/* group_map entries are IDP-GROUP=NAME, both sides non-empty. */
static void
check_group_map(struct conf_parser *p, const struct sg_conf_idp *idp)
{
	for (size_t i = 0; i < idp->group_map.count; i++) {
		const char *e = idp->group_map.v[i], *eq = strchr(e, '=');

		if (eq == NULL || eq == e || eq[1] == '\0' || strchr(eq + 1, '=') != NULL)
			conf_error(p, sg_conf_line(&idp->s, "group_map"),
			           "group_map: \"%s\" is not IDP-GROUP=NAME", e);
	}
}

static void
check_oidc_idp(struct conf_parser *p, struct sg_conf_idp *idp)
{
	static const char *const needed[] = { "issuer", "client_id", "client_secret" };

	for (size_t i = 0; i < SG_NELEM(needed); i++)
		if (key_line(&idp->s, SECT_IDP, needed[i]) == 0)
			conf_error(p, idp->s.line, "[idp %s]: type = oidc needs \"%s\"",
			           idp->s.name, needed[i]);
}

/* Resolves the backend's host once, when the snapshot is built, so that no
 * worker ever blocks on DNS; a reload resolves it again. */
static void
resolve_backend(struct conf_parser *p, struct sg_conf_app *app)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", app->backend.url.port);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	rc = getaddrinfo(app->backend.url.host, port, &hints, &res);
	if (rc != 0) {
		conf_error(p, sg_conf_line(&app->s, "backend"), "backend: cannot resolve %s: %s",
		           app->backend.url.host, gai_strerror(rc));
		return;
	}
	memcpy(&app->backend_addr, res->ai_addr, res->ai_addrlen);
	app->backend_addrlen = res->ai_addrlen;
	freeaddrinfo(res);
}

/* The [idp] section called name, or NULL. */
static const struct sg_conf_idp *
find_idp(const struct sg_conf *c, const char *name)
{
	for (size_t i = 0; i < c->idp_count; i++)
		if (strcmp(c->idps[i]->s.name, name) == 0)
			return c->idps[i];
	return NULL;
}

/* Two of an app's IdPs claiming one email domain would make home-realm
 * discovery a guess. */
static void
check_idp_domains(struct conf_parser *p, const struct sg_conf_app *app)
{
	for (size_t i = 0; i < app->idp_count; i++)
		for (size_t j = i + 1; j < app->idp_count; j++)
			for (size_t d = 0; d < app->idps[i]->domains.count; d++)
				for (size_t e = 0; e < app->idps[j]->domains.count; e++)
					if (strcmp(app->idps[i]->domains.v[d],
					           app->idps[j]->domains.v[e]) == 0)
						conf_error(p, sg_conf_line(&app->s, "idp"),
						           "idp: [idp %s] and [idp %s] both claim "
						           "the domain %s",
						           app->idps[i]->s.name,
						           app->idps[j]->s.name,
						           app->idps[i]->domains.v[d]);
}

/* Resolves app->idps (every name given, in order; or the only [idp]) and
 * app->idp, the first: the default. */
static void
resolve_idps(struct conf_parser *p, struct sg_conf_app *app)
{
	const struct sg_conf_list *names = &app->idp_names;
	const struct sg_conf_sect *s = &app->s;

	app->idps = sg_arena_alloc(p->conf->arena, (names->count + 1) * sizeof(*app->idps));
	for (size_t i = 0; i < names->count; i++) {
		const struct sg_conf_idp *idp = find_idp(p->conf, names->v[i]);
		bool twice = false;

		for (size_t j = 0; j < i; j++)
			twice = twice || strcmp(names->v[j], names->v[i]) == 0;
		if (idp == NULL)
			conf_error(p, sg_conf_line(s, "idp"), "idp: no section [idp %s]",
			           names->v[i]);
		else if (twice)
			conf_error(p, sg_conf_line(s, "idp"), "idp: %s is named twice",
			           names->v[i]);
		else
			app->idps[app->idp_count++] = idp;
	}
	if (names->count == 0 && p->conf->idp_count == 1)
		app->idps[app->idp_count++] = p->conf->idps[0];
	else if (names->count == 0 && p->conf->idp_count > 1)
		conf_error(p, s->line, "[app %s]: several [idp] sections: name one with \"idp\"",
		           s->name);
	app->idp = app->idp_count > 0 ? app->idps[0] : NULL;
	check_idp_domains(p, app);
}

/* Resolves app->idps and checks its URLs. */
static void
check_app(struct conf_parser *p, struct sg_conf_app *app)
{
	const struct sg_conf_sect *s = &app->s;

	if (app->url.text != NULL && !app->url.url.https)
		conf_error(p, sg_conf_line(s, "url"), "url: the external URL must be https://");
	if (app->url.text != NULL && app->url.url.query != NULL)
		conf_error(p, sg_conf_line(s, "url"), "url: must not have a ?query");
	if (app->backend.text != NULL && app->backend.url.query != NULL)
		conf_error(p, sg_conf_line(s, "backend"), "backend: must not have a ?query");
	else if (app->backend.text != NULL)
		resolve_backend(p, app);
	if (app->backend_ca_file != NULL && !app->backend.url.https)
		conf_error(p, sg_conf_line(s, "backend_ca_file"),
		           "backend_ca_file: the backend is not https://");
	check_readable(p, s, "backend_ca_file", app->backend_ca_file);
	if ((app->tls_certificate == NULL) != (app->tls_key == NULL))
		conf_error(p, s->line, "[app %s]: tls_certificate and tls_key go together",
		           s->name);
	check_readable(p, s, "tls_certificate", app->tls_certificate);
	check_readable(p, s, "tls_key", app->tls_key);
	if ((app->sp_certificate == NULL) != (app->sp_key == NULL))
		conf_error(p, s->line, "[app %s]: sp_certificate and sp_key go together", s->name);
	check_readable(p, s, "sp_certificate", app->sp_certificate);
	check_readable(p, s, "sp_key", app->sp_key);
	resolve_idps(p, app);
	for (size_t i = 0; i < app->idp_count; i++)
		if (app->idps[i]->type == SG_IDP_SAML && app->idps[i]->sign_requests &&
		    app->sp_key == NULL)
			conf_error(p, s->line,
			           "[app %s]: [idp %s] has sign_requests: set sp_key and "
			           "sp_certificate",
			           s->name, app->idps[i]->s.name);
}

/* Attaches each [rule] to its app, in file order. */
static void
check_rules(struct conf_parser *p)
{
	struct sg_conf *c = p->conf;

	for (size_t i = 0; i < c->rule_count; i++) {
		struct sg_conf_rule *rule = c->rules[i];
		struct sg_conf_app *app = NULL;

		check_section(p, SECT_RULE, rule);
		if (rule->app_name == NULL)
			continue;
		for (size_t j = 0; j < c->app_count; j++)
			if (strcmp(c->apps[j]->s.name, rule->app_name) == 0)
				app = c->apps[j];
		if (app == NULL) {
			conf_error(p, sg_conf_line(&rule->s, "app"), "app: no section [app %s]",
			           rule->app_name);
			continue;
		}
		const struct sg_conf_rule **v =
		    sg_arena_alloc(c->arena, (app->rule_count + 1) * sizeof(*v));

		if (app->rule_count > 0)
			memcpy(v, app->rules, app->rule_count * sizeof(*v));
		v[app->rule_count++] = rule;
		app->rules = v;
	}
}

/* Compiles groups_include once per snapshot (sg_conf_unref frees it). */
static void
compile_groups_include(struct conf_parser *p, struct sg_conf_app *app)
{
	regex_t *re;

	if (app->groups_include == NULL)
		return;
	re = sg_arena_alloc(p->conf->arena, sizeof(*re));
	if (regcomp(re, app->groups_include, REG_EXTENDED | REG_NOSUB) != 0) {
		conf_error(p, sg_conf_line(&app->s, "groups_include"),
		           "groups_include: not a valid regular expression");
		return;
	}
	app->groups_include_re = re;
}

/* The cookie Domain must cover every app's host, or browsers drop it. */
static bool
domain_covers(const char *domain, const char *host)
{
	size_t dl = strlen(domain), hl = strlen(host);

	if (strcasecmp(domain, host) == 0)
		return true;
	return hl > dl && host[hl - dl - 1] == '.' && strcasecmp(host + hl - dl, domain) == 0;
}

/* What the session store and the sealed cookies need. */
static void
check_session(struct conf_parser *p)
{
	struct sg_conf *c = p->conf;
	struct sg_conf_session *ses = &c->session;
	const struct sg_conf_sect *s = &ses->s;

	check_readable(p, s, "session_key_file", ses->session_key_file);
	check_readable(p, s, "store_ca_file", ses->store_ca_file);
	check_readable(p, &c->server.s, "signing_key_file", c->server.signing_key_file);
	if (ses->store_ca_file != NULL && !ses->store_tls)
		conf_error(p, sg_conf_line(s, "store_ca_file"),
		           "store_ca_file: the store is not rediss://");
	if (ses->session_key_file == NULL &&
	    (ses->state_dir != NULL || ses->store_kind == SG_STORE_REDIS))
		conf_error(p, s->line ? s->line : 0,
		           "[session]: state_dir and a redis store need session_key_file, so that "
		           "what one process sealed another can open");
	for (size_t i = 0; i < c->app_count; i++) {
		const struct sg_conf_app *app = c->apps[i];

		if (app->identity_jwt_header != NULL && c->server.signing_key_file == NULL)
			conf_error(p, sg_conf_line(&app->s, "identity_jwt_header"),
			           "identity_jwt_header: needs signing_key_file in [server]");
		if (ses->cookie_domain != NULL && app->url.text != NULL &&
		    !domain_covers(ses->cookie_domain, app->url.url.host))
			conf_error(p, sg_conf_line(s, "cookie_domain"),
			           "cookie_domain: %s does not cover [app %s]'s host %s",
			           ses->cookie_domain, app->s.name, app->url.url.host);
	}
}

/* Two apps may not claim the same external host and path. */
static void
check_app_urls_unique(struct conf_parser *p)
{
	for (size_t i = 0; i < p->conf->app_count; i++)
		for (size_t j = 0; j < i; j++) {
			const struct sg_url *a = &p->conf->apps[i]->url.url,
			                    *b = &p->conf->apps[j]->url.url;

			if (p->conf->apps[i]->url.text == NULL ||
			    p->conf->apps[j]->url.text == NULL)
				continue;
			if (strcmp(a->host, b->host) == 0 && a->port == b->port &&
			    strcmp(a->path, b->path) == 0)
				conf_error(p, sg_conf_line(&p->conf->apps[i]->s, "url"),
				           "url: [app %s] already serves %s",
				           p->conf->apps[j]->s.name, p->conf->apps[i]->url.text);
		}
}

/* Each address may be listened on once, over both listener kinds. */
static void
check_listeners(struct conf_parser *p)
{
	const struct sg_conf_server *srv = &p->conf->server;
	const struct sg_conf_listens *lists[] = { &srv->listen, &srv->listen_http };
	const char *const names[] = { "listen", "listen_http" };

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < lists[l]->count; i++) {
			const struct sg_conf_listen *a = &lists[l]->v[i];

			/* compare with every earlier entry, in this list and the one before */
			for (size_t m = 0; m <= l; m++)
				for (size_t j = 0; j < (m == l ? i : lists[m]->count); j++) {
					const struct sg_conf_listen *b = &lists[m]->v[j];

					if (a->addrlen == b->addrlen &&
					    memcmp(&a->addr, &b->addr, a->addrlen) == 0)
						conf_error(
						    p, a->line,
						    "%s: %s is already listened on (line %d)",
						    names[l], a->text, b->line);
				}
		}
}

static void
check_server(struct conf_parser *p)
{
	struct sg_conf_server *srv = &p->conf->server;

	check_listeners(p);
	check_readable(p, &srv->s, "tls_certificate", srv->tls_certificate);
	check_readable(p, &srv->s, "tls_key", srv->tls_key);
	if (srv->user != NULL && getpwnam(srv->user) == NULL)
		conf_error(p, sg_conf_line(&srv->s, "user"), "user: no such user \"%s\"",
		           srv->user);
	if (srv->group != NULL && getgrnam(srv->group) == NULL)
		conf_error(p, sg_conf_line(&srv->s, "group"), "group: no such group \"%s\"",
		           srv->group);
	if (srv->group != NULL && srv->user == NULL)
		conf_error(p, sg_conf_line(&srv->s, "group"), "group: needs \"user\" as well");
}

void
conf_check(struct conf_parser *p)
{
	struct sg_conf *c = p->conf;

	if (c->server.s.line == 0)
		conf_error(p, 0, "missing [server] section");
	else
		check_section(p, SECT_SERVER, &c->server);
	check_section(p, SECT_SESSION, &c->session);
	for (size_t i = 0; i < c->idp_count; i++)
		check_section(p, SECT_IDP, c->idps[i]);
	for (size_t i = 0; i < c->app_count; i++)
		check_section(p, SECT_APP, c->apps[i]);
	if (c->server.s.line != 0)
		check_server(p);
	for (size_t i = 0; i < c->idp_count; i++) {
		if (!is_set(&c->idps[i]->s, SECT_IDP, "type"))
			continue;
		check_domains(p, c->idps[i]);
		if (c->idps[i]->type == SG_IDP_SAML) {
			check_saml_idp(p, c->idps[i]);
			check_group_map(p, c->idps[i]);
		} else if (c->idps[i]->type == SG_IDP_OIDC)
			check_oidc_idp(p, c->idps[i]);
		else if (!sg_conf_test_idp_allowed)
			conf_error(p, sg_conf_line(&c->idps[i]->s, "type"),
			           "[idp %s]: type = test exists only in test builds",
			           c->idps[i]->s.name);
	}
	if (c->app_count == 0)
		conf_error(p, 0, "no [app NAME] section: nothing to protect");
	else if (c->idp_count == 0)
		conf_error(p, 0, "no [idp NAME] section: no way to sign anyone in");
	for (size_t i = 0; i < c->app_count; i++) {
		check_app(p, c->apps[i]);
		compile_groups_include(p, c->apps[i]);
	}
	check_app_urls_unique(p);
	check_rules(p);
	check_session(p);
}
