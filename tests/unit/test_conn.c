// SPDX-License-Identifier: GPL-2.0-only
/*
 * The per-connection request state machine (include/latgov/conn.h), driven
 * the way bpf/requests.bpf.c drives it: arrivals (tcp_probe), send starts
 * (tcp_sendmsg_locked), data events (sock_*_length), FIN and close.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "latgov/conn.h"

#define TGID 100
#define TID  101

/* What the BPF side would have put in the ring buffer. */
static struct lg_request emitted[16];
static int nemitted;

static void reset(struct lg_conn *c, __u8 role, __u32 cflags)
{
	memset(c, 0, sizeof(*c));
	memset(emitted, 0, sizeof(emitted));
	nemitted = 0;
	conn_init(c, 0xffff8880deadbeefull, role, cflags, 8080, 40000);
}

static void emit(struct lg_conn *c, int reason)
{
	c->req.end_reason = (__u8)reason;
	emitted[nemitted++] = c->req;
}

/* A data event the way the programs apply it: maybe emit, then update. */
static int data(struct lg_conn *c, int dir, __u64 now, __u64 bytes, __u32 tid)
{
	int reason = conn_data_ends_request(c, dir);

	if (reason)
		emit(c, reason);
	return conn_on_data(c, dir, now, bytes, TGID, tid, 7);
}

static void arrival(struct lg_conn *c, __u64 now, const char *payload)
{
	if (conn_on_arrival(c, now) == LG_COPY_NEXT_REQ) {
		size_t n = strlen(payload);

		if (n > LG_REQ_PREFIX)
			n = LG_REQ_PREFIX;
		memcpy(c->next_prefix, payload, n);
		c->next_len = (__u8)n;
	}
}

static void fin(struct lg_conn *c)
{
	int reason = conn_on_fin(c);

	if (reason) {
		emit(c, reason);
		conn_emitted(c);
	}
}

static void close_conn(struct lg_conn *c, int reset_)
{
	int reason = conn_on_close(c, reset_);

	if (reason)
		emit(c, reason);
}

static void test_keepalive_two_requests(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	arrival(&c, 1000, "GET /a HTTP/1.1\r\n");
	assert_int_equal(data(&c, LG_DIR_IN, 1100, 40, TID), 1);
	assert_int_equal(conn_on_send_start(&c), LG_COPY_RESP);
	c.req.resp_len = 12;
	assert_int_equal(conn_on_send_start(&c), LG_COPY_NONE);	/* once per request */
	data(&c, LG_DIR_OUT, 1500, 100, TID);
	data(&c, LG_DIR_OUT, 1800, 50, TID);
	data(&c, LG_DIR_OUT, 1900, 50, TID);
	assert_int_equal(nemitted, 0);
	arrival(&c, 5000, "GET /b HTTP/1.1\r\n");
	data(&c, LG_DIR_IN, 5050, 40, TID);

	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].type, LG_REC_REQUEST);
	assert_int_equal(emitted[0].seq, 1);
	assert_int_equal(emitted[0].end_reason, LG_END_NEXT_REQUEST);
	assert_int_equal(emitted[0].t_arrival_ns, 1000);
	assert_int_equal(emitted[0].t_read_ns, 1100);
	assert_int_equal(emitted[0].t_first_resp_ns, 1500);
	assert_int_equal(emitted[0].t_last_resp_ns, 1900);
	assert_int_equal(emitted[0].resp_writes, 3);
	assert_int_equal(emitted[0].max_gap_ns, 300);
	assert_int_equal(emitted[0].bytes_in, 40);
	assert_int_equal(emitted[0].bytes_out, 200);
	assert_int_equal(emitted[0].req_len, 17);
	assert_memory_equal(emitted[0].req_prefix, "GET /a ", 7);
	assert_int_equal(emitted[0].resp_len, 12);
	assert_int_equal(emitted[0].flags, 0);
	assert_int_equal(emitted[0].role, LG_ROLE_SERVER);
	assert_int_equal(emitted[0].tgid, TGID);

	/* The second request is in progress with its own arrival and prefix. */
	assert_int_equal(c.req.seq, 2);
	assert_int_equal(c.req.t_arrival_ns, 5000);
	assert_memory_equal(c.req.req_prefix, "GET /b ", 7);
	assert_int_equal(c.req.resp_len, 0);
	assert_int_equal(c.state, LG_CONN_REQUEST);
}

