// SPDX-License-Identifier: GPL-2.0-only
#include "io/elf.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/targetfile.h"

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

/*
 * Section data, inflated first when the section is SHF_COMPRESSED. NULL when
 * it cannot be read, or would inflate past the limits (elf.h): then it is
 * counted in o->sections_refused.
 */
static Elf_Data *section_data(Elf_Scn *scn, struct elf_object *o)
{
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
		return NULL;
	if (sh.sh_flags & SHF_COMPRESSED) {
		GElf_Chdr ch;

		/* The header alone is read: nothing is inflated yet. */
		if (!gelf_getchdr(scn, &ch))
			return NULL;
		if (ch.ch_size > ELF_SECTION_MAX || ch.ch_size / ELF_INFLATE_RATIO > sh.sh_size) {
			o->sections_refused++;
			return NULL;
		}
		if (elf_compress(scn, 0, 0) < 0)
			return NULL;
	}
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

		/* A compressed note would read as garbage: no tool writes one. */
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE || (sh.sh_flags & SHF_COMPRESSED))
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

/*
 * Adds the function symbols of every section of type (SHT_SYMTAB or
 * SHT_DYNSYM) of e to o's table. Returns the count or -ENOMEM.
 */
static int read_symbols(Elf *e, Elf64_Word type, struct elf_object *o)
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
		if (!section_data(elf_getscn(e, sh.sh_link), o))
			continue;
		d = section_data(scn, o);
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
			if (symtab_add(&o->syms, s.st_value, s.st_size, name, strlen(name)))
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

static void file_id(const struct stat *st, struct elf_file_id *id)
{
	*id = (struct elf_file_id){
		.dev = st->st_dev, .ino = st->st_ino, .size = (uint64_t)st->st_size,
		.mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec,
	};
}

/*
 * Starts libelf on fd, opened within the size limit. libelf sizes what it
 * reads by its own fstat: a file grown past the limit since is refused.
 * 0 or -ENOEXEC, -EFBIG.
 */
static int begin_elf(int fd, Elf **out)
{
	struct stat now;
	Elf *e;

	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		if (e)
			elf_end(e);
		return -ENOEXEC;
	}
	if (fstat(fd, &now) || (uint64_t)now.st_size > TARGETFILE_ELF_MAX) {
		elf_end(e);
		return -EFBIG;
	}
	*out = e;
	return 0;
}

/*
 * Opens path inside root_fd as an ELF file (targetfile_open flags), its id
 * into *id. 0, -ENOEXEC, or -errno as targetfile_open.
 */
static int open_elf(int root_fd, const char *path, unsigned flags, struct elf_file *f,
		    struct elf_file_id *id)
{
	struct stat st;
	int err;

	f->e = NULL;
	f->fd = targetfile_open(root_fd, path, TARGETFILE_ELF_MAX, flags, &st);
	if (f->fd < 0)
		return f->fd;
	err = begin_elf(f->fd, &f->e);
	if (err) {
		close(f->fd);
		f->fd = -1;
		return err;
	}
	file_id(&st, id);
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

/* Formats a path into a PATH_MAX buffer. 0, or -ENAMETOOLONG when it does not fit. */
__attribute__((format(printf, 2, 3)))
static int format_path(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, PATH_MAX, fmt, ap);
	va_end(ap);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Tries one candidate debug file: 0 when it opened as ELF. Refused files are counted. */
static int try_debug_file(int root_fd, const char *cand, unsigned flags, struct elf_object *o,
			  struct elf_file *df)
{
	int err = open_elf(root_fd, cand, flags, df, &o->debug);

	if (err == -ELOOP || err == -EISDIR || err == -EINVAL || err == -EFBIG)
		o->files_refused++;
	return err;
}

/*
 * The name a .gnu_debuglink section gives, or NULL. It names a file beside
 * the object: a '/', "." or ".." would lead elsewhere, and is refused.
 */
static const char *debuglink_name(Elf *e, struct elf_object *o)
{
	Elf_Scn *scn = find_section(e, ".gnu_debuglink", NULL);
	Elf_Data *d = scn ? section_data(scn, o) : NULL;
	const char *name;

	if (!d || !d->d_size || !memchr(d->d_buf, '\0', d->d_size))
		return NULL;
	name = d->d_buf;
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return NULL;
	return name;
}

/*
 * Opens a debug file for o, inside root_fd: by build-id, then by
 * .gnu_debuglink beside path (absolute inside the root; NULL: by build-id
 * only). 0 or -ENOENT.
 */
static int open_debug_file(Elf *e, int root_fd, const char *path, struct elf_object *o,
			   struct elf_file *df)
{
	char cand[PATH_MAX], dir[PATH_MAX];
	const char *link, *slash;

