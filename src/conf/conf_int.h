/*
 * conf_int.h - internals shared by the configuration module's files:
 * conf.c (snapshot life cycle, sections, setting directives), directives.c
 * (the directive table and the value parsers), conf_ini.c (the only caller
 * of libinih) and conf_check.c (checks that span directives and files).
 */
#ifndef SG_CONF_INT_H
#define SG_CONF_INT_H

#include "conf.h"

enum conf_section_kind { SECT_SERVER, SECT_SESSION, SECT_APP, SECT_IDP, SECT_RULE };

enum conf_type {
	T_STRING,   /* any non-empty text */
	T_NAME,     /* a user, group, or section name: [A-Za-z0-9_.-] */
	T_PATH,     /* a file path, made absolute against the config's folder */
	T_URL,      /* an absolute http(s) URL, struct sg_conf_url */
	T_BOOL,     /* bool */
	T_UINT,     /* uint64_t in [min, max] */
	T_WORKERS,  /* unsigned: "auto" (0) or 1..max */
	T_SIZE,     /* uint64_t bytes in [min, max] */
	T_DURATION, /* uint64_t milliseconds in [min, max] */
	T_ENUM,     /* int: index into values */
	T_LIST,     /* struct sg_conf_list: words split on spaces and commas */
	T_PATHLIST, /* struct sg_conf_list of absolute paths */
	T_SECRET,   /* text inline, or "@/path" to read it from a file */
	T_LISTEN,   /* struct sg_conf_listens: "ADDR:PORT", repeatable */
	T_PREFIX,   /* a URL path that starts and ends with '/' */
	T_COOKIE,   /* an RFC 6265 cookie name */
	T_HOSTHDR,  /* "external", "backend", or a host[:port] to send as Host */
	T_CIDRLIST, /* struct sg_conf_cidrs: addresses and ADDRESS/BITS blocks */
	T_LOGDEST,  /* "off", "stderr", or a file path (made absolute) */
	T_HEADER,   /* a header field name (token), or "off" for NULL */
	T_PATHS,    /* struct sg_conf_list of URL paths ("/..."), repeatable */
	T_REGEX,    /* a POSIX extended regular expression, checked */
	T_STORE,    /* "memory", "redis://HOST[:PORT][/DB]" or "rediss://..." */
	T_DOMAIN,   /* a cookie Domain: a DNS name */
};

/* Directive flags. */
#define D_REQUIRED 0x01 /* must be set (or have a default) */
#define D_MULTI 0x02    /* may repeat; each line appends */
#define D_SAML 0x04     /* only in [idp] sections with type = saml */
#define D_OIDC 0x08     /* only in [idp] sections with type = oidc */

struct conf_directive {
	enum conf_section_kind section;
	const char *name;
	enum conf_type type;
	size_t offset;   /* of the value in the section's struct */
	const char *def; /* default, in config syntax; NULL for none */
	unsigned flags;
	uint64_t min, max;         /* T_UINT, T_WORKERS, T_SIZE, T_DURATION */
	const char *const *values; /* T_ENUM, NULL-terminated */
};

extern const struct conf_directive conf_directives[];
extern const size_t conf_directive_count;

/* The state of one parse. */
struct conf_parser {
	struct sg_conf *conf;
	struct sg_errlist *errs;
	const char *name; /* the file, for messages */
	int line;         /* the line being parsed */
	int headers;      /* section headers seen so far */
	enum conf_section_kind kind;
	struct sg_conf_sect *sect; /* NULL: no usable section; keys are ignored */
	void *base;                /* the struct sect belongs to */
};

void conf_error(struct conf_parser *p, int line, const char *fmt, ...) SG_PRINTF(3, 4);
/* The section name of a kind: "server", "session", "app", "idp". */
const char *conf_section_word(enum conf_section_kind kind);
/* Finds a directive by section and name; NULL if there is none. */
const struct conf_directive *conf_directive_find(enum conf_section_kind kind, const char *name);
/* Parses value into the field of directive d at base; 0 or -1 (reported). */
int conf_value_parse(struct conf_parser *p, const struct conf_directive *d, void *base,
                     const char *value);

/* conf.c: the reader saw "[header]" on line (already without brackets). */
void conf_section_begin(struct conf_parser *p, const char *header);
/* conf.c: libinih saw "key = value" in the current section. */
void conf_directive_set(struct conf_parser *p, const char *key, const char *value);

/* conf_ini.c: runs the text through libinih; syntax errors are reported. */
void conf_parse_text(struct conf_parser *p, const char *text);

/* conf_check.c: defaults, required directives, references and files. */
void conf_check(struct conf_parser *p);

#endif
