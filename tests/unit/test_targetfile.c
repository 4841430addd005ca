// SPDX-License-Identifier: GPL-2.0-only
/*
 * Opening files another user controls, against a temp tree: tmp/secret is
 * outside the root folder tmp/root, and root/secret inside it; links and
 * ".." that would reach the outside one must land inside, or be refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/targetfile.h"

static char dir[] = "/tmp/latgov-targetfile-XXXXXX";
static int root_fd = -1;

static void make_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void make_link(const char *target, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	char path[PATH_MAX];
	int fd;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/root", dir);
	if (mkdir(path, 0755))
		return -1;
	snprintf(path, sizeof(path), "%s/root/sub", dir);
	if (mkdir(path, 0755))
		return -1;
	make_file("secret", "outside");
	make_file("root/secret", "inside");
	make_file("root/sub/file", "in sub");
	snprintf(path, sizeof(path), "%s/root/fifo", dir);
	if (mkfifo(path, 0644))
		return -1;
	/* Sparse: one byte past the limit the tests ask for. */
	snprintf(path, sizeof(path), "%s/root/big", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || ftruncate(fd, 4097))
		return -1;
	close(fd);
	snprintf(path, sizeof(path), "%s/secret", dir);
	make_link("../secret", "root/up");			/* relative, out of the root */
	make_link(path, "root/abs");				/* absolute, to the outside file */
	make_link("/sub", "root/sublink");			/* absolute, meant inside the root */
	make_link("../../..", "root/sub/top");			/* a folder link climbing out */
	make_link("fifo", "root/fifolink");
	snprintf(path, sizeof(path), "%s/root", dir);
	root_fd = targetfile_open_root(path);
	return root_fd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	close(root_fd);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The text of path opened inside the root, or "" with the -errno in *err. */
static const char *read_in_root(const char *path, unsigned flags, int *err)
{
	static char buf[64];
	char *text;
	size_t len;
	int fd;

	buf[0] = '\0';
	fd = targetfile_open(root_fd, path, 4096, flags, NULL);
	*err = fd < 0 ? fd : 0;
	if (fd < 0)
		return buf;
	*err = targetfile_read(fd, 4096, &text, &len);
	close(fd);
	if (!*err) {
		snprintf(buf, sizeof(buf), "%s", text);
		free(text);
	}
	return buf;
}

static void test_regular_file(void **state)
{
	struct stat st;
	int err, fd;

	(void)state;
	assert_string_equal(read_in_root("/sub/file", 0, &err), "in sub");
	assert_int_equal(err, 0);
	assert_string_equal(read_in_root("sub/file", 0, &err), "in sub");
	fd = targetfile_open(root_fd, "/secret", 4096, 0, &st);
	assert_true(fd >= 0);
	assert_int_equal(st.st_size, 6);
	assert_true(S_ISREG(st.st_mode));
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	read_in_root("/missing", 0, &err);
	assert_int_equal(err, -ENOENT);
}

static void test_dotdot_stays_inside(void **state)
{
	int err;

	(void)state;
	/* ".." at the root is the root, as it is for a process chrooted there. */
	assert_string_equal(read_in_root("../secret", 0, &err), "inside");
	assert_string_equal(read_in_root("/sub/../../../secret", 0, &err), "inside");
	/* A folder link climbing out climbs to the root only. */
	assert_string_equal(read_in_root("/sub/top/secret", 0, &err), "inside");
	/* An absolute folder link is taken inside the root. */
	assert_string_equal(read_in_root("/sublink/file", 0, &err), "in sub");
}

static void test_last_symlink_refused(void **state)
{
	int err;

	(void)state;
	read_in_root("/up", 0, &err);
	assert_int_equal(err, -ELOOP);
	read_in_root("/abs", 0, &err);
	assert_int_equal(err, -ELOOP);
	/* Followed when asked, and still inside the root: there is no such file there. */
	assert_string_equal(read_in_root("/up", TARGETFILE_FOLLOW, &err), "inside");
	read_in_root("/abs", TARGETFILE_FOLLOW, &err);
	assert_int_equal(err, -ENOENT);
}

static void test_not_regular_refused(void **state)
{
	int err;

	(void)state;
	/* A FIFO is refused without waiting for a writer (the test would hang). */
	read_in_root("/fifo", 0, &err);
	assert_int_equal(err, -EINVAL);
	read_in_root("/fifolink", TARGETFILE_FOLLOW, &err);
	assert_int_equal(err, -EINVAL);
	read_in_root("/sub", 0, &err);
	assert_int_equal(err, -EISDIR);
	read_in_root("/big", 0, &err);
	assert_int_equal(err, -EFBIG);
}

static void test_magic_link_refused(void **state)
{
	int host = targetfile_open_root("/");

	(void)state;
	assert_true(host >= 0);
	/* Even when following: a procfs magic link leads out of any root. */
	assert_int_equal(targetfile_open(host, "/proc/self/exe", 1 << 20, TARGETFILE_FOLLOW, NULL),
			 -ELOOP);
	assert_int_equal(targetfile_open(host, "/proc/self/root/etc/hostname", 1 << 20, 0, NULL),
			 -ELOOP);
	close(host);
}

static void test_open_link(void **state)
{
	char link[64];
	struct stat st;
	int fd, lfd;

	(void)state;
	fd = targetfile_open(root_fd, "/secret", 4096, 0, NULL);
	assert_true(fd >= 0);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	lfd = targetfile_open_link(link, 4096, &st);
	assert_true(lfd >= 0);
	assert_int_equal(st.st_size, 6);
	close(lfd);
	assert_int_equal(targetfile_open_link(link, 5, &st), -EFBIG);
	close(fd);
}

static void test_read_bounded(void **state)
{
	char *text;
	size_t len;
	int fd;

	(void)state;
	fd = targetfile_open(root_fd, "/secret", 4096, 0, NULL);
	assert_true(fd >= 0);
	assert_int_equal(targetfile_read(fd, 4096, &text, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(text, "inside");
	free(text);
	/* Grown past the limit since it was opened. */
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(targetfile_read(fd, 5, &text, &len), -EFBIG);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regular_file),
		cmocka_unit_test(test_dotdot_stays_inside),
		cmocka_unit_test(test_last_symlink_refused),
		cmocka_unit_test(test_not_regular_refused),
		cmocka_unit_test(test_magic_link_refused),
		cmocka_unit_test(test_open_link),
		cmocka_unit_test(test_read_bounded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
