/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BPF-only scheduler helpers and maps shared by requests.bpf.c and
 * profile.bpf.c: the kernel-version differences of CFS throttling live here,
 * once, and so do the definitions of the maps the profiler reuses.
 */
#ifndef LATGOV_SCHED_BPF_H
#define LATGOV_SCHED_BPF_H

#define LG_TASK_RUNNING 0
#define LG_TASK_DEAD    0x80

/*
 * The maps both objects declare: the profiler reuses the tracer's by fd
 * (bpf_map__reuse_fd), which needs the same definition in each.
 *
 * lg_threads: per target thread, scheduler totals and the request in
 * flight. Task-local storage, not a hash by tid: the lookup at each
 * switch-in, switch-out and wakeup is a pointer chase from the task
 * (sched_switch went from 646 to 546 instructions a call), and a thread's
 * entry goes with the task. User space reaches entries through a pidfd key
 * or the tracer's lg_pending_flush task iterator.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lg_thread);
} lg_threads SEC(".maps");

/* The target thread on each CPU (struct lg_oncpu, sched.h): its tag while it runs, for the sampler. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lg_oncpu);
} lg_oncpu SEC(".maps");

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
