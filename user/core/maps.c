// SPDX-License-Identifier: GPL-2.0-only
#include "core/maps.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- sorted symbol table ------------------------------------------------- */

void symtab_init(struct symtab *t)
{
	memset(t, 0, sizeof(*t));
}

void symtab_free(struct symtab *t)
{
	free(t->syms);
	free(t->names);
	symtab_init(t);
}

int symtab_add(struct symtab *t, uint64_t addr, uint64_t size, const char *name, size_t name_len)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct sym *p = realloc(t->syms, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->syms = p;
		t->cap = cap;
	}
	if (t->names_len + name_len + 1 > t->names_cap) {
		size_t cap = t->names_cap ? t->names_cap : 4096;
		char *p;

		while (t->names_len + name_len + 1 > cap)
			cap *= 2;
		p = realloc(t->names, cap);
		if (!p)
			return -ENOMEM;
		t->names = p;
		t->names_cap = cap;
	}
	memcpy(t->names + t->names_len, name, name_len);
	t->names[t->names_len + name_len] = '\0';
	t->syms[t->n].addr = addr;
	t->syms[t->n].size = size;
	t->syms[t->n].name = NULL;
	t->syms[t->n].name_off = t->names_len;
	t->names_len += name_len + 1;
	t->n++;
	t->sorted = 0;
	return 0;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* At one address, prefer the sized symbol, then the longer (a function over its alias label). */
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->name_off < y->name_off ? -1 : x->name_off > y->name_off;
}

void symtab_finish(struct symtab *t)
{
	size_t out = 0;

	if (t->n)
		qsort(t->syms, t->n, sizeof(*t->syms), sym_cmp);
	for (size_t i = 0; i < t->n; i++) {
		/* Keep the first (preferred) symbol at each address. */
		if (out && t->syms[out - 1].addr == t->syms[i].addr)
			continue;
		t->syms[out++] = t->syms[i];
	}
	t->n = out;
	for (size_t i = 0; i < t->n; i++)
		t->syms[i].name = t->names + t->syms[i].name_off;
	t->sorted = 1;
}

const struct sym *symtab_lookup(const struct symtab *t, uint64_t addr, uint64_t max_gap, uint64_t *off)
{
	size_t lo = 0, hi = t->n;
	const struct sym *s;

	if (!t->sorted || !t->n)
		return NULL;
	/* The last symbol with s->addr <= addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	s = &t->syms[lo - 1];
	if (s->size) {
		if (addr - s->addr >= s->size)
			return NULL;
	} else {
		uint64_t end = lo < t->n ? t->syms[lo].addr : s->addr + max_gap;

		if (addr >= end || addr - s->addr >= max_gap)
			return NULL;
	}
	if (off)
		*off = addr - s->addr;
	return s;
}

/* ---- small line scanners --------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads a hex number (optional 0x) at *p, up to end. 0 or -EINVAL. */
static int scan_hex(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; s < end && hexval(*s) >= 0; s++, digits++) {
		if (digits >= 16)
			return -EINVAL;
		v = v << 4 | (uint64_t)hexval(*s);
	}
	if (!digits)
		return -EINVAL;
	*p = s;
	*out = v;
	return 0;
}

