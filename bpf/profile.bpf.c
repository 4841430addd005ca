// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stacks for the flame outputs, counted in the kernel.
 *
 * On-CPU: a perf_event program on a CPU-clock event per CPU; each sample of a
 * target thread adds 1 to {tgid, kernel stack, user stack, phase, endpoint}.
 *
 * Off-CPU: at switch-out (tp_btf/sched_switch) a target thread's stacks, time
 * and why it left (preempted or throttled while runnable, or going to sleep)
 * are kept per thread; sched_wakeup marks when a sleeper became runnable; at
 * switch-in the span is split and added, in ns: sleep time as blocked, the
 * wait after wakeup or preemption as run-queue (or throttled, when the
 * thread's CFS group was throttled). Spans shorter than min_span_ns are not
 * recorded, which bounds map updates on busy systems.
 *
 * Targets: tgids in prof_targets, which user space fills; a target's forked
 * children join it (workers of a pre-forking server). Endpoint: the route
 * key of the request in flight on the thread, from the tracer's lg_threads
 * map, which user space hands in (see include/latgov/sched.h).
 *
 * Its other maps are its own (prof_*) so that it loads next to the request
 * tracer. With the tracer's scheduler attribution on, the tracer's
 * sched_switch does the off-CPU work (offcpu.bpf.h) and only the sampler
 * and the fork hook here are loaded.
 */
#include "compat.bpf.h"
#include "counters.bpf.h"
#include "latgov/abi.h"
#include "latgov/sched.h"
#include "offcpu.bpf.h"
#include "sched.bpf.h"

char LICENSE[] SEC("license") = "GPL";


const volatile __u64 min_span_ns = 10000;
const volatile __u32 requests_only = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct lg_target);
} prof_targets SEC(".maps");

/*
 * prof_targets as a bitmap indexed by tgid: the test every context switch
 * and sample on the machine pays, where a hash lookup costs several times
 * as much. The map stays the list user space reads; both are set together.
 */
__u64 prof_target_bits[LG_PID_WORDS];

static __always_inline int is_target(__u32 tgid)
{
	return (prof_target_bits[(tgid >> 6) & (LG_PID_WORDS - 1)] >> (tgid & 63)) & 1;
}

/*
 * A target thread: while off-CPU (t_out != 0) since when, why, and where it
 * was. The entry stays while the thread lives (no insert and delete per
 * switch); the stacks of the places it left from are in prof_sites.
 */
struct offcpu {
	__u64 t_out;		/* 0 while on a CPU */
	__u64 t_wake;		/* 0 until woken (blocked threads only) */
	__u32 tgid;
	__s32 kstack_id;
	__s32 ustack_id;
	__u32 phase;		/* RUNQ, THROTTLED or BLOCKED at switch-out */
	__u32 endpoint;
	__u32 wake_throttled;	/* its group was throttled when it was woken */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct offcpu);
} prof_threads SEC(".maps");

static const struct offcpu zero_offcpu;

