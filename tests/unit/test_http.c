// SPDX-License-Identifier: GPL-2.0-only
/* HTTP request/status line parsing, route templating and endpoint names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/http.h"
#include "core/proto.h"
#include "latgov/abi.h"

static int parse(const char *s, struct http_request_line *rl)
{
	memset(rl, 0x5a, sizeof(*rl));
	return http_parse_request(s, strlen(s), rl);
}

static void assert_route(const char *req, enum http_method m, const char *route)
{
	struct http_request_line rl;

	assert_int_equal(parse(req, &rl), 0);
	assert_int_equal(rl.method, m);
	assert_string_equal(rl.route, route);
}

static void test_request_lines(void **state)
{
	struct http_request_line rl;

	(void)state;
	assert_int_equal(parse("GET /index.html HTTP/1.1\r\nHost: x\r\n", &rl), 0);
	assert_int_equal(rl.method, HTTP_GET);
	assert_string_equal(rl.route, "/index.html");
	assert_int_equal(rl.minor, 1);
	assert_int_equal(rl.truncated, 0);

	assert_int_equal(parse("POST /v1/infer HTTP/1.0\r\n", &rl), 0);
	assert_int_equal(rl.method, HTTP_POST);
	assert_int_equal(rl.minor, 0);
	assert_string_equal(rl.route, "/v1/infer");

	assert_route("PUT /a HTTP/1.1\r\n", HTTP_PUT, "/a");
	assert_route("PATCH /a HTTP/1.1\r\n", HTTP_PATCH, "/a");
	assert_route("DELETE /a HTTP/1.1\r\n", HTTP_DELETE, "/a");
	assert_route("HEAD / HTTP/1.1\r\n", HTTP_HEAD, "/");
	assert_route("OPTIONS * HTTP/1.1\r\n", HTTP_OPTIONS, "*");
	assert_route("TRACE /t HTTP/1.1\r\n", HTTP_TRACE, "/t");
	/* Absolute form, as a proxy receives it: only the path is kept. */
	assert_route("GET http://example.com:8080/users/42?x=1 HTTP/1.1\r\n", HTTP_GET, "/users/:id");
	assert_route("GET http://example.com HTTP/1.1\r\n", HTTP_GET, "/");
	/* HTTP/0.9-style line without a version still names the route. */
	assert_route("GET /old\r\n", HTTP_GET, "/old");
}

