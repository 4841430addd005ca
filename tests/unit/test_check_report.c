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
#include "core/tracer_plan.h"

/* Every mode's plan on kernel k. */
static void plans(struct check_probe *p, const struct tracer_kernel *k)
{
	struct tracer_mode modes[CHECK_MODE__MAX] = {
		[CHECK_MODE_TRACE] = { 0 },
		[CHECK_MODE_READS] = { .need_reads = 1 },
		[CHECK_MODE_SCHED] = { .sched = 1 },
		[CHECK_MODE_FLAME] = { .sched = 1, .prof_shared = 1 },
	};

	for (int m = 0; m < CHECK_MODE__MAX; m++) {
		struct tracer_plan plan;

		tracer_plan(k, &modes[m], &plan);
		p->tracer[m].path = plan.path;
		p->tracer[m].load = plan.load;
	}
}

/* The plans of a 6.18 kernel: every hook there, arrival mode for plain trace. */
static void plans_6_18(struct check_probe *p, int force_syscalls)
{
	struct tracer_kernel k = { .sock_length = 1, .sendmsg = 1, .dynptr = 1,
				   .force_syscalls = force_syscalls };

	plans(p, &k);
}

static void healthy_v1(struct check_probe *p)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->kernel, "6.18.0");
	p->tracefs = "/sys/kernel/tracing";
	strcpy(p->cgroup_v1, "cpu,cpuacct,memory,pids");
	strcpy(p->cgroup_v2_path, "/sys/fs/cgroup/unified");
	strcpy(p->cgroup_v2, "hugetlb");
	p->psi_system = 1;
	plans_6_18(p, 0);
}

/* The hook of program prog fails to load alone with err, in every mode whose plan has it. */
static void fail_hook(struct check_probe *p, const char *prog, int err)
{
	int i = tracer_hook_index(prog);

	assert_true(i >= 0);
	for (int m = 0; m < CHECK_MODE__MAX; m++) {
		if (!(p->tracer[m].load >> i & 1))
			continue;
		p->tracer[m].err = err;
		p->tracer[m].hook_err[i] = err;
	}
}

static const struct check_row *find_row(const struct check_report *r, const char *name)
{
	for (size_t i = 0; i < r->nrows; i++)
		if (strcmp(r->rows[i].name, name) == 0)
			return &r->rows[i];
	return NULL;
}

static const struct check_row *row_named(const struct check_report *r, const char *name)
{
	const struct check_row *row = find_row(r, name);

	if (!row)
		fail_msg("no row %s", name);
	return row;
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
	/* The rows are the hooks the plans use, and say which modes use each. */
	assert_int_equal(row_named(&r, "tcp:tcp_probe")->status, CHECK_OK);
	assert_true(row_named(&r, "tcp:tcp_probe")->required);
	assert_string_equal(row_named(&r, "sock:sock_recv_length")->detail,
			    "attaches (used by trace of a shared socket, --sched, flame --off-cpu)");
	assert_false(row_named(&r, "sock:sock_recv_length")->required);
	assert_string_equal(row_named(&r, "task iterator")->detail, "attaches (used by flame --off-cpu)");
	/* What no mode loads here is not shown: not the fallback, not sock_send_length. */
	assert_null(find_row(&r, "syscall tracepoints"));
	assert_null(find_row(&r, "sock:sock_send_length"));
	/* v1 has no per-cgroup PSI: degraded, not missing, and not fatal. */
	assert_int_equal(row_named(&r, "PSI")->status, CHECK_DEGRADED);
	check_format_text(&r, text, sizeof(text));
	assert_non_null(strstr(text, "result: latgov works here; 1 optional feature is degraded\n"));
	assert_non_null(strstr(text, "request tracing: tcp_probe and tcp_sendmsg_locked ("));
}

