// SPDX-License-Identifier: GPL-2.0-only
/*
 * govern (and --policy on any session command): the governor as a session
 * part. Finds the cgroup to govern, loads the policy (nothing is applied from
 * one that fails to load), opens the governor and hands it the session's
 * windows. The governor restores what it changed at the end of the session.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/cgpath.h"
#include "core/decide.h"
#include "core/governor_prom.h"
#include "core/strbuf.h"
#include "core/units.h"
#include "core/utf8.h"
#include "governor.h"
#include "session.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The mount point of the hierarchy that holds CPU: v1 "cpu", or cgroup2. */
static int cpu_mount(int v2, char *mnt, size_t len)
{
	char dev[256], dir[PATH_MAX], type[64], opts[512];
	FILE *f = fopen("/proc/self/mounts", "r");
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (fscanf(f, "%255s %4095s %63s %511s %*d %*d", dev, dir, type, opts) == 4) {
		char *o, *save = NULL;

		if (v2 && strcmp(type, "cgroup2") == 0) {
			snprintf(mnt, len, "%s", dir);
			err = 0;
			break;
		}
		if (v2 || strcmp(type, "cgroup") != 0)
			continue;
		for (o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save))
			if (strcmp(o, "cpu") == 0)
				break;
		if (o) {
			snprintf(mnt, len, "%s", dir);
			err = 0;
			break;
		}
	}
	fclose(f);
	return err;
}

/*
 * The cgroup of a -p or --port target: the one holding its first process's
 * CPU. The root cgroup is refused: latgov never limits the whole machine.
 */
static int cgroup_of_pid(uint32_t pid, char *path, size_t len)
{
	char file[64], text[4096], rel[PATH_MAX], mnt[PATH_MAX];
	size_t n;
	FILE *f;
	int v2, err;

	snprintf(file, sizeof(file), "/proc/%u/cgroup", pid);
	f = fopen(file, "r");
	if (!f) {
		err = -errno;
		fprintf(stderr, "latgov govern: cannot read %s: %s\n", file, strerror(-err));
		return err;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	if (cgpath_cpu_of(text, rel, sizeof(rel), &v2) || cpu_mount(v2, mnt, sizeof(mnt))) {
		fprintf(stderr, "latgov govern: PID %u is in no cgroup with the cpu controller; give --cgroup PATH\n", pid);
		return -ENOENT;
	}
	if (strcmp(rel, "/") == 0) {
		fprintf(stderr, "latgov govern: PID %u is in the root cgroup, which latgov will not limit; "
			"run the service in a cgroup of its own (or start it with 'latgov govern -- COMMAND')\n", pid);
		return -EPERM;
	}
	snprintf(path, len, "%s%s", mnt, rel);
	return 0;
}

/* Each closed window: the governor keeps it, and ticks once per policy interval. */
static int governor_part_on_window(struct session *s, void *ctx)
{
	governor_agg_window(ctx, session_agg(s), mono_ns());
	return 0;
}

/* Every loop turn: saturation shows within a CFS period, long before a window closes. */
static void governor_part_on_poll(struct session *s, void *ctx)
{
	(void)s;
	governor_check_saturation(ctx, mono_ns());
}

/* The live view's governor line: the limit it holds, what the cgroup uses, its last decision. */
static void governor_part_status(struct session *s, void *ctx, struct strbuf *sb)
{
	struct governor_status st;
	char usage[UNITS_LEN], limit[UNITS_LEN];

	(void)s;
	governor_status(ctx, &st);
	if (!st.ticks)
		return;
	sb_printf(sb, "governor: cpu limit %s%.2f cores, usage %.2f cores, throttled %.0f%% of periods",
		  st.cpu_limit_cores > 0 ? "" : "none ", st.cpu_limit_cores, st.cpu_usage_cores,
		  st.throttle_ratio * 100);
	if (st.mem_limit_bytes)
		sb_printf(sb, ", memory %s of %s", units_bytes(st.mem_usage_bytes, usage, sizeof(usage)),
			  units_bytes(st.mem_limit_bytes, limit, sizeof(limit)));
	sb_printf(sb, "%s\ngovernor: last decision %s: %s\n", st.writes ? "" : " (not writing)",
		  decide_action_name(st.last_action), st.last_reason);
}

static void governor_part_metrics(struct session *s, void *ctx, struct prom_exposition *x)
{
	struct governor_status st;

	(void)s;
	governor_status(ctx, &st);
	governor_prom_metrics(x, &st);
}

uint64_t session_governor_window_ns(const char *policy_path)
{
	struct policy policy;
	char err[512];

	if (governor_load_policy(policy_path, &policy, err, sizeof(err)))
		return 0;
	return policy.interval_ns < policy.window_ns ? policy.interval_ns : policy.window_ns;
}

/* The governor's end: it restores the limits it changed; then a second Ctrl-C may end latgov at once. */
static void governor_part_on_end(struct session *s, void *ctx)
{
	if (governor_log_failed(ctx))
		session_part_failed(s);
	/* A limit not restored is the session's failure: it exits 1 (it said what to run). */
	if (governor_close(ctx))
		session_part_failed(s);
	session_hold_restore(s, 0);
}

int session_governor_parts(struct session *s)
{
	const struct lg_options *o = session_options(s);
	struct session_part part = { .name = "governor",
				     .on_window = governor_part_on_window,
				     .on_poll = governor_part_on_poll,
				     .status = governor_part_status,
				     .metrics = governor_part_metrics,
				     .on_end = governor_part_on_end };
	char err[512], path[PATH_MAX], shown[PATH_MAX];
	const char *cgroup = session_cgroup_dir(s);
	const uint32_t *pids;
	struct governor *g;
	struct policy policy;
	int e;

	if (!o->policy_path) {
		fprintf(stderr, "latgov govern: needs --policy FILE (examples in policies/)\n");
		return -EINVAL;
	}
	e = governor_load_policy(o->policy_path, &policy, err, sizeof(err));
	if (e) {
		fprintf(stderr, "latgov govern: %s\n", err);
		return e;
	}
	if (!cgroup) {
		if (session_target_pids(s, &pids) == 0) {
			fprintf(stderr, "latgov govern: no target process to find a cgroup from; give --cgroup PATH\n");
			return -ESRCH;
		}
		e = cgroup_of_pid(pids[0], path, sizeof(path));
		if (e)
			return e;
		cgroup = path;
	}
	e = governor_open(&g, &policy, cgroup, o->dry_run, o->log_path, err, sizeof(err));
	if (e) {
		/* It may name the target's cgroup, which another user may have named. */
		utf8_sanitize_to(shown, sizeof(shown), err);
		fprintf(stderr, "latgov govern: %s\n", shown);
		return e;
	}
	part.ctx = g;
	e = session_add_part(s, &part);
	if (e) {
		governor_close(g);
		return e;
	}
	/* Released by governor_part_on_end (a dry run has nothing to restore, but its end is as short). */
	session_hold_restore(s, 1);
	utf8_sanitize_to(shown, sizeof(shown), cgroup);
	fprintf(stderr, "latgov: governing %s with %s%s\n", shown, o->policy_path,
		o->dry_run ? " (dry run: nothing is written)" : "");
	return 0;
}
