// SPDX-License-Identifier: GPL-2.0-only
#include "core/options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/parse.h"
#include "latgov/abi.h"

#define TARGET_USAGE \
	"TARGET is one of:\n" \
	"  -p, --pid PID[,PID...]   processes, their threads and children forked later\n" \
	"      --port [ADDR:]PORT   every process listening on TCP PORT (on ADDR only, if given:\n" \
	"                           127.0.0.1:8080, [::1]:8080)\n" \
	"      --cgroup PATH        every process in a cgroup (v1 or v2 path)\n" \
	"      --all-processes      let --cgroup name the root of a hierarchy (the whole host's\n" \
	"                           processes, not one service's)\n" \
	"  -- COMMAND [ARG...]      start COMMAND in a new cgroup, trace it, stop it at the end\n"

#define SESSION_USAGE \
	"  -d, --duration SEC       stop after SEC (e.g. 30, 1.5m); default: until Ctrl-C\n" \
	"  -i, --interval SEC       window length (default 1s; with --policy, the policy's interval)\n" \
	"      --summary FILE       final summary as JSON\n" \
	"      --json FILE          one JSON line per window\n" \
	"      --metrics HOST:PORT  serve Prometheus /metrics (loopback only by default)\n" \
	"      --flame DIR          also write latency flame outputs to DIR\n" \
	"      --hz N               on-CPU sampling rate (default 99)\n" \
	"      --off-cpu            also record off-CPU stacks\n" \
	"      --requests-only      keep only stacks of threads serving a request\n" \
	"      --policy FILE        govern cgroup limits with this policy\n" \
	"      --dry-run            with --policy: say what would be written, write nothing\n" \
	"      --log FILE           governor audit log (JSONL)\n" \
	"      --sched              split each request's time into on-CPU, run queue, blocked\n" \
	"                           and throttled (on by default with --flame or --policy;\n" \
	"                           it hooks every context switch)\n" \
	"      --no-sched           do not\n" \
	"      --max-conns N        connections tracked at once besides 1024 slots (default 16384)\n" \
	"  -h, --help               this text\n"

static const char usage_latgov[] =
	"usage: latgov COMMAND [OPTIONS]\n"
	"\n"
	"Measure, explain and govern the latency of a request/response TCP service from the kernel.\n"
	"\n"
	"commands:\n"
	"  check     probe this machine: can latgov run here, and what to fix if not\n"
	"  trace     per-request latency and throughput per endpoint\n"
	"  flame     latency flame summaries: where request wall time goes, and in which stacks\n"
	"  govern    adjust cgroup CPU/memory limits against a latency SLO from a policy\n"
	"  enforce   hold fixed cgroup limits for a load test, restore them at the end\n"
	"  restore   undo limits left by a latgov that died\n"
	"\n"
	"'latgov COMMAND --help' describes each command.\n";

static const char usage_check[] =
	"usage: latgov check [--json]\n"
	"\n"
	"Loads real probe programs and reports, per feature latgov uses, ok, degraded or missing\n"
	"with a one-line remedy. Exits 1 if something required is missing.\n"
	"\n"
	"      --json               the report as JSON\n"
	"  -h, --help               this text\n";

static const char usage_trace[] =
	"usage: latgov trace TARGET [OPTIONS]\n"
	"\n"
	"Per-request latency, TTFB and throughput per endpoint, from socket tracepoints.\n"
	"\n" TARGET_USAGE "\noptions:\n" SESSION_USAGE;

static const char usage_flame[] =
	"usage: latgov flame TARGET -o DIR [OPTIONS]\n"
	"\n"
	"Writes oncpu.folded, offcpu.folded, latency.folded, flame.svg, profile.pb.gz and\n"
	"summary.txt to DIR: where request wall time goes (on-CPU, run queue, blocked,\n"
	"throttled) and in which stacks.\n"
	"\n" TARGET_USAGE "\noptions:\n"
	"  -o, --output DIR         output folder (required)\n" SESSION_USAGE;

static const char usage_govern[] =
	"usage: latgov govern TARGET --policy FILE [OPTIONS]\n"
	"\n"
	"Traces TARGET and adjusts its cgroup's CPU and memory limits to hold the policy's SLO.\n"
	"Every limit it changes is restored on exit, Ctrl-C, or by 'latgov restore' after a crash.\n"
	"\n" TARGET_USAGE "\noptions:\n" SESSION_USAGE;

