/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one checked parser for numbers from the command line and from files:
 * endptr, errno and range are checked; no atoi anywhere.
 *
 * Every function returns 0 on success, -EINVAL for text that is not a number
 * of the expected form and -ERANGE for one out of range; *out is written only
 * on success.
 */
#ifndef LATGOV_PARSE_H
#define LATGOV_PARSE_H

#include <stdint.h>

/* Decimal integer in [min, max]. */
int parse_int(const char *s, long long min, long long max, long long *out);

/* Non-negative decimal number ("1.5", "2"), finite, in [min, max]. */
int parse_double(const char *s, double min, double max, double *out);

/*
 * Byte size: a number with an optional suffix. K/M/G/T (and KB...) and
 * Ki/Mi/Gi/Ti (and KiB...) are all powers of 1024, as in cgroup files and
 * Kubernetes memory quantities; "512M" == "512Mi" == 536870912.
 * Fractions are allowed where they give whole bytes ("1.5G").
 */
int parse_size(const char *s, uint64_t *out);

/*
 * Duration to nanoseconds: "250ms", "1.5s", "2m", "1h", "500us", "10ns".
 * A bare number is in default_unit_ns units (e.g. 1e9 for seconds).
 */
int parse_duration(const char *s, uint64_t default_unit_ns, uint64_t *out_ns);

/*
 * CPU amount in millicores: "1.5" (cores), "500m" (millicores), "2".
 */
int parse_cpu(const char *s, uint64_t *out_millicores);

/* TCP port, 1..65535. */
int parse_port(const char *s, uint16_t *out);

#endif
