// SPDX-License-Identifier: GPL-2.0-only
/*
 * The protocol seam: the kernel side's detection, framing and reply counts
 * (include/latgov/proto*.h, run here as they run in BPF) and user space's
 * protocol table (core/proto.c): which protocol names a record's endpoint,
 * and how.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/proto.h"
#include "core/resp.h"
#include "latgov/abi.h"
#include "latgov/proto.h"

static struct lg_request record(const char *req, size_t qn, const char *resp, __u8 role,
				__u16 lport, __u16 rport)
{
	struct lg_request r;

	memset(&r, 0, sizeof(r));
	r.type = LG_REC_REQUEST;
	r.role = role;
	r.lport = lport;
	r.rport = rport;
	r.req_len = (__u8)(qn > LG_REQ_PREFIX ? LG_REQ_PREFIX : qn);
	memcpy(r.req_prefix, req, r.req_len);
	r.resp_len = (__u8)strnlen(resp, LG_RESP_PREFIX);
	memcpy(r.resp_prefix, resp, r.resp_len);
	return r;
}

#define REC(req, resp) record((req), sizeof(req) - 1, (resp), LG_ROLE_SERVER, 6379, 40000)

static const char *name_of(const struct lg_request *r, const struct proto_ops **p)
{
	static char name[ENDPOINT_NAME_MAX];

	proto_endpoint_name(r, name, sizeof(name), p);
	return name;
}

static void test_detect(void **state)
{
	(void)state;
	assert_int_equal(lg_proto_detect((const __u8 *)"GET / HTTP/1.1", 14), LG_PROTO_HTTP1);
	assert_int_equal(lg_proto_detect((const __u8 *)"*2\r\n$3\r\nGET", 11), LG_PROTO_RESP);
	assert_int_equal(lg_proto_detect((const __u8 *)"*x", 2), LG_PROTO_NONE);
	assert_int_equal(lg_proto_detect((const __u8 *)"\x16\x03\x01", 3), LG_PROTO_NONE);	/* TLS */
	assert_int_equal(lg_proto_detect((const __u8 *)"GET", 0), LG_PROTO_NONE);
}

static void test_endpoint_names(void **state)
{
	const struct proto_ops *p;
	struct lg_request r;

	(void)state;
	r = REC("GET /users/42 HTTP/1.1\r\n", "HTTP/1.1 200 OK\r");
	assert_string_equal(name_of(&r, &p), "GET /users/:id");
	assert_string_equal(p->name, "http1");
	/* Redis: the command, upper-cased; its subcommand where it groups them. */
	r = REC("*2\r\n$3\r\nget\r\n$16\r\nkey:__rand_int__\r\n", "$-1\r\n");
	assert_string_equal(name_of(&r, &p), "GET");
	assert_string_equal(p->name, "resp");
	r = REC("*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n", "*2\r\n$4\r\nsave");
	assert_string_equal(name_of(&r, &p), "CONFIG GET");
	r = REC("*2\r\n$6\r\nclient\r\n$7\r\nsetname\r\n", "+OK\r\n");
	assert_string_equal(name_of(&r, &p), "CLIENT SETNAME");
	/* A command alone whose subcommand did not fit the prefix. */
	r = REC("*3\r\n$6\r\nCONFIG\r\n$60\r\n", "");
	assert_string_equal(name_of(&r, &p), "CONFIG");
	/* A second word of a command that groups none is not part of the name (keys vary). */
	r = REC("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$1\r\nv\r\n", "+OK\r\n");
	assert_string_equal(name_of(&r, &p), "SET");
	/* Bytes that are no command name: the port. */
	r = REC("*1\r\n$4\r\nP\x01NG\r\n", "");
	assert_string_equal(name_of(&r, &p), "tcp:6379");
	assert_null(p);
	r = REC("*1\r\n$40\r\nPING\r\n", "");	/* the name is cut by the prefix */
	assert_string_equal(name_of(&r, &p), "tcp:6379");
	/* Not a protocol we know: the local port for a server, the remote one for a client. */
	r = REC("\x00\x01\x02", "");
	assert_string_equal(name_of(&r, &p), "tcp:6379");
	assert_null(p);
	r.role = LG_ROLE_CLIENT;
	assert_string_equal(name_of(&r, &p), "tcp:40000");
	/* A tiny buffer still gets a NUL-terminated name. */
	{
		char tiny[6];

		proto_endpoint_name(&r, tiny, sizeof(tiny), &p);
		assert_string_equal(tiny, "tcp:4");
	}
}

