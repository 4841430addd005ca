// SPDX-License-Identifier: GPL-2.0-only
/*
 * Target resolution through /proc and the cgroup file system (see targets.h).
 *
 * Ports: a listening socket shows in /proc/PID/net/tcp{,6} (state 0A) with its
 * inode; a process holds it if /proc/PID/fd has a link "socket:[inode]".
 * /proc/PID/net is the process's own network namespace, so containers work.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/parse.h"
#include "targets.h"

#define MAX_LISTEN 1024

struct listen_sock {
	uint64_t inode;
	uint16_t port;
};

/* A pid from /proc or cgroup.procs text; 0 or -EINVAL. */
static int parse_pid(const char *s, uint32_t *out)
{
	long long v;
	int e = parse_int(s, 1, INT32_MAX, &v);

	if (!e)
		*out = (uint32_t)v;
	return e;
}

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

/* The tgid of a pid or thread id; -ESRCH if there is no such task. */
static int64_t task_tgid(uint32_t pid)
{
	char path[64], line[256];
	int64_t tgid = -ESRCH;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/status", pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f)) {
		uint32_t v;

		if (strncmp(line, "Tgid:", 5) == 0) {
			line[strcspn(line, "\n")] = 0;
			if (parse_pid(line + 5 + strspn(line + 5, " \t"), &v) == 0)
				tgid = v;
			break;
		}
	}
	fclose(f);
	return tgid;
}

/* Appends the LISTEN sockets of one /proc/.../net/tcp{,6} file. */
static void read_listen(const char *path, struct listen_sock *out, size_t *n, size_t cap)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) {	/* header */
		fclose(f);
		return;
	}
	while (fgets(line, sizeof(line), f) && *n < cap) {
		char local[128], remote[128];
		unsigned int st;
		unsigned long long inode;
		char *colon;
		unsigned long port;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, "%*s %127s %127s %x %*s %*s %*s %*s %*s %llu", local, remote, &st,
			   &inode) != 4)
			continue;
		if (st != 0x0A)
			continue;
		colon = strrchr(local, ':');
		if (!colon)
			continue;
		port = strtoul(colon + 1, NULL, 16);
		out[*n].inode = inode;
		out[*n].port = (uint16_t)port;
		(*n)++;
	}
	fclose(f);
}

/* Socket inodes open in /proc/PID/fd, matched against ls; calls back per match. */
static int pid_listen_ports(uint32_t pid, const struct listen_sock *ls, size_t nls,
			    uint16_t *ports, size_t cap)
{
	char dir[64], link[64], target[64];
	struct dirent *de;
	size_t n = 0, i;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%u/fd", pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < cap) {
		unsigned long long inode;
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		if (sscanf(target, "socket:[%llu]", &inode) != 1)
			continue;
		for (i = 0; i < nls; i++)
			if (ls[i].inode == inode)
				ports[n++] = ls[i].port;
	}
	closedir(d);
	return (int)n;
}

static void find_ports(struct targets *tg, uint32_t pid)
{
	static struct listen_sock ls[MAX_LISTEN];
	uint16_t ports[64];
	char path[64];
	size_t nls = 0;
	int n, i;

	snprintf(path, sizeof(path), "/proc/%u/net/tcp", pid);
	read_listen(path, ls, &nls, MAX_LISTEN);
	snprintf(path, sizeof(path), "/proc/%u/net/tcp6", pid);
	read_listen(path, ls, &nls, MAX_LISTEN);
	n = pid_listen_ports(pid, ls, nls, ports, 64);
	for (i = 0; i < n; i++)
		add_port(tg, ports[i]);
}

static int resolve_pids(const struct lg_options *o, struct targets *tg, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < o->npids; i++) {
		int64_t tgid = task_tgid(o->pids[i]);

		if (tgid < 0) {
			snprintf(err, errlen, "no process with PID %u: check it with 'ps -p %u'",
				 o->pids[i], o->pids[i]);
			return -ESRCH;
		}
		add_pid(tg, (uint32_t)tgid);
	}
	return 0;
}

