// SPDX-License-Identifier: GPL-2.0-only
/*
 * Symbol lookup against ELF fixtures this test builds with cc and binutils:
 * a PIE and a non-PIE executable linked to a shared library, a fully stripped
 * copy with a .gnu_debuglink file, and a debug file found by build-id (with
 * zlib-compressed debug sections). Each runs as a child that prints where its
 * functions are, so the lookups go through real /proc/PID/maps load biases.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <malloc.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#ifdef __SANITIZE_ADDRESS__
/* libasan's; its header is not always installed. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#include "io/elf.h"
#include "io/symbolize.h"
#include "io/targetfile.h"

static char dir[] = "/tmp/latgov-symtest-XXXXXX";

static const char lib_src[] =
	"__attribute__((noinline)) int fixture_lib_func(int x)\n"
	"{ volatile int s = 0; for (int i = 0; i < x; i++) s += i; return s; }\n"
	/* Asked from inside the library: a non-PIE executable taking the address itself would get its own PLT stub. */
	"void *fixture_lib_addr(void) { return (void *)fixture_lib_func; }\n";

/*
 * Prints its function, library function, heap and JIT page (anonymous
 * executable memory) addresses. With a file argument it maps that file
 * executable too, and unmaps it when it reads 'u' on stdin.
 */
static const char exe_src[] =
	"#include <fcntl.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <sys/mman.h>\n"
	"#include <sys/stat.h>\n#include <unistd.h>\n"
	"int fixture_lib_func(int x);\nvoid *fixture_lib_addr(void);\n"
	"__attribute__((noinline)) int fixture_main_func(int x)\n"
	"{ volatile int s = 1; for (int i = 0; i < x; i++) s *= 3; return s; }\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"  char c; void *heap = malloc(64), *mapped = NULL; struct stat st = { 0 };\n"
	"  void *jit = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);\n"
	"  if (argc > 1) {\n"
	"    int fd = open(argv[1], O_RDONLY);\n"
	"    if (fd < 0 || fstat(fd, &st)) return 2;\n"
	"    mapped = mmap(NULL, st.st_size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);\n"
	"    close(fd);\n"
	"  }\n"
	"  printf(\"%p %p %p %p\\n\", (void *)fixture_main_func, fixture_lib_addr(), heap, jit);\n"
	"  fflush(stdout);\n"
	"  while (read(0, &c, 1) > 0)\n"
	"    if (c == 'u' && mapped) { munmap(mapped, st.st_size); mapped = NULL; puts(\"unmapped\"); fflush(stdout); }\n"
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

/* A library of BIG_LIB_FUNCS functions: its symbol table is big enough to see in the heap. */
#define BIG_LIB_FUNCS 20000

static int write_big_lib(void)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/big.s", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(".section .note.GNU-stack,\"\",@progbits\n.text\n", f);
	for (int i = 0; i < BIG_LIB_FUNCS; i++)
		fprintf(f, ".globl big_func_%d\n.type big_func_%d,@function\nbig_func_%d: ret\n.size big_func_%d,1\n",
			i, i, i, i);
	fclose(f);
	return sh("cd %s && cc -shared -o libbig.so big.s", dir);
}

/*
 * bomb: a copy of pie whose .strtab is SHF_COMPRESSED and inflates to
 * BOMB_SIZE bytes (its names, then zeros) from a file of well under 1 MiB.
 */
#define BOMB_SIZE (128u << 20)

/*
 * Replaces d, a string table's data, with a compressed section's: a header
 * claiming BOMB_SIZE bytes, then the names and zeros up to that size,
 * deflated into *buf (free it after elf_end).
 */
