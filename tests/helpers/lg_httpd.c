// SPDX-License-Identifier: GPL-2.0-only
/*
 * A small HTTP/1.1 server for the tracer's integration tests: keep-alive,
 * HTTP/1.0 close-delimited answers, responses of several writes, and a
 * streamed (SSE over chunked encoding) endpoint whose every chunk is exactly
 * one write, so the test knows how many writes the tracer must see.
 *
 *   lg_httpd PORT          listens on 127.0.0.1:PORT, one thread per connection
 *
 * Routes (GET):
 *   /hello           "hello\n", one write
 *   /sleep/MS        answers after MS milliseconds, one write
 *   /multi/K         a body sent in K writes (1 ms apart)
 *   /stream/N/GAP    SSE: headers + first event after GAP ms in one write, then
 *                    N-1 more events GAP ms apart, the last one carrying the
 *                    chunked terminator: N writes in all
 *   /sse/N/GAP       the same under another name
 *   /close           HTTP/1.0 style: no Content-Length, body ends at close
 *   /fail            503 Service Unavailable
 *   /work/CPU/SLEEP  burns CPU ms of the thread's CPU time (lg_burn_cpu), then
 *                    sleeps SLEEP ms (lg_sleep_blocked), then answers
 *   /handoff/CPU     another thread burns CPU ms and writes the answer (an
 *                    event loop handing work to a pool: read and write on
 *                    different threads)
 * Other paths get 404. "Connection: close" or HTTP/1.0 closes after the answer.
 * A query "?sleep=MS" on any path delays the answer by MS milliseconds (the
 * route, and so latgov's endpoint name, stays the same).
 */
/* Frame pointers: the latency flame test walks this program's user stacks. */
#pragma GCC optimize("no-omit-frame-pointer")
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/parse.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static volatile unsigned long sink;

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time, not wall time: preemption or a CPU quota stretches it, but the work is the same. */
__attribute__((noinline)) void lg_burn_cpu(long ms)
{
	double end = thread_cpu_ms() + (double)ms;

	while (thread_cpu_ms() < end)
		for (int i = 0; i < 20000; i++)
			sink += (unsigned long)i * 2654435761u;
}

/* nanosleep as a raw syscall: libc's wrapper has no frame pointer, and the walk would skip this function. */
__attribute__((noinline)) void lg_sleep_blocked(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	long ret;

	do
		__asm__ volatile("syscall"
				 : "=a"(ret)
				 : "0"(35L /* __NR_nanosleep, x86-64 */), "D"(&ts), "S"(&ts)
				 : "rcx", "r11", "memory");
	while (ret == -EINTR);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static long path_num(const char **p)
{
	long long v = 0;
	char num[24];
	size_t n = strspn(*p, "0123456789");

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, *p, n);
	num[n] = 0;
	*p += n;
	if (parse_int(num, 0, 100000, &v))
		return -1;
	return (long)v;
}

/* /handoff: the work and the answer on a thread of their own. */
struct handoff {
	int fd;
	long cpu;
	int keep;
	int ok;
};

static void *handoff_worker(void *arg)
{
	struct handoff *h = arg;
	char buf[256];
	int n;

	lg_burn_cpu(h->cpu);
	n = snprintf(buf, sizeof(buf), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: %s\r\n\r\ndone\n",
		     h->keep ? "keep-alive" : "close");
	h->ok = write_all(h->fd, buf, (size_t)n) == 0;
	return NULL;
}

