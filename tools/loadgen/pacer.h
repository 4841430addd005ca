/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Open-loop pacing: turns the schedule's arrival times into a queue of
 * intended send times. Pure: the caller passes `now` and the queue memory.
 *
 * This is where coordinated omission is corrected. A request's latency is
 * measured from its INTENDED time, taken from the queue, not from when a
 * connection became free to send it. When the server stalls, arrivals keep
 * being queued at the scheduled rate, so every request that should have gone
 * out during the stall carries the wait in its latency (wrk2 does the same).
 * The queue is bounded; arrivals that find it full are counted as dropped.
 */
#ifndef LOADGEN_PACER_H
#define LOADGEN_PACER_H

#include <stddef.h>
#include <stdint.h>

#include "schedule.h"

struct pacer {
	struct arrivals arr;
	uint64_t next_ns;	/* next arrival, UINT64_MAX when there is none */
	uint64_t limit;		/* stop after this many arrivals; 0 = no limit */
	uint64_t generated;	/* arrivals so far (queued or dropped) */
	uint64_t dropped;	/* arrivals that found the queue full */
	uint64_t *queue;	/* ring of intended times, oldest first */
	size_t cap, head, len;
	size_t max_len;		/* high-water mark of the queue */
};

void pacer_init(struct pacer *p, const struct schedule *s, int poisson, uint64_t seed,
		uint64_t limit, uint64_t *queue, size_t cap);

/* Queues every arrival due at or before now_ns; returns how many were generated. */
uint64_t pacer_tick(struct pacer *p, uint64_t now_ns);

/* Takes the oldest intended time; returns 0, or -ENODATA when the queue is empty. */
int pacer_take(struct pacer *p, uint64_t *intended_ns);

/*
 * Puts an intended time back at the head of the queue, for a request that
 * must be retried (sent on a keep-alive connection the server had just
 * closed). Returns 0, or -ENOSPC when the queue is full (the caller counts
 * the request as failed).
 */
int pacer_unget(struct pacer *p, uint64_t intended_ns);

/* No more arrivals will come (schedule over or limit reached). */
int pacer_finished(const struct pacer *p);

#endif
