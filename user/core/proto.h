/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The protocols user space knows, as one table: which records each one
 * claims, how it names their endpoints, and which of its answers are
 * errors. The kernel side of the same seam is include/latgov/proto.h, whose
 * lg_proto_detect() both sides use, so that a connection's protocol is the
 * same to the tracer and to the aggregator. A record no protocol claims, or
 * whose bytes its protocol cannot name, is "tcp:PORT".
 *
 * Adding a protocol: its framing in include/latgov/proto_<name>.h (the
 * kernel side), a row here, and its parsing in a user/core file of its own
 * (http.c, resp.c). Pure: no allocation, no I/O.
 */
#ifndef LATGOV_CORE_PROTO_H
#define LATGOV_CORE_PROTO_H

#include <stddef.h>

struct lg_request;

/* Longest endpoint name plus NUL: "CONNECT " + a route (or "tcp:65535"). */
#define ENDPOINT_NAME_MAX 64

struct proto_ops {
	int id;			/* enum lg_proto */
	const char *name;	/* "http1", "resp" */
	/*
	 * The endpoint a record's request bytes name, into out (size >=
	 * ENDPOINT_NAME_MAX), NUL-terminated printable ASCII: "GET /v1/users/:id",
	 * "CONFIG GET". Returns its length, or 0 if the bytes name none.
	 */
	size_t (*endpoint_name)(const struct lg_request *r, char *out, size_t size);
	/* 1 if the record's answer is an error (HTTP 5xx, a Redis error reply), else 0. */
	int (*is_error)(const struct lg_request *r);
};

/*
 * The endpoint name of a record into out (size >= ENDPOINT_NAME_MAX is
 * always enough), and in *proto the protocol that named it, or NULL for
 * "tcp:<port>" (the local port for a server, the remote one for a client).
 * Returns the name's length.
 */
size_t proto_endpoint_name(const struct lg_request *r, char *out, size_t size,
			   const struct proto_ops **proto);

#endif
