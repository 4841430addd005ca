// SPDX-License-Identifier: GPL-2.0-only
/*
 * The /metrics server's connection table (core/scrape_conns.c): slow
 * connections go at their deadline or to make room, a scraper's connection
 * is let in and kept, and nothing is closed twice.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/scrape_conns.h"

#define SLOTS 8
#define SEC 1000000000ull

static struct scrape_conn conns[SLOTS];
static const struct scrape_limits lim = { .open_max = 4, .request_ns = 2 * SEC };

static int setup(void **state)
{
	(void)state;
	memset(conns, 0, sizeof(conns));
	return 0;
}

/* Accepts at now_ns, expecting no victim; returns the slot. */
static int accept_quiet(uint64_t now_ns)
{
	int victim, i = scrape_conn_accept(conns, SLOTS, &lim, now_ns, &victim);

	assert_true(i >= 0);
	assert_int_equal(victim, -1);
	return i;
}

static size_t count(enum scrape_conn_state state)
{
	size_t n = 0, i;

	for (i = 0; i < SLOTS; i++)
		n += conns[i].state == state;
	return n;
}

static void test_accept_until_full(void **state)
{
	const struct scrape_limits roomy = { .open_max = SLOTS, .request_ns = 2 * SEC };
	int victim, i;

	(void)state;
	for (i = 0; i < SLOTS; i++)
		assert_int_equal(scrape_conn_accept(conns, SLOTS, &roomy, 10 + i, &victim), i);
	assert_int_equal(scrape_conn_accept(conns, SLOTS, &roomy, 100, &victim), -ENOSPC);
	assert_int_equal(victim, -1);
	scrape_conn_release(&conns[3]);
	assert_int_equal(scrape_conn_accept(conns, SLOTS, &roomy, 101, &victim), 3);
	assert_int_equal(conns[3].since_ns, 101);
}

/* Beyond open_max, the connection that has waited longest goes, never the new one. */
static void test_cap_evicts_longest_waiting(void **state)
{
	int first, victim, i, newest;

	(void)state;
	first = accept_quiet(100);
	for (i = 1; i < 4; i++)
		accept_quiet(100 + i);
	newest = scrape_conn_accept(conns, SLOTS, &lim, 200, &victim);
	assert_true(newest >= 0);
	assert_int_equal(victim, first);
	assert_int_equal(conns[first].state, SCRAPE_CONN_CLOSING);
	assert_int_equal(conns[newest].state, SCRAPE_CONN_WAITING);
	assert_int_equal(count(SCRAPE_CONN_WAITING), 4);
	/* The closing one holds its slot until released, and is not picked again. */
	scrape_conn_accept(conns, SLOTS, &lim, 201, &victim);
	assert_int_equal(victim, first + 1);
	assert_int_equal(count(SCRAPE_CONN_CLOSING), 2);
}

/* A connection whose request arrived is spared while any other waits. */
static void test_answering_spared(void **state)
{
	int old, victim, i;

	(void)state;
	old = accept_quiet(100);
	scrape_conn_request(&conns[old]);
	for (i = 1; i < 4; i++)
		accept_quiet(100 + i);
	scrape_conn_accept(conns, SLOTS, &lim, 200, &victim);
	assert_int_equal(conns[old].state, SCRAPE_CONN_ANSWERING);
	assert_true(victim >= 0 && victim != old);
	assert_int_equal(conns[victim].since_ns, 101);
}

/* With every other connection answering, the new one still gets in: the oldest answer goes. */
static void test_all_answering(void **state)
{
	int victim, i, newest;

	(void)state;
	for (i = 0; i < 4; i++)
		scrape_conn_request(&conns[accept_quiet(100 + i)]);
	newest = scrape_conn_accept(conns, SLOTS, &lim, 200, &victim);
	assert_int_equal(conns[newest].state, SCRAPE_CONN_WAITING);
	assert_int_equal(conns[victim].since_ns, 100);
	assert_int_equal(conns[victim].state, SCRAPE_CONN_CLOSING);
}

