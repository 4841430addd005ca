// SPDX-License-Identifier: GPL-2.0-only
/*
 * Names made safe to show: UTF-8 decoding by RFC 3629, repair by maximal
 * subparts, control characters, and cuts that never split a character.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/utf8.h"

#define FFFD UTF8_REPLACEMENT

/* The test's own encoder, the oracle for the decoder. Returns the length. */
static size_t encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* s[0..n) as shown, into a static buffer. */
static const char *shown(const char *s, size_t n)
{
	static char text[256];
	struct strbuf sb;

	sb_init(&sb);
	utf8_sanitize(&sb, s, n);
	assert_int_equal(sb_finish(&sb), 0);
	assert_true(sb.len < sizeof(text));
	memcpy(text, sb.buf ? sb.buf : "", sb.len);
	text[sb.len] = '\0';
	sb_free(&sb);
	return text;
}

#define SHOWN(lit) shown(lit, sizeof(lit) - 1)

static void test_every_code_point_round_trips(void **state)
{
	char b[4];
	int32_t cp;

	(void)state;
	for (uint32_t c = 0; c <= 0x10ffff; c++) {
		size_t n;

		if (c >= 0xd800 && c <= 0xdfff)
			continue;
		n = encode(c, b);
		assert_int_equal(utf8_decode(b, n, &cp), n);
		assert_int_equal(cp, (int32_t)c);
		assert_true(utf8_valid(b, n));
	}
	assert_int_equal(utf8_decode(b, 0, &cp), 0);
}

/* Every two- and three-byte sequence: valid exactly when it is the one encoding of a character. */
static void test_short_sequences_exhaustive(void **state)
{
	unsigned char b[3];
	char back[4];
	int32_t cp;

	(void)state;
	for (unsigned x = 0x80; x < 0x100; x++) {
		for (unsigned y = 0; y < 0x100; y++) {
			size_t used;
			int canonical;

			b[0] = (unsigned char)x;
			b[1] = (unsigned char)y;
			used = utf8_decode((const char *)b, 2, &cp);
			canonical = cp != UTF8_INVALID && used == 2 &&
				    encode((uint32_t)cp, back) == 2 && !memcmp(back, b, 2);
			assert_int_equal(utf8_valid((const char *)b, 2), canonical);
			assert_true(used >= 1 && used <= 2);
		}
	}
	for (unsigned x = 0xe0; x < 0xf0; x++) {
		for (unsigned y = 0; y < 0x100; y++) {
			for (unsigned z = 0; z < 0x100; z++) {
				size_t used;
				int canonical;

				b[0] = (unsigned char)x;
				b[1] = (unsigned char)y;
				b[2] = (unsigned char)z;
				used = utf8_decode((const char *)b, 3, &cp);
				canonical = cp != UTF8_INVALID && used == 3 &&
					    !(cp >= 0xd800 && cp <= 0xdfff) &&
					    encode((uint32_t)cp, back) == 3 && !memcmp(back, b, 3);
				assert_int_equal(cp != UTF8_INVALID, canonical);
			}
		}
	}
}

static void test_boundaries_decode(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		int32_t cp;
	} cases[] = {
		{ "\x7f", 1, 0x7f },
		{ "\xc2\x80", 2, 0x80 },
		{ "\xdf\xbf", 2, 0x7ff },
		{ "\xe0\xa0\x80", 3, 0x800 },
		{ "\xed\x9f\xbf", 3, 0xd7ff },
		{ "\xee\x80\x80", 3, 0xe000 },
		{ "\xef\xbf\xbf", 3, 0xffff },
		{ "\xf0\x90\x80\x80", 4, 0x10000 },
		{ "\xf0\x9d\x84\x9e", 4, 0x1d11e },	/* musical G clef */
		{ "\xf4\x8f\xbf\xbf", 4, 0x10ffff },
	};
	int32_t cp;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(utf8_decode(cases[i].s, strlen(cases[i].s), &cp), cases[i].len);
		assert_int_equal(cp, cases[i].cp);
	}
}

