// SPDX-License-Identifier: GPL-2.0-only
/* 'latgov check' report building and formatting, from fake probe results. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/check_report.h"

static void healthy_v1(struct check_probe *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->kernel, "6.18.0");
	p->tracefs = "/sys/kernel/tracing";
	strcpy(p->cgroup_v1, "cpu,cpuacct,memory,pids");
	strcpy(p->cgroup_v2_path, "/sys/fs/cgroup/unified");
	strcpy(p->cgroup_v2, "hugetlb");
	p->psi_system = 1;
}

static size_t hook_index(const char *tracepoint)
{
	for (size_t i = 0; i < check_nhooks; i++)
		if (strcmp(check_hooks[i].tracepoint, tracepoint) == 0)
			return i;
	fail_msg("no hook %s", tracepoint);
	return 0;
}

static const struct check_row *row_named(const struct check_report *r, const char *name)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (strcmp(r->rows[i].name, name) == 0)
			return &r->rows[i];
	fail_msg("no row %s", name);
	return NULL;
}

static void test_all_ok_hybrid(void **state)
{
	struct check_probe p;
	struct check_report r;
	char text[8192];

	(void)state;
	healthy_v1(&p);
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 0);
	assert_string_equal(r.tracer_path, "tcp_probe and tcp_sendmsg_locked (with sock_recv_length under --sched, or where another process shares a target's listening socket)");
	assert_string_equal(r.cgroup_mode, "hybrid");
	assert_int_equal(row_named(&r, "sock:sock_recv_length")->status, CHECK_OK);
	/* v1 has no per-cgroup PSI: degraded, not missing, and not fatal. */
	assert_int_equal(row_named(&r, "PSI")->status, CHECK_DEGRADED);
	check_format_text(&r, text, sizeof(text));
	assert_non_null(strstr(text, "result: latgov works here; 1 optional feature is degraded\n"));
	assert_non_null(strstr(text, "request tracing: tcp_probe and tcp_sendmsg_locked ("));
	/* Without tcp_sendmsg_locked, sock_send_length carries the sends. */
	p.hook_err[hook_index("tcp:tcp_sendmsg_locked")] = -ENOENT;
	check_build(&p, &r);
	assert_string_equal(r.tracer_path, "sock_*_length tracepoints");
	assert_int_equal(row_named(&r, "tcp:tcp_sendmsg_locked")->status, CHECK_DEGRADED);
}

static void test_old_kernel_uses_fallback(void **state)
{
	struct check_probe p;
	struct check_report r;

	(void)state;
	healthy_v1(&p);
	p.hook_err[hook_index("sock:sock_recv_length")] = -ENOENT;
	p.hook_err[hook_index("sock:sock_send_length")] = -ENOENT;
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 0);
	assert_string_equal(r.tracer_path, "syscall tracepoints (fallback)");
	assert_int_equal(row_named(&r, "sock:sock_recv_length")->status, CHECK_DEGRADED);
	assert_string_equal(row_named(&r, "syscall tracepoints")->detail, "all 11 attach (in use)");
}

static void test_no_request_path_is_fatal(void **state)
{
	struct check_probe p;
	struct check_report r;
	char text[8192];

	(void)state;
	healthy_v1(&p);
	p.hook_err[hook_index("sock:sock_send_length")] = -ENOENT;
	p.hook_err[hook_index("syscalls:sys_exit_read")] = -ENOENT;
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 1);
	assert_null(r.tracer_path);
	assert_int_equal(row_named(&r, "syscall tracepoints")->status, CHECK_MISSING);
	assert_string_equal(row_named(&r, "syscall tracepoints")->detail, "1 of 11 cannot attach: sys_exit_read");
	check_format_text(&r, text, sizeof(text));
	assert_non_null(strstr(text, "request tracing: not possible here\n"));
	assert_non_null(strstr(text, "result: latgov cannot run here: 2 required features are missing"));
}

