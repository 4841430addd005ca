// SPDX-License-Identifier: GPL-2.0-only
#include "core/flush_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct flush_entry {
	struct flush_entry *next;
	struct flush_id id;
};

/* Socket addresses share their low bits (aligned slab objects): mix higher ones in. */
static size_t bucket_of(uint64_t conn_id)
{
	return (conn_id >> 6 ^ conn_id >> 18) % FLUSH_LOG_BUCKETS;
}

static int same(const struct flush_id *a, const struct flush_id *b)
{
	return a->conn_id == b->conn_id && a->seq == b->seq && a->t_read_ns == b->t_read_ns;
}

void flush_log_init(struct flush_log *log)
{
	memset(log, 0, sizeof(*log));
}

void flush_log_free(struct flush_log *log)
{
	for (size_t i = 0; i < FLUSH_LOG_BUCKETS; i++) {
		while (log->buckets[i]) {
			struct flush_entry *e = log->buckets[i];

			log->buckets[i] = e->next;
			free(e);
		}
	}
	log->pending = 0;
}

int flush_log_has(const struct flush_log *log, const struct flush_id *id)
{
	const struct flush_entry *e;

	if (!log->pending)
		return 0;
	for (e = log->buckets[bucket_of(id->conn_id)]; e; e = e->next)
		if (same(&e->id, id))
			return 1;
	return 0;
}

int flush_log_put(struct flush_log *log, const struct flush_id *id)
{
	size_t b = bucket_of(id->conn_id);
	struct flush_entry *e;

	for (e = log->buckets[b]; e; e = e->next) {
		if (e->id.conn_id == id->conn_id) {
			e->id = *id;
			return 0;
		}
	}
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->id = *id;
	e->next = log->buckets[b];
	log->buckets[b] = e;
	log->pending++;
	return 0;
}

int flush_log_take(struct flush_log *log, const struct flush_id *id)
{
	struct flush_entry **pp, *e;
	int dup;

	if (!log->pending)
		return 0;	/* the usual case under load: nothing waits for its copy */
	for (pp = &log->buckets[bucket_of(id->conn_id)]; (e = *pp); pp = &e->next) {
		if (e->id.conn_id != id->conn_id)
			continue;
		dup = same(&e->id, id);
		/* The copy, a later request, or a new connection: the wait is over. */
		*pp = e->next;
		free(e);
		log->pending--;
		log->dropped += dup;
		return dup;
	}
	return 0;
}
