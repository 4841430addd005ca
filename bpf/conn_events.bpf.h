/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The state machine's data events (include/latgov/conn.h) as the hooks
 * deliver them: a recv or send by a target thread, or, in arrival mode, a
 * segment reaching the socket. Each emits what it ends and counts answers.
 */
#ifndef LATGOV_CONN_EVENTS_BPF_H
#define LATGOV_CONN_EVENTS_BPF_H

#include "compat.bpf.h"
#include "counters.bpf.h"
#include "records.bpf.h"
#include "latgov/conn.h"

/*
 * Arrival mode (conn.h): segments are the request side's data events, and
 * lg_sock_recv is not loaded. User space sets it for plain tracing (no
 * sched_on) where sends come from tcp_sendmsg_locked and no other process
 * shares a target's listening socket (an arrival cannot tell whose it is).
 */
const volatile __u32 arrival_mode = 0;

/*
 * A recv or send of bytes on c by the current (target) thread, id its
 * pid_tgid. send_start: when a send began if the caller knows it (the
 * syscall fallback, whose event comes at the syscall's exit), else 0: now.
 */
static __always_inline void on_data(struct lg_conn *c, int dir, __u64 bytes, __u64 id,
				    __u64 send_start)
{
	__u64 now = bpf_ktime_get_ns(), start = now;
	int reason, answered, req_dir;

	reason = conn_data_ends_request(c, dir);
	if (reason)
		emit(c, reason);
	if (dir == LG_DIR_OUT && send_start && send_start <= now)
		start = send_start;
	/*
	 * A request sent by the target counts from when its send began. An
	 * answer's bytes count at the event: a send's start where
	 * tcp_sendmsg_locked is the event (its later segments move the time on,
	 * conn_send_continues), its end with sock_send_length or at the
	 * syscall's exit; its first byte when the first send began.
	 */
	req_dir = dir == conn_request_dir(c);
	answered = c->state == LG_CONN_RESPONSE;
	/* The cgroup is taken at the connection's first request only (conn_start_request). */
	conn_on_data(c, dir, req_dir ? start : now, bytes, id >> 32, (__u32)id,
		     req_dir && c->state != LG_CONN_REQUEST && !c->req.cgroup_id ?
		     bpf_get_current_cgroup_id() : 0);
	if (!answered && c->state == LG_CONN_RESPONSE) {
		count(LG_CNT_ANSWERED);
		if (!req_dir && start < c->req.t_first_resp_ns)
			c->req.t_first_resp_ns = start;
	}
}

/*
 * Arrival mode: a segment of bytes on c (softirq, or the socket owner's
 * backlog: any thread; never current's). Returns what to copy from it
 * (enum lg_copy).
 */
static __always_inline int on_arrival_data(struct lg_conn *c, __u64 bytes)
{
	int reason = conn_data_ends_request(c, LG_DIR_IN), answered, copy;

	if (reason)
		emit(c, reason);
	answered = c->state == LG_CONN_RESPONSE;
	copy = conn_arrival_data(c, bpf_ktime_get_ns(), bytes, reason);
	if (!answered && c->state == LG_CONN_RESPONSE)
		count(LG_CNT_ANSWERED);
	return copy;
}

#endif /* LATGOV_CONN_EVENTS_BPF_H */
