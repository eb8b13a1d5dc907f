/*
 * main.c - the ssogw daemon: command-line flags, configuration test, start
 * up (bind, detach, drop privileges), signals and the event loop.
 *
 *   SIGTERM, SIGINT  stop accepting, let in-flight work finish for up to
 *                    drain_timeout, exit 0 (a second one exits at once)
 *   SIGHUP           build a new configuration snapshot; keep the old one
 *                    on any error; connections are never dropped
 *   SIGUSR1          reopen the log file (after rotation)
 *
 * Under systemd (Type=notify) it reports READY, RELOADING, STOPPING and
 * watchdog pings through sdnotify.c.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "lib.h"
#include "net.h"
#include "pipeline.h"

#ifdef SG_TEST_BUILD
/* tests/daemon/test_idp.c: the test-only sign-in. */
void sg_test_idp_register(void);
#endif

#ifndef SG_SYSCONFDIR
#define SG_SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONF SG_SYSCONFDIR "/ssogw/ssogw.conf"
#define DRAIN_POLL_MS 100

struct options {
	const char *conf_path;
	bool foreground;
	bool debug;
	bool test_only;
	const char *sp_info;    /* --sp-info APP */
	const char *check_saml; /* --check-saml-response FILE */
	const char *idp;        /* --idp NAME */
	const char *app;        /* --app NAME */
	const char *now;        /* --now TIME */
	const char *request_id; /* --request-id ID */
};

struct daemon {
	struct options opt;
	struct event_base *base;
	struct sg_conf *conf; /* the running snapshot; one reference */
	struct sg_net *net;
	struct event *signals[4];
	struct event *watchdog;
	struct event *tick; /* housekeeping: the session store's sweep */
	bool pipeline_ready;
	struct event *ticket_timer;
	struct event *drain;
	struct timespec drain_deadline;
	bool stopping;
	bool detached; /* daemon(3) ran: stderr is gone */
	bool pid_file_written;
};

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: ssogw [-c FILE] [-f] [-d] [-t] [-V] [-h] [--sp-info APP]\n"
	        "  -c FILE  configuration file (default %s)\n"
	        "  -f       stay in the foreground and log to stderr\n"
	        "  -d       debug logging\n"
	        "  -t       test the configuration and exit (0 if it is OK, 1 if not)\n"
	        "  -V       print the version and the library versions, and exit\n"
	        "  -h       print this help and exit\n"
	        "  --sp-info APP  print what to enter at the SAML IdP for [app APP]\n"
	        "  --check-saml-response FILE --idp NAME [--app NAME] [--now TIME]\n"
	        "           [--request-id ID]\n"
	        "           check a saved base64 SAMLResponse as the ACS would, and print\n"
	        "           each check and the identity (TIME: 2026-01-31T12:00:00Z or\n"
	        "           seconds since the epoch; default now)\n",
	        DEFAULT_CONF);
}

static void
print_version(void)
{
	printf("ssogw %s\n", PACKAGE_VERSION);
	printf(
	    "built with: libevent %s, OpenSSL %s, libxml2 %s, xmlsec1 %s, jansson %s, cjose %s,\n"
	    "  libcurl %s, hiredis %s, inih %s, http-parser %d.%d.%d\n",
	    SG_VERSION_LIBEVENT, SG_VERSION_OPENSSL, SG_VERSION_LIBXML, SG_VERSION_XMLSEC,
	    SG_VERSION_JANSSON, SG_VERSION_CJOSE, SG_VERSION_LIBCURL, SG_VERSION_HIREDIS,
	    SG_VERSION_INIH, SG_HTTP_PARSER_MAJOR, SG_HTTP_PARSER_MINOR, SG_HTTP_PARSER_PATCH);
	printf("configuration: %s\n", DEFAULT_CONF);
}

