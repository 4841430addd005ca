// SPDX-License-Identifier: GPL-2.0-only
/*
 * The request tracer: one record per finished request of the traced
 * processes, built from socket and TCP tracepoints (this kernel has no
 * kprobes and refuses fentry). The state machine is include/latgov/conn.h.
 *
 * Hooks and what each contributes (tp_btf: arguments as BTF pointers):
 *   sock_recv_length / sock_send_length   bytes and time of every recv/send, in the
 *                                          caller's thread: the state machine's input
 *                                          (recv: not loaded in arrival mode; send:
 *                                          only where tcp_sendmsg_locked is missing)
 *   tcp_probe                              arrival time and first bytes of an inbound
 *                                          segment (runs in the SENDER's context on
 *                                          loopback: the socket is looked up, current
 *                                          is never used); in arrival mode (conn.h)
 *                                          the request side's data event itself
 *   tcp_sendmsg_locked                     every send, with its user buffer: the send's
 *                                          data event (sock_send_length then is not
 *                                          loaded), response prefix, pipelined answers
 *   inet_sock_set_state                    open, FIN, close and reset; listen ports
 *   sched_process_fork / exit              the target set follows forked workers
 *   sched_switch / sched_wakeup            with sched_on: each request's split into
 *                                          on-CPU, run queue, blocked, throttled, and
 *                                          the in-flight tag the profiler reads
 *   syscalls:sys_{enter,exit}_*            fallback for kernels without sock_*_length
 *                                          (< 6.3); only one side is loaded
 *
 * Cost: each program's first test is the cheapest one that rejects foreign
 * work: a bit of the target bitmap for the current tgid where the context is
 * the target's, a byte of the port_watch array where it is not (softirq).
 * Records go to the ring buffer with BPF_RB_NO_WAKEUP; user space polls on
 * a timer, so there is no wakeup per request.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "latgov/abi.h"
#include "latgov/conn.h"
#include "latgov/sched.h"
#include "sched.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define IPPROTO_TCP  6
#define MSG_PEEK     2
#define S_IFMT       00170000
#define S_IFSOCK     0140000

/* TCP states (include/net/tcp_states.h). */
enum {
	LG_TCP_ESTABLISHED = 1, LG_TCP_SYN_SENT, LG_TCP_SYN_RECV, LG_TCP_FIN_WAIT1,
	LG_TCP_FIN_WAIT2, LG_TCP_TIME_WAIT, LG_TCP_CLOSE, LG_TCP_CLOSE_WAIT,
	LG_TCP_LAST_ACK, LG_TCP_LISTEN, LG_TCP_CLOSING,
};

/*
 * Local ports worth a look in softirq context (LG_PORT_* bits), indexed by
 * port. A byte load rejects foreign segments before any map lookup. User
 * space seeds the listening ports of the targets; listen() and outgoing
 * connections of targets add theirs. Bits are never cleared (a stale bit
 * costs one failed lookup, never a wrong record).
 */
__u8 port_watch[65536];

/*
 * port_watch[port], with the index masked where the verifier sees it: older
 * verifiers (6.1) lose the bounds of a byte-swapped port.
 */
static __always_inline __u8 *port_slot(__u32 port)
{
	barrier_var(port);
	return &port_watch[port & 0xffff];
}

/*
 * The target set: lg_targets is the authority (user space counts and lists
 * it); target_bits mirrors it as a bitmap indexed by tgid, because a bit test
 * is what every socket event of every process on the machine pays, and a
 * hash lookup costs about twice as much. Kernel pid_max is at most 2^22.
 */
__u64 target_bits[LG_PID_WORDS];

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_MAX_TARGETS);
	__type(key, __u32);			/* tgid */
	__type(value, struct lg_target);
} lg_targets SEC(".maps");

/*
 * Per-connection state. A plain hash, not LRU: an LRU would evict silently
 * and a lost request must be counted. Entries go at TCP_CLOSE, which every
 * TCP socket reaches; a full map is counted as LG_CNT_CONN_MAP_FULL.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_CONNS_DEFAULT);	/* user space may resize it */
	__type(key, __u64);			/* struct sock * */
	__type(value, struct lg_conn);
} lg_conns SEC(".maps");

/*
 * The first home of a connection's state: a direct-mapped array indexed by
 * a hash of the socket's address, each slot holding its socket. An array
 * lookup is inlined by the verifier, where a hash lookup is a helper call
 * (~80 ns on a host with Safe RET and retpolines; three a request). A
 * socket whose slot is taken goes to lg_conns. One way, so freeing a slot
 * is clearing its key: no tombstones, no probe chains.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);	/* user space's idle scan reads it in place */
	__uint(max_entries, 1u << LG_SLOTS_BITS);	/* user space sets it with slot_bits */
	__type(key, __u32);
	__type(value, struct lg_conn_slot);
} lg_slots SEC(".maps");

/*
 * A socket as the connection tables know it: its address (lg_conns' key and
 * the records' conn_id) and its slot key, the address less lg_slots' own.
 * The verifier lets a program subtract one pointer from another, which
 * gives a number it may hash; it refuses any other arithmetic on one.
 */
struct sk_id {
	__u64 key;
	__u64 skey;
};

/* Of a socket the tracepoint hands over (a BTF pointer). */
static __always_inline struct sk_id sk_id_of(const struct sock *sk)
{
	struct sk_id id = { .key = (__u64)sk, .skey = (__u64)sk - (__u64)&lg_slots };

	return id;
}

/* lg_slots' address as a number: stored and read back through memory. */
__u64 slots_base;

/* Of a socket address read from memory (a number to the verifier already). */
static __always_inline struct sk_id sk_id_of_addr(__u64 addr)
{
	struct sk_id id = { .key = addr };

	*(volatile __u64 *)&slots_base = (__u64)&lg_slots;
	id.skey = addr - *(volatile __u64 *)&slots_base;
	return id;
}

/* log2 of lg_slots' size, which user space sets with it (LATGOV_SLOT_BITS, for tests). */
const volatile __u32 slot_bits = LG_SLOTS_BITS;

static __always_inline struct lg_conn_slot *slot_of(__u64 skey)
{
	__u32 idx = lg_slot_index(skey, slot_bits);

	return bpf_map_lookup_elem(&lg_slots, &idx);
}

