// SPDX-License-Identifier: GPL-2.0-only
#include "resp.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "core/parse.h"

void resp_init(struct resp_parser *p, int head_request)
{
	p->state = RESP_STATUS;
	p->head_request = head_request;
	p->status = 0;
	p->keep_alive = 1;
	p->chunked = 0;
	p->sse = 0;
	p->content_length = -1;
	p->remaining = 0;
	p->body_bytes = 0;
	p->chunks = 0;
	p->events = 0;
	p->sse_newline = 0;
	p->line_len = 0;
}

/*
 * Takes one line from buf[*pos..len). Returns 1 with *line and *n set (without
 * the CR LF), 0 when the line is incomplete (its start is kept in p->line),
 * or -EBADMSG when it is too long. Lines that arrive whole are not copied.
 */
static int next_line(struct resp_parser *p, const char *buf, size_t len, size_t *pos,
		     const char **line, size_t *n)
{
	const char *start = buf + *pos;
	size_t avail = len - *pos;
	const char *nl = memchr(start, '\n', avail);
	size_t take = nl ? (size_t)(nl - start) + 1 : avail;

	if (!nl || p->line_len) {
		if (p->line_len + take > RESP_LINE_MAX)
			return -EBADMSG;
		memcpy(p->line + p->line_len, start, take);
		p->line_len += take;
		*pos += take;
		if (!nl)
			return 0;
		*line = p->line;
		*n = p->line_len - 1;
		p->line_len = 0;
	} else {
		*line = start;
		*n = take - 1;
		*pos += take;
	}
	if (*n && (*line)[*n - 1] == '\r')
		(*n)--;
	return 1;
}

static int header_is(const char *line, size_t n, const char *name, size_t name_len)
{
	return n > name_len && line[name_len] == ':' && !strncasecmp(line, name, name_len);
}

/* The header's value without leading and trailing blanks. */
static void header_value(const char *line, size_t n, size_t name_len, const char **v, size_t *vn)
{
	const char *b = line + name_len + 1, *e = line + n;

	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*v = b;
	*vn = (size_t)(e - b);
}

static int contains_token(const char *v, size_t n, const char *tok)
{
	size_t t = strlen(tok);

	for (size_t i = 0; i + t <= n; i++)
		if (!strncasecmp(v + i, tok, t))
			return 1;
	return 0;
}

static int parse_status(struct resp_parser *p, const char *line, size_t n)
{
	/* "HTTP/1.x SSS[ reason]" */
	if (n < 12 || memcmp(line, "HTTP/1.", 7) || (line[7] != '0' && line[7] != '1') ||
	    line[8] != ' ')
		return -EBADMSG;
	for (int i = 9; i < 12; i++)
		if (line[i] < '0' || line[i] > '9')
			return -EBADMSG;
	if (n > 12 && line[12] != ' ')
		return -EBADMSG;
	p->status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	if (p->status < 100)
		return -EBADMSG;
	/* HTTP/1.0 closes unless it says keep-alive. */
	p->keep_alive = line[7] == '1';
	return 0;
}

static int parse_header(struct resp_parser *p, const char *line, size_t n)
{
	const char *v;
	size_t vn;

	if (!memchr(line, ':', n))
		return -EBADMSG;
	switch (line[0] | 0x20) {
	case 'c':
		if (header_is(line, n, "content-length", 14)) {
			char num[24];
			long long cl;

			header_value(line, n, 14, &v, &vn);
			if (vn == 0 || vn >= sizeof(num))
				return -EBADMSG;
			memcpy(num, v, vn);
			num[vn] = '\0';
			if (parse_int(num, 0, INT64_MAX, &cl))
				return -EBADMSG;
			/* Two different lengths are a framing attack, not a response. */
			if (p->content_length >= 0 && p->content_length != cl)
				return -EBADMSG;
			p->content_length = cl;
		} else if (header_is(line, n, "connection", 10)) {
			header_value(line, n, 10, &v, &vn);
			if (contains_token(v, vn, "close"))
				p->keep_alive = 0;
			else if (contains_token(v, vn, "keep-alive"))
				p->keep_alive = 1;
		} else if (header_is(line, n, "content-type", 12)) {
			header_value(line, n, 12, &v, &vn);
			p->sse = vn >= 17 && !strncasecmp(v, "text/event-stream", 17);
		}
		break;
	case 't':
		if (header_is(line, n, "transfer-encoding", 17)) {
			header_value(line, n, 17, &v, &vn);
			if (contains_token(v, vn, "chunked"))
				p->chunked = 1;
		}
		break;
	}
	return 0;
}

