/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The request tracer's target set: the processes it traces, followed across
 * forks, and the local ports worth a look in softirq context, where the
 * current task is not the target's.
 */
#ifndef LATGOV_TARGETS_BPF_H
#define LATGOV_TARGETS_BPF_H

#include "compat.bpf.h"
#include "counters.bpf.h"
#include "latgov/abi.h"
#include "latgov/conn.h"

/*
 * Local ports worth a look in softirq context (LG_PORT_* bits), indexed by
 * port. A byte load rejects foreign segments before any map lookup. User
 * space seeds the listening ports of the targets; listen() and outgoing
 * connections of targets add theirs. Bits are never cleared (a stale bit
 * costs one failed lookup, never a wrong record).
 */
__u8 port_watch[65536];

static __always_inline __u8 *port_slot(__u32 port)
{
	return &port_watch[lg_port_index(port)];
}

/*
 * The target set: lg_targets is the authority (user space counts and lists
 * it); target_bits mirrors it as a bitmap indexed by tgid, because a bit test
 * is what every socket event of every process on the machine pays, where a
 * hash lookup is a helper call. Kernel pid_max is at most 2^22.
 */
__u64 target_bits[LG_PID_WORDS];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_MAX_TARGETS);
	__type(key, __u32);			/* tgid */
	__type(value, struct lg_target);
} lg_targets SEC(".maps");

static __always_inline int is_target(__u32 tgid)
{
	return (target_bits[(tgid >> 6) & (LG_PID_WORDS - 1)] >> (tgid & 63)) & 1;
}

/* A target's new child process is a target too (a new thread is covered by its tgid). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(lg_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct lg_target t = {};

	if (ptgid == ctgid || !is_target(ptgid))
		return 0;
	if (bpf_map_update_elem(&lg_targets, &ctgid, &t, BPF_ANY)) {
		count(LG_CNT_TARGET_MAP_FULL);
		return 0;
	}
	__sync_fetch_and_or(&target_bits[(ctgid >> 6) & (LG_PID_WORDS - 1)], 1ull << (ctgid & 63));
	return 0;
}

/* The last thread of a target's group exits (signal->live already dropped to 0): it leaves the set. */
static __always_inline void target_exit(struct task_struct *p)
{
	__u32 tgid = p->tgid;

	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return;
	__sync_fetch_and_and(&target_bits[(tgid >> 6) & (LG_PID_WORDS - 1)], ~(1ull << (tgid & 63)));
	bpf_map_delete_elem(&lg_targets, &tgid);
}

#endif /* LATGOV_TARGETS_BPF_H */
