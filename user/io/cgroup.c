// SPDX-License-Identifier: GPL-2.0-only
/*
 * cgroup v1/v2 actuators (see cgroup.h). Reading and writing single small
 * files; the policy of when to write lives in the governor.
 */
#include "io/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "core/parse.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* v1 reports "no limit" as LONG_MAX rounded down to a page; anything this big is unlimited. */
#define V1_UNLIMITED_FLOOR (1ull << 62)

static const char *const knob_v1[CG_KNOB_COUNT] = {
	[CG_KNOB_CPU_MAX] = "cpu.cfs_quota_us",
	[CG_KNOB_CPU_PERIOD] = "cpu.cfs_period_us",
	[CG_KNOB_CPU_WEIGHT] = "cpu.shares",
	[CG_KNOB_MEM_HIGH] = "memory.soft_limit_in_bytes",
	[CG_KNOB_MEM_MAX] = "memory.limit_in_bytes",
};

static const char *const knob_v2[CG_KNOB_COUNT] = {
	[CG_KNOB_CPU_MAX] = "cpu.max",
	[CG_KNOB_CPU_PERIOD] = NULL,
	[CG_KNOB_CPU_WEIGHT] = "cpu.weight",
	[CG_KNOB_MEM_HIGH] = "memory.high",
	[CG_KNOB_MEM_MAX] = "memory.max",
};

static int errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

static int file_exists(const char *dir, const char *name)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		err = -errno;
		n = 0;
	}
	close(fd);
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return err ? err : (int)n;
}

static int under(const char *path, const char *root)
{
	size_t n = strlen(root);

	return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == 0);
}

/*
 * Resolves dir and checks it is a cgroup directory: on the cgroup file
 * system for real targets, under test_root for fake trees. *magic gets the
 * file-system type (for fake trees: guessed from cgroup.controllers).
 */
static int confine(const char *dir, const char *test_root, char *out, long *magic,
		   char *err, size_t errlen)
{
	struct statfs sfs;
	struct stat st;

	if (!realpath(dir, out))
		return errf(err, errlen, -errno, "cgroup %s: %s (give an existing cgroup directory)",
			    dir, strerror(errno));
	if (stat(out, &st) || !S_ISDIR(st.st_mode))
		return errf(err, errlen, -ENOTDIR, "cgroup %s is not a directory", dir);
	if (test_root) {
		if (!under(out, test_root))
			return errf(err, errlen, -EPERM, "cgroup %s is outside the test tree %s", dir,
				    test_root);
		*magic = file_exists(out, "cgroup.controllers") ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC;
		return 0;
	}
	if (statfs(out, &sfs))
		return errf(err, errlen, -errno, "cgroup %s: statfs: %s", dir, strerror(errno));
	if (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC)
		return errf(err, errlen, -EPERM,
			    "%s is not on a cgroup file system; give a cgroup directory such as /sys/fs/cgroup/cpu/NAME (v1) or /sys/fs/cgroup/NAME (v2)",
			    out);
	*magic = sfs.f_type;
	return 0;
}

int cg_check_dir(const char *dir, char *out, int *hierarchy_root, char *err, size_t errlen)
{
	char parent[PATH_MAX];
	struct stat st, pst;
	char *slash;
	long magic;
	int ret;

	ret = confine(dir, NULL, out, &magic, err, errlen);
	if (ret)
		return ret;
	/* A hierarchy's root is the top of its mount: the folder above is on another file system. */
	snprintf(parent, sizeof(parent), "%s", out);
	slash = strrchr(parent, '/');
	if (slash)
		slash[slash == parent] = 0;	/* "/a" -> "/", "/a/b" -> "/a" */
	if (stat(out, &st) || stat(parent, &pst))
		return errf(err, errlen, -errno, "cgroup %s: %s", out, strerror(errno));
	*hierarchy_root = strcmp(out, "/") == 0 || st.st_dev != pst.st_dev;
	return 0;
}

