// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reading /proc and cgroup.procs (io/procfs) against a fake tree in a temp
 * dir, and once against the real /proc, so that the fake files stay true to
 * what the kernel prints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/procfs.h"

#define TCP_HEADER \
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
#define TCP6_HEADER \
	"  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"

struct fake {
	char root[PATH_MAX];
};

/* Creates root/rel and the folders above it. */
static void mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX * 2];
	size_t n = (size_t)snprintf(path, sizeof(path), "%s/", root);

	snprintf(path + n, sizeof(path) - n, "%s/", rel);
	for (char *p = path + n; (p = strchr(p, '/')); p++) {
		*p = 0;
		assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
		*p = '/';
	}
}

static void put(const char *root, const char *rel, const char *text)
{
	char path[PATH_MAX * 2], dir[PATH_MAX];
	const char *slash = strrchr(rel, '/');
	FILE *f;

	if (slash) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
		mkdirs(root, dir);
	}
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* An fd entry: a link to what the fd is, as /proc/PID/fd shows it. */
static void fd_link(const char *root, uint32_t pid, int fd, const char *target)
{
	char path[PATH_MAX * 2], dir[64];

	snprintf(dir, sizeof(dir), "proc/%u/fd", pid);
	mkdirs(root, dir);
	snprintf(path, sizeof(path), "%s/%s/%d", root, dir, fd);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	char tmpl[] = "/tmp/latgov-test-procfs-XXXXXX";

	if (!f || !mkdtemp(tmpl))
		return -1;
	snprintf(f->root, sizeof(f->root), "%s", tmpl);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void test_task_tgid(void **state)
{
	struct fake *f = *state;
	char groups[1100];
	uint32_t tgid = 0;

	put(f->root, "proc/100/status",
	    "Name:\tnginx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t100\nNgid:\t0\nPid:\t100\n");
	/* a thread: its own pid, its process's tgid */
	put(f->root, "proc/101/status", "Name:\tnginx\nState:\tS (sleeping)\nTgid:\t100\nPid:\t101\n");
	assert_int_equal(procfs_task_tgid(f->root, 100, &tgid), 0);
	assert_int_equal(tgid, 100);
	tgid = 0;
	assert_int_equal(procfs_task_tgid(f->root, 101, &tgid), 0);
	assert_int_equal(tgid, 100);

	assert_int_equal(procfs_task_tgid(f->root, 102, &tgid), -ESRCH);
	put(f->root, "proc/103/status", "Name:\tx\nPid:\t103\n");
	assert_int_equal(procfs_task_tgid(f->root, 103, &tgid), -EINVAL);
	put(f->root, "proc/104/status", "Name:\tx\nTgid:\t12abc\n");
	assert_int_equal(procfs_task_tgid(f->root, 104, &tgid), -EINVAL);
	put(f->root, "proc/105/status", "Name:\tx\nTgid:\t0\n");
	assert_int_equal(procfs_task_tgid(f->root, 105, &tgid), -EINVAL);

	/*
	 * A line longer than the reader's buffer is skipped whole: read in
	 * pieces, its tail would be a line of its own, here a Tgid line.
	 */
	snprintf(groups, sizeof(groups), "Name:\tx\nGroups:\t%01015dTgid:\t999\nTgid:\t106\n", 1);
	put(f->root, "proc/106/status", groups);
	assert_int_equal(procfs_task_tgid(f->root, 106, &tgid), 0);
	assert_int_equal(tgid, 106);
}

static void test_pid_alive(void **state)
{
	struct fake *f = *state;

	put(f->root, "proc/100/stat", "100 (nginx) S 1 100 100 0 -1 4194560 311 0 0 0\n");
	/* the state follows the last ')': comm may hold one */
	put(f->root, "proc/101/stat", "101 (a) R (b) Z 1 101 101 0 -1 4194560 311 0 0 0\n");
	put(f->root, "proc/102/stat", "102 (worker) X 1 102 102 0\n");
	put(f->root, "proc/103/stat", "103 (sleeper) D 1 103 103 0\n");
	put(f->root, "proc/104/stat", "garbage\n");
	assert_int_equal(procfs_pid_alive(f->root, 100), 1);
	assert_int_equal(procfs_pid_alive(f->root, 101), 0);
	assert_int_equal(procfs_pid_alive(f->root, 102), 0);
	assert_int_equal(procfs_pid_alive(f->root, 103), 1);
	assert_int_equal(procfs_pid_alive(f->root, 105), 0);
	/* cannot tell: kept */
	assert_int_equal(procfs_pid_alive(f->root, 104), 1);
}

/* Out of descriptors, a live process is not taken for dead (a session once ended early so). */
static void test_pid_alive_without_fds(void **state)
{
	struct fake *f = *state;
	static int fds[65536];
	struct rlimit old, low;
	int n = 0, fd, alive, gone;

	put(f->root, "proc/300/stat", "300 (svc) S 1 300 300 0\n");
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 256;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (n < (int)(sizeof(fds) / sizeof(fds[0])) && (fd = open("/dev/null", O_RDONLY)) >= 0)
		fds[n++] = fd;
	alive = procfs_pid_alive(f->root, 300);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	gone = procfs_pid_alive(f->root, 301);	/* no such process: a sure answer */
	assert_int_equal(alive, 1);
	assert_int_equal(gone, 0);
}

/* The start time (field 22) that tells a process from a later one with its pid. */
static void test_stat_fields(void **state)
{
	struct fake *f = *state;
	char buf[512];

	put(f->root, "proc/200/stat",
	    "200 (a) b (c) S 1 200 200 0 -1 4194560 311 0 0 0 5 6 0 0 20 0 1 0 987654 1000 10\n");
	assert_true(procfs_stat(f->root, 200, buf, sizeof(buf)) > 0);
	assert_memory_equal(procfs_stat_field(buf, 3), "S ", 2);
	assert_memory_equal(procfs_stat_field(buf, 22), "987654 ", 7);
	assert_null(procfs_stat_field(buf, 40));
	assert_null(procfs_stat_field("no name here", 3));
	assert_int_equal(procfs_stat(f->root, 201, buf, sizeof(buf)), -ENOENT);
	/* cut to the buffer, still a string */
	assert_int_equal(procfs_stat(f->root, 200, buf, 8), 7);
	assert_string_equal(buf, "200 (a)");
}

static void test_listen_socks(void **state)
{
	struct fake *f = *state;
	struct procfs_sock s[8];

	put(f->root, "proc/net/tcp", TCP_HEADER
	    /* LISTEN on 0.0.0.0:8080 and 127.0.0.1:9000 */
	    "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0\n"
	    "   1: 0100007F:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 112 1 0000000000000000 100 0 0 10 0\n"
	    /* ESTABLISHED and TIME_WAIT on 8080: not listeners */
	    "   2: 0100007F:1F90 0100007F:A2C4 01 00000000:00000000 00:00000000 00000000     0        0 113 1 0000000000000000 20 4 30 10 -1\n"
	    "   3: 0100007F:1F90 0100007F:A2C6 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000\n"
	    /* malformed: too few fields, state not hex, 5-digit port, inode not a number, short address, port 0, inode 0 */
	    "   4: 00000000:1F91 00000000:0000 0A\n"
	    "   5: 00000000:1F92 00000000:0000 ZZ 00000000:00000000 00:00000000 00000000     0        0 114 1\n"
	    "   6: 00000000:11F93 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 115 1\n"
	    "   7: 00000000:1F94 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11x6 1\n"
	    "   8: 000000:1F95 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 117 1\n"
	    "   9: 00000000:0000 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 118 1\n"
	    "  10: 00000000:1F96 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 0 1\n"
	    /* a last line without its newline still counts */
	    "  11: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 119 1");
	/* LISTEN on [::]:443 */
	put(f->root, "proc/net/tcp6", TCP6_HEADER
	    "   0: 00000000000000000000000000000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 221 1 0000000000000000 100 0 0 10 0\n"
	    "   1: 00000000000000000000000001000000:01BB 00000000000000000000000001000000:D8A2 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1\n");

	assert_int_equal(procfs_listen_socks(f->root, 0, s, 8), 4);
	assert_int_equal(s[0].port, 8080);
	assert_int_equal(s[0].inode, 111);
	assert_int_equal(s[0].family, AF_INET);
	assert_memory_equal(s[0].addr, "\0\0\0\0", 4);
	assert_int_equal(s[1].port, 9000);
	assert_int_equal(s[1].inode, 112);
	assert_int_equal(s[1].family, AF_INET);
	assert_memory_equal(s[1].addr, "\x7f\0\0\x01", 4);	/* 127.0.0.1: the hex is the native word */
	assert_int_equal(s[1].uid, 0);
	assert_int_equal(s[2].port, 80);
	assert_int_equal(s[2].inode, 119);
	assert_int_equal(s[3].port, 443);
	assert_int_equal(s[3].inode, 221);
	assert_int_equal(s[3].family, AF_INET6);
	/* cap bounds what is stored */
	assert_int_equal(procfs_listen_socks(f->root, 0, s, 1), 1);
	assert_int_equal(s[0].port, 8080);

	/* a process's own namespace; without tcp6 (IPv6 off) tcp alone counts */
	put(f->root, "proc/100/net/tcp", TCP_HEADER
	    "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 311 1 0000000000000000 100 0 0 10 0\n"
	    /* another user's listener on 127.0.0.2, same port; a uid that is not a number */
	    "   1: 0200007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 65534        0 312 1 0000000000000000 100 0 0 10 0\n"
	    "   2: 0300007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000    x1        0 313 1 0000000000000000 100 0 0 10 0\n");
	assert_int_equal(procfs_listen_socks(f->root, 100, s, 8), 2);
	assert_int_equal(s[0].port, 8080);
	assert_int_equal(s[0].inode, 311);
	assert_int_equal(s[1].port, 8080);
	assert_int_equal(s[1].uid, 65534);
	assert_memory_equal(s[1].addr, "\x7f\0\0\x02", 4);
	/* a process that is gone */
	assert_int_equal(procfs_listen_socks(f->root, 101, s, 8), -ENOENT);
}

/* A listener on addr (text) and port, told apart by its inode. */
static struct procfs_sock listener(const char *addr, uint16_t port, uint64_t inode)
{
	struct procfs_sock s = { .inode = inode, .port = port };

	if (inet_pton(AF_INET, addr, s.addr) == 1) {
		s.family = AF_INET;
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, s.addr), 1);
		s.family = AF_INET6;
	}
	return s;
}

