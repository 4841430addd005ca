/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Command-line options of every subcommand, parsed into one struct. Pure:
 * it reads argv and writes the struct or an error message, nothing else.
 *
 * options.c holds the one table of subcommands (name, usage text, the
 * options each takes); main.c adds the function that runs each.
 *
 * trace, flame and govern are one session underneath: they accept the same
 * options, and each only changes the defaults (flame turns on stacks, govern
 * requires a policy).
 */
#ifndef LATGOV_OPTIONS_H
#define LATGOV_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

enum lg_cmd {
	LG_CMD_NONE = 0,
	LG_CMD_CHECK,
	LG_CMD_TRACE,
	LG_CMD_FLAME,
	LG_CMD_GOVERN,
	LG_CMD_ENFORCE,
	LG_CMD_RESTORE,
	LG_CMD_HELP,
	LG_CMD_VERSION,
};

enum lg_target_kind {
	LG_TARGET_NONE = 0,
	LG_TARGET_PIDS,		/* -p PID[,PID...] */
	LG_TARGET_PORT,		/* --port [ADDR:]PORT */
	LG_TARGET_CGROUP,	/* --cgroup PATH */
	LG_TARGET_COMMAND,	/* -- COMMAND [ARG...] */
};

#define LG_MAX_PIDS 64

struct lg_options {
	enum lg_cmd cmd;
	int help;			/* --help given: print the command's usage */
	const char *topic;		/* help: the word after it (NULL for none) */

	/* target */
	enum lg_target_kind target;
	uint32_t pids[LG_MAX_PIDS];
	size_t npids;
	uint16_t port;
	int port_family;		/* --port ADDR:PORT: AF_INET or AF_INET6; 0: any address */
	uint8_t port_addr[16];		/* ADDR in network order (the first 4 bytes for AF_INET) */
	const char *cgroup;		/* also enforce/restore --cgroup */
	int all_processes;		/* --all-processes: --cgroup may name a hierarchy's root */
	char **command;			/* NULL-terminated, points into argv */

	/* session */
	uint64_t duration_ns;		/* -d; 0 = until Ctrl-C */
	uint64_t interval_ns;		/* -i; default 1 s */
	int interval_set;		/* -i was given (govern otherwise follows the policy's interval) */
	const char *summary_path;	/* --summary */
	const char *json_path;		/* --json */
	const char *metrics_addr;	/* --metrics HOST:PORT */
	const char *flame_dir;		/* --flame DIR, or flame -o DIR */
	uint32_t hz;			/* --hz, default 99 */
	int off_cpu;			/* --off-cpu */
	int requests_only;		/* --requests-only */
	const char *policy_path;	/* --policy */
	int dry_run;			/* --dry-run */
	const char *log_path;		/* --log */
	uint32_t max_conns;		/* --max-conns; 0 = LG_CONNS_DEFAULT */
	int sched;			/* --sched 1, --no-sched -1, else 0: on with a profiler or a policy */

	/* enforce */
	uint64_t cpu_millicores;	/* --cpu; 0 = leave alone */
	uint64_t memory_bytes;		/* --memory; 0 = leave alone */
	uint32_t cpu_weight;		/* --cpu-weight 1..10000 (v1: shares scaled); 0 = leave alone */

	/* restore */
	int all;			/* --all */

	/* check */
	int json;			/* --json */
};

/* 1 if the session splits each request's time by scheduler state (--sched, and by default with --flame or a policy). */
int options_sched(const struct lg_options *o);

/* The subcommand named s (or one of its aliases, e.g. --help), or LG_CMD_NONE. */
enum lg_cmd options_cmd(const char *s);
/* The subcommand's name, or "latgov" for LG_CMD_NONE. */
const char *options_cmd_name(enum lg_cmd cmd);

/*
 * Parses argv (argv[0] is the subcommand's name). Returns 0 and fills *o, or
 * -EINVAL with a one-line message naming the bad option in err. help and
 * version take no options: help keeps its first word in o->topic, and both
 * ignore the rest.
 */
int options_parse(enum lg_cmd cmd, int argc, char **argv, struct lg_options *o,
		  char *err, size_t errlen);

/* Usage text of a subcommand, or of latgov as a whole for LG_CMD_NONE. */
const char *options_usage(enum lg_cmd cmd);

#endif
