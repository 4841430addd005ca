// SPDX-License-Identifier: GPL-2.0-only
/* latgov: dispatch to a subcommand. Each command lives in user/cmd_<name>.c. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "core/options.h"

#ifndef LATGOV_VERSION
#define LATGOV_VERSION "0.1.0"
#endif

int main(int argc, char **argv)
{
	struct lg_options opts;
	enum lg_cmd cmd;
	char err[256];

	if (argc < 2) {
		fputs(options_usage(LG_CMD_NONE), stderr);
		return 2;
	}
	cmd = options_cmd(argv[1]);
	switch (cmd) {
	case LG_CMD_NONE:
		fprintf(stderr, "latgov: unknown command '%s' (see 'latgov --help')\n", argv[1]);
		return 2;
	case LG_CMD_HELP:
		if (argc > 2 && options_cmd(argv[2]) != LG_CMD_NONE)
			fputs(options_usage(options_cmd(argv[2])), stdout);
		else
			fputs(options_usage(LG_CMD_NONE), stdout);
		return 0;
	case LG_CMD_VERSION:
		printf("latgov %s\n", LATGOV_VERSION);
		return 0;
	default:
		break;
	}

	if (options_parse(cmd, argc - 1, argv + 1, &opts, err, sizeof(err))) {
		fprintf(stderr, "latgov %s: %s\n", options_cmd_name(cmd), err);
		return 2;
	}
	if (opts.help) {
		fputs(options_usage(cmd), stdout);
		return 0;
	}

	switch (cmd) {
	case LG_CMD_CHECK:
		return cmd_check(&opts);
	case LG_CMD_TRACE:
	case LG_CMD_FLAME:
	case LG_CMD_GOVERN:
		return cmd_session(&opts);
	case LG_CMD_ENFORCE:
		return cmd_enforce(&opts);
	case LG_CMD_RESTORE:
		return cmd_restore(&opts);
	default:
		return 2;
	}
}
