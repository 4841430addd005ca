// SPDX-License-Identifier: GPL-2.0-only
/*
 * 'latgov check': probes this machine by loading and attaching the real
 * programs of bpf/probe.bpf.c one at a time, then hands the raw results to
 * the pure report builder (core/check_report.c).
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf_log.h"
#include "commands.h"
#include "core/check_report.h"
#include "core/jsonw.h"
#include "probe.skel.h"
#include "tracer.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT   38
#define CAP_BPF_BIT       39

static unsigned long long effective_caps(void)
{
	unsigned long long caps = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

static int read_int_file(const char *path, int dflt)
{
	int v = dflt;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

/* Loads probe.bpf.o with only `prog` enabled; attaches it unless attach == 0. */
static int try_program(const char *prog, int attach)
{
	struct probe_bpf *skel;
	struct bpf_program *p, *want = NULL;
	struct bpf_link *link;
	int err;

	skel = probe_bpf__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_program(p, skel->obj) {
		if (strcmp(bpf_program__name(p), prog) == 0)
			want = p;
		else
			bpf_program__set_autoload(p, false);
	}
	if (!want) {
		err = -ENOENT;
		goto out;
	}
	err = probe_bpf__load(skel);
	if (err || !attach)
		goto out;
	link = bpf_program__attach(want);
	if (!link) {
		err = -errno;
		goto out;
	}
	bpf_link__destroy(link);
out:
	probe_bpf__destroy(skel);
	return err;
}

/* A perf_event program with stacks, attached to a CPU-clock event on CPU 0. */
static int try_perf_event(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.size = sizeof(attr),
		.freq = 1,
		.sample_freq = 99,
	};
	struct probe_bpf *skel;
	struct bpf_program *p;
	struct bpf_link *link;
	int fd, err;

	skel = probe_bpf__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == skel->progs.perf_sample);
	err = probe_bpf__load(skel);
	if (err)
		goto out;
	fd = (int)syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	link = bpf_program__attach_perf_event(skel->progs.perf_sample, fd);
	if (!link)
		err = -errno;
	bpf_link__destroy(link);
	close(fd);
out:
	probe_bpf__destroy(skel);
	return err;
}

static const char *find_tracefs(void)
{
	struct stat st;

	if (stat("/sys/kernel/tracing/events", &st) == 0)
		return "/sys/kernel/tracing";
	if (stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return "/sys/kernel/debug/tracing";
	return NULL;
}

static void append_list(char *list, size_t len, const char *word)
{
	size_t n = strlen(list);

	snprintf(list + n, len - n, "%s%s", n ? "," : "", word);
}

/* Which controllers are mounted as v1, and where cgroup2 is with what enabled. */
static void probe_cgroups(struct check_probe *p)
{
	static const char *const controllers[] = { "cpu", "cpuacct", "cpuset", "memory", "io", "blkio", "pids" };
	char dev[256], mnt[256], type[64], opts[512], path[300];
	FILE *f = fopen("/proc/self/mounts", "r");

	if (!f)
		return;
	while (fscanf(f, "%255s %255s %63s %511s %*d %*d", dev, mnt, type, opts) == 4) {
		if (strcmp(type, "cgroup") == 0) {
			for (size_t i = 0; i < sizeof(controllers) / sizeof(controllers[0]); i++) {
				char *o, *save = NULL, copy[512];

				snprintf(copy, sizeof(copy), "%s", opts);
				for (o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save))
					if (strcmp(o, controllers[i]) == 0)
						append_list(p->cgroup_v1, sizeof(p->cgroup_v1), controllers[i]);
			}
		} else if (strcmp(type, "cgroup2") == 0 && !p->cgroup_v2_path[0]) {
			FILE *c;

			snprintf(p->cgroup_v2_path, sizeof(p->cgroup_v2_path), "%s", mnt);
			snprintf(path, sizeof(path), "%s/cgroup.controllers", mnt);
			c = fopen(path, "r");
			if (c) {
				if (!fgets(p->cgroup_v2, sizeof(p->cgroup_v2), c))
					p->cgroup_v2[0] = '\0';
				p->cgroup_v2[strcspn(p->cgroup_v2, "\n")] = '\0';
				fclose(c);
			}
		}
	}
	fclose(f);
}

