// SPDX-License-Identifier: GPL-2.0-only
/*
 * Targets (see targets.h): what io/procfs reads from /proc and the cgroup
 * file system, gathered into one set of pids and ports; and -- COMMAND,
 * started in a cgroup of latgov's own, stopped and removed at the end.
 */
#include <arpa/inet.h>
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

#include "core/cgpath.h"
#include "io/cgroup.h"
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

/*
 * A full list leaves processes of the cgroup out: said once per rise, so
 * that a service that keeps forking does not fill the terminal.
 */
static void say_untraced(struct targets *tg)
{
	if (tg->untraced <= tg->untraced_said)
		return;
	fprintf(stderr, "latgov: %zu processes of the cgroup are not traced: latgov follows at most %d processes at once\n",
		tg->untraced, TARGETS_MAX_PIDS);
	tg->untraced_said = tg->untraced;
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

/* "127.0.0.1:8080" or "[::1]:8080": a listener's address as the user gives it to --port. */
static void format_listener(const struct procfs_sock *s, char *out, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(s->family, s->addr, addr, sizeof(addr)))
		snprintf(addr, sizeof(addr), "?");
	snprintf(out, len, s->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr, s->port);
}

/* Who a listener belongs to: the user that made it, and the cgroups of a process holding it. */
struct owner {
	uint32_t uid;
	uint32_t pid;
	const struct procfs_sock *sock;
	char cgroups[1024];	/* /proc/PID/cgroup, whole: equal texts are the same cgroups */
};

#define MAX_OWNERS 4	/* named in a message; more are counted */

/*
 * The owners of the listeners --port found (holders[i] holds socks[which[i]]).
 * One owner: nothing to say. Several: a line on stderr, or, for a session
 * that would govern the cgroup of the first, -EPERM with the message in err.
 */
static int check_owners(const struct lg_options *o, const struct procfs_sock *socks,
			const uint32_t *holders, const uint32_t *which, int n, char *err,
			size_t errlen)
{
	struct owner owners[MAX_OWNERS];
	char text[1024], list[600], where[64], rel[256];
	size_t nowners = 0, more = 0, used = 0, i, k;
	int v2;

	for (int h = 0; h < n; h++) {
		const struct procfs_sock *sock = &socks[which[h]];

		/* A process gone since: it owns nothing any more. Text cut short: compared as cut. */
		if (procfs_pid_cgroup(HOST_ROOT, holders[h], text, sizeof(text)) == -ENOENT)
			continue;
		for (k = 0; k < nowners; k++)
			if (owners[k].uid == sock->uid && !strcmp(owners[k].cgroups, text))
				break;
		if (k < nowners)
			continue;
		if (nowners == MAX_OWNERS) {
			more++;
			continue;
		}
		owners[nowners].uid = sock->uid;
		owners[nowners].pid = holders[h];
		owners[nowners].sock = sock;
		snprintf(owners[nowners].cgroups, sizeof(owners[nowners].cgroups), "%s", text);
		nowners++;
	}
	if (nowners < 2)
		return 0;
	list[0] = 0;
	for (i = 0; i < nowners && used < sizeof(list); i++) {
		format_listener(owners[i].sock, where, sizeof(where));
		if (cgpath_cpu_of(owners[i].cgroups, rel, sizeof(rel), &v2))
			snprintf(rel, sizeof(rel), "?");
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s (uid %u, PID %u in cgroup %s)",
					 i ? ", " : "", where, owners[i].uid, owners[i].pid, rel);
	}
	if (more && used < sizeof(list))
		snprintf(list + used, sizeof(list) - used, " and %zu more", more);
	if (o->cmd == LG_CMD_GOVERN || o->policy_path) {
		snprintf(err, errlen, "TCP port %u has listeners of different owners: %s; latgov will not choose whose cgroup to govern: name it with --cgroup PATH, or the address with --port ADDR:PORT",
			 o->port, list);
		return -EPERM;
	}
	fprintf(stderr, "latgov: TCP port %u has listeners of different owners: %s; tracing them all (--port ADDR:PORT or --cgroup PATH traces one)\n",
		o->port, list);
	return 0;
}

