/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cgroup actuators: one interface over cgroup v1 and v2.
 *
 * A target is opened from one path. The version is detected per target (a
 * hybrid host such as Debian 12 with v1 cpu/memory and a v2 "unified" tree
 * works). On v1, CPU, CPU accounting and memory live in separate hierarchies:
 * the siblings with the same relative name (…/cpu/X, …/cpuacct/X, …/memory/X)
 * are found and used when they exist.
 *
 * Paths are confined to the cgroup file system: every directory is resolved
 * with realpath() and must be on a cgroup or cgroup2 mount (statfs magic).
 * Unit tests pass test_root instead: the tree under it is a plain temp
 * directory, and only "stays under test_root" is checked.
 *
 * All functions return 0 (or a byte count) on success and -errno on failure.
 */
#ifndef LATGOV_IO_CGROUP_H
#define LATGOV_IO_CGROUP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

enum cg_version {
	CG_V1 = 1,
	CG_V2 = 2,
};

/* The files latgov may write, named by what they do. */
enum cg_knob {
	CG_KNOB_CPU_MAX = 0,	/* v2 cpu.max ("quota period"); v1 cpu.cfs_quota_us */
	CG_KNOB_CPU_PERIOD,	/* v1 cpu.cfs_period_us; v2 has it inside cpu.max */
	CG_KNOB_CPU_WEIGHT,	/* v2 cpu.weight; v1 cpu.shares */
	CG_KNOB_MEM_HIGH,	/* v2 memory.high; v1 memory.soft_limit_in_bytes */
	CG_KNOB_MEM_MAX,	/* v2 memory.max; v1 memory.limit_in_bytes */
	CG_KNOB_COUNT,
};

#define CG_UNLIMITED UINT64_MAX

struct cg_target {
	enum cg_version version;
	char cpu_dir[PATH_MAX];		/* "" if the target has no CPU controller */
	char cpuacct_dir[PATH_MAX];	/* v1 usage accounting; "" if absent */
	char mem_dir[PATH_MAX];		/* "" if the target has no memory controller */
	char path[PATH_MAX];		/* the resolved path the user named */
	/* One name per cgroup whichever v1 sibling the user named (the cpu
	 * side if there is one): the key of its state file and lock. */
	char key[PATH_MAX];
};

struct cg_stats {
	int have_usage;
	uint64_t usage_ns;		/* cumulative CPU time */
	uint64_t nr_periods;
	uint64_t nr_throttled;
	uint64_t throttled_ns;		/* v1 throttled_time (ns), v2 throttled_usec x 1000 */
	int have_mem;
	uint64_t mem_usage;		/* bytes */
	uint64_t mem_events;		/* cumulative: v2 high + max events; v1 failcnt */
	uint64_t oom_kills;		/* v2 memory.events oom_kill; v1 memory.oom_control oom_kill */
	int have_psi;			/* v2 only */
	uint64_t cpu_some_us;		/* PSI totals */
	uint64_t mem_some_us;
};

/*
 * Opens the cgroup at path. test_root NULL: the real cgroup file system,
 * confined by statfs. Otherwise a fake tree under test_root (unit tests).
 * On failure err says why and what to do.
 */
int cg_open(struct cg_target *t, const char *path, const char *test_root, char *err, size_t errlen);

/*
 * Checks that dir is a cgroup, as cg_open does: resolved (realpath) into out
 * (PATH_MAX bytes), a directory on a cgroup or cgroup2 file system (statfs
 * magic) of the real machine. *hierarchy_root is 1 for the root of its
 * hierarchy (the top of its mount), whose processes are the whole host's.
 * Returns 0; -EPERM if dir is not on a cgroup file system, -ENOTDIR, or the
 * -errno of realpath() or stat(); err says which and what to do.
 */
int cg_check_dir(const char *dir, char *out, int *hierarchy_root, char *err, size_t errlen);

/* The file behind a knob: "cpu.max", "cpu.cfs_quota_us", ... */
const char *cg_knob_file(const struct cg_target *t, enum cg_knob k);

/* Full path of a knob's file; -ENOENT if the target lacks that controller or knob. */
int cg_knob_path(const struct cg_target *t, enum cg_knob k, char *buf, size_t len);

/* Reads a knob's value, trailing newline removed. */
int cg_read_knob(const struct cg_target *t, enum cg_knob k, char *buf, size_t len);

/*
 * Writes value to a knob as it is. nonblock opens with O_NONBLOCK, which
 * kernels with "memcg: introduce non-blocking limit setting option" honour
 * for memory.high (no synchronous reclaim); older kernels ignore it, so
 * callers still keep memory writes off their loop.
 */
int cg_write_knob(const struct cg_target *t, enum cg_knob k, const char *value, int nonblock);

/* The CFS period in µs (v1 cpu.cfs_period_us, v2 the second field of cpu.max). */
int cg_cpu_period(const struct cg_target *t, uint64_t *period_us);

/*
 * Text for CG_KNOB_CPU_MAX holding millicores (0 = unlimited) with the given
 * period: v2 "50000 100000" / "max 100000", v1 "50000" / "-1".
 */
int cg_format_cpu(const struct cg_target *t, uint64_t millicores, uint64_t period_us,
		  char *buf, size_t len);
/* The reverse: *millicores = 0 for no limit. */
int cg_parse_cpu(const struct cg_target *t, const char *text, uint64_t period_us,
		 uint64_t *millicores);

/* Text for a memory knob: v2 "max", v1 "-1" for CG_UNLIMITED; else bytes, page-aligned down. */
int cg_format_mem(const struct cg_target *t, uint64_t bytes, char *buf, size_t len);

/*
 * The text for CG_KNOB_CPU_WEIGHT: v2 cpu.weight (1..10000, 100 = default),
 * v1 cpu.shares scaled from it (1024 = default, clamped to 2..262144).
 * Returns 0, or -EINVAL for a weight outside 1..10000.
 */
int cg_format_weight(const struct cg_target *t, uint32_t weight, char *buf, size_t len);
/* "max", "-1" or the v1 huge value mean CG_UNLIMITED. */
int cg_parse_mem(const char *text, uint64_t *bytes);

/* Cumulative counters; parts the target lacks are flagged have_* = 0. */
int cg_read_stats(const struct cg_target *t, struct cg_stats *s);

/* Rates between two cgroup readings dt_ns apart. */
struct cg_rates {
	double usage_cores;		/* -1: unknown (v1 without cpuacct) */
	double throttle_ratio;		/* delta nr_throttled / delta nr_periods; 0 without periods */
	uint64_t periods;
	uint64_t throttled;
	uint64_t throttled_ns;
	uint64_t mem_events;
	uint64_t oom_kills;
	double cpu_pressure;		/* PSI some share; -1 unknown */
	double mem_pressure;
};

void cg_rates_between(const struct cg_stats *a, const struct cg_stats *b, uint64_t dt_ns,
		      struct cg_rates *r);

#endif
