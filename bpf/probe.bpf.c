// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe programs for 'latgov check': the features that are not hooks of the
 * request tracer (which check loads itself, as trace would): the ring
 * buffer and perf_event sampling with stacks. Each does nothing useful;
 * loading real programs beats guessing from version numbers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "latgov/abi.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} probe_rb SEC(".maps");

__u64 hits;

static __always_inline int touch(void)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

/* Ring buffer: reserve and discard, so the map type and helpers are verified. */
SEC("tracepoint/sched/sched_process_exec")
int tp_ringbuf(void *ctx)
{
	__u64 *slot = bpf_ringbuf_reserve(&probe_rb, sizeof(*slot), 0);

	if (slot)
		bpf_ringbuf_discard(slot, 0);
	return 0;
}

/* perf_event with a stack: what on-CPU profiling needs. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} probe_stacks SEC(".maps");

SEC("perf_event")
int perf_sample(struct bpf_perf_event_data *ctx)
{
	bpf_get_stackid(ctx, &probe_stacks, BPF_F_USER_STACK);
	return touch();
}
