/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A growable text buffer for the text writers (Prometheus exposition, the
 * terminal tables). Allocation failure is sticky, as in jsonw: sb->failed is
 * set, later appends do nothing and sb_finish() returns -ENOMEM.
 */
#ifndef LATGOV_STRBUF_H
#define LATGOV_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *buf;	/* NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
	int failed;
};

void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
/* Empties the text, keeping the memory. */
void sb_reset(struct strbuf *sb);
/* 0, or -ENOMEM if any append failed. */
int sb_finish(const struct strbuf *sb);

void sb_add(struct strbuf *sb, const char *s, size_t n);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