/* The state of a socket, wherever it lives; NULL if none. */
static __always_inline struct lg_conn *conn_lookup(struct sk_id id)
{
	struct lg_conn_slot *s = slot_of(id.skey);

	if (s && s->key == id.skey)
		return &s->conn;
	return bpf_map_lookup_elem(&lg_conns, &id.key);
}

/* Drops the state of a socket (at TCP_CLOSE). */
static __always_inline void conn_delete(struct sk_id id)
{
	struct lg_conn_slot *s = slot_of(id.skey);

	if (s && s->key == id.skey) {
		/* Cleared, not reset: the next owner zeroes it when it claims the slot. */
		__sync_val_compare_and_swap(&s->key, id.skey, 0);
		return;
	}
	bpf_map_delete_elem(&lg_conns, &id.key);
}

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LG_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} lg_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, LG_RINGBUF_BYTES);
} lg_events SEC(".maps");

static const struct lg_conn zero_conn;

/*
 * Scheduler attribution (sched.h), on when user space sets this before load
 * (it also loads lg_sched_switch and lg_sched_wakeup then). Off, the
 * verifier drops every branch that tests it.
 */
const volatile __u32 sched_on = 0;

/*
 * Arrival mode (conn.h): segments are the request side's data events, and
 * lg_sock_recv is not loaded. User space sets it for plain tracing (no
 * sched_on) where sends come from tcp_sendmsg_locked and no other process
 * shares a target's listening socket (an arrival cannot tell whose it is).
 */
const volatile __u32 arrival_mode = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lg_sched_hist);
} lg_sched_hist SEC(".maps");

static __always_inline struct lg_oncpu *oncpu(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lg_oncpu, &zero);
}

/*
 * Off-CPU stacks for the profiler (prof_shared, set by user space before
 * load when --flame runs with scheduler attribution): at switch-out this
 * program notes where a target thread left the CPU (its stack ids, in its
 * lg_thread; offcpu.bpf.h), and at switch-in, where it splits the span
 * anyway, adds the span's parts under them to prof_counts. The profiler
 * reuses prof_counts and prof_stacks and loads only its sampler. A second
 * sched_switch and sched_wakeup program of its own cost a clock read, three
 * lookups and a second split per switch. User space shrinks these maps to
 * one entry when they are not shared.
 */
const volatile __u32 prof_shared = 0;
const volatile __u64 prof_min_span_ns = 0;
const volatile __u32 prof_requests_only = 0;	/* only spans with a request in flight */
/* Set while the profiler runs (from its attach to its collection), so that its spans cover its time. */
__u32 prof_on = 0;

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&lg_counters, &idx);

	if (v)
		*v += 1;	/* per-CPU slot: no atomic needed */
}

#include "offcpu.bpf.h"

/* The thread's pending off-CPU time (struct lg_thread) into prof_counts. */
static __always_inline void prof_flush_pending(struct lg_thread *t)
{
	struct lg_stack_key key = {
		.tgid = t->pend_tgid, .kstack_id = t->pend_kstack_id, .ustack_id = t->pend_ustack_id,
		.endpoint = t->pend_endpoint,
	};
	struct lg_span span = {
		.runq_ns = t->pend_ns[LG_PHASE_RUNQ], .blocked_ns = t->pend_ns[LG_PHASE_BLOCKED],
		.throttled_ns = t->pend_ns[LG_PHASE_THROTTLED],
	};

	if (!t->pend_set)
		return;
	prof_add_span(&key, &span);
	t->pend_set = 0;
}

static __always_inline int is_target(__u32 tgid)
{
	return (target_bits[(tgid >> 6) & (LG_PID_WORDS - 1)] >> (tgid & 63)) & 1;
}

static __always_inline void emit(struct lg_conn *c, int reason)
{
	c->req.end_reason = reason;
	if (sched_on)
		conn_sched_split(c);
	/* Counted whether or not the ring buffer takes it: it leaves the map either way. */
	if (c->state == LG_CONN_RESPONSE)
		count(LG_CNT_ANSWERED_EMITTED);
	if (bpf_ringbuf_output(&lg_events, &c->req, sizeof(c->req), BPF_RB_NO_WAKEUP)) {
		count(LG_CNT_RINGBUF_FULL);
		return;
	}
	count(LG_CNT_REQUESTS);
}

/* Creates the state of a socket; NULL (counted) if the map is full. */
static __always_inline struct lg_conn *conn_create(struct sock *sk, struct sk_id id, __u8 role,
						   __u32 cflags)
{
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	struct lg_conn_slot *s;
	struct lg_conn *c;
	__u64 old;

	if (role == LG_ROLE_UNKNOWN && ((*port_slot(lport)) & LG_PORT_LISTEN))
		role = LG_ROLE_SERVER;
	s = slot_of(id.skey);
	if (s) {
		/*
		 * Claimed as key|1 while it is zeroed: a lookup does not match
		 * it yet, and a racing creator of the same socket sees the claim
		 * and gives up (its event is lost, as with a full map).
		 */
		old = __sync_val_compare_and_swap(&s->key, 0, id.skey | 1);
		if (old == 0) {
			s->conn = zero_conn;
			conn_init(&s->conn, id.key, role, cflags, lport, rport);
			__sync_lock_test_and_set(&s->key, id.skey);
			return &s->conn;
		}
		if (old == id.skey)
			return &s->conn;
		if (old == (id.skey | 1)) {
			count(LG_CNT_CONN_MAP_FULL);
			return NULL;
		}
	}
	if (bpf_map_update_elem(&lg_conns, &id.key, &zero_conn, BPF_NOEXIST) == -7 /* E2BIG */) {
		count(LG_CNT_CONN_MAP_FULL);
		return NULL;
	}
	c = bpf_map_lookup_elem(&lg_conns, &id.key);
	if (!c)
		return NULL;
	if (c->req.type == 0)	/* we inserted it (not a racing creator) */
		conn_init(c, id.key, role, cflags, lport, rport);
	return c;
}

/*
 * The state of sk for a data event of the current (target) thread; made if
 * missing (NULL then if the map is full).
 */