static void test_invalid_by_maximal_subparts(void **state)
{
	int32_t cp;

	(void)state;
	/* overlong forms: C0 and C1 never start a character; E0 and F0 need a high second byte */
	assert_string_equal(SHOWN("<\xc0\x80>"), "<" FFFD FFFD ">");
	assert_string_equal(SHOWN("<\xc1\xbf>"), "<" FFFD FFFD ">");
	assert_string_equal(SHOWN("<\xe0\x80\x80>"), "<" FFFD FFFD FFFD ">");
	assert_string_equal(SHOWN("<\xe0\x9f\xbf>"), "<" FFFD FFFD FFFD ">");
	assert_string_equal(SHOWN("<\xf0\x80\x80\x80>"), "<" FFFD FFFD FFFD FFFD ">");
	assert_string_equal(SHOWN("<\xf0\x8f\xbf\xbf>"), "<" FFFD FFFD FFFD FFFD ">");
	/* UTF-16 surrogates, encoded: U+D800, U+DFFF */
	assert_string_equal(SHOWN("<\xed\xa0\x80>"), "<" FFFD FFFD FFFD ">");
	assert_string_equal(SHOWN("<\xed\xbf\xbf>"), "<" FFFD FFFD FFFD ">");
	/* above U+10FFFF, and bytes UTF-8 never uses */
	assert_string_equal(SHOWN("<\xf4\x90\x80\x80>"), "<" FFFD FFFD FFFD FFFD ">");
	assert_string_equal(SHOWN("<\xf5\x80\x80\x80>"), "<" FFFD FFFD FFFD FFFD ">");
	assert_string_equal(SHOWN("svc\xff\xfe"), "svc" FFFD FFFD);
	/* lone continuation bytes */
	assert_string_equal(SHOWN("\x80\xbf"), FFFD FFFD);
	/* truncated sequences: the valid start is one unit, the next byte starts afresh */
	assert_string_equal(SHOWN("\xe2\x82"), FFFD);
	assert_string_equal(SHOWN("\xe2\x82" "A"), FFFD "A");
	assert_string_equal(SHOWN("\xf0\x9d\x84"), FFFD);
	assert_string_equal(SHOWN("\xf0\x9d\x84\xf0\x9d\x84\x9e"), FFFD "\xf0\x9d\x84\x9e");
	assert_string_equal(SHOWN("\xc3"), FFFD);
	assert_int_equal(utf8_decode("\xf0\x9d\x84", 3, &cp), 3);
	assert_int_equal(cp, UTF8_INVALID);
	assert_int_equal(utf8_decode("\xe2\x82" "A", 3, &cp), 2);
	assert_int_equal(utf8_decode("\xe0\x80", 2, &cp), 1);
	assert_false(utf8_valid("caf\xc3", 4));
	assert_false(utf8_valid("\xed\xa0\x80", 3));
	assert_true(utf8_valid("caf\xc3\xa9", 5));
	assert_true(utf8_valid("", 0));
}

static void test_controls_shown_as_question_marks(void **state)
{
	(void)state;
	/* a process may name itself after a terminal escape sequence */
	assert_string_equal(SHOWN("\x1b]2;pwned\x07"), "?]2;pwned?");
	assert_string_equal(SHOWN("\x1b[2J"), "?[2J");
	assert_string_equal(SHOWN("a\nb\tc\rd"), "a?b?c?d");
	assert_string_equal(SHOWN("nul\0x"), "nul?x");
	assert_string_equal(SHOWN("del\x7f"), "del?");
	/* C1: U+009B is CSI on terminals that take 8-bit controls; raw 0x9b is invalid UTF-8 */
	assert_string_equal(SHOWN("\xc2\x9b" "2J\xc2\x80\xc2\x9f"), "?2J??");
	assert_string_equal(SHOWN("\x9b" "2J"), FFFD "2J");
	/* the first characters past C1 and the noncharacters XML forbids */
	assert_string_equal(SHOWN("\xc2\xa0"), "\xc2\xa0");
	assert_string_equal(SHOWN("\xef\xbf\xbe\xef\xbf\xbf"), FFFD FFFD);
	/* what is fine stays as it is */
	assert_string_equal(SHOWN("std::vector<\xc3\xa9>::push_back \xf0\x9f\x94\xa5 [k]"),
			    "std::vector<\xc3\xa9>::push_back \xf0\x9f\x94\xa5 [k]");
}

