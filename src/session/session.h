/*
 * session.h - the session object and the session store.
 *
 * A session is what a login leaves behind: who the user is, their groups,
 * and what a later logout needs to tell the IdP.  The browser holds only a
 * random 256-bit id (in the session cookie); the store keys each session by
 * the SHA-256 of that id, so neither a store dump nor a state file holds a
 * usable cookie.
 *
 * The store has two back ends behind one interface:
 *   memory  a sharded hash table shared by the worker threads, with idle and
 *           absolute timeouts, a periodic sweep, max_sessions with
 *           oldest-first eviction, and a state file that carries the
 *           sessions across a restart (AES-256-GCM, written atomically);
 *   redis   the same data in Redis (TTL per session), shared by several
 *           gateways; store_redis.c builds the commands and reads the
 *           replies, net/ carries the bytes (sg_store_link).
 * Every operation reports through a callback.  The memory store calls it
 * before returning; the redis store calls it later, from the worker's event
 * loop.  Callers must handle both.
 *
 * Secondary indexes end every session of one login at logout: by user, by
 * SAML NameID, by SAML NameID + SessionIndex, and by OIDC sid.
 *
 * The store also keeps small opaque blobs with an expiry, for preserved POST
 * bodies, and one-time marks (the SAML assertion replay cache).
 */
#ifndef SG_SESSION_H
#define SG_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "lib.h"

#define SG_SESSION_ID_LEN 32 /* random bytes in the cookie */

enum sg_session_protocol { SG_PROTO_TEST, SG_PROTO_SAML, SG_PROTO_OIDC };

/*
 * One session.  Strings are NUL-terminated, owned by whoever built the
 * struct (usually a request arena); optional ones may be NULL.  Times are
 * seconds since the epoch.
 */
struct sg_session {
	uint8_t key[SG_SHA256_LEN]; /* SHA-256 of the id; the store's key */
	const char *user;
	const char *display_name;
	const char *email;
	const char **groups;
	size_t ngroups;
	const char *idp;   /* the [idp] section's name */
	int protocol;      /* enum sg_session_protocol */
	int64_t auth_time; /* when the IdP authenticated the user */
	int64_t created;   /* when the gateway made this session */
	int64_t expires;   /* the absolute timeout */
	int64_t last_seen; /* the idle timeout runs from here */
	/* For logout. */
	const char *saml_name_id;
	const char *saml_name_id_format;
	const char *saml_session_index;
	const char *oidc_id_token;
	const char *oidc_sid;
	const char *oidc_refresh_sealed; /* the refresh token, sealed (sg_seal, base64url) */
};

/* The secondary indexes.  Those of a protocol are scoped by the IdP: two
 * IdPs may well use one NameID for different people. */
enum sg_session_index {
	SG_INDEX_USER,         /* user */
	SG_INDEX_SAML_NAMEID,  /* idp "\n" saml_name_id */
	SG_INDEX_SAML_SESSION, /* idp "\n" saml_name_id "\n" saml_session_index */
	SG_INDEX_OIDC_SID,     /* idp "\n" oidc_sid */
	SG_INDEX_COUNT
};

/* A new random id (the cookie value's bytes) and the store key for it. */
void sg_session_new_id(uint8_t id[SG_SESSION_ID_LEN], uint8_t key[SG_SHA256_LEN]);
/* The store key of an id taken from a cookie. */
void sg_session_key_of(const uint8_t id[SG_SESSION_ID_LEN], uint8_t key[SG_SHA256_LEN]);
/* The index value of s for kind, in a, or NULL when s has none. */
const char *sg_session_index_value(const struct sg_session *s, enum sg_session_index kind,
                                   struct sg_arena *a);

/* Serializes s compactly (a version byte, then length-prefixed fields); the
 * same bytes go to Redis and to the state file. */
void sg_session_encode(const struct sg_session *s, struct sg_buf *out);
/* Reads what sg_session_encode wrote into s, with strings in a.  0, or -1
 * on anything malformed (never reads past n). */
int sg_session_decode(const void *p, size_t n, struct sg_arena *a, struct sg_session *s);
/* A deep copy of s in a. */
void sg_session_copy(const struct sg_session *s, struct sg_arena *a, struct sg_session *out);

enum sg_store_status {
	SG_STORE_OK,
	SG_STORE_NOT_FOUND,   /* no such session (or expired), blob, or: mark already set */
	SG_STORE_UNAVAILABLE, /* the back end cannot be reached (Redis down) */
};

