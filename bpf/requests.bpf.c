// SPDX-License-Identifier: GPL-2.0-only
/*
 * The request tracer: one record per finished request of the traced
 * processes, built from socket and TCP tracepoints (this kernel has no
 * kprobes and refuses fentry). The state machine is include/latgov/conn.h.
 *
 * Hooks and what each contributes (tp_btf: arguments as BTF pointers):
 *   sock_recv_length / sock_send_length   bytes and time of every recv/send, in the
 *                                          caller's thread: the state machine's input
 *                                          (recv: not loaded in arrival mode; send:
 *                                          only where tcp_sendmsg_locked is missing)
 *   tcp_probe                              arrival time and first bytes of an inbound
 *                                          segment (runs in the SENDER's context on
 *                                          loopback: the socket is looked up, current
 *                                          is never used); in arrival mode (conn.h)
 *                                          the request side's data event itself
 *   tcp_sendmsg_locked                     every send, with its user buffer: the send's
 *                                          data event (sock_send_length then is not
 *                                          loaded), response prefix, pipelined answers
 *   inet_sock_set_state                    open, FIN, close and reset; listen ports
 *   sched_process_fork / exit              the target set follows forked workers
 *                                          (targets.bpf.h)
 *   sched_switch / sched_wakeup            with sched_on: each request's split into
 *                                          on-CPU, run queue, blocked, throttled, and
 *                                          the in-flight tag the profiler reads
 *                                          (sched_attr.bpf.h)
 *   syscalls:sys_{enter,exit}_*            fallback for kernels without sock_*_length
 *                                          (< 6.3); only one side is loaded
 *                                          (syscalls.bpf.h)
 *
 * One translation unit, its parts in headers by concern: compat.bpf.h
 * (kernel differences), counters.bpf.h, targets.bpf.h, conn_table.bpf.h
 * (where connection state lives), conn_events.bpf.h (the state machine's
 * data events), records.bpf.h (the ring buffer), payload.bpf.h (prefix and
 * send reads), proto.bpf.h (what a send's bytes mean, through the protocol
 * seam), sched_attr.bpf.h and syscalls.bpf.h.
 *
 * Cost: each program's first test is the cheapest one that rejects foreign
 * work: a bit of the target bitmap for the current tgid where the context is
 * the target's, a byte of the port_watch array where it is not (softirq).
 * Records go to the ring buffer with BPF_RB_NO_WAKEUP; user space polls on
 * a timer, so there is no wakeup per request.
 */
#include "compat.bpf.h"
#include "conn_events.bpf.h"
#include "conn_table.bpf.h"
#include "counters.bpf.h"
#include "payload.bpf.h"
#include "proto.bpf.h"
#include "records.bpf.h"
#include "sched_attr.bpf.h"
#include "syscalls.bpf.h"
#include "targets.bpf.h"
#include "latgov/abi.h"
#include "latgov/conn.h"

char LICENSE[] SEC("license") = "GPL";

/* ---- data events: every recv and send of a target's TCP socket ------------- */

/*
 * tp_btf rather than classic tracepoints: the classic path assembles the
 * event record before the program runs; the raw one hands over the
 * arguments (and sk as a BTF pointer, read directly).
 */
static __always_inline int sock_length(struct sock *sk, int ret, int flags, int dir)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct lg_conn *c;

	if (!is_target(id >> 32))
		return 0;
	if (sk->sk_protocol != IPPROTO_TCP || (flags & LG_MSG_PEEK) || ret <= 0)
		return 0;
	c = conn_of_data(sk, sk_id_of(sk), dir);
	if (!c)
		return 0;
	on_data(c, dir, ret, id, 0);
	if (sched_on)
		sched_note(c, dir, (__u32)id);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(lg_sock_recv, struct sock *sk, int ret, int flags)
{
	return sock_length(sk, ret, flags, LG_DIR_IN);
}

/* Only where tcp_sendmsg_locked is missing (6.3 to 6.15): lg_tcp_sendmsg does this and more. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(lg_sock_send, struct sock *sk, int ret, int flags)
{
	return sock_length(sk, ret, flags, LG_DIR_OUT);
}

/* ---- arrivals: inbound segments with payload ------------------------------- */

