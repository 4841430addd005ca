/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * 'latgov check': turns raw probe results into rows of ok / degraded / missing,
 * each with a one-line remedy, and formats them as text or JSON. Pure: the
 * probing itself is in user/cmd_check.c.
 */
#ifndef LATGOV_CHECK_REPORT_H
#define LATGOV_CHECK_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/jsonw.h"

/*
 * The configurations 'latgov check' loads the request tracer in, each as a
 * session would (the tracer's own plan and load, user/tracer.c), so that
 * check reports exactly the hooks each will use.
 */
enum check_mode {
	CHECK_MODE_TRACE = 0,	/* latgov trace */
	CHECK_MODE_READS,	/* trace of a process that shares its listening socket with others */
	CHECK_MODE_SCHED,	/* trace --sched, govern */
	CHECK_MODE_FLAME,	/* flame --off-cpu */
	CHECK_MODE__MAX
};

/* What loading the tracer in one mode found. */
struct check_tracer {
	int err;			/* 0: it loads and attaches */
	const char *path;		/* its plan's hook path: "arrivals", "sock_length", "syscalls" */
	uint64_t load;			/* its plan's programs: bit i is tracer_hooks[i] (core/tracer_plan.h) */
	int hook_err[64];		/* with err: each program of the plan loaded alone, 0 or -errno */
	char msg[160];			/* with err: what the tracer would say */
};

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
	struct check_tracer tracer[CHECK_MODE__MAX];
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
	/* Per mode, for the JSON form: whether it loads, and its programs. */
	int mode_ok[CHECK_MODE__MAX];
	uint64_t mode_load[CHECK_MODE__MAX];
	const char *tracer_path;	/* how trace carries requests here, NULL if it cannot */
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
