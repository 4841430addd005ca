// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loader and consumer for bpf/requests.bpf.c (see tracer.h).
 *
 * Which programs load is decided once, at load time, by the plan of
 * core/tracer_plan.c from the kernel's BTF and the session's mode (the
 * syscall fallback or the socket tracepoints, tcp_sendmsg_locked or
 * sock_send_length, arrival mode or reads); tcp_probe's whole-skb variant
 * is tried first and its linear one after. 'latgov check' runs the same
 * plan and load (tracer_probe).
 *
 * Idle flush and de-duplication. The kernel emits a request when the next
 * one starts or the connection closes; a keep-alive connection left idle
 * would hold its last request forever. Every poll, requests idle in the
 * RESPONSE state for LG_FLUSH_IDLE_NS are read from the connection map and
 * delivered; (conn_id, seq, read time) is remembered, and the kernel's own
 * record of that request, when it comes, is dropped. An unfinished chunked
 * stream waits LG_FLUSH_STREAM_IDLE_NS instead (conn_flush_idle_ns). Limit:
 * a stream that is not chunked and pauses longer than LG_FLUSH_IDLE_NS is
 * reported as it was at the pause (later writes are not counted in it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef ENOTSUPP
#define ENOTSUPP 524	/* kernel-internal, leaks out of some bpf() paths */
#endif

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "bpf_log.h"
#include "core/flush_log.h"
#include "core/parse.h"
#include "core/tracer_plan.h"
#include "kfeatures.h"
#include "latgov/conn.h"
#include "percpu.h"
#include "requests.skel.h"
#include "tracer.h"

struct tracer {
	struct requests_bpf *skel;
	struct ring_buffer *rb;
	struct tracer_callbacks cb;
	struct tracer_plan plan;
	int sched;
	int prof_shared;
	int no_batch;			/* the kernel lacks batch lookups on hash maps */
	uint64_t flush_next_ns;		/* the idle flush finds nothing due before this */
	int conns_fd;
	const struct lg_conn_slot *slots;	/* lg_slots, mapped read-only */
	uint32_t nslots;
	size_t slots_len;
	int counters_fd;
	uint64_t emitted_before_poll;	/* LG_CNT_ANSWERED_EMITTED read before the last drain */
	uint32_t polled;		/* records delivered in this poll (TRACER_POLL_RECORDS_MAX) */
	struct flush_log flushed;	/* requests the idle flush delivered, awaiting the kernel's copy */
};

static struct flush_id flush_id_of(const struct lg_request *r)
{
	struct flush_id id = { .conn_id = r->conn_id, .seq = r->seq, .t_read_ns = r->t_read_ns };

	return id;
}

/*
 * Records delivered in one poll at most. libbpf's drain reads until the ring
 * is empty, re-reading where the producers are: under a load that fills it
 * faster than the records are handled (a whole host traced) it would never
 * return, and the session would stop answering its signals and its clock.
 */
#define TRACER_POLL_RECORDS_MAX (1 << 17)

static int on_record(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct lg_request *r = data;
	uint32_t type;

	if (size < sizeof(type))
		return 0;
	memcpy(&type, data, sizeof(type));
	if (type == LG_REC_REQUEST && size >= sizeof(*r)) {
		struct flush_id id = flush_id_of(r);

		if (!flush_log_take(&t->flushed, &id) && t->cb.on_request)
			t->cb.on_request(t->cb.ctx, r);
	}
	/* This record is consumed either way; a negative return ends the drain after it. */
	return ++t->polled >= TRACER_POLL_RECORDS_MAX ? -EAGAIN : 0;
}

/* libbpf attaches tracepoints through tracefs; mount it where it is missing. */
static int ensure_tracefs(char *err, size_t errlen)
{
	struct stat st;

	if (stat("/sys/kernel/tracing/events", &st) == 0 ||
	    stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
		return 0;
	snprintf(err, errlen, "tracefs is not mounted and mounting it at /sys/kernel/tracing failed (%s): mount it with 'mount -t tracefs tracefs /sys/kernel/tracing'",
		 strerror(errno));
	return -ENOENT;
}

/* 1 if the kernel has the tracepoint (its btf_trace_ typedef is in vmlinux BTF). */
static int kernel_has_tracepoint(const char *name)
{
	char type[128];
	struct btf *btf = btf__load_vmlinux_btf();
	int found;

	if (!btf)
		return 0;
	snprintf(type, sizeof(type), "btf_trace_%s", name);
	found = btf__find_by_name_kind(btf, type, BTF_KIND_TYPEDEF) > 0;
	btf__free(btf);
	return found;
}

/*
 * LATGOV_DISABLE_PROGS=name,name: programs not to load, for measuring what
 * each hook costs (benchmarks). The records lose what those hooks give.
 */
static void disable_listed(struct bpf_object *obj, const char *list)
{
	struct bpf_program *prog;
	char copy[512], *tok, *save = NULL;

	if (!list || !*list)
		return;
	snprintf(copy, sizeof(copy), "%s", list);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		prog = bpf_object__find_program_by_name(obj, tok);
		if (prog)
			bpf_program__set_autoload(prog, false);
		else
			fprintf(stderr, "latgov: LATGOV_DISABLE_PROGS: no program %s\n", tok);
	}
}

/*
 * Applies plan p to the freshly opened skel: each program loads if the plan
 * says so; only, if >= 0, is the one program to load (check's probe of a
 * single hook). Returns 0, or -ENOENT with err naming a program the plan's
 * table does not know (the table and the BPF object must agree).
 */
static int apply_plan(struct requests_bpf *skel, const struct tracer_plan *p, int only, char *err,
		      size_t errlen)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		int i = tracer_hook_index(bpf_program__name(prog));

		if (i < 0) {
			snprintf(err, errlen, "the request tracer's program %s has no row in core/tracer_plan.c: the build is inconsistent",
				 bpf_program__name(prog));
			return -ENOENT;
		}
		bpf_program__set_autoload(prog, only >= 0 ? i == only : tracer_plan_loads(p, (size_t)i));
	}
	skel->rodata->arrival_mode = p->arrival ? 1 : 0;
	if (only < 0)
		disable_listed(skel->obj, getenv("LATGOV_DISABLE_PROGS"));
	return 0;
}