/* The cgroup is read at a connection's first request; later requests pass 0 and keep it. */
static void test_cgroup_kept_across_requests(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	conn_on_data(&c, LG_DIR_IN, 100, 10, TGID, TID, 7);
	conn_on_data(&c, LG_DIR_OUT, 200, 10, TGID, TID, 0);
	assert_int_equal(c.req.cgroup_id, 7);
	assert_int_equal(conn_data_ends_request(&c, LG_DIR_IN), LG_END_NEXT_REQUEST);
	conn_on_data(&c, LG_DIR_IN, 300, 10, TGID, TID, 0);
	assert_int_equal(c.req.seq, 2);
	assert_int_equal(c.req.cgroup_id, 7);
	/* A non-zero id replaces it (what a caller passes when it reads one). */
	conn_on_data(&c, LG_DIR_OUT, 400, 10, TGID, TID, 0);
	conn_data_ends_request(&c, LG_DIR_IN);
	conn_on_data(&c, LG_DIR_IN, 500, 10, TGID, TID, 9);
	assert_int_equal(c.req.cgroup_id, 9);
}

static void test_request_split_across_reads(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	arrival(&c, 100, "POST /upload HTTP/1.1\r\n");
	arrival(&c, 150, "more body");	/* a later segment of the same request */
	data(&c, LG_DIR_IN, 200, 1000, TID);
	data(&c, LG_DIR_IN, 300, 1000, TID);
	data(&c, LG_DIR_IN, 400, 500, TID);
	assert_int_equal(nemitted, 0);
	assert_int_equal(c.req.reads, 3);
	assert_int_equal(c.req.bytes_in, 2500);
	assert_int_equal(c.req.t_arrival_ns, 100);
	assert_memory_equal(c.req.req_prefix, "POST /upload", 12);
	data(&c, LG_DIR_OUT, 900, 10, TID);
	fin(&c);
	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].end_reason, LG_END_CLOSE);
	assert_int_equal(emitted[0].t_last_resp_ns, 900);
	/* Nothing left for the final close. */
	close_conn(&c, 0);
	assert_int_equal(nemitted, 1);
}

static void test_preexisting_mid_response(void **state)
{
	struct lg_conn c;

	(void)state;
	/* Seen first when the server writes the rest of an answer begun before attach. */
	reset(&c, LG_ROLE_SERVER, LG_CONN_F_PREEXISTING);
	assert_int_equal(data(&c, LG_DIR_OUT, 100, 500, TID), 0);
	assert_int_equal(c.state, LG_CONN_IDLE);
	assert_int_equal(nemitted, 0);
	/* The next request is whole and counted, flagged. */
	arrival(&c, 1000, "GET /x HTTP/1.1\r\n");
	data(&c, LG_DIR_IN, 1010, 30, TID);
	data(&c, LG_DIR_OUT, 1300, 60, TID);
	close_conn(&c, 0);
	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].seq, 1);
	assert_true(emitted[0].flags & LG_REQ_F_PREEXISTING);
	assert_int_equal(emitted[0].t_arrival_ns, 1000);
}

static void test_preexisting_read_missed(void **state)
{
	struct lg_conn c;

	(void)state;
	/* The read began before attach (syscall fallback): arrival, then the answer. */
	reset(&c, LG_ROLE_SERVER, LG_CONN_F_PREEXISTING);
	arrival(&c, 1000, "GET /x HTTP/1.1\r\n");
	assert_int_equal(data(&c, LG_DIR_OUT, 1400, 60, TID), 1);
	arrival(&c, 2000, "GET /y HTTP/1.1\r\n");
	data(&c, LG_DIR_IN, 2010, 30, TID);
	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].seq, 1);
	assert_int_equal(emitted[0].t_arrival_ns, 1000);
	assert_int_equal(emitted[0].t_first_resp_ns, 1400);
	assert_memory_equal(emitted[0].req_prefix, "GET /x ", 7);

	/* Not on a connection latgov saw open, nor without an arrival. */
	reset(&c, LG_ROLE_SERVER, 0);
	arrival(&c, 1000, "GET /x HTTP/1.1\r\n");
	assert_int_equal(data(&c, LG_DIR_OUT, 1400, 60, TID), 0);
	reset(&c, LG_ROLE_SERVER, LG_CONN_F_PREEXISTING);
	assert_int_equal(data(&c, LG_DIR_OUT, 1400, 60, TID), 0);
}

