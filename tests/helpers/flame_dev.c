// SPDX-License-Identifier: GPL-2.0-only
/*
 * 'latgov flame' through the profiler alone, without the request tracer's
 * session: the flame integration tests use it when the latgov binary does
 * not route 'flame' to the profiler yet.
 *
 *   flame_dev TARGET [-d SEC] [--hz N] [--off-cpu] -o DIR
 */
#include <stdio.h>

#include "core/options.h"
#include "profiler.h"

int main(int argc, char **argv)
{
	struct lg_options o;
	char err[256];

	if (options_parse(LG_CMD_FLAME, argc, argv, &o, err, sizeof(err))) {
		fprintf(stderr, "flame_dev: %s\n", err);
		return 2;
	}
	return profiler_run_standalone(&o);
}
