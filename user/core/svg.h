/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An interactive flame graph as one self-contained SVG file: inline CSS and
 * JavaScript, no network. Click a frame to zoom into it, click "Reset Zoom" (or
 * press Escape) to go back, "Search" (or Ctrl-F) highlights frames matching a
 * regular expression and shows their share, hovering shows a frame's name,
 * weight and share. Our own writer (flamegraph.pl is CDDL).
 *
 * Pure: folded stacks in, SVG text out. The root is at the bottom; each
 * frame's width is weight / total * (width - 2 * margin). Frames narrower than
 * SVG_MIN_PX are not drawn (their weight still counts in their parents), which
 * keeps files of deep, wide profiles small. Names, the title and the subtitle
 * are shown as core/utf8.h says, and labels are cut between characters, so
 * the file is always well-formed XML in UTF-8.
 */
#ifndef LATGOV_SVG_H
#define LATGOV_SVG_H

#include "core/folded.h"

#define SVG_MIN_PX 0.1

/* What a frame's weight is, for its tooltip and the total. */
enum svg_weight {
	SVG_WEIGHT_SAMPLES,	/* a count: "300 samples" */
	SVG_WEIGHT_US,		/* µs of time, shown as a duration: "1.2ms" (core/units.h) */
};

struct svg_options {
	const char *title;	/* "On-CPU flame graph" */
	const char *subtitle;	/* NULL or a line under the title (target, duration) */
	enum svg_weight weight;
	double width;		/* image width in px; 0 = 1200 */
};

/*
 * Appends the SVG of f to out. An empty profile gives a valid SVG saying so.
 * Returns 0 or -ENOMEM.
 */
int svg_write(const struct folded *f, const struct svg_options *opt, struct strbuf *out);

#endif
