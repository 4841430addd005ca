// SPDX-License-Identifier: GPL-2.0-only
/*
 * loadgen: the shell around the pure pieces (config, schedule, pacer, resp,
 * stats). One thread, one epoll loop, HTTP/1.1 keep-alive connections with
 * one request in flight each. Open loop: the pacer queues intended send
 * times and idle connections take them oldest first. Closed loop: a
 * connection sends its next request when the last answer is complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "core/units.h"
#include "pacer.h"
#include "resp.h"
#include "schedule.h"
#include "stats.h"

#define NS_PER_S        1000000000ull
#define RECONNECT_NS    (100ull * 1000000ull)	/* wait after a failed connect */
#define SWEEP_NS        (10ull * 1000000ull)	/* timeout checks */
#define MAX_EVENTS      256
#define READ_BUF        65536
#define BODY_FILE_MAX   (64u << 20)

enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_IDLE, CONN_BUSY };

struct conn {
	int fd;
	enum conn_state state;
	int in_idle;		/* on the idle stack */
	int want_out;		/* EPOLLOUT registered */
	uint64_t served;	/* responses on this connection */
	uint64_t retry_at;	/* CONN_DOWN: earliest reconnect */
	uint64_t intended;	/* absolute ns */
	uint64_t sent_at;
	uint64_t first_byte;	/* 0 until the first response byte */
	uint64_t last_unit;	/* when the last SSE event or chunk arrived */
	uint32_t units;		/* SSE events (or chunks) seen so far */
	size_t woff;		/* request bytes written */
	struct resp_parser rp;
};

struct loadgen {
	struct lg_config cfg;
	struct schedule sched;
	struct pacer pacer;
	char *req;
	size_t req_len;
	int head_request;
	int epfd;
	struct conn *conns;
	uint32_t *idle;		/* stack of conn indexes */
	uint32_t nidle;
	uint32_t busy;
	uint64_t start;
	uint64_t closed_sent;	/* closed loop: requests sent, for -n */
	int draining;		/* no new requests or connections */
	struct lg_window win;
	struct lg_totals tot;
	FILE *jsonl;
	struct jsonw jw;
	char rbuf[READ_BUF];
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/*
 * read() that also returns when the bytes reached the socket (SO_TIMESTAMPNS,
 * CLOCK_REALTIME, turned into CLOCK_MONOTONIC) in *rx, or now when the kernel
 * gave no timestamp. At a low rate loadgen sleeps between answers, and
 * waking up takes time of its own, on a VM most of all: timing the answer
 * at the read would add it to every latency.
 */
static ssize_t read_timed(int fd, void *buf, size_t len, uint64_t now, uint64_t *rx)
{
	char ctl[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			      .msg_controllen = sizeof(ctl) };
	struct cmsghdr *cm;
	ssize_t n = recvmsg(fd, &msg, 0);

	*rx = now;
	if (n <= 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts, real;
			uint64_t t, real_ns;

			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			clock_gettime(CLOCK_REALTIME, &real);
			t = (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
			real_ns = (uint64_t)real.tv_sec * NS_PER_S + (uint64_t)real.tv_nsec;
			/* Never in the future of now (a clock step): then keep now. */
			if (t <= real_ns && real_ns - t <= now)
				*rx = now - (real_ns - t);
		}
	}
	return n;
}

static void push_idle(struct loadgen *lg, struct conn *c)
{
	if (c->in_idle)
		return;
	c->in_idle = 1;
	lg->idle[lg->nidle++] = (uint32_t)(c - lg->conns);
}

static struct conn *pop_idle(struct loadgen *lg)
{
	while (lg->nidle) {
		struct conn *c = &lg->conns[lg->idle[--lg->nidle]];

		c->in_idle = 0;
		if (c->state == CONN_IDLE)
			return c;
	}
	return NULL;
}

static void conn_close(struct loadgen *lg, struct conn *c, uint64_t retry_at)
{
	if (c->fd >= 0) {
		/* close() drops the epoll registration too */
		close(c->fd);
		c->fd = -1;
	}
	if (c->state == CONN_BUSY)
		lg->busy--;
	c->state = CONN_DOWN;
	c->want_out = 0;
	c->served = 0;
	c->retry_at = retry_at;
}

static void conn_open(struct loadgen *lg, struct conn *c, uint64_t now);

/* Closes and, unless the run is ending, reconnects at once (a server that refuses is paced by RECONNECT_NS). */
static void conn_restart(struct loadgen *lg, struct conn *c, uint64_t now)
{
	conn_close(lg, c, now);
	if (!lg->draining)
		conn_open(lg, c, now);
}

static void conn_open(struct loadgen *lg, struct conn *c, uint64_t now)
{
	const struct lg_url *u = &lg->cfg.url;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.ptr = c };
	int one = 1;
	int fd;

