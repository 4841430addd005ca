// SPDX-License-Identifier: GPL-2.0-only
/* Not built yet: says so and exits 2 (see cmd_not_implemented). */
#include "commands.h"

int cmd_restore(const struct lg_options *opts)
{
	return cmd_not_implemented(options_cmd_name(opts->cmd));
}
