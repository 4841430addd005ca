// SPDX-License-Identifier: GPL-2.0-only
/*
 * Targets (see targets.h): what io/procfs reads from /proc and the cgroup
 * file system, gathered into one set of pids and ports; and -- COMMAND,
 * started in a cgroup of latgov's own, stopped and removed at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io/procfs.h"
#include "targets.h"

/* latgov reads the host's /proc and cgroup file system; unit tests give io/procfs a fake one. */
#define HOST_ROOT "/"
/* Listening sockets read from one network namespace. */
#define MAX_LISTEN 1024
/* Listening sockets on the target's ports. */
#define MAX_MINE 64

static int has_pid(const struct targets *tg, uint32_t pid)
{
	for (size_t i = 0; i < tg->npids; i++)
		if (tg->pids[i] == pid)
			return 1;
	return 0;
}

static int has_port(const struct targets *tg, uint16_t port)
{
	for (size_t i = 0; i < tg->nports; i++)
		if (tg->ports[i] == port)
			return 1;
	return 0;
}

static int add_pid(struct targets *tg, uint32_t pid)
{
	if (has_pid(tg, pid))
		return 0;
	if (tg->npids == TARGETS_MAX_PIDS)
		return -ENOSPC;
	tg->pids[tg->npids++] = pid;
	return 1;
}

static void add_port(struct targets *tg, uint16_t port)
{
	if (has_port(tg, port))
		return;
	if (tg->nports < TARGETS_MAX_PORTS)
		tg->ports[tg->nports++] = port;
}

/* Adds the ports pid listens on, from its own network namespace. */
static void find_ports(struct targets *tg, uint32_t pid)
{
	struct procfs_sock socks[MAX_LISTEN];
	uint16_t ports[64];
	int nsocks, n, i;

	nsocks = procfs_listen_socks(HOST_ROOT, pid, socks, MAX_LISTEN);
	if (nsocks <= 0)
		return;	/* gone, or no listener in its namespace */
	n = procfs_pid_ports(HOST_ROOT, pid, socks, (size_t)nsocks, ports, 64);
	for (i = 0; i < n; i++)
		add_port(tg, ports[i]);
}

static int resolve_pids(const struct lg_options *o, struct targets *tg, char *err, size_t errlen)
{
	uint32_t tgid;
	size_t i;
	int e;

	for (i = 0; i < o->npids; i++) {
		e = procfs_task_tgid(HOST_ROOT, o->pids[i], &tgid);
		if (e == -ESRCH || e == -EINVAL) {
			snprintf(err, errlen, "no process with PID %u: check it with 'ps -p %u'",
				 o->pids[i], o->pids[i]);
			return -ESRCH;
		}
		if (e) {
			snprintf(err, errlen, "cannot read /proc/%u/status: %s", o->pids[i],
				 strerror(-e));
			return e;
		}
		add_pid(tg, tgid);
	}
	return 0;
}

static int resolve_port(const struct lg_options *o, struct targets *tg, char *err, size_t errlen)
{
	struct procfs_sock socks[MAX_LISTEN], match[MAX_MINE];
	uint32_t holders[TARGETS_MAX_PIDS], self = (uint32_t)getpid();
	size_t nmatch = 0;
	int nsocks, n, i;

	/* latgov's own network namespace: the one the user's port is in */
	nsocks = procfs_listen_socks(HOST_ROOT, 0, socks, MAX_LISTEN);
	for (i = 0; i < nsocks && nmatch < MAX_MINE; i++)
		if (socks[i].port == o->port)
			match[nmatch++] = socks[i];
	if (nmatch == 0)
		goto none;
	n = procfs_sock_holders(HOST_ROOT, match, nmatch, &self, 1, holders, TARGETS_MAX_PIDS);
	if (n < 0) {
		snprintf(err, errlen, "cannot read /proc: %s", strerror(-n));
		return n;
	}
	for (i = 0; i < n; i++)
		add_pid(tg, holders[i]);
	if (tg->npids == 0)
		goto none;
	add_port(tg, o->port);
	return 0;
none:
	snprintf(err, errlen, "no process listens on TCP port %u: check it with 'ss -ltnp sport = :%u'",
		 o->port, o->port);
	return -ENOENT;
}

