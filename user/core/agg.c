// SPDX-License-Identifier: GPL-2.0-only
#include "core/agg.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "latgov/abi.h"
#include "latgov/proto.h"

/*
 * Most records of a service repeat a few request lines ("POST /v1/infer
 * HTTP/1.1", a Redis "GET"): naming one (parse, route templating) costs
 * several times the rest of agg_add. A direct-mapped cache from the exact
 * bytes the name depends on (lg_proto_name_bytes: an HTTP line, a RESP
 * command; and role and port, which name the rest) to the endpoint skips
 * it; a line with a varying query or ID misses and is parsed as before.
 */
#define ROUTE_CACHE_SLOTS 256

struct route_slot {
	struct agg_endpoint *ep;	/* NULL: empty */
	uint16_t port;
	uint8_t role;
	uint8_t len;
	uint8_t line[LG_REQ_PREFIX];
};

/*
 * A name waiting for a place once the cap is reached (see agg.h). count may
 * include err requests inherited from the name whose place it took; count -
 * err are its own for sure. count 0: a free place.
 */
struct candidate {
	uint64_t hash;
	uint64_t count;
	uint64_t err;
	uint8_t role;
	char name[ENDPOINT_NAME_MAX];
};

struct agg {
	uint64_t start_ns;
	uint64_t window_ns;
	uint32_t max_endpoints;
	uint64_t open_first;		/* oldest open window == windows closed so far */
	uint64_t end_ns;		/* session end, 0 = not known yet */
	struct agg_endpoint **eps;	/* in order of first appearance */
	size_t neps;
	struct agg_endpoint *other;	/* also in eps once created */
	uint32_t *table;		/* open addressing: index + 1 into eps, 0 = free */
	size_t table_mask;
	struct agg_stats stats;
	uint64_t volume_floor;		/* at most the volume of every named endpoint */
	struct candidate candidates[AGG_CANDIDATES];
	struct route_slot routes[ROUTE_CACHE_SLOTS];
};

/* What agg_hist() hands out for a histogram never allocated. */
static const struct hist empty_hist = { .min = UINT64_MAX };

const struct hist *agg_hist(const struct agg_figures *f, enum agg_hist_kind k)
{
	if ((unsigned int)k >= AGG_H__MAX || !f->h[k])
		return &empty_hist;
	return f->h[k];
}

struct agg *agg_new(const struct agg_config *cfg)
{
	struct agg *a;
	size_t slots = 16;

	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->start_ns = cfg ? cfg->start_ns : 0;
	a->window_ns = cfg && cfg->window_ns ? cfg->window_ns : AGG_DEFAULT_WINDOW_NS;
	a->max_endpoints = cfg && cfg->max_endpoints ? cfg->max_endpoints : AGG_DEFAULT_MAX_ENDPOINTS;
	if (a->max_endpoints < 2 || a->max_endpoints > (1u << 20)) {
		free(a);
		errno = EINVAL;
		return NULL;
	}
	/* Load factor <= 1/2 keeps probes short. */
	while (slots < 2 * (size_t)a->max_endpoints)
		slots *= 2;
	a->table = calloc(slots, sizeof(*a->table));
	a->eps = calloc(a->max_endpoints, sizeof(*a->eps));
	if (!a->table || !a->eps) {
		agg_free(a);
		errno = ENOMEM;
		return NULL;
	}
	a->table_mask = slots - 1;
	return a;
}

static void figures_release(struct agg_figures *f)
{
	for (size_t k = 0; k < AGG_H__MAX; k++)
		free(f->h[k]);
	memset(f, 0, sizeof(*f));
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->neps; i++) {
		struct agg_endpoint *ep = a->eps[i];

		figures_release(&ep->last);
		figures_release(&ep->cum);
		for (size_t w = 0; w < AGG_OPEN_WINDOWS; w++)
			figures_release(&ep->open[w]);
		free(ep);
	}
	free(a->eps);
	free(a->table);
	free(a);
}

