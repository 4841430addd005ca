// SPDX-License-Identifier: GPL-2.0-only
/* The stack profiler: BPF loading, perf events, collection, outputs (see profiler.h). */
#include "profiler.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/folded.h"
#include "core/pprof.h"
#include "core/svg.h"
#include "io/symbolize.h"
#include "profile.skel.h"

#define MAX_FRAMES  (2 * LG_STACK_DEPTH + 2)
#define FRAME_LEN   256
#define TOP_STACKS  10

static const char *const phase_frame[LG_PHASE__MAX] = {
	[LG_PHASE_ONCPU] = "[on-cpu]",
	[LG_PHASE_RUNQ] = "[runqueue]",
	[LG_PHASE_BLOCKED] = "[blocked]",
	[LG_PHASE_THROTTLED] = "[throttled]",
};

static const char *const phase_label[LG_PHASE__MAX] = {
	[LG_PHASE_ONCPU] = "oncpu",
	[LG_PHASE_RUNQ] = "runq",
	[LG_PHASE_BLOCKED] = "blocked",
	[LG_PHASE_THROTTLED] = "throttled",
};

struct comm {
	uint32_t pid;
	char name[32];
};

struct endpoint {
	uint32_t id;
	char *name;			/* NULL until named: printed as endpoint-ID */
	uint64_t phase_us[LG_PHASE__MAX];	/* time with a request in flight */
};

struct profiler {
	struct profiler_config cfg;
	struct profile_bpf *skel;
	struct bpf_link **links;
	int nlinks, links_cap;
	int *perf_fds;
	int nperf;
	struct symbolizer *sym;
	uint32_t targets[LG_MAX_TARGETS];
	size_t ntargets;
	struct comm *comms;
	size_t ncomms;
	struct endpoint *endpoints;
	size_t nendpoints;

