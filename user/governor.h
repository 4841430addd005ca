/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The governor shell: one tick reads the cgroup, runs the pure decide(),
 * writes what changed (memory writes on their own thread, so a slow reclaim
 * never stalls the loop), reads every write back, notices foreign writes and
 * appends the tick to the JSONL audit log.
 *
 * It knows request windows (an aggregator's, or a struct governor_window
 * made by hand), its cgroup and the time it is given; not what feeds them
 * to it, nor when. (`enforce` holds fixed limits with the same knob_ctl
 * helpers of io/statefile.h, without a governor.)
 *
 * Crash safety comes from io/statefile.h: the originals are saved under
 * /run/latgov before the first write; governor_close() restores them, and
 * `latgov restore` does after a crash.
 *
 *	struct policy p;
 *	struct governor *g;
 *
 *	governor_load_policy(path, &p, err, sizeof(err));
 *	governor_open(&g, &p, cgroup_path, dry_run, log_path, err, sizeof(err));
 *	after each closed window of the aggregator:
 *		governor_agg_window(g, agg, now_monotonic_ns);
 *	(or, with windows of one's own, every p.interval_ns:
 *		governor_tick(g, &window, now_monotonic_ns);)
 *	every ~100 ms: governor_check_saturation(g, now_monotonic_ns);
 *	governor_status(g, &st) for the live view and /metrics;
 *	governor_close(g) at the end, on -d, SIGINT and SIGTERM.
 */
#ifndef LATGOV_GOVERNOR_H
#define LATGOV_GOVERNOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/governor_prom.h"
#include "core/policy.h"

/* One request window from the aggregator, for the policy's metric. */
struct governor_window {
	uint64_t latency_us;	/* the policy's percentile (of latency or TTFB) */
	uint64_t requests;
	double rate;		/* requests per second */
	uint64_t errors;
	double runq_share;	/* share of request time in the run queue; < 0 unknown */
};

struct governor;

/* Reads and parses a policy file. Returns 0, or -errno with "FILE:LINE:COL: ..." in err. */
int governor_load_policy(const char *path, struct policy *p, char *err, size_t errlen);

/*
 * Opens the governor for the cgroup at cgroup_path. dry_run (or a policy in
 * observe/dry-run mode) writes nothing and takes no lock; dry-run prints each
 * write it would make on stdout. log_path (may be NULL) gets the JSONL audit
 * log. Returns 0 or -errno with a message in err.
 */
int governor_open(struct governor **out, const struct policy *policy, const char *cgroup_path,
		  int dry_run, const char *log_path, char *err, size_t errlen);

/*
 * One tick, for the window that just ended (NULL: none). now_ns is
 * CLOCK_MONOTONIC. Returns 0; errors writing a limit are reported (stderr
 * and audit log) and the loop goes on.
 */
int governor_tick(struct governor *g, const struct governor_window *w, uint64_t now_ns);

/*
 * The check between ticks (call it every ~100 ms): CPU usage and throttling
 * since the last tick or check, at least one CFS period of it; on saturation
 * decide_saturation() raises at once, and the write is logged (kind
 * "saturation"). Holds are not logged. Returns 1 if it changed the limit,
 * else 0 (also before the first tick, without CPU in the policy, and once
 * someone else wrote the limit).
 */
int governor_check_saturation(struct governor *g, uint64_t now_ns);

/* Copies what the latest tick or change between ticks left for the live view and /metrics. */
void governor_status(const struct governor *g, struct governor_status *st);

/* 1 when a line of the audit log could not be written (the message is printed), else 0. */
int governor_log_failed(const struct governor *g);

/*
 * Restores every limit changed, removes the state file and frees g.
 * Returns 0, or 1 if something could not be restored (the state file is
 * then kept for `latgov restore`).
 */
int governor_close(struct governor *g);

struct agg;

/*
 * After each closed window of the aggregator a (agg_last_window()): keeps
 * it (summed over the endpoints the target serves; client-side calls to its
 * dependencies are not its latency) and, at most once per policy interval
 * (the windows may be shorter), ticks on the newest windows that cover the
 * policy's window: their percentile of latency or TTFB, requests, errors and
 * run-queue share. Returns 1 if it ticked, 0 if not (no closed window yet,
 * or too soon after the last tick).
 */
int governor_agg_window(struct governor *g, const struct agg *a, uint64_t now_ns);

#endif
