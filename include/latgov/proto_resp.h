/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Redis's protocol (RESP2 and RESP3) as the kernel side sees it: the first
 * bytes of each request and of each answer's first write. Helper-free static
 * inline code, so the tracer and the unit tests run the same logic; the
 * user-space naming of commands is user/core/resp.c.
 *
 * A request is an array of bulk strings, "*N\r\n$L\r\n<name>\r\n...", whose
 * first element is the command's name (case-insensitive) and, for the
 * commands that group others (CONFIG, CLIENT, ...), whose second is the
 * subcommand. A client may send several at once (pipelining; redis-benchmark
 * does with its two CONFIG GET at the start, and with -P): the server reads
 * them with one read and answers them with one write, whose replies are
 * counted (resp_count_replies) so that each request counts once.
 */
#ifndef LATGOV_PROTO_RESP_H
#define LATGOV_PROTO_RESP_H

#include "latgov/abi.h"
#include "latgov/prefix_words.h"

#define LG_RESP_FN static inline __attribute__((always_inline))

/* Bytes of an answer's first write that are read to count its replies (a power of two). */
#define LG_RESP_SCAN 256

/* 1 if n bytes at p begin a RESP request: an array ("*<digit>"). */
LG_RESP_FN int resp_is_request(const __u8 *p, __u32 n)
{
	return n >= 2 && p[0] == '*' && p[1] >= '0' && p[1] <= '9';
}

/* 1 if n bytes at p begin an error reply ("-ERR ...", RESP3's blob error "!"). */
LG_RESP_FN int resp_is_error_reply(const __u8 *p, __u32 n)
{
	return n >= 1 && (p[0] == '-' || p[0] == '!');
}

/*
 * The decimal number at p[*off] of a prefix (len valid bytes of
 * LG_REQ_PREFIX), ended by CRLF: its value, with *off moved past the CRLF.
 * -1 if it is not there whole or has more than four digits (no name or
 * subcommand is that long).
 */
LG_RESP_FN int resp_prefix_number(const __u8 *p, __u32 len, __u32 *off)
{
	__u32 i, o = *off;
	int v = 0;

	for (i = 0; i < 5; i++, o++) {
		__u8 ch;

		if (o >= len)
			return -1;
		ch = p[o & (LG_REQ_PREFIX - 1)];
		if (ch == '\r')
			break;
		if (ch < '0' || ch > '9' || i == 4)
			return -1;
		v = v * 10 + (ch - '0');
	}
	if (i == 0 || o + 1 >= len || p[(o + 1) & (LG_REQ_PREFIX - 1)] != '\n')
		return -1;
	*off = o + 2;
	return v;
}

/* Where a request's name and subcommand are in its prefix. */
struct lg_resp_words {
	__u32 off[2];		/* of the bytes of each, in the prefix */
	__u32 len[2];
};

/*
 * Finds the first two elements of the RESP request in p (len valid bytes of
 * LG_REQ_PREFIX): returns how many are there whole (0, 1 or 2; the second
 * only if the array has one), each ended by its CRLF within len.
 */
LG_RESP_FN int resp_request_words(const __u8 *p, __u32 len, struct lg_resp_words *w)
{
	__u32 off = 1, k;
	int n, elems, l;

	if (len > LG_REQ_PREFIX)
		len = LG_REQ_PREFIX;
	if (!resp_is_request(p, len))
		return 0;
	elems = resp_prefix_number(p, len, &off);
	if (elems <= 0)
		return 0;
	for (n = 0, k = 0; k < 2 && n < elems; k++) {
		if (off >= len || p[off & (LG_REQ_PREFIX - 1)] != '$')
			break;
		off++;
		l = resp_prefix_number(p, len, &off);
		if (l < 0 || off + (__u32)l + 2 > len)
			break;
		w->off[k] = off;
		w->len[k] = (__u32)l;
		off += (__u32)l + 2;
		n++;
	}
	return n;
}

/* Up to the first eight bytes of a word of p, upper-cased (letters only), as a little-endian number. */
LG_RESP_FN __u64 resp_word_upper8(const __u8 *p, __u32 off, __u32 len)
{
	__u64 v = 0;
	__u32 i;

	for (i = 0; i < 8 && i < len; i++) {
		__u8 ch = p[(off + i) & (LG_REQ_PREFIX - 1)];

		if (ch >= 'a' && ch <= 'z')
			ch -= 'a' - 'A';
		v |= (__u64)ch << (8 * i);
	}
	return v;
}

/* "CONFIG" etc. as resp_word_upper8 makes them. */
#define LG_RESP_W(a, b, c, d, e, f, g, h)                                                          \
	((__u64)(a) | (__u64)(b) << 8 | (__u64)(c) << 16 | (__u64)(d) << 24 | (__u64)(e) << 32 |  \
	 (__u64)(f) << 40 | (__u64)(g) << 48 | (__u64)(h) << 56)