	struct folded *oncpu, *offcpu, *latency, *wall;
	struct pprof *pprof;
	uint64_t oncpu_samples, phase_ns[LG_PHASE__MAX], latency_us;
	uint64_t counters[LG_CNT__MAX];
	uint64_t t_attach_ns, t_collect_ns;
	int collected;
	int shared_offcpu;		/* the tracer's sched_switch takes the off-CPU stacks */
	struct strbuf summary;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !getenv("LATGOV_DEBUG"))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int profiler_open(const struct profiler_config *cfg, struct profiler **out)
{
	struct profiler *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	if (!p->cfg.min_span_ns)
		p->cfg.min_span_ns = PROFILER_MIN_SPAN_NS;
	sb_init(&p->summary);
	p->sym = symbolizer_new();
	p->oncpu = folded_new();
	p->offcpu = folded_new();
	p->latency = folded_new();
	p->wall = folded_new();
	p->pprof = pprof_new();
	if (!p->sym || !p->oncpu || !p->offcpu || !p->latency || !p->wall || !p->pprof) {
		err = -ENOMEM;
		goto fail;
	}
	libbpf_set_print(libbpf_print);
	p->skel = profile_bpf__open();
	if (!p->skel) {
		err = -errno;
		fprintf(stderr, "latgov: cannot open the profiler BPF object: %s\n", strerror(-err));
		goto fail;
	}
	p->skel->rodata->min_span_ns = p->cfg.min_span_ns;
	p->skel->rodata->requests_only = p->cfg.requests_only ? 1 : 0;
	p->skel->rodata->offcpu_kernel_stacks = p->cfg.offcpu_user_only ? 0 : 1;
	if (!p->cfg.off_cpu) {
		bpf_program__set_autoload(p->skel->progs.profile_switch, false);
		bpf_program__set_autoload(p->skel->progs.profile_wakeup, false);
		bpf_program__set_autoload(p->skel->progs.profile_exit, false);
	}
	if (!p->cfg.hz)
		bpf_program__set_autoload(p->skel->progs.profile_sample, false);
	if (p->cfg.threads_map_fd >= 0) {
		err = bpf_map__reuse_fd(p->skel->maps.lg_threads, p->cfg.threads_map_fd);
		if (!err && p->cfg.oncpu_map_fd >= 0)
			err = bpf_map__reuse_fd(p->skel->maps.lg_oncpu, p->cfg.oncpu_map_fd);
		if (err) {
			fprintf(stderr, "latgov: cannot share the tracer's thread map with the profiler: %s\n",
				strerror(-err));
			goto fail;
		}
	}
	/* the tracer's sched_switch takes the off-CPU stacks: sample into its maps */
	if (p->cfg.off_cpu && p->cfg.threads_map_fd >= 0 && p->cfg.counts_map_fd >= 0 &&
	    p->cfg.stacks_map_fd >= 0 && p->cfg.counters_map_fd >= 0 && p->cfg.pending_iter_fd >= 0) {
		err = bpf_map__reuse_fd(p->skel->maps.prof_counts, p->cfg.counts_map_fd);
		if (!err)
			err = bpf_map__reuse_fd(p->skel->maps.prof_stacks, p->cfg.stacks_map_fd);
		if (!err)
			err = bpf_map__reuse_fd(p->skel->maps.prof_counters, p->cfg.counters_map_fd);
		if (err) {
			fprintf(stderr, "latgov: cannot share the tracer's off-CPU maps with the profiler: %s\n",
				strerror(-err));
			goto fail;
		}
		bpf_program__set_autoload(p->skel->progs.profile_switch, false);
		bpf_program__set_autoload(p->skel->progs.profile_wakeup, false);
		bpf_program__set_autoload(p->skel->progs.profile_exit, false);
		bpf_map__set_max_entries(p->skel->maps.prof_threads, 1);
		bpf_map__set_max_entries(p->skel->maps.prof_sites, 1);
		p->shared_offcpu = 1;
	}
	err = profile_bpf__load(p->skel);
	if (err) {
		fprintf(stderr, "latgov: cannot load the profiler BPF programs: %s (run 'latgov check' to see what this kernel supports)\n",
			strerror(-err));
		goto fail;
	}
	*out = p;
	return 0;
fail:
	profiler_close(p);
	return err;
}

/* Reads /proc/PID/comm into name; 0 or -errno. */
static int read_comm(uint32_t pid, char *name, size_t len)
{
	char path[64], buf[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!buf[0])
		return -EIO;
	snprintf(name, len, "%s", buf);
	return 0;
}

/* The process name of pid, read once (and again by profiler_refresh: a command execs). */
static const char *comm_of(struct profiler *p, uint32_t pid)
{
	struct comm *c;

	for (size_t i = 0; i < p->ncomms; i++)
		if (p->comms[i].pid == pid)
			return p->comms[i].name;
	c = realloc(p->comms, (p->ncomms + 1) * sizeof(*c));
	if (!c)
		return "?";
	p->comms = c;
	c = &p->comms[p->ncomms++];
	c->pid = pid;
	if (read_comm(pid, c->name, sizeof(c->name)))
		snprintf(c->name, sizeof(c->name), "pid-%u", pid);
	return c->name;
}

int profiler_add_target(struct profiler *p, pid_t tgid)
{
	struct lg_target t = { 0 };
	uint32_t key = (uint32_t)tgid;
	int err;

	for (size_t i = 0; i < p->ntargets; i++)
		if (p->targets[i] == key)
			return 0;
	if (p->ntargets == LG_MAX_TARGETS)
		return -ENOSPC;
	if (key >= LG_PID_WORDS * 64)
		return -ERANGE;
	err = bpf_map__update_elem(p->skel->maps.prof_targets, &key, sizeof(key), &t, sizeof(t), BPF_ANY);
	if (err)
		return err;
	/* The programs test this bitmap (shared memory with them): set it after the map. */
	__atomic_fetch_or(&p->skel->bss->prof_target_bits[key / 64], 1ull << (key % 64),
			  __ATOMIC_SEQ_CST);
	p->targets[p->ntargets++] = key;
	comm_of(p, key);
	/* Snapshot now: a short-lived process is gone by collection time. */
	symbolizer_add_process(p->sym, tgid);
	return 0;
}

