/*
 * lib.h - the generic support library every part of ssogw links: fatal-on-OOM
 * allocation, a region allocator that wipes what it held, error lists,
 * logging, and the parsers for sizes, durations and booleans that every
 * configuration value shares.  Nothing here knows about HTTP, SSO or libevent.
 */
#ifndef SG_LIB_H
#define SG_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#define SG_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define SG_NORETURN __attribute__((noreturn))
#define SG_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* alloc.c: allocation never returns NULL; running out of memory is fatal. */
void *sg_xmalloc(size_t n);
void *sg_xcalloc(size_t count, size_t n);
void *sg_xrealloc(void *p, size_t n);
char *sg_xstrdup(const char *s);
char *sg_xasprintf(const char *fmt, ...) SG_PRINTF(1, 2);
/* Overwrites n bytes at p in a way the compiler may not drop. */
void sg_wipe(void *p, size_t n);
/* Wipes a NUL-terminated string, then frees it. */
void sg_free_secret(char *s);

/* arena.c: a region; everything allocated from it goes at once, wiped. */
struct sg_arena;
struct sg_arena *sg_arena_new(void);
void *sg_arena_alloc(struct sg_arena *a, size_t n);
char *sg_arena_strdup(struct sg_arena *a, const char *s);
char *sg_arena_strndup(struct sg_arena *a, const char *s, size_t n);
char *sg_arena_printf(struct sg_arena *a, const char *fmt, ...) SG_PRINTF(2, 3);
void sg_arena_free(struct sg_arena *a);

/* buf.c: a growable byte buffer (always NUL-terminated for convenience). */
struct sg_buf {
	char *data;
	size_t len;
	size_t cap;
};
void sg_buf_append(struct sg_buf *b, const void *p, size_t n);
void sg_buf_puts(struct sg_buf *b, const char *s);
void sg_buf_printf(struct sg_buf *b, const char *fmt, ...) SG_PRINTF(2, 3);
/* Appends s as the inside of a JSON string (RFC 8259 7): quote, backslash
 * and control characters escaped; NULL appends nothing. */
void sg_buf_json_escape(struct sg_buf *b, const char *s);
void sg_buf_reset(struct sg_buf *b);
void sg_buf_free(struct sg_buf *b);

/* A module's error: a code (its meaning is the module's: HTTP code a status)
 * and a sentence for the log.  Filled by protocol code, owned by the caller. */
struct sg_err {
	int code;
	char detail[200];
};
/* Sets code and a printf-style detail; returns -1 for `return sg_err_set(...)`. */
int sg_err_set(struct sg_err *e, int code, const char *fmt, ...) SG_PRINTF(3, 4);

/* errlist.c: an ordered list of complete error messages. */
struct sg_errlist {
	char **msg;
	size_t count;
	size_t cap;
};
void sg_errlist_add(struct sg_errlist *e, const char *fmt, ...) SG_PRINTF(2, 3);
void sg_errlist_vadd(struct sg_errlist *e, const char *fmt, va_list ap) SG_PRINTF(2, 0);
void sg_errlist_clear(struct sg_errlist *e);

