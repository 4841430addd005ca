/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Address-space text formats and the lookup table they resolve through. Pure:
 * each parser takes the file's text; the symbolizer (user/io/symbolize.c)
 * reads the files.
 *
 *   /proc/PID/maps      "start-end perms offset major:minor inode   path"
 *   /tmp/perf-PID.map   "START SIZE name"  (hex, no 0x needed; JITs, python -X perf)
 *   /proc/kallsyms      "addr type name [module]"
 */
#ifndef LATGOV_MAPS_H
#define LATGOV_MAPS_H

#include <stddef.h>
#include <stdint.h>

/* ---- sorted symbol table ------------------------------------------------- */

struct sym {
	uint64_t addr;
	uint64_t size;		/* 0 = unknown: the symbol runs to the next one */
	const char *name;	/* into the table's name arena; valid after symtab_finish */
	size_t name_off;
};

struct symtab {
	struct sym *syms;
	size_t n, cap;
	char *names;		/* arena of NUL-terminated names */
	size_t names_len, names_cap;
	int sorted;
};

void symtab_init(struct symtab *t);
void symtab_free(struct symtab *t);
/* Copies name. Returns 0 or -ENOMEM. */
int symtab_add(struct symtab *t, uint64_t addr, uint64_t size, const char *name, size_t name_len);
/* Sorts by address and drops exact duplicates; call once after adding. */
void symtab_finish(struct symtab *t);
/*
 * The symbol covering addr, or NULL. A symbol with a size covers
 * [addr, addr+size); one without covers up to the next symbol but at most
 * max_gap bytes (so an address far past the last symbol is not blamed on it).
 * *off gets addr - sym->addr.
 */
const struct sym *symtab_lookup(const struct symtab *t, uint64_t addr, uint64_t max_gap, uint64_t *off);

/* ---- /proc/PID/maps ------------------------------------------------------- */

struct map_entry {
	uint64_t start, end;	/* [start, end) */
	uint64_t offset;	/* file offset of start */
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	char perms[5];		/* "r-xp" */
	char *path;		/* "" for anonymous; "[vdso]", "[heap]"...; may end in " (deleted)" */
};

struct maps {
	struct map_entry *v;
	size_t n;
};

/*
 * Parses maps text. Returns the number of entries (sorted by start as the
 * kernel writes them), -EINVAL with the 1-based line number in *bad_line, or
 * -ENOMEM. m is freed with maps_free even on error.
 */
int maps_parse(const char *text, size_t len, struct maps *m, size_t *bad_line);
void maps_free(struct maps *m);
/* The entry containing addr, or NULL. */
const struct map_entry *maps_find(const struct maps *m, uint64_t addr);
/* Executable mapping (perms[2] == 'x')? */
int map_is_exec(const struct map_entry *e);
/* File-backed: a path starting with '/'. */
int map_is_file(const struct map_entry *e);
/* The last path component ("libc.so.6"), or the whole path for "[vdso]" etc. */
const char *map_basename(const struct map_entry *e);

/* ---- perf-PID.map and kallsyms ------------------------------------------- */

/*
 * A perf map line longer than this is skipped whole: a JIT names a function
 * in far less, and the file's owner may be anyone who could write /tmp.
 */
#define PERFMAP_MAX_LINE 4096

/*
 * Adds every well-formed line of a perf map to t; bad or overlong lines are
 * skipped and counted in *skipped. Returns the count added or -ENOMEM.
 */
int perfmap_parse(const char *text, size_t len, struct symtab *t, size_t *skipped);

/*
 * Adds the text (t/T) and weak (w/W) symbols of /proc/kallsyms text to t.
 * Module symbols keep their module: "name [mod]". Returns the count added or
 * -ENOMEM; *all_zero is set when every address was 0 (kptr_restrict: not root).
 */
int kallsyms_parse(const char *text, size_t len, struct symtab *t, int *all_zero);

#endif