/* Targets the kernel added (forked children of targets) since we last looked. */
static void adopt_forked(struct profiler *p)
{
	int fd = bpf_map__fd(p->skel->maps.prof_targets);
	__u32 key, next, *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		size_t i;

		key = next;
		prev = &key;
		for (i = 0; i < p->ntargets; i++)
			if (p->targets[i] == key)
				break;
		if (i == p->ntargets && p->ntargets < LG_MAX_TARGETS) {
			p->targets[p->ntargets++] = key;
			comm_of(p, key);
			symbolizer_add_process(p->sym, (pid_t)key);
		}
	}
}

void profiler_refresh(struct profiler *p)
{
	adopt_forked(p);
	for (size_t i = 0; i < p->ntargets; i++)
		symbolizer_refresh_process(p->sym, (pid_t)p->targets[i]);
	for (size_t i = 0; i < p->ncomms; i++)
		read_comm(p->comms[i].pid, p->comms[i].name, sizeof(p->comms[i].name));
}

/* The endpoint with this id, added if new; NULL when out of memory. */
static struct endpoint *find_endpoint(struct profiler *p, uint32_t id)
{
	struct endpoint *e;

	for (size_t i = 0; i < p->nendpoints; i++)
		if (p->endpoints[i].id == id)
			return &p->endpoints[i];
	e = realloc(p->endpoints, (p->nendpoints + 1) * sizeof(*e));
	if (!e)
		return NULL;
	p->endpoints = e;
	e = &p->endpoints[p->nendpoints++];
	memset(e, 0, sizeof(*e));
	e->id = id;
	return e;
}

int profiler_set_endpoint(struct profiler *p, uint32_t id, const char *name)
{
	struct endpoint *e = find_endpoint(p, id);
	char *n = strdup(name);

	if (!e || !n) {
		free(n);
		return -ENOMEM;
	}
	free(e->name);
	e->name = n;
	return 0;
}

static int add_link(struct profiler *p, struct bpf_link *l)
{
	if (p->nlinks == p->links_cap) {
		int cap = p->links_cap ? p->links_cap * 2 : 16;
		struct bpf_link **n = realloc(p->links, (size_t)cap * sizeof(*n));

		if (!n) {
			bpf_link__destroy(l);
			return -ENOMEM;
		}
		p->links = n;
		p->links_cap = cap;
	}
	p->links[p->nlinks++] = l;
	return 0;
}

static int attach_sampling(struct profiler *p)
{
	int ncpus = libbpf_num_possible_cpus(), err, attached = 0;

	if (ncpus <= 0)
		return ncpus ? ncpus : -ENODEV;
	p->perf_fds = calloc((size_t)ncpus, sizeof(int));
	if (!p->perf_fds)
		return -ENOMEM;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.size = sizeof(attr),
			.freq = 1,
			.sample_freq = p->cfg.hz,
		};
		struct bpf_link *l;
		int fd = (int)syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0) {
			if (errno == ENODEV)	/* a possible CPU that is offline */
				continue;
			err = -errno;
			fprintf(stderr, "latgov: cannot open a CPU-clock perf event on CPU %d: %s (needs root or CAP_PERFMON)\n",
				cpu, strerror(-err));
			return err;
		}
		p->perf_fds[p->nperf++] = fd;
		l = bpf_program__attach_perf_event(p->skel->progs.profile_sample, fd);
		if (!l) {
			err = -errno;
			fprintf(stderr, "latgov: cannot attach the sampler to CPU %d: %s\n", cpu, strerror(-err));
			return err;
		}
		err = add_link(p, l);
		if (err)
			return err;
		attached++;
	}
	return attached ? 0 : -ENODEV;
}