static __always_inline int tcp_probe(struct sock *sk, const struct sk_buff *skb, int use_dynptr)
{
	__u16 lport = sk->__sk_common.skc_num;
	const struct tcp_skb_cb *cb;
	__u32 doff, len, n;
	struct lg_conn *c;
	struct sk_id id;
	int copy;

	if (!(*port_slot(lport)))
		return 0;
	/*
	 * The payload's length from the TCP control block that tcp_v4_rcv
	 * (tcp_v6_rcv) filled before this tracepoint: end_seq - seq counts the
	 * payload plus one for SYN and one for FIN. skb->data is the TCP header,
	 * so the header's length is what remains; no probe-read of th->doff.
	 */
	cb = (const struct tcp_skb_cb *)skb->cb;
	len = cb->end_seq - cb->seq;
	if (cb->tcp_flags & LG_TCPHDR_SYN)
		len--;
	if (cb->tcp_flags & LG_TCPHDR_FIN)
		len--;
	if ((int)len <= 0 || len > skb->len)
		return 0;	/* a bare ACK */
	doff = skb->len - len;
	id = sk_id_of(sk);
	c = conn_lookup(id);
	if (!c) {
		if (!((*port_slot(lport)) & LG_PORT_LISTEN))
			return 0;
		/* Data on an accepted socket we did not see open: it predates us. */
		c = conn_create(sk, id, LG_ROLE_SERVER, LG_CONN_F_PREEXISTING);
		if (!c)
			return 0;
	}
	if (arrival_mode) {
		/* Arrivals are the data events: a retransmission is not more data. */
		n = conn_arrival_new_bytes(c, cb->seq + ((cb->tcp_flags & LG_TCPHDR_SYN) ? 1 : 0), len);
		if (!n)
			return 0;
		doff += len - n;
		len = n;
		copy = on_arrival_data(c, len);
	} else {
		copy = conn_on_arrival(c, bpf_ktime_get_ns());
	}
	if (copy == LG_COPY_REQ) {
		n = skb_prefix(skb, doff, len, c->req.req_prefix, LG_REQ_PREFIX, use_dynptr);
		c->req.req_len = n;
	} else if (copy == LG_COPY_NEXT_REQ) {
		n = skb_prefix(skb, doff, len, c->next_prefix, LG_REQ_PREFIX, use_dynptr);
		c->next_len = n;
	} else if (copy == LG_COPY_RESP) {
		n = skb_prefix(skb, doff, len, c->req.resp_prefix, LG_RESP_PREFIX, use_dynptr);
		c->req.resp_len = n;
	}
	return 0;
}

/*
 * Two variants; user space loads the first and falls back to the second
 * where the kernel refuses bpf_dynptr_from_skb in tp_btf programs.
 */