/* Cutting "a" CHAR "b" at every byte count never splits CHAR. */
static void cut_every_byte(const char *ch)
{
	char s[8];
	size_t w = strlen(ch), n;

	snprintf(s, sizeof(s), "a%sb", ch);
	n = strlen(s);
	for (size_t max = 0; max <= n + 1; max++) {
		size_t want = max == 0 ? 0 : max < 1 + w ? 1 : max < n ? 1 + w : n;
		size_t got = utf8_prefix(s, n, max, SIZE_MAX);

		assert_int_equal(got, want);
		assert_true(utf8_valid(s, got));
	}
	assert_int_equal(utf8_prefix(s, n, SIZE_MAX, 0), 0);
	assert_int_equal(utf8_prefix(s, n, SIZE_MAX, 1), 1);
	assert_int_equal(utf8_prefix(s, n, SIZE_MAX, 2), 1 + w);
	assert_int_equal(utf8_prefix(s, n, SIZE_MAX, 3), n);
	assert_int_equal(utf8_prefix(s, n, SIZE_MAX, 9), n);
	assert_int_equal(utf8_prefix(s, n, 1 + w, 9), 1 + w);
	assert_int_equal(utf8_count(s, n), 3);
}

static void test_cut_on_boundaries(void **state)
{
	(void)state;
	cut_every_byte("\xc3\xa9");
	cut_every_byte("\xe2\x82\xac");
	cut_every_byte("\xf0\x9d\x84\x9e");
	/* an invalid subpart is one unit for cuts and counts alike */
	assert_int_equal(utf8_count("\xe2\x82" "A\xff", 4), 3);
	assert_int_equal(utf8_prefix("\xe2\x82" "A", 3, 1, SIZE_MAX), 0);
	assert_int_equal(utf8_prefix("\xe2\x82" "A", 3, SIZE_MAX, 1), 2);
}

/* A prefix cut anywhere, shown, is valid: what a truncated name looks like. */
static void test_any_truncation_shows_valid(void **state)
{
	const char name[] = "x\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e\x1b[2J\xff";
	struct strbuf sb;

	(void)state;
	for (size_t n = 0; n < sizeof(name); n++) {
		sb_init(&sb);
		utf8_sanitize(&sb, name, n);
		assert_int_equal(sb_finish(&sb), 0);
		assert_true(utf8_valid(sb.buf ? sb.buf : "", sb.len));
		for (size_t i = 0; i < sb.len; i++)
			assert_true((unsigned char)sb.buf[i] >= 0x20 && sb.buf[i] != 0x7f);
		sb_free(&sb);
	}
}

static void test_sanitize_into_a_buffer(void **state)
{
	const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e\x1b";
	/* what fits in 1..16 bytes, NUL included: whole characters only */
	static const size_t fit[] = { 0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11, 11, 11, 11, 11 };
	char out[16];

	(void)state;
	assert_int_equal(utf8_sanitize_to(out, 0, s), 0);
	for (size_t size = 1; size <= sizeof(out); size++) {
		memset(out, 'Z', sizeof(out));
		assert_int_equal(utf8_sanitize_to(out, size, s), fit[size - 1]);
		assert_int_equal(out[fit[size - 1]], '\0');
		assert_true(utf8_valid(out, strlen(out)));
	}
	assert_string_equal(out, "a\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e?");
	assert_int_equal(utf8_sanitize_to(out, sizeof(out), "svc\xff"), 6);
	assert_string_equal(out, "svc" FFFD);
	/* the replacement is wider than the byte it replaces: it is cut whole too */
	assert_int_equal(utf8_sanitize_to(out, 6, "svc\xff"), 3);
	assert_string_equal(out, "svc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_point_round_trips),
		cmocka_unit_test(test_short_sequences_exhaustive),
		cmocka_unit_test(test_boundaries_decode),
		cmocka_unit_test(test_invalid_by_maximal_subparts),
		cmocka_unit_test(test_controls_shown_as_question_marks),
		cmocka_unit_test(test_cut_on_boundaries),
		cmocka_unit_test(test_any_truncation_shows_valid),
		cmocka_unit_test(test_sanitize_into_a_buffer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
