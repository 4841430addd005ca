// SPDX-License-Identifier: GPL-2.0-only
#include "core/prom.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "core/counters.h"

const double prom_default_le[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
const size_t prom_default_le_count = sizeof(prom_default_le) / sizeof(prom_default_le[0]);

void prom_escape_label(struct strbuf *sb, const char *s)
{
	size_t run = 0;

	for (const char *p = s; *p; p++) {
		const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;

		if (!esc) {
			run++;
			continue;
		}
		sb_add(sb, p - run, run);
		run = 0;
		sb_puts(sb, esc);
	}
	sb_add(sb, s + strlen(s) - run, run);
}

/*
 * Everything aggregated so far: the cumulative figures (closed windows) plus
 * the open windows, so a scrape is fresh to the last record, not to the last
 * closed window. Closing a window moves figures from open to cumulative, so
 * every series stays monotonic.
 */
static const struct agg_figures *parts(const struct agg_endpoint *ep, size_t i)
{
	return i == 0 ? &ep->cum : &ep->open[i - 1];
}
#define NPARTS (1 + AGG_OPEN_WINDOWS)

static uint64_t field_sum(const struct agg_endpoint *ep, size_t offset)
{
	uint64_t n = 0;

	for (size_t i = 0; i < NPARTS; i++)
		n += *(const uint64_t *)((const char *)parts(ep, i) + offset);
	return n;
}

static void labels(struct strbuf *sb, const struct agg_endpoint *ep)
{
	sb_puts(sb, "endpoint=\"");
	prom_escape_label(sb, ep->name);
	sb_puts(sb, ep->role == LG_ROLE_CLIENT ? "\",role=\"client\"" : "\",role=\"server\"");
}

static void header(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter_family(struct strbuf *sb, const struct agg *a, const char *name,
			   const char *help, size_t offset)
{
	header(sb, name, "counter", help);
	for (size_t i = 0; i < agg_endpoint_count(a); i++) {
		const struct agg_endpoint *ep = agg_endpoint_at(a, i);

		sb_printf(sb, "%s{", name);
		labels(sb, ep);
		sb_printf(sb, "} %" PRIu64 "\n", field_sum(ep, offset));
	}
}

static void histogram_family(struct strbuf *sb, const struct agg *a, const char *name,
			     const char *help, enum agg_hist_kind kind, const double *le,
			     const uint64_t *le_ns, size_t n_le)
{
	header(sb, name, "histogram", help);
	for (size_t e = 0; e < agg_endpoint_count(a); e++) {
		const struct agg_endpoint *ep = agg_endpoint_at(a, e);
		uint64_t count = 0, sum = 0;

		for (size_t i = 0; i < NPARTS; i++) {
			const struct hist *h = agg_hist(parts(ep, i), kind);

			count += h->count;
			sum += h->sum;
		}
		for (size_t b = 0; b < n_le; b++) {
			uint64_t n = 0;

			for (size_t i = 0; i < NPARTS; i++) {
				const struct hist *h = agg_hist(parts(ep, i), kind);

				if (h->count)
					n += hist_count_le(h, le_ns[b]);
			}
			sb_printf(sb, "%s_bucket{", name);
			labels(sb, ep);
			sb_printf(sb, ",le=\"%.9g\"} %" PRIu64 "\n", le[b], n);
		}
		sb_printf(sb, "%s_bucket{", name);
		labels(sb, ep);
		sb_printf(sb, ",le=\"+Inf\"} %" PRIu64 "\n%s_sum{", count, name);
		labels(sb, ep);
		sb_printf(sb, "} %.9g\n%s_count{", (double)sum / 1e9, name);
		labels(sb, ep);
		sb_printf(sb, "} %" PRIu64 "\n", count);
	}
}

int prom_write(struct strbuf *sb, const struct agg *a, const uint64_t counters[LG_CNT__MAX],
	       const double *le, size_t n_le)
{
	uint64_t le_ns[PROM_MAX_BUCKETS];

	if (!le) {
		le = prom_default_le;
		n_le = prom_default_le_count;
	}
	if (n_le > PROM_MAX_BUCKETS)
		return -EINVAL;
	for (size_t i = 0; i < n_le; i++) {
		if (!isfinite(le[i]) || le[i] <= 0 || le[i] > 1e9 || (i && le[i] <= le[i - 1]))
			return -EINVAL;
		le_ns[i] = (uint64_t)(le[i] * 1e9 + 0.5);
	}

	counter_family(sb, a, "latgov_requests_total", "Requests finished, by endpoint.",
		       offsetof(struct agg_figures, requests));
	counter_family(sb, a, "latgov_errors_total",
		       "Requests answered with a 5xx status or ended by a connection reset.",
		       offsetof(struct agg_figures, errors));
	counter_family(sb, a, "latgov_bytes_in_total", "Request bytes received, by endpoint.",
		       offsetof(struct agg_figures, bytes_in));
	counter_family(sb, a, "latgov_bytes_out_total", "Response bytes sent, by endpoint.",
		       offsetof(struct agg_figures, bytes_out));
	histogram_family(sb, a, "latgov_request_duration_seconds",
			 "Time from the request's arrival to its last response byte.",
			 AGG_H_LATENCY, le, le_ns, n_le);
	histogram_family(sb, a, "latgov_ttfb_seconds",
			 "Time from the request's arrival to its first response byte.",
			 AGG_H_TTFB, le, le_ns, n_le);

	header(sb, "latgov_dropped_events_total", "counter",
	       "Events latgov lost or could not attribute, by reason.");
	for (unsigned int i = 0; i < LG_CNT__MAX; i++) {
		if (!counter_is_loss(i))
			continue;
		sb_printf(sb, "latgov_dropped_events_total{reason=\"%s\"} %" PRIu64 "\n",
			  counter_name(i), counters ? counters[i] : 0);
	}
	sb_printf(sb, "latgov_dropped_events_total{reason=\"bad_record\"} %" PRIu64 "\n",
		  agg_stats(a)->bad_records);
	return sb_finish(sb);
}
