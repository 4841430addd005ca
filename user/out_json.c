// SPDX-License-Identifier: GPL-2.0-only
/*
 * --json FILE: one JSON line per closed window; --summary FILE: the run's
 * summary as one JSON document at the end, written whole into the folder
 * opened at the start (io/outfile.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "core/jsonw.h"
#include "core/report.h"
#include "io/outfile.h"
#include "session.h"

struct json_output {
	FILE *windows;		/* --json; NULL without it or after a write failed */
	struct outfile_target summary;	/* --summary; dirfd -1 without it */
	uint64_t dropped_before;
	struct jsonw jw;
};

static int write_all(FILE *f, const char *buf, size_t len)
{
	if (fwrite(buf, 1, len, f) != len || fflush(f))
		return -EIO;
	return 0;
}

static int json_on_window(struct session *s, void *ctx)
{
	struct json_output *out = ctx;
	uint64_t dropped = counters_dropped(session_counters(s));
	int e;

	if (out->windows) {
		jw_reset(&out->jw);
		e = report_window_json(&out->jw, session_agg(s), dropped - out->dropped_before,
				       session_sched_window(s));
		if (e == 0 && jw_finish(&out->jw) == 0 &&
		    write_all(out->windows, out->jw.buf, out->jw.len)) {
			fprintf(stderr, "latgov: cannot write --json %s: %s\n",
				session_options(s)->json_path, strerror(errno));
			fclose(out->windows);
			out->windows = NULL;
			session_part_failed(s);
		}
	}
	out->dropped_before = dropped;
	return 0;
}

/* The summary replaces the file whole: a reader sees the old one or the new one. */
static int write_summary_file(struct session *s, struct json_output *out)
{
	int e;

	jw_reset(&out->jw);
	e = report_summary_json(&out->jw, session_agg(s), session_duration_ns(s),
				session_counters(s), session_sched_total(s));
	if (!e) {
		jw_raw(&out->jw, "\n");
		e = jw_finish(&out->jw);
	}
	if (!e)
		e = outfile_replace_at(out->summary.dirfd, out->summary.name, out->jw.buf,
				       out->jw.len, OUTFILE_MODE);
	if (e)
		fprintf(stderr, "latgov: cannot write the summary to %s: %s\n",
			session_options(s)->summary_path, strerror(-e));
	return e;
}

static void json_on_end(struct session *s, void *ctx)
{
	struct json_output *out = ctx;

	if (session_ran(s) && out->summary.dirfd >= 0 && write_summary_file(s, out))
		session_part_failed(s);
	if (out->windows)
		fclose(out->windows);
	outfile_target_close(&out->summary);
	jw_free(&out->jw);
	free(out);
}

/* Takes the --json file and the --summary folder session_outputs_open() opened. */
int session_json_part(struct session *s)
{
	struct session_outputs *outs = session_outputs(s);
	struct json_output *out = calloc(1, sizeof(*out));
	struct session_part part = { .name = "json", .on_window = json_on_window,
				     .on_end = json_on_end, .ctx = out };
	int e;

	if (!out)
		return -ENOMEM;
	jw_init(&out->jw);
	out->summary.dirfd = -1;
	if (outs->json >= 0) {
		out->windows = fdopen(outs->json, "a");
		if (!out->windows) {
			e = -errno;
			fprintf(stderr, "latgov: cannot write --json %s: %s\n",
				session_options(s)->json_path, strerror(-e));
			goto err;
		}
	}
	e = session_add_part(s, &part);
	if (e)
		goto err;
	outs->json = -1;
	out->summary = outs->summary;
	outs->summary.dirfd = -1;
	return 0;
err:
	/* fclose closes the --json descriptor; the rest stays the session's to close */
	if (out->windows) {
		fclose(out->windows);
		outs->json = -1;
	}
	jw_free(&out->jw);
	free(out);
	return e;
}
