/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What loadgen counts, and its JSON: a line per second and the final
 * summary. The summary uses latgov's --summary field names (duration_s,
 * requests, dropped, endpoints[] with name, requests, errors, rps,
 * latency_us and ttfb_us quantiles) so the two compare key by key.
 * Pure: writes into a struct jsonw.
 *
 * Terms:
 *   intended   arrivals the schedule produced (open loop)
 *   sent       requests written to a connection
 *   completed  full HTTP responses, any status
 *   errors     requests that failed: 5xx responses, resets, malformed or
 *              cut-short responses, and timeouts (timeouts are also counted
 *              alone)
 *   dropped    requests never sent (queue full, or still queued at the end)
 *              plus requests in flight when the run ended
 */
#ifndef LOADGEN_STATS_H
#define LOADGEN_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "core/hist.h"
#include "core/jsonw.h"

#define LG_STATUS_MAX 600

struct lg_counts {
	uint64_t intended;
	uint64_t sent;
	uint64_t completed;
	uint64_t errors;
	uint64_t timeouts;
	uint64_t connect_errors;	/* refused, reset or failed connects */
	uint64_t transport_errors;	/* resets and closes mid-response */
	uint64_t malformed;		/* responses that did not parse */
	uint64_t retries;		/* sends repeated after a keep-alive close race */
	uint64_t bytes_in;		/* response bytes read, headers included */
	uint64_t bytes_out;		/* request bytes written */
	uint64_t chunks;		/* chunked-encoding chunks received */
	uint64_t events;		/* SSE events received */
	uint64_t streams;		/* responses that were chunked or SSE */
};

struct lg_window {
	struct lg_counts n;
	uint64_t dropped;	/* arrivals that found the queue full */
	struct hist latency;	/* ns, from intended send time to last byte */
	struct hist ttfb;	/* ns, from intended send time to first byte */
};

struct lg_totals {
	struct lg_counts n;
	uint64_t dropped;
	uint64_t status[LG_STATUS_MAX];	/* responses by status code */
	struct hist latency;
	struct hist ttfb;
	/*
	 * ns from intended to actual send: loadgen's own lateness (timer
	 * wake-up, waiting for a free connection). Large values mean the
	 * latency figures include queueing in the client, as they should in
	 * open loop, but say where it came from.
	 */
	struct hist send_lag;
	/*
	 * ns from the actual send to the last (first) byte: the uncorrected
	 * latency, the server's time plus the loopback or network and our own
	 * wake-up. What a tracer on the server can be compared with; the
	 * intended-time figures above are what users of the service saw.
	 */
	struct hist service;
	struct hist service_ttfb;
	/* ns between successive SSE events (or chunks) of a streamed answer, as latgov's gap_us */
	struct hist gap;
};

void lg_window_reset(struct lg_window *w);
void lg_totals_init(struct lg_totals *t);
/* Adds a window into the totals. */
void lg_totals_add(struct lg_totals *t, const struct lg_window *w);

/*
 * The endpoint name latgov gives the same requests: "METHOD /route" with the
 * query dropped and ID segments as ":id" (core/http.h's templating).
 */
void lg_endpoint_name(const char *method, const char *path, char *out, size_t outlen);

/* One JSONL record (no newline): t is the window's end in seconds from the start. */
void lg_window_json(struct jsonw *jw, double t_s, double window_s, const struct lg_window *w);

struct lg_run {
	const char *endpoint;	/* lg_endpoint_name() */
	const char *mode;	/* "open" or "closed" */
	double duration_s;	/* wall time the load ran */
	double intended_rps;	/* mean scheduled rate; 0 in closed loop */
	uint32_t connections;
	uint64_t queue_max;	/* most requests waiting for a connection */
	int interrupted;	/* ended early by a signal */
};

void lg_summary_json(struct jsonw *jw, const struct lg_run *run, const struct lg_totals *t);

#endif