int profiler_attach(struct profiler *p)
{
	int err;

	if (p->cfg.hz) {
		err = attach_sampling(p);
		if (err)
			return err;
	}
	{
		struct bpf_link *l = bpf_program__attach(p->skel->progs.profile_fork);

		if (!l) {
			err = -errno;
			fprintf(stderr, "latgov: cannot attach profile_fork to follow forked workers: %s\n", strerror(-err));
			return err;
		}
		err = add_link(p, l);
		if (err)
			return err;
	}
	if (p->cfg.off_cpu) {
		struct bpf_program *progs[] = { p->skel->progs.profile_switch, p->skel->progs.profile_wakeup,
						p->skel->progs.profile_exit };

		for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
			struct bpf_link *l;

			if (!bpf_program__autoload(progs[i]))
				continue;	/* shared with the tracer (profiler_open) */
			l = bpf_program__attach(progs[i]);

			if (!l) {
				err = -errno;
				fprintf(stderr, "latgov: cannot attach %s for off-CPU stacks: %s\n",
					bpf_program__name(progs[i]), strerror(-err));
				return err;
			}
			err = add_link(p, l);
			if (err)
				return err;
		}
	}
	p->t_attach_ns = mono_ns();
	return 0;
}

static void detach(struct profiler *p)
{
	for (int i = 0; i < p->nlinks; i++)
		bpf_link__destroy(p->links[i]);
	p->nlinks = 0;
	for (int i = 0; i < p->nperf; i++)
		close(p->perf_fds[i]);
	p->nperf = 0;
}

static const char *endpoint_name(const struct endpoint *e, char *buf, size_t len)
{
	if (e->name)
		return e->name;
	snprintf(buf, len, "endpoint-%u", e->id);
	return buf;
}

/*
 * Frames of one key into frames[] (root first): user frames, then kernel
 * frames. Return addresses are looked up at addr-1 so a call at the end of a
 * function is not blamed on the next one.
 */
static size_t stack_frames(struct profiler *p, const struct lg_stack_key *k, char (*frames)[FRAME_LEN])
{
	int stacks = bpf_map__fd(p->skel->maps.prof_stacks);
	__u64 ips[LG_STACK_DEPTH];
	size_t n = 0;
	int depth;

	if (k->ustack_id >= 0 && !bpf_map_lookup_elem(stacks, &k->ustack_id, ips)) {
		for (depth = 0; depth < LG_STACK_DEPTH && ips[depth]; depth++)
			;
		for (int i = depth - 1; i >= 0; i--)
			symbolizer_user(p->sym, (pid_t)k->tgid, ips[i] - (i ? 1 : 0), frames[n++], FRAME_LEN);
	}
	if (k->kstack_id >= 0 && !bpf_map_lookup_elem(stacks, &k->kstack_id, ips)) {
		size_t first = n;

		for (depth = 0; depth < LG_STACK_DEPTH && ips[depth]; depth++)
			;
		for (int i = depth - 1; i >= 0; i--)
			symbolizer_kernel(p->sym, ips[i] - (i ? 1 : 0), frames[n++], FRAME_LEN);
		/* The leaf of a switch-out stack is our own tracepoint program: not the target's time. */
		while (n > first && (!strncmp(frames[n - 1], "bpf_prog_", 9) || !strncmp(frames[n - 1], "bpf_trace_run", 13) ||
				     !strncmp(frames[n - 1], "__bpf_trace_", 12)))
			n--;
	}
	if (!n)
		snprintf(frames[n++], FRAME_LEN, "[no stack]");
	return n;
}

