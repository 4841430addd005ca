// SPDX-License-Identifier: GPL-2.0-only
/* Folded stacks: building from frames, merging, parsing and formatting. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/folded.h"
#include "core/utf8.h"

#define FFFD UTF8_REPLACEMENT

static void test_frames_sum_and_sanitize(void **state)
{
	const char *a[] = { "main", "work", "hot" };
	const char *b[] = { "main", "a;b", "line\nbreak", "" };
	struct folded *f = folded_new();

	(void)state;
	assert_non_null(f);
	assert_int_equal(folded_add_frames(f, a, 3, 5), 0);
	assert_int_equal(folded_add_frames(f, a, 3, 7), 0);
	assert_int_equal(folded_add_frames(f, b, 4, 1), 0);
	assert_int_equal(folded_add_frames(f, a, 0, 1), -EINVAL);
	assert_int_equal(folded_count(f), 2);
	assert_int_equal(folded_total(f), 13);
	assert_int_equal(folded_weight(f, "main;work;hot"), 12);
	/* ';' would split the frame, a newline would split the line; empty is kept. */
	assert_int_equal(folded_weight(f, "main;a:b;line?break;[unknown]"), 1);
	folded_free(f);
}

/*
 * Names are any bytes their owner chose: the folded text stays UTF-8, one
 * stack a line, with no escape sequence.
 */
static void test_frames_not_utf8(void **state)
{
	const char *a[] = { "svc\xff\xfe\x1b[2J", "sym\xe2\x82", "c1\xc2\x9b;del\x7f", "ok\xc3\xa9" };
	struct folded *f = folded_new();
	struct strbuf sb;
	size_t lines = 0;

	(void)state;
	assert_int_equal(folded_add_frames(f, a, 4, 3), 0);
	assert_int_equal(folded_add(f, "raw\xff;line\nbreak\x1b", 2), 0);
	assert_int_equal(folded_weight(f, "svc" FFFD FFFD "?[2J;sym" FFFD ";c1?:del?;ok\xc3\xa9"),
			 3);
	assert_int_equal(folded_weight(f, "raw" FFFD ";line?break?"), 2);
	sb_init(&sb);
	assert_int_equal(folded_format(f, &sb), 0);
	assert_true(utf8_valid(sb.buf, sb.len));
	for (size_t i = 0; i < sb.len; i++) {
		unsigned char c = (unsigned char)sb.buf[i];

		assert_true(c >= 0x20 ? c != 0x7f : c == '\n');
		lines += c == '\n';
	}
	assert_int_equal(lines, 2);
	sb_free(&sb);
	folded_free(f);
}

static void test_sum_and_format(void **state)
{
	struct folded *x = folded_new();
	struct strbuf sb;

	(void)state;
	assert_int_equal(folded_add(x, "p;b", 2), 0);
	assert_int_equal(folded_add(x, "p;a", 1), 0);
	assert_int_equal(folded_add(x, "p;b", 3), 0);
	assert_int_equal(folded_add(x, "q", 4), 0);
	assert_int_equal(folded_total(x), 10);
	sb_init(&sb);
	assert_int_equal(folded_format(x, &sb), 0);
	assert_string_equal(sb.buf, "p;a 1\np;b 5\nq 4\n");
	sb_free(&sb);
	folded_free(x);
}

static void test_many_stacks_grow(void **state)
{
	struct folded *f = folded_new();
	char buf[32];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "s;%d", i % 1000);
		assert_int_equal(folded_add(f, buf, 1), 0);
	}
	assert_int_equal(folded_count(f), 1000);
	assert_int_equal(folded_weight(f, "s;999"), 5);
	assert_int_equal(folded_weight(f, "s;1000"), 0);
	folded_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_sum_and_sanitize),
		cmocka_unit_test(test_frames_not_utf8),
		cmocka_unit_test(test_sum_and_format),
		cmocka_unit_test(test_many_stacks_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
