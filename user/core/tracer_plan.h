/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which of the request tracer's programs (bpf/requests.bpf.c) a session
 * loads on this kernel: one table of the programs with the hook each uses,
 * and one pure choice from the kernel's tracepoints and the session's
 * mode. The tracer loads what the plan says (user/tracer.c) and 'latgov
 * check' tries the same plans, so that check reports exactly the hooks
 * trace will use. Pure: no I/O.
 */
#ifndef LATGOV_TRACER_PLAN_H
#define LATGOV_TRACER_PLAN_H

#include <stddef.h>
#include <stdint.h>

/* What a program is for, which decides when it loads. */
enum tracer_hook_kind {
	HOOK_ALWAYS,		/* every session: connection lifecycle, the target set */
	HOOK_SOCK_RECV,		/* reads (sock_recv_length, 6.3+) */
	HOOK_SOCK_SEND,		/* sends where tcp_sendmsg_locked is missing (6.3 to 6.15) */
	HOOK_SENDMSG,		/* sends with their buffers (tcp_sendmsg_locked, 6.16+) */
	HOOK_PROBE_DYNPTR,	/* arrivals, payload read across the whole skb */
	HOOK_PROBE_LINEAR,	/* arrivals, payload read from the skb's linear part only */
	HOOK_SCHED,		/* scheduler attribution (--sched, --flame) */
	HOOK_OFFCPU,		/* flame --off-cpu's collection of pending off-CPU time */
	HOOK_SYSCALL,		/* the fallback before 6.3 */
};

struct tracer_hook {
	const char *prog;	/* program name in bpf/requests.bpf.c */
	const char *hook;	/* what it attaches to, as a user names it: "tcp:tcp_probe" */
	enum tracer_hook_kind kind;
};

extern const struct tracer_hook tracer_hooks[];
extern const size_t tracer_nhooks;

/* The table row of a program; -1 if none (the table and the BPF object disagree). */
int tracer_hook_index(const char *prog);

/* What the kernel has, from its BTF (a tracepoint exists if its btf_trace_ type does). */
struct tracer_kernel {
	int sock_length;	/* sock:sock_{recv,send}_length */
	int sendmsg;		/* tcp:tcp_sendmsg_locked */
	int dynptr;		/* tcp_probe may read the skb through bpf_dynptr_from_skb (a probe tells) */
	int force_syscalls;	/* LATGOV_FORCE_SYSCALL_PATH=1 */
};

/* What the session asks of the tracer. */
struct tracer_mode {
	int sched;		/* scheduler attribution */
	int prof_shared;	/* with sched: the profiler's off-CPU spans taken by the tracer */
	int need_reads;		/* another process shares a target's listening socket */
};

struct tracer_plan {
	int syscall_path;	/* the syscall fallback carries the data events */
	int arrival;		/* arrival mode: segments are the request side's events, no read hook */
	const char *path;	/* "arrivals", "sock_length" or "syscalls" */
	uint64_t load;		/* bit i: tracer_hooks[i] loads */
};

/* The programs to load for mode on kernel k. */
void tracer_plan(const struct tracer_kernel *k, const struct tracer_mode *m, struct tracer_plan *p);

/* 1 if the plan loads tracer_hooks[i]. */
static inline int tracer_plan_loads(const struct tracer_plan *p, size_t i)
{
	return i < 64 && (p->load >> i) & 1;
}

#endif
