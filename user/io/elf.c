// SPDX-License-Identifier: GPL-2.0-only
#include "io/elf.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int libelf_ready(void)
{
	static int ready;

	if (!ready) {
		if (elf_version(EV_CURRENT) == EV_NONE)
			return -EINVAL;
		ready = 1;
	}
	return 0;
}

/* Section data, inflated first when the section is SHF_COMPRESSED. */
static Elf_Data *section_data(Elf_Scn *scn)
{
	GElf_Shdr sh;

	if (!gelf_getshdr(scn, &sh))
		return NULL;
	if ((sh.sh_flags & SHF_COMPRESSED) && elf_compress(scn, 0, 0) < 0)
		return NULL;
	return elf_getdata(scn, NULL);
}

static Elf_Scn *find_section(Elf *e, const char *name, GElf_Shdr *out)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (!gelf_getshdr(scn, &sh))
			continue;
		n = elf_strptr(e, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			if (out)
				*out = sh;
			return scn;
		}
	}
	return NULL;
}

static void read_build_id(Elf *e, char *hex, size_t len)
{
	Elf_Scn *scn = NULL;

	hex[0] = '\0';
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Nhdr nh;
		size_t off = 0, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)d->d_buf + name_off, "GNU", 4)) {
				const unsigned char *id = (unsigned char *)d->d_buf + desc_off;
				size_t n = nh.n_descsz;

				if (n * 2 + 1 > len)
					n = (len - 1) / 2;
				for (size_t i = 0; i < n; i++)
					snprintf(hex + 2 * i, 3, "%02x", id[i]);
				return;
			}
		}
	}
}

/* Adds the function symbols of every section of type (SHT_SYMTAB or SHT_DYNSYM). Returns the count. */
static int read_symbols(Elf *e, Elf64_Word type, struct symtab *t)
{
	Elf_Scn *scn = NULL;
	int n = 0;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t count;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		/* The string table may be compressed too; inflate it before elf_strptr. */
		if (!section_data(elf_getscn(e, sh.sh_link)))
			continue;
		d = section_data(scn);
		if (!d)
			continue;
		count = d->d_size / sh.sh_entsize;
		for (size_t i = 0; i < count; i++) {
			GElf_Sym s;
			const char *name;
			int st;

			if (!gelf_getsym(d, (int)i, &s))
				continue;
			st = GELF_ST_TYPE(s.st_info);
			if ((st != STT_FUNC && st != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF || !s.st_value)
				continue;
			name = elf_strptr(e, sh.sh_link, s.st_name);
			if (!name || !name[0])
				continue;
			if (symtab_add(t, s.st_value, s.st_size, name, strlen(name)))
				return -ENOMEM;
			n++;
		}
	}
	return n;
}

/*
 * PLT stubs have no symbols; without a name of their own, frames in them
 * would be blamed on the unsized symbol before (_init).
 */
static int add_plt(Elf *e, struct symtab *t)
{
	static const char *const plts[] = { ".plt", ".plt.sec", ".plt.got" };

	for (size_t i = 0; i < sizeof(plts) / sizeof(plts[0]); i++) {
		GElf_Shdr sh;

		if (find_section(e, plts[i], &sh) && sh.sh_size && symtab_add(t, sh.sh_addr, sh.sh_size, "[plt]", 5))
			return -ENOMEM;
	}
	return 0;
}

static int has_symtab(Elf *e)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		/* --only-keep-debug leaves .symtab but strip removes it; NOBITS text is fine. */
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB && sh.sh_size)
			return 1;
	}
	return 0;
}

struct elf_file {
	int fd;
	Elf *e;
};

static int open_elf(const char *path, struct elf_file *f)
{
	f->e = NULL;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	f->e = elf_begin(f->fd, ELF_C_READ, NULL);
	if (!f->e || elf_kind(f->e) != ELF_K_ELF) {
		if (f->e)
			elf_end(f->e);
		close(f->fd);
		f->e = NULL;
		f->fd = -1;
		return -ENOEXEC;
	}
	return 0;
}

static void close_elf(struct elf_file *f)
{
	if (f->e)
		elf_end(f->e);
	if (f->fd >= 0)
		close(f->fd);
	f->e = NULL;
	f->fd = -1;
}

/* Opens a debug file for o: by build-id, then by .gnu_debuglink. 0 or -ENOENT. */
static int open_debug_file(Elf *e, const char *path, const char *debug_root, struct elf_object *o,
			   struct elf_file *df)
{
	char cand[PATH_MAX], dir[PATH_MAX];
	GElf_Shdr sh;
	Elf_Scn *scn;
	const char *link, *slash;

