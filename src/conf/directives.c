/*
 * directives.c - the directive table and the value parsers.  Every
 * directive ssogw knows is one row below: its section, type, default and
 * bounds.  Parsing, defaults, ssogw.conf(5) and etc/ssogw.conf are checked
 * against this table (tests/check-docs.sh), so a new directive is one row
 * here plus its documentation.  Defaults are written in config syntax and go
 * through the same parsers as the file, so "30s" means the same everywhere.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

#define SRV(f) offsetof(struct sg_conf_server, f)
#define SES(f) offsetof(struct sg_conf_session, f)
#define APP(f) offsetof(struct sg_conf_app, f)
#define IDP(f) offsetof(struct sg_conf_idp, f)
#define RUL(f) offsetof(struct sg_conf_rule, f)
#define KB 1024ULL
#define MB (1024ULL * 1024)
#define SEC 1000ULL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };
static const char *const idp_types[] = { "saml", "oidc", "test", NULL };
static const char *const access_formats[] = { "combined", "json", NULL };
/* Same order as enum sg_saml_require_signed. */
static const char *const signed_parts[] = { "either", "assertion", "response", "both", NULL };
/* Same order as enum sg_saml_binding_kind. */
static const char *const request_bindings[] = { "redirect", "post", NULL };
static const char *const authn_comparisons[] = { "exact", "minimum", "maximum", "better", NULL };

/* Mozilla's "intermediate" TLS 1.2 cipher list: ECDHE with AEAD only. */
#define TLS12_CIPHERS                                                \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305"