/* log.c: one logger per process; see log.c for the targets. */
enum sg_log_level { SG_LOG_ERROR, SG_LOG_WARN, SG_LOG_INFO, SG_LOG_DEBUG };
/* Logs to stderr (with <N> prefixes when journald reads it) at level. */
void sg_log_init(const char *ident, enum sg_log_level level);
void sg_log_set_level(enum sg_log_level level);
enum sg_log_level sg_log_get_level(void);
/* Selects stderr (foreground) and/or syslog (daemon) output. */
void sg_log_set_stderr(bool on);
void sg_log_set_syslog(bool on);
/* Opens path (append) as an extra target; NULL closes it.  -1 on error. */
int sg_log_set_file(const char *path);
/* Reopens the file target after log rotation; -1 (logged) on error. */
int sg_log_reopen(void);
void sg_log(enum sg_log_level level, const char *fmt, ...) SG_PRINTF(2, 3);
/* The access log: dest is a path, "stderr", or NULL (off).  -1 on error. */
int sg_access_log_set(const char *dest);
/* Reopens an access log file after rotation; -1 (logged) on error. */
int sg_access_log_reopen(void);
bool sg_access_log_enabled(void);
/* Writes one finished line (with its newline) in one write(2). */
void sg_access_log_write(const char *line, size_t len);
void sg_vlog(enum sg_log_level level, const char *fmt, va_list ap) SG_PRINTF(2, 0);
/* Parses "error", "warn", "info" or "debug"; -1 if it is none of them. */
int sg_log_level_parse(const char *s);
const char *sg_log_level_name(enum sg_log_level level);
#define sg_log_error(...) sg_log(SG_LOG_ERROR, __VA_ARGS__)
#define sg_log_warn(...) sg_log(SG_LOG_WARN, __VA_ARGS__)
#define sg_log_info(...) sg_log(SG_LOG_INFO, __VA_ARGS__)
#define sg_log_debug(...)                                  \
	do {                                               \
		if (sg_log_get_level() >= SG_LOG_DEBUG)    \
			sg_log(SG_LOG_DEBUG, __VA_ARGS__); \
	} while (0)
/* Logs at error level and exits 1. */
void sg_fatal(const char *fmt, ...) SG_PRINTF(1, 2) SG_NORETURN;

/*
 * units.c: the value syntaxes shared by every directive.  Each returns 0 and
 * fills *out, or -1 with a short reason in *why (a static string).
 */
/* "512", "64k", "1m", "2g" (powers of 1024, case-insensitive). */
int sg_parse_size(const char *s, uint64_t *out, const char **why);
/* "250ms", "30s", "5m", "8h", "7d", or a sum such as "1h30m"; bare = s. */
int sg_parse_duration_ms(const char *s, uint64_t *out, const char **why);
/* A duration in milliseconds as the struct timeval that timers take. */
struct timeval sg_timeval_ms(uint64_t ms);
/* "yes/no", "on/off", "true/false", "1/0". */
int sg_parse_bool(const char *s, bool *out, const char **why);
/* A decimal integer in [min, max]. */
int sg_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why);

/* cidr.c: address blocks such as 10.0.0.0/8 or 2001:db8::/32. */
struct sg_cidr {
	bool v6;
	unsigned char addr[16];
	unsigned bits;
};
/* Parses "ADDRESS[/BITS]"; 0, or -1 with a static reason in *why. */
int sg_cidr_parse(const char *s, struct sg_cidr *out, const char **why);
/* True when the numeric address addr lies in c. */
bool sg_cidr_match(const struct sg_cidr *c, const char *addr);

/* random.c: n bytes from the kernel's CSPRNG (getrandom); fatal if none. */
void sg_random_bytes(void *buf, size_t n);
/* A fast per-thread generator seeded from the kernel, for values that
 * must be unique and unguessable in practice but guard nothing (request
 * ids).  Never for keys, session ids or nonces. */
uint64_t sg_random_u64(void);

/* crypto.c: AEAD sealing, hashes and encodings over OpenSSL's libcrypto. */
#define SG_KEY_LEN 32 /* AES-256 and HMAC-SHA256 keys */
#define SG_SHA256_LEN 32
#define SG_SEAL_OVERHEAD 28 /* 12-byte nonce + 16-byte tag */
/* n bytes from OpenSSL's CSPRNG (RAND_priv_bytes); fatal if it fails. */
void sg_csprng(void *buf, size_t n);
void sg_sha256(const void *p, size_t n, uint8_t out[SG_SHA256_LEN]);
void sg_hmac_sha256(const uint8_t key[SG_KEY_LEN], const void *p, size_t n,
                    uint8_t out[SG_SHA256_LEN]);
