/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scheduler attribution of requests (include/latgov/sched.h): each target
 * thread's switches and wakeups add up its run-queue, blocked and throttled
 * time; a request's split is the difference of those totals at its read and
 * its last write (conn.h), and the thread carries the in-flight request's
 * route key for the profiler. With prof_shared, the switch-out also notes
 * where the thread left the CPU (offcpu.bpf.h) and the switch-in adds the
 * span under those stacks, so that --flame needs no scheduler program of its
 * own.
 */
#ifndef LATGOV_SCHED_ATTR_BPF_H
#define LATGOV_SCHED_ATTR_BPF_H

#include "compat.bpf.h"
#include "counters.bpf.h"
#include "offcpu.bpf.h"
#include "sched.bpf.h"
#include "targets.bpf.h"
#include "latgov/conn.h"
#include "latgov/sched.h"

/*
 * Scheduler attribution, on when user space sets this before load (it also
 * loads lg_sched_switch and lg_sched_wakeup then). Off, the verifier drops
 * every branch that tests it.
 */
const volatile __u32 sched_on = 0;

/*
 * Off-CPU stacks for the profiler (prof_shared, set by user space before
 * load when --flame runs with scheduler attribution). The profiler reuses
 * prof_counts and prof_stacks and loads only its sampler: a second
 * sched_switch and sched_wakeup program of its own would cost a second
 * clock read, split and lookups per switch. User space shrinks these maps
 * to one entry when they are not shared.
 */
const volatile __u32 prof_shared = 0;
const volatile __u64 prof_min_span_ns = 0;
const volatile __u32 prof_requests_only = 0;	/* only spans with a request in flight */
/* Set while the profiler runs (from its attach to its collection), so that its spans cover its time. */
__u32 prof_on = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lg_sched_hist);
} lg_sched_hist SEC(".maps");

static __always_inline struct lg_oncpu *oncpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lg_oncpu, &zero);
}

/*
 * A target thread's scheduler state; if create, made zeroed when missing,
 * and NULL then (counted) when the kernel cannot allocate it or refuses a
 * nested use of task storage on this CPU.
 */
static __always_inline struct lg_thread *thread_of(struct task_struct *task, int create)
{
	struct lg_thread *t = bpf_task_storage_get(&lg_threads, task, 0,
						   create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);

	if (!t && create)
		count(LG_CNT_THREAD_MAP_FULL);
	return t;
}

/*
 * The route key of c's request (its cache updated): a global function, so
 * that the verifier checks the protocols' parsing once per program rather
 * than for every state that reaches a read (as in the answer functions of
 * proto.bpf.h). 0 if c is NULL.
 */
__noinline __u32 conn_route_key(struct lg_conn *c)
{
	if (!c)
		return 0;
	return lg_route_key_cached(&c->route, c->req.req_prefix, c->req.req_len, c->req.lport);
}

/*
 * After a data event of thread tid on c (and once c's prefixes and write
 * ends are noted): the thread's totals at the first read of a request and
 * at each write of its answer; a server's request marks its thread in flight.
 */
static __always_inline void sched_note(struct lg_conn *c, int dir, __u32 tid)
{
	struct lg_thread *t;
	struct lg_oncpu *o;
	__u32 key;
	int more;

	if (dir == conn_request_dir(c)) {
		if (c->state != LG_CONN_REQUEST || c->req.reads != 1 || c->sched_ok)
			return;
		key = c->req.role == LG_ROLE_SERVER ? conn_route_key(c) : 0;
		/* The CPU's copy of this thread if it is there (it is, once the thread was switched in). */
		o = oncpu();
		if (o && o->tid == tid) {
			conn_sched_read_totals(c, o->runq_ns, o->blocked_ns, o->throttled_ns);
			if (key)
				sched_oncpu_request_begins(o, key);
			return;
		}
		t = thread_of(bpf_get_current_task_btf(), 1);
		if (!t)
			return;
		conn_sched_read(c, t);
		if (key)
			sched_request_begins(t, key);
		return;
	}
	if (c->state != LG_CONN_RESPONSE || tid != c->req.tid)
		return;
	more = lg_proto_more_follows(&c->answer);
	o = oncpu();
	if (o && o->tid == tid) {
		conn_sched_write_totals(c, o->runq_ns, o->blocked_ns, o->throttled_ns);
		if (c->req.role == LG_ROLE_SERVER)
			sched_oncpu_answer_write(o, more);
		return;
	}
	t = thread_of(bpf_get_current_task_btf(), 0);
	if (!t)
		return;
	conn_sched_write(c, t);
	if (c->req.role == LG_ROLE_SERVER)
		sched_answer_write(t, more);
}