static const char usage_enforce[] =
	"usage: latgov enforce --cgroup PATH [--cpu CORES] [--memory SIZE] [--cpu-weight W] [-d SEC] [-i SEC] [--log FILE]\n"
	"\n"
	"Holds fixed limits on a cgroup for the length of a load test, reports throttling and\n"
	"memory events per window, and restores the original values at the end.\n"
	"\n"
	"      --cgroup PATH        the cgroup (v1 or v2 path)\n"
	"      --cpu CORES          CPU limit: 1.5, 500m\n"
	"      --memory SIZE        memory limit: 512M, 2G, 1.5Gi\n"
	"      --cpu-weight W       CPU weight 1..10000 under contention (100 = default;\n"
	"                           cgroup v1: cpu.shares = W x 1024 / 100)\n"
	"  -d, --duration SEC       how long to hold them (default: until Ctrl-C)\n"
	"  -i, --interval SEC       report window (default 1s)\n"
	"      --log FILE           per-window report as JSONL\n"
	"      --dry-run            say what would be written, write nothing\n"
	"  -h, --help               this text\n";

static const char usage_restore[] =
	"usage: latgov restore [--cgroup PATH | --all]\n"
	"\n"
	"Restores the limits recorded in /run/latgov by a latgov that did not exit cleanly.\n"
	"\n"
	"      --cgroup PATH        restore this cgroup only\n"
	"      --all                restore every cgroup recorded\n"
	"  -h, --help               this text\n";

/* Every option, by what it sets; a command's row lists the ones it takes as a set of bits. */
enum opt {
	OPT_PID, OPT_PORT, OPT_CGROUP, OPT_DURATION, OPT_INTERVAL, OPT_SUMMARY, OPT_JSON,
	OPT_METRICS, OPT_FLAME, OPT_OUTPUT, OPT_HZ, OPT_OFF_CPU, OPT_REQUESTS_ONLY, OPT_POLICY,
	OPT_DRY_RUN, OPT_LOG, OPT_CPU, OPT_MEMORY, OPT_CPU_WEIGHT, OPT_ALL, OPT_MAX_CONNS,
	OPT_SCHED, OPT_NO_SCHED, OPT_ALL_PROCESSES, OPT_HELP,
	OPT__COUNT,
};

#define OPT_BIT(o) (1u << (o))
_Static_assert(OPT__COUNT <= 32, "a command's options are the bits of an unsigned int");

/* getopt_long's value for a long option: above every letter, so the two never meet. */
#define OPT_LONG 256

static const struct {
	const char *name;
	int has_arg;
	char letter;		/* its short form, 0 for none */
} opt_specs[OPT__COUNT] = {
	[OPT_PID] = { "pid", required_argument, 'p' },
	[OPT_PORT] = { "port", required_argument },
	[OPT_CGROUP] = { "cgroup", required_argument },
	[OPT_DURATION] = { "duration", required_argument, 'd' },
	[OPT_INTERVAL] = { "interval", required_argument, 'i' },
	[OPT_SUMMARY] = { "summary", required_argument },
	[OPT_JSON] = { "json", required_argument },	/* a switch where CMD_JSON_SWITCH */
	[OPT_METRICS] = { "metrics", required_argument },
	[OPT_FLAME] = { "flame", required_argument },
	[OPT_OUTPUT] = { "output", required_argument, 'o' },
	[OPT_HZ] = { "hz", required_argument },
	[OPT_OFF_CPU] = { "off-cpu", no_argument },
	[OPT_REQUESTS_ONLY] = { "requests-only", no_argument },
	[OPT_POLICY] = { "policy", required_argument },
	[OPT_DRY_RUN] = { "dry-run", no_argument },
	[OPT_LOG] = { "log", required_argument },
	[OPT_CPU] = { "cpu", required_argument },
	[OPT_MEMORY] = { "memory", required_argument },
	[OPT_CPU_WEIGHT] = { "cpu-weight", required_argument },
	[OPT_ALL] = { "all", no_argument },
	[OPT_MAX_CONNS] = { "max-conns", required_argument },
	[OPT_SCHED] = { "sched", no_argument },
	[OPT_NO_SCHED] = { "no-sched", no_argument },
	[OPT_ALL_PROCESSES] = { "all-processes", no_argument },
	[OPT_HELP] = { "help", no_argument, 'h' },
};