static int add_key(struct profiler *p, const struct lg_stack_key *k, uint64_t value, char (*fr)[FRAME_LEN],
		   const char **ptrs)
{
	uint64_t period_us = p->cfg.hz ? 1000000ull / p->cfg.hz : 0;
	char epbuf[32];
	size_t n, total;
	uint64_t us;
	int64_t values[2];
	int err;

	if (k->phase >= LG_PHASE__MAX)
		return 0;
	/* frames: [0] root (process or endpoint), [1] phase, [2..] stack */
	n = stack_frames(p, k, fr + 2);
	total = n + 2;
	snprintf(fr[0], FRAME_LEN, "%s", comm_of(p, k->tgid));
	snprintf(fr[1], FRAME_LEN, "%s", phase_frame[k->phase]);
	for (size_t i = 0; i < total; i++)
		ptrs[i] = fr[i];

	if (k->phase == LG_PHASE_ONCPU) {
		us = value * period_us;
		p->oncpu_samples += value;
		/* on-CPU folded: process;stack, in samples */
		ptrs[1] = ptrs[0];
		err = folded_add_frames(p->oncpu, ptrs + 1, total - 1, value);
		ptrs[1] = fr[1];
		values[0] = (int64_t)value;
	} else {
		us = (value + 500) / 1000;
		p->phase_ns[k->phase] += value;
		err = us ? folded_add_frames(p->offcpu, ptrs, total, us) : 0;
		values[0] = 0;
	}
	if (err)
		return err;
	if (!us)
		return 0;
	err = folded_add_frames(p->wall, ptrs, total, us);
	if (err)
		return err;
	if (k->endpoint) {
		struct endpoint *e = find_endpoint(p, k->endpoint);

		if (!e)
			return -ENOMEM;
		e->phase_us[k->phase] += us;
		ptrs[0] = endpoint_name(e, epbuf, sizeof(epbuf));
		err = folded_add_frames(p->latency, ptrs, total, us);
		ptrs[0] = fr[0];
		if (err)
			return err;
		p->latency_us += us;
	}
	/* pprof wants the leaf first */
	for (size_t i = 0; i < total / 2; i++) {
		const char *t = ptrs[i];

		ptrs[i] = ptrs[total - 1 - i];
		ptrs[total - 1 - i] = t;
	}
	values[1] = (int64_t)us;
	/* the phase is a label too, so pprof -tagroot=phase can regroup */
	return pprof_add(p->pprof, ptrs, total, values, "phase", phase_label[k->phase]);
}

static void read_counters(struct profiler *p)
{
	int ncpus = libbpf_num_possible_cpus(), fd = bpf_map__fd(p->skel->maps.prof_counters);
	__u64 *v;

	if (ncpus <= 0)
		return;
	v = calloc((size_t)ncpus, sizeof(*v));
	if (!v)
		return;
	for (__u32 i = 0; i < LG_CNT__MAX; i++) {
		p->counters[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, v))
			continue;
		for (int c = 0; c < ncpus; c++)
			p->counters[i] += v[c];
	}
	free(v);
}

static void write_summary(struct profiler *p);

/*
 * Off-CPU time the tracer's sched_switch still holds per thread (struct
 * lg_thread pend_*: spans under one key add up there, not in the map), into
 * prof_counts: reading the tracer's task iterator does it in the kernel.
 * Only where the tracer takes the off-CPU stacks; elsewhere nothing is
 * pending. Its programs stopped noting stacks at the detach
 * (tracer_prof_enable), so what remains is final.
 */
static void flush_pending(struct profiler *p)
{
	int fd = bpf_iter_create(p->cfg.pending_iter_fd);
	char buf[64];
	ssize_t n;

	if (fd < 0) {
		fprintf(stderr, "latgov: off-CPU time still held by threads is left out of the profile: cannot run the task iterator: %s\n",
			strerror(errno));
		return;
	}
	do
		n = read(fd, buf, sizeof(buf));	/* the program writes nothing: read to the end */
	while (n > 0 || (n < 0 && errno == EINTR));
	if (n < 0)
		fprintf(stderr, "latgov: off-CPU time still held by threads may be left out of the profile: %s\n",
			strerror(errno));
	close(fd);
}

