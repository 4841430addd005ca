// SPDX-License-Identifier: GPL-2.0-only
/*
 * cmd_session: the loop shared by trace, flame and govern (see session.h).
 * It orchestrates; targets.c finds the processes, tracer.c talks to libbpf,
 * the pure core aggregates and renders.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "commands.h"
#include "core/agg.h"
#include "core/proto.h"
#include "core/jsonw.h"
#include "core/sched_hist.h"
#include "latgov/conn.h"
#include "session.h"
#include "targets.h"
#include "tracer.h"

#define TARGET_REFRESH_NS (1000ull * 1000 * 1000)

static volatile sig_atomic_t stop_requested;

struct session {
	const struct lg_options *opts;
	struct targets tg;
	struct tracer *tracer;
	struct agg *agg;
	uint64_t start_ns;
	uint64_t now_ns;
	uint64_t counters[LG_CNT__MAX];
	/* With scheduler attribution: the process-wide histograms, cumulative and of the last window. */
	int sched;
	struct lg_sched_hist proc_cum;
	struct lg_sched_hist proc_window;
	struct session_part parts[SESSION_MAX_PARTS];
	int nparts;
	int targets_gone;
	int failed_to_start;	/* parts end without output */
	int agg_errors;
	struct session_outputs outs;	/* opened before anything starts */
	int part_failed;	/* a part could not finish its work (session_part_failed): exit 1 */
	FILE *records;		/* LATGOV_RECORDS=FILE: every record as JSONL, for tests */
	int records_failed;	/* a record line could not be written (said once) */
	char cgroup_dir[512];
	struct jsonw records_jw;
};

/*
 * Holds on what only the end undoes (the governor's limits, COMMAND's child
 * and cgroup): while any is held, a second signal must not end the process.
 */
static volatile sig_atomic_t restore_pending;

static void on_signal(int sig)
{
	(void)sig;
	/*
	 * A second Ctrl-C: the user means it. Not while limits are still to be
	 * restored: a terminal's Ctrl-C reaches a whole process group, and a
	 * wrapper script that passes it on makes it a second one.
	 */
	if (stop_requested && !restore_pending)
		_exit(130);
	stop_requested = 1;
}

void session_hold_restore(struct session *s, int holding)
{
	(void)s;
	restore_pending += holding ? 1 : -1;	/* only the main thread changes it */
}

int session_add_part(struct session *s, const struct session_part *p)
{
	if (s->nparts == SESSION_MAX_PARTS)
		return -ENOSPC;
	s->parts[s->nparts++] = *p;
	return 0;
}

const struct lg_options *session_options(const struct session *s) { return s->opts; }
const struct agg *session_agg(const struct session *s) { return s->agg; }
struct tracer *session_tracer(const struct session *s) { return s->tracer; }

const char *session_cgroup_dir(const struct session *s)
{
	return s->cgroup_dir[0] ? s->cgroup_dir : NULL;
}

size_t session_target_pids(const struct session *s, const uint32_t **pids)
{
	*pids = s->tg.pids;
	return s->tg.npids;
}

struct session_outputs *session_outputs(struct session *s) { return &s->outs; }
void session_part_failed(struct session *s) { s->part_failed = 1; }

const uint64_t *session_counters(const struct session *s) { return s->counters; }
uint64_t session_duration_ns(const struct session *s) { return s->now_ns - s->start_ns; }
int session_ran(const struct session *s) { return !s->failed_to_start; }

const struct lg_sched_hist *session_sched_window(const struct session *s)
{
	return s->sched ? &s->proc_window : NULL;
}

const struct lg_sched_hist *session_sched_total(const struct session *s)
{
	return s->sched ? &s->proc_cum : NULL;
}

void session_parts_status(struct session *s, struct strbuf *sb)
{
	for (int i = 0; i < s->nparts; i++)
		if (s->parts[i].status)
			s->parts[i].status(s, s->parts[i].ctx, sb);
}

void session_parts_metrics(struct session *s, struct prom_exposition *x)
{
	for (int i = 0; i < s->nparts; i++)
		if (s->parts[i].metrics)
			s->parts[i].metrics(s, s->parts[i].ctx, x);
}


/* ---- tracer callbacks -------------------------------------------------------- */

/*
 * One line per record with its times and counts (never payload: the endpoint
 * name only), so tests can check chunk counts and flush delays per request.
 */
