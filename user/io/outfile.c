// SPDX-License-Identifier: GPL-2.0-only
/* Output files that another user cannot redirect (see outfile.h). */
#include "io/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * What is at path already, from lstat or fstat: 0 when latgov may write it.
 * allow_links: the file is only ever replaced by a rename, so other hard
 * links to it are never written through.
 */
static int check_existing(const struct stat *st, int allow_links, const char *path, char *err,
			  size_t errlen)
{
	if (S_ISLNK(st->st_mode)) {
		snprintf(err, errlen, "%s is a symbolic link: latgov does not write through links; give the real path or remove the link",
			 path);
		return -ELOOP;
	}
	if (S_ISDIR(st->st_mode)) {
		snprintf(err, errlen, "%s is a folder: give a file name", path);
		return -EISDIR;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s is not a regular file (a FIFO, device or socket): give a regular file",
			 path);
		return -EINVAL;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "%s is writable by group or others: run 'chmod go-w %s' or give another path",
			 path, path);
		return -EPERM;
	}
	if (!allow_links && st->st_nlink > 1) {
		snprintf(err, errlen, "%s has other hard links: give a file of its own", path);
		return -EPERM;
	}
	return 0;
}

/* The message for an open() of path that failed with -e. Returns e. */
static int open_failed(int e, const char *path, char *err, size_t errlen)
{
	if (e == -ELOOP)
		snprintf(err, errlen, "%s is a symbolic link: latgov does not write through links; give the real path or remove the link",
			 path);
	else if (e == -ENOENT)
		snprintf(err, errlen, "the folder of %s does not exist: create it first", path);
	else if (e == -EISDIR)
		snprintf(err, errlen, "%s is a folder: give a file name", path);
	else if (e == -ENXIO)
		snprintf(err, errlen, "%s is not a regular file (a FIFO, device or socket): give a regular file",
			 path);
	else
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-e));
	return e == -ENXIO ? -EINVAL : e;
}

int outfile_open_stream(const char *path, int truncate, char *err, size_t errlen)
{
	const int flags = O_WRONLY | O_APPEND | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
	struct stat st;
	int fd = -1, e, tries;

	/* A file created between the lstat and the O_EXCL open is looked at again, once. */
	for (tries = 0; tries < 2; tries++) {
		if (lstat(path, &st) == 0) {
			/* a device or FIFO is refused unopened: opening one can have effects */
			e = check_existing(&st, 0, path, err, errlen);
			if (e)
				return e;
			/* O_NONBLOCK: a FIFO put there since does not hang the open */
			fd = open(path, flags | O_NONBLOCK);
			if (fd < 0)
				return open_failed(-errno, path, err, errlen);
			/* what was opened counts: it may have been swapped since */
			if (fstat(fd, &st)) {
				e = -errno;
				snprintf(err, errlen, "cannot stat %s: %s", path, strerror(-e));
				goto fail;
			}
			e = check_existing(&st, 0, path, err, errlen);
			if (e)
				goto fail;
			if (fcntl(fd, F_SETFL, O_APPEND) || (truncate && ftruncate(fd, 0))) {
				e = -errno;
				snprintf(err, errlen, "cannot open %s: %s", path, strerror(-e));
				goto fail;
			}
			return fd;
		}
		if (errno != ENOENT)
			return open_failed(-errno, path, err, errlen);
		fd = open(path, flags | O_CREAT | O_EXCL, OUTFILE_MODE);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return open_failed(-errno, path, err, errlen);
	}
	snprintf(err, errlen, "%s keeps changing while latgov opens it: give another path", path);
	return -EEXIST;
fail:
	close(fd);
	return e;
}

int outfile_open_private_dir(const char *path, uid_t owner, char *err, size_t errlen)
{
	struct stat st;
	int fd, e;

	if (mkdir(path, OUTFILE_DIR_MODE) && errno != EEXIST) {
		e = -errno;
		if (e == -ENOENT)
			snprintf(err, errlen, "the folder above %s does not exist: create it first (latgov creates %s itself)",
				 path, path);
		else
			snprintf(err, errlen, "cannot create the folder %s: %s", path,
				 strerror(-e));
		return e;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		/* O_DIRECTORY may win over O_NOFOLLOW: a link to a folder is refused as a link */
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			e = -ELOOP;
		if (e == -ELOOP)
			snprintf(err, errlen, "%s is a symbolic link: latgov does not write through links; give the folder's real path",
				 path);
		else if (e == -ENOTDIR)
			snprintf(err, errlen, "%s is not a folder: give a folder's path (latgov creates it if missing)",
				 path);
		else
			snprintf(err, errlen, "cannot open the folder %s: %s", path, strerror(-e));
		return e;
	}
	if (fstat(fd, &st)) {
		e = -errno;
		snprintf(err, errlen, "cannot stat the folder %s: %s", path, strerror(-e));
		goto fail;
	}
	if (st.st_uid != owner) {
		snprintf(err, errlen, "the folder %s belongs to uid %u, not %u: latgov writes only into a folder no one else can change; give a path that does not exist yet (latgov creates it), or run 'chown %u %s'",
			 path, (unsigned)st.st_uid, (unsigned)owner, (unsigned)owner, path);
		e = -EPERM;
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "the folder %s is writable by group or others: latgov writes only into a folder no one else can change; run 'chmod go-w %s' or give a path that does not exist yet",
			 path, path);
		e = -EPERM;
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return e;
}

int outfile_target_open(struct outfile_target *t, const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char dir[PATH_MAX];
	struct stat st;
	int e;

	t->dirfd = -1;
	t->name[0] = 0;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		snprintf(err, errlen, "%s is a folder: give a file name", path);
		return -EISDIR;
	}
	if (strlen(base) >= sizeof(t->name) || (slash && (size_t)(slash - path) >= sizeof(dir))) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	t->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (t->dirfd < 0) {
		e = -errno;
		if (e == -ENOENT)
			snprintf(err, errlen, "the folder of %s does not exist: create it first",
				 path);
		else
			snprintf(err, errlen, "cannot open %s, the folder of %s: %s", dir, path,
				 strerror(-e));
		return e;
	}
	snprintf(t->name, sizeof(t->name), "%s", base);
	if (fstatat(t->dirfd, t->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		e = check_existing(&st, 1, path, err, errlen);
	else if (errno == ENOENT)
		e = 0;
	else
		e = open_failed(-errno, path, err, errlen);
	if (e)
		outfile_target_close(t);
	return e;
}

void outfile_target_close(struct outfile_target *t)
{
	if (t->dirfd >= 0)
		close(t->dirfd);
	t->dirfd = -1;
}

static int write_full(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int outfile_replace_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode)
{
	char tmp[NAME_MAX + 1];
	uint32_t r = 0;
	int fd = -1, e, tries;

	/* An unguessable name: in a shared folder another user may create names first. */
	for (tries = 0; tries < 16; tries++) {
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
			r = (uint32_t)getpid() * 2654435761u + (uint32_t)tries;
		snprintf(tmp, sizeof(tmp), ".%.200s.%08x.tmp", name, r);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0)
		return -errno;
	e = write_full(fd, buf, len);
	if (!e && fsync(fd))
		e = -errno;
	if (close(fd) && !e)
		e = -errno;
	if (!e && renameat(dirfd, tmp, dirfd, name))
		e = -errno;
	if (e)
		unlinkat(dirfd, tmp, 0);
	return e;
}