/* Reads cgroup.procs into tg; returns the number of new pids or -errno. */
static int read_cgroup_procs(struct targets *tg, const char *procs)
{
	uint32_t pids[TARGETS_MAX_PIDS];
	int n, i, added = 0;

	n = procfs_cgroup_pids(procs, pids, TARGETS_MAX_PIDS);
	for (i = 0; i < n; i++)
		if (add_pid(tg, pids[i]) > 0)
			added++;
	return n < 0 ? n : added;
}

static int resolve_cgroup(const struct lg_options *o, struct targets *tg, char *err, size_t errlen)
{
	const char *p = o->cgroup;
	int e;

	e = procfs_cgroup_find(HOST_ROOT, p, tg->cgroup_procs, sizeof(tg->cgroup_procs));
	if (e == -ENAMETOOLONG) {
		snprintf(err, errlen, "cgroup path %s is too long: give a directory under /sys/fs/cgroup",
			 p);
		return -EINVAL;
	}
	if (e) {
		snprintf(err, errlen, "cgroup %s not found: give a directory under /sys/fs/cgroup that has a cgroup.procs file",
			 p);
		return -ENOENT;
	}
	e = read_cgroup_procs(tg, tg->cgroup_procs);
	if (e < 0) {
		snprintf(err, errlen, "cannot read %s: %s", tg->cgroup_procs, strerror(-e));
		return e;
	}
	if (tg->npids == 0) {
		snprintf(err, errlen, "cgroup %s has no processes: start the service in it first",
			 p);
		return -ESRCH;
	}
	return 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), e = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		e = -errno;
	close(fd);
	return e;
}

/*
 * The command starts as a service manager would start it: latgov ignores
 * SIGPIPE (and a handler set to SIG_IGN survives exec), so a service run
 * under it would otherwise get EPIPE where it would have died, and a signal
 * blocked here would stay blocked there.
 */
static void reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		(void)signal(sig, SIG_DFL);	/* SIGKILL, SIGSTOP and the libc's own fail: left as they are */
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
}

