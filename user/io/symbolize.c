// SPDX-License-Identifier: GPL-2.0-only
#include "io/symbolize.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/maps.h"
#include "core/parse.h"
#include "io/elf.h"
#include "io/targetfile.h"

/* An unsized symbol covers at most this much past its start. */
#define USER_MAX_GAP   (64u << 10)
#define KERNEL_MAX_GAP (1u << 20)

/*
 * procfs files are read whole, up to these sizes. A process has at most
 * vm.max_map_count mappings (65530 by default), each line at most a path
 * and a few numbers; its status file is a page or two.
 */
#define MAPS_MAX     (64u << 20)
#define STATUS_MAX   (64u << 10)
#define KALLSYMS_MAX (256u << 20)

/* Hash buckets (a power of two) of the objects, by inode, and of the processes, by pid. */
#define BUCKETS_LOG2 10
#define BUCKETS      (1u << BUCKETS_LOG2)

/* The root folder a process sees: objects from different roots are kept apart. */
struct root_id {
	uint64_t dev, ino;
};

struct object {
	uint64_t dev, inode;	/* as /proc/PID/maps gives them */
	struct root_id root;
	char *path;
	int ok;			/* loaded; otherwise frames print as module+0xoff */
	int refs;		/* process snapshots mapping it, objects sharing its table */
	struct object *same;	/* an object read from the same files: its table is used */
	struct elf_object elf;
	struct object *next;	/* in its bucket */
};

struct proc {
	pid_t pid;
	struct maps maps;
	struct object **objs;	/* per maps entry: NULL unless an executable file */
	struct symtab perfmap;	/* /tmp/perf-PID.map, if any */
	struct proc *next;	/* in its bucket */
};

struct symbolizer {
	struct object *objects[BUCKETS];
	struct object *vdso;	/* the kernel's vDSO image, the same in every 64-bit process */
	struct proc *procs[BUCKETS];
	struct symtab kernel;
	int kernel_loaded;	/* 1 ok, -1 failed */
	struct symbolizer_stats stats;
};

static size_t bucket(uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> (64 - BUCKETS_LOG2));
}

static void proc_free(struct symbolizer *s, struct proc *p);

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (s)
		symtab_init(&s->kernel);
	return s;
}

static void object_free(struct object *o)
{
	if (o->ok)
		elf_object_free(&o->elf);
	free(o->path);
	free(o);
}

/* Drops one reference to o; the last one frees it. */
static void object_put(struct symbolizer *s, struct object *o)
{
	struct object **pp;

	if (!o || o == s->vdso || --o->refs > 0)
		return;
	for (pp = &s->objects[bucket(o->inode)]; *pp; pp = &(*pp)->next) {
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	}
	object_put(s, o->same);
	object_free(o);
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < BUCKETS; i++) {
		while (s->procs[i]) {
			struct proc *p = s->procs[i];

			s->procs[i] = p->next;
			proc_free(s, p);
		}
	}
	/* Every reference is a snapshot's, and they are gone: nothing is left but by mistake. */
	for (size_t i = 0; i < BUCKETS; i++) {
		while (s->objects[i]) {
			struct object *o = s->objects[i];

			s->objects[i] = o->next;
			object_free(o);
		}
	}
	if (s->vdso)
		object_free(s->vdso);
	symtab_free(&s->kernel);
	free(s);
}

/*
 * The vDSO, read from our own address space: every 64-bit process on this
 * kernel maps the same image, and this saves reading /proc/PID/mem.
 */
static struct object *vdso_object(struct symbolizer *s)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	struct object *o;

	if (s->vdso)
		return s->vdso;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->path = strdup("[vdso]");
	if (eh && !memcmp(eh->e_ident, ELFMAG, SELFMAG) && eh->e_ident[EI_CLASS] == ELFCLASS64)
		o->ok = !elf_object_load_image(eh, eh->e_shoff + (size_t)eh->e_shnum * eh->e_shentsize, &o->elf);
	s->vdso = o;
	return o;
}

/* Reads a whole procfs file (st_size is 0 there: read until EOF), at most max bytes. */
static int read_proc_file(const char *path, size_t max, char **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	int err;

	if (fd < 0)
		return -errno;
	err = targetfile_read(fd, max, out, len);
	close(fd);
	return err;
}