/* Answers one request; returns 1 to keep the connection, 0 to close. */
static int serve(int fd, const char *path, int keep)
{
	const char *conn = keep ? "keep-alive" : "close";
	char buf[8192];
	int n;

	if (strcmp(path, "/hello") == 0) {
		n = snprintf(buf, sizeof(buf),
			     "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: %s\r\n\r\nhello\n", conn);
		return write_all(fd, buf, (size_t)n) ? 0 : keep;
	}
	if (strncmp(path, "/sleep/", 7) == 0) {
		const char *p = path + 7;
		long ms = path_num(&p);

		if (ms < 0)
			goto not_found;
		sleep_ms(ms);
		n = snprintf(buf, sizeof(buf),
			     "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: %s\r\n\r\nslept\n", conn);
		return write_all(fd, buf, (size_t)n) ? 0 : keep;
	}
	if (strncmp(path, "/multi/", 7) == 0) {
		const char *p = path + 7;
		long k = path_num(&p), i;

		if (k < 1 || k > 1000)
			goto not_found;
		n = snprintf(buf, sizeof(buf),
			     "HTTP/1.1 200 OK\r\nContent-Length: %ld\r\nConnection: %s\r\n\r\n", k * 100,
			     conn);
		memset(buf + n, 'x', 100);
		if (write_all(fd, buf, (size_t)n + 100))
			return 0;
		memset(buf, 'x', 100);
		for (i = 1; i < k; i++) {
			sleep_ms(1);
			if (write_all(fd, buf, 100))
				return 0;
		}
		return keep;
	}
	if (strncmp(path, "/stream/", 8) == 0 || strncmp(path, "/sse/", 5) == 0) {
		const char *p = path + (path[1] == 's' && path[2] == 's' ? 5 : 8);
		long count = path_num(&p), gap, i;
		char ev[128];
		int evn;

		if (count < 1 || *p++ != '/' || (gap = path_num(&p)) < 0)
			goto not_found;
		for (i = 0; i < count; i++) {
			sleep_ms(gap);
			evn = snprintf(ev, sizeof(ev), "data: token %ld\n\n", i);
			n = 0;
			if (i == 0)
				n = snprintf(buf, sizeof(buf),
					     "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\nConnection: %s\r\n\r\n",
					     conn);
			n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%x\r\n%s\r\n", evn, ev);
			if (i == count - 1)
				n += snprintf(buf + n, sizeof(buf) - (size_t)n, "0\r\n\r\n");
			if (write_all(fd, buf, (size_t)n))
				return 0;
		}
		return keep;
	}
	if (strncmp(path, "/work/", 6) == 0) {
		const char *p = path + 6;
		long cpu = path_num(&p), slp;

		if (cpu < 0 || *p++ != '/' || (slp = path_num(&p)) < 0)
			goto not_found;
		lg_burn_cpu(cpu);
		lg_sleep_blocked(slp);
		n = snprintf(buf, sizeof(buf),
			     "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: %s\r\n\r\ndone\n", conn);
		return write_all(fd, buf, (size_t)n) ? 0 : keep;
	}
	if (strncmp(path, "/handoff/", 9) == 0) {
		const char *p = path + 9;
		struct handoff h = { .fd = fd, .cpu = path_num(&p), .keep = keep };
		pthread_t th;

		if (h.cpu < 0 || pthread_create(&th, NULL, handoff_worker, &h))
			goto not_found;
		pthread_join(th, NULL);
		return h.ok ? keep : 0;
	}
	if (strcmp(path, "/fail") == 0) {
		n = snprintf(buf, sizeof(buf),
			     "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\nConnection: %s\r\n\r\nbusy\n",
			     conn);
		return write_all(fd, buf, (size_t)n) ? 0 : keep;
	}
	if (strcmp(path, "/close") == 0) {
		n = snprintf(buf, sizeof(buf), "HTTP/1.0 200 OK\r\n\r\nclosed by the server\n");
		write_all(fd, buf, (size_t)n);
		return 0;
	}
not_found:
	n = snprintf(buf, sizeof(buf),
		     "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: %s\r\n\r\n", conn);
	return write_all(fd, buf, (size_t)n) ? 0 : keep;
}

/* Strips the query from path; returns the ?sleep=MS value, or 0. */
static long query_sleep(char *path)
{
	char *q = strchr(path, '?');
	const char *p;
	long ms = 0;

	if (!q)
		return 0;
	*q = 0;
	p = strstr(q + 1, "sleep=");
	if (p) {
		p += 6;
		ms = path_num(&p);
	}
	return ms > 0 ? ms : 0;
}

static void *connection(void *arg)
{
	int fd = (int)(long)arg;
	char req[8192];
	size_t have = 0;

	for (;;) {
		char *end = NULL, *sp1, *sp2, path[1024];
		ssize_t n;
		size_t used, plen;
		int keep;

		while (!(end = memmem(req, have, "\r\n\r\n", 4))) {
			if (have == sizeof(req))
				goto done;
			n = read(fd, req + have, sizeof(req) - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				goto done;
			have += (size_t)n;
		}
		used = (size_t)(end - req) + 4;
		sp1 = memchr(req, ' ', used);
		sp2 = sp1 ? memchr(sp1 + 1, ' ', used - (size_t)(sp1 + 1 - req)) : NULL;
		if (!sp2)
			goto done;
		plen = (size_t)(sp2 - sp1 - 1);
		if (plen >= sizeof(path))
			goto done;
		memcpy(path, sp1 + 1, plen);
		path[plen] = 0;
		keep = memmem(req, used, "HTTP/1.1", 8) && !memmem(req, used, "onnection: close", 16);
		memmove(req, req + used, have - used);
		have -= used;
		sleep_ms(query_sleep(path));
		if (!serve(fd, path, keep))
			goto done;
	}
done:
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint16_t port;
	int lfd, one = 1;

	if (argc != 2 || parse_port(argv[1], &port)) {
		fprintf(stderr, "usage: lg_httpd PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 128)) {
		fprintf(stderr, "lg_httpd: cannot listen on 127.0.0.1:%u: %s\n", port, strerror(errno));
		return 1;
	}
	for (;;) {
		pthread_t th;
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return 1;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&th, NULL, connection, (void *)(long)fd)) {
			close(fd);
			continue;
		}
		pthread_detach(th);
	}
}
