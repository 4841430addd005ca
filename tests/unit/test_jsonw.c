// SPDX-License-Identifier: GPL-2.0-only
/* The JSON writer: commas, nesting, escaping, numbers, sticky failure. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/jsonw.h"
#include "core/utf8.h"

static void test_commas_and_nesting(void **state)
{
	struct jsonw jw;

	(void)state;
	jw_init(&jw);
	jw_obj_begin(&jw);
	jw_kv_u64(&jw, "a", 1);
	jw_key(&jw, "list");
	jw_arr_begin(&jw);
	jw_u64(&jw, 1);
	jw_obj_begin(&jw);
	jw_obj_end(&jw);
	jw_arr_begin(&jw);
	jw_arr_end(&jw);
	jw_i64(&jw, -2);
	jw_obj_begin(&jw);
	jw_kv_bool(&jw, "t", 1);
	jw_kv_bool(&jw, "f", 0);
	jw_key(&jw, "n");
	jw_null(&jw);
	jw_obj_end(&jw);
	jw_arr_end(&jw);
	jw_kv_i64(&jw, "neg", INT64_MIN);
	jw_kv_u64(&jw, "big", UINT64_MAX);
	jw_kv_str(&jw, "s", "x");
	jw_key(&jw, "nullstr");
	jw_str(&jw, NULL);
	jw_obj_end(&jw);
	assert_int_equal(jw_finish(&jw), 0);
	assert_string_equal(jw.buf, "{\"a\":1,\"list\":[1,{},[],-2,{\"t\":true,\"f\":false,\"n\":null}],"
				    "\"neg\":-9223372036854775808,\"big\":18446744073709551615,"
				    "\"s\":\"x\",\"nullstr\":null}");
	assert_int_equal(jw.len, strlen(jw.buf));

	/* A reset starts a new document: no stray comma from the last one. */
	jw_reset(&jw);
	jw_arr_begin(&jw);
	jw_u64(&jw, 7);
	jw_arr_end(&jw);
	assert_string_equal(jw.buf, "[7]");
	/* JSONL: documents separated by raw newlines. */
	jw_raw(&jw, "\n");
	jw_reset(&jw);
	jw_obj_begin(&jw);
	jw_obj_end(&jw);
	jw_raw(&jw, "\n");
	assert_string_equal(jw.buf, "{}\n");
	jw_free(&jw);
	assert_null(jw.buf);
}

static void test_escaping(void **state)
{
	struct jsonw jw;
	const char raw[] = { 'a', '\0', 'b' };

	(void)state;
	jw_init(&jw);
	jw_arr_begin(&jw);
	jw_str(&jw, "quote\" back\\slash");
	jw_str(&jw, "line\nfeed\ttab\rcr");
	jw_str(&jw, "\x01\x1f\x7f");
	jw_str(&jw, "caf\xc3\xa9");	/* UTF-8 passes through */
	jw_strn(&jw, raw, sizeof(raw));	/* an embedded NUL is escaped, not a terminator */
	jw_str(&jw, "");
	jw_arr_end(&jw);
	assert_int_equal(jw_finish(&jw), 0);
	assert_string_equal(jw.buf, "[\"quote\\\" back\\\\slash\",\"line\\nfeed\\ttab\\u000dcr\","
				    "\"\\u0001\\u001f\\u007f\",\"caf\xc3\xa9\",\"a\\u0000b\",\"\"]");
	jw_reset(&jw);
	/* Keys are escaped too. */
	jw_obj_begin(&jw);
	jw_kv_u64(&jw, "k\"ey", 1);
	jw_obj_end(&jw);
	assert_string_equal(jw.buf, "{\"k\\\"ey\":1}");
	jw_free(&jw);
}

/* Names that are not UTF-8 (a process's, a cgroup's) still make a document every parser reads. */
static void test_invalid_utf8_repaired(void **state)
{
	struct jsonw jw;

	(void)state;
	jw_init(&jw);
	jw_obj_begin(&jw);
	jw_kv_str(&jw, "comm", "svc\xff\xfe");
	jw_kv_str(&jw, "cut", "sym\xe2\x82");
	jw_kv_str(&jw, "overlong", "\xc0\xaf");
	jw_kv_str(&jw, "surrogate", "\xed\xa0\x80");
	jw_kv_str(&jw, "4byte", "\xf0\x9d\x84\x9e");
	/* C1 controls are escaped like C0; U+2028/9 end a line in JavaScript */
	jw_kv_str(&jw, "c1", "\xc2\x9b" "2J");
	jw_kv_str(&jw, "ls", "a\xe2\x80\xa8" "b\xe2\x80\xa9");
	jw_kv_str(&jw, "k\xff", "");
	jw_obj_end(&jw);
	assert_int_equal(jw_finish(&jw), 0);
	assert_true(utf8_valid(jw.buf, jw.len));
	assert_string_equal(jw.buf, "{\"comm\":\"svc" UTF8_REPLACEMENT UTF8_REPLACEMENT "\","
				    "\"cut\":\"sym" UTF8_REPLACEMENT "\","
				    "\"overlong\":\"" UTF8_REPLACEMENT UTF8_REPLACEMENT "\","
				    "\"surrogate\":\"" UTF8_REPLACEMENT UTF8_REPLACEMENT
				    UTF8_REPLACEMENT "\","
				    "\"4byte\":\"\xf0\x9d\x84\x9e\","
				    "\"c1\":\"\\u009b2J\","
				    "\"ls\":\"a\\u2028b\\u2029\","
				    "\"k" UTF8_REPLACEMENT "\":\"\"}");
	jw_free(&jw);
}

static void test_numbers(void **state)
{
	struct jsonw jw;

	(void)state;
	jw_init(&jw);
	jw_arr_begin(&jw);
	jw_double(&jw, 1.0);
	jw_double(&jw, 0.5);
	jw_double(&jw, 1234.5678);
	jw_double(&jw, -0.001);
	jw_double(&jw, NAN);
	jw_double(&jw, INFINITY);
	jw_double(&jw, 1e300);
	jw_arr_end(&jw);
	assert_int_equal(jw_finish(&jw), 0);
	/* No NaN/Infinity in JSON: they become null. */
	assert_string_equal(jw.buf, "[1,0.5,1234.5678,-0.001,null,null,1e+300]");
	jw_free(&jw);
}

static void test_too_deep_fails(void **state)
{
	struct jsonw jw;

	(void)state;
	jw_init(&jw);
	for (int i = 0; i < JW_MAX_DEPTH + 2; i++)
		jw_arr_begin(&jw);
	assert_int_equal(jw_finish(&jw), -ENOMEM);
	jw_free(&jw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commas_and_nesting),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_invalid_utf8_repaired),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_too_deep_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
