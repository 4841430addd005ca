// SPDX-License-Identifier: GPL-2.0-only
/*
 * demo-infer: an HTTP/1.1 inference service on libmicrohttpd, the workload of
 * "make demo". This file is the shell: options, the daemon, signals, clocks.
 * The model, request rules and SSE framing are in the library beside it.
 *
 *   POST /v1/infer     {"input":[64 numbers]}       -> {"output":[...],"argmax":N}
 *   POST /v1/generate  {"prompt":[ids],"tokens":N}  -> text/event-stream, one forward pass per token
 *   GET  /healthz      -> {"status":"ok"}
 *   GET  /metrics      -> request counters, Prometheus text format
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jsonw.h"
#include "core/parse.h"
#include "model.h"
#include "request.h"
#include "sse.h"

#define N_ROUTES 5		/* enum demo_route values */
#define N_CLASSES 6		/* status / 100 */

struct server {
	struct demo_model model;
	/* Counters for /metrics, updated with atomics from every pool thread. */
	uint64_t responses[N_ROUTES][N_CLASSES];
	uint64_t forward_passes;
	uint64_t tokens;
};

/* One HTTP request, from its first header to the end of its response. */
struct request {
	enum demo_route route;
	int status;		/* 0, or the 404/405 demo_route() chose */
	const char *allow;
	char *body;
	size_t len;
	int too_large;
};

/* The state of one /v1/generate stream between calls of stream_read(). */
struct stream {
	struct server *srv;
	struct demo_gen gen;
	uint32_t tokens, index;
	int done;
	float *scratch;
	char event[DEMO_SSE_EVENT_MAX];
	size_t len, off;
};

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void count(struct server *srv, enum demo_route route, unsigned status)
{
	__atomic_fetch_add(&srv->responses[route][status / 100 % N_CLASSES], 1, __ATOMIC_RELAXED);
}

static enum MHD_Result queue(struct server *srv, struct request *r,
			     struct MHD_Connection *conn, unsigned status,
			     const char *type, const char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED && r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	count(srv, r->route, status);
	return ret;
}

static enum MHD_Result queue_json(struct server *srv, struct request *r,
				  struct MHD_Connection *conn, unsigned status,
				  struct jsonw *jw)
{
	enum MHD_Result ret;

	jw_raw(jw, "\n");
	if (jw_finish(jw)) {
		jw_free(jw);
		return MHD_NO;
	}
	ret = queue(srv, r, conn, status, "application/json", jw->buf, jw->len);
	jw_free(jw);
	return ret;
}

static enum MHD_Result queue_error(struct server *srv, struct request *r,
				   struct MHD_Connection *conn, unsigned status,
				   const char *message)
{
	struct jsonw jw;

	jw_init(&jw);
	demo_write_error(&jw, (int)status, message);
	return queue_json(srv, r, conn, status, &jw);
}

static enum MHD_Result serve_infer(struct server *srv, struct request *r,
				   struct MHD_Connection *conn)
{
	const struct demo_model *m = &srv->model;
	float input[DEMO_MAX_DIM];
	char err[DEMO_ERR_LEN];
	struct jsonw jw;
	float *scratch;

	if (demo_parse_infer(r->body ? r->body : "", r->len, m->dim, input, err))
		return queue_error(srv, r, conn, MHD_HTTP_BAD_REQUEST, err);
	scratch = malloc(demo_model_scratch_len(m) * sizeof(float));
	if (!scratch)
		return queue_error(srv, r, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	demo_forward(m, input, input, scratch);
	free(scratch);
	__atomic_fetch_add(&srv->forward_passes, 1, __ATOMIC_RELAXED);
	jw_init(&jw);
	demo_write_infer(&jw, input, m->dim);
	return queue_json(srv, r, conn, MHD_HTTP_OK, &jw);
}

/*
 * MHD calls this whenever the socket can take more of the stream. Each call
 * hands over at most one event and each event costs one forward pass, so a
 * token goes out as its own chunk as soon as it exists, never held back for
 * the rest.
 */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n;
	int len;

