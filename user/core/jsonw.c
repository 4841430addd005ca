// SPDX-License-Identifier: GPL-2.0-only
#include "core/jsonw.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"

void jw_init(struct jsonw *jw)
{
	memset(jw, 0, sizeof(*jw));
	jw->first[0] = 1;
}

void jw_free(struct jsonw *jw)
{
	free(jw->buf);
	jw_init(jw);
}

void jw_reset(struct jsonw *jw)
{
	char *buf = jw->buf;
	size_t cap = jw->cap;

	jw_init(jw);
	jw->buf = buf;
	jw->cap = cap;
	if (buf)
		buf[0] = '\0';
}

int jw_finish(const struct jsonw *jw)
{
	return jw->failed ? -ENOMEM : 0;
}

static void append(struct jsonw *jw, const char *s, size_t n)
{
	if (jw->failed)
		return;
	if (jw->len + n + 1 > jw->cap) {
		size_t cap = jw->cap ? jw->cap : 256;
		char *p;

		while (jw->len + n + 1 > cap)
			cap *= 2;
		p = realloc(jw->buf, cap);
		if (!p) {
			jw->failed = 1;
			return;
		}
		jw->buf = p;
		jw->cap = cap;
	}
	memcpy(jw->buf + jw->len, s, n);
	jw->len += n;
	jw->buf[jw->len] = '\0';
}

void jw_raw(struct jsonw *jw, const char *s)
{
	append(jw, s, strlen(s));
}

/* Writes the comma before a value unless it follows a key or opens a container. */
static void value_sep(struct jsonw *jw)
{
	if (jw->after_key) {
		jw->after_key = 0;
		return;
	}
	if (!jw->first[jw->depth])
		append(jw, ",", 1);
	jw->first[jw->depth] = 0;
}

static void open_container(struct jsonw *jw, char c)
{
	value_sep(jw);
	append(jw, &c, 1);
	if (jw->depth + 1 < JW_MAX_DEPTH)
		jw->depth++;
	else
		jw->failed = 1;
	jw->first[jw->depth] = 1;
}

static void close_container(struct jsonw *jw, char c)
{
	append(jw, &c, 1);
	if (jw->depth > 0)
		jw->depth--;
}

void jw_obj_begin(struct jsonw *jw) { open_container(jw, '{'); }
void jw_obj_end(struct jsonw *jw) { close_container(jw, '}'); }
void jw_arr_begin(struct jsonw *jw) { open_container(jw, '['); }
void jw_arr_end(struct jsonw *jw) { close_container(jw, ']'); }

/*
 * A JSON string of s[0..n): always valid UTF-8 (JSON text must be, RFC 8259
 * section 8.1), so bytes that are not become U+FFFD (core/utf8.h). Control
 * characters, C1 included, are escaped: the text stays one line and prints
 * safely. U+2028 and U+2029 are escaped too, as JavaScript before ES2019
 * ends a line at them.
 */
static void quoted(struct jsonw *jw, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	size_t i = 0, len;
	int32_t cp;

	append(jw, "\"", 1);
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = { '\\', 'u', '0', '0', '0', '0' };
		const char *out = esc;
		size_t out_len = 6;

		/* printable ASCII, most of what is written, stays in the run */
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			i++;
			continue;
		}
		len = utf8_decode(s + i, n - i, &cp);
		if (cp == UTF8_INVALID) {
			out = UTF8_REPLACEMENT;
			out_len = sizeof(UTF8_REPLACEMENT) - 1;
		} else if (cp == '"' || cp == '\\') {
			esc[1] = (char)cp;
			out_len = 2;
		} else if (cp == '\n') {
			esc[1] = 'n';
			out_len = 2;
		} else if (cp == '\t') {
			esc[1] = 't';
			out_len = 2;
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 ||
			   cp == 0x2029) {
			esc[2] = hex[cp >> 12];
			esc[3] = hex[(cp >> 8) & 15];
			esc[4] = hex[(cp >> 4) & 15];
			esc[5] = hex[cp & 15];
		} else {
			i += len;
			continue;
		}
		append(jw, run, (size_t)(s + i - run));
		append(jw, out, out_len);
		i += len;
		run = s + i;
	}
	append(jw, run, (size_t)(s + n - run));
	append(jw, "\"", 1);
}

void jw_key(struct jsonw *jw, const char *key)
{
	value_sep(jw);
	quoted(jw, key, strlen(key));
	append(jw, ":", 1);
	jw->after_key = 1;
}

void jw_strn(struct jsonw *jw, const char *s, size_t n)
{
	value_sep(jw);
	quoted(jw, s, n);
}

void jw_str(struct jsonw *jw, const char *s)
{
	if (!s) {
		jw_null(jw);
		return;
	}
	jw_strn(jw, s, strlen(s));
}

void jw_u64(struct jsonw *jw, uint64_t v)
{
	char b[24];

	value_sep(jw);
	append(jw, b, (size_t)snprintf(b, sizeof(b), "%" PRIu64, v));
}

void jw_i64(struct jsonw *jw, int64_t v)
{
	char b[24];

	value_sep(jw);
	append(jw, b, (size_t)snprintf(b, sizeof(b), "%" PRId64, v));
}

void jw_double(struct jsonw *jw, double v)
{
	char b[32];

	if (!isfinite(v)) {
		jw_null(jw);
		return;
	}
	value_sep(jw);
	/* %.10g keeps ten figures; integers print without a fraction. */
	append(jw, b, (size_t)snprintf(b, sizeof(b), "%.10g", v));
}

void jw_bool(struct jsonw *jw, int v)
{
	value_sep(jw);
	jw_raw(jw, v ? "true" : "false");
}

void jw_null(struct jsonw *jw)
{
	value_sep(jw);
	jw_raw(jw, "null");
}

void jw_kv_str(struct jsonw *jw, const char *key, const char *s) { jw_key(jw, key); jw_str(jw, s); }
void jw_kv_u64(struct jsonw *jw, const char *key, uint64_t v) { jw_key(jw, key); jw_u64(jw, v); }
void jw_kv_i64(struct jsonw *jw, const char *key, int64_t v) { jw_key(jw, key); jw_i64(jw, v); }
void jw_kv_double(struct jsonw *jw, const char *key, double v) { jw_key(jw, key); jw_double(jw, v); }
void jw_kv_bool(struct jsonw *jw, const char *key, int v) { jw_key(jw, key); jw_bool(jw, v); }
