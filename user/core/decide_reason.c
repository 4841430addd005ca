// SPDX-License-Identifier: GPL-2.0-only
/*
 * The governor's reasons as text: decide() says why in codes and numbers,
 * and this file alone turns them into the sentence the audit log and the
 * live view show, so the wording lives in one place and tests can assert
 * codes.
 */
#include "core/decide.h"

#include <stdio.h>
#include <string.h>

const char *decide_reason_name(enum decide_reason r)
{
	/* no default: -Wswitch names a code left without a name */
	switch (r) {
	case DECIDE_R_NONE: return "none";
	case DECIDE_R_NOT_GOVERNED: return "not_governed";
	case DECIDE_R_START: return "start";
	case DECIDE_R_FEW_REQUESTS: return "few_requests";
	case DECIDE_R_NOT_CPU: return "not_cpu";
	case DECIDE_R_STALE_WINDOW: return "stale_window";
	case DECIDE_R_BREACH: return "breach";
	case DECIDE_R_ERROR_RATE: return "error_rate";
	case DECIDE_R_SATURATED: return "saturated";
	case DECIDE_R_SHORTAGE: return "shortage";
	case DECIDE_R_SHORTAGE_AFTER_RAISE: return "shortage_after_raise";
	case DECIDE_R_SATURATED_BETWEEN_TICKS: return "saturated_between_ticks";
	case DECIDE_R_ROLLBACK_AFTER_CUT: return "rollback_after_cut";
	case DECIDE_R_AT_BOUND: return "at_bound";
	case DECIDE_R_NOT_THE_LIMIT: return "not_the_limit";
	case DECIDE_R_OUT_OF_BOUNDS: return "out_of_bounds";
	case DECIDE_R_IN_BAND: return "in_band";
	case DECIDE_R_NEAR_THROTTLE_TARGET: return "near_throttle_target";
	case DECIDE_R_CALM_WAIT: return "calm_wait";
	case DECIDE_R_COOLDOWN: return "cooldown";
	case DECIDE_R_USAGE_UNKNOWN: return "usage_unknown";
	case DECIDE_R_NO_ROOM: return "no_room";
	case DECIDE_R_CALM_LOWER: return "calm_lower";
	case DECIDE_R_PRESSURE: return "pressure";
	case DECIDE_R_USAGE_NEAR_LIMIT: return "usage_near_limit";
	case DECIDE_R_TICKS_ONLY: return "ticks_only";
	case DECIDE_REASON_COUNT: break;
	}
	return "?";
}

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
}

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

/* "latency p99 80.0ms vs target 50.0ms"; empty without an objective. */
static void describe_latency(const struct decide_why *w, char *buf, size_t len)
{
	if (w->metric == POLICY_METRIC_NONE) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "%s p%g %.1fms vs target %.1fms",
		 w->metric == POLICY_METRIC_TTFB ? "ttfb" : "latency", w->percentile,
		 w->latency_us / 1000.0, w->target_us / 1000.0);
}

/* What asked for a CPU raise: its one word ("breach") and what was measured. */
static const char *describe_cause(const struct decide_why *w, const char *what, char *buf,
				  size_t len)
{
	switch (w->cause) {
	case DECIDE_R_BREACH:
		snprintf(buf, len, "%s (x%.2f)", what, w->slo_ratio);
		return "breach";
	case DECIDE_R_ERROR_RATE:
		snprintf(buf, len, "error rate %.2f%% over ceiling %.2f%%", w->error_rate * 100,
			 w->max_error_rate * 100);
		return "breach";
	case DECIDE_R_SATURATED:
		snprintf(buf, len,
			 "usage %.2f cores of a %.2f-core limit, throttled in %.0f%% of periods (%s)",
			 w->usage_cores, w->from / 1000.0, w->throttle_ratio * 100, what);
		return "saturated";
	case DECIDE_R_SHORTAGE_AFTER_RAISE:
		snprintf(buf, len,
			 "throttled in %.0f%% of periods (%s, in a window from before the raise %.1fs ago)",
			 w->throttle_ratio * 100, what, secs(w->since_raise_ns));
		return "shortage";
	default:
		snprintf(buf, len, "throttled in %.0f%% of periods (target %.0f%%)",
			 w->throttle_ratio * 100, w->throttle_target * 100);
		return "shortage";
	}
}

