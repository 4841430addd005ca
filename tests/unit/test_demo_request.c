// SPDX-License-Identifier: GPL-2.0-only
/*
 * The demo service's HTTP rules: routing, request-body validation (with a
 * small fuzz of random and mutated bodies), the JSON answers, and the SSE
 * framing of /v1/generate.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/demo/model.h"
#include "../../tools/demo/request.h"
#include "../../tools/demo/sse.h"

static void test_routes(void **state)
{
	enum demo_route r = DEMO_ROUTE_NONE;
	const char *allow = NULL;

	(void)state;
	assert_int_equal(demo_route("POST", "/v1/infer", &r, &allow), 0);
	assert_int_equal(r, DEMO_ROUTE_INFER);
	assert_int_equal(demo_route("POST", "/v1/generate", &r, &allow), 0);
	assert_int_equal(r, DEMO_ROUTE_GENERATE);
	assert_int_equal(demo_route("GET", "/healthz", &r, &allow), 0);
	assert_int_equal(r, DEMO_ROUTE_HEALTH);
	assert_int_equal(demo_route("HEAD", "/healthz", &r, &allow), 0);
	assert_int_equal(r, DEMO_ROUTE_HEALTH);
	assert_int_equal(demo_route("GET", "/metrics", &r, &allow), 0);
	assert_int_equal(r, DEMO_ROUTE_METRICS);

	assert_int_equal(demo_route("GET", "/v1/infer", &r, &allow), 405);
	assert_string_equal(allow, "POST");
	assert_int_equal(demo_route("POST", "/healthz", &r, &allow), 405);
	assert_string_equal(allow, "GET, HEAD");
	assert_int_equal(demo_route("HEAD", "/v1/generate", &r, &allow), 405);
	assert_int_equal(demo_route("POST", "/v1/infer/", &r, &allow), 404);
	assert_int_equal(demo_route("POST", "/v1/Infer", &r, &allow), 404);
	assert_int_equal(demo_route("GET", "/", &r, &allow), 404);
	assert_int_equal(demo_route("GET", "", &r, &allow), 404);
	assert_string_equal(demo_route_name(DEMO_ROUTE_GENERATE), "generate");
}

/* {"input":[...]} with n values v0, v0 + step, ... */
static char *infer_body(size_t n, double v0, double step)
{
	size_t cap = 32 + n * 32, at = 0;
	char *b = malloc(cap);

	assert_non_null(b);
	at += (size_t)snprintf(b + at, cap - at, "{\"input\": [");
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(b + at, cap - at, "%s%.17g", i ? ", " : "", v0 + step * (double)i);
	snprintf(b + at, cap - at, "]}\n");
	return b;
}

static int infer(const char *body, float *in, char *err)
{
	return demo_parse_infer(body, strlen(body), 4, in, err);
}

static void test_infer_good(void **state)
{
	float in[DEMO_DIM];
	char err[DEMO_ERR_LEN] = "";
	char *body = infer_body(DEMO_DIM, -1, 0.03125);

	(void)state;
	assert_int_equal(demo_parse_infer(body, strlen(body), DEMO_DIM, in, err), 0);
	assert_true(in[0] == -1.0f);
	assert_true(in[DEMO_DIM - 1] == -1.0f + 0.03125f * (DEMO_DIM - 1));
	free(body);

	/* Integers, exponents, negative zero and surrounding whitespace are all fine. */
	assert_int_equal(infer(" \r\n{\"input\":[1, -2, 3e-2, -0.0]} \t\n", in, err), 0);
	assert_true(in[0] == 1.0f && in[1] == -2.0f && in[2] == 0.03f && in[3] == 0.0f);
}

static void expect_infer_error(const char *body, const char *fragment)
{
	float in[4];
	char err[DEMO_ERR_LEN] = "";

	if (infer(body, in, err) != -EINVAL)
		fail_msg("accepted %s", body);
	if (!strstr(err, fragment))
		fail_msg("body %s: message \"%s\" lacks \"%s\"", body, err, fragment);
}

