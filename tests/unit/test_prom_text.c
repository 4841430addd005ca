// SPDX-License-Identifier: GPL-2.0-only
/*
 * The Prometheus text writer: exact text for typed samples (HELP and TYPE
 * once per family, a family's samples together whatever order they came in,
 * escaped labels and HELP, histogram buckets with le up to +Inf, NaN and
 * infinities, numbers that read back exactly), and every bad report refused
 * with nothing rendered.
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

#include "core/prom_text.h"

static const struct prom_metric queue_depth = { "queue_depth", "Requests waiting.", PROM_GAUGE };
static const struct prom_metric served = { "served_total", "Requests served.", PROM_COUNTER };
static const struct prom_metric latency = { "latency_seconds", "Request latency.", PROM_HISTOGRAM };

/* Renders x into a fresh buffer; returns prom_render()'s code and the text in *sb. */
static int render(struct prom_exposition *x, struct strbuf *sb)
{
	sb_init(sb);
	return prom_render(x, sb);
}

static void test_families_grouped(void **state)
{
	struct prom_label a = { "queue", "a" }, b = { "queue", "b" };
	struct prom_exposition x;
	struct strbuf sb;

	(void)state;
	prom_exposition_init(&x);
	/* Interleaved as a producer walking its queues would report them. */
	prom_sample_u64(&x, &served, &a, 1, 3);
	prom_sample(&x, &queue_depth, &a, 1, 2);
	prom_sample_u64(&x, &served, &b, 1, 5);
	prom_sample(&x, &queue_depth, &b, 1, 0.5);
	assert_int_equal(render(&x, &sb), 0);
	assert_string_equal(sb.buf,
		"# HELP served_total Requests served.\n"
		"# TYPE served_total counter\n"
		"served_total{queue=\"a\"} 3\n"
		"served_total{queue=\"b\"} 5\n"
		"# HELP queue_depth Requests waiting.\n"
		"# TYPE queue_depth gauge\n"
		"queue_depth{queue=\"a\"} 2\n"
		"queue_depth{queue=\"b\"} 0.5\n");
	sb_free(&sb);
	prom_exposition_free(&x);
}

/* A declared family shows HELP and TYPE before its first sample, in the place it was declared. */
static void test_declared_family(void **state)
{
	struct prom_exposition x;
	struct strbuf sb;

	(void)state;
	prom_exposition_init(&x);
	prom_declare(&x, &served);
	prom_sample(&x, &queue_depth, NULL, 0, 1);
	prom_declare(&x, &served);
	assert_int_equal(render(&x, &sb), 0);
	assert_string_equal(sb.buf,
		"# HELP served_total Requests served.\n"
		"# TYPE served_total counter\n"
		"# HELP queue_depth Requests waiting.\n"
		"# TYPE queue_depth gauge\n"
		"queue_depth 1\n");
	sb_free(&sb);
	prom_exposition_free(&x);
}

static void test_escaping(void **state)
{
	static const struct prom_metric odd = {
		"odd:ratio", "A \\ and a \"quote\"\nover two lines.", PROM_GAUGE,
	};
	struct prom_label labels[] = { { "path", "/a\"b\\c\nd" }, { "_empty", "" } };
	struct prom_exposition x;
	struct strbuf sb;

	(void)state;
	prom_exposition_init(&x);
	prom_sample(&x, &odd, labels, 2, 1);
	assert_int_equal(render(&x, &sb), 0);
	/* Label values escape \, " and newline; HELP only \ and newline. */
	assert_string_equal(sb.buf,
		"# HELP odd:ratio A \\\\ and a \"quote\"\\nover two lines.\n"
		"# TYPE odd:ratio gauge\n"
		"odd:ratio{path=\"/a\\\"b\\\\c\\nd\",_empty=\"\"} 1\n");
	sb_free(&sb);
	sb_init(&sb);
	prom_escape_label(&sb, "plain|\\|\"|\n|");
	assert_string_equal(sb.buf, "plain|\\\\|\\\"|\\n|");
	sb_free(&sb);
	prom_exposition_free(&x);
}