static int bomb_data(Elf_Data *d, unsigned char **buf)
{
	static unsigned char zeros[65536];
	Elf64_Chdr ch = { .ch_type = ELFCOMPRESS_ZLIB, .ch_size = BOMB_SIZE, .ch_addralign = 1 };
	size_t cap = 1u << 20, left = BOMB_SIZE - d->d_size;
	z_stream z = { 0 };
	int zrc = Z_OK;

	*buf = malloc(cap);
	if (!*buf || deflateInit(&z, 1) != Z_OK)
		return -1;
	memcpy(*buf, &ch, sizeof(ch));
	z.next_out = *buf + sizeof(ch);
	z.avail_out = (uInt)(cap - sizeof(ch));
	z.next_in = d->d_buf;
	z.avail_in = (uInt)d->d_size;
	while (zrc == Z_OK && z.avail_out) {
		if (!z.avail_in && left) {
			z.next_in = zeros;
			z.avail_in = (uInt)(left < sizeof(zeros) ? left : sizeof(zeros));
			left -= z.avail_in;
		}
		zrc = deflate(&z, left || z.avail_in ? Z_NO_FLUSH : Z_FINISH);
	}
	deflateEnd(&z);
	if (zrc != Z_STREAM_END)
		return -1;
	d->d_buf = *buf;
	d->d_size = cap - z.avail_out;
	d->d_type = ELF_T_BYTE;
	d->d_align = 1;
	return 0;
}

static int write_bomb(void)
{
	unsigned char *buf = NULL;
	char path[256];
	Elf_Scn *scn = NULL;
	Elf *e;
	int fd, err = -1;

	if (sh("cp %s/pie %s/bomb", dir, dir) || elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	snprintf(path, sizeof(path), "%s/bomb", dir);
	fd = open(path, O_RDWR);
	e = fd >= 0 ? elf_begin(fd, ELF_C_RDWR, NULL) : NULL;
	while (e && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sym, str;
		Elf_Scn *strscn;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sym) || sym.sh_type != SHT_SYMTAB)
			continue;
		strscn = elf_getscn(e, sym.sh_link);
		d = strscn ? elf_getdata(strscn, NULL) : NULL;
		if (!d || !gelf_getshdr(strscn, &str) || bomb_data(d, &buf))
			break;
		str.sh_flags |= SHF_COMPRESSED;
		str.sh_addralign = 1;
		gelf_update_shdr(strscn, &str);
		elf_flagdata(d, ELF_C_SET, ELF_F_DIRTY);
		err = elf_update(e, ELF_C_WRITE) < 0 ? -1 : 0;
		break;
	}
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	free(buf);
	return err;
}

/*
 * deep/.../ttt: pie at a path just under PATH_MAX, and links to
 * evil at every prefix of it that "/proc/PID/root" + path cut to PATH_MAX
 * bytes would name, whatever the digits of the pid.
 */
static char deep_path[PATH_MAX];

