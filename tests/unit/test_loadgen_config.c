// SPDX-License-Identifier: GPL-2.0-only
/*
 * loadgen's command line: loopback-only URLs, option errors, the schedule a
 * run follows, the request bytes, endpoint naming and the summary's keys.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/loadgen/config.h"
#include "../../tools/loadgen/stats.h"

static char err[512];

static int url(const char *text, struct lg_url *u)
{
	err[0] = '\0';
	return lg_parse_url(text, u, err, sizeof(err));
}

static void test_urls(void **state)
{
	struct lg_url u;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&u.addr;

	(void)state;
	assert_int_equal(url("http://127.0.0.1:8080/v1/infer?x=1", &u), 0);
	assert_int_equal(u.port, 8080);
	assert_int_equal(a4->sin_family, AF_INET);
	assert_int_equal(ntohs(a4->sin_port), 8080);
	assert_string_equal(u.path, "/v1/infer?x=1");
	assert_string_equal(u.host, "127.0.0.1:8080");

	assert_int_equal(url("http://localhost", &u), 0);
	assert_int_equal(u.port, 80);
	assert_int_equal(ntohl(a4->sin_addr.s_addr), 0x7f000001);
	assert_string_equal(u.path, "/");
	assert_string_equal(u.host, "localhost:80");

	assert_int_equal(url("HTTP://127.1.2.3:9?q", &u), 0);
	assert_string_equal(u.path, "/?q");

	assert_int_equal(url("http://[::1]:8443/a#frag", &u), 0);
	assert_int_equal(u.addr.ss_family, AF_INET6);
	assert_string_equal(u.path, "/a");
	assert_string_equal(u.host, "[::1]:8443");
}

static void expect_url_error(const char *text, const char *words)
{
	struct lg_url u;

	assert_int_equal(url(text, &u), -EINVAL);
	if (!strstr(err, words))
		fail_msg("'%s': message '%s' lacks '%s'", text, err, words);
}

static void test_bad_urls(void **state)
{
	(void)state;
	/* traffic must stay on this machine */
	expect_url_error("http://10.0.0.1/", "not loopback");
	expect_url_error("http://8.8.8.8:80/", "not loopback");
	expect_url_error("http://[2001:db8::1]/", "not loopback");
	expect_url_error("http://[::ffff:127.0.0.1]/", "not loopback");
	expect_url_error("http://example.com/", "not an IPv4 address or localhost");
	expect_url_error("https://127.0.0.1/", "https is not supported");
	expect_url_error("127.0.0.1:80/", "must start with http://");
	expect_url_error("http://127.0.0.1:0/", "bad port");
	expect_url_error("http://127.0.0.1:70000/", "bad port");
	expect_url_error("http://127.0.0.1:/", "bad port");
	expect_url_error("http:///x", "missing or too long host");
	expect_url_error("http://[::1/", "missing ']'");
	expect_url_error("http://127.0.0.1/a b", "space or control");
}

static int parse(struct lg_config *c, int argc, const char **argv)
{
	err[0] = '\0';
	return lg_config_parse(argc, (char **)argv, c, err, sizeof(err));
}

#define ARGS(...) (const char *[]){ "loadgen", __VA_ARGS__, NULL }
#define NARGS(...) ((int)(sizeof((const char *[]){ "loadgen", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(c, ...) parse(c, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__))

static void expect_opt_error(int r, const char *words)
{
	assert_int_equal(r, -EINVAL);
	if (!strstr(err, words))
		fail_msg("message '%s' lacks '%s'", err, words);
}