/* Which inodes procfs_listeners_for keeps for addr:port (family 0: no addr), in order. */
static void expect_listeners(const struct procfs_sock *all, size_t n, const char *addr,
			     uint16_t port, const uint64_t *want, size_t nwant)
{
	struct procfs_sock socks[16];
	uint8_t a[16] = { 0 };
	int family = 0;
	size_t kept;

	memcpy(socks, all, n * sizeof(*socks));
	if (addr)
		family = inet_pton(AF_INET, addr, a) == 1 ? AF_INET : AF_INET6;
	if (family == AF_INET6)
		assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	kept = procfs_listeners_for(socks, n, port, family, a);
	assert_int_equal(kept, nwant);
	for (size_t i = 0; i < kept; i++)
		assert_int_equal(socks[i].inode, want[i]);
}

/*
 * --port ADDR:PORT takes the listeners that answer ADDR:PORT, and no other
 * user's listener on another address with the same port.
 */
static void test_listeners_for(void **state)
{
	const struct procfs_sock socks[] = {
		listener("127.0.0.1", 8080, 1),
		listener("127.0.0.2", 8080, 2),	/* another user's, same port */
		listener("0.0.0.0", 9090, 3),
		listener("::", 9090, 4),
		listener("::1", 8080, 5),
		listener("::ffff:127.0.0.3", 8080, 6),
		listener("127.0.0.1", 7070, 7),
		listener("127.0.0.1", 7070, 8),	/* SO_REUSEPORT: both answer */
		listener("0.0.0.0", 7070, 9),
	};
	size_t n = sizeof(socks) / sizeof(socks[0]);

	(void)state;
	/* no address: every listener on the port, as before */
	expect_listeners(socks, n, NULL, 8080, (const uint64_t[]){ 1, 2, 5, 6 }, 4);
	expect_listeners(socks, n, "127.0.0.1", 8080, (const uint64_t[]){ 1 }, 1);
	expect_listeners(socks, n, "127.0.0.2", 8080, (const uint64_t[]){ 2 }, 1);
	expect_listeners(socks, n, "::1", 8080, (const uint64_t[]){ 5 }, 1);
	/* an IPv4 address through an IPv6 socket bound to it, and written as mapped */
	expect_listeners(socks, n, "127.0.0.3", 8080, (const uint64_t[]){ 6 }, 1);
	expect_listeners(socks, n, "::ffff:127.0.0.1", 8080, (const uint64_t[]){ 1 }, 1);
	/* nobody answers there */
	expect_listeners(socks, n, "127.0.0.9", 8080, NULL, 0);
	expect_listeners(socks, n, "127.0.0.1", 1234, NULL, 0);
	/* the wildcards: IPv4's before dual-stack IPv6's; IPv6 addresses reach only "::" */
	expect_listeners(socks, n, "10.1.2.3", 9090, (const uint64_t[]){ 3 }, 1);
	expect_listeners(socks, n, "fe80::1", 9090, (const uint64_t[]){ 4 }, 1);
	/* a listener on the address itself comes before the wildcard */
	expect_listeners(socks, n, "127.0.0.1", 7070, (const uint64_t[]){ 7, 8 }, 2);
	expect_listeners(socks, n, "127.0.0.5", 7070, (const uint64_t[]){ 9 }, 1);
}