/* clang-format off */
const struct conf_directive conf_directives[] = {
	{SECT_SERVER, "listen", T_LISTEN, SRV(listen), NULL, D_REQUIRED | D_MULTI, 0, 0, NULL},
	{SECT_SERVER, "listen_http", T_LISTEN, SRV(listen_http), NULL, D_MULTI, 0, 0, NULL},
	{SECT_SERVER, "tls_certificate", T_PATH, SRV(tls_certificate), NULL, D_REQUIRED, 0, 0, NULL},
	{SECT_SERVER, "tls_key", T_PATH, SRV(tls_key), NULL, D_REQUIRED, 0, 0, NULL},
	{SECT_SERVER, "workers", T_WORKERS, SRV(workers), "auto", 0, 1, 256, NULL},
	{SECT_SERVER, "user", T_NAME, SRV(user), NULL, 0, 0, 0, NULL},
	{SECT_SERVER, "group", T_NAME, SRV(group), NULL, 0, 0, 0, NULL},
	{SECT_SERVER, "pid_file", T_PATH, SRV(pid_file), NULL, 0, 0, 0, NULL},
	{SECT_SERVER, "drain_timeout", T_DURATION, SRV(drain_timeout_ms), "30s", 0, 0, DAY, NULL},
	{SECT_SERVER, "log_level", T_ENUM, SRV(log_level), "info", 0, 0, 0, log_levels},
	{SECT_SERVER, "log_file", T_PATH, SRV(log_file), NULL, 0, 0, 0, NULL},
	{SECT_SERVER, "prefix", T_PREFIX, SRV(prefix), "/ssogw/", 0, 0, 0, NULL},
	{SECT_SERVER, "max_request_line", T_SIZE, SRV(max_request_line), "8k", 0, 256, MB, NULL},
	{SECT_SERVER, "max_header_size", T_SIZE, SRV(max_header_size), "32k", 0, KB, 16 * MB, NULL},
	{SECT_SERVER, "max_headers", T_UINT, SRV(max_headers), "100", 0, 8, 10000, NULL},
	{SECT_SERVER, "client_timeout", T_DURATION, SRV(client_timeout_ms), "60s", 0, SEC, DAY, NULL},
	{SECT_SERVER, "keepalive_timeout", T_DURATION, SRV(keepalive_timeout_ms), "75s", 0, 0, DAY, NULL},
	{SECT_SERVER, "max_connections", T_UINT, SRV(max_connections), "10000", 0, 1, 1000000, NULL},
	{SECT_SERVER, "backend_max_idle", T_UINT, SRV(backend_max_idle), "32", 0, 0, 10000, NULL},
	{SECT_SERVER, "backend_idle_timeout", T_DURATION, SRV(backend_idle_timeout_ms), "30s", 0, SEC, HOUR, NULL},
	{SECT_SERVER, "tunnel_idle_timeout", T_DURATION, SRV(tunnel_idle_timeout_ms), "15m", 0, SEC, DAY, NULL},
	{SECT_SERVER, "tls_ciphers", T_STRING, SRV(tls_ciphers), TLS12_CIPHERS, 0, 0, 0, NULL},
	{SECT_SERVER, "tls_ticket_rotate", T_DURATION, SRV(tls_ticket_rotate_ms), "12h", 0, SEC, 7 * DAY, NULL},
	{SECT_SERVER, "hsts", T_DURATION, SRV(hsts_ms), "0", 0, 0, 2 * 365 * DAY, NULL},
	{SECT_SERVER, "trusted_proxies", T_CIDRLIST, SRV(trusted_proxies), NULL, D_MULTI, 0, 0, NULL},
	{SECT_SERVER, "via", T_BOOL, SRV(via), "no", 0, 0, 0, NULL},
	{SECT_SERVER, "strip_headers", T_LIST, SRV(strip_headers), "X-Remote-User X-Remote-Email X-Remote-Name X-Remote-Groups", D_MULTI, 0, 0, NULL},
	{SECT_SERVER, "access_log", T_LOGDEST, SRV(access_log), "off", 0, 0, 0, NULL},
	{SECT_SERVER, "access_log_format", T_ENUM, SRV(access_log_format), "combined", 0, 0, 0, access_formats},
	{SECT_SERVER, "strip_header_prefix", T_HEADER, SRV(strip_header_prefix), "X-Remote-", 0, 0, 0, NULL},
	{SECT_SERVER, "signing_key_file", T_PATH, SRV(signing_key_file), NULL, 0, 0, 0, NULL},

	{SECT_SESSION, "cookie_name", T_COOKIE, SES(cookie_name), "ssogw_session", 0, 0, 0, NULL},
	{SECT_SESSION, "idle_timeout", T_DURATION, SES(idle_timeout_ms), "1h", 0, SEC, 365 * DAY, NULL},
	{SECT_SESSION, "absolute_timeout", T_DURATION, SES(absolute_timeout_ms), "10h", 0, SEC, 365 * DAY, NULL},
	{SECT_SESSION, "max_sessions", T_UINT, SES(max_sessions), "100000", 0, 1, 100000000, NULL},
	{SECT_SESSION, "cookie_domain", T_DOMAIN, SES(cookie_domain), NULL, 0, 0, 0, NULL},
	{SECT_SESSION, "store", T_STORE, SES(store), "memory", 0, 0, 0, NULL},
	{SECT_SESSION, "store_password", T_SECRET, SES(store_password), NULL, 0, 0, 0, NULL},
	{SECT_SESSION, "store_ca_file", T_PATH, SES(store_ca_file), NULL, 0, 0, 0, NULL},
	{SECT_SESSION, "store_timeout", T_DURATION, SES(store_timeout_ms), "2s", 0, 100, MIN, NULL},
	{SECT_SESSION, "state_dir", T_PATH, SES(state_dir), NULL, 0, 0, 0, NULL},
	{SECT_SESSION, "session_key_file", T_PATH, SES(session_key_file), NULL, 0, 0, 0, NULL},
	{SECT_SESSION, "login_state_ttl", T_DURATION, SES(login_state_ttl_ms), "10m", 0, MIN, DAY, NULL},
	{SECT_SESSION, "login_state_max", T_UINT, SES(login_state_max), "5", 0, 1, 20, NULL},

	{SECT_APP, "url", T_URL, APP(url), NULL, D_REQUIRED, 0, 0, NULL},
	{SECT_APP, "backend", T_URL, APP(backend), NULL, D_REQUIRED, 0, 0, NULL},
	{SECT_APP, "idp", T_LIST, APP(idp_names), NULL, D_MULTI, 0, 0, NULL},
	{SECT_APP, "allow_groups", T_LIST, APP(allow_groups), NULL, D_MULTI, 0, 0, NULL},
	{SECT_APP, "host_header", T_HOSTHDR, APP(host_header), "external", 0, 0, 0, NULL},
	{SECT_APP, "backend_connect_timeout", T_DURATION, APP(backend_connect_timeout_ms), "5s", 0, 100, 5 * MIN, NULL},
	{SECT_APP, "backend_timeout", T_DURATION, APP(backend_timeout_ms), "60s", 0, SEC, DAY, NULL},
	{SECT_APP, "tls_certificate", T_PATH, APP(tls_certificate), NULL, 0, 0, 0, NULL},
	{SECT_APP, "tls_key", T_PATH, APP(tls_key), NULL, 0, 0, 0, NULL},
	{SECT_APP, "backend_ca_file", T_PATH, APP(backend_ca_file), NULL, 0, 0, 0, NULL},
	{SECT_APP, "backend_verify", T_BOOL, APP(backend_verify), "yes", 0, 0, 0, NULL},
	{SECT_APP, "backend_max_header_size", T_SIZE, APP(backend_max_header_size), "8k", 0, KB, MB, NULL},
	{SECT_APP, "max_body_size", T_SIZE, APP(max_body_size), "0", 0, 0, UINT64_MAX, NULL},
	{SECT_APP, "sp_certificate", T_PATH, APP(sp_certificate), NULL, 0, 0, 0, NULL},
	{SECT_APP, "sp_key", T_PATH, APP(sp_key), NULL, 0, 0, 0, NULL},
	{SECT_APP, "public", T_PATHS, APP(public_paths), NULL, D_MULTI, 0, 0, NULL},
	{SECT_APP, "passthrough", T_PATHS, APP(passthrough_paths), NULL, D_MULTI, 0, 0, NULL},
	{SECT_APP, "allow_users", T_LIST, APP(allow_users), NULL, D_MULTI, 0, 0, NULL},
	{SECT_APP, "step_up_max_age", T_DURATION, APP(step_up_max_age_ms), "5m", 0, 0, DAY, NULL},
	{SECT_APP, "preserve_post_max", T_SIZE, APP(preserve_post_max), "1m", 0, 0, 64 * MB, NULL},
	{SECT_APP, "identity_header", T_HEADER, APP(identity_header), "X-Remote-User", 0, 0, 0, NULL},
	{SECT_APP, "identity_email_header", T_HEADER, APP(identity_email_header), "X-Remote-Email", 0, 0, 0, NULL},
	{SECT_APP, "identity_name_header", T_HEADER, APP(identity_name_header), "X-Remote-Name", 0, 0, 0, NULL},
	{SECT_APP, "identity_groups_header", T_HEADER, APP(identity_groups_header), "X-Remote-Groups", 0, 0, 0, NULL},
	{SECT_APP, "groups_separator", T_STRING, APP(groups_separator), ",", 0, 0, 0, NULL},
	{SECT_APP, "identity_jwt_header", T_HEADER, APP(identity_jwt_header), "off", 0, 0, 0, NULL},
	{SECT_APP, "identity_jwt_ttl", T_DURATION, APP(identity_jwt_ttl_ms), "60s", 0, SEC, HOUR, NULL},
	{SECT_APP, "groups_include", T_REGEX, APP(groups_include), NULL, 0, 0, 0, NULL},
	{SECT_APP, "groups_max", T_UINT, APP(groups_max), "0", 0, 0, 100000, NULL},

	{SECT_IDP, "type", T_ENUM, IDP(type), NULL, D_REQUIRED, 0, 0, idp_types},
	{SECT_IDP, "metadata_file", T_PATH, IDP(metadata_file), NULL, D_SAML, 0, 0, NULL},
	{SECT_IDP, "metadata_url", T_URL, IDP(metadata_url), NULL, D_SAML, 0, 0, NULL},
	{SECT_IDP, "metadata_refresh", T_DURATION, IDP(metadata_refresh_ms), "1h", D_SAML, SEC, 7 * DAY, NULL},
	{SECT_IDP, "metadata_ca_file", T_PATH, IDP(metadata_ca_file), NULL, D_SAML, 0, 0, NULL},
	{SECT_IDP, "entity_id", T_STRING, IDP(entity_id), NULL, D_SAML, 0, 0, NULL},
	{SECT_IDP, "sso_url", T_URL, IDP(sso_url), NULL, D_SAML, 0, 0, NULL},
	{SECT_IDP, "slo_url", T_URL, IDP(slo_url), NULL, D_SAML, 0, 0, NULL},
	{SECT_IDP, "certificate", T_PATHLIST, IDP(certificate), NULL, D_SAML | D_MULTI, 0, 0, NULL},
	{SECT_IDP, "require_signed", T_ENUM, IDP(require_signed), "either", D_SAML, 0, 0, signed_parts},
	{SECT_IDP, "allow_sha1", T_BOOL, IDP(allow_sha1), "no", D_SAML, 0, 0, NULL},
	{SECT_IDP, "clock_skew", T_DURATION, IDP(clock_skew_ms), "60s", D_SAML, 0, 10 * MIN, NULL},
	{SECT_IDP, "allow_unsolicited", T_BOOL, IDP(allow_unsolicited), "no", D_SAML, 0, 0, NULL},
	{SECT_IDP, "sign_requests", T_BOOL, IDP(sign_requests), "no", D_SAML, 0, 0, NULL},
	{SECT_IDP, "name_id_format", T_STRING, IDP(name_id_format), NULL, D_SAML, 0, 0, NULL},
	{SECT_IDP, "request_binding", T_ENUM, IDP(request_binding), "redirect", D_SAML, 0, 0, request_bindings},
	{SECT_IDP, "authn_context", T_LIST, IDP(authn_context), NULL, D_SAML | D_MULTI, 0, 0, NULL},
	{SECT_IDP, "authn_context_comparison", T_ENUM, IDP(authn_context_comparison), "exact", D_SAML, 0, 0, authn_comparisons},
	{SECT_IDP, "single_logout", T_BOOL, IDP(single_logout), "yes", D_SAML, 0, 0, NULL},
	{SECT_IDP, "user_attribute", T_STRING, IDP(user_attribute), NULL, D_SAML, 0, 0, NULL},
	{SECT_IDP, "lowercase_user", T_BOOL, IDP(lowercase_user), "no", D_SAML, 0, 0, NULL},
	{SECT_IDP, "strip_domain", T_BOOL, IDP(strip_domain), "no", D_SAML, 0, 0, NULL},
	{SECT_IDP, "name_attribute", T_LIST, IDP(name_attribute), "displayName http://schemas.microsoft.com/identity/claims/displayname cn", D_SAML | D_MULTI, 0, 0, NULL},
	{SECT_IDP, "email_attribute", T_LIST, IDP(email_attribute), "mail email http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", D_SAML | D_MULTI, 0, 0, NULL},
	{SECT_IDP, "groups_attribute", T_LIST, IDP(groups_attribute), "groups memberOf http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", D_SAML | D_MULTI, 0, 0, NULL},
	{SECT_IDP, "group_map", T_LIST, IDP(group_map), NULL, D_SAML | D_MULTI, 0, 0, NULL},
	{SECT_IDP, "display_name", T_STRING, IDP(display_name), NULL, 0, 0, 0, NULL},
	{SECT_IDP, "domains", T_LIST, IDP(domains), NULL, D_MULTI, 0, 0, NULL},
	{SECT_IDP, "issuer", T_URL, IDP(issuer), NULL, D_OIDC, 0, 0, NULL},
	{SECT_IDP, "client_id", T_STRING, IDP(client_id), NULL, D_OIDC, 0, 0, NULL},
	{SECT_IDP, "client_secret", T_SECRET, IDP(client_secret), NULL, D_OIDC, 0, 0, NULL},
	{SECT_IDP, "scopes", T_LIST, IDP(scopes), "openid email profile", D_OIDC, 0, 0, NULL},

	{SECT_RULE, "app", T_NAME, RUL(app_name), NULL, D_REQUIRED, 0, 0, NULL},
	{SECT_RULE, "path", T_PATHS, RUL(paths), NULL, D_REQUIRED | D_MULTI, 0, 0, NULL},
	{SECT_RULE, "allow_groups", T_LIST, RUL(allow_groups), NULL, D_MULTI, 0, 0, NULL},
	{SECT_RULE, "allow_users", T_LIST, RUL(allow_users), NULL, D_MULTI, 0, 0, NULL},
	{SECT_RULE, "step_up", T_BOOL, RUL(step_up), "no", 0, 0, 0, NULL},
};
/* clang-format on */
const size_t conf_directive_count = SG_NELEM(conf_directives);

