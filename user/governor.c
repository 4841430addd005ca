// SPDX-License-Identifier: GPL-2.0-only
/*
 * The governor shell (see governor.h): monitor, decide (pure), execute,
 * feedback, audit. The only blocking work kept off the tick is the memory
 * write, which may reclaim synchronously for a long time when it lowers
 * memory.high: it runs on a writer thread, one write at a time.
 */
#include "governor.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "core/agg.h"
#include "core/decide.h"
#include "core/hist.h"
#include "core/jsonw.h"
#include "core/utf8.h"
#include "io/cgroup.h"
#include "io/outfile.h"
#include "io/statefile.h"
#include "latgov/abi.h"

int governor_load_policy(const char *path, struct policy *p, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot open the policy %s: %s (examples in policies/)", path,
			 strerror(errno));
		return ret;
	}
	/* policies are small; a huge file is a mistake, not a policy */
	text = malloc(1 << 20);
	if (!text) {
		fclose(f);
		snprintf(err, errlen, "out of memory reading %s", path);
		return -ENOMEM;
	}
	len = fread(text, 1, 1 << 20, f);
	ret = ferror(f) ? -EIO : 0;
	if (!ret && !feof(f))
		ret = -EFBIG;
	fclose(f);
	if (ret)
		snprintf(err, errlen, "cannot read the policy %s: %s", path,
			 ret == -EFBIG ? "larger than 1 MiB" : strerror(-ret));
	else
		ret = policy_parse(text, len, path, p, err, errlen);
	free(text);
	return ret;
}

/* ---- the governor --------------------------------------------------------- */

struct governor {
	struct policy policy;
	struct cg_target cg;
	struct statefile *sf;
	int writes;		/* enforce mode */
	FILE *dry_out;		/* dry-run: where "would write" goes */
	FILE *log;
	const char *log_path;
	int log_failed;		/* a line could not be written (said once) */
	struct jsonw jw;

	struct decide_state st;
	int started;
	uint64_t last_tick_ns;		/* governor_agg_window's pacing */
	struct objective_window objective;	/* the aggregator's windows the policy's window spans */
	struct hist scratch;
	uint64_t period_us;
	struct cg_stats prev;
	uint64_t prev_ns;
	/* the check between ticks measures from here (the latest tick, check or write) */
	struct cg_stats fast_prev;
	uint64_t fast_prev_ns;

	struct knob_ctl cpu;
	struct knob_ctl mem;
	int have_cpu, have_mem;

	/* the memory writer thread: one pending write at a time */
	pthread_t writer;
	int writer_running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int mem_posted;		/* a write is waiting or in progress */
	int mem_done;		/* finished; result below */
	int mem_ret;
	int stopping;
	char mem_value[STATEFILE_VALUE_MAX];

	struct governor_status status;
};

