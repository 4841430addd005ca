/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Log-linear histogram (HdrHistogram-style): values below 64 are exact, then
 * each power of two is split into 64 sub-buckets, so a bucket spans at most
 * 1/64 of its value and a quantile read at the bucket midpoint is within 0.8%.
 * Values up to 2^43 (2.4 h in ns) are kept; larger ones land in the top bucket.
 * Fixed size, mergeable, no allocation: one per endpoint per window.
 */
#ifndef LATGOV_HIST_H
#define LATGOV_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB      (1u << HIST_SUB_BITS)
#define HIST_TOP_BIT  43
#define HIST_BUCKETS  (HIST_SUB + (HIST_TOP_BIT - HIST_SUB_BITS) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t sum;		/* saturating */
	uint64_t min;		/* UINT64_MAX while empty */
	uint64_t max;
	uint64_t buckets[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
void hist_add_n(struct hist *h, uint64_t v, uint64_t n);
void hist_merge(struct hist *dst, const struct hist *src);

/* Bucket of a value, and the value range [low, high] a bucket holds. */
size_t hist_index(uint64_t v);
uint64_t hist_bucket_low(size_t i);
uint64_t hist_bucket_high(size_t i);

/*
 * Value at quantile q in [0, 1]: the midpoint of the bucket holding the
 * ceil(q * count)-th smallest value, clamped to [min, max]. 0 when empty.
 */
uint64_t hist_quantile(const struct hist *h, double q);

/* Mean of the values added, 0 when empty. */
double hist_mean(const struct hist *h);

/*
 * Number of values <= bound, for Prometheus "le" buckets. Exact when bound is
 * a bucket's high edge (the fixed le bounds are chosen that way); otherwise
 * a bucket straddling the bound counts as above it.
 */
uint64_t hist_count_le(const struct hist *h, uint64_t bound);

#endif