static void record_line(struct session *s, const struct lg_request *r)
{
	struct jsonw *jw = &s->records_jw;
	char name[ENDPOINT_NAME_MAX];
	const struct proto_ops *proto;

	proto_endpoint_name(r, name, sizeof(name), &proto);
	jw_reset(jw);
	jw_obj_begin(jw);
	jw_kv_str(jw, "endpoint", name);
	jw_kv_u64(jw, "conn_id", r->conn_id);
	jw_kv_u64(jw, "seq", r->seq);
	jw_kv_u64(jw, "batch", r->batch);
	jw_kv_u64(jw, "flags", r->flags);
	jw_kv_u64(jw, "end_reason", r->end_reason);
	jw_kv_u64(jw, "role", r->role);
	jw_kv_u64(jw, "tgid", r->tgid);
	jw_kv_u64(jw, "t_arrival_ns", r->t_arrival_ns);
	jw_kv_u64(jw, "t_read_ns", r->t_read_ns);
	jw_kv_u64(jw, "t_first_resp_ns", r->t_first_resp_ns);
	jw_kv_u64(jw, "t_last_resp_ns", r->t_last_resp_ns);
	jw_kv_u64(jw, "bytes_in", r->bytes_in);
	jw_kv_u64(jw, "bytes_out", r->bytes_out);
	jw_kv_u64(jw, "reads", r->reads);
	jw_kv_u64(jw, "resp_writes", r->resp_writes);
	jw_kv_u64(jw, "max_gap_ns", r->max_gap_ns);
	jw_kv_u64(jw, "delivered_ns", mono_ns());
	jw_obj_end(jw);
	jw_raw(jw, "\n");
	if (jw_finish(jw) == 0 && fwrite(jw->buf, 1, jw->len, s->records) != jw->len &&
	    !s->records_failed) {
		fprintf(stderr, "latgov: cannot write the records to %s: %s\n", getenv("LATGOV_RECORDS"),
			strerror(errno));
		s->records_failed = 1;
	}
}

static void on_request(void *ctx, const struct lg_request *r)
{
	struct session *s = ctx;

	if (agg_add(s->agg, r) == -EINVAL)
		s->agg_errors++;
	for (int i = 0; i < s->nparts; i++)
		if (s->parts[i].on_request)
			s->parts[i].on_request(s, s->parts[i].ctx, r);
	if (s->records)
		record_line(s, r);
}

/*
 * The parts of flame and govern (and of --flame / --policy on any session
 * command). Returns 0, or -EINVAL for a part that cannot start (it said why).
 */
static int add_command_parts(struct session *s)
{
	const struct lg_options *o = s->opts;

	if ((o->cmd == LG_CMD_FLAME || o->flame_dir) && session_flame_parts(s))
		return -EINVAL;
	if ((o->cmd == LG_CMD_GOVERN || o->policy_path) && session_governor_parts(s))
		return -EINVAL;
	return 0;
}

/* The outputs, after the command parts. Returns 0, -ENOMEM, or -EINVAL for one that cannot start (it said why). */
static int add_output_parts(struct session *s)
{
	const struct lg_options *o = s->opts;
	int e;

	e = session_table_part(s);
	if (!e && (o->json_path || o->summary_path))
		e = session_json_part(s);
	if (!e && o->metrics_addr)
		e = session_metrics_part(s);
	return e == -ENOMEM ? -ENOMEM : e ? -EINVAL : 0;
}

/* ---- the loop ------------------------------------------------------------------ */

static int add_targets(struct session *s, size_t from)
{
	size_t i;
	int e;

	for (i = from; i < s->tg.npids; i++) {
		e = tracer_add_target(s->tracer, s->tg.pids[i]);
		if (e) {
			fprintf(stderr, "latgov: cannot trace PID %u: %s\n", s->tg.pids[i], strerror(-e));
			return e;
		}
	}
	for (i = 0; i < s->tg.nports; i++)
		tracer_watch_listen_port(s->tracer, s->tg.ports[i]);
	return 0;
}

/*
 * 1 when nothing is left to trace. The kernel drops a target at its exit;
 * one that died before the programs were attached is dropped here.
 */
static int targets_gone(struct session *s)
{
	uint32_t tgids[256];
	int n, i, alive = 0;
	int st;

	if (s->tg.child > 0) {
		if (waitpid(s->tg.child, &st, WNOHANG) == s->tg.child) {
			s->tg.child = 0;
			return 1;
		}
		return 0;
	}
	n = tracer_targets(s->tracer, tgids, 256);
	for (i = 0; i < n; i++) {
		if (targets_pid_alive(tgids[i]))
			alive++;
		else
			tracer_remove_target(s->tracer, tgids[i]);
	}
	/* A full list may hide live ones: the next refresh looks again. */
	return alive == 0 && n < 256;
}

