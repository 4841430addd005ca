/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Prometheus text exposition format (0.0.4) from typed samples. Whoever
 * has metrics (the request metrics in prom.c, the governor's in
 * governor_prom.c, any session part) reports them to a struct
 * prom_exposition as samples of a family (name, HELP, TYPE) with labels and
 * a value or a histogram, in any order; prom_render() writes each family once,
 * its HELP and TYPE first and its samples together, families in the order
 * they were first reported. Names are checked, label values and HELP text
 * escaped, and values written so that a scraper reads back what was reported.
 * Pure: the text goes into a struct strbuf.
 *
 * Errors are sticky, as in strbuf: the first bad report (an invalid name or
 * label, a family reported with another TYPE or HELP, a value of the wrong
 * kind for its TYPE, histogram buckets that are not cumulative) or failed
 * allocation is kept, later reports are ignored, and prom_render() returns
 * it: a half-right exposition is never rendered.
 */
#ifndef LATGOV_PROM_TEXT_H
#define LATGOV_PROM_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

enum prom_type {
	PROM_GAUGE,
	PROM_COUNTER,
	PROM_HISTOGRAM,
};

/* A metric family; producers keep theirs as static consts. */
struct prom_metric {
	const char *name;	/* [a-zA-Z_:][a-zA-Z0-9_:]* */
	const char *help;	/* any text; backslashes and newlines are escaped */
	enum prom_type type;
};

struct prom_label {
	const char *key;	/* [a-zA-Z_][a-zA-Z0-9_]*, not __*, not "le" on a histogram */
	const char *value;	/* any text; escaped */
};

/*
 * One histogram series. cumulative[i] counts the observations <= le[i]; the
 * writer adds the le="+Inf" bucket, which is count.
 */
struct prom_histogram {
	const double *le;		/* finite and strictly increasing */
	const uint64_t *cumulative;	/* non-decreasing, none above count */
	size_t nbuckets;
	double sum;
	uint64_t count;
};

struct prom_family;

struct prom_exposition {
	struct prom_family *families;	/* in the order first reported */
	size_t nfamilies;
	size_t cap;
	size_t last;	/* the family reported to last: most reports go to it again */
	int err;	/* the first error, sticky */
};

void prom_exposition_init(struct prom_exposition *x);
void prom_exposition_free(struct prom_exposition *x);

/* Declares a family: its HELP and TYPE are written even while it has no samples. */
void prom_declare(struct prom_exposition *x, const struct prom_metric *m);

/* A gauge or counter sample; NaN and infinities are written as NaN, +Inf and -Inf. */
void prom_sample(struct prom_exposition *x, const struct prom_metric *m,
		 const struct prom_label *labels, size_t nlabels, double v);

/* The same for an integer, written exactly: a double loses digits past 2^53. */
void prom_sample_u64(struct prom_exposition *x, const struct prom_metric *m,
		     const struct prom_label *labels, size_t nlabels, uint64_t v);

/* A histogram series: its _bucket lines (le labels, +Inf last), _sum and _count. */
void prom_sample_histogram(struct prom_exposition *x, const struct prom_metric *m,
			   const struct prom_label *labels, size_t nlabels,
			   const struct prom_histogram *h);

/*
 * Appends the exposition to sb. Returns 0, the first error reported (-EINVAL
 * for a bad report, -ENOMEM), or -ENOMEM when sb could not grow; sb then
 * holds nothing worth serving.
 */
int prom_render(const struct prom_exposition *x, struct strbuf *sb);

/* Appends s with Prometheus label-value escaping (\\, \", \n). */
void prom_escape_label(struct strbuf *sb, const char *s);

#endif