/* The tracer's object holds the task-storage map: without it nothing loads. The iterator only serves flame --off-cpu. */
static void test_task_storage_required_iterator_optional(void **state)
{
	struct check_probe p;
	struct check_report r;

	(void)state;
	healthy_v1(&p);
	p.hook_err[hook_index("task iterator")] = -EPERM;
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 0);
	assert_int_equal(row_named(&r, "task iterator")->status, CHECK_DEGRADED);
	assert_non_null(strstr(row_named(&r, "task iterator")->detail, "flame --off-cpu"));
	assert_string_equal(row_named(&r, "task-local storage")->detail, "usable from sched_switch");

	p.hook_err[hook_index("task-local storage")] = -EINVAL;
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 1);
	assert_int_equal(row_named(&r, "task-local storage")->status, CHECK_MISSING);
	assert_true(row_named(&r, "task-local storage")->required);
	assert_non_null(strstr(row_named(&r, "task-local storage")->remedy, "5.11"));
}

static void test_not_root(void **state)
{
	struct check_probe p;
	struct check_report r;
	char text[8192];

	(void)state;
	healthy_v1(&p);
	p.euid = 1000;
	p.unprivileged_bpf_disabled = 2;
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 1);
	assert_int_equal(row_named(&r, "privileges")->status, CHECK_MISSING);
	assert_non_null(strstr(row_named(&r, "privileges")->remedy, "sudo"));
	check_format_text(&r, text, sizeof(text));
	assert_non_null(strstr(text, "-> run as root: sudo latgov check\n"));

	p.has_bpf_caps = 1;	/* capabilities instead of root are enough */
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 0);
}

static void test_flame_hooks_are_optional(void **state)
{
	struct check_probe p;
	struct check_report r;

	(void)state;
	healthy_v1(&p);
	p.hook_err[hook_index("sched:sched_switch")] = -EPERM;
	p.perf_err = -EACCES;
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 0);
	assert_int_equal(row_named(&r, "sched:sched_switch")->status, CHECK_DEGRADED);
	assert_int_equal(row_named(&r, "perf_event programs")->status, CHECK_DEGRADED);

	p.hook_err[hook_index("sched:sched_process_fork")] = -EPERM;
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 1);
}

static void test_pure_v2_and_json(void **state)
{
	struct check_probe p;
	struct check_report r;
	struct jsonw jw;

	(void)state;
	healthy_v1(&p);
	p.cgroup_v1[0] = '\0';
	strcpy(p.cgroup_v2_path, "/sys/fs/cgroup");
	strcpy(p.cgroup_v2, "cpuset cpu io memory pids");
	check_build(&p, &r);
	assert_string_equal(r.cgroup_mode, "v2");
	assert_int_equal(row_named(&r, "PSI")->status, CHECK_OK);
	assert_string_equal(row_named(&r, "cgroups")->detail,
			    "v2: cpu on v2, memory on v2 (v2 at /sys/fs/cgroup)");

	jw_init(&jw);
	check_format_json(&r, &jw);
	assert_int_equal(jw_finish(&jw), 0);
	assert_non_null(strstr(jw.buf, "{\"ok\":true,\"tracer_path\":\"tcp_probe and tcp_sendmsg_locked (with sock_recv_length under --sched, or where another process shares a target's listening socket)\",\"cgroup_mode\":\"v2\",\"features\":[{\"name\":\"privileges\",\"status\":\"ok\",\"required\":true,"));
	jw_free(&jw);
}

static void test_text_truncates_safely(void **state)
{
	struct check_probe p;
	struct check_report r;
	char small[64];
	size_t need;

	(void)state;
	healthy_v1(&p);
	check_build(&p, &r);
	need = check_format_text(&r, small, sizeof(small));
	assert_true(need > sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_ok_hybrid),
		cmocka_unit_test(test_old_kernel_uses_fallback),
		cmocka_unit_test(test_no_request_path_is_fatal),
		cmocka_unit_test(test_task_storage_required_iterator_optional),
		cmocka_unit_test(test_not_root),
		cmocka_unit_test(test_flame_hooks_are_optional),
		cmocka_unit_test(test_pure_v2_and_json),
		cmocka_unit_test(test_text_truncates_safely),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
