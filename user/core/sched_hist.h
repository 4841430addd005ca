/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The process-wide scheduler histograms of the target threads (struct
 * lg_sched_hist, read from the tracer's lg_sched_hist map): per-window
 * differences, quantiles from their log2 buckets, and how the outputs show
 * them. They stand in for the per-request split where a service hands its
 * requests from one thread to another. Pure.
 */
#ifndef LATGOV_SCHED_HIST_H
#define LATGOV_SCHED_HIST_H

#include <stdint.h>

#include "core/jsonw.h"
#include "core/strbuf.h"
#include "latgov/abi.h"

/* *out = now - before, bucket by bucket (before may be NULL: all zero). */
void sched_hist_delta(const struct lg_sched_hist *now, const struct lg_sched_hist *before,
		      struct lg_sched_hist *out);

/*
 * The q quantile (0..1) of one of its histograms, in ns: the upper edge of
 * the log2 bucket it falls in (so within a factor of 2, never below the
 * truth). 0 for an empty histogram.
 */
uint64_t sched_hist_quantile(const __u64 buckets[LG_SCHED_HIST_BUCKETS], double q);

/*
 * Appends "key":{"runq_us":{"spans","total_ms","p50","p99"},"blocked_us":{..},
 * "throttled_us":{..}} to the object being written.
 */
void sched_hist_json(struct jsonw *jw, const char *key, const struct lg_sched_hist *h);

/*
 * One line per state with its spans, total and p50/p99 (bucket edges), for
 * the terminal. Appends nothing if h saw no span.
 */
void sched_hist_text(struct strbuf *sb, const struct lg_sched_hist *h);

#endif
