// SPDX-License-Identifier: GPL-2.0-only
#include "core/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "core/sched_hist.h"
#include "core/units.h"
#include "core/utf8.h"

static double ns_to_us(uint64_t ns)
{
	return (double)ns / 1e3;
}

/* {"p50":..,"p90":..,"p99":..,"p999":..,"max":..,"mean":..} in µs. */
static void json_quantiles(struct jsonw *jw, const char *key, const struct hist *h)
{
	jw_key(jw, key);
	jw_obj_begin(jw);
	jw_kv_double(jw, "p50", ns_to_us(hist_quantile(h, 0.50)));
	jw_kv_double(jw, "p90", ns_to_us(hist_quantile(h, 0.90)));
	jw_kv_double(jw, "p99", ns_to_us(hist_quantile(h, 0.99)));
	jw_kv_double(jw, "p999", ns_to_us(hist_quantile(h, 0.999)));
	jw_kv_double(jw, "max", ns_to_us(h->count ? h->max : 0));
	jw_kv_double(jw, "mean", hist_mean(h) / 1e3);
	jw_obj_end(jw);
}

/* {"p50":..,"p99":..} in µs, for the scheduler split. */
static void json_p50_p99(struct jsonw *jw, const char *key, const struct hist *h)
{
	jw_key(jw, key);
	jw_obj_begin(jw);
	jw_kv_double(jw, "p50", ns_to_us(hist_quantile(h, 0.50)));
	jw_kv_double(jw, "p99", ns_to_us(hist_quantile(h, 0.99)));
	jw_obj_end(jw);
}

static const char *const sched_keys[] = {
	[AGG_H_ONCPU] = "oncpu_us",
	[AGG_H_RUNQ] = "runq_us",
	[AGG_H_BLOCKED] = "blocked_us",
	[AGG_H_THROTTLED] = "throttled_us",
};

/* The figures every output shares; seconds is the span the rps is over. */
static void json_endpoint(struct jsonw *jw, const struct agg_endpoint *ep,
			  const struct agg_figures *f, double seconds, int detail)
{
	jw_obj_begin(jw);
	jw_kv_str(jw, "name", ep->name);
	if (ep->role == LG_ROLE_CLIENT)
		jw_kv_str(jw, "role", "client");
	jw_kv_u64(jw, "requests", f->requests);
	jw_kv_double(jw, "rps", seconds > 0 ? (double)f->requests / seconds : 0.0);
	jw_kv_u64(jw, "errors", f->errors);
	if (detail) {
		jw_kv_u64(jw, "error_answers", f->error_answers);
		jw_kv_u64(jw, "resets", f->resets);
		jw_kv_u64(jw, "no_response", f->no_response);
	}
	jw_kv_u64(jw, "bytes_in", f->bytes_in);
	jw_kv_u64(jw, "bytes_out", f->bytes_out);
	json_quantiles(jw, "latency_us", agg_hist(f, AGG_H_LATENCY));
	json_quantiles(jw, "ttfb_us", agg_hist(f, AGG_H_TTFB));
	if (f->streamed) {
		if (detail)
			jw_kv_u64(jw, "streamed", f->streamed);
		jw_kv_u64(jw, "chunks", f->chunks);
		jw_kv_double(jw, "chunks_per_stream", (double)f->chunks / (double)f->streamed);
		json_quantiles(jw, "gap_us", agg_hist(f, AGG_H_GAP));
	}
	if (f->sched) {
		for (int k = AGG_H_ONCPU; k <= AGG_H_THROTTLED; k++)
			json_p50_p99(jw, sched_keys[k], agg_hist(f, (enum agg_hist_kind)k));
	}
	if (f->multi_thread)
		jw_kv_u64(jw, "multi_thread", f->multi_thread);
	jw_obj_end(jw);
}

int report_window_json(struct jsonw *jw, const struct agg *a, uint64_t dropped,
		       const struct lg_sched_hist *proc)
{
	uint64_t index, start;
	double window_s = (double)agg_last_window_ns(a) / 1e9;

	if (agg_last_window(a, &index, &start))
		return -ENODATA;
	jw_obj_begin(jw);
	jw_kv_double(jw, "t", (double)start / 1e9);
	jw_kv_double(jw, "window_s", window_s);
	jw_key(jw, "endpoints");
	jw_arr_begin(jw);
	for (size_t i = 0; i < agg_endpoint_count(a); i++) {
		const struct agg_endpoint *ep = agg_endpoint_at(a, i);

		if (ep->last.requests)
			json_endpoint(jw, ep, &ep->last, window_s, 0);
	}
	jw_arr_end(jw);
	jw_kv_u64(jw, "dropped", dropped);
	if (proc)
		sched_hist_json(jw, "process_sched", proc);
	jw_obj_end(jw);
	jw_raw(jw, "\n");
	return jw_finish(jw);
}