static void headers_done(struct resp_parser *p)
{
	if (p->status < 200) {
		/* 1xx is interim: the real response follows. */
		int head = p->head_request;

		resp_init(p, head);
		return;
	}
	if (p->head_request || p->status == 204 || p->status == 304) {
		p->state = RESP_DONE;
	} else if (p->chunked) {
		p->state = RESP_CHUNK_SIZE;
	} else if (p->content_length >= 0) {
		p->remaining = (uint64_t)p->content_length;
		p->state = p->remaining ? RESP_BODY_LEN : RESP_DONE;
	} else {
		p->state = RESP_BODY_EOF;
		p->keep_alive = 0;
	}
}

static int parse_chunk_size(struct resp_parser *p, const char *line, size_t n)
{
	uint64_t size = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		char c = line[i];
		int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			break;
		if (size >> 59)
			return -EBADMSG;
		size = size * 16 + (uint64_t)d;
	}
	if (i == 0 || (i < n && line[i] != ';' && line[i] != ' ' && line[i] != '\t'))
		return -EBADMSG;
	if (size == 0) {
		p->state = RESP_TRAILER;
	} else {
		p->remaining = size;
		p->chunks++;
		p->state = RESP_CHUNK_DATA;
	}
	return 0;
}

/* Counts SSE events: an event ends at a blank line ("\n\n", CRs ignored). */
static void sse_scan(struct resp_parser *p, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = b[i];

		if (c == '\n') {
			if (p->sse_newline)
				p->events++;
			p->sse_newline = 1;
		} else if (c != '\r') {
			p->sse_newline = 0;
		}
	}
}

static size_t body_bytes(struct resp_parser *p, const char *b, size_t n)
{
	if (p->state != RESP_BODY_EOF && n > p->remaining)
		n = (size_t)p->remaining;
	if (p->sse)
		sse_scan(p, b, n);
	p->body_bytes += n;
	if (p->state != RESP_BODY_EOF)
		p->remaining -= n;
	return n;
}

ssize_t resp_feed(struct resp_parser *p, const char *buf, size_t len)
{
	size_t pos = 0;

	while (pos < len && p->state != RESP_DONE) {
		const char *line;
		size_t n;
		int r;

		switch (p->state) {
		case RESP_BODY_LEN:
			pos += body_bytes(p, buf + pos, len - pos);
			if (!p->remaining)
				p->state = RESP_DONE;
			continue;
		case RESP_CHUNK_DATA:
			pos += body_bytes(p, buf + pos, len - pos);
			if (!p->remaining)
				p->state = RESP_CHUNK_END;
			continue;
		case RESP_BODY_EOF:
			pos += body_bytes(p, buf + pos, len - pos);
			continue;
		default:
			break;
		}
		r = next_line(p, buf, len, &pos, &line, &n);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		switch (p->state) {
		case RESP_STATUS:
			/* A stray blank line before the status line is tolerated (RFC 9112 2.2). */
			if (n == 0)
				break;
			if (parse_status(p, line, n))
				return -EBADMSG;
			p->state = RESP_HEADER;
			break;
		case RESP_HEADER:
			if (n == 0)
				headers_done(p);
			else if (parse_header(p, line, n))
				return -EBADMSG;
			break;
		case RESP_CHUNK_SIZE:
			if (parse_chunk_size(p, line, n))
				return -EBADMSG;
			break;
		case RESP_CHUNK_END:
			if (n != 0)
				return -EBADMSG;
			p->state = RESP_CHUNK_SIZE;
			break;
		case RESP_TRAILER:
			if (n == 0)
				p->state = RESP_DONE;
			break;
		default:
			return -EBADMSG;
		}
	}
	return (ssize_t)pos;
}

int resp_eof(struct resp_parser *p)
{
	if (p->state == RESP_BODY_EOF)
		p->state = RESP_DONE;
	return p->state == RESP_DONE ? 0 : -EBADMSG;
}