static int write_deep_path(void)
{
	char evil[256];
	size_t n = (size_t)snprintf(deep_path, sizeof(deep_path), "%s/deep", dir);

	if (mkdir(deep_path, 0755))
		return -1;
	/* Folders of at most 250 bytes, until 100 to 200 bytes are left for the file name. */
	for (;;) {
		size_t left = PATH_MAX - 2 - n - 1, len = left - 100 < 250 ? left - 100 : 250;

		if (left <= 200)
			break;
		deep_path[n++] = '/';
		memset(deep_path + n, 'd', len);
		n += len;
		deep_path[n] = '\0';
		if (mkdir(deep_path, 0755))
			return -1;
	}
	deep_path[n++] = '/';
	while (n < PATH_MAX - 2)
		deep_path[n++] = 't';
	deep_path[n] = '\0';
	snprintf(evil, sizeof(evil), "%s/pie", dir);
	if (link(evil, deep_path))
		return -1;
	snprintf(evil, sizeof(evil), "%s/evil", dir);
	for (int digits = 1; digits <= 7; digits++) {
		char cut[PATH_MAX];
		size_t keep = PATH_MAX - 1 - strlen("/proc//root") - (size_t)digits;

		snprintf(cut, sizeof(cut), "%.*s", (int)keep, deep_path);
		if (link(evil, cut))
			return -1;
	}
	return 0;
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
		  /* ...in a root of its own, whose .build-id entry links to the debug file, as Fedora's do */
		  "objcopy --strip-all pie byid && mkdir -p root/bin root/usr/lib/debug/bin && cp byid root/bin/ && "
		  "id=$(readelf -n pie | sed -n 's/.*Build ID: //p') && "
		  "mkdir -p root/usr/lib/debug/.build-id/$(echo $id | cut -c1-2) && "
		  "objcopy --only-keep-debug --compress-debug-sections=zlib pie root/usr/lib/debug/bin/byid.debug && "
		  "ln -s ../../bin/byid.debug "
		  "root/usr/lib/debug/.build-id/$(echo $id | cut -c1-2)/$(echo $id | cut -c3-).debug && "
		  /*
		   * Hostile debug links: to a FIFO, out of the folder, to a symlink.
		   * objcopy names a link after the file it reads for its CRC, so each
		   * is made from a regular file elsewhere and then replaced.
		   */
		  "mkdir -p crc fifo up link && cp pie.debug crc/hang.debug && cp pie.debug crc/sym.debug && "
		  "objcopy --strip-all --add-gnu-debuglink=crc/hang.debug pie fifo/stripped && "
		  "mkfifo fifo/hang.debug && "
		  "objcopy --strip-all --add-gnu-debuglink=crc/sym.debug pie link/stripped && "
		  "ln -s ../pie.debug link/sym.debug && "
		  "printf '../pie.debug\\000\\000\\000\\000\\000\\000\\000\\000' > up/link.bin && "
		  "objcopy --strip-all --add-section .gnu_debuglink=up/link.bin pie up/stripped && "
		  /* Another user's copy of pie: the same build-id, its function renamed. */
		  "objcopy --redefine-sym fixture_main_func=evil_main_func pie evil",
		  dir, dir, dir) == 0 && write_big_lib() == 0 && write_bomb() == 0 && write_deep_path() == 0 ? 0 : -1;
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
	FILE *out;	/* its stdout */
	unsigned long long main_fn, lib_fn, heap, jit;
};

