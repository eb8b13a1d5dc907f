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

enum sg_route_kind {
	SG_ROUTE_APP,     /* for an application's backend */
	SG_ROUTE_GATEWAY, /* under the reserved prefix: the gateway's own */
};

struct sg_route {
	enum sg_route_kind kind;
	const struct sg_conf_app *app;
	const char *path;           /* the target's path and query, origin-form */
	const char *canon;          /* the path as Tomcat maps it (canon.c) */
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

#endif
