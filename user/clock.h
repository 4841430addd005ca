/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The shells' one clock: CLOCK_MONOTONIC in ns, the clock of the kernel's
 * bpf_ktime_get_ns(), so that user space and the records' times compare.
 * (The pure core takes now_ns as an argument and never reads a clock.)
 */
#ifndef LATGOV_CLOCK_H
#define LATGOV_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
