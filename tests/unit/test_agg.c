// SPDX-License-Identifier: GPL-2.0-only
/* The request aggregator, fed synthetic request records. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/agg.h"
#include "latgov/abi.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define START (1000 * SEC)	/* session start: monotonic time is never 0 */

/*
 * A finished request: arrival at t0, read 0.1 ms later, first response byte
 * after ttfb, last after lat (both from arrival).
 */
static struct lg_request req(const char *line, const char *status, uint64_t t0, uint64_t ttfb,
			     uint64_t lat)
{
	struct lg_request r;

	memset(&r, 0, sizeof(r));
	r.type = LG_REC_REQUEST;
	r.role = LG_ROLE_SERVER;
	r.lport = 8080;
	r.rport = 50000;
	r.req_len = (uint8_t)strnlen(line, LG_REQ_PREFIX);
	memcpy(r.req_prefix, line, r.req_len);
	r.resp_len = (uint8_t)strnlen(status, LG_RESP_PREFIX);
	memcpy(r.resp_prefix, status, r.resp_len);
	r.t_arrival_ns = t0;
	r.t_read_ns = t0 + MS / 10;
	r.t_first_resp_ns = t0 + ttfb;
	r.t_last_resp_ns = t0 + lat;
	r.bytes_in = 100;
	r.bytes_out = 1000;
	r.resp_writes = 1;
	r.end_reason = LG_END_NEXT_REQUEST;
	r.seq = 1;
	return r;
}

static struct agg *new_agg(uint32_t max_endpoints)
{
	struct agg_config cfg = { .start_ns = START, .window_ns = SEC, .max_endpoints = max_endpoints };
	struct agg *a = agg_new(&cfg);

	assert_non_null(a);
	return a;
}

static const struct agg_endpoint *find(const struct agg *a, const char *name)
{
	const struct agg_endpoint *ep = agg_find(a, name, LG_ROLE_SERVER);

	if (!ep)
		fail_msg("no endpoint \"%s\"", name);
	return ep;
}

static void add(struct agg *a, struct lg_request r)
{
	assert_int_equal(agg_add(a, &r), 0);
}

