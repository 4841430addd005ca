// SPDX-License-Identifier: GPL-2.0-only
/* Command-line parsing of every subcommand. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/options.h"

#define ARGV(...) ((char *[]){ __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(cmd, o, err, ...) options_parse(cmd, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), o, err, sizeof(err))

static void test_trace_pids_and_outputs(void **state)
{
	struct lg_options o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "12,34", "-d", "1.5", "-i", "250ms",
			       "--summary", "s.json", "--json", "w.jsonl", "--metrics", "127.0.0.1:9464"), 0);
	assert_int_equal(o.target, LG_TARGET_PIDS);
	assert_int_equal(o.npids, 2);
	assert_int_equal(o.pids[0], 12);
	assert_int_equal(o.pids[1], 34);
	assert_int_equal(o.duration_ns, 1500000000ull);
	assert_int_equal(o.interval_ns, 250000000ull);
	assert_string_equal(o.summary_path, "s.json");
	assert_string_equal(o.json_path, "w.jsonl");
	assert_string_equal(o.metrics_addr, "127.0.0.1:9464");
	assert_int_equal(o.hz, 99);
}

static void test_command_target_keeps_its_options(void **state)
{
	struct lg_options o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-d", "5", "--", "nginx", "-g", "daemon off;"), 0);
	assert_int_equal(o.target, LG_TARGET_COMMAND);
	assert_string_equal(o.command[0], "nginx");
	assert_string_equal(o.command[1], "-g");
	assert_string_equal(o.command[2], "daemon off;");
	assert_null(o.command[3]);
}

static void test_errors_name_the_option(void **state)
{
	struct lg_options o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "12", "--bogus"), -EINVAL);
	assert_string_equal(err, "unknown option '--bogus' for 'trace' (see 'latgov trace --help')");
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "x1"), -EINVAL);
	assert_string_equal(err, "-p: 'x1' is not a process ID");
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--port", "70000"), -EINVAL);
	assert_string_equal(err, "--port: '70000' is not a TCP port (1-65535)");
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "1", "-d", "soon"), -EINVAL);
	assert_string_equal(err, "-d: 'soon' is not a duration (e.g. 30, 1.5s, 250ms, 2m)");
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-d", "5"), -EINVAL);
	assert_string_equal(err, "'trace' needs a TARGET: -p PID, --port PORT, --cgroup PATH or -- COMMAND");
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "1", "--port", "80"), -EINVAL);
	assert_string_equal(err, "give one target: -p, --port, --cgroup or -- COMMAND");
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "1", "--cpu", "2"), -EINVAL);
	assert_string_equal(err, "option '--cpu' does not apply to 'trace' (see 'latgov trace --help')");
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p"), -EINVAL);
	assert_string_equal(err, "option '-p' needs a value");
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "1", "stray"), -EINVAL);
	assert_string_equal(err, "unexpected argument 'stray' (a command to run goes after '--')");
}

/* --port takes an address too: only the listeners that answer it are the target. */
static void test_port_address(void **state)
{
	static const uint8_t v4[4] = { 127, 0, 0, 1 };
	static const uint8_t v6[16] = { [15] = 1 };
	struct lg_options o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--port", "8080"), 0);
	assert_int_equal(o.target, LG_TARGET_PORT);
	assert_int_equal(o.port, 8080);
	assert_int_equal(o.port_family, 0);	/* any address */
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--port", "127.0.0.1:8080"), 0);
	assert_int_equal(o.port, 8080);
	assert_int_equal(o.port_family, AF_INET);
	assert_memory_equal(o.port_addr, v4, 4);
	assert_int_equal(PARSE(LG_CMD_GOVERN, &o, err, "govern", "--port", "[::1]:443", "--policy", "p.yaml"), 0);
	assert_int_equal(o.port, 443);
	assert_int_equal(o.port_family, AF_INET6);
	assert_memory_equal(o.port_addr, v6, 16);
	/* IPv6 goes in brackets; an address needs a port; a bad address is named as such */
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--port", "::1:8080"), -EINVAL);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--port", "[::1]"), -EINVAL);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--port", "127.0.0.1:"), -EINVAL);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--port", ":8080"), -EINVAL);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--port", "[127.0.0.1]:8080"), -EINVAL);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--port", "127.0.0.256:8080"), -EINVAL);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--port", "localhost:8080"), -EINVAL);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--port", "127.0.0.1:0"), -EINVAL);
}