/* A key for one purpose (label) from master key material (HKDF-SHA256). */
void sg_key_derive(const void *master, size_t n, const char *label, uint8_t out[SG_KEY_LEN]);
/* AES-256-GCM: appends nonce | ciphertext | tag to out.  aad binds the
 * sealed bytes to their use ("session-state", a cookie name...). */
void sg_seal(const uint8_t key[SG_KEY_LEN], const char *aad, const void *p, size_t n,
             struct sg_buf *out);
/* Opens what sg_seal made under the same key and aad: appends the plain
 * bytes to out and returns 0, or -1 (out unchanged) if anything differs. */
int sg_unseal(const uint8_t key[SG_KEY_LEN], const char *aad, const void *p, size_t n,
              struct sg_buf *out);
/* RFC 4648 5 base64url without padding. */
void sg_base64url_encode(const void *p, size_t n, struct sg_buf *out);
/* Appends the decoded bytes to out; -1 on a character outside the
 * alphabet, padding, or a length that no encoding has. */
int sg_base64url_decode(const char *s, size_t n, struct sg_buf *out);
/* Constant-time comparison of n bytes. */
bool sg_ct_equal(const void *a, const void *b, size_t n);

/*
 * wire.c: a compact binary encoding for records we write and read back:
 * bytes, LEB128 varints, 8-byte big-endian integers, optional strings
 * (varint length + 1, 0 for NULL) and byte strings (varint length).  The
 * reader's bad flag is sticky: read every field, then check sg_wire_done.
 */
struct sg_wire_reader {
	const uint8_t *p;
	size_t left;
	bool bad;
};
void sg_wire_put_u8(struct sg_buf *b, uint8_t v);
void sg_wire_put_varint(struct sg_buf *b, uint64_t v);
void sg_wire_put_i64(struct sg_buf *b, int64_t v);
/* A byte string: its length as a varint, then the bytes. */
void sg_wire_put_bytes(struct sg_buf *b, const void *p, size_t n);
/* An optional string: length + 1 as a varint (0 for NULL), then the bytes. */
void sg_wire_put_str(struct sg_buf *b, const char *s);
/* The const char * fields at offsets off[0..n) of the struct at base, as
 * optional strings: one table of offsetof() values then serves both ways
 * of a record, so encoding and decoding cannot disagree on the order. */
void sg_wire_put_strs(struct sg_buf *b, const void *base, const size_t *off, size_t n);
/* Each getter yields 0 or NULL once r is bad, and marks it bad on running
 * out of bytes, a non-canonical or over-long varint, or a length past max. */
uint8_t sg_wire_get_u8(struct sg_wire_reader *r);
/* Exactly n bytes copied to out (zeroed when r is or turns bad). */
void sg_wire_get_raw(struct sg_wire_reader *r, void *out, size_t n);
uint64_t sg_wire_get_varint(struct sg_wire_reader *r);
int64_t sg_wire_get_i64(struct sg_wire_reader *r);
/* A byte string of at most max bytes, copied into a and NUL-terminated. */
const void *sg_wire_get_bytes(struct sg_wire_reader *r, size_t max, size_t *n, struct sg_arena *a);
/* An optional string of at most max bytes without NULs, copied into a;
 * NULL when absent (or bad: check sg_wire_done). */
const char *sg_wire_get_str(struct sg_wire_reader *r, size_t max, struct sg_arena *a);
/* The inverse of sg_wire_put_strs, each string as sg_wire_get_str. */
void sg_wire_get_strs(struct sg_wire_reader *r, size_t max, struct sg_arena *a, void *base,
                      const size_t *off, size_t n);
/* True when no read went wrong and nothing is left over. */
bool sg_wire_done(const struct sg_wire_reader *r);

/* file.c: reads a whole regular file of at most max bytes, NUL-terminated.
 * Returns NULL and sets errno (EFBIG past max) on failure. */
char *sg_read_file(const char *path, size_t max, size_t *len);

#endif
