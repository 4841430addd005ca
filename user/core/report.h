/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the aggregator's figures look like to a user: the JSONL line per window
 * (--json), the summary JSON (--summary), the live terminal table and the
 * final summary table. Pure writers into a struct jsonw / struct strbuf.
 *
 * Field names are shared with the load generator's output (tools/loadgen), so
 * that the two can be compared key by key: latency_us / ttfb_us / gap_us with
 * p50, p90, p99, p999, max, mean, all in microseconds (doubles).
 */
#ifndef LATGOV_REPORT_H
#define LATGOV_REPORT_H

#include <stdint.h>

#include "core/agg.h"
#include "core/jsonw.h"
#include "core/strbuf.h"
#include "latgov/abi.h"

/*
 * Appends one JSONL line (ending in '\n') for the last closed window:
 *   {"t":<window start, s since session start>,"window_s":<its length: shorter
 *    for the last window of a session cut by agg_set_end()>,
 *    "endpoints":[{"name":..,"role":"client" (client role only),"requests":..,
 *    "rps":..,"errors":..,"bytes_in":..,"bytes_out":..,"latency_us":{p50,p90,
 *    p99,p999,max,mean},"ttfb_us":{...},"gap_us":{...},"chunks","chunks_per_stream" (streamed only),
 *    "oncpu_us"/"runq_us"/"blocked_us"/"throttled_us":{p50,p99} (sched only),
 *    "multi_thread":n (requests answered on another thread than read, if any)}],
 *    "dropped":<dropped records during the window, computed by the caller>,
 *    "process_sched":{...} (the window's sched_hist_json, when proc is given)}
 * Endpoints with no request in the window are left out. The jsonw must be at
 * top level (fresh or jw_reset). Returns 0, -ENODATA if no window has closed,
 * or -ENOMEM.
 */
int report_window_json(struct jsonw *jw, const struct agg *a, uint64_t dropped,
		       const struct lg_sched_hist *proc);

/*
 * The final summary (one JSON object, no newline):
 *   {"duration_s":..,"window_s":..,"requests":..,"errors":..,"rps":..,
 *    "dropped":<counters_dropped(counters)>,
 *    "endpoints":[{"name","role"?,"requests","errors","error_answers","resets",
 *      "rps","bytes_in","bytes_out","latency_us","ttfb_us","gap_us"?,
 *      "streamed"?,"oncpu_us"?,"runq_us"?,"blocked_us"?,"throttled_us"?,"multi_thread"?}],
 *    "counters":{"<counter_name(i)>":n for every enum lg_counter},
 *    "aggregator":{"late","early","overflow","alloc_failed","bad_records"},
 *    "process_sched":{...}? (the whole run's sched_hist_json, when proc is given)}
 * rps = requests / duration_s. counters may be NULL (all zero). Figures are
 * the cumulative ones: call agg_roll() with the end time first.
 * Returns 0 or -ENOMEM.
 */
int report_summary_json(struct jsonw *jw, const struct agg *a, uint64_t duration_ns,
			const uint64_t counters[LG_CNT__MAX], const struct lg_sched_hist *proc);

/*
 * The live view of the last closed window: a header line and one row per
 * endpoint active in it (endpoint, rps, p50, p99, max, errors; human units:
 * "850us", "1.2ms", "3.40s"), busiest first. For a TTY the caller clears the
 * screen; for plain output the same rows are prefixed with the window time.
 * Returns 0, -ENODATA if no window has closed, or -ENOMEM.
 */
int report_window_table(struct strbuf *sb, const struct agg *a, int plain);

/*
 * The final table: cumulative figures per endpoint (requests, rps, errors,
 * p50, p90, p99, p99.9, max, mean, TTFB p50/p99), then totals, the
 * scheduler split per endpoint where there is one (and why not, for
 * requests that moved between threads), the process-wide scheduler figures
 * (proc, may be NULL) and any non-zero loss counters. Returns 0 or -ENOMEM.
 */
int report_summary_table(struct strbuf *sb, const struct agg *a, uint64_t duration_ns,
			 const uint64_t counters[LG_CNT__MAX], const struct lg_sched_hist *proc);

/*
 * The scheduler part of the final table alone (cumulative): each endpoint's
 * split p50 / p99, why an endpoint has none, and the process-wide figures
 * (proc, may be NULL). For the flame summary. Returns 0 or -ENOMEM.
 */
int report_sched_split(struct strbuf *sb, const struct agg *a, const struct lg_sched_hist *proc);

#endif