static void *memory_writer(void *arg)
{
	struct governor *g = arg;
	char value[STATEFILE_VALUE_MAX];
	int ret;

	pthread_mutex_lock(&g->mu);
	for (;;) {
		while (!g->stopping && !(g->mem_posted && !g->mem_done))
			pthread_cond_wait(&g->cv, &g->mu);
		if (g->stopping)
			break;
		snprintf(value, sizeof(value), "%s", g->mem_value);
		pthread_mutex_unlock(&g->mu);
		/* may reclaim for a long time when lowering; the tick does not wait */
		ret = cg_write_knob(&g->cg, g->mem.knob, value, 1);
		pthread_mutex_lock(&g->mu);
		g->mem_ret = ret;
		g->mem_done = 1;
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

int governor_open(struct governor **out, const struct policy *policy, const char *cgroup_path,
		  int dry_run, const char *log_path, char *err, size_t errlen)
{
	struct governor *g;
	int ret;

	g = calloc(1, sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	g->policy = *policy;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	jw_init(&g->jw);
	if (dry_run && g->policy.mode == POLICY_MODE_ENFORCE)
		g->policy.mode = POLICY_MODE_DRY_RUN;
	g->writes = g->policy.mode == POLICY_MODE_ENFORCE;
	g->dry_out = g->policy.mode == POLICY_MODE_DRY_RUN ? stdout : NULL;

	ret = cg_open(&g->cg, cgroup_path, NULL, err, errlen);
	if (ret)
		goto fail;
	if (policy->cpu_set && !g->cg.cpu_dir[0]) {
		ret = -EOPNOTSUPP;
		snprintf(err, errlen, "the policy sets cpu, but cgroup %s has no CPU controller (v1: no %s sibling under the cpu hierarchy)",
			 g->cg.path, g->cg.path);
		goto fail;
	}
	if (policy->memory_set && !g->cg.mem_dir[0]) {
		ret = -EOPNOTSUPP;
		snprintf(err, errlen, "the policy sets memory, but cgroup %s has no memory controller (v1: no sibling under the memory hierarchy)",
			 g->cg.path);
		goto fail;
	}
	if (g->writes) {
		ret = statefile_acquire(&g->sf, STATEFILE_DIR, g->cg.key, err, errlen);
		if (ret)
			goto fail;
	}
	/* the originals reach the state file here, before any write */
	if (policy->cpu_set) {
		ret = cg_cpu_period(&g->cg, &g->period_us);
		if (!ret)
			ret = knob_ctl_init(&g->cpu, &g->cg, CG_KNOB_CPU_MAX, g->sf);
		if (ret) {
			snprintf(err, errlen, "cgroup %s: cannot read or record its CPU limit: %s", g->cg.path,
				 strerror(-ret));
			goto fail;
		}
		g->have_cpu = 1;
	}
	if (policy->memory_set) {
		ret = knob_ctl_init(&g->mem, &g->cg, CG_KNOB_MEM_HIGH, g->sf);
		if (ret) {
			snprintf(err, errlen, "cgroup %s: cannot read or record %s: %s", g->cg.path,
				 cg_knob_file(&g->cg, CG_KNOB_MEM_HIGH), strerror(-ret));
			goto fail;
		}
		g->have_mem = 1;
		if (g->writes) {
			ret = -pthread_create(&g->writer, NULL, memory_writer, g);
			if (ret) {
				snprintf(err, errlen, "cannot start the memory writer thread: %s", strerror(-ret));
				goto fail;
			}
			g->writer_running = 1;
		}
	}
	if (log_path) {
		char why[768];
		/* appended to as root: never through a link, nor to a file others can change */
		int fd = outfile_open_stream(log_path, 0, why, sizeof(why));

		if (fd < 0) {
			ret = fd;
			snprintf(err, errlen, "--log: %s", why);
			goto fail;
		}
		g->log = fdopen(fd, "a");
		if (!g->log) {
			ret = -errno;
			close(fd);
			snprintf(err, errlen, "cannot open the audit log %s: %s", log_path, strerror(-ret));
			goto fail;
		}
		setvbuf(g->log, NULL, _IOLBF, 0);
		g->log_path = log_path;
	}
	cg_read_stats(&g->cg, &g->prev);
	g->prev_ns = mono_ns();
	g->status.writes = g->writes;
	*out = g;
	return 0;
fail:
	if (g->writer_running) {
		pthread_mutex_lock(&g->mu);
		g->stopping = 1;
		pthread_cond_signal(&g->cv);
		pthread_mutex_unlock(&g->mu);
		pthread_join(g->writer, NULL);
	}
	if (g->sf)
		statefile_release(g->sf, 1);	/* nothing was written yet */
	jw_free(&g->jw);
	free(g);
	return ret;
}

/* Collects a finished memory write, if any. */
static void memory_collect(struct governor *g)
{
	char value[STATEFILE_VALUE_MAX], shown[sizeof(g->mem.path)];
	int done, ret;

	pthread_mutex_lock(&g->mu);
	done = g->mem_posted && g->mem_done;
	ret = g->mem_ret;
	snprintf(value, sizeof(value), "%s", g->mem_value);
	if (done)
		g->mem_posted = g->mem_done = 0;
	pthread_mutex_unlock(&g->mu);
	if (!done)
		return;
	ret = knob_ctl_finish(&g->mem, &g->cg, g->sf, value, ret);
	if (ret < 0) {
		utf8_sanitize_to(shown, sizeof(shown), g->mem.path);
		fprintf(stderr, "latgov: cannot write %s to %s: %s\n", value, shown, strerror(-ret));
	}
}

static int memory_busy(struct governor *g)
{
	int busy;

	pthread_mutex_lock(&g->mu);
	busy = g->mem_posted;
	pthread_mutex_unlock(&g->mu);
	return busy;
}

/* reason_code comes last, so that readers keyed on the fields before it keep working. */
static void log_knob(struct jsonw *jw, const char *key, const struct knob_ctl *k, int have,
		     enum decide_action action, const struct decide_why *why, const char *value,
		     const char *outcome)
{
	char reason[DECIDE_REASON_MAX];

	decide_reason_text(action, why, reason, sizeof(reason));
	jw_key(jw, key);
	jw_obj_begin(jw);
	jw_kv_str(jw, "action", decide_action_name(action));
	jw_kv_str(jw, "reason", reason);
	if (have) {
		jw_kv_str(jw, "file", k->path);
		jw_kv_str(jw, "value", value);
		jw_kv_str(jw, "outcome", outcome);
	}
	jw_kv_str(jw, "reason_code", decide_reason_name(why->code));
	jw_obj_end(jw);
}

/* What a tick or a check between ticks measured, for the audit log. */
struct tick_inputs {
	const char *kind;		/* "tick" or "saturation" */
	struct decide_inputs in;
	struct cg_rates r;
	uint64_t mem_usage;
};

/* execute, feed back, status and audit: one decision of a tick or of a check between ticks */
static void governor_apply(struct governor *g, const struct tick_inputs *ti, const struct decision *d,
			   int with_memory)
{
	char cpu_val[64] = "", mem_val[64] = "", cur[STATEFILE_VALUE_MAX], shown[sizeof(g->cpu.path)];
	const char *cpu_outcome = "unchanged", *mem_outcome = "unchanged";
	const struct decide_inputs *in = &ti->in;
	const struct cg_rates *r = &ti->r;
	enum decide_action overall;
	int ret;

	if (g->have_cpu) {
		cg_format_cpu(&g->cg, d->cpu_mc, g->period_us, cpu_val, sizeof(cpu_val));
		if (g->cpu.foreign) {
			cpu_outcome = "not written: changed by someone else";
		} else if (!g->writes) {
			/* dry run prints the write; observe only logs it */
			if (!cg_read_knob(&g->cg, CG_KNOB_CPU_MAX, cur, sizeof(cur)) && strcmp(cur, cpu_val)) {
				cpu_outcome = g->dry_out ? "not written: dry run" : "not written: observe mode";
				if (g->dry_out)
					knob_ctl_write(&g->cpu, &g->cg, NULL, cpu_val, g->dry_out);
			}
		} else {
			ret = knob_ctl_write(&g->cpu, &g->cg, g->sf, cpu_val, NULL);
			if (ret < 0) {
				cpu_outcome = "write failed";
				utf8_sanitize_to(shown, sizeof(shown), g->cpu.path);
				fprintf(stderr, "latgov: cannot write %s to %s: %s\n", cpu_val, shown,
					strerror(-ret));
			} else if (ret > 0) {
				cpu_outcome = "written";
			}
		}
	}
	if (g->have_mem && with_memory) {
		cg_format_mem(&g->cg, d->mem_bytes, mem_val, sizeof(mem_val));
		if (g->mem.foreign) {
			mem_outcome = "not written: changed by someone else";
		} else if (!g->writes) {
			if (!cg_read_knob(&g->cg, CG_KNOB_MEM_HIGH, cur, sizeof(cur)) && strcmp(cur, mem_val)) {
				mem_outcome = g->dry_out ? "not written: dry run" : "not written: observe mode";
				if (g->dry_out)
					knob_ctl_write(&g->mem, &g->cg, NULL, mem_val, g->dry_out);
			}
		} else if (memory_busy(g)) {
			mem_outcome = "not written: the previous memory write is still in progress";
		} else {
			ret = knob_ctl_begin(&g->mem, &g->cg, g->sf, mem_val, cur, sizeof(cur));
			if (ret < 0) {
				mem_outcome = "write failed";
			} else if (ret > 0) {
				pthread_mutex_lock(&g->mu);
				snprintf(g->mem_value, sizeof(g->mem_value), "%s", mem_val);
				g->mem_posted = 1;
				g->mem_done = 0;
				pthread_cond_signal(&g->cv);
				pthread_mutex_unlock(&g->mu);
				mem_outcome = "queued to the memory writer";
			}
		}
	}

	/* status for the live view and /metrics */
	overall = d->action != DECIDE_HOLD ? d->action : d->mem_action;
	if (with_memory)
		g->status.ticks++;
	g->status.decisions[overall]++;
	g->status.last_action = overall;
	if (d->action != DECIDE_HOLD || d->mem_action == DECIDE_HOLD)
		decide_reason_text(d->action, &d->why, g->status.last_reason,
				   sizeof(g->status.last_reason));
	else
		decide_reason_text(d->mem_action, &d->mem_why, g->status.last_reason,
				   sizeof(g->status.last_reason));
	g->status.cpu_limit_cores = g->have_cpu ? d->cpu_mc / 1000.0 : 0;
	g->status.cpu_usage_cores = in->cpu_usage_cores > 0 ? in->cpu_usage_cores : 0;
	g->status.throttle_ratio = r->throttle_ratio;
	g->status.mem_limit_bytes = g->have_mem ? d->mem_bytes : 0;
	g->status.mem_usage_bytes = ti->mem_usage;
	g->status.cpu_foreign = g->cpu.foreign;
	g->status.mem_foreign = g->mem.foreign;

	/* audit */
	if (g->log) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		jw_reset(&g->jw);
		jw_obj_begin(&g->jw);
		jw_kv_u64(&g->jw, "time_ms", (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		jw_kv_u64(&g->jw, "tick", g->status.ticks);
		jw_kv_str(&g->jw, "kind", ti->kind);
		jw_kv_str(&g->jw, "policy", g->policy.name);
		jw_kv_str(&g->jw, "mode", policy_mode_name(g->policy.mode));
		jw_kv_str(&g->jw, "cgroup", g->cg.path);
		jw_key(&g->jw, "inputs");
		jw_obj_begin(&g->jw);
		if (with_memory) {
			jw_kv_u64(&g->jw, "latency_us", in->latency_us);
			jw_kv_u64(&g->jw, "requests", in->requests);
			jw_kv_double(&g->jw, "rate", in->rate);
			jw_kv_u64(&g->jw, "errors", in->errors);
		}
		jw_kv_double(&g->jw, "cpu_usage_cores", r->usage_cores);
		jw_kv_double(&g->jw, "throttle_ratio", r->throttle_ratio);
		jw_kv_u64(&g->jw, "throttled_ns", r->throttled_ns);
		if (with_memory) {
			jw_kv_u64(&g->jw, "mem_usage", in->mem_usage);
			jw_kv_u64(&g->jw, "mem_events", in->mem_events);
			jw_kv_double(&g->jw, "mem_pressure", r->mem_pressure);
			jw_kv_double(&g->jw, "runq_share", in->runq_share);
		}
		jw_obj_end(&g->jw);
		jw_kv_double(&g->jw, "slo_ratio", d->slo_ratio);
		jw_kv_str(&g->jw, "action", decide_action_name(overall));
		if (g->have_cpu)
			jw_kv_double(&g->jw, "cpu_limit_cores", d->cpu_mc / 1000.0);
		log_knob(&g->jw, "cpu", &g->cpu, g->have_cpu, d->action, &d->why, cpu_val, cpu_outcome);
		/* (between ticks memory is not looked at: the entry has no file or value) */
		log_knob(&g->jw, "memory", &g->mem, g->have_mem && with_memory, d->mem_action,
			 &d->mem_why, mem_val, mem_outcome);
		jw_obj_end(&g->jw);
		jw_raw(&g->jw, "\n");
		if (!jw_finish(&g->jw) && fwrite(g->jw.buf, 1, g->jw.len, g->log) != g->jw.len &&
		    !g->log_failed) {
			fprintf(stderr, "latgov: cannot write the audit log %s: %s\n", g->log_path,
				strerror(errno));
			g->log_failed = 1;
		}
	}
}

int governor_log_failed(const struct governor *g)
{
	return g->log_failed;
}

int governor_tick(struct governor *g, const struct governor_window *w, uint64_t now_ns)
{
	struct tick_inputs ti = { .kind = "tick" };
	struct decide_inputs *in = &ti.in;
	char cur[STATEFILE_VALUE_MAX];
	struct cg_stats now_stats;
	struct decision d;
	uint64_t mono = mono_ns();

	/* monitor */
	cg_read_stats(&g->cg, &now_stats);
	cg_rates_between(&g->prev, &now_stats, mono - g->prev_ns, &ti.r);
	g->prev = now_stats;
	g->prev_ns = mono;
	g->fast_prev = now_stats;
	g->fast_prev_ns = mono;

	if (g->writer_running)
		memory_collect(g);
	if (g->have_cpu && g->writes)
		knob_ctl_check(&g->cpu, &g->cg, g->sf);
	if (g->have_mem && g->writes && !memory_busy(g))
		knob_ctl_check(&g->mem, &g->cg, g->sf);

	in->latency_us = w ? w->latency_us : 0;
	in->requests = w ? w->requests : 0;
	in->rate = w ? w->rate : 0;
	in->errors = w ? w->errors : 0;
	in->runq_share = w ? w->runq_share : -1;
	in->cpu_usage_cores = ti.r.usage_cores;	/* -1 unknown: decide() then makes no cuts */
	in->throttle_ratio = ti.r.throttle_ratio;
	in->mem_usage = ti.mem_usage = now_stats.mem_usage;
	in->mem_events = ti.r.mem_events;
	in->mem_pressure = ti.r.mem_pressure;

	if (!g->started) {
		uint64_t cpu_mc = 0, mem_b = 0;

		if (g->have_cpu && !cg_read_knob(&g->cg, CG_KNOB_CPU_MAX, cur, sizeof(cur)))
			cg_parse_cpu(&g->cg, cur, g->period_us, &cpu_mc);
		if (g->have_mem && !cg_read_knob(&g->cg, CG_KNOB_MEM_HIGH, cur, sizeof(cur)) &&
		    !cg_parse_mem(cur, &mem_b) && mem_b == CG_UNLIMITED)
			mem_b = 0;
		decide_init(&g->st, &g->policy, cpu_mc, mem_b, now_ns);
		g->started = 1;
	}

	/* decide */
	decide(&g->policy, &g->st, in, now_ns, &d);

	/* execute and feed back */
	governor_apply(g, &ti, &d, 1);
	return 0;
}

int governor_check_saturation(struct governor *g, uint64_t now_ns)
{
	struct tick_inputs ti = { .kind = "saturation" };
	struct cg_stats now_stats;
	struct decision d;
	uint64_t mono = mono_ns();

	if (!g->started || !g->have_cpu || g->cpu.foreign)
		return 0;
	cg_read_stats(&g->cg, &now_stats);
	/* at least one full CFS period, or the throttle ratio means nothing */
	if (mono - g->fast_prev_ns < g->period_us * 1000 ||
	    now_stats.nr_periods == g->fast_prev.nr_periods)
		return 0;
	cg_rates_between(&g->fast_prev, &now_stats, mono - g->fast_prev_ns, &ti.r);
	g->fast_prev = now_stats;
	g->fast_prev_ns = mono;
	decide_saturation(&g->policy, &g->st, ti.r.usage_cores, ti.r.throttle_ratio, now_ns, &d);
	if (d.action == DECIDE_HOLD)
		return 0;	/* holds between ticks are not logged: ten a second would drown the ticks */
	ti.in.cpu_usage_cores = ti.r.usage_cores;
	ti.in.throttle_ratio = ti.r.throttle_ratio;
	ti.mem_usage = now_stats.mem_usage;
	governor_apply(g, &ti, &d, 0);
	return d.action != DECIDE_HOLD;
}

/* Keeps the aggregator's last closed window. Returns 0, or -ENODATA before the first. */
static int add_agg_window(struct governor *g, const struct agg *a)
{
	uint64_t index, start;

	if (agg_last_window(a, &index, &start))
		return -ENODATA;
	objective_sample_from_agg(&g->policy, a, objective_push(&g->objective));
	return 0;
}

/* The policy's window from the windows kept. Returns 0, or -ENODATA with none. */
static int judge_window(struct governor *g, struct governor_window *w)
{
	struct objective_result r;
	int ret;

	ret = objective_judge(&g->objective, &g->policy, &g->scratch, &r);
	if (ret)
		return ret;
	w->latency_us = r.latency_us;
	w->requests = r.requests;
	w->errors = r.errors;
	w->rate = r.rate;
	w->runq_share = r.runq_share;
	return 0;
}

int governor_agg_window(struct governor *g, const struct agg *a, uint64_t now_ns)
{
	const uint64_t interval = g->policy.interval_ns;
	struct governor_window w;

	if (add_agg_window(g, a))
		return 0;
	/* the aggregator's windows may be shorter than the policy's interval (a
	 * tenth of one early still counts: windows close with jitter) */
	if (g->last_tick_ns && now_ns - g->last_tick_ns + interval / 10 < interval)
		return 0;
	if (judge_window(g, &w))
		return 0;
	g->last_tick_ns = now_ns;
	governor_tick(g, &w, now_ns);
	return 1;
}

void governor_status(const struct governor *g, struct governor_status *st)
{
	*st = g->status;
}

int governor_close(struct governor *g)
{
	char shown[sizeof(g->cg.path)];
	int left = 0;

	if (!g)
		return 0;
	if (g->writer_running) {
		pthread_mutex_lock(&g->mu);
		g->stopping = 1;
		pthread_cond_signal(&g->cv);
		pthread_mutex_unlock(&g->mu);
		/* a write in progress finishes first; restore must come after it */
		pthread_join(g->writer, NULL);
		g->writer_running = 0;
		memory_collect(g);
	}
	if (g->sf) {
		left = statefile_restore(g->sf, NULL, stderr);
		statefile_release(g->sf, left == 0);
		if (left) {
			utf8_sanitize_to(shown, sizeof(shown), g->cg.path);
			fprintf(stderr, "latgov: some limits of %s could not be restored; their originals stay recorded in /run/latgov: run 'latgov restore --cgroup %s'\n",
				shown, shown);
		}
	}
	if (g->log)
		fclose(g->log);
	jw_free(&g->jw);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
	return left ? 1 : 0;
}
