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
#include <stdio.h>
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

static double secs(uint64_t ns)
{
	return (double)ns / 1e9;
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

static void describe_latency(const struct policy *p, const struct decide_inputs *in, char *buf,
			     size_t len)
{
	snprintf(buf, len, "%s p%g %.1fms vs target %.1fms",
		 p->metric == POLICY_METRIC_TTFB ? "ttfb" : "latency", p->percentile,
		 in->latency_us / 1000.0, p->target_us / 1000.0);
}

/*
 * Records this tick's usage and returns the peak over the calm time: a cut
 * must leave room for the busiest moment of the stretch that earned it, not
 * only for the last tick (usage of a steady load swings by a quarter from
 * one 500 ms tick to the next). < 0 when usage is unknown.
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

static void decide_cpu(const struct policy *p, struct decide_state *s,
		       const struct decide_inputs *in, uint64_t now_ns, struct decision *d)
{
	const int objective = p->metric != POLICY_METRIC_NONE;
	const uint64_t limit = s->cpu_mc;
	uint64_t floor_mc, cut_floor_mc, want;
	char what[96] = "";
	double r = 0, err_rate = 0, f, peak = usage_peak(p, s, in->cpu_usage_cores, now_ns);
	int lat_breach, err_breach, throttled, near, saturated, shortage;

	d->action = DECIDE_HOLD;
	d->cpu_mc = limit;
	floor_mc = in->cpu_usage_cores > 0 ?
		   (uint64_t)llround(in->cpu_usage_cores * (1.0 + p->cpu_margin) * 1000.0) : 0;
	cut_floor_mc = peak > 0 ? (uint64_t)llround(peak * (1.0 + p->cpu_margin) * 1000.0) : 0;

	if (objective && in->requests < p->min_requests) {
		snprintf(d->reason, sizeof(d->reason),
			 "hold: %llu requests in the window, the policy needs %llu to judge the objective",
			 (unsigned long long)in->requests, (unsigned long long)p->min_requests);
		return;
	}
	if (objective) {
		r = (double)in->latency_us / (double)p->target_us;
		d->slo_ratio = r;
		describe_latency(p, in, what, sizeof(what));
		if (in->requests)
			err_rate = (double)in->errors / (double)in->requests;
	}
	lat_breach = objective && r > 1.0;
	err_breach = objective && p->max_error_rate >= 0 && err_rate > p->max_error_rate;
	throttled = in->throttle_ratio > p->throttle_target;
	/* throttling alone only counts when latency is close to the target: a
	 * throttled service that meets its SLO comfortably has the quota it needs */
	near = !objective || r > 1.0 - p->hysteresis;
	saturated = cpu_saturated(p, limit, in->cpu_usage_cores, in->throttle_ratio);
	shortage = throttled && (near || saturated);

	/* a cut that has survived its cooldown is confirmed: no rollback to it */
	if (s->last_cut_ns && now_ns - s->last_cut_ns > p->cooldown_ns)
		s->last_cut_ns = 0;

	/* A breach while requests hardly wait to run, and the group is not
	 * throttled, is not for lack of CPU (I/O, locks, a slow dependency):
	 * a bigger quota would only be wasted. */
	if (lat_breach && !err_breach && !throttled && in->runq_share >= 0 &&
	    in->runq_share < DECIDE_RUNQ_IRRELEVANT) {
		s->last_breach_ns = now_ns;
		snprintf(d->reason, sizeof(d->reason),
			 "hold: %s, but requests spent only %.1f%% of their time waiting for a CPU and the group is not throttled: more CPU would not help",
			 what, in->runq_share * 100);
		return;
	}

	if (lat_breach || err_breach || shortage) {
		const char *why;
		char cause[128];
		/*
		 * A window that began before the latest raise, or just at it,
		 * still holds the latency of the time before it (requests
		 * queued then drain with it), so it cannot judge that raise:
		 * raising again on it would overshoot. Meanwhile only what the
		 * last tick measured, throttling, may raise again. Half an
		 * interval of slack covers the jitter of the ticks.
		 */
		int stale = lat_breach && !err_breach && s->last_raise_ns &&
			    now_ns - s->last_raise_ns < p->window_ns + p->interval_ns / 2;

		s->last_breach_ns = now_ns;
		if (stale && !throttled) {
			snprintf(d->reason, sizeof(d->reason),
				 "hold: %s, but the window began before the raise %.1fs ago and the group is not throttled",
				 what, secs(now_ns - s->last_raise_ns));
			return;
		}
		f = 1.0;
		if (lat_breach && !stale) {
			f = r;
			snprintf(cause, sizeof(cause), "%s (x%.2f)", what, r);
			why = "breach";
		} else if (lat_breach) {
			snprintf(cause, sizeof(cause),
				 "throttled in %.0f%% of periods (%s, in a window from before the raise %.1fs ago)",
				 in->throttle_ratio * 100, what, secs(now_ns - s->last_raise_ns));
			why = "shortage";
		} else if (err_breach) {
			f = p->max_error_rate > 0 ? err_rate / p->max_error_rate : 1.0 + p->max_step_up;
			snprintf(cause, sizeof(cause), "error rate %.2f%% over ceiling %.2f%%",
				 err_rate * 100, p->max_error_rate * 100);
			why = "breach";
		} else if (!near) {
			snprintf(cause, sizeof(cause),
				 "usage %.2f cores of a %.2f-core limit, throttled in %.0f%% of periods (%s)",
				 in->cpu_usage_cores, limit / 1000.0, in->throttle_ratio * 100, what);
			why = "saturated";
		} else {
			snprintf(cause, sizeof(cause), "throttled in %.0f%% of periods (target %.0f%%)",
				 in->throttle_ratio * 100, p->throttle_target * 100);
			why = "shortage";
		}
		if (throttled)
			f = fmax(f, 1.0 + (in->throttle_ratio - p->throttle_target));
		f = clamp_d(f, 1.0, 1.0 + p->max_step_up);
		want = mul_u64(limit, f);
		if (want < floor_mc)
			want = floor_mc;
		/* the cut did not hold: go back to where we were before it */
		if ((lat_breach || err_breach) && s->last_cut_ns &&
		    now_ns - s->last_cut_ns <= p->cooldown_ns) {
			if (want < s->pre_cut_mc)
				want = s->pre_cut_mc;
			want = clamp_u64(want, p->cpu_min_mc, p->cpu_max_mc);
			d->action = DECIDE_ROLLBACK;
			d->cpu_mc = want;
			s->last_cut_ns = 0;
			snprintf(d->reason, sizeof(d->reason),
				 "rollback: %s %.1fs after a cut: %llum -> %llum", cause,
				 secs(now_ns - s->last_change_ns), (unsigned long long)limit,
				 (unsigned long long)want);
		} else {
			want = clamp_u64(want, p->cpu_min_mc, p->cpu_max_mc);
			if (want <= limit) {
				snprintf(d->reason, sizeof(d->reason),
					 "hold: %s: %s, but the limit is at cpu.max %llum", why, cause,
					 (unsigned long long)p->cpu_max_mc);
				return;
			}
			/*
			 * A breach while the group is not throttled and uses less
			 * than half its limit is not the limit's doing: after a
			 * shortage, requests queued meanwhile drain with their
			 * latency; or other work holds the CPUs. A raise now would
			 * only overshoot.
			 */
			if (!err_breach && !throttled && floor_mc && floor_mc * 2 <= limit) {
				snprintf(d->reason, sizeof(d->reason),
					 "hold: %s, but the limit is not what holds it back: usage %.2f cores + %.0f%% margin is under half of %llum and the group is not throttled",
					 what, in->cpu_usage_cores, p->cpu_margin * 100, (unsigned long long)limit);
				return;
			}
			d->action = DECIDE_RAISE;
			d->cpu_mc = want;
			snprintf(d->reason, sizeof(d->reason), "raise: %s: %s: %llum -> %llum", why,
				 cause, (unsigned long long)limit, (unsigned long long)want);
		}
		s->cpu_mc = d->cpu_mc;
		s->last_change_ns = now_ns;
		s->last_raise_ns = now_ns;
		return;
	}

	if (limit < p->cpu_min_mc || limit > p->cpu_max_mc) {
		want = clamp_u64(limit, p->cpu_min_mc, p->cpu_max_mc);
		d->action = want > limit ? DECIDE_RAISE : DECIDE_LOWER;
		d->cpu_mc = s->cpu_mc = want;
		s->last_change_ns = now_ns;
		snprintf(d->reason, sizeof(d->reason), "%s: %llum is outside the policy bounds %llum..%llum",
			 decide_action_name(d->action), (unsigned long long)limit,
			 (unsigned long long)p->cpu_min_mc, (unsigned long long)p->cpu_max_mc);
		return;
	}
	if (objective && r >= 1.0 - p->hysteresis) {
		snprintf(d->reason, sizeof(d->reason), "hold: %s, inside the %.0f%% band", what,
			 p->hysteresis * 100);
		return;
	}
	if (!objective && in->throttle_ratio > p->throttle_target / 2) {
		snprintf(d->reason, sizeof(d->reason),
			 "hold: throttled in %.0f%% of periods, near the %.0f%% target",
			 in->throttle_ratio * 100, p->throttle_target * 100);
		return;
	}
	if (now_ns - s->last_breach_ns < p->calm_ns) {
		snprintf(d->reason, sizeof(d->reason), "hold: %s%scalm for %.1fs of the %.1fs required",
			 what, objective ? ", " : "", secs(now_ns - s->last_breach_ns), secs(p->calm_ns));
		return;
	}
	if (now_ns - s->last_change_ns < p->cooldown_ns) {
		snprintf(d->reason, sizeof(d->reason), "hold: cooldown, %.1fs since the last change of %.1fs",
			 secs(now_ns - s->last_change_ns), secs(p->cooldown_ns));
		return;
	}

	if (in->cpu_usage_cores < 0) {
		snprintf(d->reason, sizeof(d->reason),
			 "hold: %s%sCPU usage is unknown, so no cut (it could go below usage)", what,
			 objective ? ", " : "");
		return;
	}
	/* Probe down; smaller steps as latency nears the band, so the loop
	 * settles instead of sawing across the target. */
	f = p->max_step_down;
	if (objective)
		f *= clamp_d(2.0 * (1.0 - p->hysteresis - r) / (1.0 - p->hysteresis), 0.25, 1.0);
	want = mul_u64(limit, 1.0 - f);
	if (want < cut_floor_mc)
		want = cut_floor_mc;
	want = clamp_u64(want, p->cpu_min_mc, p->cpu_max_mc);
	if (want >= limit) {
		snprintf(d->reason, sizeof(d->reason),
			 "hold: %s%susage %.2f cores (peak of the last %.1fs) + %.0f%% margin leaves no room below %llum",
			 what, objective ? ", " : "", peak, secs(p->calm_ns), p->cpu_margin * 100,
			 (unsigned long long)limit);
		return;
	}
	d->action = DECIDE_LOWER;
	d->cpu_mc = want;
	s->pre_cut_mc = limit;
	s->cpu_mc = want;
	s->last_cut_ns = now_ns;
	s->last_change_ns = now_ns;
	snprintf(d->reason, sizeof(d->reason),
		 "lower: %s%scalm for %.1fs, usage %.2f cores (peak %.2f): %llum -> %llum",
		 what, objective ? ", " : "", secs(now_ns - s->last_breach_ns), in->cpu_usage_cores,
		 peak, (unsigned long long)limit, (unsigned long long)want);
}

