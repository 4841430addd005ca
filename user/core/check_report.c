// SPDX-License-Identifier: GPL-2.0-only
#include "core/check_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/tracer_plan.h"

static const char *const mode_names[CHECK_MODE__MAX] = {
	[CHECK_MODE_TRACE] = "trace",
	[CHECK_MODE_READS] = "trace of a shared socket",
	[CHECK_MODE_SCHED] = "--sched",
	[CHECK_MODE_FLAME] = "flame --off-cpu",
};

/* The same, as JSON keys. */
static const char *const mode_keys[CHECK_MODE__MAX] = {
	[CHECK_MODE_TRACE] = "trace",
	[CHECK_MODE_READS] = "trace_shared_socket",
	[CHECK_MODE_SCHED] = "sched",
	[CHECK_MODE_FLAME] = "flame_off_cpu",
};

static struct check_row *add(struct check_report *r, const char *name, int required,
			     enum check_status status)
{
	struct check_row *row;

	if (r->nrows == CHECK_MAX_ROWS)
		return NULL;
	row = &r->rows[r->nrows++];
	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s", name);
	row->required = required;
	row->status = status;
	return row;
}

static void detail(struct check_row *row, const char *fmt, ...)
{
	va_list ap;

	if (!row)
		return;
	va_start(ap, fmt);
	vsnprintf(row->detail, sizeof(row->detail), fmt, ap);
	va_end(ap);
}

static void remedy(struct check_row *row, const char *fmt, ...)
{
	va_list ap;

	if (!row)
		return;
	va_start(ap, fmt);
	vsnprintf(row->remedy, sizeof(row->remedy), fmt, ap);
	va_end(ap);
}

static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *s = list; (s = strstr(s, word)); s += n)
		if ((s == list || s[-1] == ',' || s[-1] == ' ') && (s[n] == '\0' || s[n] == ',' || s[n] == ' '))
			return 1;
	return 0;
}

static void build_privilege(const struct check_probe *p, struct check_report *r)
{
	struct check_row *row;

	if (p->euid == 0) {
		row = add(r, "privileges", 1, CHECK_OK);
		detail(row, "running as root");
	} else if (p->has_bpf_caps) {
		row = add(r, "privileges", 1, CHECK_OK);
		detail(row, "uid %d with CAP_BPF and CAP_PERFMON", p->euid);
	} else {
		row = add(r, "privileges", 1, CHECK_MISSING);
		detail(row, "uid %d without CAP_BPF/CAP_PERFMON%s", p->euid,
		       p->unprivileged_bpf_disabled > 0 ? " (unprivileged BPF is disabled)" : "");
		remedy(row, "run as root: sudo latgov ... (or grant CAP_BPF,CAP_PERFMON,CAP_SYS_RESOURCE)");
	}
}