const struct conf_directive *
conf_directive_find(enum conf_section_kind kind, const char *name)
{
	for (size_t i = 0; i < conf_directive_count; i++)
		if (conf_directives[i].section == kind &&
		    strcmp(conf_directives[i].name, name) == 0)
			return &conf_directives[i];
	return NULL;
}

bool
sg_conf_directive(size_t i, const char **section, const char **name)
{
	if (i >= conf_directive_count)
		return false;
	*section = conf_section_word(conf_directives[i].section);
	*name = conf_directives[i].name;
	return true;
}

/* Reports value as bad for d, naming the reason but never a secret. */
static int
bad_value(struct conf_parser *p, const struct conf_directive *d, const char *value, const char *why)
{
	if (d->type == T_SECRET)
		conf_error(p, p->line, "%s: %s", d->name, why);
	else
		conf_error(p, p->line, "%s: invalid value \"%s\": %s", d->name, value, why);
	return -1;
}

static const char *
absolute_path(struct conf_parser *p, const char *value)
{
	if (value[0] == '/')
		return sg_arena_strdup(p->conf->arena, value);
	return sg_arena_printf(p->conf->arena, "%s/%s", p->conf->dir, value);
}

/* Appends item to a list, growing it inside the snapshot's arena. */
static void
list_append(struct conf_parser *p, struct sg_conf_list *l, const char *item)
{
	const char **v = sg_arena_alloc(p->conf->arena, (l->count + 1) * sizeof(*v));

	if (l->count > 0)
		memcpy(v, l->v, l->count * sizeof(*v));
	v[l->count++] = item;
	l->v = v;
}

