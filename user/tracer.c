// SPDX-License-Identifier: GPL-2.0-only
/*
 * Loader and consumer for bpf/requests.bpf.c (see tracer.h).
 *
 * Kernel differences are decided here, once, at load time:
 *   - sock:sock_{recv,send}_length (>= 6.3) or the syscall-tracepoint
 *     fallback: whichever is not used is not loaded (set_autoload false);
 *   - tcp_probe reading payload through bpf_dynptr_from_skb (tp_btf support
 *     since 6.15) or only the skb's linear part: tried in that order;
 *   - tcp_sendmsg_locked, where the kernel has it, is the send's data event
 *     (with the response prefix) in place of sock_send_length; the syscall
 *     fallback copies prefixes from the syscalls' own buffers;
 *   - arrival mode (conn.h), with tcp_sendmsg_locked and without scheduler
 *     attribution: segments are the request side's events and
 *     sock_recv_length is not loaded, unless another process shares a
 *     target's listening socket (targets_listen_shared).
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

#include "latgov/conn.h"
#include "requests.skel.h"
#include "tracer.h"

#define FLUSHED_BUCKETS 4096

/*
 * A request delivered by an idle flush, awaiting the kernel's copy. Its read
 * time tells that copy apart from a request of a later connection that got
 * the same struct sock address and reached the same seq.
 */
struct flushed {
	struct flushed *next;
	uint64_t conn_id;
	uint64_t seq;
	uint64_t t_read_ns;
};

struct tracer {
	struct requests_bpf *skel;
	struct ring_buffer *rb;
	struct tracer_callbacks cb;
	int syscall_path;
	int arrival;			/* arrival mode: no read hook (tracer_config.need_reads) */
	int dynptr;
	int sched;
	int prof_shared;
	int no_batch;			/* the kernel lacks batch lookups on hash maps */
	uint64_t flush_next_ns;		/* the idle flush finds nothing due before this */
	int conns_fd;
	const struct lg_conn_slot *slots;	/* lg_slots, mapped read-only */
	uint32_t nslots;
	size_t slots_len;
	int counters_fd;
	int ncpus;
	uint64_t *percpu;		/* ncpus slots, for reading a per-CPU counter */
	uint64_t duplicates;
	uint64_t nflushed;		/* entries in flushed[] */
	uint64_t emitted_before_poll;	/* LG_CNT_ANSWERED_EMITTED read before the last drain */
	struct flushed *flushed[FLUSHED_BUCKETS];
};

/* 0 while a load attempt may fail on purpose (a fallback follows): stay quiet. */
static int libbpf_warnings = 1;

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (getenv("LATGOV_DEBUG") || (level == LIBBPF_WARN && libbpf_warnings))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static size_t flushed_bucket(uint64_t conn_id)
{
	return (conn_id >> 6 ^ conn_id >> 18) % FLUSHED_BUCKETS;
}

/* 1 if r was flushed already; forgets it (the kernel emits each request once). */
static int flushed_take(struct tracer *t, const struct lg_request *r)
{
	struct flushed **pp = &t->flushed[flushed_bucket(r->conn_id)], *f;
	int dup;

	if (!t->nflushed)
		return 0;	/* the usual case under load: nothing waits for its copy */

	for (; (f = *pp); pp = &f->next) {
		if (f->conn_id != r->conn_id)
			continue;
		dup = r->seq == f->seq && r->t_read_ns == f->t_read_ns;
		/* The copy, a later request, or a new connection: the entry is done. */
		*pp = f->next;
		free(f);
		t->nflushed--;
		return dup;
	}
	return 0;
}

static int flushed_has(struct tracer *t, const struct lg_request *r)
{
	struct flushed *f;

	for (f = t->flushed[flushed_bucket(r->conn_id)]; f; f = f->next)
		if (f->conn_id == r->conn_id && f->seq == r->seq && f->t_read_ns == r->t_read_ns)
			return 1;
	return 0;
}

