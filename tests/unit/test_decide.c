// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control law: scripted tick sequences, and a simulated CPU-bound service
 * (M/M/1 under a CFS quota, as a fluid queue) under a step load.
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

#include "core/agg.h"
#include "core/decide.h"
#include "core/policy.h"
#include "latgov/abi.h"

#define S 1000000000ull

static struct policy slo_policy(void)
{
	struct policy p;

	policy_defaults(&p);
	p.metric = POLICY_METRIC_LATENCY;
	p.percentile = 99;
	p.target_us = 50000;
	p.cpu_set = 1;
	p.cpu_min_mc = 250;
	p.cpu_max_mc = 4000;
	p.max_step_up = 1.0;
	p.max_step_down = 0.10;
	p.calm_ns = 10 * S;
	p.cooldown_ns = 5 * S;
	p.hysteresis = 0.10;
	p.cpu_margin = 0.20;
	p.min_requests = 20;
	return p;
}

static struct decide_inputs window(uint64_t latency_us, uint64_t requests, double usage)
{
	struct decide_inputs in = {
		.latency_us = latency_us,
		.requests = requests,
		.rate = (double)requests,
		.cpu_usage_cores = usage,
		.runq_share = -1,
		.mem_pressure = -1,
	};
	return in;
}

static void test_breach_raises_in_proportion(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(80000, 500, 0.9);

	(void)state;
	decide_init(&s, &p, 1000, 0, 0);
	decide(&p, &s, &in, 1 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.cpu_mc, 1600);	/* 1000m x 80/50 */
	assert_int_equal(d.why.code, DECIDE_R_BREACH);
	assert_true(fabs(d.why.slo_ratio - 1.6) < 1e-9);
	assert_int_equal(d.why.from, 1000);
	assert_int_equal(d.why.to, 1600);

	/* a huge breach is capped at x(1 + max_step_up); windows a tick apart,
	 * two seconds, so that each begins after the raise before it */
	in = window(900000, 500, 1.5);
	decide(&p, &s, &in, 3 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.cpu_mc, 3200);

	/* and never beyond cpu.max (with the limit in use, so it is the limit's doing) */
	in.cpu_usage_cores = 3.0;
	decide(&p, &s, &in, 5 * S, &d);
	assert_int_equal(d.cpu_mc, 4000);
	decide(&p, &s, &in, 7 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.cpu_mc, 4000);
	assert_int_equal(d.why.code, DECIDE_R_AT_BOUND);
	assert_int_equal(d.why.cause, DECIDE_R_BREACH);
	assert_int_equal(d.why.bound_hi, 4000);
}

/*
 * A window that began before a raise still holds the queue from before it:
 * it may not raise again on latency, only on throttling measured since.
 */
static void test_window_from_before_a_raise(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(100000, 500, 1.0);

	(void)state;
	p.window_ns = 1 * S;
	decide_init(&s, &p, 1000, 0, 0);
	decide(&p, &s, &in, 10 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.cpu_mc, 2000);	/* x2: 100 ms / 50 ms */

	/* half a window later: still over, but not throttled: hold */
	in = window(90000, 500, 1.3);
	decide(&p, &s, &in, 10 * S + S / 2, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.cpu_mc, 2000);
	assert_int_equal(d.why.code, DECIDE_R_STALE_WINDOW);
	assert_int_equal(d.why.since_raise_ns, S / 2);

	/* throttled in 60% of periods: raised by the throttling (x1.5), not the latency (x1.8) */
	in.throttle_ratio = 0.60;
	decide(&p, &s, &in, 10 * S + 7 * S / 10, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.cpu_mc, 3000);
	assert_int_equal(d.why.code, DECIDE_R_SHORTAGE_AFTER_RAISE);
	assert_true(fabs(d.why.throttle_ratio - 0.60) < 1e-9);
	assert_int_equal(d.why.since_raise_ns, 7 * S / 10);

	/* a whole window (and half an interval) after that raise, latency judges again */
	in = window(75000, 500, 2.5);
	decide(&p, &s, &in, 12 * S + 3 * S / 10, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.cpu_mc, 4000);	/* x1.5, at cpu.max */
	assert_int_equal(d.why.code, DECIDE_R_BREACH);
}

/*
 * Throttled while using nearly all of the limit: saturated. Demand is
 * unknown (censored at the limit) and the queue grows, so it raises before
 * latency shows it; throttling in bursts, well under the limit, does not.
 */
static void test_saturated_raises_before_latency(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(10000, 500, 0.5);

	(void)state;
	decide_init(&s, &p, 1000, 0, 0);
	in.throttle_ratio = 0.6;
	decide(&p, &s, &in, 1 * S, &d);
	assert_int_not_equal(d.action, DECIDE_RAISE);
	assert_int_equal(s.cpu_mc, 1000);

	in.cpu_usage_cores = 0.95;
	decide(&p, &s, &in, 2 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.cpu_mc, 1500);	/* x(1 + 0.6 - 0.1) */
	assert_int_equal(d.why.code, DECIDE_R_SATURATED);
	assert_true(fabs(d.why.usage_cores - 0.95) < 1e-9);
	assert_true(fabs(d.why.throttle_ratio - 0.6) < 1e-9);
	assert_int_equal(d.why.from, 1000);
	assert_int_equal(d.why.to, 1500);
}

