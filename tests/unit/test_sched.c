// SPDX-License-Identifier: GPL-2.0-only
/*
 * Scheduler attribution: the span split and thread totals of
 * include/latgov/sched.h, a request's split from them (conn.h), the route
 * key, and the process-wide histograms (user/core/sched_hist.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/sched_hist.h"
#include "latgov/conn.h"
#include "latgov/sched.h"

#define US 1000ull
#define MS 1000000ull

static void test_split(void **state)
{
	struct lg_span s;

	(void)state;
	/* Slept 5 ms, then waited 1 ms for a CPU. */
	sched_split(LG_PHASE_BLOCKED, 10 * MS, 15 * MS, 0, 16 * MS, &s);
	assert_int_equal(s.blocked_ns, 5 * MS);
	assert_int_equal(s.runq_ns, 1 * MS);
	assert_int_equal(s.throttled_ns, 0);
	/* The same, woken while its group was throttled. */
	sched_split(LG_PHASE_BLOCKED, 10 * MS, 15 * MS, 1, 16 * MS, &s);
	assert_int_equal(s.throttled_ns, 1 * MS);
	assert_int_equal(s.runq_ns, 0);
	/* Preempted, and throttled at switch-out. */
	sched_split(LG_PHASE_RUNQ, 10 * MS, 0, 0, 12 * MS, &s);
	assert_int_equal(s.runq_ns, 2 * MS);
	sched_split(LG_PHASE_THROTTLED, 10 * MS, 0, 0, 12 * MS, &s);
	assert_int_equal(s.throttled_ns, 2 * MS);
	/* A wakeup not seen: all sleep. A wakeup out of the span: all sleep too. */
	sched_split(LG_PHASE_BLOCKED, 10 * MS, 0, 0, 14 * MS, &s);
	assert_int_equal(s.blocked_ns, 4 * MS);
	sched_split(LG_PHASE_BLOCKED, 10 * MS, 20 * MS, 0, 14 * MS, &s);
	assert_int_equal(s.blocked_ns, 4 * MS);
	assert_int_equal(s.runq_ns, 0);
	/* Time going backwards gives nothing. */
	sched_split(LG_PHASE_RUNQ, 10 * MS, 0, 0, 9 * MS, &s);
	assert_int_equal(s.runq_ns + s.blocked_ns + s.throttled_ns, 0);
}

/* A request read, a CPU burst, a sleep, a preemption, the answer: its split. */
static void test_request_split(void **state)
{
	struct lg_thread t;
	struct lg_conn c;
	struct lg_span s;

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(&c, 0, sizeof(c));
	c.req.role = LG_ROLE_SERVER;
	t.blocked_ns = 7 * MS;	/* totals from before this request */
	c.req.t_read_ns = 100 * MS;
	conn_sched_read(&c, &t);
	sched_request_begins(&t, 42);
	sched_switch_out(&t, 110 * MS, 0, 0);	/* 10 ms on CPU, then sleeps */
	assert_int_equal(t.endpoint, 42);	/* no answer yet: still in flight */
	sched_wakeup(&t, 130 * MS, 0);
	sched_switch_in(&t, 131 * MS, &s);	/* 20 ms blocked, 1 ms run queue */
	sched_switch_out(&t, 135 * MS, 1, 1);	/* throttled */
	sched_switch_in(&t, 145 * MS, &s);	/* 10 ms throttled */
	c.req.t_last_resp_ns = 150 * MS;
	conn_sched_write(&c, &t);
	conn_sched_split(&c);
	assert_true(c.req.flags & LG_REQ_F_SCHED);
	assert_int_equal(c.req.blocked_ns, 20 * MS);
	assert_int_equal(c.req.runq_ns, 1 * MS);
	assert_int_equal(c.req.throttled_ns, 10 * MS);
	assert_int_equal(c.req.oncpu_ns, 50 * MS - 31 * MS);

	/* Moved between threads, or its read not seen: no split. */
	c.req.flags = LG_REQ_F_MULTI_THREAD;
	conn_sched_split(&c);
	assert_false(c.req.flags & LG_REQ_F_SCHED);
	c.req.flags = 0;
	c.sched_ok = 0;
	conn_sched_split(&c);
	assert_false(c.req.flags & LG_REQ_F_SCHED);
}

