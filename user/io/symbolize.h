/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Addresses to frame names, for the flame outputs.
 *
 * A process is snapshotted when first seen (symbolizer_add_process): its
 * /proc/PID/maps is read and every executable file it maps is loaded then,
 * by its path inside the process's root folder (/proc/PID/root), so that
 * objects inside containers are the ones the process runs, or through
 * /proc/PID/map_files/ when that path no longer holds the mapped file. These
 * files, their debug files and perf maps are the process owner's to choose:
 * all are opened through targetfile.h. A process that exits later is still
 * symbolized from the snapshot. An object is kept while a snapshot maps it,
 * found again by device, inode, path and root; two objects share one symbol
 * table only when read from the same files (device, inode, size, mtime).
 *
 * Frames print as the function name; JIT code through /tmp/perf-PID.map in
 * the process's root, when root or one of the process's users owns it;
 * kernel frames as "name_[k]" from /proc/kallsyms. A frame that cannot be
 * named prints as "module+0xOFF" (OFF the object's link-time address) or
 * "[anon]+0xADDR", "[unknown]+0xADDR": never dropped.
 *
 * Known limit: user stacks are walked by frame pointers in the kernel, and
 * Debian's libc and most distribution binaries are built without them, so
 * user stacks through such code are short (often just the leaf).
 */
#ifndef LATGOV_SYMBOLIZE_H
#define LATGOV_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct symbolizer;

struct symbolizer_stats {
	uint64_t processes;	/* snapshotted */
	uint64_t objects;	/* ELF objects loaded */
	uint64_t objects_failed;	/* could not be opened or parsed */
	uint64_t files_refused;	/* objects, debug files, perf maps that are not regular files,
				 * too big, symlinks, or perf maps of another owner */
	uint64_t sections_refused;	/* compressed sections that would inflate too far */
	uint64_t frames;	/* addresses looked up */
	uint64_t unresolved;	/* printed as module+0xoff or [unknown] */
};

/* A new symbolizer, or NULL when out of memory. */
struct symbolizer *symbolizer_new(void);
void symbolizer_free(struct symbolizer *s);

/*
 * Snapshots pid's maps and loads its objects; a no-op for a pid already
 * seen. Returns 0, or -errno (-ENOENT/-ESRCH when the process is gone).
 */
int symbolizer_add_process(struct symbolizer *s, pid_t pid);

/*
 * Re-reads pid's maps if it is still alive (libraries loaded since), keeping
 * the old snapshot if it is gone. Objects already loaded are reused.
 * Returns 0 or -errno.
 */
int symbolizer_refresh_process(struct symbolizer *s, pid_t pid);

/*
 * Writes the frame name of user address addr in pid into buf (always
 * NUL-terminated, never empty). Snapshots pid first if needed. Returns 1 when
 * a symbol was found, 0 when the frame is printed as module+0xoff.
 */
int symbolizer_user(struct symbolizer *s, pid_t pid, uint64_t addr, char *buf, size_t len);

/* Same for a kernel address: "name_[k]" or "[kernel]+0xADDR_[k]". */
int symbolizer_kernel(struct symbolizer *s, uint64_t addr, char *buf, size_t len);

void symbolizer_stats(const struct symbolizer *s, struct symbolizer_stats *out);

#endif
