// SPDX-License-Identifier: GPL-2.0-only
/* Durations and sizes as every text output shows them: one form, no space before the unit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/units.h"

#define MS 1000000ull
#define SEC 1000000000ull

static void test_durations(void **state)
{
	char b[UNITS_LEN];

	(void)state;
	assert_string_equal(units_ns(0, b, sizeof(b)), "0ns");
	assert_string_equal(units_ns(850, b, sizeof(b)), "850ns");
	assert_string_equal(units_ns(850000, b, sizeof(b)), "850us");
	assert_string_equal(units_ns(1200000, b, sizeof(b)), "1.2ms");
	assert_string_equal(units_ns(45670000, b, sizeof(b)), "45.7ms");
	assert_string_equal(units_ns(250 * MS, b, sizeof(b)), "250ms");
	assert_string_equal(units_ns(3400 * MS, b, sizeof(b)), "3.40s");
	assert_string_equal(units_ns(3600 * SEC, b, sizeof(b)), "3600s");
	assert_string_equal(units_ns(UINT64_MAX, b, sizeof(b)), "18446744074s");
	/* The same figure from µs, as the flame profiles weigh their stacks. */
	assert_string_equal(units_us(3000, b, sizeof(b)), "3.0ms");
	assert_string_equal(units_us(31, b, sizeof(b)), "31us");
	assert_string_equal(units_us(UINT64_MAX, b, sizeof(b)), "18446744073710s");
}

/* Just below a boundary, a figure that would round up to "1000" takes the next unit. */
static void test_duration_boundaries(void **state)
{
	char b[UNITS_LEN];

	(void)state;
	assert_string_equal(units_ns(999, b, sizeof(b)), "999ns");
	assert_string_equal(units_ns(1000, b, sizeof(b)), "1us");
	assert_string_equal(units_ns(999499, b, sizeof(b)), "999us");
	assert_string_equal(units_ns(999500, b, sizeof(b)), "1.0ms");
	assert_string_equal(units_ns(99949999, b, sizeof(b)), "99.9ms");
	assert_string_equal(units_ns(99950000, b, sizeof(b)), "100ms");
	assert_string_equal(units_ns(999499999, b, sizeof(b)), "999ms");
	assert_string_equal(units_ns(999500000, b, sizeof(b)), "1.00s");
	assert_string_equal(units_ns(99994999999ull, b, sizeof(b)), "99.99s");
	assert_string_equal(units_ns(99995000000ull, b, sizeof(b)), "100s");
}

static void test_bytes(void **state)
{
	char b[UNITS_LEN];

	(void)state;
	assert_string_equal(units_bytes(0, b, sizeof(b)), "0B");
	assert_string_equal(units_bytes(1023, b, sizeof(b)), "1023B");
	assert_string_equal(units_bytes(1024, b, sizeof(b)), "1.0KiB");
	assert_string_equal(units_bytes(1536, b, sizeof(b)), "1.5KiB");
	assert_string_equal(units_bytes(96ull << 20, b, sizeof(b)), "96.0MiB");
	/* 1023.97 KiB would print as 1024.0KiB */
	assert_string_equal(units_bytes((1ull << 20) - 30, b, sizeof(b)), "1.0MiB");
	assert_string_equal(units_bytes(3ull << 30, b, sizeof(b)), "3.0GiB");
	assert_string_equal(units_bytes(UINT64_MAX, b, sizeof(b)), "16.0EiB");
}

/* A short buffer gets a cut figure, never an overrun. */
static void test_short_buffer(void **state)
{
	char b[4] = "xyz";

	(void)state;
	assert_string_equal(units_ns(45670000, b, sizeof(b)), "45.");
	assert_string_equal(units_bytes(96ull << 20, b, sizeof(b)), "96.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_duration_boundaries),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_short_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
