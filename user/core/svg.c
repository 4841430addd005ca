// SPDX-License-Identifier: GPL-2.0-only
#include "core/svg.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"
#include "core/utf8.h"

#define FRAME_H   16.0
#define MARGIN    10.0
#define TOP       56.0	/* title, subtitle, buttons */
#define BOTTOM    28.0	/* details line */
#define CHAR_W    7.0	/* 12px monospace, roughly */

/*
 * Appends s[0..n) escaped for XML text and attribute values, as core/utf8.h
 * shows it: an XML parser refuses bytes that are not UTF-8 and most control
 * characters, even escaped.
 */
static void xml_text_n(struct strbuf *sb, const char *s, size_t n)
{
	const char *shown;
	size_t len;

	for (size_t i = 0; i < n;) {
		i += utf8_shown(s + i, n - i, &shown, &len);
		if (len != 1)
			sb_add(sb, shown, len);
		else if (*shown == '&')
			sb_puts(sb, "&amp;");
		else if (*shown == '<')
			sb_puts(sb, "&lt;");
		else if (*shown == '>')
			sb_puts(sb, "&gt;");
		else if (*shown == '"')
			sb_puts(sb, "&quot;");
		else if (*shown == '\'')
			sb_puts(sb, "&apos;");
		else
			sb_add(sb, shown, 1);
	}
}

static void xml_text(struct strbuf *sb, const char *s)
{
	xml_text_n(sb, s, strlen(s));
}

struct node {
	char *name;
	uint64_t value;
	struct node **kids;
	size_t nkids, cap;
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->name);
	free(n);
}

static struct node *node_new(const char *name, size_t len)
{
	struct node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = strndup(name, len);
	if (!n->name) {
		free(n);
		return NULL;
	}
	return n;
}

/* The child of parent named name[0..len), added if absent. */
static struct node *child(struct node *parent, const char *name, size_t len)
{
	struct node *n;

	/* Stacks arrive sorted, so the last child is the likely one. */
	for (size_t i = parent->nkids; i-- > 0;) {
		n = parent->kids[i];
		if (strlen(n->name) == len && !memcmp(n->name, name, len))
			return n;
	}
	if (parent->nkids == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		struct node **k = realloc(parent->kids, cap * sizeof(*k));

		if (!k)
			return NULL;
		parent->kids = k;
		parent->cap = cap;
	}
	n = node_new(name, len);
	if (n)
		parent->kids[parent->nkids++] = n;
	return n;
}

