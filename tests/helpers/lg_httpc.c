// SPDX-License-Identifier: GPL-2.0-only
/*
 * An HTTP/1.x client for the tracer's integration tests. It sends a known
 * number of requests, measures each one itself (send to last byte, and to
 * first byte) and prints JSON the test compares with latgov's summary:
 *
 *   lg_httpc PORT COUNT PATH[,PATH...] [--new] [--http10] [--hold] [--linger MS]
 *            [--pipeline K]
 *
 *   default   one keep-alive connection for all requests
 *   --new     a new connection per request ("Connection: close")
 *   --http10  HTTP/1.0 requests (the server closes after each answer)
 *   --hold    connect and send one warm-up request first, print "ready" on
 *             stderr, wait for a line on stdin, then send COUNT requests on
 *             the same connection (a connection older than the tracer)
 *   --linger MS  keep the last connection open, idle, MS ms before closing it
 *   --pipeline K send K requests in one write, then read the K answers (each
 *             request's latency runs from that write to its own answer)
 *   --abort MS   send each request on a new connection, wait MS ms, then reset
 *             the connection (SO_LINGER 0) without reading the answer
 *
 * Paths are used in turn. Output: {"requests":N,"latency_us":{p50,p90,p99,
 * max,mean},"ttfb_us":{...},"events_last":E} where events_last counts SSE
 * "data:" lines in the last response. Quantiles are exact (nearest rank).
 * A response's time is the kernel's receive time of its last bytes (see now_ns).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/parse.h"

#define MAX_PATHS 64

/*
 * Times are CLOCK_REALTIME because the kernel's receive timestamps
 * (SO_TIMESTAMPNS) are: a response is timed when its bytes reached this
 * socket, not when this process got the CPU back to read them. On a busy
 * machine that wake-up can take milliseconds, which no server-side
 * measurement can (or should) see.
 */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* read() that also returns the kernel's receive time of the data (or now). */
static ssize_t read_stamped(int fd, char *buf, size_t len, uint64_t *rx_ns)
{
	char control[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(fd, &msg, 0);

	*rx_ns = now_ns();
	if (n <= 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			*rx_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		}
	}
	return n;
}

static int dial(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "lg_httpc: connect to 127.0.0.1:%u: %s\n", port, strerror(errno));
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	return fd;
}

struct response {
	uint64_t ttfb_ns;
	uint64_t total_ns;
	int events;
	int closed;	/* the server closed the connection */
};

static int count_events(const char *buf, size_t len)
{
	int n = 0;
	const char *p = buf, *end = buf + len;

	while ((p = memmem(p, (size_t)(end - p), "data:", 5))) {
		n++;
		p += 5;
	}
	return n;
}

/* Bytes read from the connection and not yet consumed by a response. */
static char rbuf[1 << 22];
static size_t rhave;
static uint64_t rx_last;	/* receive time of the last bytes read */

/* Reads one whole response (after a request sent at t0). Returns 0 or -1. */
static int read_response(int fd, uint64_t t0, struct response *r)
{
	size_t body_start = 0, consumed = 0;
	long long clen = -1;
	int chunked = 0;
	uint64_t rx_ns = 0;

	memset(r, 0, sizeof(*r));
	if (rhave) {
		r->ttfb_ns = rx_last - t0;	/* already here (pipelined) */
		rx_ns = rx_last;
	}
	for (;;) {
		ssize_t got;

		rbuf[rhave] = 0;
		if (!body_start) {
			char *end = memmem(rbuf, rhave, "\r\n\r\n", 4), *h;

			if (end) {
				body_start = (size_t)(end - rbuf) + 4;
				*end = 0;	/* bound the header searches */
				h = strcasestr(rbuf, "\r\ncontent-length:");
				if (h) {
					char num[24];
					size_t l;

					h += 17;
					h += strspn(h, " ");
					l = strspn(h, "0123456789");
					if (l == 0 || l >= sizeof(num))
						return -1;
					memcpy(num, h, l);
					num[l] = 0;
					if (parse_int(num, 0, sizeof(rbuf) - 1, &clen))
						return -1;
				}
				chunked = strcasestr(rbuf, "\r\ntransfer-encoding: chunked") != NULL;
				*end = '\r';
			}
		}
		if (body_start && clen >= 0 && rhave - body_start >= (size_t)clen) {
			consumed = body_start + (size_t)clen;
			break;
		}
		if (body_start && chunked) {
			char *t = memmem(rbuf + body_start - 2, rhave - body_start + 2, "\r\n0\r\n\r\n", 7);

			if (t) {
				consumed = (size_t)(t - rbuf) + 7;
				break;
			}
		}
		if (rhave >= sizeof(rbuf) - 1)
			return -1;
		got = read_stamped(fd, rbuf + rhave, sizeof(rbuf) - rhave - 1, &rx_ns);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -1;
		if (got == 0) {
			r->closed = 1;
			if (!body_start || clen >= 0 || chunked)
				return -1;
			consumed = rhave;	/* close-delimited body */
			break;
		}
		if (!r->ttfb_ns)
			r->ttfb_ns = rx_ns - t0;
		rx_last = rx_ns;
		rhave += (size_t)got;
	}
	r->total_ns = rx_ns - t0;
	r->events = count_events(rbuf + body_start, consumed - body_start);
	memmove(rbuf, rbuf + consumed, rhave - consumed);
	rhave -= consumed;
	return 0;
}

