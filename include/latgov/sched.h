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
 * use this instead of looking its lg_thread up (a hash lookup cost ~150
 * instructions in each of a request's read and answer); its switch-out hands
 * the tag back to the lg_thread (sched_oncpu_out). tid 0: no thread.
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

/*
 * The bytes of w equal to c, as the top bit of each such byte. Exact: the
 * sum cannot carry from one byte into the next (the well-known "has zero
 * byte" trick with the subtraction can flag a byte above a match).
 */
LG_SCHED_FN __u64 lg_bytes_eq(__u64 w, __u8 c)
{
	const __u64 low7 = 0x7f7f7f7f7f7f7f7full;
	__u64 v = w ^ (c * 0x0101010101010101ull);

	return ~(((v & low7) + low7) | v | low7);
}

/*
 * The route key of a request: which endpoint its time is tagged with in the
 * kernel, where the request line cannot be parsed. A hash of the line up to
 * the end of its path (the query, the version and the headers are left
 * out), mixed with the local port; for anything that does not start like an
 * HTTP method (an upper-case letter), the port alone, as its endpoint is
 * "tcp:PORT". User space computes the same key from each record's prefix to
 * learn which endpoint name a key stands for; keys of different paths that
 * template to one route name the same endpoint. Never 0 (0 = untagged).
 *
 * p is a record's whole prefix buffer (LG_REQ_PREFIX bytes, 8-byte aligned),
 * of which len bytes are valid. It is read a word at a time, the end of the
 * path found in each word at once (lg_bytes_eq): a byte-wise loop cost ~350
 * instructions per request in the kernel, most of what scheduler attribution
 * adds to a read.
 */
/*
 * The words a route key was made of, for the next request on the same
 * connection (lg_route_key_cached): a keep-alive connection mostly asks for
 * the same path again, and comparing up to three words is cheaper than
 * hashing them. w[] holds the line's words up to and with the byte that
 * ended the path, the rest of the last one zeroed; nw 0: nothing kept.
 */
struct lg_route_cache {
	__u64 w[3];
	__u64 last_mask;		/* of w[nw - 1] */
	__u32 key;
	__u8  nw;
	__u8  pad[3];
};

/* The 8 bytes at p, of which the first valid ones count (little-endian: the low ones). */
LG_SCHED_FN __u64 lg_route_word(const __u8 *p, __u32 off, __u32 len)
{
	__u64 w;

	__builtin_memcpy(&w, __builtin_assume_aligned(p + off, 8), sizeof(w));
	if (len - off < 8)
		w &= (1ull << (8 * (len - off))) - 1;
	return w;
}

/* lg_route_key, and what rc (if not NULL) needs to recognise the same line again. */
LG_SCHED_FN __u32 lg_route_key_keep(const __u8 *p, __u32 len, __u16 port, struct lg_route_cache *rc)
{
	__u64 h = 0xcbf29ce484222325ull ^ port, w, stop, sp, cut, keep;
	__u32 i, off, first_space = 1;

	if (rc)
		rc->nw = 0;
	if (len > LG_REQ_PREFIX)
		len = LG_REQ_PREFIX;
	if (len && p[0] >= 'A' && p[0] <= 'Z') {
		for (i = 0; i < LG_REQ_PREFIX / 8; i++) {
			off = i * 8;
			if (off >= len)
				break;
			w = lg_route_word(p, off, len);
			/* The line ends at the second space (the first ends the method) or at ?, #, CR, LF. */
			sp = lg_bytes_eq(w, ' ');
			if (first_space && sp) {
				sp &= sp - 1;
				first_space = 0;
			}
			stop = sp | lg_bytes_eq(w, '?') | lg_bytes_eq(w, '#') | lg_bytes_eq(w, '\r') |
			       lg_bytes_eq(w, '\n');
			if (rc && i < 3)
				rc->w[i] = w;
			if (stop) {
				cut = stop & (~stop + 1);	/* the first one */
				h = (h ^ (w & ((cut >> 7) - 1))) * 0x100000001b3ull;
				if (rc && i < 3) {
					/* Up to and with the end byte (all of w when it is the last byte). */
					keep = ((cut >> 7) << 8) - 1;
					rc->w[i] = w & keep;
					rc->last_mask = keep;
					rc->nw = (__u8)(i + 1);
				}
				break;
			}
			h = (h ^ w) * 0x100000001b3ull;
		}
	}
	h ^= h >> 32;
	h = (__u32)h ? (__u32)h : 1;
	if (rc)
		rc->key = (__u32)h;
	return (__u32)h;
}

LG_SCHED_FN __u32 lg_route_key(const __u8 *p, __u32 len, __u16 port)
{
	return lg_route_key_keep(p, len, port, 0);
}

/*
 * lg_route_key of a connection's request, through its cache rc: the same
 * words up to and with the end of the path as the line before give its key
 * (the end byte being among them, the path ends at the same place); else
 * the key is made and kept. The port is the connection's, the same each time.
 */
LG_SCHED_FN __u32 lg_route_key_cached(struct lg_route_cache *rc, const __u8 *p, __u32 len,
				      __u16 port)
{
	__u32 i, n = len > LG_REQ_PREFIX ? LG_REQ_PREFIX : len;
	__u64 w;

	if (rc->nw && rc->nw <= 3 && n >= 8 * (__u32)(rc->nw - 1) + 1) {
		for (i = 0; i < 3; i++) {
			if (i + 1 >= rc->nw)
				break;
			if (lg_route_word(p, i * 8, n) != rc->w[i])
				goto miss;
		}
		w = lg_route_word(p, i * 8, n) & rc->last_mask;
		if (i < 3 && w == rc->w[i])
			return rc->key;
	}
miss:
	return lg_route_key_keep(p, len, port, rc);
}

#endif /* LATGOV_SCHED_H */
