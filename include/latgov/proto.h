/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The protocol seam of the request tracer: what the connection state
 * machine (conn.h) and the scheduler tag need to know of the bytes a
 * connection carries, behind one small interface, with one header per
 * protocol behind it (proto_http1.h, proto_resp.h). Helper-free static
 * inline code: BPF and the unit tests run the same logic.
 *
 * The interface:
 *   lg_proto_detect(request bytes)        which protocol a connection speaks
 *   lg_proto_on_first_send(...)           a server's first write of an answer
 *   lg_proto_on_send(...)                 its later writes: more of the answer,
 *                                         or the answer to the next pipelined request
 *   lg_proto_answer_open(...)             whether a pausing answer may still go on
 *   lg_route_key(request bytes, port)     the endpoint a thread's time is tagged with
 *
 * Adding a protocol: a proto_<name>.h beside these with its framing, a case
 * in each function below, and a row in user space's protocol table
 * (user/core/proto.c) that names its endpoints and tells its errors.
 * Everything else (the state machine, timing, the scheduler split) is the
 * same for every request/response protocol.
 */
#ifndef LATGOV_PROTO_H
#define LATGOV_PROTO_H

#include "latgov/abi.h"
#include "latgov/proto_http1.h"
#include "latgov/proto_resp.h"

#define LG_PROTO_FN static inline __attribute__((always_inline))

/* What a connection speaks, from its first request's first bytes. */
enum lg_proto {
	LG_PROTO_NONE  = 0,	/* not known (yet): plain request/response over TCP */
	LG_PROTO_HTTP1 = 1,
	LG_PROTO_RESP  = 2,	/* Redis */
	LG_PROTO__MAX
};

/* What a server's send means for the answer in progress (lg_proto_on_send). */
enum lg_send_kind {
	LG_SEND_MORE         = 0,	/* more of the answer in progress */
	LG_SEND_NEXT_ANSWER  = 1,	/* begins the answer to the next pipelined request */
	LG_SEND_FINAL_ANSWER = 2,	/* a final answer after an interim one: its first bytes are the answer's */
};

/* Per connection: what the protocol keeps of the answer in progress; zeroed at each request. */
struct lg_proto_answer {
	struct lg_http1_answer http1;
};

/* The protocol of n request bytes at p (enum lg_proto). */
LG_PROTO_FN __u8 lg_proto_detect(const __u8 *p, __u32 n)
{
	if (resp_is_request(p, n))
		return LG_PROTO_RESP;
	if (n && p[0] >= 'A' && p[0] <= 'Z')
		return LG_PROTO_HTTP1;
	return LG_PROTO_NONE;
}

/*
 * 1 if the answer so far (its first rn bytes at resp) is an interim one,
 * after which the request goes on (its body follows HTTP/1.1's 100
 * Continue). Only an HTTP status line is: no other protocol's answer begins
 * like one.
 */
LG_PROTO_FN int lg_proto_interim(const __u8 *resp, __u32 rn)
{
	return http1_status_start(resp, rn) == LG_HTTP1_INTERIM;
}

/*
 * A server's first write of an answer, whose last five bytes are in tail
 * (tn 5, or 0 if unknown): the protocol notes how it ends.
 */
LG_PROTO_FN void lg_proto_on_first_send(struct lg_proto_answer *a, const __u8 *tail, __u32 tn)
{
	/* An HTTP answer's first bytes are a status line, not a chunk: only the end tells. */
	http1_note_write(&a->http1, 0, 0, tail, tn);
}

/*
 * 1 if the protocol's answers to pipelined requests share one write (RESP),
 * whose replies are then counted from its first LG_RESP_SCAN bytes: the
 * requests the write answers (lg_request.batch). The count is a step
 * function (lg_proto_scan_step) run by the caller's loop: bpf_loop in BPF,
 * lg_proto_scan_batch's plain loop elsewhere.
 */
LG_PROTO_FN int lg_proto_scans_answer(__u8 proto)
{
	return proto == LG_PROTO_RESP;
}

struct lg_proto_scan {
	struct lg_resp_scan resp;
};

