// SPDX-License-Identifier: GPL-2.0-only
/* /proc/PID/maps, perf-PID.map and kallsyms parsing; the symbol table lookup. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/maps.h"

static const char maps_text[] =
	"5581a2c00000-5581a2c01000 r--p 00000000 fe:01 1048621                    /usr/bin/flame target\n"
	"5581a2c01000-5581a2c02000 r-xp 00001000 fe:01 1048621                    /usr/bin/flame target\n"
	"5581a3a0e000-5581a3a2f000 rw-p 00000000 00:00 0                          [heap]\n"
	"7f1c4a028000-7f1c4a1bd000 r-xp 00028000 fe:01 1835104                    /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f1c4a200000-7f1c4a201000 rw-p 00000000 00:00 0 \n"
	"7ffd6c5f3000-7ffd6c5f5000 r-xp 00000000 00:00 0                          [vdso]\n";

static void test_maps_parse_find(void **state)
{
	struct maps m;
	const struct map_entry *e;
	size_t bad = 0;

	(void)state;
	assert_int_equal(maps_parse(maps_text, strlen(maps_text), &m, &bad), 6);
	e = maps_find(&m, 0x5581a2c01234);
	assert_non_null(e);
	assert_string_equal(e->path, "/usr/bin/flame target");	/* spaces in paths survive */
	assert_int_equal(e->offset, 0x1000);
	assert_int_equal(e->inode, 1048621);
	assert_int_equal(e->dev_major, 0xfe);
	assert_int_equal(e->dev_minor, 1);
	assert_true(map_is_exec(e));
	assert_true(map_is_file(e));
	assert_string_equal(map_basename(e), "flame target");
	e = maps_find(&m, 0x7f1c4a028000);
	assert_non_null(e);
	assert_string_equal(map_basename(e), "libc.so.6");
	e = maps_find(&m, 0x7f1c4a200010);
	assert_non_null(e);
	assert_string_equal(e->path, "");
	assert_false(map_is_file(e));
	assert_string_equal(map_basename(e), "[anon]");
	assert_string_equal(map_basename(maps_find(&m, 0x7ffd6c5f3000)), "[vdso]");
	/* Ends are exclusive; gaps have no mapping. */
	assert_null(maps_find(&m, 0x5581a2c02000));
	assert_null(maps_find(&m, 0x1000));
	assert_null(maps_find(&m, 0xffffffffffffffff));
	maps_free(&m);
}

static void test_maps_bad_line(void **state)
{
	const char text[] = "1000-2000 r-xp 00000000 fe:01 12 /bin/x\nzzzz\n";
	struct maps m;
	size_t bad = 0;

	(void)state;
	assert_int_equal(maps_parse(text, strlen(text), &m, &bad), -EINVAL);
	assert_int_equal(bad, 2);
	maps_free(&m);
	assert_int_equal(maps_parse("2000-1000 r-xp 0 0:0 0\n", 23, &m, &bad), -EINVAL);
	maps_free(&m);
}

static void test_symtab_lookup(void **state)
{
	struct symtab t;
	uint64_t off = 0;
	const struct sym *s;

	(void)state;
	symtab_init(&t);
	assert_int_equal(symtab_add(&t, 0x2000, 0x100, "b", 1), 0);
	assert_int_equal(symtab_add(&t, 0x1000, 0x10, "a", 1), 0);
	assert_int_equal(symtab_add(&t, 0x1000, 0, "a_alias", 7), 0);
	assert_int_equal(symtab_add(&t, 0x3000, 0, "c_unsized", 9), 0);
	symtab_finish(&t);
	s = symtab_lookup(&t, 0x1008, 4096, &off);
	assert_non_null(s);
	assert_string_equal(s->name, "a");	/* the sized symbol wins at one address */
	assert_int_equal(off, 8);
	assert_null(symtab_lookup(&t, 0x1010, 4096, &off));	/* past a's size */
	assert_null(symtab_lookup(&t, 0xfff, 4096, &off));
	s = symtab_lookup(&t, 0x20ff, 4096, &off);
	assert_string_equal(s->name, "b");
	s = symtab_lookup(&t, 0x3fff, 4096, &off);
	assert_string_equal(s->name, "c_unsized");
	assert_null(symtab_lookup(&t, 0x4000, 4096, &off));	/* beyond max_gap */
	symtab_free(&t);
}

