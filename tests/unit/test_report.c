// SPDX-License-Identifier: GPL-2.0-only
/*
 * The report writers: the JSONL window line and the summary parse back as
 * JSON with the field names the load generator shares; the tables show
 * human units.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/report.h"
#include "core/utf8.h"
#include "latgov/abi.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define START (500 * SEC)

/*
 * A strict little JSON reader for the tests: it checks the grammar and
 * remembers each scalar by its path ("endpoints[0].latency_us.p50").
 */
struct jscan {
	const char *p;
	char path[256];
	const char *want;	/* path looked for */
	char found[64];		/* its scalar text */
	int hits;
};

static int scan_value(struct jscan *s);

static void ws(struct jscan *s)
{
	while (*s->p == ' ' || *s->p == '\n' || *s->p == '\t' || *s->p == '\r')
		s->p++;
}

static int scan_string(struct jscan *s, char *out, size_t size)
{
	size_t n = 0;

	if (*s->p != '"')
		return -1;
	s->p++;
	while (*s->p != '"') {
		char c = *s->p;

		if (!c || (unsigned char)c < 0x20)
			return -1;
		if (c == '\\') {
			s->p++;
			if (*s->p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", s->p[i]) || !s->p[i])
						return -1;
				s->p += 4;
				c = '?';
			} else if (strchr("\"\\/bfnrt", *s->p) && *s->p) {
				c = *s->p;
			} else {
				return -1;
			}
		}
		if (out && n + 1 < size)
			out[n++] = c;
		s->p++;
	}
	s->p++;
	if (out)
		out[n] = '\0';
	return 0;
}

static void scalar(struct jscan *s, const char *start)
{
	size_t n = (size_t)(s->p - start);

	if (s->want && strcmp(s->path, s->want) == 0) {
		if (n >= sizeof(s->found))
			n = sizeof(s->found) - 1;
		memcpy(s->found, start, n);
		s->found[n] = '\0';
		s->hits++;
	}
}

static int scan_value(struct jscan *s)
{
	size_t base = strlen(s->path);
	const char *start;

	ws(s);
	start = s->p;
	if (*s->p == '{') {
		s->p++;
		ws(s);
		if (*s->p == '}') {
			s->p++;
			return 0;
		}
		for (;;) {
			char key[64];

			ws(s);
			if (scan_string(s, key, sizeof(key)))
				return -1;
			ws(s);
			if (*s->p++ != ':')
				return -1;
			snprintf(s->path + base, sizeof(s->path) - base, "%s%s", base ? "." : "", key);
			if (scan_value(s))
				return -1;
			s->path[base] = '\0';
			ws(s);
			if (*s->p == ',') {
				s->p++;
				continue;
			}
			if (*s->p++ != '}')
				return -1;
			return 0;
		}
	}
	if (*s->p == '[') {
		s->p++;
		ws(s);
		if (*s->p == ']') {
			s->p++;
			return 0;
		}
		for (int i = 0;; i++) {
			snprintf(s->path + base, sizeof(s->path) - base, "[%d]", i);
			if (scan_value(s))
				return -1;
			s->path[base] = '\0';
			ws(s);
			if (*s->p == ',') {
				s->p++;
				continue;
			}
			if (*s->p++ != ']')
				return -1;
			return 0;
		}
	}
	if (*s->p == '"') {
		if (scan_string(s, NULL, 0))
			return -1;
		scalar(s, start);
		return 0;
	}
	if (!strncmp(s->p, "true", 4) || !strncmp(s->p, "null", 4)) {
		s->p += 4;
	} else if (!strncmp(s->p, "false", 5)) {
		s->p += 5;
	} else {
		char *end;

		if (*s->p != '-' && (*s->p < '0' || *s->p > '9'))
			return -1;
		if (s->p[0] == '0' && s->p[1] >= '0' && s->p[1] <= '9')
			return -1;	/* no leading zeros */
		strtod(s->p, &end);
		if (end == s->p)
			return -1;
		s->p = end;
	}
	scalar(s, start);
	return 0;
}

/* 1 if text is one JSON value (plus trailing whitespace). */
static int json_ok(const char *text)
{
	struct jscan s = { .p = text };

	if (scan_value(&s))
		return 0;
	ws(&s);
	return *s.p == '\0';
}

/* The scalar at path, as text; fails the test if it is absent. */
static const char *json_get(const char *text, const char *path)
{
	static struct jscan s;

	memset(&s, 0, sizeof(s));
	s.p = text;
	s.want = path;
	if (scan_value(&s) || s.hits != 1)
		fail_msg("no single value at %s in %s", path, text);
	return s.found;
}

static int json_has(const char *text, const char *path)
{
	struct jscan s = { .p = text, .want = path };

	return scan_value(&s) == 0 && s.hits == 1;
}

