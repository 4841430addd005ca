// SPDX-License-Identifier: GPL-2.0-only
#include "core/flame.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"
#include "core/utf8.h"

static const char *const phase_frame[LG_PHASE__MAX] = {
	[LG_PHASE_ONCPU] = "[on-cpu]",
	[LG_PHASE_RUNQ] = "[runqueue]",
	[LG_PHASE_BLOCKED] = "[blocked]",
	[LG_PHASE_THROTTLED] = "[throttled]",
};

/* pprof labels: -tagroot=phase regroups a profile by state. */
static const char *const phase_label[LG_PHASE__MAX] = {
	[LG_PHASE_ONCPU] = "oncpu",
	[LG_PHASE_RUNQ] = "runq",
	[LG_PHASE_BLOCKED] = "blocked",
	[LG_PHASE_THROTTLED] = "throttled",
};

struct endpoint {
	uint32_t key;
	char *name;
	uint64_t phase_us[LG_PHASE__MAX];	/* time with a request in flight */
};

struct flame {
	struct flame_config cfg;
	struct folded *folded[FLAME__MAX];
	struct pprof *pprof;
	struct endpoint *endpoints;
	size_t nendpoints;
	uint64_t oncpu_samples;
	uint64_t phase_ns[LG_PHASE__MAX];
};

struct flame *flame_new(const struct flame_config *cfg)
{
	struct flame *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->cfg = *cfg;
	for (int i = 0; i < FLAME__MAX; i++) {
		f->folded[i] = folded_new();
		if (!f->folded[i])
			goto fail;
	}
	f->pprof = pprof_new();
	if (!f->pprof || pprof_sample_type(f->pprof, "samples", "count") < 0 ||
	    pprof_sample_type(f->pprof, "wall", "microseconds") < 0 ||
	    pprof_default_type(f->pprof, "wall") ||
	    (cfg->hz && pprof_period(f->pprof, "cpu", "nanoseconds", 1000000000ll / cfg->hz)))
		goto fail;
	return f;
fail:
	flame_free(f);
	return NULL;
}

void flame_free(struct flame *f)
{
	if (!f)
		return;
	for (int i = 0; i < FLAME__MAX; i++)
		folded_free(f->folded[i]);
	pprof_free(f->pprof);
	for (size_t i = 0; i < f->nendpoints; i++)
		free(f->endpoints[i].name);
	free(f->endpoints);
	free(f);
}

/* The endpoint of a route key, added (as "endpoint-KEY") if new; NULL when out of memory. */
static struct endpoint *endpoint_of(struct flame *f, uint32_t key)
{
	char name[32];
	struct endpoint *e;

	for (size_t i = 0; i < f->nendpoints; i++)
		if (f->endpoints[i].key == key)
			return &f->endpoints[i];
	e = realloc(f->endpoints, (f->nendpoints + 1) * sizeof(*e));
	if (!e)
		return NULL;
	f->endpoints = e;
	e = &f->endpoints[f->nendpoints];
	memset(e, 0, sizeof(*e));
	snprintf(name, sizeof(name), "endpoint-%u", key);
	e->name = strdup(name);
	if (!e->name)
		return NULL;
	e->key = key;
	f->nendpoints++;
	return e;
}

int flame_set_endpoint(struct flame *f, uint32_t key, const char *name)
{
	struct endpoint *e = endpoint_of(f, key);
	struct strbuf shown;

	if (!e)
		return -ENOMEM;
	/* The summary prints it and flame_endpoint_times hands it out: keep it as shown. */
	sb_init(&shown);
	utf8_sanitize(&shown, name, strlen(name));
	if (sb_finish(&shown) || !shown.buf) {
		sb_free(&shown);
		return -ENOMEM;
	}
	free(e->name);
	e->name = shown.buf;
	return 0;
}

const char *flame_phase_frame(uint32_t phase)
{
	return phase < LG_PHASE__MAX ? phase_frame[phase] : NULL;
}

int flame_frame_is_probe(const char *frame)
{
	return !strncmp(frame, "bpf_prog_", 9) || !strncmp(frame, "bpf_trace_run", 13) ||
	       !strncmp(frame, "__bpf_trace_", 12);
}

/*
 * frames[0] is the root (process or endpoint), frames[1] the state, then the
 * stack: the profiles differ only in those two and the weight.
 */
