// SPDX-License-Identifier: GPL-2.0-only
#include "core/folded.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "core/utf8.h"

/* ---- the table: open addressing, FNV-1a ------------------------------------ */

struct slot {
	char *stack;
	uint64_t weight;
	uint64_t hash;
};

struct folded {
	struct slot *slots;
	size_t cap;		/* power of two */
	size_t count;
	uint64_t total;
};

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct folded *folded_new(void)
{
	struct folded *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->cap = 64;
	f->slots = calloc(f->cap, sizeof(*f->slots));
	if (!f->slots) {
		free(f);
		return NULL;
	}
	return f;
}

void folded_free(struct folded *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->cap; i++)
		free(f->slots[i].stack);
	free(f->slots);
	free(f);
}

static int grow(struct folded *f)
{
	size_t cap = f->cap * 2;
	struct slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < f->cap; i++) {
		struct slot *s = &f->slots[i];
		size_t j;

		if (!s->stack)
			continue;
		for (j = s->hash & (cap - 1); slots[j].stack; j = (j + 1) & (cap - 1))
			;
		slots[j] = *s;
	}
	free(f->slots);
	f->slots = slots;
	f->cap = cap;
	return 0;
}

/* Adds weight to the stack s[0..n) (no NUL needed). */
static int add_n(struct folded *f, const char *s, size_t n, uint64_t weight)
{
	uint64_t h;
	size_t i;

	if (n == 0)
		return -EINVAL;
	if ((f->count + 1) * 4 > f->cap * 3 && grow(f))
		return -ENOMEM;
	h = hash_str(s, n);
	for (i = h & (f->cap - 1); f->slots[i].stack; i = (i + 1) & (f->cap - 1)) {
		struct slot *sl = &f->slots[i];

		if (sl->hash == h && strlen(sl->stack) == n && !memcmp(sl->stack, s, n)) {
			sl->weight += weight;
			f->total += weight;
			return 0;
		}
	}
	f->slots[i].stack = strndup(s, n);
	if (!f->slots[i].stack)
		return -ENOMEM;
	f->slots[i].hash = h;
	f->slots[i].weight = weight;
	f->count++;
	f->total += weight;
	return 0;
}

/* Appends frame as shown (core/utf8.h), with ';' as ':' unless keep_semicolons. */
static void add_frame(struct strbuf *tb, const char *frame, int keep_semicolons)
{
	size_t start = tb->len;

	utf8_sanitize(tb, frame, strlen(frame));
	if (tb->failed || keep_semicolons)
		return;
	/* ';' is ASCII, so never a byte of a longer character */
	for (size_t j = start; j < tb->len; j++)
		if (tb->buf[j] == ';')
			tb->buf[j] = ':';
}

int folded_add(struct folded *f, const char *stack, uint64_t weight)
{
	struct strbuf tb;
	int err;

	sb_init(&tb);
	add_frame(&tb, stack, 1);
	err = sb_finish(&tb);
	if (!err)
		err = add_n(f, tb.buf, tb.len, weight);
	sb_free(&tb);
	return err;
}

int folded_add_frames(struct folded *f, const char *const *frames, size_t n, uint64_t weight)
{
	struct strbuf tb;
	int err;

	if (n == 0)
		return -EINVAL;
	sb_init(&tb);
	for (size_t i = 0; i < n && !tb.failed; i++) {
		if (i)
			sb_add(&tb, ";", 1);
		add_frame(&tb, frames[i] && frames[i][0] ? frames[i] : "[unknown]", 0);
	}
	err = sb_finish(&tb);
	if (!err)
		err = add_n(f, tb.buf, tb.len, weight);
	sb_free(&tb);
	return err;
}

size_t folded_count(const struct folded *f)
{
	return f->count;
}

uint64_t folded_total(const struct folded *f)
{
	return f->total;
}

uint64_t folded_weight(const struct folded *f, const char *stack)
{
	size_t n = strlen(stack);
	uint64_t h = hash_str(stack, n);

	for (size_t i = h & (f->cap - 1); f->slots[i].stack; i = (i + 1) & (f->cap - 1))
		if (f->slots[i].hash == h && !strcmp(f->slots[i].stack, stack))
			return f->slots[i].weight;
	return 0;
}

static int by_stack(const void *a, const void *b)
{
	return strcmp(((const struct folded_entry *)a)->stack, ((const struct folded_entry *)b)->stack);
}

static int by_weight(const void *a, const void *b)
{
	const struct folded_entry *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return strcmp(x->stack, y->stack);
}

long folded_entries(const struct folded *f, enum folded_order order, struct folded_entry **out)
{
	struct folded_entry *e;
	size_t n = 0;

	*out = NULL;
	if (f->count == 0)
		return 0;
	e = malloc(f->count * sizeof(*e));
	if (!e)
		return -ENOMEM;
	for (size_t i = 0; i < f->cap; i++) {
		if (!f->slots[i].stack)
			continue;
		e[n].stack = f->slots[i].stack;
		e[n].weight = f->slots[i].weight;
		n++;
	}
	qsort(e, n, sizeof(*e), order == FOLDED_BY_WEIGHT ? by_weight : by_stack);
	*out = e;
	return (long)n;
}

int folded_format(const struct folded *f, struct strbuf *tb)
{
	struct folded_entry *e;
	long n = folded_entries(f, FOLDED_BY_STACK, &e);

	if (n < 0)
		return (int)n;
	for (long i = 0; i < n; i++)
		sb_printf(tb, "%s %" PRIu64 "\n", e[i].stack, e[i].weight);
	free(e);
	return sb_finish(tb);
}
