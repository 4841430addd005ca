// SPDX-License-Identifier: GPL-2.0-only
#include "core/utf8.h"

#include <string.h>

size_t utf8_decode(const char *s, size_t n, int32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	/* The second byte's range narrows for E0, ED, F0, F4 (RFC 3629 section 4). */
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need;
	int32_t c;

	if (!n)
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		need = 1;
		c = u[0] & 0x1f;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		need = 2;
		c = u[0] & 0x0f;
		if (u[0] == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (u[0] == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		need = 3;
		c = u[0] & 0x07;
		if (u[0] == 0xf0)
			lo = 0x90;	/* overlong */
		else if (u[0] == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		/* a continuation byte, C0/C1 (always overlong) or F5..FF */
		*cp = UTF8_INVALID;
		return 1;
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || u[i] < lo || u[i] > hi) {
			*cp = UTF8_INVALID;
			return i;
		}
		c = c << 6 | (u[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = c;
	return need + 1;
}

int utf8_valid(const char *s, size_t n)
{
	int32_t cp;

	for (size_t i = 0, len; i < n; i += len) {
		len = utf8_decode(s + i, n - i, &cp);
		if (cp == UTF8_INVALID)
			return 0;
	}
	return 1;
}

size_t utf8_shown(const char *s, size_t n, const char **shown, size_t *len)
{
	int32_t cp;
	size_t used = utf8_decode(s, n, &cp);

	if (!used)
		return 0;
	if (cp == UTF8_INVALID || cp == 0xfffe || cp == 0xffff) {
		*shown = UTF8_REPLACEMENT;
		*len = sizeof(UTF8_REPLACEMENT) - 1;
	} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
		*shown = "?";
		*len = 1;
	} else {
		*shown = s;
		*len = used;
	}
	return used;
}

void utf8_sanitize(struct strbuf *out, const char *s, size_t n)
{
	const char *run = s, *shown;
	size_t i = 0, used, len;

	/* Copies runs of characters shown as they are in one append. */
	while (i < n) {
		used = utf8_shown(s + i, n - i, &shown, &len);
		if (shown != s + i) {
			sb_add(out, run, (size_t)(s + i - run));
			sb_add(out, shown, len);
			run = s + i + used;
		}
		i += used;
	}
	sb_add(out, run, (size_t)(s + n - run));
}

size_t utf8_sanitize_to(char *out, size_t size, const char *s)
{
	size_t n = strlen(s), o = 0, len;
	const char *shown;

	if (!size)
		return 0;
	for (size_t i = 0; i < n;) {
		i += utf8_shown(s + i, n - i, &shown, &len);
		if (o + len >= size)
			break;
		memcpy(out + o, shown, len);
		o += len;
	}
	out[o] = '\0';
	return o;
}

size_t utf8_prefix(const char *s, size_t n, size_t max_bytes, size_t max_chars)
{
	size_t i = 0, chars = 0, len;
	int32_t cp;

	while (i < n && chars < max_chars) {
		len = utf8_decode(s + i, n - i, &cp);
		if (len > max_bytes - i)
			break;
		i += len;
		chars++;
	}
	return i;
}

size_t utf8_count(const char *s, size_t n)
{
	size_t chars = 0;
	int32_t cp;

	for (size_t i = 0; i < n; chars++)
		i += utf8_decode(s + i, n - i, &cp);
	return chars;
}