/* The thread's pending off-CPU time (struct lg_thread) into prof_counts. */
static __always_inline void prof_flush_pending(struct lg_thread *t)
{
	struct lg_stack_key key = {
		.tgid = t->pend_tgid, .kstack_id = t->pend_kstack_id, .ustack_id = t->pend_ustack_id,
		.endpoint = t->pend_endpoint,
	};
	struct lg_span span = {
		.runq_ns = t->pend_ns[LG_PHASE_RUNQ], .blocked_ns = t->pend_ns[LG_PHASE_BLOCKED],
		.throttled_ns = t->pend_ns[LG_PHASE_THROTTLED],
	};

	if (!t->pend_set)
		return;
	prof_add_span(&key, &span);
	t->pend_set = 0;
}

/*
 * The profiler's part of a switch-in (prof_shared): the span's parts under
 * the stacks it left from, and the tag it had then (t->endpoint is
 * unchanged since the switch-out). Added to the thread's pending time while
 * the key stays the same (stacks_set: the next switch-out sets or clears it),
 * so that a thread that sleeps in one place pays no map update per switch.
 */
static __always_inline void prof_span(struct lg_thread *t, __u32 tgid, __u64 span_ns,
				      const struct lg_span *span)
{
	if (span_ns < prof_min_span_ns)
		return;
	if (!t->pend_set || t->pend_tgid != tgid || t->pend_kstack_id != t->kstack_id ||
	    t->pend_ustack_id != t->ustack_id || t->pend_endpoint != t->endpoint) {
		prof_flush_pending(t);
		t->pend_tgid = tgid;
		t->pend_kstack_id = t->kstack_id;
		t->pend_ustack_id = t->ustack_id;
		t->pend_endpoint = t->endpoint;
		t->pend_ns[LG_PHASE_RUNQ] = 0;
		t->pend_ns[LG_PHASE_BLOCKED] = 0;
		t->pend_ns[LG_PHASE_THROTTLED] = 0;
		t->pend_set = 1;
	}
	t->pend_ns[LG_PHASE_RUNQ] += span->runq_ns;
	t->pend_ns[LG_PHASE_BLOCKED] += span->blocked_ns;
	t->pend_ns[LG_PHASE_THROTTLED] += span->throttled_ns;
}

/*
 * The stacks prev leaves the CPU with, into t: those of its last switch-out
 * if it leaves from the same place (no site-cache lookup), else the site
 * cache's or a walk's.
 */
static __always_inline void note_stacks(void *ctx, struct task_struct *prev, struct lg_thread *t,
					int runnable)
{
	struct stack_site site = {};

	read_site(prev, prev->pid, runnable, &site);
	if (t->site_set && t->site_ip == site.ip && t->site_sp == site.sp &&
	    t->site_top == site.top && t->site_nr == site.nr && t->site_runnable == site.runnable)
		return;
	walk_site(ctx, &site, &t->kstack_id, &t->ustack_id);
	t->site_ip = site.ip;
	t->site_sp = site.sp;
	t->site_top = site.top;
	t->site_nr = site.nr;
	t->site_runnable = site.runnable;
	t->site_set = t->ustack_id >= 0;	/* as the site cache: a failed walk is tried again */
}