/* The kernel's side of the plan: which hooks its BTF has. */
static void read_kernel(const struct tracer_config *cfg, struct tracer_kernel *k)
{
	memset(k, 0, sizeof(*k));
	k->sock_length = kernel_has_tracepoint("sock_recv_length");
	k->sendmsg = kernel_has_tracepoint("tcp_sendmsg_locked");
	k->dynptr = kfeatures_skb_dynptr();
	k->force_syscalls = cfg->force_syscall_path;
}

void tracer_plan_of(const struct tracer_config *cfg, struct tracer_plan *plan)
{
	struct tracer_mode mode = { .sched = cfg->sched, .prof_shared = cfg->sched && cfg->prof_shared,
				    .need_reads = cfg->need_reads };
	struct tracer_kernel k;

	read_kernel(cfg, &k);
	tracer_plan(&k, &mode, plan);
}

/* log2 of the connection slots: LATGOV_SLOT_BITS for tests (fewer slots send more to the hash). */
static uint32_t slot_bits(void)
{
	const char *v = getenv("LATGOV_SLOT_BITS");
	long long bits;

	if (v && parse_int(v, 0, LG_SLOTS_BITS, &bits) == 0)
		return (uint32_t)bits;
	return LG_SLOTS_BITS;
}

/*
 * Opens the object and loads it as cfg asks on this kernel: the programs of
 * the plan; only >= 0 loads that one program of the plan instead. Returns
 * the loaded skeleton and the plan used, or NULL with *e (-errno) and err
 * set.
 */
