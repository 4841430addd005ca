// SPDX-License-Identifier: GPL-2.0-only
/* The SVG flame graph writer: well-formed XML, widths proportional to weights. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/svg.h"
#include "core/utf8.h"

#define E_ACUTE "\xc3\xa9"	/* U+00E9, two bytes */

/*
 * A minimal well-formedness check: every tag closes in order, attributes are
 * quoted, CDATA/PI/comments are skipped whole, '&' starts a known entity.
 * Returns NULL or what is wrong.
 */
static const char *xml_check(const char *s)
{
	const char *stack[256];
	size_t stack_len[256];
	int depth = 0, roots = 0;

	while (*s) {
		if (!strncmp(s, "<![CDATA[", 9)) {
			s = strstr(s, "]]>");
			if (!s)
				return "unterminated CDATA";
			s += 3;
		} else if (!strncmp(s, "<?", 2)) {
			s = strstr(s, "?>");
			if (!s)
				return "unterminated PI";
			s += 2;
		} else if (!strncmp(s, "<!--", 4)) {
			s = strstr(s, "-->");
			if (!s)
				return "unterminated comment";
			s += 3;
		} else if (!strncmp(s, "</", 2)) {
			size_t n = strcspn(s + 2, ">");

			if (!depth || n != stack_len[depth - 1] || strncmp(s + 2, stack[depth - 1], n))
				return "mismatched end tag";
			depth--;
			s += 2 + n + 1;
		} else if (*s == '<') {
			const char *name = s + 1;
			size_t n = strcspn(name, " \t\n/>");
			char q = 0;

			if (!n)
				return "empty tag name";
			for (s = name + n; *s && (q || (*s != '>')); s++) {
				if (q && *s == q)
					q = 0;
				else if (!q && (*s == '"' || *s == '\''))
					q = *s;
				else if (q && *s == '<')
					return "'<' in attribute";
			}
			if (!*s)
				return "unterminated tag";
			if (s[-1] != '/') {
				if (depth == 256)
					return "too deep";
				if (depth == 0)
					roots++;
				stack[depth] = name;
				stack_len[depth++] = n;
			} else if (depth == 0) {
				roots++;
			}
			s++;
		} else if (*s == '&') {
			if (strncmp(s, "&amp;", 5) && strncmp(s, "&lt;", 4) && strncmp(s, "&gt;", 4) &&
			    strncmp(s, "&quot;", 6) && strncmp(s, "&apos;", 6))
				return "bare '&'";
			s++;
		} else if (*s == '>') {
			return "bare '>'";
		} else {
			s++;
		}
	}
	if (depth)
		return "unclosed element";
	return roots == 1 ? NULL : "not exactly one root element";
}

/* The width of the rect drawn for the frame whose tooltip starts with "name (". */
static double frame_width(const char *svg, const char *name)
{
	char key[128];
	const char *t, *w;

	snprintf(key, sizeof(key), "<title>%s (", name);
	t = strstr(svg, key);
	if (!t)
		return -1;
	assert_null(strstr(t + 1, key));	/* one frame by that name */
	w = strstr(t, "width=\"");
	assert_non_null(w);
	return strtod(w + 7, NULL);
}

static void test_widths_proportional(void **state)
{
	struct folded *f = folded_new();
	struct svg_options opt = { .title = "t", .weight = SVG_WEIGHT_SAMPLES, .width = 1200 };
	struct strbuf sb;

	(void)state;
	assert_int_equal(folded_add(f, "main;hot", 300), 0);
	assert_int_equal(folded_add(f, "main;cold", 100), 0);
	assert_int_equal(folded_add(f, "other", 100), 0);
	sb_init(&sb);
	assert_int_equal(svg_write(f, &opt, &sb), 0);
	assert_null(xml_check(sb.buf));
	/* 1200 px minus two 10 px margins = 1180 px for 500 samples */
	assert_float_equal(frame_width(sb.buf, "all"), 1180.0, 0.01);
	assert_float_equal(frame_width(sb.buf, "main"), 1180.0 * 400 / 500, 0.01);
	assert_float_equal(frame_width(sb.buf, "hot"), 1180.0 * 300 / 500, 0.01);
	assert_float_equal(frame_width(sb.buf, "cold"), 1180.0 * 100 / 500, 0.01);
	assert_float_equal(frame_width(sb.buf, "other"), 1180.0 * 100 / 500, 0.01);
	assert_non_null(strstr(sb.buf, "<title>hot (300 samples, 60.00%)</title>"));
	/* interactive, self-contained */
	assert_non_null(strstr(sb.buf, "function zoom("));
	assert_non_null(strstr(sb.buf, "function search("));
	/* the only URL is the SVG namespace: nothing is fetched */
	assert_ptr_equal(strstr(sb.buf, "://"), strstr(sb.buf, "http://www.w3.org/2000/svg") + 4);
	assert_null(strstr(strstr(sb.buf, "://") + 3, "://"));
	sb_free(&sb);
	folded_free(f);
}

