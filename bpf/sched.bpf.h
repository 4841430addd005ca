/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BPF-only scheduler maps and helpers shared by requests.bpf.c and
 * profile.bpf.c: the definitions of the maps the profiler reuses. (The
 * kernel-version differences of CFS throttling are in compat.bpf.h.)
 */
#ifndef LATGOV_SCHED_BPF_H
#define LATGOV_SCHED_BPF_H

#include "compat.bpf.h"
#include "latgov/abi.h"
#include "latgov/sched.h"

/*
 * The maps both objects declare: the profiler reuses the tracer's by fd
 * (bpf_map__reuse_fd), which needs the same definition in each.
 *
 * lg_threads: per target thread, scheduler totals and the request in
 * flight. Task-local storage, not a hash by tid: the lookup at each
 * switch-in, switch-out and wakeup is a pointer chase from the task rather
 * than a hash, and a thread's entry goes with the task. User space reaches
 * entries through a pidfd key or the tracer's lg_pending_flush task
 * iterator.
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

/* A switch-out that leaves the task runnable: preempted, or yielding while TASK_RUNNING. */
static __always_inline int lg_switch_runnable(bool preempt, unsigned int prev_state)
{
	return preempt || prev_state == LG_TASK_RUNNING;
}

#endif /* LATGOV_SCHED_BPF_H */
