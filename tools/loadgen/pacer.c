// SPDX-License-Identifier: GPL-2.0-only
#include "pacer.h"

#include <errno.h>

static void advance(struct pacer *p)
{
	if ((p->limit && p->generated >= p->limit) || arrivals_next(&p->arr, &p->next_ns))
		p->next_ns = UINT64_MAX;
}

void pacer_init(struct pacer *p, const struct schedule *s, int poisson, uint64_t seed,
		uint64_t limit, uint64_t *queue, size_t cap)
{
	*p = (struct pacer){ .limit = limit, .queue = queue, .cap = cap };
	arrivals_init(&p->arr, s, poisson, seed);
	advance(p);
}

uint64_t pacer_tick(struct pacer *p, uint64_t now_ns)
{
	uint64_t n = 0;

	while (p->next_ns <= now_ns) {
		if (p->len < p->cap) {
			p->queue[(p->head + p->len) % p->cap] = p->next_ns;
			p->len++;
			if (p->len > p->max_len)
				p->max_len = p->len;
		} else {
			p->dropped++;
		}
		p->generated++;
		n++;
		advance(p);
	}
	return n;
}

int pacer_take(struct pacer *p, uint64_t *intended_ns)
{
	if (!p->len)
		return -ENODATA;
	*intended_ns = p->queue[p->head];
	p->head = (p->head + 1) % p->cap;
	p->len--;
	return 0;
}

int pacer_unget(struct pacer *p, uint64_t intended_ns)
{
	if (p->len >= p->cap)
		return -ENOSPC;
	p->head = (p->head + p->cap - 1) % p->cap;
	p->queue[p->head] = intended_ns;
	p->len++;
	return 0;
}

int pacer_finished(const struct pacer *p)
{
	return p->next_ns == UINT64_MAX;
}