static struct lg_request req(const char *line, const char *status, uint64_t t0, uint64_t lat)
{
	struct lg_request r;

	memset(&r, 0, sizeof(r));
	r.type = LG_REC_REQUEST;
	r.role = LG_ROLE_SERVER;
	r.lport = 8080;
	r.req_len = (uint8_t)strlen(line);
	memcpy(r.req_prefix, line, r.req_len);
	r.resp_len = (uint8_t)strnlen(status, LG_RESP_PREFIX);
	memcpy(r.resp_prefix, status, r.resp_len);
	r.t_arrival_ns = t0;
	r.t_read_ns = t0;
	r.t_first_resp_ns = t0 + lat / 2;
	r.t_last_resp_ns = t0 + lat;
	r.bytes_in = 100;
	r.bytes_out = 1000;
	r.resp_writes = 1;
	r.end_reason = LG_END_NEXT_REQUEST;
	return r;
}

static struct agg *sample_agg(void)
{
	struct agg_config cfg = { .start_ns = START, .window_ns = SEC };
	struct agg *a = agg_new(&cfg);
	struct lg_request r;

	assert_non_null(a);
	for (int i = 0; i < 3; i++) {
		r = req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + (uint64_t)i * MS, 2 * MS);
		assert_int_equal(agg_add(a, &r), 0);
	}
	return a;
}