SEC("tp_btf/tcp_probe")
int BPF_PROG(lg_tcp_probe, struct sock *sk, const struct sk_buff *skb)
{
	return tcp_probe(sk, skb, 1);
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(lg_tcp_probe_linear, struct sock *sk, const struct sk_buff *skb)
{
	return tcp_probe(sk, skb, 0);
}

/* ---- sends, with their buffers --------------------------------------------- */

/*
 * Every send of a target's TCP socket, with its buffer: the send's data
 * event (sock_send_length is not loaded where this runs). It fires as the
 * call fills each segment and again at a retry after EAGAIN; the first
 * firing of a call is the event (conn_send_call_begins), counted with all
 * the bytes the call was given. A call that ends short (EAGAIN midway, then
 * given up) counts its bytes as given.
 */
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(lg_tcp_sendmsg, struct sock *sk, const struct msghdr *msg)
{
	__u64 id = bpf_get_current_pid_tgid(), left, avail = 0;
	const void *src;
	struct tcp_sock *tp;
	struct lg_conn *c;

	if (!is_target(id >> 32))
		return 0;
	left = msg->msg_iter.count;
	/*
	 * This tracepoint's socket is always a tcp_sock: a cast (no
	 * instructions once verified), not bpf_skc_to_tcp_sock()'s call.
	 */
	tp = bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
	if (!tp || !left)
		return 0;
	c = conn_of_data(sk, sk_id_of(sk), LG_DIR_OUT);
	if (!c)
		return 0;
	if (!conn_send_call_begins(c, tp->write_seq + (__u32)left)) {
		conn_send_continues(c, bpf_ktime_get_ns());
		return 0;
	}
	conn_settle_role(c, LG_DIR_OUT);
	if (arrival_mode) {
		if (c->state == LG_CONN_IDLE)
			conn_unseen_request(c, tp->bytes_received, c->next_arrival_ns, bpf_ktime_get_ns());
		conn_answer_thread(c, id >> 32, (__u32)id);
		/* The request's read was not seen: the cgroup is its answer's (once a connection). */
		if (!c->req.cgroup_id && c->req.role == LG_ROLE_SERVER)
			c->req.cgroup_id = bpf_get_current_cgroup_id();
	}
	src = lg_msg_user_start(msg, &avail);
	send_prefixes(c, src, avail, left);
	on_data(c, LG_DIR_OUT, left, id, 0);
	if (sched_on)
		sched_note(c, LG_DIR_OUT, (__u32)id);
	return 0;
}

/* ---- connection lifecycle --------------------------------------------------- */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(lg_set_state, const struct sock *sk, int os, int ns)
{
	/*
	 * inet_sport, not skc_num: at TCP_CLOSE the port is released (num
	 * zeroed) before this tracepoint runs; the source port stays.
	 */
	__u16 sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	struct sk_id id = sk_id_of(sk);
	struct lg_conn *c;
	int reason;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	if (ns == TCP_LISTEN || ns == TCP_SYN_SENT) {
		/* Both in the target's own syscall (listen, connect). */
		if (!is_target(bpf_get_current_pid_tgid() >> 32))
			return 0;
		if (ns == TCP_LISTEN) {
			(*port_slot(sport)) |= LG_PORT_LISTEN;
			return 0;
		}
		/* The source port is not chosen yet: watch it at ESTABLISHED. */
		conn_create((struct sock *)sk, id, LG_ROLE_CLIENT, 0);
		return 0;
	}
	if (!(*port_slot(sport))) {
		if (ns != TCP_ESTABLISHED || os != TCP_SYN_SENT)
			return 0;
	}
	if (ns == TCP_ESTABLISHED) {
		if (os == TCP_SYN_SENT) {
			if (conn_lookup(id))
				(*port_slot(sport)) |= LG_PORT_CLIENT;
			return 0;
		}
		if ((*port_slot(sport)) & LG_PORT_LISTEN) {	/* accepted: softirq, no current */
			c = conn_create((struct sock *)sk, id, LG_ROLE_SERVER, 0);
			/* The segment that completes the handshake may carry the first request (conn_unseen_request). */
			if (arrival_mode && c)
				c->next_arrival_ns = bpf_ktime_get_ns();
		}
		return 0;
	}
	c = conn_lookup(id);
	if (!c)
		return 0;
	if (ns == TCP_FIN_WAIT1 || ns == TCP_CLOSE_WAIT) {
		reason = conn_on_fin(c);
		if (reason) {
			emit(c, reason);
			conn_emitted(c);
		}
		return 0;
	}
	if (ns == TCP_CLOSE) {
		/* Straight to CLOSE from a synchronised state is an abort (RST). */
		reason = conn_on_close(c, os == TCP_ESTABLISHED || os == TCP_CLOSE_WAIT ||
					  os == TCP_FIN_WAIT1 || os == TCP_CLOSING);
		if (reason)
			emit(c, reason);
		conn_delete(id);
	}
	return 0;
}

/* A target thread exits; with its group's last thread, the process leaves the target set. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(lg_exit, struct task_struct *p)
{
	if (!is_target(p->tgid))
		return 0;
	if (sched_on)
		sched_thread_exit(p);
	target_exit(p);
	return 0;
}
