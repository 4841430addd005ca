// SPDX-License-Identifier: GPL-2.0-only
/*
 * Output files (io/outfile) in a temp tree where "another user" has planted
 * what a user can plant: symbolic and hard links to a canary file, a FIFO,
 * files and folders others can write, a folder owned by someone else. Each
 * must be refused with the canary untouched; plain new and existing files
 * must still work, and a file written whole must replace the old one by a
 * rename.
 */
#include <dirent.h>
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

#include "io/outfile.h"

#define CANARY "canary: must stay as it is\n"

struct tree {
	char root[PATH_MAX];
	char path[PATH_MAX + 64];	/* scratch: root/NAME */
	char canary[PATH_MAX + 64];
};

static const char *at(struct tree *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", t->root, name);
	return t->path;
}

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* The file's whole content (empty on error). */
static const char *slurp(const char *path)
{
	static char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	buf[0] = 0;
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	return buf;
}

static void assert_canary_untouched(struct tree *t)
{
	struct stat st;

	assert_string_equal(slurp(t->canary), CANARY);
	assert_int_equal(lstat(t->canary, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

/* Entries of dir whose name ends in ".tmp": a failed or finished replace leaves none. */
static int temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		n += len > 4 && strcmp(e->d_name + len - 4, ".tmp") == 0;
	}
	closedir(d);
	return n;
}

static int setup(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char tmpl[] = "/tmp/latgov-test-outfile-XXXXXX";

	if (!t || !mkdtemp(tmpl))
		return -1;
	umask(022);
	snprintf(t->root, sizeof(t->root), "%s", tmpl);
	snprintf(t->canary, sizeof(t->canary), "%s/canary", tmpl);
	put(t->canary, CANARY, 0600);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tree *t = *state;
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static void test_stream_new_file(void **state)
{
	struct tree *t = *state;
	char err[512];
	struct stat st;
	int fd;

	fd = outfile_open_stream(at(t, "new.jsonl"), 0, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "a\n", 2), 2);
	close(fd);
	assert_int_equal(lstat(t->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, OUTFILE_MODE);

	/* an existing file of its own: appended to, or emptied first */
	fd = outfile_open_stream(t->path, 0, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "b\n", 2), 2);
	close(fd);
	assert_string_equal(slurp(t->path), "a\nb\n");
	fd = outfile_open_stream(t->path, 1, err, sizeof(err));
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "c\n", 2), 2);
	close(fd);
	assert_string_equal(slurp(t->path), "c\n");
}

static void test_stream_symlink(void **state)
{
	struct tree *t = *state;
	char err[512];

	assert_int_equal(symlink(t->canary, at(t, "log.jsonl")), 0);
	assert_int_equal(outfile_open_stream(t->path, 0, err, sizeof(err)), -ELOOP);
	assert_int_equal(outfile_open_stream(t->path, 1, err, sizeof(err)), -ELOOP);
	assert_canary_untouched(t);

	/* a dangling link: following it would create its target */
	assert_int_equal(symlink("created-through-link", at(t, "dangling")), 0);
	assert_int_equal(outfile_open_stream(t->path, 0, err, sizeof(err)), -ELOOP);
	assert_int_equal(access(at(t, "created-through-link"), F_OK), -1);
}

static void test_stream_hard_link(void **state)
{
	struct tree *t = *state;
	char err[512];

	assert_int_equal(link(t->canary, at(t, "log.jsonl")), 0);
	assert_int_equal(outfile_open_stream(t->path, 1, err, sizeof(err)), -EPERM);
	assert_canary_untouched(t);
}

/* Refused without blocking: no one reads the FIFO. */
static void test_stream_fifo(void **state)
{
	struct tree *t = *state;
	char err[512];

	assert_int_equal(mkfifo(at(t, "fifo"), 0600), 0);
	assert_int_equal(outfile_open_stream(t->path, 0, err, sizeof(err)), -EINVAL);
}

static void test_stream_writable_by_others(void **state)
{
	struct tree *t = *state;
	char err[512];

	put(at(t, "group.jsonl"), "old\n", 0660);
	assert_int_equal(outfile_open_stream(t->path, 1, err, sizeof(err)), -EPERM);
	assert_string_equal(slurp(t->path), "old\n");
	put(at(t, "world.jsonl"), "old\n", 0602);
	assert_int_equal(outfile_open_stream(t->path, 1, err, sizeof(err)), -EPERM);
	assert_string_equal(slurp(t->path), "old\n");
}

/* a folder, and a file in a missing one */
static void test_stream_folders(void **state)
{
	struct tree *t = *state;
	char err[512];

	assert_int_equal(mkdir(at(t, "dir"), 0755), 0);
	assert_int_equal(outfile_open_stream(t->path, 0, err, sizeof(err)), -EISDIR);
	assert_int_equal(outfile_open_stream(at(t, "missing/x"), 0, err, sizeof(err)), -ENOENT);
}

