// SPDX-License-Identifier: GPL-2.0-only
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/parse.h"

#define DEFAULT_DURATION_NS (10ull * 1000000000ull)

static const char usage[] =
"usage: loadgen [OPTIONS] http://HOST[:PORT]/PATH\n"
"\n"
"Open-loop HTTP/1.1 load generator. Requests leave at the scheduled rate whether\n"
"or not earlier ones have answered; latency counts from the INTENDED send time,\n"
"so a stalled server shows up in every request that had to wait (no coordinated\n"
"omission). HOST must be loopback: 127.0.0.0/8, [::1] or localhost.\n"
"\n"
"Load (one of):\n"
"  --rate R                constant R requests/s for the whole run\n"
"  --schedule SPEC         a rate schedule, see below\n"
"  --schedule-file FILE    a schedule, one SPEC per line, run in order; # comments\n"
"  --closed N              closed loop: N connections, each sends its next request\n"
"                          as soon as the previous answer is complete (saturation)\n"
"Schedule SPEC (rates in requests/s, durations like 500ms, 10s, 2m):\n"
"  RATE@DUR                constant, e.g. 500@30s (a bare RATE lasts -d)\n"
"  FROM-TO@DUR             linear ramp, e.g. 100-1000@30s\n"
"  SEG,SEG,...             segments one after another: 100@10s,400@20s,100@10s\n"
"  const:SEG  step:SEG,... ramp:SEG,...   the same, with the kind checked\n"
"  spike:base=R,peak=R,at=DUR,for=DUR[,total=DUR]\n"
"                          base rate with a burst of `peak` from `at` for `for`;\n"
"                          total defaults to -d\n"
"  --poisson               exponential inter-arrival times (same mean rate)\n"
"  --seed N                seed for --poisson (default 1), so runs repeat\n"
"\n"
"Run:\n"
"  -d, --duration DUR      run length (default: the schedule's length, or 10s);\n"
"                          a longer schedule is cut at DUR\n"
"  -n, --requests N        stop after N requests\n"
"  -c, --connections N     keep-alive connections (default 16)\n"
"  --timeout DUR           a request not answered in DUR is a timeout (default 5s);\n"
"                          at the end, requests in flight get up to DUR to finish\n"
"  --queue N               intended requests that may wait for a free connection\n"
"                          (default 100000); beyond that they are dropped\n"
"Request:\n"
"  -X, --method METHOD     default GET (POST when --body-file is given)\n"
"  -H, --header 'K: V'     extra header, repeatable\n"
"  --body-file FILE        request body\n"
"Output:\n"
"  --jsonl FILE|-          one JSON line per second: rates, counts, latency and\n"
"                          TTFB quantiles (us)\n"
"  --summary FILE|-        final summary JSON, with latgov's --summary field names\n"
"  -q, --quiet             no table on stderr at the end\n"
"  -h, --help\n"
"\n"
"Connection refused, resets, timeouts and malformed responses are counted, not\n"
"fatal. Exit status: 0 done, 2 bad command line, 1 setup failure.\n";