static void cpu_text(enum decide_action action, const struct decide_why *w, char *buf, size_t len)
{
	const char *act = decide_action_name(action), *sep;
	char what[96], cause[128];
	const char *why;

	describe_latency(w, what, sizeof(what));
	sep = what[0] ? ", " : "";
	why = describe_cause(w, what, cause, sizeof(cause));
	switch (w->code) {
	case DECIDE_R_FEW_REQUESTS:
		snprintf(buf, len,
			 "hold: %llu requests in the window, the policy needs %llu to judge the objective",
			 ull(w->requests), ull(w->min_requests));
		break;
	case DECIDE_R_NOT_CPU:
		snprintf(buf, len,
			 "hold: %s, but requests spent only %.1f%% of their time waiting for a CPU and the group is not throttled: more CPU would not help",
			 what, w->runq_share * 100);
		break;
	case DECIDE_R_STALE_WINDOW:
		snprintf(buf, len,
			 "hold: %s, but the window began before the raise %.1fs ago and the group is not throttled",
			 what, secs(w->since_raise_ns));
		break;
	case DECIDE_R_BREACH:
	case DECIDE_R_ERROR_RATE:
	case DECIDE_R_SATURATED:
	case DECIDE_R_SHORTAGE:
	case DECIDE_R_SHORTAGE_AFTER_RAISE:
		snprintf(buf, len, "%s: %s: %s: %llum -> %llum", act, why, cause, ull(w->from),
			 ull(w->to));
		break;
	case DECIDE_R_SATURATED_BETWEEN_TICKS:
		snprintf(buf, len,
			 "%s: saturated between ticks: usage %.2f cores of a %.2f-core limit, throttled in %.0f%% of periods: %llum -> %llum",
			 act, w->usage_cores, w->from / 1000.0, w->throttle_ratio * 100, ull(w->from),
			 ull(w->to));
		break;
	case DECIDE_R_ROLLBACK_AFTER_CUT:
		snprintf(buf, len, "%s: %s %.1fs after a cut: %llum -> %llum", act, cause,
			 secs(w->since_change_ns), ull(w->from), ull(w->to));
		break;
	case DECIDE_R_AT_BOUND:
		snprintf(buf, len, "hold: %s: %s, but the limit is at cpu.max %llum", why, cause,
			 ull(w->bound_hi));
		break;
	case DECIDE_R_NOT_THE_LIMIT:
		snprintf(buf, len,
			 "hold: %s, but the limit is not what holds it back: usage %.2f cores + %.0f%% margin is under half of %llum and the group is not throttled",
			 what, w->usage_cores, w->margin * 100, ull(w->from));
		break;
	case DECIDE_R_OUT_OF_BOUNDS:
		snprintf(buf, len, "%s: %llum is outside the policy bounds %llum..%llum", act,
			 ull(w->from), ull(w->bound_lo), ull(w->bound_hi));
		break;
	case DECIDE_R_IN_BAND:
		snprintf(buf, len, "hold: %s, inside the %.0f%% band", what, w->hysteresis * 100);
		break;
	case DECIDE_R_NEAR_THROTTLE_TARGET:
		snprintf(buf, len, "hold: throttled in %.0f%% of periods, near the %.0f%% target",
			 w->throttle_ratio * 100, w->throttle_target * 100);
		break;
	case DECIDE_R_CALM_WAIT:
		snprintf(buf, len, "hold: %s%scalm for %.1fs of the %.1fs required", what, sep,
			 secs(w->since_breach_ns), secs(w->calm_ns));
		break;
	case DECIDE_R_COOLDOWN:
		snprintf(buf, len, "hold: cooldown, %.1fs since the last change of %.1fs",
			 secs(w->since_change_ns), secs(w->cooldown_ns));
		break;
	case DECIDE_R_USAGE_UNKNOWN:
		snprintf(buf, len, "hold: %s%sCPU usage is unknown, so no cut (it could go below usage)",
			 what, sep);
		break;
	case DECIDE_R_NO_ROOM:
		snprintf(buf, len,
			 "hold: %s%susage %.2f cores (peak of the last %.1fs) + %.0f%% margin leaves no room below %llum",
			 what, sep, w->peak_cores, secs(w->calm_ns), w->margin * 100, ull(w->from));
		break;
	case DECIDE_R_CALM_LOWER:
		snprintf(buf, len, "%s: %s%scalm for %.1fs, usage %.2f cores (peak %.2f): %llum -> %llum",
			 act, what, sep, secs(w->since_breach_ns), w->usage_cores, w->peak_cores,
			 ull(w->from), ull(w->to));
		break;
	default:
		snprintf(buf, len, "%s: %s", act, decide_reason_name(w->code));
		break;
	}
}

