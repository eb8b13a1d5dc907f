/*
 * conf.c - the snapshot's life cycle and the parse driver.  A file is read
 * whole (bounded), handed line by line to libinih through conf_ini.c, and
 * every "[section]" and "key = value" lands here, where it is matched
 * against the directive table.  Problems are collected, not fatal, so that
 * one run reports all of them; a snapshot is returned only when there were
 * none.  Nothing here touches the running daemon: a failed reload leaves no
 * trace but its messages.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

bool sg_conf_test_idp_allowed;

void
conf_error(struct conf_parser *p, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		sg_errlist_add(p->errs, "%s:%d: %s", p->name, line, msg);
	else
		sg_errlist_add(p->errs, "%s: %s", p->name, msg);
}

const char *
conf_section_word(enum conf_section_kind kind)
{
	static const char *const words[] = { "server", "session", "app", "idp", "rule" };

	return words[kind];
}

/* Starts the bookkeeping of a section found on the current line. */
static void
sect_init(struct conf_parser *p, struct sg_conf_sect *s, const char *name)
{
	s->name = name ? sg_arena_strdup(p->conf->arena, name) : NULL;
	s->line = p->line;
	s->key_line = sg_arena_alloc(p->conf->arena, conf_directive_count * sizeof(int));
}

/* Appends a new zeroed section struct of size n to a pointer array. */
static void *
sect_append(struct conf_parser *p, void ***arr, size_t *count, size_t n)
{
	void **v = sg_arena_alloc(p->conf->arena, (*count + 1) * sizeof(*v));

	if (*count > 0)
		memcpy(v, *arr, *count * sizeof(*v));
	v[*count] = sg_arena_alloc(p->conf->arena, n);
	*arr = v;
	return v[(*count)++];
}

/* Opens [app NAME], [idp NAME] or [rule NAME]; a second section of one
 * kind and name is an error. */
static void
named_section_begin(struct conf_parser *p, enum conf_section_kind kind, const char *name)
{
	void ***arr = kind == SECT_APP   ? (void ***)&p->conf->apps
	              : kind == SECT_IDP ? (void ***)&p->conf->idps
	                                 : (void ***)&p->conf->rules;
	size_t *count = kind == SECT_APP   ? &p->conf->app_count
	                : kind == SECT_IDP ? &p->conf->idp_count
	                                   : &p->conf->rule_count;
	size_t size = kind == SECT_APP   ? sizeof(struct sg_conf_app)
	              : kind == SECT_IDP ? sizeof(struct sg_conf_idp)
	                                 : sizeof(struct sg_conf_rule);
	const char *word = conf_section_word(kind);

	if (*name == '\0' ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
	        strlen(name)) {
		conf_error(p, p->line,
		           "[%s %s]: the name may hold letters, digits, '_', '.' and '-'", word,
		           name);
		return;
	}
	for (size_t i = 0; i < *count; i++) {
		struct sg_conf_sect *s = (*arr)[i];

		if (strcmp(s->name, name) == 0) {
			conf_error(p, p->line, "duplicate section [%s %s] (first at line %d)", word,
			           name, s->line);
			return;
		}
	}
	p->base = sect_append(p, arr, count, size);
	p->sect = p->base; /* struct sg_conf_sect is the first member */
	p->kind = kind;
	sect_init(p, p->sect, name);
}

void
conf_section_begin(struct conf_parser *p, const char *header)
{
	const char *sp = header + strcspn(header, " \t");
	size_t wlen = (size_t)(sp - header);
	struct sg_conf_sect *single = NULL;

	p->sect = NULL;
	p->base = NULL;
	if (wlen == 6 && strncmp(header, "server", 6) == 0 && *sp == '\0') {
		p->kind = SECT_SERVER;
		single = &p->conf->server.s;
	} else if (wlen == 7 && strncmp(header, "session", 7) == 0 && *sp == '\0') {
		p->kind = SECT_SESSION;
		single = &p->conf->session.s;
	} else if ((wlen == 3 && strncmp(header, "app", 3) == 0) ||
	           (wlen == 3 && strncmp(header, "idp", 3) == 0) ||
	           (wlen == 4 && strncmp(header, "rule", 4) == 0)) {
		sp += strspn(sp, " \t");
		if (*sp == '\0')
			conf_error(p, p->line, "[%.*s] needs a name, as in [%.*s NAME]", (int)wlen,
			           header, (int)wlen, header);
		else
			named_section_begin(p,
			                    header[0] == 'a'   ? SECT_APP
			                    : header[0] == 'i' ? SECT_IDP
			                                       : SECT_RULE,
			                    sp);
		return;
	} else {
		conf_error(p, p->line,
		           "unknown section [%s] (expected [server], [session], [app NAME], "
		           "[idp NAME] or [rule NAME])",
		           header);
		return;
	}
	if (single->line != 0) {
		conf_error(p, p->line, "duplicate section [%s] (first at line %d)", header,
		           single->line);
		return;
	}
	sect_init(p, single, NULL);
	p->sect = single;
	p->base = single;
}

