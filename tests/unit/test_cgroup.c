// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup v1/v2 actuators and state files against a fake cgroup tree in a
 * temp dir (the test root stands in for /sys/fs/cgroup; no root needed).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/cgroup.h"
#include "io/statefile.h"

struct fake {
	char root[PATH_MAX];
	char state_dir[PATH_MAX + 16];
};

static void put(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX * 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void get(const char *root, const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX * 2];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	while (n && buf[n - 1] == '\n')
		buf[--n] = 0;
}

static void mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX * 2];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	char tmpl[] = "/tmp/latgov-test-cgroup-XXXXXX";

	if (!f || !mkdtemp(tmpl))
		return -1;
	snprintf(f->root, sizeof(f->root), "%s", tmpl);
	/* v1: separate cpu, cpuacct and memory hierarchies, as on Debian 12 */
	mkdirs(f->root, "cpu");
	mkdirs(f->root, "cpu/web");
	put(f->root, "cpu/web/cpu.cfs_quota_us", "-1\n");
	put(f->root, "cpu/web/cpu.cfs_period_us", "100000\n");
	put(f->root, "cpu/web/cpu.shares", "1024\n");
	put(f->root, "cpu/web/cpu.stat", "nr_periods 200\nnr_throttled 50\nthrottled_time 123456789\nnr_bursts 0\nburst_time 0\n");
	mkdirs(f->root, "cpuacct");
	mkdirs(f->root, "cpuacct/web");
	put(f->root, "cpuacct/web/cpuacct.usage", "5000000000\n");
	mkdirs(f->root, "memory");
	mkdirs(f->root, "memory/web");
	put(f->root, "memory/web/memory.limit_in_bytes", "9223372036854771712\n");
	put(f->root, "memory/web/memory.soft_limit_in_bytes", "9223372036854771712\n");
	put(f->root, "memory/web/memory.usage_in_bytes", "104857600\n");
	put(f->root, "memory/web/memory.failcnt", "3\n");
	put(f->root, "memory/web/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
	/* v2: one unified tree */
	mkdirs(f->root, "unified");
	mkdirs(f->root, "unified/api");
	put(f->root, "unified/api/cgroup.controllers", "cpuset cpu io memory pids\n");
	put(f->root, "unified/api/cpu.max", "max 100000\n");
	put(f->root, "unified/api/cpu.weight", "100\n");
	put(f->root, "unified/api/cpu.stat", "usage_usec 2000000\nuser_usec 1500000\nsystem_usec 500000\nnr_periods 10\nnr_throttled 4\nthrottled_usec 7000\nnr_bursts 0\nburst_usec 0\n");
	put(f->root, "unified/api/memory.high", "max\n");
	put(f->root, "unified/api/memory.max", "max\n");
	put(f->root, "unified/api/memory.current", "52428800\n");
	put(f->root, "unified/api/memory.events", "low 0\nhigh 7\nmax 2\noom 0\noom_kill 0\noom_group_kill 0\n");
	put(f->root, "unified/api/cpu.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1234\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=99\n");
	put(f->root, "unified/api/memory.pressure", "some avg10=0.00 avg60=0.00 avg300=0.00 total=777\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=5\n");
	mkdirs(f->root, "unified/nocpu");
	put(f->root, "unified/nocpu/cgroup.controllers", "pids\n");
	snprintf(f->state_dir, sizeof(f->state_dir), "%s/run", f->root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;
	char cmd[PATH_MAX + 32];
	int rc;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	rc = system(cmd);
	free(f);
	return rc == 0 ? 0 : -1;
}

static void path_of(const struct fake *f, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", f->root, rel);
}

static void test_v1_open_finds_siblings(void **state)
{
	struct fake *f = *state;
	char p[PATH_MAX * 2], want[PATH_MAX * 2], err[512] = "";
	struct cg_target t;

	path_of(f, "cpu/web", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), 0);
	assert_int_equal(t.version, CG_V1);
	assert_string_equal(t.cpu_dir, p);
	path_of(f, "memory/web", want, sizeof(want));
	assert_string_equal(t.mem_dir, want);
	path_of(f, "cpuacct/web", want, sizeof(want));
	assert_string_equal(t.cpuacct_dir, want);
	assert_string_equal(cg_knob_file(&t, CG_KNOB_CPU_MAX), "cpu.cfs_quota_us");
	assert_string_equal(cg_knob_file(&t, CG_KNOB_MEM_HIGH), "memory.soft_limit_in_bytes");
	assert_string_equal(cg_knob_file(&t, CG_KNOB_CPU_WEIGHT), "cpu.shares");

	/* named by its memory path, the same cgroup finds its cpu side */
	path_of(f, "memory/web", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), 0);
	path_of(f, "cpu/web", want, sizeof(want));
	assert_string_equal(t.cpu_dir, want);
	/* one lock and state file whichever side is named */
	assert_string_equal(t.key, want);
}