static void test_infer_bad(void **state)
{
	char *body = infer_body(5, 0, 1);

	(void)state;
	expect_infer_error("", "empty body");
	expect_infer_error("{", "ends too early");
	expect_infer_error("{\"input\":[1,2,3,4]", "ends too early");
	expect_infer_error("{\"input\":[1,2,3,4]}x", "not valid JSON");
	expect_infer_error("{\"input\":[1,2,3,4]}{}", "not valid JSON");
	expect_infer_error("[1,2,3,4]", "must be a JSON object");
	expect_infer_error("42", "must be a JSON object");
	expect_infer_error("{}", "missing field \"input\"");
	expect_infer_error("{\"input\":\"1,2,3,4\"}", "must be an array");
	expect_infer_error("{\"input\":{\"a\":1}}", "must be an array");
	expect_infer_error("{\"input\":[1,2,3]}", "has 3 numbers, the model takes 4");
	expect_infer_error(body, "has 5 numbers");
	expect_infer_error("{\"input\":[]}", "has 0 numbers");
	expect_infer_error("{\"input\":[1,2,\"3\",4]}", "\"input\"[2] is not a number");
	expect_infer_error("{\"input\":[1,2,null,4]}", "\"input\"[2] is not a number");
	expect_infer_error("{\"input\":[1,2,[3],4]}", "\"input\"[2] is not a number");
	expect_infer_error("{\"input\":[1,2,true,4]}", "\"input\"[2] is not a number");
	expect_infer_error("{\"input\":[1,2,3,1e999]}", "out of range");
	expect_infer_error("{\"input\":[1,2,3,-1e31]}", "out of range");
	/*
	 * json-c reads NaN and Infinity (and single-quoted strings) even in strict
	 * mode: the range check stops the numbers.
	 */
	expect_infer_error("{\"input\":[1,2,3,NaN]}", "out of range");
	expect_infer_error("{\"input\":[1,2,3,-Infinity]}", "out of range");
	expect_infer_error("{\"input\":[1,2,3,4],}", "not valid JSON");
	expect_infer_error("{\"input\":[1,2,3,4,]}", "not valid JSON");
	expect_infer_error("{\"input\":[1,2,3,4], \"extra\":1}", "unknown field \"extra\"");
	expect_infer_error("{\"input\":[[[[[[[[[[[[1]]]]]]]]]]]]}", "not valid JSON");
	free(body);

	/* A NUL byte inside the body: strings in C would cut it short, the parser must not. */
	{
		static const char nul[] = "{\"input\":[1,2,3,4]}\0garbage";
		float in[4];
		char err[DEMO_ERR_LEN];

		assert_int_equal(demo_parse_infer(nul, sizeof(nul) - 1, 4, in, err), -EINVAL);
		assert_non_null(strstr(err, "NUL"));
	}
}

static int gen(const char *body, struct demo_gen_request *req, char *err)
{
	return demo_parse_generate(body, strlen(body), DEMO_VOCAB, req, err);
}

static void test_generate_good(void **state)
{
	struct demo_gen_request req;
	char err[DEMO_ERR_LEN];

	(void)state;
	assert_int_equal(gen("{\"prompt\":[0, 1, 94]}", &req, err), 0);
	assert_int_equal(req.prompt_len, 3);
	assert_int_equal(req.prompt[2], 94);
	assert_int_equal(req.tokens, DEMO_DEFAULT_TOKENS);
	assert_int_equal(gen("{\"tokens\": 1, \"prompt\":[5]}", &req, err), 0);
	assert_int_equal(req.tokens, 1);
	assert_int_equal(gen("{\"prompt\":[5],\"tokens\":256}", &req, err), 0);
	assert_int_equal(req.tokens, DEMO_MAX_TOKENS);
}

static void expect_generate_error(const char *body, const char *fragment)
{
	struct demo_gen_request req;
	char err[DEMO_ERR_LEN] = "";

	if (gen(body, &req, err) != -EINVAL)
		fail_msg("accepted %s", body);
	if (!strstr(err, fragment))
		fail_msg("body %s: message \"%s\" lacks \"%s\"", body, err, fragment);
}

