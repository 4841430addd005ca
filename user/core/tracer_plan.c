// SPDX-License-Identifier: GPL-2.0-only
#include "core/tracer_plan.h"

#include <string.h>

#define SYS(name) { "lg_sys_enter_" #name, "syscalls:sys_enter_" #name, HOOK_SYSCALL }, \
		  { "lg_sys_exit_" #name, "syscalls:sys_exit_" #name, HOOK_SYSCALL }

const struct tracer_hook tracer_hooks[] = {
	{ "lg_set_state", "sock:inet_sock_set_state", HOOK_ALWAYS },
	{ "lg_fork", "sched:sched_process_fork", HOOK_ALWAYS },
	{ "lg_exit", "sched:sched_process_exit", HOOK_ALWAYS },
	{ "lg_sock_recv", "sock:sock_recv_length", HOOK_SOCK_RECV },
	{ "lg_sock_send", "sock:sock_send_length", HOOK_SOCK_SEND },
	{ "lg_tcp_sendmsg", "tcp:tcp_sendmsg_locked", HOOK_SENDMSG },
	{ "lg_tcp_probe", "tcp:tcp_probe", HOOK_PROBE_DYNPTR },
	{ "lg_tcp_probe_linear", "tcp:tcp_probe (linear data)", HOOK_PROBE_LINEAR },
	{ "lg_sched_switch", "sched:sched_switch", HOOK_SCHED },
	{ "lg_sched_wakeup", "sched:sched_wakeup", HOOK_SCHED },
	{ "lg_pending_flush", "task iterator", HOOK_OFFCPU },
	SYS(read), SYS(readv), SYS(recvfrom), SYS(recvmsg), SYS(write), SYS(writev), SYS(sendto),
	SYS(sendmsg), SYS(sendfile64),
};
const size_t tracer_nhooks = sizeof(tracer_hooks) / sizeof(tracer_hooks[0]);
_Static_assert(sizeof(tracer_hooks) / sizeof(tracer_hooks[0]) <= 64, "tracer_plan.load has 64 bits");

int tracer_hook_index(const char *prog)
{
	for (size_t i = 0; i < tracer_nhooks; i++)
		if (strcmp(tracer_hooks[i].prog, prog) == 0)
			return (int)i;
	return -1;
}

static int kind_loads(enum tracer_hook_kind kind, const struct tracer_kernel *k,
		      const struct tracer_mode *m, const struct tracer_plan *p)
{
	switch (kind) {
	case HOOK_ALWAYS:
		return 1;
	case HOOK_SOCK_RECV:
		return !p->syscall_path && !p->arrival;
	case HOOK_SOCK_SEND:
		/* tcp_sendmsg_locked, where the kernel has it, is the send's event, with its buffer. */
		return !p->syscall_path && !k->sendmsg;
	case HOOK_SENDMSG:
		return !p->syscall_path && k->sendmsg;
	case HOOK_PROBE_DYNPTR:
		return k->dynptr;
	case HOOK_PROBE_LINEAR:
		return !k->dynptr;
	case HOOK_SCHED:
		return m->sched;
	case HOOK_OFFCPU:
		return m->sched && m->prof_shared;
	case HOOK_SYSCALL:
		return p->syscall_path;
	}
	return 0;
}

void tracer_plan(const struct tracer_kernel *k, const struct tracer_mode *m, struct tracer_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->syscall_path = k->force_syscalls || !k->sock_length;
	/*
	 * Arrival mode (include/latgov/conn.h): with tcp_sendmsg_locked and
	 * no scheduler attribution, segments are the request side's events and
	 * no read hook loads, unless another process shares a target's
	 * listening socket (an arrival cannot tell whose it is).
	 */
	p->arrival = !p->syscall_path && k->sendmsg && !m->sched && !m->need_reads;
	p->path = p->syscall_path ? "syscalls" : p->arrival ? "arrivals" : "sock_length";
	for (size_t i = 0; i < tracer_nhooks; i++)
		if (kind_loads(tracer_hooks[i].kind, k, m, p))
			p->load |= 1ull << i;
}
