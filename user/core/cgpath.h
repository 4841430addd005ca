/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which cgroup holds a process's CPU: reads the text of /proc/PID/cgroup.
 * Pure; the shell reads the file and the mounts.
 */
#ifndef LATGOV_CGPATH_H
#define LATGOV_CGPATH_H

#include <stddef.h>

/*
 * Finds the cgroup that controls CPU in /proc/PID/cgroup text: the v1 line
 * whose controller list has "cpu" (e.g. "4:cpu,cpuacct:/svc"), else the v2
 * line ("0::/svc"). Writes the path inside the hierarchy to rel and sets *v2.
 * Returns 0, or -ENOENT if neither line is there.
 */
int cgpath_cpu_of(const char *proc_cgroup, char *rel, size_t len, int *v2);

#endif