int profiler_collect(struct profiler *p)
{
	int fd = bpf_map__fd(p->skel->maps.prof_counts);
	struct lg_stack_key key, next, *prev = NULL;
	char (*fr)[FRAME_LEN] = malloc(MAX_FRAMES * FRAME_LEN);
	const char **ptrs = malloc(MAX_FRAMES * sizeof(*ptrs));
	int err = 0;

	if (!fr || !ptrs) {
		err = -ENOMEM;
		goto out;
	}
	if (p->collected)
		goto out;
	detach(p);
	adopt_forked(p);
	p->t_collect_ns = mono_ns();
	if (p->shared_offcpu)
		flush_pending(p);	/* before the counters: it may count a full map */
	read_counters(p);
	if (pprof_sample_type(p->pprof, "samples", "count") < 0 ||
	    pprof_sample_type(p->pprof, "wall", "microseconds") < 0 ||
	    pprof_default_type(p->pprof, "wall") ||
	    (p->cfg.hz && pprof_period(p->pprof, "cpu", "nanoseconds", 1000000000ll / p->cfg.hz))) {
		err = -ENOMEM;
		goto out;
	}
	{
		struct timespec rt;

		clock_gettime(CLOCK_REALTIME, &rt);
		pprof_time(p->pprof, (int64_t)rt.tv_sec * 1000000000ll + rt.tv_nsec -
			   (int64_t)(p->t_collect_ns - p->t_attach_ns),
			   (int64_t)(p->t_collect_ns - p->t_attach_ns));
	}
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		__u64 value;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &value))
			continue;
		err = add_key(p, &key, value, fr, ptrs);
		if (err)
			goto out;
	}
	p->collected = 1;
	write_summary(p);
out:
	free(fr);
	free(ptrs);
	return err;
}

static void fmt_us(char *buf, size_t len, uint64_t us)
{
	if (us >= 10000000)
		snprintf(buf, len, "%.2f s", (double)us / 1e6);
	else if (us >= 10000)
		snprintf(buf, len, "%.2f ms", (double)us / 1e3);
	else
		snprintf(buf, len, "%" PRIu64 " us", us);
}

static void top_stacks(struct strbuf *sb, const struct folded *f, const char *what)
{
	struct folded_entry *e;
	uint64_t total = folded_total(f);
	long n = folded_entries(f, FOLDED_BY_WEIGHT, &e);

	if (n <= 0) {
		sb_printf(sb, "\ntop stacks by share of %s: none recorded\n", what);
		return;
	}
	sb_printf(sb, "\ntop %d stacks by share of %s:\n", TOP_STACKS, what);
	for (long i = 0; i < n && i < TOP_STACKS; i++) {
		char t[32];

		fmt_us(t, sizeof(t), e[i].weight);
		sb_printf(sb, "  %5.1f%%  %10s  %s\n", 100.0 * (double)e[i].weight / (double)total, t, e[i].stack);
	}
	free(e);
}

