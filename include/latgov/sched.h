/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Scheduler attribution, shared by bpf/requests.bpf.c (the split of each
 * request), bpf/profile.bpf.c (off-CPU stacks and the latency flame's
 * in-flight tag) and the unit tests. Helper-free static inline code.
 *
 * Per target thread (struct lg_thread): switch-out notes when and why it
 * left the CPU (runnable: preempted, or its CFS group throttled; or going
 * to sleep); a wakeup notes when a sleeper became runnable; switch-in splits
 * the span since switch-out into blocked (until the wakeup) and a wait for
 * the CPU (after it), which is throttled if the group was throttled at the
 * wakeup or the switch-out, run-queue otherwise, and adds them to the
 * thread's running totals. A request's split is the difference of those
 * totals at its read and at its last write (conn.h); on-CPU is the rest of
 * that wall time.
 *
 * In flight: a request is in flight on the thread that read it from that
 * read until its answer is done, which is when the thread goes to sleep
 * after a write of the answer that did not end with a header or a chunk
 * (CRLF: more may follow, see conn_note_chunks). Time after the last write
 * but before that sleep (an event loop's bookkeeping) counts as in flight.
 */
#ifndef LATGOV_SCHED_H
#define LATGOV_SCHED_H

#include "latgov/abi.h"

#define LG_SCHED_FN static inline __attribute__((always_inline))

/* The parts of an off-CPU span. */
struct lg_span {
	__u64 blocked_ns;
	__u64 runq_ns;
	__u64 throttled_ns;
};

/*
 * Splits the span [t_out, now] of a thread that left the CPU in phase
 * (LG_PHASE_*): a sleeper woken at t_wake (0: not seen) was blocked until
 * then and waited for the CPU after. The wait counts as throttled if
 * throttled is set (its group was throttled when it became runnable).
 */
LG_SCHED_FN void sched_split(__u32 phase, __u64 t_out, __u64 t_wake, int throttled, __u64 now,
			     struct lg_span *s)
{
	__u64 wait_from = t_out;

	s->blocked_ns = s->runq_ns = s->throttled_ns = 0;
	if (now <= t_out)
		return;
	if (phase == LG_PHASE_BLOCKED) {
		if (!t_wake || t_wake < t_out || t_wake > now) {
			/* The wakeup was not seen (attached meanwhile): all of it was sleep. */
			s->blocked_ns = now - t_out;
			return;
		}
		s->blocked_ns = t_wake - t_out;
		wait_from = t_wake;
	} else if (phase == LG_PHASE_THROTTLED) {
		throttled = 1;
	}
	if (throttled)
		s->throttled_ns = now - wait_from;
	else
		s->runq_ns = now - wait_from;
}

/*
 * The endpoint a thread's time is tagged with as it leaves the CPU: none if
 * it goes to sleep with its answer done (the wait for the next request is
 * not the last one's time).
 */
LG_SCHED_FN __u32 sched_tag_at_switch_out(const struct lg_thread *t, int runnable)
{
	if (!runnable && t->answered && !t->more)
		return 0;
	return t->endpoint;
}

/* The thread leaves the CPU at now: runnable (preempted), possibly throttled, or to sleep. */
LG_SCHED_FN void sched_switch_out(struct lg_thread *t, __u64 now, int runnable, int throttled)
{
	if (!runnable && t->answered && !t->more) {
		t->endpoint = 0;
		t->answered = 0;
	}
	t->t_out = now;
	t->t_wake = 0;
	t->wake_throttled = 0;
	t->phase = runnable ? (throttled ? LG_PHASE_THROTTLED : LG_PHASE_RUNQ) : LG_PHASE_BLOCKED;
}

/* A sleeping thread became runnable at now; throttled: its group is throttled. */
LG_SCHED_FN void sched_wakeup(struct lg_thread *t, __u64 now, int throttled)
{
	if (t->t_out && t->phase == LG_PHASE_BLOCKED && !t->t_wake) {
		t->t_wake = now;
		t->wake_throttled = (__u8)throttled;
	}
}

/* The thread is back on a CPU at now: adds its span to the totals and returns its parts in *s. */
LG_SCHED_FN void sched_switch_in(struct lg_thread *t, __u64 now, struct lg_span *s)
{
	if (!t->t_out) {
		s->blocked_ns = s->runq_ns = s->throttled_ns = 0;
		return;
	}
	sched_split(t->phase, t->t_out, t->t_wake, t->wake_throttled, now, s);
	t->blocked_ns += s->blocked_ns;
	t->runq_ns += s->runq_ns;
	t->throttled_ns += s->throttled_ns;
	t->t_out = 0;
}

/* A request read by this thread begins; endpoint is its route key (0: do not tag). */
LG_SCHED_FN void sched_request_begins(struct lg_thread *t, __u32 endpoint)
{
	t->endpoint = endpoint;
	t->answered = 0;
	t->more = 0;
}

/* The thread wrote part of the answer; more: that write ended with a header or a chunk. */
LG_SCHED_FN void sched_answer_write(struct lg_thread *t, int more)
{
	t->answered = 1;
	t->more = (__u8)more;
}

/*
 * The target thread running on a CPU (a per-CPU entry of the tracer's
 * lg_oncpu): its totals, which only its switch-in changes, and its in-flight
 * tag, which its own reads and writes change while it runs. Its socket hooks
 * use this instead of looking its lg_thread up (a map lookup in each of a
 * request's read and answer); its switch-out hands the tag back to the
 * lg_thread (sched_oncpu_out). tid 0: no thread.
 */
struct lg_oncpu {
	__u32 tid;
	__u32 endpoint;
	__u8  answered;
	__u8  more;
	__u8  pad[6];
	__u64 runq_ns, blocked_ns, throttled_ns;
};

/* Thread tid, whose state is t (NULL: none kept), is switched in on this CPU. */
LG_SCHED_FN void sched_oncpu_in(struct lg_oncpu *o, __u32 tid, const struct lg_thread *t)
{
	if (!t) {
		o->tid = 0;
		return;
	}
	o->tid = tid;
	o->endpoint = t->endpoint;
	o->answered = t->answered;
	o->more = t->more;
	o->runq_ns = t->runq_ns;
	o->blocked_ns = t->blocked_ns;
	o->throttled_ns = t->throttled_ns;
}

/* The thread leaves the CPU: its tag goes back to its lg_thread, before sched_switch_out. */
LG_SCHED_FN void sched_oncpu_out(const struct lg_oncpu *o, struct lg_thread *t)
{
	t->endpoint = o->endpoint;
	t->answered = o->answered;
	t->more = o->more;
}

/* sched_request_begins and sched_answer_write, on the CPU's copy of the thread. */
LG_SCHED_FN void sched_oncpu_request_begins(struct lg_oncpu *o, __u32 endpoint)
{
	o->endpoint = endpoint;
	o->answered = 0;
	o->more = 0;
}

LG_SCHED_FN void sched_oncpu_answer_write(struct lg_oncpu *o, int more)
{
	o->answered = 1;
	o->more = (__u8)more;
}

/* log2 bucket of a span in ns, counted in microseconds (see struct lg_sched_hist). */
LG_SCHED_FN __u32 sched_hist_bucket(__u64 ns)
{
	__u64 us = ns / 1000;
	__u32 b = 0;

	if (us >> 16) { us >>= 16; b += 16; }
	if (us >> 8) { us >>= 8; b += 8; }
	if (us >> 4) { us >>= 4; b += 4; }
	if (us >> 2) { us >>= 2; b += 2; }
	if (us >> 1) b += 1;
	return b < LG_SCHED_HIST_BUCKETS ? b : LG_SCHED_HIST_BUCKETS - 1;
}

#endif /* LATGOV_SCHED_H */