/* Parses argv into o; exits on -h, -V and usage errors. */
static void
parse_options(int argc, char **argv, struct options *o)
{
	int ch;

	static const struct option longs[] = { { "sp-info", required_argument, NULL, 'S' },
		                               { "check-saml-response", required_argument, NULL,
		                                 'R' },
		                               { "idp", required_argument, NULL, 'I' },
		                               { "app", required_argument, NULL, 'A' },
		                               { "now", required_argument, NULL, 'N' },
		                               { "request-id", required_argument, NULL, 'Q' },
		                               { "help", no_argument, NULL, 'h' },
		                               { "version", no_argument, NULL, 'V' },
		                               { NULL, 0, NULL, 0 } };

	o->conf_path = DEFAULT_CONF;
	while ((ch = getopt_long(argc, argv, "c:fdtVh", longs, NULL)) != -1) {
		switch (ch) {
		case 'S':
			o->sp_info = optarg;
			break;
		case 'R':
			o->check_saml = optarg;
			break;
		case 'I':
			o->idp = optarg;
			break;
		case 'A':
			o->app = optarg;
			break;
		case 'N':
			o->now = optarg;
			break;
		case 'Q':
			o->request_id = optarg;
			break;
		case 'c':
			o->conf_path = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'd':
			o->debug = true;
			break;
		case 't':
			o->test_only = true;
			break;
		case 'V':
			print_version();
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ssogw: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		exit(2);
	}
}

/* The absolute form of path (kept as given if it cannot be resolved: the
 * load that follows reports why). */
static const char *
absolute_conf_path(const char *path)
{
	static char buf[PATH_MAX];

	return realpath(path, buf) != NULL ? buf : path;
}

/* Loads and fully checks a configuration; NULL with errs filled. */
static struct sg_conf *
load_config(const char *path, struct sg_errlist *errs)
{
	struct sg_conf *c = sg_conf_load(path, errs);

	if (c != NULL && sg_net_tls_check(c, errs) == -1) {
		sg_conf_unref(c);
		return NULL;
	}
	return c;
}

/* `ssogw -t`: prints every problem as file:line: message, like nginx -t. */
static int
test_config(const char *path)
{
	struct sg_errlist errs = { 0 };
	struct sg_conf *c = load_config(path, &errs);

	if (c != NULL && sg_pipeline_check(c, &errs) == -1) {
		sg_conf_unref(c);
		c = NULL;
	}
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	sg_errlist_clear(&errs);
	if (c == NULL) {
		fprintf(stderr, "ssogw: configuration file %s test failed\n", path);
		return 1;
	}
	printf("ssogw: configuration file %s is OK\n", path);
	sg_conf_unref(c);
	return 0;
}

/* `ssogw --sp-info APP`: what an admin enters at the SAML IdP. */
static int
sp_info(const char *path, const char *app)
{
	struct sg_errlist errs = { 0 };
	struct sg_conf *c = sg_conf_load(path, &errs);
	int rc = 1;

	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	sg_errlist_clear(&errs);
	if (c == NULL) {
		fprintf(stderr, "ssogw: configuration file %s has errors\n", path);
		return 1;
	}
	if (sg_pipeline_sp_info(c, app, stdout) == 0)
		rc = 0;
	else
		fprintf(stderr, "ssogw: no section [app %s] in %s\n", app, path);
	sg_conf_unref(c);
	return rc;
}

/* --now: "YYYY-MM-DDThh:mm:ssZ" or seconds since the epoch; -1 if bad. */
static int64_t
parse_now(const char *s)
{
	struct tm tm = { 0 };
	const char *end;
	char *e;
	long long v;

	if (s == NULL)
		return (int64_t)time(NULL);
	v = strtoll(s, &e, 10);
	if (*s != '\0' && *e == '\0' && v >= 0)
		return (int64_t)v;
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	return (int64_t)timegm(&tm);
}

/* `ssogw --check-saml-response FILE --idp NAME`: the ACS's checks offline. */
static int
check_saml(const struct options *o)
{
	struct sg_errlist errs = { 0 };
	int64_t now = parse_now(o->now);
	struct sg_conf *c;
	int rc;

	if (o->idp == NULL || now < 0) {
		fprintf(stderr, "ssogw: --check-saml-response needs --idp NAME%s\n",
		        now < 0 ? " and a --now like 2026-01-31T12:00:00Z" : "");
		return 2;
	}
	c = sg_conf_load(o->conf_path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	sg_errlist_clear(&errs);
	if (c == NULL || sg_pipeline_saml_init(&errs) == -1) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		sg_errlist_clear(&errs);
		sg_conf_unref(c);
		return 1;
	}
	rc = sg_pipeline_check_saml_response(c, o->idp, o->app, o->check_saml, now, o->request_id,
	                                     stdout);
	sg_conf_unref(c);
	return rc == 0 ? 0 : 1;
}

/* Applies the log settings of c (and -d) to the logger. */
static int
apply_logging(const struct daemon *d, const struct sg_conf *c)
{
	sg_log_set_level(d->opt.debug ? SG_LOG_DEBUG : (enum sg_log_level)c->server.log_level);
	if (sg_log_set_file(c->server.log_file) == -1) {
		sg_log_error("cannot open log file %s: %s", c->server.log_file, strerror(errno));
		return -1;
	}
	if (sg_access_log_set(c->server.access_log) == -1) {
		sg_log_error("cannot open access log %s: %s", c->server.access_log,
		             strerror(errno));
		return -1;
	}
	/* Detached, the log goes to syslog whenever there is no log file. */
	if (d->detached)
		sg_log_set_syslog(c->server.log_file == NULL);
	return 0;
}

/* Switches to the configured user and group when started as root. */
static int
drop_privileges(const struct sg_conf *c)
{
	const struct sg_conf_server *srv = &c->server;
	struct passwd *pw;
	gid_t gid;

	if (geteuid() != 0) {
		if (srv->user != NULL)
			sg_log_info("not started as root: \"user = %s\" not applied", srv->user);
		return 0;
	}
	if (srv->user == NULL) {
		sg_log_warn("running as root: set \"user\" in [server] to drop privileges");
		return 0;
	}
	pw = getpwnam(srv->user);
	if (pw == NULL) {
		sg_log_error("no such user \"%s\"", srv->user);
		return -1;
	}
	gid = pw->pw_gid;
	if (srv->group != NULL) {
		struct group *gr = getgrnam(srv->group);

		if (gr == NULL) {
			sg_log_error("no such group \"%s\"", srv->group);
			return -1;
		}
		gid = gr->gr_gid;
	}
	if (initgroups(pw->pw_name, gid) == -1 || setgid(gid) == -1 || setuid(pw->pw_uid) == -1) {
		sg_log_error("cannot switch to user %s: %s", srv->user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		sg_log_error("privileges could be regained after switching to %s", srv->user);
		return -1;
	}
	sg_log_info("running as user %s", srv->user);
	return 0;
}

static int
write_pid_file(struct daemon *d)
{
	const char *path = d->conf->server.pid_file;
	FILE *f;

	if (path == NULL)
		return 0;
	f = fopen(path, "w");
	if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0) {
		sg_log_error("cannot write pid file %s: %s", path, strerror(errno));
		return -1;
	}
	d->pid_file_written = true;
	return 0;
}

/* Sends a notification that carries CLOCK_MONOTONIC, as RELOADING=1 wants. */
static void
notify_with_clock(const char *state)
{
	struct timespec ts;
	char msg[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "%s\nMONOTONIC_USEC=%llu", state,
	         (unsigned long long)ts.tv_sec * 1000000ULL +
	             (unsigned long long)ts.tv_nsec / 1000);
	sg_net_notify(msg);
}

/* SIGHUP: a new snapshot replaces the running one only if it is whole. */
static void
reload(struct daemon *d)
{
	struct sg_errlist errs = { 0 };
	struct sg_conf *next;

	notify_with_clock("RELOADING=1");
	sg_log_info("reloading configuration from %s", d->opt.conf_path);
	next = sg_conf_load(d->opt.conf_path, &errs);
	if (next != NULL && sg_net_reload(d->net, next, &errs) == -1) {
		sg_conf_unref(next);
		next = NULL;
	}
	for (size_t i = 0; i < errs.count; i++)
		sg_log_error("%s", errs.msg[i]);
	sg_errlist_clear(&errs);
	if (next == NULL) {
		sg_log_error("reload failed: keeping the running configuration");
	} else {
		if (!sg_net_listeners_match(d->net, next))
			sg_log_warn("listen addresses or workers changed: they take effect after a "
			            "restart");
		sg_pipeline_reload(d->conf, next);
		sg_conf_unref(d->conf);
		d->conf = next;
		if (apply_logging(d, next) == -1)
			sg_log_warn("keeping the previous log file");
		sg_log_info("configuration reloaded");
	}
	sg_net_notify("READY=1");
}

static bool
drain_expired(const struct daemon *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > d->drain_deadline.tv_sec ||
	       (now.tv_sec == d->drain_deadline.tv_sec && now.tv_nsec >= d->drain_deadline.tv_nsec);
}

/* Polls until in-flight work is done or drain_timeout has passed. */
static void
on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	size_t active = sg_net_active_connections(d->net);

	(void)fd;
	(void)what;
	if (active == 0) {
		event_base_loopexit(d->base, NULL);
	} else if (drain_expired(d)) {
		sg_log_warn("drain timeout: closing %zu connections", active);
		event_base_loopexit(d->base, NULL);
	}
}

