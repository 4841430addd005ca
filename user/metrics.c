// SPDX-License-Identifier: GPL-2.0-only
/* The /metrics endpoint over libmicrohttpd, driven by a thread of its own (see metrics.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "clock.h"
#include "core/parse.h"
#include "core/scrape_conns.h"
#include "metrics.h"

/*
 * The connections the server holds at most (libmicrohttpd's limit: at it,
 * the listening socket leaves its poll set). A quarter fewer are kept open,
 * so that at the limit a quarter are closing and go on libmicrohttpd's next
 * turn, and the listening socket comes back.
 */
#define SCRAPE_CONNS METRICS_MAX_CONNS
#define SCRAPE_OPEN (METRICS_MAX_CONNS * 3 / 4)
#define SCRAPE_REQUEST_NS (2 * 1000000000ull)
/* Until a connection sends something, the kernel keeps it from us (defer_accept). */
#define SCRAPE_DEFER_S 1
/* libmicrohttpd's own timeout: a connection that makes no progress at all. */
#define SCRAPE_IDLE_S 10

struct metrics {
	struct MHD_Daemon *daemon;
	int epoll_fd;		/* libmicrohttpd's, for the serving thread's poll */
	int stop_fd;		/* eventfd: metrics_stop wakes the serving thread */
	int stopping;		/* set by metrics_stop (atomic) */
	pthread_t thread;
	int thread_started;
	/* The serving thread's alone (callbacks run in it), and metrics_stop's after the join. */
	struct scrape_conn conns[SCRAPE_CONNS];
	int conn_fd[SCRAPE_CONNS];
	struct scrape_limits limits;
	pthread_mutex_t lock;	/* the text, shared with metrics_publish */
	char *text;
	size_t len;
};