int flame_add(struct flame *f, const struct flame_stack *s)
{
	static const char *const no_stack[] = { "[no stack]" };
	const char *const *stack = s->nframes ? s->frames : no_stack;
	size_t nstack = s->nframes ? s->nframes : 1, total = nstack + 2;
	const char **fr = NULL;
	int64_t values[2];
	uint64_t us;
	int err;

	if (s->phase >= LG_PHASE__MAX)
		return -EINVAL;
	if (f->cfg.requests_only && !s->endpoint)
		return 0;
	fr = malloc(total * sizeof(*fr));
	if (!fr)
		return -ENOMEM;
	fr[0] = s->process;
	fr[1] = phase_frame[s->phase];
	memcpy(fr + 2, stack, nstack * sizeof(*fr));

	if (s->phase == LG_PHASE_ONCPU) {
		us = f->cfg.hz ? s->value * (1000000ull / f->cfg.hz) : 0;
		f->oncpu_samples += s->value;
		/* process;stack: the on-CPU profile has one state, so no state frame */
		fr[1] = fr[0];
		err = folded_add_frames(f->folded[FLAME_ONCPU], fr + 1, total - 1, s->value);
		fr[1] = phase_frame[s->phase];
		values[0] = (int64_t)s->value;
	} else {
		us = (s->value + 500) / 1000;
		f->phase_ns[s->phase] += s->value;
		err = us ? folded_add_frames(f->folded[FLAME_OFFCPU], fr, total, us) : 0;
		values[0] = 0;
	}
	if (err || !us)
		goto out;
	err = folded_add_frames(f->folded[FLAME_WALL], fr, total, us);
	if (err)
		goto out;
	if (s->endpoint) {
		struct endpoint *e = endpoint_of(f, s->endpoint);

		if (!e) {
			err = -ENOMEM;
			goto out;
		}
		e->phase_us[s->phase] += us;
		fr[0] = e->name;
		err = folded_add_frames(f->folded[FLAME_LATENCY], fr, total, us);
		fr[0] = s->process;
		if (err)
			goto out;
	}
	/* pprof wants the leaf first */
	for (size_t i = 0; i < total / 2; i++) {
		const char *t = fr[i];

		fr[i] = fr[total - 1 - i];
		fr[total - 1 - i] = t;
	}
	values[1] = (int64_t)us;
	err = pprof_add(f->pprof, fr, total, values, "phase", phase_label[s->phase]);
out:
	free(fr);
	return err;
}

const struct folded *flame_folded(const struct flame *f, enum flame_profile which)
{
	return f->folded[which];
}

struct pprof *flame_pprof(struct flame *f)
{
	return f->pprof;
}

long flame_top_stacks(const struct folded *p, struct flame_share *out, size_t max)
{
	struct folded_entry *e;
	uint64_t total = folded_total(p);
	long n = folded_entries(p, FOLDED_BY_WEIGHT, &e);

	if (n <= 0)
		return n;
	if ((size_t)n > max)
		n = (long)max;
	for (long i = 0; i < n; i++) {
		out[i].stack = e[i].stack;
		out[i].weight = e[i].weight;
		out[i].percent = 100.0 * (double)e[i].weight / (double)total;
	}
	free(e);
	return n;
}

long flame_endpoint_times(const struct flame *f, struct flame_endpoint_time **out)
{
	struct flame_endpoint_time *rows;
	size_t n = 0, kept = 0;

	*out = NULL;
	if (!f->nendpoints)
		return 0;
	rows = calloc(f->nendpoints, sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < f->nendpoints; i++) {
		const struct endpoint *e = &f->endpoints[i];
		size_t r;

		for (r = 0; r < n && strcmp(rows[r].name, e->name); r++)
			;
		if (r == n)
			rows[n++].name = e->name;
		for (int ph = 0; ph < LG_PHASE__MAX; ph++) {
			rows[r].phase_us[ph] += e->phase_us[ph];
			rows[r].total_us += e->phase_us[ph];
		}
	}
	/* Names without time were seen in requests whose stacks were not kept. */
	for (size_t r = 0; r < n; r++)
		if (rows[r].total_us)
			rows[kept++] = rows[r];
	if (!kept) {
		free(rows);
		return 0;
	}
	*out = rows;
	return (long)kept;
}

static int top_stacks(struct strbuf *sb, const struct folded *p, const char *what)
{
	struct flame_share top[FLAME_TOP_STACKS];
	long n = flame_top_stacks(p, top, FLAME_TOP_STACKS);

	if (n < 0)
		return (int)n;
	if (!n) {
		sb_printf(sb, "\ntop stacks by share of %s: none recorded\n", what);
		return 0;
	}
	sb_printf(sb, "\ntop %d stacks by share of %s:\n", FLAME_TOP_STACKS, what);
	for (long i = 0; i < n; i++) {
		char t[UNITS_LEN];

		sb_printf(sb, "  %5.1f%%  %8s  %s\n", top[i].percent, units_us(top[i].weight, t, sizeof(t)),
			  top[i].stack);
	}
	return 0;
}