/* In flight until the thread sleeps after an answer that did not say more may follow. */
static void test_in_flight(void **state)
{
	struct lg_thread t;

	(void)state;
	memset(&t, 0, sizeof(t));
	sched_request_begins(&t, 9);
	assert_int_equal(sched_tag_at_switch_out(&t, 0), 9);
	sched_answer_write(&t, 1);	/* a header alone: the body (a token stream) follows */
	assert_int_equal(sched_tag_at_switch_out(&t, 0), 9);
	sched_switch_out(&t, 1, 0, 0);
	assert_int_equal(t.endpoint, 9);
	sched_answer_write(&t, 0);	/* the end of the answer */
	assert_int_equal(sched_tag_at_switch_out(&t, 1), 9);	/* preempted: still its time */
	assert_int_equal(sched_tag_at_switch_out(&t, 0), 0);	/* goes to wait for the next one */
	sched_switch_out(&t, 2, 0, 0);
	assert_int_equal(t.endpoint, 0);
	assert_int_equal(t.answered, 0);
}

/* The CPU's copy of a running thread: its totals as of the switch-in, its tag back at the switch-out. */
static void test_oncpu_copy(void **state)
{
	struct lg_thread t;
	struct lg_oncpu o;

	(void)state;
	memset(&t, 0, sizeof(t));
	memset(&o, 0xff, sizeof(o));
	sched_oncpu_in(&o, 42, NULL);
	assert_int_equal(o.tid, 0);	/* nothing kept: the hooks use the thread's entry */
	t.runq_ns = 5;
	t.blocked_ns = 7;
	t.throttled_ns = 11;
	t.endpoint = 3;
	sched_oncpu_in(&o, 42, &t);
	assert_int_equal(o.tid, 42);
	assert_int_equal(o.runq_ns, 5);
	assert_int_equal(o.blocked_ns, 7);
	assert_int_equal(o.throttled_ns, 11);
	assert_int_equal(o.endpoint, 3);
	/* A request begins and is answered while it runs: only the copy changes... */
	sched_oncpu_request_begins(&o, 9);
	sched_oncpu_answer_write(&o, 1);	/* a header: more follows */
	assert_int_equal(t.endpoint, 3);
	/* ...until it leaves the CPU: its tag is the request's, kept while more follows. */
	sched_oncpu_out(&o, &t);
	assert_int_equal(t.endpoint, 9);
	assert_int_equal(sched_tag_at_switch_out(&t, 0), 9);
	sched_oncpu_in(&o, 42, &t);
	sched_oncpu_answer_write(&o, 0);	/* the end of the answer */
	sched_oncpu_out(&o, &t);
	assert_int_equal(sched_tag_at_switch_out(&t, 0), 0);
	assert_int_equal(sched_tag_at_switch_out(&t, 1), 9);	/* preempted: still its time */
}

/* lg_route_key of len bytes of s, in a record-like buffer whose bytes past them are junk. */
static __u32 route_key(const char *s, size_t len, __u16 port)
{
	_Alignas(8) __u8 buf[LG_REQ_PREFIX];
	size_t n = len < sizeof(buf) ? len : sizeof(buf);

	memset(buf, '?', sizeof(buf));	/* a terminator: must not count past len */
	memcpy(buf, s, n < strlen(s) ? n : strlen(s));
	return lg_route_key(buf, (__u32)len, port);
}