/*
 * 1 if a command of len bytes whose first eight are name8 (resp_word_upper8)
 * groups subcommands, whose name is part of the request's endpoint.
 */
LG_RESP_FN int resp_groups_subcommands(__u64 name8, __u32 len)
{
	if (len > 8)
		return 0;
	return name8 == LG_RESP_W('C', 'O', 'N', 'F', 'I', 'G', 0, 0) ||
	       name8 == LG_RESP_W('C', 'L', 'I', 'E', 'N', 'T', 0, 0) ||
	       name8 == LG_RESP_W('C', 'L', 'U', 'S', 'T', 'E', 'R', 0) ||
	       name8 == LG_RESP_W('C', 'O', 'M', 'M', 'A', 'N', 'D', 0) ||
	       name8 == LG_RESP_W('M', 'E', 'M', 'O', 'R', 'Y', 0, 0) ||
	       name8 == LG_RESP_W('O', 'B', 'J', 'E', 'C', 'T', 0, 0) ||
	       name8 == LG_RESP_W('S', 'C', 'R', 'I', 'P', 'T', 0, 0) ||
	       name8 == LG_RESP_W('F', 'U', 'N', 'C', 'T', 'I', 'O', 'N') ||
	       name8 == LG_RESP_W('X', 'I', 'N', 'F', 'O', 0, 0, 0) ||
	       name8 == LG_RESP_W('X', 'G', 'R', 'O', 'U', 'P', 0, 0) ||
	       name8 == LG_RESP_W('A', 'C', 'L', 0, 0, 0, 0, 0) ||
	       name8 == LG_RESP_W('L', 'A', 'T', 'E', 'N', 'C', 'Y', 0) ||
	       name8 == LG_RESP_W('M', 'O', 'D', 'U', 'L', 'E', 0, 0) ||
	       name8 == LG_RESP_W('P', 'U', 'B', 'S', 'U', 'B', 0, 0) ||
	       name8 == LG_RESP_W('S', 'L', 'O', 'W', 'L', 'O', 'G', 0);
}

/* The 8 bytes of p (len valid, LG_REQ_PREFIX long) from off, at any alignment; 0 past len. */
LG_RESP_FN __u64 resp_word_at(const __u8 *p, __u32 off, __u32 len)
{
	__u32 i = off / 8, r = off % 8;
	__u64 lo = 0, hi = 0;

	if (i < LG_REQ_PREFIX / 8 && i * 8 < len)
		lo = lg_prefix_word(p, i * 8, len);
	if (!r)
		return lo;
	if (i + 1 < LG_REQ_PREFIX / 8 && (i + 1) * 8 < len)
		hi = lg_prefix_word(p, (i + 1) * 8, len);
	return lo >> (8 * r) | hi << (64 - 8 * r);
}

/*
 * A decimal of one or two digits at p[*off] (len valid bytes of
 * LG_REQ_PREFIX), ended by CRLF: its value, with *off moved past the CRLF;
 * -1 if there is none. No loop: the verifier walks each of its few paths.
 */
LG_RESP_FN int resp_small_number(const __u8 *p, __u32 len, __u32 *off)
{
	__u32 o = *off;
	__u8 c;
	int v;

	if (o + 2 >= len)
		return -1;
	c = p[o & (LG_REQ_PREFIX - 1)];
	if (c < '0' || c > '9')
		return -1;
	v = c - '0';
	c = p[(o + 1) & (LG_REQ_PREFIX - 1)];
	if (c >= '0' && c <= '9') {
		v = v * 10 + (c - '0');
		o++;
		if (o + 2 >= len)
			return -1;
	}
	if (p[(o + 1) & (LG_REQ_PREFIX - 1)] != '\r' || p[(o + 2) & (LG_REQ_PREFIX - 1)] != '\n')
		return -1;
	*off = o + 3;
	return v;
}

/*
 * The route key hash of a RESP request in p (len valid bytes of
 * LG_REQ_PREFIX, 8-byte aligned), seeded with h: its bytes up to the end of
 * its command's name ("*2\r\n$3\r\nGET\r\n"), or of its subcommand's for
 * a command that groups them ("*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n").
 * Sets *used to those bytes' count; 0 if the name is not there whole, or
 * the array's or a length's count has more than two digits (the caller then
 * keys the port alone: user space still names such requests).
 *
 * No loop over bytes, which the verifier walks byte by byte: one- and
 * two-digit counts at computed offsets, and a word-wise hash. The case of
 * the name is part of the key ("get" and "GET" key apart; user space names
 * both GET), which spares folding it.
 */