static void test_histogram(void **state)
{
	static const double le[] = { 0.001, 0.25, 10 };
	static const uint64_t cumulative[] = { 1, 4, 4 };
	struct prom_histogram h = { le, cumulative, 3, 2.5, 6 };
	struct prom_histogram empty = { NULL, NULL, 0, NAN, 0 };
	struct prom_label route = { "route", "/x" };
	struct prom_exposition x;
	struct strbuf sb;

	(void)state;
	prom_exposition_init(&x);
	prom_sample_histogram(&x, &latency, &route, 1, &h);
	prom_sample_histogram(&x, &latency, NULL, 0, &empty);
	assert_int_equal(render(&x, &sb), 0);
	assert_string_equal(sb.buf,
		"# HELP latency_seconds Request latency.\n"
		"# TYPE latency_seconds histogram\n"
		"latency_seconds_bucket{route=\"/x\",le=\"0.001\"} 1\n"
		"latency_seconds_bucket{route=\"/x\",le=\"0.25\"} 4\n"
		"latency_seconds_bucket{route=\"/x\",le=\"10\"} 4\n"
		"latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 6\n"
		"latency_seconds_sum{route=\"/x\"} 2.5\n"
		"latency_seconds_count{route=\"/x\"} 6\n"
		"latency_seconds_bucket{le=\"+Inf\"} 0\n"
		"latency_seconds_sum NaN\n"
		"latency_seconds_count 0\n");
	sb_free(&sb);
	prom_exposition_free(&x);
}

/* A scraper parses back what was reported: no digit rounded away, the specials spelled out. */
static void test_values(void **state)
{
	static const struct prom_metric v = { "v", "A value.", PROM_GAUGE };
	struct prom_label k = { "k", NULL };
	struct prom_exposition x;
	struct strbuf sb;

	(void)state;
	prom_exposition_init(&x);
	k.value = "sum";
	prom_sample(&x, &v, &k, 1, 0.1 + 0.2);
	k.value = "big";
	prom_sample(&x, &v, &k, 1, 123456.789012345);
	k.value = "nan";
	prom_sample(&x, &v, &k, 1, NAN);
	k.value = "inf";
	prom_sample(&x, &v, &k, 1, INFINITY);
	k.value = "-inf";
	prom_sample(&x, &v, &k, 1, -INFINITY);
	k.value = "u64";
	prom_sample_u64(&x, &v, &k, 1, UINT64_MAX);
	k.value = "zero";
	prom_sample(&x, &v, &k, 1, 0);
	assert_int_equal(render(&x, &sb), 0);
	assert_string_equal(sb.buf,
		"# HELP v A value.\n"
		"# TYPE v gauge\n"
		"v{k=\"sum\"} 0.30000000000000004\n"
		"v{k=\"big\"} 123456.789012345\n"
		"v{k=\"nan\"} NaN\n"
		"v{k=\"inf\"} +Inf\n"
		"v{k=\"-inf\"} -Inf\n"
		"v{k=\"u64\"} 18446744073709551615\n"
		"v{k=\"zero\"} 0\n");
	sb_free(&sb);
	prom_exposition_free(&x);
}

/* One bad report: render returns err and appends nothing. */
static void expect_refused(struct prom_exposition *x, int err)
{
	struct strbuf sb;

	/* Later good reports do not clear it. */
	prom_sample(x, &queue_depth, NULL, 0, 1);
	sb_init(&sb);
	sb_puts(&sb, "kept");
	assert_int_equal(prom_render(x, &sb), err);
	assert_string_equal(sb.buf, "kept");
	sb_free(&sb);
	prom_exposition_free(x);
}

