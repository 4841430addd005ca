// SPDX-License-Identifier: GPL-2.0-only
/*
 * The flame profiles: which profile a stack lands in and under which root,
 * the latency flame's endpoint and state frames, --requests-only, and the
 * summary's endpoint split and top stacks.
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

#include "core/flame.h"
#include "core/utf8.h"
#include "latgov/abi.h"

#define HZ 100		/* a sample stands for 10 ms */
#define SAMPLE_US (1000000 / HZ)
#define EP "GET /users/:id"
#define FFFD UTF8_REPLACEMENT

static const char *const hot[] = { "main", "serve", "hash" };
static const char *const sleepy[] = { "main", "serve", "nanosleep" };

static struct flame *new_flame(int requests_only)
{
	struct flame_config cfg = { .hz = HZ, .off_cpu = 1, .min_span_ns = 10000,
				    .requests_only = requests_only };
	struct flame *f = flame_new(&cfg);

	assert_non_null(f);
	return f;
}

static void add(struct flame *f, uint32_t endpoint, uint32_t phase, const char *const *frames,
		size_t n, uint64_t value)
{
	struct flame_stack s = { .process = "web", .endpoint = endpoint, .phase = phase,
				 .frames = frames, .nframes = n, .value = value };

	assert_int_equal(flame_add(f, &s), 0);
}

static uint64_t weight(const struct flame *f, enum flame_profile p, const char *stack)
{
	return folded_weight(flame_folded(f, p), stack);
}

static void test_latency_flame_roots(void **state)
{
	struct flame *f = new_flame(0);

	(void)state;
	assert_int_equal(flame_set_endpoint(f, 7, "GET /users/:id"), 0);
	add(f, 7, LG_PHASE_ONCPU, hot, 3, 3);
	add(f, 7, LG_PHASE_RUNQ, hot, 3, 2000000);
	add(f, 7, LG_PHASE_BLOCKED, sleepy, 3, 5000000);
	add(f, 7, LG_PHASE_THROTTLED, hot, 3, 1000000);
	add(f, 9, LG_PHASE_BLOCKED, sleepy, 3, 4000000);

	/* The endpoint, then the state, then the stack; weights in µs. */
	assert_int_equal(weight(f, FLAME_LATENCY, EP ";[on-cpu];main;serve;hash"), 3 * SAMPLE_US);
	assert_int_equal(weight(f, FLAME_LATENCY, EP ";[runqueue];main;serve;hash"), 2000);
	assert_int_equal(weight(f, FLAME_LATENCY, EP ";[blocked];main;serve;nanosleep"), 5000);
	assert_int_equal(weight(f, FLAME_LATENCY, EP ";[throttled];main;serve;hash"), 1000);
	/* A key nobody named still has its own root. */
	assert_int_equal(weight(f, FLAME_LATENCY, "endpoint-9;[blocked];main;serve;nanosleep"), 4000);
	assert_int_equal(folded_count(flame_folded(f, FLAME_LATENCY)), 5);
	/* The other profiles root the same time at the process. */
	assert_int_equal(weight(f, FLAME_WALL, "web;[blocked];main;serve;nanosleep"), 9000);
	flame_free(f);
}

static void test_stacks_go_to_their_profiles(void **state)
{
	struct flame *f = new_flame(0);

	(void)state;
	add(f, 0, LG_PHASE_ONCPU, hot, 3, 4);
	add(f, 0, LG_PHASE_BLOCKED, sleepy, 3, 2500400);

	/* On-CPU: samples under the process, no state frame. */
	assert_int_equal(weight(f, FLAME_ONCPU, "web;main;serve;hash"), 4);
	assert_int_equal(folded_count(flame_folded(f, FLAME_ONCPU)), 1);
	/* Off-CPU: µs under the process and the state. */
	assert_int_equal(weight(f, FLAME_OFFCPU, "web;[blocked];main;serve;nanosleep"), 2500);
	assert_int_equal(folded_count(flame_folded(f, FLAME_OFFCPU)), 1);
	/* Wall time: both, in µs. */
	assert_int_equal(weight(f, FLAME_WALL, "web;[on-cpu];main;serve;hash"), 4 * SAMPLE_US);
	assert_int_equal(weight(f, FLAME_WALL, "web;[blocked];main;serve;nanosleep"), 2500);
	/* No request in flight: nothing in the latency flame. */
	assert_int_equal(folded_total(flame_folded(f, FLAME_LATENCY)), 0);
	flame_free(f);
}

