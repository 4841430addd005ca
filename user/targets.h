/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a session traces: the processes named by -p, --port, --cgroup or
 * -- COMMAND, found through /proc and the cgroup file system, and the TCP
 * ports they listen on. For -- COMMAND, latgov starts the command in a
 * cgroup of its own and removes it at the end.
 */
#ifndef LATGOV_TARGETS_H
#define LATGOV_TARGETS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/options.h"

#define TARGETS_MAX_PIDS  4096
#define TARGETS_MAX_PORTS 256

struct targets {
	uint32_t pids[TARGETS_MAX_PIDS];	/* tgids */
	size_t npids;
	size_t untraced;			/* cgroup members the list had no room for, at the last read */
	size_t untraced_said;			/* the most of them a warning has named */
	uint16_t ports[TARGETS_MAX_PORTS];	/* TCP ports they listen on */
	size_t nports;
	char cgroup_procs[512];			/* --cgroup / COMMAND: cgroup.procs to re-read */
	char created_cgroup[512];		/* COMMAND: the cgroup latgov made, removed at the end */
	char created_siblings[2][512];		/* COMMAND on cgroup v1: its siblings under cpuacct and memory */
	pid_t child;				/* COMMAND: the service latgov started */
	int child_go_fd;			/* COMMAND: write end of the child's start pipe */
	int child_status_fd;			/* COMMAND: exec result (EOF = exec'd, or an errno) */
};

/*
 * Finds the target's processes (threads map to their tgid). For COMMAND,
 * creates the cgroup and forks the command, stopped before exec until
 * targets_start_command(), which starts it with every signal at its default
 * and none blocked. --cgroup must name a directory on a cgroup file system,
 * and not a hierarchy's root unless --all-processes. --port ADDR:PORT takes
 * only the listeners that answer ADDR:PORT; when those found belong to
 * different users or cgroups, it says so on stderr, and refuses a session
 * that governs (govern, --policy): latgov will not pick whose cgroup to
 * limit. Returns 0; -ESRCH/-ENOENT/-EINVAL/-EPERM with a message naming the
 * PID, port or path and what to do in err (the caller exits 2); other -errno
 * for system failures.
 */
int targets_resolve(const struct lg_options *o, struct targets *tg, char *err, size_t errlen);

/*
 * COMMAND only (a no-op otherwise): lets the forked command exec, and waits
 * until it did. Returns 0, or -errno with a message in err if exec failed.
 */
int targets_start_command(struct targets *tg, char *err, size_t errlen);

/*
 * Re-reads the cgroup's processes (--cgroup, COMMAND): drops the processes
 * that are gone from tg, adds the new ones, and the ports they listen on.
 * When the list is full, says on stderr how many members are not followed
 * (once per rise). Returns the number of new pids: the last ones of
 * tg->pids.
 */
int targets_refresh(struct targets *tg);

/*
 * 1 if a process outside tg holds a listening socket of tg's ports (one
 * nginx worker traced alone shares its master's socket with the others), or
 * if /proc cannot be read; then only a read tells whose a connection is.
 * Reads every process's /proc/PID/fd.
 */
int targets_listen_shared(const struct targets *tg);

/* 1 if the process is alive (a zombie counts as gone). */
int targets_pid_alive(uint32_t pid);

/*
 * COMMAND: stops the command (SIGTERM, then SIGKILL after grace_ms) and every
 * process left in its cgroup, then removes the cgroup. Safe to call twice.
 * Returns the command's wait status, or -1 if there was none.
 */
int targets_cleanup(struct targets *tg, int grace_ms);

#endif
