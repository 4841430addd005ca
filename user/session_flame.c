// SPDX-License-Identifier: GPL-2.0-only
/*
 * flame (and --flame DIR on any session command): the stack profiler as a
 * session part. It profiles the session's targets, follows new ones once a
 * window, and at the end writes the flame outputs and prints the summary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/proto.h"
#include "core/report.h"
#include "core/strbuf.h"
#include "latgov/proto.h"
#include "profiler.h"
#include "session.h"
#include "tracer.h"

/*
 * Route keys already named to the profiler: the kernel tags in-flight time
 * with a key (sched.h), each record tells which endpoint name its key stands
 * for. Open addressing; a key seen again costs one probe.
 */
#define NAMED_KEYS 4096

struct flame_part {
	struct profiler *profiler;
	int dirfd;		/* the output folder, opened before the session started */
	size_t ntargets;	/* session targets handed to the profiler so far */
	uint64_t polls;		/* loop turns seen */
	uint32_t named[NAMED_KEYS];	/* 0 = free */
	size_t nnamed;
	/* The last record's request prefix and port: a service under load sends
	 * the same line again and again, and its key is then known. */
	uint8_t last_prefix[LG_REQ_PREFIX];
	uint8_t last_len;
	uint16_t last_port;
};

static void add_new_targets(struct session *s, struct flame_part *f)
{
	const uint32_t *pids;
	size_t n = session_target_pids(s, &pids);

	for (; f->ntargets < n; f->ntargets++)
		profiler_add_target(f->profiler, (pid_t)pids[f->ntargets]);
}

/*
 * Forked workers and libraries loaded since are picked up here: every other
 * turn (~200 ms) for the first two seconds, while a starting service maps its
 * libraries and forks, then once a second. A short-lived worker must be seen
 * alive, or its frames cannot be named.
 */
static void flame_on_poll(struct session *s, void *ctx)
{
	struct flame_part *f = ctx;
	uint64_t n = ++f->polls, every = n < 20 ? 2 : 1000000000ull / (SESSION_POLL_MS * 1000000ull);

	if (n % every)
		return;
	add_new_targets(s, f);
	profiler_refresh(f->profiler);
}

/* The record whose key is named: the next identical line needs no key. */
static void flame_remember(struct flame_part *f, const struct lg_request *r)
{
	f->last_len = r->req_len <= LG_REQ_PREFIX ? r->req_len : 0;
	f->last_port = r->lport;
	memcpy(f->last_prefix, r->req_prefix, f->last_len);
}

/* Names the route key of a server request's record the first time it is seen. */
static void flame_on_request(struct session *s, void *ctx, const struct lg_request *r)
{
	struct flame_part *f = ctx;
	char name[ENDPOINT_NAME_MAX];
	const struct proto_ops *proto;
	uint32_t key, i;

	(void)s;
	if (r->role == LG_ROLE_CLIENT)
		return;
	if (r->req_len && r->req_len == f->last_len && r->lport == f->last_port &&
	    memcmp(r->req_prefix, f->last_prefix, r->req_len) == 0)
		return;	/* the same line as the last record's: its key is named */
	key = lg_route_key(r->req_prefix, r->req_len, r->lport);
	for (i = key % NAMED_KEYS; f->named[i]; i = (i + 1) % NAMED_KEYS) {
		if (f->named[i] == key) {
			flame_remember(f, r);
			return;
		}
	}
	/* Full (a service with thousands of raw paths): later keys stay unnamed, shown by number. */
	if (f->nnamed >= NAMED_KEYS / 2)
		return;
	proto_endpoint_name(r, name, sizeof(name), &proto);
	if (profiler_set_endpoint(f->profiler, key, name) == 0) {
		f->named[i] = key;
		f->nnamed++;
		flame_remember(f, r);
	}
}