static int resolve_command(const struct lg_options *o, struct targets *tg, char *err, size_t errlen)
{
	const char *base = "/sys/fs/cgroup/cpu";
	int go[2], status[2], e;
	pid_t pid;

	if (procfs_cgroup_has_controller(HOST_ROOT, "/sys/fs/cgroup", "cpu") == 1)
		base = "/sys/fs/cgroup";
	else if (procfs_cgroup_has_controller(HOST_ROOT, "/sys/fs/cgroup/unified", "cpu") == 1)
		base = "/sys/fs/cgroup/unified";
	snprintf(tg->created_cgroup, sizeof(tg->created_cgroup), "%s/latgov-%d", base, getpid());
	if (mkdir(tg->created_cgroup, 0755) && errno != EEXIST) {
		e = -errno;
		snprintf(err, errlen, "cannot create cgroup %s: %s", tg->created_cgroup, strerror(-e));
		tg->created_cgroup[0] = 0;
		return e;
	}
	snprintf(tg->cgroup_procs, sizeof(tg->cgroup_procs), "%s/cgroup.procs", tg->created_cgroup);
	/*
	 * On cgroup v1, CPU accounting and memory may be hierarchies of their
	 * own: siblings with the same name there give govern the CPU usage and
	 * let it limit memory too. Where a controller shares the cpu mount (or
	 * is missing), there is nothing to add.
	 */
	if (strcmp(base, "/sys/fs/cgroup/cpu") == 0) {
		static const char *const siblings[] = { "/sys/fs/cgroup/cpuacct", "/sys/fs/cgroup/memory" };
		char real_cpu[PATH_MAX], real_other[PATH_MAX], procs[600];

		for (size_t i = 0; i < 2; i++) {
			snprintf(procs, sizeof(procs), "%s/cgroup.procs", siblings[i]);
			if (access(procs, F_OK) || !realpath(base, real_cpu) || !realpath(siblings[i], real_other) ||
			    strcmp(real_cpu, real_other) == 0)
				continue;
			snprintf(tg->created_siblings[i], sizeof(tg->created_siblings[i]), "%s/latgov-%d",
				 siblings[i], getpid());
			if (mkdir(tg->created_siblings[i], 0755) && errno != EEXIST)
				tg->created_siblings[i][0] = 0;	/* CPU alone still works */
		}
	}
	if (pipe2(go, O_CLOEXEC) || pipe2(status, O_CLOEXEC)) {
		e = -errno;
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(-e));
		return e;
	}
	pid = fork();
	if (pid < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot fork: %s", strerror(-e));
		return e;
	}
	if (pid == 0) {
		char c;
		int errnum;

		close(go[1]);
		close(status[0]);
		for (size_t i = 0; i < 2; i++) {
			char procs[600];

			if (!tg->created_siblings[i][0])
				continue;
			snprintf(procs, sizeof(procs), "%s/cgroup.procs", tg->created_siblings[i]);
			(void)write_file(procs, "0");
		}
		if (write_file(tg->cgroup_procs, "0") < 0) {
			errnum = errno;
			(void)!write(status[1], &errnum, sizeof(errnum));
			_exit(127);
		}
		/* Wait until latgov traces us: no request goes unseen. */
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		reset_signals();
		execvp(o->command[0], o->command);
		errnum = errno;
		(void)!write(status[1], &errnum, sizeof(errnum));
		_exit(127);
	}
	close(go[0]);
	close(status[1]);
	tg->child = pid;
	tg->child_go_fd = go[1];
	tg->nports = 0;
	add_pid(tg, (uint32_t)pid);
	tg->child_status_fd = status[0];
	return 0;
}

int targets_resolve(const struct lg_options *o, struct targets *tg, char *err, size_t errlen)
{
	size_t i;
	int e;

	memset(tg, 0, sizeof(*tg));
	tg->child_go_fd = -1;
	tg->child_status_fd = -1;
	switch (o->target) {
	case LG_TARGET_PIDS:
		e = resolve_pids(o, tg, err, errlen);
		break;
	case LG_TARGET_PORT:
		e = resolve_port(o, tg, err, errlen);
		break;
	case LG_TARGET_CGROUP:
		e = resolve_cgroup(o, tg, err, errlen);
		break;
	case LG_TARGET_COMMAND:
		return resolve_command(o, tg, err, errlen);
	default:
		snprintf(err, errlen, "no target: give -p PID, --port PORT, --cgroup PATH or -- COMMAND");
		return -EINVAL;
	}
	if (e)
		return e;
	for (i = 0; i < tg->npids; i++)
		find_ports(tg, tg->pids[i]);
	return 0;
}

int targets_start_command(struct targets *tg, char *err, size_t errlen)
{
	int errnum = 0;
	ssize_t n;

	if (tg->child_go_fd < 0)
		return 0;
	if (write(tg->child_go_fd, "g", 1) != 1) {
		snprintf(err, errlen, "cannot start the command: %s", strerror(errno));
		return -errno;
	}
	close(tg->child_go_fd);
	tg->child_go_fd = -1;
	/* EOF: exec succeeded (the pipe is close-on-exec); an int: its errno. */
	do
		n = read(tg->child_status_fd, &errnum, sizeof(errnum));
	while (n < 0 && errno == EINTR);
	close(tg->child_status_fd);
	tg->child_status_fd = -1;
	if (n == sizeof(errnum)) {
		snprintf(err, errlen, "cannot run the command: %s", strerror(errnum));
		return -errnum;
	}
	return 0;
}

