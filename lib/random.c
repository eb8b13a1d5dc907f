/*
 * random.c - random bytes from the kernel (getrandom(2)) for anything that
 * must stay secret (session ids, keys), and a fast per-thread generator
 * seeded from it for request ids.  There is no fallback: without the
 * kernel's generator nothing we make would be unpredictable, so that is
 * fatal.
 */
#include "config.h"

#include <errno.h>
#include <sys/random.h>

#include "lib.h"

/* splitmix64 (Steele, Lea, Flood 2014) over a per-thread state that starts
 * from getrandom: one syscall per thread instead of one per call. */
uint64_t
sg_random_u64(void)
{
	static _Thread_local uint64_t state;
	static _Thread_local bool seeded;
	uint64_t z;

	if (!seeded) {
		sg_random_bytes(&state, sizeof(state));
		seeded = true;
	}
	z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

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