static void test_route_key(void **state)
{
	const char *a = "GET /v1/users/1?x=2 HTTP/1.1\r\nHost: a\r\n";
	const char *b = "GET /v1/users/1?x=3 HTTP/1.1\r\nHost: b\r\n";
	const char *c = "GET /v1/users/1 HTTP/1.1\r\nHost: c\r\n";
	const char *d = "GET /v1/users/2 HTTP/1.1\r\n";
	const char *e = "GET /v1/users/1#top HTTP/1.1\r\n";
	const char *f = "POST /v1/users/1\r\n";
	const char *g = "GET /v1/users/12 HTTP/1.1\r\n";
	const char *long1 = "GET /a/very/long/path/that/runs/past/the/end/of/the/prefix/and/more/x1 HTTP/1.1";
	const char *long2 = "GET /a/very/long/path/that/runs/past/the/end/of/the/prefix/and/more/x2 HTTP/1.1";
	const __u8 bin1[LG_REQ_PREFIX] __attribute__((aligned(8))) = { 0x01, 0x02, 0x03 };
	const __u8 bin2[LG_REQ_PREFIX] __attribute__((aligned(8))) = { 0x09, 0x08 };

	(void)state;
#define KEY(s, port) route_key((s), strlen(s), port)
	/* The query, fragment, version and headers do not matter; the path and the port do. */
	assert_int_equal(KEY(a, 80), KEY(b, 80));
	assert_int_equal(KEY(a, 80), KEY(c, 80));
	assert_int_equal(KEY(e, 80), KEY(c, 80));
	assert_int_not_equal(KEY(c, 80), KEY(d, 80));
	/* Several ends in one word: the first counts. */
	assert_int_equal(KEY("GET /a?#b HTTP/1.1", 80), KEY("GET /a?zz HTTP/1.1", 80));
	assert_int_equal(KEY("GET /a?#b HTTP/1.1", 80), KEY("GET /a HTTP/1.1", 80));
	assert_int_not_equal(KEY(c, 80), KEY(g, 80));	/* a path that extends another's */
	assert_int_not_equal(KEY(c, 80), KEY(c, 81));
	/* The method matters; a line that ends at CR after the path is the same path. */
	assert_int_not_equal(KEY(f, 80), KEY(c, 80));
	assert_int_equal(KEY(f, 80), KEY("POST /v1/users/1 HTTP/1.0\r\n", 80));
	/* Each word boundary of the path: a path of every length from 1 to 40 bytes is its own key. */
	for (size_t n = 1; n < 40; n++) {
		char l1[80], l2[80];

		snprintf(l1, sizeof(l1), "GET /%.*s HTTP/1.1\r\n", (int)n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
		snprintf(l2, sizeof(l2), "GET /%.*s?q HTTP/1.1\r\n", (int)n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
		assert_int_equal(KEY(l1, 80), KEY(l2, 80));
		snprintf(l2, sizeof(l2), "GET /%.*s HTTP/1.1\r\n", (int)n + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
		assert_int_not_equal(KEY(l1, 80), KEY(l2, 80));
	}
	/* Cut by the prefix's end: only its bytes count. */
	assert_int_equal(KEY(long1, 80), KEY(long2, 80));
	assert_int_equal(route_key(c, 200, 80), KEY(c, 80));
	assert_int_equal(route_key(c, 10, 80), route_key("GET /v1/us", 10, 80));
	assert_int_not_equal(route_key(c, 10, 80), route_key(c, 11, 80));
	/* Not HTTP: the port alone. */
	assert_int_equal(lg_route_key(bin1, 3, 6379), lg_route_key(bin2, 2, 6379));
	assert_int_equal(lg_route_key(bin1, 3, 6379), lg_route_key(bin2, 0, 6379));
	assert_int_not_equal(lg_route_key(bin1, 3, 6379), 0);
#undef KEY
}

/* Through a connection's cache, each line gets the key it gets without one. */
static void test_route_key_cached(void **state)
{
	const char *lines[] = {
		"GET /a HTTP/1.1\r\n", "GET /a HTTP/1.1\r\n", "GET /ab HTTP/1.1\r\n", "GET /a HTTP/1.1\r\n",
		"GET /a?x HTTP/1.1\r\n", "GET /a HTTP/1.0\r\n", "PUT /a HTTP/1.1\r\n",
		"GET /v1/users/12345 HTTP/1.1\r\n", "GET /v1/users/12345 HTTP/1.1\r\n",
		"GET /v1/users/12346 HTTP/1.1\r\n", "GET /v1/users/1234 HTTP/1.1\r\n",
		"GET /v1/users/123456789012 HTTP/1.1\r\n", "GET /v1/users/123456789012 HTTP/1.1\r\n",
		"GET /v1/users/123456789013 HTTP/1.1\r\n", "GET /1234567890123456789 HTTP",
		"GET /1234567890123456789 HTTP", "GET /1234567890123456789\r\n", "\x01\x02binary",
		"GET /a HTTP/1.1\r\n",
	};
	struct lg_route_cache rc;
	_Alignas(8) __u8 buf[LG_REQ_PREFIX];

	(void)state;
	memset(&rc, 0, sizeof(rc));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t n = strlen(lines[i]);

		memset(buf, 'z', sizeof(buf));
		memcpy(buf, lines[i], n);
		assert_int_equal(lg_route_key_cached(&rc, buf, (__u32)n, 80), lg_route_key(buf, (__u32)n, 80));
		assert_int_equal(lg_route_key_cached(&rc, buf, (__u32)n, 80), lg_route_key(buf, (__u32)n, 80));
	}
	/* A line cut before its path ends is not the line it was cut from. */
	memset(&rc, 0, sizeof(rc));
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "GET /abc HTTP/1.1", 17);
	lg_route_key_cached(&rc, buf, 17, 80);
	assert_true(rc.nw > 0);	/* kept */
	assert_int_equal(lg_route_key_cached(&rc, buf, 8, 80), lg_route_key(buf, 8, 80));
	assert_int_not_equal(lg_route_key(buf, 8, 80), lg_route_key(buf, 17, 80));
	/* Lines whose path ends past the third word are not kept. */
	memcpy(buf, "GET /0123456789012345678901234 HTTP/1.1", 39);
	lg_route_key_cached(&rc, buf, 39, 80);
	assert_int_equal(rc.nw, 0);
}

static void test_hist(void **state)
{
	struct lg_sched_hist a, b, d;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(sched_hist_bucket(0), 0);
	assert_int_equal(sched_hist_bucket(999), 0);
	assert_int_equal(sched_hist_bucket(1 * US), 0);
	assert_int_equal(sched_hist_bucket(2 * US), 1);
	assert_int_equal(sched_hist_bucket(1023 * US), 9);
	assert_int_equal(sched_hist_bucket(1024 * US), 10);
	assert_int_equal(sched_hist_bucket(~0ull), LG_SCHED_HIST_BUCKETS - 1);
	/* 90 waits of ~3 us and 10 of ~1.5 ms. */
	a.runq[sched_hist_bucket(3 * US)] = 90;
	a.runq[sched_hist_bucket(1500 * US)] = 10;
	b.runq[sched_hist_bucket(3 * US)] = 40;
	assert_int_equal(sched_hist_quantile(a.runq, 0.5), 4 * US);	/* [2, 4) us */
	assert_int_equal(sched_hist_quantile(a.runq, 0.99), 2048 * US);	/* [1024, 2048) us */
	assert_int_equal(sched_hist_quantile(a.runq, 0.90), 4 * US);
	assert_int_equal(sched_hist_quantile(a.runq, 0.91), 2048 * US);
	sched_hist_delta(&a, &b, &d);
	assert_int_equal(d.runq[sched_hist_bucket(3 * US)], 50);
	assert_int_equal(sched_hist_quantile(d.runq, 0.5), 4 * US);
	assert_int_equal(sched_hist_quantile(d.blocked, 0.5), 0);
}

/* The terminal line per state: only states with spans, durations in the one human form. */
static void test_hist_text(void **state)
{
	struct lg_sched_hist h;
	struct strbuf sb;

	(void)state;
	memset(&h, 0, sizeof(h));
	sb_init(&sb);
	sched_hist_text(&sb, &h);
	assert_int_equal(sb.len, 0);
	h.runq[sched_hist_bucket(3 * US)] = 90;
	h.runq[sched_hist_bucket(1500 * US)] = 10;
	h.runq_ns = 90 * 3 * US + 10 * 1500 * US;
	sched_hist_text(&sb, &h);
	assert_int_equal(sb_finish(&sb), 0);
	assert_string_equal(sb.buf, "  run queue        100 spans,    15.3ms in all, p50 <= 4us, p99 <= 2.0ms\n");
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_request_split),
		cmocka_unit_test(test_in_flight),
		cmocka_unit_test(test_oncpu_copy),
		cmocka_unit_test(test_route_key),
		cmocka_unit_test(test_route_key_cached),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_hist_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
