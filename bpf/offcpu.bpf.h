/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The stacks of a thread leaving the CPU and the stack-count map, for the
 * flame profiles: off-CPU stacks are walked by the profiler
 * (bpf/profile.bpf.c) when it runs alone, or by the tracer's sched_switch
 * (bpf/sched_attr.bpf.h, prof_shared) when scheduler attribution runs too.
 * Each object gets its own maps from this header; when shared, the profiler
 * reuses the tracer's.
 */
#ifndef LATGOV_OFFCPU_BPF_H
#define LATGOV_OFFCPU_BPF_H

#include "compat.bpf.h"
#include "counters.bpf.h"
#include "latgov/abi.h"
#include "latgov/sched.h"

/*
 * Walking the kernel stack at every switch-out is the off-CPU profile's
 * largest cost (tools/bench/NOTES.md has what it was measured at). A
 * session that must stay cheap turns it off; on-CPU samples keep their
 * kernel stacks.
 */
const volatile __u32 offcpu_kernel_stacks = 1;

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, LG_MAX_STACKS);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, LG_STACK_DEPTH * sizeof(__u64));
} prof_stacks SEC(".maps");

/*
 * Where a thread left the CPU, as far as registers tell: the user
 * instruction and stack pointers, the word on top of its stack, the syscall
 * and the kind of switch. The stacks walked there are remembered by it.
 */
struct stack_site {
	__u64 ip, sp, top, nr;
	__u32 tid;
	__u32 runnable;
};

struct stack_ids {
	__s32 kstack_id;
	__s32 ustack_id;
};

/* A cache: LRU, so sites not seen for a while make room for new ones. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4 * LG_MAX_THREADS);
	__type(key, struct stack_site);
	__type(value, struct stack_ids);
} prof_sites SEC(".maps");

/* Samples or ns per {tgid, stacks, phase, endpoint}. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_MAX_STACK_KEYS);
	__type(key, struct lg_stack_key);
	__type(value, __u64);
} prof_counts SEC(".maps");

/*
 * The value of key in a hash map, inserted as init if missing: NULL only if
 * the map is full (counted as lost). A racing insert of the same key by
 * another CPU is no failure: the lookup after it finds that one.
 */
static __always_inline void *lookup_or_init(void *map, const void *key, const void *init,
					    __u32 lost_counter)
{
	void *v = bpf_map_lookup_elem(map, key);
	int err;

	if (v)
		return v;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count(lost_counter);
		return NULL;
	}
	return bpf_map_lookup_elem(map, key);
}

static const __u64 zero_count;

static __always_inline void prof_add(struct lg_stack_key *key, __u64 v)
{
	__u64 *cur;

	if (!v)
		return;
	cur = lookup_or_init(&prof_counts, key, &zero_count, LG_CNT_STACK_MAP_FULL);
	if (cur)
		__sync_fetch_and_add(cur, v);
}

/* An off-CPU span's parts under key's stacks and endpoint, each phase its own count. */
static __always_inline void prof_add_span(struct lg_stack_key *key, const struct lg_span *span)
{
	key->phase = LG_PHASE_BLOCKED;
	prof_add(key, span->blocked_ns);
	key->phase = LG_PHASE_RUNQ;
	prof_add(key, span->runq_ns);
	key->phase = LG_PHASE_THROTTLED;
	prof_add(key, span->throttled_ns);
}

/* A stack id, or -1 for "no stack"; real failures are counted. */
static __always_inline __s32 stack_id(void *ctx, __u64 flags)
{
	int id = bpf_get_stackid(ctx, &prof_stacks, flags);

	if (id >= 0)
		return id;
	/* -EFAULT: nothing to walk (a user-mode sample has no kernel stack). */
	if (id != -EFAULT)
		count(LG_CNT_STACK_LOST);
	return -1;
}

/*
 * Where prev, which is leaving the CPU, leaves it from (in tp_btf the
 * current task is still prev). Walking its stacks is most of the off-CPU
 * cost, and a server thread leaves the CPU from a few places, again and
 * again (in epoll_wait between requests, preempted on the way out of a
 * send): the same user instruction and stack pointer, top of stack, syscall
 * and kind of switch as at an earlier walk reuse its stacks. Two call
 * chains that reach one syscall site at the same stack depth with the same
 * word on top would share a stack: the price.
 */
static __always_inline void read_site(struct task_struct *prev, __u32 tid, int runnable,
				      struct stack_site *site)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(prev);

	/* A BTF pointer: direct loads, no probe-read helper calls. */
	site->ip = regs->ip;
	site->sp = regs->sp;
	site->nr = regs->orig_ax;
	site->top = 0;
	site->tid = tid;
	site->runnable = (__u32)runnable;
	/* The frame pointer is any register in code built without one: not used. */
	if (site->sp)
		bpf_probe_read_user(&site->top, sizeof(site->top), (const void *)site->sp);
}

/* The stacks of a site: the cached ones, or walked now (and cached). */
static __always_inline void walk_site(void *ctx, const struct stack_site *site, __s32 *kstack_id,
				      __s32 *ustack_id)
{
	struct stack_ids walked, *ids;

	ids = bpf_map_lookup_elem(&prof_sites, site);
	if (ids && ids->ustack_id >= 0) {
		*kstack_id = ids->kstack_id;
		*ustack_id = ids->ustack_id;
		return;
	}
	walked.kstack_id = offcpu_kernel_stacks ? stack_id(ctx, 0) : -1;
	walked.ustack_id = stack_id(ctx, BPF_F_USER_STACK);
	*kstack_id = walked.kstack_id;
	*ustack_id = walked.ustack_id;
	bpf_map_update_elem(&prof_sites, site, &walked, BPF_ANY);
}

static __always_inline void walk_stacks(void *ctx, struct task_struct *prev, __u32 tid,
					int runnable, __s32 *kstack_id, __s32 *ustack_id)
{
	struct stack_site site = {};

	read_site(prev, tid, runnable, &site);
	walk_site(ctx, &site, kstack_id, ustack_id);
}

#endif /* LATGOV_OFFCPU_BPF_H */