/* The endpoint of the request in flight on task; at a switch-out, by the rule of sched.h. */
static __always_inline __u32 endpoint_of(struct task_struct *task, __u32 tid, int switch_out,
					 int runnable)
{
	struct lg_thread *t;
	__u32 zero = 0;

	if (!switch_out) {
		/* A sample of the running thread: the tracer keeps its tag in the CPU's copy. */
		struct lg_oncpu *o = bpf_map_lookup_elem(&lg_oncpu, &zero);

		if (o && o->tid == tid)
			return o->endpoint;
	}
	t = bpf_task_storage_get(&lg_threads, task, 0, 0);
	if (!t)
		return 0;
	return switch_out ? sched_tag_at_switch_out(t, runnable) : t->endpoint;
}

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct lg_stack_key key = {};

	if (!tid || !is_target(tgid))
		return 0;
	key.endpoint = endpoint_of(bpf_get_current_task_btf(), tid, 0, 0);
	if (requests_only && !key.endpoint)
		return 0;
	key.tgid = tgid;
	key.phase = LG_PHASE_ONCPU;
	key.kstack_id = stack_id(ctx, 0);
	key.ustack_id = stack_id(ctx, BPF_F_USER_STACK);
	prof_add(&key, 1);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(profile_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u32 prev_tid = prev->pid, prev_tgid = prev->tgid, next_tid = next->pid;
	struct offcpu *st = NULL;
	__u64 now = 0;

	/*
	 * Switch-in first: the span of the thread coming back. Most switches
	 * on a busy machine have a foreign task on one side (the load
	 * generator, kworkers, idle): the bitmap test keeps the clock and the
	 * lookup for target threads, which alone have entries.
	 */
	if (is_target(next->tgid)) {
		now = bpf_ktime_get_ns();
		st = bpf_map_lookup_elem(&prof_threads, &next_tid);
	}
	if (st && st->t_out) {
		struct lg_stack_key key = {
			.tgid = st->tgid, .kstack_id = st->kstack_id, .ustack_id = st->ustack_id,
			.endpoint = st->endpoint,
		};
		struct lg_span span;

		if (now - st->t_out >= min_span_ns) {
			sched_split(st->phase, st->t_out, st->t_wake, st->wake_throttled, now, &span);
			prof_add_span(&key, &span);
		}
		st->t_out = 0;
	}

	if (!prev_tid || (prev_state & LG_TASK_DEAD) || !is_target(prev_tgid))
		return 0;
	{
		int runnable = lg_switch_runnable(preempt, prev_state);
		__u32 endpoint = endpoint_of(prev, prev_tid, 1, runnable);

		if (requests_only && !endpoint)
			return 0;
		if (!now)
			now = bpf_ktime_get_ns();
		st = lookup_or_init(&prof_threads, &prev_tid, &zero_offcpu, LG_CNT_THREAD_MAP_FULL);
		if (!st)
			return 0;
		st->t_out = now;
		st->t_wake = 0;
		st->wake_throttled = 0;
		st->tgid = prev_tgid;
		st->endpoint = endpoint;
		if (runnable)
			st->phase = lg_task_throttled(prev) ? LG_PHASE_THROTTLED : LG_PHASE_RUNQ;
		else
			st->phase = LG_PHASE_BLOCKED;
		walk_stacks(ctx, prev, prev_tid, runnable, &st->kstack_id, &st->ustack_id);
	}
	return 0;
}

/* A target thread's exit: its entry goes (entries stay across switches). */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(profile_exit, struct task_struct *p)
{
	__u32 tid = p->pid;

	bpf_map_delete_elem(&prof_threads, &tid);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(profile_wakeup, struct task_struct *p)
{
	__u32 tid = p->pid;
	struct offcpu *st;

	if (!is_target(p->tgid))
		return 0;	/* a bit test, not a lookup, for the wakeups of other tasks */
	st = bpf_map_lookup_elem(&prof_threads, &tid);
	if (st && st->t_out && st->phase == LG_PHASE_BLOCKED && !st->t_wake) {
		st->t_wake = bpf_ktime_get_ns();
		st->wake_throttled = lg_task_throttled(p);
	}
	return 0;
}

/* A target's new child process is a target too (a thread is already one). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(profile_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct lg_target t = {};

	if (ptgid == ctgid || !is_target(ptgid))
		return 0;
	if (bpf_map_update_elem(&prof_targets, &ctgid, &t, BPF_NOEXIST) && !bpf_map_lookup_elem(&prof_targets, &ctgid)) {
		count(LG_CNT_TARGET_MAP_FULL);
		return 0;
	}
	__sync_fetch_and_or(&prof_target_bits[(ctgid >> 6) & (LG_PID_WORDS - 1)], 1ull << (ctgid & 63));
	return 0;
}
