/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Payload bytes the state machine looks at: the first bytes of a segment
 * (tcp_probe's skb), and the first and last bytes of a send (a user buffer).
 * Every read is of a constant or masked size, and none of it leaves the
 * kernel except as a record's short prefixes.
 */
#ifndef LATGOV_PAYLOAD_BPF_H
#define LATGOV_PAYLOAD_BPF_H

#include "compat.bpf.h"
#include "latgov/abi.h"
#include "latgov/proto.h"

/*
 * Copies up to cap (at most LG_REQ_PREFIX) payload bytes of skb starting at
 * off into dst. Loopback (and most NICs) put TCP payload in page fragments,
 * not the linear area: bpf_dynptr_from_skb reads across both where the
 * kernel lets a tracing program call it (compat.bpf.h); otherwise only what
 * is linear is read. Returns the bytes copied.
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

/* Up to cap (LG_REQ_PREFIX or LG_RESP_PREFIX) bytes of a user buffer of avail bytes into dst. */
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

/*
 * A send of at most LG_SEND_WHOLE bytes in one buffer (a header, a chunk, a
 * small answer) is read once, whole, into the CPU's buffer: a probe-read
 * costs a fixed amount (the usercopy checks) whatever it copies, so one read
 * beats a read of its head and another of its tail. The same buffer holds
 * what a protocol scans of an answer's first write (LG_RESP_SCAN).
 */
#define LG_SEND_WHOLE 256
_Static_assert(LG_SEND_WHOLE == LG_RESP_SCAN, "an answer's scan fits the send buffer");

struct lg_send_buf {
	__u8 bytes[LG_SEND_WHOLE];
	/*
	 * A count of the replies in bytes (proto.bpf.h), kept here rather than
	 * on the stack: the verifier does not track a map value's contents,
	 * so the count's steps under bpf_loop converge at once, where values
	 * it knows exactly would make it walk every path of every step.
	 */
	struct lg_proto_scan scan;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lg_send_buf);
} lg_send_buf SEC(".maps");

/*
 * Reads the first bytes of a send (up to LG_SEND_WHOLE of avail) into the
 * CPU's buffer: returns it and sets *n to the bytes read, or NULL.
 */
static __always_inline struct lg_send_buf *send_buf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lg_send_buf, &zero);
}

static __always_inline const __u8 *send_read(const void *src, __u64 avail, __u32 *n)
{
	struct lg_send_buf *b;
	__u32 len;

	if (!avail)
		return NULL;
	/* len in [1, LG_SEND_WHOLE] as the verifier sees it: a mask, not a comparison it may lose. */
	len = avail >= LG_SEND_WHOLE ? LG_SEND_WHOLE : (__u32)avail;
	len = ((len - 1) & (LG_SEND_WHOLE - 1)) + 1;
	barrier_var(len);
	b = send_buf();
	if (!b || bpf_probe_read_user(b->bytes, len, src))
		return NULL;
	*n = len;
	return b->bytes;
}

/*
 * A send's first bytes (into head: the count returned, at most
 * LG_RESP_PREFIX) and its last five (into tail; *tn 5, or 0 if unknown).
 * With scan, its first bytes up to LG_SEND_WHOLE are also left in the CPU's
 * buffer: *scan points to them (*scan_n of them), or is NULL.
 */
static __always_inline __u32 send_ends(const void *src, __u64 avail, __u64 total, __u8 *head,
				       __u8 *tail, __u32 *tn, int scan, const __u8 **scan_p,
				       __u32 *scan_n)
{
	const __u8 *b = NULL;
	__u32 n = 0, i;

	*scan_p = NULL;
	if ((avail == total && avail <= LG_SEND_WHOLE) || scan)
		b = send_read(src, avail, &n);
	if (b) {
		__builtin_memcpy(head, b, LG_RESP_PREFIX);
		*scan_p = b;
		*scan_n = n;
		if (avail == total && n == avail) {
			*tn = 0;
			if (n >= 5) {
				for (i = 0; i < 5; i++)
					tail[i] = b[(n - 5 + i) & (LG_SEND_WHOLE - 1)];
				*tn = 5;
			}
		} else {
			*tn = send_tail(src, avail, total, tail);
		}
		return n < LG_RESP_PREFIX ? n : LG_RESP_PREFIX;
	}
	*tn = send_tail(src, avail, total, tail);
	return user_prefix(src, avail, head, LG_RESP_PREFIX);
}

#endif /* LATGOV_PAYLOAD_BPF_H */