	if (o->build_id[0] && strlen(o->build_id) > 2) {
		snprintf(cand, sizeof(cand), "%s/usr/lib/debug/.build-id/%.2s/%s.debug", debug_root,
			 o->build_id, o->build_id + 2);
		if (!open_elf(cand, df))
			goto found;
	}
	scn = find_section(e, ".gnu_debuglink", &sh);
	if (!scn)
		return -ENOENT;
	{
		Elf_Data *d = section_data(scn);

		if (!d || !d->d_size || !memchr(d->d_buf, '\0', d->d_size))
			return -ENOENT;
		link = d->d_buf;
	}
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	snprintf(cand, sizeof(cand), "%s/%s", dir, link);
	if (strcmp(cand, path) && !open_elf(cand, df))
		goto found;
	snprintf(cand, sizeof(cand), "%s/.debug/%s", dir, link);
	if (!open_elf(cand, df))
		goto found;
	/* The global folder mirrors the object's own path (without the /proc/PID/root prefix). */
	{
		const char *rel = dir;
		size_t rl = strlen(debug_root);

		if (rl && !strncmp(dir, debug_root, rl))
			rel = dir + rl;
		snprintf(cand, sizeof(cand), "%s/usr/lib/debug%s/%s", debug_root, rel, link);
		if (!open_elf(cand, df))
			goto found;
	}
	return -ENOENT;
found:
	snprintf(o->debug_file, sizeof(o->debug_file), "%s", cand);
	return 0;
}

/* Segments, build-id and symbols of an open ELF; path and debug_root find debug files (path may be NULL). */
static int load_from(Elf *e, const char *path, const char *debug_root, struct elf_object *o)
{
	struct elf_file df = { -1, NULL };
	GElf_Ehdr eh;
	size_t nph;
	int err = 0;

	if (!gelf_getehdr(e, &eh) || elf_getphdrnum(e, &nph))
		return -ENOEXEC;
	o->et_dyn = eh.e_type == ET_DYN;
	for (size_t i = 0; i < nph && o->nloads < ELF_MAX_LOADS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		o->loads[o->nloads++] = (struct elf_load){ ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz };
	}
	read_build_id(e, o->build_id, sizeof(o->build_id));

	if (has_symtab(e)) {
		err = read_symbols(e, SHT_SYMTAB, &o->syms);
	} else if (path && !open_debug_file(e, path, debug_root ? debug_root : "", o, &df)) {
		o->from_debug_file = 1;
		err = read_symbols(df.e, SHT_SYMTAB, &o->syms);
	}
	if (err >= 0)
		err = read_symbols(e, SHT_DYNSYM, &o->syms);
	if (err >= 0)
		err = add_plt(e, &o->syms);
	if (err >= 0) {
		symtab_finish(&o->syms);
		err = 0;
	}
	close_elf(&df);
	return err;
}

int elf_object_load(const char *path, const char *debug_root, struct elf_object *o)
{
	struct elf_file f = { -1, NULL };
	int err;

	memset(o, 0, sizeof(*o));
	symtab_init(&o->syms);
	err = libelf_ready();
	if (err)
		return err;
	err = open_elf(path, &f);
	if (err)
		return err;
	err = load_from(f.e, path, debug_root, o);
	close_elf(&f);
	if (err)
		elf_object_free(o);
	return err;
}

int elf_object_load_image(const void *image, size_t len, struct elf_object *o)
{
	Elf *e;
	int err;

	memset(o, 0, sizeof(*o));
	symtab_init(&o->syms);
	err = libelf_ready();
	if (err)
		return err;
	/* libelf does not write through a read-only ELF_C_READ descriptor. */
	e = elf_memory((char *)(uintptr_t)image, len);
	if (!e)
		return -ENOEXEC;
	err = elf_kind(e) == ELF_K_ELF ? load_from(e, NULL, NULL, o) : -ENOEXEC;
	elf_end(e);
	if (err)
		elf_object_free(o);
	return err;
}

void elf_object_free(struct elf_object *o)
{
	symtab_free(&o->syms);
}

int elf_object_vaddr(const struct elf_object *o, uint64_t off, uint64_t *vaddr)
{
	for (int i = 0; i < o->nloads; i++) {
		const struct elf_load *l = &o->loads[i];

		if (off >= l->offset && off < l->offset + (l->memsz > l->filesz ? l->memsz : l->filesz)) {
			*vaddr = off - l->offset + l->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}