static void decide_memory(const struct policy *p, struct decide_state *s,
			  const struct decide_inputs *in, uint64_t now_ns, struct decision *d)
{
	const uint64_t limit = s->mem_bytes;
	uint64_t floor_b, want;
	double sev = 0, f;
	int pressure;

	d->mem_action = DECIDE_HOLD;
	d->mem_bytes = limit;
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
		if (want <= limit) {
			snprintf(d->mem_reason, sizeof(d->mem_reason),
				 "hold: %s, but memory is at its max %llu", pressure ? "pressure" : "usage near the limit",
				 (unsigned long long)p->mem_max);
			return;
		}
		d->mem_action = DECIDE_RAISE;
		snprintf(d->mem_reason, sizeof(d->mem_reason),
			 "raise: %llu events, pressure %.2f%%, usage %llu: %llu -> %llu",
			 (unsigned long long)in->mem_events,
			 in->mem_pressure >= 0 ? in->mem_pressure * 100 : 0.0,
			 (unsigned long long)in->mem_usage, (unsigned long long)limit,
			 (unsigned long long)want);
		goto change;
	}
	if (limit < p->mem_min || limit > p->mem_max) {
		want = clamp_u64(limit, p->mem_min, p->mem_max);
		d->mem_action = want > limit ? DECIDE_RAISE : DECIDE_LOWER;
		snprintf(d->mem_reason, sizeof(d->mem_reason), "%s: %llu is outside the policy bounds",
			 decide_action_name(d->mem_action), (unsigned long long)limit);
		goto change;
	}
	if (now_ns - s->last_mem_breach_ns < p->calm_ns || now_ns - s->last_mem_change_ns < p->cooldown_ns) {
		snprintf(d->mem_reason, sizeof(d->mem_reason), "hold: waiting for calm and cooldown");
		return;
	}
	want = mul_u64(limit, 1.0 - p->mem_step_down);
	if (want < floor_b)
		want = floor_b;
	want = clamp_u64(want, p->mem_min, p->mem_max);
	if (want >= limit) {
		snprintf(d->mem_reason, sizeof(d->mem_reason),
			 "hold: usage %llu + %.0f%% margin leaves no room below %llu",
			 (unsigned long long)in->mem_usage, p->mem_margin * 100, (unsigned long long)limit);
		return;
	}
	d->mem_action = DECIDE_LOWER;
	snprintf(d->mem_reason, sizeof(d->mem_reason), "lower: quiet, usage %llu: %llu -> %llu",
		 (unsigned long long)in->mem_usage, (unsigned long long)limit, (unsigned long long)want);
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
	snprintf(d->mem_reason, sizeof(d->mem_reason), "hold: memory is judged at ticks only");
	if (!p->cpu_set || s->cpu_start_pending ||
	    !cpu_saturated(p, limit, usage_cores, throttle_ratio)) {
		s->sat_checks = 0;
		return;
	}
	/*
	 * One check at or just under the limit is as likely a burst (an
	 * open-loop load swings by a fifth over 100 ms) as a rise: act on it
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
	 * step. Without the scale a 100 ms burst doubled the limit.
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
	snprintf(d->reason, sizeof(d->reason),
		 "%s: saturated between ticks: usage %.2f cores of a %.2f-core limit, throttled in %.0f%% of periods: %llum -> %llum",
		 decide_action_name(d->action), usage_cores, limit / 1000.0, throttle_ratio * 100,
		 (unsigned long long)limit, (unsigned long long)want);
	d->cpu_mc = s->cpu_mc = want;
	s->last_change_ns = now_ns;
	s->last_raise_ns = now_ns;
}

/* A hold on the first tick still moves the limit from what was found to the
 * policy's starting value: say so, as the change it is. */