static void test_role_from_first_event(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_UNKNOWN, LG_CONN_F_PREEXISTING);
	data(&c, LG_DIR_IN, 10, 5, TID);
	assert_int_equal(c.req.role, LG_ROLE_SERVER);

	/* A target that writes first calls a dependency: it is the client. */
	reset(&c, LG_ROLE_UNKNOWN, 0);
	assert_int_equal(conn_on_send_start(&c), LG_COPY_NONE);	/* role not known yet */
	data(&c, LG_DIR_OUT, 10, 80, TID);
	assert_int_equal(c.req.role, LG_ROLE_CLIENT);
	assert_int_equal(c.state, LG_CONN_REQUEST);
	assert_int_equal(conn_on_arrival(&c, 40), LG_COPY_RESP);
	c.req.resp_len = 12;
	data(&c, LG_DIR_IN, 50, 300, TID);
	data(&c, LG_DIR_IN, 70, 300, TID);
	/* The client's next request ends the first call. */
	assert_int_equal(conn_on_send_start(&c), LG_COPY_NEXT_REQ);
	data(&c, LG_DIR_OUT, 100, 80, TID);
	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].role, LG_ROLE_CLIENT);
	assert_int_equal(emitted[0].bytes_out, 80);
	assert_int_equal(emitted[0].bytes_in, 600);
	assert_int_equal(emitted[0].t_first_resp_ns, 50);
	assert_int_equal(emitted[0].t_last_resp_ns, 70);
	assert_int_equal(emitted[0].resp_writes, 2);
	assert_int_equal(emitted[0].resp_len, 12);
	assert_false(emitted[0].flags & LG_REQ_F_NO_ARRIVAL);
}

static void test_close_and_reset(void **state)
{
	struct lg_conn c;

	(void)state;
	/* A request read and never answered: close emits it as such. */
	reset(&c, LG_ROLE_SERVER, 0);
	data(&c, LG_DIR_IN, 10, 5, TID);
	fin(&c);	/* the client half-closed: still waiting for the answer */
	assert_int_equal(nemitted, 0);
	close_conn(&c, 0);
	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].end_reason, LG_END_CLOSE);
	assert_true(emitted[0].flags & LG_REQ_F_NO_RESPONSE);
	assert_true(emitted[0].flags & LG_REQ_F_NO_ARRIVAL);

	/* Reset in the middle of an answer. */
	reset(&c, LG_ROLE_SERVER, 0);
	data(&c, LG_DIR_IN, 10, 5, TID);
	data(&c, LG_DIR_OUT, 20, 5, TID);
	close_conn(&c, 1);
	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].end_reason, LG_END_RESET);
	assert_false(emitted[0].flags & LG_REQ_F_NO_RESPONSE);

	/* An idle connection closing emits nothing. */
	reset(&c, LG_ROLE_SERVER, 0);
	close_conn(&c, 0);
	assert_int_equal(nemitted, 0);
}

static void test_pipelined_flag(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	arrival(&c, 100, "GET /1 HTTP/1.1\r\n");
	data(&c, LG_DIR_IN, 110, 20, TID);
	data(&c, LG_DIR_OUT, 200, 20, TID);
	arrival(&c, 250, "GET /2 HTTP/1.1\r\n");	/* before the first answer ended */
	data(&c, LG_DIR_OUT, 300, 20, TID);
	data(&c, LG_DIR_IN, 310, 20, TID);
	assert_int_equal(nemitted, 1);
	assert_false(emitted[0].flags & LG_REQ_F_PIPELINED);
	assert_true(c.req.flags & LG_REQ_F_PIPELINED);
	assert_int_equal(c.req.t_arrival_ns, 250);

	/* A request arriving after the answer ended is not. */
	data(&c, LG_DIR_OUT, 400, 20, TID);
	arrival(&c, 500, "GET /3 HTTP/1.1\r\n");
	data(&c, LG_DIR_IN, 510, 20, TID);
	assert_false(c.req.flags & LG_REQ_F_PIPELINED);
}

static void test_multi_thread_flag(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	data(&c, LG_DIR_IN, 10, 5, TID);
	data(&c, LG_DIR_OUT, 20, 5, TID + 1);	/* a worker thread answers */
	assert_true(c.req.flags & LG_REQ_F_MULTI_THREAD);
}

static void test_flush_due(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	data(&c, LG_DIR_IN, 1000, 5, TID);
	assert_false(conn_flush_due(&c, 1000 + LG_FLUSH_IDLE_NS * 10, LG_FLUSH_IDLE_NS));
	data(&c, LG_DIR_OUT, 2000, 5, TID);
	assert_false(conn_flush_due(&c, 2000 + LG_FLUSH_IDLE_NS - 1, LG_FLUSH_IDLE_NS));
	assert_true(conn_flush_due(&c, 2000 + LG_FLUSH_IDLE_NS, LG_FLUSH_IDLE_NS));
	conn_emitted(&c);
	assert_false(conn_flush_due(&c, 2000 + LG_FLUSH_IDLE_NS * 10, LG_FLUSH_IDLE_NS));

	/* A copy taken while the kernel set up the next request is not flushed. */
	reset(&c, LG_ROLE_SERVER, 0);
	data(&c, LG_DIR_IN, 1000, 5, TID);
	data(&c, LG_DIR_OUT, 2000, 5, TID);
	c.req.seq++;			/* conn_start_pipelined() half done ... */
	c.req.t_last_resp_ns = 0;	/* ... state still RESPONSE */
	c.req.resp_writes = 0;
	assert_false(conn_flushable(&c));
	assert_false(conn_flush_due(&c, 2000 + LG_FLUSH_IDLE_NS * 10, LG_FLUSH_IDLE_NS));
}

