/*
 * log.c - the process logger.  Targets:
 *   stderr  in the foreground; when journald reads it (JOURNAL_STREAM names
 *           our stderr) each line starts with a "<N>" syslog priority and
 *           carries no timestamp of its own, otherwise a plain timestamped line;
 *   syslog  when running detached without a log file;
 *   file    optional, appended to, reopened on SIGUSR1 for log rotation.
 * Each line is formatted once and written with one write(2) per target, so
 * lines from several threads never interleave.  Control characters in a
 * message are escaped: logged values may come from the network, and a
 * newline must not forge a second log line.  Callers never pass secrets.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

#define LOG_LINE_MAX 4096

static struct {
	const char *ident;
	enum sg_log_level level;
	bool to_stderr;
	bool to_syslog;
	bool journal;
	int file_fd;
	char *file_path;
} logger = { "ssogw", SG_LOG_INFO, true, false, false, -1, NULL };

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int level_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/* True when JOURNAL_STREAM names the device and inode of our stderr. */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
sg_log_init(const char *ident, enum sg_log_level level)
{
	logger.ident = ident;
	logger.level = level;
	logger.to_stderr = true;
	logger.journal = stderr_is_journal();
}

void
sg_log_set_level(enum sg_log_level level)
{
	logger.level = level;
}

enum sg_log_level
sg_log_get_level(void)
{
	return logger.level;
}

void
sg_log_set_stderr(bool on)
{
	logger.to_stderr = on;
}

void
sg_log_set_syslog(bool on)
{
	if (on && !logger.to_syslog)
		openlog(logger.ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	else if (!on && logger.to_syslog)
		closelog();
	logger.to_syslog = on;
}

int
sg_log_set_file(const char *path)
{
	int fd;

	if (path == NULL) {
		if (logger.file_fd != -1)
			close(logger.file_fd);
		logger.file_fd = -1;
		free(logger.file_path);
		logger.file_path = NULL;
		return 0;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd == -1)
		return -1;
	if (logger.file_fd != -1) {
		/* dup2 swaps the target in one step; no thread sees it closed. */
		dup2(fd, logger.file_fd);
		close(fd);
	} else {
		logger.file_fd = fd;
	}
	if (logger.file_path == NULL || strcmp(logger.file_path, path) != 0) {
		free(logger.file_path);
		logger.file_path = sg_xstrdup(path);
	}
	return 0;
}

int
sg_log_reopen(void)
{
	char *path;
	int rc;

	if (logger.file_path == NULL)
		return 0;
	path = sg_xstrdup(logger.file_path);
	rc = sg_log_set_file(path);
	if (rc == -1)
		sg_log_error("cannot reopen log file %s: %s", path, strerror(errno));
	free(path);
	return rc;
}

int
sg_log_level_parse(const char *s)
{
	for (size_t i = 0; i < SG_NELEM(level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
sg_log_level_name(enum sg_log_level level)
{
	return level_names[level];
}

/* Copies msg into out, escaping control bytes as \xNN. */
static void
escape_message(char *out, size_t outsz, const char *msg)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)msg; *p && o + 5 < outsz; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = '\0';
}

static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Formats "2026-12-02T03:25:47Z" (UTC) into ts. */
static void
format_time(char *ts, size_t tssz)
{
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, tssz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
sg_vlog(enum sg_log_level level, const char *fmt, va_list ap)
{
	char raw[LOG_LINE_MAX], msg[LOG_LINE_MAX], line[LOG_LINE_MAX + 128], ts[32];
	int n;

	if (level > logger.level)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	escape_message(msg, sizeof(msg), raw);
	format_time(ts, sizeof(ts));
	if (logger.to_stderr) {
		if (logger.journal)
			n = snprintf(line, sizeof(line), "<%d>%s: %s\n", level_prio[level],
			             level_names[level], msg);
		else
			n = snprintf(line, sizeof(line), "%s %s[%ld]: %s: %s\n", ts, logger.ident,
			             (long)getpid(), level_names[level], msg);
		write_all(STDERR_FILENO, line,
		          (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	if (logger.file_fd != -1) {
		n = snprintf(line, sizeof(line), "%s %s[%ld]: %s: %s\n", ts, logger.ident,
		             (long)getpid(), level_names[level], msg);
		write_all(logger.file_fd, line,
		          (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
	}
	if (logger.to_syslog)
		syslog(level_prio[level], "%s: %s", level_names[level], msg);
}

void
sg_log(enum sg_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sg_vlog(level, fmt, ap);
	va_end(ap);
}

/*
 * The access log.  Workers write to it concurrently, one write(2) per line
 * on an O_APPEND descriptor.  Its descriptor is never closed while the
 * process runs: switching files dup2()s the new one over it, and switching
 * it off only stops the writing, so no worker ever writes to a descriptor
 * number that was closed and reused.
 */
static struct {
	atomic_int fd;
	atomic_bool on;
	char *path; /* NULL for stderr */
} access_log = { -1, false, NULL };

/* Points the access log descriptor at fd (consumed). */
static void
access_log_point(int fd)
{
	int old = atomic_load(&access_log.fd);

	if (old == -1) {
		atomic_store(&access_log.fd, fd);
	} else {
		dup2(fd, old);
		close(fd);
	}
}

int
sg_access_log_set(const char *dest)
{
	int fd;

	if (dest == NULL) {
		atomic_store(&access_log.on, false);
		return 0;
	}
	if (strcmp(dest, "stderr") == 0)
		fd = dup(STDERR_FILENO);
	else
		fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd == -1)
		return -1;
	access_log_point(fd);
	free(access_log.path);
	access_log.path = strcmp(dest, "stderr") == 0 ? NULL : sg_xstrdup(dest);
	atomic_store(&access_log.on, true);
	return 0;
}

int
sg_access_log_reopen(void)
{
	int fd;

	if (!atomic_load(&access_log.on) || access_log.path == NULL)
		return 0;
	fd = open(access_log.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd == -1) {
		sg_log_error("cannot reopen access log %s: %s", access_log.path, strerror(errno));
		return -1;
	}
	access_log_point(fd);
	return 0;
}

bool
sg_access_log_enabled(void)
{
	return atomic_load(&access_log.on);
}

void
sg_access_log_write(const char *line, size_t len)
{
	if (atomic_load(&access_log.on))
		write_all(atomic_load(&access_log.fd), line, len);
}

void
sg_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sg_vlog(SG_LOG_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
