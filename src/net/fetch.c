/*
 * fetch.c - outbound HTTP GET for documents the gateway keeps in the
 * background (an IdP's SAML metadata; later OIDC discovery and JWKS).
 * libcurl's multi interface is driven by a libevent loop, the pattern of
 * curl's hiper/ghiper examples: libcurl tells us which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION) and when to call it back (TIMERFUNCTION); we
 * watch them with events on that loop and hand readiness back with
 * curl_multi_socket_action.  Nothing blocks the loop, name resolution
 * included (libcurl's threaded resolver).
 *
 * Every request is an http:// or https:// GET (redirects too, at most
 * FETCH_MAX_REDIRS, never from https:// down to http://), with the peer's
 * certificate and name always checked (against ca_file or the system's
 * CAs), a deadline for the whole exchange, and a bound on the body: past
 * it the transfer is aborted.  Callbacks run on the loop's thread, never
 * inside sg_net_fetch_start.  sg_net_fetch_blocking does the same request
 * with curl_easy_perform for command-line tools that have no loop.
 *
 * What it does not do: POST, custom headers, cookies, caching
 * (If-Modified-Since), or retries; the caller decides when to ask again.
 */
#include "config.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

#define FETCH_MAX_REDIRS 3
#define FETCH_CONNECT_TIMEOUT_MS 10000
#define FETCH_USER_AGENT "ssogw/" PACKAGE_VERSION

struct sg_net_fetcher {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;       /* libcurl's timeout */
	struct sg_net_fetch *head; /* in flight */
};

/* One request in flight (or one blocking request). */
struct sg_net_fetch {
	struct sg_net_fetcher *owner; /* NULL for a blocking request */
	struct sg_net_fetch *prev, *next;
	CURL *easy;
	struct sg_buf body;
	size_t max_body;
	bool too_large;
	sg_net_fetch_cb cb;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
};

/* The events of one socket that libcurl asked us to watch. */
struct fetch_sock {
	struct event *ev;
};

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static CURLcode fetch_init_rc;