/* The idle flush's schedule: when each request is due. */
static void test_flush_at(void **state)
{
	const char *chunk = "1a\r\ndata: token 1\n\n\r\n";
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	data(&c, LG_DIR_IN, 1000, 5, TID);
	assert_int_equal(conn_flush_at(&c, LG_FLUSH_IDLE_NS), ~0ull);	/* not answered */
	assert_int_equal(conn_flush_at(&c, 0), ~0ull);
	data(&c, LG_DIR_OUT, 2000, 5, TID);
	assert_int_equal(conn_flush_at(&c, LG_FLUSH_IDLE_NS), 2000 + LG_FLUSH_IDLE_NS);
	assert_int_equal(conn_flush_at(&c, 0), 0);	/* the final flush: now */
	data(&c, LG_DIR_OUT, 3000, 5, TID);		/* a later write moves it */
	assert_int_equal(conn_flush_at(&c, LG_FLUSH_IDLE_NS), 3000 + LG_FLUSH_IDLE_NS);
	/* The next request: not due until it is answered. */
	data(&c, LG_DIR_IN, 4000, 5, TID);
	assert_int_equal(conn_flush_at(&c, LG_FLUSH_IDLE_NS), ~0ull);
	data(&c, LG_DIR_OUT, 5000, 5, TID);
	assert_int_equal(conn_flush_at(&c, LG_FLUSH_IDLE_NS), 5000 + LG_FLUSH_IDLE_NS);
	conn_emitted(&c);
	assert_int_equal(conn_flush_at(&c, 0), ~0ull);
	/* An unfinished stream waits the stream's idle time. */
	reset(&c, LG_ROLE_SERVER, 0);
	data(&c, LG_DIR_IN, 100, 20, TID);
	data(&c, LG_DIR_OUT, 1000, 120, TID);
	http1_note_write(&c.answer.http1, (const __u8 *)chunk, 16, (const __u8 *)"\n\n\r\n", 4);
	assert_int_equal(conn_flush_at(&c, LG_FLUSH_IDLE_NS), 1000 + LG_FLUSH_STREAM_IDLE_NS);
	/* It agrees with conn_flush_due either side of the time it gives. */
	assert_false(conn_flush_due(&c, 1000 + LG_FLUSH_STREAM_IDLE_NS - 1, LG_FLUSH_IDLE_NS));
	assert_true(conn_flush_due(&c, 1000 + LG_FLUSH_STREAM_IDLE_NS, LG_FLUSH_IDLE_NS));
}

static void test_streamed_gaps(void **state)
{
	struct lg_conn c;
	__u64 t[] = { 1000, 1010, 1050, 1060, 1200 };
	size_t i;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	arrival(&c, 900, "GET /v1/generate HTTP/1.1\r\n");
	data(&c, LG_DIR_IN, 950, 80, TID);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		data(&c, LG_DIR_OUT, t[i], 20, TID);
	close_conn(&c, 0);
	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].resp_writes, 5);
	assert_int_equal(emitted[0].max_gap_ns, 140);
	assert_int_equal(emitted[0].t_first_resp_ns - emitted[0].t_arrival_ns, 100);
	assert_int_equal(emitted[0].t_last_resp_ns, 1200);
}

/* What bpf/proto.bpf.h's answer_send does with the first bytes of a server's later send. */
static void response_start(struct lg_conn *c, const char *head)
{
	__u32 n = (__u32)strlen(head);
	int kind;

	if (c->state != LG_CONN_RESPONSE || c->req.role != LG_ROLE_SERVER)
		return;
	kind = conn_answer_send(c, (const __u8 *)head, n, NULL, 0);
	if (kind == LG_SEND_MORE)
		return;
	if (kind == LG_SEND_NEXT_ANSWER) {
		emit(c, LG_END_NEXT_REQUEST);
		conn_start_pipelined(c);
	}
	memcpy(c->req.resp_prefix, head, n > LG_RESP_PREFIX ? LG_RESP_PREFIX : n);
	c->req.resp_len = (__u8)(n > LG_RESP_PREFIX ? LG_RESP_PREFIX : n);
}