const char *lg_usage(void)
{
	return usage;
}

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int lg_parse_url(const char *text, struct lg_url *u, char *err, size_t errlen)
{
	const char *host, *host_end, *rest;
	char host_buf[64];
	size_t hn;

	memset(u, 0, sizeof(*u));
	if (!strncasecmp(text, "https://", 8))
		return fail(err, errlen, "URL '%s': https is not supported; use http://127.0.0.1:PORT/PATH", text);
	if (strncasecmp(text, "http://", 7))
		return fail(err, errlen, "URL '%s' must start with http://, e.g. http://127.0.0.1:8080/", text);
	host = text + 7;
	if (*host == '[') {
		host_end = strchr(host, ']');
		if (!host_end)
			return fail(err, errlen, "URL '%s': missing ']' after the IPv6 address", text);
		rest = host_end + 1;
		host++;
	} else {
		host_end = host + strcspn(host, ":/?#");
		rest = host_end;
	}
	hn = (size_t)(host_end - host);
	if (hn == 0 || hn >= sizeof(host_buf))
		return fail(err, errlen, "URL '%s': missing or too long host", text);
	memcpy(host_buf, host, hn);
	host_buf[hn] = '\0';

	u->port = 80;
	if (*rest == ':') {
		char port[8];
		size_t pn = strcspn(rest + 1, "/?#");

		if (pn == 0 || pn >= sizeof(port))
			return fail(err, errlen, "URL '%s': bad port", text);
		memcpy(port, rest + 1, pn);
		port[pn] = '\0';
		if (parse_port(port, &u->port))
			return fail(err, errlen, "URL '%s': bad port '%s': expected 1..65535", text, port);
		rest += 1 + pn;
	} else if (*rest && *rest != '/' && *rest != '?' && *rest != '#') {
		return fail(err, errlen, "URL '%s': unexpected '%c' after the host", text, *rest);
	}

	/* The Host header keeps the host as written. */
	snprintf(u->host, sizeof(u->host), host[-1] == '[' ? "[%s]:%u" : "%s:%u", host_buf, u->port);
	if (!strcasecmp(host_buf, "localhost"))
		strcpy(host_buf, "127.0.0.1");
	if (host[-1] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&u->addr;

		if (inet_pton(AF_INET6, host_buf, &a6->sin6_addr) != 1)
			return fail(err, errlen, "URL '%s': '%s' is not an IPv6 address", text, host_buf);
		if (!IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
			goto not_loopback;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(u->port);
		u->addrlen = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&u->addr;

		if (inet_pton(AF_INET, host_buf, &a4->sin_addr) != 1)
			return fail(err, errlen, "URL '%s': host '%s' is not an IPv4 address or localhost (no DNS: traffic stays on loopback)", text, host_buf);
		if ((ntohl(a4->sin_addr.s_addr) >> 24) != 127)
			goto not_loopback;
		a4->sin_family = AF_INET;
		a4->sin_port = htons(u->port);
		u->addrlen = sizeof(*a4);
	}
	if (*rest == '#' || !*rest) {
		strcpy(u->path, "/");
	} else {
		size_t pn = strcspn(rest, "#");

		if (pn + 2 > sizeof(u->path))
			return fail(err, errlen, "URL '%s': path too long (at most %zu bytes)", text, sizeof(u->path) - 2);
		/* "?q" alone means "/?q" */
		snprintf(u->path, sizeof(u->path), "%s%.*s", *rest == '?' ? "/" : "", (int)pn, rest);
	}
	for (const char *c = u->path; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return fail(err, errlen, "URL '%s': the path holds a space or control character; percent-encode it", text);
	return 0;

not_loopback:
	return fail(err, errlen, "URL '%s': host '%s' is not loopback; loadgen only sends to 127.0.0.0/8, [::1] or localhost so that test traffic stays on this machine", text, host_buf);
}

enum {
	OPT_RATE = 256, OPT_SCHEDULE, OPT_SCHEDULE_FILE, OPT_CLOSED, OPT_POISSON, OPT_SEED,
	OPT_TIMEOUT, OPT_QUEUE, OPT_BODY_FILE, OPT_JSONL, OPT_SUMMARY,
};

static const struct option long_opts[] = {
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "schedule", required_argument, NULL, OPT_SCHEDULE },
	{ "schedule-file", required_argument, NULL, OPT_SCHEDULE_FILE },
	{ "closed", required_argument, NULL, OPT_CLOSED },
	{ "poisson", no_argument, NULL, OPT_POISSON },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "duration", required_argument, NULL, 'd' },
	{ "requests", required_argument, NULL, 'n' },
	{ "connections", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "queue", required_argument, NULL, OPT_QUEUE },
	{ "method", required_argument, NULL, 'X' },
	{ "header", required_argument, NULL, 'H' },
	{ "body-file", required_argument, NULL, OPT_BODY_FILE },
	{ "jsonl", required_argument, NULL, OPT_JSONL },
	{ "summary", required_argument, NULL, OPT_SUMMARY },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int check_header(const char *h)
{
	const char *colon = strchr(h, ':');

	if (!colon || colon == h)
		return -EINVAL;
	for (const char *c = h; c < colon; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return -EINVAL;
	for (const char *c = colon; *c; c++)
		if (*c == '\r' || *c == '\n')
			return -EINVAL;
	return 0;
}

int lg_config_parse(int argc, char **argv, struct lg_config *c, char *err, size_t errlen)
{
	int loads = 0;
	long long v;
	int opt;

	*c = (struct lg_config){
		.conns = 16,
		.seed = 1,
		.timeout_ns = 5ull * 1000000000ull,
		.queue_cap = 100000,
	};
	optind = 0;	/* GNU: full re-initialisation, so the parser can run twice */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":c:d:n:X:H:qh", long_opts, NULL)) != -1) {
		const char *name = argv[optind - 1];

		switch (opt) {
		case OPT_RATE:
			c->rate_text = optarg;
			loads++;
			break;
		case OPT_SCHEDULE:
			c->schedule_text = optarg;
			loads++;
			break;
		case OPT_SCHEDULE_FILE:
			c->schedule_file = optarg;
			loads++;
			break;
		case OPT_CLOSED:
			if (parse_int(optarg, 1, LG_MAX_CONNS, &v))
				return fail(err, errlen, "--closed '%s': expected a number of connections from 1 to %d", optarg, LG_MAX_CONNS);
			c->closed = 1;
			c->conns = (uint32_t)v;
			loads++;
			break;
		case OPT_POISSON:
			c->poisson = 1;
			break;
		case OPT_SEED:
			if (parse_int(optarg, 0, INT64_MAX, &v))
				return fail(err, errlen, "--seed '%s': expected a non-negative integer", optarg);
			c->seed = (uint64_t)v;
			break;
		case 'd':
			if (parse_duration(optarg, 1000000000ull, &c->duration_ns) || !c->duration_ns)
				return fail(err, errlen, "-d '%s': expected a duration such as 10s, 500ms, 2m", optarg);
			break;
		case 'n':
			if (parse_int(optarg, 1, INT64_MAX, &v))
				return fail(err, errlen, "-n '%s': expected a positive number of requests", optarg);
			c->count = (uint64_t)v;
			break;
		case 'c':
			if (parse_int(optarg, 1, LG_MAX_CONNS, &v))
				return fail(err, errlen, "-c '%s': expected a number of connections from 1 to %d", optarg, LG_MAX_CONNS);
			c->conns = (uint32_t)v;
			break;
		case OPT_TIMEOUT:
			if (parse_duration(optarg, 1000000000ull, &c->timeout_ns) || !c->timeout_ns)
				return fail(err, errlen, "--timeout '%s': expected a duration such as 2s or 500ms", optarg);
			break;
		case OPT_QUEUE:
			if (parse_int(optarg, 1, 100000000, &v))
				return fail(err, errlen, "--queue '%s': expected a number from 1 to 100000000", optarg);
			c->queue_cap = (uint64_t)v;
			break;
		case 'X':
			for (const char *m = optarg; *m; m++)
				if (*m < 'A' || *m > 'Z')
					return fail(err, errlen, "-X '%s': a method is upper-case letters, e.g. GET or POST", optarg);
			if (!*optarg)
				return fail(err, errlen, "-X needs a method, e.g. GET or POST");
			c->method = optarg;
			break;
		case 'H':
			if (check_header(optarg))
				return fail(err, errlen, "-H '%s': expected 'Name: value' without line breaks", optarg);
			if (c->nheaders >= LG_MAX_HEADERS)
				return fail(err, errlen, "-H: at most %d headers", LG_MAX_HEADERS);
			c->headers[c->nheaders++] = optarg;
			break;
		case OPT_BODY_FILE:
			c->body_file = optarg;
			break;
		case OPT_JSONL:
			c->jsonl_path = optarg;
			break;
		case OPT_SUMMARY:
			c->summary_path = optarg;
			break;
		case 'q':
			c->quiet = 1;
			break;
		case 'h':
			c->help = 1;
			return 0;
		case ':':
			return fail(err, errlen, "option '%s' needs a value", name);
		default:
			return fail(err, errlen, "unknown option '%s'; see loadgen --help", name);
		}
	}
	if (optind != argc - 1)
		return fail(err, errlen, optind >= argc ? "missing URL: loadgen [OPTIONS] http://127.0.0.1:PORT/PATH"
						  : "give exactly one URL (extra argument '%s')", argv[argc - 1]);
	if (loads != 1)
		return fail(err, errlen, "give exactly one of --rate, --schedule, --schedule-file or --closed");
	if (c->poisson && c->closed)
		return fail(err, errlen, "--poisson is for open-loop rates; it has no meaning with --closed");
	if (!c->method)
		c->method = c->body_file ? "POST" : "GET";
	c->url_text = argv[optind];
	return lg_parse_url(c->url_text, &c->url, err, errlen);
}

