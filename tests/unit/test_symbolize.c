// SPDX-License-Identifier: GPL-2.0-only
/*
 * Symbol lookup against ELF fixtures this test builds with cc and binutils:
 * a PIE and a non-PIE executable linked to a shared library, a fully stripped
 * copy with a .gnu_debuglink file, and a debug file found by build-id (with
 * zlib-compressed debug sections). Each runs as a child that prints where its
 * functions are, so the lookups go through real /proc/PID/maps load biases.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/elf.h"
#include "io/symbolize.h"

static char dir[] = "/tmp/latgov-symtest-XXXXXX";

static const char lib_src[] =
	"__attribute__((noinline)) int fixture_lib_func(int x)\n"
	"{ volatile int s = 0; for (int i = 0; i < x; i++) s += i; return s; }\n"
	/* Asked from inside the library: a non-PIE executable taking the address itself would get its own PLT stub. */
	"void *fixture_lib_addr(void) { return (void *)fixture_lib_func; }\n";

static const char exe_src[] =
	"#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n"
	"int fixture_lib_func(int x);\nvoid *fixture_lib_addr(void);\n"
	"__attribute__((noinline)) int fixture_main_func(int x)\n"
	"{ volatile int s = 1; for (int i = 0; i < x; i++) s *= 3; return s; }\n"
	"int main(void)\n"
	"{\n"
	"  char c; void *heap = malloc(64);\n"
	"  printf(\"%p %p %p\\n\", (void *)fixture_main_func, fixture_lib_addr(), heap);\n"
	"  fflush(stdout);\n"
	"  while (read(0, &c, 1) > 0) ;\n"
	"  return fixture_main_func(2) + fixture_lib_func(2) == 0;\n"
	"}\n";

static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	write_file("lib.c", lib_src);
	write_file("exe.c", exe_src);
	return sh("cd %s && cc -O1 -g -shared -fPIC -Wl,--build-id -o libfix.so lib.c && "
		  "cc -O1 -g -fPIE -pie -Wl,--build-id -o pie exe.c -L. -lfix -Wl,-rpath,%s && "
		  "cc -O1 -g -fno-pie -no-pie -Wl,--build-id -o nopie exe.c -L. -lfix -Wl,-rpath,%s && "
		  /* stripped, symbols only in exe.debug via .gnu_debuglink */
		  "objcopy --only-keep-debug pie pie.debug && objcopy --strip-all pie stripped && "
		  "objcopy --add-gnu-debuglink=pie.debug stripped && "
		  /* stripped, no debuglink: symbols only by build-id in a debug tree */
		  "objcopy --strip-all pie byid && "
		  "id=$(readelf -n pie | sed -n 's/.*Build ID: //p') && "
		  "mkdir -p root/usr/lib/debug/.build-id/$(echo $id | cut -c1-2) && "
		  "objcopy --only-keep-debug --compress-debug-sections=zlib pie "
		  "root/usr/lib/debug/.build-id/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).debug",
		  dir, dir, dir) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sh("rm -rf %s", dir);
	return 0;
}

struct child {
	pid_t pid;
	int in;		/* write end of its stdin: close to let it exit */
	unsigned long long main_fn, lib_fn, heap;
};

