/*
 * fuzz_conf.c - libFuzzer target for the configuration parser: any bytes
 * must give either a snapshot or a list of errors, never a crash, a leak
 * or undefined behaviour.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