static int build(const struct folded *f, struct node *root, int *max_depth)
{
	struct folded_entry *e;
	long n = folded_entries(f, FOLDED_BY_STACK, &e);
	int err = 0;

	if (n < 0)
		return (int)n;
	for (long i = 0; i < n && !err; i++) {
		const char *s = e[i].stack;
		struct node *cur = root;
		int depth = 0;

		root->value += e[i].weight;
		while (*s) {
			const char *semi = strchr(s, ';');
			size_t len = semi ? (size_t)(semi - s) : strlen(s);

			cur = child(cur, s, len);
			if (!cur) {
				err = -ENOMEM;
				break;
			}
			cur->value += e[i].weight;
			depth++;
			s += len + (semi ? 1 : 0);
		}
		if (depth > *max_depth)
			*max_depth = depth;
	}
	free(e);
	return err;
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Stable colours: the same frame has the same colour in every graph. */
static void fill_of(const char *name, char *buf, size_t len)
{
	uint32_t h = name_hash(name);
	unsigned v1 = h & 0xff, v2 = (h >> 8) & 0xff, v3 = (h >> 16) & 0xff;

	if (!strcmp(name, "[on-cpu]"))
		snprintf(buf, len, "rgb(230,80,60)");
	else if (!strcmp(name, "[runqueue]"))
		snprintf(buf, len, "rgb(240,200,60)");
	else if (!strcmp(name, "[blocked]"))
		snprintf(buf, len, "rgb(90,140,220)");
	else if (!strcmp(name, "[throttled]"))
		snprintf(buf, len, "rgb(170,90,200)");
	else if (ends_with(name, "_[k]"))	/* kernel: orange */
		snprintf(buf, len, "rgb(%u,%u,%u)", 220 + v1 % 30, 120 + v2 % 60, v3 % 40);
	else if (strstr(name, "+0x") || name[0] == '[')	/* unresolved: grey */
		snprintf(buf, len, "rgb(%u,%u,%u)", 160 + v1 % 30, 160 + v1 % 30, 160 + v1 % 30);
	else					/* user: red-yellow */
		snprintf(buf, len, "rgb(%u,%u,%u)", 205 + v1 % 50, v2 % 200, v3 % 55);
}

struct layout {
	struct strbuf *out;
	uint64_t total;
	double scale;		/* px per unit of weight */
	double height;
	enum svg_weight weight;
};

/* The name, or as many characters as fit in w px and "..", or nothing. */
static void label(struct strbuf *out, const char *name, double w)
{
	long fit = (long)((w - 6) / CHAR_W);
	size_t len = strlen(name);

	if (fit >= (long)utf8_count(name, len)) {
		xml_text_n(out, name, len);
	} else if (fit >= 3) {
		/* whole characters: a cut inside one is not UTF-8 */
		xml_text_n(out, name, utf8_prefix(name, len, SIZE_MAX, (size_t)fit - 2));
		sb_puts(out, "..");
	}
}

/* prefix, then the weight as its kind reads: "300 samples", "1.2ms". */
static void weight_text(struct strbuf *out, const char *prefix, enum svg_weight kind, uint64_t weight)
{
	char t[UNITS_LEN];

	if (kind == SVG_WEIGHT_US)
		sb_printf(out, "%s%s", prefix, units_us(weight, t, sizeof(t)));
	else
		sb_printf(out, "%s%" PRIu64 " samples", prefix, weight);
}

static void emit(const struct layout *L, const struct node *n, int depth, double x)
{
	double w = (double)n->value * L->scale;
	double y = L->height - BOTTOM - (depth + 1) * FRAME_H;
	char fill[32];

	if (w < SVG_MIN_PX)
		return;
	fill_of(n->name, fill, sizeof(fill));
	sb_printf(L->out, "<g class=\"f\" data-d=\"%d\"><title>", depth);
	xml_text(L->out, n->name);
	weight_text(L->out, " (", L->weight, n->value);
	sb_printf(L->out, ", %.2f%%)</title>", L->total ? 100.0 * (double)n->value / (double)L->total : 0.0);
	sb_printf(L->out, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" rx=\"2\" fill=\"%s\"/>",
		  x, y, w, FRAME_H - 1, fill);
	sb_printf(L->out, "<text x=\"%.2f\" y=\"%.1f\">", x + 3, y + FRAME_H - 5);
	label(L->out, n->name, w);
	sb_puts(L->out, "</text></g>\n");
	for (size_t i = 0; i < n->nkids; i++) {
		emit(L, n->kids[i], depth + 1, x);
		x += (double)n->kids[i]->value * L->scale;
	}
}

/* The viewer: zoom, search, details. Kept free of "]]>" (it sits in CDATA). */
static const char script[] =
	"\"use strict\";\n"
	"var W, M, frames = [], details, matched, unzoombtn, searchbtn, searching = null;\n"
	"function lg_init(evt) {\n"
	"  var svg = document.documentElement;\n"
	"  W = +svg.getAttribute(\"width\"); M = +svg.getAttribute(\"data-margin\");\n"
	"  details = document.getElementById(\"details\");\n"
	"  matched = document.getElementById(\"matched\");\n"
	"  unzoombtn = document.getElementById(\"unzoom\");\n"
	"  searchbtn = document.getElementById(\"search\");\n"
	"  frames = Array.prototype.slice.call(document.querySelectorAll(\"g.f\"));\n"
	"  frames.forEach(function (g) {\n"
	"    var r = g.querySelector(\"rect\"), t = g.querySelector(\"title\").textContent;\n"
	"    g.lg = { x: +r.getAttribute(\"x\"), w: +r.getAttribute(\"width\"), d: +g.getAttribute(\"data-d\"),\n"
	"             name: t.substring(0, t.lastIndexOf(\" (\")), title: t, fill: r.getAttribute(\"fill\") };\n"
	"    g.lg.chars = Array.from(g.lg.name); /* code points: never cut a surrogate pair */\n"
	"    g.addEventListener(\"click\", function () { zoom(g); });\n"
	"    g.addEventListener(\"mouseover\", function () { details.textContent = g.lg.title; });\n"
	"    g.addEventListener(\"mouseout\", function () { details.textContent = \" \"; });\n"
	"  });\n"
	"  unzoombtn.addEventListener(\"click\", unzoom);\n"
	"  searchbtn.addEventListener(\"click\", search_prompt);\n"
	"  window.addEventListener(\"keydown\", function (e) {\n"
	"    if (e.key === \"Escape\") { unzoom(); reset_search(); }\n"
	"    else if ((e.ctrlKey || e.metaKey) && e.key === \"f\") { e.preventDefault(); search_prompt(); }\n"
	"  });\n"
	"}\n"
	"function label(g, w) {\n"
	"  var t = g.querySelector(\"text\"), n = g.lg.chars, fit = Math.floor((w - 6) / 7);\n"
	"  if (fit >= n.length) t.textContent = g.lg.name;\n"
	"  else if (fit >= 3) t.textContent = n.slice(0, fit - 2).join(\"\") + \"..\";\n"
	"  else t.textContent = \"\";\n"
	"}\n"
	"function place(g, x, w) {\n"
	"  var r = g.querySelector(\"rect\"), t = g.querySelector(\"text\");\n"
	"  r.setAttribute(\"x\", x.toFixed(2)); r.setAttribute(\"width\", w.toFixed(2));\n"
	"  t.setAttribute(\"x\", (x + 3).toFixed(2)); label(g, w);\n"
	"}\n"
	"function zoom(target) {\n"
	"  var x0 = target.lg.x, w0 = target.lg.w, d0 = target.lg.d, s = (W - 2 * M) / w0, eps = 1e-3;\n"
	"  frames.forEach(function (g) {\n"
	"    var l = g.lg;\n"
	"    g.classList.remove(\"hide\"); g.classList.remove(\"parent\");\n"
	"    if (l.d < d0 && l.x <= x0 + eps && l.x + l.w >= x0 + w0 - eps) { g.classList.add(\"parent\"); place(g, M, W - 2 * M); }\n"
	"    else if (l.d >= d0 && l.x >= x0 - eps && l.x + l.w <= x0 + w0 + eps) place(g, M + (l.x - x0) * s, l.w * s);\n"
	"    else g.classList.add(\"hide\");\n"
	"  });\n"
	"  unzoombtn.classList.remove(\"hide\");\n"
	"}\n"
	"function unzoom() {\n"
	"  frames.forEach(function (g) { g.classList.remove(\"hide\"); g.classList.remove(\"parent\"); place(g, g.lg.x, g.lg.w); });\n"
	"  unzoombtn.classList.add(\"hide\");\n"
	"}\n"
	"function search_prompt() {\n"
	"  var re = prompt(\"Search frames (regular expression):\", searching || \"\");\n"
	"  if (re === null) return;\n"
	"  if (re === \"\") { reset_search(); return; }\n"
	"  search(re);\n"
	"}\n"
	"function search(re) {\n"
	"  var rx, spans = [], sum = 0, end = -1;\n"
	"  try { rx = new RegExp(re); } catch (e) { alert(\"Not a regular expression: \" + e.message); return; }\n"
	"  frames.forEach(function (g) {\n"
	"    var r = g.querySelector(\"rect\");\n"
	"    if (rx.test(g.lg.name)) { r.setAttribute(\"fill\", \"rgb(230,0,230)\"); spans.push([g.lg.x, g.lg.x + g.lg.w]); }\n"
	"    else r.setAttribute(\"fill\", g.lg.fill);\n"
	"  });\n"
	"  /* Union of the matched spans, so a match nested in a match counts once. */\n"
	"  spans.sort(function (a, b) { return a[0] - b[0]; });\n"
	"  spans.forEach(function (s) {\n"
	"    if (s[0] >= end) { sum += s[1] - s[0]; end = s[1]; }\n"
	"    else if (s[1] > end) { sum += s[1] - end; end = s[1]; }\n"
	"  });\n"
	"  searching = re;\n"
	"  matched.textContent = \"Matched: \" + (100 * sum / (W - 2 * M)).toFixed(2) + \"%\";\n"
	"  searchbtn.classList.add(\"on\");\n"
	"}\n"
	"function reset_search() {\n"
	"  frames.forEach(function (g) { g.querySelector(\"rect\").setAttribute(\"fill\", g.lg.fill); });\n"
	"  searching = null; matched.textContent = \" \"; searchbtn.classList.remove(\"on\");\n"
	"}\n";

static const char style[] =
	"text { font-family: monospace; font-size: 12px; fill: #000; }\n"
	"g.f text { pointer-events: none; }\n"
	"g.f:hover rect { stroke: #000; stroke-width: 0.5; cursor: pointer; }\n"
	"g.parent { opacity: 0.5; }\n"
	".hide { display: none; }\n"
	".btn { cursor: pointer; fill: #205080; }\n"
	".btn.on { fill: rgb(230,0,230); }\n"
	"#title { font-size: 17px; }\n";

int svg_write(const struct folded *f, const struct svg_options *opt, struct strbuf *out)
{
	struct node *root = node_new("all", 3);
	double width = opt && opt->width > 0 ? opt->width : 1200;
	const char *title = opt && opt->title ? opt->title : "Flame graph";
	struct layout L;
	int max_depth = 0, err;

	if (!root)
		return -ENOMEM;
	err = build(f, root, &max_depth);
	if (err)
		goto out;
	L.out = out;
	L.total = root->value;
	L.scale = root->value ? (width - 2 * MARGIN) / (double)root->value : 0;
	L.height = TOP + (max_depth + 1) * FRAME_H + BOTTOM;
	L.weight = opt ? opt->weight : SVG_WEIGHT_SAMPLES;

	sb_puts(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n");
	sb_printf(out, "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
		  "viewBox=\"0 0 %.0f %.0f\" data-margin=\"%.0f\" onload=\"lg_init(evt)\">\n",
		  width, L.height, width, L.height, MARGIN);
	sb_printf(out, "<style type=\"text/css\"><![CDATA[\n%s]]></style>\n", style);
	sb_printf(out, "<script type=\"text/ecmascript\"><![CDATA[\n%s]]></script>\n", script);
	sb_printf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"#f6f6f0\"/>\n", width, L.height);
	sb_printf(out, "<text id=\"title\" x=\"%.1f\" y=\"22\" text-anchor=\"middle\">", width / 2);
	xml_text(out, title);
	sb_puts(out, "</text>\n");
	sb_printf(out, "<text id=\"subtitle\" x=\"%.1f\" y=\"40\" text-anchor=\"middle\">", width / 2);
	if (opt && opt->subtitle)
		xml_text(out, opt->subtitle);
	else if (!root->value)
		sb_puts(out, "no samples");
	else
		weight_text(out, "total ", L.weight, root->value);
	sb_puts(out, "</text>\n");
	sb_printf(out, "<text id=\"unzoom\" class=\"btn hide\" x=\"%.0f\" y=\"22\">Reset Zoom</text>\n", MARGIN);
	sb_printf(out, "<text id=\"search\" class=\"btn\" x=\"%.0f\" y=\"22\" text-anchor=\"end\">Search</text>\n",
		  width - MARGIN);
	sb_printf(out, "<text id=\"matched\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\"> </text>\n",
		  width - MARGIN, L.height - 9);
	sb_printf(out, "<text id=\"details\" x=\"%.0f\" y=\"%.0f\"> </text>\n", MARGIN, L.height - 9);
	sb_puts(out, "<g id=\"frames\">\n");
	if (root->value)
		emit(&L, root, 0, MARGIN);
	sb_puts(out, "</g>\n</svg>\n");
	err = sb_finish(out);
out:
	node_free(root);
	return err;
}
