/*
 * random.c - random bytes from the kernel (getrandom(2)), for request ids
 * and later session ids.  There is no fallback: without the kernel's
 * generator nothing we make would be unpredictable, so that is fatal.
 */
#include "config.h"

#include <errno.h>
#include <sys/random.h>

#include "lib.h"

void
sg_random_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			sg_fatal("no random bytes from the kernel");
		p += got;
		n -= (size_t)got;
	}
}