/* The top of the v1 hierarchy holding path: the highest ancestor on the same mount. */
static int v1_hierarchy(const char *path, const char *test_root, char *top, size_t len)
{
	char cur[PATH_MAX], parent[PATH_MAX];
	struct stat st, pst;
	char *slash;

	if (test_root) {
		/* fake tree: TEST_ROOT/<hierarchy>/<name> */
		const char *rel = path + strlen(test_root);
		const char *end;

		if (*rel != '/')
			return -EINVAL;
		end = strchr(rel + 1, '/');
		snprintf(top, len, "%.*s", (int)((end ? end : rel + strlen(rel)) - path), path);
		return 0;
	}
	snprintf(cur, sizeof(cur), "%s", path);
	if (stat(cur, &st))
		return -errno;
	for (;;) {
		snprintf(parent, sizeof(parent), "%s", cur);
		slash = strrchr(parent, '/');
		if (!slash || slash == parent)
			break;
		*slash = 0;
		if (stat(parent, &pst))
			return -errno;
		if (pst.st_dev != st.st_dev)
			break;
		snprintf(cur, sizeof(cur), "%s", parent);
	}
	snprintf(top, len, "%s", cur);
	return 0;
}

/* Finds the v1 sibling NAME under the hierarchy that holds probe_file, if any. */
static void v1_sibling(const char *hier_parent, const char *hier_name, const char *rel,
		       const char *test_root, const char *probe_file, char *out)
{
	char dir[PATH_MAX + 64], resolved[PATH_MAX], e[256];
	long magic;

	out[0] = 0;
	snprintf(dir, sizeof(dir), "%s/%s%s", hier_parent, hier_name, rel);
	if (access(dir, F_OK))
		return;
	if (confine(dir, test_root, resolved, &magic, e, sizeof(e)) || magic != CGROUP_SUPER_MAGIC)
		return;
	if (file_exists(resolved, probe_file))
		snprintf(out, PATH_MAX, "%s", resolved);
}

int cg_open(struct cg_target *t, const char *path, const char *test_root, char *err, size_t errlen)
{
	char root_buf[PATH_MAX], top[PATH_MAX], parent[PATH_MAX], controllers[512];
	const char *root = NULL, *rel, *hier;
	long magic;
	int ret;

	memset(t, 0, sizeof(*t));
	if (test_root) {
		if (!realpath(test_root, root_buf))
			return errf(err, errlen, -errno, "test root %s: %s", test_root, strerror(errno));
		root = root_buf;
	}
	ret = confine(path, root, t->path, &magic, err, errlen);
	if (ret)
		return ret;

	if (magic == CGROUP2_SUPER_MAGIC) {
		t->version = CG_V2;
		ret = read_file(strcat(strcpy(top, t->path), "/cgroup.controllers"), controllers,
				sizeof(controllers));
		if (ret < 0)
			return errf(err, errlen, ret, "cgroup %s: cannot read cgroup.controllers: %s",
				    t->path, strerror(-ret));
		/* space-separated words; look for whole ones */
		for (char *w = strtok(controllers, " "); w; w = strtok(NULL, " ")) {
			if (!strcmp(w, "cpu"))
				snprintf(t->cpu_dir, sizeof(t->cpu_dir), "%s", t->path);
			if (!strcmp(w, "memory"))
				snprintf(t->mem_dir, sizeof(t->mem_dir), "%s", t->path);
		}
		if (!file_exists(t->path, "cpu.max"))
			t->cpu_dir[0] = 0;	/* the root cgroup has no cpu.max */
		if (!file_exists(t->path, "memory.max"))
			t->mem_dir[0] = 0;
		if (t->cpu_dir[0])
			snprintf(t->cpuacct_dir, sizeof(t->cpuacct_dir), "%s", t->path);
		if (!t->cpu_dir[0] && !t->mem_dir[0])
			return errf(err, errlen, -EOPNOTSUPP,
				    "cgroup %s (v2) has neither the cpu nor the memory controller; enable them with 'echo +cpu +memory > PARENT/cgroup.subtree_control'",
				    t->path);
		snprintf(t->key, sizeof(t->key), "%s", t->path);
		return 0;
	}

	/* v1: find the hierarchy mount, then the siblings by relative name */
	t->version = CG_V1;
	ret = v1_hierarchy(t->path, root, top, sizeof(top));
	if (ret)
		return errf(err, errlen, ret, "cgroup %s: cannot find its hierarchy: %s", t->path,
			    strerror(-ret));
	rel = t->path + strlen(top);
	if (!*rel)
		return errf(err, errlen, -EPERM,
			    "%s is the root of a cgroup hierarchy; latgov only limits a child cgroup (create one, e.g. %s/NAME)",
			    t->path, t->path);
	snprintf(parent, sizeof(parent), "%s", top);
	hier = strrchr(parent, '/');
	if (!hier)
		return errf(err, errlen, -EINVAL, "cgroup %s: unexpected layout", t->path);
	*(char *)hier++ = 0;
	top[0] = 0;

	if (file_exists(t->path, "cpu.cfs_quota_us"))
		snprintf(t->cpu_dir, sizeof(t->cpu_dir), "%s", t->path);
	else
		v1_sibling(parent, "cpu", rel, root, "cpu.cfs_quota_us", t->cpu_dir);
	if (file_exists(t->path, "memory.limit_in_bytes"))
		snprintf(t->mem_dir, sizeof(t->mem_dir), "%s", t->path);
	else
		v1_sibling(parent, "memory", rel, root, "memory.limit_in_bytes", t->mem_dir);
	if (t->cpu_dir[0] && file_exists(t->cpu_dir, "cpuacct.usage"))
		snprintf(t->cpuacct_dir, sizeof(t->cpuacct_dir), "%s", t->cpu_dir);
	else
		v1_sibling(parent, "cpuacct", rel, root, "cpuacct.usage", t->cpuacct_dir);
	if (!t->cpu_dir[0] && !t->mem_dir[0])
		return errf(err, errlen, -EOPNOTSUPP,
			    "cgroup %s (v1, hierarchy %s) has no cpu or memory controller, and no sibling of that name under %s/cpu or %s/memory",
			    t->path, hier, parent, parent);
	snprintf(t->key, sizeof(t->key), "%s", t->cpu_dir[0] ? t->cpu_dir : t->mem_dir);
	return 0;
}