static void memory_text(enum decide_action action, const struct decide_why *w, char *buf,
			size_t len)
{
	const char *act = decide_action_name(action);

	switch (w->code) {
	case DECIDE_R_PRESSURE:
	case DECIDE_R_USAGE_NEAR_LIMIT:
		snprintf(buf, len, "%s: %llu events, pressure %.2f%%, usage %llu: %llu -> %llu", act,
			 ull(w->mem_events), w->mem_pressure >= 0 ? w->mem_pressure * 100 : 0.0,
			 ull(w->mem_usage), ull(w->from), ull(w->to));
		break;
	case DECIDE_R_AT_BOUND:
		snprintf(buf, len, "hold: %s, but memory is at its max %llu",
			 w->cause == DECIDE_R_PRESSURE ? "pressure" : "usage near the limit",
			 ull(w->bound_hi));
		break;
	case DECIDE_R_OUT_OF_BOUNDS:
		snprintf(buf, len, "%s: %llu is outside the policy bounds", act, ull(w->from));
		break;
	case DECIDE_R_CALM_WAIT:
	case DECIDE_R_COOLDOWN:
		snprintf(buf, len, "hold: waiting for calm and cooldown");
		break;
	case DECIDE_R_NO_ROOM:
		snprintf(buf, len, "hold: usage %llu + %.0f%% margin leaves no room below %llu",
			 ull(w->mem_usage), w->margin * 100, ull(w->from));
		break;
	case DECIDE_R_CALM_LOWER:
		snprintf(buf, len, "%s: quiet, usage %llu: %llu -> %llu", act, ull(w->mem_usage),
			 ull(w->from), ull(w->to));
		break;
	case DECIDE_R_TICKS_ONLY:
		snprintf(buf, len, "hold: memory is judged at ticks only");
		break;
	default:
		snprintf(buf, len, "%s: %s", act, decide_reason_name(w->code));
		break;
	}
}

size_t decide_reason_text(enum decide_action action, const struct decide_why *w, char *buf,
			  size_t len)
{
	const int memory = w->resource == DECIDE_MEMORY;
	const char *unit = memory ? "" : "m";
	char was[48];

	if (!len)
		return 0;
	buf[0] = '\0';
	switch (w->code) {
	case DECIDE_R_NONE:
		break;
	case DECIDE_R_NOT_GOVERNED:
		snprintf(buf, len, "hold: the policy leaves %s alone", memory ? "memory" : "CPU");
		break;
	case DECIDE_R_START:
		if (w->found)
			snprintf(was, sizeof(was), "%llu%s", ull(w->found), unit);
		else
			snprintf(was, sizeof(was), "unlimited");
		snprintf(buf, len, "%s: start %s at the policy's %llu%s (found %s)",
			 decide_action_name(action), memory ? "memory" : "cpu", ull(w->to), unit, was);
		break;
	default:
		if (memory)
			memory_text(action, w, buf, len);
		else
			cpu_text(action, w, buf, len);
		break;
	}
	return strlen(buf);
}
