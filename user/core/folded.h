/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Folded stacks, in flamegraph.pl's text format: one line per stack, frames
 * from root to leaf joined by ';', a space, then a weight (samples or µs).
 * Pure: a table of stack -> weight, built from frames, merged, parsed and
 * formatted into memory. Files are the caller's business.
 */
#ifndef LATGOV_FOLDED_H
#define LATGOV_FOLDED_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

struct folded;

struct folded_entry {
	const char *stack;	/* frames root first, ';'-joined; owned by the table */
	uint64_t weight;
};

/* An empty table, or NULL when out of memory. */
struct folded *folded_new(void);
void folded_free(struct folded *f);

/*
 * Adds weight to a stack given as ';'-joined text (root first), shown as
 * core/utf8.h says (control characters as '?', bytes that are not UTF-8 as
 * U+FFFD). Adding to an existing stack sums. Returns 0, -EINVAL for an empty
 * stack, -ENOMEM.
 */
int folded_add(struct folded *f, const char *stack, uint64_t weight);

/*
 * Adds weight to a stack given as frames, root first. Each frame is cleaned
 * so the line stays parseable and safe to print: ';' becomes ':', newlines
 * and other control characters (C0, DEL, C1) become '?', bytes that are not
 * UTF-8 become U+FFFD (core/utf8.h), an empty frame becomes "[unknown]".
 * Frames are never dropped. Returns 0, -EINVAL when n == 0, -ENOMEM.
 */
int folded_add_frames(struct folded *f, const char *const *frames, size_t n, uint64_t weight);

size_t folded_count(const struct folded *f);	/* distinct stacks */
uint64_t folded_total(const struct folded *f);	/* sum of all weights */
/* The weight of one stack, 0 if absent. */
uint64_t folded_weight(const struct folded *f, const char *stack);

enum folded_order {
	FOLDED_BY_STACK,	/* lexical: stable output, sibling frames adjacent */
	FOLDED_BY_WEIGHT,	/* heaviest first, ties by stack */
};

/*
 * An array of every entry, sorted; the caller frees the array (not the
 * strings, which belong to f and live until it changes). Returns the count
 * (*out may be NULL when 0) or -ENOMEM.
 */
long folded_entries(const struct folded *f, enum folded_order order, struct folded_entry **out);

/* Appends f in folded text, sorted by stack. Returns 0 or -ENOMEM. */
int folded_format(const struct folded *f, struct strbuf *tb);

#endif