static struct requests_bpf *load(const struct tracer_config *cfg, int only,
				 struct tracer_plan *plan, int *e, char *err, size_t errlen)
{
	uint32_t max_conns = cfg->max_conns ? cfg->max_conns : LG_CONNS_DEFAULT, bits = slot_bits();
	struct tracer_mode mode = { .sched = cfg->sched, .prof_shared = cfg->sched && cfg->prof_shared,
				    .need_reads = cfg->need_reads };
	struct requests_bpf *skel;

	tracer_plan_of(cfg, plan);
	skel = requests_bpf__open();
	if (!skel) {
		*e = -errno;
		snprintf(err, errlen, "cannot open the request tracer's BPF object: %s", strerror(-*e));
		return NULL;
	}
	*e = apply_plan(skel, plan, only, err, errlen);
	if (*e)
		goto err;
	bpf_map__set_max_entries(skel->maps.lg_conns, max_conns);
	bpf_map__set_max_entries(skel->maps.lg_slots, 1u << bits);
	skel->rodata->slot_bits = bits;
	skel->rodata->sched_on = mode.sched ? 1 : 0;
	skel->rodata->prof_shared = mode.prof_shared ? 1 : 0;
	skel->rodata->prof_min_span_ns = cfg->prof_min_span_ns;
	skel->rodata->prof_requests_only = cfg->prof_requests_only ? 1 : 0;
	/* not shared: hash and stack maps are preallocated, so keep them to one entry */
	if (!mode.prof_shared) {
		bpf_map__set_max_entries(skel->maps.prof_counts, 1);
		bpf_map__set_max_entries(skel->maps.prof_stacks, 1);
		bpf_map__set_max_entries(skel->maps.prof_sites, 1);
	}
	*e = requests_bpf__load(skel);
	if (!*e)
		return skel;
	snprintf(err, errlen, "the kernel refused the request tracer's BPF programs (%s): run 'latgov check' to see which feature is missing, LATGOV_DEBUG=1 for the verifier log",
		 strerror(-*e));
err:
	requests_bpf__destroy(skel);
	return NULL;
}

int tracer_open(struct tracer **out, const struct tracer_callbacks *cb,
		const struct tracer_config *cfg, char *err, size_t errlen)
{
	struct tracer *t;
	int e;

	e = ensure_tracefs(err, errlen);
	if (e)
		return e;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->cb = *cb;
	flush_log_init(&t->flushed);
	t->skel = load(cfg, -1, &t->plan, &e, err, errlen);
	if (!t->skel)
		goto err_free;
	t->sched = cfg->sched;
	t->prof_shared = cfg->sched && cfg->prof_shared;
	t->nslots = bpf_map__max_entries(t->skel->maps.lg_slots);
	t->conns_fd = bpf_map__fd(t->skel->maps.lg_conns);
	t->slots_len = sizeof(struct lg_conn_slot) * t->nslots;
	t->slots = mmap(NULL, t->slots_len, PROT_READ, MAP_SHARED, bpf_map__fd(t->skel->maps.lg_slots), 0);
	if (t->slots == MAP_FAILED) {
		e = -errno;
		t->slots = NULL;
		snprintf(err, errlen, "cannot map the connection slots: %s", strerror(-e));
		goto err_destroy;
	}
	t->counters_fd = bpf_map__fd(t->skel->maps.lg_counters);
	e = requests_bpf__attach(t->skel);
	if (e) {
		snprintf(err, errlen, "cannot attach the request tracer's programs: %s", strerror(-e));
		goto err_destroy;
	}
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.lg_events), on_record, t, NULL);
	if (!t->rb) {
		e = -errno;
		snprintf(err, errlen, "cannot open the ring buffer: %s", strerror(-e));
		goto err_destroy;
	}
	*out = t;
	return 0;

err_destroy:
	if (t->slots)
		munmap((void *)t->slots, t->slots_len);
	requests_bpf__destroy(t->skel);
err_free:
	free(t);
	return e;
}

