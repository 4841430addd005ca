/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fallback for kernels without sock:sock_{recv,send}_length (before
 * 6.3): the data events from the syscalls' own tracepoints, entry and exit,
 * which resolve the fd to its socket. Enabling any syscall tracepoint puts
 * every syscall of every task on the slow path, so user space loads these
 * only where nothing cheaper exists (or LATGOV_FORCE_SYSCALL_PATH=1 asks).
 */
#ifndef LATGOV_SYSCALLS_BPF_H
#define LATGOV_SYSCALLS_BPF_H

#include "compat.bpf.h"
#include "conn_events.bpf.h"
#include "conn_table.bpf.h"
#include "payload.bpf.h"
#include "proto.bpf.h"
#include "sched_attr.bpf.h"
#include "targets.bpf.h"

/* Where a syscall's data is, so the fallback can copy prefixes too. */
enum sys_buf {
	SYS_BUF_PLAIN = 0,	/* args[1] is the buffer (read, write, recvfrom, sendto) */
	SYS_BUF_IOVEC = 1,	/* args[1] is a struct iovec array (readv, writev) */
	SYS_BUF_MSG   = 2,	/* args[1] is a struct user_msghdr (recvmsg, sendmsg) */
	SYS_BUF_NONE  = 3,	/* no user buffer (sendfile) */
};

struct sys_call {
	__u64 buf;
	__u64 start_ns;		/* syscall entry: a send's data is handed over from here */
	__u32 fd;
	__u32 kind;		/* enum sys_buf */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_MAX_THREADS);
	__type(key, __u64);			/* pid_tgid */
	__type(value, struct sys_call);
} lg_sys_calls SEC(".maps");

/* fd -> struct sock * of the current task, or NULL if fd is not a TCP socket. */
static __always_inline struct sock *fd_to_sock(__u32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	struct file *f = NULL;
	struct socket *so;
	struct sock *sk;

	if (fd >= max)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & LG_S_IFMT) != LG_S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(so, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	return sk;
}

/*
 * The start of the user data of a syscall that moved ret bytes, with the
 * bytes of it in its first buffer in *avail; NULL if there is none.
 */
static __always_inline const void *sys_user_start(const struct sys_call *call, long ret,
						  __u64 *avail)
{
	struct user_msghdr msg;
	struct iovec iov;

	*avail = ret;
	if (call->kind == SYS_BUF_PLAIN)
		return (const void *)call->buf;
	if (call->kind == SYS_BUF_MSG) {
		if (bpf_probe_read_user(&msg, sizeof(msg), (const void *)call->buf))
			return 0;
		if (bpf_probe_read_user(&iov, sizeof(iov), msg.msg_iov))
			return 0;
	} else if (call->kind == SYS_BUF_IOVEC) {
		if (bpf_probe_read_user(&iov, sizeof(iov), (const void *)call->buf))
			return 0;
	} else {
		return 0;
	}
	if (iov.iov_len < *avail)
		*avail = iov.iov_len;
	return iov.iov_base;
}

static __always_inline int sys_enter(struct trace_event_raw_sys_enter *ctx, int kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sys_call call = { .buf = ctx->args[1], .fd = ctx->args[0], .kind = kind };

	if (!is_target(id >> 32))
		return 0;
	call.start_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&lg_sys_calls, &id, &call, BPF_ANY);
	return 0;
}

/*
 * dir is the program's own (a constant): the verifier then drops the other
 * direction's work from each program (a read never checks an answer's
 * bytes, a write never keys a route).
 */
static __always_inline int sys_exit(struct trace_event_raw_sys_exit *ctx, int dir)
{
	__u64 id = bpf_get_current_pid_tgid(), avail = 0;
	const void *src = NULL;
	struct sys_call *slot, call;
	struct lg_conn *c;
	struct sock *sk;
	long ret = ctx->ret;

	if (!is_target(id >> 32))
		return 0;
	slot = bpf_map_lookup_elem(&lg_sys_calls, &id);
	if (!slot)
		return 0;
	call = *slot;
	bpf_map_delete_elem(&lg_sys_calls, &id);
	if (ret <= 0)
		return 0;
	sk = fd_to_sock(call.fd);
	if (!sk)
		return 0;
	c = conn_of_data(sk, sk_id_of_addr((__u64)sk), dir);
	if (!c)
		return 0;
	/* A server's send during its answer: the protocol's say first (the buffer is still the user's). */
	if (dir == LG_DIR_OUT && c->state == LG_CONN_RESPONSE && c->req.role == LG_ROLE_SERVER) {
		src = sys_user_start(&call, ret, &avail);
		sys_send_prefixes(c, (__u64)src, avail, ret);
	}
	on_data(c, dir, ret, id, dir == LG_DIR_OUT ? call.start_ns : 0);
	/*
	 * Prefixes where tcp_probe / tcp_sendmsg_locked could not give them
	 * (older kernels): the request's first read, the response's first write.
	 */
	if (c->state == LG_CONN_REQUEST && c->req.reads == 1 && c->req.req_len == 0 &&
	    dir == conn_request_dir(c)) {
		src = sys_user_start(&call, ret, &avail);
		if (src)
			c->req.req_len = user_prefix(src, avail, c->req.req_prefix, LG_REQ_PREFIX);
	} else if (c->state == LG_CONN_RESPONSE && c->req.resp_writes == 1 && c->req.resp_len == 0 &&
		   dir != conn_request_dir(c)) {
		src = sys_user_start(&call, ret, &avail);
		if (src && dir == LG_DIR_OUT && c->req.role == LG_ROLE_SERVER)
			sys_answer_first_send(c, (__u64)src, avail, ret);
		else if (src)
			c->req.resp_len = user_prefix(src, avail, c->req.resp_prefix, LG_RESP_PREFIX);
	}
	if (sched_on)
		sched_note(c, dir, (__u32)id);
	return 0;
}

#define SYS_PAIR(name, dir, kind)						\
SEC("tracepoint/syscalls/sys_enter_" #name)					\
int lg_sys_enter_##name(struct trace_event_raw_sys_enter *ctx)			\
{ return sys_enter(ctx, kind); }						\
SEC("tracepoint/syscalls/sys_exit_" #name)					\
int lg_sys_exit_##name(struct trace_event_raw_sys_exit *ctx)			\
{ return sys_exit(ctx, dir); }

SYS_PAIR(read, LG_DIR_IN, SYS_BUF_PLAIN)
SYS_PAIR(readv, LG_DIR_IN, SYS_BUF_IOVEC)
SYS_PAIR(recvfrom, LG_DIR_IN, SYS_BUF_PLAIN)
SYS_PAIR(recvmsg, LG_DIR_IN, SYS_BUF_MSG)
SYS_PAIR(write, LG_DIR_OUT, SYS_BUF_PLAIN)
SYS_PAIR(writev, LG_DIR_OUT, SYS_BUF_IOVEC)
SYS_PAIR(sendto, LG_DIR_OUT, SYS_BUF_PLAIN)
SYS_PAIR(sendmsg, LG_DIR_OUT, SYS_BUF_MSG)
SYS_PAIR(sendfile64, LG_DIR_OUT, SYS_BUF_NONE)

#endif /* LATGOV_SYSCALLS_BPF_H */