static __always_inline struct lg_conn *conn_of_data(struct sock *sk, struct sk_id id, int dir)
{
	struct lg_conn *c = conn_lookup(id);

	if (c)
		return c;
	/* Not seen at open or arrival: it predates us (or is a client socket). */
	c = conn_create(sk, id, LG_ROLE_UNKNOWN, LG_CONN_F_PREEXISTING);
	if (c && dir == LG_DIR_OUT && c->req.role != LG_ROLE_SERVER)
		(*port_slot(c->req.lport)) |= LG_PORT_CLIENT;
	return c;
}

/*
 * A recv or send of bytes on c by the current (target) thread. send_start:
 * when a send began if the caller knows it (the syscall fallback, whose
 * event comes at the syscall's exit), else 0: now.
 */
static __always_inline void on_data(struct lg_conn *c, int dir, __u64 bytes, __u64 id,
				    __u64 send_start)
{
	__u64 now = bpf_ktime_get_ns(), start = now;
	int reason, answered, req_dir;

	reason = conn_data_ends_request(c, dir);
	if (reason)
		emit(c, reason);
	if (dir == LG_DIR_OUT && send_start && send_start <= now)
		start = send_start;
	/*
	 * A request sent by the target counts from when its send began. An
	 * answer's bytes count at the event: a send's start where
	 * tcp_sendmsg_locked is the event (its later segments move the time on,
	 * conn_send_continues), its end with sock_send_length or at the
	 * syscall's exit; its first byte when the first send began.
	 */
	req_dir = dir == conn_request_dir(c);
	answered = c->state == LG_CONN_RESPONSE;
	/* The cgroup is taken at the connection's first request only (conn_start_request). */
	conn_on_data(c, dir, req_dir ? start : now, bytes, id >> 32, (__u32)id,
		     req_dir && c->state != LG_CONN_REQUEST && !c->req.cgroup_id ?
		     bpf_get_current_cgroup_id() : 0);
	if (!answered && c->state == LG_CONN_RESPONSE) {
		count(LG_CNT_ANSWERED);
		if (!req_dir && start < c->req.t_first_resp_ns)
			c->req.t_first_resp_ns = start;
	}
}

/*
 * Arrival mode: a segment of bytes on c (softirq, or the socket owner's
 * backlog: any thread; never current's). Returns what to copy from it.
 */
static __always_inline int on_arrival_data(struct lg_conn *c, __u64 bytes)
{
	int reason = conn_data_ends_request(c, LG_DIR_IN), answered, copy;

	if (reason)
		emit(c, reason);
	answered = c->state == LG_CONN_RESPONSE;
	copy = conn_arrival_data(c, bpf_ktime_get_ns(), bytes, reason);
	if (!answered && c->state == LG_CONN_RESPONSE)
		count(LG_CNT_ANSWERED);
	return copy;
}

/*
 * A target thread's scheduler state; if create, made zeroed when missing,
 * and NULL then (counted) when the kernel cannot allocate it or refuses a
 * nested use of task storage on this CPU.
 */
static __always_inline struct lg_thread *thread_of(struct task_struct *task, int create)
{
	struct lg_thread *t = bpf_task_storage_get(&lg_threads, task, 0,
						   create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);

	if (!t && create)
		count(LG_CNT_THREAD_MAP_FULL);
	return t;
}

/*
 * After a data event of thread tid on c (and once c's prefixes and write
 * ends are noted): the thread's totals at the first read of a request and
 * at each write of its answer; a server's request marks its thread in flight.
 */
static __always_inline void sched_note(struct lg_conn *c, int dir, __u32 tid)
{
	struct lg_thread *t;
	struct lg_oncpu *o;
	__u32 key;
	int more;

	if (dir == conn_request_dir(c)) {
		if (c->state != LG_CONN_REQUEST || c->req.reads != 1 || c->sched_ok)
			return;
		key = c->req.role == LG_ROLE_SERVER ?
		      lg_route_key_cached(&c->route, c->req.req_prefix, c->req.req_len, c->req.lport) : 0;
		/* The CPU's copy of this thread if it is there (it is, once the thread was switched in). */
		o = oncpu();
		if (o && o->tid == tid) {
			conn_sched_read_totals(c, o->runq_ns, o->blocked_ns, o->throttled_ns);
			if (key)
				sched_oncpu_request_begins(o, key);
			return;
		}
		t = thread_of(bpf_get_current_task_btf(), 1);
		if (!t)
			return;
		conn_sched_read(c, t);
		if (key)
			sched_request_begins(t, key);
		return;
	}
	if (c->state != LG_CONN_RESPONSE || tid != c->req.tid)
		return;
	more = c->open_end || (c->chunked && !c->chunked_done);
	o = oncpu();
	if (o && o->tid == tid) {
		conn_sched_write_totals(c, o->runq_ns, o->blocked_ns, o->throttled_ns);
		if (c->req.role == LG_ROLE_SERVER)
			sched_oncpu_answer_write(o, more);
		return;
	}
	t = thread_of(bpf_get_current_task_btf(), 0);
	if (!t)
		return;
	conn_sched_write(c, t);
	if (c->req.role == LG_ROLE_SERVER)
		sched_answer_write(t, more);
}

/*
 * tp_btf rather than classic tracepoints: the classic path assembles the
 * event record before the program runs; the raw one hands over the
 * arguments (and sk as a BTF pointer, read directly).
 */
static __always_inline int sock_length(struct sock *sk, int ret, int flags, int dir)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct lg_conn *c;

	if (!is_target(id >> 32))
		return 0;
	if (sk->sk_protocol != IPPROTO_TCP || (flags & MSG_PEEK) || ret <= 0)
		return 0;
	c = conn_of_data(sk, sk_id_of(sk), dir);
	if (!c)
		return 0;
	on_data(c, dir, ret, id, 0);
	if (sched_on)
		sched_note(c, dir, (__u32)id);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(lg_sock_recv, struct sock *sk, int ret, int flags)
{
	return sock_length(sk, ret, flags, LG_DIR_IN);
}

/* Only where tcp_sendmsg_locked is missing (6.3 to 6.15): lg_tcp_sendmsg does this and more. */
SEC("tp_btf/sock_send_length")
int BPF_PROG(lg_sock_send, struct sock *sk, int ret, int flags)
{
	return sock_length(sk, ret, flags, LG_DIR_OUT);
}

/* ---- payload prefixes ------------------------------------------------------ */

extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym __weak;
extern int bpf_dynptr_from_skb(struct __sk_buff *skb, __u64 flags,
			       struct bpf_dynptr *ptr__uninit) __ksym __weak;

