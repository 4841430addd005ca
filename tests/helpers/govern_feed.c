// SPDX-License-Identifier: GPL-2.0-only
/*
 * Drives the governor shell with scripted request windows instead of a live
 * tracing session, so the tick (read cgroup, decide, write, read back, audit)
 * can be tested on a real cgroup without the tracer:
 *
 *   govern_feed --cgroup PATH --policy FILE [--dry-run] [--log FILE] WINDOW...
 *
 * WINDOW is LATENCY_US:REQUESTS[:ERRORS]. One tick per policy interval.
 * Prints one line per tick; restores on exit, SIGINT and SIGTERM.
 *
 * Helpers link only libcore.a, so the shell sources it needs are compiled in
 * here directly.
 */
#include "../../user/governor.c"
#include "../../user/io/cgroup.c"
#include "../../user/io/statefile.c"

#include <signal.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

int main(int argc, char **argv)
{
	const char *cgroup = NULL, *policy_path = NULL, *log = NULL;
	struct governor_status st;
	struct sigaction sa;
	struct governor *g;
	struct policy p;
	char err[1024];
	int dry = 0, i, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--cgroup") && i + 1 < argc)
			cgroup = argv[++i];
		else if (!strcmp(argv[i], "--policy") && i + 1 < argc)
			policy_path = argv[++i];
		else if (!strcmp(argv[i], "--log") && i + 1 < argc)
			log = argv[++i];
		else if (!strcmp(argv[i], "--dry-run"))
			dry = 1;
		else
			break;
	}
	if (!cgroup || !policy_path) {
		fprintf(stderr, "usage: govern_feed --cgroup PATH --policy FILE [--dry-run] [--log FILE] LAT_US:REQS[:ERRS]...\n");
		return 2;
	}
	if (governor_load_policy(policy_path, &p, err, sizeof(err))) {
		fprintf(stderr, "govern_feed: %s\n", err);
		return 2;
	}
	if (governor_open(&g, &p, cgroup, dry, log, err, sizeof(err))) {
		fprintf(stderr, "govern_feed: %s\n", err);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (; i < argc && !stop; i++) {
		struct governor_window w = { .runq_share = -1 };
		unsigned long long lat = 0, reqs = 0, errs = 0;
		struct timespec ts;
		uint64_t next;

		if (sscanf(argv[i], "%llu:%llu:%llu", &lat, &reqs, &errs) < 2) {
			fprintf(stderr, "govern_feed: bad window '%s' (want LAT_US:REQS[:ERRS])\n", argv[i]);
			break;
		}
		next = mono_ns() + p.interval_ns;
		ts.tv_sec = next / 1000000000ull;
		ts.tv_nsec = next % 1000000000ull;
		while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		w.latency_us = lat;
		w.requests = reqs;
		w.errors = errs;
		w.rate = reqs * 1e9 / p.interval_ns;
		governor_tick(g, &w, mono_ns());
		governor_status(g, &st);
		printf("tick %llu %s limit=%.3f usage=%.3f throttle=%.2f foreign=%d: %s\n",
		       (unsigned long long)st.ticks, decide_action_name(st.last_action),
		       st.cpu_limit_cores, st.cpu_usage_cores, st.throttle_ratio, st.cpu_foreign,
		       st.last_reason);
		fflush(stdout);
	}
	governor_status(g, &st);
	printf("decisions hold=%llu raise=%llu lower=%llu rollback=%llu\n",
	       (unsigned long long)st.decisions[DECIDE_HOLD], (unsigned long long)st.decisions[DECIDE_RAISE],
	       (unsigned long long)st.decisions[DECIDE_LOWER],
	       (unsigned long long)st.decisions[DECIDE_ROLLBACK]);
	rc = governor_close(g);
	return rc;
}