static __always_inline void hist_add(__u64 *buckets, __u64 *sum, __u64 ns)
{
	if (!ns)
		return;
	buckets[sched_hist_bucket(ns) & (LG_SCHED_HIST_BUCKETS - 1)]++;
	*sum += ns;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(lg_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct lg_oncpu *o = oncpu(), prev_copy = {};	/* an inlined array access */
	__u32 tid, zero = 0, prev_tag = 0;
	__u64 now = 0;
	struct lg_thread *t;

	/* prev's tag from the CPU's copy, which next's switch-in replaces below. */
	if (o && o->tid && o->tid == prev->pid) {
		/* Only the tag goes back (sched_oncpu_out): no copy of the totals. */
		prev_tag = 1;
		prev_copy.endpoint = o->endpoint;
		prev_copy.answered = o->answered;
		prev_copy.more = o->more;
	}
	if (is_target(next->tgid)) {
		tid = next->pid;
		t = bpf_task_storage_get(&lg_threads, next, 0, 0);
		if (t && t->t_out) {
			struct lg_sched_hist *h = bpf_map_lookup_elem(&lg_sched_hist, &zero);
			__u64 t_out = t->t_out;
			struct lg_span span;

			now = bpf_ktime_get_ns();
			sched_switch_in(t, now, &span);
			if (prof_shared && t->stacks_set)
				prof_span(t, next->tgid, now - t_out, &span);
			if (h) {
				hist_add(h->runq, &h->runq_ns, span.runq_ns);
				hist_add(h->blocked, &h->blocked_ns, span.blocked_ns);
				hist_add(h->throttled, &h->throttled_ns, span.throttled_ns);
			}
		}
		if (o)
			sched_oncpu_in(o, tid, t);	/* after the switch-in: its totals as of now */
	} else if (prev_tag) {
		o->tid = 0;
	}
	if (is_target(prev->tgid) && prev->pid && !(prev_state & LG_TASK_DEAD)) {
		int runnable = lg_switch_runnable(preempt, prev_state);

		t = thread_of(prev, 1);
		if (!t)
			return 0;
		if (prev_tag)
			sched_oncpu_out(&prev_copy, t);
		if (!now)
			now = bpf_ktime_get_ns();
		sched_switch_out(t, now, runnable, runnable && lg_task_throttled(prev));
		/* t->endpoint is now the tag of the span (sched_tag_at_switch_out) */
		t->stacks_set = 0;
		if (prof_shared && prof_on && (!prof_requests_only || t->endpoint)) {
			note_stacks(ctx, prev, t, runnable);
			t->stacks_set = 1;
		}
	}
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(lg_sched_wakeup, struct task_struct *p)
{
	struct lg_thread *t;

	if (!is_target(p->tgid))
		return 0;
	t = bpf_task_storage_get(&lg_threads, p, 0, 0);
	/* The throttle test (CO-RE reads) only for a sleeper's first wakeup. */
	if (t && t->t_out && t->phase == LG_PHASE_BLOCKED && !t->t_wake)
		sched_wakeup(t, bpf_ktime_get_ns(), lg_task_throttled(p));
	return 0;
}

/*
 * The profiler's collection (prof_shared): every thread's pending off-CPU
 * time into prof_counts. User space reads this iterator once, after it
 * stopped the noting of stacks; task storage has no key walk of its own.
 */
SEC("iter/task")
int lg_pending_flush(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct lg_thread *t;

	if (!task || !prof_shared)
		return 0;
	t = bpf_task_storage_get(&lg_threads, task, 0, 0);
	if (t)
		prof_flush_pending(t);
	return 0;
}

/* A target thread exits: its pending off-CPU time is not lost with it, and its state goes. */
static __always_inline void sched_thread_exit(struct task_struct *p)
{
	struct lg_oncpu *o = oncpu();

	if (prof_shared) {
		struct lg_thread *t = bpf_task_storage_get(&lg_threads, p, 0, 0);

		if (t)
			prof_flush_pending(t);
	}
	if (o && o->tid == p->pid)
		o->tid = 0;
	bpf_task_storage_delete(&lg_threads, p);
}

#endif /* LATGOV_SCHED_ATTR_BPF_H */