static int resolve_port(const struct lg_options *o, struct targets *tg, char *err, size_t errlen)
{
	static struct listen_sock ls[MAX_LISTEN];
	struct listen_sock match[64];
	size_t nls = 0, nmatch = 0, i;
	struct dirent *de;
	DIR *d;

	read_listen("/proc/net/tcp", ls, &nls, MAX_LISTEN);
	read_listen("/proc/net/tcp6", ls, &nls, MAX_LISTEN);
	for (i = 0; i < nls && nmatch < 64; i++)
		if (ls[i].port == o->port)
			match[nmatch++] = ls[i];
	if (nmatch == 0)
		goto none;
	d = opendir("/proc");
	if (!d) {
		snprintf(err, errlen, "cannot read /proc: %s", strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		uint16_t ports[8];
		uint32_t pid;

		if (parse_pid(de->d_name, &pid) || pid == (uint32_t)getpid())
			continue;
		if (pid_listen_ports(pid, match, nmatch, ports, 8) > 0)
			add_pid(tg, pid);
	}
	closedir(d);
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
	char line[64];
	int added = 0;
	FILE *f = fopen(procs, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		uint32_t pid;

		line[strcspn(line, "\n")] = 0;
		if (parse_pid(line, &pid))
			continue;
		if (add_pid(tg, pid) > 0)
			added++;
	}
	fclose(f);
	return added;
}

static int resolve_cgroup(const struct lg_options *o, struct targets *tg, char *err, size_t errlen)
{
	static const char *const roots[] = { "", "/sys/fs/cgroup/", "/sys/fs/cgroup/cpu/",
					     "/sys/fs/cgroup/unified/", "/sys/fs/cgroup/memory/" };
	const char *p = o->cgroup;
	struct stat st;
	size_t i;
	int e;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (i == 0 && p[0] != '/')
			continue;
		if (i > 0 && strncmp(p, "/sys/fs/cgroup", 14) == 0)
			break;
		snprintf(tg->cgroup_procs, sizeof(tg->cgroup_procs), "%s%s/cgroup.procs", roots[i],
			 p + (i > 0 && p[0] == '/'));
		if (stat(tg->cgroup_procs, &st) == 0)
			break;
		tg->cgroup_procs[0] = 0;
	}
	if (!tg->cgroup_procs[0]) {
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

/* 1 if the cgroup mount at dir is v2 with the cpu controller. */
static int v2_has_cpu(const char *dir)
{
	char path[256], line[512];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f)) {
		char *tok, *save = NULL;

		for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save))
			if (strcmp(tok, "cpu") == 0)
				found = 1;
	}
	fclose(f);
	return found;
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

static int resolve_command(const struct lg_options *o, struct targets *tg, char *err, size_t errlen)
{
	const char *base = "/sys/fs/cgroup/cpu";
	int go[2], status[2], e;
	pid_t pid;

	if (v2_has_cpu("/sys/fs/cgroup"))
		base = "/sys/fs/cgroup";
	else if (v2_has_cpu("/sys/fs/cgroup/unified"))
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
	static struct listen_sock ls[MAX_LISTEN];
	struct listen_sock mine[64];
	size_t nls, nmine = 0, i, j;
	char path[64];
	struct dirent *de;
	int shared = 0;
	DIR *d;

	/* The targets' listening sockets on their ports, from their own network namespaces. */
	for (i = 0; i < tg->npids && nmine < 64; i++) {
		nls = 0;
		snprintf(path, sizeof(path), "/proc/%u/net/tcp", tg->pids[i]);
		read_listen(path, ls, &nls, MAX_LISTEN);
		snprintf(path, sizeof(path), "/proc/%u/net/tcp6", tg->pids[i]);
		read_listen(path, ls, &nls, MAX_LISTEN);
		for (j = 0; j < nls && nmine < 64; j++) {
			size_t k;

			if (!has_port(tg, ls[j].port))
				continue;
			for (k = 0; k < nmine && mine[k].inode != ls[j].inode; k++)
				;
			if (k == nmine)
				mine[nmine++] = ls[j];
		}
	}
	if (!nmine)
		return 0;
	d = opendir("/proc");
	if (!d)
		return 1;	/* cannot tell: the safe answer */
	while (!shared && (de = readdir(d))) {
		uint16_t port;
		uint32_t pid;

		if (parse_pid(de->d_name, &pid) || pid == (uint32_t)getpid() || has_pid(tg, pid))
			continue;
		shared = pid_listen_ports(pid, mine, nmine, &port, 1) > 0;
	}
	closedir(d);
	return shared;
}

int targets_pid_alive(uint32_t pid)
{
	char path[64], buf[512], *p;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	p = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
	if (!p || p[1] != ' ')
		return 1;
	return p[2] != 'Z' && p[2] != 'X';
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
	char line[64];
	int n = 0;
	FILE *f = fopen(tg->cgroup_procs, "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		uint32_t pid;

		line[strcspn(line, "\n")] = 0;
		if (parse_pid(line, &pid) == 0) {
			kill((pid_t)pid, SIGKILL);
			n++;
		}
	}
	fclose(f);
	return n;
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
