/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The governor's control law: a pure function of the policy, its own state,
 * one tick's inputs and now_ns. It returns what the limits should be and why;
 * the shell (user/governor.c) writes them, or in dry-run only says so.
 *
 * The shape follows what works in the field: back off fast and in proportion
 * to the error (HPA: current x metric / target; Senpai: up to +100% at once),
 * probe down slowly after a quiet stretch, in bounded steps and never below
 * live usage plus a margin (Autothrottle, Senpai), roll a cut back when a
 * breach follows it, and hold inside a tolerance band.
 */
#ifndef LATGOV_DECIDE_H
#define LATGOV_DECIDE_H

#include <stdint.h>

#include "core/hist.h"
#include "core/policy.h"

enum decide_action {
	DECIDE_HOLD = 0,
	DECIDE_RAISE,
	DECIDE_LOWER,
	DECIDE_ROLLBACK,
	DECIDE_ACTION_COUNT,
};

struct decide_inputs {
	/* the request window (the policy's metric and percentile) */
	uint64_t latency_us;
	uint64_t requests;
	double rate;			/* requests per second */
	uint64_t errors;

	/* the cgroup, over the last tick */
	double cpu_usage_cores;		/* < 0 unknown (v1 without cpuacct): then no cuts */
	double throttle_ratio;		/* delta nr_throttled / delta nr_periods; 0 without periods */
	double runq_share;		/* share of request time waiting to run; < 0 unknown */
	uint64_t mem_usage;		/* bytes */
	uint64_t mem_events;		/* high/max/failcnt events since the last tick */
	double mem_pressure;		/* PSI some share of the tick (0..1); < 0 unknown (v1) */
};

/* Ticks of usage remembered (at a 500 ms interval: 32 s). */
#define DECIDE_USAGE_RING 64

struct decide_state {
	uint64_t cpu_mc;		/* the CPU limit held now, millicores */
	uint64_t mem_bytes;		/* memory.high / soft limit held now */
	uint64_t last_breach_ns;	/* latest breach, throttling or pressure: calm counts from here */
	uint64_t last_change_ns;	/* latest raise, lower or rollback of CPU */
	uint64_t last_raise_ns;		/* latest raise or rollback of CPU; 0: none */
	unsigned int sat_checks;	/* checks between ticks in a row that found the group saturated */
	/* CPU usage of recent ticks: cuts keep above its peak over the calm time */
	double usage[DECIDE_USAGE_RING];
	uint64_t usage_ns[DECIDE_USAGE_RING];	/* 0 = empty */
	unsigned int usage_next;
	uint64_t last_cut_ns;		/* latest CPU cut not yet confirmed; 0: none */
	uint64_t pre_cut_mc;		/* the limit before that cut */
	uint64_t last_mem_breach_ns;
	uint64_t last_mem_change_ns;
	/* the limits found on the cgroup, until the first tick moves them to
	 * the policy's starting values (0 = unlimited) */
	int cpu_start_pending;
	uint64_t cpu_found_mc;
	int mem_start_pending;
	uint64_t mem_found_bytes;
};

/* Room for decide_reason_text(): the longest reason and its numbers. */
#define DECIDE_REASON_MAX 256

/* Below this run-queue share of request time, a breach is not CPU's doing. */
#define DECIDE_RUNQ_IRRELEVANT 0.05

/*
 * Why a decision is what it is. The audit log writes decide_reason_name()
 * as "reason_code" (policies/README.md lists them): keep the names stable.
 * A raise's code is its cause (BREACH .. SHORTAGE_AFTER_RAISE); a rollback,
 * or a hold at the bound or for NOT_THE_LIMIT, keeps it in decide_why.cause.
 */