static int flushed_put(struct tracer *t, const struct lg_request *r)
{
	size_t b = flushed_bucket(r->conn_id);
	struct flushed *f;

	for (f = t->flushed[b]; f; f = f->next) {
		if (f->conn_id == r->conn_id) {
			f->seq = r->seq;
			f->t_read_ns = r->t_read_ns;
			return 0;
		}
	}
	f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->conn_id = r->conn_id;
	f->seq = r->seq;
	f->t_read_ns = r->t_read_ns;
	f->next = t->flushed[b];
	t->flushed[b] = f;
	t->nflushed++;
	return 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;
	const struct lg_request *r = data;
	uint32_t type;

	if (size < sizeof(type))
		return 0;
	memcpy(&type, data, sizeof(type));
	if (type == LG_REC_REQUEST && size >= sizeof(*r)) {
		if (flushed_take(t, r)) {
			t->duplicates++;
			return 0;
		}
		if (t->cb.on_request)
			t->cb.on_request(t->cb.ctx, r);
	}
	return 0;
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

static void choose_programs(struct requests_bpf *skel, int syscall_path, int dynptr,
			    int has_sendmsg_tp, int sched, int prof_shared, int arrival)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj) {
		const char *name = bpf_program__name(prog);
		int is_sys = strncmp(name, "lg_sys_", 7) == 0;
		int is_sock = strcmp(name, "lg_sock_recv") == 0 || strcmp(name, "lg_sock_send") == 0;

		if ((is_sys && !syscall_path) || (is_sock && syscall_path))
			bpf_program__set_autoload(prog, false);
	}
	bpf_program__set_autoload(dynptr ? skel->progs.lg_tcp_probe_linear : skel->progs.lg_tcp_probe,
				  false);
	/*
	 * tcp_sendmsg_locked (6.16+) is the send's data event on the
	 * sock_length path, with its buffer: sock_send_length is not needed.
	 * Without it, sock_send_length alone (no response prefix). The syscall
	 * path reads the syscalls' own buffers.
	 */
	if (!has_sendmsg_tp || syscall_path)
		bpf_program__set_autoload(skel->progs.lg_tcp_sendmsg, false);
	else
		bpf_program__set_autoload(skel->progs.lg_sock_send, false);
	/* Arrival mode (conn.h): segments and sends are all the events; no read hook. */
	if (arrival)
		bpf_program__set_autoload(skel->progs.lg_sock_recv, false);
	skel->rodata->arrival_mode = arrival ? 1 : 0;
	if (!sched) {
		bpf_program__set_autoload(skel->progs.lg_sched_switch, false);
		bpf_program__set_autoload(skel->progs.lg_sched_wakeup, false);
	}
	if (!prof_shared)
		bpf_program__set_autoload(skel->progs.lg_pending_flush, false);
	skel->rodata->sched_on = sched ? 1 : 0;
	skel->rodata->prof_shared = prof_shared ? 1 : 0;
	disable_listed(skel->obj, getenv("LATGOV_DISABLE_PROGS"));
}

int tracer_open(struct tracer **out, const struct tracer_callbacks *cb,
		const struct tracer_config *cfg, char *err, size_t errlen)
{
	uint32_t max_conns = cfg->max_conns ? cfg->max_conns : LG_CONNS_DEFAULT;
	struct tracer *t;
	int e, dynptr, has_sendmsg_tp;
	uint32_t slot_bits;

	libbpf_set_print(libbpf_quiet);
	e = ensure_tracefs(err, errlen);
	if (e)
		return e;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->cb = *cb;
	t->syscall_path = cfg->force_syscall_path || !kernel_has_tracepoint("sock_recv_length");
	/* the flame part's off-CPU spans ride on the scheduler attribution */
	t->prof_shared = cfg->sched && cfg->prof_shared;
	has_sendmsg_tp = kernel_has_tracepoint("tcp_sendmsg_locked");
	/* Fewer slots (0: one) send more connections to the hash: its path under test. */
	slot_bits = LG_SLOTS_BITS;
	if (getenv("LATGOV_SLOT_BITS"))
		slot_bits = (uint32_t)strtoul(getenv("LATGOV_SLOT_BITS"), NULL, 10);
	if (slot_bits > LG_SLOTS_BITS)
		slot_bits = LG_SLOTS_BITS;
	t->nslots = 1u << slot_bits;
	t->arrival = !t->syscall_path && has_sendmsg_tp && !cfg->sched && !cfg->need_reads;
	t->ncpus = libbpf_num_possible_cpus();
	if (t->ncpus <= 0) {
		e = t->ncpus ? t->ncpus : -EINVAL;
		snprintf(err, errlen, "cannot count possible CPUs: %s", strerror(-e));
		goto err_free;
	}

	e = -EINVAL;
	for (dynptr = 1; dynptr >= 0; dynptr--) {
		t->skel = requests_bpf__open();
		if (!t->skel) {
			e = -errno;
			snprintf(err, errlen, "cannot open the request tracer's BPF object: %s", strerror(-e));
			goto err_free;
		}
		choose_programs(t->skel, t->syscall_path, dynptr, has_sendmsg_tp, cfg->sched,
				t->prof_shared, t->arrival);
		bpf_map__set_max_entries(t->skel->maps.lg_conns, max_conns);
		bpf_map__set_max_entries(t->skel->maps.lg_slots, t->nslots);
		t->skel->rodata->slot_bits = slot_bits;
		t->skel->rodata->prof_min_span_ns = cfg->prof_min_span_ns;
		t->skel->rodata->prof_requests_only = cfg->prof_requests_only ? 1 : 0;
		/* not shared: hash and stack maps are preallocated, so keep them to one entry */
		if (!t->prof_shared) {
			bpf_map__set_max_entries(t->skel->maps.prof_counts, 1);
			bpf_map__set_max_entries(t->skel->maps.prof_stacks, 1);
			bpf_map__set_max_entries(t->skel->maps.prof_sites, 1);
		}
		libbpf_warnings = dynptr == 0;
		e = requests_bpf__load(t->skel);
		libbpf_warnings = 1;
		if (!e)
			break;
		requests_bpf__destroy(t->skel);
		t->skel = NULL;
	}
	if (!t->skel) {
		snprintf(err, errlen, "the kernel refused the request tracer's BPF programs (%s): run 'latgov check' to see which feature is missing, LATGOV_DEBUG=1 for the verifier log",
			 strerror(-e));
		goto err_free;
	}
	t->dynptr = dynptr;
	t->sched = cfg->sched;
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
	t->percpu = calloc(t->ncpus, sizeof(*t->percpu));
	if (!t->percpu) {
		e = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto err_destroy;
	}

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
	free(t->percpu);
	free(t);
	return e;
}

