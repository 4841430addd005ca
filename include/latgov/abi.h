/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one contract between latgov's BPF programs and its user space.
 *
 * Rules: fixed-width types only, largest fields first, explicit padding, a
 * _Static_assert on every size, so that BPF (clang -target bpf) and user
 * space (gcc) agree on every offset. Every ring-buffer record starts with
 * a __u32 type; the consumer checks the length before it reads a record. Each
 * enum and limit is defined here once and nowhere else.
 */
#ifndef LATGOV_ABI_H
#define LATGOV_ABI_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Payload bytes copied per request: enough for "METHOD /route HTTP/1.x". */
#define LG_REQ_PREFIX  64
/* ...and per response: enough for "HTTP/1.1 503". */
#define LG_RESP_PREFIX 16

/*
 * Connections tracked at once in the hash that takes a socket whose slot
 * (below) is taken (bpf/requests.bpf.c); --max-conns sets it at load time.
 * Each poll's idle scan walks every bucket, so its cost grows with this
 * size, not with the connections in use.
 */
#define LG_CONNS_DEFAULT 16384
#define LG_CONNS_MAX     (1u << 20)
/*
 * log2 of the slots of the direct-mapped table tried before that hash (1,024
 * slots). User space maps it and its idle scan touches every page, so its
 * size is agent RSS: kept small (tools/bench/NOTES.md has the measurement).
 */
#define LG_SLOTS_BITS    10
#define LG_MAX_TARGETS 4096	/* traced processes (tgids) */
/* Words of a bitmap of tgids (kernel pid_max is at most 2^22): the programs' target test. */
#define LG_PID_WORDS ((1u << 22) / 64)
#define LG_MAX_THREADS 16384	/* per-thread scheduler state */
#define LG_RINGBUF_BYTES (4u << 20)

/* Ring-buffer record types. */
enum lg_record_type {
	LG_REC_REQUEST = 1,	/* struct lg_request: one finished request */
};

/* Which side of the connection the target is on. */
enum lg_role {
	LG_ROLE_UNKNOWN = 0,
	LG_ROLE_SERVER  = 1,	/* the target read first: it serves requests */
	LG_ROLE_CLIENT  = 2,	/* the target wrote first: it calls a dependency */
};

/* Why a request record was emitted. */
enum lg_end_reason {
	LG_END_NEXT_REQUEST = 1,	/* inbound bytes after the response started */
	LG_END_CLOSE        = 2,	/* connection closed (FIN) */
	LG_END_RESET        = 3,	/* connection reset */
	LG_END_FLUSH        = 4,	/* user space found it idle and flushed it */
};

/* lg_request.flags */
#define LG_REQ_F_PREEXISTING  (1u << 0)	/* connection opened before latgov attached */
#define LG_REQ_F_PIPELINED    (1u << 1)	/* more request bytes arrived before this response ended */
#define LG_REQ_F_NO_RESPONSE  (1u << 2)	/* request read, nothing written back */
#define LG_REQ_F_MULTI_THREAD (1u << 3)	/* read and writes on different threads: no sched attribution */
#define LG_REQ_F_NO_ARRIVAL   (1u << 4)	/* arrival time unknown; t_arrival_ns = t_read_ns */
#define LG_REQ_F_SCHED        (1u << 5)	/* oncpu/runq/blocked/throttled fields are valid */

/*
 * One finished request on one connection, as seen from the target's side.
 * Times are CLOCK_MONOTONIC ns (bpf_ktime_get_ns).
 */
