// SPDX-License-Identifier: GPL-2.0-only
/*
 * --json FILE: one JSON line per closed window; --summary FILE: the run's
 * summary as one JSON document at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "core/jsonw.h"
#include "core/report.h"
#include "session.h"

struct json_output {
	FILE *windows;		/* --json; NULL without it or after a write failed */
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
			fprintf(stderr, "latgov: writing %s failed: %s\n",
				session_options(s)->json_path, strerror(errno));
			fclose(out->windows);
			out->windows = NULL;
		}
	}
	out->dropped_before = dropped;
	return 0;
}

static int write_summary_file(struct session *s, struct json_output *out)
{
	const char *path = session_options(s)->summary_path;
	FILE *f;
	int e;

	jw_reset(&out->jw);
	e = report_summary_json(&out->jw, session_agg(s), session_duration_ns(s),
				session_counters(s), session_sched_total(s));
	if (!e)
		e = jw_finish(&out->jw);
	if (e)
		return e;
	f = fopen(path, "we");
	if (!f) {
		e = -errno;
		fprintf(stderr, "latgov: cannot write the summary to %s: %s\n", path, strerror(-e));
		return e;
	}
	e = write_all(f, out->jw.buf, out->jw.len);
	if (!e)
		e = write_all(f, "\n", 1);
	if (fclose(f) && !e)
		e = -EIO;
	if (e)
		fprintf(stderr, "latgov: cannot write the summary to %s: %s\n", path, strerror(-e));
	return e;
}

static void json_on_end(struct session *s, void *ctx)
{
	struct json_output *out = ctx;

	if (session_ran(s) && session_options(s)->summary_path)
		write_summary_file(s, out);
	if (out->windows)
		fclose(out->windows);
	jw_free(&out->jw);
	free(out);
}

int session_json_part(struct session *s)
{
	const struct lg_options *o = session_options(s);
	struct json_output *out = calloc(1, sizeof(*out));
	struct session_part part = { .name = "json", .on_window = json_on_window,
				     .on_end = json_on_end, .ctx = out };
	int e;

	if (!out)
		return -ENOMEM;
	jw_init(&out->jw);
	if (o->json_path) {
		out->windows = fopen(o->json_path, "we");
		if (!out->windows) {
			e = -errno;
			fprintf(stderr, "latgov: cannot write --json %s: %s\n", o->json_path,
				strerror(-e));
			goto err;
		}
	}
	e = session_add_part(s, &part);
	if (e)
		goto err;
	return 0;
err:
	if (out->windows)
		fclose(out->windows);
	jw_free(&out->jw);
	free(out);
	return e;
}
