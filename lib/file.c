/*
 * file.c - reading small whole files (secrets, certificates, metadata).
 * Only regular files are read, and never more than the caller allows, so a
 * path pointing at /dev/zero or a huge file fails cleanly.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib.h"

char *
sg_read_file(const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t have = 0;
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if ((uint64_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	buf = sg_xmalloc(max + 1);
	while (have < max && (n = read(fd, buf + have, max - have)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		have += (size_t)n;
	}
	buf[have] = '\0';
	close(fd);
	if (len != NULL)
		*len = have;
	return buf;
fail:
	saved = errno;
	if (buf != NULL) {
		sg_wipe(buf, have);
		free(buf);
	}
	close(fd);
	errno = saved;
	return NULL;
}