/*
 * Copies up to LG_REQ_PREFIX payload bytes of skb starting at off into dst.
 * Loopback (and most NICs) put TCP payload in page fragments, not the linear
 * area: bpf_dynptr_from_skb reads across both (allowed for tp_btf since
 * 6.15). Older kernels read only what is linear. Returns the bytes copied.
 */
static __always_inline __u32 skb_prefix(const struct sk_buff *skb, __u32 off, __u32 len,
					__u8 *dst, __u32 cap, int use_dynptr)
{
	struct bpf_dynptr p;
	__u32 n = len < cap ? len : cap;

	if (n == 0)
		return 0;
	if (use_dynptr) {
		if (bpf_dynptr_from_skb((struct __sk_buff *)skb, 0, &p))
			return 0;
		/* Constant sizes keep the verifier happy; try the full then shrink. */
		if (n >= 64 && cap >= 64 && !bpf_dynptr_read(dst, 64, &p, off, 0))
			return 64;
		if (n >= 32 && !bpf_dynptr_read(dst, 32, &p, off, 0))
			return 32;
		if (n >= 16 && !bpf_dynptr_read(dst, 16, &p, off, 0))
			return 16;
		if (n >= 8 && !bpf_dynptr_read(dst, 8, &p, off, 0))
			return 8;
		return 0;
	} else {
		__u32 headlen = skb->len - skb->data_len;
		const void *src = skb->data + off;

		if (off >= headlen)
			return 0;
		if (n > headlen - off)
			n = headlen - off;
		if (n >= 64 && cap >= 64 && !bpf_probe_read_kernel(dst, 64, src))
			return 64;
		if (n >= 32 && !bpf_probe_read_kernel(dst, 32, src))
			return 32;
		if (n >= 16 && !bpf_probe_read_kernel(dst, 16, src))
			return 16;
		if (n >= 8 && !bpf_probe_read_kernel(dst, 8, src))
			return 8;
		return 0;
	}
}

/* TCP header flag bits as the control block keeps them (include/net/tcp.h). */
#define TCPHDR_FIN 0x01
#define TCPHDR_SYN 0x02

static __always_inline int tcp_probe(struct sock *sk, const struct sk_buff *skb, int use_dynptr)
{
	__u16 lport = sk->__sk_common.skc_num;
	const struct tcp_skb_cb *cb;
	__u32 doff, len, n;
	struct lg_conn *c;
	struct sk_id id;
	int copy;

	if (!(*port_slot(lport)))
		return 0;
	/*
	 * The payload's length from the TCP control block that tcp_v4_rcv
	 * (tcp_v6_rcv) filled before this tracepoint: end_seq - seq counts the
	 * payload plus one for SYN and one for FIN. skb->data is the TCP header,
	 * so the header's length is what remains; no probe-read of th->doff.
	 */
	cb = (const struct tcp_skb_cb *)skb->cb;
	len = cb->end_seq - cb->seq;
	if (cb->tcp_flags & TCPHDR_SYN)
		len--;
	if (cb->tcp_flags & TCPHDR_FIN)
		len--;
	if ((int)len <= 0 || len > skb->len)
		return 0;	/* a bare ACK */
	doff = skb->len - len;
	id = sk_id_of(sk);
	c = conn_lookup(id);
	if (!c) {
		if (!((*port_slot(lport)) & LG_PORT_LISTEN))
			return 0;
		/* Data on an accepted socket we did not see open: it predates us. */
		c = conn_create(sk, id, LG_ROLE_SERVER, LG_CONN_F_PREEXISTING);
		if (!c)
			return 0;
	}
	if (arrival_mode) {
		/* Arrivals are the data events: a retransmission is not more data. */
		n = conn_arrival_new_bytes(c, cb->seq + ((cb->tcp_flags & TCPHDR_SYN) ? 1 : 0), len);
		if (!n)
			return 0;
		doff += len - n;
		len = n;
		copy = on_arrival_data(c, len);
	} else {
		copy = conn_on_arrival(c, bpf_ktime_get_ns());
	}
	if (copy == LG_COPY_REQ) {
		n = skb_prefix(skb, doff, len, c->req.req_prefix, LG_REQ_PREFIX, use_dynptr);
		c->req.req_len = n;
	} else if (copy == LG_COPY_NEXT_REQ) {
		n = skb_prefix(skb, doff, len, c->next_prefix, LG_REQ_PREFIX, use_dynptr);
		c->next_len = n;
	} else if (copy == LG_COPY_RESP) {
		n = skb_prefix(skb, doff, len, c->req.resp_prefix, LG_RESP_PREFIX, use_dynptr);
		c->req.resp_len = n;
	}
	return 0;
}

/*
 * Two variants; user space loads the first and falls back to the second
 * where the kernel refuses bpf_dynptr_from_skb in tp_btf programs.
 */
