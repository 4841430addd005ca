// SPDX-License-Identifier: GPL-2.0-only
/* Opening files another user controls, inside a process's root (see targetfile.h). */
#include "io/targetfile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * openat2 with RESOLVE_IN_ROOT fails with EAGAIN when a rename or mount
 * raced a ".." of the walk (it cannot then prove the walk stayed inside);
 * the owner of the folders can cause that at will, so only a few tries.
 */
#define OPEN_TRIES 4

int targetfile_open_root(const char *path)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/*
 * Checks what the O_PATH descriptor path_fd holds and opens that file for
 * reading. Closes path_fd. Returns the new fd or -errno.
 */
static int open_checked(int path_fd, uint64_t max_size, struct stat *out)
{
	char self[64];
	struct stat st;
	int err;

	if (fstat(path_fd, &st)) {
		err = -errno;
		goto out;
	}
	if (S_ISLNK(st.st_mode))
		err = -ELOOP;	/* O_PATH | O_NOFOLLOW holds the link itself */
	else if (S_ISDIR(st.st_mode))
		err = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		err = -EINVAL;
	else if ((uint64_t)st.st_size > max_size)
		err = -EFBIG;
	else
		err = 0;
	if (err)
		goto out;
	/*
	 * The descriptor's own procfs link reopens the very file checked above,
	 * whatever its path holds by now.
	 */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", path_fd);
	err = open(self, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (err < 0) {
		err = -errno;
		goto out;
	}
	if (out)
		*out = st;
out:
	close(path_fd);
	return err;
}

int targetfile_open(int root_fd, const char *path, uint64_t max_size, unsigned flags,
		    struct stat *st)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC | ((flags & TARGETFILE_FOLLOW) ? 0 : O_NOFOLLOW),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = -1;

	for (int i = 0; i < OPEN_TRIES; i++) {
		fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	if (fd < 0)
		return -errno;
	return open_checked(fd, max_size, st);
}

int targetfile_open_link(const char *link, uint64_t max_size, struct stat *st)
{
	int fd = open(link, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return open_checked(fd, max_size, st);
}

int targetfile_read(int fd, size_t max_size, char **text, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf = NULL;
	int err = 0;

	if (fstat(fd, &st))
		return -errno;
	/*
	 * Room for one byte past the size it has, to see it grow (procfs files
	 * say 0: a page to start with); then up to one past the limit.
	 */
	cap = (uint64_t)st.st_size < max_size ? (size_t)st.st_size + 1 : max_size + 1;
	if (cap < 4096)
		cap = max_size < 4096 ? max_size + 1 : 4096;
	for (;;) {
		ssize_t r;

		if (!buf || n == cap) {
			size_t ncap = !buf ? cap : cap > max_size / 2 ? max_size + 1 : cap * 2;
			char *nb;

			if (n > max_size) {
				err = -EFBIG;
				break;
			}
			nb = realloc(buf, ncap + 1);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!err && n > max_size)
		err = -EFBIG;
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}