static int
parse_list(struct conf_parser *p, const struct conf_directive *d, struct sg_conf_list *l,
           const char *value)
{
	const char *s = value;

	while (*s != '\0') {
		size_t n;

		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (n == 0)
			break;
		list_append(p, l,
		            d->type == T_PATHLIST
		                ? absolute_path(p, sg_arena_strndup(p->conf->arena, s, n))
		                : sg_arena_strndup(p->conf->arena, s, n));
		s += n;
	}
	return 0;
}

/* Splits "ADDR:PORT", "[V6]:PORT" or "*:PORT" and resolves it numerically. */
static int
parse_listen(struct conf_parser *p, const struct conf_directive *d, struct sg_conf_listens *ls,
             const char *value)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char host[64];
	const char *port, *h = value, *colon = strrchr(value, ':');
	size_t hlen;
	struct sg_conf_listen *v;
	const char *why;
	uint64_t portnum;
	int rc;

	if (colon == NULL || colon[1] == '\0')
		return bad_value(p, d, value,
		                 "expected ADDRESS:PORT, such as 127.0.0.1:8443 or [::]:443");
	port = colon + 1;
	hlen = (size_t)(colon - value);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return bad_value(p, d, value,
		                 "expected ADDRESS:PORT, such as 127.0.0.1:8443 or [::]:443");
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (strcmp(host, "*") == 0)
		strcpy(host, "0.0.0.0");
	if (sg_parse_uint(port, 1, 65535, &portnum, &why) == -1)
		return bad_value(p, d, value, "port must be a number from 1 to 65535");
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0)
		return bad_value(p, d, value,
		                 "address must be a numeric IPv4 or [IPv6] address or *");
	v = sg_arena_alloc(p->conf->arena, (ls->count + 1) * sizeof(*v));
	if (ls->count > 0)
		memcpy(v, ls->v, ls->count * sizeof(*v));
	v[ls->count].text = sg_arena_strdup(p->conf->arena, value);
	memcpy(&v[ls->count].addr, res->ai_addr, res->ai_addrlen);
	v[ls->count].addrlen = res->ai_addrlen;
	v[ls->count].line = p->line;
	ls->v = v;
	ls->count++;
	freeaddrinfo(res);
	return 0;
}

