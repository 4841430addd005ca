// SPDX-License-Identifier: GPL-2.0-only
#include "stats.h"

#include <stdio.h>
#include <string.h>

#include "core/http.h"

void lg_window_reset(struct lg_window *w)
{
	memset(&w->n, 0, sizeof(w->n));
	w->dropped = 0;
	hist_init(&w->latency);
	hist_init(&w->ttfb);
}

void lg_totals_init(struct lg_totals *t)
{
	memset(t, 0, sizeof(*t));
	hist_init(&t->latency);
	hist_init(&t->ttfb);
	hist_init(&t->send_lag);
	hist_init(&t->service);
	hist_init(&t->service_ttfb);
	hist_init(&t->gap);
}

void lg_totals_add(struct lg_totals *t, const struct lg_window *w)
{
	const uint64_t *src = (const uint64_t *)&w->n;
	uint64_t *dst = (uint64_t *)&t->n;

	/* struct lg_counts is all uint64_t counters */
	for (size_t i = 0; i < sizeof(w->n) / sizeof(uint64_t); i++)
		dst[i] += src[i];
	t->dropped += w->dropped;
	hist_merge(&t->latency, &w->latency);
	hist_merge(&t->ttfb, &w->ttfb);
}

void lg_endpoint_name(const char *method, const char *path, char *out, size_t outlen)
{
	char route[HTTP_ROUTE_MAX];

	http_template_route(path, strlen(path), 0, route, sizeof(route));
	snprintf(out, outlen, "%s %s", method, route);
}

static void quantiles(struct jsonw *jw, const char *key, const struct hist *h, int mean)
{
	static const struct { const char *name; double q; } qs[] = {
		{ "p50", 0.50 }, { "p90", 0.90 }, { "p99", 0.99 }, { "p999", 0.999 },
	};

	jw_key(jw, key);
	jw_obj_begin(jw);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		jw_kv_double(jw, qs[i].name, (double)hist_quantile(h, qs[i].q) / 1e3);
	jw_kv_double(jw, "max", (double)h->max / 1e3);
	if (mean)
		jw_kv_double(jw, "mean", hist_mean(h) / 1e3);
	jw_obj_end(jw);
}

void lg_window_json(struct jsonw *jw, double t_s, double window_s, const struct lg_window *w)
{
	double per_s = window_s > 0 ? 1.0 / window_s : 0;

	jw_obj_begin(jw);
	jw_kv_double(jw, "t", t_s);
	jw_kv_double(jw, "window_s", window_s);
	jw_kv_double(jw, "intended_rps", (double)w->n.intended * per_s);
	jw_kv_double(jw, "achieved_rps", (double)w->n.completed * per_s);
	jw_kv_u64(jw, "sent", w->n.sent);
	jw_kv_u64(jw, "completed", w->n.completed);
	jw_kv_u64(jw, "errors", w->n.errors);
	jw_kv_u64(jw, "timeouts", w->n.timeouts);
	jw_kv_u64(jw, "dropped", w->dropped);
	quantiles(jw, "latency_us", &w->latency, 0);
	quantiles(jw, "ttfb_us", &w->ttfb, 0);
	jw_obj_end(jw);
}

void lg_summary_json(struct jsonw *jw, const struct lg_run *run, const struct lg_totals *t)
{
	/* A request that finished, well or badly; errors are a subset. */
	uint64_t requests = t->n.completed + t->n.timeouts + t->n.transport_errors + t->n.malformed;
	double rps = run->duration_s > 0 ? (double)requests / run->duration_s : 0;
	uint64_t status_5xx = 0;
	char code[8];

	for (int s = 500; s < LG_STATUS_MAX; s++)
		status_5xx += t->status[s];

	jw_obj_begin(jw);
	jw_kv_str(jw, "tool", "loadgen");
	jw_kv_str(jw, "mode", run->mode);
	jw_kv_double(jw, "duration_s", run->duration_s);
	jw_kv_u64(jw, "requests", requests);
	jw_kv_u64(jw, "errors", t->n.errors);
	jw_kv_double(jw, "rps", rps);
	jw_kv_u64(jw, "dropped", t->dropped);

	jw_key(jw, "endpoints");
	jw_arr_begin(jw);
	jw_obj_begin(jw);
	jw_kv_str(jw, "name", run->endpoint);
	jw_kv_u64(jw, "requests", requests);
	jw_kv_u64(jw, "errors", t->n.errors);
	jw_kv_u64(jw, "status_5xx", status_5xx);
	jw_kv_u64(jw, "resets", t->n.transport_errors);
	jw_kv_double(jw, "rps", rps);
	/* The server's view, as latgov's summary: bytes_in is what it received (our requests). */
	jw_kv_u64(jw, "bytes_in", t->n.bytes_out);
	jw_kv_u64(jw, "bytes_out", t->n.bytes_in);
	quantiles(jw, "latency_us", &t->latency, 1);
	quantiles(jw, "ttfb_us", &t->ttfb, 1);
	if (t->n.streams) {
		jw_kv_u64(jw, "streamed", t->n.streams);
		jw_kv_u64(jw, "chunks", t->n.chunks);
		jw_kv_u64(jw, "events", t->n.events);
		if (t->gap.count)
			quantiles(jw, "gap_us", &t->gap, 1);
	}
	jw_obj_end(jw);
	jw_arr_end(jw);

	jw_key(jw, "loadgen");
	jw_obj_begin(jw);
	jw_kv_double(jw, "intended_rps", run->intended_rps);
	jw_kv_double(jw, "achieved_rps", run->duration_s > 0 ? (double)t->n.completed / run->duration_s : 0);
	jw_kv_u64(jw, "intended", t->n.intended);
	jw_kv_u64(jw, "sent", t->n.sent);
	jw_kv_u64(jw, "completed", t->n.completed);
	jw_kv_u64(jw, "timeouts", t->n.timeouts);
	jw_kv_u64(jw, "connect_errors", t->n.connect_errors);
	jw_kv_u64(jw, "transport_errors", t->n.transport_errors);
	jw_kv_u64(jw, "malformed", t->n.malformed);
	jw_kv_u64(jw, "retries", t->n.retries);
	jw_kv_u64(jw, "connections", run->connections);
	jw_kv_u64(jw, "queue_max", run->queue_max);
	jw_kv_bool(jw, "interrupted", run->interrupted);
	quantiles(jw, "send_lag_us", &t->send_lag, 1);
	quantiles(jw, "service_latency_us", &t->service, 1);
	quantiles(jw, "service_ttfb_us", &t->service_ttfb, 1);
	jw_key(jw, "status");
	jw_obj_begin(jw);
	for (int s = 0; s < LG_STATUS_MAX; s++) {
		if (!t->status[s])
			continue;
		snprintf(code, sizeof(code), "%d", s);
		jw_kv_u64(jw, code, t->status[s]);
	}
	jw_obj_end(jw);
	jw_obj_end(jw);
	jw_obj_end(jw);
}