static void test_odd_stacks(void **state)
{
	struct flame_stack unknown = { .process = "web", .phase = LG_PHASE__MAX, .frames = hot,
				       .nframes = 3, .value = 1 };
	struct flame *f = new_flame(0);

	(void)state;
	/* A stack the kernel could not walk still has its time. */
	add(f, 0, LG_PHASE_RUNQ, NULL, 0, 3000000);
	assert_int_equal(weight(f, FLAME_OFFCPU, "web;[runqueue];[no stack]"), 3000);
	/* Under half a µs rounds to nothing: no zero-weight lines. */
	add(f, 0, LG_PHASE_BLOCKED, sleepy, 3, 400);
	assert_int_equal(weight(f, FLAME_OFFCPU, "web;[blocked];main;serve;nanosleep"), 0);
	assert_int_equal(folded_count(flame_folded(f, FLAME_OFFCPU)), 1);
	/* A state this build does not know is refused, not filed under another. */
	assert_int_equal(flame_add(f, &unknown), -EINVAL);
	assert_int_equal(folded_total(flame_folded(f, FLAME_WALL)), 3000);
	flame_free(f);
}

static void test_requests_only(void **state)
{
	struct flame *f = new_flame(1);

	(void)state;
	add(f, 0, LG_PHASE_ONCPU, hot, 3, 50);
	add(f, 0, LG_PHASE_BLOCKED, sleepy, 3, 9000000);
	for (int p = 0; p < FLAME__MAX; p++)
		assert_int_equal(folded_total(flame_folded(f, (enum flame_profile)p)), 0);
	add(f, 7, LG_PHASE_ONCPU, hot, 3, 2);
	add(f, 7, LG_PHASE_BLOCKED, sleepy, 3, 1000000);
	assert_int_equal(weight(f, FLAME_ONCPU, "web;main;serve;hash"), 2);
	assert_int_equal(weight(f, FLAME_OFFCPU, "web;[blocked];main;serve;nanosleep"), 1000);
	assert_int_equal(folded_total(flame_folded(f, FLAME_WALL)), 2 * SAMPLE_US + 1000);
	assert_int_equal(folded_total(flame_folded(f, FLAME_LATENCY)), 2 * SAMPLE_US + 1000);
	flame_free(f);
}

static void test_probe_frames(void **state)
{
	(void)state;
	assert_true(flame_frame_is_probe("bpf_prog_6deef7357e7b4530_lg_sched_switch"));
	assert_true(flame_frame_is_probe("bpf_trace_run4"));
	assert_true(flame_frame_is_probe("__bpf_trace_sched_switch"));
	assert_false(flame_frame_is_probe("__schedule"));
	assert_false(flame_frame_is_probe("bpf_map_lookup_elem"));
	assert_string_equal(flame_phase_frame(LG_PHASE_THROTTLED), "[throttled]");
	assert_null(flame_phase_frame(LG_PHASE__MAX));
}

static void test_top_stacks(void **state)
{
	struct flame_share top[2];
	struct folded *p = folded_new();

	(void)state;
	assert_non_null(p);
	assert_int_equal(flame_top_stacks(p, top, 2), 0);
	assert_int_equal(folded_add(p, "a;light", 10), 0);
	assert_int_equal(folded_add(p, "a;heavy", 60), 0);
	assert_int_equal(folded_add(p, "a;middle", 30), 0);
	/* Heaviest first, no more than asked. */
	assert_int_equal(flame_top_stacks(p, top, 2), 2);
	assert_string_equal(top[0].stack, "a;heavy");
	assert_int_equal(top[0].weight, 60);
	assert_true(top[0].percent == 60.0);
	assert_string_equal(top[1].stack, "a;middle");
	assert_true(top[1].percent == 30.0);
	folded_free(p);
}

static void test_endpoint_times(void **state)
{
	struct flame_endpoint_time *rows;
	struct flame *f = new_flame(0);

	(void)state;
	/* Two raw paths of one route, and a named endpoint with no stack kept. */
	assert_int_equal(flame_set_endpoint(f, 11, "GET /users/:id"), 0);
	assert_int_equal(flame_set_endpoint(f, 12, "POST /login"), 0);
	assert_int_equal(flame_set_endpoint(f, 13, "GET /users/:id"), 0);
	add(f, 11, LG_PHASE_ONCPU, hot, 3, 1);
	add(f, 13, LG_PHASE_BLOCKED, sleepy, 3, 30000000);
	add(f, 9, LG_PHASE_RUNQ, hot, 3, 500000);

	assert_int_equal(flame_endpoint_times(f, &rows), 2);
	assert_string_equal(rows[0].name, "GET /users/:id");
	assert_int_equal(rows[0].total_us, SAMPLE_US + 30000);
	assert_int_equal(rows[0].phase_us[LG_PHASE_ONCPU], SAMPLE_US);
	assert_int_equal(rows[0].phase_us[LG_PHASE_BLOCKED], 30000);
	assert_string_equal(rows[1].name, "endpoint-9");
	assert_int_equal(rows[1].phase_us[LG_PHASE_RUNQ], 500);
	free(rows);
	flame_free(f);
}

/* The k-th line (from 1) after the line that is exactly header, in text; "" if none. */
static const char *line_after(const char *text, const char *header, int k)
{
	static char line[256];
	const char *p = text;
	size_t hl = strlen(header);

	line[0] = '\0';
	while (p && *p && !(strncmp(p, header, hl) == 0 && p[hl] == '\n')) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	for (int i = 0; p && *p && i < k; i++) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (p && *p && k > 0)
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
	return line;
}