/* What trace, flame and govern take: the target, the session's outputs and its parts. */
#define SESSION_OPTS \
	(OPT_BIT(OPT_PID) | OPT_BIT(OPT_PORT) | OPT_BIT(OPT_CGROUP) | OPT_BIT(OPT_DURATION) | \
	 OPT_BIT(OPT_INTERVAL) | OPT_BIT(OPT_SUMMARY) | OPT_BIT(OPT_JSON) | OPT_BIT(OPT_METRICS) | \
	 OPT_BIT(OPT_FLAME) | OPT_BIT(OPT_HZ) | OPT_BIT(OPT_OFF_CPU) | OPT_BIT(OPT_REQUESTS_ONLY) | \
	 OPT_BIT(OPT_POLICY) | OPT_BIT(OPT_DRY_RUN) | OPT_BIT(OPT_LOG) | OPT_BIT(OPT_MAX_CONNS) | \
	 OPT_BIT(OPT_SCHED) | OPT_BIT(OPT_NO_SCHED) | OPT_BIT(OPT_ALL_PROCESSES) | OPT_BIT(OPT_HELP))

#define CMD_TARGET	1u	/* takes a TARGET: --cgroup is one, and so is -- COMMAND */
#define CMD_JSON_SWITCH	2u	/* --json is a switch (the output as JSON), not --json FILE */
#define CMD_NO_OPTIONS	4u	/* parses nothing: help keeps its first word, the rest is ignored */

/*
 * The subcommands, one row each; LG_CMD_NONE's row is latgov as a whole.
 * A command without options of its own (help, version) shows latgov's usage.
 */