/* SIGTERM/SIGINT: stop accepting and drain; a second signal exits now. */
static void
begin_shutdown(struct daemon *d, int sig)
{
	struct timeval tick = { 0, DRAIN_POLL_MS * 1000 };
	uint64_t ms = d->conf->server.drain_timeout_ms;

	if (d->stopping) {
		sg_log_warn("%s again: exiting without waiting", strsignal(sig));
		event_base_loopbreak(d->base);
		return;
	}
	d->stopping = true;
	sg_net_notify("STOPPING=1");
	sg_log_info("%s: no longer accepting; draining for up to %llums", strsignal(sig),
	            (unsigned long long)ms);
	sg_net_stop_accepting(d->net);
	clock_gettime(CLOCK_MONOTONIC, &d->drain_deadline);
	d->drain_deadline.tv_sec += (time_t)(ms / 1000);
	d->drain_deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (d->drain_deadline.tv_nsec >= 1000000000L) {
		d->drain_deadline.tv_sec++;
		d->drain_deadline.tv_nsec -= 1000000000L;
	}
	d->drain = event_new(d->base, -1, EV_PERSIST, on_drain_tick, d);
	event_add(d->drain, &tick);
	on_drain_tick(-1, 0, d);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		begin_shutdown(d, (int)sig);
		break;
	case SIGHUP:
		if (!d->stopping)
			reload(d);
		break;
	case SIGUSR1:
		if (d->conf->server.log_file != NULL && sg_log_reopen() == 0)
			sg_log_info("log file reopened");
		sg_access_log_reopen();
		break;
	}
}

