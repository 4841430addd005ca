// SPDX-License-Identifier: GPL-2.0-only
#include "core/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/parse.h"
#include "latgov/abi.h"

static const char *const cmd_names[] = {
	[LG_CMD_CHECK] = "check",     [LG_CMD_TRACE] = "trace",
	[LG_CMD_FLAME] = "flame",     [LG_CMD_GOVERN] = "govern",
	[LG_CMD_ENFORCE] = "enforce", [LG_CMD_RESTORE] = "restore",
	[LG_CMD_HELP] = "help",       [LG_CMD_VERSION] = "version",
};

enum lg_cmd options_cmd(const char *s)
{
	for (size_t i = 1; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
		if (cmd_names[i] && strcmp(s, cmd_names[i]) == 0)
			return (enum lg_cmd)i;
	if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0)
		return LG_CMD_HELP;
	if (strcmp(s, "--version") == 0 || strcmp(s, "-V") == 0)
		return LG_CMD_VERSION;
	return LG_CMD_NONE;
}

const char *options_cmd_name(enum lg_cmd cmd)
{
	if (cmd <= LG_CMD_NONE || cmd > LG_CMD_VERSION)
		return "latgov";
	return cmd_names[cmd];
}

#define TARGET_USAGE \
	"TARGET is one of:\n" \
	"  -p, --pid PID[,PID...]   processes, their threads and children forked later\n" \
	"      --port PORT          every process listening on TCP PORT\n" \
	"      --cgroup PATH        every process in a cgroup (v1 or v2 path)\n" \
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

static const char *const usages[] = {
	[LG_CMD_NONE] =
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
	"'latgov COMMAND --help' describes each command.\n",
	[LG_CMD_CHECK] =
	"usage: latgov check [--json]\n"
	"\n"
	"Loads real probe programs and reports, per feature latgov uses, ok, degraded or missing\n"
	"with a one-line remedy. Exits 1 if something required is missing.\n"
	"\n"
	"      --json               the report as JSON\n"
	"  -h, --help               this text\n",
	[LG_CMD_TRACE] =
	"usage: latgov trace TARGET [OPTIONS]\n"
	"\n"
	"Per-request latency, TTFB and throughput per endpoint, from socket tracepoints.\n"
	"\n" TARGET_USAGE "\noptions:\n" SESSION_USAGE,
	[LG_CMD_FLAME] =
	"usage: latgov flame TARGET -o DIR [OPTIONS]\n"
	"\n"
	"Writes oncpu.folded, offcpu.folded, latency.folded, flame.svg, profile.pb.gz and\n"
	"summary.txt to DIR: where request wall time goes (on-CPU, run queue, blocked,\n"
	"throttled) and in which stacks.\n"
	"\n" TARGET_USAGE "\noptions:\n"
	"  -o, --output DIR         output folder (required)\n" SESSION_USAGE,
	[LG_CMD_GOVERN] =
	"usage: latgov govern TARGET --policy FILE [OPTIONS]\n"
	"\n"
	"Traces TARGET and adjusts its cgroup's CPU and memory limits to hold the policy's SLO.\n"
	"Every limit it changes is restored on exit, Ctrl-C, or by 'latgov restore' after a crash.\n"
	"\n" TARGET_USAGE "\noptions:\n" SESSION_USAGE,
	[LG_CMD_ENFORCE] =
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
	"  -h, --help               this text\n",
	[LG_CMD_RESTORE] =
	"usage: latgov restore [--cgroup PATH | --all]\n"
	"\n"
	"Restores the limits recorded in /run/latgov by a latgov that did not exit cleanly.\n"
	"\n"
	"      --cgroup PATH        restore this cgroup only\n"
	"      --all                restore every cgroup recorded\n"
	"  -h, --help               this text\n",
};

int options_sched(const struct lg_options *o)
{
	if (o->sched)
		return o->sched > 0;
	return o->cmd == LG_CMD_FLAME || o->cmd == LG_CMD_GOVERN || o->flame_dir || o->policy_path;
}

const char *options_usage(enum lg_cmd cmd)
{
	if (cmd < 0 || cmd >= (int)(sizeof(usages) / sizeof(usages[0])) || !usages[cmd])
		return usages[LG_CMD_NONE];
	return usages[cmd];
}

enum {
	OPT_PORT = 256, OPT_CGROUP, OPT_SUMMARY, OPT_JSON, OPT_METRICS, OPT_FLAME, OPT_HZ,
	OPT_OFF_CPU, OPT_REQUESTS_ONLY, OPT_POLICY, OPT_DRY_RUN, OPT_LOG, OPT_CPU, OPT_MEMORY,
	OPT_ALL, OPT_MAX_CONNS, OPT_SCHED, OPT_NO_SCHED, OPT_CPU_WEIGHT,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "duration", required_argument, NULL, 'd' },
	{ "interval", required_argument, NULL, 'i' },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "json", required_argument, NULL, OPT_JSON },	/* no value for check */
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "flame", required_argument, NULL, OPT_FLAME },
	{ "output", required_argument, NULL, 'o' },
	{ "hz", required_argument, NULL, OPT_HZ },
	{ "off-cpu", no_argument, NULL, OPT_OFF_CPU },
	{ "requests-only", no_argument, NULL, OPT_REQUESTS_ONLY },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "memory", required_argument, NULL, OPT_MEMORY },
	{ "cpu-weight", required_argument, NULL, OPT_CPU_WEIGHT },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "sched", no_argument, NULL, OPT_SCHED },
	{ "no-sched", no_argument, NULL, OPT_NO_SCHED },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

