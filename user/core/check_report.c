// SPDX-License-Identifier: GPL-2.0-only
#include "core/check_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const struct check_hook check_hooks[] = {
	{ "sock:sock_recv_length", "tp_sock_recv_length", USE_SOCK },
	{ "sock:sock_send_length", "tp_sock_send_length", USE_SOCK },
	{ "sock:inet_sock_set_state", "tp_inet_sock_set_state", USE_CORE },
	{ "tcp:tcp_probe", "btf_tcp_probe", USE_DETAIL },
	{ "tcp:tcp_sendmsg_locked", "btf_tcp_sendmsg_locked", USE_DETAIL },
	{ "sched:sched_switch", "btf_sched_switch", USE_FLAME },
	{ "sched:sched_wakeup", "btf_sched_wakeup", USE_FLAME },
	{ "sched:sched_wakeup_new", "btf_sched_wakeup_new", USE_FLAME },
	{ "task-local storage", "btf_task_storage", USE_STORAGE },
	{ "task iterator", "iter_task", USE_ITER },
	{ "sched:sched_process_fork", "tp_sched_process_fork", USE_CORE },
	{ "sched:sched_process_exit", "tp_sched_process_exit", USE_CORE },
	{ "syscalls:sys_enter_read", "tp_sys_enter_read", USE_SYSCALL },
	{ "syscalls:sys_exit_read", "tp_sys_exit_read", USE_SYSCALL },
	{ "syscalls:sys_enter_recvfrom", "tp_sys_enter_recvfrom", USE_SYSCALL },
	{ "syscalls:sys_exit_recvfrom", "tp_sys_exit_recvfrom", USE_SYSCALL },
	{ "syscalls:sys_enter_write", "tp_sys_enter_write", USE_SYSCALL },
	{ "syscalls:sys_exit_write", "tp_sys_exit_write", USE_SYSCALL },
	{ "syscalls:sys_enter_sendto", "tp_sys_enter_sendto", USE_SYSCALL },
	{ "syscalls:sys_exit_sendto", "tp_sys_exit_sendto", USE_SYSCALL },
	{ "syscalls:sys_enter_writev", "tp_sys_enter_writev", USE_SYSCALL },
	{ "syscalls:sys_enter_sendfile64", "tp_sys_enter_sendfile64", USE_SYSCALL },
	{ "syscalls:sys_enter_close", "tp_sys_enter_close", USE_SYSCALL },
};
const size_t check_nhooks = sizeof(check_hooks) / sizeof(check_hooks[0]);

_Static_assert(sizeof(check_hooks) / sizeof(check_hooks[0]) <= 32, "check_probe.hook_err too small");

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

