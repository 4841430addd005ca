// SPDX-License-Identifier: GPL-2.0-only
/*
 * State files under /run/latgov (see statefile.h). The format is text, one
 * record per line, fields separated by tabs (cgroup values never hold tabs):
 *
 *   latgov-state 1
 *   pid 1234
 *   start 567890            (the owner's start time, to see through pid reuse)
 *   target /sys/fs/cgroup/cpu/web
 *   file PATH<TAB>ORIGINAL<TAB>LAST<TAB>PREVIOUS<TAB>FOREIGN
 *
 * LAST is latgov's newest value (as intended, then as read back), PREVIOUS the
 * one before: a crash between a write and its record leaves the file at one
 * of the two, and either is still latgov's own.
 */
#include "io/statefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "core/parse.h"
#include "core/utf8.h"
#include "io/procfs.h"

#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define MAX_FILES 16

struct sf_file {
	char path[PATH_MAX];
	char orig[STATEFILE_VALUE_MAX];
	char last[STATEFILE_VALUE_MAX];
	char prev[STATEFILE_VALUE_MAX];
	int foreign;
};

/*
 * Descriptors held from the start for the restore at the end: a process
 * that ran out of them (a socket held open by others, a leak) must still
 * read and write back each limit. Each step of a restore holds two at most.
 */
#define STATEFILE_RESERVE_FDS 4

struct statefile {
	int reserve[STATEFILE_RESERVE_FDS];	/* /dev/null, closed as the restore starts; -1 once */
	char dir[PATH_MAX];
	char state_path[PATH_MAX + 96];
	char lock_path[PATH_MAX + 96];
	char target[PATH_MAX];
	int lock_fd;
	long long pid;
	unsigned long long start;
	size_t nfiles;
	struct sf_file files[MAX_FILES];
};

static int sf_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int read_value(const char *path, char *buf, size_t len);

static int sf_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* Start time of pid in clock ticks (field 22 of /proc/PID/stat); 0 if gone. */
static unsigned long long proc_start(long long pid)
{
	char buf[1024], num[32];
	const char *f;
	long long v;
	size_t n;

	if (pid <= 0 || pid > UINT32_MAX || procfs_stat("/", (uint32_t)pid, buf, sizeof(buf)) <= 0)
		return 0;
	f = procfs_stat_field(buf, 22);
	if (!f)
		return 0;
	n = strcspn(f, " ");
	if (n >= sizeof(num))
		return 0;
	memcpy(num, f, n);
	num[n] = 0;
	return parse_int(num, 0, INT64_MAX, &v) ? 0 : (unsigned long long)v;
}

static int owner_alive(long long pid, unsigned long long start)
{
	if (pid <= 0)
		return 0;
	if (kill((pid_t)pid, 0) && errno == ESRCH)
		return 0;
	return proc_start(pid) == start;
}

