// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replay benchmark for the aggregator (for `make bench`, not a test): feeds N
 * synthetic request records through agg_add, rolling windows as their time
 * passes, and prints records per second on one core.
 *
 *   agg_bench [N]     default N = 5000000
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/agg.h"
#include "core/parse.h"
#include "latgov/abi.h"

/* A realistic mix: IDs to template, a query string, a non-HTTP protocol. */
static const char *const lines[] = {
	"GET /api/v1/users/%u HTTP/1.1\r\nHost: localhost\r\n",
	"GET /api/v1/users/%u/orders?page=2 HTTP/1.1\r\nHost: localhost\r\n",
	"POST /v1/infer HTTP/1.1\r\nHost: localhost\r\nContent-Length: %u\r\n",
	"GET /static/%08x/app.js HTTP/1.1\r\nHost: localhost\r\n",
	"GET /healthz HTTP/1.1\r\nHost: localhost\r\n",
	"\x01\x02\x03 binary %u",
};
#define NLINES (sizeof(lines) / sizeof(lines[0]))
#define NRECORDS 4096	/* distinct records, replayed with moving times */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const uint64_t start = 1000000000ull, step = 500;	/* 2 M requests per simulated second */
	struct agg_config cfg = { .start_ns = start };
	struct lg_request *recs;
	long long n = 5000000;
	uint64_t t = start;
	struct agg *a;
	double t0, dt;
	int err;

	if (argc > 1 && (err = parse_int(argv[1], 1, 1000000000, &n))) {
		fprintf(stderr, "agg_bench: record count \"%s\": %s; give a number from 1 to 1e9\n",
			argv[1], strerror(-err));
		return 2;
	}
	recs = calloc(NRECORDS, sizeof(*recs));
	a = agg_new(&cfg);
	if (!recs || !a) {
		fprintf(stderr, "agg_bench: out of memory\n");
		return 1;
	}
	for (unsigned int i = 0; i < NRECORDS; i++) {
		struct lg_request *r = &recs[i];
		char buf[LG_REQ_PREFIX + 1];
		int len = snprintf(buf, sizeof(buf), lines[i % NLINES], i * 7919u);

		r->type = LG_REC_REQUEST;
		r->role = LG_ROLE_SERVER;
		r->lport = 8080;
		r->req_len = (uint8_t)(len < LG_REQ_PREFIX ? len : LG_REQ_PREFIX);
		memcpy(r->req_prefix, buf, r->req_len);
		memcpy(r->resp_prefix, i % 53 ? "HTTP/1.1 200 OK\r" : "HTTP/1.1 503 Srv", LG_RESP_PREFIX);
		r->resp_len = LG_RESP_PREFIX;
		r->bytes_in = 200;
		r->bytes_out = 1000 + i;
		r->resp_writes = i % 17 ? 1 : 8;
		r->max_gap_ns = 1000000;
		r->flags = i % 2 ? LG_REQ_F_SCHED : 0;
		r->oncpu_ns = 300000;
		r->runq_ns = 20000 + i;
		r->blocked_ns = 100000;
	}

	t0 = now_s();
	for (long long i = 0; i < n; i++) {
		struct lg_request *r = &recs[i % NRECORDS];
		uint64_t lat = 100000 + (uint64_t)(i % 1000) * 1000;

		t += step;
		r->t_arrival_ns = t - lat;
		r->t_read_ns = t - lat + 1000;
		r->t_first_resp_ns = t - lat / 2;
		r->t_last_resp_ns = t;
		agg_add(a, r);
		if ((i & 4095) == 0)
			agg_roll(a, t > start + 250000000ull ? t - 250000000ull : 0);
	}
	agg_roll(a, t + 2000000000ull);
	dt = now_s() - t0;
	printf("agg_add: %lld records in %.3f s = %.2f M records/s (%zu endpoints, %" PRIu64 " windows)\n",
	       n, dt, (double)n / dt / 1e6, agg_endpoint_count(a), agg_windows_closed(a));
	agg_free(a);
	free(recs);
	return 0;
}
