// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading /proc and cgroup.procs (see procfs.h).
 *
 * A listening socket shows in /proc/PID/net/tcp{,6} (state LISTEN) with its
 * inode; a process holds it if /proc/PID/fd has a link "socket:[INODE]".
 * /proc/PID/net is the process's own network namespace, so containers work,
 * and socket inodes are unique across namespaces.
 */
#include "io/procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/parse.h"

/* Files of other users' processes: never through a link, never waiting. */
#define PROC_FILE_FLAGS (O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
#define PROC_DIR_FLAGS  (PROC_FILE_FLAGS | O_DIRECTORY)

/*
 * A file read line by line through one fixed buffer. The longest line read
 * is a net/tcp6 line; status lines such as Cpus_allowed on a large machine
 * may not fit, and are skipped.
 */
struct lines {
	int fd;
	size_t head, tail;	/* the unread bytes are buf[head, tail) */
	int eof;
	char buf[1024];
};

static void lines_init(struct lines *l, int fd)
{
	l->fd = fd;
	l->head = 0;
	l->tail = 0;
	l->eof = 0;
}

/*
 * The next line, without its newline, NUL-terminated in place. Returns 1, 0
 * at the end, or -errno. A line that does not fit the buffer is skipped
 * whole: its tail would read as a line of its own.
 */
static int lines_next(struct lines *l, char **line)
{
	int skipping = 0;
	ssize_t n;

	for (;;) {
		char *start = l->buf + l->head;
		char *nl = memchr(start, '\n', l->tail - l->head);

		if (nl) {
			*nl = 0;
			l->head = (size_t)(nl - l->buf) + 1;
			if (skipping) {
				skipping = 0;
				continue;
			}
			*line = start;
			return 1;
		}
		if (l->eof) {
			if (skipping || l->head == l->tail)
				return 0;
			l->buf[l->tail] = 0;	/* a last line without a newline */
			l->head = l->tail;
			*line = start;
			return 1;
		}
		memmove(l->buf, start, l->tail - l->head);
		l->tail -= l->head;
		l->head = 0;
		if (l->tail == sizeof(l->buf) - 1) {
			skipping = 1;
			l->tail = 0;
		}
		n = read(l->fd, l->buf + l->tail, sizeof(l->buf) - 1 - l->tail);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			l->eof = 1;
		l->tail += (size_t)n;
	}
}