/* FNV-1a over the name, mixed with the role. */
static uint64_t name_hash(const char *name, size_t len, uint8_t role)
{
	uint64_t h = 0xcbf29ce484222325ull ^ role;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static struct agg_endpoint *endpoint_new(struct agg *a, const char *name, size_t len,
					 uint8_t role, uint64_t hash)
{
	struct agg_endpoint *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return NULL;
	if (len >= sizeof(ep->name))
		len = sizeof(ep->name) - 1;
	memcpy(ep->name, name, len);
	ep->role = role;
	ep->hash = hash;
	a->eps[a->neps++] = ep;
	return ep;
}

static struct hist *fig_hist(struct agg *a, struct agg_figures *f, enum agg_hist_kind k)
{
	if (!f->h[k]) {
		f->h[k] = malloc(sizeof(struct hist));
		if (!f->h[k]) {
			a->stats.alloc_failed++;
			return NULL;
		}
		hist_init(f->h[k]);
	}
	return f->h[k];
}

/* Adds n requests of value v (a record's batch). */
static inline __attribute__((always_inline)) int fig_add(struct agg *a, struct agg_figures *f,
						       enum agg_hist_kind k, uint64_t v, uint64_t n)
{
	struct hist *h = fig_hist(a, f, k);

	if (!h)
		return -ENOMEM;
	if (!v) {
		/*
		 * Most scheduler parts of a request are 0 (not blocked, not
		 * throttled): hist_add's effect on a 0, without its calls.
		 */
		h->buckets[0] += n;
		h->count += n;
		h->min = 0;
		return 0;
	}
	hist_add_n(h, v, n);
	return 0;
}

/* Adds src's counts and histograms to dst, allocating dst's histograms as needed. */
static int figures_merge(struct agg *a, struct agg_figures *dst, const struct agg_figures *src)
{
	int err = 0;

	dst->requests += src->requests;
	dst->errors += src->errors;
	dst->error_answers += src->error_answers;
	dst->resets += src->resets;
	dst->no_response += src->no_response;
	dst->streamed += src->streamed;
	dst->chunks += src->chunks;
	dst->sched += src->sched;
	dst->multi_thread += src->multi_thread;
	dst->bytes_in += src->bytes_in;
	dst->bytes_out += src->bytes_out;
	for (size_t k = 0; k < AGG_H__MAX; k++) {
		struct hist *h;

		if (!src->h[k] || !src->h[k]->count)
			continue;
		if (a) {
			h = fig_hist(a, dst, k);
		} else {
			if (!dst->h[k] && (dst->h[k] = malloc(sizeof(struct hist))))
				hist_init(dst->h[k]);
			h = dst->h[k];
		}
		if (!h) {
			err = -ENOMEM;
			continue;
		}
		hist_merge(h, src->h[k]);
	}
	return err;
}

/* The place of (name, role) in the hash table: its slot, or the free slot where it would go. */
static size_t table_slot(const struct agg *a, const char *name, size_t len, uint8_t role,
			 uint64_t hash)
{
	size_t i = (size_t)hash & a->table_mask;

	for (;; i = (i + 1) & a->table_mask) {
		uint32_t slot = a->table[i];
		const struct agg_endpoint *ep;

		if (!slot)
			return i;
		ep = a->eps[slot - 1];
		if (ep->hash == hash && ep->role == role && strncmp(ep->name, name, len) == 0 &&
		    ep->name[len] == '\0')
			return i;
	}
}

/* "other", created the first time it is needed; NULL only if memory ran out. */
static struct agg_endpoint *other_endpoint(struct agg *a)
{
	if (!a->other) {
		a->other = endpoint_new(a, AGG_OTHER_NAME, strlen(AGG_OTHER_NAME), LG_ROLE_SERVER, 0);
		if (a->other)
			a->other->is_other = 1;
	}
	return a->other;
}

/*
 * Counts n requests for (name, role) in the candidate table: its entry, a
 * free one, or the least counted one, which it takes over (space-saving).
 */
static struct candidate *candidate_count(struct agg *a, const char *name, size_t len,
					 uint8_t role, uint64_t hash, uint64_t n)
{
	struct candidate *c, *least = &a->candidates[0];

	if (len >= ENDPOINT_NAME_MAX)
		len = ENDPOINT_NAME_MAX - 1;
	for (size_t i = 0; i < AGG_CANDIDATES; i++) {
		c = &a->candidates[i];
		if (c->count && c->hash == hash && c->role == role &&
		    strncmp(c->name, name, len) == 0 && c->name[len] == '\0') {
			c->count += n;
			return c;
		}
		if (c->count < least->count)
			least = c;
	}
	c = least;
	c->err = c->count;
	c->count += n;
	c->hash = hash;
	c->role = role;
	memcpy(c->name, name, len);
	c->name[len] = '\0';
	return c;
}

/* The index of the named endpoint with the least volume (the one a candidate would replace); neps if none. */
static size_t least_busy(const struct agg *a)
{
	size_t best = a->neps;

	for (size_t i = 0; i < a->neps; i++)
		if (!a->eps[i]->is_other && (best == a->neps || a->eps[i]->volume < a->eps[best]->volume))
			best = i;
	return best;
}

/* Rebuilds the hash table after the endpoints moved in eps. */
static void table_rebuild(struct agg *a)
{
	memset(a->table, 0, (a->table_mask + 1) * sizeof(*a->table));
	for (size_t i = 0; i < a->neps; i++) {
		struct agg_endpoint *ep = a->eps[i];

		if (!ep->is_other)
			a->table[table_slot(a, ep->name, strlen(ep->name), ep->role, ep->hash)] =
				(uint32_t)i + 1;
	}
}

/*
 * Folds endpoint eps[i] into "other": every count and histogram it holds
 * (open windows, last, cumulative) moves there, then it is freed.
 */
static void evict(struct agg *a, size_t i)
{
	struct agg_endpoint *ep = a->eps[i], *other = a->other;

	figures_merge(a, &other->cum, &ep->cum);
	figures_merge(a, &other->last, &ep->last);
	for (size_t w = 0; w < AGG_OPEN_WINDOWS; w++)
		figures_merge(a, &other->open[w], &ep->open[w]);
	for (size_t r = 0; r < ROUTE_CACHE_SLOTS; r++)
		if (a->routes[r].ep == ep)
			a->routes[r].ep = NULL;
	figures_release(&ep->cum);
	figures_release(&ep->last);
	for (size_t w = 0; w < AGG_OPEN_WINDOWS; w++)
		figures_release(&ep->open[w]);
	free(ep);
	memmove(&a->eps[i], &a->eps[i + 1], (a->neps - i - 1) * sizeof(*a->eps));
	a->neps--;
	a->stats.evicted++;
}

/*
 * Once the cap is reached: a candidate busy enough takes the place of the
 * least busy endpoint (see agg.h). Returns its new endpoint, or NULL if it
 * stays a candidate.
 */
static struct agg_endpoint *admit(struct agg *a, struct candidate *c,
				  const struct proto_ops *proto)
{
	uint64_t sure = c->count - c->err;
	struct agg_endpoint *ep;
	size_t victim;

	/* The floor spares a scan of the endpoints for every record of a name that cannot win. */
	if (sure < AGG_ADMIT_MIN || sure <= 2 * a->volume_floor)
		return NULL;
	victim = least_busy(a);
	if (victim == a->neps)
		return NULL;
	a->volume_floor = a->eps[victim]->volume;
	if (sure <= 2 * a->volume_floor || !other_endpoint(a))
		return NULL;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return NULL;
	evict(a, victim);
	memcpy(ep->name, c->name, sizeof(ep->name));
	ep->role = c->role;
	ep->hash = c->hash;
	ep->proto = proto;
	ep->volume = sure;
	a->eps[a->neps++] = ep;
	table_rebuild(a);
	memset(c, 0, sizeof(*c));
	return ep;
}

/*
 * The endpoint for (name, role): found, created, admitted by volume, or
 * "other". NULL only if memory ran out.
 */
static struct agg_endpoint *endpoint_get(struct agg *a, const char *name, size_t len,
					 uint8_t role, const struct proto_ops *proto, uint64_t n)
{
	uint64_t hash = name_hash(name, len, role);
	size_t i = table_slot(a, name, len, role, hash);
	struct agg_endpoint *ep;

	if (a->table[i])
		return a->eps[a->table[i] - 1];
	/* One place is always kept for "other". */
	if (a->neps + 1 >= a->max_endpoints) {
		ep = admit(a, candidate_count(a, name, len, role, hash, n), proto);
		if (ep)
			return ep;
		a->stats.overflow++;
		return other_endpoint(a);
	}
	ep = endpoint_new(a, name, len, role, hash);
	if (!ep)
		return NULL;
	ep->proto = proto;
	a->table[i] = (uint32_t)a->neps;
	return ep;
}

/* Closes the oldest open window: into the cumulative figures, then "last". */
static void close_window(struct agg *a)
{
	size_t slot = (size_t)(a->open_first % AGG_OPEN_WINDOWS);

	for (size_t i = 0; i < a->neps; i++) {
		struct agg_endpoint *ep = a->eps[i];
		struct agg_figures *f = &ep->open[slot], tmp;

		if (!f->requests) {
			/* Idle for a whole window: give the memory back. */
			figures_release(&ep->last);
			figures_release(f);
			continue;
		}
		figures_merge(a, &ep->cum, f);
		tmp = ep->last;
		ep->last = *f;
		*f = tmp;
		/*
		 * This slot takes no record for AGG_OPEN_WINDOWS - 1 windows: free
		 * its histograms rather than hold them (memory over malloc calls,
		 * which are per window, not per record).
		 */
		figures_release(f);
	}
	/* Volumes are recent ones: each window halves what came before. */
	for (size_t i = 0; i < a->neps; i++)
		a->eps[i]->volume >>= 1;
	for (size_t i = 0; i < AGG_CANDIDATES; i++) {
		a->candidates[i].count >>= 1;
		a->candidates[i].err >>= 1;
	}
	a->volume_floor >>= 1;
	a->open_first++;
}

int agg_roll(struct agg *a, uint64_t now_ns)
{
	uint64_t target, count, closed = 0;

	/* Window k ends at start + (k+1)*window; close those with end <= now. */
	if (now_ns < a->start_ns + a->window_ns)
		return 0;
	target = (now_ns - a->start_ns) / a->window_ns;	/* windows [0, target) end by now */
	if (target <= a->open_first)
		return 0;
	count = target - a->open_first;
	while (a->open_first < target && closed < AGG_OPEN_WINDOWS) {
		close_window(a);
		closed++;
	}
	if (a->open_first < target) {
		/* Every open window is empty now: skip to the last one to close. */
		a->open_first = target - 1;
		close_window(a);
	}
	return count > INT_MAX ? INT_MAX : (int)count;
}

/*
 * The endpoint of a record of requests requests, through the route cache;
 * NULL only if memory ran out.
 */
static struct agg_endpoint *endpoint_of(struct agg *a, const struct lg_request *r,
					uint64_t requests)
{
	uint8_t role = r->role == LG_ROLE_CLIENT ? LG_ROLE_CLIENT : LG_ROLE_SERVER;
	uint16_t port = role == LG_ROLE_CLIENT ? r->rport : r->lport;
	uint8_t len = (uint8_t)lg_proto_name_bytes(r->req_prefix, r->req_len);
	uint64_t h = 0x9e3779b97f4a7c15ull ^ role ^ ((uint64_t)port << 8) ^ ((uint64_t)len << 24);
	char name[ENDPOINT_NAME_MAX];
	const struct proto_ops *proto;
	struct agg_endpoint *ep;
	struct route_slot *slot;
	size_t n;

	/*
	 * The name depends on those bytes only: what follows them is never
	 * read. Eight bytes a step (a byte-wise hash costs more than the rest
	 * of a record); the bytes of the last word past len are masked off. The
	 * prefix is a whole number of words, so no load passes its end.
	 */
	_Static_assert(LG_REQ_PREFIX % 8 == 0, "req_prefix is read in 8-byte words");
	for (uint8_t i = 0; i < len; i += 8) {
		uint64_t w;

		memcpy(&w, r->req_prefix + i, sizeof(w));
		if (len - i < 8)
			w &= (1ull << (8 * (len - i))) - 1;	/* little-endian: low bytes first */
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	slot = &a->routes[(h ^ h >> 32) % ROUTE_CACHE_SLOTS];
	if (slot->ep && slot->len == len && slot->port == port && slot->role == role &&
	    memcmp(slot->line, r->req_prefix, len) == 0)
		return slot->ep;
	n = proto_endpoint_name(r, name, sizeof(name), &proto);
	ep = endpoint_get(a, name, n, role, proto, requests);
	/* Not "other": a name sent there is a candidate, counted by name each time. */
	if (ep && !ep->is_other) {
		slot->ep = ep;
		slot->len = len;
		slot->port = port;
		slot->role = role;
		memcpy(slot->line, r->req_prefix, len);
	}
	return ep;
}

int agg_add(struct agg *a, const struct lg_request *r)
{
	struct agg_endpoint *ep;
	struct agg_figures *f;
	uint64_t t_end, w, arrival, n = r->batch ? r->batch : 1;
	int error_answer, err = 0, has_resp;

	if (r->type != LG_REC_REQUEST || r->req_len > LG_REQ_PREFIX ||
	    r->resp_len > LG_RESP_PREFIX) {
		a->stats.bad_records++;
		return -EINVAL;
	}
	has_resp = r->t_last_resp_ns && !(r->flags & LG_REQ_F_NO_RESPONSE);
	t_end = has_resp ? r->t_last_resp_ns : r->t_read_ns;
	if (t_end < a->start_ns) {
		a->stats.early++;
		w = 0;
	} else {
		w = (t_end - a->start_ns) / a->window_ns;
	}
	if (w < a->open_first) {
		a->stats.late++;
		w = a->open_first;
	} else if (w >= a->open_first + AGG_OPEN_WINDOWS) {
		/* Time has moved past the oldest open windows: close them. */
		agg_roll(a, a->start_ns + (w - AGG_OPEN_WINDOWS + 1) * a->window_ns);
	}

	ep = endpoint_of(a, r, n);
	if (!ep) {
		a->stats.alloc_failed++;
		return -ENOMEM;
	}
	a->stats.records++;
	ep->volume += n;
	f = &ep->open[w % AGG_OPEN_WINDOWS];
	f->requests += n;
	f->bytes_in += r->bytes_in;
	f->bytes_out += r->bytes_out;
	error_answer = ep->proto && ep->proto->is_error(r);
	if (error_answer)
		f->error_answers++;
	if (r->end_reason == LG_END_RESET)
		f->resets++;
	if (error_answer || r->end_reason == LG_END_RESET)
		f->errors++;
	if (!has_resp) {
		f->no_response += n;
	} else {
		/* An unknown arrival time is the read time (LG_REQ_F_NO_ARRIVAL). */
		arrival = r->t_arrival_ns ? r->t_arrival_ns : r->t_read_ns;
		err |= fig_add(a, f, AGG_H_LATENCY,
			       r->t_last_resp_ns > arrival ? r->t_last_resp_ns - arrival : 0, n);
		if (r->t_first_resp_ns)
			err |= fig_add(a, f, AGG_H_TTFB,
				       r->t_first_resp_ns > arrival ? r->t_first_resp_ns - arrival : 0, n);
		if (r->resp_writes > 1) {
			f->streamed++;
			f->chunks += r->resp_writes;
			err |= fig_add(a, f, AGG_H_GAP, r->max_gap_ns, 1);
		}
	}
	if (r->flags & LG_REQ_F_MULTI_THREAD)
		f->multi_thread++;
	if (r->flags & LG_REQ_F_SCHED) {
		f->sched += n;
		err |= fig_add(a, f, AGG_H_ONCPU, r->oncpu_ns, n);
		err |= fig_add(a, f, AGG_H_RUNQ, r->runq_ns, n);
		err |= fig_add(a, f, AGG_H_BLOCKED, r->blocked_ns, n);
		err |= fig_add(a, f, AGG_H_THROTTLED, r->throttled_ns, n);
	}
	return err ? -ENOMEM : 0;
}

int agg_last_window(const struct agg *a, uint64_t *index, uint64_t *start_offset_ns)
{
	if (!a->open_first)
		return -ENODATA;
	if (index)
		*index = a->open_first - 1;
	if (start_offset_ns)
		*start_offset_ns = (a->open_first - 1) * a->window_ns;
	return 0;
}

uint64_t agg_window_ns(const struct agg *a)
{
	return a->window_ns;
}

void agg_set_end(struct agg *a, uint64_t end_ns)
{
	a->end_ns = end_ns;
}

uint64_t agg_last_window_ns(const struct agg *a)
{
	uint64_t start, end;

	if (!a->open_first)
		return 0;
	start = a->start_ns + (a->open_first - 1) * a->window_ns;
	end = start + a->window_ns;
	if (a->end_ns && a->end_ns > start && a->end_ns < end)
		end = a->end_ns;
	return end - start;
}

uint64_t agg_windows_closed(const struct agg *a)
{
	return a->open_first;
}

size_t agg_endpoint_count(const struct agg *a)
{
	return a->neps;
}

const struct agg_endpoint *agg_endpoint_at(const struct agg *a, size_t i)
{
	return i < a->neps ? a->eps[i] : NULL;
}

const struct agg_endpoint *agg_find(const struct agg *a, const char *name, uint8_t role)
{
	role = role == LG_ROLE_CLIENT ? LG_ROLE_CLIENT : LG_ROLE_SERVER;
	for (size_t i = 0; i < a->neps; i++) {
		const struct agg_endpoint *ep = a->eps[i];

		if ((ep->role == role || ep->is_other) && strcmp(ep->name, name) == 0)
			return ep;
	}
	return NULL;
}

const struct agg_stats *agg_stats(const struct agg *a)
{
	return &a->stats;
}