static void test_pipelined_batch_counted(void **state)
{
	struct lg_conn c;
	int i;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	/* Three requests in one segment, read by one recv, answered one send each. */
	arrival(&c, 100, "GET /p HTTP/1.1\r\nHost: x\r\n\r\nGET /p HTTP/1.1\r\n");
	data(&c, LG_DIR_IN, 110, 90, TID);
	for (i = 0; i < 3; i++) {
		if (i == 0) {
			assert_int_equal(conn_on_send_start(&c), LG_COPY_RESP);
			memcpy(c.req.resp_prefix, "HTTP/1.1 200 OK\r", 16);
			c.req.resp_len = 16;
		} else {
			response_start(&c, "HTTP/1.1 404 Not Found");
		}
		data(&c, LG_DIR_OUT, 200 + 100 * (__u64)i, 50, TID);
	}
	/* A later chunk of the last answer is not a new answer. */
	response_start(&c, "chunked body");
	data(&c, LG_DIR_OUT, 450, 10, TID);
	close_conn(&c, 0);

	assert_int_equal(nemitted, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(emitted[i].seq, i + 1);
		assert_int_equal(emitted[i].t_arrival_ns, 100);
		assert_int_equal(emitted[i].t_first_resp_ns, 200 + 100 * i);
		assert_memory_equal(emitted[i].req_prefix, "GET /p ", 7);
		assert_int_equal(!!(emitted[i].flags & LG_REQ_F_PIPELINED), i > 0);
	}
	assert_int_equal(emitted[0].end_reason, LG_END_NEXT_REQUEST);
	assert_int_equal(emitted[2].end_reason, LG_END_CLOSE);
	assert_int_equal(emitted[2].t_last_resp_ns, 450);
	assert_int_equal(emitted[2].resp_writes, 2);
	assert_int_equal(emitted[0].bytes_in, 90);
	assert_int_equal(emitted[1].bytes_in, 0);
	assert_memory_equal(emitted[1].resp_prefix, "HTTP/1.1 404", 12);
}

static void test_interim_100_continue(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	arrival(&c, 100, "POST /up HTTP/1.1\r\nExpect: 100-continue\r\n");
	data(&c, LG_DIR_IN, 110, 60, TID);
	memcpy(c.req.resp_prefix, "HTTP/1.1 100 Con", 16);
	c.req.resp_len = 16;
	data(&c, LG_DIR_OUT, 120, 25, TID);
	/* The body after "100 Continue" is more of the same request. */
	data(&c, LG_DIR_IN, 300, 5000, TID);
	assert_int_equal(nemitted, 0);
	response_start(&c, "HTTP/1.1 201 Created\r\n");
	data(&c, LG_DIR_OUT, 400, 80, TID);
	close_conn(&c, 0);
	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].bytes_in, 5060);
	assert_memory_equal(emitted[0].resp_prefix, "HTTP/1.1 201", 12);
	assert_int_equal(emitted[0].t_last_resp_ns, 400);
}

/* What lg_tcp_sendmsg does at each firing: seq_end is write_seq plus the bytes left. */
static void send_firing(struct lg_conn *c, __u32 seq_end, __u64 now, __u64 left)
{
	if (!conn_send_call_begins(c, seq_end)) {
		conn_send_continues(c, now);
		return;
	}
	data(c, LG_DIR_OUT, now, left, TID);
}

static void test_send_calls_told_apart(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	data(&c, LG_DIR_IN, 100, 10, TID);
	/* One call of 3000 bytes filling three segments: one write, timed to its last segment. */
	send_firing(&c, 1000 + 3000, 200, 3000);
	send_firing(&c, 2000 + 2000, 250, 2000);
	send_firing(&c, 3000 + 1000, 300, 1000);
	assert_int_equal(c.req.resp_writes, 1);
	assert_int_equal(c.req.bytes_out, 3000);
	assert_int_equal(c.req.t_first_resp_ns, 200);
	assert_int_equal(c.req.t_last_resp_ns, 300);
	/* A call that fails with EAGAIN, then its retry of the same bytes: still one write. */
	send_firing(&c, 4000 + 500, 1000, 500);
	send_firing(&c, 4000 + 500, 1500, 500);
	assert_int_equal(c.req.resp_writes, 2);
	assert_int_equal(c.req.bytes_out, 3500);
	assert_int_equal(c.req.max_gap_ns, 700);
	/* The next call, though it starts where the last ended: a write of its own. */
	send_firing(&c, 4500 + 500, 2000, 500);
	assert_int_equal(c.req.resp_writes, 3);
	assert_int_equal(c.req.t_last_resp_ns, 2000);
	/* The first call on a connection is new whatever its end (a zeroed state is not a match). */
	reset(&c, LG_ROLE_SERVER, 0);
	assert_true(conn_send_call_begins(&c, 0));
	assert_false(conn_send_call_begins(&c, 0));
}