struct lg_request {
	__u32 type;			/* LG_REC_REQUEST */
	__u32 flags;			/* LG_REQ_F_* */
	__u64 conn_id;			/* kernel address of struct sock: unique while open */
	__u64 seq;			/* request number on this connection, from 1 */
	__u64 cgroup_id;		/* cgroup (v2 id) of the thread that read the connection's first request */
	__u64 t_arrival_ns;		/* first request segment reached the socket */
	__u64 t_read_ns;		/* target's first read of the request */
	__u64 t_first_resp_ns;		/* first response byte handed to the kernel */
	__u64 t_last_resp_ns;		/* last response byte handed to the kernel */
	__u64 bytes_in;
	__u64 bytes_out;
	__u64 max_gap_ns;		/* largest gap between two response writes */
	__u64 oncpu_ns;			/* scheduler split of t_read..t_last_resp (LG_REQ_F_SCHED) */
	__u64 runq_ns;
	__u64 blocked_ns;
	__u64 throttled_ns;
	__u32 tgid;
	__u32 tid;			/* thread that read the request */
	__u32 resp_writes;		/* send calls that made the response (chunks) */
	__u32 reads;			/* recv calls that made the request */
	__u16 lport;			/* host byte order */
	__u16 rport;
	/*
	 * Requests this record stands for, at least 1: more when the protocol
	 * answers a pipelined batch with one write (RESP), all of them then
	 * with this record's times and the first one's endpoint.
	 */
	__u16 batch;
	__u16 pad16;
	__u8  role;			/* enum lg_role */
	__u8  end_reason;		/* enum lg_end_reason */
	__u8  req_len;			/* valid bytes in req_prefix */
	__u8  resp_len;			/* valid bytes in resp_prefix */
	__u8  pad8[4];
	__u8  req_prefix[LG_REQ_PREFIX];	/* 8-byte aligned: read a word at a time */
	__u8  resp_prefix[LG_RESP_PREFIX];
};
_Static_assert(sizeof(struct lg_request) == 232, "struct lg_request layout changed");
_Static_assert(__builtin_offsetof(struct lg_request, req_prefix) % 8 == 0,
	       "req_prefix is read in 8-byte words");

/*
 * Loss and activity counters: one per-CPU array indexed by this enum, summed
 * by user space. Everything that can be lost is counted here and shown.
 */
enum lg_counter {
	LG_CNT_REQUESTS = 0,		/* request records submitted */
	LG_CNT_RINGBUF_FULL,		/* records dropped: ring buffer reservation failed */
	LG_CNT_CONN_MAP_FULL,		/* connection state could not be inserted (map full, or a racing creator) */
	LG_CNT_TARGET_MAP_FULL,		/* a forked child could not be added to the target set */
	LG_CNT_THREAD_MAP_FULL,		/* per-thread scheduler state could not be made (or thread map full) */
	LG_CNT_STACK_LOST,		/* stack id errors (stack map full, -EFAULT) */
	LG_CNT_STACK_MAP_FULL,		/* profile count map full */
	/*
	 * Activity, not loss: requests that got their first response byte, and
	 * those of them the kernel has emitted since. Their difference is the
	 * number of answered requests still in the connection map, which tells
	 * user space whether an idle scan can find anything.
	 */
	LG_CNT_ANSWERED,
	LG_CNT_ANSWERED_EMITTED,
	LG_CNT__MAX
};

/* Where a thread's time went, for stack counts and the latency flame. */
enum lg_phase {
	LG_PHASE_ONCPU     = 0,	/* on-CPU sample (value: samples) */
	LG_PHASE_RUNQ      = 1,	/* runnable, waiting for a CPU (value: ns) */
	LG_PHASE_BLOCKED   = 2,	/* sleeping until woken (value: ns) */
	LG_PHASE_THROTTLED = 3,	/* runnable but its cgroup's CFS quota ran out (value: ns) */
	LG_PHASE__MAX
};

/*
 * Scheduler state of one target thread (the tracer's lg_threads map, in the
 * thread's task-local storage; the profiler reads the same map). The split
 * of each request comes from the running totals; see include/latgov/sched.h.
 */