	fd = socket(u->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto failed;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* Answers are timed when they reached the socket, not when we woke up to read them. */
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&u->addr, u->addrlen) && errno != EINPROGRESS) {
		close(fd);
		goto failed;
	}
	if (epoll_ctl(lg->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		close(fd);
		goto failed;
	}
	c->fd = fd;
	c->state = CONN_CONNECTING;
	c->want_out = 1;
	return;
failed:
	lg->win.n.connect_errors++;
	c->state = CONN_DOWN;
	c->retry_at = now + RECONNECT_NS;
}

static void set_want_out(struct loadgen *lg, struct conn *c, int on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c };

	if (c->want_out == on)
		return;
	epoll_ctl(lg->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = on;
}

/* A request failed without a complete response; the connection is gone. */
static void request_failed(struct loadgen *lg, struct conn *c, uint64_t now, uint64_t *counter)
{
	(*counter)++;
	lg->win.n.errors++;
	conn_restart(lg, c, now);
}

/*
 * The server closed a reused keep-alive connection before answering (its
 * idle timeout raced our send): HTTP clients retry such a request once on a
 * new connection, since the server never saw it.
 */
static int retry_request(struct loadgen *lg, struct conn *c, uint64_t now)
{
	if (c->served == 0 || c->first_byte || lg->draining)
		return 0;
	if (lg->cfg.closed) {
		lg->closed_sent--;
	} else if (pacer_unget(&lg->pacer, c->intended)) {
		return 0;
	}
	lg->win.n.retries++;
	conn_restart(lg, c, now);
	return 1;
}

static void write_request(struct loadgen *lg, struct conn *c, uint64_t now)
{
	ssize_t n = write(c->fd, lg->req + c->woff, lg->req_len - c->woff);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			set_want_out(lg, c, 1);
			return;
		}
		if (!retry_request(lg, c, now))
			request_failed(lg, c, now, &lg->win.n.transport_errors);
		return;
	}
	c->woff += (size_t)n;
	lg->win.n.bytes_out += (uint64_t)n;
	set_want_out(lg, c, c->woff < lg->req_len);
}

static void send_request(struct loadgen *lg, struct conn *c, uint64_t intended, uint64_t now)
{
	c->state = CONN_BUSY;
	lg->busy++;
	c->intended = intended;
	c->sent_at = now;
	c->first_byte = 0;
	c->units = 0;
	c->woff = 0;
	resp_init(&c->rp, lg->head_request);
	lg->win.n.sent++;
	hist_add(&lg->tot.send_lag, now - intended);
	write_request(lg, c, now);
}

static void request_done(struct loadgen *lg, struct conn *c, uint64_t now)
{
	const struct resp_parser *rp = &c->rp;

	lg->win.n.completed++;
	hist_add(&lg->win.latency, now - c->intended);
	hist_add(&lg->win.ttfb, c->first_byte - c->intended);
	hist_add(&lg->tot.service, now - c->sent_at);
	hist_add(&lg->tot.service_ttfb, c->first_byte - c->sent_at);
	if (rp->status < LG_STATUS_MAX)
		lg->tot.status[rp->status]++;
	if (rp->status >= 500)
		lg->win.n.errors++;
	if (rp->chunked || rp->sse) {
		lg->win.n.streams++;
		lg->win.n.chunks += rp->chunks;
		lg->win.n.events += rp->events;
	}
	c->served++;
	lg->busy--;
	/* An early answer (say a 413) before our body was all written leaves the connection unusable. */
	if (!rp->keep_alive || c->woff < lg->req_len) {
		c->state = CONN_DOWN;	/* busy is already counted down */
		conn_restart(lg, c, now);
		return;
	}
	c->state = CONN_IDLE;
	push_idle(lg, c);
}

