/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Crash safety for cgroup limits: before latgov first writes a cgroup file,
 * the file's original value is saved in a state file under /run/latgov/.
 * Every later write is recorded too (the value about to be written, then the
 * value read back), so that a restore after SIGKILL can tell latgov's own
 * values from someone else's and only undoes its own.
 *
 * One state file per target cgroup, named after it. A lock file beside it is
 * held with flock() for as long as latgov runs: a second latgov on the same
 * cgroup is refused, and the kernel drops the lock when the holder dies, so
 * `latgov restore` knows the recorded owner is gone.
 *
 * The state file is replaced atomically (temp file, fsync, rename, fsync of
 * the folder): a crash leaves the old or the new version, never half of one.
 *
 * Functions return 0 on success and -errno on failure, with a message in err
 * where they take one.
 */
#ifndef LATGOV_IO_STATEFILE_H
#define LATGOV_IO_STATEFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "io/cgroup.h"

#define STATEFILE_DIR "/run/latgov"
#define STATEFILE_VALUE_MAX 128

struct statefile;

/*
 * Takes the lock for target (a resolved cgroup path) in dir, creating dir.
 * Refused with -EBUSY if another latgov holds it, and with -EEXIST if a state
 * file left by a dead latgov is still there (restore it first).
 */
int statefile_acquire(struct statefile **out, const char *dir, const char *target,
		      char *err, size_t errlen);

/* Records file's original value (once per file); saved before returning. */
int statefile_record(struct statefile *sf, const char *file, const char *orig);

/* Before a write: value is what latgov is about to write to file. Saved. */
int statefile_intend(struct statefile *sf, const char *file, const char *value);

/* After a write: readback is what the file holds now. Saved. */
int statefile_confirm(struct statefile *sf, const char *file, const char *readback);

/* Someone else wrote file: latgov will not touch it again, nor restore it. */
int statefile_mark_foreign(struct statefile *sf, const char *file);

/*
 * Writes every recorded original back where the file still holds latgov's
 * value; reports each file on out (may be NULL). test_root as for cg_open().
 * Returns the number of files that could not be restored (0 = all done).
 */
int statefile_restore(struct statefile *sf, const char *test_root, FILE *out);

/* Unlocks and frees; with remove, deletes the state and lock files first. */
void statefile_release(struct statefile *sf, int remove);

/*
 * For `latgov restore`: restores every state file in dir whose target is
 * target (or all with target NULL) and whose owner is dead. Files of a live
 * latgov are left alone and reported. Returns 0 if everything asked for was
 * restored (or there was nothing), 1 if something was left, -errno on error.
 */
int statefile_restore_dead(const char *dir, const char *target, const char *test_root, FILE *out);

/*
 * One cgroup file under latgov's control. knob_ctl_init records its original
 * in the state file (sf NULL: dry run, nothing recorded); knob_ctl_write
 * writes only a changed value, reads it back and records it; knob_ctl_check
 * says whether someone else has written it since.
 */
struct knob_ctl {
	enum cg_knob knob;
	char path[PATH_MAX + 64];
	char orig[STATEFILE_VALUE_MAX];
	char last[STATEFILE_VALUE_MAX];	/* latgov's last value as read back; "" none */
	int foreign;
};

int knob_ctl_init(struct knob_ctl *k, const struct cg_target *t, enum cg_knob knob,
		  struct statefile *sf);
/* 1 if a foreign write was found now (reported on stderr once), else 0. */
int knob_ctl_check(struct knob_ctl *k, const struct cg_target *t, struct statefile *sf);
/*
 * Returns 1 if written, 0 if unchanged (or foreign: then not touched),
 * -errno on failure. dry_out non-NULL: print "would write" there instead.
 */
int knob_ctl_write(struct knob_ctl *k, const struct cg_target *t, struct statefile *sf,
		   const char *value, FILE *dry_out);

/*
 * knob_ctl_write in two halves, for writes done on another thread (memory):
 * begin returns 1 if value must be written (intent recorded), 0 if not
 * (unchanged or foreign), -errno; the caller writes; finish reads back and
 * records, given the write's result, and returns 1 or -errno.
 */
int knob_ctl_begin(struct knob_ctl *k, const struct cg_target *t, struct statefile *sf,
		   const char *value, char *cur, size_t curlen);
int knob_ctl_finish(struct knob_ctl *k, const struct cg_target *t, struct statefile *sf,
		    const char *value, int write_ret);

#endif
