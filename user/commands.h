/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The subcommands. Each returns the process exit status:
 * 0 success, 1 a required feature or check failed, 2 bad usage or input.
 */
#ifndef LATGOV_COMMANDS_H
#define LATGOV_COMMANDS_H

#include "core/options.h"

int cmd_check(const struct lg_options *opts);
/* trace, flame and govern: one session (DESIGN.md). */
int cmd_session(const struct lg_options *opts);
int cmd_enforce(const struct lg_options *opts);
int cmd_restore(const struct lg_options *opts);

#endif
