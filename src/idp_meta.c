/*
 * idp_meta.c - what the gateway knows of each SAML [idp]: its entity ID,
 * single sign-on and logout URLs and every signing key it publishes, as an
 * immutable, refcounted snapshot (struct sg_idp_meta) that logins on any
 * worker take with sg_idp_meta_get and drop when done.
 *
 * Where a snapshot comes from, per [idp]:
 *   entity_id, sso_url, slo_url, certificate   built once per configuration
 *       snapshot (again on each reload); when metadata is given as well,
 *       each of these that is set overrides the metadata's value (and
 *       entity_id picks the entity of an EntitiesDescriptor);
 *   metadata_file   read at start and reload, and read again every
 *       metadata_refresh when its size, mtime or inode changed (a file
 *       rollover needs no restart);
 *   metadata_url    fetched off the request path by the keeper on the main
 *       thread's event loop (net/fetch.c), at start and every
 *       metadata_refresh (after a failure: within a minute).  The last good
 *       document is kept in [session] state_dir as idp-NAME.metadata.xml,
 *       read back at start, so that a restart while the IdP is down still
 *       signs users in.
 * A document that cannot be fetched, read or used, or whose validUntil has
 * passed, never replaces the snapshot in use: that one stays, with a
 * warning (the first of a streak of failures), until its own validUntil;
 * after that sg_idp_meta_get refuses it.  Every signing certificate the
 * metadata lists is trusted, so an IdP's key rollover needs no restart.
 *
 * The keeper (this file's static state) runs on the main thread only: the
 * loads, fetches, timers and reloads.  Workers only read: a mutex guards
 * the table of slots and each slot's current snapshot, held just long
 * enough to take a reference.  A reload keeps the slots (and snapshots) of
 * IdPs whose source is the same, builds the others and drops the rest.
 *
 * Without the keeper (the command-line tools: --check-saml-response),
 * sg_idp_meta_get builds a snapshot on demand, synchronously: it reads the
 * files and fetches metadata_url once, blocking, with a short timeout.
 * In the daemon it never touches the network: a request whose snapshot
 * of the configuration has an IdP the keeper does not (a connection opened
 * before a reload that changed it) gets one built from the files or the
 * saved copy, or an error page.
 *
 * What it does not do: check a signature on the metadata (the URL's TLS and
 * the administrator's choice of file are the trust), use HTTP caching
 * headers or cacheDuration, or fetch early ahead of validUntil.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pipeline_int.h"
#include "saml.h"

#define META_DOC_MAX (4 * 1024 * 1024) /* the metadata parser's own bound */
#define META_FETCH_TIMEOUT_MS 30000
#define META_CLI_TIMEOUT_MS 10000
#define META_RETRY_MS 60000 /* after a failure, try again at least this soon */
#define SAVED_MARK "<!-- ssogw: a saved copy of the metadata_url with SHA-256 "

#define WHY_NONE                                                                              \
	"The identity provider's metadata could not be loaded, so sign-in through it is not " \
	"possible right now."
#define WHY_EXPIRED                                                                          \
	"The identity provider's metadata has expired and a newer one could not be loaded, " \
	"so sign-in through it is not possible right now."
#define WHY_CHANGED                                                                           \
	"The identity provider's settings have just changed: please close this tab and sign " \
	"in again."

/* A snapshot and what only this file sees of it. */
struct meta {
	struct sg_idp_meta pub; /* first: callers hold &pub */
	atomic_int refs;
	struct sg_arena *arena; /* owns the strings */
	size_t ncerts;          /* signing certificates (metadata) or certificate files */
	bool from_files;        /* the keys are the certificate files' */
	bool has_doc;
	uint8_t doc_hash[SG_SHA256_LEN]; /* of the document it was read from */
	atomic_bool expired_logged;
};

/* One [idp] the keeper looks after. */
struct slot {
	struct sg_conf *conf;          /* a reference: keeps idp alive */
	const struct sg_conf_idp *idp; /* in conf */
	struct meta *cur;              /* published: under keeper.lock */
	/* The keeper's own (main thread): */
	struct event *timer;        /* the next refresh */
	struct sg_net_fetch *fetch; /* in flight, or NULL */
	struct stat file_st;        /* metadata_file as last read */
	bool failing;               /* in a streak of failures (warned) */
	unsigned failures;
};