static void write_summary(struct profiler *p)
{
	struct strbuf *sb = &p->summary;
	struct symbolizer_stats ss;
	uint64_t oncpu_us = p->cfg.hz ? p->oncpu_samples * 1000000ull / p->cfg.hz : 0;
	char t[32];

	symbolizer_stats(p->sym, &ss);
	sb_reset(sb);
	sb_printf(sb, "latgov latency flame summary\n");
	sb_printf(sb, "duration %.1f s, on-CPU sampling %s%u Hz, off-CPU spans %s",
		  (double)(p->t_collect_ns - p->t_attach_ns) / 1e9, p->cfg.hz ? "" : "off, ", p->cfg.hz,
		  p->cfg.off_cpu ? "" : "off");
	if (p->cfg.off_cpu)
		sb_printf(sb, ">= %" PRIu64 " us", p->cfg.min_span_ns / 1000);
	sb_printf(sb, "\ntargets:");
	for (size_t i = 0; i < p->ntargets && i < 16; i++)
		sb_printf(sb, " %u (%s)", p->targets[i], comm_of(p, p->targets[i]));
	if (p->ntargets > 16)
		sb_printf(sb, " ... %zu in all", p->ntargets);
	sb_printf(sb, "\n\ntime of the target threads by state:\n");
	fmt_us(t, sizeof(t), oncpu_us);
	sb_printf(sb, "  %-12s %10s  (%" PRIu64 " samples)\n", "[on-cpu]", t, p->oncpu_samples);
	if (p->cfg.off_cpu) {
		for (int ph = LG_PHASE_RUNQ; ph < LG_PHASE__MAX; ph++) {
			fmt_us(t, sizeof(t), p->phase_ns[ph] / 1000);
			sb_printf(sb, "  %-12s %10s\n", phase_frame[ph], t);
		}
	}
	if (p->latency_us) {
		sb_printf(sb, "\nrequests in flight, by endpoint: share of their wall time in each state\n");
		for (size_t i = 0; i < p->nendpoints; i++) {
			uint64_t sum = 0, phase_us[LG_PHASE__MAX] = { 0 };
			char buf[32], other[32];
			const char *name = endpoint_name(&p->endpoints[i], buf, sizeof(buf));
			int seen = 0;

			/* Route keys of one endpoint (/users/1, /users/2 ...) print as one row. */
			for (size_t j = 0; j < i && !seen; j++)
				seen = !strcmp(endpoint_name(&p->endpoints[j], other, sizeof(other)), name);
			if (seen)
				continue;
			for (size_t j = i; j < p->nendpoints; j++) {
				if (strcmp(endpoint_name(&p->endpoints[j], other, sizeof(other)), name))
					continue;
				for (int ph = 0; ph < LG_PHASE__MAX; ph++) {
					phase_us[ph] += p->endpoints[j].phase_us[ph];
					sum += p->endpoints[j].phase_us[ph];
				}
			}
			if (!sum)
				continue;
			fmt_us(t, sizeof(t), sum);
			sb_printf(sb, "  %-24s %10s:", name, t);
			for (int ph = 0; ph < LG_PHASE__MAX; ph++)
				sb_printf(sb, "  %s %.1f%%", phase_frame[ph], 100.0 * (double)phase_us[ph] / (double)sum);
			sb_printf(sb, "\n");
		}
		top_stacks(sb, p->latency, "request latency (requests in flight only)");
	}
	else if (p->nendpoints || p->cfg.requests_only)
		sb_printf(sb, "\nno stacks were tagged with a request in flight\n");
	top_stacks(sb, p->wall, p->cfg.off_cpu ? "wall time (on-CPU estimated from samples)" : "on-CPU time");
	sb_printf(sb, "\nlost: %" PRIu64 " stack id errors, %" PRIu64 " stack counts dropped (map full), %" PRIu64
		  " off-CPU spans dropped (thread map full)\n",
		  p->counters[LG_CNT_STACK_LOST], p->counters[LG_CNT_STACK_MAP_FULL], p->counters[LG_CNT_THREAD_MAP_FULL]);
	sb_printf(sb, "symbols: %" PRIu64 " objects loaded, %" PRIu64 " not readable; %" PRIu64 " of %" PRIu64
		  " frames unresolved (shown as module+0xoff)\n",
		  ss.objects, ss.objects_failed, ss.unresolved, ss.frames);
	sb_printf(sb, "note: user stacks are walked by frame pointers; code built without them (Debian's libc, most packages) shows short user stacks\n");
}

int profiler_append_summary(struct profiler *p, const char *text)
{
	sb_printf(&p->summary, "%s", text);
	return sb_finish(&p->summary);
}

const char *profiler_summary(struct profiler *p)
{
	return p->collected && !sb_finish(&p->summary) ? p->summary.buf : NULL;
}

