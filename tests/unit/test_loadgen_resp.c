// SPDX-License-Identifier: GPL-2.0-only
/*
 * loadgen's response parser: Content-Length, chunked, SSE (chunked and
 * close-delimited), keep-alive rules, bodiless responses, malformed input,
 * and every response fed again split at every byte boundary.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/loadgen/resp.h"

static struct resp_parser rp;

/* Feeds text in pieces of `step` bytes; returns bytes consumed in all, or the error. */
static ssize_t feed(const char *text, size_t step, int head)
{
	size_t len = strlen(text), pos = 0;

	resp_init(&rp, head);
	while (pos < len && !resp_done(&rp)) {
		size_t n = len - pos < step ? len - pos : step;
		ssize_t used = resp_feed(&rp, text + pos, n);

		if (used < 0)
			return used;
		pos += (size_t)used;
		if ((size_t)used < n)
			break;
	}
	return (ssize_t)pos;
}

struct expect {
	const char *text;
	int status;
	int keep_alive;
	uint64_t body;
	uint32_t chunks;
	uint32_t events;
	int needs_eof;		/* close-delimited: done only at EOF */
	size_t trailing;	/* bytes after the response, left unconsumed */
};

static const struct expect good[] = {
	{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello", 200, 1, 5, 0, 0, 0, 0 },
	{ "HTTP/1.1 404 Not Found\r\ncontent-length:0\r\n\r\n", 404, 1, 0, 0, 0, 0, 0 },
	/* no reason phrase, bare LF line ends */
	{ "HTTP/1.1 200\nContent-Length: 2\n\nok", 200, 1, 2, 0, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx", 200, 0, 1, 0, 0, 0, 0 },
	{ "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 200, 0, 1, 0, 0, 0, 0 },
	{ "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx", 200, 1, 1, 0, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n", 200, 1, 11, 2, 0, 0, 0 },
	{ "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
	  "e\r\ndata: token1\n\n\r\n"
	  "1c\r\ndata: token2\n\ndata: token3\n\n\r\n"
	  "0\r\n\r\n", 200, 1, 42, 2, 3, 0, 0 },
	/* SSE without framing: ends when the server closes */
	{ "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\r\n"
	  "data: a\r\n\r\ndata: b\r\nid: 2\r\n\r\n: comment\n\n", 200, 0, 40, 0, 3, 1, 0 },
	{ "HTTP/1.1 204 No Content\r\n\r\n", 204, 1, 0, 0, 0, 0, 0 },
	{ "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n", 304, 1, 0, 0, 0, 0, 0 },
	/* interim 100 Continue, then the real answer */
	{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 201, 1, 2, 0, 0, 0, 0 },
	/* bytes after the end are left for the caller */
	{ "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1", 200, 1, 2, 0, 0, 0, 8 },
	{ "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 3\r\n\r\nerr", 500, 1, 3, 0, 0, 0, 0 },
};

static void check_one(const struct expect *e, size_t step)
{
	size_t len = strlen(e->text);
	ssize_t used = feed(e->text, step, 0);

	if (used < 0)
		fail_msg("step %zu: '%.40s...' rejected", step, e->text);
	if (e->needs_eof) {
		assert_false(resp_done(&rp));
		assert_int_equal(resp_eof(&rp), 0);
	}
	if (!resp_done(&rp))
		fail_msg("step %zu: '%.40s...' not done", step, e->text);
	assert_int_equal((size_t)used, len - e->trailing);
	assert_int_equal(rp.status, e->status);
	assert_int_equal(rp.keep_alive, e->keep_alive);
	assert_int_equal(rp.body_bytes, e->body);
	assert_int_equal(rp.chunks, e->chunks);
	assert_int_equal(rp.events, e->events);
}

static void test_whole(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		check_one(&good[i], 1 << 20);
}

/* Every split of the bytes across reads gives the same result. */
static void test_split(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		for (size_t step = 1; step <= 17; step++)
			check_one(&good[i], step);
}

static void test_head(void **state)
{
	(void)state;
	/* a HEAD answer announces a length but carries no body */
	assert_int_equal(feed("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", 1 << 20, 1), 41);
	assert_true(resp_done(&rp));
	assert_int_equal(rp.body_bytes, 0);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"SSH-2.0-OpenSSH\r\n",
		"HTTP/2 200\r\n\r\n",
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n",
	};
	static char long_header[RESP_LINE_MAX + 64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (feed(bad[i], 1 << 20, 0) != -EBADMSG)
			fail_msg("accepted '%s'", bad[i]);
		if (feed(bad[i], 3, 0) != -EBADMSG)
			fail_msg("accepted '%s' in pieces", bad[i]);
	}
	strcpy(long_header, "HTTP/1.1 200 OK\r\nX: ");
	memset(long_header + strlen(long_header), 'a', RESP_LINE_MAX);
	assert_int_equal(feed(long_header, 100, 0), -EBADMSG);
}

static void test_cut_short(void **state)
{
	(void)state;
	/* the peer closes inside the body, the headers or a chunk */
	feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 1 << 20, 0);
	assert_false(resp_done(&rp));
	assert_int_equal(resp_eof(&rp), -EBADMSG);
	feed("HTTP/1.1 200 OK\r\nContent-Le", 1 << 20, 0);
	assert_int_equal(resp_eof(&rp), -EBADMSG);
	feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 1 << 20, 0);
	assert_int_equal(resp_eof(&rp), -EBADMSG);
	resp_init(&rp, 0);
	assert_int_equal(resp_eof(&rp), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_head),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_cut_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