static void build_kernel(const struct check_probe *p, struct check_report *r)
{
	struct check_row *row;
	int root = p->euid == 0 || p->has_bpf_caps;

	row = add(r, "bpf() syscall", 1, p->bpf_err ? CHECK_MISSING : CHECK_OK);
	if (p->bpf_err) {
		detail(row, "loading a trivial program failed (error %d)", p->bpf_err);
		remedy(row, root ? "use a kernel built with CONFIG_BPF_SYSCALL=y"
				 : "run as root: sudo latgov check");
	} else {
		detail(row, "programs load (kernel %s)", p->kernel);
	}

	row = add(r, "BTF", 1, p->btf_err ? CHECK_MISSING : CHECK_OK);
	if (p->btf_err) {
		detail(row, "/sys/kernel/btf/vmlinux is missing or unreadable (error %d)", p->btf_err);
		remedy(row, "use a kernel built with CONFIG_DEBUG_INFO_BTF=y (most distribution kernels are)");
	} else {
		detail(row, "/sys/kernel/btf/vmlinux loads: CO-RE works");
	}

	row = add(r, "ring buffer map", 1, p->ringbuf_err ? CHECK_MISSING : CHECK_OK);
	if (p->ringbuf_err) {
		detail(row, "BPF_MAP_TYPE_RINGBUF did not load (error %d)", p->ringbuf_err);
		remedy(row, "latgov needs kernel 5.8 or newer");
	} else {
		detail(row, "loads, and programs reserve/submit into it");
	}

	row = add(r, "tracefs", 1, p->tracefs ? CHECK_OK : CHECK_MISSING);
	if (p->tracefs) {
		detail(row, "mounted at %s", p->tracefs);
	} else {
		detail(row, "not mounted: tracepoints cannot be attached");
		remedy(row, "mount -t tracefs nodev /sys/kernel/tracing");
	}

	row = add(r, "perf_event programs", 0, p->perf_err ? CHECK_DEGRADED : CHECK_OK);
	if (p->perf_err) {
		detail(row, "CPU-clock sampling with stacks failed (error %d): no on-CPU flame graphs", p->perf_err);
		remedy(row, "check kernel.perf_event_paranoid and CONFIG_PERF_EVENTS; tracing still works");
	} else {
		detail(row, "CPU-clock sampling with kernel and user stacks works");
	}
}

/* What a hook's loss costs, and what brings it back. */
static void hook_loss(enum tracer_hook_kind kind, const char **lost, const char **fix)
{
	switch (kind) {
	case HOOK_ALWAYS:
		*lost = "latgov cannot trace requests";
		*fix = "latgov needs this tracepoint: mount tracefs and use kernel 5.8+";
		return;
	case HOOK_SOCK_RECV:
	case HOOK_SOCK_SEND:
	case HOOK_SENDMSG:
		*lost = "requests are not seen in this mode";
		*fix = "a kernel with BTF for this tracepoint restores it";
		return;
	case HOOK_PROBE_DYNPTR:
	case HOOK_PROBE_LINEAR:
		*lost = "no arrival times or request bytes";
		*fix = "a kernel with BTF for this tracepoint (5.5+) restores it";
		return;
	case HOOK_SCHED:
		*lost = "no scheduler attribution (--sched, flame)";
		*fix = "task-local storage in tracing programs needs kernel 5.11+";
		return;
	case HOOK_OFFCPU:
		*lost = "flame --off-cpu does not load; flame without it works";
		*fix = "kernel 5.8 or newer has task iterators";
		return;
	case HOOK_SYSCALL:
		*lost = "the syscall fallback does not load";
		*fix = "enable CONFIG_FTRACE_SYSCALLS";
		return;
	}
	*lost = *fix = "";
}

/* The modes whose plan loads hook i, as a bit mask; the first error any of them met alone. */
static unsigned int hook_modes(const struct check_probe *p, size_t i, int *err)
{
	unsigned int modes = 0;

	*err = 0;
	for (int m = 0; m < CHECK_MODE__MAX; m++) {
		const struct check_tracer *t = &p->tracer[m];

		if (i >= 64 || !((t->load >> i) & 1))
			continue;
		modes |= 1u << m;
		if (t->err && t->hook_err[i] && !*err)
			*err = t->hook_err[i];
	}
	return modes;
}

static void list_modes(char *buf, size_t len, unsigned int modes)
{
	size_t n = 0;

	buf[0] = '\0';
	for (int m = 0; m < CHECK_MODE__MAX; m++)
		if (modes >> m & 1)
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "",
					      mode_names[m]);
}

/*
 * One row per hook that some mode's plan loads (the syscall fallback's share
 * one): ok, or what its loss costs. A hook plain trace needs is required.
 */