int targets_refresh(struct targets *tg)
{
	size_t before = tg->npids, i;
	int added = 0;

	if (tg->cgroup_procs[0]) {
		added = read_cgroup_procs(tg, tg->cgroup_procs);
		if (added < 0)
			added = 0;
	}
	for (i = before; i < tg->npids; i++)
		find_ports(tg, tg->pids[i]);
	return added;
}

int targets_listen_shared(const struct targets *tg)
{
	struct procfs_sock socks[MAX_LISTEN], mine[MAX_MINE];
	uint32_t skip[TARGETS_MAX_PIDS + 1], holder;
	size_t nmine = 0, i, k;
	int nsocks, j, n;

	/* The targets' listening sockets on their ports, from their own network namespaces. */
	for (i = 0; i < tg->npids && nmine < MAX_MINE; i++) {
		nsocks = procfs_listen_socks(HOST_ROOT, tg->pids[i], socks, MAX_LISTEN);
		for (j = 0; j < nsocks && nmine < MAX_MINE; j++) {
			if (!has_port(tg, socks[j].port))
				continue;
			for (k = 0; k < nmine && mine[k].inode != socks[j].inode; k++)
				;
			if (k == nmine)
				mine[nmine++] = socks[j];
		}
	}
	if (!nmine)
		return 0;
	memcpy(skip, tg->pids, tg->npids * sizeof(skip[0]));
	skip[tg->npids] = (uint32_t)getpid();
	n = procfs_sock_holders(HOST_ROOT, mine, nmine, skip, tg->npids + 1, &holder, 1);
	return n != 0;	/* n < 0: cannot tell, and shared is the safe answer */
}

int targets_pid_alive(uint32_t pid)
{
	return procfs_pid_alive(HOST_ROOT, pid);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* SIGKILLs what is left in the cgroup; returns how many were signalled. */
static int kill_cgroup(struct targets *tg)
{
	uint32_t pids[TARGETS_MAX_PIDS];
	int n, i;

	n = procfs_cgroup_pids(tg->cgroup_procs, pids, TARGETS_MAX_PIDS);
	for (i = 0; i < n; i++)
		kill((pid_t)pids[i], SIGKILL);
	return n < 0 ? 0 : n;
}

int targets_cleanup(struct targets *tg, int grace_ms)
{
	int status = -1, i;

	if (tg->child_go_fd >= 0) {	/* never started: closing the pipe makes it exit */
		close(tg->child_go_fd);
		tg->child_go_fd = -1;
	}
	if (tg->child_status_fd >= 0) {
		close(tg->child_status_fd);
		tg->child_status_fd = -1;
	}
	if (tg->child > 0) {
		int st;

		kill(tg->child, SIGTERM);
		for (i = 0; i < grace_ms / 10; i++) {
			pid_t w = waitpid(tg->child, &st, WNOHANG);

			if (w == tg->child) {
				status = st;
				break;
			}
			if (w < 0)
				break;
			sleep_ms(10);
		}
		if (status == -1) {
			kill(tg->child, SIGKILL);
			if (waitpid(tg->child, &st, 0) == tg->child)
				status = st;
		}
		tg->child = 0;
	}
	if (tg->created_cgroup[0]) {
		for (i = 0; i < 100; i++) {
			if (rmdir(tg->created_cgroup) == 0 || errno == ENOENT)
				break;
			kill_cgroup(tg);
			sleep_ms(10);
		}
		tg->created_cgroup[0] = 0;
	}
	/* Emptied with the cpu one: the same processes were in all of them. */
	for (size_t j = 0; j < 2; j++) {
		if (!tg->created_siblings[j][0])
			continue;
		for (i = 0; i < 100; i++) {
			if (rmdir(tg->created_siblings[j]) == 0 || errno == ENOENT)
				break;
			sleep_ms(10);
		}
		tg->created_siblings[j][0] = 0;
	}
	return status;
}