LG_RESP_FN __u64 resp_route_hash(const __u8 *p, __u32 len, __u64 h, __u32 *used)
{
	__u32 off = 1, end, i, o;
	__u64 name8;
	int n, l;

	*used = 0;
	if (len > LG_REQ_PREFIX)
		len = LG_REQ_PREFIX;
	n = resp_small_number(p, len, &off);
	if (n < 1 || off >= len || p[off & (LG_REQ_PREFIX - 1)] != '$')
		return h;
	off++;
	l = resp_small_number(p, len, &off);
	if (l < 1 || off + (__u32)l + 2 > len)
		return h;
	end = off + (__u32)l + 2;
	if (n >= 2 && l <= 8) {
		name8 = resp_word_at(p, off, len);
		if (l < 8)
			name8 &= (1ull << (8 * l)) - 1;
		/* Letters only in the names compared: clearing 0x20 upper-cases them. */
		o = end;
		if (resp_groups_subcommands(name8 & ~0x2020202020202020ull, (__u32)l) && o < len &&
		    p[o & (LG_REQ_PREFIX - 1)] == '$') {
			o++;
			l = resp_small_number(p, len, &o);
			if (l >= 1 && o + (__u32)l + 2 <= len)
				end = o + (__u32)l + 2;
		}
	}
	for (i = 0; i < LG_REQ_PREFIX / 8; i++) {
		o = i * 8;
		if (o >= end)
			break;
		h = (h ^ lg_prefix_word(p, o, end)) * LG_FNV_PRIME;
	}
	*used = end;
	return h;
}

/*
 * Counting the replies that begin in the first bytes of an answer's write
 * (b, which begins at the start of a reply): the requests that write
 * answers. Aggregates (arrays, maps, sets, pushes, attributes) count once
 * however deep; a bulk string's payload is skipped by its length. A reply
 * that runs past the bytes read counts (it began). The scan is a step
 * function so that BPF can run it under bpf_loop (a plain loop this long
 * is more than the verifier will walk); resp_count_replies is its plain
 * loop.
 */
struct lg_resp_scan {
	__s64 need;		/* values still to come to finish the reply that began last */
	__s64 num;		/* the number on the current header line */
	__u32 i;		/* next byte of b */
	__u32 n;		/* bytes of b read */
	__u32 count;		/* replies begun */
	__u8  type;		/* type byte of the current header line; 0 between values */
	__u8  neg;		/* the number is negative (a null) */
	__u8  in_num;		/* the line's text is a length or a count */
	__u8  pad;
};

/* One step of the scan over b (LG_RESP_SCAN bytes, s->n of them read): 0 to go on, 1 when done. */
LG_RESP_FN int resp_scan_step(struct lg_resp_scan *s, const __u8 *b)
{
	__u8 ch, t;

	if (s->i >= s->n)
		return 1;
	ch = b[s->i & (LG_RESP_SCAN - 1)];
	t = s->type;
	if (!t) {
		/* A value's first byte: its type. */
		switch (ch) {
		case '*': case '~': case '>': case '%': case '|':
		case '$': case '=': case '!': case ':':
			s->in_num = ch != ':';
			break;
		case '+': case '-': case '_': case '#': case ',': case '(':
			s->in_num = 0;
			break;
		default:
			return 1;	/* not RESP, or lost track: what was counted stands */
		}
		if (s->need == 0)
			s->count++;
		else
			s->need--;
		s->type = ch;
		s->num = 0;
		s->neg = 0;
		s->i++;
		return 0;
	}
	if (ch != '\r') {
		if (s->in_num) {
			if (ch == '-')
				s->neg = 1;
			else if (ch >= '0' && ch <= '9' && s->num < (1 << 24))
				s->num = s->num * 10 + (ch - '0');
		}
		s->i++;
		return 0;
	}
	/* CR: the line ends (its LF follows); a null aggregate or bulk has nothing after it. */
	if (s->neg)
		s->num = 0;
	if (t == '*' || t == '~' || t == '>')
		s->need += s->num;
	else if (t == '%')
		s->need += 2 * s->num;
	else if (t == '|')
		s->need += 2 * s->num + 1;	/* an attribute precedes the value it describes */
	s->i += 2;
	if ((t == '$' || t == '=' || t == '!') && !s->neg)
		s->i += (__u32)s->num + 2;
	s->type = 0;
	return 0;
}

/* Replies begun in the n bytes at b (b holds LG_RESP_SCAN bytes); 0 if b does not begin one. */
LG_RESP_FN __u32 resp_count_replies(const __u8 *b, __u32 n)
{
	struct lg_resp_scan s = { .n = n > LG_RESP_SCAN ? LG_RESP_SCAN : n };
	__u32 k;

	/* Each step consumes a byte or more: at most n steps. */
	for (k = 0; k < LG_RESP_SCAN; k++)
		if (resp_scan_step(&s, b))
			break;
	return s.count;
}

#endif /* LATGOV_PROTO_RESP_H */
