/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --metrics HOST:PORT: serves the Prometheus text out_metrics.c renders each
 * window at /metrics, from libmicrohttpd's own thread. It publishes a
 * rendered copy; the server never touches the aggregator.
 */
#ifndef LATGOV_METRICS_H
#define LATGOV_METRICS_H

#include <stddef.h>

struct metrics;

/*
 * Listens on addr: "HOST:PORT", "[V6]:PORT", or "PORT" / ":PORT" for
 * 127.0.0.1 (loopback unless a host is given). Returns 0 and *out, or -errno
 * with a message naming the address in err.
 */
int metrics_start(struct metrics **out, const char *addr, char *err, size_t errlen);

/* Replaces the text served at /metrics (copied). */
void metrics_publish(struct metrics *m, const char *text, size_t len);

/* Stops the server and frees it; NULL is fine. */
void metrics_stop(struct metrics *m);

#endif
