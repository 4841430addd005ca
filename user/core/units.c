// SPDX-License-Identifier: GPL-2.0-only
#include "core/units.h"

#include <inttypes.h>
#include <stdio.h>

/*
 * Each form is taken below the value that would round up into the next
 * one's range: 999.6us prints as 1.0ms, not 1000us.
 */
char *units_ns(uint64_t ns, char *out, size_t size)
{
	double v = (double)ns;

	if (ns < 1000)
		snprintf(out, size, "%" PRIu64 "ns", ns);
	else if (ns < 999500)
		snprintf(out, size, "%.0fus", v / 1e3);
	else if (ns < 99950000)
		snprintf(out, size, "%.1fms", v / 1e6);
	else if (ns < 999500000)
		snprintf(out, size, "%.0fms", v / 1e6);
	else if (ns < 99995000000ull)
		snprintf(out, size, "%.2fs", v / 1e9);
	else
		snprintf(out, size, "%.0fs", v / 1e9);
	return out;
}

char *units_us(uint64_t us, char *out, size_t size)
{
	/* Beyond what a count of ns can hold: straight to seconds. */
	if (us > UINT64_MAX / 1000) {
		snprintf(out, size, "%.0fs", (double)us / 1e6);
		return out;
	}
	return units_ns(us * 1000, out, size);
}

char *units_bytes(uint64_t bytes, char *out, size_t size)
{
	static const char *const suffix[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	unsigned int u = 0;

	/* Like units_ns: 1023.96KiB would print as 1024.0KiB, so it moves up to 1.0MiB. */
	while (v >= 1023.95 && u + 1 < sizeof(suffix) / sizeof(suffix[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%" PRIu64 "B", bytes);
	else
		snprintf(out, size, "%.1f%s", v, suffix[u]);
	return out;
}