enum decide_reason {
	DECIDE_R_NONE = 0,		/* between ticks: nothing to do, nothing to say */
	DECIDE_R_NOT_GOVERNED,		/* the policy leaves the resource alone */
	DECIDE_R_START,			/* the first tick moves the limit to the policy's start */
	DECIDE_R_FEW_REQUESTS,		/* too few requests to judge the objective */
	DECIDE_R_NOT_CPU,		/* a breach while requests hardly wait for a CPU */
	DECIDE_R_STALE_WINDOW,		/* a breach in a window from before the last raise */
	DECIDE_R_BREACH,		/* the percentile over the target */
	DECIDE_R_ERROR_RATE,		/* errors over the policy's ceiling */
	DECIDE_R_SATURATED,		/* throttled while using nearly all of the limit */
	DECIDE_R_SHORTAGE,		/* throttled with latency near the target */
	DECIDE_R_SHORTAGE_AFTER_RAISE,	/* throttled since a raise the window predates */
	DECIDE_R_SATURATED_BETWEEN_TICKS,	/* decide_saturation() */
	DECIDE_R_ROLLBACK_AFTER_CUT,	/* a breach within the cooldown of a cut */
	DECIDE_R_AT_BOUND,		/* a raise is wanted, but the limit is at the policy's max */
	DECIDE_R_NOT_THE_LIMIT,		/* a breach with usage under half the limit, not throttled */
	DECIDE_R_OUT_OF_BOUNDS,		/* the limit held is outside the policy's bounds */
	DECIDE_R_IN_BAND,		/* latency inside the hysteresis band */
	DECIDE_R_NEAR_THROTTLE_TARGET,	/* no objective, throttling near its target */
	DECIDE_R_CALM_WAIT,		/* not calm for long enough to cut */
	DECIDE_R_COOLDOWN,		/* too soon after the last change to cut */
	DECIDE_R_USAGE_UNKNOWN,		/* no usage, so no cut */
	DECIDE_R_NO_ROOM,		/* usage + margin leaves no room below the limit */
	DECIDE_R_CALM_LOWER,		/* calm: a step down */
	DECIDE_R_PRESSURE,		/* memory events or pressure */
	DECIDE_R_USAGE_NEAR_LIMIT,	/* memory usage + margin over the limit */
	DECIDE_R_TICKS_ONLY,		/* memory between ticks: judged at ticks only */
	DECIDE_REASON_COUNT,
};

enum decide_resource {
	DECIDE_CPU = 0,
	DECIDE_MEMORY,
};

/*
 * A reason and the numbers behind it: what the tick measured, the policy's
 * parameters it was weighed against, and the limit before and after. Each
 * code's text quotes some of them; the since_* fields, cause and found are
 * set only by the codes that use them (0 otherwise). Limits are millicores
 * for CPU and bytes for memory.
 */
struct decide_why {
	enum decide_reason code;
	enum decide_reason cause;	/* ROLLBACK_AFTER_CUT, AT_BOUND, NOT_THE_LIMIT: the raise's */
	enum decide_resource resource;
	/* the objective; metric POLICY_METRIC_NONE: the policy has none */
	enum policy_metric metric;
	double percentile;
	uint64_t latency_us;
	uint64_t target_us;
	double slo_ratio;		/* latency / target */
	uint64_t requests;
	uint64_t min_requests;
	double error_rate;
	double max_error_rate;
	double runq_share;
	double throttle_ratio;
	double throttle_target;
	double usage_cores;
	double peak_cores;		/* the peak usage over the calm time */
	uint64_t mem_usage;
	uint64_t mem_events;
	double mem_pressure;		/* < 0 unknown */
	double margin;
	double hysteresis;
	uint64_t since_breach_ns;
	uint64_t since_change_ns;
	uint64_t since_raise_ns;
	uint64_t calm_ns;
	uint64_t cooldown_ns;
	uint64_t from, to;		/* the limit before and after */
	uint64_t bound_lo, bound_hi;	/* OUT_OF_BOUNDS, AT_BOUND: the policy's bounds */
	uint64_t found;			/* START: the limit found on the cgroup; 0 unlimited */
};

struct decision {
	enum decide_action action;	/* CPU */
	uint64_t cpu_mc;		/* new CPU limit (== old on hold) */
	enum decide_action mem_action;
	uint64_t mem_bytes;		/* new memory.high / soft limit */
	double slo_ratio;		/* percentile / target; 0 without an objective or data */
	struct decide_why why;		/* of action */
	struct decide_why mem_why;	/* of mem_action */
};

/* The stable lowercase name of a reason ("breach"); "?" for no reason. */
const char *decide_reason_name(enum decide_reason r);

