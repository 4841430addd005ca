/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * HTTP/1.x request-line and status-line parsing, route templating and endpoint
 * naming, from the short payload prefixes the kernel copies (LG_REQ_PREFIX /
 * LG_RESP_PREFIX bytes): HTTP/1's row of the protocol table (core/proto.h).
 * Pure: no allocation, no I/O.
 *
 * The request prefix may be cut anywhere, even inside the route: the parser then
 * keeps the segments it saw whole, so "GET /v1/users/12345/ord" (cut) still gives
 * "GET /v1/users/:id/ord..." rather than garbage. Payload bytes never leave
 * these functions except as method, templated route and status.
 */
#ifndef LATGOV_HTTP_H
#define LATGOV_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct lg_request;

/* Templated routes are capped so that endpoint names stay short and bounded. */
#define HTTP_ROUTE_MAX     48	/* bytes of templated route, NUL included */
#define HTTP_SEGMENTS_MAX  8	/* path segments kept; more become "/..." */

enum http_method {
	HTTP_NONE = 0,
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_PATCH,
	HTTP_OPTIONS,
	HTTP_CONNECT,
	HTTP_TRACE,
	HTTP_METHOD__MAX
};

struct http_request_line {
	enum http_method method;
	char route[HTTP_ROUTE_MAX];	/* templated, NUL-terminated, starts with '/' (or "*") */
	uint8_t truncated;		/* the prefix ended inside the path: its last segment is partial */
	uint8_t minor;			/* 0 or 1 from "HTTP/1.x"; 0xff when truncated */
};

/*
 * Parses "METHOD SP target [SP HTTP/1.x]" from the first len bytes of prefix.
 * The method must be a known token followed by one space; the target an
 * origin-form path ("/..."), an absolute-form URL ("http://host/path", whose
 * path is kept) or "*". Returns 0 and fills *out, or -EINVAL if the bytes are
 * not an HTTP/1.x request line (unknown method, binary data, HTTP/2 preface,
 * fewer bytes than "GET /").
 */
int http_parse_request(const void *prefix, size_t len, struct http_request_line *out);

/*
 * Status code from a response prefix "HTTP/1.x NNN ...". Returns 100..599, or
 * -EINVAL if the bytes do not start with an HTTP/1.x status line (including a
 * prefix cut before the three digits).
 */
int http_parse_status(const void *prefix, size_t len);

/*
 * Templates a request path: the query string and fragment are dropped;
 * segments that are numbers, hex IDs (>= 8 hex digits with at least one
 * digit) or UUIDs become ":id"; empty segments ("//") collapse; at most
 * HTTP_SEGMENTS_MAX segments are kept, after which "/..." ends the route.
 * If the path was cut (truncated != 0), a final partial segment is kept as
 * "<text>..." unless it looks like the start of an ID, which gives ":id".
 * Writes a NUL-terminated route (at least "/") into out (size >= 2). Returns
 * the length written (without the NUL), never more than size - 1.
 */
size_t http_template_route(const char *path, size_t len, int truncated, char *out, size_t size);

/*
 * The endpoint name of a record whose req_prefix is an HTTP request line,
 * "METHOD /route", into out (NUL-terminated). Client-role HTTP requests are
 * named like server ones; the role is kept apart by the aggregator. Returns
 * its length, or 0 if the bytes are not a request line or the name does not
 * fit in size.
 */
size_t http_endpoint_name(const struct lg_request *r, char *out, size_t size);

/* 1 if a record's answer has a 5xx status, else 0. */
int http_is_error(const struct lg_request *r);

#endif