int report_summary_json(struct jsonw *jw, const struct agg *a, uint64_t duration_ns,
			const uint64_t counters[LG_CNT__MAX], const struct lg_sched_hist *proc)
{
	const struct agg_stats *st = agg_stats(a);
	double seconds = (double)duration_ns / 1e9;
	uint64_t requests = 0, errors = 0;

	for (size_t i = 0; i < agg_endpoint_count(a); i++) {
		requests += agg_endpoint_at(a, i)->cum.requests;
		errors += agg_endpoint_at(a, i)->cum.errors;
	}
	jw_obj_begin(jw);
	jw_kv_double(jw, "duration_s", seconds);
	jw_kv_double(jw, "window_s", (double)agg_window_ns(a) / 1e9);
	jw_kv_u64(jw, "requests", requests);
	jw_kv_u64(jw, "errors", errors);
	jw_kv_double(jw, "rps", seconds > 0 ? (double)requests / seconds : 0.0);
	jw_kv_u64(jw, "dropped", counters_dropped(counters));
	jw_key(jw, "endpoints");
	jw_arr_begin(jw);
	for (size_t i = 0; i < agg_endpoint_count(a); i++) {
		const struct agg_endpoint *ep = agg_endpoint_at(a, i);

		if (ep->cum.requests)
			json_endpoint(jw, ep, &ep->cum, seconds, 1);
	}
	jw_arr_end(jw);
	jw_key(jw, "counters");
	jw_obj_begin(jw);
	for (unsigned int i = 0; i < LG_CNT__MAX; i++)
		jw_kv_u64(jw, counter_name(i), counters ? counters[i] : 0);
	jw_obj_end(jw);
	jw_key(jw, "aggregator");
	jw_obj_begin(jw);
	jw_kv_u64(jw, "records", st->records);
	jw_kv_u64(jw, "late", st->late);
	jw_kv_u64(jw, "early", st->early);
	jw_kv_u64(jw, "overflow", st->overflow);
	jw_kv_u64(jw, "evicted", st->evicted);
	jw_kv_u64(jw, "alloc_failed", st->alloc_failed);
	jw_kv_u64(jw, "bad_records", st->bad_records);
	jw_obj_end(jw);
	if (proc)
		sched_hist_json(jw, "process_sched", proc);
	jw_obj_end(jw);
	return jw_finish(jw);
}

struct row {
	const struct agg_endpoint *ep;
	const struct agg_figures *f;
};

static int busiest_first(const void *x, const void *y)
{
	const struct row *a = x, *b = y;

	if (a->f->requests != b->f->requests)
		return a->f->requests > b->f->requests ? -1 : 1;
	return strcmp(a->ep->name, b->ep->name);
}

/* Endpoints with requests in the chosen figures, busiest first; *n rows. NULL if none or no memory. */
static struct row *collect(const struct agg *a, enum agg_which which, size_t *n, int *err)
{
	size_t count = agg_endpoint_count(a), k = 0;
	struct row *rows;

	*n = 0;
	*err = 0;
	if (!count)
		return NULL;
	rows = calloc(count, sizeof(*rows));
	if (!rows) {
		*err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < count; i++) {
		const struct agg_endpoint *ep = agg_endpoint_at(a, i);
		const struct agg_figures *f = which == AGG_CUM ? &ep->cum : &ep->last;

		if (f->requests)
			rows[k++] = (struct row){ ep, f };
	}
	qsort(rows, k, sizeof(*rows), busiest_first);
	*n = k;
	return rows;
}

/* Width of the endpoint column: the longest name shown, within [8, 48]. */
static int name_width(const struct row *rows, size_t n)
{
	size_t w = 8;

	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(rows[i].ep->name) + (rows[i].ep->role == LG_ROLE_CLIENT ? 2 : 0);

		if (l > w)
			w = l;
	}
	return (int)(w > 48 ? 48 : w);
}

