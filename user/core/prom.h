/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The request metrics of --metrics: the aggregator's cumulative figures as
 * typed samples for a struct prom_exposition (prom_text.h), which renders the
 * text. Pure; the shell serves it.
 *
 * Histograms use fixed "le" bounds in seconds. The aggregator's log-linear
 * buckets are 1/64 of their value wide, so a bound rarely falls on a bucket
 * edge: a bucket is counted under a bound only if it lies wholly below it.
 * An observation within 1.6% below a bound may therefore be counted in the
 * next bucket up. The error is one-sided on purpose: the share of requests
 * under an SLO bound is never overstated. _count and _sum are exact, and
 * buckets stay cumulative.
 *
 * The figures are everything aggregated so far: closed windows plus the
 * windows still open, so a scrape is as fresh as the last record.
 */
#ifndef LATGOV_PROM_H
#define LATGOV_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "core/agg.h"
#include "core/prom_text.h"
#include "core/strbuf.h"
#include "latgov/abi.h"

#define PROM_MAX_BUCKETS 32

/* Default le bounds in seconds: 100us .. 10s. */
extern const double prom_default_le[];
extern const size_t prom_default_le_count;

/*
 * Reports every request metric to x, each family declared even while it has
 * no samples:
 *   latgov_requests_total{endpoint,role}          counter
 *   latgov_errors_total{endpoint,role}            counter
 *   latgov_bytes_in_total / latgov_bytes_out_total counter
 *   latgov_request_duration_seconds{endpoint,role} histogram (+ _sum, _count)
 *   latgov_ttfb_seconds{endpoint,role}            histogram
 *   latgov_dropped_events_total{reason}           counter, one per enum lg_counter
 *                                                 except "requests", plus the
 *                                                 aggregator's own losses
 * le may be NULL (the defaults); it must be strictly increasing, finite and
 * positive, at most PROM_MAX_BUCKETS values. counters may be NULL (zero).
 * Returns 0, or -EINVAL for a bad le list (nothing reported); errors of x
 * itself come from prom_render().
 */
int prom_request_metrics(struct prom_exposition *x, const struct agg *a,
			 const uint64_t counters[LG_CNT__MAX], const double *le, size_t n_le);

/*
 * Appends the request metrics alone as text (prom_request_metrics() then
 * prom_render()). Returns 0, -EINVAL for a bad le list, or -ENOMEM.
 */
int prom_write(struct strbuf *sb, const struct agg *a, const uint64_t counters[LG_CNT__MAX],
	       const double *le, size_t n_le);

#endif