static int path_of(char *buf, size_t len, const char *root, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * root followed by the formatted path. root "/" adds nothing, so that host
 * paths read as the user knows them. 0 or -ENAMETOOLONG.
 */
static int path_of(char *buf, size_t len, const char *root, const char *fmt, ...)
{
	size_t rl = strlen(root);
	va_list ap;
	int n;

	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	if (rl >= len)
		return -ENAMETOOLONG;
	memcpy(buf, root, rl);
	va_start(ap, fmt);
	n = vsnprintf(buf + rl, len - rl, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - rl)
		return -ENAMETOOLONG;
	return 0;
}

/* A pid as /proc and cgroup.procs print it; 0 or -EINVAL. */
static int parse_pid(const char *s, uint32_t *out)
{
	long long v;

	if (parse_int(s, 1, INT32_MAX, &v))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/*
 * A field the kernel prints in hex ("%02X", "%04X"): 1 to maxdigits hex
 * digits and nothing else, so that maxdigits bounds the value. 0 or -EINVAL.
 */
static int parse_hex(const char *s, size_t maxdigits, unsigned long *out)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF"), i;
	unsigned long v = 0;

	if (n == 0 || n > maxdigits || s[n])
		return -EINVAL;
	for (i = 0; i < n; i++)
		v = v * 16 + (unsigned long)(s[i] <= '9' ? s[i] - '0' : (s[i] | 0x20) - 'a' + 10);
	*out = v;
	return 0;
}

int procfs_task_tgid(const char *root, uint32_t pid, uint32_t *tgid)
{
	char path[PATH_MAX], *line;
	struct lines l;
	int fd, e, r;

	e = path_of(path, sizeof(path), root, "/proc/%u/status", pid);
	if (e)
		return e;
	fd = open(path, PROC_FILE_FLAGS);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	lines_init(&l, fd);
	e = -EINVAL;
	while ((r = lines_next(&l, &line)) > 0) {
		if (strncmp(line, "Tgid:", 5))
			continue;
		if (!parse_pid(line + 5 + strspn(line + 5, " \t"), tgid))
			e = 0;
		break;
	}
	if (r < 0)
		e = r;
	close(fd);
	return e;
}

int procfs_stat(const char *root, uint32_t pid, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, e;

	if (len < 2)
		return -EINVAL;
	e = path_of(path, sizeof(path), root, "/proc/%u/stat", pid);
	if (e)
		return e;
	fd = open(path, PROC_FILE_FLAGS);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	e = n < 0 ? -errno : 0;
	close(fd);
	if (e)
		return e;
	buf[n] = 0;
	return (int)n;
}

const char *procfs_stat_field(const char *stat, int n)
{
	/* "pid (comm) S ...": comm may hold spaces and ')', so the fields follow the last one */
	const char *p = strrchr(stat, ')');
	int field;

	if (!p || n < 3)
		return NULL;
	for (field = 2; p && field < n; field++)
		p = strchr(p + 1, ' ');
	return p && p[1] ? p + 1 : NULL;
}

int procfs_pid_alive(const char *root, uint32_t pid)
{
	char buf[512];
	const char *state;
	int n;

	n = procfs_stat(root, pid, buf, sizeof(buf));
	if (n == -ENOENT || n == -ESRCH)
		return 0;
	/* Out of descriptors, or any other failure: not a sure answer, so alive. */
	if (n <= 0)
		return 1;
	state = procfs_stat_field(buf, 3);
	if (!state)
		return 1;
	return *state != 'Z' && *state != 'X';
}

/*
 * An address as net/tcp{,6} prints it: each 32-bit word of the network-order
 * address as the kernel's native integer, in hex. Read on the same machine,
 * the native integer's bytes are the address again. 0 or -EINVAL.
 */
static int parse_addr(const char *hex, size_t len, uint8_t *addr)
{
	char word[9];

	for (size_t i = 0; i < len / 8; i++) {
		unsigned long v;
		uint32_t w;

		memcpy(word, hex + 8 * i, 8);
		word[8] = 0;
		if (parse_hex(word, 8, &v))
			return -EINVAL;
		w = (uint32_t)v;
		memcpy(addr + 4 * i, &w, 4);
	}
	return 0;
}

/*
 * One line of net/tcp or net/tcp6: "sl local rem st tx:rx tr:when retrnsmt
 * uid timeout inode ...", an address as ADDR:PORT in hex. 0 for a LISTEN
 * socket; -ENOENT for another state; -EINVAL for a malformed line, and for
 * inode 0, a socket no file holds.
 */
static int parse_listen(char *line, struct procfs_sock *s)
{
	char *field[10], *save = NULL, *colon;
	unsigned long st, port;
	long long inode, uid;
	size_t alen;
	int i;

	for (i = 0; i < 10; i++) {
		field[i] = strtok_r(i ? NULL : line, " \t", &save);
		if (!field[i])
			return -EINVAL;
	}
	if (parse_hex(field[3], 2, &st))
		return -EINVAL;
	if (st != TCP_LISTEN)
		return -ENOENT;
	colon = strchr(field[1], ':');
	if (!colon)
		return -EINVAL;
	alen = (size_t)(colon - field[1]);
	if ((alen != 8 && alen != 32) || strspn(field[1], "0123456789abcdefABCDEF") != alen)
		return -EINVAL;
	if (parse_hex(colon + 1, 4, &port) || port == 0)
		return -EINVAL;
	if (parse_int(field[9], 1, INT64_MAX, &inode) || parse_int(field[7], 0, UINT32_MAX, &uid))
		return -EINVAL;
	memset(s->addr, 0, sizeof(s->addr));
	if (parse_addr(field[1], alen, s->addr))
		return -EINVAL;
	s->family = alen == 8 ? AF_INET : AF_INET6;
	s->inode = (uint64_t)inode;
	s->uid = (uint32_t)uid;
	s->port = (uint16_t)port;
	return 0;
}

/* Appends the LISTEN sockets of one net/tcp{,6} file to socks; 0 or -errno. */
static int read_listen(const char *path, struct procfs_sock *socks, size_t *n, size_t cap)
{
	struct lines l;
	int fd, r = 0, header = 1;
	char *line;

	fd = open(path, PROC_FILE_FLAGS);
	if (fd < 0)
		return -errno;
	lines_init(&l, fd);
	while (*n < cap && (r = lines_next(&l, &line)) > 0) {
		if (header) {
			header = 0;
			continue;
		}
		if (!parse_listen(line, &socks[*n]))
			(*n)++;
	}
	close(fd);
	return r < 0 ? r : 0;
}

int procfs_listen_socks(const char *root, uint32_t pid, struct procfs_sock *socks, size_t cap)
{
	char net[PATH_MAX], path[PATH_MAX + 8];
	size_t n = 0;
	int e;

	if (pid)
		e = path_of(net, sizeof(net), root, "/proc/%u/net", pid);
	else
		e = path_of(net, sizeof(net), root, "/proc/net");
	if (e)
		return e;
	snprintf(path, sizeof(path), "%s/tcp", net);
	e = read_listen(path, socks, &n, cap);
	if (e)
		return e;
	snprintf(path, sizeof(path), "%s/tcp6", net);
	(void)read_listen(path, socks, &n, cap);
	return (int)n;
}

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/*
 * How a listener takes connections to an address (see
 * procfs_listeners_for): 4 bound to it (IPv4), 3 bound to it (IPv6), 2 the
 * IPv4 wildcard, 1 the IPv6 wildcard, 0 not at all. v4 is the address as
 * IPv4 if it is one (plain or mapped), else NULL; addr6 the IPv6 one.
 */
static int listener_rank(const struct procfs_sock *s, const uint8_t *v4, const uint8_t *addr6)
{
	static const uint8_t any[16];

	if (s->family == AF_INET) {
		if (!v4)
			return 0;
		if (!memcmp(s->addr, v4, 4))
			return 4;
		return memcmp(s->addr, any, 4) ? 0 : 2;
	}
	if (v4 ? !memcmp(s->addr, v4_mapped, 12) && !memcmp(s->addr + 12, v4, 4) :
		 !memcmp(s->addr, addr6, 16))
		return 3;
	return memcmp(s->addr, any, 16) ? 0 : 1;
}

size_t procfs_listeners_for(struct procfs_sock *socks, size_t n, uint16_t port, int family,
			    const uint8_t *addr)
{
	const uint8_t *v4 = NULL, *addr6 = NULL;
	int best = 0, rank;
	size_t kept = 0;

	if (family == AF_INET) {
		v4 = addr;
	} else if (family == AF_INET6) {
		addr6 = addr;
		if (!memcmp(addr, v4_mapped, 12))
			v4 = addr + 12;
	}
	/* the best rank any listener on port has: only those of it take the connection */
	for (size_t i = 0; i < n; i++) {
		if (socks[i].port != port)
			continue;
		rank = family ? listener_rank(&socks[i], v4, addr6) : 1;
		if (rank > best)
			best = rank;
	}
	if (!best)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (socks[i].port != port)
			continue;
		if (family && listener_rank(&socks[i], v4, addr6) != best)
			continue;
		socks[kept++] = socks[i];
	}
	return kept;
}