static void build_hook_rows(const struct check_probe *p, struct check_report *r)
{
	unsigned int sys_modes = 0;
	size_t sys_total = 0, sys_bad = 0;
	int sys_err = 0;

	for (size_t i = 0; i < tracer_nhooks; i++) {
		const struct tracer_hook *h = &tracer_hooks[i];
		unsigned int modes;
		const char *lost, *fix;
		struct check_row *row;
		char used[96];
		int err, required;

		modes = hook_modes(p, i, &err);
		if (!modes)
			continue;	/* no mode uses it on this kernel */
		if (h->kind == HOOK_SYSCALL) {
			sys_modes |= modes;
			sys_total++;
			sys_bad += err != 0;
			if (err && !sys_err)
				sys_err = err;
			continue;
		}
		required = modes & (1u << CHECK_MODE_TRACE);
		list_modes(used, sizeof(used), modes);
		row = add(r, h->hook, required, err ? (required ? CHECK_MISSING : CHECK_DEGRADED) : CHECK_OK);
		if (!err) {
			detail(row, "attaches (used by %s)", used);
			continue;
		}
		hook_loss(h->kind, &lost, &fix);
		detail(row, "cannot load or attach (error %d): %s", err, lost);
		remedy(row, "%s", fix);
	}
	if (sys_total) {
		struct check_row *row;
		int required = sys_modes & (1u << CHECK_MODE_TRACE);

		row = add(r, "syscall tracepoints", required,
			  sys_bad ? (required ? CHECK_MISSING : CHECK_DEGRADED) : CHECK_OK);
		if (sys_bad) {
			detail(row, "%zu of %zu cannot load or attach (error %d)", sys_bad, sys_total, sys_err);
			remedy(row, "enable CONFIG_FTRACE_SYSCALLS");
		} else {
			detail(row, "all %zu attach (the fallback carries the requests)", sys_total);
		}
	}
}

/* 1 if mode's plan loads the program named prog. */
static int plan_loads(const struct check_tracer *t, const char *prog)
{
	int i = tracer_hook_index(prog);

	return i >= 0 && (t->load >> i & 1);
}

/* What trace's plan says of this kernel: the older paths it falls back to. */
static void build_plan_rows(const struct check_probe *p, struct check_report *r)
{
	const struct check_tracer *t = &p->tracer[CHECK_MODE_TRACE];
	struct check_row *row;

	if (t->path && !strcmp(t->path, "syscalls")) {
		row = add(r, "socket tracepoints", 0, CHECK_DEGRADED);
		detail(row, "sock:sock_recv_length is missing (kernel < 6.3): the syscall fallback carries the requests, which slows every syscall on the machine");
		remedy(row, "kernel 6.3 or newer has it");
	} else if (plan_loads(t, "lg_sock_send")) {
		row = add(r, "tcp:tcp_sendmsg_locked", 0, CHECK_DEGRADED);
		detail(row, "missing (kernel < 6.16): answers are seen without their bytes (no status codes, no pipelined answers, no stream ends)");
		remedy(row, "kernel 6.16 or newer has it");
	}
	if (plan_loads(t, "lg_tcp_probe_linear")) {
		row = add(r, "tcp:tcp_probe payload", 0, CHECK_DEGRADED);
		detail(row, "read from the skb's linear part only (bpf_dynptr_from_skb in tracing programs is 6.15+): endpoints may show as tcp:PORT");
		remedy(row, "kernel 6.15 or newer reads the whole skb");
	}
}

/* A mode that does not load although each of its hooks does alone (a map, the verifier, tracefs). */
static void build_mode_rows(const struct check_probe *p, struct check_report *r)
{
	for (int m = 0; m < CHECK_MODE__MAX; m++) {
		const struct check_tracer *t = &p->tracer[m];
		struct check_row *row;
		char name[48];
		int any = 0;

		r->mode_ok[m] = !t->err;
		r->mode_load[m] = t->load;
		if (!t->err)
			continue;
		for (size_t i = 0; i < tracer_nhooks && i < 64; i++)
			any |= t->load >> i & 1 && t->hook_err[i];
		if (any)
			continue;	/* its hooks' rows say why */
		snprintf(name, sizeof(name), "tracer for %s", mode_names[m]);
		row = add(r, name, m == CHECK_MODE_TRACE, m == CHECK_MODE_TRACE ? CHECK_MISSING : CHECK_DEGRADED);
		detail(row, "does not load (error %d): %s", t->err, t->msg);
		remedy(row, "LATGOV_DEBUG=1 latgov check prints the verifier's log");
	}
}

