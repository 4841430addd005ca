/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a send's bytes tell the state machine, through the protocol seam
 * (include/latgov/proto.h): a server's answer beginning, the answer to the
 * next pipelined request, a final answer after an interim one, how its
 * writes end, how many requests one write answers; or a client's next
 * request. Shared by the send hook (tcp_sendmsg_locked) and the syscall
 * fallback, which read the bytes from different places.
 */
#ifndef LATGOV_PROTO_BPF_H
#define LATGOV_PROTO_BPF_H

#include "compat.bpf.h"
#include "payload.bpf.h"
#include "records.bpf.h"
#include "latgov/conn.h"
#include "latgov/proto.h"

/*
 * A server's send while its answer is in progress, whose first bytes are
 * head (n of them) and last tail (tn): more of the answer, or a new answer
 * (pipelined: the answer in progress is emitted first; or final after an
 * interim one), whose first bytes become the record's.
 */
static __always_inline void answer_send(struct lg_conn *c, const __u8 *head, __u32 n,
					const __u8 *tail, __u32 tn)
{
	int kind = conn_answer_send(c, head, n, tail, tn);

	if (kind == LG_SEND_MORE)
		return;
	if (kind == LG_SEND_NEXT_ANSWER) {
		emit(c, LG_END_NEXT_REQUEST);
		conn_start_pipelined(c);
	}
	__builtin_memcpy(c->req.resp_prefix, head, LG_RESP_PREFIX);
	c->req.resp_len = n;
	lg_proto_on_answer_start(&c->answer, tail, tn);
}

/*
 * The requests an answer's first write answers (lg_proto_scans_answer),
 * counted under bpf_loop over the CPU's send buffer, which holds the
 * write's first bytes.
 */
struct answer_scan {
	struct lg_send_buf *buf;
};

static long answer_scan_step(__u32 step, void *ctx)
{
	struct lg_send_buf *b = ((struct answer_scan *)ctx)->buf;

	return lg_proto_scan_step(&b->scan, b->bytes);
}

static __always_inline __u32 answer_batch(__u32 n)
{
	struct answer_scan a = { .buf = send_buf() };

	/* Without bpf_loop (before 5.17) a batch counts as one request. */
	if (!LG_HAS_BPF_LOOP || !a.buf)
		return 1;
	lg_proto_scan_init(&a.buf->scan, n);
	bpf_loop(LG_RESP_SCAN, answer_scan_step, &a, 0);
	return lg_proto_scan_result(&a.buf->scan);
}

/*
 * A server's first write of an answer, from src (avail bytes of it in this
 * buffer, total in the call): its first bytes are the record's, and the
 * protocol learns how it ends and how many requests it answers.
 */
static __always_inline void answer_first_send(struct lg_conn *c, const void *src, __u64 avail,
					      __u64 total)
{
	const __u8 *scan;
	__u8 tail[5];
	__u32 tn, scan_n = 0, batch;

	conn_settle_proto(c);
	c->req.resp_len = send_ends(src, avail, total, c->req.resp_prefix, tail, &tn,
				    lg_proto_scans_answer(c->proto), &scan, &scan_n);
	lg_proto_on_first_send(&c->answer, tail, tn);
	if (scan && lg_proto_scans_answer(c->proto)) {
		batch = answer_batch(scan_n);
		c->req.batch = batch > 0xffff ? 0xffff : batch;
	}
}

/*
 * What a send's buffer tells the state machine, before its data event: a
 * server's answer (first or later write), or a client's next request. src
 * is the user buffer the send starts from (NULL for kernel pages: sendfile,
 * splice), with avail bytes in it and total in the call.
 */
static __always_inline void send_prefixes(struct lg_conn *c, const void *src, __u64 avail,
					  __u64 total)
{
	const __u8 *scan;
	__u8 head[LG_RESP_PREFIX], tail[5];
	__u32 tn, scan_n;
	int copy, n;

	if (c->state == LG_CONN_RESPONSE && c->req.role == LG_ROLE_SERVER) {
		if (!src) {
			lg_proto_on_page_send(&c->answer);
			return;
		}
		n = send_ends(src, avail, total, head, tail, &tn, 0, &scan, &scan_n);
		answer_send(c, head, n, tail, tn);
		return;
	}
	copy = conn_on_send_start(c);
	if (copy == LG_COPY_NONE)
		return;
	if (!src) {
		if (copy == LG_COPY_NEXT_REQ)
			c->next_set = 0;
		return;
	}
	if (copy == LG_COPY_NEXT_REQ)
		c->next_len = user_prefix(src, avail, c->next_prefix, LG_REQ_PREFIX);
	else
		answer_first_send(c, src, avail, total);
}

/*
 * The same two, as global functions (__noinline, not static), for the
 * syscall fallback: the verifier checks a global function once per
 * program, whatever states reach its calls, where an inlined copy is walked
 * again for each, and the fallback has nine programs that send, on kernels
 * that verify more slowly. The send hook keeps the inlined ones: its buffer
 * is a BTF pointer, which a global function cannot take, and it runs on
 * every send. A global function's pointer may be NULL: it checks.
 */
__noinline int sys_send_prefixes(struct lg_conn *c, __u64 src, __u64 avail, __u64 total)
{
	if (c)
		send_prefixes(c, (const void *)src, avail, total);
	return 0;
}

__noinline int sys_answer_first_send(struct lg_conn *c, __u64 src, __u64 avail, __u64 total)
{
	if (c)
		answer_first_send(c, (const void *)src, avail, total);
	return 0;
}

#endif /* LATGOV_PROTO_BPF_H */
