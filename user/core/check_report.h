/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * 'latgov check': turns raw probe results into rows of ok / degraded / missing,
 * each with a one-line remedy, and formats them as text or JSON. Pure: the
 * probing itself is in user/cmd_check.c.
 */
#ifndef LATGOV_CHECK_REPORT_H
#define LATGOV_CHECK_REPORT_H

#include <stddef.h>

#include "core/jsonw.h"

/* What a hook is for decides how much its absence matters. */
enum check_use {
	USE_CORE,		/* the tracer cannot work without it */
	USE_SOCK,		/* fast request path; the syscall path can stand in */
	USE_SYSCALL,		/* fallback request path (kernels < 6.3) */
	USE_DETAIL,		/* arrival times and prefixes: accuracy, not function */
	USE_FLAME,		/* scheduler attribution and flame graphs */
	USE_STORAGE,		/* task-local storage: the tracer's per-thread state */
	USE_ITER,		/* task iterator: off-CPU time still held by threads, for --flame --off-cpu */
};

struct check_hook {
	const char *tracepoint;	/* "sock:sock_recv_length", or the name of a feature */
	const char *prog;	/* program name in bpf/probe.bpf.c */
	enum check_use use;
};

/* Every hook latgov uses, in display order. */
extern const struct check_hook check_hooks[];
extern const size_t check_nhooks;

/* What the shell found. -errno values are kept for the detail text. */
struct check_probe {
	int euid;
	int has_bpf_caps;		/* CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN in the effective set */
	int unprivileged_bpf_disabled;	/* /proc/sys/kernel/unprivileged_bpf_disabled, -1 unknown */
	int bpf_err;			/* 0 if a trivial program loaded */
	int btf_err;			/* 0 if /sys/kernel/btf/vmlinux loaded */
	int ringbuf_err;		/* 0 if a ring buffer map and a program using it loaded */
	int perf_err;			/* 0 if a perf_event program with stacks loaded and attached */
	const char *tracefs;		/* mount point of tracefs, NULL if none */
	int hook_err[32];		/* per check_hooks[] entry: 0 = loaded and attached */
	char kernel[64];		/* uname -r */
	/* cgroups, as found in /proc/self/mounts */
	char cgroup_v1[256];		/* "cpu,cpuacct,memory,..." mounted as v1, "" if none */
	char cgroup_v2_path[128];	/* cgroup2 mount point, "" if none */
	char cgroup_v2[256];		/* controllers enabled in the v2 root */
	int psi_system;			/* /proc/pressure/cpu readable */
};

enum check_status { CHECK_OK = 0, CHECK_DEGRADED, CHECK_MISSING };

struct check_row {
	char name[48];
	enum check_status status;
	int required;			/* missing => latgov cannot work here */
	char detail[160];
	char remedy[200];		/* empty when ok */
};

#define CHECK_MAX_ROWS 48

struct check_report {
	struct check_row rows[CHECK_MAX_ROWS];
	size_t nrows;
	const char *tracer_path;	/* "sock_*_length tracepoints", "syscall tracepoints (fallback)" or NULL */
	const char *cgroup_mode;	/* "v1", "v2", "hybrid" or "none" */
};

/* Builds the rows from a probe. */
void check_build(const struct check_probe *p, struct check_report *r);

/* 1 if any required row is missing, else 0: the exit status of 'latgov check'. */
int check_exit_status(const struct check_report *r);

/*
 * Formats the report as a table into buf (always NUL-terminated). Returns the
 * length the full text needs, like snprintf.
 */
size_t check_format_text(const struct check_report *r, char *buf, size_t len);
void check_format_json(const struct check_report *r, struct jsonw *jw);

#endif
