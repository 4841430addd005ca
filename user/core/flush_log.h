/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The requests user space delivered early, by an idle flush, whose record
 * the kernel will still emit (at the next request or the close): that copy
 * must be dropped, and only that one. A request is known by its connection
 * (the socket's address), its number on it and its read time; the read
 * time tells the copy apart from a request of a later connection that got
 * the same address and reached the same number. Each connection has at
 * most one request waiting: the kernel emits in order, so whatever it
 * emits next on that connection ends the wait, copy or not.
 *
 * Pure: a hash of small entries (malloc'd), no I/O.
 */
#ifndef LATGOV_FLUSH_LOG_H
#define LATGOV_FLUSH_LOG_H

#include <stddef.h>
#include <stdint.h>

#define FLUSH_LOG_BUCKETS 4096

struct flush_entry;

struct flush_log {
	struct flush_entry *buckets[FLUSH_LOG_BUCKETS];
	uint64_t pending;	/* entries waiting for their copy */
	uint64_t dropped;	/* kernel copies dropped */
};

/* A request identity. */
struct flush_id {
	uint64_t conn_id;
	uint64_t seq;
	uint64_t t_read_ns;
};

/* An empty log (a zeroed struct is one too). */
void flush_log_init(struct flush_log *log);

/* Frees every entry. */
void flush_log_free(struct flush_log *log);

/* 1 if id was delivered by a flush and its copy has not come yet. */
int flush_log_has(const struct flush_log *log, const struct flush_id *id);

/*
 * Notes that id was delivered by a flush (replacing what its connection
 * waited for). Returns 0 or -ENOMEM.
 */
int flush_log_put(struct flush_log *log, const struct flush_id *id);

/*
 * A record the kernel emitted: returns 1 if it is the copy of a flushed
 * request (drop it), else 0 (deliver it). Either way its connection waits
 * no longer.
 */
int flush_log_take(struct flush_log *log, const struct flush_id *id);

#endif