/*
 * Client-role endpoints are marked "> " (calls out to a dependency). The
 * protocol parsers name endpoints in printable ASCII; the tables go to a
 * terminal, so the name is shown as core/utf8.h says all the same.
 */
static void row_name(const struct agg_endpoint *ep, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "%s", ep->role == LG_ROLE_CLIENT ? "> " : "");

	if (n < size)
		utf8_sanitize_to(out + n, size - n, ep->name);
}

int report_window_table(struct strbuf *sb, const struct agg *a, int plain)
{
	uint64_t index, start;
	double window_s = (double)agg_last_window_ns(a) / 1e9;
	char name[ENDPOINT_NAME_MAX + 2], p50[UNITS_LEN], p99[UNITS_LEN], max[UNITS_LEN], t[32] = "";
	struct row *rows;
	size_t n;
	int err, w;

	if (agg_last_window(a, &index, &start))
		return -ENODATA;
	rows = collect(a, AGG_LAST, &n, &err);
	if (err)
		return err;
	w = name_width(rows, n);
	if (plain)
		snprintf(t, sizeof(t), "t=%.10gs ", (double)start / 1e9);
	else
		sb_printf(sb, "%-*s %10s %8s %8s %8s %8s\n", w, "ENDPOINT", "RPS", "P50",
			  "P99", "MAX", "ERRORS");
	for (size_t i = 0; i < n; i++) {
		const struct hist *lat = agg_hist(rows[i].f, AGG_H_LATENCY);

		/* the column holds w bytes: cut there, between characters */
		row_name(rows[i].ep, name, plain ? sizeof(name) : (size_t)w + 1);
		units_ns(hist_quantile(lat, 0.50), p50, sizeof(p50));
		units_ns(hist_quantile(lat, 0.99), p99, sizeof(p99));
		units_ns(lat->count ? lat->max : 0, max, sizeof(max));
		if (plain)
			sb_printf(sb, "%s%s rps=%.1f p50=%s p99=%s max=%s errors=%" PRIu64 "\n", t,
				  name, (double)rows[i].f->requests / window_s, p50, p99, max,
				  rows[i].f->errors);
		else
			sb_printf(sb, "%-*s %10.1f %8s %8s %8s %8" PRIu64 "\n", w, name,
				  (double)rows[i].f->requests / window_s, p50, p99, max,
				  rows[i].f->errors);
	}
	if (!n && plain)
		sb_printf(sb, "%sno requests\n", t);
	free(rows);
	return sb_finish(sb);
}

/*
 * The scheduler split of each endpoint's requests (read to last write), and
 * why an endpoint has none; then the target threads' process-wide figures.
 */
static void sched_table(struct strbuf *sb, const struct row *rows, size_t n,
			const struct lg_sched_hist *proc)
{
	static const char *const heads[] = { "ON-CPU", "RUN-QUEUE", "BLOCKED", "THROTTLED" };
	char name[ENDPOINT_NAME_MAX + 2], p50[UNITS_LEN], p99[UNITS_LEN], cell[40];
	int any = 0, w = name_width(rows, n);

	for (size_t i = 0; i < n; i++) {
		const struct agg_figures *f = rows[i].f;

		if (!f->sched)
			continue;
		if (!any++) {
			sb_printf(sb, "\ntime from each request's read to its last write, by scheduler state (p50 / p99):\n");
			sb_printf(sb, "%-*s", w, "ENDPOINT");
			for (int k = 0; k < 4; k++)
				sb_printf(sb, " %19s", heads[k]);
			sb_printf(sb, "\n");
		}
		row_name(rows[i].ep, name, (size_t)w + 1);
		sb_printf(sb, "%-*s", w, name);
		for (int k = AGG_H_ONCPU; k <= AGG_H_THROTTLED; k++) {
			const struct hist *h = agg_hist(f, (enum agg_hist_kind)k);

			units_ns(hist_quantile(h, 0.50), p50, sizeof(p50));
			units_ns(hist_quantile(h, 0.99), p99, sizeof(p99));
			snprintf(cell, sizeof(cell), "%s / %s", p50, p99);
			sb_printf(sb, " %19s", cell);
		}
		sb_printf(sb, "\n");
	}
	for (size_t i = 0; i < n; i++) {
		const struct agg_figures *f = rows[i].f;

		if (!f->multi_thread || f->sched * 2 > f->requests)
			continue;
		row_name(rows[i].ep, name, sizeof(name));
		sb_printf(sb, "%s: no split per request: %" PRIu64 " of its %" PRIu64
			  " requests were read on one thread and answered on another (work handed to a pool); see the process-wide figures\n",
			  name, f->multi_thread, f->requests);
	}
	if (proc) {
		struct strbuf tmp;

		sb_init(&tmp);
		sched_hist_text(&tmp, proc);
		if (sb_finish(&tmp) == 0 && tmp.len)
			sb_printf(sb, "\ntarget threads, process-wide (every span, with or without a request):\n%s", tmp.buf);
		sb_free(&tmp);
	}
}

