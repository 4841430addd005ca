// SPDX-License-Identifier: GPL-2.0-only
#include "core/http.h"

#include <errno.h>
#include <string.h>

#include "latgov/abi.h"

static const char *const method_names[HTTP_METHOD__MAX] = {
	[HTTP_NONE] = "",
	[HTTP_GET] = "GET",
	[HTTP_HEAD] = "HEAD",
	[HTTP_POST] = "POST",
	[HTTP_PUT] = "PUT",
	[HTTP_DELETE] = "DELETE",
	[HTTP_PATCH] = "PATCH",
	[HTTP_OPTIONS] = "OPTIONS",
	[HTTP_CONNECT] = "CONNECT",
	[HTTP_TRACE] = "TRACE",
};

/*
 * Matches a method token followed by one space; returns the method and sets
 * *skip to the bytes consumed, or HTTP_NONE. A switch on the first byte keeps
 * non-HTTP payloads (the common "not HTTP" answer) to one comparison.
 */
static enum http_method match_method(const char *p, size_t len, size_t *skip)
{
	static const enum http_method by_first[][3] = {
		['G' - 'A'] = { HTTP_GET },
		['H' - 'A'] = { HTTP_HEAD },
		['P' - 'A'] = { HTTP_POST, HTTP_PUT, HTTP_PATCH },
		['D' - 'A'] = { HTTP_DELETE },
		['O' - 'A'] = { HTTP_OPTIONS },
		['C' - 'A'] = { HTTP_CONNECT },
		['T' - 'A'] = { HTTP_TRACE },
	};
	unsigned char c;