/* The check between ticks: CPU alone, raise or roll back on saturation, else nothing. */
static void test_saturation_between_ticks(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s, before;
	struct decision d;
	struct decide_inputs in;

	(void)state;
	decide_init(&s, &p, 1000, 0, 0);
	/* the first tick has not moved the limit to the policy's start yet */
	s.cpu_start_pending = 1;
	decide_saturation(&p, &s, 1.0, 1.0, 1 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	s.cpu_start_pending = 0;

	/* busy but not throttled, or throttled well under the limit: nothing */
	before = s;
	decide_saturation(&p, &s, 0.99, 0.0, 1 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.why.code, DECIDE_R_NONE);
	decide_saturation(&p, &s, 0.6, 1.0, 1 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_memory_equal(&s, &before, sizeof(s));

	/* saturated once at the limit: maybe a burst, wait for the next check */
	decide_saturation(&p, &s, 1.0, 1.0, 2 * S - S / 10, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(s.cpu_mc, 1000);
	/* twice in a row, all of the limit used: x(1 + throttle ratio), and calm starts over */
	decide_saturation(&p, &s, 1.0, 1.0, 2 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.cpu_mc, 2000);
	assert_int_equal(s.cpu_mc, 2000);
	assert_int_equal(s.last_breach_ns, 2 * S);
	assert_int_equal(s.last_raise_ns, 2 * S);
	assert_int_equal(d.why.code, DECIDE_R_SATURATED_BETWEEN_TICKS);
	assert_true(fabs(d.why.usage_cores - 1.0) < 1e-9);
	assert_true(fabs(d.why.throttle_ratio - 1.0) < 1e-9);
	assert_int_equal(d.why.from, 1000);
	assert_int_equal(d.why.to, 2000);
	assert_int_equal(d.mem_action, DECIDE_HOLD);
	assert_int_equal(d.mem_why.code, DECIDE_R_TICKS_ONLY);

	/* a check that is not saturated starts the count over */
	s.cpu_mc = 1000;
	decide_saturation(&p, &s, 0.95, 1.0, 3 * S - S / 5, &d);
	decide_saturation(&p, &s, 0.5, 0.0, 3 * S - S / 10, &d);
	decide_saturation(&p, &s, 0.91, 1.0, 3 * S - S / 20, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	/* only just out (usage at the band's edge, 90%), again: a quarter of the step */
	decide_saturation(&p, &s, 0.91, 1.0, 3 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.cpu_mc, 1250);
	/* in between, in proportion: 96% of the limit is 60% of the way */
	s.cpu_mc = 1000;
	decide_saturation(&p, &s, 0.96, 0.5, 4 * S - S / 10, &d);
	decide_saturation(&p, &s, 0.96, 0.5, 4 * S, &d);
	assert_int_equal(d.cpu_mc, 1300);
	/* clearly over the limit (a step, v1 overruns within a period): at once */
	s.cpu_mc = 1000;
	decide_saturation(&p, &s, 1.3, 1.0, 5 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.cpu_mc, 2000);

	/* a cut followed by saturation within the cooldown goes back before the cut */
	s.cpu_mc = 1200;
	s.pre_cut_mc = 3000;
	s.last_cut_ns = 10 * S;
	decide_saturation(&p, &s, 1.19, 0.5, 10 * S + S / 10, &d);
	decide_saturation(&p, &s, 1.19, 0.5, 10 * S + S / 5, &d);
	assert_int_equal(d.action, DECIDE_ROLLBACK);
	assert_int_equal(d.cpu_mc, 3000);
	assert_int_equal(d.why.code, DECIDE_R_SATURATED_BETWEEN_TICKS);
	assert_int_equal(s.last_cut_ns, 0);

	/* at cpu.max it writes nothing and leaves saying so to the tick (no audit
	 * line every 100 ms), but calm starts over */
	s.cpu_mc = 4000;
	decide_saturation(&p, &s, 3.9, 1.0, 20 * S - S / 10, &d);
	decide_saturation(&p, &s, 3.9, 1.0, 20 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.cpu_mc, 4000);
	assert_int_equal(d.why.code, DECIDE_R_NONE);
	assert_int_equal(s.last_breach_ns, 20 * S);

	/* and the tick after a raise between ticks does not raise again on the
	 * window from before it (unless throttled since) */
	decide_init(&s, &p, 1000, 0, 0);
	p.window_ns = 1 * S;
	decide_saturation(&p, &s, 1.2, 1.0, 30 * S, &d);
	assert_int_equal(s.cpu_mc, 2000);
	in = window(200000, 500, 1.2);
	decide(&p, &s, &in, 30 * S + 3 * S / 10, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.why.code, DECIDE_R_STALE_WINDOW);
	assert_int_equal(d.why.since_raise_ns, 3 * S / 10);
}

static void test_calm_lowers_slowly(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(10000, 500, 0.3);
	uint64_t prev = 2000, t;
	int lowers = 0;

	(void)state;
	decide_init(&s, &p, 2000, 0, 0);
	for (t = 1; t <= 60; t++) {
		decide(&p, &s, &in, t * S, &d);
		if (t < 10) {
			/* no step down before the calm time */
			assert_int_equal(d.action, DECIDE_HOLD);
			assert_int_equal(d.why.code, DECIDE_R_CALM_WAIT);
			assert_int_equal(d.why.since_breach_ns, t * S);
			assert_int_equal(d.why.calm_ns, 10 * S);
		}
		if (d.action == DECIDE_LOWER) {
			lowers++;
			assert_int_equal(d.why.code, DECIDE_R_CALM_LOWER);
			assert_true(d.cpu_mc >= prev * 9 / 10);	/* bounded step */
			assert_true(d.cpu_mc < prev);
		}
		assert_true(d.cpu_mc >= 360);	/* usage 0.3 x 1.2 */
		prev = d.cpu_mc;
	}
	assert_true(lowers >= 5);
	assert_true(prev < 2000);
}

static void test_lowering_stops_at_usage_plus_margin(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(10000, 500, 0.8);

	(void)state;
	decide_init(&s, &p, 1000, 0, 0);
	decide(&p, &s, &in, 20 * S, &d);
	assert_int_equal(d.action, DECIDE_LOWER);
	assert_int_equal(d.cpu_mc, 960);	/* 0.8 x 1.2, not 900 */
	decide(&p, &s, &in, 40 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.why.code, DECIDE_R_NO_ROOM);
	assert_true(fabs(d.why.peak_cores - 0.8) < 1e-9);
	assert_int_equal(d.why.from, 960);
}

/* A cut leaves room for the busiest tick of the calm time, not only the last one. */
static void test_lowering_keeps_room_for_the_peak(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs busy = window(10000, 500, 0.5), quiet = window(10000, 500, 0.2);

	(void)state;
	decide_init(&s, &p, 2000, 0, 0);
	decide(&p, &s, &busy, 11 * S, &d);	/* calm since 0: a 10% cut */
	assert_int_equal(d.action, DECIDE_LOWER);
	assert_int_equal(d.cpu_mc, 1800);
	for (uint64_t t = 12; t <= 20; t++) {
		decide(&p, &s, &quiet, t * S, &d);
		assert_int_not_equal(d.action, DECIDE_RAISE);
	}
	/* 20 s: the 0.5-core tick at 11 s is within the 10 s calm time */
	p.max_step_down = 0.90;
	decide(&p, &s, &quiet, 21 * S, &d);
	assert_int_equal(d.action, DECIDE_LOWER);
	assert_int_equal(d.cpu_mc, 600);	/* 0.5 x 1.2, not 0.2 x 1.2 */
	assert_int_equal(d.why.code, DECIDE_R_CALM_LOWER);
	assert_true(fabs(d.why.peak_cores - 0.5) < 1e-9);
	assert_true(fabs(d.why.usage_cores - 0.2) < 1e-9);
	/* once it is older than the calm time, the quiet ticks set the floor */
	decide(&p, &s, &quiet, 27 * S, &d);
	assert_int_equal(d.action, DECIDE_LOWER);
	assert_int_equal(d.cpu_mc, 250);	/* 0.2 x 1.2 = 240, under the policy's 250m minimum */
}

static void test_unknown_usage_makes_no_cut(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(10000, 500, -1);

	(void)state;
	decide_init(&s, &p, 2000, 0, 0);
	decide(&p, &s, &in, 30 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.why.code, DECIDE_R_USAGE_UNKNOWN);
	/* raising needs no usage */
	in.latency_us = 80000;
	decide(&p, &s, &in, 31 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
}

static void test_cut_then_breach_rolls_back(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs calm = window(10000, 500, 0.3);
	struct decide_inputs breach = window(52000, 500, 0.9);

	(void)state;
	decide_init(&s, &p, 2000, 0, 0);
	decide(&p, &s, &calm, 20 * S, &d);
	assert_int_equal(d.action, DECIDE_LOWER);
	assert_int_equal(d.cpu_mc, 1800);
	decide(&p, &s, &breach, 21 * S, &d);
	assert_int_equal(d.action, DECIDE_ROLLBACK);
	assert_int_equal(d.cpu_mc, 2000);	/* back to before the cut, not just x1.04 */
	assert_int_equal(d.why.code, DECIDE_R_ROLLBACK_AFTER_CUT);
	assert_int_equal(d.why.cause, DECIDE_R_BREACH);
	assert_int_equal(d.why.since_change_ns, 1 * S);
	assert_int_equal(d.why.from, 1800);

	/* a breach long after a confirmed cut is an ordinary raise */
	decide_init(&s, &p, 2000, 0, 0);
	decide(&p, &s, &calm, 20 * S, &d);
	assert_int_equal(d.action, DECIDE_LOWER);
	decide(&p, &s, &breach, 26 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.why.code, DECIDE_R_BREACH);
}

static void test_too_few_requests_hold(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(900000, 5, 0.9);

	(void)state;
	decide_init(&s, &p, 1000, 0, 0);
	decide(&p, &s, &in, 1 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.cpu_mc, 1000);
	assert_int_equal(d.why.code, DECIDE_R_FEW_REQUESTS);
	assert_int_equal(d.why.requests, 5);
	assert_int_equal(d.why.min_requests, 20);
}

static void test_first_tick_moves_to_the_start(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(47000, 500, 0.5);

	(void)state;
	p.cpu_initial_mc = 1000;
	decide_init(&s, &p, 0, 0, 0);
	decide(&p, &s, &in, 1 * S, &d);
	assert_int_equal(d.action, DECIDE_LOWER);
	assert_int_equal(d.cpu_mc, 1000);
	assert_int_equal(d.why.code, DECIDE_R_START);
	assert_int_equal(d.why.found, 0);
	assert_int_equal(d.why.to, 1000);
	decide(&p, &s, &in, 2 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.why.code, DECIDE_R_IN_BAND);

	/* found inside the bounds and no initial: nothing to explain */
	p.cpu_initial_mc = 0;
	decide_init(&s, &p, 1500, 0, 0);
	decide(&p, &s, &in, 1 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.cpu_mc, 1500);
	assert_int_equal(d.why.code, DECIDE_R_IN_BAND);
}

static void test_breach_not_from_cpu_holds(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(90000, 500, 0.3);

	(void)state;
	in.runq_share = 0.01;	/* slow, but not waiting for a CPU */
	decide_init(&s, &p, 1000, 0, 0);
	decide(&p, &s, &in, 1 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.why.code, DECIDE_R_NOT_CPU);
	assert_true(fabs(d.why.runq_share - 0.01) < 1e-9);
	/* queueing for a CPU, but the group uses under half its limit unthrottled: not the limit */
	in.runq_share = 0.40;
	decide(&p, &s, &in, 2 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.why.code, DECIDE_R_NOT_THE_LIMIT);
	assert_true(fabs(d.why.usage_cores - 0.3) < 1e-9);
	assert_int_equal(d.why.from, 1000);
	/* the same breach with requests queueing and the limit nearly used raises */
	in.cpu_usage_cores = 0.9;
	decide(&p, &s, &in, 3 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.why.code, DECIDE_R_BREACH);
	/* and throttling always counts as CPU's doing */
	in.runq_share = 0.01;
	in.cpu_usage_cores = 0.3;
	in.throttle_ratio = 0.5;
	decide(&p, &s, &in, 4 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.why.code, DECIDE_R_SHORTAGE_AFTER_RAISE);
}

static void test_band_holds(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(47000, 500, 0.5);

	(void)state;
	decide_init(&s, &p, 1000, 0, 0);
	decide(&p, &s, &in, 30 * S, &d);
	assert_int_equal(d.action, DECIDE_HOLD);
	assert_int_equal(d.why.code, DECIDE_R_IN_BAND);
	assert_true(fabs(d.why.hysteresis - 0.10) < 1e-9);
	assert_true(fabs(d.why.slo_ratio - 0.94) < 1e-9);
}

static void test_error_ceiling_is_a_breach(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(10000, 1000, 0.5);

	(void)state;
	p.max_error_rate = 0.01;
	in.errors = 30;
	decide_init(&s, &p, 1000, 0, 0);
	decide(&p, &s, &in, 1 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.why.code, DECIDE_R_ERROR_RATE);
	assert_true(fabs(d.why.error_rate - 0.03) < 1e-9);
	assert_true(fabs(d.why.max_error_rate - 0.01) < 1e-9);
}

static void test_throttle_without_objective(void **state)
{
	struct policy p;
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(0, 0, 1.0);

	(void)state;
	policy_defaults(&p);
	p.cpu_set = 1;
	p.cpu_min_mc = 500;
	p.cpu_max_mc = 2000;
	in.throttle_ratio = 0.9;
	decide_init(&s, &p, 1000, 0, 0);
	decide(&p, &s, &in, 1 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.cpu_mc, 1800);	/* x(1 + 0.9 - 0.1) */
	assert_int_equal(d.why.code, DECIDE_R_SHORTAGE);

	/* a pinned policy (min == max) never moves */
	p.cpu_min_mc = p.cpu_max_mc = 1000;
	decide_init(&s, &p, 0, 0, 0);
	assert_int_equal(s.cpu_mc, 1000);
	for (uint64_t t = 1; t < 100; t++) {
		in.throttle_ratio = (t % 3) ? 0.95 : 0.0;
		in.cpu_usage_cores = (t % 3) ? 1.0 : 0.01;
		decide(&p, &s, &in, t * S, &d);
		assert_int_equal(d.cpu_mc, 1000);
	}
}

static void test_memory(void **state)
{
	struct policy p;
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(0, 0, 0);
	uint64_t prev;

	(void)state;
	policy_defaults(&p);
	p.memory_set = 1;
	p.mem_min = 64ull << 20;
	p.mem_max = 1ull << 30;
	p.mem_step_down = 0.01;
	decide_init(&s, &p, 0, 512ull << 20, 0);

	in.mem_usage = 300ull << 20;
	in.mem_events = 4;
	decide(&p, &s, &in, 1 * S, &d);
	assert_int_equal(d.mem_action, DECIDE_RAISE);
	assert_int_equal(d.mem_why.code, DECIDE_R_PRESSURE);
	assert_int_equal(d.mem_why.mem_events, 4);
	assert_int_equal(d.mem_why.from, 512ull << 20);
	assert_int_equal(d.mem_why.to, d.mem_bytes);
	assert_true(d.mem_bytes > 512ull << 20);
	assert_int_equal(d.action, DECIDE_HOLD);	/* no CPU section */
	assert_int_equal(d.why.code, DECIDE_R_NOT_GOVERNED);

	/* quiet: gentle steps down, never below usage + margin */
	in.mem_events = 0;
	prev = d.mem_bytes;
	for (uint64_t t = 2; t < 2000; t++) {
		decide(&p, &s, &in, t * S, &d);
		if (d.mem_action == DECIDE_LOWER) {
			assert_int_equal(d.mem_why.code, DECIDE_R_CALM_LOWER);
			assert_true(d.mem_bytes >= prev - prev / 100 - 1);
		}
		assert_true(d.mem_bytes >= (uint64_t)((300ull << 20) * 1.1));
		prev = d.mem_bytes;
	}
	assert_true(prev < (uint64_t)((300ull << 20) * 1.12));

	/* usage creeping over the limit raises it before events pile up */
	in.mem_usage = prev;
	decide(&p, &s, &in, 3000 * S, &d);
	assert_int_equal(d.mem_action, DECIDE_RAISE);
	assert_int_equal(d.mem_why.code, DECIDE_R_USAGE_NEAR_LIMIT);
	assert_int_equal(d.mem_why.mem_usage, prev);
}

/* The text of a decision's CPU (or memory) reason. */
static const char *text(enum decide_action action, const struct decide_why *w)
{
	static char buf[DECIDE_REASON_MAX];

	decide_reason_text(action, w, buf, sizeof(buf));
	return buf;
}

/*
 * The one place reasons become words: what the audit log and the live view
 * show for decisions made by decide(), and a name and a text for every code.
 */
static void test_reason_text(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(10000, 500, 0.95);
	struct decide_why w = { .resource = DECIDE_MEMORY };
	char small[8];

	(void)state;
	decide_init(&s, &p, 1000, 0, 0);
	in.throttle_ratio = 0.6;
	decide(&p, &s, &in, 2 * S, &d);
	assert_string_equal(text(d.action, &d.why),
			    "raise: saturated: usage 0.95 cores of a 1.00-core limit, throttled in 60% of periods "
			    "(latency p99 10.0ms vs target 50.0ms): 1000m -> 1500m");
	assert_string_equal(text(d.mem_action, &d.mem_why), "hold: the policy leaves memory alone");

	in = window(900000, 5, 0.9);
	decide(&p, &s, &in, 3 * S, &d);
	assert_string_equal(text(d.action, &d.why),
			    "hold: 5 requests in the window, the policy needs 20 to judge the objective");

	p.cpu_initial_mc = 1000;
	decide_init(&s, &p, 0, 0, 0);
	in = window(47000, 500, 0.5);
	decide(&p, &s, &in, 1 * S, &d);
	assert_string_equal(text(d.action, &d.why),
			    "lower: start cpu at the policy's 1000m (found unlimited)");
	decide(&p, &s, &in, 2 * S, &d);
	assert_string_equal(text(d.action, &d.why),
			    "hold: latency p99 47.0ms vs target 50.0ms, inside the 10% band");

	/* a cut rolled back: the breach that undid it, and how soon */
	p.cpu_initial_mc = 0;
	in = window(10000, 500, 0.3);
	decide_init(&s, &p, 2000, 0, 0);
	decide(&p, &s, &in, 20 * S, &d);
	in = window(52000, 500, 0.9);
	decide(&p, &s, &in, 21 * S, &d);
	assert_string_equal(text(d.action, &d.why),
			    "rollback: latency p99 52.0ms vs target 50.0ms (x1.04) 1.0s after a cut: 1800m -> 2000m");

	decide_saturation(&p, &s, 2.5, 1.0, 22 * S, &d);
	assert_string_equal(text(d.action, &d.why),
			    "raise: saturated between ticks: usage 2.50 cores of a 2.00-core limit, "
			    "throttled in 100% of periods: 2000m -> 4000m");
	assert_string_equal(text(d.mem_action, &d.mem_why), "hold: memory is judged at ticks only");
	decide_saturation(&p, &s, 0.1, 0.0, 23 * S, &d);
	assert_string_equal(text(d.action, &d.why), "");

	/* memory's own wording: no "m" on its limits */
	w.code = DECIDE_R_START;
	w.found = 1024;
	w.to = 512;
	assert_string_equal(text(DECIDE_LOWER, &w),
			    "lower: start memory at the policy's 512 (found 1024)");
	w.code = DECIDE_R_AT_BOUND;
	w.cause = DECIDE_R_PRESSURE;
	w.bound_hi = 4096;
	assert_string_equal(text(DECIDE_HOLD, &w), "hold: pressure, but memory is at its max 4096");

	/* every code has a stable name and, but for none, some words */
	for (int c = 0; c < DECIDE_REASON_COUNT; c++) {
		for (int r = DECIDE_CPU; r <= DECIDE_MEMORY; r++) {
			struct decide_why any = { .code = c, .resource = r };

			assert_true(decide_reason_text(DECIDE_HOLD, &any, small, sizeof(small)) < sizeof(small));
			assert_int_equal(strlen(text(DECIDE_HOLD, &any)) == 0, c == DECIDE_R_NONE);
		}
		assert_string_not_equal(decide_reason_name(c), "?");
		for (int o = 0; o < c; o++)
			assert_string_not_equal(decide_reason_name(c), decide_reason_name(o));
	}
	assert_string_equal(decide_reason_name(DECIDE_R_BREACH), "breach");
	assert_string_equal(decide_reason_name(DECIDE_R_ROLLBACK_AFTER_CUT), "rollback_after_cut");
	assert_string_equal(decide_reason_name(DECIDE_REASON_COUNT), "?");
}

/* The policy's bounds moved under the limit held: it follows them, and says so. */
static void test_outside_bounds_moves_in(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in = window(47000, 500, 0.5);

	(void)state;
	decide_init(&s, &p, 1000, 0, 0);
	p.cpu_min_mc = 1500;
	decide(&p, &s, &in, 1 * S, &d);
	assert_int_equal(d.action, DECIDE_RAISE);
	assert_int_equal(d.cpu_mc, 1500);
	assert_int_equal(d.why.code, DECIDE_R_OUT_OF_BOUNDS);
	assert_int_equal(d.why.from, 1000);
	assert_int_equal(d.why.bound_lo, 1500);
	assert_int_equal(d.why.bound_hi, 4000);
	assert_string_equal(text(d.action, &d.why),
			    "raise: 1000m is outside the policy bounds 1500m..4000m");
}

/* A tiny deterministic generator, so the random walk is the same every run. */
static uint64_t lcg(uint64_t *x)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return *x >> 33;
}

static void test_bounds_never_crossed(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	uint64_t seed = 42;

	(void)state;
	p.memory_set = 1;
	p.mem_min = 128ull << 20;
	p.mem_max = 1ull << 30;
	decide_init(&s, &p, 100000, 64ull << 40, 0);	/* starts far outside both */
	assert_true(s.cpu_mc <= p.cpu_max_mc && s.mem_bytes <= p.mem_max);
	for (uint64_t t = 1; t < 5000; t++) {
		struct decide_inputs in = window(lcg(&seed) % 400000, lcg(&seed) % 100,
						 (double)(lcg(&seed) % 8000) / 1000.0);

		in.throttle_ratio = (double)(lcg(&seed) % 1000) / 1000.0;
		in.mem_usage = (lcg(&seed) % 4096) << 20;
		in.mem_events = lcg(&seed) % 4 == 0 ? lcg(&seed) % 50 : 0;
		in.errors = lcg(&seed) % 5;
		decide(&p, &s, &in, t * S / 2, &d);
		assert_true(d.cpu_mc >= p.cpu_min_mc && d.cpu_mc <= p.cpu_max_mc);
		assert_true(d.mem_bytes >= p.mem_min && d.mem_bytes <= p.mem_max);
		assert_int_equal(d.cpu_mc, s.cpu_mc);
	}
}

/*
 * The simulated service: CPU-bound requests of 5 ms each, served as an M/M/1
 * queue whose service rate is the quota (limit / 5 ms per second). p99 of the
 * time in system is ln(100) / (mu - lambda) while stable; beyond that a fluid
 * backlog builds and adds its drain time.
 */
struct sim {
	double backlog;		/* requests queued beyond what the quota serves */
};

static void sim_tick(struct sim *sim, double lambda, double limit_cores, struct decide_inputs *in)
{
	const double demand = 0.005;	/* CPU seconds per request */
	double mu = limit_cores / demand, p99, rho;

	rho = lambda / mu;
	sim->backlog = fmax(0, sim->backlog + lambda - mu);
	if (rho < 0.98)
		p99 = log(100.0) / (mu - lambda);
	else
		p99 = log(100.0) / (mu * 0.02);
	p99 += sim->backlog / mu;
	*in = window((uint64_t)(p99 * 1e6), (uint64_t)lambda, fmin(lambda * demand, limit_cores));
	if (sim->backlog > 0)
		in->cpu_usage_cores = limit_cores;
	in->throttle_ratio = rho > 0.7 ? fmin(1.0, (rho - 0.7) / 0.3) : 0.0;
}

static void test_simulated_step_load(void **state)
{
	struct policy p = slo_policy();
	struct decide_state s;
	struct decision d;
	struct decide_inputs in;
	struct sim sim = { 0 };
	const int low1_end = 120, high_end = 300, end = 480;
	double lambda, limit_high_max = 0, limit_high_min = 1e9;
	int met_high = 0, high_ticks = 0, reaction = -1, changes_late = 0;
	int trace = getenv("LATGOV_SIM_TRACE") != NULL;
	uint64_t limit_mc;

	(void)state;
	/* need at 40/s: 0.66 cores; at 200/s: 1.46 cores (p99 <= 50ms) */
	decide_init(&s, &p, 0, 0, 0);
	limit_mc = s.cpu_mc;
	for (int t = 1; t <= end; t++) {
		lambda = (t > low1_end && t <= high_end) ? 200 : 40;
		sim_tick(&sim, lambda, limit_mc / 1000.0, &in);
		decide(&p, &s, &in, (uint64_t)t * S, &d);
		if (trace) {
			char reason[DECIDE_REASON_MAX];

			decide_reason_text(d.action, &d.why, reason, sizeof(reason));
			fprintf(stderr, "t=%d lambda=%.0f limit=%llum p99=%.1fms -> %s\n", t, lambda,
				(unsigned long long)limit_mc, in.latency_us / 1000.0, reason);
		}
		assert_true(d.cpu_mc >= p.cpu_min_mc && d.cpu_mc <= p.cpu_max_mc);

		if (t > low1_end && t <= high_end) {
			if (reaction < 0 && in.latency_us <= p.target_us)
				reaction = t - low1_end - 1;
			if (reaction >= 0) {
				high_ticks++;
				met_high += in.latency_us <= p.target_us;
			}
			if (t > high_end - 60) {
				limit_high_max = fmax(limit_high_max, limit_mc);
				limit_high_min = fmin(limit_high_min, limit_mc);
				changes_late += d.action != DECIDE_HOLD;
			}
		}
		limit_mc = d.cpu_mc;
	}
	/* before the step the governor probed down to near what 40/s needs */
	/* reaction: the SLO holds again within 3 ticks of the step (log2(1.46/0.7) < 2 raises) */
	assert_true(reaction >= 0 && reaction <= 3);
	/* after reacting, the SLO holds in at least 95% of the high-load windows */
	assert_true(met_high * 100 >= high_ticks * 95);
	/* settled: in the last minute of high load at most 2 changes and a narrow range */
	assert_true(changes_late <= 2);
	assert_true(limit_high_max <= limit_high_min * 1.15);
	assert_true(limit_high_min >= 1460);
	/* and the load going away gives the CPU back */
	assert_true(limit_mc < limit_high_min * 0.7);
	assert_true(limit_mc >= 660);
}

static void test_objective_window(void **state)
{
	struct objective_window *w = calloc(1, sizeof(*w));
	struct hist *scratch = malloc(sizeof(*scratch));
	struct policy p = slo_policy();
	struct objective_result r;
	struct objective_sample *s;

	(void)state;
	assert_non_null(w);
	assert_non_null(scratch);
	objective_reset(w);
	assert_int_equal(objective_judge(w, &p, scratch, &r), -ENODATA);

	/* an old slow second, then two fast ones of 500 ms each */
	s = objective_push(w);
	s->ns = 1000000000ull;
	s->requests = 100;
	hist_add_n(&s->h, 200000000ull, 100);	/* 200 ms */
	for (int i = 0; i < 2; i++) {
		s = objective_push(w);
		s->ns = 500000000ull;
		s->requests = 50;
		s->errors = 1;
		s->runq_ns = 10;
		s->sched_ns = 100;
		hist_add_n(&s->h, 5000000ull, 50);	/* 5 ms */
	}

	/* a 1 s policy window takes the two newest halves, not the slow second */
	p.window_ns = 1000000000ull;
	assert_int_equal(objective_judge(w, &p, scratch, &r), 0);
	assert_int_equal(r.span_ns, 1000000000ull);
	assert_int_equal(r.requests, 100);
	assert_int_equal(r.errors, 2);
	assert_true(r.latency_us >= 4960 && r.latency_us <= 5040);
	assert_true(r.rate > 99.9 && r.rate < 100.1);
	assert_true(r.runq_share > 0.099 && r.runq_share < 0.101);

	/* a 2 s window reaches back to it: p99 is now the slow one */
	p.window_ns = 2000000000ull;
	assert_int_equal(objective_judge(w, &p, scratch, &r), 0);
	assert_int_equal(r.requests, 200);
	assert_true(r.latency_us >= 198400 && r.latency_us <= 201600);

	/* the ring keeps only the newest OBJECTIVE_RING */
	for (int i = 0; i < OBJECTIVE_RING; i++) {
		s = objective_push(w);
		s->ns = 1000000000ull;
		s->requests = 1;
		hist_add(&s->h, 1000000ull);
	}
	p.window_ns = 3600ull * 1000000000ull;
	assert_int_equal(objective_judge(w, &p, scratch, &r), 0);
	assert_int_equal(r.requests, OBJECTIVE_RING);
	assert_true(r.runq_share < 0);
	free(scratch);
	free(w);
}

/* A finished request at t0 (ns since the session start), ttfb and latency from arrival. */
static struct lg_request request(uint8_t role, const char *status, uint64_t t0, uint64_t ttfb,
				 uint64_t lat)
{
	const char *line = "GET /v1/infer HTTP/1.1\r\n";
	struct lg_request r;

	memset(&r, 0, sizeof(r));
	r.type = LG_REC_REQUEST;
	r.role = role;
	r.lport = 8080;
	r.rport = 50000;
	r.req_len = (uint8_t)strlen(line);
	memcpy(r.req_prefix, line, r.req_len);
	r.resp_len = (uint8_t)strlen(status);
	memcpy(r.resp_prefix, status, r.resp_len);
	r.t_arrival_ns = S + t0;
	r.t_read_ns = S + t0 + 1000;
	r.t_first_resp_ns = S + t0 + ttfb;
	r.t_last_resp_ns = S + t0 + lat;
	r.resp_writes = 1;
	r.end_reason = LG_END_NEXT_REQUEST;
	r.seq = 1;
	return r;
}

static void test_sample_from_agg(void **state)
{
	struct agg_config cfg = { .start_ns = S, .window_ns = S };
	struct objective_window *w = calloc(1, sizeof(*w));
	struct hist *scratch = malloc(sizeof(*scratch));
	struct policy p = slo_policy();
	struct objective_result r;
	struct agg *a = agg_new(&cfg);
	struct lg_request rq;

	(void)state;
	assert_non_null(a);
	assert_non_null(w);
	assert_non_null(scratch);
	/* served: 98 fast, 2 slow with a 5xx; the target's own calls out are slow but not its latency */
	for (int i = 0; i < 100; i++) {
		rq = request(LG_ROLE_SERVER, i < 2 ? "HTTP/1.1 503 X" : "HTTP/1.1 200 OK",
			     (uint64_t)i * 5000000ull, 1000000ull, i < 2 ? 80000000ull : 4000000ull);
		if (i >= 2) {
			rq.flags |= LG_REQ_F_SCHED;
			rq.oncpu_ns = 3000000;
			rq.runq_ns = 1000000;
		}
		assert_int_equal(agg_add(a, &rq), 0);
	}
	for (int i = 0; i < 50; i++) {
		rq = request(LG_ROLE_CLIENT, "HTTP/1.1 200 OK", (uint64_t)i * 5000000ull, 1000000ull,
			     900000000ull);
		assert_int_equal(agg_add(a, &rq), 0);
	}
	assert_true(agg_roll(a, 2 * S) > 0);

	objective_sample_from_agg(&p, a, objective_push(w));
	assert_int_equal(objective_judge(w, &p, scratch, &r), 0);
	assert_int_equal(r.requests, 100);
	assert_int_equal(r.errors, 2);
	/* p99 of the served requests is the 99th of 100: a slow one (80 ms), never a 900 ms call out */
	assert_true(r.latency_us >= 79000 && r.latency_us <= 81000);
	assert_true(r.runq_share > 0.24 && r.runq_share < 0.26);
	assert_true(r.rate > 99 && r.rate < 101);

	/* TTFB policy: the first byte, 1 ms for all */
	p.metric = POLICY_METRIC_TTFB;
	objective_reset(w);
	objective_sample_from_agg(&p, a, objective_push(w));
	assert_int_equal(objective_judge(w, &p, scratch, &r), 0);
	assert_true(r.latency_us >= 990 && r.latency_us <= 1010);
	agg_free(a);
	free(scratch);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_breach_raises_in_proportion),
		cmocka_unit_test(test_window_from_before_a_raise),
		cmocka_unit_test(test_saturated_raises_before_latency),
		cmocka_unit_test(test_saturation_between_ticks),
		cmocka_unit_test(test_calm_lowers_slowly),
		cmocka_unit_test(test_lowering_stops_at_usage_plus_margin),
		cmocka_unit_test(test_lowering_keeps_room_for_the_peak),
		cmocka_unit_test(test_unknown_usage_makes_no_cut),
		cmocka_unit_test(test_cut_then_breach_rolls_back),
		cmocka_unit_test(test_too_few_requests_hold),
		cmocka_unit_test(test_first_tick_moves_to_the_start),
		cmocka_unit_test(test_breach_not_from_cpu_holds),
		cmocka_unit_test(test_band_holds),
		cmocka_unit_test(test_error_ceiling_is_a_breach),
		cmocka_unit_test(test_throttle_without_objective),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_reason_text),
		cmocka_unit_test(test_outside_bounds_moves_in),
		cmocka_unit_test(test_bounds_never_crossed),
		cmocka_unit_test(test_simulated_step_load),
		cmocka_unit_test(test_objective_window),
		cmocka_unit_test(test_sample_from_agg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