/* A scraper that sent its request outlives any number of slow connections after it. */
static void test_scraper_outlives_flood(void **state)
{
	int scraper, victim, i, k;

	(void)state;
	for (i = 0; i < 4; i++)
		accept_quiet(100 + i);
	scraper = scrape_conn_accept(conns, SLOTS, &lim, 200, &victim);
	scrape_conn_request(&conns[scraper]);
	for (k = 0; k < 1000; k++) {
		i = scrape_conn_accept(conns, SLOTS, &lim, 300 + k, &victim);
		assert_true(i >= 0);
		assert_true(victim >= 0 && victim != scraper && victim != i);
		scrape_conn_release(&conns[victim]);	/* the server lets it go */
	}
	assert_int_equal(conns[scraper].state, SCRAPE_CONN_ANSWERING);
	scrape_conn_answered(&conns[scraper], 2000);
	assert_int_equal(conns[scraper].state, SCRAPE_CONN_WAITING);
	assert_int_equal(conns[scraper].since_ns, 2000);
}

/* A request must all arrive within request_ns of the accept, however it trickles. */
static void test_deadline(void **state)
{
	size_t idx[SLOTS];
	int slow, fast;

	(void)state;
	slow = accept_quiet(1 * SEC);
	fast = accept_quiet(1 * SEC);
	scrape_conn_request(&conns[fast]);
	assert_int_equal(scrape_conns_next_deadline(conns, SLOTS, &lim), 3 * SEC);
	assert_int_equal(scrape_conns_expire(conns, SLOTS, &lim, 3 * SEC - 1, idx), 0);
	assert_int_equal(scrape_conns_expire(conns, SLOTS, &lim, 3 * SEC, idx), 1);
	assert_int_equal(idx[0], slow);
	assert_int_equal(conns[slow].state, SCRAPE_CONN_CLOSING);
	/* An answer has no deadline of ours; closed once, never again. */
	assert_int_equal(scrape_conns_expire(conns, SLOTS, &lim, 60 * SEC, idx), 0);
	assert_int_equal(conns[fast].state, SCRAPE_CONN_ANSWERING);
	assert_int_equal(scrape_conns_next_deadline(conns, SLOTS, &lim), UINT64_MAX);
}

/* Keep-alive: the next request's deadline runs from the answer. */
static void test_deadline_after_answer(void **state)
{
	size_t idx[SLOTS];
	int c;

	(void)state;
	c = accept_quiet(1 * SEC);
	scrape_conn_request(&conns[c]);
	scrape_conn_answered(&conns[c], 10 * SEC);
	assert_int_equal(scrape_conns_next_deadline(conns, SLOTS, &lim), 12 * SEC);
	assert_int_equal(scrape_conns_expire(conns, SLOTS, &lim, 11 * SEC, idx), 0);
	assert_int_equal(scrape_conns_expire(conns, SLOTS, &lim, 12 * SEC, idx), 1);
}

/* A closing connection stays closing whatever the server reports about it. */
static void test_closing_stays_closing(void **state)
{
	size_t idx[SLOTS];
	int c;

	(void)state;
	c = accept_quiet(0);
	assert_int_equal(scrape_conns_expire(conns, SLOTS, &lim, 2 * SEC, idx), 1);
	scrape_conn_request(&conns[c]);
	scrape_conn_answered(&conns[c], 5 * SEC);
	assert_int_equal(conns[c].state, SCRAPE_CONN_CLOSING);
	scrape_conn_release(&conns[c]);
	assert_int_equal(conns[c].state, SCRAPE_CONN_FREE);
}

/* A deadline beyond the clock's range never comes. */
static void test_deadline_saturates(void **state)
{
	const struct scrape_limits forever = { .open_max = 4, .request_ns = UINT64_MAX };
	size_t idx[SLOTS];
	int victim;

	(void)state;
	scrape_conn_accept(conns, SLOTS, &forever, 5, &victim);
	assert_int_equal(scrape_conns_next_deadline(conns, SLOTS, &forever), UINT64_MAX);
	assert_int_equal(scrape_conns_expire(conns, SLOTS, &forever, UINT64_MAX - 1, idx), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_accept_until_full, setup),
		cmocka_unit_test_setup(test_cap_evicts_longest_waiting, setup),
		cmocka_unit_test_setup(test_answering_spared, setup),
		cmocka_unit_test_setup(test_all_answering, setup),
		cmocka_unit_test_setup(test_scraper_outlives_flood, setup),
		cmocka_unit_test_setup(test_deadline, setup),
		cmocka_unit_test_setup(test_deadline_after_answer, setup),
		cmocka_unit_test_setup(test_closing_stays_closing, setup),
		cmocka_unit_test_setup(test_deadline_saturates, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
