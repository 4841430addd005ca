// SPDX-License-Identifier: GPL-2.0-only
/*
 * Arrival times from a schedule (constant, step, ramp, spike, Poisson), the
 * pacer's bounded queue, and coordinated-omission correction on a simulated
 * server that stalls for a second.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/loadgen/pacer.h"
#include "../../tools/loadgen/schedule.h"
#include "core/hist.h"

#define NS 1000000000ull
#define S(x) ((uint64_t)((x) * 1e9))

static struct schedule sched;

static void load(const char *text)
{
	struct sched_error e;

	memset(&sched, 0, sizeof(sched));
	if (sched_parse(&sched, text, 1, 0, &e))
		fail_msg("schedule '%s': %d: %s", text, e.col, e.msg);
}

/* Counts arrivals per whole second into bins[]; returns the total. */
static uint64_t count_arrivals(int poisson, uint64_t seed, uint64_t *bins, size_t nbins)
{
	struct arrivals a;
	uint64_t t, prev = 0, n = 0;

	arrivals_init(&a, &sched, poisson, seed);
	while (!arrivals_next(&a, &t)) {
		assert_true(t >= prev);	/* never out of order */
		assert_true(t <= sched_length(&sched));
		prev = t;
		if (t / NS < nbins)
			bins[t / NS]++;
		n++;
	}
	return n;
}

static void test_constant(void **state)
{
	struct arrivals a;
	uint64_t t, n = 0;

	(void)state;
	load("200@3s");
	arrivals_init(&a, &sched, 0, 0);
	while (!arrivals_next(&a, &t)) {
		/* evenly spaced, 5 ms apart, starting at 0 */
		assert_true(llabs((long long)t - (long long)(n * 5000000ull)) <= 1);
		n++;
	}
	assert_int_equal(n, 600);
	assert_int_equal(arrivals_next(&a, &t), -ENODATA);
}

static void test_step_ramp_spike(void **state)
{
	uint64_t bins[40] = { 0 };

	(void)state;
	load("100@1s,400@1s,50@1s");
	assert_int_equal(count_arrivals(0, 0, bins, 3), 550);
	assert_int_equal(bins[0], 100);
	assert_int_equal(bins[1], 400);
	assert_int_equal(bins[2], 50);

	/* 0 -> 1000 over 2 s: rate 500 t, so 250 in the first second, 750 in the second */
	memset(bins, 0, sizeof(bins));
	load("0-1000@2s");
	assert_int_equal(count_arrivals(0, 0, bins, 2), 1000);
	assert_true(llabs((long long)bins[0] - 250) <= 1);
	assert_true(llabs((long long)bins[1] - 750) <= 1);

	/* falling ramp: the mirror image */
	memset(bins, 0, sizeof(bins));
	load("1000-0@2s");
	assert_int_equal(count_arrivals(0, 0, bins, 2), 1000);
	assert_true(llabs((long long)bins[0] - 750) <= 1);

	memset(bins, 0, sizeof(bins));
	load("spike:base=10,peak=300,at=2s,for=1s,total=5s");
	assert_int_equal(count_arrivals(0, 0, bins, 5), 10 * 4 + 300);
	assert_int_equal(bins[1], 10);
	assert_int_equal(bins[2], 300);
	assert_int_equal(bins[3], 10);

	/* a zero-rate pause sends nothing and moves on */
	memset(bins, 0, sizeof(bins));
	load("10@1s,0@2s,10@1s");
	assert_int_equal(count_arrivals(0, 0, bins, 4), 20);
	assert_int_equal(bins[1] + bins[2], 0);
	assert_int_equal(bins[3], 10);
}

static void test_poisson(void **state)
{
	static uint64_t bins[100];
	struct arrivals a, b;
	uint64_t n, t1, t2, prev = 0, same = 1;
	double sum = 0, sumsq = 0, gaps = 0;

	(void)state;
	load("1000@100s");
	n = count_arrivals(1, 42, bins, 100);
	/* mean rate: 100000 expected, sd 316 */
	assert_true(n > 98500 && n < 101500);

	/* exponential gaps: coefficient of variation near 1 (it is 0 for even spacing) */
	arrivals_init(&a, &sched, 1, 7);
	for (int i = 0; i < 20000 && !arrivals_next(&a, &t1); i++) {
		double g = (double)(t1 - prev);

		if (i) {
			sum += g;
			sumsq += g * g;
			gaps++;
		}
		prev = t1;
	}
	{
		double mean = sum / gaps, sd = sqrt(sumsq / gaps - mean * mean);

		assert_true(mean > 0.95e6 && mean < 1.05e6);
		assert_true(sd / mean > 0.95 && sd / mean < 1.05);
	}

	/* the seed makes a run repeatable; another seed gives other times */
	arrivals_init(&a, &sched, 1, 5);
	arrivals_init(&b, &sched, 1, 5);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(arrivals_next(&a, &t1), 0);
		assert_int_equal(arrivals_next(&b, &t2), 0);
		assert_int_equal(t1, t2);
	}
	arrivals_init(&b, &sched, 1, 6);
	arrivals_init(&a, &sched, 1, 5);
	for (int i = 0; i < 100; i++) {
		arrivals_next(&a, &t1);
		arrivals_next(&b, &t2);
		same &= t1 == t2;
	}
	assert_false(same);
}