/* The process-wide scheduler histograms: the last window's, and all so far. */
static void read_proc_sched(struct session *s)
{
	struct lg_sched_hist now;

	if (!s->sched || tracer_sched_hist(s->tracer, &now))
		return;
	sched_hist_delta(&now, &s->proc_cum, &s->proc_window);
	s->proc_cum = now;
}

static int run_parts_window(struct session *s)
{
	int i, e;

	tracer_counters(s->tracer, s->counters);
	read_proc_sched(s);
	for (i = 0; i < s->nparts; i++) {
		if (!s->parts[i].on_window)
			continue;
		e = s->parts[i].on_window(s, s->parts[i].ctx);
		if (e)
			return e;
	}
	return 0;
}

/*
 * Closes the windows that end at or before horizon one at a time, so that
 * every part sees every window even after a stall or at the end.
 */
static int roll_until(struct session *s, uint64_t horizon)
{
	uint64_t w = agg_window_ns(s->agg), end;
	int e;

	for (;;) {
		end = s->start_ns + (agg_windows_closed(s->agg) + 1) * w;
		if (end > horizon)
			return 0;
		if (agg_roll(s->agg, end) > 0) {
			e = run_parts_window(s);
			if (e)
				return e;
		}
	}
}

static int loop(struct session *s)
{
	uint64_t next_refresh = s->start_ns + TARGET_REFRESH_NS;
	uint64_t end = s->opts->duration_ns ? s->start_ns + s->opts->duration_ns : 0;
	int e;

	while (!stop_requested) {
		e = tracer_poll(s->tracer, SESSION_POLL_MS);
		if (e < 0) {
			fprintf(stderr, "latgov: reading the ring buffer failed: %s\n", strerror(-e));
			return e;
		}
		s->now_ns = mono_ns();
		tracer_flush_idle(s->tracer, s->now_ns, LG_FLUSH_IDLE_NS);
		for (int i = 0; i < s->nparts; i++)
			if (s->parts[i].on_poll)
				s->parts[i].on_poll(s, s->parts[i].ctx);
		if (s->now_ns > s->start_ns + SESSION_DELIVERY_NS) {
			e = roll_until(s, s->now_ns - SESSION_DELIVERY_NS);
			if (e)
				return e;
		}
		if (end && s->now_ns >= end)
			break;
		if (s->now_ns >= next_refresh) {
			int added;

			next_refresh = s->now_ns + TARGET_REFRESH_NS;
			added = targets_refresh(&s->tg);
			if (added > 0)
				add_targets(s, s->tg.npids - (size_t)added);
			if (targets_gone(s)) {
				s->targets_gone = 1;
				break;
			}
		}
	}
	return 0;
}

/* Drains what is in flight and closes the last windows. */
static void finish(struct session *s)
{
	int i;

	/*
	 * A response can be on its way out at the very moment the session
	 * ends (its client may already have it): give in-flight send calls a
	 * moment to return and their records to arrive, then flush.
	 */
	tracer_poll(s->tracer, s->failed_to_start ? 0 : SESSION_DRAIN_MS);
	s->now_ns = mono_ns();
	tracer_flush_idle(s->tracer, s->now_ns, 0);
	tracer_poll(s->tracer, 0);
	/* Close every window, the partial last one included, with its true length (its rate). */
	if (!s->failed_to_start) {
		agg_set_end(s->agg, s->now_ns);
		roll_until(s, s->now_ns + agg_window_ns(s->agg));
	}
	tracer_counters(s->tracer, s->counters);
	read_proc_sched(s);
	for (i = 0; i < s->nparts; i++)
		if (s->parts[i].on_end)
			s->parts[i].on_end(s, s->parts[i].ctx);
	s->nparts = 0;
}