/* Appends each address block of a space/comma list to cs. */
static int
parse_cidrs(struct conf_parser *p, const struct conf_directive *d, struct sg_conf_cidrs *cs,
            const char *value)
{
	const char *s = value, *why;

	while (*s != '\0') {
		char word[64];
		size_t n;
		struct sg_cidr *v;

		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (n == 0)
			break;
		if (n >= sizeof(word))
			return bad_value(p, d, value, "address block too long");
		memcpy(word, s, n);
		word[n] = '\0';
		v = sg_arena_alloc(p->conf->arena, (cs->count + 1) * sizeof(*v));
		if (cs->count > 0)
			memcpy(v, cs->v, cs->count * sizeof(*v));
		if (sg_cidr_parse(word, &v[cs->count], &why) == -1)
			return bad_value(p, d, word, why);
		cs->v = v;
		cs->count++;
		s += n;
	}
	return 0;
}

/* Reads "@/path" secrets from their file; inline ones are copied. */
static int
parse_secret(struct conf_parser *p, const struct conf_directive *d, const char **out,
             const char *value)
{
	char *buf, why[256];
	size_t len;

	if (value[0] != '@') {
		*out = sg_arena_strdup(p->conf->arena, value);
		return 0;
	}
	const char *path = absolute_path(p, value + 1);

	buf = sg_read_file(path, SG_CONF_SECRET_MAX, &len);
	if (buf == NULL) {
		snprintf(why, sizeof(why), "cannot read secret file %s: %s", path, strerror(errno));
		return bad_value(p, d, value, why);
	}
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0 || strlen(buf) != len) {
		sg_free_secret(buf);
		snprintf(why, sizeof(why), "secret file %s is empty or holds a NUL byte", path);
		return bad_value(p, d, value, why);
	}
	*out = sg_arena_strdup(p->conf->arena, buf);
	sg_free_secret(buf);
	return 0;
}

