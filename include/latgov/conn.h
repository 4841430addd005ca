/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-connection request state machine, shared by bpf/requests.bpf.c
 * (which keeps one struct lg_conn per socket, in a slot table or a hash map)
 * and the unit tests. Helper-free static inline code: no BPF helpers, no
 * libc, so the same logic runs in the kernel and under cmocka.
 *
 * A connection alternates between a request and its response:
 *
 *   IDLE --request bytes--> REQUEST --response bytes--> RESPONSE
 *     ^                       |  more request bytes        |  more response bytes
 *     |                       +--------(stay)              +--(stay; gap measured)
 *     +---- FIN / close / user-space flush (emit) ---------+
 *                 next request bytes in RESPONSE: emit, then start the next request
 *
 * "Request bytes" are what the target receives when it serves (role server:
 * it read first) and what it sends when it calls a dependency (role client:
 * it wrote first). The role is fixed at the first data event, or earlier
 * when the socket belongs to a port the target listens on.
 *
 * The data events: a send call's start (tcp_sendmsg_locked, where the
 * kernel has it; sock_send_length or the syscall's exit otherwise); on the
 * request side, a read (sock_recv_length or the syscall's exit), or in
 * arrival mode a segment's arrival (conn_arrival_data).
 *
 * Callers drive it in two steps so the finished request is emitted from the
 * connection's own storage (no 224-byte copy on the BPF stack):
 *   reason = conn_data_ends_request(c, dir);  if (reason) emit c->req with it;
 *   conn_on_data(c, dir, ...);
 *
 * Pipelining: requests read by the same recv call (in arrival mode: that
 * arrive before the first of them is answered) cannot be told apart by byte
 * counts alone. What is exact and what is not:
 *   - every recv (arrival) that follows a response starts a request;
 *   - a server send that the protocol says begins an answer (an HTTP/1.x
 *     status line) while a response is already in progress starts the
 *     answer to the next pipelined request (conn_answer_send): the request
 *     count is exact for HTTP/1.x servers that begin each answer with its
 *     own send call; answers coalesced into one send are counted as one;
 *   - where a protocol's answers to a pipelined batch share one write
 *     (RESP), the write's replies are counted, and the record stands for
 *     that many requests (lg_request.batch);
 *   - such a request shares the arrival and read time, prefix (hence
 *     endpoint) and bytes of the first request of its batch: its latency runs
 *     from the batch's arrival to its own last byte, which is what the client
 *     sees; its endpoint is assumed to be the batch's first;
 *   - a request whose first segment arrived before the previous response
 *     ended is flagged LG_REQ_F_PIPELINED too (its latency includes the time
 *     it queued behind the previous one).
 * Interim answers (HTTP/1.x 1xx, e.g. 100 Continue) do not end a request:
 * the body that follows is more of the request, and the final answer
 * replaces the interim one (lg_proto_interim).
 */
#ifndef LATGOV_CONN_H
#define LATGOV_CONN_H

#include "latgov/abi.h"
#include "latgov/proto.h"
#include "latgov/sched.h"

/* Always inlined: BPF calls take at most five arguments and some of these take six. */
#define LG_CONN_FN static inline __attribute__((always_inline))

enum lg_conn_state {
	LG_CONN_IDLE     = 0,	/* no request in progress */
	LG_CONN_REQUEST  = 1,	/* request bytes seen, no response yet */
	LG_CONN_RESPONSE = 2,	/* response bytes seen */
};

/* Direction of a data event, seen from the target. */
enum lg_dir {
	LG_DIR_IN  = 0,		/* the target received */
	LG_DIR_OUT = 1,		/* the target sent */
};

/*
 * lg_conn.cflags: set once, when the state is created. What changes later
 * lives in bytes of its own (next_set, chunked, ...), because the arrival side
 * (softirq, any CPU) and the target's thread update the same entry at the
 * same time: a read-modify-write of a shared flags word would lose bits.
 */
#define LG_CONN_F_PREEXISTING (1u << 0)	/* first seen after it was established */

/* What the caller should copy into the connection from a payload it can read (its own enum: it is never an end reason). */
enum lg_copy {
	LG_COPY_NONE      = 0,
	LG_COPY_NEXT_REQ  = 1,	/* up to LG_REQ_PREFIX bytes into next_prefix / next_len */
	LG_COPY_RESP      = 2,	/* up to LG_RESP_PREFIX bytes into req.resp_prefix / resp_len */
	LG_COPY_REQ       = 3,	/* up to LG_REQ_PREFIX bytes into req.req_prefix / req_len */
};

/* port_watch[] bits (bpf/requests.bpf.c): why a local port is interesting. */
#define LG_PORT_LISTEN 1u	/* a target listens on it: accepted sockets are servers */
#define LG_PORT_CLIENT 2u	/* a target's outgoing connection uses it */

/*
 * A request whose response has been idle this long is complete as far as
 * user space is concerned: it flushes it from the map (LG_END_FLUSH) and
 * drops the kernel's later record of the same (conn_id, seq). With a 100 ms
 * poll this bounds a record's delay to 250 ms after the last response byte.
 */
#define LG_FLUSH_IDLE_NS (150ull * 1000 * 1000)
/*
 * A chunked answer (SSE over HTTP/1.1, streamed tokens) whose terminating
 * chunk has not been sent is not finished, however long it pauses; nor is an
 * HTTP answer whose last write was its header alone or a chunk (it ended in
 * CRLF). Such an answer is flushed only after this long, and emitted by the
 * kernel when its terminating chunk, the next request or the close comes.
 */
#define LG_FLUSH_STREAM_IDLE_NS (30ull * 1000 * 1000 * 1000)

struct lg_conn {
	struct lg_request req;		/* the request in progress; req.seq numbers them */
	__u64 next_arrival_ns;		/* arrival of the next request's first segment */
	__u32 send_seq_end;		/* where the last send call's data ends (conn_send_call_begins) */
	__u32 rcv_seq_end;		/* arrival mode: where the payload counted so far ends */
	__u32 state;			/* enum lg_conn_state */
	__u32 cflags;			/* LG_CONN_F_* */
	__u8  next_len;			/* valid bytes in next_prefix */
	__u8  next_set;			/* next_* hold the first segment of the next request */
	__u8  send_seq_ok;		/* send_seq_end is set */
	__u8  sched_ok;			/* sched_start is the reading thread's totals at the read */
	__u8  rcv_seq_ok;		/* rcv_seq_end is set */
	__u8  proto;			/* enum lg_proto, from the first request's bytes (conn_settle_proto) */
	__u8  pad[2];
	struct lg_proto_answer answer;	/* what the protocol keeps of the answer in progress */
	__u32 pad2;
	__u8  next_prefix[LG_REQ_PREFIX];
	/* Scheduler totals of the request's thread (sched.h) at its read and at its last write. */
	struct lg_span sched_start;
	struct lg_span sched_last;
	struct lg_route_cache route;	/* the route key of the last request (proto.h) */
};
_Static_assert(sizeof(struct lg_conn) == sizeof(struct lg_request) + 40 + LG_REQ_PREFIX + 48 + 40,
	       "struct lg_conn layout changed");

/*
 * A slot of the direct-mapped connection table (lg_slots in
 * bpf/requests.bpf.c, read by user space's idle scan): key is the socket's
 * address less the table's own (struct sk_id there), never 0 nor odd, as
 * both are aligned; 0 while the slot is free and key | 1 while a creator
 * zeroes it.
 */
struct lg_conn_slot {
	__u64 key;
	struct lg_conn conn;
};

/*
 * The slot of socket key among 2^bits (bits <= 32): the top bits of a
 * Fibonacci hash, since socket addresses share their low bits (aligned
 * slab objects).
 */
LG_CONN_FN __u32 lg_slot_index(__u64 key, __u32 bits)
{
	if (bits == 0)
		return 0;
	return (__u32)((key * 0x9e3779b97f4a7c15ull) >> (64 - (bits & 63)));
}

LG_CONN_FN void conn_init(struct lg_conn *c, __u64 conn_id, __u8 role, __u32 cflags,
			     __u16 lport, __u16 rport)
{
	c->req.type = LG_REC_REQUEST;
	c->req.conn_id = conn_id;
	c->req.role = role;
	c->req.lport = lport;
	c->req.rport = rport;
	c->state = LG_CONN_IDLE;
	c->cflags = cflags;
}

/* The direction that carries requests for this role. */
LG_CONN_FN int conn_request_dir(const struct lg_conn *c)
{
	return c->req.role == LG_ROLE_CLIENT ? LG_DIR_OUT : LG_DIR_IN;
}

/* Fixes the role at the first data event if nothing fixed it before. */
LG_CONN_FN void conn_settle_role(struct lg_conn *c, int dir)
{
	if (c->req.role == LG_ROLE_UNKNOWN)
		c->req.role = dir == LG_DIR_IN ? LG_ROLE_SERVER : LG_ROLE_CLIENT;
}

/* 1 if the answer in progress so far is only an interim one (HTTP's 100 Continue). */
LG_CONN_FN int conn_resp_interim(const struct lg_conn *c)
{
	return lg_proto_interim(c->req.resp_prefix, c->req.resp_len);
}

/* Decides the connection's protocol from its request's first bytes, once they are known. */
LG_CONN_FN void conn_settle_proto(struct lg_conn *c)
{
	if (c->proto == LG_PROTO_NONE)
		c->proto = lg_proto_detect(c->req.req_prefix, c->req.req_len);
}

/*
 * Returns the end reason (LG_END_NEXT_REQUEST) if a data event in direction
 * dir finishes the request in c->req, which the caller then emits; 0 if not.
 */
LG_CONN_FN int conn_data_ends_request(struct lg_conn *c, int dir)
{
	conn_settle_role(c, dir);
	if (dir == conn_request_dir(c) && c->state == LG_CONN_RESPONSE && !conn_resp_interim(c))
		return LG_END_NEXT_REQUEST;
	return 0;
}

LG_CONN_FN void conn_start_request(struct lg_conn *c, __u64 now, __u64 bytes, __u32 tgid,
				      __u32 tid, __u64 cgroup_id)
{
	struct lg_request *r = &c->req;
	__u64 prev_last = c->state == LG_CONN_RESPONSE ? r->t_last_resp_ns : 0;

	r->seq++;
	r->flags = c->cflags & LG_CONN_F_PREEXISTING ? LG_REQ_F_PREEXISTING : 0;
	/* 0: unchanged. Callers read it once per connection, not a helper call per request. */
	if (cgroup_id)
		r->cgroup_id = cgroup_id;
	r->tgid = tgid;
	r->tid = tid;
	r->t_read_ns = now;
	r->t_arrival_ns = now;
	if (c->next_set && c->next_arrival_ns && c->next_arrival_ns <= now) {
		r->t_arrival_ns = c->next_arrival_ns;
		if (prev_last && c->next_arrival_ns < prev_last)
			r->flags |= LG_REQ_F_PIPELINED;
	} else if (conn_request_dir(c) == LG_DIR_IN) {
		r->flags |= LG_REQ_F_NO_ARRIVAL;
	}
	r->req_len = 0;
	if (c->next_set) {
		r->req_len = c->next_len > LG_REQ_PREFIX ? LG_REQ_PREFIX : c->next_len;
		/* A constant-size builtin: eight 8-byte moves in BPF, no libc call. */
		__builtin_memcpy(r->req_prefix, c->next_prefix, LG_REQ_PREFIX);
	}
	c->next_set = 0;
	c->next_arrival_ns = 0;
	c->next_len = 0;
	r->t_first_resp_ns = 0;
	r->t_last_resp_ns = 0;
	r->max_gap_ns = 0;
	r->resp_writes = 0;
	r->reads = 1;
	r->resp_len = 0;
	r->end_reason = 0;
	r->batch = 1;
	c->answer = (struct lg_proto_answer){};
	c->sched_ok = 0;	/* until the caller reads the thread's totals */
	if (conn_request_dir(c) == LG_DIR_IN) {
		r->bytes_in = bytes;
		r->bytes_out = 0;
	} else {
		r->bytes_out = bytes;
		r->bytes_in = 0;
	}
	c->state = LG_CONN_REQUEST;
}

/*
 * Applies a data event of bytes in direction dir at time now, after the
 * caller emitted what conn_data_ends_request() reported. Returns 1 if the
 * event was counted, 0 if it was ignored: response bytes with no request
 * (the middle of a response on a connection opened before latgov attached,
 * or a protocol where the server speaks first).
 */
LG_CONN_FN int conn_on_data(struct lg_conn *c, int dir, __u64 now, __u64 bytes, __u32 tgid,
			       __u32 tid, __u64 cgroup_id)
{
	struct lg_request *r = &c->req;

	conn_settle_role(c, dir);
	if (dir == conn_request_dir(c)) {
		if (c->state == LG_CONN_REQUEST ||
		    (c->state == LG_CONN_RESPONSE && conn_resp_interim(c))) {
			if (dir == LG_DIR_IN)
				r->bytes_in += bytes;
			else
				r->bytes_out += bytes;
			r->reads++;
			return 1;
		}
		conn_start_request(c, now, bytes, tgid, tid, cgroup_id);
		return 1;
	}

	if (c->state == LG_CONN_IDLE) {
		/*
		 * A connection older than latgov whose request arrived after
		 * attach but whose read we missed (the fallback's read began
		 * before attach): the answer shows it was read. Its read time
		 * is unknown; its arrival is not.
		 */
		if (!(c->cflags & LG_CONN_F_PREEXISTING) || r->seq != 0 ||
		    !c->next_set || c->req.role != LG_ROLE_SERVER)
			return 0;
		conn_start_request(c, c->next_arrival_ns, 0, tgid, tid, cgroup_id);
		r->reads = 0;
	}
	if (dir == LG_DIR_IN)
		r->bytes_in += bytes;
	else
		r->bytes_out += bytes;
	if (tid != r->tid)
		r->flags |= LG_REQ_F_MULTI_THREAD;
	if (c->state == LG_CONN_REQUEST) {
		c->state = LG_CONN_RESPONSE;
		r->t_first_resp_ns = now;
		r->t_last_resp_ns = now;
		r->resp_writes = 1;
		return 1;
	}
	if (now > r->t_last_resp_ns && now - r->t_last_resp_ns > r->max_gap_ns)
		r->max_gap_ns = now - r->t_last_resp_ns;
	if (now > r->t_last_resp_ns)
		r->t_last_resp_ns = now;
	r->resp_writes++;
	return 1;
}

/*
 * An inbound segment with payload reached the socket at time now (tcp_probe).
 * Returns what the caller should copy from its payload: for a server, the
 * first segment of the next request (its arrival time is recorded here); for
 * a client, the start of the response.
 */
LG_CONN_FN int conn_on_arrival(struct lg_conn *c, __u64 now)
{
	if (c->req.role == LG_ROLE_CLIENT) {
		if (c->state == LG_CONN_REQUEST && c->req.resp_len == 0)
			return LG_COPY_RESP;
		return LG_COPY_NONE;
	}
	/*
	 * Server or unknown: segments while a request is being read continue
	 * it; but once its answer is being sent (the socket lock is held and
	 * this segment comes from the backlog at release_sock) the state is
	 * RESPONSE, from the send's start, and the segment starts the next
	 * request. (The syscall path's send event comes at the syscall's exit:
	 * such a segment counts as more of the request there.)
	 */
	if (c->state == LG_CONN_REQUEST || c->next_set)
		return LG_COPY_NONE;
	c->next_set = 1;
	c->next_arrival_ns = now;
	c->next_len = 0;
	return LG_COPY_NEXT_REQ;
}

/*
 * Arrival mode. Plain tracing (no scheduler attribution) loads no read
 * event: a segment's arrival is the request's data event, and a send's
 * (tcp_sendmsg_locked) the answer's. Both run under the socket's lock, so
 * they never race on the state. A request's read time is its arrival; its
 * thread and cgroup are those of the first write of its answer
 * (conn_answer_thread); "reads" counts segments.
 *
 * A segment of bytes with payload reached c's socket at now. The caller
 * emitted first if conn_data_ends_request(c, LG_DIR_IN) said so (ended is
 * what it said). Returns
 * what to copy from the segment: LG_COPY_REQ if it began a request (its
 * first bytes), LG_COPY_RESP if it began a client's response.
 */
LG_CONN_FN int conn_arrival_data(struct lg_conn *c, __u64 now, __u64 bytes, int ended)
{
	int copy = LG_COPY_NONE;

	conn_settle_role(c, LG_DIR_IN);
	if (conn_request_dir(c) == LG_DIR_IN) {
		/* A request begins if it ended one (ended: the caller's conn_data_ends_request) or none was open. */
		if (ended || c->state == LG_CONN_IDLE)
			copy = LG_COPY_REQ;
		conn_on_data(c, LG_DIR_IN, now, bytes, c->req.tgid, c->req.tid, 0);
		if (copy == LG_COPY_REQ)
			c->req.flags &= ~LG_REQ_F_NO_ARRIVAL;
		return copy;
	}
	if (c->state == LG_CONN_REQUEST && c->req.resp_len == 0)
		copy = LG_COPY_RESP;
	if (!conn_on_data(c, LG_DIR_IN, now, bytes, c->req.tgid, c->req.tid, 0))
		return LG_COPY_NONE;
	return copy;
}

/*
 * Arrival mode: how much of a segment whose payload is [seq, seq + len) is
 * new; a retransmission of bytes counted already must not begin a request.
 * Out-of-order bytes count when they come; the gap's bytes, filled later,
 * do not (bytes_in is short by them). Notes the end of what counted.
 */
LG_CONN_FN __u32 conn_arrival_new_bytes(struct lg_conn *c, __u32 seq, __u32 len)
{
	__u32 end = seq + len, old;

	if (c->rcv_seq_ok) {
		if ((int)(end - c->rcv_seq_end) <= 0)
			return 0;
		old = c->rcv_seq_end - seq;
		if ((int)old > 0)
			len -= old;
	}
	c->rcv_seq_ok = 1;
	c->rcv_seq_end = end;
	return len;
}

/*
 * Arrival mode: a server's first write on a connection that never had a
 * request though its peer sent bytes. They came with the segment that
 * completed the handshake (TCP_DEFER_ACCEPT, Fast Open), which tcp_probe
 * does not see; est_ns is when the connection was established, so that
 * segment's arrival (0 if not seen: then now). Starts that request, with no
 * prefix. Returns 1 if it did.
 */
LG_CONN_FN int conn_unseen_request(struct lg_conn *c, __u64 bytes_received, __u64 est_ns, __u64 now)
{
	if (c->state != LG_CONN_IDLE || c->req.seq != 0 || c->req.role != LG_ROLE_SERVER ||
	    (c->cflags & LG_CONN_F_PREEXISTING) || !bytes_received)
		return 0;
	conn_start_request(c, est_ns && est_ns <= now ? est_ns : now, bytes_received, c->req.tgid,
			   c->req.tid, 0);
	if (est_ns && est_ns <= now)
		c->req.flags &= ~LG_REQ_F_NO_ARRIVAL;
	return 1;
}

/*
 * Arrival mode: the thread about to write on c. If the write begins an
 * answer, the request is that thread's (its read was not seen).
 */
LG_CONN_FN void conn_answer_thread(struct lg_conn *c, __u32 tgid, __u32 tid)
{
	if (c->state == LG_CONN_REQUEST && conn_request_dir(c) == LG_DIR_IN) {
		c->req.tgid = tgid;
		c->req.tid = tid;
	}
}

/*
 * The target is about to send a user buffer (tcp_sendmsg_locked). Returns
 * what the caller should copy from it: a server's first response bytes, or
 * a client's next request.
 */
LG_CONN_FN int conn_on_send_start(struct lg_conn *c)
{
	if (c->req.role == LG_ROLE_CLIENT) {
		if (c->state == LG_CONN_REQUEST || c->next_set)
			return LG_COPY_NONE;
		c->next_set = 1;
		c->next_arrival_ns = 0;
		c->next_len = 0;
		return LG_COPY_NEXT_REQ;
	}
	if (c->req.role == LG_ROLE_SERVER && c->state == LG_CONN_REQUEST && c->req.resp_len == 0)
		return LG_COPY_RESP;
	return LG_COPY_NONE;
}

/*
 * Sends where tcp_sendmsg_locked is the data event (it fires as each send
 * call fills a segment, and again when a call that returned EAGAIN is
 * retried). The socket's write_seq plus the bytes the call has left is the
 * sequence number just past the call's data: the same all through one call
 * and through a retry of what it left, larger for any later call. Returns 1
 * if a firing with this end begins a new send call (and notes the end), 0 if
 * it continues the last one. A call given up after EAGAIN, followed by a
 * different buffer of exactly the same length, would pass for its retry.
 */
LG_CONN_FN int conn_send_call_begins(struct lg_conn *c, __u32 seq_end)
{
	if (c->send_seq_ok && c->send_seq_end == seq_end)
		return 0;
	c->send_seq_ok = 1;
	c->send_seq_end = seq_end;
	return 1;
}

/*
 * A send call under way fills another segment at now: an answer's last byte
 * leaves no earlier (a large body is timed to its last segment, not to the
 * start of its call).
 */
LG_CONN_FN void conn_send_continues(struct lg_conn *c, __u64 now)
{
	if (c->state == LG_CONN_RESPONSE && conn_request_dir(c) == LG_DIR_IN &&
	    now > c->req.t_last_resp_ns)
		c->req.t_last_resp_ns = now;
}

/*
 * A server sends more while its answer is in progress (state RESPONSE); the
 * send's first bytes are head (hn) and its last tail (tn, 5 or 0 if
 * unknown). Returns enum lg_send_kind (proto.h): on LG_SEND_NEXT_ANSWER the
 * caller emits c->req, then calls conn_start_pipelined(); on that and on
 * LG_SEND_FINAL_ANSWER it takes head as the answer's first bytes.
 */
LG_CONN_FN int conn_answer_send(struct lg_conn *c, const __u8 *head, __u32 hn, const __u8 *tail,
				__u32 tn)
{
	conn_settle_proto(c);
	return lg_proto_on_send(c->proto, &c->answer, &c->req, head, hn, tail, tn);
}

/*
 * Starts the next pipelined request after conn_answer_send() ended the
 * previous one: same arrival, read time, prefix and thread (see the
 * pipelining note above); no bytes of its own. The send that follows is its
 * first response write.
 */
LG_CONN_FN void conn_start_pipelined(struct lg_conn *c)
{
	struct lg_request *r = &c->req;

	r->seq++;
	r->flags = (r->flags & (LG_REQ_F_PREEXISTING | LG_REQ_F_NO_ARRIVAL)) | LG_REQ_F_PIPELINED;
	r->t_first_resp_ns = 0;
	r->t_last_resp_ns = 0;
	r->max_gap_ns = 0;
	r->resp_writes = 0;
	r->reads = 0;
	r->resp_len = 0;
	r->end_reason = 0;
	r->batch = 1;
	r->bytes_in = 0;
	r->bytes_out = 0;
	c->answer = (struct lg_proto_answer){};
	c->state = LG_CONN_REQUEST;
}

/*
 * One side sent FIN (FIN_WAIT1 / CLOSE_WAIT). A response in progress is
 * complete: returns LG_END_CLOSE for the caller to emit, else 0. A request
 * still waiting for its response stays open (clients may half-close after
 * sending).
 */
LG_CONN_FN int conn_on_fin(struct lg_conn *c)
{
	return c->state == LG_CONN_RESPONSE ? LG_END_CLOSE : 0;
}

/*
 * The socket reached TCP_CLOSE; reset says it was aborted (RST) rather than
 * closed in order. Returns the end reason to emit the request in progress
 * with, or 0 if there is none. A request with no response gets
 * LG_REQ_F_NO_RESPONSE.
 */
LG_CONN_FN int conn_on_close(struct lg_conn *c, int reset)
{
	if (c->state == LG_CONN_IDLE)
		return 0;
	if (c->state == LG_CONN_REQUEST)
		c->req.flags |= LG_REQ_F_NO_RESPONSE;
	return reset ? LG_END_RESET : LG_END_CLOSE;
}

/*
 * Scheduler split (LG_REQ_F_SCHED) of c->req before it is emitted or
 * flushed: the thread's totals from its read to its last write, and on-CPU
 * the rest of that time. Not for a request that moved between threads
 * (LG_REQ_F_MULTI_THREAD) or whose read was not seen (sched_ok 0). A span
 * still open at the last write (a send preempted midway) can make the parts
 * exceed the wall time: on-CPU is then 0.
 */
LG_CONN_FN void conn_sched_split(struct lg_conn *c)
{
	struct lg_request *r = &c->req;
	__u64 wall, off;

	if (!c->sched_ok || (r->flags & LG_REQ_F_MULTI_THREAD) || !r->t_last_resp_ns ||
	    r->t_last_resp_ns < r->t_read_ns)
		return;
	r->runq_ns = c->sched_last.runq_ns - c->sched_start.runq_ns;
	r->blocked_ns = c->sched_last.blocked_ns - c->sched_start.blocked_ns;
	r->throttled_ns = c->sched_last.throttled_ns - c->sched_start.throttled_ns;
	wall = r->t_last_resp_ns - r->t_read_ns;
	off = r->runq_ns + r->blocked_ns + r->throttled_ns;
	r->oncpu_ns = wall > off ? wall - off : 0;
	r->flags |= LG_REQ_F_SCHED;
}

/*
 * The thread's totals (runq, blocked, throttled) at the read of a request
 * that just began (sched_ok), or at a write of its answer: from its
 * lg_thread, or from the CPU's copy of it (struct lg_oncpu).
 */
LG_CONN_FN void conn_sched_read_totals(struct lg_conn *c, __u64 runq, __u64 blocked, __u64 throttled)
{
	c->sched_start.runq_ns = c->sched_last.runq_ns = runq;
	c->sched_start.blocked_ns = c->sched_last.blocked_ns = blocked;
	c->sched_start.throttled_ns = c->sched_last.throttled_ns = throttled;
	c->sched_ok = 1;
}

LG_CONN_FN void conn_sched_write_totals(struct lg_conn *c, __u64 runq, __u64 blocked, __u64 throttled)
{
	c->sched_last.runq_ns = runq;
	c->sched_last.blocked_ns = blocked;
	c->sched_last.throttled_ns = throttled;
}

LG_CONN_FN void conn_sched_read(struct lg_conn *c, const struct lg_thread *t)
{
	conn_sched_read_totals(c, t->runq_ns, t->blocked_ns, t->throttled_ns);
}

LG_CONN_FN void conn_sched_write(struct lg_conn *c, const struct lg_thread *t)
{
	conn_sched_write_totals(c, t->runq_ns, t->blocked_ns, t->throttled_ns);
}

/* After the caller emitted c->req at a FIN, close or flush: nothing is in progress. */
LG_CONN_FN void conn_emitted(struct lg_conn *c)
{
	c->state = LG_CONN_IDLE;
}

/*
 * 1 if c holds a whole answered request: user space reads the map while the
 * kernel writes it, and a copy taken mid-update (a new request half set up)
 * must never be flushed.
 */
LG_CONN_FN int conn_flushable(const struct lg_conn *c)
{
	const struct lg_request *r = &c->req;

	return c->state == LG_CONN_RESPONSE && r->seq > 0 && r->resp_writes > 0 &&
	       r->t_read_ns > 0 && r->t_first_resp_ns >= r->t_read_ns &&
	       r->t_last_resp_ns >= r->t_first_resp_ns;
}

/*
 * How long c's answer may pause before user space flushes it (see
 * LG_FLUSH_*): longer while the protocol says it may go on (an unfinished
 * chunked stream, an answer whose last write was its header or a chunk).
 */
LG_CONN_FN __u64 conn_flush_idle_ns(const struct lg_conn *c, __u64 idle_ns)
{
	if (lg_proto_answer_open(&c->answer, &c->req) && idle_ns < LG_FLUSH_STREAM_IDLE_NS)
		return LG_FLUSH_STREAM_IDLE_NS;
	return idle_ns;
}

/*
 * When user space should flush c->req: the time its answer has been idle for
 * idle_ns (longer for an unfinished stream), 0 with idle_ns 0 (the final
 * flush: whatever is whole), or ~0 for never (nothing whole is answered).
 */
LG_CONN_FN __u64 conn_flush_at(const struct lg_conn *c, __u64 idle_ns)
{
	if (!conn_flushable(c))
		return ~0ull;
	if (!idle_ns)
		return 0;
	return c->req.t_last_resp_ns + conn_flush_idle_ns(c, idle_ns);
}

/*
 * 1 if user space should flush c->req now: its response has been idle for
 * idle_ns (longer for an unfinished chunked stream).
 */
LG_CONN_FN int conn_flush_due(const struct lg_conn *c, __u64 now, __u64 idle_ns)
{
	return now > c->req.t_last_resp_ns && conn_flush_at(c, idle_ns) <= now;
}

#endif /* LATGOV_CONN_H */