void
conf_directive_set(struct conf_parser *p, const char *key, const char *value)
{
	const struct conf_directive *d;
	int *seen;

	if (p->sect == NULL)
		return; /* before any section, or in a bad one: already reported */
	d = conf_directive_find(p->kind, key);
	if (d == NULL) {
		conf_error(p, p->line, "unknown directive \"%s\" in [%s]", key,
		           conf_section_word(p->kind));
		return;
	}
	seen = &p->sect->key_line[d - conf_directives];
	if (*seen != 0 && !(d->flags & D_MULTI)) {
		conf_error(p, p->line, "duplicate directive \"%s\" (first at line %d)", key,
		           abs(*seen));
		return;
	}
	/* A value that failed is remembered as -line: present, already reported. */
	if (conf_value_parse(p, d, p->base, value) == 0) {
		if (*seen <= 0)
			*seen = p->line;
	} else if (*seen == 0) {
		*seen = -p->line;
	}
}

int
sg_conf_line(const struct sg_conf_sect *s, const char *key)
{
	for (size_t i = 0; i < conf_directive_count; i++)
		if (strcmp(conf_directives[i].name, key) == 0 && s->key_line[i] != 0)
			return abs(s->key_line[i]);
	return s->line;
}

/* Creates an empty snapshot whose relative paths resolve against dir. */
static struct sg_conf *
conf_new(const char *name, const char *dir)
{
	struct sg_conf *c = sg_xcalloc(1, sizeof(*c));

	atomic_init(&c->refs, 1);
	c->arena = sg_arena_new();
	c->file = sg_arena_strdup(c->arena, name);
	c->dir = sg_arena_strdup(c->arena, dir);
	return c;
}

struct sg_conf *
sg_conf_load_string(const char *text, const char *name, const char *dir, struct sg_errlist *errs)
{
	size_t before = errs->count;
	struct conf_parser p = { 0 };

	p.conf = conf_new(name, dir);
	p.errs = errs;
	p.name = name;
	conf_parse_text(&p, text);
	conf_check(&p);
	if (errs->count != before) {
		sg_conf_unref(p.conf);
		return NULL;
	}
	return p.conf;
}

/* The 1-based number of the line that p points into. */
static size_t
line_of(const char *text, const char *p)
{
	size_t line = 1;

	for (; text < p; text++)
		line += *text == '\n';
	return line;
}

struct sg_conf *
sg_conf_load(const char *path, struct sg_errlist *errs)
{
	struct sg_conf *c;
	char *text, *copy, *dir, *nul;
	size_t len;

	text = sg_read_file(path, SG_CONF_FILE_MAX, &len);
	if (text == NULL) {
		sg_errlist_add(errs, "%s: cannot read: %s", path,
		               errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		return NULL;
	}
	nul = memchr(text, '\0', len);
	if (nul != NULL) {
		/* The parser works on C strings: it must never see a cut file. */
		sg_errlist_add(errs, "%s:%zu: NUL byte in line", path, line_of(text, nul));
		c = NULL;
	} else {
		copy = sg_xstrdup(path);
		dir = realpath(dirname(copy), NULL);
		c = sg_conf_load_string(text, path, dir ? dir : ".", errs);
		free(dir);
		free(copy);
	}
	sg_wipe(text, len); /* inline secrets */
	free(text);
	return c;
}

struct sg_conf *
sg_conf_ref(struct sg_conf *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void
sg_conf_unref(struct sg_conf *c)
{
	if (c == NULL || atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	for (size_t i = 0; i < c->app_count; i++)
		if (c->apps[i]->groups_include_re != NULL)
			regfree(c->apps[i]->groups_include_re);
	sg_arena_free(c->arena);
	free(c);
}