static int has_u32(const uint32_t *v, int n, uint32_t x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

static void test_pid_ports(void **state)
{
	struct fake *f = *state;
	const struct procfs_sock socks[] = { { .inode = 111, .port = 8080 }, { .inode = 221, .port = 443 } };
	uint16_t ports[8];
	int n;

	fd_link(f->root, 100, 0, "/dev/null");
	fd_link(f->root, 100, 3, "socket:[111]");
	fd_link(f->root, 100, 4, "socket:[221]");
	fd_link(f->root, 100, 5, "socket:[999]");	/* a connection, not a listener */
	fd_link(f->root, 100, 6, "pipe:[111]");
	fd_link(f->root, 100, 7, "socket:[111");
	fd_link(f->root, 100, 8, "socket:[11x]");
	n = procfs_pid_ports(f->root, 100, socks, 2, ports, 8);
	assert_int_equal(n, 2);
	assert_true((ports[0] == 8080 && ports[1] == 443) || (ports[0] == 443 && ports[1] == 8080));
	assert_int_equal(procfs_pid_ports(f->root, 100, socks, 2, ports, 1), 1);
	assert_int_equal(procfs_pid_ports(f->root, 100, socks, 0, ports, 8), 0);

	fd_link(f->root, 200, 1, "/dev/null");
	assert_int_equal(procfs_pid_ports(f->root, 200, socks, 2, ports, 8), 0);
	assert_int_equal(procfs_pid_ports(f->root, 300, socks, 2, ports, 8), -ENOENT);
}

static void test_sock_holders(void **state)
{
	struct fake *f = *state;
	const struct procfs_sock socks[] = { { .inode = 111, .port = 8080 },
					     { .inode = 113, .port = 8080 } };
	uint32_t pids[8], which[8], skip[2];
	char path[PATH_MAX * 2];
	int n;

	assert_int_equal(procfs_sock_holders(f->root, socks, 1, NULL, 0, pids, NULL, 8), -ENOENT);
	/* an nginx master and worker share the listener; 300 holds another socket; 400 no fds */
	fd_link(f->root, 100, 6, "socket:[111]");
	fd_link(f->root, 200, 6, "socket:[111]");
	fd_link(f->root, 300, 6, "socket:[112]");
	mkdirs(f->root, "proc/400");
	mkdirs(f->root, "proc/sys");
	snprintf(path, sizeof(path), "%s/proc/self", f->root);
	assert_int_equal(symlink("100", path), 0);

	n = procfs_sock_holders(f->root, socks, 1, NULL, 0, pids, NULL, 8);
	assert_int_equal(n, 2);
	assert_true(has_u32(pids, n, 100) && has_u32(pids, n, 200));

	/* traced alone, the worker shares its socket with the master */
	skip[0] = 200;
	n = procfs_sock_holders(f->root, socks, 1, skip, 1, pids, NULL, 8);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], 100);
	skip[1] = 100;
	assert_int_equal(procfs_sock_holders(f->root, socks, 1, skip, 2, pids, NULL, 8), 0);

	/* the first one found is enough */
	assert_int_equal(procfs_sock_holders(f->root, socks, 1, NULL, 0, pids, NULL, 1), 1);
	assert_int_equal(procfs_sock_holders(f->root, socks, 0, NULL, 0, pids, NULL, 8), 0);

	/* which socket each holds: another listener on the port, held by 500 */
	fd_link(f->root, 500, 3, "socket:[113]");
	n = procfs_sock_holders(f->root, socks, 2, NULL, 0, pids, which, 8);
	assert_int_equal(n, 3);
	for (int i = 0; i < n; i++)
		assert_int_equal(which[i], pids[i] == 500 ? 1 : 0);
}