static struct {
	pthread_mutex_t lock;
	struct slot **v; /* under lock */
	size_t n;
	char *state_dir; /* under lock; NULL: none */
	bool daemon;     /* sg_idp_meta_init ran: never fetch on a request */
	struct event_base *base;
	struct sg_net_fetcher *fetcher;
} keeper = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct meta *
meta_of(struct sg_idp_meta *p)
{
	return (struct meta *)p; /* pub is the first member */
}

static struct meta *
meta_ref(struct meta *m)
{
	if (m != NULL)
		atomic_fetch_add(&m->refs, 1);
	return m;
}

static void
meta_unref(struct meta *m)
{
	if (m == NULL || atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	sg_saml_keys_unref(m->pub.keys);
	sg_arena_free(m->arena);
	free(m);
}

void
sg_idp_meta_unref(struct sg_idp_meta *m)
{
	meta_unref(m ? meta_of(m) : NULL);
}

/* ---- sources ---- */

static bool
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

bool
sg_idp_meta_same_source(const struct sg_conf_idp *a, const struct sg_conf_idp *b)
{
	if (a->type != b->type || !str_eq(a->s.name, b->s.name) ||
	    !str_eq(a->metadata_file, b->metadata_file) ||
	    !str_eq(a->metadata_url.text, b->metadata_url.text) ||
	    !str_eq(a->entity_id, b->entity_id) || !str_eq(a->sso_url.text, b->sso_url.text) ||
	    !str_eq(a->slo_url.text, b->slo_url.text) ||
	    a->certificate.count != b->certificate.count)
		return false;
	for (size_t i = 0; i < a->certificate.count; i++)
		if (!str_eq(a->certificate.v[i], b->certificate.v[i]))
			return false;
	return true;
}

/* ---- building a snapshot ---- */

static char *
dup_or_null(struct sg_arena *a, const char *s)
{
	return s != NULL ? sg_arena_strdup(a, s) : NULL;
}

/* Reads the document into md (strings in m's arena); refuses one whose
 * validUntil (metadata 2.3.1: "MUST NOT be used after") has passed. */
static int
meta_read_doc(struct meta *m, const struct sg_conf_idp *idp, const char *xml, size_t len,
              int64_t now, struct sg_saml_idp_metadata *md, struct sg_err *err)
{
	char when[32];

	if (sg_saml_idp_metadata_parse(xml, len, idp->entity_id, m->arena, md, err) == -1)
		return -1;
	if (md->valid_until != 0 && md->valid_until <= now)
		return sg_err_set(err, 0, "its validUntil %s has passed",
		                  sg_idp_meta_time(md->valid_until, when, sizeof(when)));
	m->has_doc = true;
	sg_sha256(xml, len, m->doc_hash);
	return 0;
}

/* The values of m: the [idp] section's where set, else the metadata's. */
static void
meta_take_values(struct meta *m, const struct sg_conf_idp *idp,
                 const struct sg_saml_idp_metadata *md)
{
	struct sg_idp_meta *p = &m->pub;
	const char *sso = idp->sso_url.text, *slo = idp->slo_url.text;
	const char *slo_resp = md->slo_response_url ? md->slo_response_url : md->slo_redirect_url;

	p->entity_id = dup_or_null(m->arena, idp->entity_id ? idp->entity_id : md->entity_id);
	p->sso_url = dup_or_null(m->arena, sso ? sso : md->sso_redirect_url);
	p->sso_post_url = dup_or_null(m->arena, sso ? sso : md->sso_post_url);
	p->slo_url = dup_or_null(m->arena, slo ? slo : md->slo_redirect_url);
	p->slo_response_url = dup_or_null(m->arena, slo ? slo : slo_resp);
	p->valid_until = md->valid_until;
}

/* The signing keys: the certificate files when set, else every signing
 * certificate of the metadata. */
static int
meta_take_keys(struct meta *m, const struct sg_conf_idp *idp, const struct sg_saml_idp_metadata *md,
               struct sg_err *err)
{
	struct sg_errlist errs = { 0 };

	if (idp->certificate.count > 0) {
		m->pub.keys =
		    sg_saml_keys_from_cert_files(idp->certificate.v, idp->certificate.count, &errs);
		m->ncerts = idp->certificate.count;
		m->from_files = true;
	} else if (md->ncerts > 0) {
		m->pub.keys = sg_saml_keys_from_cert_pems(md->signing_certs, md->ncerts, &errs);
		m->ncerts = md->ncerts;
	}
	if (m->pub.keys == NULL)
		sg_err_set(err, 0, "%s", errs.count > 0 ? errs.msg[0] : "no signing certificate");
	sg_errlist_clear(&errs);
	return m->pub.keys != NULL ? 0 : -1;
}

struct sg_idp_meta *
sg_idp_meta_build(const struct sg_conf_idp *idp, const char *xml, size_t len, int64_t now,
                  struct sg_err *err)
{
	struct meta *m = sg_xcalloc(1, sizeof(*m));
	struct sg_saml_idp_metadata md = { 0 };

	atomic_init(&m->refs, 1);
	atomic_init(&m->expired_logged, false);
	m->arena = sg_arena_new();
	if (xml != NULL && meta_read_doc(m, idp, xml, len, now, &md, err) == -1)
		goto fail;
	meta_take_values(m, idp, &md);
	if (meta_take_keys(m, idp, &md, err) == -1)
		goto fail;
	if (m->pub.entity_id == NULL || (m->pub.sso_url == NULL && m->pub.sso_post_url == NULL)) {
		sg_err_set(err, 0, "no entity ID or single sign-on URL");
		goto fail;
	}
	return &m->pub;
fail:
	meta_unref(m);
	return NULL;
}

const char *
sg_idp_meta_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		snprintf(buf, n, "(none)");
	else
		strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

bool
sg_idp_meta_expired(const struct sg_idp_meta *m, int64_t now)
{
	return m->valid_until != 0 && now >= m->valid_until;
}

/* "2 signing certificates, valid until ...", for the log; in buf. */
static const char *
meta_describe(const struct meta *m, char *buf, size_t n)
{
	char when[32];

	snprintf(buf, n, "%zu %s%s, %s%s", m->ncerts,
	         m->from_files ? "certificate file" : "signing certificate",
	         m->ncerts == 1 ? "" : "s", m->pub.valid_until ? "valid until " : "no validUntil",
	         m->pub.valid_until ? sg_idp_meta_time(m->pub.valid_until, when, sizeof(when))
	                            : "");
	return buf;
}

/* ---- the saved copy of a fetched document (state_dir) ---- */

/* The line that marks a saved copy as one of url's documents. */
static void
saved_marker(const char *url, char *out, size_t n)
{
	uint8_t h[SG_SHA256_LEN];
	char hex[2 * SG_SHA256_LEN + 1];

	sg_sha256(url, strlen(url), h);
	for (size_t i = 0; i < sizeof(h); i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	snprintf(out, n, "%s%s -->\n", SAVED_MARK, hex);
}

static void
saved_path(const char *dir, const struct sg_conf_idp *idp, char *out, size_t n)
{
	snprintf(out, n, "%s/idp-%s.metadata.xml", dir, idp->s.name);
}

/* Where the marker goes: after the XML declaration, if there is one. */
static size_t
saved_mark_at(const char *xml, size_t len)
{
	const char *end;

	if (len < 5 || memcmp(xml, "<?xml", 5) != 0)
		return 0;
	end = memmem(xml, len, "?>", 2);
	return end != NULL ? (size_t)(end - xml) + 2 : 0;
}

/* Writes all of p to fd; -1 on error. */
static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Keeps xml, the document just fetched from idp's metadata_url, as the
 * saved copy: written beside, flushed, then renamed over the old one. */
static void
saved_write(const char *dir, const struct sg_conf_idp *idp, const char *xml, size_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], mark[sizeof(SAVED_MARK) + 80];
	size_t at;
	int fd;

	if (len >= 3 && memcmp(xml, "\xef\xbb\xbf", 3) == 0) { /* a UTF-8 BOM: optional */
		xml += 3;
		len -= 3;
	}
	at = saved_mark_at(xml, len);
	saved_marker(idp->metadata_url.text, mark, sizeof(mark));
	saved_path(dir, idp, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || fchmod(fd, 0644) == -1 || write_all(fd, xml, at) == -1 ||
	    write_all(fd, mark, strlen(mark)) == -1 || write_all(fd, xml + at, len - at) == -1 ||
	    fsync(fd) == -1 || close(fd) == -1 || (fd = -1, rename(tmp, path) == -1)) {
		sg_log_warn("[idp %s]: cannot save the metadata in %s: %s", idp->s.name, path,
		            strerror(errno));
		if (fd != -1)
			close(fd);
		unlink(tmp);
		return;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
}

/* The document saved for idp's metadata_url (as it was fetched: without
 * the marker), or NULL: none, or one of another URL (*why says). */
static char *
saved_read(const char *dir, const struct sg_conf_idp *idp, size_t *len, const char **why)
{
	char path[PATH_MAX], mark[sizeof(SAVED_MARK) + 80];
	char *xml, *at;
	size_t n, ml;

	saved_path(dir, idp, path, sizeof(path));
	xml = sg_read_file(path, META_DOC_MAX + sizeof(mark), &n);
	if (xml == NULL) {
		*why = errno == ENOENT ? NULL : strerror(errno);
		return NULL;
	}
	saved_marker(idp->metadata_url.text, mark, sizeof(mark));
	ml = strlen(mark);
	at = xml + saved_mark_at(xml, n);
	if ((size_t)(at - xml) + ml > n || memcmp(at, mark, ml) != 0) {
		*why = "it was fetched from another metadata_url";
		free(xml);
		return NULL;
	}
	memmove(at, at + ml, n - (size_t)(at - xml) - ml + 1);
	*len = n - ml;
	return xml;
}

/* ---- the keeper's slots (main thread) ---- */

/* Publishes m (taking it over) as s's snapshot; the old one goes when its
 * last user is done with it. */
static void
slot_publish(struct slot *s, struct meta *m, const char *origin)
{
	struct meta *old;
	char desc[128];

	pthread_mutex_lock(&keeper.lock);
	old = s->cur;
	s->cur = m;
	pthread_mutex_unlock(&keeper.lock);
	sg_log_info("[idp %s]: metadata %s from %s: %s", s->idp->s.name,
	            old != NULL ? "reloaded" : "loaded", origin,
	            meta_describe(m, desc, sizeof(desc)));
	meta_unref(old);
	s->failing = false;
	s->failures = 0;
}

/* A load or fetch failed: warns at the first of a streak; the snapshot
 * in use (if any) stays. */
static void
slot_fail(struct slot *s, const char *origin, const char *cause)
{
	char desc[128];
	struct meta *cur = s->cur; /* only the keeper writes it */

	s->failures++;
	if (s->failing) {
		sg_log_debug("[idp %s]: metadata from %s still not usable (%u times): %s",
		             s->idp->s.name, origin, s->failures, cause);
		return;
	}
	s->failing = true;
	if (cur != NULL && sg_idp_meta_expired(&cur->pub, (int64_t)time(NULL)))
		sg_log_warn("[idp %s]: metadata from %s not used: %s; the metadata in use expired "
		            "at %s: sign-in through this IdP gets 503 until a newer one can be "
		            "loaded",
		            s->idp->s.name, origin, cause,
		            sg_idp_meta_time(cur->pub.valid_until, desc, sizeof(desc)));
	else if (cur != NULL)
		sg_log_warn("[idp %s]: metadata from %s not used: %s; keeping the metadata in use "
		            "(%s)",
		            s->idp->s.name, origin, cause, meta_describe(cur, desc, sizeof(desc)));
	else
		sg_log_warn("[idp %s]: metadata from %s not used: %s; sign-in through this IdP "
		            "gets 503 until it can be loaded",
		            s->idp->s.name, origin, cause);
}

/* Builds from xml (NULL: the [idp] values alone) and publishes; an
 * unchanged document only ends a streak of failures. */
static int
slot_take(struct slot *s, const char *xml, size_t len, const char *origin)
{
	int64_t now = (int64_t)time(NULL);
	struct sg_err err = { 0 };
	struct sg_idp_meta *p;
	uint8_t h[SG_SHA256_LEN];
	char when[32];

	if (xml != NULL && s->cur != NULL && s->cur->has_doc) {
		sg_sha256(xml, len, h);
		if (memcmp(h, s->cur->doc_hash, sizeof(h)) == 0 &&
		    sg_idp_meta_expired(&s->cur->pub, now)) {
			snprintf(err.detail, sizeof(err.detail), "its validUntil %s has passed",
			         sg_idp_meta_time(s->cur->pub.valid_until, when, sizeof(when)));
			slot_fail(s, origin, err.detail);
			return -1;
		}
		if (memcmp(h, s->cur->doc_hash, sizeof(h)) == 0) {
			if (s->failing)
				sg_log_info("[idp %s]: metadata from %s can be used again "
				            "(unchanged)",
				            s->idp->s.name, origin);
			s->failing = false;
			s->failures = 0;
			return 1;
		}
	}
	p = sg_idp_meta_build(s->idp, xml, len, now, &err);
	if (p == NULL) {
		slot_fail(s, origin, err.detail);
		return -1;
	}
	slot_publish(s, meta_of(p), origin);
	return 0;
}

/* Reads metadata_file when it is new or changed (always when force). */
static void
slot_load_file(struct slot *s, bool force)
{
	const char *path = s->idp->metadata_file;
	struct stat st;
	size_t len;
	char *xml;

	if (stat(path, &st) == -1) {
		slot_fail(s, path, strerror(errno));
		return;
	}
	if (!force && !s->failing && st.st_size == s->file_st.st_size &&
	    st.st_ino == s->file_st.st_ino && st.st_dev == s->file_st.st_dev &&
	    st.st_mtim.tv_sec == s->file_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == s->file_st.st_mtim.tv_nsec)
		return;
	s->file_st = st;
	xml = sg_read_file(path, META_DOC_MAX, &len);
	if (xml == NULL) {
		slot_fail(s, path, errno == EFBIG ? "the file is too large" : strerror(errno));
		return;
	}
	slot_take(s, xml, len, path);
	free(xml);
}

/* At start: the copy of the last document fetched, if there is one. */
static void
slot_load_saved(struct slot *s)
{
	char path[PATH_MAX];
	const char *why = NULL;
	size_t len;
	char *xml;

	if (keeper.state_dir == NULL)
		return;
	saved_path(keeper.state_dir, s->idp, path, sizeof(path));
	xml = saved_read(keeper.state_dir, s->idp, &len, &why);
	if (xml == NULL) {
		if (why != NULL)
			sg_log_info("[idp %s]: the saved metadata %s is not used: %s",
			            s->idp->s.name, path, why);
		return;
	}
	slot_take(s, xml, len, path);
	s->failing = false; /* the fetch that follows warns on its own */
	free(xml);
}

/* The first snapshot of a new slot, from what needs no network. */
static void
slot_load(struct slot *s)
{
	if (s->idp->metadata_url.text != NULL)
		slot_load_saved(s);
	else if (s->idp->metadata_file != NULL)
		slot_load_file(s, true);
	else
		slot_take(s, NULL, 0, "its [idp] section");
}

static void slot_fetch(struct slot *s);
static void slot_schedule(struct slot *s, uint64_t ms);

/* The refresh timer: fetch the URL, or look at the file again. */
static void
slot_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct slot *s = arg;

	(void)fd;
	(void)what;
	if (s->idp->metadata_url.text != NULL) {
		slot_fetch(s);
	} else {
		slot_load_file(s, false);
		slot_schedule(s, s->idp->metadata_refresh_ms);
	}
}

/* Arms the refresh timer for ms from now. */
static void
slot_schedule(struct slot *s, uint64_t ms)
{
	struct timeval tv = sg_timeval_ms(ms);

	if (keeper.base == NULL)
		return;
	if (s->timer == NULL)
		s->timer = evtimer_new(keeper.base, slot_on_timer, s);
	if (s->timer == NULL || evtimer_add(s->timer, &tv) == -1)
		sg_log_error("[idp %s]: cannot arm the metadata refresh timer", s->idp->s.name);
}

/* The wait after a failed fetch: metadata_refresh, or less. */
static uint64_t
retry_ms(const struct slot *s)
{
	uint64_t r = s->idp->metadata_refresh_ms;

	return r < META_RETRY_MS ? r : META_RETRY_MS;
}

/* The answer to a fetch of metadata_url. */
static void
slot_on_fetched(void *arg, const char *error, long status, const struct sg_buf *body)
{
	struct slot *s = arg;
	const char *url = s->idp->metadata_url.text;
	char cause[400];
	int rc = -1;

	s->fetch = NULL;
	if (error != NULL) {
		snprintf(cause, sizeof(cause), "cannot fetch it: %s", error);
		slot_fail(s, url, cause);
	} else if (status != 200) {
		snprintf(cause, sizeof(cause), "the server answered HTTP status %ld", status);
		slot_fail(s, url, cause);
	} else {
		rc = slot_take(s, body->data, body->len, url);
		if (rc == 0 && keeper.state_dir != NULL)
			saved_write(keeper.state_dir, s->idp, body->data, body->len);
	}
	slot_schedule(s, rc >= 0 ? s->idp->metadata_refresh_ms : retry_ms(s));
}

/* Starts a fetch of metadata_url (unless one is in flight). */
static void
slot_fetch(struct slot *s)
{
	struct sg_net_fetch_req r = { 0 };
	char err[128];

	if (s->fetch != NULL || keeper.base == NULL)
		return;
	if (keeper.fetcher == NULL && (keeper.fetcher = sg_net_fetcher_new(keeper.base)) == NULL) {
		slot_fail(s, s->idp->metadata_url.text, "libcurl cannot be initialized");
		slot_schedule(s, retry_ms(s));
		return;
	}
	r.url = s->idp->metadata_url.text;
	r.ca_file = s->idp->metadata_ca_file;
	r.timeout_ms = META_FETCH_TIMEOUT_MS;
	r.max_body = META_DOC_MAX;
	s->fetch = sg_net_fetch_start(keeper.fetcher, &r, slot_on_fetched, s, err, sizeof(err));
	if (s->fetch == NULL) {
		slot_fail(s, r.url, err);
		slot_schedule(s, retry_ms(s));
	}
}

/* Starts what keeps s fresh: a fetch now, or the file's refresh timer. */
static void
slot_arm(struct slot *s)
{
	if (keeper.base == NULL)
		return;
	if (s->idp->metadata_url.text != NULL)
		slot_fetch(s);
	else if (s->idp->metadata_file != NULL)
		slot_schedule(s, s->idp->metadata_refresh_ms);
}

static struct slot *
slot_new(const struct sg_conf *c, const struct sg_conf_idp *idp)
{
	struct slot *s = sg_xcalloc(1, sizeof(*s));

	s->conf = sg_conf_ref((struct sg_conf *)c);
	s->idp = idp;
	return s;
}

static void
slot_free(struct slot *s)
{
	sg_net_fetch_cancel(s->fetch);
	if (s->timer != NULL)
		event_free(s->timer);
	meta_unref(s->cur);
	sg_conf_unref(s->conf);
	free(s);
}

/* ---- the keeper's life ---- */

void
sg_idp_meta_init(const struct sg_conf *c)
{
	struct slot **v = sg_xcalloc(c->idp_count + 1, sizeof(*v));
	size_t n = 0;

	keeper.daemon = true;
	keeper.state_dir = c->session.state_dir ? sg_xstrdup(c->session.state_dir) : NULL;
	for (size_t i = 0; i < c->idp_count; i++) {
		if (c->idps[i]->type != SG_IDP_SAML)
			continue;
		v[n] = slot_new(c, c->idps[i]);
		slot_load(v[n++]);
	}
	pthread_mutex_lock(&keeper.lock);
	keeper.v = v;
	keeper.n = n;
	pthread_mutex_unlock(&keeper.lock);
}

int
sg_pipeline_start_fetches(struct event_base *base)
{
	bool wanted = false;

	for (size_t i = 0; i < keeper.n; i++)
		wanted = wanted || keeper.v[i]->idp->metadata_url.text != NULL;
	keeper.base = base;
	if (wanted && (keeper.fetcher = sg_net_fetcher_new(base)) == NULL) {
		sg_log_error("libcurl cannot be initialized: IdP metadata cannot be fetched");
		return -1;
	}
	for (size_t i = 0; i < keeper.n; i++)
		slot_arm(keeper.v[i]);
	return 0;
}

/* A kept slot after a reload: what is local is looked at again (the
 * [idp] values rebuilt, a changed file read), and a URL with nothing
 * usable fetched at once. */
static void
slot_reloaded(struct slot *s, uint64_t old_refresh)
{
	if (s->idp->metadata_url.text != NULL) {
		if (s->cur == NULL || s->failing)
			slot_fetch(s);
		else if (old_refresh != s->idp->metadata_refresh_ms)
			slot_schedule(s, s->idp->metadata_refresh_ms);
	} else if (s->idp->metadata_file != NULL) {
		slot_load_file(s, false);
		slot_schedule(s, s->idp->metadata_refresh_ms);
	} else {
		slot_take(s, NULL, 0, "its [idp] section");
	}
}

/* Moves the slots of c's IdPs whose source did not change from the old
 * table (NULLing them there) to v, and makes new ones for the rest;
 * *nv: how many.  Kept slots switch to c under the lock. */
static void
reload_table(const struct sg_conf *c, struct slot **old, size_t nold, struct slot **v, size_t *nv,
             struct sg_conf **old_confs, uint64_t *old_refresh)
{
	size_t n = 0;

	for (size_t i = 0; i < c->idp_count; i++) {
		const struct sg_conf_idp *idp = c->idps[i];
		struct slot *s;
		size_t j;

		if (idp->type != SG_IDP_SAML)
			continue;
		for (j = 0; j < nold; j++)
			if (old[j] != NULL && sg_idp_meta_same_source(old[j]->idp, idp))
				break;
		if (j == nold) {
			v[n] = slot_new(c, idp);
			old_confs[n] = NULL;
			slot_load(v[n++]);
			continue;
		}
		s = old[j];
		old[j] = NULL;
		old_confs[n] = s->conf;
		old_refresh[n] = s->idp->metadata_refresh_ms;
		pthread_mutex_lock(&keeper.lock);
		s->conf = sg_conf_ref((struct sg_conf *)c);
		s->idp = idp;
		pthread_mutex_unlock(&keeper.lock);
		v[n++] = s;
	}
	*nv = n;
}

void
sg_idp_meta_reload(const struct sg_conf *c)
{
	struct slot **v = sg_xcalloc(c->idp_count + 1, sizeof(*v)), **old = keeper.v;
	struct sg_conf **old_confs = sg_xcalloc(c->idp_count + 1, sizeof(*old_confs));
	uint64_t *old_refresh = sg_xcalloc(c->idp_count + 1, sizeof(*old_refresh));
	size_t n = 0, nold = keeper.n;
	char *dir = c->session.state_dir ? sg_xstrdup(c->session.state_dir) : NULL;

	if (!keeper.daemon)
		goto out;
	pthread_mutex_lock(&keeper.lock);
	free(keeper.state_dir);
	keeper.state_dir = dir;
	dir = NULL;
	pthread_mutex_unlock(&keeper.lock);
	reload_table(c, old, nold, v, &n, old_confs, old_refresh);
	pthread_mutex_lock(&keeper.lock);
	keeper.v = v;
	keeper.n = n;
	v = old;
	pthread_mutex_unlock(&keeper.lock);
	for (size_t i = 0; i < nold; i++)
		if (old[i] != NULL) {
			sg_log_debug("[idp %s]: the metadata of its previous settings is dropped",
			             old[i]->idp->s.name);
			slot_free(old[i]);
		}
	for (size_t i = 0; i < n; i++) {
		if (old_confs[i] != NULL) {
			sg_conf_unref(old_confs[i]);
			slot_reloaded(keeper.v[i], old_refresh[i]);
		} else {
			slot_arm(keeper.v[i]);
		}
	}
out:
	free(v);
	free(dir);
	free(old_confs);
	free(old_refresh);
}

void
sg_idp_meta_shutdown(void)
{
	struct slot **v;
	size_t n;

	pthread_mutex_lock(&keeper.lock);
	v = keeper.v;
	n = keeper.n;
	keeper.v = NULL;
	keeper.n = 0;
	pthread_mutex_unlock(&keeper.lock);
	for (size_t i = 0; i < n; i++)
		slot_free(v[i]);
	free(v);
	sg_net_fetcher_free(keeper.fetcher);
	keeper.fetcher = NULL;
	keeper.base = NULL;
	free(keeper.state_dir);
	keeper.state_dir = NULL;
	keeper.daemon = false;
}

/* ---- readers (any thread) ---- */

/* metadata_url's document for a caller the keeper has no slot for: in
 * the daemon the saved copy only, in a command-line tool a blocking fetch.
 * NULL with cause (in err, n bytes). */
static char *
on_demand_url(const struct sg_conf_idp *idp, size_t *len, char *err, size_t n)
{
	struct sg_net_fetch_req r = { idp->metadata_url.text, idp->metadata_ca_file,
		                      META_CLI_TIMEOUT_MS, META_DOC_MAX };
	struct sg_buf body = { 0 };
	char dir[PATH_MAX] = "";
	const char *why = NULL;
	char *xml = NULL;
	long status;

	if (keeper.daemon) {
		pthread_mutex_lock(&keeper.lock);
		if (keeper.state_dir != NULL)
			snprintf(dir, sizeof(dir), "%s", keeper.state_dir);
		pthread_mutex_unlock(&keeper.lock);
		if (dir[0] != '\0')
			xml = saved_read(dir, idp, len, &why);
		if (xml == NULL)
			snprintf(err, n,
			         "a request of a previous configuration needs it, and no "
			         "copy is kept");
		return xml;
	}
	if (sg_net_fetch_blocking(&r, &status, &body, err, n) == 0) {
		if (status == 200 && body.len > 0) {
			*len = body.len;
			return body.data; /* malloc'd, NUL-terminated */
		}
		snprintf(err, n, "the server answered HTTP status %ld", status);
	}
	sg_buf_free(&body);
	return NULL;
}

/* A snapshot built now, for a caller the keeper has no slot for (a
 * command-line tool; in the daemon, a request of a configuration before
 * a reload that changed this IdP).  NULL with *why; the cause is logged. */
static struct meta *
meta_on_demand(const struct sg_conf_idp *idp, int64_t now, const char **why)
{
	const char *origin = idp->metadata_url.text ? idp->metadata_url.text : idp->metadata_file;
	struct sg_idp_meta *p;
	struct sg_err e = { 0 };
	char err[320] = "";
	char *xml = NULL;
	size_t len = 0;

	if (idp->metadata_url.text != NULL) {
		xml = on_demand_url(idp, &len, err, sizeof(err));
	} else if (idp->metadata_file != NULL) {
		xml = sg_read_file(origin, META_DOC_MAX, &len);
		if (xml == NULL)
			snprintf(err, sizeof(err), "%s", strerror(errno));
	}
	if (origin != NULL && xml == NULL) {
		sg_log_error("[idp %s]: metadata from %s cannot be read: %s", idp->s.name, origin,
		             err);
		*why = keeper.daemon ? WHY_CHANGED : WHY_NONE;
		return NULL;
	}
	p = sg_idp_meta_build(idp, xml, len, now, &e);
	free(xml);
	if (p == NULL) {
		sg_log_error("[idp %s]: metadata from %s cannot be used: %s", idp->s.name,
		             origin ? origin : "its [idp] section", e.detail);
		*why = WHY_NONE;
		return NULL;
	}
	return meta_of(p);
}

struct sg_idp_meta *
sg_idp_meta_get(const struct sg_conf_idp *idp, int64_t now, const char **why)
{
	struct meta *m = NULL;
	struct slot *s = NULL;
	char when[32];

	*why = NULL;
	pthread_mutex_lock(&keeper.lock);
	for (size_t i = 0; i < keeper.n && s == NULL; i++)
		if (keeper.v[i]->idp == idp || sg_idp_meta_same_source(keeper.v[i]->idp, idp))
			s = keeper.v[i];
	if (s != NULL)
		m = meta_ref(s->cur);
	pthread_mutex_unlock(&keeper.lock);
	if (s == NULL)
		m = meta_on_demand(idp, now, why);
	else if (m == NULL)
		*why = WHY_NONE; /* the keeper logged why */
	if (m != NULL && sg_idp_meta_expired(&m->pub, now)) {
		if (!atomic_exchange(&m->expired_logged, true))
			sg_log_warn("[idp %s]: the metadata expired at %s (its validUntil) and no "
			            "newer one could be loaded: sign-in through this IdP gets 503",
			            idp->s.name,
			            sg_idp_meta_time(m->pub.valid_until, when, sizeof(when)));
		meta_unref(m);
		*why = WHY_EXPIRED;
		return NULL;
	}
	return m ? &m->pub : NULL;
}
