// SPDX-License-Identifier: GPL-2.0-only
#include "core/prom.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "core/counters.h"

const double prom_default_le[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
const size_t prom_default_le_count = sizeof(prom_default_le) / sizeof(prom_default_le[0]);

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

/* The series of one endpoint: {endpoint, role}. */
static void labels(struct prom_label l[2], const struct agg_endpoint *ep)
{
	l[0] = (struct prom_label){ "endpoint", ep->name };
	l[1] = (struct prom_label){ "role", ep->role == LG_ROLE_CLIENT ? "client" : "server" };
}

static void counter_family(struct prom_exposition *x, const struct agg *a,
			   const struct prom_metric *m, size_t offset)
{
	struct prom_label l[2];

	prom_declare(x, m);
	for (size_t i = 0; i < agg_endpoint_count(a); i++) {
		const struct agg_endpoint *ep = agg_endpoint_at(a, i);

		labels(l, ep);
		prom_sample_u64(x, m, l, 2, field_sum(ep, offset));
	}
}

static void histogram_family(struct prom_exposition *x, const struct agg *a,
			     const struct prom_metric *m, enum agg_hist_kind kind,
			     const double *le, const uint64_t *le_ns, size_t n_le)
{
	uint64_t cumulative[PROM_MAX_BUCKETS];
	struct prom_histogram h = { .le = le, .cumulative = cumulative, .nbuckets = n_le };
	struct prom_label l[2];

	prom_declare(x, m);
	for (size_t e = 0; e < agg_endpoint_count(a); e++) {
		const struct agg_endpoint *ep = agg_endpoint_at(a, e);
		uint64_t sum = 0;

		h.count = 0;
		for (size_t i = 0; i < NPARTS; i++) {
			const struct hist *hp = agg_hist(parts(ep, i), kind);

			h.count += hp->count;
			sum += hp->sum;
		}
		h.sum = (double)sum / 1e9;
		for (size_t b = 0; b < n_le; b++) {
			cumulative[b] = 0;
			for (size_t i = 0; i < NPARTS; i++) {
				const struct hist *hp = agg_hist(parts(ep, i), kind);

				if (hp->count)
					cumulative[b] += hist_count_le(hp, le_ns[b]);
			}
		}
		labels(l, ep);
		prom_sample_histogram(x, m, l, 2, &h);
	}
}

static const struct prom_metric requests_metric = {
	"latgov_requests_total", "Requests finished, by endpoint.", PROM_COUNTER,
};
static const struct prom_metric errors_metric = {
	"latgov_errors_total",
	"Requests answered with a 5xx status or ended by a connection reset.", PROM_COUNTER,
};
static const struct prom_metric bytes_in_metric = {
	"latgov_bytes_in_total", "Request bytes received, by endpoint.", PROM_COUNTER,
};
static const struct prom_metric bytes_out_metric = {
	"latgov_bytes_out_total", "Response bytes sent, by endpoint.", PROM_COUNTER,
};
static const struct prom_metric duration_metric = {
	"latgov_request_duration_seconds",
	"Time from the request's arrival to its last response byte.", PROM_HISTOGRAM,
};
static const struct prom_metric ttfb_metric = {
	"latgov_ttfb_seconds", "Time from the request's arrival to its first response byte.",
	PROM_HISTOGRAM,
};
static const struct prom_metric dropped_metric = {
	"latgov_dropped_events_total", "Events latgov lost or could not attribute, by reason.",
	PROM_COUNTER,
};

int prom_request_metrics(struct prom_exposition *x, const struct agg *a,
			 const uint64_t counters[LG_CNT__MAX], const double *le, size_t n_le)
{
	uint64_t le_ns[PROM_MAX_BUCKETS];
	struct prom_label reason = { "reason", NULL };

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

	counter_family(x, a, &requests_metric, offsetof(struct agg_figures, requests));
	counter_family(x, a, &errors_metric, offsetof(struct agg_figures, errors));
	counter_family(x, a, &bytes_in_metric, offsetof(struct agg_figures, bytes_in));
	counter_family(x, a, &bytes_out_metric, offsetof(struct agg_figures, bytes_out));
	histogram_family(x, a, &duration_metric, AGG_H_LATENCY, le, le_ns, n_le);
	histogram_family(x, a, &ttfb_metric, AGG_H_TTFB, le, le_ns, n_le);

	prom_declare(x, &dropped_metric);
	for (unsigned int i = 0; i < LG_CNT__MAX; i++) {
		if (!counter_is_loss(i))
			continue;
		reason.value = counter_name(i);
		prom_sample_u64(x, &dropped_metric, &reason, 1, counters ? counters[i] : 0);
	}
	reason.value = "bad_record";
	prom_sample_u64(x, &dropped_metric, &reason, 1, agg_stats(a)->bad_records);
	return 0;
}

int prom_write(struct strbuf *sb, const struct agg *a, const uint64_t counters[LG_CNT__MAX],
	       const double *le, size_t n_le)
{
	struct prom_exposition x;
	int e;

	prom_exposition_init(&x);
	e = prom_request_metrics(&x, a, counters, le, n_le);
	if (!e)
		e = prom_render(&x, sb);
	prom_exposition_free(&x);
	return e;
}
