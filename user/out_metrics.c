// SPDX-License-Identifier: GPL-2.0-only
/*
 * --metrics HOST:PORT: the request metrics and the other parts' metrics as
 * Prometheus text, rendered after each closed window and served at /metrics
 * (metrics.c) from the start.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/prom.h"
#include "core/prom_text.h"
#include "core/strbuf.h"
#include "metrics.h"
#include "session.h"

struct metrics_output {
	struct metrics *server;
	struct strbuf sb;
	int failed;	/* a render failed and was reported: /metrics keeps the text before it */
};

/*
 * Renders the request metrics and, with_parts, the other parts' after them,
 * and serves the text. On failure the previous text stays served.
 */
static void publish(struct session *s, struct metrics_output *out, int with_parts)
{
	struct prom_exposition x;
	int e;

	prom_exposition_init(&x);
	sb_reset(&out->sb);
	e = prom_request_metrics(&x, session_agg(s), session_counters(s), NULL, 0);
	if (!e && with_parts)
		session_parts_metrics(s, &x);
	if (!e)
		e = prom_render(&x, &out->sb);
	prom_exposition_free(&x);
	if (!e) {
		metrics_publish(out->server, out->sb.buf, out->sb.len);
		return;
	}
	if (!out->failed)
		fprintf(stderr, "latgov: cannot render /metrics (%s): it keeps serving the last text\n",
			strerror(-e));
	out->failed = 1;
}

static int metrics_on_window(struct session *s, void *ctx)
{
	publish(s, ctx, 1);
	return 0;
}

/*
 * The parts that ended before this one (the governor) have freed what their
 * metrics came from: the last text holds the request metrics only.
 */
static void metrics_on_end(struct session *s, void *ctx)
{
	struct metrics_output *out = ctx;

	if (session_ran(s))
		publish(s, out, 0);
	metrics_stop(out->server);
	sb_free(&out->sb);
	free(out);
}

int session_metrics_part(struct session *s)
{
	const char *addr = session_options(s)->metrics_addr;
	struct metrics_output *out = calloc(1, sizeof(*out));
	struct session_part part = { .name = "metrics", .on_window = metrics_on_window,
				     .on_end = metrics_on_end, .ctx = out };
	char err[256];
	int e;

	if (!out)
		return -ENOMEM;
	sb_init(&out->sb);
	e = metrics_start(&out->server, addr, err, sizeof(err));
	if (e) {
		fprintf(stderr, "latgov: %s\n", err);
		goto err;
	}
	e = session_add_part(s, &part);
	if (e)
		goto err;
	/* Serve the (empty) metrics from the start, not only after the first window. */
	publish(s, out, 0);
	return 0;
err:
	metrics_stop(out->server);
	sb_free(&out->sb);
	free(out);
	return e;
}
