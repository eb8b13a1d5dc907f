/*
 * gate.h - the gateway's pure decisions, with no I/O: which application a
 * request is for (route.c), and how its head is rewritten on the way to the
 * backend (rewrite.c).  Each function takes the parsed message and the
 * configuration snapshot and returns its answer; tests call them directly.
 */
#ifndef SG_GATE_H
#define SG_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "http.h"
#include "lib.h"
#include "session.h"

enum sg_route_kind {
	SG_ROUTE_APP,     /* for an application's backend */
	SG_ROUTE_GATEWAY, /* under the reserved prefix: the gateway's own */
};

struct sg_route {
	enum sg_route_kind kind;
	const struct sg_conf_app *app;
	const char *path;           /* the target's path and query, origin-form */
	const char *canon;          /* the path as Tomcat maps it (canon.c) */
	const char *app_path;       /* canon below the app's external path: "/secure/admin" */
	const char *backend_target; /* the target to send to the backend */
};

/*
 * Finds the application for request m by its authority (the Host field, or
 * the authority of an absolute-form target, RFC 9112 3.2.2) and the longest
 * matching path prefix of the apps' external URLs.  tls: m came over
 * HTTPS, where a Host without a port means 443 and the port must match;
 * over plain HTTP it means 80 and only the host has to match.  0, or -1 with
 * err->code 400 (bad target, an absolute-form target for another host) or
 * 421 (RFC 9110 15.5.20: no application at this authority).
 */
int sg_gate_route(const struct sg_conf *c, const struct sg_http_msg *m, bool tls,
                  struct sg_arena *a, struct sg_route *r, struct sg_err *err);

/*
 * The path a request names, as Tomcat 10 maps it: ";params" removed from
 * every segment, percent-escapes decoded, "//" merged, "." and ".."
 * resolved; no query.  0, or -1 with err->code 400 for what Tomcat refuses
 * by default: an encoded '/' or '\', a '\', NUL, ".." above the root, a
 * bad escape, invalid UTF-8.  Every decision is made on this path.
 */
int sg_gate_canonical_path(const char *path, struct sg_arena *a, const char **out,
                           struct sg_err *err);

/*
 * Rewrites request m in place for the backend of r (RFC 9110 7.6.1, RFC
 * 7239): drops hop-by-hop fields and every field Connection names (but
 * keeps a WebSocket upgrade: Connection: Upgrade, Upgrade: websocket),
 * frames the body unambiguously, sets Host per host_header, and sets or
 * extends X-Forwarded-For/-Proto/-Host/-Port and Forwarded.
 */
void sg_gate_rewrite_request(struct sg_http_msg *m, struct sg_arena *a, const struct sg_route *r,
                             const struct sg_client_info *client);

/* Removes every field named in names; '_' and '-' are the same letter there
 * (X_Remote_User is X-Remote-User to many backends' header lookups). */
void sg_gate_strip_fields(struct sg_http_msg *m, const struct sg_conf_list *names);

/* Appends "1.1 ssogw" to Via (RFC 9110 7.6.3). */
void sg_gate_add_via(struct sg_http_msg *m, struct sg_arena *a);

/* The request's id: a trusted proxy's X-Request-Id if it is a sane token,
 * else a new random one; sets it on m either way. */
const char *sg_gate_request_id(struct sg_http_msg *m, bool trusted, struct sg_arena *a);

/*
 * Rewrites a backend's response head for the client: drops hop-by-hop
 * fields, and translates Location, Content-Location, Refresh and Set-Cookie
 * (Domain, Path) from the backend's base URL to app's external URL, for
 * backends that build links from their internal address (the "base URL
 * mismatch").  app may be NULL (no translation).
 */
void sg_gate_rewrite_response(struct sg_http_msg *m, struct sg_arena *a,
                              const struct sg_conf_app *app);

/*
 * authz.c - who may enter which path of an app.  Paths in the config
 * (public, passthrough, [rule] path) are matched against app_path, the
 * canonical path below the app's external path: a pattern with * ? or [
 * is a glob (fnmatch(3) without FNM_PATHNAME: * also matches '/'), any
 * other pattern is a prefix that ends at a segment boundary ("/status"
 * matches "/status" and "/status/x", never "/statusx"; "/s/" matches
 * "/s/x").  Matching is case-sensitive, as Tomcat's mapping is.
 */
enum sg_authz_kind {
	SG_AUTHZ_PUBLIC,      /* a public path: no login, no identity fields */
	SG_AUTHZ_PASSTHROUGH, /* passthrough path with its own Authorization: untouched */
	SG_AUTHZ_LOGIN,       /* protected: a session is needed */
	SG_AUTHZ_ALLOW,       /* the session may enter */
	SG_AUTHZ_STEP_UP,     /* may enter after a fresh login (the rule's step_up) */
	SG_AUTHZ_DENY,        /* may not enter, whatever the login */
};

struct sg_authz {
	enum sg_authz_kind kind;
	const struct sg_conf_rule *rule; /* the [rule] that decided, or NULL: the app's lists */
	const char *required;            /* DENY: what was missing, for the 403 page and log:
	                                    "membership in group jira-administrators" */
};

/* True when pattern (prefix or glob, as above) matches path. */
bool sg_gate_path_match(const char *pattern, const char *path);

/* Before any session lookup: PUBLIC, PASSTHROUGH (the path is listed and m
 * carries Authorization, or is a CORS preflight) or LOGIN (every other
 * path). */
enum sg_authz_kind sg_gate_access_class(const struct sg_conf_app *app, const char *app_path,
                                        const struct sg_http_msg *m);

/*
 * With session s on a protected path: the app's allow_users/allow_groups
 * (a user passes when listed in either; neither set lets everyone in),
 * then the first [rule] of the app, in file order, whose path matches,
 * with its own allow_users/allow_groups and step_up.  step_up asks for
 * STEP_UP when s->auth_time is older than step_up_max_age at now.  Fills
 * out (strings in a).
 */
void sg_gate_authorize(const struct sg_conf_app *app, const char *app_path,
                       const struct sg_session *s, int64_t now, struct sg_arena *a,
                       struct sg_authz *out);

/* True for a browser's page navigation (GET or HEAD whose Accept names
 * text/html, without X-Requested-With): it gets a redirect to the login;
 * anything else (XHR, JSON clients, API calls) gets a 401. */
bool sg_gate_wants_login_redirect(const struct sg_http_msg *m);

/*
 * identity.c - strip before inject.  Removes every field the gateway owns
 * from a client's request: the server's strip_headers, every field whose
 * name starts with strip_header_prefix, and the identity field names of
 * every app; names compare case-insensitively with '_' and '-' alike
 * (X_Remote_User is X-Remote-User to many backends).
 */
void sg_gate_strip_identity(struct sg_http_msg *m, const struct sg_conf *c);

/* The groups of s that go to app's backend: those matching groups_include,
 * at most groups_max, in s's order.  Returns the count; *out in a. */
size_t sg_gate_filter_groups(const struct sg_conf_app *app, const struct sg_session *s,
                             struct sg_arena *a, const char ***out);

/* Sets app's identity fields (user, email, display name, groups joined by
 * groups_separator) for s.  A value holding CR, LF, NUL or another
 * control character is not sent (it cannot be a field value). */
void sg_gate_add_identity(struct sg_http_msg *m, struct sg_arena *a, const struct sg_conf_app *app,
                          const struct sg_session *s);

#endif
