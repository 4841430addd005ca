// SPDX-License-Identifier: GPL-2.0-only
#include "percpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

int percpu_sum(int map_fd, uint32_t key, uint64_t *out, size_t words)
{
	int ncpus = libbpf_num_possible_cpus(), err = 0;
	uint64_t *values;

	memset(out, 0, words * sizeof(*out));
	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	/* The kernel copies each CPU's value rounded up to 8 bytes: __u64s are. */
	values = calloc((size_t)ncpus * words, sizeof(*values));
	if (!values)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, values)) {
		err = -errno;
		goto out;
	}
	for (int c = 0; c < ncpus; c++)
		for (size_t i = 0; i < words; i++)
			out[i] += values[(size_t)c * words + i];
out:
	free(values);
	return err;
}