int report_sched_split(struct strbuf *sb, const struct agg *a, const struct lg_sched_hist *proc)
{
	struct row *rows;
	size_t n;
	int err;

	rows = collect(a, AGG_CUM, &n, &err);
	if (err)
		return err;
	sched_table(sb, rows, n, proc);
	free(rows);
	return sb_finish(sb);
}

int report_summary_table(struct strbuf *sb, const struct agg *a, uint64_t duration_ns,
			 const uint64_t counters[LG_CNT__MAX], const struct lg_sched_hist *proc)
{
	double seconds = (double)duration_ns / 1e9;
	char name[ENDPOINT_NAME_MAX + 2], q[8][UNITS_LEN], total[UNITS_LEN];
	uint64_t requests = 0, errors = 0;
	struct row *rows;
	size_t n;
	int err, w;

	rows = collect(a, AGG_CUM, &n, &err);
	if (err)
		return err;
	w = name_width(rows, n);
	sb_printf(sb, "%-*s %9s %9s %7s %8s %8s %8s %8s %8s %8s %9s %9s\n", w, "ENDPOINT",
		  "REQUESTS", "RPS", "ERRORS", "P50", "P90", "P99", "P99.9", "MAX", "MEAN",
		  "TTFB_P50", "TTFB_P99");
	for (size_t i = 0; i < n; i++) {
		const struct agg_figures *f = rows[i].f;
		const struct hist *lat = agg_hist(f, AGG_H_LATENCY);
		const struct hist *ttfb = agg_hist(f, AGG_H_TTFB);

		row_name(rows[i].ep, name, (size_t)w + 1);
		units_ns(hist_quantile(lat, 0.50), q[0], sizeof(q[0]));
		units_ns(hist_quantile(lat, 0.90), q[1], sizeof(q[1]));
		units_ns(hist_quantile(lat, 0.99), q[2], sizeof(q[2]));
		units_ns(hist_quantile(lat, 0.999), q[3], sizeof(q[3]));
		units_ns(lat->count ? lat->max : 0, q[4], sizeof(q[4]));
		units_ns((uint64_t)hist_mean(lat), q[5], sizeof(q[5]));
		units_ns(hist_quantile(ttfb, 0.50), q[6], sizeof(q[6]));
		units_ns(hist_quantile(ttfb, 0.99), q[7], sizeof(q[7]));
		sb_printf(sb, "%-*s %9" PRIu64 " %9.1f %7" PRIu64 " %8s %8s %8s %8s %8s %8s %9s %9s\n",
			  w, name, f->requests, seconds > 0 ? (double)f->requests / seconds : 0.0,
			  f->errors, q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7]);
		requests += f->requests;
		errors += f->errors;
	}
	sb_printf(sb, "total: %" PRIu64 " requests in %s (%.1f rps), %" PRIu64 " errors, %" PRIu64
		  " dropped\n", requests, units_ns(duration_ns, total, sizeof(total)),
		  seconds > 0 ? (double)requests / seconds : 0.0, errors, counters_dropped(counters));
	sched_table(sb, rows, n, proc);
	free(rows);
	if (counters) {
		for (unsigned int i = 0; i < LG_CNT__MAX; i++)
			if (counter_is_loss(i) && counters[i])
				sb_printf(sb, "lost: %s %" PRIu64 "\n", counter_name(i), counters[i]);
	}
	if (agg_stats(a)->overflow)
		sb_printf(sb, "note: %" PRIu64 " requests counted under \"other\": more endpoints than the cap\n",
			  agg_stats(a)->overflow);
	if (agg_stats(a)->evicted)
		sb_printf(sb, "note: %" PRIu64 " endpoints folded into \"other\" to make room for busier ones\n",
			  agg_stats(a)->evicted);
	return sb_finish(sb);
}