/* Two processes are in the same cgroups when the texts match. */
static void test_pid_cgroup(void **state)
{
	struct fake *f = *state;
	char buf[256], small[8];

	put(f->root, "proc/100/cgroup", "12:cpu,cpuacct:/web\n0::/web\n");
	assert_int_equal(procfs_pid_cgroup(f->root, 100, buf, sizeof(buf)), 28);
	assert_string_equal(buf, "12:cpu,cpuacct:/web\n0::/web\n");
	assert_int_equal(procfs_pid_cgroup(f->root, 100, small, sizeof(small)), -ENOSPC);
	assert_int_equal(procfs_pid_cgroup(f->root, 101, buf, sizeof(buf)), -ENOENT);
	/* exactly the buffer's size fits */
	put(f->root, "proc/102/cgroup", "0::/a\n");
	assert_int_equal(procfs_pid_cgroup(f->root, 102, small, 7), 6);
}

static void test_cgroup_pids(void **state)
{
	struct fake *f = *state;
	char procs[PATH_MAX * 2], text[3000];
	uint32_t pids[8];

	snprintf(procs, sizeof(procs), "%s/sys/fs/cgroup/web/cgroup.procs", f->root);
	assert_int_equal(procfs_cgroup_pids(procs, pids, 8), -ENOENT);
	put(f->root, "sys/fs/cgroup/web/cgroup.procs", "");
	assert_int_equal(procfs_cgroup_pids(procs, pids, 8), 0);

	/* blank, words, negative, zero, blanks around, trailing junk, out of range: skipped */
	put(f->root, "sys/fs/cgroup/web/cgroup.procs",
	    "100\n200\n\nabc\n-5\n0\n 300\n301 \n400x\n99999999999\n500");
	assert_int_equal(procfs_cgroup_pids(procs, pids, 8), 3);
	assert_int_equal(pids[0], 100);
	assert_int_equal(pids[1], 200);
	assert_int_equal(pids[2], 500);
	/* more than fit: the first ones are kept, and the count says how many there were */
	pids[2] = 0;
	assert_int_equal(procfs_cgroup_pids(procs, pids, 2), 3);
	assert_int_equal(pids[1], 200);
	assert_int_equal(pids[2], 0);

	/* a line longer than the reader's buffer is skipped whole, not read as numbers in pieces */
	memset(text, '7', sizeof(text));
	memcpy(text + 1023, "42\n", 3);
	memcpy(text + sizeof(text) - 6, "\n600\n", 6);
	put(f->root, "sys/fs/cgroup/web/cgroup.procs", text);
	assert_int_equal(procfs_cgroup_pids(procs, pids, 8), 1);
	assert_int_equal(pids[0], 600);
}

