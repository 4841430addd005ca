// SPDX-License-Identifier: GPL-2.0-only
/*
 * The control law (see decide.h for its sources). Two independent loops:
 * CPU quota against the latency objective (or the throttle ratio when the
 * policy has no objective), and the memory soft limit against memory events
 * and pressure.
 */
#include "core/decide.h"

#include "core/agg.h"
#include "latgov/abi.h"

#include <errno.h>
#include <math.h>
#include <string.h>

const char *decide_action_name(enum decide_action a)
{
	switch (a) {
	case DECIDE_HOLD: return "hold";
	case DECIDE_RAISE: return "raise";
	case DECIDE_LOWER: return "lower";
	case DECIDE_ROLLBACK: return "rollback";
	default: return "?";
	}
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static double clamp_d(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static uint64_t mul_u64(uint64_t v, double f)
{
	double r = (double)v * f;

	return r >= 1.8e19 ? UINT64_MAX : (uint64_t)llround(r);
}

void decide_init(struct decide_state *s, const struct policy *p, uint64_t cur_cpu_mc,
		 uint64_t cur_mem_bytes, uint64_t now_ns)
{
	memset(s, 0, sizeof(*s));
	if (p->cpu_set) {
		if (p->cpu_initial_mc)
			s->cpu_mc = p->cpu_initial_mc;
		else if (cur_cpu_mc == 0)
			s->cpu_mc = p->cpu_max_mc;	/* unlimited: start generous, probe down */
		else
			s->cpu_mc = clamp_u64(cur_cpu_mc, p->cpu_min_mc, p->cpu_max_mc);
	}
	if (p->memory_set) {
		if (p->mem_initial)
			s->mem_bytes = p->mem_initial;
		else if (cur_mem_bytes == 0)
			s->mem_bytes = p->mem_max;
		else
			s->mem_bytes = clamp_u64(cur_mem_bytes, p->mem_min, p->mem_max);
	}
	s->cpu_start_pending = p->cpu_set && s->cpu_mc != cur_cpu_mc;
	s->cpu_found_mc = cur_cpu_mc;
	s->mem_start_pending = p->memory_set && s->mem_bytes != cur_mem_bytes;
	s->mem_found_bytes = cur_mem_bytes;
	/* calm is earned: the first cut waits a full calm time after start */
	s->last_breach_ns = now_ns;
	s->last_change_ns = now_ns;
	s->last_mem_breach_ns = now_ns;
	s->last_mem_change_ns = now_ns;
}

/*
 * Records this tick's usage and returns the peak over the calm time: a cut
 * must leave room for the busiest moment of the stretch that earned it, not
 * only for the last tick (the usage of a steady load swings from one tick
 * to the next). < 0 when usage is unknown.
 */
static double usage_peak(const struct policy *p, struct decide_state *s, double usage,
			 uint64_t now_ns)
{
	double peak = usage;

	if (usage < 0)
		return usage;
	s->usage[s->usage_next] = usage;
	s->usage_ns[s->usage_next] = now_ns ? now_ns : 1;
	s->usage_next = (s->usage_next + 1) % DECIDE_USAGE_RING;
	for (unsigned int i = 0; i < DECIDE_USAGE_RING; i++)
		if (s->usage_ns[i] && now_ns - s->usage_ns[i] <= p->calm_ns && s->usage[i] > peak)
			peak = s->usage[i];
	return peak;
}

/*
 * Saturated: throttled in more than the target share of periods while using
 * nearly all of the limit (within the hysteresis band). Usage is then
 * censored at the limit: demand is unknown and, under an open-loop load, a
 * queue grows whatever latency says so far. The cut floor keeps usage at
 * most limit / (1 + margin), so a steady load never looks saturated: only
 * a rise does.
 */
static int cpu_saturated(const struct policy *p, uint64_t limit_mc, double usage_cores,
			 double throttle_ratio)
{
	return throttle_ratio > p->throttle_target && usage_cores > 0 &&
	       usage_cores * 1000.0 >= (1.0 - p->hysteresis) * (double)limit_mc;
}

/* What one tick says about CPU, against the policy. */
struct cpu_judgement {
	int objective;
	double r;		/* percentile / target; 0 without an objective */
	double err_rate;
	double peak;		/* usage peak over the calm time; < 0 unknown */
	uint64_t floor_mc;	/* usage + margin: a raise never leaves less */
	uint64_t cut_floor_mc;	/* peak + margin: a cut never goes under it */
	int lat_breach, err_breach, throttled, near, shortage;
};

/* Judges the tick; records its usage in *s first, whether the tick can be judged or not. */
static void cpu_judge(const struct policy *p, struct decide_state *s,
		      const struct decide_inputs *in, uint64_t now_ns, struct cpu_judgement *j)
{
	memset(j, 0, sizeof(*j));
	j->objective = p->metric != POLICY_METRIC_NONE;
	j->peak = usage_peak(p, s, in->cpu_usage_cores, now_ns);
	j->floor_mc = in->cpu_usage_cores > 0 ?
		      (uint64_t)llround(in->cpu_usage_cores * (1.0 + p->cpu_margin) * 1000.0) : 0;
	j->cut_floor_mc = j->peak > 0 ? (uint64_t)llround(j->peak * (1.0 + p->cpu_margin) * 1000.0) : 0;
	if (j->objective) {
		j->r = (double)in->latency_us / (double)p->target_us;
		if (in->requests)
			j->err_rate = (double)in->errors / (double)in->requests;
	}
	j->lat_breach = j->objective && j->r > 1.0;
	j->err_breach = j->objective && p->max_error_rate >= 0 && j->err_rate > p->max_error_rate;
	j->throttled = in->throttle_ratio > p->throttle_target;
	/* throttling alone only counts when latency is close to the target: a
	 * throttled service that meets its SLO comfortably has the quota it needs */
	j->near = !j->objective || j->r > 1.0 - p->hysteresis;
	j->shortage = j->throttled &&
		      (j->near || cpu_saturated(p, s->cpu_mc, in->cpu_usage_cores, in->throttle_ratio));
}

/* The numbers any CPU reason may quote: the tick's, the policy's and the limit held. */
static void why_cpu(const struct policy *p, const struct decide_state *s,
		    const struct decide_inputs *in, const struct cpu_judgement *j,
		    struct decide_why *w)
{
	w->resource = DECIDE_CPU;
	w->metric = p->metric;
	w->percentile = p->percentile;
	w->latency_us = in->latency_us;
	w->target_us = p->target_us;
	w->slo_ratio = j->r;
	w->requests = in->requests;
	w->min_requests = p->min_requests;
	w->error_rate = j->err_rate;
	w->max_error_rate = p->max_error_rate;
	w->runq_share = in->runq_share;
	w->throttle_ratio = in->throttle_ratio;
	w->throttle_target = p->throttle_target;
	w->usage_cores = in->cpu_usage_cores;
	w->peak_cores = j->peak;
	w->margin = p->cpu_margin;
	w->hysteresis = p->hysteresis;
	w->calm_ns = p->calm_ns;
	w->cooldown_ns = p->cooldown_ns;
	w->bound_lo = p->cpu_min_mc;
	w->bound_hi = p->cpu_max_mc;
	w->from = w->to = s->cpu_mc;
}

/*
 * The raise a breach or a shortage asks for, as a factor on the limit (at
 * most 1 + max_step_up), and its cause in w->cause. stale: the window began
 * before the latest raise, so its latency cannot judge that raise; only
 * throttling measured since may raise again.
 */
static double raise_factor(const struct policy *p, const struct decide_state *s,
			   const struct decide_inputs *in, const struct cpu_judgement *j, int stale,
			   uint64_t now_ns, struct decide_why *w)
{
	double f = 1.0;

	if (j->lat_breach && !stale) {
		f = j->r;
		w->cause = DECIDE_R_BREACH;
	} else if (j->lat_breach) {
		w->cause = DECIDE_R_SHORTAGE_AFTER_RAISE;
		w->since_raise_ns = now_ns - s->last_raise_ns;
	} else if (j->err_breach) {
		f = p->max_error_rate > 0 ? j->err_rate / p->max_error_rate : 1.0 + p->max_step_up;
		w->cause = DECIDE_R_ERROR_RATE;
	} else if (!j->near) {
		w->cause = DECIDE_R_SATURATED;
	} else {
		w->cause = DECIDE_R_SHORTAGE;
	}
	if (j->throttled)
		f = fmax(f, 1.0 + (in->throttle_ratio - p->throttle_target));
	return clamp_d(f, 1.0, 1.0 + p->max_step_up);
}

/*
 * Raises the limit for a breach or a shortage, or rolls back the cut that it
 * follows within the cooldown; or holds, when the limit is at the policy's
 * max or is not what holds the service back.
 */
static void cpu_raise(const struct policy *p, struct decide_state *s,
		      const struct decide_inputs *in, const struct cpu_judgement *j, int stale,
		      uint64_t now_ns, struct decision *d)
{
	const uint64_t limit = s->cpu_mc;
	struct decide_why *w = &d->why;
	uint64_t want = mul_u64(limit, raise_factor(p, s, in, j, stale, now_ns, w));
	/* the cut did not hold: go back to where we were before it */
	int rollback = (j->lat_breach || j->err_breach) && s->last_cut_ns &&
		       now_ns - s->last_cut_ns <= p->cooldown_ns;

	if (want < j->floor_mc)
		want = j->floor_mc;
	if (rollback && want < s->pre_cut_mc)
		want = s->pre_cut_mc;
	want = clamp_u64(want, p->cpu_min_mc, p->cpu_max_mc);
	if (!rollback && want <= limit) {
		w->code = DECIDE_R_AT_BOUND;
		return;
	}
	/*
	 * A breach while the group is not throttled and uses less than half its
	 * limit is not the limit's doing: after a shortage, requests queued
	 * meanwhile drain with their latency; or other work holds the CPUs. A
	 * raise now would only overshoot.
	 */
	if (!rollback && !j->err_breach && !j->throttled && j->floor_mc && j->floor_mc * 2 <= limit) {
		w->code = DECIDE_R_NOT_THE_LIMIT;
		return;
	}
	if (rollback) {
		d->action = DECIDE_ROLLBACK;
		w->code = DECIDE_R_ROLLBACK_AFTER_CUT;
		w->since_change_ns = now_ns - s->last_change_ns;
		s->last_cut_ns = 0;
	} else {
		d->action = DECIDE_RAISE;
		w->code = w->cause;
	}
	d->cpu_mc = s->cpu_mc = want;
	s->last_change_ns = now_ns;
	s->last_raise_ns = now_ns;
}

/*
 * A breach (latency or errors) or a CPU shortage: raise, roll back, or hold
 * and say why not. Returns 1 when it decided, 0 when there is neither.
 */
static int cpu_breach(const struct policy *p, struct decide_state *s,
		      const struct decide_inputs *in, const struct cpu_judgement *j,
		      uint64_t now_ns, struct decision *d)
{
	int stale;

	/* A breach while requests hardly wait to run, and the group is not
	 * throttled, is not for lack of CPU (I/O, locks, a slow dependency):
	 * a bigger quota would only be wasted. */
	if (j->lat_breach && !j->err_breach && !j->throttled && in->runq_share >= 0 &&
	    in->runq_share < DECIDE_RUNQ_IRRELEVANT) {
		s->last_breach_ns = now_ns;
		d->why.code = DECIDE_R_NOT_CPU;
		return 1;
	}
	if (!j->lat_breach && !j->err_breach && !j->shortage)
		return 0;
	/*
	 * A window that began before the latest raise, or just at it, still
	 * holds the latency of the time before it (requests queued then drain
	 * with it), so it cannot judge that raise: raising again on it would
	 * overshoot. Meanwhile only what the last tick measured, throttling,
	 * may raise again. Half an interval of slack covers the jitter of the
	 * ticks.
	 */
	stale = j->lat_breach && !j->err_breach && s->last_raise_ns &&
		now_ns - s->last_raise_ns < p->window_ns + p->interval_ns / 2;
	s->last_breach_ns = now_ns;
	if (stale && !j->throttled) {
		d->why.code = DECIDE_R_STALE_WINDOW;
		d->why.since_raise_ns = now_ns - s->last_raise_ns;
		return 1;
	}
	cpu_raise(p, s, in, j, stale, now_ns, d);
	return 1;
}

/* A limit outside the policy's bounds moves inside. Returns 1 if it moved, else 0. */
static int cpu_bounds(const struct policy *p, struct decide_state *s, uint64_t now_ns,
		      struct decision *d)
{
	const uint64_t limit = s->cpu_mc;

	if (limit >= p->cpu_min_mc && limit <= p->cpu_max_mc)
		return 0;
	d->cpu_mc = s->cpu_mc = clamp_u64(limit, p->cpu_min_mc, p->cpu_max_mc);
	d->action = d->cpu_mc > limit ? DECIDE_RAISE : DECIDE_LOWER;
	d->why.code = DECIDE_R_OUT_OF_BOUNDS;
	s->last_change_ns = now_ns;
	return 1;
}

/*
 * Probes down after a calm stretch and the cooldown, in bounded steps that
 * never go under the peak usage plus the margin; otherwise holds and says
 * what is missing.
 */
static void cpu_probe_down(const struct policy *p, struct decide_state *s,
			   const struct decide_inputs *in, const struct cpu_judgement *j,
			   uint64_t now_ns, struct decision *d)
{
	const uint64_t limit = s->cpu_mc;
	struct decide_why *w = &d->why;
	uint64_t want;
	double f;

	w->since_breach_ns = now_ns - s->last_breach_ns;
	w->since_change_ns = now_ns - s->last_change_ns;
	if (j->objective && j->r >= 1.0 - p->hysteresis)
		w->code = DECIDE_R_IN_BAND;
	else if (!j->objective && in->throttle_ratio > p->throttle_target / 2)
		w->code = DECIDE_R_NEAR_THROTTLE_TARGET;
	else if (w->since_breach_ns < p->calm_ns)
		w->code = DECIDE_R_CALM_WAIT;
	else if (w->since_change_ns < p->cooldown_ns)
		w->code = DECIDE_R_COOLDOWN;
	else if (in->cpu_usage_cores < 0)
		w->code = DECIDE_R_USAGE_UNKNOWN;
	if (w->code != DECIDE_R_NONE)
		return;

	/* Smaller steps as latency nears the band, so the loop settles instead
	 * of sawing across the target. */
	f = p->max_step_down;
	if (j->objective)
		f *= clamp_d(2.0 * (1.0 - p->hysteresis - j->r) / (1.0 - p->hysteresis), 0.25, 1.0);
	want = mul_u64(limit, 1.0 - f);
	if (want < j->cut_floor_mc)
		want = j->cut_floor_mc;
	want = clamp_u64(want, p->cpu_min_mc, p->cpu_max_mc);
	if (want >= limit) {
		w->code = DECIDE_R_NO_ROOM;
		return;
	}
	d->action = DECIDE_LOWER;
	w->code = DECIDE_R_CALM_LOWER;
	d->cpu_mc = want;
	s->pre_cut_mc = limit;
	s->cpu_mc = want;
	s->last_cut_ns = now_ns;
	s->last_change_ns = now_ns;
}

/* First come breaches and shortages, then the bounds, and only then a step down. */
static void decide_cpu(const struct policy *p, struct decide_state *s,
		       const struct decide_inputs *in, uint64_t now_ns, struct decision *d)
{
	struct cpu_judgement j;

	d->action = DECIDE_HOLD;
	d->cpu_mc = s->cpu_mc;
	cpu_judge(p, s, in, now_ns, &j);
	why_cpu(p, s, in, &j, &d->why);
	if (j.objective && in->requests < p->min_requests) {
		d->why.code = DECIDE_R_FEW_REQUESTS;
		d->why.slo_ratio = 0;
		return;
	}
	d->slo_ratio = j.r;
	/* a cut that has survived its cooldown is confirmed: no rollback to it */
	if (s->last_cut_ns && now_ns - s->last_cut_ns > p->cooldown_ns)
		s->last_cut_ns = 0;
	if (!cpu_breach(p, s, in, &j, now_ns, d) && !cpu_bounds(p, s, now_ns, d))
		cpu_probe_down(p, s, in, &j, now_ns, d);
}

static void decide_memory(const struct policy *p, struct decide_state *s,
			  const struct decide_inputs *in, uint64_t now_ns, struct decision *d)
{
	const uint64_t limit = s->mem_bytes;
	struct decide_why *w = &d->mem_why;
	uint64_t floor_b, want;
	double sev = 0, f;
	int pressure;

	d->mem_action = DECIDE_HOLD;
	d->mem_bytes = limit;
	w->resource = DECIDE_MEMORY;
	w->mem_usage = in->mem_usage;
	w->mem_events = in->mem_events;
	w->mem_pressure = in->mem_pressure;
	w->margin = p->mem_margin;
	w->calm_ns = p->calm_ns;
	w->cooldown_ns = p->cooldown_ns;
	w->bound_lo = p->mem_min;
	w->bound_hi = p->mem_max;
	w->from = limit;
	floor_b = mul_u64(in->mem_usage, 1.0 + p->mem_margin);

	if (in->mem_events)
		sev = 1.0 + log2((double)in->mem_events);
	if (in->mem_pressure >= 0 && in->mem_pressure > p->mem_pressure_target)
		sev = fmax(sev, in->mem_pressure / p->mem_pressure_target);
	pressure = sev > 0;

	if (pressure || floor_b > limit) {
		/* Senpai backs off in proportion to the square of the pressure
		 * error; 5% per unit of severity squared, capped by max_step_up */
		f = 1.0 + clamp_d(0.05 * sev * sev, 0, p->max_step_up);
		want = mul_u64(limit, f);
		if (want < floor_b)
			want = floor_b;
		want = clamp_u64(want, p->mem_min, p->mem_max);
		if (pressure)
			s->last_mem_breach_ns = now_ns;
		w->cause = pressure ? DECIDE_R_PRESSURE : DECIDE_R_USAGE_NEAR_LIMIT;
		if (want <= limit) {
			w->code = DECIDE_R_AT_BOUND;
			return;
		}
		d->mem_action = DECIDE_RAISE;
		w->code = w->cause;
		goto change;
	}
	if (limit < p->mem_min || limit > p->mem_max) {
		want = clamp_u64(limit, p->mem_min, p->mem_max);
		d->mem_action = want > limit ? DECIDE_RAISE : DECIDE_LOWER;
		w->code = DECIDE_R_OUT_OF_BOUNDS;
		goto change;
	}
	w->since_breach_ns = now_ns - s->last_mem_breach_ns;
	w->since_change_ns = now_ns - s->last_mem_change_ns;
	if (w->since_breach_ns < p->calm_ns) {
		w->code = DECIDE_R_CALM_WAIT;
		return;
	}
	if (w->since_change_ns < p->cooldown_ns) {
		w->code = DECIDE_R_COOLDOWN;
		return;
	}
	want = mul_u64(limit, 1.0 - p->mem_step_down);
	if (want < floor_b)
		want = floor_b;
	want = clamp_u64(want, p->mem_min, p->mem_max);
	if (want >= limit) {
		w->code = DECIDE_R_NO_ROOM;
		return;
	}
	d->mem_action = DECIDE_LOWER;
	w->code = DECIDE_R_CALM_LOWER;
change:
	d->mem_bytes = s->mem_bytes = want;
	s->last_mem_change_ns = now_ns;
}

void decide_saturation(const struct policy *p, struct decide_state *s, double usage_cores,
		       double throttle_ratio, uint64_t now_ns, struct decision *d)
{
	const uint64_t limit = s->cpu_mc;
	uint64_t want;
	int rollback;
	double f;

	memset(d, 0, sizeof(*d));
	d->action = d->mem_action = DECIDE_HOLD;
	d->cpu_mc = limit;
	d->mem_bytes = s->mem_bytes;
	d->why.resource = DECIDE_CPU;
	d->why.code = DECIDE_R_NONE;
	d->why.usage_cores = usage_cores;
	d->why.throttle_ratio = throttle_ratio;
	d->why.throttle_target = p->throttle_target;
	d->why.from = d->why.to = limit;
	d->mem_why.resource = DECIDE_MEMORY;
	d->mem_why.code = DECIDE_R_TICKS_ONLY;
	d->mem_why.from = d->mem_why.to = s->mem_bytes;
	if (!p->cpu_set || s->cpu_start_pending ||
	    !cpu_saturated(p, limit, usage_cores, throttle_ratio)) {
		s->sat_checks = 0;
		return;
	}
	/*
	 * One check at or just under the limit is as likely a burst (an
	 * open-loop load swings from one check to the next) as a rise: act on it
	 * when the next check finds it again, or at once when usage is clearly
	 * over the limit (a step: v1 lets a group overrun its quota within a
	 * period, by the time the throttling catches up).
	 */
	if (++s->sat_checks < 2 && usage_cores * 1000.0 < (1.0 + p->hysteresis / 2) * (double)limit)
		return;
	s->sat_checks = 0;
	s->last_breach_ns = now_ns;	/* no cut until calm again, at cpu.max too */
	/*
	 * Multiplicative, as Autothrottle: demand is censored at the limit. A
	 * group that used all of it in throttled periods wants at least that
	 * and likely more (a load step: x(1 + throttle ratio)); one that only
	 * just ran out, near the band's edge, had a burst: a quarter of that
	 * step. Without the scale, a burst as short as one check doubled the limit.
	 */
	{
		double use = usage_cores * 1000.0 / (double)limit;
		double scale = p->hysteresis > 0 ?
			       clamp_d((use - (1.0 - p->hysteresis)) / p->hysteresis, 0.25, 1.0) : 1.0;

		f = clamp_d(1.0 + throttle_ratio * scale, 1.0, 1.0 + p->max_step_up);
	}
	want = mul_u64(limit, f);
	rollback = s->last_cut_ns && now_ns - s->last_cut_ns <= p->cooldown_ns;
	if (rollback && want < s->pre_cut_mc)
		want = s->pre_cut_mc;
	want = clamp_u64(want, p->cpu_min_mc, p->cpu_max_mc);
	/* at cpu.max: nothing to do here, and the next tick says so */
	if (want <= limit)
		return;
	d->action = rollback ? DECIDE_ROLLBACK : DECIDE_RAISE;
	if (rollback)
		s->last_cut_ns = 0;
	d->why.code = DECIDE_R_SATURATED_BETWEEN_TICKS;
	d->cpu_mc = s->cpu_mc = d->why.to = want;
	s->last_change_ns = now_ns;
	s->last_raise_ns = now_ns;
}

/* A hold on the first tick still moves the limit from what was found to the
 * policy's starting value: say so, as the change it is. */
static void explain_start(enum decide_action *action, struct decide_why *w, uint64_t found,
			  uint64_t start)
{
	if (*action != DECIDE_HOLD)
		return;
	*action = (found == 0 || found > start) ? DECIDE_LOWER : DECIDE_RAISE;
	w->code = DECIDE_R_START;
	w->found = found;
	w->to = start;
}

void decide(const struct policy *p, struct decide_state *s, const struct decide_inputs *in,
	    uint64_t now_ns, struct decision *d)
{
	memset(d, 0, sizeof(*d));
	d->why.resource = DECIDE_CPU;
	d->mem_why.resource = DECIDE_MEMORY;
	if (p->cpu_set) {
		decide_cpu(p, s, in, now_ns, d);
		d->why.to = d->cpu_mc;
		if (s->cpu_start_pending)
			explain_start(&d->action, &d->why, s->cpu_found_mc, d->cpu_mc);
		s->cpu_start_pending = 0;
	} else {
		d->action = DECIDE_HOLD;
		d->why.code = DECIDE_R_NOT_GOVERNED;
	}
	if (p->memory_set) {
		decide_memory(p, s, in, now_ns, d);
		d->mem_why.to = d->mem_bytes;
		if (s->mem_start_pending)
			explain_start(&d->mem_action, &d->mem_why, s->mem_found_bytes, d->mem_bytes);
		s->mem_start_pending = 0;
	} else {
		d->mem_action = DECIDE_HOLD;
		d->mem_why.code = DECIDE_R_NOT_GOVERNED;
	}
}

void objective_reset(struct objective_window *w)
{
	w->n = 0;
	w->next = 0;
}

struct objective_sample *objective_push(struct objective_window *w)
{
	struct objective_sample *s = &w->s[w->next];

	w->next = (w->next + 1) % OBJECTIVE_RING;
	if (w->n < OBJECTIVE_RING)
		w->n++;
	s->ns = s->requests = s->errors = s->runq_ns = s->sched_ns = 0;
	hist_init(&s->h);
	return s;
}

int objective_judge(const struct objective_window *w, const struct policy *p,
		    struct hist *scratch, struct objective_result *r)
{
	uint64_t runq = 0, sched = 0;

	memset(r, 0, sizeof(*r));
	if (!w->n)
		return -ENODATA;
	hist_init(scratch);
	for (unsigned int i = 0; i < w->n && (i == 0 || r->span_ns < p->window_ns); i++) {
		const struct objective_sample *s =
			&w->s[(w->next + OBJECTIVE_RING - 1 - i) % OBJECTIVE_RING];

		hist_merge(scratch, &s->h);
		r->span_ns += s->ns;
		r->requests += s->requests;
		r->errors += s->errors;
		runq += s->runq_ns;
		sched += s->sched_ns;
	}
	r->latency_us = scratch->count ? hist_quantile(scratch, p->percentile / 100.0) / 1000 : 0;
	r->rate = r->span_ns ? (double)r->requests * 1e9 / (double)r->span_ns : 0;
	r->runq_share = sched ? (double)runq / (double)sched : -1;
	return 0;
}

void objective_sample_from_agg(const struct policy *p, const struct agg *a,
			       struct objective_sample *sample)
{
	enum agg_hist_kind kind = p->metric == POLICY_METRIC_TTFB ? AGG_H_TTFB : AGG_H_LATENCY;

	sample->ns = agg_last_window_ns(a);
	for (size_t i = 0; i < agg_endpoint_count(a); i++) {
		const struct agg_endpoint *e = agg_endpoint_at(a, i);

		if (!e || e->role == LG_ROLE_CLIENT)
			continue;
		hist_merge(&sample->h, agg_hist(&e->last, kind));
		sample->requests += e->last.requests;
		sample->errors += e->last.errors;
		/* Waiting for a CPU (run queue, CFS throttling) against all of the
		 * request's time. Were throttled time ever counted inside runq too,
		 * the share would only come out higher: the safe side, towards
		 * raising. */
		if (e->last.sched) {
			uint64_t oncpu = agg_hist(&e->last, AGG_H_ONCPU)->sum;
			uint64_t runq = agg_hist(&e->last, AGG_H_RUNQ)->sum;
			uint64_t blocked = agg_hist(&e->last, AGG_H_BLOCKED)->sum;
			uint64_t throttled = agg_hist(&e->last, AGG_H_THROTTLED)->sum;

			sample->runq_ns += runq + throttled;
			sample->sched_ns += oncpu + runq + blocked + throttled;
		}
	}
}
