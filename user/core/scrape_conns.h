/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The /metrics server's connections and which of them to close (metrics.h
 * tells why). Each connection is in a slot of a fixed table the caller owns,
 * as many slots as the server may hold connections. A connection waits for
 * its request from its accept, and again from each answer sent (keep-alive);
 * while it waits it has a deadline for the whole request. Once its request
 * has arrived it is answering, and has none: the answer is ours to send.
 *
 * Two rules pick what to close:
 *  - a deadline: a connection still waiting at since_ns + request_ns;
 *  - a cap: a connection accepted beyond open_max open closes another, the
 *    waiting one that has waited longest (an answering one has shown its
 *    request is real, and a new one may be a scraper's), or if no other
 *    waits, the answering one that has.
 * A closed connection stays in its slot, closing, until the server lets it
 * go (scrape_conn_release): the caller closes it, the table only decides.
 *
 * Pure: no I/O, no clock (now_ns comes in).
 */
#ifndef LATGOV_SCRAPE_CONNS_H
#define LATGOV_SCRAPE_CONNS_H

#include <stddef.h>
#include <stdint.h>

enum scrape_conn_state {
	SCRAPE_CONN_FREE = 0,	/* an empty slot */
	SCRAPE_CONN_WAITING,	/* its request has not all arrived */
	SCRAPE_CONN_ANSWERING,	/* its request arrived; the answer is being sent */
	SCRAPE_CONN_CLOSING,	/* chosen to close; the server still holds it */
};

struct scrape_conn {
	enum scrape_conn_state state;
	uint64_t since_ns;	/* accepted, or its last answer sent */
};

struct scrape_limits {
	size_t open_max;	/* connections open (not closing) at once */
	uint64_t request_ns;	/* a whole request must arrive within this of since_ns */
};

/*
 * A connection accepted at now_ns takes a free slot, waiting. If that makes
 * more than lim->open_max open, it picks another to close by the cap's rule,
 * marks it closing and sets *victim to its index; else *victim is -1.
 * Returns the new slot's index, or -ENOSPC if all n are taken.
 */
int scrape_conn_accept(struct scrape_conn *conns, size_t n, const struct scrape_limits *lim,
		       uint64_t now_ns, int *victim);

/* Its request arrived: a waiting connection answers (any other state stays). */
void scrape_conn_request(struct scrape_conn *c);

/* Its answer was sent: an answering connection waits again from now_ns (any other state stays). */
void scrape_conn_answered(struct scrape_conn *c, uint64_t now_ns);

/* The server let the connection go: its slot is free. */
void scrape_conn_release(struct scrape_conn *c);

/*
 * Marks closing every waiting connection at or past its deadline at now_ns
 * and writes their indexes to close_idx (room for n). Returns how many.
 */
size_t scrape_conns_expire(struct scrape_conn *conns, size_t n, const struct scrape_limits *lim,
			   uint64_t now_ns, size_t *close_idx);

/* The earliest deadline of a waiting connection, or UINT64_MAX if none waits. */
uint64_t scrape_conns_next_deadline(const struct scrape_conn *conns, size_t n,
				    const struct scrape_limits *lim);

#endif