	(void)pos;
	if (s->off == s->len) {
		if (s->index < s->tokens) {
			uint32_t token;

			demo_gen_next(&s->srv->model, &s->gen, s->scratch, &token);
			__atomic_fetch_add(&s->srv->forward_passes, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&s->srv->tokens, 1, __ATOMIC_RELAXED);
			len = demo_sse_token(s->event, sizeof(s->event), s->index++, token,
					     now_ns(CLOCK_MONOTONIC));
		} else if (!s->done) {
			len = demo_sse_done(s->event, sizeof(s->event));
			s->done = 1;
		} else {
			return MHD_CONTENT_READER_END_OF_STREAM;
		}
		if (len < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		s->len = (size_t)len;
		s->off = 0;
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->event + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	free(s->scratch);
	free(s);
}

static enum MHD_Result serve_generate(struct server *srv, struct request *r,
				      struct MHD_Connection *conn)
{
	struct demo_gen_request *req;
	struct MHD_Response *resp;
	struct stream *s;
	char err[DEMO_ERR_LEN];
	enum MHD_Result ret;

	req = malloc(sizeof(*req));
	if (!req)
		return queue_error(srv, r, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	if (demo_parse_generate(r->body ? r->body : "", r->len, srv->model.vocab, req, err)) {
		free(req);
		return queue_error(srv, r, conn, MHD_HTTP_BAD_REQUEST, err);
	}
	s = calloc(1, sizeof(*s));
	if (s)
		s->scratch = malloc(demo_model_scratch_len(&srv->model) * sizeof(float));
	if (!s || !s->scratch) {
		free(req);
		if (s)
			stream_free(s);
		return queue_error(srv, r, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	s->srv = srv;
	s->tokens = req->tokens;
	/* The prompt was checked against the vocabulary, so this cannot fail. */
	demo_gen_start(&srv->model, &s->gen, req->prompt, req->prompt_len);
	free(req);

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, DEMO_SSE_EVENT_MAX,
						 stream_read, s, stream_free);
	if (!resp) {
		stream_free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	count(srv, r->route, MHD_HTTP_OK);
	return ret;
}

static enum MHD_Result serve_metrics(struct server *srv, struct request *r,
				     struct MHD_Connection *conn)
{
	char text[4096];
	size_t at = 0;

	at += (size_t)snprintf(text + at, sizeof(text) - at,
			       "# TYPE demo_responses_total counter\n");
	for (int route = 1; route < N_ROUTES; route++)
		for (int cls = 2; cls < N_CLASSES; cls += cls == 2 ? 2 : 1)	/* 2xx, 4xx, 5xx */
			at += (size_t)snprintf(text + at, sizeof(text) - at,
					       "demo_responses_total{route=\"%s\",code=\"%dxx\"} %llu\n",
					       demo_route_name((enum demo_route)route), cls,
					       (unsigned long long)__atomic_load_n(
						       &srv->responses[route][cls], __ATOMIC_RELAXED));
	at += (size_t)snprintf(text + at, sizeof(text) - at,
			       "# TYPE demo_forward_passes_total counter\n"
			       "demo_forward_passes_total %llu\n"
			       "# TYPE demo_tokens_total counter\n"
			       "demo_tokens_total %llu\n",
			       (unsigned long long)__atomic_load_n(&srv->forward_passes, __ATOMIC_RELAXED),
			       (unsigned long long)__atomic_load_n(&srv->tokens, __ATOMIC_RELAXED));
	return queue(srv, r, conn, MHD_HTTP_OK, "text/plain; version=0.0.4", text, at);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct server *srv = cls;
	struct request *r = *con_cls;

	(void)version;
	if (!r) {
		/* Headers are in: route now, take the body in the calls that follow. */
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->status = demo_route(method, url, &r->route, &r->allow);
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->status == 0 && !r->too_large) {
			if (r->len + *upload_size > DEMO_MAX_BODY) {
				/* Read the rest and drop it, so the client gets its 413. */
				r->too_large = 1;
			} else {
				char *grown = realloc(r->body, r->len + *upload_size + 1);

				if (!grown)
					return MHD_NO;
				memcpy(grown + r->len, upload_data, *upload_size);
				r->body = grown;
				r->len += *upload_size;
				r->body[r->len] = 0;
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}

	if (r->status == 404)
		return queue_error(srv, r, conn, MHD_HTTP_NOT_FOUND,
				   "no such endpoint: use POST /v1/infer, POST /v1/generate or GET /healthz");
	if (r->status == 405) {
		char msg[DEMO_ERR_LEN];

		snprintf(msg, sizeof(msg), "method %s not allowed on %s: use %s", method, url, r->allow);
		return queue_error(srv, r, conn, MHD_HTTP_METHOD_NOT_ALLOWED, msg);
	}
	if (r->too_large) {
		char msg[DEMO_ERR_LEN];

		snprintf(msg, sizeof(msg), "body larger than %d bytes", DEMO_MAX_BODY);
		return queue_error(srv, r, conn, MHD_HTTP_CONTENT_TOO_LARGE, msg);
	}
	switch (r->route) {
	case DEMO_ROUTE_INFER:
		return serve_infer(srv, r, conn);
	case DEMO_ROUTE_GENERATE:
		return serve_generate(srv, r, conn);
	case DEMO_ROUTE_HEALTH: {
		static const char ok[] = "{\"status\":\"ok\"}\n";

		return queue(srv, r, conn, MHD_HTTP_OK, "application/json", ok, sizeof(ok) - 1);
	}
	case DEMO_ROUTE_METRICS:
		return serve_metrics(srv, r, conn);
	default:
		return MHD_NO;
	}
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request *r = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
}

/* CPU time of one forward pass, measured on this machine at start-up. */
static double measure_forward_ms(const struct demo_model *m)
{
	float *scratch = malloc(demo_model_scratch_len(m) * sizeof(float));
	float x[DEMO_MAX_DIM];
	uint64_t start, spent;
	unsigned n = 0;

	if (!scratch)
		return 0;
	for (uint32_t i = 0; i < m->dim; i++)
		x[i] = (float)i / (float)m->dim;
	demo_forward(m, x, x, scratch);	/* warm the caches */
	start = now_ns(CLOCK_THREAD_CPUTIME_ID);
	/* At least 5 passes, and about 50 ms, so the figure is stable but start-up stays quick. */
	do {
		demo_forward(m, x, x, scratch);
		n++;
		spent = now_ns(CLOCK_THREAD_CPUTIME_ID) - start;
	} while (n < 5 || (spent < 50000000ull && n < 10000));
	free(scratch);
	return (double)spent / n / 1e6;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: demo-infer [--port PORT] [--listen ADDR] [--threads N] [--hidden N] [--layers N] [--seed N]\n"
		"  --port PORT     TCP port (default 8080; 0 picks a free one)\n"
		"  --listen ADDR   IPv4 or IPv6 address to bind (default 127.0.0.1)\n"
		"  --threads N     worker threads (default 2)\n"
		"  --hidden N      hidden width of the network (default 1024: about 1 ms per pass here)\n"
		"  --layers N      dense layers, 2..%d (default 4)\n"
		"  --seed N        weight seed (default %u)\n"
		"endpoints: POST /v1/infer, POST /v1/generate (SSE), GET /healthz, GET /metrics\n",
		DEMO_MAX_LAYERS, DEMO_DEFAULT_SEED);
}

struct demo_options {
	long long port, threads, hidden, layers, seed;
	const char *listen;
};

static int parse_options(int argc, char **argv, struct demo_options *o)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "listen", required_argument, NULL, 'l' },
		{ "threads", required_argument, NULL, 't' },
		{ "hidden", required_argument, NULL, 'H' },
		{ "layers", required_argument, NULL, 'L' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "p:l:t:h", longopts, NULL)) != -1) {
		const char *name = NULL;
		long long *val = NULL, min = 0, max = 0;

		switch (c) {
		case 'p': name = "--port"; val = &o->port; max = 65535; break;
		case 't': name = "--threads"; val = &o->threads; min = 1; max = 256; break;
		case 'H': name = "--hidden"; val = &o->hidden; min = 1; max = DEMO_MAX_HIDDEN; break;
		case 'L': name = "--layers"; val = &o->layers; min = 2; max = DEMO_MAX_LAYERS; break;
		case 's': name = "--seed"; val = &o->seed; max = UINT32_MAX; break;
		case 'l': o->listen = optarg; continue;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -EINVAL;
		}
		if (parse_int(optarg, min, max, val)) {
			fprintf(stderr, "demo-infer: %s %s: expected an integer in %lld..%lld\n",
				name, optarg, min, max);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "demo-infer: unexpected argument '%s' (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct demo_options o = { .port = 8080, .threads = 2, .hidden = 1024, .layers = 4,
				  .seed = DEMO_DEFAULT_SEED, .listen = "127.0.0.1" };
	static struct server srv;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr *addr;
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *daemon;
	sigset_t stop;
	uint16_t port;
	double ms;
	int sig, err;

	if (parse_options(argc, argv, &o))
		return 2;
	if (inet_pton(AF_INET, o.listen, &sin.sin_addr) == 1) {
		sin.sin_port = htons((uint16_t)o.port);
		addr = (struct sockaddr *)&sin;
	} else if (inet_pton(AF_INET6, o.listen, &sin6.sin6_addr) == 1) {
		sin6.sin6_port = htons((uint16_t)o.port);
		addr = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	} else {
		fprintf(stderr, "demo-infer: --listen %s: not an IPv4 or IPv6 address\n", o.listen);
		return 2;
	}
	err = demo_model_init(&srv.model, DEMO_DIM, (uint32_t)o.hidden, (uint32_t)o.layers,
			      DEMO_VOCAB, (uint64_t)o.seed);
	if (err) {
		fprintf(stderr, "demo-infer: cannot build the model: %s\n", strerror(-err));
		return 1;
	}
	ms = measure_forward_ms(&srv.model);

	/* Every thread MHD starts inherits this mask, so only sigwait() below sees the signals. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, &srv,
				  MHD_OPTION_SOCK_ADDR, addr,
				  MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)o.threads,
				  MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
				  MHD_OPTION_CONNECTION_TIMEOUT, 30u,
				  MHD_OPTION_CONNECTION_LIMIT, 1000u,
				  MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				  MHD_OPTION_END);
	if (!daemon) {
		fprintf(stderr, "demo-infer: cannot listen on %s port %lld: is the port in use? (try --port)\n",
			o.listen, o.port);
		demo_model_free(&srv.model);
		return 1;
	}
	info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
	port = info ? info->port : (uint16_t)o.port;
	printf("demo-infer: listening on %s port %u, %lld threads, model %u-%ux%lld-%u (%zu params, %llu MAC/pass, seed %lld), %.3f ms CPU per forward pass\n",
	       o.listen, port, o.threads, srv.model.dim, (unsigned)o.hidden, o.layers - 1,
	       srv.model.dim, demo_model_params(&srv.model),
	       (unsigned long long)demo_model_macs(&srv.model), o.seed, ms);
	fflush(stdout);

	do {
		err = sigwait(&stop, &sig);
	} while (err == EINTR);
	MHD_stop_daemon(daemon);
	printf("demo-infer: %s, stopped after %llu forward passes\n", strsignal(sig),
	       (unsigned long long)srv.forward_passes);
	demo_model_free(&srv.model);
	return 0;
}