static void test_v1_cpu_and_memory(void **state)
{
	struct fake *f = *state;
	char p[PATH_MAX * 2], buf[128], err[512] = "";
	struct cg_target t;
	struct cg_stats st;
	uint64_t period, mc, bytes;

	path_of(f, "cpu/web", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), 0);
	assert_int_equal(cg_cpu_period(&t, &period), 0);
	assert_int_equal(period, 100000);
	assert_int_equal(cg_format_cpu(&t, 1500, period, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "150000");
	assert_int_equal(cg_format_cpu(&t, 0, period, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "-1");
	assert_int_equal(cg_format_cpu(&t, 5, period, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1000");	/* the kernel's 1 ms minimum */

	assert_int_equal(cg_format_cpu(&t, 500, period, buf, sizeof(buf)), 0);
	assert_int_equal(cg_write_knob(&t, CG_KNOB_CPU_MAX, buf, 0), 0);
	get(f->root, "cpu/web/cpu.cfs_quota_us", buf, sizeof(buf));
	assert_string_equal(buf, "50000");
	assert_int_equal(cg_read_knob(&t, CG_KNOB_CPU_MAX, buf, sizeof(buf)), 0);
	assert_int_equal(cg_parse_cpu(&t, buf, period, &mc), 0);
	assert_int_equal(mc, 500);
	assert_int_equal(cg_parse_cpu(&t, "-1", period, &mc), 0);
	assert_int_equal(mc, 0);

	assert_int_equal(cg_read_knob(&t, CG_KNOB_MEM_MAX, buf, sizeof(buf)), 0);
	assert_int_equal(cg_parse_mem(buf, &bytes), 0);
	assert_true(bytes == CG_UNLIMITED);
	assert_int_equal(cg_format_mem(&t, (256ull << 20) + 100, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "268435456");	/* page-aligned down */
	assert_int_equal(cg_write_knob(&t, CG_KNOB_MEM_HIGH, buf, 1), 0);
	get(f->root, "memory/web/memory.soft_limit_in_bytes", buf, sizeof(buf));
	assert_string_equal(buf, "268435456");
	/* v1 weight is cpu.shares, scaled from the v2 range and clamped to its own. */
	assert_int_equal(cg_format_weight(&t, 100, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1024");
	assert_int_equal(cg_format_weight(&t, 1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "10");
	assert_int_equal(cg_format_weight(&t, 10000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "102400");
	assert_int_equal(cg_format_weight(&t, 0, buf, sizeof(buf)), -EINVAL);

	assert_int_equal(cg_read_stats(&t, &st), 0);
	assert_int_equal(st.have_usage, 1);
	assert_int_equal(st.usage_ns, 5000000000ull);
	assert_int_equal(st.nr_periods, 200);
	assert_int_equal(st.nr_throttled, 50);
	assert_int_equal(st.throttled_ns, 123456789ull);
	assert_int_equal(st.have_mem, 1);
	assert_int_equal(st.mem_usage, 104857600ull);
	assert_int_equal(st.mem_events, 3);
	assert_int_equal(st.oom_kills, 1);
	assert_int_equal(st.have_psi, 0);
}

static void test_v2(void **state)
{
	struct fake *f = *state;
	char p[PATH_MAX * 2], buf[128], err[512] = "";
	struct cg_target t;
	struct cg_stats st;
	uint64_t period, mc;

	path_of(f, "unified/api", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), 0);
	assert_int_equal(t.version, CG_V2);
	assert_string_equal(t.cpu_dir, p);
	assert_string_equal(t.mem_dir, p);
	assert_string_equal(cg_knob_file(&t, CG_KNOB_CPU_MAX), "cpu.max");
	assert_string_equal(cg_knob_file(&t, CG_KNOB_MEM_HIGH), "memory.high");
	assert_string_equal(cg_knob_file(&t, CG_KNOB_CPU_WEIGHT), "cpu.weight");
	assert_int_equal(cg_knob_path(&t, CG_KNOB_CPU_PERIOD, buf, sizeof(buf)), -ENOENT);

	assert_int_equal(cg_cpu_period(&t, &period), 0);
	assert_int_equal(period, 100000);
	assert_int_equal(cg_format_cpu(&t, 250, period, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "25000 100000");
	assert_int_equal(cg_write_knob(&t, CG_KNOB_CPU_MAX, buf, 0), 0);
	get(f->root, "unified/api/cpu.max", buf, sizeof(buf));
	assert_string_equal(buf, "25000 100000");
	assert_int_equal(cg_parse_cpu(&t, buf, period, &mc), 0);
	assert_int_equal(mc, 250);
	assert_int_equal(cg_format_cpu(&t, 0, period, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "max 100000");
	assert_int_equal(cg_format_mem(&t, CG_UNLIMITED, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "max");
	assert_int_equal(cg_format_weight(&t, 250, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "250");

	assert_int_equal(cg_read_stats(&t, &st), 0);
	assert_int_equal(st.usage_ns, 2000000000ull);
	assert_int_equal(st.nr_periods, 10);
	assert_int_equal(st.nr_throttled, 4);
	assert_int_equal(st.throttled_ns, 7000000ull);
	assert_int_equal(st.mem_usage, 52428800ull);
	assert_int_equal(st.mem_events, 9);	/* high 7 + max 2 */
	assert_int_equal(st.have_psi, 1);
	assert_int_equal(st.cpu_some_us, 1234);
	assert_int_equal(st.mem_some_us, 777);
}

static void test_rates(void **state)
{
	struct cg_stats a = { .have_usage = 1, .usage_ns = 1000000000ull, .nr_periods = 100,
			      .nr_throttled = 10, .throttled_ns = 5000000, .mem_events = 3,
			      .have_psi = 1, .cpu_some_us = 1000, .mem_some_us = 2000 };
	struct cg_stats b = a;
	struct cg_rates r;

	(void)state;
	b.usage_ns += 1500000000ull;	/* 1.5 s of CPU in 2 s */
	b.nr_periods += 20;
	b.nr_throttled += 5;
	b.throttled_ns += 250000000ull;
	b.mem_events += 2;
	b.mem_some_us += 20000;		/* 20 ms stalled in 2 s */
	cg_rates_between(&a, &b, 2000000000ull, &r);
	assert_true(r.usage_cores > 0.7499 && r.usage_cores < 0.7501);
	assert_true(r.throttle_ratio > 0.2499 && r.throttle_ratio < 0.2501);
	assert_int_equal(r.periods, 20);
	assert_int_equal(r.throttled, 5);
	assert_int_equal(r.throttled_ns, 250000000ull);
	assert_int_equal(r.mem_events, 2);
	assert_true(r.mem_pressure > 0.0099 && r.mem_pressure < 0.0101);
	assert_true(r.cpu_pressure == 0);

	/* no periods (no quota): no throttling; no accounting: usage unknown */
	b = a;
	b.have_usage = 0;
	b.have_psi = 0;
	cg_rates_between(&a, &b, 1000000000ull, &r);
	assert_true(r.throttle_ratio == 0);
	assert_true(r.usage_cores < 0);
	assert_true(r.mem_pressure < 0);
	/* counters that went backwards (cgroup recreated) give no rate, not a huge one */
	b = a;
	b.nr_periods = 1;
	b.usage_ns = 1;
	cg_rates_between(&a, &b, 1000000000ull, &r);
	assert_true(r.throttle_ratio == 0);
	assert_true(r.usage_cores < 0);
}

static void test_open_errors(void **state)
{
	struct fake *f = *state;
	char p[PATH_MAX * 2], err[512] = "", want[PATH_MAX * 3];
	struct cg_target t;

	path_of(f, "unified/nocpu", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), -EOPNOTSUPP);
	snprintf(want, sizeof(want),
		 "cgroup %s (v2) has neither the cpu nor the memory controller; enable them with 'echo +cpu +memory > PARENT/cgroup.subtree_control'",
		 p);
	assert_string_equal(err, want);

	path_of(f, "cpu", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "is the root of a cgroup hierarchy"));

	/* outside the (test) cgroup tree */
	assert_int_equal(cg_open(&t, "/tmp", f->root, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "outside the test tree"));

	path_of(f, "cpu/missing", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), -ENOENT);

	/* without test_root the real check applies: /tmp is no cgroup file system */
	assert_int_equal(cg_open(&t, f->root, NULL, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "is not on a cgroup file system"));
}

static void test_statefile_restore_own_values(void **state)
{
	struct fake *f = *state;
	char p[PATH_MAX * 2], quota[PATH_MAX * 2], shares[PATH_MAX * 2], buf[128], err[512] = "";
	struct statefile *sf, *second;
	struct cg_target t;

	path_of(f, "cpu/web", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), 0);
	assert_int_equal(statefile_acquire(&sf, f->state_dir, t.path, err, sizeof(err)), 0);

	/* a second latgov on the same cgroup is refused */
	assert_int_equal(statefile_acquire(&second, f->state_dir, t.path, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "is already governed by latgov pid"));

	assert_int_equal(cg_knob_path(&t, CG_KNOB_CPU_MAX, quota, sizeof(quota)), 0);
	assert_int_equal(cg_knob_path(&t, CG_KNOB_CPU_WEIGHT, shares, sizeof(shares)), 0);
	put(f->root, "cpu/web/cpu.cfs_quota_us", "-1\n");
	assert_int_equal(statefile_record(sf, quota, "-1"), 0);
	assert_int_equal(statefile_record(sf, shares, "1024"), 0);
	assert_int_equal(statefile_intend(sf, quota, "70000"), 0);
	assert_int_equal(cg_write_knob(&t, CG_KNOB_CPU_MAX, "70000", 0), 0);
	assert_int_equal(statefile_confirm(sf, quota, "70000"), 0);
	assert_int_equal(statefile_intend(sf, shares, "512"), 0);
	assert_int_equal(cg_write_knob(&t, CG_KNOB_CPU_WEIGHT, "512", 0), 0);
	assert_int_equal(statefile_confirm(sf, shares, "512"), 0);
	/* someone else changes the shares: restore must leave their value */
	put(f->root, "cpu/web/cpu.shares", "2048\n");

	assert_int_equal(statefile_restore(sf, f->root, NULL), 0);
	get(f->root, "cpu/web/cpu.cfs_quota_us", buf, sizeof(buf));
	assert_string_equal(buf, "-1");
	get(f->root, "cpu/web/cpu.shares", buf, sizeof(buf));
	assert_string_equal(buf, "2048");
	statefile_release(sf, 1);

	/* released: the next one gets it */
	assert_int_equal(statefile_acquire(&sf, f->state_dir, t.path, err, sizeof(err)), 0);
	statefile_release(sf, 1);
}

/* Opens /dev/null until the process has no descriptor left; returns how many it took. */
static int exhaust_fds(int *fds, int cap)
{
	int n = 0, fd;

	while (n < cap && (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		fds[n++] = fd;
	return n;
}

/* A latgov out of descriptors at the end still restores what it changed. */
static void test_statefile_restore_without_fds(void **state)
{
	struct fake *f = *state;
	char p[PATH_MAX * 2], quota[PATH_MAX * 2], buf[128], err[512] = "";
	static int fds[65536];
	struct statefile *sf;
	struct cg_target t;
	struct rlimit old, low;
	int n, ret;

	path_of(f, "cpu/web", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), 0);
	assert_int_equal(statefile_acquire(&sf, f->state_dir, t.path, err, sizeof(err)), 0);
	assert_int_equal(cg_knob_path(&t, CG_KNOB_CPU_MAX, quota, sizeof(quota)), 0);
	put(f->root, "cpu/web/cpu.cfs_quota_us", "-1\n");
	assert_int_equal(statefile_record(sf, quota, "-1"), 0);
	assert_int_equal(statefile_intend(sf, quota, "40000"), 0);
	assert_int_equal(cg_write_knob(&t, CG_KNOB_CPU_MAX, "40000", 0), 0);
	assert_int_equal(statefile_confirm(sf, quota, "40000"), 0);

	/* Every descriptor taken, under a limit low enough to take them all quickly. */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 256;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	n = exhaust_fds(fds, (int)(sizeof(fds) / sizeof(fds[0])));
	assert_true(open("/dev/null", O_RDONLY) < 0 && errno == EMFILE);
	ret = statefile_restore(sf, f->root, NULL);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(ret, 0);
	get(f->root, "cpu/web/cpu.cfs_quota_us", buf, sizeof(buf));
	assert_string_equal(buf, "-1");
	statefile_release(sf, 1);
}

static void test_statefile_after_crash(void **state)
{
	struct fake *f = *state;
	char p[PATH_MAX * 2], quota[PATH_MAX * 2], buf[128], err[512] = "";
	struct statefile *sf;
	struct cg_target t;
	pid_t pid;
	int status;

	path_of(f, "cpu/web", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), 0);
	assert_int_equal(cg_knob_path(&t, CG_KNOB_CPU_MAX, quota, sizeof(quota)), 0);
	put(f->root, "cpu/web/cpu.cfs_quota_us", "-1\n");

	/* a child records and writes, then dies without cleaning up (as after SIGKILL) */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (statefile_acquire(&sf, f->state_dir, t.path, err, sizeof(err)) ||
		    statefile_record(sf, quota, "-1") || statefile_intend(sf, quota, "30000") ||
		    cg_write_knob(&t, CG_KNOB_CPU_MAX, "30000", 0))
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	get(f->root, "cpu/web/cpu.cfs_quota_us", buf, sizeof(buf));
	assert_string_equal(buf, "30000");

	/* a new latgov is refused until the leftovers are restored */
	assert_int_equal(statefile_acquire(&sf, f->state_dir, t.path, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "run 'latgov restore --cgroup"));

	/* restoring another cgroup leaves this one */
	assert_int_equal(statefile_restore_dead(f->state_dir, "/elsewhere", f->root, NULL), 0);
	get(f->root, "cpu/web/cpu.cfs_quota_us", buf, sizeof(buf));
	assert_string_equal(buf, "30000");

	assert_int_equal(statefile_restore_dead(f->state_dir, t.path, f->root, NULL), 0);
	get(f->root, "cpu/web/cpu.cfs_quota_us", buf, sizeof(buf));
	assert_string_equal(buf, "-1");
	/* and the state is gone: a new latgov may start */
	assert_int_equal(statefile_acquire(&sf, f->state_dir, t.path, err, sizeof(err)), 0);
	statefile_release(sf, 1);
}

/* Lock files in the state folder. */
static int count_locks(const char *dir)
{
	struct dirent *de;
	int locks = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((de = readdir(d)))
		locks += strstr(de->d_name, ".lock") != NULL;
	closedir(d);
	return locks;
}

/* Killed before it changed anything: only its lock file is left, and restore removes it. */
static void test_statefile_lock_left_alone(void **state)
{
	struct fake *f = *state;
	char p[PATH_MAX * 2], err[512] = "";
	struct statefile *sf;
	struct cg_target t;
	int status;
	pid_t pid;

	path_of(f, "cpu/web", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(statefile_acquire(&sf, f->state_dir, t.path, err, sizeof(err)) ? 1 : 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(count_locks(f->state_dir), 1);
	/* another cgroup's restore leaves it; this one's removes it */
	assert_int_equal(statefile_restore_dead(f->state_dir, "/elsewhere", f->root, NULL), 0);
	assert_int_equal(count_locks(f->state_dir), 1);
	assert_int_equal(statefile_restore_dead(f->state_dir, t.path, f->root, NULL), 0);
	assert_int_equal(count_locks(f->state_dir), 0);
	/* a held lock is never removed */
	assert_int_equal(statefile_acquire(&sf, f->state_dir, t.path, err, sizeof(err)), 0);
	assert_int_equal(statefile_restore_dead(f->state_dir, NULL, f->root, NULL), 0);
	assert_int_equal(count_locks(f->state_dir), 1);
	statefile_release(sf, 1);
	assert_int_equal(count_locks(f->state_dir), 0);
}

static void test_knob_ctl(void **state)
{
	struct fake *f = *state;
	char p[PATH_MAX * 2], buf[256], err[512] = "";
	struct statefile *sf;
	struct knob_ctl k;
	struct cg_target t;
	FILE *dry;

	path_of(f, "cpu/web", p, sizeof(p));
	assert_int_equal(cg_open(&t, p, f->root, err, sizeof(err)), 0);
	assert_int_equal(statefile_acquire(&sf, f->state_dir, t.key, err, sizeof(err)), 0);
	assert_int_equal(knob_ctl_init(&k, &t, CG_KNOB_CPU_MAX, sf), 0);
	assert_string_equal(k.orig, "-1");

	/* dry run: says it, writes nothing */
	dry = tmpfile();
	assert_non_null(dry);
	assert_int_equal(knob_ctl_write(&k, &t, NULL, "50000", dry), 0);
	rewind(dry);
	assert_non_null(fgets(buf, sizeof(buf), dry));
	fclose(dry);
	assert_non_null(strstr(buf, "dry run: would write "));
	assert_non_null(strstr(buf, "/cpu/web/cpu.cfs_quota_us: -1 -> 50000\n"));
	get(f->root, "cpu/web/cpu.cfs_quota_us", buf, sizeof(buf));
	assert_string_equal(buf, "-1");

	assert_int_equal(knob_ctl_write(&k, &t, sf, "50000", NULL), 1);
	assert_string_equal(k.last, "50000");
	/* an unchanged value is never rewritten (a bandwidth write un-throttles):
	 * the trailing blank reads as the same value, and a write would drop it */
	put(f->root, "cpu/web/cpu.cfs_quota_us", "50000 \n");
	assert_int_equal(knob_ctl_write(&k, &t, sf, "50000", NULL), 0);
	get(f->root, "cpu/web/cpu.cfs_quota_us", buf, sizeof(buf));
	assert_string_equal(buf, "50000 ");
	assert_int_equal(knob_ctl_check(&k, &t, sf), 0);

	/* someone else writes: noticed once, never touched again, not restored */
	put(f->root, "cpu/web/cpu.cfs_quota_us", "70000\n");
	assert_int_equal(knob_ctl_check(&k, &t, sf), 1);
	assert_int_equal(knob_ctl_check(&k, &t, sf), 0);
	assert_int_equal(k.foreign, 1);
	assert_int_equal(knob_ctl_write(&k, &t, sf, "60000", NULL), 0);
	get(f->root, "cpu/web/cpu.cfs_quota_us", buf, sizeof(buf));
	assert_string_equal(buf, "70000");
	assert_int_equal(statefile_restore(sf, f->root, NULL), 0);
	get(f->root, "cpu/web/cpu.cfs_quota_us", buf, sizeof(buf));
	assert_string_equal(buf, "70000");
	statefile_release(sf, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_open_finds_siblings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_cpu_and_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2, setup, teardown),
		cmocka_unit_test(test_rates),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statefile_restore_own_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statefile_restore_without_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statefile_after_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_statefile_lock_left_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_knob_ctl, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