#define BY_STATE    "time of the target threads by state:"
#define BY_ENDPOINT "requests in flight, by endpoint: share of their wall time in each state"
#define TOP_LATENCY "top 10 stacks by share of request latency (requests in flight only):"
#define TOP_WALL    "top 10 stacks by share of wall time (on-CPU estimated from samples):"

static void test_summary_top_stacks(void **state)
{
	static const struct flame_target targets[] = { { 4242, "web" } };
	uint64_t lost[LG_CNT__MAX] = { [LG_CNT_STACK_MAP_FULL] = 3 };
	struct flame_run run = { .duration_ns = 2000000000ull, .targets = targets, .ntargets = 1,
				 .counters = lost };
	struct flame *f = new_flame(0);
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	assert_int_equal(flame_set_endpoint(f, 7, EP), 0);
	add(f, 7, LG_PHASE_BLOCKED, sleepy, 3, 3000000);
	add(f, 7, LG_PHASE_ONCPU, hot, 3, 1);
	add(f, 0, LG_PHASE_ONCPU, hot, 3, 1);
	assert_int_equal(flame_summary(f, &run, &sb), 0);

	/* The request's time: blocked 3 ms of its 13 ms, on CPU the other 10 ms. */
	assert_string_equal(line_after(sb.buf, BY_ENDPOINT, 1),
			    "  GET /users/:id             13.0ms:  [on-cpu] 76.9%  [runqueue] 0.0%"
			    "  [blocked] 23.1%  [throttled] 0.0%");
	assert_string_equal(line_after(sb.buf, TOP_LATENCY, 1),
			    "   76.9%    10.0ms  GET /users/:id;[on-cpu];main;serve;hash");
	assert_string_equal(line_after(sb.buf, TOP_LATENCY, 2),
			    "   23.1%     3.0ms  GET /users/:id;[blocked];main;serve;nanosleep");
	/* Wall time counts the sample without a request too. */
	assert_string_equal(line_after(sb.buf, TOP_WALL, 1),
			    "   87.0%    20.0ms  web;[on-cpu];main;serve;hash");
	assert_string_equal(line_after(sb.buf, BY_STATE, 1), "  [on-cpu]       20.0ms  (2 samples)");
	sb_free(&sb);
	flame_free(f);
}

/*
 * The summary goes to the terminal: a process named after an escape sequence,
 * or with bytes that are not UTF-8, is shown, not run.
 */
static void test_summary_odd_names(void **state)
{
	static const struct flame_target targets[] = {
		{ 4242, "svc\xff\xfe\x1b[2J" }, { 4243, "\x1b]2;pwned\x07" },
	};
	static const char *const frames[] = { "main\xc2\x9b", "sym\xe2\x82" };
	struct flame_run run = { .duration_ns = 1000000000ull, .targets = targets, .ntargets = 2 };
	struct flame_config cfg = { .hz = HZ, .off_cpu = 1, .min_span_ns = 10000 };
	struct flame_stack s = { .process = "svc\xff\xfe\x1b[2J", .endpoint = 7,
				 .phase = LG_PHASE_ONCPU, .frames = frames, .nframes = 2,
				 .value = 1 };
	struct flame *f = flame_new(&cfg);
	struct strbuf sb;

	(void)state;
	assert_non_null(f);
	sb_init(&sb);
	assert_int_equal(flame_set_endpoint(f, 7, "GET /\x1b[2J"), 0);
	assert_int_equal(flame_add(f, &s), 0);
	assert_int_equal(flame_summary(f, &run, &sb), 0);
	assert_true(utf8_valid(sb.buf, sb.len));
	for (size_t i = 0; i < sb.len; i++) {
		unsigned char c = (unsigned char)sb.buf[i];

		assert_true(c >= 0x20 ? c != 0x7f : c == '\n');
	}
	assert_non_null(strstr(sb.buf, " 4242 (svc" FFFD FFFD "?[2J) 4243 (?]2;pwned?)"));
	assert_non_null(strstr(sb.buf, "GET /?[2J;[on-cpu];main?;sym" FFFD "\n"));
	/* the profiles' roots are the names as shown */
	assert_int_equal(weight(f, FLAME_ONCPU, "svc" FFFD FFFD "?[2J;main?;sym" FFFD), 1);
	sb_free(&sb);
	flame_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_latency_flame_roots),
		cmocka_unit_test(test_stacks_go_to_their_profiles),
		cmocka_unit_test(test_odd_stacks),
		cmocka_unit_test(test_requests_only),
		cmocka_unit_test(test_probe_frames),
		cmocka_unit_test(test_top_stacks),
		cmocka_unit_test(test_endpoint_times),
		cmocka_unit_test(test_summary_top_stacks),
		cmocka_unit_test(test_summary_odd_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