/* Runs name (in dir, or an absolute path) with an optional argument; reads its addresses. */
static void spawn_arg(const char *name, const char *arg, struct child *c)
{
	int to[2], from[2];
	char path[PATH_MAX], line[256];

	/* Close-on-exec: a child spawned later must not hold this one's stdin open. */
	assert_int_equal(pipe2(to, O_CLOEXEC), 0);
	assert_int_equal(pipe2(from, O_CLOEXEC), 0);
	if (name[0] == '/')
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", dir, name);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		dup2(to[0], 0);
		dup2(from[1], 1);
		close(to[1]);
		close(from[0]);
		if (arg && chdir(dir))
			_exit(127);
		execl(path, path, arg, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	c->in = to[1];
	c->out = fdopen(from[0], "r");
	assert_non_null(c->out);
	assert_non_null(fgets(line, sizeof(line), c->out));
	assert_int_equal(sscanf(line, "%llx %llx %llx %llx", &c->main_fn, &c->lib_fn, &c->heap, &c->jit), 4);
}

static void spawn(const char *name, struct child *c)
{
	spawn_arg(name, NULL, c);
}

static void reap(struct child *c)
{
	int st;

	close(c->in);
	fclose(c->out);
	waitpid(c->pid, &st, 0);
}

/* What a fresh symbolizer, in a child process of its own, makes of one address. */
struct lookup {
	int found;		/* symbolizer_user's return */
	char name[256];
	long rss_growth_kb;	/* of that child's peak RSS */
};

/* 0, or -ETIMEDOUT when the child hung (it is killed after a few seconds). */
static int lookup_in_child(pid_t pid, uint64_t addr, struct lookup *out)
{
	int fds[2], st;
	ssize_t n;
	pid_t c;

	memset(out, 0, sizeof(*out));
	assert_int_equal(pipe(fds), 0);
	c = fork();
	assert_true(c >= 0);
	if (c == 0) {
		struct rusage before, after;
		struct symbolizer *s;

		close(fds[0]);
		alarm(5);
		getrusage(RUSAGE_SELF, &before);
		s = symbolizer_new();
		out->found = symbolizer_user(s, pid, addr, out->name, sizeof(out->name));
		getrusage(RUSAGE_SELF, &after);
		out->rss_growth_kb = after.ru_maxrss - before.ru_maxrss;
		n = write(fds[1], out, sizeof(*out));
		_exit(n == sizeof(*out) ? 0 : 1);
	}
	close(fds[1]);
	n = read(fds[0], out, sizeof(*out));
	close(fds[0]);
	waitpid(c, &st, 0);
	return n == sizeof(*out) ? 0 : -ETIMEDOUT;
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
	int host = targetfile_open_root("/"), root;
	struct elf_object o;
	char path[PATH_MAX];
	uint64_t v;

	(void)state;
	assert_true(host >= 0);
	snprintf(path, sizeof(path), "%s/nopie", dir);
	assert_int_equal(elf_object_load(host, path, &o), 0);
	assert_false(o.et_dyn);
	assert_int_equal(strlen(o.build_id), 40);
	assert_false(o.from_debug_file);
	assert_true(o.nloads >= 2);
	elf_object_free(&o);

	snprintf(path, sizeof(path), "%s/libfix.so", dir);
	assert_int_equal(elf_object_load(host, path, &o), 0);
	assert_true(o.et_dyn);
	assert_int_equal(elf_object_vaddr(&o, o.loads[0].offset, &v), 0);
	assert_int_equal(v, o.loads[0].vaddr);
	elf_object_free(&o);

	snprintf(path, sizeof(path), "%s/stripped", dir);
	assert_int_equal(elf_object_load(host, path, &o), 0);
	assert_true(o.from_debug_file);
	assert_non_null(strstr(o.debug_file, "pie.debug"));
	assert_int_not_equal(o.debug.ino, 0);
	elf_object_free(&o);

	/* No debuglink: found by build-id in the object's root, compressed sections and all. */
	snprintf(path, sizeof(path), "%s/root", dir);
	root = targetfile_open_root(path);
	assert_true(root >= 0);
	assert_int_equal(elf_object_load(root, "/bin/byid", &o), 0);
	assert_true(o.from_debug_file);
	assert_non_null(strstr(o.debug_file, "/.build-id/"));
	assert_true(o.syms.n > 0);
	elf_object_free(&o);
	/* ...and in another root, only .dynsym is left: fixture_main_func is unknown. */
	snprintf(path, sizeof(path), "%s/byid", dir);
	assert_int_equal(elf_object_load(host, path, &o), 0);
	assert_false(o.from_debug_file);
	for (size_t i = 0; i < o.syms.n; i++)
		assert_string_not_equal(o.syms.syms[i].name, "fixture_main_func");
	elf_object_free(&o);
	close(root);

	snprintf(path, sizeof(path), "%s/exe.c", dir);
	assert_int_equal(elf_object_load(host, path, &o), -ENOEXEC);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(elf_object_load(host, path, &o), -ENOENT);
	snprintf(path, sizeof(path), "%s/fifo/hang.debug", dir);
	assert_int_equal(elf_object_load(host, path, &o), -EINVAL);
	close(host);
}

/* Refusals are counted, for the summary to tell. */
static void test_elf_refusals_counted(void **state)
{
	int host = targetfile_open_root("/");
	struct elf_object o;
	char path[PATH_MAX];

	(void)state;
	assert_true(host >= 0);
	snprintf(path, sizeof(path), "%s/bomb", dir);
	assert_int_equal(elf_object_load(host, path, &o), 0);
	assert_int_equal(o.sections_refused, 1);
	elf_object_free(&o);
	snprintf(path, sizeof(path), "%s/fifo/stripped", dir);
	assert_int_equal(elf_object_load(host, path, &o), 0);
	assert_false(o.from_debug_file);
	assert_int_equal(o.files_refused, 1);
	elf_object_free(&o);
	close(host);
}

/* The frame name of c's main function, as a fresh symbolizer makes it: it must not hang. */
static struct lookup main_frame(const char *name)
{
	struct lookup l;
	struct child c;

	spawn(name, &c);
	assert_int_equal(lookup_in_child(c.pid, c.main_fn, &l), 0);
	reap(&c);
	return l;
}

static void test_debuglink_fifo_not_waited_on(void **state)
{
	struct lookup l;

	(void)state;
	l = main_frame("fifo/stripped");
	assert_int_equal(l.found, 0);
	assert_true(!strncmp(l.name, "stripped+0x", 11));
}

static void test_debuglink_out_of_folder_refused(void **state)
{
	(void)state;
	assert_int_equal(main_frame("up/stripped").found, 0);
}

static void test_debuglink_symlink_refused(void **state)
{
	(void)state;
	assert_int_equal(main_frame("link/stripped").found, 0);
}

static void test_compressed_bomb_refused(void **state)
{
	struct lookup l;
	struct child c;

	(void)state;
	spawn_arg("pie", "bomb", &c);
	assert_int_equal(lookup_in_child(c.pid, c.main_fn, &l), 0);
	reap(&c);
	/* The symbolizer itself takes a few MiB; the bomb would take BOMB_SIZE. */
	assert_true(l.rss_growth_kb < (long)(BOMB_SIZE >> 10) / 4);
}

static void test_same_build_id_other_file(void **state)
{
	struct symbolizer *s = symbolizer_new();
	struct child evil, good;

	(void)state;
	spawn("evil", &evil);
	spawn("pie", &good);
	assert_int_equal(symbolizer_add_process(s, evil.pid), 0);
	assert_int_equal(symbolizer_add_process(s, good.pid), 0);
	expect_frame(s, evil.pid, evil.main_fn, "evil_main_func");
	expect_frame(s, good.pid, good.main_fn, "fixture_main_func");
	reap(&evil);
	reap(&good);
	symbolizer_free(s);
}

static void test_path_near_path_max(void **state)
{
	struct lookup l;

	(void)state;
	l = main_frame(deep_path);
	assert_int_equal(l.found, 1);
	assert_string_equal(l.name, "fixture_main_func");
}

/* Bytes malloc has handed out, from its arenas and in mappings of their own. */
static size_t heap_in_use(void)
{
#ifdef __SANITIZE_ADDRESS__
	return __sanitizer_get_current_allocated_bytes();	/* ASan's allocator replaces glibc's */
#else
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
#endif
}

static void test_unmapped_objects_freed(void **state)
{
	struct symbolizer *s = symbolizer_new();
	size_t before, loaded, after;
	char line[64];
	struct child c;

	(void)state;
	spawn_arg("pie", "libbig.so", &c);
	before = heap_in_use();
	assert_int_equal(symbolizer_add_process(s, c.pid), 0);
	loaded = heap_in_use();
	assert_int_equal(write(c.in, "u", 1), 1);
	assert_non_null(fgets(line, sizeof(line), c.out));
	assert_string_equal(line, "unmapped\n");
	assert_int_equal(symbolizer_refresh_process(s, c.pid), 0);
	after = heap_in_use();
	/* Each of its symbols takes more than 16 bytes in the table. */
	assert_true(loaded - before > BIG_LIB_FUNCS * 16);
	assert_true(loaded > after && loaded - after > BIG_LIB_FUNCS * 16);
	reap(&c);
	symbolizer_free(s);
}

/* ---- /tmp/perf-PID.map ------------------------------------------------------ */

static void perfmap_path(pid_t pid, char *path, size_t len)
{
	snprintf(path, len, "/tmp/perf-%d.map", (int)pid);
}

/* A perf map naming c's JIT page "jit_func", after a line of hole zero bytes. */
static void write_perfmap(const char *path, const struct child *c, off_t hole)
{
	char line[128];
	int fd, n;

	/* The newline ends the zeros' line: without it, the zeros would hide the entry. */
	n = snprintf(line, sizeof(line), "\n%llx 1000 jit_func\n", c->jit);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, line, (size_t)n, hole), n);
	close(fd);
}