static void test_arrival_during_answer_send(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	arrival(&c, 100, "GET /a HTTP/1.1\r\n");
	data(&c, LG_DIR_IN, 110, 20, TID);
	/* The answer's send begins; the client already has it and sends the next. */
	send_firing(&c, 50, 200, 50);
	arrival(&c, 210, "GET /b HTTP/1.1\r\n");
	data(&c, LG_DIR_IN, 300, 20, TID);
	assert_int_equal(nemitted, 1);
	assert_int_equal(c.req.t_arrival_ns, 210);
	assert_memory_equal(c.req.req_prefix, "GET /b ", 7);
	assert_false(c.req.flags & LG_REQ_F_NO_ARRIVAL);
}

/* Arrival mode: a segment as lg_tcp_probe applies it; returns what it copied. */
static int segment(struct lg_conn *c, __u64 now, const char *payload)
{
	int reason = conn_data_ends_request(c, LG_DIR_IN), copy;
	size_t n = strlen(payload);

	if (reason)
		emit(c, reason);
	copy = conn_arrival_data(c, now, n, reason);
	if (n > LG_REQ_PREFIX)
		n = LG_REQ_PREFIX;
	if (copy == LG_COPY_REQ) {
		memcpy(c->req.req_prefix, payload, n);
		c->req.req_len = (__u8)n;
	} else if (copy == LG_COPY_RESP) {
		n = n > LG_RESP_PREFIX ? LG_RESP_PREFIX : n;
		memcpy(c->req.resp_prefix, payload, n);
		c->req.resp_len = (__u8)n;
	}
	return copy;
}

/* Arrival mode: a send's first segment as lg_tcp_sendmsg applies it. */
static void answer(struct lg_conn *c, __u64 now, __u64 bytes, __u32 tid)
{
	conn_answer_thread(c, TGID, tid);
	data(c, LG_DIR_OUT, now, bytes, tid);
}

static void test_arrival_mode_keepalive(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	assert_int_equal(segment(&c, 100, "GET /a HTTP/1.1\r\nHost: x\r\n"), LG_COPY_REQ);
	/* The rest of the request in a second segment: more of it, nothing to copy. */
	assert_int_equal(segment(&c, 120, "\r\n"), LG_COPY_NONE);
	answer(&c, 300, 50, TID);
	answer(&c, 350, 20, TID);
	assert_int_equal(segment(&c, 900, "GET /b HTTP/1.1\r\n\r\n"), LG_COPY_REQ);
	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].end_reason, LG_END_NEXT_REQUEST);
	assert_int_equal(emitted[0].t_arrival_ns, 100);
	assert_int_equal(emitted[0].t_read_ns, 100);
	assert_int_equal(emitted[0].t_first_resp_ns, 300);
	assert_int_equal(emitted[0].t_last_resp_ns, 350);
	assert_int_equal(emitted[0].bytes_in, 28);
	assert_int_equal(emitted[0].reads, 2);
	assert_int_equal(emitted[0].tid, TID);
	assert_false(emitted[0].flags & (LG_REQ_F_NO_ARRIVAL | LG_REQ_F_MULTI_THREAD));
	assert_memory_equal(emitted[0].req_prefix, "GET /a ", 7);
	/* The next request is answered by another thread: it is that thread's, not a move. */
	answer(&c, 1000, 10, TID + 1);
	close_conn(&c, 0);
	assert_int_equal(nemitted, 2);
	assert_int_equal(emitted[1].tid, TID + 1);
	assert_false(emitted[1].flags & LG_REQ_F_MULTI_THREAD);
	assert_memory_equal(emitted[1].req_prefix, "GET /b ", 7);
}

static void test_arrival_mode_interim_and_client(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	segment(&c, 100, "POST /up HTTP/1.1\r\nExpect: 100-continue\r\n\r\n");
	memcpy(c.req.resp_prefix, "HTTP/1.1 100 Con", 16);
	c.req.resp_len = 16;
	answer(&c, 120, 25, TID);
	/* The body after the interim answer is more of the request. */
	assert_int_equal(segment(&c, 300, "body"), LG_COPY_NONE);
	assert_int_equal(nemitted, 0);
	assert_int_equal(c.req.bytes_in, 47);

	/* A client: its request is a send, the answer's segments arrive. */
	reset(&c, LG_ROLE_CLIENT, 0);
	data(&c, LG_DIR_OUT, 100, 40, TID);
	assert_int_equal(segment(&c, 250, "HTTP/1.1 200 OK\r\n\r\n"), LG_COPY_RESP);
	assert_int_equal(segment(&c, 260, "more"), LG_COPY_NONE);
	data(&c, LG_DIR_OUT, 400, 40, TID);
	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].t_first_resp_ns, 250);
	assert_int_equal(emitted[0].t_last_resp_ns, 260);
	assert_false(emitted[0].flags & LG_REQ_F_MULTI_THREAD);
	assert_memory_equal(emitted[0].resp_prefix, "HTTP/1.1 200", 12);
}