static void build_hooks(const struct check_probe *p, struct check_report *r)
{
	const struct check_tracer *t = &p->tracer[CHECK_MODE_TRACE];

	build_hook_rows(p, r);
	build_plan_rows(p, r);
	build_mode_rows(p, r);
	if (t->err || !t->path)
		r->tracer_path = NULL;
	else if (!strcmp(t->path, "arrivals"))
		r->tracer_path = "tcp_probe and tcp_sendmsg_locked (with sock_recv_length under --sched, "
				 "or where another process shares a target's listening socket)";
	else if (!strcmp(t->path, "sock_length"))
		r->tracer_path = "sock_*_length tracepoints";
	else
		r->tracer_path = "syscall tracepoints (fallback)";
}

static void build_cgroups(const struct check_probe *p, struct check_report *r)
{
	int v1_cpu = has_word(p->cgroup_v1, "cpu"), v1_mem = has_word(p->cgroup_v1, "memory");
	int v2 = p->cgroup_v2_path[0] != '\0';
	int v2_cpu = v2 && has_word(p->cgroup_v2, "cpu"), v2_mem = v2 && has_word(p->cgroup_v2, "memory");
	int have_cpu = v1_cpu || v2_cpu, have_mem = v1_mem || v2_mem;
	struct check_row *row;

	if (p->cgroup_v1[0] && v2)
		r->cgroup_mode = "hybrid";
	else if (p->cgroup_v1[0])
		r->cgroup_mode = "v1";
	else if (v2)
		r->cgroup_mode = "v2";
	else
		r->cgroup_mode = "none";

	row = add(r, "cgroups", 0, have_cpu && have_mem ? CHECK_OK : CHECK_DEGRADED);
	if (!strcmp(r->cgroup_mode, "none"))
		detail(row, "no cgroup filesystem mounted");
	else
		detail(row, "%s: cpu on %s, memory on %s%s%s%s", r->cgroup_mode,
		       v2_cpu ? "v2" : v1_cpu ? "v1" : "none", v2_mem ? "v2" : v1_mem ? "v1" : "none",
		       v2 ? " (v2 at " : "", v2 ? p->cgroup_v2_path : "", v2 ? ")" : "");
	if (!have_cpu || !have_mem)
		remedy(row, "govern/enforce need the cpu and memory controllers: enable them (v2: cgroup.subtree_control)");

	row = add(r, "PSI", 0, CHECK_OK);
	if (!p->psi_system) {
		row->status = CHECK_DEGRADED;
		detail(row, "/proc/pressure is not readable: no pressure input for the governor");
		remedy(row, "boot with psi=1 (CONFIG_PSI)");
	} else if (!v2_cpu) {
		row->status = CHECK_DEGRADED;
		detail(row, "system-wide only: per-cgroup pressure files exist on cgroup v2 alone");
		remedy(row, "use cgroup v2 for per-cgroup pressure; the governor works without it");
	} else {
		detail(row, "system-wide and per cgroup (v2)");
	}
}

void check_build(const struct check_probe *p, struct check_report *r)
{
	struct check_row *row;

	memset(r, 0, sizeof(*r));
	build_privilege(p, r);
	if (p->euid == 0 || p->has_bpf_caps) {
		build_kernel(p, r);
		build_hooks(p, r);
	} else {
		/* Without privileges every probe fails the same way: say it once. */
		row = add(r, "BPF features", 1, CHECK_MISSING);
		detail(row, "not probed: loading BPF programs needs root (kernel.unprivileged_bpf_disabled=%d)",
		       p->unprivileged_bpf_disabled);
		remedy(row, "run as root: sudo latgov check");
		r->tracer_path = "unknown (probing needs root)";
	}
	build_cgroups(p, r);
}

