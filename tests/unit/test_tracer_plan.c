// SPDX-License-Identifier: GPL-2.0-only
/* The request tracer's choice of programs (core/tracer_plan.c), per kernel and mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/tracer_plan.h"

/* The loaded programs' names, space-separated, in table order. */
static const char *loads(const struct tracer_kernel *k, const struct tracer_mode *m)
{
	static char names[1024];
	struct tracer_plan p;
	size_t n = 0;

	tracer_plan(k, m, &p);
	names[0] = '\0';
	for (size_t i = 0; i < tracer_nhooks; i++)
		if (tracer_plan_loads(&p, i))
			n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? " " : "",
					      tracer_hooks[i].prog);
	return names;
}

static void test_plans(void **state)
{
	struct tracer_kernel k618 = { .sock_length = 1, .sendmsg = 1, .dynptr = 1 };
	struct tracer_kernel k66 = { .sock_length = 1, .sendmsg = 0, .dynptr = 0 };
	struct tracer_kernel k61 = { .sock_length = 0, .sendmsg = 0, .dynptr = 0 };
	struct tracer_mode plain = { 0 }, reads = { .need_reads = 1 }, sched = { .sched = 1 },
			   flame = { .sched = 1, .prof_shared = 1 }, shared_no_sched = { .prof_shared = 1 };
	struct tracer_plan p;

	(void)state;
	/* 6.16+: arrivals and sends carry plain tracing; reads join for --sched or a shared socket. */
	assert_string_equal(loads(&k618, &plain), "lg_set_state lg_fork lg_exit lg_tcp_sendmsg lg_tcp_probe");
	tracer_plan(&k618, &plain, &p);
	assert_true(p.arrival);
	assert_string_equal(p.path, "arrivals");
	assert_string_equal(loads(&k618, &reads),
			    "lg_set_state lg_fork lg_exit lg_sock_recv lg_tcp_sendmsg lg_tcp_probe");
	assert_string_equal(loads(&k618, &sched),
			    "lg_set_state lg_fork lg_exit lg_sock_recv lg_tcp_sendmsg lg_tcp_probe lg_sched_switch lg_sched_wakeup");
	tracer_plan(&k618, &sched, &p);
	assert_false(p.arrival);
	assert_string_equal(p.path, "sock_length");
	assert_string_equal(loads(&k618, &flame),
			    "lg_set_state lg_fork lg_exit lg_sock_recv lg_tcp_sendmsg lg_tcp_probe lg_sched_switch lg_sched_wakeup lg_pending_flush");
	/* The profiler's spans ride on the scheduler attribution: without it, no iterator. */
	assert_string_equal(loads(&k618, &shared_no_sched), loads(&k618, &plain));
	/* 6.3 to 6.15: sock_send_length carries sends; tcp_probe reads the linear part. */
	assert_string_equal(loads(&k66, &plain),
			    "lg_set_state lg_fork lg_exit lg_sock_recv lg_sock_send lg_tcp_probe_linear");
	/* Before 6.3, or forced: the syscall fallback, with its 18 tracepoints. */
	tracer_plan(&k61, &plain, &p);
	assert_true(p.syscall_path);
	assert_string_equal(p.path, "syscalls");
	assert_int_equal(__builtin_popcountll(p.load), 3 + 1 + 18);
	k618.force_syscalls = 1;
	tracer_plan(&k618, &plain, &p);
	assert_true(p.syscall_path);
	assert_false(tracer_plan_loads(&p, (size_t)tracer_hook_index("lg_tcp_sendmsg")));
	assert_true(tracer_plan_loads(&p, (size_t)tracer_hook_index("lg_tcp_probe")));
}

static void test_table(void **state)
{
	(void)state;
	assert_int_equal(tracer_hook_index("lg_set_state"), 0);
	assert_int_equal(tracer_hook_index("lg_no_such_program"), -1);
	for (size_t i = 0; i < tracer_nhooks; i++)
		assert_int_equal(tracer_hook_index(tracer_hooks[i].prog), (int)i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plans),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
