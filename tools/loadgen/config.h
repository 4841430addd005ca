/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * loadgen's command line, target URL and request bytes. Pure: parses argv
 * and text, writes structs and one-line error messages; no I/O.
 */
#ifndef LOADGEN_CONFIG_H
#define LOADGEN_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "schedule.h"

#define LG_MAX_HEADERS 32
#define LG_MAX_CONNS   10000

struct lg_url {
	struct sockaddr_storage addr;	/* loopback address and port */
	socklen_t addrlen;
	uint16_t port;
	char host[64];		/* as written, for the Host header */
	char path[2048];	/* with the query; "/" when the URL has none */
};

struct lg_config {
	const char *url_text;
	struct lg_url url;
	const char *method;
	const char *headers[LG_MAX_HEADERS];
	size_t nheaders;
	const char *body_file;

	uint32_t conns;		/* -c, or --closed N */
	int closed;		/* closed loop: each connection sends when the last answer is in */
	const char *rate_text;	/* --rate R */
	const char *schedule_text;	/* --schedule SPEC */
	const char *schedule_file;	/* --schedule-file F */
	int poisson;
	uint64_t seed;

	uint64_t duration_ns;	/* -d; 0 = not given */
	uint64_t count;		/* -n; 0 = no limit */
	uint64_t timeout_ns;	/* --timeout */
	uint64_t queue_cap;	/* --queue */

	const char *jsonl_path;	/* --jsonl FILE or - */
	const char *summary_path;	/* --summary FILE or - */
	int quiet;		/* no table at the end */
	int help;
};

/* The --help text. */
const char *lg_usage(void);

/*
 * Parses argv into *c (defaults filled in). Returns 0, or -EINVAL with a
 * one-line message in err naming the bad option and what to write instead.
 */
int lg_config_parse(int argc, char **argv, struct lg_config *c, char *err, size_t errlen);

/*
 * Parses "http://HOST[:PORT][/PATH]". HOST must be loopback: 127.0.0.0/8,
 * [::1] or localhost, so load never leaves the machine. Returns 0 or -EINVAL
 * with a message in err.
 */
int lg_parse_url(const char *text, struct lg_url *u, char *err, size_t errlen);

/*
 * Builds the schedule the run follows: --rate, --schedule, or the text of
 * --schedule-file (file_text, read by the caller), cut to -d; sets
 * c->duration_ns when -d was not given. Returns 0 or -EINVAL with
 * "WHERE:LINE:COL: message" in err.
 */
int lg_config_schedule(struct lg_config *c, const char *file_text, struct schedule *s,
		       char *err, size_t errlen);

/*
 * The request's bytes: request line, Host, the -H headers, Content-Length
 * when there is a body, then the body. Returns 0 with a malloc'd *out
 * (NUL-terminated after out_len bytes), or -ENOMEM.
 */
int lg_build_request(const struct lg_config *c, const char *body, size_t body_len,
		     char **out, size_t *out_len);

#endif