/* Sends batch requests in one write and reads their responses. Returns 0 or -1. */
static int exchange(int fd, char **paths, int npaths, int first, int batch, int http10,
		    int close_it, struct response *r)
{
	char req[8192];
	int n = 0, i;
	uint64_t t0;

	for (i = 0; i < batch; i++)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "GET %s HTTP/1.%d\r\nHost: 127.0.0.1\r\n%s\r\n",
			      paths[(first + i) % npaths], http10 ? 0 : 1,
			      close_it && !http10 ? "Connection: close\r\n" : "");
	if (n >= (int)sizeof(req))
		return -1;
	t0 = now_ns();
	if (write(fd, req, (size_t)n) != n)
		return -1;
	for (i = 0; i < batch; i++)
		if (read_response(fd, t0, &r[i]))
			return -1;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double quantile_us(const uint64_t *sorted, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n);

	if (rank < 1)
		rank = 1;
	return (double)sorted[rank - 1] / 1000.0;
}

static void print_stats(const char *key, uint64_t *v, size_t n)
{
	double sum = 0;
	size_t i;

	qsort(v, n, sizeof(*v), cmp_u64);
	for (i = 0; i < n; i++)
		sum += (double)v[i];
	printf("\"%s\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"max\":%.1f,\"mean\":%.1f}", key,
	       quantile_us(v, n, 0.50), quantile_us(v, n, 0.90), quantile_us(v, n, 0.99),
	       (double)v[n - 1] / 1000.0, sum / (double)n / 1000.0);
}

int main(int argc, char **argv)
{
	char *paths[MAX_PATHS], *save = NULL, *tok;
	int npaths = 0, new_conn = 0, http10 = 0, hold = 0, fd = -1, i, j;
	long long linger_ms = 0, batch = 1, abort_ms = -1;
	struct response rs[64];
	uint64_t *lat, *ttfb;
	struct response r;
	long long count;
	uint16_t port;

	if (argc < 4 || parse_port(argv[1], &port) || parse_int(argv[2], 1, 10000000, &count)) {
		fprintf(stderr, "usage: lg_httpc PORT COUNT PATH[,PATH...] [--new] [--http10] [--hold] [--linger MS] [--pipeline K] [--abort MS]\n");
		return 2;
	}
	for (tok = strtok_r(argv[3], ",", &save); tok && npaths < MAX_PATHS;
	     tok = strtok_r(NULL, ",", &save))
		paths[npaths++] = tok;
	for (i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--new") == 0)
			new_conn = 1;
		else if (strcmp(argv[i], "--http10") == 0)
			http10 = new_conn = 1;
		else if (strcmp(argv[i], "--hold") == 0)
			hold = 1;
		else if (strcmp(argv[i], "--linger") == 0 && i + 1 < argc &&
			 parse_int(argv[i + 1], 0, 60000, &linger_ms) == 0)
			i++;
		else if (strcmp(argv[i], "--abort") == 0 && i + 1 < argc &&
			 parse_int(argv[i + 1], 0, 60000, &abort_ms) == 0)
			i++;
		else if (strcmp(argv[i], "--pipeline") == 0 && i + 1 < argc &&
			 parse_int(argv[i + 1], 1, 64, &batch) == 0)
			i++;
		else {
			fprintf(stderr, "lg_httpc: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	lat = calloc((size_t)count, sizeof(*lat));
	ttfb = calloc((size_t)count, sizeof(*ttfb));
	if (!lat || !ttfb)
		return 1;
	if (hold) {
		char line[16];

		fd = dial(port);
		if (exchange(fd, paths, npaths, 0, 1, 0, 0, &r)) {
			fprintf(stderr, "lg_httpc: warm-up request failed\n");
			return 1;
		}
		fprintf(stderr, "ready\n");
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	if (abort_ms >= 0) {
		for (i = 0; i < count; i++) {
			struct linger lg = { 1, 0 };
			struct timespec ts = { abort_ms / 1000, (abort_ms % 1000) * 1000000L };
			char req[256];
			int n;

			fd = dial(port);
			n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
				     paths[i % npaths]);
			if (write(fd, req, (size_t)n) != n)
				return 1;
			while (nanosleep(&ts, &ts) && errno == EINTR)
				;
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fd);
		}
		printf("{\"requests\":%lld,\"aborted\":%lld}\n", count, count);
		free(lat);
		free(ttfb);
		return 0;
	}
	if (count % batch) {
		fprintf(stderr, "lg_httpc: COUNT must be a multiple of --pipeline\n");
		return 2;
	}
	for (i = 0; i < count; i += (int)batch) {
		if (fd < 0)
			fd = dial(port);
		if (exchange(fd, paths, npaths, i, (int)batch, http10, new_conn, rs)) {
			fprintf(stderr, "lg_httpc: request %d (%s) failed\n", i + 1, paths[i % npaths]);
			return 1;
		}
		for (j = 0; j < batch; j++) {
			lat[i + j] = rs[j].total_ns;
			ttfb[i + j] = rs[j].ttfb_ns;
		}
		r = rs[batch - 1];
		if (new_conn || r.closed) {
			close(fd);
			fd = -1;
			rhave = 0;
		}
	}
	if (fd >= 0) {
		struct timespec ts = { linger_ms / 1000, (linger_ms % 1000) * 1000000L };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		close(fd);
	}
	printf("{\"requests\":%lld,", count);
	print_stats("latency_us", lat, (size_t)count);
	putchar(',');
	print_stats("ttfb_us", ttfb, (size_t)count);
	printf(",\"events_last\":%d}\n", r.events);
	free(lat);
	free(ttfb);
	return 0;
}
