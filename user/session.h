/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A watching session (trace, flame, govern): one BPF load, one ring-buffer
 * loop, one aggregator. The loop polls the ring buffer every
 * SESSION_POLL_MS, flushes idle requests, closes finished windows, and after
 * each closed window calls every registered part's on_window hook; at the end
 * each part's on_end. The outputs (the terminal table, out_table.c; --json
 * and --summary, out_json.c; --metrics, out_metrics.c), the flame profiler
 * (session_flame.c) and the governor (session_govern.c) are parts.
 */
#ifndef LATGOV_SESSION_H
#define LATGOV_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "core/agg.h"
#include "core/options.h"
#include "io/outfile.h"
#include "latgov/abi.h"

#define SESSION_POLL_MS      100
/* Records reach user space within this long of a response's end: windows close this late. */
#define SESSION_DELIVERY_NS  (250ull * 1000 * 1000)
#define SESSION_MAX_PARTS    8
/* At the end, how long in-flight sends get to finish before the last flush. */
#define SESSION_DRAIN_MS     50

struct session;

struct prom_exposition;
struct strbuf;

struct session_part {
	const char *name;
	/* After each closed window (agg_last_window() is it). Returns 0 or -errno (ends the session). */
	int (*on_window)(struct session *s, void *ctx);
	/* Optional: every loop turn (about every SESSION_POLL_MS), for work that cannot wait a window. */
	void (*on_poll)(struct session *s, void *ctx);
	/* Optional: every request record, after the aggregator took it (keep it cheap). */
	void (*on_request)(struct session *s, void *ctx, const struct lg_request *r);
	/* Optional: appends a line or two for the live view, after the request table. */
	void (*status)(struct session *s, void *ctx, struct strbuf *sb);
	/* Optional: reports metrics of its own, which /metrics shows after the request metrics. */
	void (*metrics)(struct session *s, void *ctx, struct prom_exposition *x);
	/* Once, after the last window closed; frees ctx. */
	void (*on_end)(struct session *s, void *ctx);
	void *ctx;
};

/* Adds a part before the loop starts. Returns 0 or -ENOSPC. */
int session_add_part(struct session *s, const struct session_part *p);

/*
 * Where flame and govern plug in: cmd_session calls session_flame_parts()
 * (session_flame.c) for `flame` (or --flame) and session_governor_parts()
 * (session_govern.c) for `govern` (or --policy) once the BPF objects are
 * loaded and the targets known, before the loop. Each adds its parts with
 * session_add_part(). Returns 0, or a negative errno after printing what is
 * wrong (the session then exits 2).
 */
int session_flame_parts(struct session *s);
int session_governor_parts(struct session *s);
/*
 * The window a governed session should close, so that the governor ticks at
 * its policy's control.interval: the shorter of that and the policy's
 * objective window. 0 when the policy does not load (the governor part then
 * says why) or there is no governor.
 */
uint64_t session_governor_window_ns(const char *policy_path);

/*
 * The outputs, added after the parts above so that each window shows what
 * they did with it: the terminal table always (out_table.c), --json and
 * --summary (out_json.c) and --metrics (out_metrics.c) when given, in that
 * order. Each returns 0, -ENOMEM (the session exits 1), or another negative
 * errno after printing what is wrong (the session exits 2).
 */
int session_table_part(struct session *s);
int session_json_part(struct session *s);
int session_metrics_part(struct session *s);

/*
 * The outputs' files and folders, opened by session_outputs_open()
 * (session_outputs.c) before a target is started or a program attached, so
 * that a destination latgov must not or cannot write ends it at once. A part
 * takes what it writes (setting it to -1); session_outputs_close() closes
 * what is left.
 */
struct session_outputs {
	int flame_dir;			/* flame -o DIR or --flame DIR, or -1 */
	struct outfile_target summary;	/* --summary FILE (dirfd -1 without it) */
	int json;			/* --json FILE, or -1 */
	int records;			/* LATGOV_RECORDS=FILE, or -1 */
};

/*
 * Opens every output o names; the governor's --log is only checked here (the
 * governor opens it itself). Returns 0, or -EINVAL after printing which
 * output and why; session_outputs_close() then closes what was opened.
 */
int session_outputs_open(struct session_outputs *out, const struct lg_options *o);
void session_outputs_close(struct session_outputs *out);
/* The session's outputs, for each part to take its own. */
struct session_outputs *session_outputs(struct session *s);
/*
 * A part could not finish its work (an output not written, a limit not
 * restored) and said so: the session exits 1 (-EIO).
 */
void session_part_failed(struct session *s);

/* The other parts' lines for the live view, in the order the parts were added. */
void session_parts_status(struct session *s, struct strbuf *sb);
/* The other parts' metrics, in the order the parts were added. */
void session_parts_metrics(struct session *s, struct prom_exposition *x);

const struct lg_options *session_options(const struct session *s);
const struct agg *session_agg(const struct session *s);
/* The request tracer (its BPF object, target set and maps are shared). */
struct tracer *session_tracer(const struct session *s);
/*
 * The cgroup directory of the target: the one latgov made for -- COMMAND,
 * or the one given with --cgroup; NULL for -p and --port.
 */
const char *session_cgroup_dir(const struct session *s);
/* The tracer's counters (enum lg_counter), as read when the last window closed. */
const uint64_t *session_counters(const struct session *s);
/*
 * With scheduler attribution, the process-wide scheduler histograms of the
 * last closed window and of the whole run so far; NULL without it.
 */
const struct lg_sched_hist *session_sched_window(const struct session *s);
const struct lg_sched_hist *session_sched_total(const struct session *s);
/* How long the session has run, to its last loop turn. */
uint64_t session_duration_ns(const struct session *s);
/* 0 when the session ended before its loop ran: a part's on_end then only frees. */
int session_ran(const struct session *s);
/* The target's processes (tgids) as resolved at the start. */
size_t session_target_pids(const struct session *s, const uint32_t **pids);
/*
 * A part that changes something only its on_end undoes says so (holding 1)
 * and says when it is undone (0): until then a second Ctrl-C does not end
 * latgov at once. Holds nest: each 1 is released by one 0.
 */
void session_hold_restore(struct session *s, int holding);

#endif