/*
 * The request tracer in mode m, as a session in that mode would load it
 * (tracer_probe: its own plan and load, attached then detached); with load
 * 0, only its plan (its load is known to work from a mode that loads more).
 */
static void probe_tracer(enum check_mode m, int load, struct check_tracer *out)
{
	struct tracer_config cfg = { .sched = m == CHECK_MODE_SCHED || m == CHECK_MODE_FLAME,
				     .prof_shared = m == CHECK_MODE_FLAME,
				     .need_reads = m == CHECK_MODE_READS,
				     .prof_min_span_ns = LG_OFFCPU_MIN_SPAN_NS };
	struct tracer_probe probe;

	memset(&probe, 0, sizeof(probe));
	if (load)
		tracer_probe(&cfg, &probe);
	else
		tracer_plan_of(&cfg, &probe.plan);
	out->err = probe.err;
	out->path = probe.plan.path;
	out->load = probe.plan.load;
	memcpy(out->hook_err, probe.hook_err, sizeof(out->hook_err));
	snprintf(out->msg, sizeof(out->msg), "%s", probe.msg);
}

/*
 * Plain trace is loaded as it is; flame --off-cpu loads every program the
 * other modes do and more, so where it loads, so do they (their plans are
 * still their own). Only where it fails are they loaded one by one, to
 * tell which work: loads are slow where the syscall fallback is in use.
 */
static void probe_tracer_modes(struct check_tracer *t)
{
	const struct check_tracer *flame = &t[CHECK_MODE_FLAME];

	probe_tracer(CHECK_MODE_TRACE, 1, &t[CHECK_MODE_TRACE]);
	probe_tracer(CHECK_MODE_FLAME, 1, &t[CHECK_MODE_FLAME]);
	for (enum check_mode m = CHECK_MODE_READS; m <= CHECK_MODE_SCHED; m++) {
		probe_tracer(m, 0, &t[m]);
		if (flame->err || (t[m].load & ~flame->load))
			probe_tracer(m, 1, &t[m]);
	}
}

static void probe_machine(struct check_probe *p)
{
	unsigned long long caps = effective_caps();
	struct utsname u;
	struct btf *btf;
	int r;

	memset(p, 0, sizeof(*p));
	p->euid = (int)geteuid();
	p->has_bpf_caps = (caps >> CAP_SYS_ADMIN_BIT & 1) ||
			  ((caps >> CAP_BPF_BIT & 1) && (caps >> CAP_PERFMON_BIT & 1));
	p->unprivileged_bpf_disabled = read_int_file("/proc/sys/kernel/unprivileged_bpf_disabled", -1);
	if (uname(&u) == 0)
		snprintf(p->kernel, sizeof(p->kernel), "%s", u.release);

	probe_cgroups(p);
	p->psi_system = access("/proc/pressure/cpu", R_OK) == 0;
	if (p->euid != 0 && !p->has_bpf_caps)
		return;		/* nothing below can load without privileges */

	r = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL);
	p->bpf_err = r == 1 ? 0 : r < 0 ? r : -EOPNOTSUPP;

	btf = btf__load_vmlinux_btf();
	p->btf_err = btf ? 0 : -errno;
	btf__free(btf);

	p->tracefs = find_tracefs();
	p->ringbuf_err = try_program("tp_ringbuf", 1);
	p->perf_err = try_perf_event();
	probe_tracer_modes(p->tracer);
}

int cmd_check(const struct lg_options *opts)
{
	struct check_probe probe;
	struct check_report report;
	struct jsonw jw;
	char text[8192];
	int err;

	bpf_log_quiet(1);	/* a probe that fails is a finding, not an error */
	probe_machine(&probe);
	bpf_log_quiet(0);
	check_build(&probe, &report);

	if (opts->json) {
		jw_init(&jw);
		check_format_json(&report, &jw);
		err = jw_finish(&jw);
		if (err) {
			fprintf(stderr, "latgov check: out of memory\n");
			jw_free(&jw);
			return err;
		}
		printf("%s\n", jw.buf);
		jw_free(&jw);
	} else {
		check_format_text(&report, text, sizeof(text));
		fputs(text, stdout);
	}
	/* the report named what is missing and how to get it */
	return check_exit_status(&report) ? -EOPNOTSUPP : 0;
}
