/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loss and activity counters (enum lg_counter): one per-CPU array, summed by
 * user space, so that everything that can be lost is counted and shown.
 * Each BPF object that includes this has its own; the profiler's reuses the
 * tracer's by fd when both run (user/profiler.c).
 */
#ifndef LATGOV_COUNTERS_BPF_H
#define LATGOV_COUNTERS_BPF_H

#include "compat.bpf.h"
#include "latgov/abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LG_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} lg_counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&lg_counters, &which);

	if (v)
		*v += 1;	/* per-CPU slot: no atomic needed */
}

#endif /* LATGOV_COUNTERS_BPF_H */