/* Attaches every program skel loaded; 0 or -errno. */
static int attach_loaded(struct requests_bpf *skel)
{
	struct bpf_program *prog;
	struct bpf_link *link;

	bpf_object__for_each_program(prog, skel->obj) {
		if (!bpf_program__autoload(prog))
			continue;
		link = bpf_program__attach(prog);
		if (!link)
			return -errno;
		bpf_link__destroy(link);
	}
	return 0;
}

int tracer_probe(const struct tracer_config *cfg, struct tracer_probe *out)
{
	struct requests_bpf *skel;
	struct tracer_plan one;
	char err[512];
	int e;

	memset(out, 0, sizeof(*out));
	if (ensure_tracefs(out->msg, sizeof(out->msg))) {
		out->err = -ENOENT;
		return out->err;
	}
	skel = load(cfg, -1, &out->plan, &out->err, out->msg, sizeof(out->msg));
	if (skel) {
		out->err = attach_loaded(skel);
		requests_bpf__destroy(skel);
		if (!out->err)
			return 0;
		snprintf(out->msg, sizeof(out->msg), "cannot attach the request tracer's programs: %s",
			 strerror(-out->err));
	}
	/* Which hooks of the plan fail: each loaded and attached alone. */
	for (size_t i = 0; i < tracer_nhooks; i++) {
		if (!tracer_plan_loads(&out->plan, i))
			continue;
		bpf_log_quiet(1);
		skel = load(cfg, (int)i, &one, &e, err, sizeof(err));
		bpf_log_quiet(0);
		if (skel) {
			e = attach_loaded(skel);
			requests_bpf__destroy(skel);
		}
		out->hook_err[i] = e;
	}
	return out->err;
}

void tracer_close(struct tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	if (t->slots)
		munmap((void *)t->slots, t->slots_len);
	requests_bpf__destroy(t->skel);
	flush_log_free(&t->flushed);
	free(t);
}


const char *tracer_hook_path(const struct tracer *t)
{
	return t->plan.path;
}

int tracer_skb_dynptr(const struct tracer *t)
{
	return tracer_plan_loads(&t->plan, (size_t)tracer_hook_index("lg_tcp_probe"));
}

int tracer_add_target(struct tracer *t, uint32_t tgid)
{
	struct lg_target v = { 0 };

	if (tgid >= (1u << 22))
		return -ERANGE;	/* above the kernel's largest pid_max */
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.lg_targets), &tgid, &v, BPF_ANY))
		return -errno;
	/* The programs test this bitmap (shared memory with them): set it last. */
	__atomic_fetch_or(&t->skel->bss->target_bits[tgid / 64], 1ull << (tgid % 64),
			  __ATOMIC_SEQ_CST);
	return 0;
}

void tracer_watch_listen_port(struct tracer *t, uint16_t port)
{
	t->skel->bss->port_watch[port] |= LG_PORT_LISTEN;
}

int tracer_targets(struct tracer *t, uint32_t *out, int max)
{
	int fd = bpf_map__fd(t->skel->maps.lg_targets), n = 0;
	uint32_t key, next, *prev = NULL;

	while (n < max && bpf_map_get_next_key(fd, prev, &next) == 0) {
		out[n++] = next;
		key = next;
		prev = &key;
	}
	return n;
}

int tracer_remove_target(struct tracer *t, uint32_t tgid)
{
	if (tgid >= (1u << 22))
		return -ERANGE;
	__atomic_fetch_and(&t->skel->bss->target_bits[tgid / 64], ~(1ull << (tgid % 64)),
			   __ATOMIC_SEQ_CST);
	if (bpf_map_delete_elem(bpf_map__fd(t->skel->maps.lg_targets), &tgid) && errno != ENOENT)
		return -errno;
	return 0;
}