int check_exit_status(const struct check_report *r)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (r->rows[i].required && r->rows[i].status == CHECK_MISSING)
			return 1;
	return 0;
}

static const char *status_word(enum check_status s)
{
	return s == CHECK_OK ? "ok" : s == CHECK_DEGRADED ? "degraded" : "missing";
}

/* snprintf into buf at *off, tracking the length the whole text needs. */
static void put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*off < len ? buf + *off : NULL, *off < len ? len - *off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

size_t check_format_text(const struct check_report *r, char *buf, size_t len)
{
	size_t off = 0, missing = 0, degraded = 0;

	if (len)
		buf[0] = '\0';
	put(buf, len, &off, "%-26s %-9s %s\n", "FEATURE", "STATUS", "DETAIL");
	for (size_t i = 0; i < r->nrows; i++) {
		const struct check_row *row = &r->rows[i];

		put(buf, len, &off, "%-26s %-9s %s\n", row->name, status_word(row->status), row->detail);
		if (row->remedy[0])
			put(buf, len, &off, "%-26s %-9s -> %s\n", "", "", row->remedy);
		if (row->status == CHECK_MISSING && row->required)
			missing++;
		else if (row->status != CHECK_OK)
			degraded++;
	}
	put(buf, len, &off, "\nrequest tracing: %s\n", r->tracer_path ? r->tracer_path : "not possible here");
	put(buf, len, &off, "cgroups: %s\n", r->cgroup_mode ? r->cgroup_mode : "none");
	if (missing)
		put(buf, len, &off, "result: latgov cannot run here: %zu required feature%s missing (see -> above)\n",
		    missing, missing == 1 ? " is" : "s are");
	else if (degraded)
		put(buf, len, &off, "result: latgov works here; %zu optional feature%s degraded\n",
		    degraded, degraded == 1 ? " is" : "s are");
	else
		put(buf, len, &off, "result: latgov works here; every feature is ok\n");
	return off;
}

void check_format_json(const struct check_report *r, struct jsonw *jw)
{
	jw_obj_begin(jw);
	jw_kv_bool(jw, "ok", !check_exit_status(r));
	jw_kv_str(jw, "tracer_path", r->tracer_path);
	jw_kv_str(jw, "cgroup_mode", r->cgroup_mode);
	/* What each mode loads: the programs a session in that mode attaches. */
	jw_key(jw, "modes");
	jw_obj_begin(jw);
	for (int m = 0; m < CHECK_MODE__MAX; m++) {
		jw_key(jw, mode_keys[m]);
		jw_obj_begin(jw);
		jw_kv_bool(jw, "ok", r->mode_ok[m]);
		jw_key(jw, "programs");
		jw_arr_begin(jw);
		for (size_t i = 0; i < tracer_nhooks && i < 64; i++)
			if (r->mode_load[m] >> i & 1)
				jw_str(jw, tracer_hooks[i].prog);
		jw_arr_end(jw);
		jw_obj_end(jw);
	}
	jw_obj_end(jw);
	jw_key(jw, "features");
	jw_arr_begin(jw);
	for (size_t i = 0; i < r->nrows; i++) {
		const struct check_row *row = &r->rows[i];

		jw_obj_begin(jw);
		jw_kv_str(jw, "name", row->name);
		jw_kv_str(jw, "status", status_word(row->status));
		jw_kv_bool(jw, "required", row->required);
		jw_kv_str(jw, "detail", row->detail);
		if (row->remedy[0])
			jw_kv_str(jw, "remedy", row->remedy);
		jw_obj_end(jw);
	}
	jw_arr_end(jw);
	jw_obj_end(jw);
}