/*
 * Gaps between the units of a streamed answer (SSE events, else chunks):
 * the inter-token time of an LLM stream. Units arriving in one read share
 * its time, so their gaps read 0 (they were not apart on the wire to us).
 */
static void stream_progress(struct loadgen *lg, struct conn *c, uint64_t now)
{
	uint32_t units = c->rp.sse ? c->rp.events : c->rp.chunks;

	for (; c->units < units; c->units++) {
		if (c->units)
			hist_add(&lg->tot.gap, now - c->last_unit);
		c->last_unit = now;
	}
}

static void conn_readable(struct loadgen *lg, struct conn *c)
{
	for (;;) {
		uint64_t now = now_ns(), rx;
		ssize_t n = read_timed(c->fd, lg->rbuf, sizeof(lg->rbuf), now, &rx);
		ssize_t used;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (c->state != CONN_BUSY) {
			/* A close (or stray bytes) on an idle connection: start afresh. */
			conn_restart(lg, c, now);
			return;
		}
		if (n <= 0) {
			if (n == 0 && c->first_byte && resp_eof(&c->rp) == 0) {
				c->rp.keep_alive = 0;
				request_done(lg, c, now);
			} else if (!retry_request(lg, c, now)) {
				request_failed(lg, c, now, &lg->win.n.transport_errors);
			}
			return;
		}
		lg->win.n.bytes_in += (uint64_t)n;
		/* A receive time before the send is impossible (a clock step): clamp it. */
		if (rx < c->sent_at)
			rx = c->sent_at;
		if (!c->first_byte)
			c->first_byte = rx;
		used = resp_feed(&c->rp, lg->rbuf, (size_t)n);
		if (c->rp.sse || c->rp.chunked)
			stream_progress(lg, c, rx);
		if (used < 0 || (resp_done(&c->rp) && used < n)) {
			/* Bytes after the response: we never pipeline, so they are garbage. */
			request_failed(lg, c, now, &lg->win.n.malformed);
			return;
		}
		if (resp_done(&c->rp)) {
			request_done(lg, c, rx);
			return;
		}
		if ((size_t)n < sizeof(lg->rbuf))
			return;
	}
}

static void conn_event(struct loadgen *lg, struct conn *c, uint32_t events)
{
	if (c->state == CONN_CONNECTING) {
		uint64_t now = now_ns();
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err ||
		    (events & (EPOLLERR | EPOLLHUP))) {
			lg->win.n.connect_errors++;
			conn_close(lg, c, now + RECONNECT_NS);
			return;
		}
		set_want_out(lg, c, 0);
		c->state = CONN_IDLE;
		push_idle(lg, c);
		return;
	}
	if (c->state == CONN_BUSY && (events & EPOLLOUT) && c->woff < lg->req_len)
		write_request(lg, c, now_ns());
	if (c->fd >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		conn_readable(lg, c);
}

/* Timeouts and reconnects, every SWEEP_NS. */
static void sweep(struct loadgen *lg, uint64_t now, int reconnect)
{
	for (uint32_t i = 0; i < lg->cfg.conns; i++) {
		struct conn *c = &lg->conns[i];

		if (c->state == CONN_BUSY && now - c->sent_at >= lg->cfg.timeout_ns)
			request_failed(lg, c, now, &lg->win.n.timeouts);
		else if (c->state == CONN_DOWN && reconnect && now >= c->retry_at)
			conn_open(lg, c, now);
	}
}

static void dispatch(struct loadgen *lg, uint64_t now)
{
	struct conn *c;
	uint64_t intended;

	if (lg->cfg.closed) {
		while ((!lg->cfg.count || lg->closed_sent < lg->cfg.count) && (c = pop_idle(lg))) {
			lg->closed_sent++;
			send_request(lg, c, now, now);
		}
		return;
	}
	while (lg->pacer.len && (c = pop_idle(lg))) {
		pacer_take(&lg->pacer, &intended);
		send_request(lg, c, lg->start + intended, now);
	}
}

static void emit_window(struct loadgen *lg, uint64_t t_end, double window_s)
{
	if (lg->jsonl) {
		jw_reset(&lg->jw);
		lg_window_json(&lg->jw, (double)(t_end - lg->start) / 1e9, window_s, &lg->win);
		if (!jw_finish(&lg->jw)) {
			fwrite(lg->jw.buf, 1, lg->jw.len, lg->jsonl);
			fputc('\n', lg->jsonl);
			fflush(lg->jsonl);
		}
	}
	lg_totals_add(&lg->tot, &lg->win);
	lg_window_reset(&lg->win);
}

