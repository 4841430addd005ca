/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The processes of a target as the kernel lists them: in /proc (a task's
 * tgid, whether a process is alive, the listening TCP sockets of a network
 * namespace and the sockets a process holds) and in a cgroup's cgroup.procs.
 *
 * Every function takes root, the file-system root the kernel's files are
 * under: "/" on the host; in unit tests a temp dir holding a fake proc/ and
 * sys/fs/cgroup/. The files belong to other users' processes: they are
 * opened with O_NOFOLLOW and O_NONBLOCK, read in bounded pieces, a line too
 * long for its buffer is skipped whole, and numbers go through the checked
 * parser. /proc/PID/fd/N entries are links by nature: they are only read
 * with readlinkat(), never opened.
 *
 * Functions return 0 (or a count) on success and -errno on failure.
 */
#ifndef LATGOV_IO_PROCFS_H
#define LATGOV_IO_PROCFS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A listening TCP socket: its inode (what a holder's fd links to), the
 * address and port it is bound to, and the user that made it.
 */
struct procfs_sock {
	uint64_t inode;
	uint32_t uid;		/* as the reader's user namespace sees it */
	uint16_t port;
	uint8_t family;		/* AF_INET (net/tcp) or AF_INET6 (net/tcp6) */
	uint8_t addr[16];	/* network order; the first 4 bytes for AF_INET */
};

/*
 * The tgid of task pid, a process or one of its threads. 0; -ESRCH if there
 * is no such task; -EINVAL if its status file has no readable Tgid line;
 * other -errno if it cannot be read.
 */
int procfs_task_tgid(const char *root, uint32_t pid, uint32_t *tgid);

/*
 * 1 if process pid is alive; 0 if there is none, or it is a zombie or dead
 * (state Z or X). A stat file that cannot be parsed counts as alive: only a
 * sure answer drops a target.
 */
int procfs_pid_alive(const char *root, uint32_t pid);

/*
 * The text of root/proc/PID/stat into buf (NUL-terminated, cut at len - 1
 * bytes), opened without following a link. Returns its length or -errno.
 */
int procfs_stat(const char *root, uint32_t pid, char *buf, size_t len);

/*
 * Field n (3 is the state, 22 the start time) of a stat text, found after
 * the command name, which may hold spaces and ')'; NULL if there is none.
 */
const char *procfs_stat_field(const char *stat, int n);

/*
 * The TCP sockets in state LISTEN of the network namespace of pid (pid 0:
 * the reader's own, /proc/net), IPv4 then IPv6; malformed lines are skipped.
 * Stores up to cap and returns how many, or -errno if net/tcp cannot be read
 * (net/tcp6 may be missing: IPv6 off).
 */
int procfs_listen_socks(const char *root, uint32_t pid, struct procfs_sock *socks, size_t cap);

/*
 * Keeps the listeners among socks that take connections to addr:port, as the
 * kernel's lookup picks them: those bound to addr itself if there are any,
 * else those bound to the wildcard (0.0.0.0, or :: for dual-stack IPv6);
 * IPv4 sockets before IPv6 ones at each step. An IPv4 addr is also reached
 * through an IPv6 socket bound to it as ::ffff:a.b.c.d. family 0 keeps every
 * listener on port, whatever its address. addr is in network order (4 bytes
 * for AF_INET, 16 for AF_INET6). The kept ones move to the front of socks, in
 * their order; returns how many.
 */
size_t procfs_listeners_for(struct procfs_sock *socks, size_t n, uint16_t port, int family,
			    const uint8_t *addr);

/*
 * The ports of the sockets in socks that pid holds, one per fd linking to
 * "socket:[INODE]" in /proc/PID/fd. Stores up to cap and returns how many,
 * or -errno if the fd folder cannot be read (-ENOENT: the process is gone).
 */
int procfs_pid_ports(const char *root, uint32_t pid, const struct procfs_sock *socks,
		     size_t nsocks, uint16_t *ports, size_t cap);

/*
 * The processes that hold any of socks, except those in skip; reads every
 * process's fd folder, and stops once cap are found. which (NULL: not
 * wanted) gets, for each pid stored, the index in socks of a socket it
 * holds. Returns how many were stored, or -errno if /proc cannot be listed.
 */
int procfs_sock_holders(const char *root, const struct procfs_sock *socks, size_t nsocks,
			const uint32_t *skip, size_t nskip, uint32_t *pids, uint32_t *which,
			size_t cap);

/*
 * The text of root/proc/PID/cgroup (every hierarchy's line, v1 and v2) into
 * buf, NUL-terminated. Two processes in the same cgroups have the same text.
 * Returns its length, -ENOSPC if it does not fit, or -errno (-ENOENT: gone).
 */
int procfs_pid_cgroup(const char *root, uint32_t pid, char *buf, size_t len);

/*
 * The cgroup.procs file of the cgroup name: an absolute path, or one
 * relative to /sys/fs/cgroup or its cpu, unified or memory hierarchy (tried
 * in that order). 0 with the file's path in out; -ENOENT if none has one;
 * -ENAMETOOLONG if the path does not fit out.
 */
int procfs_cgroup_find(const char *root, const char *name, char *out, size_t outlen);

/*
 * The pids in the cgroup.procs file at procs (a path procfs_cgroup_find
 * gave), one a line; other lines are skipped. Stores up to cap, and returns
 * how many the file lists (more than cap when they did not all fit), or
 * -errno if the file cannot be read.
 */
int procfs_cgroup_pids(const char *procs, uint32_t *pids, size_t cap);

/*
 * Brings a list of target pids (*n of them, room for cap) up to date with
 * the cgroup.procs file at procs: drops the processes that are gone (no
 * longer listed, and not alive under root; one that moved to another cgroup
 * stays), then appends the members it does not hold yet while there is room.
 * *untraced gets the members it had no room for (an estimate once the cgroup
 * lists more than twice cap). Returns how many were appended (the
 * last ones of the list), or -errno if the file cannot be read (the list is
 * left as it was).
 */
int procfs_cgroup_merge(const char *root, const char *procs, uint32_t *pids, size_t *n,
			size_t cap, size_t *untraced);

/*
 * 1 if the cgroup v2 directory dir (an absolute path under root) lists
 * controller in its cgroup.controllers, 0 if it does not, -errno if that
 * file cannot be read (as on a v1 hierarchy).
 */
int procfs_cgroup_has_controller(const char *root, const char *dir, const char *controller);

#endif