/*
 * The tracer's split of each request (p50 and p99 of on-CPU, run queue,
 * blocked, throttled per endpoint), measured per request rather than from
 * the sampled stacks, goes into summary.txt too.
 */
static int append_request_split(struct session *s, struct flame_part *f)
{
	struct strbuf sb;
	int err;

	sb_init(&sb);
	err = report_sched_split(&sb, session_agg(s), NULL);
	if (!err && sb.len)
		err = profiler_append_summary(f->profiler, sb.buf);
	sb_free(&sb);
	return err;
}

static void flame_on_end(struct session *s, void *ctx)
{
	const struct lg_options *o = session_options(s);
	struct flame_part *f = ctx;
	uint64_t lost[LG_CNT__MAX];
	int err;

	profiler_refresh(f->profiler);
	tracer_prof_enable(session_tracer(s), 0);
	err = profiler_collect(f->profiler);
	if (!err && tracer_sched(session_tracer(s)))
		err = append_request_split(s, f);
	if (err)
		fprintf(stderr, "latgov flame: cannot collect the profile: %s; nothing was written to %s\n",
			strerror(-err), o->flame_dir);
	if (!err)
		err = profiler_write(f->profiler, f->dirfd, o->flame_dir);
	if (err)
		session_part_failed(s);
	if (!err) {
		profiler_counters(f->profiler, lost);
		if (lost[LG_CNT_STACK_LOST] || lost[LG_CNT_STACK_MAP_FULL] || lost[LG_CNT_THREAD_MAP_FULL])
			fprintf(stderr, "latgov flame: some stacks were lost (see the 'lost:' line); a shorter -d or a lower --hz keeps the maps from filling\n");
		fputs(profiler_summary(f->profiler) ? profiler_summary(f->profiler) : "", stdout);
		printf("\nwrote %s/{oncpu.folded,offcpu.folded,latency.folded,flame.svg,latency.svg,profile.pb.gz,summary.txt}\n",
		       o->flame_dir);
	}
	profiler_close(f->profiler);
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f);
}

/* Takes the output folder session_outputs_open() opened. */
int session_flame_parts(struct session *s)
{
	const struct lg_options *o = session_options(s);
	struct tracer *t = session_tracer(s);
	struct profiler_config cfg = {
		.hz = o->hz, .off_cpu = o->off_cpu, .requests_only = o->requests_only,
		/* The tracer's thread map holds the request in flight on each thread. */
		.threads_map_fd = tracer_sched(t) ? tracer_threads_fd(t) : -1,
		.oncpu_map_fd = tracer_sched(t) ? tracer_oncpu_fd(t) : -1,
		.counts_map_fd = tracer_prof_counts_fd(t),
		.stacks_map_fd = tracer_prof_stacks_fd(t),
		.counters_map_fd = tracer_counters_fd(t),
		.pending_iter_fd = tracer_pending_iter_fd(t),
	};
	struct session_part part = { .name = "flame", .on_poll = flame_on_poll, .on_end = flame_on_end,
				     .on_request = flame_on_request };
	struct flame_part *f;
	int err;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->dirfd = -1;
	err = profiler_open(&cfg, &f->profiler);
	if (err)
		goto fail;
	add_new_targets(s, f);
	err = profiler_attach(f->profiler);
	if (err)
		goto fail;
	/* off-CPU stacks from now on, when the tracer takes them (tracer.h) */
	tracer_prof_enable(t, 1);
	part.ctx = f;
	err = session_add_part(s, &part);
	if (err)
		goto fail;
	f->dirfd = session_outputs(s)->flame_dir;
	session_outputs(s)->flame_dir = -1;
	fprintf(stderr, "latgov: profiling %zu process(es)%s at %u Hz; flame outputs go to %s at the end\n",
		f->ntargets, cfg.off_cpu ? " on and off CPU" : " on CPU", cfg.hz, o->flame_dir);
	return 0;
fail:
	profiler_close(f->profiler);
	free(f);
	return err;
}