static void test_arrival_new_bytes(void **state)
{
	struct lg_conn c;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	assert_int_equal(conn_arrival_new_bytes(&c, 1000, 100), 100);
	/* A retransmission of it, whole or in part, is nothing new. */
	assert_int_equal(conn_arrival_new_bytes(&c, 1000, 100), 0);
	assert_int_equal(conn_arrival_new_bytes(&c, 1050, 50), 0);
	/* Overlapping: only its new part. */
	assert_int_equal(conn_arrival_new_bytes(&c, 1050, 100), 50);
	/* Across the 32-bit wrap. */
	reset(&c, LG_ROLE_SERVER, 0);
	assert_int_equal(conn_arrival_new_bytes(&c, 0xffffff00u, 0x100), 0x100);
	assert_int_equal(conn_arrival_new_bytes(&c, 0, 10), 10);
	assert_int_equal(conn_arrival_new_bytes(&c, 0xfffffff0u, 0x10), 0);
}

static void test_arrival_mode_unseen_first_request(void **state)
{
	struct lg_conn c;

	(void)state;
	/* TCP_DEFER_ACCEPT: the request came with the handshake's last segment, at 50. */
	reset(&c, LG_ROLE_SERVER, 0);
	assert_true(conn_unseen_request(&c, 120, 50, 400));
	answer(&c, 400, 60, TID);
	close_conn(&c, 0);
	assert_int_equal(nemitted, 1);
	assert_int_equal(emitted[0].t_arrival_ns, 50);
	assert_int_equal(emitted[0].bytes_in, 120);
	assert_false(emitted[0].flags & LG_REQ_F_NO_ARRIVAL);
	/* Not when the connection had a request already, sent nothing, or predates latgov. */
	reset(&c, LG_ROLE_SERVER, 0);
	assert_false(conn_unseen_request(&c, 0, 50, 400));	/* the server speaks first */
	segment(&c, 100, "GET / HTTP/1.1\r\n");
	assert_false(conn_unseen_request(&c, 120, 50, 400));
	reset(&c, LG_ROLE_SERVER, LG_CONN_F_PREEXISTING);
	assert_false(conn_unseen_request(&c, 120, 0, 400));
	/* Established time unknown: the answer's time, flagged. */
	reset(&c, LG_ROLE_SERVER, 0);
	assert_true(conn_unseen_request(&c, 120, 0, 400));
	assert_int_equal(c.req.t_arrival_ns, 400);
	assert_true(c.req.flags & LG_REQ_F_NO_ARRIVAL);
}

static void test_unfinished_chunked_stream_waits(void **state)
{
	struct lg_conn c;
	const char *chunk = "1a\r\ndata: token 1\n\n\r\n";
	const char *last = "\r\n0\r\n\r\n";
	__u64 far = 1000 + LG_FLUSH_IDLE_NS * 2;

	(void)state;
	reset(&c, LG_ROLE_SERVER, 0);
	data(&c, LG_DIR_IN, 100, 20, TID);
	data(&c, LG_DIR_OUT, 1000, 120, TID);
	/* A plain answer idle past LG_FLUSH_IDLE_NS is flushed... */
	assert_true(conn_flush_due(&c, far, LG_FLUSH_IDLE_NS));
	/* ... a chunked one whose last chunk has not gone waits ... */
	http1_note_write(&c.answer.http1, (const __u8 *)chunk, 16, (const __u8 *)"\n\n\r\n", 4);
	assert_true(c.answer.http1.chunked);
	assert_false(conn_flush_due(&c, far, LG_FLUSH_IDLE_NS));
	assert_true(conn_flush_due(&c, 1000 + LG_FLUSH_STREAM_IDLE_NS, LG_FLUSH_IDLE_NS));
	/* ... until the terminating chunk. */
	http1_note_write(&c.answer.http1, (const __u8 *)last, 7, (const __u8 *)last + 2, 5);
	data(&c, LG_DIR_OUT, 2000, 7, TID);
	assert_true(c.answer.http1.chunked_done);
	assert_false(c.answer.http1.open_end);
	assert_true(conn_flush_due(&c, 2000 + LG_FLUSH_IDLE_NS, LG_FLUSH_IDLE_NS));
	/* A header that is not a chunk size, and the next request, reset nothing wrongly. */
	http1_note_write(&c.answer.http1, (const __u8 *)"HTTP/1.1 200 OK\r", 16, NULL, 0);
	data(&c, LG_DIR_IN, 3000, 20, TID);
	assert_false(c.answer.http1.chunked);
	assert_false(c.answer.http1.chunked_done);
}

