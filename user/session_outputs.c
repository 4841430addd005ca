// SPDX-License-Identifier: GPL-2.0-only
/*
 * The session's output destinations, opened before anything starts (see
 * session.h and io/outfile.h): one another user could redirect, or one latgov
 * cannot write, ends latgov before it traces anything rather than after.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "session.h"

int session_outputs_open(struct session_outputs *out, const struct lg_options *o)
{
	const char *records = getenv("LATGOV_RECORDS"), *option;
	char err[768];
	int fd;

	out->flame_dir = out->json = out->records = -1;
	out->summary.dirfd = -1;
	/* latgov writes the flame files as root: into a folder only root can change */
	option = o->cmd == LG_CMD_FLAME ? "-o" : "--flame";
	if (o->flame_dir) {
		out->flame_dir = outfile_open_private_dir(o->flame_dir, geteuid(), err,
							  sizeof(err));
		if (out->flame_dir < 0)
			goto fail;
	}
	option = "--summary";
	if (o->summary_path &&
	    outfile_target_open(&out->summary, o->summary_path, err, sizeof(err)))
		goto fail;
	option = "--json";
	if (o->json_path) {
		out->json = outfile_open_stream(o->json_path, 1, err, sizeof(err));
		if (out->json < 0)
			goto fail;
	}
	option = "LATGOV_RECORDS";
	if (records && *records) {
		out->records = outfile_open_stream(records, 1, err, sizeof(err));
		if (out->records < 0)
			goto fail;
	}
	option = "--log";
	if (o->log_path) {
		fd = outfile_open_stream(o->log_path, 0, err, sizeof(err));
		if (fd < 0)
			goto fail;
		close(fd);
	}
	return 0;
fail:
	/* the user named the destination: bad input, whatever the call said */
	fprintf(stderr, "latgov %s: %s: %s\n", options_cmd_name(o->cmd), option, err);
	return -EINVAL;
}

void session_outputs_close(struct session_outputs *out)
{
	if (out->flame_dir >= 0)
		close(out->flame_dir);
	if (out->json >= 0)
		close(out->json);
	if (out->records >= 0)
		close(out->records);
	out->flame_dir = out->json = out->records = -1;
	outfile_target_close(&out->summary);
}