/* How a fresh symbolizer names c's JIT page, with the perf map as the test made it. */
static struct lookup jit_frame(const struct child *c)
{
	struct lookup l;

	assert_int_equal(lookup_in_child(c->pid, c->jit + 16, &l), 0);
	return l;
}

static void test_perfmap_read(void **state)
{
	char path[64];
	struct lookup l;
	struct child c;

	(void)state;
	spawn("pie", &c);
	perfmap_path(c.pid, path, sizeof(path));
	write_perfmap(path, &c, 0);
	l = jit_frame(&c);
	unlink(path);
	reap(&c);
	assert_int_equal(l.found, 1);
	assert_string_equal(l.name, "jit_func");
}

static void test_perfmap_fifo_not_waited_on(void **state)
{
	char path[64];
	struct lookup l;
	struct child c;
	int err;

	(void)state;
	spawn("pie", &c);
	perfmap_path(c.pid, path, sizeof(path));
	assert_int_equal(mkfifo(path, 0644), 0);
	err = lookup_in_child(c.pid, c.jit + 16, &l);
	unlink(path);
	reap(&c);
	assert_int_equal(err, 0);
	assert_int_equal(l.found, 0);
}

static void test_perfmap_symlink_refused(void **state)
{
	char path[64], planted[256];
	struct lookup l;
	struct child c;

	(void)state;
	spawn("pie", &c);
	perfmap_path(c.pid, path, sizeof(path));
	snprintf(planted, sizeof(planted), "%s/planted.map", dir);
	write_perfmap(planted, &c, 0);
	assert_int_equal(symlink(planted, path), 0);
	l = jit_frame(&c);
	unlink(path);
	reap(&c);
	assert_int_equal(l.found, 0);
}