/*
 * An HTTP answer that has sent only its header (a token stream before its
 * first token) waits like a stream; one whose last write ended its body, or
 * that cannot have a body (204, 304, HEAD), is flushed when idle.
 */
static void test_header_only_answer_waits(void **state)
{
	static const struct {
		const char *req, *status, *tail;
		int waits;
	} cases[] = {
		{ "GET /v1/generate HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "\n\r\n\r\n", 1 },
		{ "POST /v1/generate HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "a\n\n\r\n", 1 },
		{ "GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "e\"}\n", 0 },
		{ "GET /a HTTP/1.1\r\n", "HTTP/1.1 204 No", "\n\r\n\r\n", 0 },
		{ "GET /a HTTP/1.1\r\n", "HTTP/1.1 304 Not", "\n\r\n\r\n", 0 },
		{ "HEAD /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r\n", "\n\r\n\r\n", 0 },
		/* Not HTTP (a Redis reply ends in CRLF too): flushed as before. */
		{ "*1\r\n$4\r\nPING\r\n", "+PONG\r\n", "PONG\r\n", 0 },
	};
	__u64 far = 1000 + LG_FLUSH_IDLE_NS * 2;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct lg_conn c;

		reset(&c, LG_ROLE_SERVER, 0);
		arrival(&c, 50, cases[i].req);
		data(&c, LG_DIR_IN, 100, 20, TID);
		data(&c, LG_DIR_OUT, 1000, 120, TID);
		c.req.resp_len = (__u8)strlen(cases[i].status);
		memcpy(c.req.resp_prefix, cases[i].status, c.req.resp_len);
		http1_note_write(&c.answer.http1, NULL, 0, (const __u8 *)cases[i].tail + strlen(cases[i].tail) - 5, 5);
		if (cases[i].waits != !conn_flush_due(&c, far, LG_FLUSH_IDLE_NS))
			fail_msg("case %zu (%s): expected %s", i, cases[i].req, cases[i].waits ? "wait" : "flush");
		/* The body's write ends the wait. */
		http1_note_write(&c.answer.http1, NULL, 0, (const __u8 *)"end.}", 5);
		assert_true(conn_flush_due(&c, far, LG_FLUSH_IDLE_NS));
	}
}

/* Slot indexes stay inside the table, and sockets laid out as a slab lays them out spread. */
static void test_slot_index_spreads_slab_addresses(void **state)
{
	static unsigned int used[1u << LG_SLOTS_BITS];
	unsigned int i, most = 0, bits;
	/* A run of TCP sockets: 2,304-byte slab objects from one region. */
	const __u64 base = 0xffff888100000000ull, stride = 2304;

	(void)state;
	for (bits = 0; bits <= LG_SLOTS_BITS; bits++)
		for (i = 0; i < 1000; i++)
			assert_true(lg_slot_index(base + i * stride, bits) < (1u << bits));
	assert_int_equal(lg_slot_index(base, 0), 0);
	/* The scalar the BPF side hashes is the address less a map's: any offset works alike. */
	for (i = 0; i < (1u << LG_SLOTS_BITS); i++)
		used[lg_slot_index(base - 0xffffc90000000000ull + i * stride, LG_SLOTS_BITS)]++;
	for (i = 0; i < (1u << LG_SLOTS_BITS); i++)
		most = used[i] > most ? used[i] : most;
	/* As many sockets as slots: a random placement's fullest slot holds ~6. */
	assert_true(most <= 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_index_spreads_slab_addresses),
		cmocka_unit_test(test_keepalive_two_requests),
		cmocka_unit_test(test_cgroup_kept_across_requests),
		cmocka_unit_test(test_request_split_across_reads),
		cmocka_unit_test(test_preexisting_mid_response),
		cmocka_unit_test(test_preexisting_read_missed),
		cmocka_unit_test(test_role_from_first_event),
		cmocka_unit_test(test_close_and_reset),
		cmocka_unit_test(test_pipelined_flag),
		cmocka_unit_test(test_multi_thread_flag),
		cmocka_unit_test(test_flush_due),
		cmocka_unit_test(test_flush_at),
		cmocka_unit_test(test_streamed_gaps),
		cmocka_unit_test(test_pipelined_batch_counted),
		cmocka_unit_test(test_interim_100_continue),
		cmocka_unit_test(test_send_calls_told_apart),
		cmocka_unit_test(test_arrival_mode_keepalive),
		cmocka_unit_test(test_arrival_mode_interim_and_client),
		cmocka_unit_test(test_arrival_new_bytes),
		cmocka_unit_test(test_arrival_mode_unseen_first_request),
		cmocka_unit_test(test_arrival_during_answer_send),
		cmocka_unit_test(test_unfinished_chunked_stream_waits),
		cmocka_unit_test(test_header_only_answer_waits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
