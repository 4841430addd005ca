// SPDX-License-Identifier: GPL-2.0-only
#include "schedule.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/parse.h"

#define TOKEN_MAX 64

enum sched_kind { KIND_ANY, KIND_CONST, KIND_STEP, KIND_RAMP, KIND_SPIKE };

__attribute__((format(printf, 4, 5)))
static int fail(struct sched_error *err, int line, int col, const char *fmt, ...)
{
	va_list ap;

	err->line = line;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Copies text[from, to) without surrounding blanks; returns the column shift of the first kept char. */
static int token(const char *from, const char *to, char out[TOKEN_MAX], size_t *shift)
{
	const char *b = from, *e = to;

	while (b < e && isspace((unsigned char)*b))
		b++;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	*shift = (size_t)(b - from);
	if ((size_t)(e - b) >= TOKEN_MAX)
		return -E2BIG;
	memcpy(out, b, (size_t)(e - b));
	out[e - b] = '\0';
	return 0;
}

static int add_segment(struct schedule *s, double from, double to, uint64_t len_ns)
{
	if (s->nseg >= SCHED_MAX_SEGMENTS)
		return -E2BIG;
	s->seg[s->nseg++] = (struct sched_segment){ .rate_from = from, .rate_to = to, .len_ns = len_ns };
	return 0;
}

static int parse_rate(const char *tok, double *out)
{
	return parse_double(tok, 0, SCHED_MAX_RATE, out);
}

/* One "RATE[@DUR]" or "FROM-TO@DUR" segment starting at column col. */
static int parse_segment(struct schedule *s, const char *seg, int line, int col,
			 uint64_t default_len_ns, enum sched_kind kind, struct sched_error *err)
{
	char rate[TOKEN_MAX], dur[TOKEN_MAX];
	const char *at = strchr(seg, '@');
	const char *end = seg + strlen(seg);
	size_t shift, dshift;
	double from, to;
	uint64_t len_ns = default_len_ns;
	char *dash;

	if (token(seg, at ? at : end, rate, &shift))
		return fail(err, line, col, "rate too long");
	col += (int)shift;
	if (!*rate)
		return fail(err, line, col, "missing rate: write RATE@DURATION, e.g. 500@10s");
	dash = strchr(rate, '-');
	if (dash) {
		*dash = '\0';
		if (parse_rate(rate, &from))
			return fail(err, line, col, "bad ramp start rate '%s': expected req/s from 0 to %.0f", rate, SCHED_MAX_RATE);
		if (parse_rate(dash + 1, &to))
			return fail(err, line, col + (int)(dash + 1 - rate),
				    "bad ramp end rate '%s': expected req/s from 0 to %.0f", dash + 1, SCHED_MAX_RATE);
		if (kind == KIND_CONST || kind == KIND_STEP)
			return fail(err, line, col, "a ramp FROM-TO is not allowed in a %s schedule: use ramp:",
				    kind == KIND_CONST ? "const" : "step");
	} else {
		if (parse_rate(rate, &from))
			return fail(err, line, col, "bad rate '%s': expected req/s from 0 to %.0f", rate, SCHED_MAX_RATE);
		to = from;
	}
	if (at) {
		int dcol = col - (int)shift + (int)(at + 1 - seg);

		if (token(at + 1, end, dur, &dshift))
			return fail(err, line, dcol, "duration too long");
		dcol += (int)dshift;
		if (parse_duration(dur, 1000000000ull, &len_ns) || len_ns == 0)
			return fail(err, line, dcol, "bad duration '%s': expected e.g. 500ms, 10s, 2m", dur);
	} else if (!default_len_ns || dash) {
		return fail(err, line, col, "missing duration: write %s@DURATION, e.g. @10s", seg);
	}
	if (add_segment(s, from, to, len_ns))
		return fail(err, line, col, "too many segments (at most %d)", SCHED_MAX_SEGMENTS);
	return 0;
}

/* spike:base=R,peak=R,at=DUR,for=DUR,total=DUR */
static int parse_spike(struct schedule *s, const char *body, int line, int col0,
		       uint64_t default_len_ns, struct sched_error *err)
{
	double base = -1, peak = -1;
	uint64_t at = UINT64_MAX, len = UINT64_MAX, total = default_len_ns;
	const char *p = body;

	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *eq = memchr(p, '=', (size_t)(end - p));
		char key[TOKEN_MAX], val[TOKEN_MAX];
		size_t kshift, vshift;
		int col = col0 + (int)(p - body);
		int vcol;

		if (!eq)
			return fail(err, line, col, "expected KEY=VALUE (keys: base, peak, at, for, total)");
		if (token(p, eq, key, &kshift) || token(eq + 1, end, val, &vshift))
			return fail(err, line, col, "value too long");
		col += (int)kshift;
		vcol = col0 + (int)(eq + 1 - body) + (int)vshift;
		if (!strcmp(key, "base") || !strcmp(key, "peak")) {
			double *r = key[0] == 'b' ? &base : &peak;

			if (parse_rate(val, r))
				return fail(err, line, vcol, "bad %s rate '%s': expected req/s from 0 to %.0f", key, val, SCHED_MAX_RATE);
		} else if (!strcmp(key, "at") || !strcmp(key, "for") || !strcmp(key, "total")) {
			uint64_t *d = key[0] == 'a' ? &at : key[0] == 'f' ? &len : &total;

			if (parse_duration(val, 1000000000ull, d))
				return fail(err, line, vcol, "bad %s duration '%s': expected e.g. 500ms, 10s", key, val);
		} else {
			return fail(err, line, col, "unknown spike key '%s' (keys: base, peak, at, for, total)", key);
		}
		p = comma ? comma + 1 : end;
	}
	if (base < 0 || peak < 0 || at == UINT64_MAX || len == UINT64_MAX || len == 0)
		return fail(err, line, col0, "spike needs base=, peak=, at= and for= (total= defaults to -d)");
	if (!total)
		return fail(err, line, col0, "spike needs total= (or a -d for the run)");
	if (at + len > total)
		return fail(err, line, col0, "spike at+for is past total: the burst must end inside the schedule");
	if ((at && add_segment(s, base, base, at)) || add_segment(s, peak, peak, len) ||
	    (total > at + len && add_segment(s, base, base, total - at - len)))
		return fail(err, line, col0, "too many segments (at most %d)", SCHED_MAX_SEGMENTS);
	return 0;
}

