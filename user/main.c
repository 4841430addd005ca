// SPDX-License-Identifier: GPL-2.0-only
/* latgov: dispatch to a subcommand. Each command lives in user/cmd_<name>.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bpf_log.h"
#include "commands.h"
#include "core/options.h"

#ifndef LATGOV_VERSION
#define LATGOV_VERSION "0.1.0"
#endif

/*
 * The exit status of a command's result; no command decides its own.
 *
 *   0                         0  done
 *   -EINVAL, -ENOENT, -ESRCH  2  bad usage or input: an option, or the PID, port, cgroup,
 *                                policy, file or command it names, is malformed or absent
 *   any other -errno          1  latgov cannot do it here: not root (-EPERM), a required
 *                                feature missing (-EOPNOTSUPP), a cgroup held by another
 *                                latgov (-EBUSY) or left by a dead one (-EEXIST), a limit
 *                                not set or not restored, an output not written (-EIO),
 *                                out of memory (-ENOMEM)
 *
 * A command returns the errno of what the user has to act on, which is not always the errno
 * of the call that failed: a cgroup write the kernel refuses with EINVAL is still the
 * machine's failure (-EIO), a cgroup path off the cgroup file system (EPERM) still bad
 * input (-EINVAL).
 */
static int exit_status(int err)
{
	switch (err) {
	case 0:
		return 0;
	case -EINVAL:
	case -ENOENT:
	case -ESRCH:
		return 2;
	default:
		return 1;
	}
}

/* help [COMMAND]: the usage of COMMAND, or of latgov for any other word or none. */
static int run_help(const struct lg_options *opts)
{
	fputs(options_usage(opts->topic ? options_cmd(opts->topic) : LG_CMD_NONE), stdout);
	return 0;
}

static int run_version(const struct lg_options *opts)
{
	(void)opts;
	printf("latgov %s\n", LATGOV_VERSION);
	return 0;
}

/*
 * What runs each command. The rest of a command's row (its name, aliases,
 * usage text and the options it takes) is in core/options.c, where the
 * parser and its unit tests read it; a new command adds a row there, its
 * function here.
 */
static int (*const run[])(const struct lg_options *opts) = {
	[LG_CMD_CHECK] = cmd_check,
	[LG_CMD_TRACE] = cmd_session,
	[LG_CMD_FLAME] = cmd_session,
	[LG_CMD_GOVERN] = cmd_session,
	[LG_CMD_ENFORCE] = cmd_enforce,
	[LG_CMD_RESTORE] = cmd_restore,
	[LG_CMD_HELP] = run_help,
	[LG_CMD_VERSION] = run_version,
};

int main(int argc, char **argv)
{
	struct lg_options opts;
	enum lg_cmd cmd;
	char err[256];
	int ret;

	bpf_log_init();
	if (argc < 2) {
		fputs(options_usage(LG_CMD_NONE), stderr);
		return exit_status(-EINVAL);
	}
	cmd = options_cmd(argv[1]);
	if (cmd == LG_CMD_NONE || (size_t)cmd >= sizeof(run) / sizeof(run[0]) || !run[cmd]) {
		fprintf(stderr, "latgov: unknown command '%s' (see 'latgov --help')\n", argv[1]);
		return exit_status(-EINVAL);
	}
	ret = options_parse(cmd, argc - 1, argv + 1, &opts, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "latgov %s: %s\n", options_cmd_name(cmd), err);
		return exit_status(ret);
	}
	if (opts.help) {
		fputs(options_usage(cmd), stdout);
		return 0;
	}
	return exit_status(run[cmd](&opts));
}