static struct object *find_object(struct symbolizer *s, const struct map_entry *e,
				  const struct root_id *root)
{
	uint64_t dev = (uint64_t)e->dev_major << 32 | e->dev_minor;

	for (struct object *o = s->objects[bucket(e->inode)]; o; o = o->next)
		if (o->inode == e->inode && o->dev == dev && o->root.dev == root->dev &&
		    o->root.ino == root->ino && !strcmp(o->path, e->path))
			return o;
	return NULL;
}

static int same_file(const struct elf_file_id *a, const struct elf_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime_ns == b->mtime_ns;
}

/* A file targetfile_open refused for what it is, not for being missing. */
static int refused(int err)
{
	return err == -ELOOP || err == -EISDIR || err == -EINVAL || err == -EFBIG;
}

/*
 * Opens the file e maps: by its path inside the process's root while that
 * path holds the mapped inode, else through /proc/PID/map_files/ (a file
 * deleted or replaced since). *debug_path is the path its debug file is
 * looked for beside, NULL when the path no longer holds it. fd or -errno.
 */
static int open_mapped(struct symbolizer *s, pid_t pid, int root_fd, const struct map_entry *e,
		       struct stat *st, const char **debug_path)
{
	char link[96];
	size_t plen = strlen(e->path);
	int fd;

	*debug_path = NULL;
	/* A replaced file shows as "path (deleted)"; the path no longer holds it. */
	if (root_fd >= 0 && !(plen > 10 && !strcmp(e->path + plen - 10, " (deleted)"))) {
		fd = targetfile_open(root_fd, e->path, TARGETFILE_ELF_MAX, 0, st);
		if (fd >= 0 && st->st_ino == e->inode) {
			*debug_path = e->path;
			return fd;
		}
		if (fd >= 0)
			close(fd);
		else if (refused(fd))
			s->stats.files_refused++;
	}
	snprintf(link, sizeof(link), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, e->start,
		 e->end);
	fd = targetfile_open_link(link, TARGETFILE_ELF_MAX, st);
	if (refused(fd))
		s->stats.files_refused++;
	return fd;
}

/* The object e maps, loaded or found again, with a reference for the caller; NULL without memory. */
static struct object *load_object(struct symbolizer *s, pid_t pid, int root_fd,
				  const struct root_id *root, const struct map_entry *e)
{
	struct object *o = find_object(s, e, root);
	const char *debug_path;
	struct stat st;
	int fd, err;

	if (o) {
		o->refs++;
		return o;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->dev = (uint64_t)e->dev_major << 32 | e->dev_minor;
	o->inode = e->inode;
	o->root = *root;
	o->refs = 1;
	o->path = strdup(e->path);
	if (!o->path) {
		free(o);
		return NULL;
	}
	fd = open_mapped(s, pid, root_fd, e, &st, &debug_path);
	err = fd;
	if (fd >= 0) {
		err = elf_object_load_fd(fd, &st, root_fd, debug_path, &o->elf);
		close(fd);
	}
	o->ok = !err;
	if (o->ok) {
		s->stats.sections_refused += o->elf.sections_refused;
		s->stats.files_refused += o->elf.files_refused;
		/*
		 * The same files seen through another path or root: keep one table.
		 * Only the same files: a build-id is whatever the file's owner wrote.
		 */
		for (struct object *x = s->objects[bucket(o->inode)]; x; x = x->next) {
			if (x->ok && !x->same && same_file(&x->elf.file, &o->elf.file) &&
			    same_file(&x->elf.debug, &o->elf.debug)) {
				symtab_free(&o->elf.syms);
				o->same = x;
				x->refs++;
				break;
			}
		}
	}
	if (o->ok)
		s->stats.objects++;
	else
		s->stats.objects_failed++;
	o->next = s->objects[bucket(o->inode)];
	s->objects[bucket(o->inode)] = o;
	return o;
}

static struct proc *find_proc(struct symbolizer *s, pid_t pid)
{
	for (struct proc *p = s->procs[bucket((uint64_t)pid)]; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

/*
 * 1 if uid is one of process pid's (real, effective, saved, file-system),
 * from its status file; 0 if not, or if that cannot be read.
 */
static int process_has_uid(pid_t pid, uid_t uid)
{
	char path[64], *text, *line, *tok, *save;
	size_t len;
	int has = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_proc_file(path, STATUS_MAX, &text, &len))
		return 0;
	line = strstr(text, "\nUid:");
	if (line) {
		line[strcspn(line + 1, "\n") + 1] = '\0';
		strtok_r(line + 1, " \t", &save);	/* "Uid:" */
		while ((tok = strtok_r(NULL, " \t", &save))) {
			long long v;

			if (!parse_int(tok, 0, UINT32_MAX, &v) && (uid_t)v == uid)
				has = 1;
		}
	}
	free(text);
	return has;
}

/*
 * Reads /tmp/perf-PID.map in the process's root. Anyone may create a file
 * in /tmp: only one owned by root or by one of the process's own users is
 * the process's map.
 */
static void load_perfmap(struct symbolizer *s, struct proc *p, int root_fd)
{
	char path[64], *text;
	struct stat st;
	size_t len;
	int fd;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)p->pid);
	fd = targetfile_open(root_fd, path, TARGETFILE_PERFMAP_MAX, 0, &st);
	if (fd < 0) {
		if (refused(fd))
			s->stats.files_refused++;
		return;
	}
	if (st.st_uid != 0 && !process_has_uid(p->pid, st.st_uid)) {
		s->stats.files_refused++;
		close(fd);
		return;
	}
	if (targetfile_read(fd, TARGETFILE_PERFMAP_MAX, &text, &len)) {
		s->stats.files_refused++;
		close(fd);
		return;
	}
	close(fd);
	perfmap_parse(text, len, &p->perfmap, NULL);
	symtab_finish(&p->perfmap);
	free(text);
}