static void explain_start(enum decide_action *action, char *reason, size_t len, const char *what,
			  uint64_t found, uint64_t start, const char *unit)
{
	char was[48];

	if (*action != DECIDE_HOLD)
		return;
	if (found)
		snprintf(was, sizeof(was), "%llu%s", (unsigned long long)found, unit);
	else
		snprintf(was, sizeof(was), "unlimited");
	*action = (found == 0 || found > start) ? DECIDE_LOWER : DECIDE_RAISE;
	snprintf(reason, len, "%s: start %s at the policy's %llu%s (found %s)",
		 decide_action_name(*action), what, (unsigned long long)start, unit, was);
}

void decide(const struct policy *p, struct decide_state *s, const struct decide_inputs *in,
	    uint64_t now_ns, struct decision *d)
{
	memset(d, 0, sizeof(*d));
	if (p->cpu_set) {
		decide_cpu(p, s, in, now_ns, d);
		if (s->cpu_start_pending)
			explain_start(&d->action, d->reason, sizeof(d->reason), "cpu", s->cpu_found_mc,
				      d->cpu_mc, "m");
		s->cpu_start_pending = 0;
	} else {
		d->action = DECIDE_HOLD;
		snprintf(d->reason, sizeof(d->reason), "hold: the policy leaves CPU alone");
	}
	if (p->memory_set) {
		decide_memory(p, s, in, now_ns, d);
		if (s->mem_start_pending)
			explain_start(&d->mem_action, d->mem_reason, sizeof(d->mem_reason), "memory",
				      s->mem_found_bytes, d->mem_bytes, "");
		s->mem_start_pending = 0;
	} else {
		d->mem_action = DECIDE_HOLD;
		snprintf(d->mem_reason, sizeof(d->mem_reason), "hold: the policy leaves memory alone");
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