static const struct command {
	const char *name;
	const char *alias[2];	/* other spellings of the command word */
	const char *usage;
	unsigned int options;	/* OPT_BIT()s of the options it takes */
	unsigned int flags;	/* CMD_* */
} commands[] = {
	[LG_CMD_NONE] = { .name = "latgov", .usage = usage_latgov },
	[LG_CMD_CHECK] = {
		.name = "check", .usage = usage_check,
		.options = OPT_BIT(OPT_JSON) | OPT_BIT(OPT_HELP), .flags = CMD_JSON_SWITCH,
	},
	[LG_CMD_TRACE] = {
		.name = "trace", .usage = usage_trace, .options = SESSION_OPTS, .flags = CMD_TARGET,
	},
	[LG_CMD_FLAME] = {
		.name = "flame", .usage = usage_flame,
		.options = SESSION_OPTS | OPT_BIT(OPT_OUTPUT), .flags = CMD_TARGET,
	},
	[LG_CMD_GOVERN] = {
		.name = "govern", .usage = usage_govern, .options = SESSION_OPTS, .flags = CMD_TARGET,
	},
	[LG_CMD_ENFORCE] = {
		.name = "enforce", .usage = usage_enforce,
		.options = OPT_BIT(OPT_CGROUP) | OPT_BIT(OPT_CPU) | OPT_BIT(OPT_MEMORY) |
			   OPT_BIT(OPT_CPU_WEIGHT) | OPT_BIT(OPT_DURATION) | OPT_BIT(OPT_INTERVAL) |
			   OPT_BIT(OPT_LOG) | OPT_BIT(OPT_DRY_RUN) | OPT_BIT(OPT_HELP),
	},
	[LG_CMD_RESTORE] = {
		.name = "restore", .usage = usage_restore,
		.options = OPT_BIT(OPT_CGROUP) | OPT_BIT(OPT_ALL) | OPT_BIT(OPT_HELP),
	},
	[LG_CMD_HELP] = { .name = "help", .alias = { "--help", "-h" }, .flags = CMD_NO_OPTIONS },
	[LG_CMD_VERSION] = { .name = "version", .alias = { "--version", "-V" }, .flags = CMD_NO_OPTIONS },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *command(enum lg_cmd cmd)
{
	if (cmd <= LG_CMD_NONE || (size_t)cmd >= NCOMMANDS || !commands[cmd].name)
		return &commands[LG_CMD_NONE];
	return &commands[cmd];
}

enum lg_cmd options_cmd(const char *s)
{
	for (size_t i = LG_CMD_NONE + 1; i < NCOMMANDS; i++) {
		const struct command *c = &commands[i];

		if (!c->name)
			continue;
		if (strcmp(s, c->name) == 0)
			return (enum lg_cmd)i;
		for (size_t a = 0; a < sizeof(c->alias) / sizeof(c->alias[0]); a++)
			if (c->alias[a] && strcmp(s, c->alias[a]) == 0)
				return (enum lg_cmd)i;
	}
	return LG_CMD_NONE;
}

const char *options_cmd_name(enum lg_cmd cmd)
{
	return command(cmd)->name;
}

const char *options_usage(enum lg_cmd cmd)
{
	const struct command *c = command(cmd);

	return c->usage ? c->usage : commands[LG_CMD_NONE].usage;
}

int options_sched(const struct lg_options *o)
{
	if (o->sched)
		return o->sched > 0;
	return o->cmd == LG_CMD_FLAME || o->cmd == LG_CMD_GOVERN || o->flame_dir || o->policy_path;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int parse_pids(const char *s, struct lg_options *o, char *err, size_t errlen)
{
	char buf[1024], *save = NULL, *tok;

	if (strlen(s) >= sizeof(buf))
		return fail(err, errlen, "-p: PID list too long");
	strcpy(buf, s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		long long pid;

		if (parse_int(tok, 1, 4194304, &pid))
			return fail(err, errlen, "-p: '%s' is not a process ID", tok);
		if (o->npids == LG_MAX_PIDS)
			return fail(err, errlen, "-p: at most %d PIDs", LG_MAX_PIDS);
		o->pids[o->npids++] = (uint32_t)pid;
	}
	if (!o->npids)
		return fail(err, errlen, "-p: expected PID[,PID...]");
	return 0;
}

/*
 * --port's value: PORT, IPV4:PORT or [IPV6]:PORT. 0, or -EINVAL with the
 * message in err.
 */
static int parse_port_target(const char *s, struct lg_options *o, char *err, size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(s, ':'), *end;
	size_t len;

	o->port_family = 0;
	if (!colon) {
		if (parse_port(s, &o->port))
			return fail(err, errlen, "--port: '%s' is not a TCP port (1-65535)", s);
		return 0;
	}
	if (parse_port(colon + 1, &o->port))
		return fail(err, errlen, "--port: '%s' does not end in a TCP port (1-65535)", s);
	if (s[0] == '[') {
		end = colon - 1;
		if (end <= s || *end != ']')
			goto bad_addr;
		s++;
		o->port_family = AF_INET6;
	} else {
		end = colon;
		o->port_family = AF_INET;
	}
	len = (size_t)(end - s);
	if (len == 0 || len >= sizeof(addr))
		goto bad_addr;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if (inet_pton(o->port_family, addr, o->port_addr) != 1)
		goto bad_addr;
	return 0;
bad_addr:
	o->port_family = 0;
	return fail(err, errlen, "--port: expected PORT, IPV4:PORT or [IPV6]:PORT (e.g. 127.0.0.1:8080, [::1]:8080)");
}

static int set_target(struct lg_options *o, enum lg_target_kind kind, char *err, size_t errlen)
{
	if (o->target != LG_TARGET_NONE && o->target != kind)
		return fail(err, errlen, "give one target: -p, --port, --cgroup or -- COMMAND");
	o->target = kind;
	return 0;
}

static int parse_seconds(const char *name, const char *arg, uint64_t *out, char *err, size_t errlen)
{
	int r = parse_duration(arg, 1000000000ull, out);

	if (r || *out == 0)
		return fail(err, errlen, "%s: '%s' is not a duration (e.g. 30, 1.5s, 250ms, 2m)", name, arg);
	return 0;
}

/* The option getopt_long() returned: a letter, or OPT_LONG + its id. -1 for none. */
static int opt_id(int val)
{
	if (val >= OPT_LONG)
		return val - OPT_LONG < OPT__COUNT ? val - OPT_LONG : -1;
	for (int i = 0; i < OPT__COUNT; i++)
		if (opt_specs[i].letter && opt_specs[i].letter == val)
			return i;
	return -1;
}

int options_parse(enum lg_cmd cmd, int argc, char **argv, struct lg_options *o,
		  char *err, size_t errlen)
{
	const struct command *c = command(cmd);
	/* getopt's tables: every option, so that one of another command is named as such */
	struct option table[OPT__COUNT + 1];
	char letters[3 + 2 * OPT__COUNT + 1];
	size_t nletters = 0;
	int opt, r;

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->interval_ns = 1000000000ull;
	o->hz = 99;
	err[0] = '\0';

	if (c->flags & CMD_NO_OPTIONS) {
		o->topic = argc > 1 ? argv[1] : NULL;
		return 0;
	}

	/* '+': stop at the first non-option, so "-- COMMAND -x" keeps its options. */
	letters[nletters++] = '+';
	letters[nletters++] = ':';
	for (int i = 0; i < OPT__COUNT; i++) {
		int has_arg = opt_specs[i].has_arg;

		if (i == OPT_JSON && (c->flags & CMD_JSON_SWITCH))
			has_arg = no_argument;
		table[i] = (struct option){ opt_specs[i].name, has_arg, NULL, OPT_LONG + i };
		if (opt_specs[i].letter) {
			letters[nletters++] = opt_specs[i].letter;
			if (has_arg == required_argument)
				letters[nletters++] = ':';
		}
	}
	table[OPT__COUNT] = (struct option){ 0 };
	letters[nletters] = '\0';

	optind = 0;	/* glibc: full re-initialisation, so the parser can run again */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, letters, table, NULL)) != -1) {
		const char *arg = optarg;
		int id;

		if (opt == '?') {
			id = opt_id(optopt);
			if (optopt >= OPT_LONG && id >= 0)
				return fail(err, errlen, "option '--%s' takes no value", opt_specs[id].name);
			if (optopt)
				return fail(err, errlen, "unknown option '-%c' for '%s' (see 'latgov %s --help')",
					    optopt, c->name, c->name);
			return fail(err, errlen, "unknown option '%s' for '%s' (see 'latgov %s --help')",
				    argv[optind - 1], c->name, c->name);
		}
		if (opt == ':')
			return fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		id = opt_id(opt);
		if (id < 0)
			return fail(err, errlen, "unhandled option");
		if (!(c->options & OPT_BIT(id)))
			return fail(err, errlen, "option '--%s' does not apply to '%s' (see 'latgov %s --help')",
				    opt_specs[id].name, c->name, c->name);
		switch (id) {
		case OPT_HELP:
			o->help = 1;
			return 0;
		case OPT_PID:
			r = set_target(o, LG_TARGET_PIDS, err, errlen);
			if (!r)
				r = parse_pids(arg, o, err, errlen);
			break;
		case OPT_PORT:
			r = set_target(o, LG_TARGET_PORT, err, errlen);
			if (!r)
				r = parse_port_target(arg, o, err, errlen);
			break;
		case OPT_CGROUP:
			/* enforce and restore name the cgroup to limit, not processes to trace */
			if (c->flags & CMD_TARGET)
				r = set_target(o, LG_TARGET_CGROUP, err, errlen);
			else
				r = 0;
			o->cgroup = arg;
			break;
		case OPT_DURATION:
			r = parse_seconds("-d", arg, &o->duration_ns, err, errlen);
			break;
		case OPT_INTERVAL:
			r = parse_seconds("-i", arg, &o->interval_ns, err, errlen);
			o->interval_set = 1;
			if (!r && o->interval_ns < 10000000ull)
				r = fail(err, errlen, "-i: '%s' is below the shortest window, 10ms", arg);
			break;
		case OPT_SUMMARY: o->summary_path = arg; r = 0; break;
		case OPT_JSON:
			if (c->flags & CMD_JSON_SWITCH)
				o->json = 1;
			else
				o->json_path = arg;
			r = 0;
			break;
		case OPT_METRICS: o->metrics_addr = arg; r = 0; break;
		case OPT_FLAME:
		case OPT_OUTPUT: o->flame_dir = arg; r = 0; break;
		case OPT_HZ: {
			long long hz;

			r = parse_int(arg, 1, 10000, &hz);
			if (r)
				r = fail(err, errlen, "--hz: '%s' is not a rate from 1 to 10000", arg);
			else
				o->hz = (uint32_t)hz;
			break;
		}
		case OPT_OFF_CPU: o->off_cpu = 1; r = 0; break;
		case OPT_REQUESTS_ONLY: o->requests_only = 1; r = 0; break;
		case OPT_POLICY: o->policy_path = arg; r = 0; break;
		case OPT_DRY_RUN: o->dry_run = 1; r = 0; break;
		case OPT_LOG: o->log_path = arg; r = 0; break;
		case OPT_CPU:
			r = parse_cpu(arg, &o->cpu_millicores);
			if (r || o->cpu_millicores == 0)
				r = fail(err, errlen, "--cpu: '%s' is not a CPU amount (e.g. 1.5 or 500m)", arg);
			break;
		case OPT_MEMORY:
			r = parse_size(arg, &o->memory_bytes);
			if (r || o->memory_bytes == 0)
				r = fail(err, errlen, "--memory: '%s' is not a size (e.g. 512M, 2G)", arg);
			break;
		case OPT_CPU_WEIGHT: {
			long long w;

			r = parse_int(arg, 1, 10000, &w);
			if (r)
				r = fail(err, errlen, "--cpu-weight: '%s' is not a weight from 1 to 10000 (100 is the default)", arg);
			else
				o->cpu_weight = (uint32_t)w;
			break;
		}
		case OPT_ALL: o->all = 1; r = 0; break;
		case OPT_SCHED: o->sched = 1; r = 0; break;
		case OPT_NO_SCHED: o->sched = -1; r = 0; break;
		case OPT_ALL_PROCESSES: o->all_processes = 1; r = 0; break;
		case OPT_MAX_CONNS: {
			long long n;

			r = parse_int(arg, 64, LG_CONNS_MAX, &n);
			if (r)
				r = fail(err, errlen, "--max-conns: '%s' is not a number from 64 to %u", arg,
					 LG_CONNS_MAX);
			else
				o->max_conns = (uint32_t)n;
			break;
		}
		default:
			r = fail(err, errlen, "unhandled option");
			break;
		}
		if (r)
			return r;
	}

	if (optind < argc) {
		int dashdash = optind > 0 && strcmp(argv[optind - 1], "--") == 0;

		if (!dashdash || !(c->flags & CMD_TARGET))
			return fail(err, errlen, "unexpected argument '%s' (a command to run goes after '--')",
				    argv[optind]);
		r = set_target(o, LG_TARGET_COMMAND, err, errlen);
		if (r)
			return r;
		o->command = &argv[optind];
	}

	if (c->flags & CMD_TARGET) {
		if (o->target == LG_TARGET_NONE)
			return fail(err, errlen, "'%s' needs a TARGET: -p PID, --port PORT, --cgroup PATH or -- COMMAND",
				    c->name);
		if (cmd == LG_CMD_FLAME && !o->flame_dir)
			return fail(err, errlen, "'flame' needs an output folder: -o DIR");
		if (cmd == LG_CMD_GOVERN && !o->policy_path)
			return fail(err, errlen, "'govern' needs a policy: --policy FILE (examples in policies/)");
		if (o->dry_run && !o->policy_path)
			return fail(err, errlen, "--dry-run goes with --policy");
		if (o->all_processes && o->target != LG_TARGET_CGROUP)
			return fail(err, errlen, "--all-processes goes with --cgroup PATH");
	}
	/* what a command cannot run without, beyond its options' own checks */
	switch (cmd) {
	case LG_CMD_ENFORCE:
		if (!o->cgroup)
			return fail(err, errlen, "'enforce' needs --cgroup PATH");
		if (!o->cpu_millicores && !o->memory_bytes && !o->cpu_weight)
			return fail(err, errlen, "'enforce' needs a limit: --cpu CORES, --memory SIZE and/or --cpu-weight W");
		break;
	case LG_CMD_RESTORE:
		if (!o->cgroup && !o->all)
			return fail(err, errlen, "'restore' needs --cgroup PATH or --all");
		if (o->cgroup && o->all)
			return fail(err, errlen, "give either --cgroup PATH or --all, not both");
		break;
	default:
		break;
	}
	return 0;
}