static void test_pacer_queue(void **state)
{
	uint64_t queue[10], t;
	struct pacer p;

	(void)state;
	load("1000@1s");
	pacer_init(&p, &sched, 0, 0, 0, queue, 10);
	/* 1 ms after start: arrivals at 0 and 1 ms are due */
	assert_int_equal(pacer_tick(&p, S(0.001)), 2);
	assert_int_equal(p.len, 2);
	assert_int_equal(pacer_take(&p, &t), 0);
	assert_int_equal(t, 0);
	/* nobody takes: the queue fills to 10, the rest are dropped */
	assert_int_equal(pacer_tick(&p, S(0.020)), 19);
	assert_int_equal(p.len, 10);
	assert_int_equal(p.dropped, 10);
	assert_int_equal(p.max_len, 10);
	/* oldest first, intended times kept */
	assert_int_equal(pacer_take(&p, &t), 0);
	assert_int_equal(t, S(0.001));
	assert_int_equal(pacer_unget(&p, t), 0);
	assert_int_equal(pacer_unget(&p, 1), -ENOSPC);
	assert_int_equal(pacer_take(&p, &t), 0);
	assert_int_equal(t, S(0.001));
	assert_false(pacer_finished(&p));
	pacer_tick(&p, S(5));
	assert_true(pacer_finished(&p));
	assert_int_equal(p.generated, 1000);

	/* -n: stops after the limit */
	pacer_init(&p, &sched, 0, 0, 5, queue, 10);
	assert_int_equal(pacer_tick(&p, S(1)), 5);
	assert_true(pacer_finished(&p));
}

/*
 * A simulated server: one worker, FIFO, 200 us per request, that stops
 * serving from 1.0 s to 2.0 s. The client sends 1000 req/s over 4
 * connections for 3 s, through the real pacer. Event-driven, no clock.
 */
#define SIM_CONNS 4
#define SERVICE_NS 200000ull

struct sim_result {
	struct hist corrected;	/* from intended time (what loadgen reports) */
	struct hist naive;	/* from actual send time (coordinated omission) */
	uint64_t completed;
	uint64_t stalled_ok;	/* requests intended in the stall whose latency covers it */
	uint64_t stalled;
	size_t queue_max;
};

static uint64_t serve(uint64_t arrive, uint64_t *server_free)
{
	uint64_t start = arrive > *server_free ? arrive : *server_free;

	if (start >= S(1) && start < S(2))
		start = S(2);
	*server_free = start + SERVICE_NS;
	return *server_free;
}

static void simulate(struct sim_result *r)
{
	static uint64_t queue[100000];
	uint64_t done_at[SIM_CONNS], intended[SIM_CONNS], sent[SIM_CONNS];
	uint64_t now = 0, server_free = 0;
	struct pacer p;

	memset(r, 0, sizeof(*r));
	hist_init(&r->corrected);
	hist_init(&r->naive);
	load("1000@3s");
	pacer_init(&p, &sched, 0, 0, 0, queue, 100000);
	for (int i = 0; i < SIM_CONNS; i++)
		done_at[i] = 0;	/* 0 = idle */

	for (;;) {
		uint64_t next = p.next_ns;

		/* connections whose answer is in complete their request */
		for (int i = 0; i < SIM_CONNS; i++) {
			if (done_at[i] && done_at[i] <= now) {
				uint64_t lat = done_at[i] - intended[i];

				hist_add(&r->corrected, lat);
				hist_add(&r->naive, done_at[i] - sent[i]);
				r->completed++;
				if (intended[i] >= S(1) && intended[i] < S(2)) {
					r->stalled++;
					r->stalled_ok += lat >= S(2) - intended[i];
				}
				done_at[i] = 0;
			}
		}
		pacer_tick(&p, now);
		for (int i = 0; i < SIM_CONNS; i++) {
			if (!done_at[i] && !pacer_take(&p, &intended[i])) {
				sent[i] = now;
				done_at[i] = serve(now, &server_free);
			}
		}
		for (int i = 0; i < SIM_CONNS; i++)
			if (done_at[i] && done_at[i] < next)
				next = done_at[i];
		if (next == UINT64_MAX)
			break;
		now = next;
	}
	r->queue_max = p.max_len;
}

static void test_coordinated_omission(void **state)
{
	struct sim_result r;
	uint64_t slow_corrected, slow_naive;

	(void)state;
	simulate(&r);
	assert_int_equal(r.completed, 3000);

	/*
	 * Every request intended during the stall waits for its end: its
	 * latency is at least (2 s - intended time). After the stall the
	 * backlog drains at 5000/s, so the i-th request of the stall (intended
	 * at 1 s + i ms) ends near 2 s + 0.2 ms * i: latency 1 s - 0.8 ms * i,
	 * over 500 ms for i < 625.
	 */
	assert_int_equal(r.stalled, 1000);
	assert_int_equal(r.stalled_ok, 1000);
	slow_corrected = r.completed - hist_count_le(&r.corrected, S(0.5));
	assert_true(slow_corrected >= 615 && slow_corrected <= 635);
	assert_true(r.corrected.max >= S(0.99));
	/* the queue held the stall's arrivals, none dropped */
	assert_true(r.queue_max >= 990);

	/*
	 * Measured from the actual send, only the few requests in flight when
	 * the stall began look slow: the coordinated-omission error.
	 */
	slow_naive = r.completed - hist_count_le(&r.naive, S(0.5));
	assert_true(slow_naive <= SIM_CONNS);
	/* and the corrected p99 shows the stall while the naive one hides it */
	assert_true(hist_quantile(&r.corrected, 0.99) > S(0.9));
	assert_true(hist_quantile(&r.naive, 0.99) < S(0.01));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_step_ramp_spike),
		cmocka_unit_test(test_poisson),
		cmocka_unit_test(test_pacer_queue),
		cmocka_unit_test(test_coordinated_omission),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
