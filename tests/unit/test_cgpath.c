// SPDX-License-Identifier: GPL-2.0-only
/* Finding a process's CPU cgroup in /proc/PID/cgroup text. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/cgpath.h"

static void test_hybrid_prefers_v1_cpu(void **state)
{
	char rel[256];
	int v2 = -1;

	(void)state;
	assert_int_equal(cgpath_cpu_of("9:name=systemd:/\n4:memory:/m\n2:cpuacct:/acct\n1:cpu:/svc/a\n0::/unified\n",
				       rel, sizeof(rel), &v2), 0);
	assert_string_equal(rel, "/svc/a");
	assert_int_equal(v2, 0);
	/* "cpu,cpuacct" lists cpu; "cpuset" does not. */
	assert_int_equal(cgpath_cpu_of("3:cpuset:/x\n2:cpu,cpuacct:/y\n", rel, sizeof(rel), &v2), 0);
	assert_string_equal(rel, "/y");
}

static void test_pure_v2(void **state)
{
	char rel[256];
	int v2 = -1;

	(void)state;
	assert_int_equal(cgpath_cpu_of("0::/system.slice/nginx.service\n", rel, sizeof(rel), &v2), 0);
	assert_string_equal(rel, "/system.slice/nginx.service");
	assert_int_equal(v2, 1);
	assert_int_equal(cgpath_cpu_of("0::/", rel, sizeof(rel), &v2), 0);	/* no trailing newline */
	assert_string_equal(rel, "/");
}

static void test_nothing_found(void **state)
{
	char rel[256];
	int v2;

	(void)state;
	assert_int_equal(cgpath_cpu_of("", rel, sizeof(rel), &v2), -ENOENT);
	assert_int_equal(cgpath_cpu_of("5:memory:/m\n3:cpuset:/c\n", rel, sizeof(rel), &v2), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hybrid_prefers_v1_cpu),
		cmocka_unit_test(test_pure_v2),
		cmocka_unit_test(test_nothing_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