/* The inode of an fd link "socket:[INODE]" (changed in place); -EINVAL for any other link. */
static int socket_inode(char *target, uint64_t *inode)
{
	size_t n = strlen(target);
	long long v;

	if (n < 10 || strncmp(target, "socket:[", 8) || target[n - 1] != ']')
		return -EINVAL;
	target[n - 1] = 0;
	if (parse_int(target + 8, 1, INT64_MAX, &v))
		return -EINVAL;
	*inode = (uint64_t)v;
	return 0;
}

/* Opens a folder of /proc without following a link: the stream, or NULL with *err (-errno). */
static DIR *open_dir(const char *path, int *err)
{
	int fd = open(path, PROC_DIR_FLAGS);
	DIR *d;

	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	d = fdopendir(fd);
	if (!d) {
		*err = -errno;
		close(fd);
	}
	return d;
}

/*
 * The sockets of socks that pid holds, one per fd linking to "socket:[INODE]"
 * in /proc/PID/fd: their ports into ports and their indexes in socks into
 * which (either may be NULL). Stores up to cap and returns how many, or
 * -errno if the fd folder cannot be read.
 */
static int pid_socks(const char *root, uint32_t pid, const struct procfs_sock *socks,
		     size_t nsocks, uint16_t *ports, uint32_t *which, size_t cap)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t n = 0, i;
	int e;
	DIR *d;

	e = path_of(path, sizeof(path), root, "/proc/%u/fd", pid);
	if (e)
		return e;
	d = open_dir(path, &e);
	if (!d)
		return e;
	while (n < cap && (de = readdir(d))) {
		char target[64];
		uint64_t inode;
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = 0;
		if (socket_inode(target, &inode))
			continue;
		for (i = 0; i < nsocks && n < cap; i++) {
			if (socks[i].inode != inode)
				continue;
			if (ports)
				ports[n] = socks[i].port;
			if (which)
				which[n] = (uint32_t)i;
			n++;
		}
	}
	closedir(d);
	return (int)n;
}

