// SPDX-License-Identifier: GPL-2.0-only
/*
 * Commands not built yet. Each says so plainly and exits 2; none pretends to
 * work. A command moves out of this file when its issue lands.
 */
#include <stdio.h>

#include "commands.h"

int cmd_not_implemented(const char *what)
{
	fprintf(stderr, "latgov: '%s' is not yet implemented in this build\n", what);
	return 2;
}

int cmd_session(const struct lg_options *opts)
{
	return cmd_not_implemented(options_cmd_name(opts->cmd));
}

int cmd_enforce(const struct lg_options *opts)
{
	(void)opts;
	return cmd_not_implemented("enforce");
}

int cmd_restore(const struct lg_options *opts)
{
	(void)opts;
	return cmd_not_implemented("restore");
}

int cmd_check(const struct lg_options *opts)
{
	(void)opts;
	return cmd_not_implemented("check");
}