static void test_generate_bad(void **state)
{
	char big[DEMO_MAX_PROMPT * 3 + 64];
	size_t at;

	(void)state;
	expect_generate_error("{}", "missing field \"prompt\"");
	expect_generate_error("{\"prompt\":[]}", "has 0 tokens");
	expect_generate_error("{\"prompt\":\"hello\"}", "must be an array");
	expect_generate_error("{\"prompt\":[95]}", "= 95 is not a token id");
	expect_generate_error("{\"prompt\":[-1]}", "= -1 is not a token id");
	expect_generate_error("{\"prompt\":[1.5]}", "not an integer");
	expect_generate_error("{\"prompt\":[99999999999999999999999]}", "not a token id");
	expect_generate_error("{\"prompt\":[1],\"tokens\":0}", "out of range 1..256");
	expect_generate_error("{\"prompt\":[1],\"tokens\":257}", "out of range 1..256");
	expect_generate_error("{\"prompt\":[1],\"tokens\":-3}", "out of range");
	expect_generate_error("{\"prompt\":[1],\"tokens\":1.5}", "must be an integer");
	expect_generate_error("{\"prompt\":[1],\"tokens\":\"16\"}", "must be an integer");
	expect_generate_error("{\"prompt\":[1],\"temperature\":1}", "unknown field \"temperature\"");
	expect_generate_error("{\"prompt\":[1]", "not valid JSON");

	at = (size_t)snprintf(big, sizeof(big), "{\"prompt\":[");
	for (int i = 0; i <= DEMO_MAX_PROMPT; i++)
		at += (size_t)snprintf(big + at, sizeof(big) - at, "%s1", i ? "," : "");
	snprintf(big + at, sizeof(big) - at, "]}");
	expect_generate_error(big, "has 257 tokens");
}

/*
 * Random bytes, and valid bodies with random bytes overwritten, cut short or
 * repeated: the parsers must answer 0 or -EINVAL with a message, never crash
 * (run under SANITIZE=1 to catch memory errors too), and whatever they accept
 * must hold in-range values.
 */
static void test_fuzz(void **state)
{
	static const char *const seeds[] = {
		"{\"input\":[1,2,3,4]}",
		"{\"input\":[1.5e3,-2,0.25,4]}",
		"{\"prompt\":[1,2,3],\"tokens\":16}",
		"{\"prompt\":[94],\"tokens\":1}",
	};
	static const char alphabet[] = "{}[],:\"0123456789.eE+-tfnul \\\n";
	uint64_t rng = 12345;
	char body[256];
	int accepted = 0;

	(void)state;
	for (int iter = 0; iter < 50000; iter++) {
		uint64_t r = demo_splitmix64(&rng);
		size_t len;
		float in[4];
		struct demo_gen_request req;
		char err[DEMO_ERR_LEN];
		int ret;

		if (iter % 4 == 0) {
			/* Random bytes, biased towards JSON's own characters. */
			len = r % sizeof(body);
			for (size_t i = 0; i < len; i++) {
				uint64_t c = demo_splitmix64(&rng);

				body[i] = (c & 1) ? (char)(c >> 8) : alphabet[(c >> 8) % (sizeof(alphabet) - 1)];
			}
		} else {
			const char *seed = seeds[r % 4];
			int edits = 1 + (int)((r >> 8) % 4);

			len = strlen(seed);
			memcpy(body, seed, len);
			for (int e = 0; e < edits; e++) {
				uint64_t c = demo_splitmix64(&rng);
				size_t at = (c >> 8) % len;

				switch (c % 3) {
				case 0:		/* overwrite a byte */
					body[at] = (c & 0x8000) ? (char)(c >> 16)
						: alphabet[(c >> 16) % (sizeof(alphabet) - 1)];
					break;
				case 1:		/* cut short */
					len = at;
					break;
				default:	/* repeat the tail */
					if (len + (len - at) <= sizeof(body)) {
						memmove(body + len, body + at, len - at);
						len += len - at;
					}
				}
				if (len == 0)
					break;
			}
		}
		err[0] = 0;
		ret = demo_parse_infer(body, len, 4, in, err);
		if (ret == 0) {
			accepted++;
			for (int i = 0; i < 4; i++)
				assert_true(isfinite(in[i]));
		} else {
			assert_int_equal(ret, -EINVAL);
			assert_true(err[0] != 0);
		}
		err[0] = 0;
		ret = demo_parse_generate(body, len, DEMO_VOCAB, &req, err);
		if (ret == 0) {
			accepted++;
			assert_true(req.prompt_len >= 1 && req.prompt_len <= DEMO_MAX_PROMPT);
			assert_true(req.tokens >= 1 && req.tokens <= DEMO_MAX_TOKENS);
			for (size_t i = 0; i < req.prompt_len; i++)
				assert_true(req.prompt[i] < DEMO_VOCAB);
		} else {
			assert_int_equal(ret, -EINVAL);
			assert_true(err[0] != 0);
		}
	}
	/* Some mutations keep a body valid (a digit for a digit): the fuzz reached the success path. */
	assert_true(accepted > 0);
}

