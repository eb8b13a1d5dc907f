/*
 * cidr.c - address blocks ("10.0.0.0/8", "2001:db8::/32", a bare address
 * for one host) and matching an address against them.  An IPv4-mapped IPv6
 * address (::ffff:10.1.2.3) matches IPv4 blocks, as a dual-stack listener
 * reports IPv4 peers that way.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lib.h"

int
sg_cidr_parse(const char *s, struct sg_cidr *out, const char **why)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t bits;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(addr)) {
		*why = "expected an address or ADDRESS/BITS";
		return -1;
	}
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->v6 = false;
		out->bits = 32;
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->v6 = true;
		out->bits = 128;
	} else {
		*why = "not a numeric IPv4 or IPv6 address";
		return -1;
	}
	if (slash != NULL) {
		if (sg_parse_uint(slash + 1, 0, out->bits, &bits, why) == -1) {
			*why = out->v6 ? "prefix length must be 0 to 128"
			               : "prefix length must be 0 to 32";
			return -1;
		}
		out->bits = (unsigned)bits;
	}
	return 0;
}

/* True when the first bits bits of a and b agree. */
static bool
prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	return rest == 0 || ((a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

bool
sg_cidr_match(const struct sg_cidr *c, const char *addr)
{
	unsigned char a[16];

	if (inet_pton(AF_INET6, addr, a) == 1) {
		static const unsigned char mapped[12] = {
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
		};

		if (c->v6)
			return prefix_equal(a, c->addr, c->bits);
		return memcmp(a, mapped, 12) == 0 && prefix_equal(a + 12, c->addr, c->bits);
	}
	if (inet_pton(AF_INET, addr, a) == 1)
		return !c->v6 && prefix_equal(a, c->addr, c->bits);
	return false;
}