static bool
is_name(const char *s)
{
	return *s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "0123456789_.-") == strlen(s);
}

/* RFC 6265 4.1.1 cookie-name: an RFC 7230 token. */
static bool
is_cookie_name(const char *s)
{
	return *s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "0123456789!#$%&'*+-.^_`|~") == strlen(s);
}

/* A Host field value: host[:port] or [v6][:port], no spaces or paths. */
static bool
is_authority(const char *s)
{
	return *s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "0123456789.-_:[]") == strlen(s);
}

/* "/", "/ssogw/": starts and ends with '/', plain path characters only. */
static bool
is_prefix(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && s[0] == '/' && s[n - 1] == '/' && strstr(s, "//") == NULL &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-~/") ==
	           n &&
	       strstr(s, "/./") == NULL && strstr(s, "/../") == NULL;
}

/* RFC 9110 5.1 field-name: a token. */
static bool
is_token(const char *s)
{
	return is_cookie_name(s);
}

/* Every word of value must be an absolute URL path, as rules match them. */
static int
parse_paths(struct conf_parser *p, const struct conf_directive *d, struct sg_conf_list *l,
            const char *value)
{
	size_t before = l->count;

	parse_list(p, d, l, value);
	for (size_t i = before; i < l->count; i++)
		if (l->v[i][0] != '/' || strpbrk(l->v[i], "\"\\<>^`{|}") != NULL)
			return bad_value(
			    p, d, l->v[i],
			    "a path must start with '/' and hold no \" \\ < > ^ ` { | }");
	return 0;
}

/* "memory", or redis[s]://[HOST][:PORT][/DB]; the parts land in the
 * [session] struct so that net/ never parses the URL. */