/* A file name for the target: its last component, then a hash of the whole path. */
static void state_name(const char *target, char *buf, size_t len)
{
	uint64_t h = 14695981039346656037ull;
	const char *base = strrchr(target, '/');
	char clean[48];
	size_t i = 0;

	for (const char *p = target; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	base = base ? base + 1 : target;
	for (; *base && i < sizeof(clean) - 1; base++)
		clean[i++] = (*base == '.' || *base == '-' || *base == '_' ||
			      (*base >= '0' && *base <= '9') || (*base >= 'a' && *base <= 'z') ||
			      (*base >= 'A' && *base <= 'Z')) ? *base : '_';
	clean[i] = 0;
	snprintf(buf, len, "%s-%016llx", clean, (unsigned long long)h);
}

static int save(struct statefile *sf)
{
	char tmp[PATH_MAX + 128];
	FILE *f;
	int fd, dfd, err = 0;

	snprintf(tmp, sizeof(tmp), "%s.tmp", sf->state_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto out_unlink;
	}
	fprintf(f, "latgov-state 1\npid %lld\nstart %llu\ntarget %s\n", sf->pid, sf->start, sf->target);
	for (size_t i = 0; i < sf->nfiles; i++) {
		const struct sf_file *e = &sf->files[i];

		fprintf(f, "file %s\t%s\t%s\t%s\t%d\n", e->path, e->orig, e->last, e->prev, e->foreign);
	}
	if (fflush(f) || fsync(fd))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (err)
		goto out_unlink;
	if (rename(tmp, sf->state_path)) {
		err = -errno;
		goto out_unlink;
	}
	/* the rename itself must reach the disk (or tmpfs) before the first cgroup write */
	dfd = open(sf->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
out_unlink:
	unlink(tmp);
	return err;
}

/* Parses a state file into sf (pid, start, target, files). */
static int load(struct statefile *sf, const char *path)
{
	char line[PATH_MAX + 4 * STATEFILE_VALUE_MAX + 32];
	long long v;
	FILE *f;
	int err = 0, version = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	sf->nfiles = 0;
	sf->target[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		char *nl = strchr(line, '\n');

		if (!nl) {
			err = -EINVAL;	/* a line this long is not ours */
			break;
		}
		*nl = 0;
		if (!strncmp(line, "latgov-state ", 13)) {
			version = !strcmp(line + 13, "1");
		} else if (!strncmp(line, "pid ", 4)) {
			if (parse_int(line + 4, 1, INT32_MAX, &v))
				err = -EINVAL;
			sf->pid = v;
		} else if (!strncmp(line, "start ", 6)) {
			if (parse_int(line + 6, 0, INT64_MAX, &v))
				err = -EINVAL;
			sf->start = (unsigned long long)v;
		} else if (!strncmp(line, "target ", 7)) {
			snprintf(sf->target, sizeof(sf->target), "%s", line + 7);
		} else if (!strncmp(line, "file ", 5) && sf->nfiles < MAX_FILES) {
			struct sf_file *e = &sf->files[sf->nfiles];
			char *fields[5], *p = line + 5;
			int i;

			for (i = 0; i < 5 && p; i++) {
				fields[i] = p;
				p = strchr(p, '\t');
				if (p)
					*p++ = 0;
			}
			if (i != 5) {
				err = -EINVAL;
				break;
			}
			snprintf(e->path, sizeof(e->path), "%s", fields[0]);
			snprintf(e->orig, sizeof(e->orig), "%s", fields[1]);
			snprintf(e->last, sizeof(e->last), "%s", fields[2]);
			snprintf(e->prev, sizeof(e->prev), "%s", fields[3]);
			e->foreign = fields[4][0] == '1';
			sf->nfiles++;
		}
	}
	fclose(f);
	if (!err && (!version || !sf->target[0]))
		err = -EINVAL;
	return err;
}

/* Takes the flock on path; retries if the file was replaced under us. */
static int lock_file(const char *path, int *out_fd)
{
	struct stat a, b;
	int fd;

	for (int tries = 0; tries < 10; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			int err = -errno;

			close(fd);
			return err == -EWOULDBLOCK ? -EBUSY : err;
		}
		/* the holder may have unlinked it between our open and flock */
		if (!fstat(fd, &a) && !stat(path, &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
			*out_fd = fd;
			return 0;
		}
		close(fd);
	}
	return -EAGAIN;
}

static int make_dir(const char *dir)
{
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

static int paths_for(struct statefile *sf, const char *dir, const char *target)
{
	char name[96];

	snprintf(sf->dir, sizeof(sf->dir), "%s", dir);
	if (strlen(target) >= sizeof(sf->target))
		return -ENAMETOOLONG;
	if (target != sf->target)
		snprintf(sf->target, sizeof(sf->target), "%s", target);
	state_name(target, name, sizeof(name));
	snprintf(sf->state_path, sizeof(sf->state_path), "%s/%s.state", dir, name);
	snprintf(sf->lock_path, sizeof(sf->lock_path), "%s/%s.lock", dir, name);
	return 0;
}

/* Hands the held descriptors back, for the restore to open what it needs. */
static void release_reserve(struct statefile *sf)
{
	for (int i = 0; i < STATEFILE_RESERVE_FDS; i++) {
		if (sf->reserve[i] >= 0)
			close(sf->reserve[i]);
		sf->reserve[i] = -1;
	}
}

int statefile_acquire(struct statefile **out, const char *dir, const char *target,
		      char *err, size_t errlen)
{
	struct statefile *sf, old;
	int ret;

	if (strchr(target, '\t') || strchr(target, '\n'))
		return sf_errf(err, errlen, -EINVAL, "cgroup path %s holds a tab or newline", target);
	sf = calloc(1, sizeof(*sf));
	if (!sf)
		return sf_errf(err, errlen, -ENOMEM, "out of memory");
	sf->lock_fd = -1;
	for (int i = 0; i < STATEFILE_RESERVE_FDS; i++)
		sf->reserve[i] = -1;
	for (int i = 0; i < STATEFILE_RESERVE_FDS; i++) {
		sf->reserve[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (sf->reserve[i] < 0) {
			ret = sf_errf(err, errlen, -errno, "cannot hold descriptors for the restore: %s",
				      strerror(errno));
			goto fail;
		}
	}
	ret = paths_for(sf, dir, target);
	if (ret) {
		sf_errf(err, errlen, ret, "cgroup path %s is too long", target);
		goto fail;
	}
	ret = make_dir(dir);
	if (ret) {
		sf_errf(err, errlen, ret, "cannot create %s: %s (latgov needs root to change cgroup limits)",
		     dir, strerror(-ret));
		goto fail;
	}
	ret = lock_file(sf->lock_path, &sf->lock_fd);
	if (ret == -EBUSY) {
		char owner[32];
		long long pid;

		if (!read_value(sf->lock_path, owner, sizeof(owner)) &&
		    !parse_int(owner, 1, INT32_MAX, &pid))
			sf_errf(err, errlen, ret,
			     "cgroup %s is already governed by latgov pid %lld (lock %s); stop that one first",
			     target, pid, sf->lock_path);
		else
			sf_errf(err, errlen, ret, "cgroup %s is already governed by another latgov (lock %s); stop that one first",
			     target, sf->lock_path);
		goto fail;
	}
	if (ret) {
		sf_errf(err, errlen, ret, "cannot lock %s: %s", sf->lock_path, strerror(-ret));
		goto fail;
	}
	/* our lock is free, so any state file left is from a latgov that died */
	if (access(sf->state_path, F_OK) == 0) {
		memset(&old, 0, sizeof(old));
		load(&old, sf->state_path);
		ret = -EEXIST;
		sf_errf(err, errlen, ret,
		     "cgroup %s still has limits set by latgov pid %lld, which did not exit cleanly; run 'latgov restore --cgroup %s' first",
		     target, old.pid, target);
		goto fail;
	}
	sf->pid = getpid();
	sf->start = proc_start(sf->pid);
	/* the lock file names its holder, for the message a second latgov gets */
	if (ftruncate(sf->lock_fd, 0) == 0)
		dprintf(sf->lock_fd, "%lld\n", sf->pid);
	*out = sf;
	return 0;
fail:
	if (sf->lock_fd >= 0)
		close(sf->lock_fd);
	release_reserve(sf);
	free(sf);
	return ret;
}

static struct sf_file *find(struct statefile *sf, const char *file)
{
	for (size_t i = 0; i < sf->nfiles; i++)
		if (!strcmp(sf->files[i].path, file))
			return &sf->files[i];
	return NULL;
}

static int valid_value(const char *v)
{
	return strlen(v) < STATEFILE_VALUE_MAX && !strpbrk(v, "\t\n");
}

int statefile_record(struct statefile *sf, const char *file, const char *orig)
{
	struct sf_file *e;

	if (find(sf, file))
		return 0;
	if (sf->nfiles >= MAX_FILES)
		return -ENOSPC;
	if (strlen(file) >= PATH_MAX || strpbrk(file, "\t\n") || !valid_value(orig))
		return -EINVAL;
	e = &sf->files[sf->nfiles++];
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", file);
	snprintf(e->orig, sizeof(e->orig), "%s", orig);
	return save(sf);
}

int statefile_intend(struct statefile *sf, const char *file, const char *value)
{
	struct sf_file *e = find(sf, file);

	if (!e)
		return -ENOENT;	/* the original must be recorded first */
	if (!valid_value(value))
		return -EINVAL;
	snprintf(e->prev, sizeof(e->prev), "%s", e->last);
	snprintf(e->last, sizeof(e->last), "%s", value);
	return save(sf);
}

int statefile_confirm(struct statefile *sf, const char *file, const char *readback)
{
	struct sf_file *e = find(sf, file);

	if (!e)
		return -ENOENT;
	if (!valid_value(readback))
		return -EINVAL;
	if (!strcmp(e->last, readback))
		return 0;
	snprintf(e->last, sizeof(e->last), "%s", readback);
	return save(sf);
}

int statefile_mark_foreign(struct statefile *sf, const char *file)
{
	struct sf_file *e = find(sf, file);

	if (!e)
		return -ENOENT;
	e->foreign = 1;
	return save(sf);
}

static int read_value(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	return 0;
}

/* Writes value to a recorded cgroup file, only if it is still on a cgroup file system. */
static int confined_write(const char *path, const char *value, const char *test_root)
{
	char real[PATH_MAX], root[PATH_MAX];
	struct statfs sfs;
	ssize_t n;
	int fd, err = 0;

	if (!realpath(path, real))
		return -errno;
	if (test_root) {
		if (!realpath(test_root, root))
			return -errno;
		if (strncmp(real, root, strlen(root)) || real[strlen(root)] != '/')
			return -EPERM;
	} else {
		if (statfs(real, &sfs))
			return -errno;
		if (sfs.f_type != CGROUP_SUPER_MAGIC && sfs.f_type != CGROUP2_SUPER_MAGIC)
			return -EPERM;
	}
	fd = open(real, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	if (n < 0)
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* "-1" and the v1 huge "no limit" number, and "max", are the same value. */
static int same_value(const char *a, const char *b)
{
	long long x, y;
	int ua, ub;

	if (!strcmp(a, b))
		return 1;
	ua = !strcmp(a, "-1") || !strcmp(a, "max") || (!parse_int(a, 0, INT64_MAX, &x) && x >= (1ll << 62));
	ub = !strcmp(b, "-1") || !strcmp(b, "max") || (!parse_int(b, 0, INT64_MAX, &y) && y >= (1ll << 62));
	return ua && ub;
}

static int restore_files(struct statefile *sf, const char *test_root, FILE *out)
{
	char cur[STATEFILE_VALUE_MAX];
	int left = 0, ret;

	/* newest first: a v1 quota is restored before anything it depended on */
	for (size_t i = sf->nfiles; i-- > 0;) {
		struct sf_file *e = &sf->files[i];

		if (!e->last[0])
			continue;	/* recorded, never written */
		ret = read_value(e->path, cur, sizeof(cur));
		if (ret == -ENOENT) {
			/* the cgroup was removed, and its limits with it */
			if (out)
				fprintf(out, "latgov: %s is gone; nothing to restore there\n", e->path);
			continue;
		}
		if (ret) {
			if (out)
				fprintf(out, "latgov: cannot read %s to restore it: %s\n", e->path,
					strerror(-ret));
			left++;
			continue;
		}
		if (e->foreign || (!same_value(cur, e->last) && !(e->prev[0] && same_value(cur, e->prev)))) {
			if (out)
				fprintf(out, "latgov: left %s at %s: someone else changed it (latgov wrote %s, original %s)\n",
					e->path, cur, e->last, e->orig);
			continue;
		}
		if (same_value(cur, e->orig)) {
			if (out)
				fprintf(out, "latgov: %s already at its original %s\n", e->path, e->orig);
			continue;
		}
		ret = confined_write(e->path, e->orig, test_root);
		if (ret) {
			if (out)
				fprintf(out, "latgov: cannot restore %s to %s: %s\n", e->path, e->orig,
					strerror(-ret));
			left++;
			continue;
		}
		if (out)
			fprintf(out, "latgov: restored %s: %s -> %s\n", e->path, cur, e->orig);
	}
	return left;
}

int statefile_restore(struct statefile *sf, const char *test_root, FILE *out)
{
	release_reserve(sf);
	return restore_files(sf, test_root, out);
}

void statefile_release(struct statefile *sf, int remove)
{
	if (!sf)
		return;
	if (remove) {
		unlink(sf->state_path);
		unlink(sf->lock_path);
	}
	if (sf->lock_fd >= 0)
		close(sf->lock_fd);
	release_reserve(sf);
	free(sf);
}

/* The record is for target: its key, or the folder of any file it recorded
 * (a v1 cgroup may be named by its cpu or its memory path). */
static int names_target(const struct statefile *sf, const char *target)
{
	size_t n = strlen(target);

	if (!strcmp(sf->target, target))
		return 1;
	for (size_t i = 0; i < sf->nfiles; i++) {
		const char *p = sf->files[i].path;

		if (!strncmp(p, target, n) && p[n] == '/' && !strchr(p + n + 1, '/'))
			return 1;
	}
	return 0;
}

/*
 * A lock file with no state file beside it and no holder: a latgov killed
 * before it changed anything. Nothing to restore; the file goes. If a new
 * latgov opens it meanwhile, lock_file() sees the unlink and starts over.
 */
static void drop_stale_lock(const char *dir, const char *name, const char *target)
{
	char path[PATH_MAX + 300], state[PATH_MAX + 300], want[96];
	size_t n = strlen(name);
	int fd;

	if (target) {
		state_name(target, want, sizeof(want));
		if (n != strlen(want) + 5 || strncmp(name, want, n - 5))
			return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(state, sizeof(state), "%s/%.*s.state", dir, (int)(n - 5), name);
	if (access(state, F_OK) == 0 || lock_file(path, &fd))
		return;
	if (access(state, F_OK) != 0)
		unlink(path);
	close(fd);
}

int statefile_restore_dead(const char *dir, const char *target, const char *test_root, FILE *out)
{
	struct statefile *sf;
	struct dirent *de;
	int left = 0, found = 0;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT)
			goto done;
		return -errno;
	}
	sf = calloc(1, sizeof(*sf));
	if (!sf) {
		closedir(d);
		return -ENOMEM;
	}
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char path[PATH_MAX + 300];
		int ret;

		if (n > 5 && !strcmp(de->d_name + n - 5, ".lock")) {
			drop_stale_lock(dir, de->d_name, target);
			continue;
		}
		if (n < 7 || strcmp(de->d_name + n - 6, ".state"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		memset(sf, 0, sizeof(*sf));
		sf->lock_fd = -1;
		for (int i = 0; i < STATEFILE_RESERVE_FDS; i++)
			sf->reserve[i] = -1;	/* a dead latgov's record: this process holds none for it */
		if (load(sf, path)) {
			if (out)
				fprintf(out, "latgov: %s is not a latgov state file; left alone\n", path);
			left++;
			continue;
		}
		if (target && !names_target(sf, target))
			continue;
		found++;
		paths_for(sf, dir, sf->target);
		ret = lock_file(sf->lock_path, &sf->lock_fd);
		if (ret == -EBUSY || (ret == 0 && owner_alive(sf->pid, sf->start))) {
			if (out)
				fprintf(out, "latgov: cgroup %s belongs to latgov pid %lld, which is still running; stop it and it restores its limits itself\n",
					sf->target, sf->pid);
			if (sf->lock_fd >= 0)
				close(sf->lock_fd);
			left++;
			continue;
		}
		if (ret) {
			if (out)
				fprintf(out, "latgov: cannot lock %s: %s\n", sf->lock_path, strerror(-ret));
			left++;
			continue;
		}
		if (out)
			fprintf(out, "latgov: restoring cgroup %s (left by latgov pid %lld)\n", sf->target,
				sf->pid);
		ret = restore_files(sf, test_root, out);
		if (ret) {
			left++;
			close(sf->lock_fd);	/* keep the record: a later restore may succeed */
			continue;
		}
		unlink(sf->state_path);
		unlink(sf->lock_path);
		close(sf->lock_fd);
	}
	free(sf);
	closedir(d);
done:
	if (!found && out)
		fprintf(out, "latgov: nothing to restore%s%s\n", target ? " for " : "", target ? target : "");
	return left ? 1 : 0;
}

/* ---- one knob under control --------------------------------------------- */

int knob_ctl_init(struct knob_ctl *k, const struct cg_target *t, enum cg_knob knob,
		  struct statefile *sf)
{
	int ret;

	memset(k, 0, sizeof(*k));
	k->knob = knob;
	ret = cg_knob_path(t, knob, k->path, sizeof(k->path));
	if (ret)
		return ret;
	ret = cg_read_knob(t, knob, k->orig, sizeof(k->orig));
	if (ret)
		return ret;
	if (sf)
		ret = statefile_record(sf, k->path, k->orig);
	return ret;
}

int knob_ctl_check(struct knob_ctl *k, const struct cg_target *t, struct statefile *sf)
{
	char cur[STATEFILE_VALUE_MAX], shown[sizeof(k->path)];

	if (k->foreign || !k->last[0])
		return 0;
	if (cg_read_knob(t, k->knob, cur, sizeof(cur)))
		return 0;
	if (!strcmp(cur, k->last))
		return 0;
	k->foreign = 1;
	if (sf)
		statefile_mark_foreign(sf, k->path);
	/* The path names a cgroup someone else may have named: shown, never run. */
	utf8_sanitize_to(shown, sizeof(shown), k->path);
	fprintf(stderr,
		"latgov: %s was changed by someone else (now %s, latgov wrote %s); latgov leaves it alone from now on and will not restore it\n",
		shown, cur, k->last);
	return 1;
}

/* The first half of a write: check, skip unchanged values, record the intent. */
int knob_ctl_begin(struct knob_ctl *k, const struct cg_target *t, struct statefile *sf,
			  const char *value, char *cur, size_t curlen)
{
	int ret;

	if (k->foreign)
		return 0;
	ret = cg_read_knob(t, k->knob, cur, curlen);
	if (ret)
		return ret;
	/* every bandwidth write un-throttles the group: never rewrite a value */
	if (!strcmp(cur, value))
		return 0;
	if (sf) {
		ret = statefile_intend(sf, k->path, value);
		if (ret)
			return ret;
	}
	return 1;
}

/* The second half: read back, record what the kernel kept. */
int knob_ctl_finish(struct knob_ctl *k, const struct cg_target *t, struct statefile *sf,
			   const char *value, int write_ret)
{
	char back[STATEFILE_VALUE_MAX], shown[sizeof(k->path)];
	int ret;

	ret = cg_read_knob(t, k->knob, back, sizeof(back));
	if (ret)
		return write_ret ? write_ret : ret;
	/* what is there now is latgov's (or, on failure, unchanged); either way
	 * it is the value to compare later reads against */
	snprintf(k->last, sizeof(k->last), "%s", back);
	if (sf)
		statefile_confirm(sf, k->path, back);
	if (write_ret)
		return write_ret;
	if (strcmp(back, value)) {
		utf8_sanitize_to(shown, sizeof(shown), k->path);
		fprintf(stderr, "latgov: wrote %s to %s; the kernel keeps %s\n", value, shown, back);
	}
	return 1;
}

int knob_ctl_write(struct knob_ctl *k, const struct cg_target *t, struct statefile *sf,
		   const char *value, FILE *dry_out)
{
	char cur[STATEFILE_VALUE_MAX], shown[sizeof(k->path)];
	int ret;

	if (dry_out) {
		if (k->foreign || cg_read_knob(t, k->knob, cur, sizeof(cur)) || !strcmp(cur, value))
			return 0;
		utf8_sanitize_to(shown, sizeof(shown), k->path);
		fprintf(dry_out, "latgov: dry run: would write %s: %s -> %s\n", shown, cur, value);
		return 0;
	}
	ret = knob_ctl_begin(k, t, sf, value, cur, sizeof(cur));
	if (ret <= 0)
		return ret;
	ret = cg_write_knob(t, k->knob, value, 0);
	return knob_ctl_finish(k, t, sf, value, ret);
}