/* Sum over CPUs of one counter; 0 if it cannot be read. */
static uint64_t counter(struct tracer *t, uint32_t which)
{
	uint64_t sum;

	return percpu_sum(t->counters_fd, which, &sum, 1) ? 0 : sum;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	int n;

	/*
	 * Read before the drain, so that records emitted meanwhile make the
	 * idle scan's estimate of what is pending too high, never too low.
	 */
	t->emitted_before_poll = counter(t, LG_CNT_ANSWERED_EMITTED);
	t->polled = 0;
	n = ring_buffer__poll(t->rb, timeout_ms);
	if (n < 0 && n != -EINTR && n != -EAGAIN)
		return n;
	/* Records are submitted without wakeups: poll only waited; drain now (bounded, as above). */
	if (t->polled < TRACER_POLL_RECORDS_MAX)
		n = ring_buffer__consume(t->rb);
	return n < 0 && n != -EINTR && n != -EAGAIN ? n : 0;
}

/*
 * Copies the connection in slot s into out: 0, or -1 if the slot is free,
 * being claimed, or changed owner during the copy.
 */
static int slot_read(const struct lg_conn_slot *s, struct lg_conn *out)
{
	uint64_t key = __atomic_load_n(&s->key, __ATOMIC_ACQUIRE);

	if (!key || (key & 1))
		return -1;
	memcpy(out, &s->conn, sizeof(*out));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return __atomic_load_n(&s->key, __ATOMIC_RELAXED) == key ? 0 : -1;
}

/* Reads a connection again: from its slot if it has one, else from the hash by key. */
static int conn_reread(const struct tracer *t, const struct lg_conn_slot *slot, uint64_t key,
		       struct lg_conn *out)
{
	if (slot)
		return slot_read(slot, out);
	return bpf_map_lookup_elem(t->conns_fd, &key, out) ? -1 : 0;
}

/*
 * Delivers c's request if it is due; returns 1 if it did, 0 if not, or
 * -errno. One that is not due yet lowers *next to when it will be. The copy
 * came from a map the kernel writes concurrently: a due entry is read once
 * more and flushed only if it did not change meanwhile.
 */
static int flush_one(struct tracer *t, const struct lg_conn_slot *slot, uint64_t key,
		     struct lg_conn *c, uint64_t now_ns, uint64_t idle_ns, uint64_t *next)
{
	uint64_t at = conn_flush_at(c, idle_ns);
	struct flush_id id = flush_id_of(&c->req);
	struct lg_conn again;
	int e;

	if (at == ~0ull || flush_log_has(&t->flushed, &id))
		return 0;	/* nothing answered, or delivered already */
	if (at > now_ns) {
		if (at < *next)
			*next = at;
		return 0;
	}
	if (conn_reread(t, slot, key, &again) || again.req.seq != c->req.seq ||
	    again.state != c->state || again.req.t_last_resp_ns != c->req.t_last_resp_ns ||
	    again.req.resp_writes != c->req.resp_writes) {
		*next = now_ns;	/* moving: the kernel will emit it, or the next poll flushes it */
		return 0;
	}
	e = flush_log_put(&t->flushed, &id);
	if (e)
		return e;
	c->req.end_reason = LG_END_FLUSH;
	conn_sched_split(c);
	if (t->cb.on_request)
		t->cb.on_request(t->cb.ctx, &c->req);
	return 1;
}

/*
 * Reads the connection map in batches (one syscall per FLUSH_BATCH entries),
 * falling back to key-by-key iteration where batch lookups are missing.
 */
#define FLUSH_BATCH 256

