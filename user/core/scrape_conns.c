// SPDX-License-Identifier: GPL-2.0-only
/* The /metrics server's connection table and its closing rules (see scrape_conns.h). */
#include <errno.h>

#include "scrape_conns.h"

static int is_open(const struct scrape_conn *c)
{
	return c->state == SCRAPE_CONN_WAITING || c->state == SCRAPE_CONN_ANSWERING;
}

/* The open connection in state that has waited longest, other than skip; -1 if none. */
static int longest_waiting(const struct scrape_conn *conns, size_t n, enum scrape_conn_state state,
			   size_t skip)
{
	int best = -1;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i == skip || conns[i].state != state)
			continue;
		if (best < 0 || conns[i].since_ns < conns[best].since_ns)
			best = (int)i;
	}
	return best;
}

int scrape_conn_accept(struct scrape_conn *conns, size_t n, const struct scrape_limits *lim,
		       uint64_t now_ns, int *victim)
{
	size_t open = 0, slot = n, i;

	*victim = -1;
	for (i = 0; i < n; i++) {
		if (slot == n && conns[i].state == SCRAPE_CONN_FREE)
			slot = i;
		open += is_open(&conns[i]);
	}
	if (slot == n)
		return -ENOSPC;
	conns[slot].state = SCRAPE_CONN_WAITING;
	conns[slot].since_ns = now_ns;
	if (open + 1 <= lim->open_max)
		return (int)slot;
	*victim = longest_waiting(conns, n, SCRAPE_CONN_WAITING, slot);
	if (*victim < 0)
		*victim = longest_waiting(conns, n, SCRAPE_CONN_ANSWERING, slot);
	if (*victim >= 0)
		conns[*victim].state = SCRAPE_CONN_CLOSING;
	return (int)slot;
}

void scrape_conn_request(struct scrape_conn *c)
{
	if (c->state == SCRAPE_CONN_WAITING)
		c->state = SCRAPE_CONN_ANSWERING;
}

void scrape_conn_answered(struct scrape_conn *c, uint64_t now_ns)
{
	if (c->state != SCRAPE_CONN_ANSWERING)
		return;
	c->state = SCRAPE_CONN_WAITING;
	c->since_ns = now_ns;
}

void scrape_conn_release(struct scrape_conn *c)
{
	c->state = SCRAPE_CONN_FREE;
	c->since_ns = 0;
}

/* A deadline past UINT64_MAX (a huge request_ns) never comes. */
static uint64_t deadline(const struct scrape_conn *c, const struct scrape_limits *lim)
{
	return c->since_ns > UINT64_MAX - lim->request_ns ? UINT64_MAX : c->since_ns + lim->request_ns;
}

size_t scrape_conns_expire(struct scrape_conn *conns, size_t n, const struct scrape_limits *lim,
			   uint64_t now_ns, size_t *close_idx)
{
	size_t closed = 0, i;

	for (i = 0; i < n; i++) {
		if (conns[i].state == SCRAPE_CONN_WAITING && now_ns >= deadline(&conns[i], lim)) {
			conns[i].state = SCRAPE_CONN_CLOSING;
			close_idx[closed++] = i;
		}
	}
	return closed;
}

uint64_t scrape_conns_next_deadline(const struct scrape_conn *conns, size_t n,
				    const struct scrape_limits *lim)
{
	uint64_t next = UINT64_MAX, d;
	size_t i;

	for (i = 0; i < n; i++) {
		if (conns[i].state != SCRAPE_CONN_WAITING)
			continue;
		d = deadline(&conns[i], lim);
		if (d < next)
			next = d;
	}
	return next;
}
