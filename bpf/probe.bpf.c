// SPDX-License-Identifier: GPL-2.0-only
/*
 * Probe programs for 'latgov check'. Each does nothing useful: the check loads
 * and attaches them one at a time to learn, on this kernel, which hooks latgov
 * can use. Loading real programs beats guessing from version numbers.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "latgov/abi.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} probe_rb SEC(".maps");

__u64 hits;

static __always_inline int touch(void)
{
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

SEC("tracepoint/sock/sock_recv_length") int tp_sock_recv_length(void *ctx) { return touch(); }
SEC("tracepoint/sock/sock_send_length") int tp_sock_send_length(void *ctx) { return touch(); }
SEC("tracepoint/sock/inet_sock_set_state") int tp_inet_sock_set_state(void *ctx) { return touch(); }
SEC("tp_btf/tcp_probe") int btf_tcp_probe(void *ctx) { return touch(); }
SEC("tp_btf/tcp_sendmsg_locked") int btf_tcp_sendmsg_locked(void *ctx) { return touch(); }
SEC("tp_btf/sched_switch") int btf_sched_switch(void *ctx) { return touch(); }
SEC("tp_btf/sched_wakeup") int btf_sched_wakeup(void *ctx) { return touch(); }
SEC("tp_btf/sched_wakeup_new") int btf_sched_wakeup_new(void *ctx) { return touch(); }
SEC("tracepoint/sched/sched_process_fork") int tp_sched_process_fork(void *ctx) { return touch(); }
SEC("tracepoint/sched/sched_process_exit") int tp_sched_process_exit(void *ctx) { return touch(); }

/* Syscall tracepoints: the request tracer's fallback below kernel 6.3. */
SEC("tracepoint/syscalls/sys_enter_read") int tp_sys_enter_read(void *ctx) { return touch(); }
SEC("tracepoint/syscalls/sys_exit_read") int tp_sys_exit_read(void *ctx) { return touch(); }
SEC("tracepoint/syscalls/sys_enter_recvfrom") int tp_sys_enter_recvfrom(void *ctx) { return touch(); }
SEC("tracepoint/syscalls/sys_exit_recvfrom") int tp_sys_exit_recvfrom(void *ctx) { return touch(); }
SEC("tracepoint/syscalls/sys_enter_write") int tp_sys_enter_write(void *ctx) { return touch(); }
SEC("tracepoint/syscalls/sys_exit_write") int tp_sys_exit_write(void *ctx) { return touch(); }
SEC("tracepoint/syscalls/sys_enter_sendto") int tp_sys_enter_sendto(void *ctx) { return touch(); }
SEC("tracepoint/syscalls/sys_exit_sendto") int tp_sys_exit_sendto(void *ctx) { return touch(); }
SEC("tracepoint/syscalls/sys_enter_writev") int tp_sys_enter_writev(void *ctx) { return touch(); }
SEC("tracepoint/syscalls/sys_enter_sendfile64") int tp_sys_enter_sendfile64(void *ctx) { return touch(); }
SEC("tracepoint/syscalls/sys_enter_close") int tp_sys_enter_close(void *ctx) { return touch(); }

/* Task-local storage from a scheduler hook: where the tracer keeps each thread's state. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} probe_task_store SEC(".maps");

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_task_storage, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	bpf_task_storage_get(&probe_task_store, next, 0, 0);	/* no create: nothing is left behind */
	return touch();
}

/* A task iterator: how a flame profile collects the off-CPU time threads still hold. */
SEC("iter/task")
int iter_task(struct bpf_iter__task *ctx)
{
	return 0;
}

/* Ring buffer: reserve and discard, so the map type and helpers are verified. */
SEC("tracepoint/sched/sched_process_exec")
int tp_ringbuf(void *ctx)
{
	__u64 *slot = bpf_ringbuf_reserve(&probe_rb, sizeof(*slot), 0);

	if (slot)
		bpf_ringbuf_discard(slot, 0);
	return 0;
}

/* perf_event with a stack: what on-CPU profiling needs. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 127 * sizeof(__u64));
} probe_stacks SEC(".maps");

SEC("perf_event")
int perf_sample(struct bpf_perf_event_data *ctx)
{
	bpf_get_stackid(ctx, &probe_stacks, BPF_F_USER_STACK);
	return touch();
}