static void test_errors(void **state)
{
	const struct proto_ops *p;
	struct lg_request r;

	(void)state;
	r = REC("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "-WRONGTYPE Opera");
	name_of(&r, &p);
	assert_true(p->is_error(&r));
	r = REC("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "$-1\r\n");
	assert_false(p->is_error(&r));
	r = REC("GET / HTTP/1.1\r\n", "HTTP/1.1 500 Int");
	name_of(&r, &p);
	assert_true(p->is_error(&r));
	r = REC("GET / HTTP/1.1\r\n", "-ERR");	/* not an HTTP answer: not a 5xx */
	assert_false(p->is_error(&r));
}

/* Replies begun in a write: the requests it answers. */
static void test_reply_count(void **state)
{
	static const struct {
		const char *bytes;
		__u32 replies;
	} cases[] = {
		{ "$-1\r\n", 1 },
		{ "+OK\r\n", 1 },
		{ "-ERR unknown command\r\n", 1 },
		{ ":1000\r\n:1001\r\n", 2 },
		/* redis-benchmark's two CONFIG GET, answered in one write. */
		{ "*2\r\n$4\r\nsave\r\n$0\r\n\r\n*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n", 2 },
		/* A bulk whose payload holds what looks like replies is one. */
		{ "$12\r\n+OK\r\n:1\r\n$1\r\r\n", 1 },
		/* Pipelined GETs (-P 4). */
		{ "$3\r\nxxx\r\n$3\r\nxxx\r\n$-1\r\n$3\r\nxxx\r\n", 4 },
		/* Nested aggregates count once; null aggregates too. */
		{ "*2\r\n*2\r\n:1\r\n:2\r\n%1\r\n+a\r\n+b\r\n*-1\r\n", 2 },
		/* RESP3: an attribute goes with the value after it. */
		{ "|1\r\n+ttl\r\n:3\r\n$1\r\nx\r\n_\r\n", 2 },
		/* A reply cut by the bytes read counts: it began. */
		{ "*3\r\n$5\r\nhel", 1 },
		{ "$100\r\nabc", 1 },
		/* Not RESP: none. */
		{ "HTTP/1.1 200 OK\r\n", 0 },
	};
	__u8 buf[LG_RESP_SCAN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = strlen(cases[i].bytes);

		memset(buf, '$', sizeof(buf));	/* junk past n must not count */
		memcpy(buf, cases[i].bytes, n);
		assert_int_equal(resp_count_replies(buf, (__u32)n), cases[i].replies);
	}
	/* The whole scan window of tiny replies: bounded by it. */
	for (size_t i = 0; i + 5 <= sizeof(buf); i += 5)
		memcpy(buf + i, "+OK\r\n", 5);
	assert_int_equal(resp_count_replies(buf, sizeof(buf)), sizeof(buf) / 5 + 1);
}

/* The scheduler tag's key: the command (and subcommand) and the port; not the keys. */
static void test_route_keys(void **state)
{
	_Alignas(8) __u8 a[LG_REQ_PREFIX], b[LG_REQ_PREFIX];
#define KEY(buf, s, port) (memset(buf, 0, sizeof(buf)), memcpy(buf, s, sizeof(s) - 1), \
			   lg_route_key(buf, sizeof(s) - 1, port))

	(void)state;
	assert_int_equal(KEY(a, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 6379),
			 KEY(b, "*2\r\n$3\r\nGET\r\n$6\r\nkey:99\r\n", 6379));
	assert_int_not_equal(KEY(a, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 6379),
			     KEY(b, "*2\r\n$3\r\nSET\r\n$1\r\nk\r\n", 6379));
	assert_int_not_equal(KEY(a, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 6379),
			     KEY(b, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 6380));
	assert_int_not_equal(KEY(a, "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n", 6379),
			     KEY(b, "*3\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$4\r\nsave\r\n", 6379));
	assert_int_equal(KEY(a, "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n", 6379),
			 KEY(b, "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nappendonly\r\n", 6379));
	/* A command that groups others is known whatever its case. */
	assert_int_not_equal(KEY(a, "*3\r\n$6\r\nconfig\r\n$3\r\nget\r\n$4\r\nsave\r\n", 6379),
			     KEY(b, "*3\r\n$6\r\nconfig\r\n$3\r\nset\r\n$4\r\nsave\r\n", 6379));
	/* Pipelined requests in one prefix: the first one's name alone. */
	assert_int_equal(KEY(a, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n", 6379),
			 KEY(b, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n", 6379));
	/* A name cut by the prefix: the port alone, as for a protocol without names. */
	assert_int_equal(KEY(a, "*2\r\n$3\r\nGE", 6379), KEY(b, "\x01\x02", 6379));
	/* Through a connection's cache, each request gets the key it gets without one. */
	{
		static const char *const lines[] = {
			"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "*2\r\n$3\r\nGET\r\n$2\r\nkk\r\n",
			"*2\r\n$3\r\nSET\r\n$1\r\nk\r\n", "*2\r\n$4\r\nPING\r\n",
			"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n",
			"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		};
		struct lg_route_cache rc;

		memset(&rc, 0, sizeof(rc));
		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			__u32 n = (__u32)strlen(lines[i]);

			memset(a, 'z', sizeof(a));
			memcpy(a, lines[i], n);
			assert_int_equal(lg_route_key_cached(&rc, a, n, 6379), lg_route_key(a, n, 6379));
			assert_int_equal(lg_route_key_cached(&rc, a, n, 6379), lg_route_key(a, n, 6379));
		}
	}
#undef KEY
}

/* The bytes an endpoint's name depends on, which user space caches names by. */
static void test_name_bytes(void **state)
{
	_Alignas(8) __u8 p[LG_REQ_PREFIX];
	char line[LG_REQ_PREFIX + 1];

	(void)state;
	/* HTTP: up to the CR, wherever it falls in a word; the whole prefix without one. */
	for (int n = 5; n < LG_REQ_PREFIX - 2; n++) {
		memset(line, 'a', sizeof(line));
		memcpy(line, "GET /", 5);
		memcpy(line + n, "\r\n", 2);
		memset(p, 0, sizeof(p));
		memcpy(p, line, LG_REQ_PREFIX);
		assert_int_equal(lg_proto_name_bytes(p, LG_REQ_PREFIX), n);
		assert_int_equal(lg_proto_name_bytes(p, (__u32)n), n);	/* cut before its CR */
	}
	/* RESP: through the name, or the subcommand; another protocol: none. */
	memset(p, 0, sizeof(p));
	memcpy(p, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", 20);
	assert_int_equal(lg_proto_name_bytes(p, 20), 13);
	memcpy(p, "*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n", 35);
	assert_int_equal(lg_proto_name_bytes(p, 35), 25);
	memcpy(p, "\x16\x03\x01", 3);
	assert_int_equal(lg_proto_name_bytes(p, 3), 0);
}

/* A RESP answer's later writes are more of it (a long reply), never a new answer. */
static void test_resp_send(void **state)
{
	struct lg_proto_answer a;
	struct lg_request r;

	(void)state;
	memset(&a, 0, sizeof(a));
	r = REC("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "$5000\r\n");
	assert_int_equal(lg_proto_on_send(LG_PROTO_RESP, &a, &r, (const __u8 *)"HTTP/1.1 200 OK\r", 16,
					  (const __u8 *)"xx\r\n\r", 5), LG_SEND_MORE);
	assert_false(lg_proto_answer_open(&a, &r));
	assert_false(lg_proto_more_follows(&a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect),
		cmocka_unit_test(test_endpoint_names),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_reply_count),
		cmocka_unit_test(test_route_keys),
		cmocka_unit_test(test_name_bytes),
		cmocka_unit_test(test_resp_send),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