static void test_options(void **state)
{
	struct lg_config c;

	(void)state;
	assert_int_equal(PARSE(&c, "--rate", "200", "-d", "3s", "-c", "4", "-H", "X-A: 1",
			       "-H", "Accept: */*", "--jsonl", "-", "http://127.0.0.1:8080/"), 0);
	assert_int_equal(c.conns, 4);
	assert_int_equal(c.duration_ns, 3000000000ull);
	assert_int_equal(c.nheaders, 2);
	assert_string_equal(c.method, "GET");
	assert_string_equal(c.jsonl_path, "-");
	assert_false(c.closed);

	assert_int_equal(PARSE(&c, "--closed", "64", "--body-file", "/dev/null", "http://127.0.0.1:1/"), 0);
	assert_true(c.closed);
	assert_int_equal(c.conns, 64);
	assert_string_equal(c.method, "POST");

	assert_int_equal(PARSE(&c, "--help"), 0);
	assert_true(c.help);
	assert_non_null(strstr(lg_usage(), "spike:base=R,peak=R,at=DUR,for=DUR"));

	expect_opt_error(PARSE(&c, "--rate", "100", "http://10.1.1.1/"), "not loopback");
	expect_opt_error(PARSE(&c, "http://127.0.0.1/"), "exactly one of --rate");
	expect_opt_error(PARSE(&c, "--rate", "1", "--closed", "2", "http://127.0.0.1/"), "exactly one of");
	expect_opt_error(PARSE(&c, "--rate", "1"), "missing URL");
	expect_opt_error(PARSE(&c, "--rate", "1", "http://127.0.0.1/", "extra"), "exactly one URL");
	expect_opt_error(PARSE(&c, "-c", "0", "--rate", "1", "http://127.0.0.1/"), "-c '0'");
	expect_opt_error(PARSE(&c, "-d", "soon", "--rate", "1", "http://127.0.0.1/"), "-d 'soon'");
	expect_opt_error(PARSE(&c, "-n", "-5", "--rate", "1", "http://127.0.0.1/"), "-n '-5'");
	expect_opt_error(PARSE(&c, "-X", "get", "--rate", "1", "http://127.0.0.1/"), "upper-case");
	expect_opt_error(PARSE(&c, "-H", "NoColon", "--rate", "1", "http://127.0.0.1/"), "'Name: value'");
	expect_opt_error(PARSE(&c, "--closed", "4", "--poisson", "http://127.0.0.1/"), "--poisson");
	expect_opt_error(PARSE(&c, "--bogus", "http://127.0.0.1/"), "unknown option '--bogus'");
	expect_opt_error(PARSE(&c, "--rate", "1", "http://127.0.0.1/", "--timeout"), "needs a value");
}