static int
parse_store(struct conf_parser *p, const struct conf_directive *d, void *base, const char *value)
{
	struct sg_conf_session *ses = base;
	const char *rest, *why;
	char host[256];
	uint64_t n;
	size_t hl;

	ses->store = sg_arena_strdup(p->conf->arena, value);
	if (strcmp(value, "memory") == 0) {
		ses->store_kind = SG_STORE_MEMORY;
		return 0;
	}
	if (strncmp(value, "redis://", 8) == 0)
		rest = value + 8, ses->store_tls = false;
	else if (strncmp(value, "rediss://", 9) == 0)
		rest = value + 9, ses->store_tls = true;
	else
		return bad_value(p, d, value,
		                 "expected memory, redis://HOST:PORT/DB or rediss://...");
	ses->store_port = 6379;
	ses->store_db = 0;
	if (*rest == '[') {
		hl = strcspn(rest + 1, "]");
		if (rest[1 + hl] != ']')
			return bad_value(p, d, value, "unclosed [ in the address");
		memcpy(host, rest + 1, hl < sizeof(host) ? hl : 0);
		rest += hl + 2;
	} else {
		hl = strcspn(rest, ":/");
		if (hl >= sizeof(host))
			return bad_value(p, d, value, "host name too long");
		memcpy(host, rest, hl);
		rest += hl;
	}
	if (hl == 0 || hl >= sizeof(host))
		return bad_value(p, d, value, "no host in the URL");
	host[hl] = '\0';
	if (*rest == ':') {
		char port[8];
		size_t pl = strcspn(rest + 1, "/");

		if (pl == 0 || pl >= sizeof(port))
			return bad_value(p, d, value, "port must be a number from 1 to 65535");
		memcpy(port, rest + 1, pl);
		port[pl] = '\0';
		if (sg_parse_uint(port, 1, 65535, &n, &why) == -1)
			return bad_value(p, d, value, "port must be a number from 1 to 65535");
		ses->store_port = (unsigned)n;
		rest += 1 + pl;
	}
	if (*rest == '/' && rest[1] != '\0') {
		if (sg_parse_uint(rest + 1, 0, 15, &n, &why) == -1)
			return bad_value(p, d, value, "the database must be a number from 0 to 15");
		ses->store_db = (unsigned)n;
	} else if (*rest != '\0' && strcmp(rest, "/") != 0) {
		return bad_value(p, d, value, "expected redis://HOST:PORT/DB");
	}
	ses->store_host = sg_arena_strdup(p->conf->arena, host);
	ses->store_kind = SG_STORE_REDIS; /* only now: a bad URL leaves it as it was */
	return 0;
}

/* Parses a number-like value with its unit syntax and bounds. */
static int
parse_number(struct conf_parser *p, const struct conf_directive *d, uint64_t *out,
             const char *value)
{
	const char *why = NULL;
	uint64_t v;
	int rc;

	if (d->type == T_SIZE)
		rc = sg_parse_size(value, &v, &why);
	else if (d->type == T_DURATION)
		rc = sg_parse_duration_ms(value, &v, &why);
	else
		rc = sg_parse_uint(value, 0, UINT64_MAX, &v, &why);
	if (rc == -1)
		return bad_value(p, d, value, why);
	if (v < d->min || v > d->max) {
		char range[96];

		if (d->type == T_DURATION)
			snprintf(range, sizeof(range), "must be from %llums to %llums",
			         (unsigned long long)d->min, (unsigned long long)d->max);
		else
			snprintf(range, sizeof(range), "must be from %llu to %llu",
			         (unsigned long long)d->min, (unsigned long long)d->max);
		return bad_value(p, d, value, range);
	}
	*out = v;
	return 0;
}

/* Stores the index of value in d->values, or names the allowed values. */
static int
parse_enum(struct conf_parser *p, const struct conf_directive *d, int *out, const char *value)
{
	char allowed[128] = "expected one of:";

	for (int i = 0; d->values[i] != NULL; i++) {
		if (strcmp(value, d->values[i]) == 0) {
			*out = i;
			return 0;
		}
		strncat(allowed, i ? ", " : " ", sizeof(allowed) - strlen(allowed) - 1);
		strncat(allowed, d->values[i], sizeof(allowed) - strlen(allowed) - 1);
	}
	return bad_value(p, d, value, allowed);
}