/* Which options each command takes: a string of the letters/ids above. */
static int allowed(enum lg_cmd cmd, int opt)
{
	switch (cmd) {
	case LG_CMD_CHECK:
		return opt == OPT_JSON || opt == 'h';
	case LG_CMD_TRACE:
	case LG_CMD_FLAME:
	case LG_CMD_GOVERN:
		return opt != OPT_CPU && opt != OPT_MEMORY && opt != OPT_CPU_WEIGHT && opt != OPT_ALL &&
		       (opt != 'o' || cmd == LG_CMD_FLAME);
	case LG_CMD_ENFORCE:
		return opt == OPT_CGROUP || opt == OPT_CPU || opt == OPT_MEMORY || opt == OPT_CPU_WEIGHT ||
		       opt == 'd' || opt == 'i' || opt == OPT_LOG || opt == OPT_DRY_RUN || opt == 'h';
	case LG_CMD_RESTORE:
		return opt == OPT_CGROUP || opt == OPT_ALL || opt == 'h';
	default:
		return opt == 'h';
	}
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *opt_name(int opt, char *buf, size_t len)
{
	for (const struct option *o = long_opts; o->name; o++)
		if (o->val == opt) {
			snprintf(buf, len, "--%s", o->name);
			return buf;
		}
	snprintf(buf, len, "-%c", opt);
	return buf;
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

int options_parse(enum lg_cmd cmd, int argc, char **argv, struct lg_options *o,
		  char *err, size_t errlen)
{
	char name[32];
	int opt, r;

	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->interval_ns = 1000000000ull;
	o->hz = 99;
	err[0] = '\0';

	/* 'check --json' is a switch; everywhere else --json takes a FILE. */
	struct option table[sizeof(long_opts) / sizeof(long_opts[0])];

	memcpy(table, long_opts, sizeof(table));
	for (struct option *t = table; t->name; t++)
		if (t->val == OPT_JSON && cmd == LG_CMD_CHECK)
			t->has_arg = no_argument;

	optind = 0;	/* glibc: full re-initialisation, so the parser can run again */
	opterr = 0;
	/* '+': stop at the first non-option, so "-- COMMAND -x" keeps its options. */
	while ((opt = getopt_long(argc, argv, "+:p:d:i:o:h", table, NULL)) != -1) {
		const char *arg = optarg;

		if (opt == '?') {
			if (optopt)
				return fail(err, errlen, "unknown option '-%c' for '%s' (see 'latgov %s --help')",
					    optopt, options_cmd_name(cmd), options_cmd_name(cmd));
			return fail(err, errlen, "unknown option '%s' for '%s' (see 'latgov %s --help')",
				    argv[optind - 1], options_cmd_name(cmd), options_cmd_name(cmd));
		}
		if (opt == ':')
			return fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		if (!allowed(cmd, opt))
			return fail(err, errlen, "option '%s' does not apply to '%s' (see 'latgov %s --help')",
				    opt_name(opt, name, sizeof(name)), options_cmd_name(cmd), options_cmd_name(cmd));
		switch (opt) {
		case 'h':
			o->help = 1;
			return 0;
		case 'p':
			r = set_target(o, LG_TARGET_PIDS, err, errlen);
			if (!r)
				r = parse_pids(arg, o, err, errlen);
			break;
		case OPT_PORT:
			r = set_target(o, LG_TARGET_PORT, err, errlen);
			if (!r && parse_port(arg, &o->port))
				r = fail(err, errlen, "--port: '%s' is not a TCP port (1-65535)", arg);
			break;
		case OPT_CGROUP:
			if (cmd != LG_CMD_ENFORCE && cmd != LG_CMD_RESTORE)
				r = set_target(o, LG_TARGET_CGROUP, err, errlen);
			else
				r = 0;
			o->cgroup = arg;
			break;
		case 'd':
			r = parse_seconds("-d", arg, &o->duration_ns, err, errlen);
			break;
		case 'i':
			r = parse_seconds("-i", arg, &o->interval_ns, err, errlen);
			o->interval_set = 1;
			if (!r && o->interval_ns < 10000000ull)
				r = fail(err, errlen, "-i: '%s' is below the shortest window, 10ms", arg);
			break;
		case OPT_SUMMARY: o->summary_path = arg; r = 0; break;
		case OPT_JSON:
			if (cmd == LG_CMD_CHECK)
				o->json = 1;
			else
				o->json_path = arg;
			r = 0;
			break;
		case OPT_METRICS: o->metrics_addr = arg; r = 0; break;
		case OPT_FLAME:
		case 'o': o->flame_dir = arg; r = 0; break;
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

		if (!dashdash || (cmd != LG_CMD_TRACE && cmd != LG_CMD_FLAME && cmd != LG_CMD_GOVERN))
			return fail(err, errlen, "unexpected argument '%s' (a command to run goes after '--')",
				    argv[optind]);
		r = set_target(o, LG_TARGET_COMMAND, err, errlen);
		if (r)
			return r;
		o->command = &argv[optind];
	}

	switch (cmd) {
	case LG_CMD_TRACE:
	case LG_CMD_FLAME:
	case LG_CMD_GOVERN:
		if (o->target == LG_TARGET_NONE)
			return fail(err, errlen, "'%s' needs a TARGET: -p PID, --port PORT, --cgroup PATH or -- COMMAND",
				    options_cmd_name(cmd));
		if (cmd == LG_CMD_FLAME && !o->flame_dir)
			return fail(err, errlen, "'flame' needs an output folder: -o DIR");
		if (cmd == LG_CMD_GOVERN && !o->policy_path)
			return fail(err, errlen, "'govern' needs a policy: --policy FILE (examples in policies/)");
		if (o->dry_run && !o->policy_path)
			return fail(err, errlen, "--dry-run goes with --policy");
		break;
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
