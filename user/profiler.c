// SPDX-License-Identifier: GPL-2.0-only
/* The stack profiler: BPF loading, perf events, collection, outputs (see profiler.h). */
#include "profiler.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "core/flame.h"
#include "core/folded.h"
#include "core/pprof.h"
#include "core/svg.h"
#include "core/units.h"
#include "io/outfile.h"
#include "io/symbolize.h"
#include "profile.skel.h"

#define MAX_FRAMES  (2 * LG_STACK_DEPTH)
#define FRAME_LEN   256

struct comm {
	uint32_t pid;
	char name[32];
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

	struct flame *flame;
	uint64_t counters[LG_CNT__MAX];
	uint64_t t_attach_ns, t_collect_ns;
	int collected;
	int shared_offcpu;		/* the tracer's sched_switch takes the off-CPU stacks */
	struct strbuf summary;
};

int profiler_open(const struct profiler_config *cfg, struct profiler **out)
{
	struct profiler *p = calloc(1, sizeof(*p));
	struct flame_config fc;
	int err;

	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	if (!p->cfg.min_span_ns)
		p->cfg.min_span_ns = PROFILER_MIN_SPAN_NS;
	fc = (struct flame_config){ .hz = p->cfg.hz, .off_cpu = p->cfg.off_cpu,
				    .min_span_ns = p->cfg.min_span_ns, .requests_only = p->cfg.requests_only };
	sb_init(&p->summary);
	p->sym = symbolizer_new();
	p->flame = flame_new(&fc);
	if (!p->sym || !p->flame) {
		err = -ENOMEM;
		goto fail;
	}
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
			err = bpf_map__reuse_fd(p->skel->maps.lg_counters, p->cfg.counters_map_fd);
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

int profiler_set_endpoint(struct profiler *p, uint32_t id, const char *name)
{
	return flame_set_endpoint(p->flame, id, name);
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
		while (n > first && flame_frame_is_probe(frames[n - 1]))
			n--;
	}
	return n;
}

/* One key of the count map into the profiles. */
static int add_key(struct profiler *p, const struct lg_stack_key *k, uint64_t value, char (*fr)[FRAME_LEN],
		   const char **ptrs)
{
	struct flame_stack st = {
		.process = comm_of(p, k->tgid), .endpoint = k->endpoint, .phase = k->phase,
		.frames = ptrs, .value = value,
	};

	st.nframes = stack_frames(p, k, fr);
	for (size_t i = 0; i < st.nframes; i++)
		ptrs[i] = fr[i];
	return flame_add(p->flame, &st);
}

static void read_counters(struct profiler *p)
{
	int ncpus = libbpf_num_possible_cpus(), fd = bpf_map__fd(p->skel->maps.lg_counters);
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

/* The summary of the run into p->summary, from the profiles and what only the shell knows. */
static int write_summary(struct profiler *p)
{
	struct flame_target *targets = calloc(p->ntargets ? p->ntargets : 1, sizeof(*targets));
	struct symbolizer_stats ss;
	struct flame_run run = {
		.duration_ns = p->t_collect_ns - p->t_attach_ns, .targets = targets,
		.ntargets = p->ntargets, .counters = p->counters,
	};
	int err;

	if (!targets)
		return -ENOMEM;
	/* Every target's name first: comm_of may move the names it already has. */
	for (size_t i = 0; i < p->ntargets; i++)
		comm_of(p, p->targets[i]);
	for (size_t i = 0; i < p->ntargets; i++)
		targets[i] = (struct flame_target){ p->targets[i], comm_of(p, p->targets[i]) };
	symbolizer_stats(p->sym, &ss);
	run.objects = ss.objects;
	run.objects_unreadable = ss.objects_failed;
	run.files_refused = ss.files_refused;
	run.sections_refused = ss.sections_refused;
	run.frames = ss.frames;
	run.frames_unresolved = ss.unresolved;
	sb_reset(&p->summary);
	err = flame_summary(p->flame, &run, &p->summary);
	free(targets);
	return err;
}

int profiler_collect(struct profiler *p)
{
	int fd = bpf_map__fd(p->skel->maps.prof_counts);
	struct lg_stack_key key, next, *prev = NULL;
	char (*fr)[FRAME_LEN] = malloc(MAX_FRAMES * FRAME_LEN);
	const char **ptrs = malloc(MAX_FRAMES * sizeof(*ptrs));
	struct timespec rt;
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
	clock_gettime(CLOCK_REALTIME, &rt);
	pprof_time(flame_pprof(p->flame), (int64_t)rt.tv_sec * 1000000000ll + rt.tv_nsec -
		   (int64_t)(p->t_collect_ns - p->t_attach_ns),
		   (int64_t)(p->t_collect_ns - p->t_attach_ns));
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		__u64 value;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &value))
			continue;
		err = add_key(p, &key, value, fr, ptrs);
		if (err == -EINVAL)
			err = 0;	/* a phase this build does not know: nothing to show it as */
		if (err)
			goto out;
	}
	p->collected = 1;
	err = write_summary(p);
