/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The stack profiler behind the flame outputs: loads bpf/profile.bpf.c (its
 * own maps, so it loads next to the request tracer), samples on-CPU stacks at
 * cfg->hz on every CPU, optionally records off-CPU spans, symbolizes the
 * kernel's counts and writes the profiles core/flame.h builds from them:
 * folded stacks, SVG flame graphs, a pprof profile and a text summary.
 *
 * A session drives it: open, add targets as they appear, attach, collect,
 * write, close.
 *
 * Latency flame hook: while a thread serves a request, its entry in the
 * lg_threads map (struct lg_thread in task-local storage, one per thread,
 * not a hash by tid: the tracer's own, handed in as cfg->threads_map_fd,
 * filled by the tracer's scheduler programs) holds the request's route key;
 * it tags the thread's samples and spans (see include/latgov/sched.h for
 * when a request stops being in flight).
 * latency.folded keeps only those, rooted at the endpoint's name
 * (profiler_set_endpoint) and the phase.
 */
#ifndef LATGOV_PROFILER_H
#define LATGOV_PROFILER_H

#include <stdint.h>
#include <sys/types.h>

#include "latgov/abi.h"

#define PROFILER_MIN_SPAN_NS LG_OFFCPU_MIN_SPAN_NS	/* default: shorter off-CPU spans are not kept */

struct profiler_config {
	uint32_t hz;			/* on-CPU samples per second per CPU; 0 = no on-CPU sampling */
	int off_cpu;			/* also record off-CPU spans */
	uint64_t min_span_ns;		/* shortest off-CPU span kept; 0 = PROFILER_MIN_SPAN_NS */
	int requests_only;		/* keep only time with a request in flight */
	int offcpu_user_only;		/* off-CPU spans without kernel stacks: much cheaper (see bpf/profile.bpf.c) */
	int threads_map_fd;		/* -1, or the tracer's lg_threads map to share */
	int oncpu_map_fd;		/* -1, or the tracer's lg_oncpu map (with threads_map_fd) */
	/*
	 * -1, or the tracer's prof_counts, prof_stacks and lg_counters maps
	 * (tracer_config's prof_shared): the tracer's sched_switch then takes
	 * the off-CPU stacks and spans, and the profiler only samples on-CPU.
	 */
	int counts_map_fd;
	int stacks_map_fd;
	int counters_map_fd;
	int pending_iter_fd;		/* with them: the tracer's lg_pending_flush iterator link */
};

struct profiler;

/* Opens and loads the BPF object. Returns 0 and *out, or -errno (message printed). */
int profiler_open(const struct profiler_config *cfg, struct profiler **out);

/* Adds a target process (a tgid); snapshots its maps for symbols. 0, -ENOSPC, -errno. */
int profiler_add_target(struct profiler *p, pid_t tgid);

/*
 * Adopts the targets' forked children (the kernel adds them to the target
 * set) and re-snapshots the maps of live targets (libraries loaded since).
 * Cheap: objects are cached. Call it now and then, e.g. once a second.
 */
void profiler_refresh(struct profiler *p);

/* Names an endpoint id for latency.folded. 0 or -ENOMEM. */
int profiler_set_endpoint(struct profiler *p, uint32_t id, const char *name);

/* Starts sampling (perf events on every CPU) and the scheduler hooks. 0 or -errno (message printed). */
int profiler_attach(struct profiler *p);

/* Stops sampling, reads the kernel's counts and symbolizes them. 0 or -errno. */
int profiler_collect(struct profiler *p);

/*
 * Writes oncpu.folded, offcpu.folded, latency.folded, flame.svg,
 * profile.pb.gz and summary.txt into the folder dirfd (io/outfile.h's
 * outfile_open_private_dir), each as a new file renamed over the old one;
 * dir_name names it in messages. 0 or -errno (message printed, naming the file).
 */
int profiler_write(struct profiler *p, int dirfd, const char *dir_name);

/* Appends text to the summary (after profiler_collect, before profiler_write). 0 or -ENOMEM. */
int profiler_append_summary(struct profiler *p, const char *text);

/* The summary text (valid after profiler_collect), or NULL. */
const char *profiler_summary(struct profiler *p);

/* The kernel's loss counters summed over CPUs (after profiler_collect). */
void profiler_counters(const struct profiler *p, uint64_t out[LG_CNT__MAX]);

void profiler_close(struct profiler *p);

#endif