static void spawn(const char *name, struct child *c)
{
	int to[2], from[2];
	char path[256], line[256];
	FILE *out;

	assert_int_equal(pipe(to), 0);
	assert_int_equal(pipe(from), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	c->in = to[1];
	out = fdopen(from[0], "r");
	assert_non_null(fgets(line, sizeof(line), out));
	fclose(out);
	assert_int_equal(sscanf(line, "%llx %llx %llx", &c->main_fn, &c->lib_fn, &c->heap), 3);
}

static void reap(struct child *c)
{
	int st;

	close(c->in);
	waitpid(c->pid, &st, 0);
}

static void expect_frame(struct symbolizer *s, pid_t pid, uint64_t addr, const char *want)
{
	char buf[256];

	assert_int_equal(symbolizer_user(s, pid, addr, buf, sizeof(buf)), 1);
	assert_string_equal(buf, want);
}

static void run_exe(const char *name)
{
	struct symbolizer *s = symbolizer_new();
	struct child c;
	char buf[256];

	spawn(name, &c);
	assert_int_equal(symbolizer_add_process(s, c.pid), 0);
	expect_frame(s, c.pid, c.main_fn + 1, "fixture_main_func");
	expect_frame(s, c.pid, c.lib_fn + 2, "fixture_lib_func");
	/* Unknown frames keep their place as module+0xoff. */
	assert_int_equal(symbolizer_user(s, c.pid, c.heap, buf, sizeof(buf)), 0);
	assert_true(!strncmp(buf, "[heap]+0x", 9));
	assert_int_equal(symbolizer_user(s, c.pid, 0x10, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[unknown]+0x10");
	reap(&c);
	/* The snapshot outlives the process. */
	expect_frame(s, c.pid, c.main_fn, "fixture_main_func");
	symbolizer_free(s);
}

static void test_pie(void **state)
{
	(void)state;
	run_exe("pie");
}

static void test_non_pie(void **state)
{
	(void)state;
	run_exe("nopie");
}

static void test_stripped_debuglink(void **state)
{
	(void)state;
	run_exe("stripped");
}

static void test_elf_objects(void **state)
{
	struct elf_object o;
	char path[256], root[256];
	uint64_t v;

	(void)state;
	snprintf(path, sizeof(path), "%s/nopie", dir);
	assert_int_equal(elf_object_load(path, "", &o), 0);
	assert_false(o.et_dyn);
	assert_int_equal(strlen(o.build_id), 40);
	assert_false(o.from_debug_file);
	assert_true(o.nloads >= 2);
	elf_object_free(&o);

	snprintf(path, sizeof(path), "%s/libfix.so", dir);
	assert_int_equal(elf_object_load(path, "", &o), 0);
	assert_true(o.et_dyn);
	assert_int_equal(elf_object_vaddr(&o, o.loads[0].offset, &v), 0);
	assert_int_equal(v, o.loads[0].vaddr);
	elf_object_free(&o);

	snprintf(path, sizeof(path), "%s/stripped", dir);
	assert_int_equal(elf_object_load(path, "", &o), 0);
	assert_true(o.from_debug_file);
	assert_non_null(strstr(o.debug_file, "pie.debug"));
	elf_object_free(&o);

	/* No debuglink: found by build-id under the debug root, compressed sections and all. */
	snprintf(path, sizeof(path), "%s/byid", dir);
	snprintf(root, sizeof(root), "%s/root", dir);
	assert_int_equal(elf_object_load(path, root, &o), 0);
	assert_true(o.from_debug_file);
	assert_non_null(strstr(o.debug_file, "/.build-id/"));
	assert_true(o.syms.n > 0);
	elf_object_free(&o);
	/* ...and without the debug root, only .dynsym is left: fixture_main_func is unknown. */
	assert_int_equal(elf_object_load(path, "/nonexistent", &o), 0);
	assert_false(o.from_debug_file);
	for (size_t i = 0; i < o.syms.n; i++)
		assert_string_not_equal(o.syms.syms[i].name, "fixture_main_func");
	elf_object_free(&o);

	snprintf(path, sizeof(path), "%s/exe.c", dir);
	assert_int_equal(elf_object_load(path, "", &o), -ENOEXEC);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(elf_object_load(path, "", &o), -ENOENT);
}

static void test_vdso(void **state)
{
	struct symbolizer *s = symbolizer_new();
	unsigned long long start = 0, end = 0;
	char line[512], buf[256];
	int named = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]"))
			sscanf(line, "%llx-%llx", &start, &end);
	fclose(f);
	if (!end)
		skip();
	/* clock_gettime lives in the vDSO: some address in it must be named so. */
	for (unsigned long long a = start; a < end; a += 16)
		if (symbolizer_user(s, getpid(), a, buf, sizeof(buf)) == 1 && strstr(buf, "clock_gettime"))
			named = 1;
	assert_true(named);
	symbolizer_free(s);
}

static void test_kernel_frames_marked(void **state)
{
	struct symbolizer *s = symbolizer_new();
	char buf[128];
	size_t n;

	(void)state;
	/* Resolved (root) or not (kptr_restrict), a kernel frame ends in _[k]. */
	symbolizer_kernel(s, 0xffffffff81000100ull, buf, sizeof(buf));
	n = strlen(buf);
	assert_true(n > 4);
	assert_string_equal(buf + n - 4, "_[k]");
	symbolizer_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pie),
		cmocka_unit_test(test_non_pie),
		cmocka_unit_test(test_stripped_debuglink),
		cmocka_unit_test(test_elf_objects),
		cmocka_unit_test(test_vdso),
		cmocka_unit_test(test_kernel_frames_marked),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