/* Starts a count over the n bytes read (at most LG_RESP_SCAN) of an answer's first write. */
LG_PROTO_FN void lg_proto_scan_init(struct lg_proto_scan *s, __u32 n)
{
	s->resp = (struct lg_resp_scan){ .n = n > LG_RESP_SCAN ? LG_RESP_SCAN : n };
}

/* One step over b (LG_RESP_SCAN bytes): 0 to go on, 1 when done. At most LG_RESP_SCAN steps. */
LG_PROTO_FN int lg_proto_scan_step(struct lg_proto_scan *s, const __u8 *b)
{
	return resp_scan_step(&s->resp, b);
}

/* The requests the write answers, from a finished count: at least 1. */
LG_PROTO_FN __u32 lg_proto_scan_result(const struct lg_proto_scan *s)
{
	return s->resp.count ? s->resp.count : 1;
}

/*
 * A server's later send while its answer is in progress; r is the request
 * in progress (its resp_prefix the answer's first bytes). Returns enum
 * lg_send_kind: on LG_SEND_NEXT_ANSWER the caller emits r and starts the
 * pipelined request, then takes head as the new answer's first bytes, as on
 * LG_SEND_FINAL_ANSWER (and calls lg_proto_on_answer_start).
 */
LG_PROTO_FN int lg_proto_on_send(__u8 proto, struct lg_proto_answer *a, const struct lg_request *r,
				 const __u8 *head, __u32 hn, const __u8 *tail, __u32 tn)
{
	int status;

	if (proto != LG_PROTO_HTTP1) {
		/* A RESP write mid-answer may be the rest of a long reply: its bytes say nothing. */
		return LG_SEND_MORE;
	}
	status = http1_status_start(head, hn);
	if (status && lg_proto_interim(r->resp_prefix, r->resp_len))
		return LG_SEND_FINAL_ANSWER;
	if (status)
		return LG_SEND_NEXT_ANSWER;
	http1_note_write(&a->http1, head, hn, tail, tn);
	return LG_SEND_MORE;
}

/* After lg_proto_on_send said an answer begins with this write: notes how it ends. */
LG_PROTO_FN void lg_proto_on_answer_start(struct lg_proto_answer *a, const __u8 *tail, __u32 tn)
{
	http1_note_write(&a->http1, 0, 0, tail, tn);
}

/*
 * A server's send of kernel pages (sendfile, splice): a body, whose end is
 * not known, so the answer does not end open.
 */
LG_PROTO_FN void lg_proto_on_page_send(struct lg_proto_answer *a)
{
	a->http1.open_end = 0;
}

/* 1 if the answer's last write said more of it may follow: a header alone, or a chunk. */
LG_PROTO_FN int lg_proto_more_follows(const struct lg_proto_answer *a)
{
	return a->http1.open_end || (a->http1.chunked && !a->http1.chunked_done);
}

/*
 * 1 if the answer to r, which has paused, may still go on (a stream whose
 * end has not been sent): user space then waits longer before it takes
 * the answer as done.
 */
LG_PROTO_FN int lg_proto_answer_open(const struct lg_proto_answer *a, const struct lg_request *r)
{
	return http1_answer_open(&a->http1, r->resp_prefix, r->resp_len, r->req_prefix, r->req_len);
}

/*
 * The route key of a request: which endpoint its time is tagged with in the
 * kernel, where its bytes cannot be parsed. A hash of what names its
 * endpoint (HTTP: the line up to the end of its path; RESP: the command and
 * its subcommand), mixed with the local port; for another protocol the port
 * alone, as its endpoint is "tcp:PORT". User space computes the same key from
 * each record's prefix to learn which endpoint name a key stands for; keys
 * of different paths that template to one route name the same endpoint.
 * Never 0 (0 = untagged).
 *
 * p is a record's whole prefix buffer (LG_REQ_PREFIX bytes, 8-byte
 * aligned), of which len bytes are valid. *used is set to the bytes the key
 * was made of (0: none but the port).
 */