static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sg_net_notify("WATCHDOG=1");
}

/* Rotates the TLS session ticket keys, and re-arms for the period of the
 * running configuration (a reload may have changed it). */
static void
on_ticket_timer(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	uint64_t ms = d->conf->server.tls_ticket_rotate_ms;
	struct timeval tv = sg_timeval_ms(ms);

	(void)fd;
	if (what != 0) {
		sg_net_rotate_ticket_keys();
		sg_log_debug("TLS session ticket keys rotated");
	}
	event_add(d->ticket_timer, &tv);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sg_pipeline_tick();
}

/* Creates the event loop and registers signals and the watchdog timer. */
static int
setup_loop(struct daemon *d)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	uint64_t wd = sg_net_watchdog_usec();

	d->base = event_base_new();
	if (d->base == NULL) {
		sg_log_error("cannot create the event loop");
		return -1;
	}
	for (size_t i = 0; i < SG_NELEM(sigs); i++) {
		d->signals[i] = evsignal_new(d->base, sigs[i], on_signal, d);
		if (d->signals[i] == NULL || evsignal_add(d->signals[i], NULL) == -1) {
			sg_log_error("cannot handle signal %d", sigs[i]);
			return -1;
		}
	}
	d->ticket_timer = evtimer_new(d->base, on_ticket_timer, d);
	on_ticket_timer(-1, 0, d);
	d->tick = event_new(d->base, -1, EV_PERSIST, on_tick, NULL);
	{
		struct timeval tv = { 1, 0 };

		event_add(d->tick, &tv);
	}
	if (wd > 0) {
		struct timeval half = { (time_t)(wd / 2 / 1000000),
			                (suseconds_t)(wd / 2 % 1000000) };

		d->watchdog = event_new(d->base, -1, EV_PERSIST, on_watchdog, NULL);
		event_add(d->watchdog, &half);
	}
	return 0;
}

