/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The files latgov writes its outputs to. latgov runs as root and the paths
 * come from its command line, often under /tmp or a user's folder: another
 * user who can plant a symbolic link, a FIFO or a hard link at such a path,
 * or who owns the folder, must not be able to turn the write against another
 * file. So no output is opened through a final symbolic link, an existing
 * file is taken only when it is a regular file with one link that only its
 * owner can write, new files are created with O_EXCL, and files written
 * whole go to a new temp file in a folder held open from the start, renamed
 * over the name at the end (a link planted at the name is replaced, never
 * followed).
 *
 * Every destination is opened at the start, before latgov attaches anything,
 * so a bad one ends latgov at once rather than after the session.
 *
 * Each function returns a descriptor or 0 on success and -errno on failure;
 * the ones that take err leave a message there naming the path and what to
 * do about it:
 *   -ELOOP    the path (its last component) is a symbolic link
 *   -EISDIR   a folder where a file is expected
 *   -ENOTDIR  a file where a folder is expected
 *   -EINVAL   a FIFO, device or socket where a regular file is expected
 *   -EPERM    writable by group or others, hard linked, or (a folder) owned by another user
 *   -ENOENT   the folder it goes in does not exist
 * or the errno of the call that failed.
 */
#ifndef LATGOV_IO_OUTFILE_H
#define LATGOV_IO_OUTFILE_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define OUTFILE_MODE	0640	/* files latgov creates */
#define OUTFILE_DIR_MODE 0750	/* folders latgov creates */

/*
 * A file written one line at a time (--json, --log, LATGOV_RECORDS): opens
 * path with O_APPEND and O_NOFOLLOW, creating it (OUTFILE_MODE) when missing.
 * truncate empties an existing file once it passed the checks (a fresh file
 * per run). Never blocks on a FIFO. Returns the descriptor (close-on-exec)
 * or -errno.
 */
int outfile_open_stream(const char *path, int truncate, char *err, size_t errlen);

/*
 * A folder latgov writes files into (flame -o DIR): creates it
 * (OUTFILE_DIR_MODE; its parent must exist) or takes an existing one only if
 * it is no symbolic link, owner owns it and no one else can write it.
 * Returns the folder's descriptor (close-on-exec) or -errno.
 */
int outfile_open_private_dir(const char *path, uid_t owner, char *err, size_t errlen);

/* A file written whole at the end (--summary): its folder, held from the start, and its name. */
struct outfile_target {
	int dirfd;			/* -1 when closed */
	char name[NAME_MAX + 1];
};

/*
 * Opens path's folder and checks what is at path now as outfile_open_stream
 * does (a hard link is fine: the rename replaces the name), creating
 * nothing. Returns 0 or -errno; t->dirfd is -1 on failure.
 */
int outfile_target_open(struct outfile_target *t, const char *path, char *err, size_t errlen);

/* Closes t's folder; a closed or zeroed-then-failed target is fine. */
void outfile_target_close(struct outfile_target *t);

/*
 * Writes buf as the file name in the folder dirfd, whole or not at all: into
 * a new temp file beside it (O_EXCL, O_NOFOLLOW, mode), synced, then renamed
 * over name. Returns 0 or -errno (the temp file removed); no message, the
 * caller knows what the file is called on the command line.
 */
int outfile_replace_at(int dirfd, const char *name, const void *buf, size_t len, mode_t mode);

#endif
