// SPDX-License-Identifier: GPL-2.0-only
#include "core/sched_hist.h"

#include <inttypes.h>
#include <stddef.h>

#include "core/units.h"

void sched_hist_delta(const struct lg_sched_hist *now, const struct lg_sched_hist *before,
		      struct lg_sched_hist *out)
{
	const uint64_t *a = (const uint64_t *)now, *b = (const uint64_t *)before;
	uint64_t *o = (uint64_t *)out;

	/* All __u64 (see its _Static_assert): one loop over the words. */
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] = a[i] - (b ? b[i] : 0);
}

static uint64_t spans(const __u64 buckets[LG_SCHED_HIST_BUCKETS])
{
	uint64_t n = 0;

	for (int k = 0; k < LG_SCHED_HIST_BUCKETS; k++)
		n += buckets[k];
	return n;
}

uint64_t sched_hist_quantile(const __u64 buckets[LG_SCHED_HIST_BUCKETS], double q)
{
	uint64_t n = spans(buckets), rank, seen = 0;

	if (!n)
		return 0;
	/* Nearest rank, 1-based: the smallest bucket holding ceil(q * n) spans. */
	rank = (uint64_t)(q * (double)n);
	if ((double)rank < q * (double)n)
		rank++;
	if (rank < 1)
		rank = 1;
	for (int k = 0; k < LG_SCHED_HIST_BUCKETS; k++) {
		seen += buckets[k];
		if (seen >= rank)
			return (2ull << k) * 1000;	/* bucket k is [2^k, 2^(k+1)) us */
	}
	return (2ull << (LG_SCHED_HIST_BUCKETS - 1)) * 1000;
}

static void one_json(struct jsonw *jw, const char *key, const __u64 *buckets, uint64_t sum_ns)
{
	jw_key(jw, key);
	jw_obj_begin(jw);
	jw_kv_u64(jw, "spans", spans(buckets));
	jw_kv_double(jw, "total_ms", (double)sum_ns / 1e6);
	jw_kv_double(jw, "p50", (double)sched_hist_quantile(buckets, 0.50) / 1e3);
	jw_kv_double(jw, "p99", (double)sched_hist_quantile(buckets, 0.99) / 1e3);
	jw_obj_end(jw);
}

void sched_hist_json(struct jsonw *jw, const char *key, const struct lg_sched_hist *h)
{
	jw_key(jw, key);
	jw_obj_begin(jw);
	one_json(jw, "runq_us", h->runq, h->runq_ns);
	one_json(jw, "blocked_us", h->blocked, h->blocked_ns);
	one_json(jw, "throttled_us", h->throttled, h->throttled_ns);
	jw_obj_end(jw);
}

static void one_text(struct strbuf *sb, const char *what, const __u64 *buckets, uint64_t sum_ns)
{
	char total[UNITS_LEN], p50[UNITS_LEN], p99[UNITS_LEN];
	uint64_t n = spans(buckets);

	if (!n)
		return;
	sb_printf(sb, "  %-10s %9" PRIu64 " spans, %9s in all, p50 <= %s, p99 <= %s\n", what, n,
		  units_ns(sum_ns, total, sizeof(total)),
		  units_ns(sched_hist_quantile(buckets, 0.50), p50, sizeof(p50)),
		  units_ns(sched_hist_quantile(buckets, 0.99), p99, sizeof(p99)));
}

void sched_hist_text(struct strbuf *sb, const struct lg_sched_hist *h)
{
	one_text(sb, "run queue", h->runq, h->runq_ns);
	one_text(sb, "blocked", h->blocked, h->blocked_ns);
	one_text(sb, "throttled", h->throttled, h->throttled_ns);
}
