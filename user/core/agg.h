/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The request aggregator: finished request records (struct lg_request) in,
 * per-endpoint figures per time window and cumulative out. Pure: no clock
 * reads (callers pass times), no I/O, no locking (one thread owns an agg; a
 * metrics thread must read under the caller's lock or from a rendered copy).
 *
 * Windows. Window k covers [start_ns + k*window_ns, start_ns + (k+1)*window_ns).
 * A request belongs to the window in which its last response byte falls
 * (t_last_resp_ns; t_read_ns when there was no response). Records reach user
 * space late and out of order (a request is emitted when the next one starts,
 * or by an idle flush up to 250 ms later), so up to AGG_OPEN_WINDOWS windows
 * stay open at once. agg_roll(now_ns) closes every window that ends at or
 * before now_ns: pass the time up to which records have been delivered,
 * typically (monotonic now - 250 ms). A record for a window already closed
 * is counted in the oldest open window and in agg_stats.late; a record too far
 * ahead closes the older windows itself.
 *
 * Kept: the open windows, the last closed window and the cumulative totals.
 *
 * Memory. A histogram (HIST_BUCKETS counters) is the bulk of an endpoint's
 * figures, so they are allocated lazily: window figures get a histogram when a
 * value first lands in them, and give it back when the window closes (its
 * "last" copy is freed a window later). Gap and scheduler histograms exist
 * only for streamed / scheduler-attributed traffic. A busy endpoint holds
 * about 4 sets (open windows, last, cumulative) of 2 histograms; the endpoint
 * cap (128 by default) bounds the total even if all are busy at once.
 *
 * The cap, by volume. Names take the free places as they appear. Once the
 * places are full, a new name's requests go to the endpoint named "other"
 * (counted in agg_stats.overflow), and the name becomes a candidate in a
 * small table (AGG_CANDIDATES, space-saving: a new name takes the place of the
 * least counted one). Each endpoint and candidate keeps its recent volume:
 * requests, halved at every window close. A candidate whose volume, counted
 * for sure (not inherited from the name it replaced), reaches AGG_ADMIT_MIN
 * and is more than twice the least busy endpoint's takes that endpoint's
 * place; the endpoint's figures (windows, last, cumulative) fold into "other"
 * (agg_stats.evicted). So junk names that a client sends first cannot keep a
 * busy endpoint out, and no request is lost: "other" plus the named
 * endpoints always add up to every request.
 *
 * Hot path: agg_add parses a record's prefixes once, finds the endpoint
 * through a small open-addressing hash and allocates nothing except the first
 * time an endpoint (or its window histograms) appears.
 */
#ifndef LATGOV_AGG_H
#define LATGOV_AGG_H

#include <stddef.h>
#include <stdint.h>

#include "core/hist.h"
#include "core/proto.h"

struct lg_request;

#define AGG_DEFAULT_WINDOW_NS     1000000000ull
#define AGG_DEFAULT_MAX_ENDPOINTS 128
#define AGG_OPEN_WINDOWS          4	/* windows accepting records at once */
#define AGG_OTHER_NAME            "other"
#define AGG_CANDIDATES            64	/* names counted for a place once the cap is reached */
#define AGG_ADMIT_MIN             4	/* recent requests a candidate needs to take a place */

/* The histograms of one endpoint's figures; values in ns. */
enum agg_hist_kind {
	AGG_H_LATENCY = 0,	/* t_last_resp - t_arrival (requests with a response) */
	AGG_H_TTFB,		/* t_first_resp - t_arrival (requests with a response) */
	AGG_H_GAP,		/* max_gap_ns, streamed responses only (resp_writes > 1) */
	AGG_H_ONCPU,		/* the LG_REQ_F_SCHED split */
	AGG_H_RUNQ,
	AGG_H_BLOCKED,
	AGG_H_THROTTLED,
	AGG_H__MAX
};

/* One endpoint over one window, or cumulative. */
struct agg_figures {
	uint64_t requests;	/* a record counts lg_request.batch requests (pipelined RESP) */
	uint64_t errors;	/* error_answers + resets (an error answer that was reset counts once) */
	uint64_t error_answers;	/* answers the protocol calls errors: HTTP 5xx, Redis error replies */
	uint64_t resets;	/* end_reason == LG_END_RESET */
	uint64_t no_response;	/* requests with nothing written back */
	uint64_t streamed;	/* resp_writes > 1 */
	uint64_t chunks;	/* the send calls of those answers (chunks, tokens) */
	uint64_t sched;		/* requests with LG_REQ_F_SCHED */
	uint64_t multi_thread;	/* requests read on one thread and answered on another */
	uint64_t bytes_in;
	uint64_t bytes_out;
	struct hist *h[AGG_H__MAX];	/* NULL until a value lands: read through agg_hist() */
};

struct agg_endpoint {
	char name[ENDPOINT_NAME_MAX];	/* "GET /v1/users/:id", "tcp:6379", "other" */
	uint8_t role;			/* enum lg_role; LG_ROLE_UNKNOWN counts as server */
	uint8_t is_other;		/* the overflow endpoint */
	uint8_t pad[6];
	const struct proto_ops *proto;	/* the protocol that named it; NULL for "tcp:PORT" and "other" */
	uint64_t hash;
	uint64_t volume;		/* recent requests, halved each window: what keeps its place */
	struct agg_figures last;	/* the last closed window (zero if idle in it) */
	struct agg_figures cum;		/* every closed window */
	struct agg_figures open[AGG_OPEN_WINDOWS];	/* indexed by window % AGG_OPEN_WINDOWS */
};

struct agg_config {
	uint64_t start_ns;		/* session start, CLOCK_MONOTONIC: window 0 starts here */
	uint64_t window_ns;		/* 0 = AGG_DEFAULT_WINDOW_NS */
	uint32_t max_endpoints;		/* 0 = AGG_DEFAULT_MAX_ENDPOINTS; includes "other" */
};

/* The aggregator's own accounting, shown next to the kernel's loss counters. */
struct agg_stats {
	uint64_t records;	/* agg_add calls that were accepted */
	uint64_t late;		/* records for a window already closed */
	uint64_t early;		/* records timed before start_ns (put in window 0) */
	uint64_t overflow;	/* records sent to "other" because of the endpoint cap */
	uint64_t evicted;	/* endpoints folded into "other" to make room for busier ones */
	uint64_t alloc_failed;	/* histogram allocations that failed (values not kept) */
	uint64_t bad_records;	/* rejected by agg_add (-EINVAL) */
};

struct agg;

/* Returns a new aggregator, or NULL (errno = ENOMEM / EINVAL). */
struct agg *agg_new(const struct agg_config *cfg);
void agg_free(struct agg *a);

/*
 * Adds one finished request (or a batch of them: lg_request.batch). Returns 0; -EINVAL if r->type is not
 * LG_REC_REQUEST or a length field exceeds its prefix (the record is not
 * counted); -ENOMEM if a histogram could not be allocated (the request is
 * still counted, its values are not; agg_stats.alloc_failed says so).
 */
int agg_add(struct agg *a, const struct lg_request *r);

/*
 * Closes every open window that ends at or before now_ns, oldest first
 * (empty windows too, so that idle seconds show as zero). Returns the
 * number of windows closed (0 if none), never an error. After it returns
 * > 0, agg_last_window() describes the newest window closed.
 */
int agg_roll(struct agg *a, uint64_t now_ns);

/*
 * Index and start time (ns since cfg.start_ns) of the last closed window.
 * Returns 0, or -ENODATA if no window has closed yet.
 */
int agg_last_window(const struct agg *a, uint64_t *index, uint64_t *start_offset_ns);

uint64_t agg_window_ns(const struct agg *a);

/*
 * Tells the aggregator when the session ended (before the final roll), so
 * that the last, partial window reports its true length: agg_last_window_ns()
 * and the rps of the writers use it. 0 clears it.
 */
void agg_set_end(struct agg *a, uint64_t end_ns);
/* Length of the last closed window: window_ns, or less for one cut by agg_set_end(); 0 if none. */
uint64_t agg_last_window_ns(const struct agg *a);
/* Closed windows so far, i.e. the cumulative figures cover windows_closed * window_ns. */
uint64_t agg_windows_closed(const struct agg *a);

/*
 * Endpoints in order of admission; i < agg_endpoint_count(). NULL if out of
 * range. A pointer stays valid until the next agg_add() (which may fold an
 * endpoint into "other" and free it) or agg_free().
 */
size_t agg_endpoint_count(const struct agg *a);
const struct agg_endpoint *agg_endpoint_at(const struct agg *a, size_t i);
/* The endpoint with that name and role, or NULL. */
const struct agg_endpoint *agg_find(const struct agg *a, const char *name, uint8_t role);

/* A histogram of some figures; an empty one (count 0) when none was allocated. Never NULL. */
const struct hist *agg_hist(const struct agg_figures *f, enum agg_hist_kind k);

/* Which figures of an endpoint a reader wants: the last closed window's, or all so far. */
enum agg_which { AGG_LAST = 0, AGG_CUM = 1 };

const struct agg_stats *agg_stats(const struct agg *a);

#endif
