/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One ELF object's function symbols and load segments, read with libelf.
 *
 * Symbols come from the object's .symtab when it has one; otherwise from a
 * separate debug file, found by build-id under /usr/lib/debug/.build-id/xx/
 * yyyy.debug, then by .gnu_debuglink next to the object, in its .debug/
 * folder, or under /usr/lib/debug/<dir>/; and always from .dynsym as well.
 * Every one of these paths is taken inside the process's root folder and
 * opened through targetfile.h: the process's owner chose them. A debug link
 * is a file name: one with a '/' in it, ".", or ".." is not followed.
 *
 * Compressed sections (SHF_COMPRESSED) are inflated by libelf, but only up
 * to ELF_INFLATE_RATIO times their size in the file and ELF_SECTION_MAX
 * bytes: a section claiming more is skipped and counted.
 *
 * Addresses in the table are the object's link-time virtual addresses; a
 * process address maps to one through its /proc/PID/maps file offset and the
 * PT_LOAD segments (elf_object_vaddr), which covers PIE, non-PIE and shared
 * libraries alike.
 */
#ifndef LATGOV_ELF_H
#define LATGOV_ELF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "core/maps.h"

#define ELF_MAX_LOADS 16
/*
 * Inflating is refused beyond these: deflate allows up to 1032:1 (a run of
 * zeros), while symbol and string tables compress by a few times.
 */
#define ELF_INFLATE_RATIO 64
#define ELF_SECTION_MAX   (256ull << 20)

struct elf_load {
	uint64_t vaddr, memsz, offset, filesz;
};

/* Which file was read: two objects share a table only when both ids are equal. */
struct elf_file_id {
	uint64_t dev, ino, size;
	int64_t mtime_ns;
};

struct elf_object {
	struct symtab syms;
	char build_id[41];		/* hex; "" when the object has none */
	struct elf_load loads[ELF_MAX_LOADS];
	int nloads;
	int et_dyn;			/* PIE or shared library */
	int from_debug_file;		/* symbols came from a separate debug file */
	char debug_file[PATH_MAX];	/* that file, inside the root, when they did */
	struct elf_file_id file;	/* the object's file (zero for an image in memory) */
	struct elf_file_id debug;	/* the debug file's (zero without one) */
	unsigned sections_refused;	/* compressed sections that would inflate too far */
	unsigned files_refused;		/* debug files that are not regular files, or too big */
};

/*
 * Reads path, an absolute path inside root_fd (a targetfile_open_root fd),
 * and its debug file, from the same root. Returns 0, or -errno as
 * targetfile_open when the file cannot be opened, -ENOEXEC when it is not
 * ELF. An object without any symbols still loads (its frames print as
 * module+0xoff).
 */
int elf_object_load(int root_fd, const char *path, struct elf_object *o);
/*
 * The same for an object already open: fd (targetfile_open or _link), with
 * st its fstat. path is its name inside root_fd, for finding its debug file
 * by .gnu_debuglink (NULL: by build-id only; root_fd -1: no debug file).
 * fd stays open. 0, -ENOEXEC, -EFBIG (it grew past the limit) or -ENOMEM.
 */
int elf_object_load_fd(int fd, const struct stat *st, int root_fd, const char *path,
		       struct elf_object *o);
/*
 * Reads an ELF image already in memory (the vDSO): no debug files. 0 or
 * -ENOEXEC. The image must outlive the call only.
 */
int elf_object_load_image(const void *image, size_t len, struct elf_object *o);
void elf_object_free(struct elf_object *o);

/* The link-time address of file offset off, via the PT_LOAD segments; 0 or -ENOENT. */
int elf_object_vaddr(const struct elf_object *o, uint64_t off, uint64_t *vaddr);

#endif
