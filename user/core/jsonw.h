/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A small JSON writer into a growable buffer, shared by every JSON output
 * (summary, JSONL windows, audit log, loadgen, check --json). It tracks
 * commas itself so callers only say what goes where. Strings come out as
 * valid UTF-8 whatever bytes they are given (core/utf8.h: U+FFFD for what is
 * not UTF-8), with control characters escaped.
 *
 * Allocation failure is sticky: jw->failed is set and later calls do nothing;
 * jw_finish() then returns -ENOMEM.
 */
#ifndef LATGOV_JSONW_H
#define LATGOV_JSONW_H

#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 16

struct jsonw {
	char *buf;
	size_t len;
	size_t cap;
	int failed;
	int depth;
	int first[JW_MAX_DEPTH];	/* nothing written yet at this depth */
	int after_key;
};

void jw_init(struct jsonw *jw);
void jw_free(struct jsonw *jw);
/* Empties the buffer for the next document, keeping its memory. */
void jw_reset(struct jsonw *jw);
/* 0, or -ENOMEM if any append failed. The text is jw->buf, jw->len bytes, NUL-terminated. */
int jw_finish(const struct jsonw *jw);

void jw_obj_begin(struct jsonw *jw);
void jw_obj_end(struct jsonw *jw);
void jw_arr_begin(struct jsonw *jw);
void jw_arr_end(struct jsonw *jw);
void jw_key(struct jsonw *jw, const char *key);

void jw_str(struct jsonw *jw, const char *s);
void jw_strn(struct jsonw *jw, const char *s, size_t n);
void jw_u64(struct jsonw *jw, uint64_t v);
void jw_i64(struct jsonw *jw, int64_t v);
/* Non-finite values are written as null (JSON has no NaN). */
void jw_double(struct jsonw *jw, double v);
void jw_bool(struct jsonw *jw, int v);
void jw_null(struct jsonw *jw);

/* key + value in one call, for the common case. */
void jw_kv_str(struct jsonw *jw, const char *key, const char *s);
void jw_kv_u64(struct jsonw *jw, const char *key, uint64_t v);
void jw_kv_i64(struct jsonw *jw, const char *key, int64_t v);
void jw_kv_double(struct jsonw *jw, const char *key, double v);
void jw_kv_bool(struct jsonw *jw, const char *key, int v);

/* Appends raw text (e.g. a newline between JSONL records). */
void jw_raw(struct jsonw *jw, const char *s);

#endif
