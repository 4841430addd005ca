/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The open-loop rate schedule and the arrival times it implies. Pure: no
 * clock, no I/O; times are nanoseconds from the start of the run.
 *
 * A schedule is a list of segments; each holds a rate that moves linearly
 * from rate_from to rate_to over its length (equal for a constant step).
 *
 * Text forms (also in loadgen --help):
 *   500                          constant 500 req/s for the run's -d
 *   500@30s                      constant 500 req/s for 30 s
 *   100-1000@30s                 linear ramp from 100 to 1000 req/s over 30 s
 *   100@10s,400@20s,100@10s      segments run one after another
 *   const:500@30s  step:...  ramp:...   the same, with the kind checked
 *   spike:base=100,peak=1000,at=10s,for=2s,total=30s
 *                                base rate, a burst at `at` lasting `for`
 * A schedule file holds one of these per line, run in order; '#' starts a
 * comment, blank lines are skipped.
 */
#ifndef LOADGEN_SCHEDULE_H
#define LOADGEN_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

#define SCHED_MAX_SEGMENTS 256
#define SCHED_MAX_RATE     10e6	/* req/s; far above what one machine sends */

struct sched_segment {
	double rate_from;	/* req/s at the segment's start */
	double rate_to;		/* req/s at its end */
	uint64_t len_ns;
};

struct schedule {
	struct sched_segment seg[SCHED_MAX_SEGMENTS];
	size_t nseg;
};

/* Where a parse failed: 1-based line and column, and what was wrong. */
struct sched_error {
	int line;
	int col;
	char msg[128];
};

/*
 * Appends the segments of one schedule text (one line of a file, or the
 * --schedule argument) to s. default_len_ns is the length of a bare rate
 * without "@DURATION" (the run's -d); 0 makes a bare rate an error.
 * Returns 0, or -EINVAL with err filled (line is set to `line`).
 */
int sched_parse(struct schedule *s, const char *text, int line,
		uint64_t default_len_ns, struct sched_error *err);

/*
 * Parses a whole schedule file's text: one schedule per line, '#' comments.
 * Returns 0, or -EINVAL with err's line and column set. An empty file is an
 * error (nothing to run).
 */
int sched_parse_file_text(struct schedule *s, const char *text, struct sched_error *err);

/* Total length of the schedule in ns. */
uint64_t sched_length(const struct schedule *s);

/* Rate in req/s at time t (0 after the end). */
double sched_rate_at(const struct schedule *s, uint64_t t_ns);

/* Expected number of arrivals in [0, t): the integral of the rate. */
double sched_expected(const struct schedule *s, uint64_t t_ns);

/* Keeps only the first len_ns of the schedule. */
void sched_truncate(struct schedule *s, uint64_t len_ns);

/*
 * Arrival times. Deterministic arrivals put the k-th request where the
 * integral of the rate reaches k (k = 0, 1, ...), so a constant rate R for
 * T seconds gives exactly R*T requests, evenly spaced. Poisson arrivals
 * replace the unit steps with exponential ones of mean 1 (time rescaling of
 * a non-homogeneous Poisson process), drawn from a seeded generator so a run
 * can be repeated.
 */
struct arrivals {
	const struct schedule *s;
	size_t seg;		/* current segment */
	uint64_t seg_start_ns;
	double x;		/* arrivals' integral target, relative to seg start */
	int poisson;
	uint64_t rng;		/* splitmix64 state */
};

void arrivals_init(struct arrivals *a, const struct schedule *s, int poisson, uint64_t seed);

/* Next intended send time into *t_ns; returns 0, or -ENODATA after the schedule's end. */
int arrivals_next(struct arrivals *a, uint64_t *t_ns);

#endif
