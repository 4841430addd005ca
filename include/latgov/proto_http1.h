/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HTTP/1.x framing as the kernel side sees it: a few bytes at the start and
 * the end of each send, and the first bytes of each request. Helper-free
 * static inline code (no BPF helpers, no libc), so the tracer and the unit
 * tests run the same logic. The dispatch over protocols is proto.h; the
 * user-space parsing of request lines and routes is user/core/http.c.
 *
 * What the bytes tell:
 *   - an answer begins with a status line ("HTTP/1.x NNN"); a 1xx one is
 *     interim (100 Continue): the final one follows and replaces it;
 *   - a chunk of a chunked answer begins "<hex>\r\n"; the terminating chunk
 *     ends "0\r\n\r\n"; a write that ends in CRLF is a header alone or a
 *     chunk, so more of the answer may follow;
 *   - a request line is "METHOD SP path[?query] SP HTTP/1.x": its route key
 *     (what the kernel tags a thread's time with) hashes the line up to the
 *     end of its path.
 */
#ifndef LATGOV_PROTO_HTTP1_H
#define LATGOV_PROTO_HTTP1_H

#include "latgov/abi.h"
#include "latgov/prefix_words.h"

#define LG_HTTP1_FN static inline __attribute__((always_inline))

/* What the framing of the answer in progress says (one per connection, reset at each request). */
struct lg_http1_answer {
	__u8 chunked;		/* the answer is chunked ... */
	__u8 chunked_done;	/* ... and its terminating chunk was sent */
	__u8 open_end;		/* its last write ended with CRLF: a header or a chunk */
	__u8 pad;
};

enum lg_http1_status {
	LG_HTTP1_NOT_STATUS = 0,	/* the bytes do not begin a status line */
	LG_HTTP1_FINAL      = 1,	/* a final status line (2xx..5xx) */
	LG_HTTP1_INTERIM    = 2,	/* an interim one (1xx) */
};

/* What n bytes at p begin: enum lg_http1_status. */
LG_HTTP1_FN int http1_status_start(const __u8 *p, __u32 n)
{
	if (n < 10 || p[0] != 'H' || p[1] != 'T' || p[2] != 'T' || p[3] != 'P' || p[4] != '/' ||
	    p[5] != '1' || p[6] != '.')
		return LG_HTTP1_NOT_STATUS;
	return p[9] == '1' ? LG_HTTP1_INTERIM : LG_HTTP1_FINAL;
}

/*
 * A send of the answer in progress whose first bytes are head (hn of them)
 * and last five tail (tn of them, 0 if unknown): notes chunked framing and
 * its end, and whether the write ended open (CRLF).
 */
LG_HTTP1_FN void http1_note_write(struct lg_http1_answer *a, const __u8 *head, __u32 hn,
				  const __u8 *tail, __u32 tn)
{
	__u32 i;
	int hex = 0;

	for (i = 0; i < 8 && i + 1 < hn; i++) {
		__u8 ch = head[i];

		if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F')) {
			hex = 1;
			continue;
		}
		if (hex && ch == '\r' && head[i + 1] == '\n')
			a->chunked = 1;
		break;
	}
	if (tn == 5 && tail[0] == '0' && tail[1] == '\r' && tail[2] == '\n' && tail[3] == '\r' &&
	    tail[4] == '\n') {
		a->chunked = 1;
		a->chunked_done = 1;
	}
	/* ...unless it was the terminating chunk, which ends in CRLF too. */
	a->open_end = tn == 5 && tail[3] == '\r' && tail[4] == '\n' && !a->chunked_done;
}

/*
 * 1 if an answer that began with resp (rn bytes) to a request that began
 * with req (qn bytes) may carry a body: a final status other than 204 and
 * 304, to a request other than HEAD. Such an answer that has sent only its
 * header is waiting for its body (a token stream's first token).
 */
LG_HTTP1_FN int http1_body_may_follow(const __u8 *resp, __u32 rn, const __u8 *req, __u32 qn)
{
	if (http1_status_start(resp, rn) != LG_HTTP1_FINAL)
		return 0;
	if (resp[9] == '2' && resp[10] == '0' && resp[11] == '4')
		return 0;
	if (resp[9] == '3' && resp[10] == '0' && resp[11] == '4')
		return 0;
	return !(qn >= 5 && req[0] == 'H' && req[1] == 'E' && req[2] == 'A' && req[3] == 'D' &&
		 req[4] == ' ');
}

/*
 * 1 if the answer a may not be finished however long it pauses: a chunked
 * stream whose terminating chunk has not been sent, or an answer that may
 * carry a body and whose last write was its header or a chunk.
 */
LG_HTTP1_FN int http1_answer_open(const struct lg_http1_answer *a, const __u8 *resp, __u32 rn,
				  const __u8 *req, __u32 qn)
{
	return (a->chunked && !a->chunked_done) ||
	       (a->open_end && http1_body_may_follow(resp, rn, req, qn));
}

/*
 * The route key hash of an HTTP/1.x request line in p (len valid bytes, p
 * 8-byte aligned and LG_REQ_PREFIX long), seeded with h: the line up to the
 * end of its path (the query, the version and the headers are left out).
 * The line is read a word at a time and the end of the path found in each
 * word at once (lg_bytes_eq), where a byte-wise loop would cost several
 * times as much in the kernel. Sets *used to the bytes the key was made of,
 * with the byte that ended the path (0 if no end was seen within len).
 */
LG_HTTP1_FN __u64 http1_route_hash(const __u8 *p, __u32 len, __u64 h, __u32 *used)
{
	__u64 w, stop, sp, cut;
	__u32 i, off, first_space = 1;

	*used = 0;
	for (i = 0; i < LG_REQ_PREFIX / 8; i++) {
		off = i * 8;
		if (off >= len)
			break;
		w = lg_prefix_word(p, off, len);
		/* The line ends at the second space (the first ends the method) or at ?, #, CR, LF. */
		sp = lg_bytes_eq(w, ' ');
		if (first_space && sp) {
			sp &= sp - 1;
			first_space = 0;
		}
		stop = sp | lg_bytes_eq(w, '?') | lg_bytes_eq(w, '#') | lg_bytes_eq(w, '\r') |
		       lg_bytes_eq(w, '\n');
		if (stop) {
			cut = stop & (~stop + 1);	/* the first one */
			h = (h ^ (w & ((cut >> 7) - 1))) * LG_FNV_PRIME;
			/*
			 * The end byte is the one whose top bit cut holds: byte k
			 * of the word, k read off a multiplication that moves the
			 * constant's byte k to the top (BPF has no ctz).
			 */
			*used = off + (__u32)(((cut >> 7) * 0x0001020304050607ull) >> 56) + 1;
			return h;
		}
		h = (h ^ w) * LG_FNV_PRIME;
	}
	return h;
}

#endif /* LATGOV_PROTO_HTTP1_H */
