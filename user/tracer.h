/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The request tracer's libbpf side: loads bpf/requests.bpf.c, picks the hook
 * set this kernel supports, attaches, consumes the ring buffer, flushes
 * requests that went idle, and reads the loss counters. It hands records to
 * callbacks; what to do with them is the session's business.
 */
#ifndef LATGOV_TRACER_H
#define LATGOV_TRACER_H

#include <stddef.h>
#include <stdint.h>

#include "core/tracer_plan.h"
#include "latgov/abi.h"

struct tracer;

struct tracer_callbacks {
	/* A finished request (each (conn_id, seq) once). */
	void (*on_request)(void *ctx, const struct lg_request *r);
	void *ctx;
};

struct tracer_config {
	/* The syscall-tracepoint fallback even where sock_*_length exists (LATGOV_FORCE_SYSCALL_PATH=1). */
	int force_syscall_path;
	/* Connections tracked at once; 0 = LG_CONNS_DEFAULT. */
	uint32_t max_conns;
	/*
	 * Scheduler attribution: each request's split into on-CPU, run queue,
	 * blocked and throttled (LG_REQ_F_SCHED), the in-flight tag the
	 * profiler reads, and the process-wide histograms. It adds hooks on
	 * every context switch of the machine.
	 */
	int sched;
	/*
	 * With sched: the profiler's off-CPU stacks and spans are taken by the
	 * tracer's sched_switch (one program, split, clock read and lookup per
	 * switch instead of two); the profiler reuses its maps. Spans shorter
	 * than prof_min_span_ns are not kept; with prof_requests_only, only
	 * those with a request in flight.
	 */
	int prof_shared;
	uint64_t prof_min_span_ns;
	int prof_requests_only;
	/*
	 * Reads must be traced (sock_recv_length): another process shares a
	 * target's listening socket, so a segment's arrival cannot tell whose
	 * request it is. Without this and sched, where tcp_sendmsg_locked
	 * exists, arrivals are the request side's events (arrival mode,
	 * include/latgov/conn.h): one hook fewer per request.
	 */
	int need_reads;
};

/*
 * Loads and attaches. Returns 0 and *out, or -errno with a message naming
 * the cause in err.
 */
int tracer_open(struct tracer **out, const struct tracer_callbacks *cb,
		const struct tracer_config *cfg, char *err, size_t errlen);
/* Detaches and frees everything; NULL is fine. */
void tracer_close(struct tracer *t);

/* The programs tracer_open would load for cfg on this kernel (no load). */
void tracer_plan_of(const struct tracer_config *cfg, struct tracer_plan *plan);

/* What 'latgov check' learns of a configuration: the tracer's own choice and load. */
struct tracer_probe {
	struct tracer_plan plan;	/* the programs tracer_open would load (core/tracer_plan.h) */
	int err;			/* 0: they all load and attach */
	int hook_err[64];		/* with err: per tracer_hooks[] row of the plan, 0 or -errno alone */
	char msg[512];			/* with err: why, as tracer_open would say */
};

/*
 * Loads and attaches (then detaches) the programs tracer_open would for
 * cfg, exactly as it would; if that fails, each of them alone, to find
 * which. Returns 0, or the error tracer_open would meet (out says more).
 */
int tracer_probe(const struct tracer_config *cfg, struct tracer_probe *out);

/*
 * Which hooks carry the data events: "arrivals" (tcp_probe and
 * tcp_sendmsg_locked), "sock_length" (sock_recv_length, and
 * tcp_sendmsg_locked where the kernel has it, else sock_send_length; >= 6.3)
 * or "syscalls" (the fallback).
 */
const char *tracer_hook_path(const struct tracer *t);
/* 1 if request prefixes come from the whole skb (bpf_dynptr_from_skb), 0 if linear data only. */
int tracer_skb_dynptr(const struct tracer *t);

/* Adds a process (tgid) to the target set. Returns 0 or -errno. */
int tracer_add_target(struct tracer *t, uint32_t tgid);
/* Marks a port the targets listen on, so accepted sockets count as servers. */
void tracer_watch_listen_port(struct tracer *t, uint16_t port);
/* Up to max tgids of the target set into out; returns how many. */
int tracer_targets(struct tracer *t, uint32_t *out, int max);
/* Takes a process out of the target set (it exited unseen). Returns 0 or -errno. */
int tracer_remove_target(struct tracer *t, uint32_t tgid);

/*
 * Waits up to timeout_ms, then delivers every record in the ring buffer.
 * Returns the number of records delivered, or -errno.
 */
int tracer_poll(struct tracer *t, int timeout_ms);

/*
 * Delivers requests whose response has been idle for idle_ns at now_ns
 * (CLOCK_MONOTONIC) straight from the connection map, with end reason
 * LG_END_FLUSH; the kernel's later record of the same request is dropped.
 * idle_ns = 0 flushes every request with a response (end of session).
 * The map is read only when the kernel's counters say that some answered
 * request is in it and not flushed yet. Returns the number flushed, or -errno.
 */
int tracer_flush_idle(struct tracer *t, uint64_t now_ns, uint64_t idle_ns);

/* Sums the per-CPU loss and activity counters. Returns 0 or -errno. */
int tracer_counters(struct tracer *t, uint64_t out[LG_CNT__MAX]);

/* 1 if scheduler attribution is on. */
int tracer_sched(const struct tracer *t);
/* The lg_threads map (struct lg_thread in each thread's task storage), for the profiler to share. */
int tracer_threads_fd(const struct tracer *t);
/* The per-CPU copy of the target thread running there (struct lg_oncpu), for the profiler. */
int tracer_oncpu_fd(const struct tracer *t);
/* With prof_shared: the off-CPU count and stack maps and the loss counters, for the profiler to reuse; else -1. */
int tracer_prof_counts_fd(const struct tracer *t);
int tracer_prof_stacks_fd(const struct tracer *t);
int tracer_counters_fd(const struct tracer *t);
/* With prof_shared: the link of the task iterator that flushes the threads' pending off-CPU time; else -1. */
int tracer_pending_iter_fd(const struct tracer *t);
/* With prof_shared: starts (on) or stops noting off-CPU stacks, as the profiler attaches and collects. */
void tracer_prof_enable(struct tracer *t, int on);
/* The process-wide scheduler histograms so far, summed over CPUs. Returns 0 or -errno. */
int tracer_sched_hist(struct tracer *t, struct lg_sched_hist *out);

#endif
