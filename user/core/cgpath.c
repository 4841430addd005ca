// SPDX-License-Identifier: GPL-2.0-only
#include "core/cgpath.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* 1 if the comma-separated list (up to end) names exactly "cpu". */
static int lists_cpu(const char *list, const char *end)
{
	const char *p = list;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;

		if (stop - p == 3 && strncmp(p, "cpu", 3) == 0)
			return 1;
		p = stop + 1;
	}
	return 0;
}

int cgpath_cpu_of(const char *proc_cgroup, char *rel, size_t len, int *v2)
{
	const char *line = proc_cgroup, *v2_path = NULL;
	size_t v2_len = 0;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		const char *end = nl ? nl : line + strlen(line);
		const char *c1 = memchr(line, ':', (size_t)(end - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;

		if (c2) {
			if (c2 == c1 + 1 && strncmp(line, "0:", 2) == 0) {
				v2_path = c2 + 1;
				v2_len = (size_t)(end - v2_path);
			} else if (lists_cpu(c1 + 1, c2)) {
				snprintf(rel, len, "%.*s", (int)(end - c2 - 1), c2 + 1);
				*v2 = 0;
				return 0;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	if (!v2_path)
		return -ENOENT;
	snprintf(rel, len, "%.*s", (int)v2_len, v2_path);
	*v2 = 1;
	return 0;
}