/* The table slot of an MHD connection, or NULL if it has none. */
static struct scrape_conn *conn_slot(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/*
 * Closes a connection the table picked. shutdown(), not close(): the
 * descriptor stays libmicrohttpd's, which sees the hang-up on its next turn
 * and lets the connection go (MHD_CONNECTION_NOTIFY_CLOSED).
 */
static void close_conn(struct metrics *m, size_t i)
{
	shutdown(m->conn_fd[i], SHUT_RDWR);
}

/* Closes the connections past their deadline at now_ns. */
static void expire(struct metrics *m, uint64_t now_ns)
{
	size_t idx[SCRAPE_CONNS], n, i;

	n = scrape_conns_expire(m->conns, SCRAPE_CONNS, &m->limits, now_ns, idx);
	for (i = 0; i < n; i++)
		close_conn(m, idx[i]);
}

static void on_conn(void *cls, struct MHD_Connection *conn, void **socket_context,
		    enum MHD_ConnectionNotificationCode toe)
{
	struct metrics *m = cls;
	struct scrape_conn *slot = *socket_context;
	const union MHD_ConnectionInfo *ci;
	int i, victim;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (slot) {
			m->conn_fd[slot - m->conns] = -1;
			scrape_conn_release(slot);
		}
		return;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return;
	i = scrape_conn_accept(m->conns, SCRAPE_CONNS, &m->limits, mono_ns(), &victim);
	if (i < 0) {
		/* libmicrohttpd holds no more than the table has slots: never here */
		shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	m->conn_fd[i] = ci->connect_fd;
	*socket_context = &m->conns[i];
	if (victim >= 0)
		close_conn(m, (size_t)victim);
}

/* A request ended: answered, or cut short with its connection. */
static void on_answered(void *cls, struct MHD_Connection *conn, void **req_cls,
			enum MHD_RequestTerminationCode toe)
{
	struct scrape_conn *slot = conn_slot(conn);

	(void)cls;
	(void)req_cls;
	(void)toe;
	if (slot)
		scrape_conn_answered(slot, mono_ns());
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload_data,
			     size_t *upload_size, void **req_cls)
{
	static const char not_found[] = "latgov serves /metrics only\n";
	struct metrics *m = cls;
	struct scrape_conn *slot;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int code = MHD_HTTP_OK;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)req_cls;
	slot = conn_slot(conn);
	if (slot)
		scrape_conn_request(slot);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return MHD_NO;
	if (strcmp(url, "/metrics") == 0) {
		pthread_mutex_lock(&m->lock);
		resp = MHD_create_response_from_buffer(m->len, m->text ? m->text : (char *)"",
						       MHD_RESPMEM_MUST_COPY);
		pthread_mutex_unlock(&m->lock);
		if (resp)
			MHD_add_response_header(resp, "Content-Type",
						"text/plain; version=0.0.4; charset=utf-8");
	} else {
		code = MHD_HTTP_NOT_FOUND;
		resp = MHD_create_response_from_buffer(sizeof(not_found) - 1, (void *)not_found,
						       MHD_RESPMEM_PERSISTENT);
	}
	if (!resp)
		return MHD_NO;
	ret = MHD_queue_response(conn, code, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Parses addr into ss; 0 or -EINVAL. */
static int parse_addr(const char *addr, struct sockaddr_storage *ss)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	char host[128];
	const char *port_s;
	uint16_t port;

	memset(ss, 0, sizeof(*ss));
	port_s = strrchr(addr, ':');
	if (!port_s) {
		port_s = addr;
		snprintf(host, sizeof(host), "127.0.0.1");
	} else {
		size_t hl = (size_t)(port_s - addr);

		port_s++;
		if (hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, addr, hl);
		host[hl] = 0;
		if (hl == 0)
			snprintf(host, sizeof(host), "127.0.0.1");
	}
	if (parse_port(port_s, &port) || port == 0)
		return -EINVAL;
	if (host[0] == '[') {
		size_t hl = strlen(host);

		if (hl < 3 || host[hl - 1] != ']')
			return -EINVAL;
		host[hl - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		return 0;
	}
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		return -EINVAL;
	in4->sin_family = AF_INET;
	in4->sin_port = htons(port);
	return 0;
}

/* A poll's longest wait: the serving thread checks stopping at least this often. */
#define POLL_MAX_MS 1000

/* Milliseconds until deadline_ns, rounded up so as not to wake before it, at most POLL_MAX_MS. */
static int ms_until(uint64_t deadline_ns, uint64_t now_ns)
{
	uint64_t ms;

	if (deadline_ns <= now_ns)
		return 0;
	ms = (deadline_ns - now_ns + 999999) / 1000000;
	return ms > POLL_MAX_MS ? POLL_MAX_MS : (int)ms;
}

/*
 * The serving thread: waits for libmicrohttpd's sockets, the next deadline
 * of a connection, or metrics_stop; runs libmicrohttpd a turn without
 * blocking (accepting evicts, in on_conn); closes what is past its deadline.
 */
static void *serve_loop(void *arg)
{
	struct metrics *m = arg;
	struct pollfd pfd[2] = {
		{ .fd = m->epoll_fd, .events = POLLIN },
		{ .fd = m->stop_fd, .events = POLLIN },
	};
	MHD_UNSIGNED_LONG_LONG mhd_ms;
	uint64_t now;
	int timeout;

	for (;;) {
		now = mono_ns();
		timeout = ms_until(scrape_conns_next_deadline(m->conns, SCRAPE_CONNS, &m->limits),
				   now);
		if (MHD_get_timeout(m->daemon, &mhd_ms) == MHD_YES && mhd_ms < (unsigned)timeout)
			timeout = (int)mhd_ms;
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "latgov: /metrics stops serving: poll: %s\n", strerror(errno));
			break;
		}
		if (__atomic_load_n(&m->stopping, __ATOMIC_ACQUIRE))
			break;
		MHD_run(m->daemon);
		expire(m, mono_ns());
	}
	return NULL;
}

/*
 * The kernel hands over a connection once its first bytes are in: a client
 * that sends its whole request at once, as scrapers do, is accepted with it
 * and answered on that turn, before later connections could evict it. One
 * that sends nothing is handed over after SCRAPE_DEFER_S anyway.
 * Returns 0 or -errno.
 */
static int defer_accept(struct MHD_Daemon *daemon)
{
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_LISTEN_FD);
	int secs = SCRAPE_DEFER_S;

	if (!di)
		return -EIO;
	if (setsockopt(di->listen_fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs)))
		return -errno;
	return 0;
}