int sched_parse(struct schedule *s, const char *text, int line,
		uint64_t default_len_ns, struct sched_error *err)
{
	enum sched_kind kind = KIND_ANY;
	const char *p = text, *colon;
	size_t first = s->nseg;
	int col0;

	while (isspace((unsigned char)*p))
		p++;
	colon = strchr(p, ':');
	if (colon && isalpha((unsigned char)*p)) {
		size_t n = (size_t)(colon - p);

		if (n == 5 && !strncmp(p, "const", n))
			kind = KIND_CONST;
		else if (n == 4 && !strncmp(p, "step", n))
			kind = KIND_STEP;
		else if (n == 4 && !strncmp(p, "ramp", n))
			kind = KIND_RAMP;
		else if (n == 5 && !strncmp(p, "spike", n))
			kind = KIND_SPIKE;
		else
			return fail(err, line, (int)(p - text) + 1,
				    "unknown schedule kind '%.*s': use const, step, ramp or spike", (int)n, p);
		p = colon + 1;
	}
	col0 = (int)(p - text) + 1;
	{
		const char *q = p;

		while (isspace((unsigned char)*q))
			q++;
		if (!*q)
			return fail(err, line, col0, "empty schedule: give at least one RATE@DURATION");
	}
	if (kind == KIND_SPIKE)
		return parse_spike(s, p, line, col0, default_len_ns, err);

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char seg[2 * TOKEN_MAX];
		int e;

		if (n >= sizeof(seg))
			return fail(err, line, col0, "segment too long");
		memcpy(seg, p, n);
		seg[n] = '\0';
		e = parse_segment(s, seg, line, col0, default_len_ns, kind, err);
		if (e)
			return e;
		col0 += (int)n + 1;
		p = comma ? comma + 1 : p + n;
		if (comma && !*p)
			return fail(err, line, col0, "trailing ',': give another RATE@DURATION or remove it");
	}
	if (kind == KIND_CONST && s->nseg - first != 1)
		return fail(err, line, 1, "const: takes one RATE@DURATION; use step: for several");
	return 0;
}