static void test_perfmap(void **state)
{
	const char text[] = "7f0000001000 40 LazyCompile:~handler /srv/app.js:12\n"
			    "garbage line\n"
			    "0x7f0000002000 0x10 py::main\n";
	struct symtab t;
	size_t skipped = 0;
	uint64_t off;
	const struct sym *s;

	(void)state;
	symtab_init(&t);
	assert_int_equal(perfmap_parse(text, strlen(text), &t, &skipped), 2);
	assert_int_equal(skipped, 1);
	symtab_finish(&t);
	s = symtab_lookup(&t, 0x7f0000001020, 0, &off);
	assert_non_null(s);
	assert_string_equal(s->name, "LazyCompile:~handler /srv/app.js:12");
	assert_int_equal(off, 0x20);
	assert_null(symtab_lookup(&t, 0x7f0000001040, 0, &off));
	assert_string_equal(symtab_lookup(&t, 0x7f000000200f, 0, &off)->name, "py::main");
	symtab_free(&t);
}

static void test_perfmap_long_line_skipped(void **state)
{
	static char text[64 << 10];
	struct symtab t;
	size_t skipped = 0, n;

	(void)state;
	/* A name of 60 KiB between two ordinary lines: a JIT writes no such name. */
	n = (size_t)snprintf(text, sizeof(text), "1000 10 first\n2000 10 ");
	memset(text + n, 'x', 60 << 10);
	n += 60 << 10;
	assert_true(60 << 10 > PERFMAP_MAX_LINE);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\n3000 10 last\n");
	symtab_init(&t);
	assert_int_equal(perfmap_parse(text, n, &t, &skipped), 2);
	assert_int_equal(skipped, 1);
	symtab_finish(&t);
	assert_string_equal(symtab_lookup(&t, 0x1001, 0, NULL)->name, "first");
	assert_null(symtab_lookup(&t, 0x2001, 0, NULL));
	assert_string_equal(symtab_lookup(&t, 0x3001, 0, NULL)->name, "last");
	symtab_free(&t);
}

static void test_kallsyms(void **state)
{
	const char text[] = "ffffffff81000000 T _stext\n"
			    "ffffffff81001000 t do_one\n"
			    "ffffffff81002000 D some_data\n"
			    "ffffffffc0001000 t mod_fn\t[nf_tables]\n";
	const char zeros[] = "0000000000000000 T _stext\n0000000000000000 t do_one\n";
	struct symtab t;
	uint64_t off;
	int all_zero = 1;

	(void)state;
	symtab_init(&t);
	assert_int_equal(kallsyms_parse(text, strlen(text), &t, &all_zero), 3);
	assert_false(all_zero);
	symtab_finish(&t);
	assert_string_equal(symtab_lookup(&t, 0xffffffff81001010, 1 << 20, &off)->name, "do_one");
	assert_string_equal(symtab_lookup(&t, 0xffffffffc0001001, 1 << 20, &off)->name, "mod_fn [nf_tables]");
	symtab_free(&t);
	symtab_init(&t);
	assert_int_equal(kallsyms_parse(zeros, strlen(zeros), &t, &all_zero), 2);
	assert_true(all_zero);
	symtab_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_parse_find),
		cmocka_unit_test(test_maps_bad_line),
		cmocka_unit_test(test_symtab_lookup),
		cmocka_unit_test(test_perfmap),
		cmocka_unit_test(test_perfmap_long_line_skipped),
		cmocka_unit_test(test_kallsyms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
