/*
 * net.h - the only part of ssogw that touches sockets and the TLS layer:
 * listeners, TLS contexts, and the service manager's notification socket.
 * The proxy engine's connection state machine and backend pool join it.
 */
#ifndef SG_NET_H
#define SG_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "lib.h"

struct event_base;
struct sg_listeners;

/*
 * Binds every listen and listen_http address of c (SO_REUSEADDR, IPv6 only
 * for [::] so that 0.0.0.0 can be bound beside it).  Returns the bound set,
 * or NULL with one message per failure in errs.  Nothing is accepted yet.
 */
struct sg_listeners *sg_net_listeners_bind(const struct sg_conf *c, struct sg_errlist *errs);
/* Starts accepting on base. */
int sg_net_listeners_start(struct sg_listeners *l, struct event_base *base);
/* Stops accepting and closes the sockets; in-flight connections go on. */
void sg_net_listeners_close(struct sg_listeners *l);
void sg_net_listeners_free(struct sg_listeners *l);
/* True when c listens on exactly the addresses l was bound to. */
bool sg_net_listeners_match(const struct sg_listeners *l, const struct sg_conf *c);
/* Connections accepted and not yet finished. */
size_t sg_net_active_connections(void);

/*
 * Loads the TLS certificate chain and key of c the way the listeners will,
 * and checks that they belong together.  0, or -1 with messages in errs.
 */
int sg_net_tls_check(const struct sg_conf *c, struct sg_errlist *errs);

/* sd_notify(3) protocol: sends state ("READY=1", ...) to $NOTIFY_SOCKET,
 * if set.  Returns 0 when sent or not under a service manager. */
int sg_net_notify(const char *state);
/* The watchdog interval asked for by the service manager, or 0. */
uint64_t sg_net_watchdog_usec(void);

#endif
