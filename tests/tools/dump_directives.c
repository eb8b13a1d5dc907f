/*
 * dump_directives.c - prints the directive table as "section.name" lines,
 * for tests/check-docs.sh to compare with ssogw.conf(5) and etc/ssogw.conf.
 */
#include "config.h"

#include <stdio.h>

#include "conf.h"

int
main(void)
{
	const char *section, *name;

	for (size_t i = 0; sg_conf_directive(i, &section, &name); i++)
		printf("%s.%s\n", section, name);
	return 0;
}
