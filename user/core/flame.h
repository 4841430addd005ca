/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The flame profiles of one profiling run, built from the kernel's stack
 * counts once they are symbolized, and the text summary of them. Pure:
 * frames, values and names in; folded tables, a pprof profile and text out.
 * Reading the BPF maps, symbolizing and writing the files are the
 * profiler's (user/profiler.c).
 *
 * Where a stack goes:
 *   oncpu    PROCESS;FRAMES, in samples (on-CPU stacks only);
 *   offcpu   PROCESS;[STATE];FRAMES, in µs (run queue, blocked, throttled);
 *   wall     PROCESS;[STATE];FRAMES, in µs, both (a sample stands for
 *            1/hz s), for flame.svg;
 *   latency  ENDPOINT;[STATE];FRAMES, in µs, only time with a request in
 *            flight: the latency flame, rooted at the request's endpoint;
 *   pprof    leaf first, values (samples, wall µs), labelled phase=STATE.
 * STATE is [on-cpu], [runqueue], [blocked] or [throttled] (flame_phase_frame).
 *
 * Process, endpoint and frame names are whatever their owners chose; every
 * profile and the summary hold them as core/utf8.h shows them (control
 * characters as '?', bytes that are not UTF-8 as U+FFFD).
 */
#ifndef LATGOV_FLAME_H
#define LATGOV_FLAME_H

#include <stddef.h>
#include <stdint.h>

#include "core/folded.h"
#include "core/pprof.h"
#include "core/strbuf.h"
#include "latgov/abi.h"

#define FLAME_TOP_STACKS 10	/* stacks the summary lists per profile */

struct flame_config {
	uint32_t hz;		/* on-CPU samples per second per CPU; 0 = no on-CPU sampling */
	int off_cpu;		/* off-CPU spans were recorded */
	uint64_t min_span_ns;	/* the shortest off-CPU span the kernel kept */
	int requests_only;	/* keep only time with a request in flight */
};

/* One stack of the kernel's count map, symbolized. */
struct flame_stack {
	const char *process;		/* the root of every profile but latency */
	uint32_t endpoint;		/* route key of the request in flight; 0 = none */
	uint32_t phase;			/* enum lg_phase */
	const char *const *frames;	/* root first; none is shown as "[no stack]" */
	size_t nframes;
	uint64_t value;			/* samples for LG_PHASE_ONCPU, ns otherwise */
};

enum flame_profile {
	FLAME_ONCPU,
	FLAME_OFFCPU,
	FLAME_WALL,
	FLAME_LATENCY,
	FLAME__MAX
};

struct flame;

/*
 * Empty profiles, with the pprof sample types ("samples"/"count", then the
 * default "wall"/"microseconds") and, when cfg->hz, the sampling period
 * declared. NULL when out of memory.
 */
struct flame *flame_new(const struct flame_config *cfg);
void flame_free(struct flame *f);

/*
 * Names a route key: the latency profile's root for the stacks of its
 * requests. Unnamed keys show as "endpoint-KEY". Name it before its stacks
 * are added. Returns 0 or -ENOMEM.
 */
int flame_set_endpoint(struct flame *f, uint32_t key, const char *name);

/*
 * Adds one stack to the profiles it belongs to (see above). With
 * requests_only, a stack without a request in flight goes nowhere (the
 * kernel leaves those out already; this holds every profile to the option
 * whichever program counted the stack). An off-CPU value under half a µs
 * rounds to nothing and is left out, but still counts in its state's total.
 * Returns 0, -EINVAL for a phase this build does not know, -ENOMEM.
 */
int flame_add(struct flame *f, const struct flame_stack *s);

/* One of the folded profiles; it lives as long as f. */
const struct folded *flame_folded(const struct flame *f, enum flame_profile which);

/* The pprof profile, for its time (pprof_time) and encoding; it lives as long as f. */
struct pprof *flame_pprof(struct flame *f);

/* The root frame of a state in the offcpu, wall and latency profiles; NULL for an unknown phase. */
const char *flame_phase_frame(uint32_t phase);

/*
 * Whether a kernel frame is the profiler's own BPF program or the
 * tracepoint glue that ran it: the leaf of a switch-out stack, which is not
 * the target's time. 1 or 0.
 */
int flame_frame_is_probe(const char *frame);

/* A stack's share of its profile. */
struct flame_share {
	const char *stack;	/* owned by the profile */
	uint64_t weight;
	double percent;		/* of the profile's total */
};

/*
 * The heaviest stacks of p, heaviest first (ties by stack), at most max of
 * them, into out. Returns the count (0 for an empty profile) or -ENOMEM.
 */
long flame_top_stacks(const struct folded *p, struct flame_share *out, size_t max);

/* An endpoint's time with a request in flight, by state. */
struct flame_endpoint_time {
	const char *name;	/* owned by the flame */
	uint64_t total_us;
	uint64_t phase_us[LG_PHASE__MAX];
};

/*
 * The latency profile's time per endpoint name: route keys with the same
 * name (one route, many raw paths) make one row. Rows in the order their
 * first key was seen; names without time are left out. Returns the count,
 * with *out to free (NULL when 0), or -ENOMEM.
 */
long flame_endpoint_times(const struct flame *f, struct flame_endpoint_time **out);

/* A target process and its name, for the summary. */
struct flame_target {
	uint32_t pid;
	const char *name;
};

/* What the summary says about the run beyond the stacks. */
struct flame_run {
	uint64_t duration_ns;			/* from attach to collection */
	const struct flame_target *targets;
	size_t ntargets;
	const uint64_t *counters;		/* [LG_CNT__MAX] loss counters; NULL = none */
	uint64_t objects, objects_unreadable;	/* ELF objects symbolized from, or not readable */
	uint64_t files_refused;			/* target files not read: not regular, too big, links */
	uint64_t sections_refused;		/* compressed sections that would inflate too far */
	uint64_t frames, frames_unresolved;	/* addresses looked up, or left module+0xoff */
};

/*
 * Appends the text summary (summary.txt, and what 'latgov flame' prints):
 * the run, the target threads' time by state, each endpoint's split of its
 * requests' time by state and the top stacks of request latency (when
 * requests were in flight), the top stacks of wall time (on-CPU time without
 * off-CPU spans), losses and symbol coverage. Returns 0 or -ENOMEM.
 */
int flame_summary(const struct flame *f, const struct flame_run *run, struct strbuf *sb);

#endif
