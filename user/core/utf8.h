/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Names that belong to other people, made safe to show. Process names
 * (prctl(PR_SET_NAME) takes any bytes), symbols of target binaries, perf-map
 * lines and cgroup paths reach the terminal, the SVG, the folded text, pprof
 * strings and JSON. Each of those needs valid UTF-8, and the terminal must
 * not run escape sequences a name carries.
 *
 * Decoding follows RFC 3629: overlong forms, UTF-16 surrogates, code points
 * above U+10FFFF and sequences cut short are invalid. Each maximal subpart of
 * an invalid sequence (Unicode 15.0 section 3.9, "U+FFFD Substitution of
 * Maximal Subparts", as Python's errors="replace" and browsers do) is one
 * unit: one U+FFFD when shown. A control character (C0, DEL, C1) is shown
 * as '?', as the folded text always did, so that a name keeps its length on
 * a terminal; the noncharacters U+FFFE and U+FFFF (not allowed in XML) are
 * shown as U+FFFD.
 *
 * Pure: bytes in, bytes out.
 */
#ifndef LATGOV_UTF8_H
#define LATGOV_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "core/strbuf.h"

#define UTF8_REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD in UTF-8 */
#define UTF8_INVALID (-1)

/*
 * Decodes the character at s[0..n) into *cp. Returns the bytes it takes
 * (1..4), or 0 when n == 0. An invalid sequence sets *cp to UTF8_INVALID and
 * returns the length of its maximal subpart (at least 1).
 */
size_t utf8_decode(const char *s, size_t n, int32_t *cp);

/* 1 if s[0..n) is valid UTF-8, else 0. */
int utf8_valid(const char *s, size_t n);

/*
 * The character at s[0..n) (n > 0) as it is shown: itself, "?" for a control
 * character, U+FFFD for an invalid sequence or a noncharacter. Sets *shown
 * and *len to those bytes (pointing into s or to a constant) and returns the
 * bytes of s it stands for (1..4); 0 when n == 0.
 */
size_t utf8_shown(const char *s, size_t n, const char **shown, size_t *len);

/* Appends s[0..n) as it is shown (utf8_shown, character by character). */
void utf8_sanitize(struct strbuf *out, const char *s, size_t n);

/*
 * Writes the NUL-terminated s as it is shown into out[0..size), NUL-terminated,
 * cut after the last whole character that fits. Returns the bytes written
 * without the NUL (0 when size == 0, and then nothing is written).
 */
size_t utf8_sanitize_to(char *out, size_t size, const char *s);

/*
 * The length of the longest prefix of s[0..n) that ends on a character
 * boundary and has at most max_bytes bytes and max_chars characters (an
 * invalid subpart counts as one). SIZE_MAX lifts either limit.
 */
size_t utf8_prefix(const char *s, size_t n, size_t max_bytes, size_t max_chars);

/* The characters in s[0..n), each invalid subpart counting as one. */
size_t utf8_count(const char *s, size_t n);

#endif
