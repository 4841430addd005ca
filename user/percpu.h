/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading a per-CPU BPF array: one element's value on every possible CPU,
 * summed. The values are arrays of __u64 (counters, histograms).
 */
#ifndef LATGOV_PERCPU_H
#define LATGOV_PERCPU_H

#include <stddef.h>
#include <stdint.h>

/*
 * Sums element key of the per-CPU array map_fd, whose value is words
 * __u64s, over every possible CPU into out[words]. Returns 0 or -errno
 * (out is then zeroed).
 */
int percpu_sum(int map_fd, uint32_t key, uint64_t *out, size_t words);

#endif