static int endpoint_times(struct strbuf *sb, const struct flame *f)
{
	struct flame_endpoint_time *rows;
	long n = flame_endpoint_times(f, &rows);

	if (n < 0)
		return (int)n;
	sb_printf(sb, "\nrequests in flight, by endpoint: share of their wall time in each state\n");
	for (long i = 0; i < n; i++) {
		char t[UNITS_LEN];

		sb_printf(sb, "  %-24s %8s:", rows[i].name, units_us(rows[i].total_us, t, sizeof(t)));
		for (int ph = 0; ph < LG_PHASE__MAX; ph++)
			sb_printf(sb, "  %s %.1f%%", phase_frame[ph],
				  100.0 * (double)rows[i].phase_us[ph] / (double)rows[i].total_us);
		sb_printf(sb, "\n");
	}
	free(rows);
	return 0;
}

int flame_summary(const struct flame *f, const struct flame_run *run, struct strbuf *sb)
{
	const struct flame_config *cfg = &f->cfg;
	uint64_t oncpu_us = cfg->hz ? f->oncpu_samples * 1000000ull / cfg->hz : 0;
	static const uint64_t no_counters[LG_CNT__MAX];
	const uint64_t *lost = run->counters ? run->counters : no_counters;
	char t[UNITS_LEN];
	int err;

	sb_printf(sb, "latgov latency flame summary\n");
	sb_printf(sb, "duration %s, on-CPU sampling %s%u Hz, off-CPU spans %s",
		  units_ns(run->duration_ns, t, sizeof(t)), cfg->hz ? "" : "off, ", cfg->hz,
		  cfg->off_cpu ? "" : "off");
	if (cfg->off_cpu)
		sb_printf(sb, ">= %s", units_ns(cfg->min_span_ns, t, sizeof(t)));
	sb_printf(sb, "\ntargets:");
	for (size_t i = 0; i < run->ntargets && i < 16; i++) {
		/* a process names itself: show it, never let the terminal run it */
		sb_printf(sb, " %u (", run->targets[i].pid);
		utf8_sanitize(sb, run->targets[i].name, strlen(run->targets[i].name));
		sb_puts(sb, ")");
	}
	if (run->ntargets > 16)
		sb_printf(sb, " ... %zu in all", run->ntargets);
	sb_printf(sb, "\n\ntime of the target threads by state:\n");
	sb_printf(sb, "  %-12s %8s  (%" PRIu64 " samples)\n", phase_frame[LG_PHASE_ONCPU],
		  units_us(oncpu_us, t, sizeof(t)), f->oncpu_samples);
	if (cfg->off_cpu) {
		for (int ph = LG_PHASE_RUNQ; ph < LG_PHASE__MAX; ph++)
			sb_printf(sb, "  %-12s %8s\n", phase_frame[ph], units_ns(f->phase_ns[ph], t, sizeof(t)));
	}
	if (folded_total(f->folded[FLAME_LATENCY])) {
		err = endpoint_times(sb, f);
		if (!err)
			err = top_stacks(sb, f->folded[FLAME_LATENCY],
					 "request latency (requests in flight only)");
		if (err)
			return err;
	} else if (f->nendpoints || cfg->requests_only) {
		sb_printf(sb, "\nno stacks were tagged with a request in flight\n");
	}
	err = top_stacks(sb, f->folded[FLAME_WALL], cfg->off_cpu ?
			 "wall time (on-CPU estimated from samples)" : "on-CPU time");
	if (err)
		return err;
	sb_printf(sb, "\nlost: %" PRIu64 " stack id errors, %" PRIu64 " stack counts dropped (map full), %" PRIu64
		  " off-CPU spans dropped (thread map full)\n",
		  lost[LG_CNT_STACK_LOST], lost[LG_CNT_STACK_MAP_FULL], lost[LG_CNT_THREAD_MAP_FULL]);
	sb_printf(sb, "symbols: %" PRIu64 " objects loaded, %" PRIu64 " not readable; %" PRIu64 " of %" PRIu64
		  " frames unresolved (shown as module+0xoff)\n",
		  run->objects, run->objects_unreadable, run->frames_unresolved, run->frames);
	if (run->files_refused || run->sections_refused)
		sb_printf(sb, "refused: %" PRIu64 " files of the targets (not regular files, too big, links, or perf maps of another owner), %" PRIu64
			  " compressed sections (would inflate too far)\n",
			  run->files_refused, run->sections_refused);
	sb_printf(sb, "note: user stacks are walked by frame pointers; code built without them (Debian's libc, most packages) shows short user stacks\n");
	return sb_finish(sb);
}
