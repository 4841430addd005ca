// SPDX-License-Identifier: GPL-2.0-only
/* loadgen's rate schedule parser: the forms in --help, and errors with line:column. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/loadgen/schedule.h"

#define S(x) ((uint64_t)((x) * 1e9))

static struct schedule sched;

static int parse(const char *text, uint64_t default_len, struct sched_error *e)
{
	memset(&sched, 0, sizeof(sched));
	memset(e, 0, sizeof(*e));
	return sched_parse(&sched, text, 1, default_len, e);
}

static void assert_seg(size_t i, double from, double to, uint64_t len)
{
	assert_true(i < sched.nseg);
	assert_true(sched.seg[i].rate_from == from);
	assert_true(sched.seg[i].rate_to == to);
	assert_int_equal(sched.seg[i].len_ns, len);
}

static void test_forms(void **state)
{
	struct sched_error e;

	(void)state;
	assert_int_equal(parse("500@30s", 0, &e), 0);
	assert_int_equal(sched.nseg, 1);
	assert_seg(0, 500, 500, S(30));

	assert_int_equal(parse("500", S(7), &e), 0);
	assert_seg(0, 500, 500, S(7));

	assert_int_equal(parse("ramp:100-1000@30s", 0, &e), 0);
	assert_seg(0, 100, 1000, S(30));

	assert_int_equal(parse("step:100@10s, 400@20s ,100@500ms", 0, &e), 0);
	assert_int_equal(sched.nseg, 3);
	assert_seg(0, 100, 100, S(10));
	assert_seg(1, 400, 400, S(20));
	assert_seg(2, 100, 100, S(0.5));

	assert_int_equal(parse("const:2.5@1m", 0, &e), 0);
	assert_seg(0, 2.5, 2.5, S(60));

	assert_int_equal(parse("spike:base=100,peak=1000,at=10s,for=2s,total=30s", 0, &e), 0);
	assert_int_equal(sched.nseg, 3);
	assert_seg(0, 100, 100, S(10));
	assert_seg(1, 1000, 1000, S(2));
	assert_seg(2, 100, 100, S(18));
	assert_int_equal(sched_length(&sched), S(30));

	/* total defaults to the run's -d; a spike at 0 has no leading base segment */
	assert_int_equal(parse("spike:base=10,peak=50,at=0s,for=1s", S(5), &e), 0);
	assert_int_equal(sched.nseg, 2);
	assert_seg(0, 50, 50, S(1));
	assert_seg(1, 10, 10, S(4));

	/* mixed constant and ramp segments without a kind */
	assert_int_equal(parse("0-100@10s,100@5s,100-0@10s", 0, &e), 0);
	assert_int_equal(sched.nseg, 3);
	assert_seg(2, 100, 0, S(10));
}

static void expect_error(const char *text, uint64_t default_len, int col, const char *words)
{
	struct sched_error e;

	assert_int_equal(parse(text, default_len, &e), -EINVAL);
	assert_int_equal(e.line, 1);
	if (e.col != col)
		fail_msg("'%s': error at column %d (%s), expected %d", text, e.col, e.msg, col);
	if (!strstr(e.msg, words))
		fail_msg("'%s': message '%s' lacks '%s'", text, e.msg, words);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("step:100@10s,abc@5s", 0, 14, "bad rate 'abc'");
	expect_error("100@10s,400@1x", 0, 13, "bad duration '1x'");
	expect_error("100@0s", 0, 5, "bad duration");
	expect_error("burst:100@1s", 0, 1, "unknown schedule kind 'burst'");
	expect_error("  100@1s,-5@1s", 0, 10, "bad ramp start rate");
	expect_error("100-x@1s", 0, 5, "bad ramp end rate 'x'");
	expect_error("step:100-200@1s", 0, 6, "not allowed in a step schedule");
	expect_error("100@10s,", 0, 9, "trailing ','");
	expect_error("100", 0, 1, "missing duration");
	expect_error("100-200", S(5), 1, "missing duration");
	expect_error("", 0, 1, "empty schedule");
	expect_error("ramp:", 0, 6, "empty schedule");
	expect_error("@5s", 0, 1, "missing rate");
	expect_error("20000000@1s", 0, 1, "bad rate");
	expect_error("const:1@1s,2@1s", 0, 1, "takes one");
	expect_error("spike:base=100,peak=1000,at=10s", S(30), 7, "needs base=, peak=, at= and for=");
	expect_error("spike:base=100,peak=1000,at=10s,for=2s", 0, 7, "needs total=");
	expect_error("spike:base=100,peak=1000,at=29s,for=2s,total=30s", 0, 7, "past total");
	expect_error("spike:base=100,peek=1000", 0, 16, "unknown spike key 'peek'");
	expect_error("spike:base=1x", 0, 12, "bad base rate '1x'");
	expect_error("spike:base=1,peak=2,at=soon,for=1s,total=5s", 0, 24, "bad at duration 'soon'");
}

static void test_file(void **state)
{
	struct sched_error e = { 0 };
	const char *good =
		"# warm up, then a step\n"
		"\n"
		"100@10s   # low\n"
		"  ramp:100-400@5s\r\n"
		"step:400@20s,100@10s\n";
	const char *bad =
		"# comment\n"
		"100@10s\n"
		"200@5s,300@x\n";

	(void)state;
	memset(&sched, 0, sizeof(sched));
	assert_int_equal(sched_parse_file_text(&sched, good, &e), 0);
	assert_int_equal(sched.nseg, 4);
	assert_seg(1, 100, 400, S(5));
	assert_int_equal(sched_length(&sched), S(45));

	memset(&sched, 0, sizeof(sched));
	assert_int_equal(sched_parse_file_text(&sched, bad, &e), -EINVAL);
	assert_int_equal(e.line, 3);
	assert_int_equal(e.col, 12);
	assert_non_null(strstr(e.msg, "bad duration 'x'"));

	/* In a file a bare rate has no -d to borrow: every line states its length. */
	memset(&sched, 0, sizeof(sched));
	assert_int_equal(sched_parse_file_text(&sched, "100@1s\n200\n", &e), -EINVAL);
	assert_int_equal(e.line, 2);
	assert_non_null(strstr(e.msg, "missing duration"));

	memset(&sched, 0, sizeof(sched));
	assert_int_equal(sched_parse_file_text(&sched, "# nothing\n\n", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "no segments"));
}

static void test_rate_and_truncate(void **state)
{
	struct sched_error e;

	(void)state;
	assert_int_equal(parse("100@10s,0-1000@10s", 0, &e), 0);
	assert_true(sched_rate_at(&sched, S(5)) == 100);
	assert_true(sched_rate_at(&sched, S(15)) == 500);
	assert_true(sched_rate_at(&sched, S(25)) == 0);
	assert_true(sched_expected(&sched, S(10)) == 1000);
	assert_true(sched_expected(&sched, S(20)) == 1000 + 5000);
	sched_truncate(&sched, S(15));
	assert_int_equal(sched.nseg, 2);
	assert_int_equal(sched_length(&sched), S(15));
	assert_true(sched.seg[1].rate_to == 500);
	sched_truncate(&sched, S(4));
	assert_int_equal(sched.nseg, 1);
	assert_int_equal(sched_length(&sched), S(4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_rate_and_truncate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
