// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "commands.h"

int cmd_not_implemented(const char *what)
{
	fprintf(stderr, "latgov: '%s' is not yet implemented in this build\n", what);
	return 2;
}