static void test_perfmap_other_owner_refused(void **state)
{
	char path[64];
	struct lookup l;
	struct child c;
	int err;

	(void)state;
	if (geteuid() != 0)
		skip();	/* only root can give a file away */
	spawn("pie", &c);
	perfmap_path(c.pid, path, sizeof(path));
	write_perfmap(path, &c, 0);
	err = chown(path, 12345, 12345);
	l = jit_frame(&c);
	unlink(path);
	reap(&c);
	assert_int_equal(err, 0);
	assert_int_equal(l.found, 0);
}

static void test_perfmap_oversize_refused(void **state)
{
	char path[64];
	struct lookup l;
	struct child c;

	(void)state;
	spawn("pie", &c);
	perfmap_path(c.pid, path, sizeof(path));
	/* Sparse: the zeros take no disk. */
	write_perfmap(path, &c, (off_t)64 << 20);
	l = jit_frame(&c);
	unlink(path);
	reap(&c);
	assert_int_equal(l.found, 0);
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
		cmocka_unit_test(test_elf_refusals_counted),
		cmocka_unit_test(test_debuglink_fifo_not_waited_on),
		cmocka_unit_test(test_debuglink_out_of_folder_refused),
		cmocka_unit_test(test_debuglink_symlink_refused),
		cmocka_unit_test(test_compressed_bomb_refused),
		cmocka_unit_test(test_same_build_id_other_file),
		cmocka_unit_test(test_path_near_path_max),
		cmocka_unit_test(test_unmapped_objects_freed),
		cmocka_unit_test(test_perfmap_read),
		cmocka_unit_test(test_perfmap_fifo_not_waited_on),
		cmocka_unit_test(test_perfmap_symlink_refused),
		cmocka_unit_test(test_perfmap_other_owner_refused),
		cmocka_unit_test(test_perfmap_oversize_refused),
		cmocka_unit_test(test_vdso),
		cmocka_unit_test(test_kernel_frames_marked),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