int procfs_pid_ports(const char *root, uint32_t pid, const struct procfs_sock *socks,
		     size_t nsocks, uint16_t *ports, size_t cap)
{
	return pid_socks(root, pid, socks, nsocks, ports, NULL, cap);
}

int procfs_sock_holders(const char *root, const struct procfs_sock *socks, size_t nsocks,
			const uint32_t *skip, size_t nskip, uint32_t *pids, uint32_t *which,
			size_t cap)
{
	char path[PATH_MAX];
	struct dirent *de;
	size_t n = 0, i;
	int e;
	DIR *d;

	if (!nsocks || !cap)
		return 0;
	e = path_of(path, sizeof(path), root, "/proc");
	if (e)
		return e;
	d = open_dir(path, &e);
	if (!d)
		return e;
	while (n < cap && (de = readdir(d))) {
		uint32_t pid, sock;

		if (parse_pid(de->d_name, &pid))
			continue;
		for (i = 0; i < nskip && skip[i] != pid; i++)
			;
		if (i < nskip)
			continue;
		if (pid_socks(root, pid, socks, nsocks, NULL, &sock, 1) > 0) {
			if (which)
				which[n] = sock;
			pids[n++] = pid;
		}
	}
	closedir(d);
	return (int)n;
}

int procfs_pid_cgroup(const char *root, uint32_t pid, char *buf, size_t len)
{
	char path[PATH_MAX];
	size_t n = 0;
	ssize_t r;
	int fd, e;

	if (len < 2)
		return -EINVAL;
	e = path_of(path, sizeof(path), root, "/proc/%u/cgroup", pid);
	if (e)
		return e;
	fd = open(path, PROC_FILE_FLAGS);
	if (fd < 0)
		return -errno;
	while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			e = -errno;
			break;
		}
		n += (size_t)r;
	}
	/* Filled: one more byte tells a text that fits exactly from one cut short. */
	if (!e && n == len - 1 && read(fd, path, 1) > 0)
		e = -ENOSPC;
	close(fd);
	buf[n] = 0;
	return e ? e : (int)n;
}

int procfs_cgroup_find(const char *root, const char *name, char *out, size_t outlen)
{
	static const char *const hierarchies[] = {
		"/sys/fs/cgroup",
		"/sys/fs/cgroup/cpu",
		"/sys/fs/cgroup/unified",
		"/sys/fs/cgroup/memory",
	};
	const char *rel = name + (name[0] == '/');
	struct stat st;
	size_t i;
	int e;

	if (name[0] == '/') {
		e = path_of(out, outlen, root, "%s/cgroup.procs", name);
		if (e)
			goto fail;
		if (!stat(out, &st))
			return 0;
		/*
		 * Any other absolute path may be one as /proc/PID/cgroup prints
		 * it, relative to a hierarchy; one under the mount cannot be.
		 */
		if (!strncmp(name, "/sys/fs/cgroup", 14)) {
			e = -ENOENT;
			goto fail;
		}
	}
	for (i = 0; i < sizeof(hierarchies) / sizeof(hierarchies[0]); i++) {
		e = path_of(out, outlen, root, "%s/%s/cgroup.procs", hierarchies[i], rel);
		if (e)
			goto fail;
		if (!stat(out, &st))
			return 0;
	}
	e = -ENOENT;
fail:
	if (outlen)
		out[0] = 0;
	return e;
}