/* A Redis reply as hiredis's reader builds it (struct redisReply). */
struct redisReply;
typedef void (*sg_store_reply_cb)(void *arg, struct redisReply *reply);

/*
 * How the redis store reaches Redis from one worker thread: net/ provides
 * it (pipeline.c adapts).  command sends one command; cb is called exactly
 * once, later, with the reply (owned by the link, valid during the call),
 * or with NULL when Redis could not be reached or did not answer in time.
 */
struct sg_store_link {
	void (*command)(struct sg_store_link *l, int argc, const char **argv, const size_t *lens,
	                sg_store_reply_cb cb, void *arg);
};

typedef void (*sg_store_get_cb)(void *arg, enum sg_store_status st, struct sg_session *s);
typedef void (*sg_store_done_cb)(void *arg, enum sg_store_status st);
typedef void (*sg_store_blob_cb)(void *arg, enum sg_store_status st, const void *p, size_t n);

struct sg_store;

/* A store for c's [session] settings (memory or redis).  NULL with errs. */
struct sg_store *sg_store_new(const struct sg_conf *c, struct sg_errlist *errs);
/* Takes the limits of a reloaded snapshot (timeouts, max_sessions); a
 * change of back end needs a restart, which c's caller reports. */
void sg_store_reconfigure(struct sg_store *st, const struct sg_conf *c);
void sg_store_free(struct sg_store *st);
bool sg_store_is_memory(const struct sg_store *st);

/*
 * Finds the session with key and copies it into a.  A session past its
 * idle or absolute timeout is not found (and removed).  A found session is
 * touched: last_seen is written back when it is a minute or more old.
 */
void sg_store_get(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now,
                  struct sg_arena *a, sg_store_get_cb cb, void *arg);
/* The same without the touch: for checks that are not the user's doing
 * (is the session of an open WebSocket still there?). */
void sg_store_peek(struct sg_store *st, struct sg_store_link *l, const uint8_t *key, int64_t now,
                   struct sg_arena *a, sg_store_get_cb cb, void *arg);
/* Adds s (new key) with its indexes; the memory store may evict the oldest
 * sessions to stay within max_sessions, with a warning in the log. */
void sg_store_put(struct sg_store *st, struct sg_store_link *l, const struct sg_session *s,
                  sg_store_done_cb cb, void *arg);
/* Ends one session. */
void sg_store_del(struct sg_store *st, struct sg_store_link *l, const uint8_t *key,
                  sg_store_done_cb cb, void *arg);
/* Ends every session whose index kind has value (a logout of one login). */
void sg_store_del_index(struct sg_store *st, struct sg_store_link *l, enum sg_session_index kind,
                        const char *value, sg_store_done_cb cb, void *arg);

/* Keeps an opaque blob under key until expires (seconds since the epoch). */
void sg_store_blob_put(struct sg_store *st, struct sg_store_link *l, const uint8_t *key,
                       const void *p, size_t n, int64_t expires, sg_store_done_cb cb, void *arg);
/* Hands the blob under key to cb and removes it: a blob is taken once. */
void sg_store_blob_take(struct sg_store *st, struct sg_store_link *l, const uint8_t *key,
                        int64_t now, sg_store_blob_cb cb, void *arg);
/* Sets a one-time mark until expires: SG_STORE_OK the first time,
 * SG_STORE_NOT_FOUND when it was already set and is not expired at now (a
 * replay).  Blob and mark keys are SG_SHA256_LEN bytes. */
void sg_store_mark_once(struct sg_store *st, struct sg_store_link *l, const uint8_t *key,
                        int64_t now, int64_t expires, sg_store_done_cb cb, void *arg);

/* Memory store only (no-ops for redis). */
/* Removes what has expired by now; returns how many sessions went. */
size_t sg_store_sweep(struct sg_store *st, int64_t now);
/* Sessions held. */
size_t sg_store_count(const struct sg_store *st);
/* Writes every live session to path (mode 0600, a temporary file renamed
 * over it), sealed under key.  0, or -1 with errs. */
int sg_store_save(struct sg_store *st, const char *path, const uint8_t key[SG_KEY_LEN], int64_t now,
                  struct sg_errlist *errs);
/* Reads a state file written by sg_store_save, dropping what expired.
 * Returns the number of sessions restored, or -1 with errs (missing,
 * corrupt, sealed under another key): the store is left as it was. */
long sg_store_load(struct sg_store *st, const char *path, const uint8_t key[SG_KEY_LEN],
                   int64_t now, struct sg_errlist *errs);

#endif