int
conf_value_parse(struct conf_parser *p, const struct conf_directive *d, void *base,
                 const char *value)
{
	void *field = (char *)base + d->offset;
	const char *why = NULL;
	uint64_t n;

	if (*value == '\0')
		return bad_value(p, d, value, "empty value");
	switch (d->type) {
	case T_STRING:
		*(const char **)field = sg_arena_strdup(p->conf->arena, value);
		return 0;
	case T_NAME:
		if (!is_name(value))
			return bad_value(p, d, value,
			                 "only letters, digits, '_', '.' and '-' are allowed");
		*(const char **)field = sg_arena_strdup(p->conf->arena, value);
		return 0;
	case T_PATH:
		*(const char **)field = absolute_path(p, value);
		return 0;
	case T_URL: {
		struct sg_conf_url *u = field;

		if (sg_url_parse(value, p->conf->arena, &u->url, &why) == -1)
			return bad_value(p, d, value, why);
		u->text = sg_arena_strdup(p->conf->arena, value);
		return 0;
	}
	case T_BOOL:
		if (sg_parse_bool(value, (bool *)field, &why) == -1)
			return bad_value(p, d, value, why);
		return 0;
	case T_WORKERS:
		if (strcmp(value, "auto") == 0) {
			*(unsigned *)field = 0;
			return 0;
		}
		if (parse_number(p, d, &n, value) == -1)
			return -1;
		*(unsigned *)field = (unsigned)n;
		return 0;
	case T_UINT:
	case T_SIZE:
	case T_DURATION:
		return parse_number(p, d, field, value);
	case T_ENUM:
		return parse_enum(p, d, field, value);
	case T_LIST:
	case T_PATHLIST:
		return parse_list(p, d, field, value);
	case T_SECRET:
		return parse_secret(p, d, field, value);
	case T_LISTEN:
		return parse_listen(p, d, field, value);
	case T_PREFIX:
		if (!is_prefix(value))
			return bad_value(
			    p, d, value,
			    "must start and end with '/' and hold plain path characters");
		*(const char **)field = sg_arena_strdup(p->conf->arena, value);
		return 0;
	case T_CIDRLIST:
		return parse_cidrs(p, d, field, value);
	case T_LOGDEST:
		if (strcmp(value, "off") == 0)
			*(const char **)field = NULL;
		else if (strcmp(value, "stderr") == 0)
			*(const char **)field = "stderr";
		else
			*(const char **)field = absolute_path(p, value);
		return 0;
	case T_HOSTHDR:
		if (strcmp(value, "external") != 0 && strcmp(value, "backend") != 0 &&
		    !is_authority(value))
			return bad_value(p, d, value, "expected external, backend or HOST[:PORT]");
		*(const char **)field = sg_arena_strdup(p->conf->arena, value);
		return 0;
	case T_HEADER:
		if (strcmp(value, "off") == 0) {
			*(const char **)field = NULL;
			return 0;
		}
		if (!is_token(value))
			return bad_value(p, d, value, "not a header field name (or off)");
		*(const char **)field = sg_arena_strdup(p->conf->arena, value);
		return 0;
	case T_PATHS:
		return parse_paths(p, d, field, value);
	case T_REGEX: {
		regex_t re;
		int rc = regcomp(&re, value, REG_EXTENDED | REG_NOSUB);

		if (rc != 0) {
			char why_re[160];

			regerror(rc, &re, why_re, sizeof(why_re));
			return bad_value(p, d, value, why_re);
		}
		regfree(&re);
		*(const char **)field = sg_arena_strdup(p->conf->arena, value);
		return 0;
	}
	case T_STORE:
		return parse_store(p, d, base, value);
	case T_DOMAIN:
		if (*value == '.')
			value++; /* RFC 6265 5.2.3: a leading dot is ignored */
		if (*value == '\0' || !is_authority(value) || strchr(value, ':') != NULL ||
		    strchr(value, '.') == NULL)
			return bad_value(p, d, value, "expected a domain such as example.com");
		*(const char **)field = sg_arena_strdup(p->conf->arena, value);
		return 0;
	case T_COOKIE:
		if (!is_cookie_name(value))
			return bad_value(p, d, value, "not a valid cookie name (RFC 6265)");
		*(const char **)field = sg_arena_strdup(p->conf->arena, value);
		return 0;
	}
	return bad_value(p, d, value, "internal error: unknown directive type");
}
