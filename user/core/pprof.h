/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A pprof profile (profile.proto, package perftools.profiles) built from
 * symbolized stacks, encoded as protobuf and gzipped with zlib. Pure: bytes in
 * memory. Field numbers and validity rules are those of proto/profile.proto in
 * the pprof project (github.com/google/pprof).
 *
 * Every frame becomes one Function and one Location with one Line (speedscope
 * drops Locations without a Line); ids start at 1; string_table[0] is "".
 * Samples list location ids leaf first. Every string (frames, labels) is
 * stored as core/utf8.h shows it: protobuf strings must be valid UTF-8.
 */
#ifndef LATGOV_PPROF_H
#define LATGOV_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "core/folded.h"

#define PPROF_MAX_TYPES 4

struct pprof;

/* An empty profile, or NULL when out of memory. */
struct pprof *pprof_new(void);
void pprof_free(struct pprof *p);

/*
 * Declares the next sample type ("samples"/"count", "wall"/"microseconds").
 * Every sample then carries one value per declared type, in this order.
 * Returns its index, -E2BIG past PPROF_MAX_TYPES, -ENOMEM.
 */
int pprof_sample_type(struct pprof *p, const char *type, const char *unit);
/* Which type viewers show first (default_sample_type); 0 or -EINVAL if undeclared. */
int pprof_default_type(struct pprof *p, const char *type);
/* period_type and period, e.g. "cpu"/"nanoseconds", 10101010 for 99 Hz. */
int pprof_period(struct pprof *p, const char *type, const char *unit, int64_t period);
void pprof_time(struct pprof *p, int64_t time_nanos, int64_t duration_nanos);

/*
 * Adds one sample: frames leaf first, one value per sample type, and an
 * optional string label (key NULL for none), e.g. phase=oncpu. Returns 0,
 * -EINVAL (no frames, or no sample type declared yet), -ENOMEM.
 */
int pprof_add(struct pprof *p, const char *const *frames_leaf_first, size_t nframes,
	      const int64_t *values, const char *label_key, const char *label_str);

/* Appends the encoded (uncompressed) Profile message to out. 0 or -ENOMEM. */
int pprof_encode(const struct pprof *p, struct strbuf *out);

/*
 * gzip (RFC 1952, zlib deflate with windowBits 15+16) of in[0..len) appended
 * to out. 0, -ENOMEM, or -EIO if zlib fails.
 */
int pprof_gzip(const void *in, size_t len, struct strbuf *out);

#endif
