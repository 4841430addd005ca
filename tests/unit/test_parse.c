// SPDX-License-Identifier: GPL-2.0-only
/* The checked number, size, duration and CPU parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/parse.h"

static void test_sizes(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(parse_size("512M", &v), 0);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(parse_size("512Mi", &v), 0);
	assert_int_equal(v, 512ull << 20);
	assert_int_equal(parse_size("2G", &v), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(parse_size("1.5Gi", &v), 0);
	assert_int_equal(v, 3ull << 29);
	assert_int_equal(parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(parse_size("1k", &v), 0);
	assert_int_equal(v, 1024);
}

static void test_bad_sizes(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(parse_size("", &v), -EINVAL);
	assert_int_equal(parse_size("M", &v), -EINVAL);
	assert_int_equal(parse_size("12X", &v), -EINVAL);
	assert_int_equal(parse_size("-1G", &v), -EINVAL);
	assert_int_equal(parse_size("1.3", &v), -EINVAL);
	assert_int_equal(parse_size(" 5", &v), -EINVAL);
	assert_int_equal(parse_size("0x10", &v), -EINVAL);
	assert_int_equal(parse_size("inf", &v), -EINVAL);
	assert_int_equal(parse_size("99999999T", &v), -ERANGE);
	assert_int_equal(v, 7);	/* untouched on error */
}

static void test_durations(void **state)
{
	uint64_t ns;

	(void)state;
	assert_int_equal(parse_duration("250ms", 1000000000ull, &ns), 0);
	assert_int_equal(ns, 250000000ull);
	assert_int_equal(parse_duration("1.5", 1000000000ull, &ns), 0);
	assert_int_equal(ns, 1500000000ull);
	assert_int_equal(parse_duration("2m", 1000000000ull, &ns), 0);
	assert_int_equal(ns, 120000000000ull);
	assert_int_equal(parse_duration("500us", 1000000000ull, &ns), 0);
	assert_int_equal(ns, 500000ull);
	assert_int_equal(parse_duration("1h", 1, &ns), 0);
	assert_int_equal(ns, 3600000000000ull);
	assert_int_equal(parse_duration("10", 1000000ull, &ns), 0);
	assert_int_equal(ns, 10000000ull);
	assert_int_equal(parse_duration("5 s", 1, &ns), -EINVAL);
	assert_int_equal(parse_duration("5parsecs", 1, &ns), -EINVAL);
	assert_int_equal(parse_duration("-1s", 1, &ns), -EINVAL);
}

static void test_cpu(void **state)
{
	uint64_t m;

	(void)state;
	assert_int_equal(parse_cpu("1.5", &m), 0);
	assert_int_equal(m, 1500);
	assert_int_equal(parse_cpu("500m", &m), 0);
	assert_int_equal(m, 500);
	assert_int_equal(parse_cpu("2", &m), 0);
	assert_int_equal(m, 2000);
	assert_int_equal(parse_cpu("2 cores", &m), -EINVAL);
}

static void test_ints_and_ports(void **state)
{
	long long v;
	uint16_t port;

	(void)state;
	assert_int_equal(parse_int("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_int("101", 0, 100, &v), -ERANGE);
	assert_int_equal(parse_int("4x", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_int("99999999999999999999", 0, 100, &v), -ERANGE);
	assert_int_equal(parse_port("8080", &port), 0);
	assert_int_equal(port, 8080);
	assert_int_equal(parse_port("0", &port), -ERANGE);
	assert_int_equal(parse_port("65536", &port), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_cpu),
		cmocka_unit_test(test_ints_and_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
