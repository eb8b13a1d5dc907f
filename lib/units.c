/*
 * units.c - the value syntaxes every directive shares, so that "64k" or
 * "30s" mean the same thing wherever they appear.  Sizes are powers of 1024;
 * durations are a sum of number+unit terms ("1h30m"), a bare number meaning
 * seconds.  Overflow is an error, never a wrap.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "lib.h"

/* Reads the decimal digits at *sp into *out; -1 on none or on overflow. */
static int
read_number(const char **sp, uint64_t *out, const char **why)
{
	const char *s = *sp;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*s)) {
		*why = "expected a number";
		return -1;
	}
	for (; isdigit((unsigned char)*s); s++) {
		uint64_t digit = (uint64_t)(*s - '0');

		if (v > (UINT64_MAX - digit) / 10) {
			*why = "number too large";
			return -1;
		}
		v = v * 10 + digit;
	}
	*sp = s;
	*out = v;
	return 0;
}

static int
mul_checked(uint64_t a, uint64_t b, uint64_t *out, const char **why)
{
	if (b != 0 && a > UINT64_MAX / b) {
		*why = "number too large";
		return -1;
	}
	*out = a * b;
	return 0;
}

int
sg_parse_size(const char *s, uint64_t *out, const char **why)
{
	uint64_t v, mult = 1;

	if (read_number(&s, &v, why) == -1)
		return -1;
	switch (tolower((unsigned char)*s)) {
	case '\0':
		break;
	case 'k':
		mult = 1024;
		break;
	case 'm':
		mult = 1024 * 1024;
		break;
	case 'g':
		mult = 1024 * 1024 * 1024;
		break;
	default:
		*why = "expected a size such as 512, 64k, 1m or 2g";
		return -1;
	}
	if (*s != '\0' && s[1] != '\0') {
		*why = "expected a size such as 512, 64k, 1m or 2g";
		return -1;
	}
	return mul_checked(v, mult, out, why);
}

/* Milliseconds per unit at *sp, advancing past it; 0 for an unknown unit. */
static uint64_t
duration_unit(const char **sp)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 }
	};

	for (size_t i = 0; i < SG_NELEM(units); i++) {
		size_t n = strlen(units[i].name);

		if (strncasecmp(*sp, units[i].name, n) == 0 && !isalpha((unsigned char)(*sp)[n])) {
			*sp += n;
			return units[i].ms;
		}
	}
	return 0;
}

int
sg_parse_duration_ms(const char *s, uint64_t *out, const char **why)
{
	uint64_t total = 0, v, unit, term;
	bool first = true;

	if (*s == '\0') {
		*why = "expected a duration such as 30s, 5m or 8h";
		return -1;
	}
	while (*s != '\0') {
		if (read_number(&s, &v, why) == -1)
			return -1;
		/* A bare number means seconds, but only as the whole value. */
		unit = *s == '\0' && first ? 1000 : duration_unit(&s);
		first = false;
		if (unit == 0) {
			*why = "expected a duration such as 30s, 5m or 8h (units ms, s, m, h, d)";
			return -1;
		}
		if (mul_checked(v, unit, &term, why) == -1)
			return -1;
		if (total > UINT64_MAX - term) {
			*why = "number too large";
			return -1;
		}
		total += term;
	}
	*out = total;
	return 0;
}

struct timeval
sg_timeval_ms(uint64_t ms)
{
	struct timeval tv = { (time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

int
sg_parse_bool(const char *s, bool *out, const char **why)
{
	static const char *const yes[] = { "yes", "on", "true", "1" };
	static const char *const no[] = { "no", "off", "false", "0" };

	for (size_t i = 0; i < SG_NELEM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	*why = "expected yes or no";
	return -1;
}

int
sg_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char **why)
{
	uint64_t v;

	if (read_number(&s, &v, why) == -1)
		return -1;
	if (*s != '\0') {
		*why = "expected a whole number";
		return -1;
	}
	if (v < min || v > max) {
		*why = "number out of range";
		return -1;
	}
	*out = v;
	return 0;
}
