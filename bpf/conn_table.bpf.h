/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Where each connection's state (struct lg_conn, include/latgov/conn.h)
 * lives: a direct-mapped slot table first, a hash for a socket whose slot is
 * taken. Lookup, creation and deletion by socket.
 */
#ifndef LATGOV_CONN_TABLE_BPF_H
#define LATGOV_CONN_TABLE_BPF_H

#include "compat.bpf.h"
#include "counters.bpf.h"
#include "targets.bpf.h"
#include "latgov/conn.h"

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
 * a hash of the socket's address, each slot holding its socket. The
 * verifier inlines an array lookup, where a hash lookup is a helper call. A
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

static const struct lg_conn zero_conn;

/* Creates the state of a socket; NULL (counted) if the map is full. */
static __always_inline struct lg_conn *conn_create(struct sock *sk, struct sk_id id, __u8 role,
						   __u32 cflags)
{
	__u16 lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	__u16 rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	struct lg_conn_slot *s;
	struct lg_conn *c;
	__u64 old;
	int err;

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
	err = bpf_map_update_elem(&lg_conns, &id.key, &zero_conn, BPF_NOEXIST);
	if (err == -E2BIG) {
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

#endif /* LATGOV_CONN_TABLE_BPF_H */