const char *cg_knob_file(const struct cg_target *t, enum cg_knob k)
{
	if (k < 0 || k >= CG_KNOB_COUNT)
		return NULL;
	return t->version == CG_V2 ? knob_v2[k] : knob_v1[k];
}

int cg_knob_path(const struct cg_target *t, enum cg_knob k, char *buf, size_t len)
{
	const char *file = cg_knob_file(t, k);
	const char *dir;

	if (!file)
		return -ENOENT;
	dir = (k == CG_KNOB_MEM_HIGH || k == CG_KNOB_MEM_MAX) ? t->mem_dir : t->cpu_dir;
	if (!dir[0])
		return -ENOENT;
	if ((size_t)snprintf(buf, len, "%s/%s", dir, file) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int cg_read_knob(const struct cg_target *t, enum cg_knob k, char *buf, size_t len)
{
	char path[PATH_MAX + 64];
	int ret;

	ret = cg_knob_path(t, k, path, sizeof(path));
	if (ret)
		return ret;
	ret = read_file(path, buf, len);
	return ret < 0 ? ret : 0;
}

int cg_write_knob(const struct cg_target *t, enum cg_knob k, const char *value, int nonblock)
{
	char path[PATH_MAX + 64];
	size_t n = strlen(value);
	ssize_t w;
	int fd, ret = 0;

	ret = cg_knob_path(t, k, path, sizeof(path));
	if (ret)
		return ret;
	/* no O_CREAT: a knob that is not there is an error, never a new file */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	if (fd < 0)
		return -errno;
	w = write(fd, value, n);
	if (w < 0)
		ret = -errno;
	else if ((size_t)w != n)
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -errno;
	return ret;
}

int cg_cpu_period(const struct cg_target *t, uint64_t *period_us)
{
	char buf[128], *sp;
	long long v;
	int ret;

	if (t->version == CG_V1) {
		ret = cg_read_knob(t, CG_KNOB_CPU_PERIOD, buf, sizeof(buf));
		if (ret)
			return ret;
		sp = buf;
	} else {
		ret = cg_read_knob(t, CG_KNOB_CPU_MAX, buf, sizeof(buf));
		if (ret)
			return ret;
		sp = strchr(buf, ' ');
		if (!sp)
			return -EINVAL;
		sp++;
	}
	ret = parse_int(sp, 1000, 1000000, &v);
	if (ret)
		return ret;
	*period_us = (uint64_t)v;
	return 0;
}

int cg_format_cpu(const struct cg_target *t, uint64_t millicores, uint64_t period_us,
		  char *buf, size_t len)
{
	uint64_t quota;
	int n;

	if (period_us < 1000 || period_us > 1000000)
		return -EINVAL;
	if (millicores == 0) {
		n = t->version == CG_V2 ? snprintf(buf, len, "max %" PRIu64, period_us)
					: snprintf(buf, len, "-1");
	} else {
		quota = millicores * period_us / 1000;
		if (quota < 1000)
			quota = 1000;	/* the kernel's minimum quota is 1 ms */
		n = t->version == CG_V2 ? snprintf(buf, len, "%" PRIu64 " %" PRIu64, quota, period_us)
					: snprintf(buf, len, "%" PRIu64, quota);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cg_parse_cpu(const struct cg_target *t, const char *text, uint64_t period_us,
		 uint64_t *millicores)
{
	char word[64];
	long long q;
	size_t n;
	int ret;

	if (!period_us)
		return -EINVAL;
	n = strcspn(text, " ");
	if (n == 0 || n >= sizeof(word))
		return -EINVAL;
	memcpy(word, text, n);
	word[n] = 0;
	if ((t->version == CG_V2 && !strcmp(word, "max")) || (t->version == CG_V1 && !strcmp(word, "-1"))) {
		*millicores = 0;
		return 0;
	}
	ret = parse_int(word, 1, INT64_MAX / 1000, &q);
	if (ret)
		return ret;
	*millicores = ((uint64_t)q * 1000 + period_us / 2) / period_us;
	if (!*millicores)
		*millicores = 1;
	return 0;
}

int cg_format_mem(const struct cg_target *t, uint64_t bytes, char *buf, size_t len)
{
	int n;

	if (bytes == CG_UNLIMITED)
		n = snprintf(buf, len, "%s", t->version == CG_V2 ? "max" : "-1");
	else
		n = snprintf(buf, len, "%" PRIu64, bytes & ~(uint64_t)4095);	/* the kernel keeps pages */
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cg_format_weight(const struct cg_target *t, uint32_t weight, char *buf, size_t len)
{
	uint64_t v = weight;
	int n;

	if (weight < 1 || weight > 10000)
		return -EINVAL;
	if (t->version == CG_V1) {
		v = (uint64_t)weight * 1024 / 100;
		v = v < 2 ? 2 : v > 262144 ? 262144 : v;
	}
	n = snprintf(buf, len, "%" PRIu64, v);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int cg_parse_mem(const char *text, uint64_t *bytes)
{
	long long v;
	int ret;

	if (!strcmp(text, "max") || !strcmp(text, "-1")) {
		*bytes = CG_UNLIMITED;
		return 0;
	}
	ret = parse_int(text, 0, INT64_MAX, &v);
	if (ret)
		return ret;
	*bytes = (uint64_t)v >= V1_UNLIMITED_FLOOR ? CG_UNLIMITED : (uint64_t)v;
	return 0;
}

/* "key value" lines: the value of key, or -ENOENT. */
static int keyed_u64(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);
	const char *p = text;
	char num[32];
	long long v;
	size_t n;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			n = strcspn(p + kl + 1, "\n");
			if (n == 0 || n >= sizeof(num))
				return -EINVAL;
			memcpy(num, p + kl + 1, n);
			num[n] = 0;
			if (parse_int(num, 0, INT64_MAX, &v))
				return -EINVAL;
			*out = (uint64_t)v;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* PSI: "some avg10=0.00 avg60=0.00 avg300=0.00 total=123" -> total of the "some" line. */
static int psi_some_total(const char *path, uint64_t *out)
{
	char buf[512], *p;
	long long v;
	size_t n;
	int ret;

	ret = read_file(path, buf, sizeof(buf));
	if (ret < 0)
		return ret;
	if (strncmp(buf, "some ", 5))
		return -EINVAL;
	p = strstr(buf, "total=");
	if (!p)
		return -EINVAL;
	p += 6;
	n = strcspn(p, "\n ");
	p[n] = 0;
	if (parse_int(p, 0, INT64_MAX, &v))
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

static int read_in(const char *dir, const char *file, char *buf, size_t len)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return read_file(path, buf, len);
}

int cg_read_stats(const struct cg_target *t, struct cg_stats *s)
{
	char buf[4096], path[PATH_MAX + 64];
	uint64_t v = 0, v2 = 0;
	long long n;

	memset(s, 0, sizeof(*s));
	if (t->cpu_dir[0] && read_in(t->cpu_dir, "cpu.stat", buf, sizeof(buf)) >= 0) {
		keyed_u64(buf, "nr_periods", &s->nr_periods);
		keyed_u64(buf, "nr_throttled", &s->nr_throttled);
		if (t->version == CG_V2) {
			if (!keyed_u64(buf, "throttled_usec", &v))
				s->throttled_ns = v * 1000;
			if (!keyed_u64(buf, "usage_usec", &v)) {
				s->usage_ns = v * 1000;
				s->have_usage = 1;
			}
		} else {
			keyed_u64(buf, "throttled_time", &s->throttled_ns);
		}
	}
	if (t->version == CG_V1 && t->cpuacct_dir[0] &&
	    read_in(t->cpuacct_dir, "cpuacct.usage", buf, sizeof(buf)) >= 0 &&
	    !parse_int(buf, 0, INT64_MAX, &n)) {
		s->usage_ns = (uint64_t)n;
		s->have_usage = 1;
	}

	if (t->mem_dir[0]) {
		const char *usage_file = t->version == CG_V2 ? "memory.current" : "memory.usage_in_bytes";

		if (read_in(t->mem_dir, usage_file, buf, sizeof(buf)) >= 0 &&
		    !parse_int(buf, 0, INT64_MAX, &n)) {
			s->mem_usage = (uint64_t)n;
			s->have_mem = 1;
		}
		if (t->version == CG_V2) {
			if (read_in(t->mem_dir, "memory.events", buf, sizeof(buf)) >= 0) {
				v = v2 = 0;
				keyed_u64(buf, "high", &v);
				keyed_u64(buf, "max", &v2);
				s->mem_events = v + v2;
				keyed_u64(buf, "oom_kill", &s->oom_kills);
			}
		} else {
			if (read_in(t->mem_dir, "memory.failcnt", buf, sizeof(buf)) >= 0 &&
			    !parse_int(buf, 0, INT64_MAX, &n))
				s->mem_events = (uint64_t)n;
			if (read_in(t->mem_dir, "memory.oom_control", buf, sizeof(buf)) >= 0)
				keyed_u64(buf, "oom_kill", &s->oom_kills);
		}
	}
	if (t->version == CG_V2) {
		snprintf(path, sizeof(path), "%s/cpu.pressure", t->path);
		if (!psi_some_total(path, &s->cpu_some_us)) {
			snprintf(path, sizeof(path), "%s/memory.pressure", t->path);
			s->have_psi = !psi_some_total(path, &s->mem_some_us);
		}
	}
	return 0;
}

void cg_rates_between(const struct cg_stats *a, const struct cg_stats *b, uint64_t dt_ns,
		      struct cg_rates *r)
{
	memset(r, 0, sizeof(*r));
	r->usage_cores = -1;
	r->cpu_pressure = -1;
	r->mem_pressure = -1;
	if (!dt_ns)
		return;
	if (a->have_usage && b->have_usage && b->usage_ns >= a->usage_ns)
		r->usage_cores = (double)(b->usage_ns - a->usage_ns) / (double)dt_ns;
	if (b->nr_periods >= a->nr_periods && b->nr_throttled >= a->nr_throttled) {
		r->periods = b->nr_periods - a->nr_periods;
		r->throttled = b->nr_throttled - a->nr_throttled;
		r->throttle_ratio = r->periods ? (double)r->throttled / (double)r->periods : 0.0;
	}
	if (b->throttled_ns >= a->throttled_ns)
		r->throttled_ns = b->throttled_ns - a->throttled_ns;
	if (b->mem_events >= a->mem_events)
		r->mem_events = b->mem_events - a->mem_events;
	if (b->oom_kills >= a->oom_kills)
		r->oom_kills = b->oom_kills - a->oom_kills;
	if (a->have_psi && b->have_psi) {
		r->cpu_pressure = (double)(b->cpu_some_us - a->cpu_some_us) * 1000.0 / (double)dt_ns;
		r->mem_pressure = (double)(b->mem_some_us - a->mem_some_us) * 1000.0 / (double)dt_ns;
	}
}