	/*
	 * The build-id folder is the root's own (distributions link .build-id
	 * entries to the debug files), so a symlink is followed there.
	 */
	if (o->build_id[0] && strlen(o->build_id) > 2 &&
	    !format_path(cand, "/usr/lib/debug/.build-id/%.2s/%s.debug", o->build_id, o->build_id + 2) &&
	    !try_debug_file(root_fd, cand, TARGETFILE_FOLLOW, o, df))
		goto found;
	link = path ? debuglink_name(e, o) : NULL;
	if (!link)
		return -ENOENT;
	slash = strrchr(path, '/');
	if (!slash || format_path(dir, "%.*s", (int)(slash - path), path))
		return -ENOENT;
	if (!format_path(cand, "%s/%s", dir, link) && strcmp(cand, path) &&
	    !try_debug_file(root_fd, cand, 0, o, df))
		goto found;
	if (!format_path(cand, "%s/.debug/%s", dir, link) && !try_debug_file(root_fd, cand, 0, o, df))
		goto found;
	/* The global folder mirrors the object's own path. */
	if (!format_path(cand, "/usr/lib/debug%s/%s", dir, link) &&
	    !try_debug_file(root_fd, cand, 0, o, df))
		goto found;
	return -ENOENT;
found:
	memcpy(o->debug_file, cand, strlen(cand) + 1);
	return 0;
}

/*
 * Segments, build-id and symbols of an open ELF; root_fd and path (inside
 * it) find debug files (root_fd -1: none is looked for).
 */
static int load_from(Elf *e, int root_fd, const char *path, struct elf_object *o)
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
		err = read_symbols(e, SHT_SYMTAB, o);
	} else if (root_fd >= 0 && !open_debug_file(e, root_fd, path, o, &df)) {
		o->from_debug_file = 1;
		err = read_symbols(df.e, SHT_SYMTAB, o);
	}
	if (err >= 0)
		err = read_symbols(e, SHT_DYNSYM, o);
	if (err >= 0)
		err = add_plt(e, &o->syms);
	if (err >= 0) {
		symtab_finish(&o->syms);
		err = 0;
	}
	close_elf(&df);
	return err;
}

static int object_init(struct elf_object *o)
{
	memset(o, 0, sizeof(*o));
	symtab_init(&o->syms);
	return libelf_ready();
}

int elf_object_load_fd(int fd, const struct stat *st, int root_fd, const char *path,
		       struct elf_object *o)
{
	Elf *e;
	int err;

	err = object_init(o);
	if (err)
		return err;
	err = begin_elf(fd, &e);
	if (err)
		return err;
	file_id(st, &o->file);
	err = load_from(e, root_fd, path, o);
	elf_end(e);
	if (err)
		elf_object_free(o);
	return err;
}

int elf_object_load(int root_fd, const char *path, struct elf_object *o)
{
	struct stat st;
	int fd, err;

	err = object_init(o);
	if (err)
		return err;
	fd = targetfile_open(root_fd, path, TARGETFILE_ELF_MAX, 0, &st);
	if (fd < 0)
		return fd;
	err = elf_object_load_fd(fd, &st, root_fd, path, o);
	close(fd);
	return err;
}

int elf_object_load_image(const void *image, size_t len, struct elf_object *o)
{
	Elf *e;
	int err;

	err = object_init(o);
	if (err)
		return err;
	/* libelf does not write through a read-only ELF_C_READ descriptor. */
	e = elf_memory((char *)(uintptr_t)image, len);
	if (!e)
		return -ENOEXEC;
	err = elf_kind(e) == ELF_K_ELF ? load_from(e, -1, NULL, o) : -ENOEXEC;
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
