// SPDX-License-Identifier: GPL-2.0-only
/*
 * The governor's /metrics text: the exact exposition of a known status, then
 * its grammar (HELP and TYPE before a family's samples, valid names, quoted
 * and escaped labels), values a scraper reads back exactly, its place after
 * the request metrics, and the allocation failure reported.
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

#include "core/governor_prom.h"
#include "core/prom.h"
#include "core/strbuf.h"

static struct governor_status status(void)
{
	struct governor_status st;

	memset(&st, 0, sizeof(st));
	st.ticks = 16;
	st.cpu_limit_cores = 1.5;
	st.cpu_usage_cores = 0.625;
	st.throttle_ratio = 0.25;
	st.mem_limit_bytes = 268435456;
	st.mem_usage_bytes = 123456789;
	st.decisions[DECIDE_HOLD] = 10;
	st.decisions[DECIDE_RAISE] = 2;
	st.decisions[DECIDE_LOWER] = 3;
	st.decisions[DECIDE_ROLLBACK] = 1;
	st.cpu_foreign = 1;
	return st;
}

static void test_exposition(void **state)
{
	struct governor_status st = status();
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	assert_int_equal(governor_prom_write(&sb, &st), 0);
	assert_string_equal(sb.buf,
		"# HELP latgov_cpu_limit_cores CPU limit the governor holds, in cores (0: unlimited or not governed).\n"
		"# TYPE latgov_cpu_limit_cores gauge\n"
		"latgov_cpu_limit_cores 1.5\n"
		"# HELP latgov_cpu_usage_cores CPU usage of the governed cgroup over the last tick, in cores.\n"
		"# TYPE latgov_cpu_usage_cores gauge\n"
		"latgov_cpu_usage_cores 0.625\n"
		"# HELP latgov_throttle_ratio Share of CFS periods throttled over the last tick.\n"
		"# TYPE latgov_throttle_ratio gauge\n"
		"latgov_throttle_ratio 0.25\n"
		"# HELP latgov_memory_limit_bytes memory.high (v2) or soft limit (v1) the governor holds (0: unlimited or not governed).\n"
		"# TYPE latgov_memory_limit_bytes gauge\n"
		"latgov_memory_limit_bytes 268435456\n"
		"# HELP latgov_memory_usage_bytes Memory usage of the governed cgroup.\n"
		"# TYPE latgov_memory_usage_bytes gauge\n"
		"latgov_memory_usage_bytes 123456789\n"
		"# HELP latgov_decisions_total Governor decisions by action.\n"
		"# TYPE latgov_decisions_total counter\n"
		"latgov_decisions_total{action=\"hold\"} 10\n"
		"latgov_decisions_total{action=\"raise\"} 2\n"
		"latgov_decisions_total{action=\"lower\"} 3\n"
		"latgov_decisions_total{action=\"rollback\"} 1\n"
		"# HELP latgov_foreign_writes 1 once someone else wrote a limit and the governor stepped aside.\n"
		"# TYPE latgov_foreign_writes gauge\n"
		"latgov_foreign_writes{resource=\"cpu\"} 1\n"
		"latgov_foreign_writes{resource=\"memory\"} 0\n");
	sb_free(&sb);
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
 * Checks every line: HELP then TYPE of the same family, once each, before its
 * samples; samples named for the family in force, labels k="v" with only
 * \\, \" and \n escaped, a value that parses (NaN and +-Inf as the format
 * spells them). Returns the number of samples.
 */
static int check_grammar(const char *text)
{
	char *copy = strdup(text), *save = NULL, *line;
	char family[128] = "", help_for[128] = "", seen[16][128];
	int samples = 0, nseen = 0;

	assert_non_null(copy);
	assert_true(text[0] && text[strlen(text) - 1] == '\n');
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *p = line;
		char type[32], *end;
		size_t n;

		if (!strncmp(line, "# HELP ", 7)) {
			n = strcspn(line + 7, " ");
			snprintf(help_for, sizeof(help_for), "%.*s", (int)n, line + 7);
			assert_true(name_ok(help_for, n));
			assert_true(strlen(line + 7) > n + 1);	/* some help text */
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			assert_int_equal(sscanf(line + 7, "%127s %31s", family, type), 2);
			assert_string_equal(family, help_for);
			assert_true(!strcmp(type, "gauge") || !strcmp(type, "counter"));
			for (int i = 0; i < nseen; i++)
				assert_string_not_equal(seen[i], family);
			assert_true(nseen < 16);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", family);
			continue;
		}
		n = strcspn(line, "{ ");
		assert_int_equal(n, strlen(family));
		assert_memory_equal(line, family, n);
		p = line + n;
		if (*p == '{') {
			do {
				const char *k = ++p;

				p += strcspn(p, "=");
				assert_true(name_ok(k, (size_t)(p - k)));
				assert_true(p[0] == '=' && p[1] == '"');
				for (p += 2; *p != '"'; p++) {
					assert_true(*p != '\0');
					if (*p == '\\') {
						assert_non_null(strchr("\\\"n", p[1]));
						p++;
					}
				}
				p++;
			} while (*p == ',');
			assert_true(*p++ == '}');
		}
		assert_true(*p++ == ' ');
		if (strcmp(p, "NaN") && strcmp(p, "+Inf") && strcmp(p, "-Inf")) {
			strtod(p, &end);
			assert_true(end != p && *end == '\0');
		}
		samples++;
	}
	free(copy);
	return samples;
}