int procfs_cgroup_pids(const char *procs, uint32_t *pids, size_t cap)
{
	struct lines l;
	size_t n = 0;
	int fd, r = 0;
	char *line;

	fd = open(procs, PROC_FILE_FLAGS);
	if (fd < 0)
		return -errno;
	lines_init(&l, fd);
	/* Past cap, still counted: the caller says how many it could not keep. */
	while ((r = lines_next(&l, &line)) > 0 && n < INT_MAX) {
		uint32_t pid;

		if (parse_pid(line, &pid))
			continue;
		if (n < cap)
			pids[n] = pid;
		n++;
	}
	close(fd);
	return r < 0 ? r : (int)n;
}

static int cmp_pid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts pids and drops repeats (v1's cgroup.procs may list a process twice); returns how many are left. */
static size_t sort_unique(uint32_t *pids, size_t n)
{
	size_t k = 0;

	qsort(pids, n, sizeof(*pids), cmp_pid);
	for (size_t i = 0; i < n; i++)
		if (!k || pids[k - 1] != pids[i])
			pids[k++] = pids[i];
	return k;
}

static int has_sorted(const uint32_t *sorted, size_t n, uint32_t pid)
{
	return bsearch(&pid, sorted, n, sizeof(*sorted), cmp_pid) != NULL;
}

int procfs_cgroup_merge(const char *root, const char *procs, uint32_t *pids, size_t *n,
			size_t cap, size_t *untraced)
{
	/* Room to see every member of a cgroup somewhat over the cap, to count those left out. */
	size_t room = 2 * cap, stored, members, held = 0, kept = 0, added = 0;
	uint32_t *fresh, *have = NULL;
	int listed, e = 0;

	fresh = malloc((room ? room : 1) * sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	listed = procfs_cgroup_pids(procs, fresh, room);
	if (listed < 0) {
		e = listed;
		goto out;
	}
	stored = (size_t)listed < room ? (size_t)listed : room;
	members = sort_unique(fresh, stored);
	/* Gone: no longer a member, and not alive (a process that moved on is still traced). */
	for (size_t i = 0; i < *n; i++)
		if (has_sorted(fresh, members, pids[i]) || procfs_pid_alive(root, pids[i]))
			pids[kept++] = pids[i];
	*n = kept;
	have = malloc((kept ? kept : 1) * sizeof(*have));
	if (!have) {
		e = -ENOMEM;
		goto out;
	}
	memcpy(have, pids, kept * sizeof(*have));
	qsort(have, kept, sizeof(*have), cmp_pid);
	for (size_t i = 0; i < members; i++) {
		if (has_sorted(have, kept, fresh[i])) {
			held++;
		} else if (*n < cap) {
			pids[(*n)++] = fresh[i];
			added++;
			held++;
		}
	}
	*untraced = members - held + ((size_t)listed - stored);
out:
	free(have);
	free(fresh);
	return e ? e : (int)added;
}

int procfs_cgroup_has_controller(const char *root, const char *dir, const char *controller)
{
	char path[PATH_MAX], *line, *tok, *save = NULL;
	struct lines l;
	int fd, r, found = 0;

	r = path_of(path, sizeof(path), root, "%s/cgroup.controllers", dir);
	if (r)
		return r;
	fd = open(path, PROC_FILE_FLAGS);
	if (fd < 0)
		return -errno;
	lines_init(&l, fd);
	r = lines_next(&l, &line);
	close(fd);
	if (r < 0)
		return r;
	for (tok = r ? strtok_r(line, " ", &save) : NULL; tok; tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, controller))
			found = 1;
	return found;
}