	if (!len)
		return HTTP_NONE;
	c = (unsigned char)p[0];
	if (c < 'A' || c > 'T')
		return HTTP_NONE;
	for (size_t i = 0; i < 3; i++) {
		enum http_method m = by_first[c - 'A'][i];
		const char *name;
		size_t n;

		if (m == HTTP_NONE)
			break;
		name = method_names[m];
		n = strlen(name);
		if (len > n && memcmp(p, name, n) == 0 && p[n] == ' ') {
			*skip = n + 1;
			return m;
		}
	}
	return HTTP_NONE;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* 8-4-4-4-12 hex digits with dashes; with partial != 0, any prefix of that shape. */
static int is_uuid(const char *s, size_t n, int partial)
{
	if (n > 36 || (!partial && n != 36))
		return 0;
	for (size_t i = 0; i < n; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !is_hex((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* Byte classes for the route scan: one table lookup per byte on the hot path. */
#define CH_DIGIT 1
#define CH_HEX   2
#define CH_END   4	/* '?' or '#': the path ends */
#define CH_SLASH 8
static const uint8_t ch_class[256] = {
	['0' ... '9'] = CH_DIGIT | CH_HEX,
	['a' ... 'f'] = CH_HEX,
	['A' ... 'F'] = CH_HEX,
	['?'] = CH_END,
	['#'] = CH_END,
	['/'] = CH_SLASH,
};

/*
 * An ID segment: all digits; or >= 8 hex digits with at least one digit (so
 * words like "deadbeef" or "facade" in routes stay); or a UUID. A segment cut
 * by the prefix (partial) is an ID if it could be the start of one: digits,
 * or hex with a digit, or a UUID prefix. That errs toward ":id" for short
 * cut hex words with a digit, which is the cheaper mistake (no cardinality blow-up).
 */
static int is_id(const char *s, size_t n, size_t digits, size_t hex, int partial)
{
	if (!n)
		return 0;
	if (digits == n)
		return 1;
	if (hex == n && digits > 0 && (n >= 8 || partial))
		return 1;
	return digits > 0 && is_uuid(s, n, partial);
}

size_t http_template_route(const char *path, size_t len, int truncated, char *out, size_t size)
{
	/* Room kept for the "/..." that marks a cut route. */
	const size_t tail = 4;
	size_t o = 0, i = 0, segs = 0;

	if (size < 2) {
		if (size)
			out[0] = '\0';
		return 0;
	}
	/* One pass: segments are classified as they are scanned. */
	while (i < len) {
		size_t start, n, need, digits = 0, hex = 0;
		const char *seg;
		int last_cut, id;
		uint8_t cls = 0;

		while (i < len && path[i] == '/')
			i++;
		start = i;
		for (; i < len; i++) {
			cls = ch_class[(unsigned char)path[i]];
			if (cls & (CH_SLASH | CH_END))
				break;
			digits += cls & CH_DIGIT;
			hex += (cls & CH_HEX) >> 1;
		}
		n = i - start;
		if (i < len && (cls & CH_END))
			len = i;	/* query or fragment: the path was whole */
		if (!n)
			break;
		seg = path + start;
		last_cut = truncated && i == len && !(cls & CH_END);
		id = is_id(seg, n, digits, hex, last_cut);
		if (segs == HTTP_SEGMENTS_MAX)
			goto cut;
		need = 1 + (id ? 3 : n) + (last_cut && !id ? 3 : 0);
		if (o + need + tail > size - 1)
			goto cut;
		out[o++] = '/';
		if (id) {
			memcpy(out + o, ":id", 3);
			o += 3;
		} else {
			memcpy(out + o, seg, n);
			o += n;
			if (last_cut) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
		}
		segs++;
	}
	if (!o)
		out[o++] = '/';
	out[o] = '\0';
	return o;
cut:
	if (o + tail <= size - 1) {
		memcpy(out + o, "/...", tail);
		o += tail;
	}
	out[o] = '\0';
	return o;
}

int http_parse_request(const void *prefix, size_t len, struct http_request_line *out)
{
	const char *p = prefix;
	enum http_method m;
	size_t skip = 0, t, end, path_start;
	int truncated;

	m = match_method(p, len, &skip);
	if (m == HTTP_NONE)
		return -EINVAL;
	t = skip;
	if (t >= len)
		return -EINVAL;
	/* The target runs to the next space, CR or LF, or to the end of the prefix. */
	for (end = t; end < len; end++) {
		unsigned char c = (unsigned char)p[end];

		if (c == ' ' || c == '\r' || c == '\n')
			break;
		if (c < 0x21 || c > 0x7e)
			return -EINVAL;
	}
	if (end == t)
		return -EINVAL;
	truncated = end == len;
	out->minor = 0xff;
	if (!truncated && p[end] == ' ') {
		/* What follows must be (a prefix of) "HTTP/1.x". */
		static const char ver[] = "HTTP/1.";
		size_t v = end + 1, n = len - v;

		if (n > sizeof(ver) - 1)
			n = sizeof(ver) - 1;
		if (memcmp(p + v, ver, n) != 0)
			return -EINVAL;
		if (len > v + 7) {
			if (p[v + 7] != '0' && p[v + 7] != '1')
				return -EINVAL;
			out->minor = (uint8_t)(p[v + 7] - '0');
		}
	}

	path_start = t;
	if (p[t] == '*') {
		if (end - t != 1)
			return -EINVAL;
		out->method = m;
		out->truncated = 0;
		memcpy(out->route, "*", 2);
		return 0;
	}
	if (p[t] != '/') {
		/* Absolute form (proxies): keep the path after scheme://host. */
		size_t s = t;

		while (s < end && p[s] != ':' && p[s] != '/')
			s++;
		if (s + 2 >= end || p[s] != ':' || p[s + 1] != '/' || p[s + 2] != '/')
			return -EINVAL;
		s += 3;
		while (s < end && p[s] != '/')
			s++;
		path_start = s;	/* == end when there is no path: route "/" */
		if (s == end)
			truncated = 0;	/* cut inside the host: the route is unknown, say "/" */
	}
	if (truncated && (memchr(p + path_start, '?', end - path_start) ||
			  memchr(p + path_start, '#', end - path_start)))
		truncated = 0;	/* cut in the query string: the path is whole */
	out->method = m;
	out->truncated = (uint8_t)truncated;
	http_template_route(p + path_start, end - path_start, truncated, out->route,
			    sizeof(out->route));
	return 0;
}

int http_parse_status(const void *prefix, size_t len)
{
	const unsigned char *p = prefix;
	int code;

	uint64_t w;

	if (len < 12)
		return -EINVAL;
	/* "HTTP/1.0" or "HTTP/1.1" as one word compare, then the rest. */
	_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the word compare is little-endian");
	memcpy(&w, p, sizeof(w));
	if ((w | 0x0100000000000000ull) != 0x312e312f50545448ull || p[8] != ' ' ||
	    !is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[11]))
		return -EINVAL;
	if (len > 12 && p[12] != ' ' && p[12] != '\r' && p[12] != '\n')
		return -EINVAL;
	code = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (code < 100 || code > 599)
		return -EINVAL;
	return code;
}

int http_is_error(const struct lg_request *r)
{
	size_t n = r->resp_len > LG_RESP_PREFIX ? LG_RESP_PREFIX : r->resp_len;

	return http_parse_status(r->resp_prefix, n) >= 500;
}

size_t http_endpoint_name(const struct lg_request *r, char *out, size_t size)
{
	struct http_request_line rl;
	size_t n = r->req_len > LG_REQ_PREFIX ? LG_REQ_PREFIX : r->req_len;
	const char *m;
	size_t ml, rlen;

	if (!size || http_parse_request(r->req_prefix, n, &rl) != 0)
		return 0;
	m = method_names[rl.method];
	ml = strlen(m);
	rlen = strlen(rl.route);
	if (ml + 1 + rlen + 1 > size)
		return 0;
	memcpy(out, m, ml);
	out[ml] = ' ';
	memcpy(out + ml + 1, rl.route, rlen + 1);
	return ml + 1 + rlen;
}