int lg_config_schedule(struct lg_config *c, const char *file_text, struct schedule *s,
		       char *err, size_t errlen)
{
	struct sched_error e = { 0 };
	const char *where;
	uint64_t len;
	int r;

	s->nseg = 0;
	if (c->closed) {
		if (!c->duration_ns)
			c->duration_ns = DEFAULT_DURATION_NS;
		return 0;
	}
	if (c->rate_text) {
		double rate;

		if (parse_double(c->rate_text, 0, SCHED_MAX_RATE, &rate) || rate <= 0)
			return fail(err, errlen, "--rate '%s': expected requests/s above 0 and up to %.0f", c->rate_text, SCHED_MAX_RATE);
		if (!c->duration_ns)
			c->duration_ns = DEFAULT_DURATION_NS;
		s->seg[0] = (struct sched_segment){ rate, rate, c->duration_ns };
		s->nseg = 1;
		return 0;
	}
	if (c->schedule_text) {
		where = "--schedule";
		r = sched_parse(s, c->schedule_text, 1, c->duration_ns, &e);
	} else {
		where = c->schedule_file;
		r = sched_parse_file_text(s, file_text ? file_text : "", &e);
	}
	if (r)
		return fail(err, errlen, "%s:%d:%d: %s", where, e.line, e.col, e.msg);
	len = sched_length(s);
	if (!c->duration_ns || c->duration_ns > len)
		c->duration_ns = len;
	else
		sched_truncate(s, c->duration_ns);
	return 0;
}