LG_PROTO_FN __u32 lg_route_key_used(const __u8 *p, __u32 len, __u16 port, __u32 *used)
{
	__u64 h = LG_FNV_BASIS ^ port;

	*used = 0;
	if (len > LG_REQ_PREFIX)
		len = LG_REQ_PREFIX;
	switch (lg_proto_detect(p, len)) {
	case LG_PROTO_HTTP1:
		h = http1_route_hash(p, len, h, used);
		break;
	case LG_PROTO_RESP:
		h = resp_route_hash(p, len, h, used);
		break;
	default:
		break;
	}
	h ^= h >> 32;
	return (__u32)h ? (__u32)h : 1;
}

/*
 * How many of a request's first bytes (p, len of them) its endpoint's name
 * depends on, for user space to cache names by: an HTTP request line up to
 * its CR (its version must parse too), a RESP command through its name and
 * subcommand; 0 for another protocol, named by its port alone.
 */
LG_PROTO_FN __u32 lg_proto_name_bytes(const __u8 *p, __u32 len)
{
	__u32 i, used;

	if (len > LG_REQ_PREFIX)
		len = LG_REQ_PREFIX;
	switch (lg_proto_detect(p, len)) {
	case LG_PROTO_HTTP1:
		/* A word at a time: user space asks this of every record. */
		for (i = 0; i < LG_REQ_PREFIX / 8; i++) {
			__u64 cr;

			if (i * 8 >= len)
				break;
			cr = lg_bytes_eq(lg_prefix_word(p, i * 8, len), '\r');
			/* The masked-off bytes past len are 0, never CR. */
			if (cr)
				return i * 8 + (__u32)(((cr & (~cr + 1)) >> 7) * 0x0001020304050607ull >> 56);
		}
		return len;
	case LG_PROTO_RESP:
		resp_route_hash(p, len, 0, &used);
		return used;
	default:
		return 0;
	}
}

LG_PROTO_FN __u32 lg_route_key(const __u8 *p, __u32 len, __u16 port)
{
	__u32 used;

	return lg_route_key_used(p, len, port, &used);
}

/*
 * The words a route key was made of, for the next request on the same
 * connection (lg_route_key_cached): a keep-alive connection mostly asks for
 * the same endpoint again, and comparing up to three words is cheaper than
 * hashing them. w[] holds the request's words up to and with the last byte
 * the key was made of, the rest of the last one zeroed; nw 0: nothing kept.
 */
struct lg_route_cache {
	__u64 w[3];
	__u64 last_mask;		/* of w[nw - 1] */
	__u32 key;
	__u8  nw;
	__u8  pad[3];
};

/*
 * lg_route_key of a connection's request, through its cache rc: the same
 * words up to and with the last byte the key was made of, as the request
 * before, give its key; else the key is made and kept (if it was made of at
 * most three words). The port is the connection's, the same each time.
 */
LG_PROTO_FN __u32 lg_route_key_cached(struct lg_route_cache *rc, const __u8 *p, __u32 len,
				      __u16 port)
{
	__u32 i, n = len > LG_REQ_PREFIX ? LG_REQ_PREFIX : len, used, tail;
	__u64 w;

	if (rc->nw && rc->nw <= 3 && n >= 8 * (__u32)(rc->nw - 1) + 1) {
		for (i = 0; i < 3; i++) {
			if (i + 1 >= rc->nw)
				break;
			if (lg_prefix_word(p, i * 8, n) != rc->w[i])
				goto miss;
		}
		w = lg_prefix_word(p, i * 8, n) & rc->last_mask;
		if (i < 3 && w == rc->w[i])
			return rc->key;
	}
miss:
	rc->key = lg_route_key_used(p, n, port, &used);
	rc->nw = 0;
	if (!used || used > 24 || used > n)
		return rc->key;
	rc->nw = (__u8)((used + 7) / 8);
	tail = used - 8 * (rc->nw - 1);
	rc->last_mask = tail == 8 ? ~0ull : (1ull << (8 * tail)) - 1;
	for (i = 0; i < 3; i++) {
		if (i >= rc->nw)
			break;
		w = lg_prefix_word(p, i * 8, n);
		rc->w[i] = i + 1 == rc->nw ? w & rc->last_mask : w;
	}
	return rc->key;
}

#endif /* LATGOV_PROTO_H */