/*
 * The reason as a person reads it, e.g. "raise: breach: latency p99 80.0ms vs
 * target 50.0ms (x1.60): 1000m -> 1600m", into buf (always NUL-terminated
 * when len > 0; DECIDE_REASON_MAX holds every reason). action is the one
 * the reason is for. Returns the length of the text written.
 */
size_t decide_reason_text(enum decide_action action, const struct decide_why *w, char *buf,
			  size_t len);

/*
 * Starts the state from the limits found on the cgroup (0 = unlimited),
 * moved into the policy's bounds and to its initial values where given.
 * now_ns is the time of the first tick; calm counts from it.
 */
void decide_init(struct decide_state *s, const struct policy *p, uint64_t cur_cpu_mc,
		 uint64_t cur_mem_bytes, uint64_t now_ns);

/* One tick: fills *d and advances *s. Never leaves the policy's bounds. */
void decide(const struct policy *p, struct decide_state *s, const struct decide_inputs *in,
	    uint64_t now_ns, struct decision *d);

/*
 * Between ticks (the shell checks at each session poll, about every 100 ms):
 * CPU alone, measured since the last write or check over at least one full
 * period. When the group is saturated (throttled in more than the target
 * share of periods while using nearly all of its limit), it raises at once,
 * by 1 + the throttle ratio (at most max_step_up; scaled down to a quarter
 * as usage goes from all of the limit to the hysteresis band's edge), or
 * rolls back a cut made
 * within the cooldown. A reactive loop that waits for a latency window to
 * close lets a step in load queue for that window and more; throttling says
 * it within one CFS period (Autothrottle samples at 100 ms). Usage under
 * limit x (1 + hysteresis / 2) must be saturated in two checks in a row
 * (one is as likely a burst). Otherwise
 * d->action is DECIDE_HOLD with reason DECIDE_R_NONE (at cpu.max too: the
 * next tick says so), and *s is unchanged but for the calm, which saturation
 * restarts.
 * d->mem_action is always DECIDE_HOLD (memory is judged per tick only).
 */
void decide_saturation(const struct policy *p, struct decide_state *s, double usage_cores,
		       double throttle_ratio, uint64_t now_ns, struct decision *d);

const char *decide_action_name(enum decide_action a);

/*
 * The objective's window. The policy judges its percentile over `window`,
 * which may span several of the session's shorter windows: a ring keeps the
 * newest ones, and objective_judge() merges as many of them, newest first,
 * as it takes to cover the policy's window.
 */
#define OBJECTIVE_RING 16

struct objective_sample {
	uint64_t ns;			/* the session window's length */
	uint64_t requests;
	uint64_t errors;
	uint64_t runq_ns;		/* scheduler split: waiting for a CPU ... */
	uint64_t sched_ns;		/* ... out of this much; 0 = no split known */
	struct hist h;			/* the policy's metric (latency or TTFB), ns */
};

struct objective_window {
	struct objective_sample s[OBJECTIVE_RING];
	unsigned int n;			/* samples held */
	unsigned int next;		/* where the next one goes */
};

struct objective_result {
	uint64_t span_ns;		/* what the merged samples cover */
	uint64_t latency_us;		/* the policy's percentile */
	uint64_t requests;
	uint64_t errors;
	double rate;			/* requests per second over span_ns */
	double runq_share;		/* < 0 unknown */
};

void objective_reset(struct objective_window *w);
/* The slot for the newest session window, emptied (the oldest drops out when full). */
struct objective_sample *objective_push(struct objective_window *w);
struct agg;
/*
 * Sums the aggregator's last closed window into sample: the policy's metric
 * (latency or TTFB) of every endpoint the target serves (client-side calls to
 * its dependencies are not its latency), requests, errors, and the share of
 * request time spent waiting for a CPU where the scheduler split is known.
 */
void objective_sample_from_agg(const struct policy *p, const struct agg *a,
			       struct objective_sample *sample);
/*
 * Merges the newest samples until they cover window_ns (at least one) into
 * *scratch and fills *r. Returns 0, or -ENODATA with no samples.
 */
int objective_judge(const struct objective_window *w, const struct policy *p,
		    struct hist *scratch, struct objective_result *r);

#endif
