// SPDX-License-Identifier: GPL-2.0-only
/*
 * Drives the governor shell with scripted request windows instead of a live
 * tracing session, so the tick (read cgroup, decide, write, read back, audit)
 * can be tested on a real cgroup without the tracer:
 *
 *   govern_feed --cgroup PATH --policy FILE [--dry-run] [--log FILE] WINDOW...
 *   loadgen --jsonl - ... | govern_feed --cgroup PATH --policy FILE --stdin
 *
 * WINDOW is LATENCY_US:REQUESTS[:ERRORS]; one tick per policy interval.
 * With --stdin, each line of loadgen's per-second JSONL is one window (the
 * client-side view of the same request latencies the tracer measures), and
 * one tick follows each line as it arrives.
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

/* The number after "key": inside the object after "obj":, from one JSONL line. */
static int json_number(const char *line, const char *obj, const char *key, double *out)
{
	char pat[64];
	const char *p = line, *end;
	char *num_end;

	if (obj) {
		snprintf(pat, sizeof(pat), "\"%s\":{", obj);
		p = strstr(line, pat);
		if (!p)
			return -1;
		end = strchr(p, '}');
	} else {
		end = line + strlen(line);
	}
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(p, pat);
	if (!p || p > end)
		return -1;
	p += strlen(pat);
	*out = strtod(p, &num_end);
	return num_end == p ? -1 : 0;
}

/* loadgen's quantile key for the policy's percentile: the nearest one at or above it. */
static const char *loadgen_quantile(double percentile)
{
	return percentile <= 50 ? "p50" : percentile <= 90 ? "p90" : percentile <= 99 ? "p99" :
	       percentile <= 99.9 ? "p999" : "max";
}

static int window_from_jsonl(const char *line, const struct policy *p, struct governor_window *w)
{
	const char *obj = p->metric == POLICY_METRIC_TTFB ? "ttfb_us" : "latency_us";
	double lat, completed, errors = 0, timeouts = 0, rps = 0;

	if (json_number(line, NULL, "completed", &completed) ||
	    json_number(line, obj, loadgen_quantile(p->percentile), &lat))
		return -1;
	json_number(line, NULL, "errors", &errors);
	json_number(line, NULL, "timeouts", &timeouts);
	json_number(line, NULL, "achieved_rps", &rps);
	w->latency_us = (uint64_t)lat;
	w->requests = (uint64_t)(completed + timeouts);
	w->errors = (uint64_t)(errors + timeouts);
	w->rate = rps;
	return 0;
}

static void print_tick(struct governor *g)
{
	struct governor_status st;

	governor_status(g, &st);
	printf("tick %llu %s limit=%.3f usage=%.3f throttle=%.2f foreign=%d: %s\n",
	       (unsigned long long)st.ticks, decide_action_name(st.last_action),
	       st.cpu_limit_cores, st.cpu_usage_cores, st.throttle_ratio, st.cpu_foreign,
	       st.last_reason);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *cgroup = NULL, *policy_path = NULL, *log = NULL, *metrics = NULL;
	struct governor_status st;
	struct sigaction sa;
	struct governor *g;
	struct policy p;
	char err[1024];
	int dry = 0, from_stdin = 0, i, rc;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--cgroup") && i + 1 < argc)
			cgroup = argv[++i];
		else if (!strcmp(argv[i], "--policy") && i + 1 < argc)
			policy_path = argv[++i];
		else if (!strcmp(argv[i], "--log") && i + 1 < argc)
			log = argv[++i];
		else if (!strcmp(argv[i], "--dry-run"))
			dry = 1;
		else if (!strcmp(argv[i], "--metrics-out") && i + 1 < argc)
			metrics = argv[++i];
		else if (!strcmp(argv[i], "--stdin"))
			from_stdin = 1;
		else
			break;
	}
	if (!cgroup || !policy_path) {
		fprintf(stderr, "usage: govern_feed --cgroup PATH --policy FILE [--dry-run] [--log FILE] [--metrics-out FILE] {--stdin | LAT_US:REQS[:ERRS]...}\n");
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

	if (from_stdin) {
		char line[4096];

		/* SIGINT/SIGTERM interrupt the read (no SA_RESTART), then we restore */
		while (!stop && fgets(line, sizeof(line), stdin)) {
			struct governor_window w = { .runq_share = -1 };

			if (window_from_jsonl(line, &p, &w)) {
				fprintf(stderr, "govern_feed: not a loadgen window: %.80s\n", line);
				continue;
			}
			governor_tick(g, &w, mono_ns());
			print_tick(g);
		}
	}
	uint64_t next = 0;

	for (; !from_stdin && i < argc && !stop; i++) {
		struct governor_window w = { .runq_share = -1 };
		unsigned long long lat = 0, reqs = 0, errs = 0;
		struct timespec ts;

		if (sscanf(argv[i], "%llu:%llu:%llu", &lat, &reqs, &errs) < 2) {
			fprintf(stderr, "govern_feed: bad window '%s' (want LAT_US:REQS[:ERRS])\n", argv[i]);
			break;
		}
		/* a fixed schedule: a slow tick does not push the later ones back */
		if (!next)
			next = mono_ns();
		next += p.interval_ns;
		ts.tv_sec = next / 1000000000ull;
		ts.tv_nsec = next % 1000000000ull;
		while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		w.latency_us = lat;
		w.requests = reqs;
		w.errors = errs;
		w.rate = reqs * 1e9 / p.interval_ns;
		governor_tick(g, &w, mono_ns());
		print_tick(g);
	}
	governor_status(g, &st);
	printf("decisions hold=%llu raise=%llu lower=%llu rollback=%llu\n",
	       (unsigned long long)st.decisions[DECIDE_HOLD], (unsigned long long)st.decisions[DECIDE_RAISE],
	       (unsigned long long)st.decisions[DECIDE_LOWER],
	       (unsigned long long)st.decisions[DECIDE_ROLLBACK]);
	if (metrics) {
		struct strbuf sb;
		FILE *f = fopen(metrics, "w");

		sb_init(&sb);
		governor_prom_write(&sb, &st);
		if (!f || sb_finish(&sb) || fwrite(sb.buf, 1, sb.len, f) != sb.len)
			fprintf(stderr, "govern_feed: cannot write %s\n", metrics);
		if (f)
			fclose(f);
		sb_free(&sb);
	}
	rc = governor_close(g);
	return rc;
}
