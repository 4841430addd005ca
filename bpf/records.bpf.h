/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Finished requests out to user space: one struct lg_request per request
 * (or per batch of pipelined requests answered together), through the ring
 * buffer, without a wakeup (user space polls on a timer).
 */
#ifndef LATGOV_RECORDS_BPF_H
#define LATGOV_RECORDS_BPF_H

#include "compat.bpf.h"
#include "counters.bpf.h"
#include "sched_attr.bpf.h"
#include "latgov/conn.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, LG_RINGBUF_BYTES);
} lg_events SEC(".maps");

/* Emits c's request, ended for reason (enum lg_end_reason), from the connection's own storage. */
static __always_inline void emit(struct lg_conn *c, int reason)
{
	c->req.end_reason = reason;
	if (sched_on)
		conn_sched_split(c);
	/* Counted whether or not the ring buffer takes it: it leaves the map either way. */
	if (c->state == LG_CONN_RESPONSE)
		count(LG_CNT_ANSWERED_EMITTED);
	if (bpf_ringbuf_output(&lg_events, &c->req, sizeof(c->req), BPF_RB_NO_WAKEUP)) {
		count(LG_CNT_RINGBUF_FULL);
		return;
	}
	count(LG_CNT_REQUESTS);
}

#endif /* LATGOV_RECORDS_BPF_H */