static void test_escaping_and_tiny_frames(void **state)
{
	struct folded *f = folded_new();
	struct svg_options opt = { .title = "a <b> & \"c\"", .weight = SVG_WEIGHT_US };
	struct strbuf sb;

	(void)state;
	assert_int_equal(folded_add(f, "std::vector<int>::push_back&;x\"y'z", 1000000), 0);
	/* 1 in a million of 1180 px is below SVG_MIN_PX: not drawn */
	assert_int_equal(folded_add(f, "tiny_frame", 1), 0);
	sb_init(&sb);
	assert_int_equal(svg_write(f, &opt, &sb), 0);
	assert_null(xml_check(sb.buf));
	assert_non_null(strstr(sb.buf, "std::vector&lt;int&gt;::push_back&amp;"));
	assert_non_null(strstr(sb.buf, "x&quot;y&apos;z"));
	assert_null(strstr(sb.buf, "tiny_frame"));
	/* µs weights read as durations, in the tooltips and the total */
	assert_non_null(strstr(sb.buf, "x&quot;y&apos;z (1.00s, 100.00%)</title>"));
	assert_non_null(strstr(sb.buf, ">total 1.00s</text>"));
	sb_free(&sb);
	folded_free(f);
}

/*
 * What an XML parser takes: UTF-8, and no character XML 1.0 forbids (C0 but
 * tab and newlines, U+FFFE and U+FFFF).
 */
static int xml_chars_ok(const char *s)
{
	size_t n = strlen(s);

	if (!utf8_valid(s, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return 0;
		if (!strncmp(s + i, "\xef\xbf\xbe", 3) || !strncmp(s + i, "\xef\xbf\xbf", 3))
			return 0;
	}
	return 1;
}

/* A process may name itself any bytes (prctl(PR_SET_NAME)); symbols and perf-map lines too. */
static void test_names_not_utf8(void **state)
{
	struct folded *f = folded_new();
	struct svg_options opt = { .title = "t\xff\x1b[2J", .subtitle = "s\xe2\x82",
				   .weight = SVG_WEIGHT_US };
	struct strbuf sb;

	(void)state;
	assert_int_equal(folded_add(f, "svc\xff\xfe\x1b[2J;sym\xe2\x82;c1\xc2\x9b;nc\xef\xbf\xbe",
				    1000), 0);
	assert_int_equal(folded_add(f, "svc\xff\xfe\x1b[2J;ok\xc3\xa9", 1000), 0);
	sb_init(&sb);
	assert_int_equal(svg_write(f, &opt, &sb), 0);
	assert_null(xml_check(sb.buf));
	assert_true(xml_chars_ok(sb.buf));
	/* invalid bytes read as U+FFFD, controls as '?' */
	assert_non_null(strstr(sb.buf, "<title>svc" UTF8_REPLACEMENT UTF8_REPLACEMENT "?[2J ("));
	assert_non_null(strstr(sb.buf, "<title>ok\xc3\xa9 ("));
	assert_non_null(strstr(sb.buf, ">t" UTF8_REPLACEMENT "?[2J</text>"));
	sb_free(&sb);
	folded_free(f);
}

/* A label cut to its frame's width ends on a character, never inside one. */
static void test_labels_cut_on_characters(void **state)
{
	struct folded *f = folded_new();
	struct svg_options opt = { .weight = SVG_WEIGHT_SAMPLES, .width = 1200 };
	char stack[128], name[96];
	struct strbuf sb;

	(void)state;
	for (size_t i = 0; i + 2 < sizeof(name); i += 2)
		memcpy(name + i, E_ACUTE, 2);	/* 47 times */
	name[94] = '\0';
	/* widths 1180 * k / 36 px: labels of 1 to 40-odd characters, odd and even */
	for (int k = 1; k <= 8; k++) {
		snprintf(stack, sizeof(stack), "%d;%s%d", k, name, k);
		assert_int_equal(folded_add(f, stack, (uint64_t)k), 0);
	}
	sb_init(&sb);
	assert_int_equal(svg_write(f, &opt, &sb), 0);
	assert_null(xml_check(sb.buf));
	assert_true(xml_chars_ok(sb.buf));
	/* 32.8 px wide: room for 3 characters, so one and ".." */
	assert_non_null(strstr(sb.buf, ">" E_ACUTE "..</text>"));
	/* 65.6 px: 8 characters, so six and ".." */
	assert_non_null(strstr(sb.buf, ">" E_ACUTE E_ACUTE E_ACUTE E_ACUTE E_ACUTE E_ACUTE
				       "..</text>"));
	sb_free(&sb);
	folded_free(f);
}

static void test_empty(void **state)
{
	struct folded *f = folded_new();
	struct strbuf sb;

	(void)state;
	sb_init(&sb);
	assert_int_equal(svg_write(f, NULL, &sb), 0);
	assert_null(xml_check(sb.buf));
	assert_non_null(strstr(sb.buf, "no samples"));
	sb_free(&sb);
	folded_free(f);
}

static void test_checker_catches_errors(void **state)
{
	(void)state;
	/* The checker itself must be able to fail. */
	assert_non_null(xml_check("<svg><g></svg>"));
	assert_non_null(xml_check("<svg>a & b</svg>"));
	assert_non_null(xml_check("<svg><text x=\"1>a</text></svg>"));
	assert_null(xml_check("<?xml?><svg><g a=\"1\"/><![CDATA[ < & ]]></svg>"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_widths_proportional),
		cmocka_unit_test(test_escaping_and_tiny_frames),
		cmocka_unit_test(test_names_not_utf8),
		cmocka_unit_test(test_labels_cut_on_characters),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_checker_catches_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