/* A small case compared whole: every key, every comma. */
static void test_window_line_exact(void **state)
{
	struct agg *a = sample_agg();
	struct jsonw jw;

	(void)state;
	jw_init(&jw);
	assert_int_equal(report_window_json(&jw, a, 0, NULL), -ENODATA);
	jw_reset(&jw);
	agg_roll(a, START + SEC);
	assert_int_equal(report_window_json(&jw, a, 5, NULL), 0);
	assert_string_equal(jw.buf,
		"{\"t\":0,\"window_s\":1,\"endpoints\":[{\"name\":\"GET /a\",\"requests\":3,\"rps\":3,"
		"\"errors\":0,\"bytes_in\":300,\"bytes_out\":3000,"
		"\"latency_us\":{\"p50\":2000,\"p90\":2000,\"p99\":2000,\"p999\":2000,\"max\":2000,\"mean\":2000},"
		"\"ttfb_us\":{\"p50\":1000,\"p90\":1000,\"p99\":1000,\"p999\":1000,\"max\":1000,\"mean\":1000}}],"
		"\"dropped\":5}\n");
	/* An idle window: no endpoints, still a valid line with its time. */
	jw_reset(&jw);
	agg_roll(a, START + 2 * SEC);
	assert_int_equal(report_window_json(&jw, a, 0, NULL), 0);
	assert_string_equal(jw.buf, "{\"t\":1,\"window_s\":1,\"endpoints\":[],\"dropped\":0}\n");
	/* The session ended 250 ms into window 2: that window is 0.25 s long, rps scaled. */
	assert_int_equal(agg_add(a, &(struct lg_request){ 0 }), -EINVAL);
	{
		struct lg_request r = req("GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + 2 * SEC, MS);

		assert_int_equal(agg_add(a, &r), 0);
	}
	agg_set_end(a, START + 2 * SEC + SEC / 4);
	agg_roll(a, START + 3 * SEC);
	jw_reset(&jw);
	assert_int_equal(report_window_json(&jw, a, 0, NULL), 0);
	assert_true(json_ok(jw.buf));
	assert_string_equal(json_get(jw.buf, "t"), "2");
	assert_string_equal(json_get(jw.buf, "window_s"), "0.25");
	assert_string_equal(json_get(jw.buf, "endpoints[0].rps"), "4");
	jw_free(&jw);
	agg_free(a);
}

static void test_window_line_streaming_and_sched(void **state)
{
	struct agg_config cfg = { .start_ns = START, .window_ns = SEC / 2 };
	struct agg *a = agg_new(&cfg);
	struct lg_request r;
	struct jsonw jw;

	(void)state;
	assert_non_null(a);
	r = req("POST /v1/generate HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START + SEC, 300 * MS);
	r.resp_writes = 12;
	r.max_gap_ns = 30 * MS;
	r.flags = LG_REQ_F_SCHED;
	r.oncpu_ns = 5 * MS;
	r.runq_ns = 1 * MS;
	assert_int_equal(agg_add(a, &r), 0);
	r = req("\x16\x03\x01", "", START + SEC, 1 * MS);
	r.role = LG_ROLE_CLIENT;
	r.rport = 5432;
	assert_int_equal(agg_add(a, &r), 0);
	/* Both end in [1 s, 1.5 s): window 2 of 0.5 s. */
	agg_roll(a, START + SEC + SEC / 2);
	jw_init(&jw);
	assert_int_equal(report_window_json(&jw, a, 0, NULL), 0);
	assert_true(json_ok(jw.buf));
	assert_string_equal(json_get(jw.buf, "t"), "1");
	assert_string_equal(json_get(jw.buf, "window_s"), "0.5");
	assert_string_equal(json_get(jw.buf, "endpoints[0].name"), "\"POST /v1/generate\"");
	assert_string_equal(json_get(jw.buf, "endpoints[0].rps"), "2");
	assert_string_equal(json_get(jw.buf, "endpoints[0].gap_us.max"), "30000");
	assert_string_equal(json_get(jw.buf, "endpoints[0].oncpu_us.p50"), "5000");
	assert_string_equal(json_get(jw.buf, "endpoints[0].runq_us.p99"), "1000");
	assert_string_equal(json_get(jw.buf, "endpoints[0].blocked_us.p50"), "0");
	assert_true(json_has(jw.buf, "endpoints[0].throttled_us.p99"));
	assert_false(json_has(jw.buf, "endpoints[0].role"));
	assert_string_equal(json_get(jw.buf, "endpoints[1].name"), "\"tcp:5432\"");
	assert_string_equal(json_get(jw.buf, "endpoints[1].role"), "\"client\"");
	assert_false(json_has(jw.buf, "endpoints[1].gap_us.p50"));
	assert_false(json_has(jw.buf, "endpoints[1].oncpu_us.p50"));
	jw_free(&jw);
	agg_free(a);
}

static void test_summary(void **state)
{
	static const char *const quantiles[] = { "p50", "p90", "p99", "p999", "max", "mean" };
	uint64_t counters[LG_CNT__MAX] = { 0 };
	struct agg *a = sample_agg();
	struct lg_request r;
	struct jsonw jw;
	char path[96];

	(void)state;
	r = req("GET /b HTTP/1.1\r\n", "HTTP/1.1 503 Ser", START + SEC + MS, 4 * MS);
	assert_int_equal(agg_add(a, &r), 0);
	agg_roll(a, START + 4 * SEC);
	counters[LG_CNT_REQUESTS] = 4;
	counters[LG_CNT_RINGBUF_FULL] = 2;
	counters[LG_CNT_CONN_MAP_FULL] = 1;
	counters[LG_CNT_STACK_LOST] = 9;	/* not a lost request */
	jw_init(&jw);
	assert_int_equal(report_summary_json(&jw, a, 4 * SEC, counters, NULL), 0);
	assert_true(json_ok(jw.buf));
	assert_string_equal(json_get(jw.buf, "duration_s"), "4");
	assert_string_equal(json_get(jw.buf, "requests"), "4");
	assert_string_equal(json_get(jw.buf, "errors"), "1");
	assert_string_equal(json_get(jw.buf, "rps"), "1");
	assert_string_equal(json_get(jw.buf, "dropped"), "3");
	assert_string_equal(json_get(jw.buf, "endpoints[0].name"), "\"GET /a\"");
	assert_string_equal(json_get(jw.buf, "endpoints[0].requests"), "3");
	assert_string_equal(json_get(jw.buf, "endpoints[0].rps"), "0.75");
	assert_string_equal(json_get(jw.buf, "endpoints[0].errors"), "0");
	assert_string_equal(json_get(jw.buf, "endpoints[1].name"), "\"GET /b\"");
	assert_string_equal(json_get(jw.buf, "endpoints[1].errors"), "1");
	assert_string_equal(json_get(jw.buf, "endpoints[1].error_answers"), "1");
	assert_string_equal(json_get(jw.buf, "endpoints[1].latency_us.max"), "4000");
	for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++) {
		snprintf(path, sizeof(path), "endpoints[0].latency_us.%s", quantiles[i]);
		assert_string_equal(json_get(jw.buf, path), "2000");
		snprintf(path, sizeof(path), "endpoints[0].ttfb_us.%s", quantiles[i]);
		assert_string_equal(json_get(jw.buf, path), "1000");
	}
	/* Every loss counter is named. */
	assert_string_equal(json_get(jw.buf, "counters.requests"), "4");
	assert_string_equal(json_get(jw.buf, "counters.ringbuf_full"), "2");
	assert_string_equal(json_get(jw.buf, "counters.conn_map_full"), "1");
	assert_string_equal(json_get(jw.buf, "counters.target_map_full"), "0");
	assert_string_equal(json_get(jw.buf, "counters.thread_map_full"), "0");
	assert_string_equal(json_get(jw.buf, "counters.stack_lost"), "9");
	assert_string_equal(json_get(jw.buf, "counters.stack_map_full"), "0");
	assert_string_equal(json_get(jw.buf, "aggregator.late"), "0");
	assert_string_equal(json_get(jw.buf, "aggregator.evicted"), "0");
	assert_false(json_has(jw.buf, "endpoints[2].name"));

	/* No counters and no time: zeros, not a crash or a division by zero. */
	jw_reset(&jw);
	assert_int_equal(report_summary_json(&jw, a, 0, NULL, NULL), 0);
	assert_true(json_ok(jw.buf));
	assert_string_equal(json_get(jw.buf, "rps"), "0");
	assert_string_equal(json_get(jw.buf, "dropped"), "0");
	jw_free(&jw);
	agg_free(a);
}

/* The checker itself must refuse broken JSON, or the tests above prove nothing. */
static void test_checker_refuses_bad_json(void **state)
{
	(void)state;
	assert_true(json_ok("{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\\"y\"}"));
	assert_false(json_ok("{\"a\":1,}"));
	assert_false(json_ok("{\"a\":1 \"b\":2}"));
	assert_false(json_ok("[1,,2]"));
	assert_false(json_ok("{\"a\":01}"));
	assert_false(json_ok("{\"a\":NaN}"));
	assert_false(json_ok("{\"a\":\"x\ny\"}"));
	assert_false(json_ok("{\"a\":1}}"));
	assert_false(json_ok("{\"a\":1"));
}

static void test_tables(void **state)
{
	uint64_t counters[LG_CNT__MAX] = { [LG_CNT_RINGBUF_FULL] = 7 };
	struct agg *a = sample_agg();
	struct lg_request r;
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	assert_int_equal(report_window_table(&sb, a, 0), -ENODATA);
	for (int i = 0; i < 5; i++) {
		r = req("POST /v1/infer HTTP/1.1\r\n", "HTTP/1.1 500 Int", START + (uint64_t)i * MS, 12 * MS);
		assert_int_equal(agg_add(a, &r), 0);
	}
	agg_roll(a, START + SEC);
	assert_int_equal(report_window_table(&sb, a, 0), 0);
	/* Header, then the busiest endpoint first. */
	assert_non_null(strstr(sb.buf, "ENDPOINT"));
	assert_true(strstr(sb.buf, "POST /v1/infer") < strstr(sb.buf, "GET /a"));
	assert_non_null(strstr(sb.buf, "12.0ms"));
	assert_non_null(strstr(sb.buf, "2.0ms"));

	sb_reset(&sb);
	assert_int_equal(report_window_table(&sb, a, 1), 0);
	assert_non_null(strstr(sb.buf, "t=0s POST /v1/infer rps=5.0 p50=12.0ms p99=12.0ms max=12.0ms errors=5\n"));
	assert_null(strstr(sb.buf, "ENDPOINT"));

	sb_reset(&sb);
	assert_int_equal(report_summary_table(&sb, a, 2 * SEC, counters, NULL), 0);
	assert_non_null(strstr(sb.buf, "TTFB_P99"));
	assert_non_null(strstr(sb.buf, "total: 8 requests in 2.00s (4.0 rps), 5 errors, 7 dropped\n"));
	assert_non_null(strstr(sb.buf, "lost: ringbuf_full 7\n"));
	sb_free(&sb);
	agg_free(a);
}

/*
 * The tables go to a terminal: what a client sends is shown, never run
 * (escape sequences, bytes that are not UTF-8).
 */
static void test_tables_show_odd_requests(void **state)
{
	struct agg_config cfg = { .start_ns = START, .window_ns = SEC };
	struct agg *a = agg_new(&cfg);
	struct lg_request r;
	struct strbuf sb;

	(void)state;
	assert_non_null(a);
	r = req("GET /\x1b]2;pwned\x07/\x1b[2J\xff\xc2\x9b HTTP/1.1\r\n", "HTTP/1.1 200 OK\r",
		START, MS);
	assert_int_equal(agg_add(a, &r), 0);
	r = req("\x1b[2J\xff\r\n", "\x1b[2J", START, MS);
	assert_int_equal(agg_add(a, &r), 0);
	agg_roll(a, START + SEC);
	sb_init(&sb);
	for (int table = 0; table < 3; table++) {
		sb_reset(&sb);
		if (table < 2)
			assert_int_equal(report_window_table(&sb, a, table), 0);
		else
			assert_int_equal(report_summary_table(&sb, a, SEC, NULL, NULL), 0);
		assert_true(utf8_valid(sb.buf, sb.len));
		for (size_t i = 0; i < sb.len; i++) {
			unsigned char c = (unsigned char)sb.buf[i];

			assert_true(c >= 0x20 ? c != 0x7f : c == '\n');
		}
		assert_non_null(strstr(sb.buf, "tcp:8080"));
	}
	sb_free(&sb);
	agg_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_line_exact),
		cmocka_unit_test(test_window_line_streaming_and_sched),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_checker_refuses_bad_json),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_tables_show_odd_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