out:
	free(fr);
	free(ptrs);
	return err;
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

/* Where the output files go: the folder opened at the start, and its name for messages. */
struct out_dir {
	int fd;
	const char *name;
};

/* A new file renamed over the old one (io/outfile.h): a link planted in dir is never followed. */
static int write_bytes(const struct out_dir *dir, const char *name, const void *buf, size_t len)
{
	int err = outfile_replace_at(dir->fd, name, buf, len, OUTFILE_MODE);

	if (err)
		fprintf(stderr, "latgov: cannot write %s/%s: %s\n", dir->name, name,
			strerror(-err));
	return err;
}

static int write_folded(const struct out_dir *dir, const char *name, const struct folded *f)
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

static int write_svg(const struct out_dir *dir, const char *name, const struct folded *f,
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

int profiler_write(struct profiler *p, int dirfd, const char *dir_name)
{
	const struct out_dir dir = { .fd = dirfd, .name = dir_name };
	struct svg_options so = { 0 };
	struct strbuf sb, raw;
	char subtitle[256], duration[UNITS_LEN];
	int err;

	if (!p->collected) {
		err = profiler_collect(p);
		if (err)
			return err;
	}
	err = write_folded(&dir, "oncpu.folded", flame_folded(p->flame, FLAME_ONCPU));
	if (!err)
		err = write_folded(&dir, "offcpu.folded", flame_folded(p->flame, FLAME_OFFCPU));
	if (!err)
		err = write_folded(&dir, "latency.folded", flame_folded(p->flame, FLAME_LATENCY));
	if (err)
		return err;

	snprintf(subtitle, sizeof(subtitle), "%s; on-CPU from %u Hz samples%s; width in proportion to time",
		 units_ns(p->t_collect_ns - p->t_attach_ns, duration, sizeof(duration)), p->cfg.hz,
		 p->cfg.off_cpu ? ", off-CPU from scheduler spans" : "");
	so.title = p->cfg.off_cpu ? "Wall-time flame graph: on-CPU, run queue, blocked, throttled" : "On-CPU flame graph";
	so.subtitle = subtitle;
	so.weight = SVG_WEIGHT_US;
	err = write_svg(&dir, "flame.svg", flame_folded(p->flame, FLAME_WALL), &so);
	if (err)
		return err;
	/* The latency flame, when requests were in flight: width is a share of request wall time. */
	if (folded_total(flame_folded(p->flame, FLAME_LATENCY))) {
		so.title = "Latency flame graph: requests in flight, by endpoint and state";
		err = write_svg(&dir, "latency.svg", flame_folded(p->flame, FLAME_LATENCY), &so);
		if (err)
			return err;
	}

	sb_init(&raw);
	sb_init(&sb);
	err = pprof_encode(flame_pprof(p->flame), &raw);
	if (!err)
		err = pprof_gzip(raw.buf, raw.len, &sb);
	if (!err)
		err = write_bytes(&dir, "profile.pb.gz", sb.buf, sb.len);
	sb_free(&raw);
	sb_free(&sb);
	if (err)
		return err;
	return write_bytes(&dir, "summary.txt", p->summary.buf ? p->summary.buf : "", p->summary.len);
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
	flame_free(p->flame);
	free(p->comms);
	sb_free(&p->summary);
	free(p);
}