static void test_private_dir(void **state)
{
	struct tree *t = *state;
	char err[512];
	struct stat st;
	int fd;

	/* missing: created, for this owner only */
	fd = outfile_open_private_dir(at(t, "out"), geteuid(), err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(lstat(t->path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, OUTFILE_DIR_MODE);
	/* existing, the owner's and only the owner's to write */
	assert_int_equal(chmod(t->path, 0755), 0);
	fd = outfile_open_private_dir(t->path, geteuid(), err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);

	/* someone else's (as if a user made it before root's run) */
	assert_int_equal(outfile_open_private_dir(t->path, geteuid() + 1, err, sizeof(err)),
			 -EPERM);
	assert_int_equal(chmod(t->path, 0775), 0);
	assert_int_equal(outfile_open_private_dir(t->path, geteuid(), err, sizeof(err)), -EPERM);
	assert_int_equal(chmod(t->path, 01777), 0);
	assert_int_equal(outfile_open_private_dir(t->path, geteuid(), err, sizeof(err)), -EPERM);
	assert_int_equal(chmod(t->path, 0755), 0);

	/* a link to a good folder is still a link */
	assert_int_equal(symlink("out", at(t, "link")), 0);
	assert_int_equal(outfile_open_private_dir(t->path, geteuid(), err, sizeof(err)), -ELOOP);
	/* a file (flame -o /etc/passwd), a folder under a missing one */
	assert_int_equal(outfile_open_private_dir(t->canary, geteuid(), err, sizeof(err)),
			 -ENOTDIR);
	assert_canary_untouched(t);
	assert_int_equal(outfile_open_private_dir(at(t, "missing/d"), geteuid(), err, sizeof(err)),
			 -ENOENT);
}

static void test_target_checks(void **state)
{
	struct tree *t = *state;
	struct outfile_target tg;
	char err[512];

	assert_int_equal(symlink(t->canary, at(t, "link.json")), 0);
	assert_int_equal(outfile_target_open(&tg, t->path, err, sizeof(err)), -ELOOP);
	assert_int_equal(tg.dirfd, -1);
	assert_int_equal(mkfifo(at(t, "fifo.json"), 0600), 0);
	assert_int_equal(outfile_target_open(&tg, t->path, err, sizeof(err)), -EINVAL);
	put(at(t, "group.json"), "old\n", 0620);
	assert_int_equal(outfile_target_open(&tg, t->path, err, sizeof(err)), -EPERM);
	assert_int_equal(mkdir(at(t, "dir"), 0755), 0);
	assert_int_equal(outfile_target_open(&tg, t->path, err, sizeof(err)), -EISDIR);
	assert_int_equal(outfile_target_open(&tg, at(t, "dir/"), err, sizeof(err)), -EISDIR);
	assert_int_equal(outfile_target_open(&tg, at(t, "missing/s"), err, sizeof(err)), -ENOENT);
	assert_int_equal(outfile_target_open(&tg, "/dev/null", err, sizeof(err)), -EINVAL);
	assert_canary_untouched(t);

	/* a new name, and an existing file of its own */
	assert_int_equal(outfile_target_open(&tg, at(t, "s.json"), err, sizeof(err)), 0);
	assert_true(tg.dirfd >= 0);
	assert_string_equal(tg.name, "s.json");
	outfile_target_close(&tg);
	assert_int_equal(tg.dirfd, -1);
	put(t->path, "old\n", 0644);
	assert_int_equal(outfile_target_open(&tg, t->path, err, sizeof(err)), 0);
	outfile_target_close(&tg);
}

static void test_replace(void **state)
{
	struct tree *t = *state;
	struct outfile_target tg;
	char err[512], copy[PATH_MAX + 64];
	struct stat st;

	/* another name for the old file keeps the old text: the new one is a new file */
	snprintf(copy, sizeof(copy), "%s", at(t, "old-copy"));
	put(at(t, "s.json"), "old\n", 0644);
	assert_int_equal(link(t->path, copy), 0);
	assert_int_equal(outfile_target_open(&tg, at(t, "s.json"), err, sizeof(err)), 0);
	assert_int_equal(outfile_replace_at(tg.dirfd, tg.name, "{\"new\": 1}\n", 11, OUTFILE_MODE),
			 0);
	assert_string_equal(slurp(t->path), "{\"new\": 1}\n");
	assert_string_equal(slurp(copy), "old\n");
	assert_int_equal(lstat(at(t, "s.json"), &st), 0);
	assert_int_equal(st.st_mode & 07777, OUTFILE_MODE);

	/* a link planted at the name after the start is replaced, not followed */
	assert_int_equal(unlink(at(t, "s.json")), 0);
	assert_int_equal(symlink(t->canary, t->path), 0);
	assert_int_equal(outfile_replace_at(tg.dirfd, tg.name, "x\n", 2, OUTFILE_MODE), 0);
	assert_int_equal(lstat(at(t, "s.json"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_string_equal(slurp(t->path), "x\n");
	assert_canary_untouched(t);

	/* a folder planted at the name: the replace fails and leaves no temp file */
	assert_int_equal(unlink(at(t, "s.json")), 0);
	assert_int_equal(mkdir(t->path, 0755), 0);
	assert_int_equal(outfile_replace_at(tg.dirfd, tg.name, "y\n", 2, OUTFILE_MODE), -EISDIR);
	assert_int_equal(temp_files(t->root), 0);
	outfile_target_close(&tg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stream_new_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_hard_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_fifo, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_writable_by_others, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_folders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
