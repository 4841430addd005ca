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
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_checker_catches_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