static void print_quantiles(const char *what, const struct hist *h)
{
	const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	const char *names[] = { "p50", "p90", "p99", "p99.9" };
	char v[UNITS_LEN];

	fprintf(stderr, "  %-8s", what);
	for (size_t i = 0; i < 4; i++)
		fprintf(stderr, " %s %-9s", names[i], units_ns(hist_quantile(h, qs[i]), v, sizeof(v)));
	fprintf(stderr, " max %-9s", units_ns(h->max, v, sizeof(v)));
	fprintf(stderr, " mean %s\n", units_ns((uint64_t)hist_mean(h), v, sizeof(v)));
}

static void print_table(const struct loadgen *lg, const struct lg_run *run)
{
	const struct lg_totals *t = &lg->tot;
	char d[UNITS_LEN];

	fprintf(stderr, "loadgen: %s loop, %s, %u connections, %s%s\n", run->mode,
		units_ns((uint64_t)(run->duration_s * 1e9), d, sizeof(d)), run->connections, run->endpoint,
		run->interrupted ? " (interrupted)" : "");
	if (!lg->cfg.closed)
		fprintf(stderr, "  intended %llu (%.1f/s)", (unsigned long long)t->n.intended, run->intended_rps);
	else
		fprintf(stderr, " ");
	fprintf(stderr, "  sent %llu  completed %llu (%.1f/s)  errors %llu  timeouts %llu  dropped %llu\n",
		(unsigned long long)t->n.sent, (unsigned long long)t->n.completed,
		run->duration_s > 0 ? (double)t->n.completed / run->duration_s : 0,
		(unsigned long long)t->n.errors, (unsigned long long)t->n.timeouts,
		(unsigned long long)t->dropped);
	if (t->n.connect_errors || t->n.transport_errors || t->n.malformed)
		fprintf(stderr, "  connect errors %llu  resets/closed %llu  malformed %llu\n",
			(unsigned long long)t->n.connect_errors, (unsigned long long)t->n.transport_errors,
			(unsigned long long)t->n.malformed);
	if (t->n.completed) {
		print_quantiles("latency", &t->latency);
		print_quantiles("ttfb", &t->ttfb);
		if (!lg->cfg.closed)
			print_quantiles("send lag", &t->send_lag);
	}
	if (t->n.streams) {
		fprintf(stderr, "  streams  %llu  chunks %llu  SSE events %llu\n",
			(unsigned long long)t->n.streams, (unsigned long long)t->n.chunks,
			(unsigned long long)t->n.events);
		if (t->gap.count)
			print_quantiles("gap", &t->gap);
	}
	fprintf(stderr, "  status  ");
	for (int s = 0; s < LG_STATUS_MAX; s++)
		if (t->status[s])
			fprintf(stderr, " %d: %llu", s, (unsigned long long)t->status[s]);
	fprintf(stderr, "\n");
}

/* Reads a whole (small) file; returns 0 with a malloc'd NUL-terminated buffer, or -errno. */
static int read_file(const char *path, char **out, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int err = 0;

	if (!f)
		return -errno;
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			if (cap > BODY_FILE_MAX + 1) {
				err = -EFBIG;
				break;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				err = -EIO;
			break;
		}
	}
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	if (!buf && !(buf = malloc(1)))
		return -ENOMEM;
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

static FILE *open_output(const char *path)
{
	if (!strcmp(path, "-"))
		return stdout;
	return fopen(path, "w");
}

static int write_summary(struct loadgen *lg, const struct lg_run *run)
{
	FILE *f;
	int err = 0;

	jw_reset(&lg->jw);
	lg_summary_json(&lg->jw, run, &lg->tot);
	if (jw_finish(&lg->jw))
		return -ENOMEM;
	f = open_output(lg->cfg.summary_path);
	if (!f)
		return -errno;
	fwrite(lg->jw.buf, 1, lg->jw.len, f);
	fputc('\n', f);
	if (fflush(f))
		err = -errno;
	if (f != stdout && fclose(f) && !err)
		err = -errno;
	return err;
}