/* curl_global_init, once per process, before any handle exists. */
static void
fetch_global_init(void)
{
	fetch_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* CURLOPT_WRITEFUNCTION: keeps the body; aborts past max_body. */
static size_t
fetch_write(char *p, size_t size, size_t n, void *arg)
{
	struct sg_net_fetch *x = arg;
	size_t len = size * n;

	if (x->body.len + len > x->max_body) {
		x->too_large = true;
		return 0;
	}
	sg_buf_append(&x->body, p, len);
	return len;
}

/* A new request with every option set; NULL when libcurl cannot make one
 * (err says why). */
static struct sg_net_fetch *
fetch_new(const struct sg_net_fetch_req *r, char *err, size_t errlen)
{
	struct sg_net_fetch *x;
	bool https = strncmp(r->url, "https://", 8) == 0;
	CURL *e;

	pthread_once(&fetch_once, fetch_global_init);
	if (fetch_init_rc != CURLE_OK || (e = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "libcurl cannot be initialized");
		return NULL;
	}
	x = sg_xcalloc(1, sizeof(*x));
	x->easy = e;
	x->max_body = r->max_body;
	curl_easy_setopt(e, CURLOPT_URL, r->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS,
	                 (long)(https ? CURLPROTO_HTTPS : CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRS);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (r->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
	curl_easy_setopt(e, CURLOPT_USERAGENT, FETCH_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(r->timeout_ms < FETCH_CONNECT_TIMEOUT_MS
	                            ? r->timeout_ms
	                            : FETCH_CONNECT_TIMEOUT_MS));
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_body);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	return x;
}

static void
fetch_free(struct sg_net_fetch *x)
{
	curl_easy_cleanup(x->easy);
	sg_buf_free(&x->body);
	free(x);
}

/* The sentence for a finished transfer's result, or NULL when a response
 * arrived; in buf. */
static const char *
fetch_error(struct sg_net_fetch *x, CURLcode rc, char *buf, size_t n)
{
	if (rc == CURLE_OK)
		return NULL;
	if (x->too_large || rc == CURLE_FILESIZE_EXCEEDED)
		snprintf(buf, n, "the response is larger than %zu bytes", x->max_body);
	else
		snprintf(buf, n, "%s", x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(rc));
	return buf;
}

/* Unlinks x from its fetcher's list. */
static void
fetch_unlink(struct sg_net_fetch *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		x->owner->head = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
}

/* Reports every finished transfer to its caller. */
static void
fetch_check_done(struct sg_net_fetcher *f)
{
	struct sg_net_fetch *x;
	char buf[CURL_ERROR_SIZE + 64];
	const char *why;
	CURLMsg *m;
	long status;
	int left;

	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		status = 0;
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		why = fetch_error(x, m->data.result, buf, sizeof(buf));
		curl_multi_remove_handle(f->multi, x->easy);
		fetch_unlink(x);
		x->cb(x->arg, why, status, &x->body);
		fetch_free(x);
	}
}

/* Readiness of a socket libcurl watches. */
static void
fetch_on_socket(evutil_socket_t fd, short what, void *arg)
{
	struct sg_net_fetcher *f = arg;
	int action =
	    ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	int running;

	curl_multi_socket_action(f->multi, fd, action, &running);
	fetch_check_done(f);
}

/* libcurl's timeout has passed. */
static void
fetch_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sg_net_fetcher *f = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	fetch_check_done(f);
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what libcurl wants, or stop. */
static int
fetch_socket_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct sg_net_fetcher *f = userp;
	struct fetch_sock *fs = socketp;
	short kind = EV_PERSIST;

	(void)e;
	if (fs != NULL) {
		event_free(fs->ev);
		fs->ev = NULL;
	}
	if (what == CURL_POLL_REMOVE) {
		free(fs);
		curl_multi_assign(f->multi, s, NULL);
		return 0;
	}
	if (fs == NULL) {
		fs = sg_xcalloc(1, sizeof(*fs));
		curl_multi_assign(f->multi, s, fs);
	}
	kind |= ((what & CURL_POLL_IN) ? EV_READ : 0) | ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
	fs->ev = event_new(f->base, s, kind, fetch_on_socket, f);
	if (fs->ev == NULL || event_add(fs->ev, NULL) == -1)
		return -1;
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: call libcurl back in ms (-1: no timeout). */
static int
fetch_timer_cb(CURLM *m, long ms, void *userp)
{
	struct sg_net_fetcher *f = userp;
	struct timeval tv;

	(void)m;
	if (ms < 0) {
		evtimer_del(f->timer);
		return 0;
	}
	tv = sg_timeval_ms((uint64_t)ms);
	return evtimer_add(f->timer, &tv);
}

struct sg_net_fetcher *
sg_net_fetcher_new(struct event_base *base)
{
	struct sg_net_fetcher *f;

	pthread_once(&fetch_once, fetch_global_init);
	if (fetch_init_rc != CURLE_OK)
		return NULL;
	f = sg_xcalloc(1, sizeof(*f));
	f->base = base;
	f->multi = curl_multi_init();
	f->timer = evtimer_new(base, fetch_on_timer, f);
	if (f->multi == NULL || f->timer == NULL) {
		sg_net_fetcher_free(f);
		return NULL;
	}
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, fetch_socket_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, fetch_timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	return f;
}

void
sg_net_fetcher_free(struct sg_net_fetcher *f)
{
	if (f == NULL)
		return;
	while (f->head != NULL)
		sg_net_fetch_cancel(f->head);
	/* Closing the cached connections may still call the socket callback. */
	if (f->multi != NULL)
		curl_multi_cleanup(f->multi);
	if (f->timer != NULL)
		event_free(f->timer);
	free(f);
}

struct sg_net_fetch *
sg_net_fetch_start(struct sg_net_fetcher *f, const struct sg_net_fetch_req *r, sg_net_fetch_cb cb,
                   void *arg, char *err, size_t errlen)
{
	struct sg_net_fetch *x = fetch_new(r, err, errlen);

	if (x == NULL)
		return NULL;
	x->owner = f;
	x->cb = cb;
	x->arg = arg;
	if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK) {
		snprintf(err, errlen, "libcurl cannot start the request");
		fetch_free(x);
		return NULL;
	}
	x->next = f->head;
	if (f->head != NULL)
		f->head->prev = x;
	f->head = x;
	return x;
}

void
sg_net_fetch_cancel(struct sg_net_fetch *x)
{
	if (x == NULL)
		return;
	curl_multi_remove_handle(x->owner->multi, x->easy);
	fetch_unlink(x);
	fetch_free(x);
}

int
sg_net_fetch_blocking(const struct sg_net_fetch_req *r, long *status, struct sg_buf *body,
                      char *err, size_t errlen)
{
	struct sg_net_fetch *x = fetch_new(r, err, errlen);
	const char *why;
	CURLcode rc;

	*status = 0;
	if (x == NULL)
		return -1;
	rc = curl_easy_perform(x->easy);
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, status);
	why = fetch_error(x, rc, err, errlen);
	if (why == NULL && x->body.len > 0)
		sg_buf_append(body, x->body.data, x->body.len);
	fetch_free(x);
	return why == NULL ? 0 : -1;
}