int tracer_flush_idle(struct tracer *t, uint64_t now_ns, uint64_t idle_ns)
{
	static uint64_t keys[FLUSH_BATCH];
	static struct lg_conn conns[FLUSH_BATCH];
	uint64_t in_batch = 0, out_batch = 0, key, next, *prev = NULL;
	/* A request answered after this scan is due idle_ns after its answer at the soonest. */
	uint64_t due_next = idle_ns ? now_ns + idle_ns : 0;
	int n = 0, e, first = 1;
	__u32 count, i;

	/*
	 * Answered requests still in the map, less those flushed already: when
	 * none is left there is nothing to find, and the scan (every bucket of
	 * the map, whatever is in use) is skipped. An idle service costs nothing.
	 */
	if (idle_ns && counter(t, LG_CNT_ANSWERED) <= t->emitted_before_poll + t->flushed.pending)
		return 0;
	/*
	 * Nothing the last scan saw is due before flush_next_ns, nor anything
	 * answered since: under steady load this halves the scans (every other
	 * 100 ms poll with a 150 ms idle time).
	 */
	if (idle_ns && now_ns < t->flush_next_ns)
		return 0;

	/* The slots first, read in place (the mapped table), then the hash by syscalls. */
	for (i = 0; i < t->nslots; i++) {
		if (slot_read(&t->slots[i], &conns[0]))
			continue;
		e = flush_one(t, &t->slots[i], 0, &conns[0], now_ns, idle_ns, &due_next);
		if (e < 0)
			return e;
		n += e;
	}

	if (!t->no_batch) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);

		for (;;) {
			count = FLUSH_BATCH;
			e = bpf_map_lookup_batch(t->conns_fd, first ? NULL : &in_batch, &out_batch,
						 keys, conns, &count, &opts);
			if (e && errno != ENOENT) {
				if (first && (errno == EINVAL || errno == ENOTSUPP || errno == EOPNOTSUPP)) {
					t->no_batch = 1;
					break;
				}
				return -errno;
			}
			for (i = 0; i < count; i++) {
				int f = flush_one(t, NULL, keys[i], &conns[i], now_ns, idle_ns, &due_next);

				if (f < 0)
					return f;
				n += f;
			}
			if (e) {	/* ENOENT: that was the last batch */
				t->flush_next_ns = due_next;
				return n;
			}
			in_batch = out_batch;
			first = 0;
		}
	}
	while (bpf_map_get_next_key(t->conns_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(t->conns_fd, &key, &conns[0]))
			continue;	/* closed meanwhile: the kernel emitted it */
		e = flush_one(t, NULL, key, &conns[0], now_ns, idle_ns, &due_next);
		if (e < 0)
			return e;
		n += e;
	}
	t->flush_next_ns = due_next;
	return n;
}

int tracer_counters(struct tracer *t, uint64_t out[LG_CNT__MAX])
{
	int e = 0;

	for (uint32_t i = 0; i < LG_CNT__MAX; i++)
		if (percpu_sum(t->counters_fd, i, &out[i], 1))
			e = -EIO;
	return e;
}

int tracer_sched(const struct tracer *t)
{
	return t->sched;
}

int tracer_threads_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.lg_threads);
}

int tracer_oncpu_fd(const struct tracer *t)
{
	return bpf_map__fd(t->skel->maps.lg_oncpu);
}

int tracer_prof_counts_fd(const struct tracer *t)
{
	return t->prof_shared ? bpf_map__fd(t->skel->maps.prof_counts) : -1;
}

int tracer_prof_stacks_fd(const struct tracer *t)
{
	return t->prof_shared ? bpf_map__fd(t->skel->maps.prof_stacks) : -1;
}

int tracer_pending_iter_fd(const struct tracer *t)
{
	return t->prof_shared ? bpf_link__fd(t->skel->links.lg_pending_flush) : -1;
}

void tracer_prof_enable(struct tracer *t, int on)
{
	if (t->prof_shared)
		__atomic_store_n(&t->skel->bss->prof_on, on ? 1 : 0, __ATOMIC_RELEASE);
}

int tracer_counters_fd(const struct tracer *t)
{
	return t->prof_shared ? t->counters_fd : -1;
}

int tracer_sched_hist(struct tracer *t, struct lg_sched_hist *out)
{
	/* The struct is all __u64: summed as an array. */
	return percpu_sum(bpf_map__fd(t->skel->maps.lg_sched_hist), 0, (uint64_t *)out,
			  sizeof(*out) / sizeof(uint64_t));
}