SEC("tp_btf/tcp_probe")
int BPF_PROG(lg_tcp_probe, struct sock *sk, const struct sk_buff *skb)
{
	return tcp_probe(sk, skb, 1);
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(lg_tcp_probe_linear, struct sock *sk, const struct sk_buff *skb)
{
	return tcp_probe(sk, skb, 0);
}

/*
 * The user buffer a send starts from; 0 for kernel pages (sendfile, splice).
 * msg is a BTF pointer (tp_btf): direct reads, no probe-read helper calls.
 */
static __always_inline const void *msg_user_start(const struct msghdr *msg, __u64 *avail)
{
	__u8 type = msg->msg_iter.iter_type;
	__u64 off = msg->msg_iter.iov_offset;
	const struct iovec *iov;
	const void *base;
	__u64 len;

	if (type == 0 /* ITER_UBUF */) {
		base = msg->msg_iter.ubuf;
		*avail = msg->msg_iter.count;
		/* Keep this load apart from the stack one below (the verifier
		 * refuses one instruction loading through both pointers). */
		barrier_var(base);
		return base + off;
	}
	if (type == 1 /* ITER_IOVEC */) {
		/* The kernel's copy of the iovec array: BTF-typed, read directly (no helper call). */
		iov = msg->msg_iter.__iov;
		base = iov->iov_base;
		len = iov->iov_len;
		barrier_var(base);
		if (off >= len)
			return 0;	/* first iovec consumed: prefix is not at its start */
		*avail = len - off;
		return base + off;
	}
	return 0;
}

static __always_inline __u32 user_prefix(const void *src, __u64 avail, __u8 *dst, __u32 cap)
{
	if (avail >= 64 && cap >= 64 && !bpf_probe_read_user(dst, 64, src))
		return 64;
	if (avail >= 16 && cap >= 16 && !bpf_probe_read_user(dst, 16, src))
		return 16;
	if (avail >= 8 && !bpf_probe_read_user(dst, 8, src))
		return 8;
	if (avail >= 4 && !bpf_probe_read_user(dst, 4, src))
		return 4;
	return 0;
}

/* The last five bytes of a send call that starts at src, into tail: 5, or 0 if unknown. */
static __always_inline __u32 send_tail(const void *src, __u64 avail, __u64 total, __u8 *tail)
{
	/* The call's last bytes are at the end of this buffer only if it holds them all. */
	if (avail == total && avail >= 5 && !bpf_probe_read_user(tail, 5, src + avail - 5))
		return 5;
	return 0;
}

/* Notes chunked framing of a server's send call that starts at src (see conn_note_chunks). */
static __always_inline void note_chunks(struct lg_conn *c, const void *src, __u64 avail,
					__u64 total, const __u8 *head, __u32 hn)
{
	__u8 tail[5];

	conn_note_chunks(c, head, hn, tail, send_tail(src, avail, total, tail));
}

/*
 * A send's first bytes (into head: the count returned, at most
 * LG_RESP_PREFIX) and its last five (into tail; *tn 5, or 0 if unknown).
 * A call of at most LG_SEND_WHOLE bytes in one buffer (a header, a chunk, a
 * small answer) is read once: a probe-read costs ~230 instructions of fixed
 * work (the usercopy checks), whatever it copies, and two were a third of
 * this program.
 */
#define LG_SEND_WHOLE 256

struct lg_send_buf {
	__u8 bytes[LG_SEND_WHOLE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lg_send_buf);
} lg_send_buf SEC(".maps");

static __always_inline __u32 send_ends(const void *src, __u64 avail, __u64 total, __u8 *head,
				       __u8 *tail, __u32 *tn)
{
	struct lg_send_buf *b;
	__u32 zero = 0, n, i;

	/* n in [1, LG_SEND_WHOLE] as the verifier sees it: a mask, not a comparison it may lose. */
	n = ((__u32)avail - 1) & (LG_SEND_WHOLE - 1);
	barrier_var(n);
	n += 1;
	if (avail == total && avail >= 1 && avail <= LG_SEND_WHOLE &&
	    (b = bpf_map_lookup_elem(&lg_send_buf, &zero)) && !bpf_probe_read_user(b->bytes, n, src)) {
		__builtin_memcpy(head, b->bytes, LG_RESP_PREFIX);
		*tn = 0;
		if (n >= 5) {
			for (i = 0; i < 5; i++)
				tail[i] = b->bytes[(n - 5 + i) & (LG_SEND_WHOLE - 1)];
			*tn = 5;
		}
		return n < LG_RESP_PREFIX ? n : LG_RESP_PREFIX;
	}
	*tn = send_tail(src, avail, total, tail);
	return user_prefix(src, avail, head, LG_RESP_PREFIX);
}

/*
 * What a send's buffer tells the state machine, before its data event: a
 * server's status line (the answer's start, a pipelined request's next
 * answer, a final answer after an interim one) and where its writes end
 * (chunks), or a client's next request.
 */
static __always_inline void send_prefixes(struct lg_conn *c, const struct msghdr *msg)
{
	__u8 head[LG_RESP_PREFIX], tail[5];
	__u64 avail = 0, total = msg->msg_iter.count;
	const void *src = msg_user_start(msg, &avail);
	__u32 tn;
	int copy, n;

	if (c->state == LG_CONN_RESPONSE && c->req.role == LG_ROLE_SERVER) {
		if (!src) {
			/* Kernel pages (sendfile, splice): a body, whose end is not known. */
			c->open_end = 0;
			return;
		}
		n = send_ends(src, avail, total, head, tail, &tn);
		copy = conn_on_response_start(c, conn_http_status_start(head, n));
		if (copy == LG_END_NEXT_REQUEST) {
			emit(c, LG_END_NEXT_REQUEST);
			conn_start_pipelined(c);
		} else if (copy != LG_COPY_RESP) {
			conn_note_chunks(c, head, n, tail, tn);
			return;
		}
		__builtin_memcpy(c->req.resp_prefix, head, LG_RESP_PREFIX);
		c->req.resp_len = n;
		conn_note_chunks(c, head, 0, tail, tn);
		return;
	}
	copy = conn_on_send_start(c);
	if (copy == LG_COPY_NONE)
		return;
	if (!src) {
		if (copy == LG_COPY_NEXT_REQ)
			c->next_set = 0;
		return;
	}
	if (copy == LG_COPY_NEXT_REQ) {
		c->next_len = user_prefix(src, avail, c->next_prefix, LG_REQ_PREFIX);
	} else {
		/*
		 * The first write of an answer: is it its header alone, or its
		 * end? Its last bytes tell (a search of the header for
		 * "chunked" cost more than the rest of this program).
		 */
		c->req.resp_len = send_ends(src, avail, total, c->req.resp_prefix, tail, &tn);
		conn_note_chunks(c, c->req.resp_prefix, 0, tail, tn);
	}
}

/*
 * Every send of a target's TCP socket, with its buffer: the send's data
 * event (sock_send_length is not loaded where this runs). It fires as the
 * call fills each segment and again at a retry after EAGAIN; the first
 * firing of a call is the event (conn_send_call_begins), counted with all
 * the bytes the call was given. A call that ends short (EAGAIN midway, then
 * given up) counts its bytes as given.
 */
SEC("tp_btf/tcp_sendmsg_locked")
int BPF_PROG(lg_tcp_sendmsg, struct sock *sk, const struct msghdr *msg)
{
	__u64 id = bpf_get_current_pid_tgid(), left;
	struct tcp_sock *tp;
	struct lg_conn *c;

	if (!is_target(id >> 32))
		return 0;
	left = msg->msg_iter.count;
	/*
	 * This tracepoint's socket is always a tcp_sock: a cast (no
	 * instructions once verified), not bpf_skc_to_tcp_sock()'s call.
	 */
	tp = bpf_rdonly_cast(sk, bpf_core_type_id_kernel(struct tcp_sock));
	if (!tp || !left)
		return 0;
	c = conn_of_data(sk, sk_id_of(sk), LG_DIR_OUT);
	if (!c)
		return 0;
	if (!conn_send_call_begins(c, tp->write_seq + (__u32)left)) {
		conn_send_continues(c, bpf_ktime_get_ns());
		return 0;
	}
	conn_settle_role(c, LG_DIR_OUT);
	if (arrival_mode) {
		if (c->state == LG_CONN_IDLE)
			conn_unseen_request(c, tp->bytes_received, c->next_arrival_ns, bpf_ktime_get_ns());
		conn_answer_thread(c, id >> 32, (__u32)id);
		/* The request's read was not seen: the cgroup is its answer's (once a connection). */
		if (!c->req.cgroup_id && c->req.role == LG_ROLE_SERVER)
			c->req.cgroup_id = bpf_get_current_cgroup_id();
	}
	send_prefixes(c, msg);
	on_data(c, LG_DIR_OUT, left, id, 0);
	if (sched_on)
		sched_note(c, LG_DIR_OUT, (__u32)id);
	return 0;
}

/* ---- connection lifecycle --------------------------------------------------- */

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(lg_set_state, const struct sock *sk, int os, int ns)
{
	/*
	 * inet_sport, not skc_num: at TCP_CLOSE the port is released (num
	 * zeroed) before this tracepoint runs; the source port stays.
	 */
	__u16 sport = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
	struct sk_id id = sk_id_of(sk);
	struct lg_conn *c;
	int reason;

	if (sk->sk_protocol != IPPROTO_TCP)
		return 0;
	if (ns == LG_TCP_LISTEN || ns == LG_TCP_SYN_SENT) {
		/* Both in the target's own syscall (listen, connect). */
		if (!is_target(bpf_get_current_pid_tgid() >> 32))
			return 0;
		if (ns == LG_TCP_LISTEN) {
			(*port_slot(sport)) |= LG_PORT_LISTEN;
			return 0;
		}
		/* The source port is not chosen yet: watch it at ESTABLISHED. */
		conn_create((struct sock *)sk, id, LG_ROLE_CLIENT, 0);
		return 0;
	}
	if (!(*port_slot(sport))) {
		if (ns != LG_TCP_ESTABLISHED || os != LG_TCP_SYN_SENT)
			return 0;
	}
	if (ns == LG_TCP_ESTABLISHED) {
		if (os == LG_TCP_SYN_SENT) {
			if (conn_lookup(id))
				(*port_slot(sport)) |= LG_PORT_CLIENT;
			return 0;
		}
		if ((*port_slot(sport)) & LG_PORT_LISTEN) {	/* accepted: softirq, no current */
			c = conn_create((struct sock *)sk, id, LG_ROLE_SERVER, 0);
			/* The segment that completes the handshake may carry the first request (conn_unseen_request). */
			if (arrival_mode && c)
				c->next_arrival_ns = bpf_ktime_get_ns();
		}
		return 0;
	}
	c = conn_lookup(id);
	if (!c)
		return 0;
	if (ns == LG_TCP_FIN_WAIT1 || ns == LG_TCP_CLOSE_WAIT) {
		reason = conn_on_fin(c);
		if (reason) {
			emit(c, reason);
			conn_emitted(c);
		}
		return 0;
	}
	if (ns == LG_TCP_CLOSE) {
		/* Straight to CLOSE from a synchronised state is an abort (RST). */
		reason = conn_on_close(c, os == LG_TCP_ESTABLISHED || os == LG_TCP_CLOSE_WAIT ||
					  os == LG_TCP_FIN_WAIT1 || os == LG_TCP_CLOSING);
		if (reason)
			emit(c, reason);
		conn_delete(id);
	}
	return 0;
}

/* ---- the target set follows forks ----------------------------------------- */

SEC("tp_btf/sched_process_fork")
int BPF_PROG(lg_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = parent->tgid, ctgid = child->tgid;
	struct lg_target t = {};

	if (ptgid == ctgid || !is_target(ptgid))
		return 0;	/* a new thread is covered by its tgid */
	if (bpf_map_update_elem(&lg_targets, &ctgid, &t, BPF_ANY)) {
		count(LG_CNT_TARGET_MAP_FULL);
		return 0;
	}
	__sync_fetch_and_or(&target_bits[(ctgid >> 6) & (LG_PID_WORDS - 1)], 1ull << (ctgid & 63));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(lg_exit, struct task_struct *p)
{
	__u32 tgid = p->tgid, tid = p->pid;

	if (!is_target(tgid))
		return 0;
	if (sched_on) {
		/* Each thread's exit; its pending off-CPU time is not lost with it. */
		struct lg_oncpu *o = oncpu();

		if (prof_shared) {
			struct lg_thread *t = bpf_task_storage_get(&lg_threads, p, 0, 0);

			if (t)
				prof_flush_pending(t);
		}
		if (o && o->tid == tid)
			o->tid = 0;
		bpf_task_storage_delete(&lg_threads, p);
	}
	/* The last thread of the group: signal->live already dropped to 0. */
	if (BPF_CORE_READ(p, signal, live.counter) != 0)
		return 0;
	__sync_fetch_and_and(&target_bits[(tgid >> 6) & (LG_PID_WORDS - 1)], ~(1ull << (tgid & 63)));
	bpf_map_delete_elem(&lg_targets, &tgid);
	return 0;
}

/* ---- scheduler attribution (sched_on; sched.h) ------------------------------ */

/*
 * The profiler's part of a switch-in (prof_shared): the span's parts under
 * the stacks it left from, and the tag it had then (t->endpoint is
 * unchanged since the switch-out). Added to the thread's pending time while
 * the key stays the same (stacks_set: the next switch-out sets or clears it).
 */
static __always_inline void prof_span(struct lg_thread *t, __u32 tgid, __u64 span_ns,
				      const struct lg_span *span)
{
	if (span_ns < prof_min_span_ns)
		return;
	if (!t->pend_set || t->pend_tgid != tgid || t->pend_kstack_id != t->kstack_id ||
	    t->pend_ustack_id != t->ustack_id || t->pend_endpoint != t->endpoint) {
		prof_flush_pending(t);
		t->pend_tgid = tgid;
		t->pend_kstack_id = t->kstack_id;
		t->pend_ustack_id = t->ustack_id;
		t->pend_endpoint = t->endpoint;
		t->pend_ns[LG_PHASE_RUNQ] = 0;
		t->pend_ns[LG_PHASE_BLOCKED] = 0;
		t->pend_ns[LG_PHASE_THROTTLED] = 0;
		t->pend_set = 1;
	}
	t->pend_ns[LG_PHASE_RUNQ] += span->runq_ns;
	t->pend_ns[LG_PHASE_BLOCKED] += span->blocked_ns;
	t->pend_ns[LG_PHASE_THROTTLED] += span->throttled_ns;
}

/*
 * The stacks prev leaves the CPU with, into t: those of its last switch-out
 * if it leaves from the same place (no site-cache lookup), else the site
 * cache's or a walk's.
 */
static __always_inline void note_stacks(void *ctx, struct task_struct *prev, struct lg_thread *t,
					int runnable)
{
	struct stack_site site = {};

	read_site(prev, prev->pid, runnable, &site);
	if (t->site_set && t->site_ip == site.ip && t->site_sp == site.sp &&
	    t->site_top == site.top && t->site_nr == site.nr && t->site_runnable == site.runnable)
		return;
	walk_site(ctx, &site, &t->kstack_id, &t->ustack_id);
	t->site_ip = site.ip;
	t->site_sp = site.sp;
	t->site_top = site.top;
	t->site_nr = site.nr;
	t->site_runnable = site.runnable;
	t->site_set = t->ustack_id >= 0;	/* as the site cache: a failed walk is tried again */
}

static __always_inline void hist_add(__u64 *buckets, __u64 *sum, __u64 ns)
{
	if (!ns)
		return;
	buckets[sched_hist_bucket(ns) & (LG_SCHED_HIST_BUCKETS - 1)]++;
	*sum += ns;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(lg_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	struct lg_oncpu *o = oncpu(), prev_copy = {};	/* an inlined array access */
	__u32 tid, zero = 0, prev_tag = 0;
	__u64 now = 0;
	struct lg_thread *t;

	/* prev's tag from the CPU's copy, which next's switch-in replaces below. */
	if (o && o->tid && o->tid == prev->pid) {
		/* Only the tag goes back (sched_oncpu_out): no copy of the totals. */
		prev_tag = 1;
		prev_copy.endpoint = o->endpoint;
		prev_copy.answered = o->answered;
		prev_copy.more = o->more;
	}
	if (is_target(next->tgid)) {
		tid = next->pid;
		t = bpf_task_storage_get(&lg_threads, next, 0, 0);
		if (t && t->t_out) {
			struct lg_sched_hist *h = bpf_map_lookup_elem(&lg_sched_hist, &zero);
			__u64 t_out = t->t_out;
			struct lg_span span;

			now = bpf_ktime_get_ns();
			sched_switch_in(t, now, &span);
			if (prof_shared && t->stacks_set)
				prof_span(t, next->tgid, now - t_out, &span);
			if (h) {
				hist_add(h->runq, &h->runq_ns, span.runq_ns);
				hist_add(h->blocked, &h->blocked_ns, span.blocked_ns);
				hist_add(h->throttled, &h->throttled_ns, span.throttled_ns);
			}
		}
		if (o)
			sched_oncpu_in(o, tid, t);	/* after the switch-in: its totals as of now */
	} else if (prev_tag) {
		o->tid = 0;
	}
	if (is_target(prev->tgid) && prev->pid && !(prev_state & LG_TASK_DEAD)) {
		int runnable = lg_switch_runnable(preempt, prev_state);

		t = thread_of(prev, 1);
		if (!t)
			return 0;
		if (prev_tag)
			sched_oncpu_out(&prev_copy, t);
		if (!now)
			now = bpf_ktime_get_ns();
		sched_switch_out(t, now, runnable, runnable && lg_task_throttled(prev));
		/* t->endpoint is now the tag of the span (sched_tag_at_switch_out) */
		t->stacks_set = 0;
		if (prof_shared && prof_on && (!prof_requests_only || t->endpoint)) {
			note_stacks(ctx, prev, t, runnable);
			t->stacks_set = 1;
		}
	}
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(lg_sched_wakeup, struct task_struct *p)
{
	struct lg_thread *t;

	if (!is_target(p->tgid))
		return 0;
	t = bpf_task_storage_get(&lg_threads, p, 0, 0);
	/* The throttle test (CO-RE reads) only for a sleeper's first wakeup. */
	if (t && t->t_out && t->phase == LG_PHASE_BLOCKED && !t->t_wake)
		sched_wakeup(t, bpf_ktime_get_ns(), lg_task_throttled(p));
	return 0;
}

/*
 * The profiler's collection (prof_shared): every thread's pending off-CPU
 * time into prof_counts. User space reads this iterator once, after it
 * stopped the noting of stacks; task storage has no key walk of its own.
 */
SEC("iter/task")
int lg_pending_flush(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct lg_thread *t;

	if (!task || !prof_shared)
		return 0;
	t = bpf_task_storage_get(&lg_threads, task, 0, 0);
	if (t)
		prof_flush_pending(t);
	return 0;
}

/* ---- fallback for kernels without sock_*_length: syscall tracepoints ------- */

/* Where a syscall's data is, so the fallback can copy prefixes too. */
enum sys_buf {
	SYS_BUF_PLAIN = 0,	/* args[1] is the buffer (read, write, recvfrom, sendto) */
	SYS_BUF_IOVEC = 1,	/* args[1] is a struct iovec array (readv, writev) */
	SYS_BUF_MSG   = 2,	/* args[1] is a struct user_msghdr (recvmsg, sendmsg) */
	SYS_BUF_NONE  = 3,	/* no user buffer (sendfile) */
};

struct sys_call {
	__u64 buf;
	__u64 start_ns;		/* syscall entry: a send's data is handed over from here */
	__u32 fd;
	__u16 dir;
	__u16 kind;		/* enum sys_buf */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LG_MAX_THREADS);
	__type(key, __u64);			/* pid_tgid */
	__type(value, struct sys_call);
} lg_sys_calls SEC(".maps");

/* fd -> struct sock * of the current task, or NULL if fd is not a TCP socket. */
static __always_inline struct sock *fd_to_sock(__u32 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct file **fds = BPF_CORE_READ(task, files, fdt, fd);
	unsigned int max = BPF_CORE_READ(task, files, fdt, max_fds);
	struct file *f = NULL;
	struct socket *so;
	struct sock *sk;

	if (fd >= max)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	so = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(so, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return NULL;
	return sk;
}

/* The start of the user data of a syscall, and how many bytes it moved. */
static __always_inline const void *sys_user_start(const struct sys_call *call)
{
	struct user_msghdr msg;
	struct iovec iov;

	if (call->kind == SYS_BUF_PLAIN)
		return (const void *)call->buf;
	if (call->kind == SYS_BUF_MSG) {
		if (bpf_probe_read_user(&msg, sizeof(msg), (const void *)call->buf))
			return 0;
		if (bpf_probe_read_user(&iov, sizeof(iov), msg.msg_iov))
			return 0;
		return iov.iov_base;
	}
	if (call->kind == SYS_BUF_IOVEC) {
		if (bpf_probe_read_user(&iov, sizeof(iov), (const void *)call->buf))
			return 0;
		return iov.iov_base;
	}
	return 0;
}

/*
 * What lg_tcp_sendmsg does where tcp_sendmsg_locked is missing: a server
 * send that starts a status line during an answer starts the next pipelined
 * request (conn.h). The buffer is still the user's at syscall exit.
 */
static __always_inline void sys_response_start(struct sock *sk, const struct sys_call *call,
					       long ret)
{
	__u8 head[LG_RESP_PREFIX];
	struct lg_conn *c = conn_lookup(sk_id_of_addr((__u64)sk));
	const void *src;
	int n, act;

	if (!c || c->state != LG_CONN_RESPONSE || c->req.role != LG_ROLE_SERVER || ret < 10)
		return;
	src = sys_user_start(call);
	if (!src)
		return;
	n = user_prefix(src, ret, head, LG_RESP_PREFIX);
	act = conn_on_response_start(c, conn_http_status_start(head, n));
	if (act == LG_END_NEXT_REQUEST) {
		emit(c, LG_END_NEXT_REQUEST);
		conn_start_pipelined(c);
	} else if (act != LG_COPY_RESP) {
		return;
	}
	__builtin_memcpy(c->req.resp_prefix, head, LG_RESP_PREFIX);
	c->req.resp_len = n;
}

static __always_inline int sys_enter(struct trace_event_raw_sys_enter *ctx, int dir, int kind)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sys_call call = { .buf = ctx->args[1], .fd = ctx->args[0], .dir = dir,
				 .kind = kind };

	if (!is_target(id >> 32))
		return 0;
	call.start_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&lg_sys_calls, &id, &call, BPF_ANY);
	return 0;
}

static __always_inline int sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct sys_call *slot, call;
	struct lg_conn *c;
	const void *src;
	struct sock *sk;
	long ret = ctx->ret;

	if (!is_target(id >> 32))
		return 0;
	slot = bpf_map_lookup_elem(&lg_sys_calls, &id);
	if (!slot)
		return 0;
	call = *slot;
	bpf_map_delete_elem(&lg_sys_calls, &id);
	if (ret <= 0)
		return 0;
	sk = fd_to_sock(call.fd);
	if (!sk)
		return 0;
	if (call.dir == LG_DIR_OUT && call.kind != SYS_BUF_NONE)
		sys_response_start(sk, &call, ret);
	c = conn_of_data(sk, sk_id_of_addr((__u64)sk), call.dir);
	if (!c)
		return 0;
	on_data(c, call.dir, ret, id, call.dir == LG_DIR_OUT ? call.start_ns : 0);
	/*
	 * Prefixes where tcp_probe / tcp_sendmsg_locked could not give them
	 * (older kernels): the request's first read, the response's first write.
	 */
	if (c->state == LG_CONN_REQUEST && c->req.reads == 1 && c->req.req_len == 0 &&
	    call.dir == conn_request_dir(c)) {
		src = sys_user_start(&call);
		if (src)
			c->req.req_len = user_prefix(src, ret, c->req.req_prefix, LG_REQ_PREFIX);
	} else if (c->state == LG_CONN_RESPONSE && c->req.resp_writes == 1 && c->req.resp_len == 0 &&
		   call.dir != conn_request_dir(c)) {
		src = sys_user_start(&call);
		if (src)
			c->req.resp_len = user_prefix(src, ret, c->req.resp_prefix, LG_RESP_PREFIX);
	}
	/* Where an answer's write ends (a header, a chunk, the last chunk): as lg_tcp_sendmsg notes it. */
	if (c->state == LG_CONN_RESPONSE && c->req.role == LG_ROLE_SERVER && call.dir == LG_DIR_OUT &&
	    call.kind == SYS_BUF_PLAIN)
		note_chunks(c, (const void *)call.buf, ret, ret, 0, 0);
	if (sched_on)
		sched_note(c, call.dir, (__u32)id);
	return 0;
}

#define SYS_PAIR(name, dir, kind)						\
SEC("tracepoint/syscalls/sys_enter_" #name)					\
int lg_sys_enter_##name(struct trace_event_raw_sys_enter *ctx)			\
{ return sys_enter(ctx, dir, kind); }						\
SEC("tracepoint/syscalls/sys_exit_" #name)					\
int lg_sys_exit_##name(struct trace_event_raw_sys_exit *ctx)			\
{ return sys_exit(ctx); }

SYS_PAIR(read, LG_DIR_IN, SYS_BUF_PLAIN)
SYS_PAIR(readv, LG_DIR_IN, SYS_BUF_IOVEC)
SYS_PAIR(recvfrom, LG_DIR_IN, SYS_BUF_PLAIN)
SYS_PAIR(recvmsg, LG_DIR_IN, SYS_BUF_MSG)
SYS_PAIR(write, LG_DIR_OUT, SYS_BUF_PLAIN)
SYS_PAIR(writev, LG_DIR_OUT, SYS_BUF_IOVEC)
SYS_PAIR(sendto, LG_DIR_OUT, SYS_BUF_PLAIN)
SYS_PAIR(sendmsg, LG_DIR_OUT, SYS_BUF_MSG)
SYS_PAIR(sendfile64, LG_DIR_OUT, SYS_BUF_NONE)
