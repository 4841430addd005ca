// SPDX-License-Identifier: GPL-2.0-only
#include "core/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Parses the leading number of s; *rest points at what follows it. */
static int leading_number(const char *s, double *v, const char **rest)
{
	char *end;

	/* strtod accepts "inf", "nan", hex and leading blanks: none is a quantity. */
	if (!s || !(isdigit((unsigned char)s[0]) || (s[0] == '.' && isdigit((unsigned char)s[1]))))
		return -EINVAL;
	for (const char *p = s; *p && (isdigit((unsigned char)*p) || *p == '.'); p++)
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
			return -EINVAL;
	errno = 0;
	*v = strtod(s, &end);
	if (errno == ERANGE || !isfinite(*v))
		return -ERANGE;
	if (end == s)
		return -EINVAL;
	*rest = end;
	return 0;
}

int parse_double(const char *s, double min, double max, double *out)
{
	const char *rest;
	double v;
	int err;

	err = leading_number(s, &v, &rest);
	if (err)
		return err;
	if (*rest)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

struct unit {
	const char *name;
	double factor;
};

/* Looks up a suffix in a table; the empty suffix is the table's first entry. */
static int scale(const char *s, const struct unit *units, double limit, double *out)
{
	const char *rest;
	double v;
	int err;

	err = leading_number(s, &v, &rest);
	if (err)
		return err;
	for (const struct unit *u = units; u->name; u++) {
		if (strcasecmp(rest, u->name) == 0) {
			v *= u->factor;
			if (v > limit)
				return -ERANGE;
			*out = v;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
		{ "", 1 }, { "b", 1 },
		{ "k", 1024.0 }, { "kb", 1024.0 }, { "ki", 1024.0 }, { "kib", 1024.0 },
		{ "m", 1048576.0 }, { "mb", 1048576.0 }, { "mi", 1048576.0 }, { "mib", 1048576.0 },
		{ "g", 1073741824.0 }, { "gb", 1073741824.0 }, { "gi", 1073741824.0 }, { "gib", 1073741824.0 },
		{ "t", 1099511627776.0 }, { "tb", 1099511627776.0 }, { "ti", 1099511627776.0 },
		{ "tib", 1099511627776.0 },
		{ NULL, 0 },
	};
	double v;
	int err;

	err = scale(s, units, 9.0e18, &v);
	if (err)
		return err;
	if (v != floor(v))
		return -EINVAL;	/* "1.3K" is not a whole number of bytes */
	*out = (uint64_t)v;
	return 0;
}

int parse_duration(const char *s, uint64_t default_unit_ns, uint64_t *out_ns)
{
	const struct unit units[] = {
		{ "", (double)default_unit_ns },
		{ "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 },
		{ "s", 1e9 }, { "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 },
		{ NULL, 0 },
	};
	double v;
	int err;

	err = scale(s, units, 1.8e19, &v);
	if (err)
		return err;
	*out_ns = (uint64_t)llround(v);
	return 0;
}

int parse_cpu(const char *s, uint64_t *out_millicores)
{
	static const struct unit units[] = {
		{ "", 1000 }, { "m", 1 },
		{ NULL, 0 },
	};
	double v;
	int err;

	err = scale(s, units, 1e9, &v);
	if (err)
		return err;
	*out_millicores = (uint64_t)llround(v);
	return 0;
}

int parse_port(const char *s, uint16_t *out)
{
	long long v;
	int err;

	err = parse_int(s, 1, 65535, &v);
	if (err)
		return err;
	*out = (uint16_t)v;
	return 0;
}