/* The root of a cgroup hierarchy (every process on the host) is only traced when asked for. */
static void test_all_processes(void **state)
{
	struct lg_options o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--cgroup", "/"), 0);
	assert_false(o.all_processes);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--cgroup", "/", "--all-processes"), 0);
	assert_int_equal(o.target, LG_TARGET_CGROUP);
	assert_true(o.all_processes);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "1", "--all-processes"), -EINVAL);
	assert_int_equal(PARSE(LG_CMD_ENFORCE, &o, err, "enforce", "--cgroup", "/x", "--cpu", "1",
			       "--all-processes"), -EINVAL);
}

static void test_flame_and_govern_requirements(void **state)
{
	struct lg_options o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(LG_CMD_FLAME, &o, err, "flame", "-p", "1"), -EINVAL);
	assert_string_equal(err, "'flame' needs an output folder: -o DIR");
	assert_int_equal(PARSE(LG_CMD_FLAME, &o, err, "flame", "-p", "1", "-o", "out", "--hz", "49", "--off-cpu"), 0);
	assert_string_equal(o.flame_dir, "out");
	assert_int_equal(o.hz, 49);
	assert_true(o.off_cpu);
	assert_int_equal(PARSE(LG_CMD_FLAME, &o, err, "flame", "-p", "1", "-o", "out", "--hz", "0"), -EINVAL);
	assert_int_equal(PARSE(LG_CMD_GOVERN, &o, err, "govern", "--cgroup", "/sys/fs/cgroup/cpu/x"), -EINVAL);
	assert_string_equal(err, "'govern' needs a policy: --policy FILE (examples in policies/)");
	assert_int_equal(PARSE(LG_CMD_GOVERN, &o, err, "govern", "--cgroup", "/x", "--policy", "p.yaml", "--dry-run"), 0);
	assert_int_equal(o.target, LG_TARGET_CGROUP);
	assert_true(o.dry_run);
}

static void test_enforce_and_restore(void **state)
{
	struct lg_options o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(LG_CMD_ENFORCE, &o, err, "enforce", "--cgroup", "/x", "--cpu", "500m",
			       "--memory", "512M", "-d", "30"), 0);
	assert_int_equal(o.cpu_millicores, 500);
	assert_int_equal(o.memory_bytes, 512ull << 20);
	assert_int_equal(o.target, LG_TARGET_NONE);	/* enforce's --cgroup is not a trace target */
	assert_int_equal(PARSE(LG_CMD_ENFORCE, &o, err, "enforce", "--cgroup", "/x"), -EINVAL);
	assert_string_equal(err, "'enforce' needs a limit: --cpu CORES, --memory SIZE and/or --cpu-weight W");
	assert_int_equal(PARSE(LG_CMD_ENFORCE, &o, err, "enforce", "--cgroup", "/x", "--cpu-weight", "200"), 0);
	assert_int_equal(o.cpu_weight, 200);
	assert_int_equal(PARSE(LG_CMD_ENFORCE, &o, err, "enforce", "--cgroup", "/x", "--cpu-weight", "0"), -EINVAL);
	assert_string_equal(err, "--cpu-weight: '0' is not a weight from 1 to 10000 (100 is the default)");
	/* -i given or not: a governed session follows the policy's interval only when it is not. */
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "1"), 0);
	assert_false(o.interval_set);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "1", "-i", "2"), 0);
	assert_true(o.interval_set);
	assert_int_equal(PARSE(LG_CMD_ENFORCE, &o, err, "enforce", "--cgroup", "/x", "--memory", "lots"), -EINVAL);
	assert_string_equal(err, "--memory: 'lots' is not a size (e.g. 512M, 2G)");
	assert_int_equal(PARSE(LG_CMD_RESTORE, &o, err, "restore"), -EINVAL);
	assert_string_equal(err, "'restore' needs --cgroup PATH or --all");
	assert_int_equal(PARSE(LG_CMD_RESTORE, &o, err, "restore", "--all"), 0);
	assert_true(o.all);
}