static int run(struct loadgen *lg, struct lg_run *out)
{
	const struct lg_config *cfg = &lg->cfg;
	struct epoll_event events[MAX_EVENTS];
	uint64_t now, end, window_start, window_end, next_sweep, drain_until = 0, load_end = 0;
	uint64_t dropped_seen = 0;
	int draining = 0;

	now = now_ns();
	lg->start = now;
	end = now + cfg->duration_ns;
	window_start = now;
	window_end = now + NS_PER_S;
	next_sweep = now + SWEEP_NS;
	for (uint32_t i = 0; i < cfg->conns; i++)
		conn_open(lg, &lg->conns[i], now);

	for (;;) {
		struct timespec ts;
		uint64_t wake;
		int n;

		now = now_ns();
		if (!draining) {
			int finished = cfg->closed
				? (cfg->count && lg->closed_sent >= cfg->count && !lg->busy)
				: (cfg->count && pacer_finished(&lg->pacer) && !lg->pacer.len && !lg->busy);

			if (now >= end || finished || stop_requested) {
				draining = 1;
				lg->draining = 1;
				load_end = now < end ? now : end;
				out->interrupted = stop_requested;
				/* Requests still waiting for a connection were never sent. */
				lg->win.dropped += lg->pacer.len;
				lg->pacer.len = 0;
				drain_until = now + (stop_requested ? 0 : cfg->timeout_ns);
			}
		}
		if (!draining) {
			if (!cfg->closed) {
				lg->win.n.intended += pacer_tick(&lg->pacer, now - lg->start);
				lg->win.dropped += lg->pacer.dropped - dropped_seen;
				dropped_seen = lg->pacer.dropped;
			}
			dispatch(lg, now);
		} else if (!lg->busy || now >= drain_until || stop_requested) {
			/* In flight when the run ended: counted as dropped, not as errors. */
			lg->win.dropped += lg->busy;
			break;
		}
		if (now >= next_sweep) {
			sweep(lg, now, !draining);
			next_sweep = now + SWEEP_NS;
		}
		/*
		 * The window holding the end of the load stays open through the
		 * drain, so late answers land in it rather than in a sliver of a
		 * window whose rates would mean nothing.
		 */
		if (!draining && now >= window_end && window_end < end) {
			emit_window(lg, window_end, (double)(window_end - window_start) / 1e9);
			window_start = window_end;
			window_end += NS_PER_S;
			continue;
		}

		wake = !draining && window_end < end && window_end < next_sweep ? window_end : next_sweep;
		if (!draining) {
			if (end < wake)
				wake = end;
			/*
			 * With requests already waiting for a connection, a new arrival
			 * could only join the queue: sleep until a connection frees up
			 * instead of waking per arrival (the pacer queues the arrivals,
			 * with their intended times, on the next pass).
			 */
			if (!cfg->closed && !lg->pacer.len && lg->pacer.next_ns != UINT64_MAX &&
			    lg->start + lg->pacer.next_ns < wake)
				wake = lg->start + lg->pacer.next_ns;
		} else if (drain_until < wake) {
			wake = drain_until;
		}
		/* Queued requests with an idle connection go out now, without sleeping. */
		if (!draining && lg->pacer.len && lg->nidle)
			wake = now;
		wake = wake > now ? wake - now : 0;
		ts.tv_sec = (time_t)(wake / NS_PER_S);
		ts.tv_nsec = (long)(wake % NS_PER_S);
		n = epoll_pwait2(lg->epfd, events, MAX_EVENTS, &ts, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++)
			conn_event(lg, events[i].data.ptr, events[i].events);
	}
	emit_window(lg, load_end, (double)(load_end - window_start) / 1e9);
	out->duration_s = (double)(load_end - lg->start) / 1e9;
	return 0;
}

