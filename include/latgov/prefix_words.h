/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reading a request's prefix (LG_REQ_PREFIX bytes, 8-byte aligned) a word
 * at a time, for the protocols' route keys (proto_http1.h, proto_resp.h):
 * a byte-wise loop costs several times as much in the kernel and makes the
 * verifier walk every byte. Helper-free static inline code.
 */
#ifndef LATGOV_PREFIX_WORDS_H
#define LATGOV_PREFIX_WORDS_H

#include "latgov/abi.h"

#define LG_WORDS_FN static inline __attribute__((always_inline))

/*
 * The bytes of w equal to c, as the top bit of each such byte. Exact: the
 * sum cannot carry from one byte into the next (the well-known "has zero
 * byte" trick with the subtraction can flag a byte above a match).
 */
LG_WORDS_FN __u64 lg_bytes_eq(__u64 w, __u8 c)
{
	const __u64 low7 = 0x7f7f7f7f7f7f7f7full;
	__u64 v = w ^ (c * 0x0101010101010101ull);

	return ~(((v & low7) + low7) | v | low7);
}

/* The 8 bytes at p + off, of which the first len - off count (little-endian: the low ones). */
LG_WORDS_FN __u64 lg_prefix_word(const __u8 *p, __u32 off, __u32 len)
{
	__u64 w;

	__builtin_memcpy(&w, __builtin_assume_aligned(p + off, 8), sizeof(w));
	if (len - off < 8)
		w &= (1ull << (8 * (len - off))) - 1;
	return w;
}

#define LG_FNV_BASIS 0xcbf29ce484222325ull
#define LG_FNV_PRIME 0x100000001b3ull

#endif /* LATGOV_PREFIX_WORDS_H */