void profiler_counters(const struct profiler *p, uint64_t out[LG_CNT__MAX])
{
	memcpy(out, p->counters, sizeof(p->counters));
}

static int write_bytes(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[4096], tmp[4200];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		err = -errno;
		fprintf(stderr, "latgov: cannot write %s: %s\n", tmp, strerror(-err));
		return err;
	}
	if (len && fwrite(buf, 1, len, f) != len)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		fprintf(stderr, "latgov: cannot write %s: %s\n", path, strerror(-err));
		unlink(tmp);
	}
	return err;
}

static int write_folded(const char *dir, const char *name, const struct folded *f)
{
	struct strbuf sb;
	int err;

	sb_init(&sb);
	err = folded_format(f, &sb);
	if (!err)
		err = write_bytes(dir, name, sb.buf, sb.len);
	sb_free(&sb);
	return err;
}

static int write_svg(const char *dir, const char *name, const struct folded *f,
		     const struct svg_options *so)
{
	struct strbuf sb;
	int err;

	sb_init(&sb);
	err = svg_write(f, so, &sb);
	if (!err)
		err = write_bytes(dir, name, sb.buf, sb.len);
	sb_free(&sb);
	return err;
}

int profiler_write(struct profiler *p, const char *dir)
{
	struct svg_options so = { 0 };
	struct strbuf sb, raw;
	char subtitle[256];
	int err;

	if (!p->collected) {
		err = profiler_collect(p);
		if (err)
			return err;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		err = -errno;
		fprintf(stderr, "latgov: cannot create the output folder %s: %s\n", dir, strerror(-err));
		return err;
	}
	err = write_folded(dir, "oncpu.folded", p->oncpu);
	if (!err)
		err = write_folded(dir, "offcpu.folded", p->offcpu);
	if (!err)
		err = write_folded(dir, "latency.folded", p->latency);
	if (err)
		return err;

	snprintf(subtitle, sizeof(subtitle), "%.1f s; on-CPU from %u Hz samples%s; widths in microseconds",
		 (double)(p->t_collect_ns - p->t_attach_ns) / 1e9, p->cfg.hz,
		 p->cfg.off_cpu ? ", off-CPU from scheduler spans" : "");
	so.title = p->cfg.off_cpu ? "Wall-time flame graph: on-CPU, run queue, blocked, throttled" : "On-CPU flame graph";
	so.subtitle = subtitle;
	so.unit = "us";
	err = write_svg(dir, "flame.svg", p->wall, &so);
	if (err)
		return err;
	/* The latency flame, when requests were in flight: width is a share of request wall time. */
	if (p->latency_us) {
		so.title = "Latency flame graph: requests in flight, by endpoint and state";
		err = write_svg(dir, "latency.svg", p->latency, &so);
		if (err)
			return err;
	}

	sb_init(&raw);
	sb_init(&sb);
	err = pprof_encode(p->pprof, &raw);
	if (!err)
		err = pprof_gzip(raw.buf, raw.len, &sb);
	if (!err)
		err = write_bytes(dir, "profile.pb.gz", sb.buf, sb.len);
	sb_free(&raw);
	sb_free(&sb);
	if (err)
		return err;
	return write_bytes(dir, "summary.txt", p->summary.buf ? p->summary.buf : "", p->summary.len);
}

void profiler_close(struct profiler *p)
{
	if (!p)
		return;
	detach(p);
	free(p->links);
	free(p->perf_fds);
	profile_bpf__destroy(p->skel);
	symbolizer_free(p->sym);
	folded_free(p->oncpu);
	folded_free(p->offcpu);
	folded_free(p->latency);
	folded_free(p->wall);
	pprof_free(p->pprof);
	for (size_t i = 0; i < p->nendpoints; i++)
		free(p->endpoints[i].name);
	free(p->endpoints);
	free(p->comms);
	sb_free(&p->summary);
	free(p);
}
