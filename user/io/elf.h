/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One ELF object's function symbols and load segments, read with libelf.
 *
 * Symbols come from the object's .symtab when it has one; otherwise from a
 * separate debug file, found by build-id under DEBUG_ROOT/usr/lib/debug/
 * .build-id/xx/yyyy.debug, then by .gnu_debuglink next to the object, in its
 * .debug/ folder, or under DEBUG_ROOT/usr/lib/debug/<dir>/; and always from
 * .dynsym as well. Compressed sections (SHF_COMPRESSED) are inflated by libelf.
 *
 * Addresses in the table are the object's link-time virtual addresses; a
 * process address maps to one through its /proc/PID/maps file offset and the
 * PT_LOAD segments (elf_object_vaddr), which covers PIE, non-PIE and shared
 * libraries alike.
 */
#ifndef LATGOV_ELF_H
#define LATGOV_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "core/maps.h"

#define ELF_MAX_LOADS 16

struct elf_load {
	uint64_t vaddr, memsz, offset, filesz;
};

struct elf_object {
	struct symtab syms;
	char build_id[41];		/* hex; "" when the object has none */
	struct elf_load loads[ELF_MAX_LOADS];
	int nloads;
	int et_dyn;			/* PIE or shared library */
	int from_debug_file;		/* symbols came from a separate debug file */
	char debug_file[512];		/* that file, when they did */
};

/*
 * Reads path. debug_root prefixes the global debug folder ("" on the host,
 * "/proc/PID/root" for a container). Returns 0, or -errno when the file
 * cannot be opened or is not ELF. An object without any symbols still loads
 * (its frames print as module+0xoff).
 */
int elf_object_load(const char *path, const char *debug_root, struct elf_object *o);
/*
 * Reads an ELF image already in memory (the vDSO): no debug files. 0 or
 * -ENOEXEC. The image must outlive the call only.
 */
int elf_object_load_image(const void *image, size_t len, struct elf_object *o);
void elf_object_free(struct elf_object *o);

/* The link-time address of file offset off, via the PT_LOAD segments; 0 or -ENOENT. */
int elf_object_vaddr(const struct elf_object *o, uint64_t off, uint64_t *vaddr);

#endif
