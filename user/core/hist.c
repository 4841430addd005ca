// SPDX-License-Identifier: GPL-2.0-only
#include "core/hist.h"

#include <string.h>

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

size_t hist_index(uint64_t v)
{
	unsigned int k;

	if (v < HIST_SUB)
		return (size_t)v;
	k = 63u - (unsigned int)__builtin_clzll(v);
	if (k >= HIST_TOP_BIT)
		return HIST_BUCKETS - 1;
	return HIST_SUB + (size_t)(k - HIST_SUB_BITS) * HIST_SUB +
	       (size_t)((v >> (k - HIST_SUB_BITS)) - HIST_SUB);
}

uint64_t hist_bucket_low(size_t i)
{
	size_t k, sub;

	if (i < HIST_SUB)
		return i;
	k = (i - HIST_SUB) / HIST_SUB + HIST_SUB_BITS;
	sub = (i - HIST_SUB) % HIST_SUB;
	return (uint64_t)(HIST_SUB + sub) << (k - HIST_SUB_BITS);
}

uint64_t hist_bucket_high(size_t i)
{
	if (i + 1 >= HIST_BUCKETS)
		return UINT64_MAX;
	return hist_bucket_low(i + 1) - 1;
}

void hist_add_n(struct hist *h, uint64_t v, uint64_t n)
{
	uint64_t add;

	if (!n)
		return;
	h->buckets[hist_index(v)] += n;
	h->count += n;
	if (__builtin_mul_overflow(v, n, &add) || __builtin_add_overflow(h->sum, add, &h->sum))
		h->sum = UINT64_MAX;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void hist_add(struct hist *h, uint64_t v)
{
	hist_add_n(h, v, 1);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (!src->count)
		return;
	for (size_t i = 0; i < HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	if (__builtin_add_overflow(dst->sum, src->sum, &dst->sum))
		dst->sum = UINT64_MAX;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, mid;
	size_t i;

	if (!h->count)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)(q * (double)h->count);
	if ((double)rank < q * (double)h->count)
		rank++;			/* ceil without libm */
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	if (i >= HIST_BUCKETS - 1)
		return h->max;		/* the open-ended top bucket has no midpoint */
	mid = hist_bucket_low(i) + (hist_bucket_high(i) - hist_bucket_low(i)) / 2;
	if (mid < h->min)
		mid = h->min;
	if (mid > h->max)
		mid = h->max;
	return mid;
}

double hist_mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

uint64_t hist_count_le(const struct hist *h, uint64_t bound)
{
	uint64_t n = 0;

	for (size_t i = 0; i < HIST_BUCKETS && hist_bucket_high(i) <= bound; i++)
		n += h->buckets[i];
	return n;
}