int main(int argc, char **argv)
{
	static struct loadgen lg;	/* large: histograms and the read buffer */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESETHAND };
	char err[512], endpoint[128];
	char *file_text = NULL, *body = NULL;
	size_t file_len = 0, body_len = 0;
	struct lg_run run_info = { 0 };
	uint64_t *queue = NULL;
	int rc = 1, e;

	if (lg_config_parse(argc, argv, &lg.cfg, err, sizeof(err))) {
		fprintf(stderr, "loadgen: %s\n", err);
		return 2;
	}
	if (lg.cfg.help) {
		fputs(lg_usage(), stdout);
		return 0;
	}
	if (lg.cfg.schedule_file) {
		e = read_file(lg.cfg.schedule_file, &file_text, &file_len);
		if (e) {
			fprintf(stderr, "loadgen: cannot read schedule file %s: %s\n", lg.cfg.schedule_file, strerror(-e));
			return 2;
		}
	}
	e = lg_config_schedule(&lg.cfg, file_text, &lg.sched, err, sizeof(err));
	free(file_text);
	if (e) {
		fprintf(stderr, "loadgen: %s\n", err);
		return 2;
	}
	if (lg.cfg.body_file) {
		e = read_file(lg.cfg.body_file, &body, &body_len);
		if (e) {
			fprintf(stderr, "loadgen: cannot read --body-file %s: %s\n", lg.cfg.body_file, strerror(-e));
			return 2;
		}
	}
	e = lg_build_request(&lg.cfg, body ? body : "", body_len, &lg.req, &lg.req_len);
	free(body);
	if (e)
		goto out_oom;
	lg.head_request = !strcmp(lg.cfg.method, "HEAD");

	lg.conns = calloc(lg.cfg.conns, sizeof(*lg.conns));
	lg.idle = calloc(lg.cfg.conns, sizeof(*lg.idle));
	if (!lg.cfg.closed)
		queue = calloc(lg.cfg.queue_cap, sizeof(*queue));
	if (!lg.conns || !lg.idle || (!lg.cfg.closed && !queue))
		goto out_oom;
	for (uint32_t i = 0; i < lg.cfg.conns; i++)
		lg.conns[i].fd = -1;
	if (!lg.cfg.closed)
		pacer_init(&lg.pacer, &lg.sched, lg.cfg.poisson, lg.cfg.seed, lg.cfg.count, queue, lg.cfg.queue_cap);
	lg_window_reset(&lg.win);
	lg_totals_init(&lg.tot);
	jw_init(&lg.jw);

	if (lg.cfg.jsonl_path) {
		lg.jsonl = open_output(lg.cfg.jsonl_path);
		if (!lg.jsonl) {
			fprintf(stderr, "loadgen: cannot write --jsonl %s: %s\n", lg.cfg.jsonl_path, strerror(errno));
			goto out;
		}
	}
	lg.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (lg.epfd < 0) {
		fprintf(stderr, "loadgen: epoll_create1: %s\n", strerror(errno));
		goto out;
	}
	/*
	 * Sends wake on timers: the default 50 us slack would add up to 50 us
	 * of our own lateness to every intended-time latency at low rates.
	 */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	/* A peer that resets while we write must not kill the run. */
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	e = run(&lg, &run_info);
	if (e) {
		fprintf(stderr, "loadgen: event loop failed: %s\n", strerror(-e));
		goto out;
	}
	lg_endpoint_name(lg.cfg.method, lg.cfg.url.path, endpoint, sizeof(endpoint));
	run_info.endpoint = endpoint;
	run_info.mode = lg.cfg.closed ? "closed" : "open";
	run_info.connections = lg.cfg.conns;
	run_info.queue_max = lg.pacer.max_len;
	run_info.intended_rps = run_info.duration_s > 0 && !lg.cfg.closed
		? (double)lg.tot.n.intended / run_info.duration_s : 0;
	if (!lg.cfg.quiet)
		print_table(&lg, &run_info);
	rc = 0;
	if (lg.cfg.summary_path) {
		e = write_summary(&lg, &run_info);
		if (e) {
			fprintf(stderr, "loadgen: cannot write --summary %s: %s\n", lg.cfg.summary_path, strerror(-e));
			rc = 1;
		}
	}
	goto out;
out_oom:
	fprintf(stderr, "loadgen: out of memory\n");
out:
	for (uint32_t i = 0; lg.conns && i < lg.cfg.conns; i++)
		if (lg.conns[i].fd >= 0)
			close(lg.conns[i].fd);
	if (lg.epfd > 0)
		close(lg.epfd);
	if (lg.jsonl && lg.jsonl != stdout)
		fclose(lg.jsonl);
	jw_free(&lg.jw);
	free(lg.conns);
	free(lg.idle);
	free(queue);
	free(lg.req);
	return rc;
}