static void test_grammar(void **state)
{
	struct governor_status st = status();
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	assert_int_equal(governor_prom_write(&sb, &st), 0);
	/* five gauges, four actions, two resources */
	assert_int_equal(check_grammar(sb.buf), 5 + DECIDE_ACTION_COUNT + 2);
	sb_free(&sb);
}

/* The value of one series ("name" or "name{labels}"), as written; NULL when absent. */
static const char *sample(const char *text, const char *series)
{
	static char value[64];
	size_t n = strlen(series);

	for (const char *line = text; *line; line += strcspn(line, "\n") + 1) {
		if (strncmp(line, series, n) || line[n] != ' ')
			continue;
		snprintf(value, sizeof(value), "%.*s", (int)strcspn(line + n + 1, "\n"), line + n + 1);
		return value;
	}
	return NULL;
}

/* What a scraper reads back is what the governor holds, to the byte. */
static void test_values(void **state)
{
	struct governor_status st = status();
	struct strbuf sb;

	(void)state;
	st.mem_limit_bytes = (64ull << 30) + 1;	/* eleven digits: %.10g would round it */
	st.mem_usage_bytes = UINT64_MAX;
	st.cpu_limit_cores = 0;			/* unlimited */
	st.throttle_ratio = NAN;
	st.cpu_usage_cores = INFINITY;
	st.decisions[DECIDE_ROLLBACK] = UINT64_MAX;
	st.mem_foreign = 7;			/* any non-zero flag is 1 */
	sb_init(&sb);
	assert_int_equal(governor_prom_write(&sb, &st), 0);
	assert_string_equal(sample(sb.buf, "latgov_memory_limit_bytes"), "68719476737");
	assert_string_equal(sample(sb.buf, "latgov_memory_usage_bytes"), "18446744073709551615");
	assert_string_equal(sample(sb.buf, "latgov_cpu_limit_cores"), "0");
	assert_string_equal(sample(sb.buf, "latgov_throttle_ratio"), "NaN");
	assert_string_equal(sample(sb.buf, "latgov_cpu_usage_cores"), "+Inf");
	assert_string_equal(sample(sb.buf, "latgov_decisions_total{action=\"rollback\"}"),
			    "18446744073709551615");
	assert_string_equal(sample(sb.buf, "latgov_foreign_writes{resource=\"memory\"}"), "1");
	assert_null(sample(sb.buf, "latgov_foreign_writes{resource=\"disk\"}"));
	check_grammar(sb.buf);
	sb_free(&sb);
}

/*
 * The session reports the request metrics, then each part's: /metrics is the
 * request metrics as they are alone, then the governor's families, each once.
 */
static void test_after_request_metrics(void **state)
{
	struct governor_status st = status();
	struct lg_request r;
	struct prom_exposition x;
	struct strbuf alone, both;
	struct agg *a = agg_new(NULL);

	(void)state;
	assert_non_null(a);
	memset(&r, 0, sizeof(r));
	r.type = LG_REC_REQUEST;
	r.role = LG_ROLE_SERVER;
	r.lport = 80;
	r.req_len = 16;
	memcpy(r.req_prefix, "GET / HTTP/1.1\r\n", r.req_len);
	r.resp_len = 16;
	memcpy(r.resp_prefix, "HTTP/1.1 200 OK\r", r.resp_len);
	r.t_arrival_ns = 1000;
	r.t_first_resp_ns = 2000;
	r.t_last_resp_ns = 3000;
	assert_int_equal(agg_add(a, &r), 0);
	sb_init(&alone);
	assert_int_equal(prom_write(&alone, a, NULL, NULL, 0), 0);
	assert_int_equal(governor_prom_write(&alone, &st), 0);

	prom_exposition_init(&x);
	assert_int_equal(prom_request_metrics(&x, a, NULL, NULL, 0), 0);
	governor_prom_metrics(&x, &st);
	sb_init(&both);
	assert_int_equal(prom_render(&x, &both), 0);
	assert_string_equal(both.buf, alone.buf);
	prom_exposition_free(&x);
	sb_free(&both);
	sb_free(&alone);
	agg_free(a);
}

/* A buffer that could not grow is reported, not served half-written. */
static void test_out_of_memory(void **state)
{
	struct governor_status st = status();
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	sb.failed = 1;
	assert_int_equal(governor_prom_write(&sb, &st), -ENOMEM);
	sb_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exposition),
		cmocka_unit_test(test_grammar),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_after_request_metrics),
		cmocka_unit_test(test_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