static void test_check_and_help(void **state)
{
	struct lg_options o;
	char err[256];

	(void)state;
	assert_int_equal(PARSE(LG_CMD_CHECK, &o, err, "check", "--json"), 0);
	assert_true(o.json);
	assert_int_equal(PARSE(LG_CMD_CHECK, &o, err, "check", "-p", "1"), -EINVAL);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--help"), 0);
	assert_true(o.help);
	assert_int_equal(options_cmd("govern"), LG_CMD_GOVERN);
	assert_int_equal(options_cmd("frobnicate"), LG_CMD_NONE);
	for (int c = LG_CMD_CHECK; c <= LG_CMD_RESTORE; c++)
		assert_non_null(strstr(options_usage((enum lg_cmd)c), "usage: latgov "));
	/* help takes a word, not options: 'latgov help trace' is trace's usage */
	assert_int_equal(PARSE(LG_CMD_HELP, &o, err, "help", "trace", "extra"), 0);
	assert_string_equal(o.topic, "trace");
	assert_int_equal(PARSE(LG_CMD_HELP, &o, err, "--help"), 0);
	assert_null(o.topic);
	assert_int_equal(PARSE(LG_CMD_VERSION, &o, err, "version", "--bogus"), 0);
	assert_ptr_equal(options_usage(LG_CMD_HELP), options_usage(LG_CMD_NONE));
}

/* Each command is found by its name and aliases, and takes only the options of its row. */
static void test_command_table(void **state)
{
	struct lg_options o;
	char err[256];

	(void)state;
	for (int c = LG_CMD_CHECK; c <= LG_CMD_VERSION; c++)
		assert_int_equal(options_cmd(options_cmd_name((enum lg_cmd)c)), c);
	assert_int_equal(options_cmd("-h"), LG_CMD_HELP);
	assert_int_equal(options_cmd("--help"), LG_CMD_HELP);
	assert_int_equal(options_cmd("-V"), LG_CMD_VERSION);
	assert_int_equal(options_cmd("--version"), LG_CMD_VERSION);
	assert_int_equal(options_cmd("latgov"), LG_CMD_NONE);
	assert_string_equal(options_cmd_name(LG_CMD_NONE), "latgov");

	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "1", "-o", "out"), -EINVAL);
	assert_string_equal(err, "option '--output' does not apply to 'trace' (see 'latgov trace --help')");
	assert_int_equal(PARSE(LG_CMD_RESTORE, &o, err, "restore", "--all", "--dry-run"), -EINVAL);
	assert_string_equal(err, "option '--dry-run' does not apply to 'restore' (see 'latgov restore --help')");
	assert_int_equal(PARSE(LG_CMD_ENFORCE, &o, err, "enforce", "--cgroup", "/x", "--cpu", "1", "--", "sleep"),
			 -EINVAL);
	assert_string_equal(err, "unexpected argument 'sleep' (a command to run goes after '--')");
	/* check's --json is a switch; a session's takes a FILE */
	assert_int_equal(PARSE(LG_CMD_CHECK, &o, err, "check", "--json=x"), -EINVAL);
	assert_string_equal(err, "option '--json' takes no value");
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "-p", "1", "--json"), -EINVAL);
	assert_string_equal(err, "option '--json' needs a value");
	/* enforce's --cgroup is the cgroup to limit; a session's is its target */
	assert_int_equal(PARSE(LG_CMD_RESTORE, &o, err, "restore", "--cgroup", "/x"), 0);
	assert_int_equal(o.target, LG_TARGET_NONE);
	assert_int_equal(PARSE(LG_CMD_TRACE, &o, err, "trace", "--cgroup", "/x"), 0);
	assert_int_equal(o.target, LG_TARGET_CGROUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_pids_and_outputs),
		cmocka_unit_test(test_command_target_keeps_its_options),
		cmocka_unit_test(test_errors_name_the_option),
		cmocka_unit_test(test_port_address),
		cmocka_unit_test(test_all_processes),
		cmocka_unit_test(test_flame_and_govern_requirements),
		cmocka_unit_test(test_enforce_and_restore),
		cmocka_unit_test(test_check_and_help),
		cmocka_unit_test(test_command_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