static void test_windows(void **state)
{
	struct agg *a = new_agg(0);
	const struct agg_endpoint *ep;
	uint64_t index = 99, start = 99;

	(void)state;
	assert_int_equal(agg_last_window(a, &index, &start), -ENODATA);
	/* 10 requests in window 0 (2 ms each), 5 in window 1 (8 ms each). */
	for (int i = 0; i < 10; i++)
		add(a, req("GET /users/17 HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + (uint64_t)i * 50 * MS, MS, 2 * MS));
	for (int i = 0; i < 5; i++)
		add(a, req("GET /users/18 HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + SEC + (uint64_t)i * MS, MS, 8 * MS));
	/* A request that arrived in window 0 but ended in window 1 belongs to window 1. */
	add(a, req("GET /users/19 HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + SEC - 5 * MS, MS, 8 * MS));

	assert_int_equal(agg_roll(a, START + SEC - 1), 0);	/* window 0 not over yet */
	assert_int_equal(agg_last_window(a, NULL, NULL), -ENODATA);
	assert_int_equal(agg_roll(a, START + SEC), 1);
	assert_int_equal(agg_last_window(a, &index, &start), 0);
	assert_int_equal(index, 0);
	assert_int_equal(start, 0);
	assert_int_equal(agg_endpoint_count(a), 1);
	ep = find(a, "GET /users/:id");
	assert_int_equal(ep->last.requests, 10);
	assert_int_equal(ep->cum.requests, 10);
	assert_int_equal(ep->last.bytes_in, 1000);
	assert_int_equal(ep->last.bytes_out, 10000);
	assert_int_equal(hist_quantile(agg_hist(&ep->last, AGG_H_LATENCY), 0.5), 2 * MS);
	assert_int_equal(hist_quantile(agg_hist(&ep->last, AGG_H_TTFB), 0.99), MS);
	assert_int_equal(agg_roll(a, START + SEC + 10), 0);	/* idempotent */

	assert_int_equal(agg_roll(a, START + 2 * SEC + 500 * MS), 1);
	assert_int_equal(agg_last_window(a, &index, &start), 0);
	assert_int_equal(index, 1);
	assert_int_equal(start, SEC);
	assert_int_equal(ep->last.requests, 6);
	assert_int_equal(ep->cum.requests, 16);
	assert_int_equal(hist_quantile(agg_hist(&ep->last, AGG_H_LATENCY), 0.5), 8 * MS);
	assert_int_equal(agg_hist(&ep->cum, AGG_H_LATENCY)->count, 16);
	assert_int_equal(agg_windows_closed(a), 2);

	/* An idle window reads as zero but keeps the cumulative figures. */
	assert_int_equal(agg_roll(a, START + 3 * SEC), 1);
	assert_int_equal(ep->last.requests, 0);
	assert_int_equal(agg_hist(&ep->last, AGG_H_LATENCY)->count, 0);
	assert_int_equal(ep->cum.requests, 16);
	assert_int_equal(agg_stats(a)->records, 16);
	assert_int_equal(agg_stats(a)->late, 0);
	agg_free(a);
}

static void test_errors(void **state)
{
	struct agg *a = new_agg(0);
	const struct agg_endpoint *ep, *tcp;
	struct lg_request r;

	(void)state;
	add(a, req("POST /v1/infer HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, MS, MS));
	add(a, req("POST /v1/infer HTTP/1.1\r\n", "HTTP/1.1 404 Not", START, MS, MS));
	add(a, req("POST /v1/infer HTTP/1.1\r\n", "HTTP/1.1 503 Ser", START, MS, MS));
	add(a, req("POST /v1/infer HTTP/1.1\r\n", "HTTP/1.1 500 Int", START, MS, MS));
	r = req("POST /v1/infer HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, MS, MS);
	r.end_reason = LG_END_RESET;
	add(a, r);
	r = req("POST /v1/infer HTTP/1.1\r\n", "HTTP/1.1 502 Bad", START, MS, MS);
	r.end_reason = LG_END_RESET;	/* a 5xx that was reset is one error */
	add(a, r);
	/* No response at all, then a reset: counted, an error, no latency. */
	r = req("POST /v1/infer HTTP/1.1\r\n", "", START, 0, 0);
	r.t_first_resp_ns = r.t_last_resp_ns = 0;
	r.flags = LG_REQ_F_NO_RESPONSE;
	r.end_reason = LG_END_RESET;
	add(a, r);
	/* Non-HTTP: a status-looking response of another protocol is not a 5xx. */
	r = req("\x00\x01binary", "HTTP/1.1 500 Int", START, MS, MS);
	r.req_len = 8;
	add(a, r);

	agg_roll(a, START + SEC);
	ep = find(a, "POST /v1/infer");
	assert_int_equal(ep->last.requests, 7);
	assert_int_equal(ep->last.error_answers, 3);
	assert_int_equal(ep->last.resets, 3);
	assert_int_equal(ep->last.errors, 5);
	assert_int_equal(ep->last.no_response, 1);
	assert_int_equal(agg_hist(&ep->last, AGG_H_LATENCY)->count, 6);
	assert_non_null(ep->proto);
	assert_string_equal(ep->proto->name, "http1");
	tcp = find(a, "tcp:8080");
	assert_int_equal(tcp->last.requests, 1);
	assert_int_equal(tcp->last.errors, 0);
	assert_null(tcp->proto);
	agg_free(a);
}

/*
 * Redis: each command is an endpoint, an error reply is an error, and a
 * record that answers a pipelined batch counts each request of it.
 */
static void test_resp_commands(void **state)
{
	struct agg *a = new_agg(0);
	const struct agg_endpoint *get, *config;
	struct lg_request r;

	(void)state;
	add(a, req("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", "$-1\r\n", START, MS, MS));
	add(a, req("*2\r\n$3\r\nget\r\n$3\r\nkey\r\n", "$1\r\nx\r\n", START, MS, 2 * MS));
	add(a, req("*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n", "-WRONGTYPE Oper", START, MS, MS));
	/* redis-benchmark's start: two CONFIG GET in one write, answered by one. */
	r = req("*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n*3\r\n$6\r\nCONFIG\r\n",
		"*2\r\n$4\r\nsave\r\n", START, MS, 3 * MS);
	r.batch = 2;
	add(a, r);
	/* Its first line is the same ("*3") as CONFIG GET's: the name cache must not take it for one. */
	add(a, req("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\nv\r\n", "+OK\r\n", START, MS, MS));
	agg_roll(a, START + SEC);
	get = find(a, "GET");
	assert_non_null(get);
	assert_string_equal(get->proto->name, "resp");
	assert_int_equal(get->last.requests, 3);
	assert_int_equal(get->last.errors, 1);
	assert_int_equal(get->last.error_answers, 1);
	config = find(a, "CONFIG GET");
	assert_non_null(config);
	assert_int_equal(config->last.requests, 2);
	assert_int_equal(config->last.errors, 0);
	assert_int_equal(agg_hist(&config->last, AGG_H_LATENCY)->count, 2);
	assert_int_equal(agg_hist(&config->last, AGG_H_LATENCY)->max, 3 * MS);
	assert_int_equal(find(a, "SET")->last.requests, 1);
	assert_int_equal(agg_endpoint_count(a), 3);
	agg_free(a);
}

static void test_timing_fields(void **state)
{
	struct agg *a = new_agg(0);
	const struct agg_endpoint *ep;
	struct lg_request r;

	(void)state;
	/* Unknown arrival: latency counts from the read. */
	r = req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, 3 * MS, 5 * MS);
	r.t_arrival_ns = 0;
	r.flags = LG_REQ_F_NO_ARRIVAL;
	add(a, r);
	/* Streamed: 20 writes, largest gap 40 ms; with a scheduler split. */
	r = req("GET /stream HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, 10 * MS, 500 * MS);
	r.resp_writes = 20;
	r.max_gap_ns = 40 * MS;
	r.flags = LG_REQ_F_SCHED;
	r.oncpu_ns = 100 * MS;
	r.runq_ns = 30 * MS;
	r.blocked_ns = 360 * MS;
	r.throttled_ns = 20 * MS;
	add(a, r);
	/* Scheduler parts of 0 (the common case) count like any value. */
	r = req("GET /zero HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, 1 * MS, 2 * MS);
	r.flags = LG_REQ_F_SCHED;
	r.oncpu_ns = 2 * MS;
	add(a, r);
	r.throttled_ns = 5 * MS;
	add(a, r);
	agg_roll(a, START + SEC);

	ep = find(a, "GET /a");
	assert_int_equal(hist_quantile(agg_hist(&ep->last, AGG_H_LATENCY), 0.5), 5 * MS - MS / 10);
	assert_int_equal(hist_quantile(agg_hist(&ep->last, AGG_H_TTFB), 0.5), 3 * MS - MS / 10);
	assert_int_equal(ep->last.streamed, 0);
	assert_int_equal(agg_hist(&ep->last, AGG_H_GAP)->count, 0);
	assert_int_equal(agg_hist(&ep->last, AGG_H_ONCPU)->count, 0);
	assert_null(ep->last.h[AGG_H_GAP]);	/* never allocated */

	ep = find(a, "GET /stream");
	assert_int_equal(ep->last.streamed, 1);
	assert_int_equal(ep->last.sched, 1);
	assert_int_equal(hist_quantile(agg_hist(&ep->last, AGG_H_GAP), 0.5), 40 * MS);
	assert_int_equal(hist_quantile(agg_hist(&ep->last, AGG_H_TTFB), 0.5), 10 * MS);
	assert_int_equal(agg_hist(&ep->last, AGG_H_ONCPU)->max, 100 * MS);
	assert_int_equal(agg_hist(&ep->last, AGG_H_RUNQ)->max, 30 * MS);
	assert_int_equal(agg_hist(&ep->last, AGG_H_BLOCKED)->max, 360 * MS);
	assert_int_equal(agg_hist(&ep->last, AGG_H_THROTTLED)->max, 20 * MS);

	ep = find(a, "GET /zero");
	assert_int_equal(agg_hist(&ep->last, AGG_H_BLOCKED)->count, 2);
	assert_int_equal(agg_hist(&ep->last, AGG_H_BLOCKED)->max, 0);
	assert_int_equal(agg_hist(&ep->last, AGG_H_BLOCKED)->sum, 0);
	assert_int_equal(hist_quantile(agg_hist(&ep->last, AGG_H_BLOCKED), 0.99), 0);
	assert_int_equal(agg_hist(&ep->last, AGG_H_THROTTLED)->count, 2);
	assert_int_equal(agg_hist(&ep->last, AGG_H_THROTTLED)->min, 0);
	assert_int_equal(agg_hist(&ep->last, AGG_H_THROTTLED)->max, 5 * MS);
	assert_int_equal(hist_quantile(agg_hist(&ep->last, AGG_H_THROTTLED), 0.5), 0);
	agg_free(a);
}

static void test_late_and_early(void **state)
{
	struct agg *a = new_agg(0);
	const struct agg_endpoint *ep;
	uint64_t index;

	(void)state;
	/* Delivered out of order, but before the window was closed: counted in place. */
	add(a, req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + SEC + 100 * MS, MS, MS));
	add(a, req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + 900 * MS, MS, MS));
	agg_roll(a, START + SEC);
	ep = find(a, "GET /a");
	assert_int_equal(ep->last.requests, 1);
	/* After its window closed: goes to the oldest open window, and is counted late. */
	add(a, req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + 950 * MS, MS, MS));
	assert_int_equal(agg_stats(a)->late, 1);
	agg_roll(a, START + 2 * SEC);
	assert_int_equal(ep->last.requests, 2);
	/* Before the session started: window 0's place is long gone, so it is late too. */
	add(a, req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START - SEC, MS, MS));
	assert_int_equal(agg_stats(a)->early, 1);
	/* Far ahead: the older open windows close by themselves. */
	add(a, req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + 10 * SEC, MS, MS));
	assert_int_equal(agg_last_window(a, &index, NULL), 0);
	assert_int_equal(index, 10 - AGG_OPEN_WINDOWS);
	assert_int_equal(ep->cum.requests, 4);
	agg_roll(a, START + 11 * SEC);
	assert_int_equal(ep->last.requests, 1);
	assert_int_equal(ep->cum.requests, 5);
	agg_free(a);
}

static void test_long_idle_roll(void **state)
{
	struct agg *a = new_agg(0);
	const struct agg_endpoint *ep;
	uint64_t index;

	(void)state;
	add(a, req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + 2 * SEC, MS, MS));
	/* A week of 1 s windows closes at once, and the request is not lost. */
	assert_int_equal(agg_roll(a, START + 7 * 86400 * SEC), 7 * 86400);
	assert_int_equal(agg_last_window(a, &index, NULL), 0);
	assert_int_equal(index, 7 * 86400 - 1);
	ep = find(a, "GET /a");
	assert_int_equal(ep->cum.requests, 1);
	assert_int_equal(ep->last.requests, 0);
	agg_free(a);
}

/* One window at a time, so that a JSONL writer sees every window. */
static void test_endpoint_cap(void **state)
{
	struct agg *a = new_agg(4);
	const struct agg_endpoint *other;
	char line[64];

	(void)state;
	/* Route names: 3 fit, "other" takes the rest. */
	for (int i = 0; i < 10; i++) {
		snprintf(line, sizeof(line), "GET /route%c HTTP/1.1\r\n", 'a' + i);
		add(a, req(line, "HTTP/1.1 200 OK\r", START, MS, MS));
		add(a, req(line, "HTTP/1.1 200 OK\r", START, MS, MS));
	}
	agg_roll(a, START + SEC);
	assert_int_equal(agg_endpoint_count(a), 4);
	assert_int_equal(find(a, "GET /routea")->last.requests, 2);
	assert_int_equal(find(a, "GET /routec")->last.requests, 2);
	assert_null(agg_find(a, "GET /routed", LG_ROLE_SERVER));
	other = find(a, AGG_OTHER_NAME);
	assert_true(other->is_other);
	assert_int_equal(other->last.requests, 14);
	assert_int_equal(agg_stats(a)->overflow, 14);
	/* Known endpoints still count as themselves once the cap is reached. */
	add(a, req("GET /routeb HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + SEC, MS, MS));
	agg_roll(a, START + 2 * SEC);
	assert_int_equal(find(a, "GET /routeb")->last.requests, 1);
	assert_int_equal(agg_stats(a)->overflow, 14);
	agg_free(a);
}

/* Requests of every endpoint, "other" included: what a total must come to. */
static uint64_t all_requests(const struct agg *a)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < agg_endpoint_count(a); i++)
		sum += agg_endpoint_at(a, i)->cum.requests;
	return sum;
}

/*
 * A client that sends junk paths first must not keep the service's own
 * endpoint out of the table: a busy name takes the place of a rare one, whose
 * figures fold into "other", and no request is lost on the way.
 */
static void test_busy_endpoint_after_junk(void **state)
{
	struct agg *a = new_agg(0);
	const struct agg_endpoint *root;
	char line[64];

	(void)state;
	for (int i = 0; i < 200; i++) {
		snprintf(line, sizeof(line), "GET /junk%c%c HTTP/1.1\r\n", 'a' + i / 26, 'a' + i % 26);
		add(a, req(line, "HTTP/1.1 404 Not", START, MS, MS));
	}
	for (int i = 0; i < 50; i++)
		add(a, req("GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + (uint64_t)i * MS, MS, MS));
	agg_roll(a, START + SEC);
	root = agg_find(a, "GET /", LG_ROLE_SERVER);
	assert_non_null(root);
	assert_false(root->is_other);
	/* Only the requests it needed to prove itself busy went to "other". */
	assert_true(root->cum.requests >= 50 - AGG_ADMIT_MIN);
	assert_true(agg_endpoint_count(a) <= AGG_DEFAULT_MAX_ENDPOINTS);
	assert_int_equal(agg_stats(a)->evicted, 1);
	assert_int_equal(all_requests(a), 250);

	/* Later windows: the busy endpoint keeps its place against new junk. */
	for (int i = 0; i < 300; i++) {
		snprintf(line, sizeof(line), "GET /more%c%c HTTP/1.1\r\n", 'a' + i / 26, 'a' + i % 26);
		add(a, req(line, "HTTP/1.1 404 Not", START + SEC, MS, MS));
		add(a, req("GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + SEC, MS, MS));
	}
	agg_roll(a, START + 2 * SEC);
	root = agg_find(a, "GET /", LG_ROLE_SERVER);
	assert_non_null(root);
	assert_int_equal(root->last.requests, 300);
	assert_true(agg_endpoint_count(a) <= AGG_DEFAULT_MAX_ENDPOINTS);
	assert_int_equal(all_requests(a), 850);
	agg_free(a);
}

/*
 * Names repeated to look busy: each takes the place of the least busy
 * endpoint only while it is busier, the count of endpoints never passes the
 * cap, and every request is counted once, under its name or "other".
 */
static void test_eviction_totals(void **state)
{
	struct agg *a = new_agg(8);
	char line[64];
	uint64_t sent = 0;

	(void)state;
	for (int w = 0; w < 6; w++) {
		for (int i = 0; i < 40; i++) {
			int reps = 1 + (i * 7 + w * 3) % 9;

			snprintf(line, sizeof(line), "GET /n%c%c HTTP/1.1\r\n", 'a' + i / 26, 'a' + i % 26);
			for (int k = 0; k < reps; k++) {
				add(a, req(line, "HTTP/1.1 200 OK\r", START + (uint64_t)w * SEC, MS, MS));
				sent++;
			}
			assert_true(agg_endpoint_count(a) <= 8);
		}
		agg_roll(a, START + (uint64_t)(w + 1) * SEC);
		assert_int_equal(all_requests(a), sent);
	}
	assert_true(agg_stats(a)->evicted > 0);
	assert_int_equal(agg_stats(a)->records, sent);
	agg_free(a);
}

/*
 * Endpoint naming goes through a cache of request lines: whatever it holds,
 * each record must land where naming it from scratch would put it.
 */
static void test_route_cache(void **state)
{
	struct agg *a = new_agg(1024);
	struct lg_request r;
	char line[64];

	(void)state;
	/* 600 distinct routes, twice each, in an order that makes slots collide and evict. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < 600; i++) {
			snprintf(line, sizeof(line), "GET /r%d HTTP/1.1\r\nHost: x\r\n", (i * 7919) % 600);
			add(a, req(line, "HTTP/1.1 200 OK\r", START, MS, MS));
		}
	/* One route, many IDs and queries: one endpoint. */
	for (int i = 0; i < 300; i++) {
		snprintf(line, sizeof(line), "GET /users/%d?page=%d HTTP/1.1\r\n", i, i % 7);
		add(a, req(line, "HTTP/1.1 200 OK\r", START, MS, MS));
	}
	/*
	 * Lines whose CR falls at each offset of a word (the cache compares
	 * words): what follows the CR differs and does not matter; a line one
	 * byte longer is another endpoint.
	 */
	for (int k = 0; k < 20; k++)
		for (int v = 0; v < 2; v++) {
			char path[32];

			memset(path, 'z', (size_t)k);
			path[k] = 0;
			snprintf(line, sizeof(line), "GET /q%s HTTP/1.1\r\nH: %d\r\n", path, v);
			add(a, req(line, "HTTP/1.1 200 OK\r", START, MS, MS));
		}
	/* The same bytes as another role or port, or as non-HTTP, are other endpoints. */
	r = req("GET /r5 HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, MS, MS);
	r.role = LG_ROLE_CLIENT;
	add(a, r);
	r = req("\x01\x02binary", "", START, MS, MS);
	add(a, r);
	r.lport = 9090;
	add(a, r);
	agg_roll(a, START + SEC);
	for (int i = 0; i < 600; i += 97) {
		snprintf(line, sizeof(line), "GET /r%d", i);
		assert_int_equal(find(a, line)->last.requests, 2);
	}
	assert_int_equal(find(a, "GET /users/:id")->last.requests, 300);
	for (int k = 0; k < 20; k++) {
		char name[40];

		snprintf(name, sizeof(name), "GET /q%.*s", k, "zzzzzzzzzzzzzzzzzzzz");
		assert_int_equal(find(a, name)->last.requests, 2);
	}
	assert_int_equal(find(a, "GET /r5")->last.requests, 2);
	assert_int_equal(agg_find(a, "GET /r5", LG_ROLE_CLIENT)->last.requests, 1);
	assert_int_equal(find(a, "tcp:8080")->last.requests, 1);
	assert_int_equal(find(a, "tcp:9090")->last.requests, 1);
	assert_int_equal(agg_stats(a)->records, 1200 + 300 + 40 + 3);
	agg_free(a);
}

static void test_roles(void **state)
{
	struct agg *a = new_agg(0);
	struct lg_request r;
	const struct agg_endpoint *server, *client;

	(void)state;
	add(a, req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, MS, 4 * MS));
	r = req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, MS, 2 * MS);
	r.role = LG_ROLE_CLIENT;
	add(a, r);
	r.role = LG_ROLE_UNKNOWN;	/* counted as the server side */
	add(a, r);
	agg_roll(a, START + SEC);
	assert_int_equal(agg_endpoint_count(a), 2);
	server = agg_find(a, "GET /a", LG_ROLE_SERVER);
	client = agg_find(a, "GET /a", LG_ROLE_CLIENT);
	assert_non_null(server);
	assert_non_null(client);
	assert_ptr_not_equal(server, client);
	assert_int_equal(server->last.requests, 2);
	assert_int_equal(client->last.requests, 1);
	assert_ptr_equal(agg_endpoint_at(a, 0), server);
	assert_null(agg_endpoint_at(a, 2));
	agg_free(a);
}

static void test_bad_records(void **state)
{
	struct agg *a = new_agg(0);
	struct lg_request r;
	struct agg_config bad = { .max_endpoints = 1 };

	(void)state;
	r = req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, MS, MS);
	r.type = LG_REC_REQUEST + 1;	/* a record type the aggregator does not take */
	assert_int_equal(agg_add(a, &r), -EINVAL);
	r.type = LG_REC_REQUEST;
	r.req_len = LG_REQ_PREFIX + 1;
	assert_int_equal(agg_add(a, &r), -EINVAL);
	r.req_len = 4;
	r.resp_len = LG_RESP_PREFIX + 1;
	assert_int_equal(agg_add(a, &r), -EINVAL);
	assert_int_equal(agg_stats(a)->bad_records, 3);
	assert_int_equal(agg_stats(a)->records, 0);
	assert_int_equal(agg_endpoint_count(a), 0);
	agg_free(a);
	assert_null(agg_new(&bad));
	assert_int_equal(errno, EINVAL);
	/* Defaults apply without a config. */
	a = agg_new(NULL);
	assert_non_null(a);
	assert_int_equal(agg_window_ns(a), AGG_DEFAULT_WINDOW_NS);
	agg_free(a);
	agg_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_resp_commands),
		cmocka_unit_test(test_timing_fields),
		cmocka_unit_test(test_late_and_early),
		cmocka_unit_test(test_long_idle_roll),
		cmocka_unit_test(test_endpoint_cap),
		cmocka_unit_test(test_busy_endpoint_after_junk),
		cmocka_unit_test(test_eviction_totals),
		cmocka_unit_test(test_route_cache),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_bad_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