static void proc_free(struct symbolizer *s, struct proc *p)
{
	for (size_t i = 0; p->objs && i < p->maps.n; i++)
		object_put(s, p->objs[i]);
	maps_free(&p->maps);
	free(p->objs);
	symtab_free(&p->perfmap);
	free(p);
}

/* Reads pid's maps and loads its objects into a new proc. 0 or -errno. */
static int snapshot(struct symbolizer *s, pid_t pid, struct proc **out)
{
	char path[64];
	struct root_id root = { 0, 0 };
	struct stat rst;
	struct proc *p;
	char *text;
	size_t len, bad, n;
	int err, root_fd, any_anon_exec = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	err = read_proc_file(path, MAPS_MAX, &text, &len);
	if (err)
		return err;
	/* A zombie's maps are empty: nothing to learn from them. */
	if (!len) {
		free(text);
		return -ESRCH;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		free(text);
		return -ENOMEM;
	}
	p->pid = pid;
	symtab_init(&p->perfmap);
	err = maps_parse(text, len, &p->maps, &bad);
	free(text);
	if (err < 0)
		goto fail;
	n = p->maps.n;
	p->objs = calloc(n ? n : 1, sizeof(*p->objs));
	if (!p->objs) {
		err = -ENOMEM;
		goto fail;
	}
	/* Without its root (the process is gone), objects still open through map_files. */
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	root_fd = targetfile_open_root(path);
	if (root_fd >= 0 && !fstat(root_fd, &rst))
		root = (struct root_id){ rst.st_dev, rst.st_ino };
	for (size_t i = 0; i < n; i++) {
		const struct map_entry *e = &p->maps.v[i];

		if (!map_is_exec(e))
			continue;
		if (map_is_file(e))
			p->objs[i] = load_object(s, pid, root_fd, &root, e);
		else if (!strcmp(e->path, "[vdso]"))
			p->objs[i] = vdso_object(s);
		else if (!e->path[0])
			any_anon_exec = 1;
	}
	if (any_anon_exec && root_fd >= 0)
		load_perfmap(s, p, root_fd);
	if (root_fd >= 0)
		close(root_fd);
	*out = p;
	return 0;
fail:
	proc_free(s, p);
	return err;
}