/* Starts the serving thread with every signal blocked: they are the session's. */
static int start_thread(struct metrics *m)
{
	sigset_t all, old;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&m->thread, NULL, serve_loop, m);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e)
		return -e;
	m->thread_started = 1;
	return 0;
}

int metrics_start(struct metrics **out, const char *addr, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	unsigned int flags = MHD_USE_EPOLL;
	const union MHD_DaemonInfo *di;
	struct metrics *m;
	int e, i;

	if (parse_addr(addr, &ss)) {
		snprintf(err, errlen, "--metrics %s: expected HOST:PORT (e.g. 127.0.0.1:9464) or PORT",
			 addr);
		return -EINVAL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "--metrics %s: out of memory", addr);
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	m->stop_fd = -1;
	for (i = 0; i < SCRAPE_CONNS; i++)
		m->conn_fd[i] = -1;
	m->limits.open_max = SCRAPE_OPEN;
	m->limits.request_ns = SCRAPE_REQUEST_NS;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->daemon = MHD_start_daemon(flags, 0, NULL, NULL, serve, m, MHD_OPTION_SOCK_ADDR,
				     (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT,
				     (unsigned int)SCRAPE_IDLE_S, MHD_OPTION_CONNECTION_LIMIT,
				     (unsigned int)SCRAPE_CONNS, MHD_OPTION_NOTIFY_CONNECTION, on_conn,
				     m, MHD_OPTION_NOTIFY_COMPLETED, on_answered, m, MHD_OPTION_END);
	if (!m->daemon) {
		snprintf(err, errlen, "--metrics %s: cannot listen there (port in use or address not local)",
			 addr);
		e = -EADDRINUSE;
		goto err;
	}
	e = defer_accept(m->daemon);
	if (e) {
		snprintf(err, errlen, "--metrics %s: cannot set TCP_DEFER_ACCEPT on its socket (%s)", addr,
			 strerror(-e));
		goto err;
	}
	di = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	m->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!di || m->stop_fd < 0) {
		e = m->stop_fd < 0 ? -errno : -EIO;
		snprintf(err, errlen, "--metrics %s: cannot set up the server's poll (%s)", addr,
			 strerror(-e));
		goto err;
	}
	m->epoll_fd = di->epoll_fd;
	e = start_thread(m);
	if (e) {
		snprintf(err, errlen, "--metrics %s: cannot start the server's thread (%s)", addr,
			 strerror(-e));
		goto err;
	}
	*out = m;
	return 0;
err:
	metrics_stop(m);
	return e;
}

void metrics_publish(struct metrics *m, const char *text, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return;	/* keep serving the previous text */
	memcpy(copy, text, len);
	copy[len] = 0;
	pthread_mutex_lock(&m->lock);
	free(m->text);
	m->text = copy;
	m->len = len;
	pthread_mutex_unlock(&m->lock);
}

void metrics_stop(struct metrics *m)
{
	uint64_t one = 1;

	if (!m)
		return;
	if (m->thread_started) {
		__atomic_store_n(&m->stopping, 1, __ATOMIC_RELEASE);
		/* Wakes it now; were the write to fail, it sees stopping within a poll's longest wait. */
		(void)!write(m->stop_fd, &one, sizeof(one));
		pthread_join(m->thread, NULL);
	}
	/* Lets the connections still held go: the table's last callbacks, on this thread now. */
	if (m->daemon)
		MHD_stop_daemon(m->daemon);
	if (m->stop_fd >= 0)
		close(m->stop_fd);
	pthread_mutex_destroy(&m->lock);
	free(m->text);
	free(m);
}
