/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Opening files that a profiled process, and so another user, controls: the
 * ELF objects it maps, their debug files, its /tmp/perf-PID.map. latgov runs
 * as root, and the process picks these paths (its maps, its .gnu_debuglink,
 * its build-id) and owns the folders they lie in. This is the one place that
 * opens them.
 *
 * A path is resolved inside the process's root folder (a dirfd of
 * /proc/PID/root; in unit tests any folder) with openat2's RESOLVE_IN_ROOT:
 * "..", absolute paths and absolute symlinks stay under that root, as they
 * do for the process itself; RESOLVE_BENEATH would refuse the absolute
 * symlinks a container's own tree legitimately holds. Magic links
 * (/proc/PID/fd/N and the like) are not crossed, and a symlink as the last
 * component is not followed unless asked. The file is first opened O_PATH,
 * which runs no device's open and waits on no FIFO; only a regular file
 * within its size limit is then opened for reading, through that same open
 * file, so it cannot be swapped in between.
 *
 * openat2 needs Linux 5.6; on older kernels these return -ENOSYS.
 */
#ifndef LATGOV_IO_TARGETFILE_H
#define LATGOV_IO_TARGETFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/*
 * Size limits. An ELF object or debug file above 1 GiB is refused (a sparse
 * file costs its owner nothing and libelf sizes its tables from the file);
 * a perf map above 64 MiB too (a JIT writes a short line per compiled
 * function; a map that big is kept growing, or planted).
 */
#define TARGETFILE_ELF_MAX     (1ull << 30)
#define TARGETFILE_PERFMAP_MAX (64ull << 20)

/* targetfile_open flags */
/* Follow a symlink in the last component too (still inside the root). */
#define TARGETFILE_FOLLOW 1u

/*
 * A directory fd (O_PATH) of the root folder path, e.g. "/proc/PID/root",
 * which is followed: it is latgov's own path. Returns the fd or -errno
 * (-ENOENT, -ESRCH: the process is gone; -ENOTDIR).
 */
int targetfile_open_root(const char *path);

/*
 * Opens path (absolute or not, both taken inside root_fd) for reading, with
 * O_CLOEXEC and O_NONBLOCK. Fills *st (when not NULL). Returns the fd, or
 * -errno: -ELOOP when the last component is a symlink (without
 * TARGETFILE_FOLLOW) or the path crosses a magic link; -EISDIR for a
 * directory; -EINVAL for any other file that is not a regular file (FIFO,
 * socket, device); -EFBIG when it is larger than max_size; -ENOENT etc.
 */
int targetfile_open(int root_fd, const char *path, uint64_t max_size, unsigned flags,
		    struct stat *st);

/*
 * The same checks for a file reached through one of latgov's own procfs
 * links to an open or mapped file (/proc/PID/map_files/START-END), which is
 * followed. Returns the fd or -errno as targetfile_open.
 */
int targetfile_open_link(const char *link, uint64_t max_size, struct stat *st);

/*
 * Reads the rest of fd (a file targetfile_open opened) into a new
 * NUL-terminated buffer *text (free it), its length in *len. Returns 0,
 * -EFBIG when there are more than max_size bytes (it may have grown since
 * it was opened), or -errno.
 */
int targetfile_read(int fd, size_t max_size, char **text, size_t *len);

#endif