struct lg_thread {
	__u64 t_out;			/* switched out at; 0 while on a CPU */
	__u64 t_wake;			/* a sleeper woken at; 0 until then */
	__u64 runq_ns;			/* running totals: runnable, waiting for a CPU */
	__u64 blocked_ns;		/* ... sleeping */
	__u64 throttled_ns;		/* ... runnable while its CFS group was throttled */
	__u32 endpoint;			/* route key of the request in flight on it; 0 = none */
	__u8  phase;			/* enum lg_phase at switch-out: RUNQ, THROTTLED or BLOCKED */
	__u8  wake_throttled;		/* its group was throttled when it was woken */
	__u8  answered;			/* the request in flight has written (part of) its answer */
	__u8  more;			/* ... and its last write said more may follow (a header, a chunk) */
	/* Off-CPU stacks for the profiler (bpf/requests.bpf.c, prof_shared): */
	__s32 kstack_id;		/* where it left the CPU at its last switch-out ... */
	__s32 ustack_id;
	__u8  stacks_set;		/* ... noted then; the switch-in adds its span under them */
	__u8  site_set;			/* site_* hold where those stacks were walked */
	__u8  pend_set;			/* pend_* hold spans not yet in prof_counts */
	__u8  pad[5];
	/*
	 * A switch-out from the same place as the last walk (user ip, sp,
	 * top of stack, syscall, kind of switch) reuses kstack_id/ustack_id
	 * without a lookup of the profiler's site cache.
	 */
	__u64 site_ip, site_sp, site_top, site_nr;
	__u32 site_runnable;
	/*
	 * Off-CPU time under the same {tgid, stacks, endpoint} as the span
	 * before adds up here, per phase, and reaches prof_counts when the key
	 * changes, the thread exits, or user space collects (it adds them
	 * itself): a thread that sleeps in one place pays no map update per
	 * switch.
	 */
	__u32 pend_tgid;
	__s32 pend_kstack_id, pend_ustack_id;
	__u32 pend_endpoint;
	__u32 pend_pad;
	__u64 pend_ns[LG_PHASE__MAX];	/* indexed by enum lg_phase; ONCPU unused */
};
_Static_assert(sizeof(struct lg_thread) == 152, "struct lg_thread layout changed");

/*
 * Process-wide scheduler histograms of the target threads (one per-CPU
 * element of lg_sched_hist): every span, whether or not a request was in
 * flight. log2 buckets of microseconds: bucket k holds [2^k, 2^(k+1)) us,
 * bucket 0 also what is under 1 us. For services that hand a request from
 * one thread to another, where a split per request is not possible.
 */
#define LG_SCHED_HIST_BUCKETS 32
struct lg_sched_hist {
	__u64 runq[LG_SCHED_HIST_BUCKETS];	/* waits for a CPU after a wakeup or a preemption */
	__u64 blocked[LG_SCHED_HIST_BUCKETS];	/* sleeps, from switch-out to wakeup */
	__u64 throttled[LG_SCHED_HIST_BUCKETS];	/* waits while the CFS group was throttled */
	__u64 runq_ns;				/* the same spans' sums */
	__u64 blocked_ns;
	__u64 throttled_ns;
};
_Static_assert(sizeof(struct lg_sched_hist) == (3 * LG_SCHED_HIST_BUCKETS + 3) * 8,
	       "struct lg_sched_hist layout changed");

/* The key of the target set: a tgid that latgov traces. */
struct lg_target {
	__u32 flags;			/* reserved */
	__u32 pad;
};
_Static_assert(sizeof(struct lg_target) == 8, "struct lg_target layout changed");

/* ---- profiler (bpf/profile.bpf.c): stacks counted in the kernel ------------- */

#define LG_STACK_DEPTH     127		/* frames per stack (PERF_MAX_STACK_DEPTH) */
#define LG_MAX_STACKS      16384	/* distinct stacks in the stack-trace map */
#define LG_MAX_STACK_KEYS  32768	/* distinct lg_stack_key in the count map */
#define LG_OFFCPU_MIN_SPAN_NS 10000ull	/* off-CPU spans shorter than 10 µs are not kept (default) */

/*
 * Key of the profiler's count map. Value: __u64, samples for LG_PHASE_ONCPU,
 * nanoseconds otherwise. Stack ids index the stack-trace map; -1 = none (a
 * user-mode sample has no kernel stack), any other negative value was an
 * error and is counted in LG_CNT_STACK_LOST.
 */
struct lg_stack_key {
	__u32 tgid;
	__s32 kstack_id;
	__s32 ustack_id;
	__u32 phase;			/* enum lg_phase */
	__u32 endpoint;			/* request in flight on the thread: tracer's endpoint id, 0 = none */
	__u32 pad;
};
_Static_assert(sizeof(struct lg_stack_key) == 24, "struct lg_stack_key layout changed");

#endif /* LATGOV_ABI_H */