static void test_answers(void **state)
{
	static const float out[3] = { 0.5f, 2, -1 };
	struct jsonw jw;

	(void)state;
	jw_init(&jw);
	demo_write_infer(&jw, out, 3);
	assert_int_equal(jw_finish(&jw), 0);
	assert_string_equal(jw.buf, "{\"output\":[0.5,2,-1],\"argmax\":1}");
	jw_reset(&jw);
	demo_write_error(&jw, 400, "\"input\"[2] is not a number");
	assert_int_equal(jw_finish(&jw), 0);
	assert_string_equal(jw.buf, "{\"error\":\"\\\"input\\\"[2] is not a number\",\"status\":400}");
	jw_free(&jw);
}

static void test_sse_frame(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(demo_sse_frame("{\"a\":1}", 7, buf, sizeof(buf)), 15);
	assert_memory_equal(buf, "data: {\"a\":1}\n\n", 15);
	/* Lines of a payload each get their own data: field, CRLF included. */
	assert_int_equal(demo_sse_frame("one\ntwo\r\nthree", 14, buf, sizeof(buf)), 33);
	assert_memory_equal(buf, "data: one\ndata: two\ndata: three\n\n", 33);
	assert_int_equal(demo_sse_frame("", 0, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "data: \n\n", 8);
	/* Exactly full fits, one byte short does not. */
	assert_int_equal(demo_sse_frame("abc", 3, buf, 11), 11);
	assert_int_equal(demo_sse_frame("abc", 3, buf, 10), -ENOSPC);
	assert_int_equal(demo_sse_frame("abc", 3, buf, 0), -ENOSPC);
}

static void test_sse_events(void **state)
{
	char buf[DEMO_SSE_EVENT_MAX];
	int n;

	(void)state;
	n = demo_sse_token(buf, sizeof(buf), 3, 33, 123456789);
	assert_true(n > 0);
	buf[n] = 0;
	assert_string_equal(buf, "data: {\"index\":3,\"token\":33,\"text\":\"A\",\"t_ns\":123456789}\n\n");
	/* Token 2 is '"' and 60 is '\\': the text field stays valid JSON. */
	n = demo_sse_token(buf, sizeof(buf), 0, 2, 1);
	buf[n] = 0;
	assert_non_null(strstr(buf, "\"text\":\"\\\"\""));
	n = demo_sse_token(buf, sizeof(buf), 0, 60, 1);
	buf[n] = 0;
	assert_non_null(strstr(buf, "\"text\":\"\\\\\""));
	/* The largest event fits in DEMO_SSE_EVENT_MAX. */
	assert_true(demo_sse_token(buf, sizeof(buf), UINT32_MAX, DEMO_VOCAB - 1, UINT64_MAX) > 0);
	assert_int_equal(demo_sse_token(buf, 20, 0, 0, 0), -ENOSPC);
	n = demo_sse_done(buf, sizeof(buf));
	assert_int_equal(n, 14);
	assert_memory_equal(buf, "data: [DONE]\n\n", 14);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_infer_good),
		cmocka_unit_test(test_infer_bad),
		cmocka_unit_test(test_generate_good),
		cmocka_unit_test(test_generate_bad),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_sse_frame),
		cmocka_unit_test(test_sse_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
