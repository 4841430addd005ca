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
#include "io/elf.h"

/* An unsized symbol covers at most this much past its start. */
#define USER_MAX_GAP   (64u << 10)
#define KERNEL_MAX_GAP (1u << 20)

struct object {
	uint64_t dev, inode;
	char *path;
	int ok;			/* loaded; otherwise frames print as module+0xoff */
	struct object *same;	/* an earlier object with this build-id: its table is used */
	struct elf_object elf;
	struct object *next;
};

struct proc {
	pid_t pid;
	struct maps maps;
	struct object **objs;	/* per maps entry: NULL unless an executable file */
	struct symtab perfmap;	/* /tmp/perf-PID.map, if any */
	struct proc *next;
};

struct symbolizer {
	struct object *objects;
	struct object *vdso;	/* the kernel's vDSO image, the same in every 64-bit process */
	struct proc *procs;
	struct symtab kernel;
	int kernel_loaded;	/* 1 ok, -1 failed */
	struct symbolizer_stats stats;
};

static void proc_free(struct proc *p);

struct symbolizer *symbolizer_new(void)
{
	struct symbolizer *s = calloc(1, sizeof(*s));

	if (s)
		symtab_init(&s->kernel);
	return s;
}

void symbolizer_free(struct symbolizer *s)
{
	if (!s)
		return;
	while (s->procs) {
		struct proc *p = s->procs;

		s->procs = p->next;
		proc_free(p);
	}
	while (s->objects) {
		struct object *o = s->objects;

		s->objects = o->next;
		if (o->ok)
			elf_object_free(&o->elf);
		free(o->path);
		free(o);
	}
	if (s->vdso) {
		if (s->vdso->ok)
			elf_object_free(&s->vdso->elf);
		free(s->vdso->path);
		free(s->vdso);
	}
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

/* Reads a whole (proc) file; st_size is 0 there, so read until EOF. */
static int read_file(const char *path, char **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	int fd, err = 0;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		free(buf);
		return err;
	}
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static struct object *find_object(struct symbolizer *s, const struct map_entry *e)
{
	for (struct object *o = s->objects; o; o = o->next)
		if (o->inode == e->inode && o->dev == ((uint64_t)e->dev_major << 32 | e->dev_minor) &&
		    !strcmp(o->path, e->path))
			return o;
	return NULL;
}

static struct object *load_object(struct symbolizer *s, pid_t pid, const struct map_entry *e)
{
	char path[4096], root[64];
	struct object *o = find_object(s, e);
	size_t plen;
	int err;

	if (o)
		return o;
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->dev = (uint64_t)e->dev_major << 32 | e->dev_minor;
	o->inode = e->inode;
	o->path = strdup(e->path);
	if (!o->path) {
		free(o);
		return NULL;
	}
	snprintf(root, sizeof(root), "/proc/%d/root", (int)pid);
	/* A replaced file shows as "path (deleted)"; the path no longer holds it. */
	plen = strlen(e->path);
	if (plen > 10 && !strcmp(e->path + plen - 10, " (deleted)"))
		err = -ENOENT;
	else {
		snprintf(path, sizeof(path), "%s%s", root, e->path);
		err = elf_object_load(path, root, &o->elf);
	}
	if (err) {
		snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, e->start, e->end);
		err = elf_object_load(path, root, &o->elf);
	}
	o->ok = !err;
	if (o->ok && o->elf.build_id[0]) {
		/* The same file seen through another path or container: keep one table. */
		for (struct object *x = s->objects; x; x = x->next) {
			if (x->ok && !x->same && !strcmp(x->elf.build_id, o->elf.build_id)) {
				symtab_free(&o->elf.syms);
				o->same = x;
				break;
			}
		}
	}
	if (o->ok)
		s->stats.objects++;
	else
		s->stats.objects_failed++;
	o->next = s->objects;
	s->objects = o;
	return o;
}

static struct proc *find_proc(struct symbolizer *s, pid_t pid)
{
	for (struct proc *p = s->procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

static void load_perfmap(struct proc *p)
{
	char path[64];
	char *text;
	size_t len;

	snprintf(path, sizeof(path), "/tmp/perf-%d.map", (int)p->pid);
	if (read_file(path, &text, &len)) {
		snprintf(path, sizeof(path), "/proc/%d/root/tmp/perf-%d.map", (int)p->pid, (int)p->pid);
		if (read_file(path, &text, &len))
			return;
	}
	perfmap_parse(text, len, &p->perfmap, NULL);
	symtab_finish(&p->perfmap);
	free(text);
}

static void proc_free(struct proc *p)
{
	maps_free(&p->maps);
	free(p->objs);
	symtab_free(&p->perfmap);
	free(p);
}

/* Reads pid's maps and loads its objects into a new proc. 0 or -errno. */
static int snapshot(struct symbolizer *s, pid_t pid, struct proc **out)
{
	char path[64];
	struct proc *p;
	char *text;
	size_t len, bad;
	int err, any_anon_exec = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	err = read_file(path, &text, &len);
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
	p->objs = calloc(p->maps.n ? p->maps.n : 1, sizeof(*p->objs));
	if (!p->objs) {
		err = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < p->maps.n; i++) {
		const struct map_entry *e = &p->maps.v[i];

		if (!map_is_exec(e))
			continue;
		if (map_is_file(e))
			p->objs[i] = load_object(s, pid, e);
		else if (!strcmp(e->path, "[vdso]"))
			p->objs[i] = vdso_object(s);
		else if (!e->path[0])
			any_anon_exec = 1;
	}
	if (any_anon_exec)
		load_perfmap(p);
	*out = p;
	return 0;
fail:
	proc_free(p);
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
	p->next = s->procs;
	s->procs = p;
	s->stats.processes++;
	return 0;
}

int symbolizer_refresh_process(struct symbolizer *s, pid_t pid)
{
	struct proc **pp, *fresh;
	int err;

	for (pp = &s->procs; *pp; pp = &(*pp)->next)
		if ((*pp)->pid == pid)
			break;
	if (!*pp)
		return symbolizer_add_process(s, pid);
	err = snapshot(s, pid, &fresh);
	if (err)
		return err;	/* gone: the old snapshot stays */
	fresh->next = (*pp)->next;
	proc_free(*pp);
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
		if (!read_file("/proc/kallsyms", &text, &n)) {
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