static int all_ok(const struct check_probe *p, enum check_use use)
{
	for (size_t i = 0; i < check_nhooks; i++)
		if (check_hooks[i].use == use && p->hook_err[i])
			return 0;
	return 1;
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

/* The fallback's syscall tracepoints share one row: they stand or fall together. */
static void build_syscall_row(const struct check_probe *p, struct check_report *r, int sock_ok, int sys_ok)
{
	char missing[160] = "";
	size_t total = 0, bad = 0, n;
	struct check_row *row;

	for (size_t i = 0; i < check_nhooks; i++) {
		if (check_hooks[i].use != USE_SYSCALL)
			continue;
		total++;
		if (!p->hook_err[i])
			continue;
		bad++;
		n = strlen(missing);
		snprintf(missing + n, sizeof(missing) - n, "%s%s", n ? " " : "",
			 strchr(check_hooks[i].tracepoint, ':') + 1);
	}
	row = add(r, "syscall tracepoints", !sock_ok,
		  sys_ok ? CHECK_OK : sock_ok ? CHECK_DEGRADED : CHECK_MISSING);
	if (sys_ok)
		detail(row, "all %zu attach (%s)", total, sock_ok ? "fallback path, not in use" : "in use");
	else
		detail(row, "%zu of %zu cannot attach: %s", bad, total, missing);
	if (!sys_ok)
		remedy(row, sock_ok ? "not needed on this kernel" : "enable CONFIG_FTRACE_SYSCALLS");
}

/* 1 if the hook of that name attaches. */
static int hook_ok(const struct check_probe *p, const char *name)
{
	for (size_t i = 0; i < check_nhooks; i++)
		if (strcmp(check_hooks[i].tracepoint, name) == 0)
			return !p->hook_err[i];
	return 0;
}

static void build_hooks(const struct check_probe *p, struct check_report *r)
{
	int sock_ok = all_ok(p, USE_SOCK), sys_ok = all_ok(p, USE_SYSCALL);

	for (size_t i = 0; i < check_nhooks; i++) {
		const struct check_hook *h = &check_hooks[i];
		int err = p->hook_err[i];
		enum check_status st = CHECK_OK;
		int required = 0;
		struct check_row *row;

		switch (h->use) {
		case USE_CORE:
		case USE_STORAGE:	/* the tracer's object holds the map: it loads with it or not at all */
			required = 1;
			st = err ? CHECK_MISSING : CHECK_OK;
			break;
		case USE_SOCK:
			/* Missing on kernels < 6.3; the syscall path stands in. */
			required = !sys_ok;
			st = err ? (sys_ok ? CHECK_DEGRADED : CHECK_MISSING) : CHECK_OK;
			break;
		default:
			st = err ? CHECK_DEGRADED : CHECK_OK;
			break;
		}
		if (h->use == USE_SYSCALL)
			continue;	/* one combined row below */
		row = add(r, h->tracepoint, required, st);
		if (!err) {
			detail(row, h->use == USE_STORAGE ? "usable from sched_switch" : "attaches");
			continue;
		}
		switch (h->use) {
		case USE_SOCK:
			detail(row, "cannot attach (error %d)%s", err,
			       sys_ok ? ": using the syscall fallback, which costs more per syscall" : "");
			remedy(row, "kernel 6.3 or newer has it; nothing to do if the fallback is ok");
			break;
		case USE_DETAIL:
			if (strstr(h->tracepoint, "sendmsg"))
				detail(row, "cannot attach (error %d): no response status; sock_send_length "
					    "carries the sends", err);
			else
				detail(row, "cannot attach (error %d): no queueing time or request prefix", err);
			remedy(row, "a kernel with BTF for this tracepoint (5.5+) restores it");
			break;
		case USE_FLAME:
			detail(row, "cannot attach (error %d): no scheduler attribution", err);
			remedy(row, "a kernel with BTF-enabled tracepoints (5.5+) restores it");
			break;
		case USE_STORAGE:
			detail(row, "cannot be used from sched_switch (error %d): the tracer does not load", err);
			remedy(row, "kernel 5.11 or newer has it for tracing programs");
			break;
		case USE_ITER:
			detail(row, "cannot attach (error %d): flame --off-cpu does not load", err);
			remedy(row, "kernel 5.8 or newer has it; flame without --off-cpu works");
			break;
		default:
			detail(row, "cannot attach (error %d)", err);
			remedy(row, "latgov needs this tracepoint; mount tracefs and use kernel 5.8+");
			break;
		}
	}
	build_syscall_row(p, r, sock_ok, sys_ok);
	if (sock_ok && hook_ok(p, "tcp:tcp_sendmsg_locked") && hook_ok(p, "tcp:tcp_probe"))
		r->tracer_path = "tcp_probe and tcp_sendmsg_locked (with sock_recv_length under --sched, "
				 "or where another process shares a target's listening socket)";
	else if (sock_ok)
		r->tracer_path = "sock_*_length tracepoints";
	else if (sys_ok)
		r->tracer_path = "syscall tracepoints (fallback)";
	else
		r->tracer_path = NULL;
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