/* Older kernels: the plan's fallbacks show as degraded rows, and trace still works. */
static void test_older_kernels(void **state)
{
	struct tracer_kernel k = { .sock_length = 1, .sendmsg = 0, .dynptr = 0 };
	struct check_probe p;
	struct check_report r;

	(void)state;
	healthy_v1(&p);
	plans(&p, &k);
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 0);
	assert_string_equal(r.tracer_path, "sock_*_length tracepoints");
	assert_int_equal(row_named(&r, "tcp:tcp_sendmsg_locked")->status, CHECK_DEGRADED);
	assert_non_null(strstr(row_named(&r, "tcp:tcp_sendmsg_locked")->detail, "no status codes"));
	assert_int_equal(row_named(&r, "tcp:tcp_probe payload")->status, CHECK_DEGRADED);
	assert_int_equal(row_named(&r, "sock:sock_send_length")->status, CHECK_OK);

	/* Before 6.3: the syscall fallback, one row for its tracepoints. */
	plans_6_18(&p, 1);
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 0);
	assert_string_equal(r.tracer_path, "syscall tracepoints (fallback)");
	assert_int_equal(row_named(&r, "socket tracepoints")->status, CHECK_DEGRADED);
	assert_string_equal(row_named(&r, "syscall tracepoints")->detail,
			    "all 18 attach (the fallback carries the requests)");
	assert_null(find_row(&r, "sock:sock_recv_length"));
}

static void test_no_request_path_is_fatal(void **state)
{
	struct check_probe p;
	struct check_report r;
	char text[8192];

	(void)state;
	healthy_v1(&p);
	plans_6_18(&p, 1);
	fail_hook(&p, "lg_sys_exit_read", -ENOENT);
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 1);
	assert_null(r.tracer_path);
	assert_int_equal(row_named(&r, "syscall tracepoints")->status, CHECK_MISSING);
	assert_string_equal(row_named(&r, "syscall tracepoints")->detail, "1 of 18 cannot load or attach (error -2)");
	check_format_text(&r, text, sizeof(text));
	assert_non_null(strstr(text, "request tracing: not possible here\n"));
	assert_non_null(strstr(text, "result: latgov cannot run here: 1 required feature is missing"));
}

/* What only --sched or flame needs is optional; what plain trace needs is required. */
static void test_flame_hooks_are_optional(void **state)
{
	struct check_probe p;
	struct check_report r;

	(void)state;
	healthy_v1(&p);
	fail_hook(&p, "lg_sched_switch", -EPERM);
	fail_hook(&p, "lg_pending_flush", -EINVAL);
	p.perf_err = -EACCES;
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 0);
	assert_int_equal(row_named(&r, "sched:sched_switch")->status, CHECK_DEGRADED);
	assert_non_null(strstr(row_named(&r, "sched:sched_switch")->detail, "no scheduler attribution"));
	assert_non_null(strstr(row_named(&r, "task iterator")->detail, "flame --off-cpu"));
	assert_int_equal(row_named(&r, "perf_event programs")->status, CHECK_DEGRADED);

	fail_hook(&p, "lg_fork", -EPERM);
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 1);
	assert_int_equal(row_named(&r, "sched:sched_process_fork")->status, CHECK_MISSING);
	assert_null(r.tracer_path);
}

/* A mode that does not load although each hook does alone gets a row of its own. */
static void test_mode_fails_as_a_whole(void **state)
{
	struct check_probe p;
	struct check_report r;

	(void)state;
	healthy_v1(&p);
	p.tracer[CHECK_MODE_SCHED].err = -E2BIG;
	strcpy(p.tracer[CHECK_MODE_SCHED].msg, "the kernel refused the request tracer's BPF programs");
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 0);
	assert_int_equal(row_named(&r, "tracer for --sched")->status, CHECK_DEGRADED);
	p.tracer[CHECK_MODE_TRACE].err = -E2BIG;
	check_build(&p, &r);
	assert_int_equal(check_exit_status(&r), 1);
	assert_int_equal(row_named(&r, "tracer for trace")->status, CHECK_MISSING);
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
	assert_non_null(strstr(jw.buf, "{\"ok\":true,\"tracer_path\":\"tcp_probe and tcp_sendmsg_locked (with sock_recv_length under --sched, or where another process shares a target's listening socket)\",\"cgroup_mode\":\"v2\",\"modes\":{\"trace\":{\"ok\":true,\"programs\":[\"lg_set_state\",\"lg_fork\",\"lg_exit\",\"lg_tcp_sendmsg\",\"lg_tcp_probe\"]},"));
	assert_non_null(strstr(jw.buf, "\"features\":[{\"name\":\"privileges\",\"status\":\"ok\",\"required\":true,"));
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
		cmocka_unit_test(test_older_kernels),
		cmocka_unit_test(test_no_request_path_is_fatal),
		cmocka_unit_test(test_flame_hooks_are_optional),
		cmocka_unit_test(test_mode_fails_as_a_whole),
		cmocka_unit_test(test_not_root),
		cmocka_unit_test(test_pure_v2_and_json),
		cmocka_unit_test(test_text_truncates_safely),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
