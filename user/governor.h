/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The governor shell: one tick reads the cgroup, runs the pure decide(),
 * writes what changed (memory writes on their own thread, so a slow reclaim
 * never stalls the loop), reads every write back, notices foreign writes and
 * appends the tick to the JSONL audit log.
 *
 * Used by `govern` (the session feeds it one request window per tick) and,
 * through the knob_ctl helpers of io/statefile.h, by `enforce`.
 *
 * Crash safety comes from io/statefile.h: the originals are saved under
 * /run/latgov before the first write; governor_close() restores them, and
 * `latgov restore` does after a crash.
 *
 * Use from a session:
 *
 *	struct policy p;
 *	struct governor *g;
 *
 *	governor_load_policy(opts->policy_path, &p, err, sizeof(err));
 *	governor_open(&g, &p, cgroup_path, opts->dry_run, opts->log_path, err, sizeof(err));
 *	every p.interval_ns, with the window's hist_quantile(h, p.percentile / 100)
 *	of request latency (or of TTFB when p.metric == POLICY_METRIC_TTFB):
 *		governor_tick(g, &window, now_monotonic_ns);
 *	governor_status(g, &st) for the live view and /metrics;
 *	governor_close(g) at the end, on -d, SIGINT and SIGTERM.
 *
 * Or, in a session, add the part { "governor", governor_part_on_window,
 * governor_part_on_end, g } after governor_open(): it builds the window
 * from the aggregator (governor_add_agg_window, governor_window), ticks once
 * per policy interval, and closes g at the end.
 */
#ifndef LATGOV_GOVERNOR_H
#define LATGOV_GOVERNOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/decide.h"
#include "core/governor_prom.h"
#include "core/policy.h"
#include "io/cgroup.h"
#include "io/statefile.h"

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
 * One tick, for the window that just ended. now_ns is CLOCK_MONOTONIC.
 * Returns 0; errors writing a limit are reported (stderr and audit log) and
 * the loop goes on.
 */
int governor_tick(struct governor *g, const struct governor_window *w, uint64_t now_ns);

/*
 * The check between ticks (call it every ~100 ms): CPU usage and throttling
 * since the last tick or check, at least one CFS period of it; on saturation
 * decide_saturation() raises at once, and the write is logged (kind
 * "saturation"). Holds are not logged. Returns 1 if it changed the limit.
 */
int governor_check_saturation(struct governor *g, uint64_t now_ns);

void governor_status(const struct governor *g, struct governor_status *st);

/*
 * Restores every limit changed, removes the state file and frees g.
 * Returns 0, or 1 if something could not be restored (the state file is
 * then kept for `latgov restore`).
 */
int governor_close(struct governor *g);

struct agg;
struct session;

/*
 * Feeding the governor from the session's aggregator: after each closed
 * session window, governor_add_agg_window() keeps it (summed over the
 * endpoints the target serves; client-side calls to its dependencies are not
 * its latency); governor_window() then merges the newest ones that cover the
 * policy's window and reads the policy's percentile of latency or TTFB, the
 * request and error counts and the run-queue share. Both return 0, or
 * -ENODATA when there is no window yet.
 */
int governor_add_agg_window(struct governor *g, const struct agg *a);
int governor_window(struct governor *g, struct governor_window *w);

/*
 * A session part (see session.h) around an open governor: on each closed
 * window it ticks (at most once per policy interval), and at the end it
 * closes the governor, which restores the limits. ctx is the struct governor.
 */
int governor_part_on_window(struct session *s, void *ctx);
/* Every session poll: governor_check_saturation(). */
void governor_part_on_poll(struct session *s, void *ctx);
void governor_part_on_end(struct session *s, void *ctx);

#endif
