/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Durations and sizes for people, in one form for every text output (the
 * terminal tables, the flame summary, SVG tooltips, the tools): the number,
 * no space, an ASCII unit, with about three significant digits.
 *
 *   units_ns     850ns  850us  1.2ms  45.7ms  250ms  3.40s  3600s
 *   units_bytes  512B  1.5KiB  96.0MiB  2.0GiB  (powers of 1024)
 *
 * The suffixes are those the options take (-d 250ms, memory: 96MiB). JSON
 * and Prometheus outputs keep plain numbers in the unit their key names.
 * Pure; each returns out, so that a call can be a printf argument.
 */
#ifndef LATGOV_UNITS_H
#define LATGOV_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define UNITS_LEN 16	/* room for any figure below, NUL included */

/* A duration in ns. Returns out. */
char *units_ns(uint64_t ns, char *out, size_t size);

/* A duration in µs (the folded profiles' weights). Returns out. */
char *units_us(uint64_t us, char *out, size_t size);

/* A size in bytes. Returns out. */
char *units_bytes(uint64_t bytes, char *out, size_t size);

#endif