void tracer_close(struct tracer *t)
{
	size_t i;

	if (!t)
		return;
	ring_buffer__free(t->rb);
	if (t->slots)
		munmap((void *)t->slots, t->slots_len);
	requests_bpf__destroy(t->skel);
	free(t->percpu);
	for (i = 0; i < FLUSHED_BUCKETS; i++) {
		while (t->flushed[i]) {
			struct flushed *f = t->flushed[i];

			t->flushed[i] = f->next;
			free(f);
		}
	}
	free(t);
}

const char *tracer_hook_path(const struct tracer *t)
{
	return t->syscall_path ? "syscalls" : t->arrival ? "arrivals" : "sock_length";
}

int tracer_skb_dynptr(const struct tracer *t)
{
	return t->dynptr;
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
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(t->counters_fd, &which, t->percpu))
		return 0;
	for (int c = 0; c < t->ncpus; c++)
		sum += t->percpu[c];
	return sum;
}

int tracer_poll(struct tracer *t, int timeout_ms)
{
	int n;

	/*
	 * Read before the drain, so that records emitted meanwhile make the
	 * idle scan's estimate of what is pending too high, never too low.
	 */
	t->emitted_before_poll = counter(t, LG_CNT_ANSWERED_EMITTED);
	n = ring_buffer__poll(t->rb, timeout_ms);

	if (n < 0 && n != -EINTR)
		return n;
	/* Records are submitted without wakeups: poll only waited; drain now. */
	n = ring_buffer__consume(t->rb);
	return n < 0 && n != -EINTR ? n : 0;
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
	struct lg_conn again;
	int e;

	if (at == ~0ull || flushed_has(t, &c->req))
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
	e = flushed_put(t, &c->req);
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
	if (idle_ns && counter(t, LG_CNT_ANSWERED) <= t->emitted_before_poll + t->nflushed)
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
	int fd = bpf_map__fd(t->skel->maps.lg_counters);
	uint64_t *percpu;
	uint32_t i;
	int c, e = 0;

	percpu = calloc(t->ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	for (i = 0; i < LG_CNT__MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, percpu)) {
			e = -errno;
			continue;
		}
		for (c = 0; c < t->ncpus; c++)
			out[i] += percpu[c];
	}
	free(percpu);
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
	struct lg_sched_hist *percpu;
	uint32_t zero = 0;
	int e = 0;

	memset(out, 0, sizeof(*out));
	percpu = calloc(t->ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(t->skel->maps.lg_sched_hist), &zero, percpu)) {
		e = -errno;
		goto out;
	}
	/* The struct is all __u64: sum it as an array. */
	for (int c = 0; c < t->ncpus; c++) {
		const uint64_t *src = (const uint64_t *)&percpu[c];
		uint64_t *dst = (uint64_t *)out;

		for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
			dst[i] += src[i];
	}
out:
	free(percpu);
	return e;
}
