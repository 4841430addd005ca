/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * --metrics HOST:PORT: serves the Prometheus text out_metrics.c renders each
 * window at /metrics (404 for any other path). It publishes a rendered copy;
 * the server never touches the aggregator, and the session waits at most
 * while the server copies that text for one answer.
 *
 * Any local user can connect, so no connection may keep a scraper out or
 * take latgov's descriptors. libmicrohttpd's own defences do not suffice:
 * its timeout only ends a connection that sends nothing at all (a byte now
 * and then keeps it), a per-address limit cannot tell an attacker on
 * 127.0.0.1 from Prometheus on 127.0.0.1, and at its connection limit it
 * stops accepting, so whoever holds the slots holds /metrics.
 *
 * So libmicrohttpd runs in its epoll mode on a thread of the server's own,
 * which polls libmicrohttpd's epoll descriptor, runs it a turn without
 * blocking, and keeps a table of the connections it holds
 * (core/scrape_conns.h), fed by libmicrohttpd's connection and
 * request-completed callbacks. Three rules:
 *  - a deadline: a connection must deliver its whole request within 2 s of
 *    its accept, or of its last answer (keep-alive), however it trickles;
 *    the thread wakes for the next deadline and closes it. An answer has no
 *    deadline of ours, only libmicrohttpd's timeout for a connection that
 *    makes no progress (10 s);
 *  - a cap with eviction: at most 3/4 of METRICS_MAX_CONNS stay open; each
 *    connection accepted beyond that closes the one still waiting for its
 *    request that has waited longest (or, if none other waits, the oldest
 *    answer), so a new connection is always let in and one whose request
 *    has arrived is kept. libmicrohttpd's limit is METRICS_MAX_CONNS: it can
 *    only reach it while a quarter of what it holds is closing, which it lets
 *    go on its next turn, so a new connection waits a turn at most;
 *  - TCP_DEFER_ACCEPT: the kernel hands a connection over once its first
 *    bytes are in, so a scraper, which sends its request at once, is
 *    accepted with it and answered on that turn, before later connections
 *    could evict it; a silent one is handed over after a second anyway.
 * The thread closes a connection with shutdown() on its socket:
 * libmicrohttpd sees the hang-up on its next turn and frees it. Callbacks
 * run on that thread only, so the table needs no lock; signals are the
 * session's (blocked on the thread).
 *
 * Descriptors: the server holds at most METRICS_MAX_CONNS connections, plus
 * its listening socket, libmicrohttpd's epoll descriptor and the eventfd
 * that wakes the thread to stop, whatever connects.
 */
#ifndef LATGOV_METRICS_H
#define LATGOV_METRICS_H

#include <stddef.h>

/* The connections the /metrics server holds at most (each one a descriptor). */
#define METRICS_MAX_CONNS 64

struct metrics;

/*
 * Listens on addr: "HOST:PORT", "[V6]:PORT", or "PORT" / ":PORT" for
 * 127.0.0.1 (loopback unless a host is given), and serves from a thread of
 * its own. Returns 0 and *out, or -errno with a message naming the address
 * in err.
 */
int metrics_start(struct metrics **out, const char *addr, char *err, size_t errlen);

/* Replaces the text served at /metrics (copied). */
void metrics_publish(struct metrics *m, const char *text, size_t len);

/* Stops the server (its thread ends, its connections close) and frees it; NULL is fine. */
void metrics_stop(struct metrics *m);

#endif
