// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prometheus text exposition: HELP/TYPE before samples, valid names and
 * escaped labels, cumulative buckets ending in +Inf == _count, and figures
 * that include the windows still open.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/counters.h"
#include "core/prom.h"
#include "latgov/abi.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define START (77 * SEC)

static struct lg_request req(const char *line, const char *status, uint64_t t0, uint64_t lat)
{
	struct lg_request r;

	memset(&r, 0, sizeof(r));
	r.type = LG_REC_REQUEST;
	r.role = LG_ROLE_SERVER;
	r.lport = 80;
	r.req_len = (uint8_t)strlen(line);
	memcpy(r.req_prefix, line, r.req_len);
	r.resp_len = (uint8_t)strnlen(status, LG_RESP_PREFIX);
	memcpy(r.resp_prefix, status, r.resp_len);
	r.t_arrival_ns = t0;
	r.t_read_ns = t0;
	r.t_first_resp_ns = t0 + lat / 4;
	r.t_last_resp_ns = t0 + lat;
	r.bytes_in = 10;
	r.bytes_out = 20;
	r.resp_writes = 1;
	return r;
}

static int name_ok(const char *s, size_t n)
{
	if (!n || !(s[0] == '_' || s[0] == ':' || ((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z')))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = s[i];

		if (!(c == '_' || c == ':' || ((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

/*
 * One sample line "name{k="v",...} value": checks the syntax and returns the
 * metric name, the label text (between the braces, raw) and the value.
 */
static int parse_sample(const char *line, char *name, size_t nsize, char *labels,
			size_t lsize, double *value)
{
	const char *p = line, *brace = NULL, *end;
	size_t n;
	char *vend;

	while (*p && *p != '{' && *p != ' ')
		p++;
	n = (size_t)(p - line);
	if (!name_ok(line, n) || n >= nsize)
		return -1;
	memcpy(name, line, n);
	name[n] = '\0';
	labels[0] = '\0';
	if (*p == '{') {
		brace = ++p;
		for (;;) {
			const char *k = p;

			while (*p && *p != '=')
				p++;
			if (!name_ok(k, (size_t)(p - k)) || p[0] != '=' || p[1] != '"')
				return -1;
			p += 2;
			while (*p && *p != '"') {
				if (*p == '\n')
					return -1;
				if (*p == '\\') {
					if (p[1] != '\\' && p[1] != '"' && p[1] != 'n')
						return -1;
					p++;
				}
				p++;
			}
			if (*p++ != '"')
				return -1;
			if (*p == ',') {
				p++;
				continue;
			}
			if (*p++ != '}')
				return -1;
			break;
		}
		end = p - 1;
		if ((size_t)(end - brace) >= lsize)
			return -1;
		memcpy(labels, brace, (size_t)(end - brace));
		labels[end - brace] = '\0';
	}
	if (*p++ != ' ')
		return -1;
	*value = strtod(p, &vend);
	if (vend == p || *vend != '\0' || !isfinite(*value))
		return -1;
	return 0;
}

/* Removes ",le=..." from a label set to get the series it belongs to. */
static void strip_le(const char *labels, char *series, size_t size, char *le, size_t lesize)
{
	/* ",le=" and not "role=": le is never the first label here. */
	const char *at = strstr(labels, ",le=\"");

	le[0] = '\0';
	snprintf(series, size, "%s", labels);
	if (!at)
		return;
	snprintf(le, lesize, "%.*s", (int)strcspn(at + 5, "\""), at + 5);
	series[at - labels] = '\0';
}

/*
 * Checks the whole exposition: each family's HELP and TYPE come once, before
 * its samples; samples belong to the declared family; histogram buckets have
 * increasing le, non-decreasing counts, end in +Inf, and +Inf == _count.
 * Returns the number of sample lines, or fails the test.
 */
static int check_exposition(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	char family[128] = "", type[32] = "", help_for[128] = "";
	char series[512] = "", prev_le[32] = "";
	double prev_count = -1, prev_le_value = -1, inf_count = -1;
	int samples = 0;
	char seen[64][128];
	int nseen = 0;

	assert_non_null(copy);
	assert_true(text[0] && text[strlen(text) - 1] == '\n');
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], labels[512], ser[512], le[32];
		double v;

		if (!strncmp(line, "# HELP ", 7)) {
			size_t n = strcspn(line + 7, " ");

			snprintf(help_for, sizeof(help_for), "%.*s", (int)n, line + 7);
			assert_true(name_ok(help_for, strlen(help_for)));
			assert_true(strlen(line + 7) > n + 1);	/* some help text */
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line + 7, "%127s %31s", family, type), 2);
			assert_string_equal(family, help_for);	/* HELP right before TYPE */
			assert_true(!strcmp(type, "counter") || !strcmp(type, "histogram"));
			for (int i = 0; i < nseen; i++)
				if (!strcmp(seen[i], family))
					fail_msg("family %s declared twice", family);
			assert_true(nseen < 64);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", family);
			series[0] = '\0';
			continue;
		}
		assert_true(line[0] != '#');
		if (parse_sample(line, name, sizeof(name), labels, sizeof(labels), &v))
			fail_msg("malformed sample line: %s", line);
		samples++;
		assert_true(v >= 0);
		if (!strcmp(type, "counter")) {
			assert_string_equal(name, family);
			assert_true(strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total"));
			continue;
		}
		/* histogram */
		strip_le(labels, ser, sizeof(ser), le, sizeof(le));
		if (!strcmp(name + strlen(family), "_bucket") && !strncmp(name, family, strlen(family))) {
			double lev = !strcmp(le, "+Inf") ? INFINITY : strtod(le, NULL);

			assert_true(le[0]);
			if (strcmp(ser, series)) {
				snprintf(series, sizeof(series), "%s", ser);
				prev_count = -1;
				prev_le_value = -1;
				inf_count = -1;
			}
			if (!(lev > prev_le_value))
				fail_msg("le %s after %g in %s", le, prev_le_value, line);
			assert_true(v >= prev_count);
			prev_le_value = lev;
			prev_count = v;
			snprintf(prev_le, sizeof(prev_le), "%s", le);
			if (isinf(lev))
				inf_count = v;
		} else if (!strcmp(name + strlen(family), "_sum")) {
			assert_string_equal(ser, series);
			assert_string_equal(prev_le, "+Inf");
		} else if (!strcmp(name + strlen(family), "_count")) {
			assert_string_equal(ser, series);
			assert_true(inf_count == v);
		} else {
			fail_msg("sample %s is not part of histogram %s", name, family);
		}
	}
	free(copy);
	return samples;
}

/* The value of one exact sample line prefix "name{labels} ", or -1. */
static double sample(const char *text, const char *prefix)
{
	const char *at = strstr(text, prefix);

	return at ? strtod(at + strlen(prefix), NULL) : -1;
}

static void test_well_formed(void **state)
{
	uint64_t counters[LG_CNT__MAX] = { [LG_CNT_RINGBUF_FULL] = 3, [LG_CNT_STACK_LOST] = 1 };
	struct agg_config cfg = { .start_ns = START };
	struct agg *a = agg_new(&cfg);
	struct lg_request r;
	struct strbuf sb;
	char prefix[160];

	(void)state;
	assert_non_null(a);
	sb_init(&sb);
	/* Nothing yet: still a valid exposition with the dropped counters. */
	assert_int_equal(prom_write(&sb, a, NULL, NULL, 0), 0);
	check_exposition(sb.buf);
	assert_true(sample(sb.buf, "latgov_dropped_events_total{reason=\"ringbuf_full\"} ") == 0);

	for (int i = 0; i < 10; i++) {
		r = req("GET /items/42 HTTP/1.1\r\n", i < 2 ? "HTTP/1.1 500 Int" : "HTTP/1.1 200 OK\r",
			START + (uint64_t)i * MS, 2 * MS);
		assert_int_equal(agg_add(a, &r), 0);
	}
	r = req("GET /slow HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, 3 * SEC);
	assert_int_equal(agg_add(a, &r), 0);
	/* A route with a quote and a backslash: labels must escape them. */
	r = req("GET /a\"b\\c HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, MS);
	assert_int_equal(agg_add(a, &r), 0);
	r = req("\x01\x02", "", START, MS);
	r.role = LG_ROLE_CLIENT;
	r.rport = 6379;
	assert_int_equal(agg_add(a, &r), 0);
	agg_roll(a, START + 5 * SEC);

	sb_reset(&sb);
	assert_int_equal(prom_write(&sb, a, counters, NULL, 0), 0);
	assert_true(check_exposition(sb.buf) > 50);
	assert_true(sample(sb.buf, "latgov_requests_total{endpoint=\"GET /items/:id\",role=\"server\"} ") == 10);
	assert_true(sample(sb.buf, "latgov_errors_total{endpoint=\"GET /items/:id\",role=\"server\"} ") == 2);
	assert_true(sample(sb.buf, "latgov_bytes_in_total{endpoint=\"GET /items/:id\",role=\"server\"} ") == 100);
	assert_true(sample(sb.buf, "latgov_bytes_out_total{endpoint=\"GET /items/:id\",role=\"server\"} ") == 200);
	assert_true(sample(sb.buf, "latgov_requests_total{endpoint=\"GET /a\\\"b\\\\c\",role=\"server\"} ") == 1);
	assert_true(sample(sb.buf, "latgov_requests_total{endpoint=\"tcp:6379\",role=\"client\"} ") == 1);
	/* 2 ms lies between the 1 ms and 2.5 ms bounds; 3 s between 2.5 s and 5 s. */
	snprintf(prefix, sizeof(prefix), "latgov_request_duration_seconds_bucket{endpoint=\"GET /items/:id\",role=\"server\",le=\"0.001\"} ");
	assert_true(sample(sb.buf, prefix) == 0);
	snprintf(prefix, sizeof(prefix), "latgov_request_duration_seconds_bucket{endpoint=\"GET /items/:id\",role=\"server\",le=\"0.0025\"} ");
	assert_true(sample(sb.buf, prefix) == 10);
	assert_true(sample(sb.buf, "latgov_request_duration_seconds_count{endpoint=\"GET /items/:id\",role=\"server\"} ") == 10);
	assert_true(fabs(sample(sb.buf, "latgov_request_duration_seconds_sum{endpoint=\"GET /items/:id\",role=\"server\"} ") - 0.02) < 1e-9);
	assert_true(sample(sb.buf, "latgov_request_duration_seconds_bucket{endpoint=\"GET /slow\",role=\"server\",le=\"2.5\"} ") == 0);
	assert_true(sample(sb.buf, "latgov_request_duration_seconds_bucket{endpoint=\"GET /slow\",role=\"server\",le=\"5\"} ") == 1);
	/* TTFB is a quarter of the latency here: 0.5 ms. */
	assert_true(sample(sb.buf, "latgov_ttfb_seconds_bucket{endpoint=\"GET /items/:id\",role=\"server\",le=\"0.00025\"} ") == 0);
	assert_true(sample(sb.buf, "latgov_ttfb_seconds_bucket{endpoint=\"GET /items/:id\",role=\"server\",le=\"0.001\"} ") == 10);
	/* Every loss counter has a reason line; activity counters ("requests", "answered") do not. */
	for (unsigned int i = 0; i < LG_CNT__MAX; i++) {
		snprintf(prefix, sizeof(prefix), "latgov_dropped_events_total{reason=\"%s\"} ", counter_name(i));
		if (counter_is_loss(i))
			assert_true(sample(sb.buf, prefix) == (double)counters[i]);
		else
			assert_null(strstr(sb.buf, prefix));
	}
	assert_null(strstr(sb.buf, "reason=\"requests\""));
	assert_null(strstr(sb.buf, "reason=\"answered\""));
	sb_free(&sb);
	agg_free(a);
}

/* Counters include the open windows, and closing a window does not move them. */
static void test_fresh_and_monotonic(void **state)
{
	struct agg_config cfg = { .start_ns = START };
	struct agg *a = agg_new(&cfg);
	struct lg_request r = req("GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", START, MS);
	const char *count = "latgov_request_duration_seconds_count{endpoint=\"GET /\",role=\"server\"} ";
	struct strbuf sb;

	(void)state;
	assert_non_null(a);
	sb_init(&sb);
	assert_int_equal(agg_add(a, &r), 0);
	r.t_last_resp_ns += SEC;	/* ends in window 1 */
	assert_int_equal(agg_add(a, &r), 0);
	assert_int_equal(prom_write(&sb, a, NULL, NULL, 0), 0);
	assert_true(sample(sb.buf, count) == 2);
	assert_int_equal(agg_roll(a, START + SEC), 1);
	sb_reset(&sb);
	assert_int_equal(prom_write(&sb, a, NULL, NULL, 0), 0);
	assert_true(sample(sb.buf, count) == 2);
	check_exposition(sb.buf);
	agg_roll(a, START + 3 * SEC);
	sb_reset(&sb);
	assert_int_equal(prom_write(&sb, a, NULL, NULL, 0), 0);
	assert_true(sample(sb.buf, count) == 2);
	sb_free(&sb);
	agg_free(a);
}

static void test_custom_buckets(void **state)
{
	static const double le[] = { 0.0005, 0.002, 1 };
	static const double unsorted[] = { 0.1, 0.01 };
	static const double negative[] = { -1 };
	double many[PROM_MAX_BUCKETS + 1];
	struct agg *a = agg_new(NULL);
	struct lg_request r = req("GET / HTTP/1.1\r\n", "HTTP/1.1 200 OK\r", 1, MS);
	struct strbuf sb;

	(void)state;
	assert_non_null(a);
	sb_init(&sb);
	assert_int_equal(agg_add(a, &r), 0);
	assert_int_equal(prom_write(&sb, a, NULL, le, 3), 0);
	check_exposition(sb.buf);
	assert_true(sample(sb.buf, "latgov_request_duration_seconds_bucket{endpoint=\"GET /\",role=\"server\",le=\"0.0005\"} ") == 0);
	assert_true(sample(sb.buf, "latgov_request_duration_seconds_bucket{endpoint=\"GET /\",role=\"server\",le=\"0.002\"} ") == 1);
	assert_null(strstr(sb.buf, "le=\"0.001\""));
	assert_int_equal(prom_write(&sb, a, NULL, unsorted, 2), -EINVAL);
	assert_int_equal(prom_write(&sb, a, NULL, negative, 1), -EINVAL);
	for (size_t i = 0; i < PROM_MAX_BUCKETS + 1; i++)
		many[i] = (double)(i + 1);
	assert_int_equal(prom_write(&sb, a, NULL, many, PROM_MAX_BUCKETS + 1), -EINVAL);
	assert_int_equal(prom_write(&sb, a, NULL, many, PROM_MAX_BUCKETS), 0);
	sb_free(&sb);
	agg_free(a);
}

static void test_escape(void **state)
{
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	prom_escape_label(&sb, "plain");
	prom_escape_label(&sb, "|a\"b\\c\nd|");
	prom_escape_label(&sb, "");
	assert_string_equal(sb.buf, "plain|a\\\"b\\\\c\\nd|");
	sb_free(&sb);
}

/* The checker must catch what it is there to catch. */
static void test_checker_catches(void **state)
{
	char name[64], labels[128];
	double v;

	(void)state;
	assert_int_equal(parse_sample("a_total{x=\"1\"} 3", name, sizeof(name), labels, sizeof(labels), &v), 0);
	assert_int_equal(parse_sample("a_total{x=\"1\",} 3", name, sizeof(name), labels, sizeof(labels), &v), -1);
	assert_int_equal(parse_sample("a_total{x=\"a\"b\"} 3", name, sizeof(name), labels, sizeof(labels), &v), -1);
	assert_int_equal(parse_sample("a_total{x=\"a\\qb\"} 3", name, sizeof(name), labels, sizeof(labels), &v), -1);
	assert_int_equal(parse_sample("1a_total 3", name, sizeof(name), labels, sizeof(labels), &v), -1);
	assert_int_equal(parse_sample("a_total 3x", name, sizeof(name), labels, sizeof(labels), &v), -1);
	assert_int_equal(parse_sample("a_total{x=\"1\"}3", name, sizeof(name), labels, sizeof(labels), &v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_well_formed),
		cmocka_unit_test(test_fresh_and_monotonic),
		cmocka_unit_test(test_custom_buckets),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_checker_catches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
