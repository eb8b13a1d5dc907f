/*
 * fuzz_conf.c - libFuzzer target for the configuration parser: any bytes
 * must give either a snapshot or a list of errors, never a crash, a leak
 * or undefined behaviour.
 */
#include "config.h"

#include <dlfcn.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The checks resolve each backend's host name.  Fuzzed names must not
 * turn into DNS queries (slow, and traffic off this machine): this
 * binary's getaddrinfo, found before libc's, resolves numeric addresses
 * only and calls every name unknown.
 */
int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
            struct addrinfo **res)
{
	int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **) =
	    (int (*)(const char *, const char *, const struct addrinfo *, struct addrinfo **))dlsym(
	        RTLD_NEXT, "getaddrinfo");
	struct addrinfo h = hints ? *hints : (struct addrinfo){ 0 };

	h.ai_flags |= AI_NUMERICHOST;
	return real(node, service, &h, res);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sg_errlist errs = { 0 };
	struct sg_conf *c;
	char *text;

	if (size > SG_CONF_FILE_MAX)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	c = sg_conf_load_string(text, "fuzz.conf", "/nonexistent", &errs);
	if ((c == NULL) == (errs.count == 0))
		abort(); /* a snapshot comes exactly when there are no errors */
	sg_conf_unref(c);
	sg_errlist_clear(&errs);
	free(text);
	return 0;
}
