/*
 * conf.h - the configuration snapshot.  An INI file (see ssogw.conf(5)) is
 * parsed through one directive table, checked as a whole, and turned into an
 * immutable, reference-counted snapshot.  Whoever holds a reference may read
 * it from any thread; a reload builds a new snapshot beside the old one and
 * in-flight work keeps the one it started with.
 */
#ifndef SG_CONF_H
#define SG_CONF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http.h"
#include "lib.h"

/* Largest configuration file, secret file and certificate file we read. */
#define SG_CONF_FILE_MAX (1024 * 1024)
#define SG_CONF_SECRET_MAX (64 * 1024)
/* libinih's line buffer: longer lines are refused, never cut. */
#define SG_CONF_LINE_MAX 199

/* Where a section came from and the line of each directive it set. */
struct sg_conf_sect {
	const char *name; /* "jira" for [app jira]; NULL for [server] */
	int line;         /* line of the [header]; 0 when the section is absent */
	int *key_line;    /* per directive-table entry: line set, or 0 */
};

struct sg_conf_listen {
	const char *text; /* as written: "127.0.0.1:8443", "[::]:443" */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int line;
};

struct sg_conf_listens {
	struct sg_conf_listen *v;
	size_t count;
};

struct sg_conf_list {
	const char **v;
	size_t count;
};

struct sg_conf_cidrs {
	struct sg_cidr *v;
	size_t count;
};

struct sg_conf_url {
	const char *text; /* NULL when unset */
	struct sg_url url;
};

struct sg_conf_server {
	struct sg_conf_sect s;
	struct sg_conf_listens listen;
	struct sg_conf_listens listen_http;
	const char *tls_certificate; /* absolute paths */
	const char *tls_key;
	unsigned workers; /* 0 means one per CPU */
	const char *user;
	const char *group;
	const char *pid_file;
	uint64_t drain_timeout_ms;
	int log_level; /* enum sg_log_level */
	const char *log_file;
	const char *prefix; /* reserved path prefix, "/ssogw/" */
	uint64_t max_request_line;
	uint64_t max_header_size;
	uint64_t max_headers;
	uint64_t client_timeout_ms;
	uint64_t keepalive_timeout_ms;
	uint64_t max_connections;  /* per worker */
	uint64_t backend_max_idle; /* idle keep-alive connections per worker and backend */
	uint64_t backend_idle_timeout_ms;
	uint64_t tunnel_idle_timeout_ms;
	const char *tls_ciphers;              /* TLS 1.2 cipher list (OpenSSL syntax) */
	uint64_t tls_ticket_rotate_ms;        /* session ticket key lifetime */
	uint64_t hsts_ms;                     /* Strict-Transport-Security max-age; 0: off */
	struct sg_conf_cidrs trusted_proxies; /* their X-Forwarded-* are believed */
	bool via;                             /* add Via to forwarded requests */
	struct sg_conf_list strip_headers;    /* identity fields never taken from clients */
	const char *access_log;               /* path, "stderr", or NULL (off) */
	int access_log_format;                /* enum sg_access_log_format */
	const char *strip_header_prefix;      /* fields starting so are never taken from clients */
	const char *signing_key_file;         /* PEM EC P-256 or RSA key for identity JWTs */
};

enum sg_access_log_format { SG_ACCESS_COMBINED, SG_ACCESS_JSON };

enum sg_store_kind { SG_STORE_MEMORY, SG_STORE_REDIS };

struct sg_conf_session {
	struct sg_conf_sect s;
	const char *cookie_name;
	const char *cookie_domain; /* NULL: host-only cookies */
	uint64_t idle_timeout_ms;
	uint64_t absolute_timeout_ms;
	uint64_t max_sessions;
	const char *store; /* "memory", "redis://..." or "rediss://..." */
	/* Realized from store: */
	int store_kind; /* enum sg_store_kind */
	const char *store_host;
	unsigned store_port;
	unsigned store_db;
	bool store_tls;
	const char *store_password; /* a secret: never logged */
	const char *store_ca_file;  /* CAs for rediss://; NULL: the system's */
	uint64_t store_timeout_ms;
	const char *state_dir;        /* where the memory store is kept across restarts */
	const char *session_key_file; /* key material for everything the gateway seals */
	uint64_t login_state_ttl_ms;
	uint64_t login_state_max; /* login-state cookies kept per browser */
};

enum sg_idp_type { SG_IDP_SAML, SG_IDP_OIDC, SG_IDP_TEST };
enum sg_saml_binding_kind { SG_SAML_BINDING_REDIRECT, SG_SAML_BINDING_POST };

/* Set by a test build of the daemon before any load: accepts "type = test"
 * IdPs (the test-only login of tests/tools/test_idp.c). */
extern bool sg_conf_test_idp_allowed;

