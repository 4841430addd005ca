// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe programs: what the kernel allows that its BTF does not tell. The
 * request tracer's plan asks whether tcp_probe may read an skb through a
 * dynptr (user/kfeatures.c); 'latgov check' also asks about the ring buffer
 * and perf_event sampling with stacks (the tracer's own hooks it loads as
 * trace would). Each does nothing useful; loading real programs beats
 * guessing from version numbers.
 */
#include "compat.bpf.h"
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

/*
 * A tracing program reading an skb through a dynptr: 6.15 lets tp_btf
 * programs call bpf_dynptr_from_skb (user/kfeatures.c). Where it may not,
 * the verifier refuses this, and the tracer reads the linear part only.
 */
SEC("tp_btf/tcp_probe")
int BPF_PROG(probe_skb_dynptr, struct sock *sk, const struct sk_buff *skb)
{
	struct bpf_dynptr p;
	__u8 b;

	if (bpf_dynptr_from_skb((struct __sk_buff *)skb, 0, &p))
		return 0;
	bpf_dynptr_read(&b, sizeof(b), &p, 0, 0);
	return touch();
}