static int scan_dec(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

static int expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

static void skip_spaces(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* ---- /proc/PID/maps ------------------------------------------------------- */

void maps_free(struct maps *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

static int parse_maps_line(const char *s, const char *end, struct map_entry *e)
{
	uint64_t maj, min;
	const char *path;

	memset(e, 0, sizeof(*e));
	if (scan_hex(&s, end, &e->start) || expect(&s, end, '-') || scan_hex(&s, end, &e->end) ||
	    e->end < e->start)
		return -EINVAL;
	skip_spaces(&s, end);
	if (end - s < 4)
		return -EINVAL;
	memcpy(e->perms, s, 4);
	s += 4;
	skip_spaces(&s, end);
	if (scan_hex(&s, end, &e->offset))
		return -EINVAL;
	skip_spaces(&s, end);
	if (scan_hex(&s, end, &maj) || expect(&s, end, ':') || scan_hex(&s, end, &min))
		return -EINVAL;
	e->dev_major = (uint32_t)maj;
	e->dev_minor = (uint32_t)min;
	skip_spaces(&s, end);
	if (scan_dec(&s, end, &e->inode))
		return -EINVAL;
	skip_spaces(&s, end);
	path = s;
	e->path = strndup(path, (size_t)(end - path));
	return e->path ? 0 : -ENOMEM;
}

int maps_parse(const char *text, size_t len, struct maps *m, size_t *bad_line)
{
	size_t pos = 0, line = 0, cap = 0;

	m->v = NULL;
	m->n = 0;
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - s) : len - pos;
		int err;

		pos += l + (nl ? 1 : 0);
		line++;
		if (l == 0)
			continue;
		if (m->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct map_entry *p = realloc(m->v, ncap * sizeof(*p));

			if (!p)
				return -ENOMEM;
			m->v = p;
			cap = ncap;
		}
		err = parse_maps_line(s, s + l, &m->v[m->n]);
		if (err) {
			if (err == -EINVAL && bad_line)
				*bad_line = line;
			return err;
		}
		m->n++;
	}
	return (int)m->n;
}

const struct map_entry *maps_find(const struct maps *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < m->n && m->v[lo].start <= addr && addr < m->v[lo].end)
		return &m->v[lo];
	return NULL;
}

int map_is_exec(const struct map_entry *e)
{
	return e->perms[2] == 'x';
}

int map_is_file(const struct map_entry *e)
{
	return e->path && e->path[0] == '/';
}

const char *map_basename(const struct map_entry *e)
{
	const char *slash;

	if (!map_is_file(e))
		return e->path && e->path[0] ? e->path : "[anon]";
	slash = strrchr(e->path, '/');
	return slash[1] ? slash + 1 : e->path;
}

/* ---- perf-PID.map and kallsyms ------------------------------------------- */

int perfmap_parse(const char *text, size_t len, struct symtab *t, size_t *skipped)
{
	size_t pos = 0;
	int n = 0;

	if (skipped)
		*skipped = 0;
	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - s) : len - pos;
		const char *end = s + l;
		uint64_t start, size;
		int err;

		pos += l + (nl ? 1 : 0);
		if (l == 0)
			continue;
		if (l > PERFMAP_MAX_LINE || scan_hex(&s, end, &start) || expect(&s, end, ' ') || scan_hex(&s, end, &size) ||
		    expect(&s, end, ' ') || s >= end) {
			if (skipped)
				(*skipped)++;
			continue;
		}
		err = symtab_add(t, start, size, s, (size_t)(end - s));
		if (err)
			return err;
		n++;
	}
	return n;
}

int kallsyms_parse(const char *text, size_t len, struct symtab *t, int *all_zero)
{
	size_t pos = 0;
	int n = 0, nonzero = 0;

	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - s) : len - pos;
		const char *end = s + l, *name, *name_end;
		char type, buf[256];
		uint64_t addr;
		size_t bl;
		int err;

		pos += l + (nl ? 1 : 0);
		if (scan_hex(&s, end, &addr) || expect(&s, end, ' ') || s >= end)
			continue;
		type = *s++;
		if (expect(&s, end, ' '))
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		name = s;
		name_end = memchr(name, '\t', (size_t)(end - name));
		if (!name_end)
			name_end = end;
		bl = (size_t)(name_end - name);
		if (bl >= sizeof(buf))
			bl = sizeof(buf) - 1;
		memcpy(buf, name, bl);
		if (name_end < end) {
			/* "\t[module]" */
			const char *mod = name_end + 1;
			size_t ml = (size_t)(end - mod);

			if (bl + 1 + ml < sizeof(buf)) {
				buf[bl++] = ' ';
				memcpy(buf + bl, mod, ml);
				bl += ml;
			}
		}
		if (addr)
			nonzero = 1;
		err = symtab_add(t, addr, 0, buf, bl);
		if (err)
			return err;
		n++;
	}
	if (all_zero)
		*all_zero = n > 0 && !nonzero;
	return n;
}