int lg_build_request(const struct lg_config *c, const char *body, size_t body_len,
		     char **out, size_t *out_len)
{
	/* request line, Host and Content-Length fit in 256 bytes with the NUL */
	size_t cap = 256 + strlen(c->method) + strlen(c->url.path) + body_len;
	int has_host = 0, has_len = 0;
	char *buf;
	size_t n;

	for (size_t i = 0; i < c->nheaders; i++) {
		cap += strlen(c->headers[i]) + 2;
		has_host |= !strncasecmp(c->headers[i], "host:", 5);
		has_len |= !strncasecmp(c->headers[i], "content-length:", 15);
	}
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	n = (size_t)snprintf(buf, cap, "%s %s HTTP/1.1\r\n", c->method, c->url.path);
	if (!has_host)
		n += (size_t)snprintf(buf + n, cap - n, "Host: %s\r\n", c->url.host);
	for (size_t i = 0; i < c->nheaders; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s\r\n", c->headers[i]);
	if (!has_len && (body_len || !strcmp(c->method, "POST") || !strcmp(c->method, "PUT")))
		n += (size_t)snprintf(buf + n, cap - n, "Content-Length: %zu\r\n", body_len);
	n += (size_t)snprintf(buf + n, cap - n, "\r\n");
	memcpy(buf + n, body, body_len);
	n += body_len;
	buf[n] = '\0';	/* for printing; the length is what is sent */
	*out = buf;
	*out_len = n;
	return 0;
}