/* Binds, detaches, drops privileges: everything between config and loop. */
static int
start(struct daemon *d)
{
	struct sg_errlist errs = { 0 };

	d->net = sg_net_new(d->conf, sg_pipeline_hooks(), &errs);
	for (size_t i = 0; i < errs.count; i++)
		sg_log_error("%s", errs.msg[i]);
	sg_errlist_clear(&errs);
	if (d->net == NULL)
		return -1;
	if (!d->opt.foreground) {
		if (daemon(0, 0) == -1) {
			sg_log_error("cannot detach: %s", strerror(errno));
			return -1;
		}
		d->detached = true;
		sg_log_set_stderr(false);
		sg_log_set_syslog(d->conf->server.log_file == NULL);
	}
	if (write_pid_file(d) == -1 || drop_privileges(d->conf) == -1)
		return -1;
	if (sg_pipeline_init(d->conf, &errs) == -1) {
		for (size_t i = 0; i < errs.count; i++)
			sg_log_error("%s", errs.msg[i]);
		sg_errlist_clear(&errs);
		return -1;
	}
	d->pipeline_ready = true;
	if (setup_loop(d) == -1 || sg_pipeline_start_fetches(d->base) == -1 ||
	    sg_net_start(d->net) == -1)
		return -1;
	return 0;
}

static void
teardown(struct daemon *d)
{
	if (d->pid_file_written && unlink(d->conf->server.pid_file) == -1)
		sg_log_debug("cannot remove pid file: %s", strerror(errno));
	sg_net_free(d->net);
	if (d->pipeline_ready)
		sg_pipeline_shutdown(d->conf);
	if (d->tick != NULL)
		event_free(d->tick);
	for (size_t i = 0; i < SG_NELEM(d->signals); i++)
		if (d->signals[i] != NULL)
			event_free(d->signals[i]);
	if (d->watchdog != NULL)
		event_free(d->watchdog);
	if (d->ticket_timer != NULL)
		event_free(d->ticket_timer);
	if (d->drain != NULL)
		event_free(d->drain);
	if (d->base != NULL)
		event_base_free(d->base);
	sg_conf_unref(d->conf);
}

int
main(int argc, char **argv)
{
	struct daemon d = { 0 };
	struct sg_errlist errs = { 0 };
	int rc = 1;

	sg_log_init("ssogw", SG_LOG_INFO);
#ifdef SG_TEST_BUILD
	sg_test_idp_register();
#endif
	parse_options(argc, argv, &d.opt);
	if (d.opt.test_only)
		return test_config(d.opt.conf_path);
	if (d.opt.sp_info != NULL)
		return sp_info(d.opt.conf_path, d.opt.sp_info);
	if (d.opt.check_saml != NULL)
		return check_saml(&d.opt);
	if (d.opt.debug)
		sg_log_set_level(SG_LOG_DEBUG);
	signal(SIGPIPE, SIG_IGN);
	/* Reloads must find the file after daemon(3) has moved us to "/". */
	d.opt.conf_path = absolute_conf_path(d.opt.conf_path);
	d.conf = sg_conf_load(d.opt.conf_path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		sg_log_error("%s", errs.msg[i]);
	sg_errlist_clear(&errs);
	if (d.conf == NULL) {
		sg_log_error("configuration %s has errors: not starting", d.opt.conf_path);
		return 1;
	}
	if (apply_logging(&d, d.conf) == 0 && start(&d) == 0) {
		sg_log_info("ssogw %s started (pid %ld)", PACKAGE_VERSION, (long)getpid());
		sg_net_notify("READY=1");
		if (event_base_dispatch(d.base) == 0 || d.stopping)
			rc = 0;
		sg_log_info("stopped");
	}
	teardown(&d);
	return rc;
}