static void test_not_http(void **state)
{
	static const char h2[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	static const unsigned char binary[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01 };
	static const char redis[] = "*1\r\n$4\r\nPING\r\n";
	struct http_request_line rl;

	(void)state;
	assert_int_equal(http_parse_request(h2, sizeof(h2) - 1, &rl), -EINVAL);
	assert_int_equal(http_parse_request(binary, sizeof(binary), &rl), -EINVAL);
	assert_int_equal(http_parse_request(redis, sizeof(redis) - 1, &rl), -EINVAL);
	assert_int_equal(parse("", &rl), -EINVAL);
	assert_int_equal(parse("GET", &rl), -EINVAL);
	assert_int_equal(parse("GET ", &rl), -EINVAL);
	assert_int_equal(parse("get /a HTTP/1.1\r\n", &rl), -EINVAL);	/* methods are case-sensitive */
	assert_int_equal(parse("GETX /a HTTP/1.1\r\n", &rl), -EINVAL);
	assert_int_equal(parse("GET  /a HTTP/1.1\r\n", &rl), -EINVAL);	/* two spaces */
	assert_int_equal(parse("GET /a HTTP/2.0\r\n", &rl), -EINVAL);
	assert_int_equal(parse("GET /a SIP/2.0\r\n", &rl), -EINVAL);
	assert_int_equal(parse("GET /a HTTP/1.7\r\n", &rl), -EINVAL);
	assert_int_equal(parse("GET a HTTP/1.1\r\n", &rl), -EINVAL);	/* not a path */
	assert_int_equal(parse("GET ftp:/x HTTP/1.1\r\n", &rl), -EINVAL);
	assert_int_equal(parse("OPTIONS *x HTTP/1.1\r\n", &rl), -EINVAL);
	assert_int_equal(parse("GET /a\x01" "b HTTP/1.1\r\n", &rl), -EINVAL);
	assert_int_equal(parse("GET /\xc3\xa9 HTTP/1.1\r\n", &rl), -EINVAL);	/* raw UTF-8 is not a valid target */
	/* A length of zero reads nothing even if the buffer holds a request. */
	assert_int_equal(http_parse_request("GET / HTTP/1.1", 0, &rl), -EINVAL);
}

static void test_truncated(void **state)
{
	const char *full = "GET /api/v2/customers/1234567/orders/98765/items?expand=all HTTP/1.1\r\n";
	struct http_request_line rl;

	(void)state;
	/* Cut inside the version: the route is complete. */
	assert_int_equal(http_parse_request("GET /a/b HTTP/1", 15, &rl), 0);
	assert_string_equal(rl.route, "/a/b");
	assert_int_equal(rl.truncated, 0);
	assert_int_equal(rl.minor, 0xff);
	/* ...but a wrong version is still refused when cut. */
	assert_int_equal(http_parse_request("GET /a/b XTTP/1", 15, &rl), -EINVAL);

	/* Cut inside a word: the partial segment is marked "...". */
	assert_int_equal(http_parse_request(full, 16, &rl), 0);	/* "GET /api/v2/cust" */
	assert_string_equal(rl.route, "/api/v2/cust...");
	assert_int_equal(rl.truncated, 1);
	/* Cut inside a numeric ID: still an ID. */
	assert_int_equal(http_parse_request(full, 25, &rl), 0);	/* ".../customers/123" */
	assert_string_equal(rl.route, "/api/v2/customers/:id");
	/* Cut right after a slash. */
	assert_int_equal(http_parse_request(full, 22, &rl), 0);
	assert_string_equal(rl.route, "/api/v2/customers");
	/* Cut in the query string: the path is whole. */
	assert_int_equal(http_parse_request(full, 55, &rl), 0);
	assert_string_equal(rl.route, "/api/v2/customers/:id/orders/:id/items");
	assert_int_equal(rl.truncated, 0);
	/* Every cut of the full line that gets past "GET /" parses and stays bounded. */
	for (size_t n = 5; n <= strlen(full); n++) {
		assert_int_equal(http_parse_request(full, n, &rl), 0);
		assert_true(strlen(rl.route) < HTTP_ROUTE_MAX);
		assert_int_equal(rl.route[0], '/');
	}
	/* Exactly LG_REQ_PREFIX bytes of a long route. */
	assert_int_equal(http_parse_request(full, LG_REQ_PREFIX, &rl), 0);
	assert_string_equal(rl.route, "/api/v2/customers/:id/orders/:id/items");
}

static const char *tmpl(const char *path, int truncated)
{
	static char out[HTTP_ROUTE_MAX];

	http_template_route(path, strlen(path), truncated, out, sizeof(out));
	return out;
}

static void test_templating(void **state)
{
	char small[12];
	size_t n;

	(void)state;
	assert_string_equal(tmpl("/users/42", 0), "/users/:id");
	assert_string_equal(tmpl("/users/42/", 0), "/users/:id");
	assert_string_equal(tmpl("//users//42", 0), "/users/:id");
	assert_string_equal(tmpl("/", 0), "/");
	assert_string_equal(tmpl("", 0), "/");
	assert_string_equal(tmpl("/?q=1", 0), "/");
	assert_string_equal(tmpl("/search?q=12345", 0), "/search");
	assert_string_equal(tmpl("/doc#section-2", 0), "/doc");
	/* Hex IDs: 8+ hex digits with at least one digit. */
	assert_string_equal(tmpl("/blobs/0123abcd", 0), "/blobs/:id");
	assert_string_equal(tmpl("/commit/9fceb02d0ae598e95dc970b74767f19372d61af8", 0), "/commit/:id");
	assert_string_equal(tmpl("/blobs/abc123", 0), "/blobs/abc123");	/* too short */
	assert_string_equal(tmpl("/feed/deadbeefcafe", 0), "/feed/deadbeefcafe");	/* a word: no digit */
	assert_string_equal(tmpl("/v1/models", 0), "/v1/models");
	/* UUIDs. */
	assert_string_equal(tmpl("/orders/123e4567-e89b-12d3-a456-426614174000/lines", 0),
			    "/orders/:id/lines");
	assert_string_equal(tmpl("/o/123e4567-e89b-12d3-a456-42661417400", 0),
			    "/o/123e4567-e89b-12d3-a456-42661417400");	/* one short */
	/* Segment cap. */
	assert_string_equal(tmpl("/a/b/c/d/e/f/g/h/i/j", 0), "/a/b/c/d/e/f/g/h/...");
	assert_string_equal(tmpl("/a/b/c/d/e/f/g/h", 0), "/a/b/c/d/e/f/g/h");
	/* Length cap: a long segment is cut off with "/...", within the buffer. */
	assert_string_equal(tmpl("/aaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbb/cccccccccccccccccccc", 0),
			    "/aaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbb/...");
	n = http_template_route("/abcdefghijklmnop", 17, 0, small, sizeof(small));
	assert_string_equal(small, "/...");
	assert_int_equal(n, 4);
	n = http_template_route("/ab/cd/ef", 9, 0, small, sizeof(small));
	assert_string_equal(small, "/ab/cd/...");
	assert_int_equal(n, strlen(small));
	/* Truncated: a partial hex run with a digit becomes :id, a partial word "...". */
	assert_string_equal(tmpl("/blobs/0a1b", 1), "/blobs/:id");
	assert_string_equal(tmpl("/orders/123e4567-e89b", 1), "/orders/:id");
	assert_string_equal(tmpl("/static/sty", 1), "/static/sty...");
}

static void test_status_lines(void **state)
{
	(void)state;
	assert_int_equal(http_parse_status("HTTP/1.1 200 OK\r\n", 16), 200);
	assert_int_equal(http_parse_status("HTTP/1.1 503 Service Unavailable", 16), 503);
	assert_int_equal(http_parse_status("HTTP/1.0 404 Not", 16), 404);
	assert_int_equal(http_parse_status("HTTP/1.1 204", 12), 204);	/* exactly the code */
	assert_int_equal(http_parse_status("HTTP/1.1 500\r\n", 14), 500);
	assert_int_equal(http_parse_status("HTTP/1.1 20", 11), -EINVAL);	/* cut inside the code */
	assert_int_equal(http_parse_status("HTTP/2 200 OK\r\n\r\n", 16), -EINVAL);
	assert_int_equal(http_parse_status("HTTP/1.1 2000 OK", 16), -EINVAL);
	assert_int_equal(http_parse_status("HTTP/1.1 099 OK.", 16), -EINVAL);
	assert_int_equal(http_parse_status("HTTP/1.1 600 OK.", 16), -EINVAL);
	assert_int_equal(http_parse_status("HTTP/1.1 2x0 OK.", 16), -EINVAL);
	assert_int_equal(http_parse_status("+OK\r\n", 5), -EINVAL);
	assert_int_equal(http_parse_status("", 0), -EINVAL);
}

static void set_prefix(struct lg_request *r, const char *req, const char *resp)
{
	memset(r, 0, sizeof(*r));
	r->type = LG_REC_REQUEST;
	r->req_len = (uint8_t)strnlen(req, LG_REQ_PREFIX);
	memcpy(r->req_prefix, req, r->req_len);
	r->resp_len = (uint8_t)strnlen(resp, LG_RESP_PREFIX);
	memcpy(r->resp_prefix, resp, r->resp_len);
}

static void test_endpoint_names(void **state)
{
	char name[ENDPOINT_NAME_MAX];
	struct lg_request r;
	size_t n;

	(void)state;
	set_prefix(&r, "GET /users/42?x=1 HTTP/1.1\r\n", "HTTP/1.1 503 Ser");
	r.lport = 8080;
	r.rport = 51000;
	n = http_endpoint_name(&r, name, sizeof(name));
	assert_string_equal(name, "GET /users/:id");
	assert_int_equal(n, strlen(name));
	assert_true(http_is_error(&r));
	set_prefix(&r, "GET /users/42?x=1 HTTP/1.1\r\n", "HTTP/1.1 404 Not");
	assert_false(http_is_error(&r));

	/* Not a request line: no name (the protocol table falls back to the port). */
	set_prefix(&r, "*1\r\n$4\r\nPING\r\n", "+PONG\r\n");
	assert_int_equal(http_endpoint_name(&r, name, sizeof(name)), 0);
	assert_false(http_is_error(&r));

	/* A lying length is clamped to the prefix. */
	set_prefix(&r, "GET /a HTTP/1.1\r\n", "HTTP/1.1 200 OK\r");
	r.req_len = 255;
	r.resp_len = 255;
	http_endpoint_name(&r, name, sizeof(name));
	assert_string_equal(name, "GET /a");
	assert_false(http_is_error(&r));

	/* The longest name fits ENDPOINT_NAME_MAX; one that does not fit a small buffer is none. */
	set_prefix(&r, "CONNECT /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "");
	n = http_endpoint_name(&r, name, sizeof(name));
	assert_true(n < ENDPOINT_NAME_MAX);
	assert_memory_equal(name, "CONNECT /", 9);
	assert_int_equal(http_endpoint_name(&r, name, 6), 0);
}

/*
 * Random bytes and mutated request lines: the parser never reads past len,
 * and whatever it accepts has a known method and a bounded, rooted route.
 * (Run under SANITIZE=1 this is a small fuzzer.)
 */
static void test_random_input(void **state)
{
	static const char *const seeds[] = {
		"GET /api/v1/users/123?x=1 HTTP/1.1\r\n",
		"POST http://h:1/a/b HTTP/1.0\r\n",
		"OPTIONS * HTTP/1.1\r\n",
		"HTTP/1.1 503 Service Unavailable",
	};
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned char buf[LG_REQ_PREFIX], *exact;
	struct http_request_line rl;
	int accepted = 0;

	(void)state;
	for (int i = 0; i < 200000; i++) {
		size_t len, k;
		int code;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = (size_t)(x % (LG_REQ_PREFIX + 1));
		if (i & 1) {
			for (k = 0; k < len; k++)
				buf[k] = (unsigned char)(x >> (k % 57));
		} else {
			const char *seed = seeds[(x >> 8) % 4];
			size_t n = strlen(seed);

			len = len < n ? len : n;
			memcpy(buf, seed, len);
			if (len)
				buf[(x >> 16) % len] = (unsigned char)(x >> 24);
		}
		/* An exact-size heap copy, so that ASan sees any read past len. */
		exact = malloc(len ? len : 1);
		assert_non_null(exact);
		memcpy(exact, buf, len);
		if (http_parse_request(exact, len, &rl) == 0) {
			accepted++;
			assert_true(rl.method > HTTP_NONE && rl.method < HTTP_METHOD__MAX);
			assert_true(strlen(rl.route) < HTTP_ROUTE_MAX);
			assert_true(rl.route[0] == '/' || rl.route[0] == '*');
		}
		code = http_parse_status(exact, len < LG_RESP_PREFIX ? len : LG_RESP_PREFIX);
		assert_true(code == -EINVAL || (code >= 100 && code <= 599));
		free(exact);
	}
	assert_true(accepted > 1000);	/* the mutated seeds do get through */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_lines),
		cmocka_unit_test(test_not_http),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_templating),
		cmocka_unit_test(test_status_lines),
		cmocka_unit_test(test_endpoint_names),
		cmocka_unit_test(test_random_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
