// SPDX-License-Identifier: GPL-2.0-only
/*
 * The idle flush's de-duplication (core/flush_log.c): a request user space
 * flushed is delivered once, and the kernel's later record of it is
 * dropped, but no other record is.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/flush_log.h"

static struct flush_log log_;

static struct flush_id id(uint64_t conn, uint64_t seq, uint64_t t_read)
{
	struct flush_id i = { .conn_id = conn, .seq = seq, .t_read_ns = t_read };

	return i;
}

static int setup(void **state)
{
	(void)state;
	flush_log_init(&log_);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	flush_log_free(&log_);
	return 0;
}

static void test_copy_dropped_once(void **state)
{
	struct flush_id a = id(0xffff888012345640, 3, 1000);

	(void)state;
	assert_false(flush_log_take(&log_, &a));	/* nothing flushed: delivered */
	assert_int_equal(flush_log_put(&log_, &a), 0);
	assert_true(flush_log_has(&log_, &a));
	assert_true(flush_log_take(&log_, &a));	/* the kernel's copy: dropped */
	assert_false(flush_log_has(&log_, &a));
	assert_false(flush_log_take(&log_, &a));	/* a second one would be news */
	assert_int_equal(log_.dropped, 1);
	assert_int_equal(log_.pending, 0);
}

/* A later request of the connection comes instead (the flushed one's copy was lost): delivered, and the wait ends. */
static void test_later_request_ends_the_wait(void **state)
{
	struct flush_id a = id(0xffff888012345640, 3, 1000), b = id(0xffff888012345640, 4, 2000);

	(void)state;
	flush_log_put(&log_, &a);
	assert_false(flush_log_take(&log_, &b));
	assert_false(flush_log_has(&log_, &a));
	assert_int_equal(log_.pending, 0);
	assert_int_equal(log_.dropped, 0);
}

/* A new connection at the same address, at the same request number: not a copy. */
static void test_reused_address(void **state)
{
	struct flush_id a = id(0xffff888012345640, 1, 1000), b = id(0xffff888012345640, 1, 5000);

	(void)state;
	flush_log_put(&log_, &a);
	assert_false(flush_log_take(&log_, &b));
}

/* A second flush of the same connection replaces the first: only the newest waits. */
static void test_put_replaces(void **state)
{
	struct flush_id a = id(7 << 6, 1, 10), b = id(7 << 6, 2, 20);

	(void)state;
	flush_log_put(&log_, &a);
	flush_log_put(&log_, &b);
	assert_int_equal(log_.pending, 1);
	assert_false(flush_log_has(&log_, &a));
	assert_true(flush_log_take(&log_, &b));
}

/* Many connections in one bucket each keep their own wait. */
static void test_colliding_connections(void **state)
{
	uint64_t step = (uint64_t)FLUSH_LOG_BUCKETS << 18 | (uint64_t)FLUSH_LOG_BUCKETS << 6;

	(void)state;
	for (uint64_t i = 0; i < 50; i++)
		assert_int_equal(flush_log_put(&log_, &(struct flush_id){ i * step, i, i }), 0);
	assert_int_equal(log_.pending, 50);
	for (uint64_t i = 0; i < 50; i += 2)
		assert_true(flush_log_take(&log_, &(struct flush_id){ i * step, i, i }));
	for (uint64_t i = 1; i < 50; i += 2)
		assert_true(flush_log_has(&log_, &(struct flush_id){ i * step, i, i }));
	assert_int_equal(log_.pending, 25);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy_dropped_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_later_request_ends_the_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reused_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_colliding_connections, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
