// SPDX-License-Identifier: GPL-2.0-only
/*
 * The terminal output of every watching session: each closed window's
 * request table with the other parts' status lines (redrawn in place on a
 * terminal, appended otherwise), and the summary table at the end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/counters.h"
#include "core/report.h"
#include "core/strbuf.h"
#include "session.h"

struct table_output {
	int tty;
	struct strbuf sb;
};

static int table_on_window(struct session *s, void *ctx)
{
	struct table_output *out = ctx;
	uint64_t dropped = counters_dropped(session_counters(s));

	sb_reset(&out->sb);
	if (report_window_table(&out->sb, session_agg(s), !out->tty))
		return 0;
	session_parts_status(s, &out->sb);
	if (sb_finish(&out->sb))
		return 0;
	if (out->tty)
		fputs("\033[H\033[2J", stdout);
	fwrite(out->sb.buf, 1, out->sb.len, stdout);
	if (out->tty && dropped)
		printf("dropped %llu records (see the summary's counters)\n",
		       (unsigned long long)dropped);
	fflush(stdout);
	return 0;
}

static void table_on_end(struct session *s, void *ctx)
{
	struct table_output *out = ctx;

	if (!session_ran(s))
		goto free;
	sb_reset(&out->sb);
	if (report_summary_table(&out->sb, session_agg(s), session_duration_ns(s),
				 session_counters(s), session_sched_total(s)) == 0 &&
	    sb_finish(&out->sb) == 0) {
		fputs("\n", stdout);
		fwrite(out->sb.buf, 1, out->sb.len, stdout);
		fflush(stdout);
	}
free:
	sb_free(&out->sb);
	free(out);
}

int session_table_part(struct session *s)
{
	struct table_output *out = calloc(1, sizeof(*out));
	struct session_part part = { .name = "table", .on_window = table_on_window,
				     .on_end = table_on_end, .ctx = out };
	int e;

	if (!out)
		return -ENOMEM;
	out->tty = isatty(STDOUT_FILENO);
	sb_init(&out->sb);
	e = session_add_part(s, &part);
	if (e)
		free(out);
	return e;
}