static void test_refused(void **state)
{
	static const struct prom_metric bad_name = { "1st", "Bad.", PROM_GAUGE };
	static const struct prom_metric dash = { "a-b", "Bad.", PROM_GAUGE };
	static const struct prom_metric no_help = { "a", NULL, PROM_GAUGE };
	static const struct prom_metric served_as_gauge = {
		"served_total", "Requests served.", PROM_GAUGE,
	};
	static const struct prom_metric served_other_help = {
		"served_total", "Other.", PROM_COUNTER,
	};
	static const double le[] = { 1, 2 }, le_down[] = { 2, 1 }, le_inf[] = { 1, INFINITY };
	static const uint64_t up[] = { 1, 2 }, down[] = { 2, 1 };
	struct prom_histogram hist_down = { le, down, 2, 1, 2 };
	struct prom_histogram le_not_increasing = { le_down, up, 2, 1, 2 };
	struct prom_histogram le_infinite = { le_inf, up, 2, 1, 2 };
	struct prom_histogram above_count = { le, up, 2, 1, 1 };
	struct prom_histogram ok = { le, up, 2, 1, 2 };
	struct prom_label colon = { "a:b", "v" }, reserved = { "__name", "v" };
	struct prom_label le_label = { "le", "1" };
	struct prom_label no_value = { "k", NULL };
	struct prom_label twice[] = { { "k", "1" }, { "k", "2" } };
	struct prom_exposition x;
	struct strbuf sb;

	(void)state;
	prom_exposition_init(&x);
	prom_sample(&x, &bad_name, NULL, 0, 1);
	expect_refused(&x, -EINVAL);
	prom_sample(&x, &dash, NULL, 0, 1);
	expect_refused(&x, -EINVAL);
	prom_sample(&x, &no_help, NULL, 0, 1);
	expect_refused(&x, -EINVAL);
	prom_sample(&x, &queue_depth, &colon, 1, 1);
	expect_refused(&x, -EINVAL);
	prom_sample(&x, &queue_depth, &reserved, 1, 1);
	expect_refused(&x, -EINVAL);
	prom_sample(&x, &queue_depth, &no_value, 1, 1);
	expect_refused(&x, -EINVAL);
	prom_sample(&x, &queue_depth, twice, 2, 1);
	expect_refused(&x, -EINVAL);
	/* One family, one TYPE and one HELP. */
	prom_sample_u64(&x, &served, NULL, 0, 1);
	prom_sample_u64(&x, &served_as_gauge, NULL, 0, 1);
	expect_refused(&x, -EINVAL);
	prom_declare(&x, &served);
	prom_declare(&x, &served_other_help);
	expect_refused(&x, -EINVAL);
	/* A value of the wrong kind for the TYPE. */
	prom_sample(&x, &latency, NULL, 0, 1);
	expect_refused(&x, -EINVAL);
	prom_sample_histogram(&x, &served, NULL, 0, &ok);
	expect_refused(&x, -EINVAL);
	/* Histograms: le is the writer's, bounds rise, counts accumulate up to _count. */
	prom_sample_histogram(&x, &latency, &le_label, 1, &ok);
	expect_refused(&x, -EINVAL);
	prom_sample_histogram(&x, &latency, NULL, 0, &hist_down);
	expect_refused(&x, -EINVAL);
	prom_sample_histogram(&x, &latency, NULL, 0, &le_not_increasing);
	expect_refused(&x, -EINVAL);
	prom_sample_histogram(&x, &latency, NULL, 0, &le_infinite);
	expect_refused(&x, -EINVAL);
	prom_sample_histogram(&x, &latency, NULL, 0, &above_count);
	expect_refused(&x, -EINVAL);
	/* "le" is an ordinary label outside histograms. */
	prom_sample(&x, &queue_depth, &le_label, 1, 1);
	prom_sample_histogram(&x, &latency, NULL, 0, &ok);
	assert_int_equal(render(&x, &sb), 0);
	sb_free(&sb);
	prom_exposition_free(&x);
}

static void test_out_of_memory(void **state)
{
	struct prom_exposition x;
	struct strbuf sb;

	(void)state;
	prom_exposition_init(&x);
	prom_sample(&x, &queue_depth, NULL, 0, 1);
	sb_init(&sb);
	sb.failed = 1;
	assert_int_equal(prom_render(&x, &sb), -ENOMEM);
	sb_free(&sb);
	prom_exposition_free(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families_grouped),
		cmocka_unit_test(test_declared_family),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