static int resolve_port(const struct lg_options *o, struct targets *tg, char *err, size_t errlen)
{
	static struct procfs_sock socks[MAX_LISTEN];
	static uint32_t holders[TARGETS_MAX_PIDS], which[TARGETS_MAX_PIDS];
	uint32_t self = (uint32_t)getpid();
	char where[64];
	size_t nmatch;
	int nsocks, n, i, e;

	/* latgov's own network namespace: the one the user's port is in */
	nsocks = procfs_listen_socks(HOST_ROOT, 0, socks, MAX_LISTEN);
	nmatch = nsocks > 0 ? procfs_listeners_for(socks, (size_t)nsocks, o->port, o->port_family,
						    o->port_addr) : 0;
	if (nmatch > MAX_MINE)
		nmatch = MAX_MINE;
	if (nmatch == 0)
		goto none;
	n = procfs_sock_holders(HOST_ROOT, socks, nmatch, &self, 1, holders, which, TARGETS_MAX_PIDS);
	if (n < 0) {
		snprintf(err, errlen, "cannot read /proc: %s", strerror(-n));
		return n;
	}
	for (i = 0; i < n; i++)
		add_pid(tg, holders[i]);
	if (tg->npids == 0)
		goto none;
	e = check_owners(o, socks, holders, which, n, err, errlen);
	if (e)
		return e;
	add_port(tg, o->port);
	return 0;
none:
	if (o->port_family) {
		struct procfs_sock want = { .port = o->port, .family = (uint8_t)o->port_family };

		memcpy(want.addr, o->port_addr, sizeof(want.addr));
		format_listener(&want, where, sizeof(where));
		snprintf(err, errlen, "no process listens on %s: check it with 'ss -ltnp sport = :%u'",
			 where, o->port);
	} else {
		snprintf(err, errlen, "no process listens on TCP port %u: check it with 'ss -ltnp sport = :%u'",
			 o->port, o->port);
	}
	return -ENOENT;
}

/*
 * Brings tg up to date with its cgroup.procs file (see procfs_cgroup_merge).
 * Returns the number of new pids, the last ones of tg->pids, or -errno.
 */
static int read_cgroup_procs(struct targets *tg)
{
	return procfs_cgroup_merge(HOST_ROOT, tg->cgroup_procs, tg->pids, &tg->npids,
				   TARGETS_MAX_PIDS, &tg->untraced);
}

static int resolve_cgroup(const struct lg_options *o, struct targets *tg, char *err, size_t errlen)
{
	char dir[PATH_MAX], why[512];
	const char *p = o->cgroup;
	int e, hierarchy_root;

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
	/* A folder with a file of that name is not a cgroup: the kernel's own file system says. */
	*strrchr(tg->cgroup_procs, '/') = 0;
	e = cg_check_dir(tg->cgroup_procs, dir, &hierarchy_root, why, sizeof(why));
	tg->cgroup_procs[0] = 0;
	if (e) {
		snprintf(err, errlen, "--cgroup %s: %s", p, why);
		return -EINVAL;
	}
	if (hierarchy_root && !o->all_processes) {
		snprintf(err, errlen, "cgroup %s (%s) is the root of its hierarchy: its processes are the whole host's, not one service's; give the service's cgroup, or add --all-processes to trace them all",
			 p, dir);
		return -EINVAL;
	}
	if ((size_t)snprintf(tg->cgroup_procs, sizeof(tg->cgroup_procs), "%s/cgroup.procs", dir) >=
	    sizeof(tg->cgroup_procs)) {
		tg->cgroup_procs[0] = 0;
		snprintf(err, errlen, "cgroup path %s is too long: give a directory under /sys/fs/cgroup",
			 p);
		return -EINVAL;
	}
	e = read_cgroup_procs(tg);
	if (e < 0) {
		snprintf(err, errlen, "cannot read %s: %s", tg->cgroup_procs, strerror(-e));
		return e;
	}
	if (tg->npids == 0) {
		snprintf(err, errlen, "cgroup %s has no processes: start the service in it first",
			 p);
		return -ESRCH;
	}
	say_untraced(tg);
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
	int added = 0;

	if (tg->cgroup_procs[0]) {
		added = read_cgroup_procs(tg);
		if (added < 0)
			added = 0;
		say_untraced(tg);
	}
	for (size_t i = tg->npids - (size_t)added; i < tg->npids; i++)
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
	n = procfs_sock_holders(HOST_ROOT, mine, nmine, skip, tg->npids + 1, &holder, NULL, 1);
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
	for (i = 0; i < n && i < TARGETS_MAX_PIDS; i++)
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