struct sg_conf_idp {
	struct sg_conf_sect s;
	int type; /* enum sg_idp_type */
	/* SAML */
	const char *metadata_file;
	struct sg_conf_url metadata_url;
	uint64_t metadata_refresh_ms; /* metadata_url is fetched again so often */
	const char *metadata_ca_file; /* CAs for an https metadata_url; NULL: the system's */
	const char *entity_id;
	struct sg_conf_url sso_url;
	struct sg_conf_url slo_url;
	struct sg_conf_list certificate; /* absolute paths of PEM files */
	int require_signed;              /* enum: either, assertion, response, both */
	bool allow_sha1;
	uint64_t clock_skew_ms;
	bool allow_unsolicited;
	bool sign_requests;
	const char *name_id_format;        /* NULL: the IdP's choice */
	int request_binding;               /* enum sg_saml_binding_kind, of the AuthnRequest */
	struct sg_conf_list authn_context; /* RequestedAuthnContext classes; none: not sent */
	int authn_context_comparison;      /* exact, minimum, maximum, better */
	bool single_logout;                /* our logout also ends the IdP's session (its SLO) */
	const char *user_attribute;        /* NULL: the NameID is the user id */
	bool lowercase_user;
	bool strip_domain;                  /* "user@corp" -> "user" */
	struct sg_conf_list name_attribute; /* the first one present wins */
	struct sg_conf_list email_attribute;
	struct sg_conf_list groups_attribute;
	struct sg_conf_list group_map; /* "IDP-GROUP=NAME" pairs, checked */
	/* Home-realm discovery among an app's IdPs. */
	const char *display_name;    /* on the chooser page; NULL: the section name */
	struct sg_conf_list domains; /* email domains (lower case) that sign in here */
	/* OpenID Connect */
	struct sg_conf_url issuer;
	const char *client_id;
	const char *client_secret; /* a secret: never logged */
	struct sg_conf_list scopes;
};

/* A [rule NAME] section: a path area of one app and who may enter it. */
struct sg_conf_rule {
	struct sg_conf_sect s;
	const char *app_name;
	struct sg_conf_list paths; /* prefixes, or globs when they hold * ? [ */
	struct sg_conf_list allow_groups;
	struct sg_conf_list allow_users;
	bool step_up; /* a login younger than the app's step_up_max_age is needed */
};

struct sg_conf_app {
	struct sg_conf_sect s;
	struct sg_conf_url url;     /* external URL users open */
	struct sg_conf_url backend; /* the Tomcat connector */
	struct sg_conf_list idp_names;
	const struct sg_conf_idp **idps; /* resolved from idp_names, in their order */
	size_t idp_count;
	const struct sg_conf_idp *idp; /* idps[0]: the default, and often the only one */
	struct sg_conf_list allow_groups;
	const char *host_header;              /* "external", "backend" or a literal value */
	struct sockaddr_storage backend_addr; /* resolved when the snapshot is built */
	socklen_t backend_addrlen;
	uint64_t backend_connect_timeout_ms;
	uint64_t backend_timeout_ms;
	uint64_t max_body_size;           /* 0: no limit */
	uint64_t backend_max_header_size; /* the head we send it (Tomcat's 8 KiB) */
	const char *backend_ca_file;      /* CAs for an https backend; NULL: the system's */
	const char *tls_certificate;      /* its own certificate (SNI); NULL: [server]'s */
	const char *tls_key;
	bool backend_verify;        /* check an https backend's certificate */
	const char *sp_certificate; /* the SAML SP's: signed requests, decryption */
	const char *sp_key;
	/* Authorization (gate/authz.c). */
	struct sg_conf_list public_paths;      /* no login */
	struct sg_conf_list passthrough_paths; /* own Authorization passes untouched */
	struct sg_conf_list allow_users;
	const struct sg_conf_rule **rules; /* [rule] sections for this app, in file order */
	size_t rule_count;
	uint64_t step_up_max_age_ms;
	uint64_t preserve_post_max; /* 0: POST bodies are not kept across a login */
	/* Identity to the backend (gate/identity.c); NULL names: not sent. */
	const char *identity_header;
	const char *identity_email_header;
	const char *identity_name_header;
	const char *identity_groups_header;
	const char *groups_separator;
	const char *identity_jwt_header;
	uint64_t identity_jwt_ttl_ms;
	const char *groups_include; /* POSIX extended regex; NULL: every group */
	void *groups_include_re;    /* regex_t, compiled when the snapshot is built */
	uint64_t groups_max;        /* 0: no limit */
};

struct sg_conf {
	atomic_int refs;
	struct sg_arena *arena; /* owns every string and array below */
	const char *file;       /* the path it was read from */
	const char *dir;        /* relative paths in it are resolved here */
	struct sg_conf_server server;
	struct sg_conf_session session;
	struct sg_conf_app **apps;
	size_t app_count;
	struct sg_conf_idp **idps;
	size_t idp_count;
	struct sg_conf_rule **rules;
	size_t rule_count;
};

/*
 * Reads, parses and checks the file at path.  Returns a snapshot holding one
 * reference, or NULL with every problem appended to errs as "file:line: ...".
 */
struct sg_conf *sg_conf_load(const char *path, struct sg_errlist *errs);

/* The same over text in memory; name stands for the file in messages and
 * relative paths are resolved against dir. */
struct sg_conf *sg_conf_load_string(const char *text, const char *name, const char *dir,
                                    struct sg_errlist *errs);

struct sg_conf *sg_conf_ref(struct sg_conf *c);
/* Drops a reference; the last one wipes and frees the snapshot. */
void sg_conf_unref(struct sg_conf *c);

/* The line where directive key was set in section s, else the section's. */
int sg_conf_line(const struct sg_conf_sect *s, const char *key);

/* The directive table, for docs checks: section ("server", "session",
 * "app", "idp", "rule") and name of entry i; false past the end. */
bool sg_conf_directive(size_t i, const char **section, const char **name);

#endif