int symbolizer_add_process(struct symbolizer *s, pid_t pid)
{
	struct proc *p;
	int err;

	if (find_proc(s, pid))
		return 0;
	err = snapshot(s, pid, &p);
	if (err)
		return err;
	p->next = s->procs[bucket((uint64_t)pid)];
	s->procs[bucket((uint64_t)pid)] = p;
	s->stats.processes++;
	return 0;
}

int symbolizer_refresh_process(struct symbolizer *s, pid_t pid)
{
	struct proc **pp, *fresh;
	int err;

	for (pp = &s->procs[bucket((uint64_t)pid)]; *pp; pp = &(*pp)->next)
		if ((*pp)->pid == pid)
			break;
	if (!*pp)
		return symbolizer_add_process(s, pid);
	err = snapshot(s, pid, &fresh);
	if (err)
		return err;	/* gone: the old snapshot stays */
	fresh->next = (*pp)->next;
	proc_free(s, *pp);
	*pp = fresh;
	return 0;
}

int symbolizer_user(struct symbolizer *s, pid_t pid, uint64_t addr, char *buf, size_t len)
{
	const struct map_entry *e;
	const struct sym *sym;
	struct object *o;
	struct proc *p;
	uint64_t off, vaddr;
	size_t idx;

	s->stats.frames++;
	p = find_proc(s, pid);
	if (!p && !symbolizer_add_process(s, pid))
		p = find_proc(s, pid);
	e = p ? maps_find(&p->maps, addr) : NULL;
	if (!e) {
		if (p && (sym = symtab_lookup(&p->perfmap, addr, 0, &off))) {
			snprintf(buf, len, "%s", sym->name);
			return 1;
		}
		s->stats.unresolved++;
		snprintf(buf, len, "[unknown]+0x%" PRIx64, addr);
		return 0;
	}
	idx = (size_t)(e - p->maps.v);
	o = p->objs[idx];
	if (!o) {
		/* Anonymous executable memory: JIT code, named by its perf map. */
		if ((sym = symtab_lookup(&p->perfmap, addr, 0, &off))) {
			snprintf(buf, len, "%s", sym->name);
			return 1;
		}
		s->stats.unresolved++;
		if (map_is_file(e) || e->path[0] == '[')
			snprintf(buf, len, "%s+0x%" PRIx64, map_basename(e), addr - e->start + e->offset);
		else
			snprintf(buf, len, "[anon]+0x%" PRIx64, addr);
		return 0;
	}
	off = addr - e->start + e->offset;
	if (o->ok && !elf_object_vaddr(&o->elf, off, &vaddr)) {
		const struct symtab *syms = o->same ? &o->same->elf.syms : &o->elf.syms;
		uint64_t within;

		sym = symtab_lookup(syms, vaddr, USER_MAX_GAP, &within);
		if (sym) {
			snprintf(buf, len, "%s", sym->name);
			return 1;
		}
		off = vaddr;
	}
	s->stats.unresolved++;
	snprintf(buf, len, "%s+0x%" PRIx64, map_basename(e), off);
	return 0;
}

int symbolizer_kernel(struct symbolizer *s, uint64_t addr, char *buf, size_t len)
{
	const struct sym *sym;
	uint64_t off;

	s->stats.frames++;
	if (!s->kernel_loaded) {
		char *text;
		size_t n;
		int all_zero = 0;

		s->kernel_loaded = -1;
		if (!read_proc_file("/proc/kallsyms", KALLSYMS_MAX, &text, &n)) {
			if (kallsyms_parse(text, n, &s->kernel, &all_zero) > 0 && !all_zero) {
				symtab_finish(&s->kernel);
				s->kernel_loaded = 1;
			}
			free(text);
		}
	}
	if (s->kernel_loaded > 0 && (sym = symtab_lookup(&s->kernel, addr, KERNEL_MAX_GAP, &off))) {
		snprintf(buf, len, "%s_[k]", sym->name);
		return 1;
	}
	s->stats.unresolved++;
	snprintf(buf, len, "[kernel]+0x%" PRIx64 "_[k]", addr);
	return 0;
}

void symbolizer_stats(const struct symbolizer *s, struct symbolizer_stats *out)
{
	*out = s->stats;
}