static void test_schedule(void **state)
{
	static struct schedule s;
	struct lg_config c;

	(void)state;
	/* --rate without -d runs 10 s */
	assert_int_equal(PARSE(&c, "--rate", "50", "http://127.0.0.1/"), 0);
	assert_int_equal(lg_config_schedule(&c, NULL, &s, err, sizeof(err)), 0);
	assert_int_equal(c.duration_ns, 10000000000ull);
	assert_int_equal(s.nseg, 1);

	/* a schedule sets the run's length; -d cuts it */
	assert_int_equal(PARSE(&c, "--schedule", "step:100@10s,400@20s", "http://127.0.0.1/"), 0);
	assert_int_equal(lg_config_schedule(&c, NULL, &s, err, sizeof(err)), 0);
	assert_int_equal(c.duration_ns, 30000000000ull);
	assert_int_equal(PARSE(&c, "-d", "15s", "--schedule", "step:100@10s,400@20s", "http://127.0.0.1/"), 0);
	assert_int_equal(lg_config_schedule(&c, NULL, &s, err, sizeof(err)), 0);
	assert_int_equal(sched_length(&s), 15000000000ull);

	/* errors say where: the option or file, line and column */
	assert_int_equal(PARSE(&c, "--schedule", "step:100@10s,abc@5s", "http://127.0.0.1/"), 0);
	assert_int_equal(lg_config_schedule(&c, NULL, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--schedule:1:14: bad rate 'abc'"));
	assert_int_equal(PARSE(&c, "--schedule-file", "load.txt", "http://127.0.0.1/"), 0);
	assert_int_equal(lg_config_schedule(&c, "100@1s\n\n2x@1s\n", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "load.txt:3:1: bad rate '2x'"));
	assert_int_equal(PARSE(&c, "--rate", "0", "http://127.0.0.1/"), 0);
	assert_int_equal(lg_config_schedule(&c, NULL, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--rate '0'"));
}

static void test_request_bytes(void **state)
{
	struct lg_config c;
	char *req;
	size_t len;

	(void)state;
	assert_int_equal(PARSE(&c, "--rate", "1", "-X", "POST", "-H", "Content-Type: application/json",
			       "http://127.0.0.1:8080/v1/infer"), 0);
	assert_int_equal(lg_build_request(&c, "{\"x\":[1]}", 9, &req, &len), 0);
	assert_int_equal(len, strlen(req));
	assert_string_equal(req, "POST /v1/infer HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
				 "Content-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"x\":[1]}");
	free(req);

	/* a -H Host replaces the default one */
	assert_int_equal(PARSE(&c, "--rate", "1", "-H", "Host: svc", "http://127.0.0.1/"), 0);
	assert_int_equal(lg_build_request(&c, "", 0, &req, &len), 0);
	assert_string_equal(req, "GET / HTTP/1.1\r\nHost: svc\r\n\r\n");
	free(req);
}

static void test_endpoint_name(void **state)
{
	char name[128];

	(void)state;
	lg_endpoint_name("GET", "/v1/users/12345/orders?page=2", name, sizeof(name));
	assert_string_equal(name, "GET /v1/users/:id/orders");
	lg_endpoint_name("POST", "/v1/infer", name, sizeof(name));
	assert_string_equal(name, "POST /v1/infer");
}

static void test_summary_keys(void **state)
{
	static struct lg_totals t;
	static struct lg_window w;
	struct lg_run run = { .endpoint = "GET /", .mode = "open", .duration_s = 2, .intended_rps = 100 };
	struct jsonw jw;
	static const char *const keys[] = {
		"\"duration_s\":2", "\"requests\":200", "\"errors\":1", "\"rps\":100", "\"dropped\":3",
		"\"endpoints\":[{\"name\":\"GET /\"", "\"status_5xx\":1", "\"latency_us\":{\"p50\":",
		"\"p999\":", "\"mean\":", "\"ttfb_us\":{", "\"intended_rps\":100", "\"timeouts\":0",
		"\"connect_errors\":0", "\"status\":{\"200\":199,\"503\":1}",
	};

	(void)state;
	lg_totals_init(&t);
	lg_window_reset(&w);
	for (int i = 0; i < 200; i++) {
		hist_add(&w.latency, 1000000);
		hist_add(&w.ttfb, 500000);
	}
	w.n.completed = 200;
	w.n.errors = 1;
	w.n.intended = 203;
	w.dropped = 3;
	t.status[200] = 199;
	t.status[503] = 1;
	lg_totals_add(&t, &w);

	jw_init(&jw);
	lg_summary_json(&jw, &run, &t);
	assert_int_equal(jw_finish(&jw), 0);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strstr(jw.buf, keys[i]))
			fail_msg("summary lacks %s: %s", keys[i], jw.buf);
	/* 1 ms in ns reads as about 1000 us */
	assert_non_null(strstr(jw.buf, "\"p50\":100"));

	jw_reset(&jw);
	lg_window_json(&jw, 1, 1, &w);
	assert_int_equal(jw_finish(&jw), 0);
	assert_non_null(strstr(jw.buf, "\"t\":1,\"window_s\":1,\"intended_rps\":203,\"achieved_rps\":200"));
	assert_non_null(strstr(jw.buf, "\"latency_us\":{\"p50\":"));
	jw_free(&jw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_bad_urls),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_endpoint_name),
		cmocka_unit_test(test_summary_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