/*
 * The target list of a cgroup across refreshes: a process that is gone makes
 * room for a new member, and members the list cannot hold are counted.
 */
static void test_cgroup_merge(void **state)
{
	struct fake *f = *state;
	char procs[PATH_MAX * 2];
	uint32_t pids[4] = { 50, 100, 60 };
	size_t n = 3, untraced = 99;

	snprintf(procs, sizeof(procs), "%s/sys/fs/cgroup/web/cgroup.procs", f->root);
	assert_int_equal(procfs_cgroup_merge(f->root, procs, pids, &n, 4, &untraced), -ENOENT);
	assert_int_equal(n, 3);
	/* 50 exited; 60 moved to another cgroup but lives on (still traced); v1 may list one twice */
	put(f->root, "sys/fs/cgroup/web/cgroup.procs", "100\n300\n200\n300\n");
	put(f->root, "proc/60/stat", "60 (worker) S 1 60 60 0\n");
	put(f->root, "proc/100/stat", "100 (nginx) S 1 100 100 0\n");
	assert_int_equal(procfs_cgroup_merge(f->root, procs, pids, &n, 4, &untraced), 2);
	assert_int_equal(n, 4);
	assert_int_equal(pids[0], 100);
	assert_int_equal(pids[1], 60);
	assert_true((pids[2] == 200 && pids[3] == 300) || (pids[2] == 300 && pids[3] == 200));
	assert_int_equal(untraced, 0);

	/* Full: the next members are counted, not silently left out. */
	put(f->root, "sys/fs/cgroup/web/cgroup.procs", "100\n200\n300\n400\n500\n");
	assert_int_equal(procfs_cgroup_merge(f->root, procs, pids, &n, 4, &untraced), 0);
	assert_int_equal(n, 4);
	assert_int_equal(untraced, 2);
	/* Once 60 is gone, one of them takes its place. */
	snprintf(procs, sizeof(procs), "%s/proc/60/stat", f->root);
	assert_int_equal(unlink(procs), 0);
	snprintf(procs, sizeof(procs), "%s/sys/fs/cgroup/web/cgroup.procs", f->root);
	assert_int_equal(procfs_cgroup_merge(f->root, procs, pids, &n, 4, &untraced), 1);
	assert_int_equal(n, 4);
	assert_true(pids[3] == 400 || pids[3] == 500);
	assert_int_equal(untraced, 1);
	/* Members beyond twice the room are still counted. */
	put(f->root, "sys/fs/cgroup/web/cgroup.procs", "100\n200\n300\n400\n500\n600\n700\n800\n900\n");
	assert_int_equal(procfs_cgroup_merge(f->root, procs, pids, &n, 4, &untraced), 0);
	assert_int_equal(untraced, 5);
}

