// SPDX-License-Identifier: GPL-2.0-only
/* Policy files: the shipped ones load, bad ones fail with exact file:line:column messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/policy.h"

static int load_file(const char *rel, struct policy *p, char *err, size_t errlen)
{
	const char *root = getenv("LATGOV_ROOT");
	char path[4096], *text;
	long n;
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", root ? root : ".", rel);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "cannot open %s", path);
		return -ENOENT;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc(n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, n, f), (size_t)n);
	fclose(f);
	ret = policy_parse(text, n, rel, p, err, errlen);
	free(text);
	return ret;
}

static void test_shipped_slo_p99(void **state)
{
	struct policy p;
	char err[512] = "";

	(void)state;
	assert_int_equal(load_file("policies/slo-p99.yaml", &p, err, sizeof(err)), 0);
	assert_string_equal(p.name, "slo-p99");
	assert_int_equal(p.mode, POLICY_MODE_ENFORCE);
	assert_int_equal(p.metric, POLICY_METRIC_LATENCY);
	assert_true(p.percentile == 99.0);
	assert_int_equal(p.target_us, 50000);
	assert_true(p.max_error_rate > 0.0099 && p.max_error_rate < 0.0101);
	assert_int_equal(p.window_ns, 1000000000ull);
	assert_int_equal(p.cpu_set, 1);
	assert_int_equal(p.cpu_min_mc, 100);
	assert_int_equal(p.cpu_max_mc, 2000);
	assert_int_equal(p.memory_set, 1);
	assert_int_equal(p.mem_min, 256ull << 20);
	assert_int_equal(p.mem_max, 2ull << 30);
	assert_int_equal(p.interval_ns, 500000000ull);
	assert_int_equal(p.calm_ns, 4000000000ull);
	assert_int_equal(p.cooldown_ns, 1000000000ull);
	assert_true(p.max_step_up == 2.0);
	assert_true(p.max_step_down > 0.299 && p.max_step_down < 0.301);
}

static void test_shipped_fixed_cap(void **state)
{
	struct policy p;
	char err[512] = "";

	(void)state;
	assert_int_equal(load_file("policies/fixed-cap.yaml", &p, err, sizeof(err)), 0);
	assert_int_equal(p.metric, POLICY_METRIC_NONE);
	assert_int_equal(p.cpu_min_mc, 1000);
	assert_int_equal(p.cpu_max_mc, 1000);
	assert_int_equal(p.mem_min, 1ull << 30);
	assert_int_equal(p.mem_max, 1ull << 30);
}

static void test_shipped_streaming(void **state)
{
	struct policy p;
	char err[512] = "";

	(void)state;
	assert_int_equal(load_file("policies/streaming-ttft.yaml", &p, err, sizeof(err)), 0);
	assert_int_equal(p.metric, POLICY_METRIC_TTFB);
	assert_true(p.percentile == 95.0);
	assert_int_equal(p.target_us, 300000);
	assert_int_equal(p.cpu_initial_mc, 1000);
	assert_int_equal(p.memory_set, 0);
	assert_int_equal(p.window_ns, 2000000000ull);
}

/* Parses text as "bad.yaml" and expects exactly the message msg. */
static void expect_error(const char *text, const char *msg)
{
	struct policy p, before;
	char err[512] = "";

	memset(&p, 0x5a, sizeof(p));
	before = p;
	assert_int_equal(policy_parse(text, strlen(text), "bad.yaml", &p, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
	/* nothing from a failed load reaches the caller */
	assert_memory_equal(&p, &before, sizeof(p));
}

static void test_unknown_key(void **state)
{
	(void)state;
	expect_error("cpu:\n  min: 1\n  maxx: 2\n",
		     "bad.yaml:3:3: unknown key 'cpu.maxx' (expected one of: min, max, initial, margin, throttle_target)");
	expect_error("cpus:\n  min: 1\n",
		     "bad.yaml:1:1: unknown key 'cpus' (expected one of: name, mode, window, min_requests, objective, cpu, memory, control)");
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_error("cpu:\n  min: 1\n  max: lots\n",
		     "bad.yaml:3:8: cpu.max: expected a CPU amount in cores (1.5) or millicores (500m), got 'lots'");
	expect_error("memory:\n  min: 1Gi\n  max: 2Gb3\n",
		     "bad.yaml:3:8: memory.max: expected a size in bytes with a unit such as 512Mi or 2Gi, got '2Gb3'");
	expect_error("objective:\n  percentile: 99\n  target: 50ms\ncpu: {min: 1, max: 2}\n",
		     "bad.yaml:2:15: objective.percentile: expected a percentile such as p99 or p99.9, got '99'");
	expect_error("objective:\n  target: fast\ncpu: {min: 1, max: 2}\n",
		     "bad.yaml:2:11: objective.target: expected a duration such as 50ms, 1s or 2m, got 'fast'");
	expect_error("mode: yolo\ncpu: {min: 1, max: 2}\n",
		     "bad.yaml:1:7: mode: expected one of observe, dry-run, enforce, got 'yolo'");
	expect_error("cpu:\n  min: [1, 2]\n",
		     "bad.yaml:2:8: cpu.min: expected a CPU amount in cores (1.5) or millicores (500m), got a list");
}

static void test_out_of_range(void **state)
{
	(void)state;
	expect_error("cpu: {min: 1, max: 2}\ncontrol:\n  hysteresis: 150%\n",
		     "bad.yaml:3:15: control.hysteresis: '150%' is out of range (expected 0% to 90%)");
	expect_error("cpu: {min: 1m, max: 2}\n",
		     "bad.yaml:1:12: cpu.min: '1m' is out of range (expected 10m to 1024 cores)");
	expect_error("cpu: {min: 1, max: 2}\ncontrol:\n  interval: 5ms\n",
		     "bad.yaml:3:13: control.interval: '5ms' is out of range (expected 100ms to 60s)");
}

static void test_min_above_max(void **state)
{
	(void)state;
	expect_error("cpu:\n  min: 2\n  max: 500m\n",
		     "bad.yaml:2:8: cpu.min (2) is greater than cpu.max (500m)");
	expect_error("memory:\n  min: 2Gi\n  max: 1Gi\n",
		     "bad.yaml:2:8: memory.min (2Gi) is greater than memory.max (1Gi)");
	expect_error("cpu:\n  min: 1\n  max: 2\n  initial: 3\n",
		     "bad.yaml:4:12: cpu.initial (3) is outside cpu.min..cpu.max (1..2)");
}

static void test_structure(void **state)
{
	(void)state;
	expect_error("", "bad.yaml:1:1: the policy is empty; expected a mapping with 'cpu' and/or 'memory' (see policies/README.md)");
	expect_error("name: x\n",
		     "bad.yaml:1:1: the policy sets neither 'cpu' nor 'memory', so there is nothing to govern");
	expect_error("cpu:\n  min: 1\n",
		     "bad.yaml:2:3: cpu: both 'min' and 'max' are required (e.g. min: 250m, max: 2)");
	expect_error("objective:\n  percentile: p99\ncpu: {min: 1, max: 2}\n",
		     "bad.yaml:2:3: objective: missing key 'target' (e.g. target: 50ms)");
	expect_error("cpu: {min: 1, max: 2, min: 1}\n",
		     "bad.yaml:1:23: duplicate key 'cpu.min' (first given on line 1)");
	expect_error("cpu:\n  min: 1\n max: 2\n",
		     "bad.yaml:3:2: YAML syntax error: did not find expected key (while parsing a block mapping started on line 1)");
	expect_error("cpu: 2\n", "bad.yaml:1:6: cpu: expected a mapping of keys");
}

static void test_defaults_and_units(void **state)
{
	const char *text = "cpu:\n  min: 500m\n  max: 1.5\nmemory:\n  min: 512Mi\n  max: 2Gi\n"
			   "control:\n  max_step_down: 0.05\n  calm: 30s\n";
	struct policy p;
	char err[512] = "";

	(void)state;
	assert_int_equal(policy_parse(text, strlen(text), "ok.yaml", &p, err, sizeof(err)), 0);
	assert_int_equal(p.cpu_min_mc, 500);
	assert_int_equal(p.cpu_max_mc, 1500);
	assert_int_equal(p.mem_min, 512ull << 20);
	assert_true(p.max_step_down == 0.05);
	assert_int_equal(p.calm_ns, 30000000000ull);
	assert_int_equal(p.interval_ns, 1000000000ull);	/* default */
	assert_int_equal(p.metric, POLICY_METRIC_NONE);
	assert_int_equal(p.mode, POLICY_MODE_ENFORCE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_slo_p99),
		cmocka_unit_test(test_shipped_fixed_cap),
		cmocka_unit_test(test_shipped_streaming),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_min_above_max),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_defaults_and_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