int cmd_session(const struct lg_options *opts)
{
	struct tracer_callbacks cb = { on_request, NULL };
	struct tracer_config tcfg = { 0 };
	struct agg_config acfg = { 0 };
	struct session *s;
	struct sigaction sa;
	const char *force;
	int cmd_held = 0;	/* a hold on COMMAND's end (session_hold_restore) */
	char err[512];
	int rc = -EIO, e;

	if (geteuid() != 0) {
		fprintf(stderr, "latgov %s: needs root (BPF programs and tracepoints need CAP_BPF and CAP_PERFMON): run it with sudo\n",
			options_cmd_name(opts->cmd));
		return -EPERM;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->opts = opts;
	cb.ctx = s;
	/* every destination is checked and opened before a target starts or a program attaches */
	e = session_outputs_open(&s->outs, opts);
	if (e) {
		rc = e;
		goto out_free;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	e = targets_resolve(opts, &s->tg, err, sizeof(err));
	if (e) {
		fprintf(stderr, "latgov %s: %s\n", options_cmd_name(opts->cmd), err);
		rc = e == -ENOMEM ? e : -EINVAL;	/* a TARGET latgov cannot follow is bad input */
		goto out_free;
	}
	/* COMMAND: its process and the cgroup latgov made go at targets_cleanup. */
	cmd_held = s->tg.created_cgroup[0] != 0;
	if (cmd_held)
		session_hold_restore(s, 1);
	force = getenv("LATGOV_FORCE_SYSCALL_PATH");
	tcfg.force_syscall_path = force && strcmp(force, "1") == 0;
	tcfg.max_conns = opts->max_conns;
	tcfg.sched = options_sched(opts);
	tcfg.need_reads = targets_listen_shared(&s->tg);
	/* the flame part's off-CPU spans ride on the scheduler attribution (tracer.h) */
	tcfg.prof_shared = (opts->cmd == LG_CMD_FLAME || opts->flame_dir) && opts->off_cpu;
	tcfg.prof_min_span_ns = LG_OFFCPU_MIN_SPAN_NS;
	tcfg.prof_requests_only = opts->requests_only;
	e = tracer_open(&s->tracer, &cb, &tcfg, err, sizeof(err));
	if (e) {
		fprintf(stderr, "latgov %s: %s\n", options_cmd_name(opts->cmd), err);
		goto out_targets;
	}
	if (add_targets(s, 0))
		goto out_tracer;
	s->sched = tracer_sched(s->tracer);

	s->start_ns = mono_ns();
	s->now_ns = s->start_ns;
	acfg.start_ns = s->start_ns;
	acfg.window_ns = opts->interval_ns;
	if (opts->policy_path && !opts->interval_set) {
		uint64_t w = session_governor_window_ns(opts->policy_path);

		if (w)
			acfg.window_ns = w;
	}
	s->agg = agg_new(&acfg);
	if (!s->agg) {
		fprintf(stderr, "latgov: cannot create the aggregator: %s\n", strerror(errno));
		goto out_tracer;
	}
	if (s->tg.cgroup_procs[0]) {
		snprintf(s->cgroup_dir, sizeof(s->cgroup_dir), "%s", s->tg.cgroup_procs);
		*strrchr(s->cgroup_dir, '/') = 0;
	}
	if (add_command_parts(s)) {
		rc = -EINVAL;
		goto out_parts;
	}
	rc = add_output_parts(s);
	if (rc)
		goto out_parts;
	if (s->outs.records >= 0) {
		s->records = fdopen(s->outs.records, "a");
		if (!s->records) {
			fprintf(stderr, "latgov: cannot write the records to %s: %s\n",
				getenv("LATGOV_RECORDS"), strerror(errno));
			rc = -ENOMEM;
			goto out_parts;
		}
		s->outs.records = -1;
		setvbuf(s->records, NULL, _IOLBF, 0);	/* whole lines, even after a crash */
		jw_init(&s->records_jw);
	}
	e = targets_start_command(&s->tg, err, sizeof(err));
	if (e) {
		fprintf(stderr, "latgov %s: %s\n", options_cmd_name(opts->cmd), err);
		rc = -EINVAL;
		goto out_parts;
	}
	fprintf(stderr, "latgov: tracing %zu process%s (hooks: %s%s); Ctrl-C to stop\n",
		s->tg.npids, s->tg.npids == 1 ? "" : "es", tracer_hook_path(s->tracer),
		tracer_skb_dynptr(s->tracer) ? "" : ", linear skb data only");

	e = loop(s);
	finish(s);
	rc = e ? -EIO : 0;
	if (s->targets_gone)
		fprintf(stderr, "latgov: the target exited; the summary covers the run so far\n");
	goto out_agg;

out_parts:
	/* Nothing ran: let the parts free themselves without output. */
	s->failed_to_start = 1;
	finish(s);
out_agg:
	if (s->records) {
		if (fclose(s->records) && !s->records_failed) {
			fprintf(stderr, "latgov: cannot write the records to %s: %s\n",
				getenv("LATGOV_RECORDS"), strerror(errno));
			s->records_failed = 1;
		}
		s->part_failed |= s->records_failed;
		jw_free(&s->records_jw);
	}
	if (s->part_failed && !rc)
		rc = -EIO;
	agg_free(s->agg);
out_tracer:
	tracer_close(s->tracer);
out_targets:
	targets_cleanup(&s->tg, 2000);
	if (cmd_held)
		session_hold_restore(s, 0);
out_free:
	session_outputs_close(&s->outs);
	free(s);
	return rc;
}
