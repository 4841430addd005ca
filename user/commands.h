/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The subcommands. Each prints what went wrong once, where it knows the
 * context, and returns 0 or a negative errno; main() alone turns that into
 * the exit status (exit_status() in main.c: 0 success, 1 a required feature
 * or step failed, 2 bad usage or input).
 */
#ifndef LATGOV_COMMANDS_H
#define LATGOV_COMMANDS_H

#include "core/options.h"

/* -EOPNOTSUPP when a required feature is missing (the report says which). */
int cmd_check(const struct lg_options *opts);
/* trace, flame and govern: one session, with their parts (session.h). -EPERM when not root. */
int cmd_session(const struct lg_options *opts);
/* -EBUSY / -EEXIST when another latgov holds the cgroup or left limits on it. */
int cmd_enforce(const struct lg_options *opts);
/* -EIO when something recorded could not be restored. */
int cmd_restore(const struct lg_options *opts);

#endif