static void test_cgroup_find(void **state)
{
	struct fake *f = *state;
	char out[PATH_MAX], want[PATH_MAX * 2], root_slash[PATH_MAX + 1], small[16];

	put(f->root, "sys/fs/cgroup/cpu/web/cgroup.procs", "");
	put(f->root, "sys/fs/cgroup/memory/db/cgroup.procs", "");
	put(f->root, "srv/cg/cgroup.procs", "");
	snprintf(want, sizeof(want), "%s/sys/fs/cgroup/cpu/web/cgroup.procs", f->root);

	assert_int_equal(procfs_cgroup_find(f->root, "/sys/fs/cgroup/cpu/web", out, sizeof(out)),
			 0);
	assert_string_equal(out, want);
	/* relative to a hierarchy, and as /proc/PID/cgroup prints it */
	assert_int_equal(procfs_cgroup_find(f->root, "web", out, sizeof(out)), 0);
	assert_string_equal(out, want);
	assert_int_equal(procfs_cgroup_find(f->root, "/web", out, sizeof(out)), 0);
	assert_string_equal(out, want);
	assert_int_equal(procfs_cgroup_find(f->root, "db", out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/sys/fs/cgroup/memory/db/cgroup.procs", f->root);
	assert_string_equal(out, want);
	/* an absolute path elsewhere that is a cgroup is taken as it is */
	assert_int_equal(procfs_cgroup_find(f->root, "/srv/cg", out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/srv/cg/cgroup.procs", f->root);
	assert_string_equal(out, want);
	/* the top level comes first */
	put(f->root, "sys/fs/cgroup/web/cgroup.procs", "");
	assert_int_equal(procfs_cgroup_find(f->root, "web", out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s/sys/fs/cgroup/web/cgroup.procs", f->root);
	assert_string_equal(out, want);
	/* a root with a trailing slash adds no second one */
	snprintf(root_slash, sizeof(root_slash), "%s/", f->root);
	assert_int_equal(procfs_cgroup_find(root_slash, "web", out, sizeof(out)), 0);
	assert_string_equal(out, want);

	assert_int_equal(procfs_cgroup_find(f->root, "nope", out, sizeof(out)), -ENOENT);
	assert_string_equal(out, "");
	/* a path under the mount names that one cgroup only */
	assert_int_equal(procfs_cgroup_find(f->root, "/sys/fs/cgroup/db", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(procfs_cgroup_find(f->root, "web", small, sizeof(small)), -ENAMETOOLONG);
	assert_string_equal(small, "");
}

static void test_cgroup_has_controller(void **state)
{
	struct fake *f = *state;

	put(f->root, "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids rdma misc\n");
	put(f->root, "sys/fs/cgroup/unified/cgroup.controllers", "\n");
	put(f->root, "sys/fs/cgroup/web/cgroup.controllers", "cpuset memory\n");
	assert_int_equal(procfs_cgroup_has_controller(f->root, "/sys/fs/cgroup", "cpu"), 1);
	assert_int_equal(procfs_cgroup_has_controller(f->root, "/sys/fs/cgroup", "memory"), 1);
	assert_int_equal(procfs_cgroup_has_controller(f->root, "/sys/fs/cgroup/unified", "cpu"), 0);
	/* whole words: cpuset is not cpu */
	assert_int_equal(procfs_cgroup_has_controller(f->root, "/sys/fs/cgroup/web", "cpu"), 0);
	/* v1: no cgroup.controllers */
	assert_int_equal(procfs_cgroup_has_controller(f->root, "/sys/fs/cgroup/cpu", "cpu"),
			 -ENOENT);
}

struct thread_seen {
	pthread_barrier_t started, asked;
	uint32_t tid;
};

/* A thread that stays alive until its tid has been looked up. */
static void *thread_main(void *arg)
{
	struct thread_seen *t = arg;

	t->tid = (uint32_t)syscall(SYS_gettid);
	pthread_barrier_wait(&t->started);
	pthread_barrier_wait(&t->asked);
	return NULL;
}

/* The real /proc: what the fake files above stand for. */
static void test_real_proc(void **state)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	uint32_t self = (uint32_t)getpid(), tgid = 0, pids[4];
	struct thread_seen th_seen;
	socklen_t alen = sizeof(addr);
	struct procfs_sock socks[1024], mine = { 0, 0 };
	uint16_t ports[4];
	siginfo_t si;
	pthread_t th;
	pid_t child;
	int s, n, i;

	(void)state;
	assert_int_equal(procfs_task_tgid("/", self, &tgid), 0);
	assert_int_equal(tgid, self);
	pthread_barrier_init(&th_seen.started, NULL, 2);
	pthread_barrier_init(&th_seen.asked, NULL, 2);
	assert_int_equal(pthread_create(&th, NULL, thread_main, &th_seen), 0);
	pthread_barrier_wait(&th_seen.started);
	tgid = 0;
	n = procfs_task_tgid("/", th_seen.tid, &tgid);
	pthread_barrier_wait(&th_seen.asked);
	assert_int_equal(pthread_join(th, NULL), 0);
	pthread_barrier_destroy(&th_seen.started);
	pthread_barrier_destroy(&th_seen.asked);
	assert_int_equal(n, 0);
	assert_int_not_equal(th_seen.tid, self);
	assert_int_equal(tgid, self);
	assert_int_equal(procfs_pid_alive("/", self), 1);

	/* a child that exited and is not yet reaped is a zombie: gone */
	child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitid(P_PID, (id_t)child, &si, WEXITED | WNOWAIT), 0);
	assert_int_equal(procfs_pid_alive("/", (uint32_t)child), 0);
	assert_int_equal(waitpid(child, NULL, 0), child);

	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&addr, &alen), 0);
	n = procfs_listen_socks("/", self, socks, 1024);
	assert_true(n > 0);
	for (i = 0; i < n; i++)
		if (socks[i].port == ntohs(addr.sin_port))
			mine = socks[i];
	assert_int_equal(mine.port, ntohs(addr.sin_port));
	assert_int_equal(mine.family, AF_INET);
	assert_memory_equal(mine.addr, &addr.sin_addr, 4);
	assert_int_equal(mine.uid, geteuid());
	assert_int_equal(procfs_pid_ports("/", self, &mine, 1, ports, 4), 1);
	assert_int_equal(ports[0], ntohs(addr.sin_port));
	n = procfs_sock_holders("/", &mine, 1, NULL, 0, pids, NULL, 4);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], self);
	assert_int_equal(procfs_sock_holders("/", &mine, 1, &self, 1, pids, NULL, 4), 0);
	close(s);
	assert_int_equal(procfs_pid_ports("/", self, &mine, 1, ports, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_task_tgid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stat_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_alive_without_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_socks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_ports, setup, teardown),
		cmocka_unit_test(test_listeners_for),
		cmocka_unit_test_setup_teardown(test_sock_holders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_cgroup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_pids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_has_controller, setup, teardown),
		cmocka_unit_test(test_real_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
