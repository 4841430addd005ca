/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BPF-only scheduler helpers shared by requests.bpf.c and profile.bpf.c: the
 * kernel-version differences of CFS throttling live here, once.
 */
#ifndef LATGOV_SCHED_BPF_H
#define LATGOV_SCHED_BPF_H

#define LG_TASK_RUNNING 0
#define LG_TASK_DEAD    0x80

/*
 * Is t's CFS group throttled? Before 6.18 a throttled cfs_rq is taken off the
 * CPU whole; since 6.18 (task-based throttling) each task is dequeued on its
 * way back to user space and marked p->throttled. throttle_count counts the
 * throttled cfs_rqs from this one up (itself included), so it also covers a
 * throttled parent group; cfs_rq->throttled, a bit-field since 6.18, is not
 * needed (and clang 14 cannot relocate that bit-field).
 */
static __always_inline int lg_task_throttled(struct task_struct *t)
{
	/*
	 * t is a BTF pointer (tp_btf arguments): direct loads, which the JIT
	 * makes plain fault-guarded moves, where BPF_CORE_READ would call the
	 * probe-read helper once per field.
	 */
	struct cfs_rq *cfs_rq = t->se.cfs_rq;

	if (bpf_core_field_exists(t->throttled) && t->throttled)
		return 1;
	if (!cfs_rq)
		return 0;
	return cfs_rq->throttle_count > 0;
}

/* A switch-out that leaves the task runnable: preempted, or yielding while TASK_RUNNING. */
static __always_inline int lg_switch_runnable(bool preempt, unsigned int prev_state)
{
	return preempt || prev_state == LG_TASK_RUNNING;
}

#endif
