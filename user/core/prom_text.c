// SPDX-License-Identifier: GPL-2.0-only
#include "core/prom_text.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A family and its sample lines, rendered as reported so that no label needs keeping. */
struct prom_family {
	char *name;
	char *help;
	enum prom_type type;
	struct strbuf samples;
};

static const char *const type_names[] = {
	[PROM_GAUGE] = "gauge",
	[PROM_COUNTER] = "counter",
	[PROM_HISTOGRAM] = "histogram",
};

void prom_exposition_init(struct prom_exposition *x)
{
	memset(x, 0, sizeof(*x));
}

void prom_exposition_free(struct prom_exposition *x)
{
	for (size_t i = 0; i < x->nfamilies; i++) {
		free(x->families[i].name);
		free(x->families[i].help);
		sb_free(&x->families[i].samples);
	}
	free(x->families);
	prom_exposition_init(x);
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Metric names may hold colons (recording rules); label names may not. */
static int name_ok(const char *s, int colons)
{
	if (!s || !(is_alpha(s[0]) || (colons && s[0] == ':')))
		return 0;
	for (const char *p = s + 1; *p; p++)
		if (!(is_alpha(*p) || is_digit(*p) || (colons && *p == ':')))
			return 0;
	return 1;
}

/* Keys valid, not reserved (__*), each once, and no "le" on a histogram: the writer adds it. */
static int labels_ok(const struct prom_label *labels, size_t n, enum prom_type type)
{
	for (size_t i = 0; i < n; i++) {
		if (!name_ok(labels[i].key, 0) || !labels[i].value ||
		    strncmp(labels[i].key, "__", 2) == 0)
			return 0;
		if (type == PROM_HISTOGRAM && strcmp(labels[i].key, "le") == 0)
			return 0;
		for (size_t j = 0; j < i; j++)
			if (strcmp(labels[i].key, labels[j].key) == 0)
				return 0;
	}
	return 1;
}

static void fail(struct prom_exposition *x, int err)
{
	if (!x->err)
		x->err = err;
}

/*
 * The family m names, added at the end on its first report. NULL (and the
 * error kept) when m is not valid or disagrees with how the family was first
 * reported.
 */
static struct prom_family *family(struct prom_exposition *x, const struct prom_metric *m)
{
	struct prom_family *f;

	if (x->err)
		return NULL;
	if (!m || !name_ok(m->name, 1) || !m->help || (unsigned int)m->type > PROM_HISTOGRAM) {
		fail(x, -EINVAL);
		return NULL;
	}
	f = NULL;
	if (x->last < x->nfamilies && strcmp(x->families[x->last].name, m->name) == 0)
		f = &x->families[x->last];
	for (size_t i = 0; !f && i < x->nfamilies; i++) {
		if (strcmp(x->families[i].name, m->name) == 0) {
			f = &x->families[i];
			x->last = i;
		}
	}
	if (f) {
		if (f->type != m->type || strcmp(f->help, m->help) != 0) {
			fail(x, -EINVAL);
			return NULL;
		}
		return f;
	}
	if (x->nfamilies == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 16;
		struct prom_family *fs = realloc(x->families, cap * sizeof(*fs));

		if (!fs) {
			fail(x, -ENOMEM);
			return NULL;
		}
		x->families = fs;
		x->cap = cap;
	}
	f = &x->families[x->nfamilies];
	f->name = strdup(m->name);
	f->help = strdup(m->help);
	if (!f->name || !f->help) {
		free(f->name);
		free(f->help);
		fail(x, -ENOMEM);
		return NULL;
	}
	f->type = m->type;
	sb_init(&f->samples);
	x->last = x->nfamilies++;
	return f;
}

void prom_declare(struct prom_exposition *x, const struct prom_metric *m)
{
	family(x, m);
}

void prom_escape_label(struct strbuf *sb, const char *s)
{
	size_t run = 0;

	for (const char *p = s; *p; p++) {
		const char *esc = *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : *p == '\n' ? "\\n" : NULL;

		if (!esc) {
			run++;
			continue;
		}
		sb_add(sb, p - run, run);
		run = 0;
		sb_puts(sb, esc);
	}
	sb_add(sb, s + strlen(s) - run, run);
}

/* HELP text escapes backslashes and newlines only: a quote stays as it is. */
static void escape_help(struct strbuf *sb, const char *s)
{
	while (*s) {
		size_t run = strcspn(s, "\\\n");

		sb_add(sb, s, run);
		s += run;
		if (!*s)
			break;
		sb_puts(sb, *s == '\\' ? "\\\\" : "\\n");
		s++;
	}
}

/*
 * The shortest of %.15g, %.16g and %.17g that reads back as v: the round
 * figures most values are stay short, and none is rounded on the way out.
 */
static void put_double(struct strbuf *sb, double v)
{
	char text[40];

	if (isnan(v)) {
		sb_puts(sb, "NaN");
		return;
	}
	if (isinf(v)) {
		sb_puts(sb, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(text, sizeof(text), "%.*g", prec, v);
		if (strtod(text, NULL) == v)
			break;
	}
	sb_puts(sb, text);
}

/* "name{k="v",...} " with the name's suffix and, for a bucket, its le label last. */
static void series(struct strbuf *sb, const char *name, const char *suffix,
		   const struct prom_label *labels, size_t n, const double *le)
{
	sb_puts(sb, name);
	sb_puts(sb, suffix);
	if (n || le) {
		sb_puts(sb, "{");
		for (size_t i = 0; i < n; i++) {
			sb_printf(sb, "%s%s=\"", i ? "," : "", labels[i].key);
			prom_escape_label(sb, labels[i].value);
			sb_puts(sb, "\"");
		}
		if (le) {
			sb_puts(sb, n ? ",le=\"" : "le=\"");
			put_double(sb, *le);
			sb_puts(sb, "\"");
		}
		sb_puts(sb, "}");
	}
	sb_puts(sb, " ");
}

/* The family of a gauge or counter sample, or NULL with the error kept. */
static struct prom_family *scalar_family(struct prom_exposition *x, const struct prom_metric *m,
					 const struct prom_label *labels, size_t nlabels)
{
	struct prom_family *f = family(x, m);

	if (f && (f->type == PROM_HISTOGRAM || !labels_ok(labels, nlabels, f->type))) {
		fail(x, -EINVAL);
		return NULL;
	}
	return f;
}

void prom_sample(struct prom_exposition *x, const struct prom_metric *m,
		 const struct prom_label *labels, size_t nlabels, double v)
{
	struct prom_family *f = scalar_family(x, m, labels, nlabels);

	if (!f)
		return;
	series(&f->samples, f->name, "", labels, nlabels, NULL);
	put_double(&f->samples, v);
	sb_puts(&f->samples, "\n");
}

void prom_sample_u64(struct prom_exposition *x, const struct prom_metric *m,
		     const struct prom_label *labels, size_t nlabels, uint64_t v)
{
	struct prom_family *f = scalar_family(x, m, labels, nlabels);

	if (!f)
		return;
	series(&f->samples, f->name, "", labels, nlabels, NULL);
	sb_printf(&f->samples, "%" PRIu64 "\n", v);
}

/* Bounds finite and increasing, counts cumulative: what a scraper takes for a histogram. */
static int histogram_ok(const struct prom_histogram *h)
{
	for (size_t i = 0; i < h->nbuckets; i++) {
		if (!isfinite(h->le[i]) || h->cumulative[i] > h->count)
			return 0;
		if (i && (h->le[i] <= h->le[i - 1] || h->cumulative[i] < h->cumulative[i - 1]))
			return 0;
	}
	return 1;
}

void prom_sample_histogram(struct prom_exposition *x, const struct prom_metric *m,
			   const struct prom_label *labels, size_t nlabels,
			   const struct prom_histogram *h)
{
	static const double inf = INFINITY;
	struct prom_family *f = family(x, m);
	struct strbuf *sb;

	if (!f)
		return;
	if (!h || f->type != PROM_HISTOGRAM || !labels_ok(labels, nlabels, f->type) ||
	    !histogram_ok(h)) {
		fail(x, -EINVAL);
		return;
	}
	sb = &f->samples;
	for (size_t i = 0; i < h->nbuckets; i++) {
		series(sb, f->name, "_bucket", labels, nlabels, &h->le[i]);
		sb_printf(sb, "%" PRIu64 "\n", h->cumulative[i]);
	}
	series(sb, f->name, "_bucket", labels, nlabels, &inf);
	sb_printf(sb, "%" PRIu64 "\n", h->count);
	series(sb, f->name, "_sum", labels, nlabels, NULL);
	put_double(sb, h->sum);
	sb_puts(sb, "\n");
	series(sb, f->name, "_count", labels, nlabels, NULL);
	sb_printf(sb, "%" PRIu64 "\n", h->count);
}

int prom_render(const struct prom_exposition *x, struct strbuf *sb)
{
	if (x->err)
		return x->err;
	for (size_t i = 0; i < x->nfamilies; i++) {
		const struct prom_family *f = &x->families[i];

		if (sb_finish(&f->samples))
			return -ENOMEM;
		sb_printf(sb, "# HELP %s ", f->name);
		escape_help(sb, f->help);
		sb_printf(sb, "\n# TYPE %s %s\n", f->name, type_names[f->type]);
		sb_add(sb, f->samples.buf ? f->samples.buf : "", f->samples.len);
	}
	return sb_finish(sb);
}
