// SPDX-License-Identifier: GPL-2.0-only
/*
 * latgov restore: undo the limits recorded under /run/latgov by a latgov
 * that died without restoring them (SIGKILL, OOM kill, power cut of the
 * process). A latgov still running is left alone: it restores on exit.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "io/statefile.h"

int cmd_restore(const struct lg_options *o)
{
	char real[PATH_MAX];
	const char *target = NULL;
	int ret;

	if (o->cgroup) {
		/* state files name the resolved path; a removed cgroup is matched as given */
		target = realpath(o->cgroup, real) ? real : o->cgroup;
	}
	ret = statefile_restore_dead(STATEFILE_DIR, target, NULL, stdout);
	if (ret < 0) {
		fprintf(stderr, "latgov restore: cannot read %s: %s\n", STATEFILE_DIR, strerror(-ret));
		return -EIO;
	}
	/* what was left (a live owner's, or a file that would not take its value) was reported */
	return ret ? -EIO : 0;
}
