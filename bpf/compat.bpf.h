/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel differences, in one place. Everything the BPF objects read whose
 * name, type or meaning moved between kernels, each with the version that
 * moved it, and the constants that vmlinux.h cannot carry (macros). A
 * program whose kernel lacks a hook is not loaded (user space decides, at
 * load time: user/tracer.c); what differs inside a program that loads
 * everywhere is handled here.
 */
#ifndef LATGOV_COMPAT_BPF_H
#define LATGOV_COMPAT_BPF_H

#include "vmlinux.h"
#include <asm-generic/errno.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

/* Macros of the kernel's headers, which BTF (hence vmlinux.h) does not carry. */
#define LG_MSG_PEEK   2		/* include/linux/socket.h */
#define LG_S_IFMT     00170000	/* include/uapi/linux/stat.h */
#define LG_S_IFSOCK   0140000
#define LG_TCPHDR_FIN 0x01	/* include/net/tcp.h: tcp_skb_cb.tcp_flags */
#define LG_TCPHDR_SYN 0x02
#define LG_TASK_RUNNING 0	/* include/linux/sched.h: __state, prev_state */
#define LG_TASK_DEAD    0x80

/*
 * Kfuncs a kernel may lack (weak: the program that calls one is only
 * loaded where it exists).
 *   bpf_rdonly_cast: added in 6.2 (commit fd264ca02094, "bpf: Add a kfunc to
 *     type cast from bpf uapi ctx to kernel ctx").
 *   bpf_dynptr_from_skb: added in 6.4 for networking programs; tracing
 *     programs may call it since 6.15 (user/tracer.c tries, then falls back to
 *     reading the skb's linear part).
 */
extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym __weak;
extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags,
			       struct bpf_dynptr *ptr__uninit) __ksym __weak;

/*
 * bpf_loop: added in 5.17 (commit e6f2dd0f8067 "bpf: Add bpf_loop
 * helper"). Where it is missing the code that calls it is dead: libbpf
 * relocates this test against the kernel's own enum of helpers.
 */
#define LG_HAS_BPF_LOOP bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)

/*
 * A port as an index of a 65,536-entry array, masked where the verifier
 * sees it: 6.1's verifier loses the bounds of a byte-swapped value.
 */
static __always_inline __u32 lg_port_index(__u32 port)
{
	barrier_var(port);
	return port & 0xffff;
}

/*
 * The user buffer a send starts from, and the bytes of it in *avail; NULL
 * for kernel pages (sendfile, splice). The iterator's types were renumbered
 * in 6.4 (ITER_UBUF first, commit fcb14cb1bdac "new iov_iter flavour -
 * ITER_UBUF", then the reorder), hence the enum relocation; the iovec
 * pointer is __iov since 6.4 (commit 747b1f65d39a "iov_iter: Add a
 * __iov field"), which every kernel with tcp_sendmsg_locked (6.16) has. msg
 * is a BTF pointer (tp_btf): direct reads, no probe-read helper calls.
 */
static __always_inline const void *lg_msg_user_start(const struct msghdr *msg, __u64 *avail)
{
	__u8 type = msg->msg_iter.iter_type;
	__u64 off = msg->msg_iter.iov_offset;
	const struct iovec *iov;
	const void *base;
	__u64 len;

	if (type == bpf_core_enum_value(enum iter_type, ITER_UBUF)) {
		base = msg->msg_iter.ubuf;
		*avail = msg->msg_iter.count;
		/* Keep this load apart from the stack one below (the verifier
		 * refuses one instruction loading through both pointers). */
		barrier_var(base);
		return base + off;
	}
	if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC)) {
		/* The kernel's copy of the iovec array: BTF-typed, read directly (no helper call). */
		iov = msg->msg_iter.__iov;
		base = iov->iov_base;
		len = iov->iov_len;
		barrier_var(base);
		if (off >= len)
			return 0;	/* first iovec consumed: the send does not start at its start */
		*avail = len - off;
		return base + off;
	}
	return 0;
}

/*
 * Is t's CFS group throttled? Before 6.18 a throttled cfs_rq is taken off
 * the CPU whole; since 6.18 (task-based throttling, commit e1fad12dcb66
 * "sched/fair: Switch to task based throttle model") each task is dequeued
 * on its way back to user space and marked p->throttled. throttle_count
 * counts the throttled cfs_rqs from this one up (itself included), so it
 * also covers a throttled parent group; cfs_rq->throttled, a bit-field since
 * 6.18, is not needed (clang 14 cannot relocate that bit-field).
 */
struct task_struct___throttled {
	bool throttled;
} __attribute__((preserve_access_index));

static __always_inline int lg_task_throttled(struct task_struct *t)
{
	/*
	 * t is a BTF pointer (tp_btf arguments): direct loads, which the JIT
	 * makes plain fault-guarded moves, where BPF_CORE_READ would call the
	 * probe-read helper once per field.
	 */
	struct task_struct___throttled *tt = (void *)t;
	struct cfs_rq *cfs_rq = t->se.cfs_rq;

	if (bpf_core_field_exists(tt->throttled) && tt->throttled)
		return 1;
	if (!cfs_rq)
		return 0;
	return cfs_rq->throttle_count > 0;
}

#endif /* LATGOV_COMPAT_BPF_H */
