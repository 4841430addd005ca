/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Incremental HTTP/1.x response parser for the load generator: status line,
 * headers, and a body framed by Content-Length, chunked transfer encoding, or
 * the end of the connection. Server-Sent Events (text/event-stream) are
 * counted as they arrive. Pure: it only reads the bytes it is given.
 *
 * Hand-rolled on purpose: Debian 12 packages no maintained HTTP parser
 * (libllhttp is not in bookworm; libhttp-parser-dev is nodejs/http-parser
 * 2.9.4, whose upstream was archived in 2022 as unmaintained), and the
 * client side needs only framing, not request parsing or URL handling.
 */
#ifndef LOADGEN_RESP_H
#define LOADGEN_RESP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RESP_LINE_MAX 8192	/* longest status/header/chunk-size line */

enum resp_state {
	RESP_STATUS,
	RESP_HEADER,
	RESP_BODY_LEN,
	RESP_CHUNK_SIZE,
	RESP_CHUNK_DATA,
	RESP_CHUNK_END,
	RESP_TRAILER,
	RESP_BODY_EOF,
	RESP_DONE,
};

struct resp_parser {
	enum resp_state state;
	int head_request;	/* response to HEAD: never a body */
	int status;		/* 100..999 once the status line is read */
	int keep_alive;		/* the connection may carry another request */
	int chunked;
	int sse;		/* Content-Type: text/event-stream */
	int64_t content_length;	/* -1 when absent */
	uint64_t remaining;	/* body or chunk bytes still to come */
	uint64_t body_bytes;
	uint32_t chunks;	/* non-empty chunks of a chunked body */
	uint32_t events;	/* SSE events (ended by a blank line) */
	int sse_newline;	/* the last SSE byte seen ended a line */
	size_t line_len;	/* bytes of a line split across reads */
	char line[RESP_LINE_MAX];
};

/* Ready for one response; head_request says the request was HEAD. */
void resp_init(struct resp_parser *p, int head_request);

/*
 * Feeds received bytes. Returns the number consumed; it is less than len
 * only when the response ended inside buf (state RESP_DONE), and the rest
 * belongs to whatever follows. Returns -EBADMSG for a malformed response.
 */
ssize_t resp_feed(struct resp_parser *p, const char *buf, size_t len);

/*
 * The peer closed the connection. Returns 0 when that ends a response
 * (close-delimited body, or already done), -EBADMSG when it was cut short.
 */
int resp_eof(struct resp_parser *p);

static inline int resp_done(const struct resp_parser *p)
{
	return p->state == RESP_DONE;
}

#endif