int sched_parse_file_text(struct schedule *s, const char *text, struct sched_error *err)
{
	const char *p = text;
	int line = 1;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char buf[512];
		char *hash;
		int e;

		if (n >= sizeof(buf))
			return fail(err, line, 1, "line too long (at most %zu characters)", sizeof(buf) - 1);
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (n && buf[n - 1] == '\r')
			buf[n - 1] = '\0';
		hash = strchr(buf, '#');
		if (hash)
			*hash = '\0';
		for (char *q = buf; *q; q++) {
			if (!isspace((unsigned char)*q)) {
				/* In a file every segment states its own length. */
				e = sched_parse(s, buf, line, 0, err);
				if (e)
					return e;
				break;
			}
		}
		p = nl ? nl + 1 : p + n;
		line++;
	}
	if (!s->nseg)
		return fail(err, line > 1 ? line - 1 : 1, 1, "schedule file has no segments");
	return 0;
}

uint64_t sched_length(const struct schedule *s)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->nseg; i++)
		t += s->seg[i].len_ns;
	return t;
}

static double seg_rate(const struct sched_segment *g, double t_s)
{
	double len = (double)g->len_ns / 1e9;

	return g->rate_from + (g->rate_to - g->rate_from) * (t_s / len);
}

/* Integral of the rate over the first t_s seconds of segment g. */
static double seg_integral(const struct sched_segment *g, double t_s)
{
	double len = (double)g->len_ns / 1e9;
	double k = (g->rate_to - g->rate_from) / len;

	return g->rate_from * t_s + k * t_s * t_s / 2;
}

double sched_rate_at(const struct schedule *s, uint64_t t_ns)
{
	for (size_t i = 0; i < s->nseg; i++) {
		if (t_ns < s->seg[i].len_ns)
			return seg_rate(&s->seg[i], (double)t_ns / 1e9);
		t_ns -= s->seg[i].len_ns;
	}
	return 0;
}

double sched_expected(const struct schedule *s, uint64_t t_ns)
{
	double sum = 0;

	for (size_t i = 0; i < s->nseg && t_ns; i++) {
		uint64_t in = t_ns < s->seg[i].len_ns ? t_ns : s->seg[i].len_ns;

		sum += seg_integral(&s->seg[i], (double)in / 1e9);
		t_ns -= in;
	}
	return sum;
}

void sched_truncate(struct schedule *s, uint64_t len_ns)
{
	for (size_t i = 0; i < s->nseg; i++) {
		struct sched_segment *g = &s->seg[i];

		if (len_ns == 0) {
			s->nseg = i;
			return;
		}
		if (g->len_ns > len_ns) {
			/* A ramp keeps its slope: its end rate is the rate at the cut. */
			g->rate_to = seg_rate(g, (double)len_ns / 1e9);
			g->len_ns = len_ns;
		}
		len_ns -= g->len_ns;
	}
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Exponential variate of mean 1. */
static double exp1(uint64_t *rng)
{
	/* 53 random bits in (0, 1]: never log(0). */
	double u = ((double)(splitmix64(rng) >> 11) + 1.0) / 9007199254740992.0;

	return -log(u);
}

void arrivals_init(struct arrivals *a, const struct schedule *s, int poisson, uint64_t seed)
{
	*a = (struct arrivals){ .s = s, .poisson = poisson, .rng = seed };
	a->x = poisson ? exp1(&a->rng) : 0;
}

int arrivals_next(struct arrivals *a, uint64_t *t_ns)
{
	while (a->seg < a->s->nseg) {
		const struct sched_segment *g = &a->s->seg[a->seg];
		double len = (double)g->len_ns / 1e9;
		double total = seg_integral(g, len);

		/* The epsilon keeps float noise in total from adding a request at the very end. */
		if (a->x < total - 1e-9) {
			double k = (g->rate_to - g->rate_from) / len;
			double r0 = g->rate_from, t;

			/*
			 * Solve r0*t + k*t^2/2 = x for t. This form of the quadratic
			 * root stays accurate for k near 0 and for falling ramps.
			 */
			if (a->x <= 0)
				t = 0;
			else
				t = 2 * a->x / (r0 + sqrt(r0 * r0 + 2 * k * a->x));
			if (t > len)
				t = len;
			*t_ns = a->seg_start_ns + (uint64_t)llround(t * 1e9);
			a->x += a->poisson ? exp1(&a->rng) : 1.0;
			return 0;
		}
		a->x -= total;
		a->seg_start_ns += g->len_ns;
		a->seg++;
	}
	return -ENODATA;
}
