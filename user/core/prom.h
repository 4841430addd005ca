/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Prometheus text exposition (format 0.0.4) of the aggregator's cumulative
 * figures, for --metrics. Pure: renders into a struct strbuf; the shell serves it.
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
#include "core/strbuf.h"
#include "latgov/abi.h"

#define PROM_MAX_BUCKETS 32

/* Default le bounds in seconds: 100us .. 10s. */
extern const double prom_default_le[];
extern const size_t prom_default_le_count;

/*
 * Writes every metric with HELP and TYPE lines:
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
 * Returns 0, -EINVAL for a bad le list, or -ENOMEM.
 */
int prom_write(struct strbuf *sb, const struct agg *a, const uint64_t counters[LG_CNT__MAX],
	       const double *le, size_t n_le);

/* Appends s with Prometheus label-value escaping (\\, \", \n). */
void prom_escape_label(struct strbuf *sb, const char *s);

#endif
