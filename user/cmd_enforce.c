// SPDX-License-Identifier: GPL-2.0-only
/*
 * latgov enforce: hold fixed CPU and memory limits on a cgroup for the length
 * of a load test, report throttling and memory events per window, and put
 * the original values back at the end (on -d, Ctrl-C or SIGTERM; after a
 * crash, `latgov restore` does it from the state file).
 *
 * The memory limit is the hard one (v2 memory.max, v1 memory.limit_in_bytes),
 * as a container runtime would set it; it is refused below current usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "commands.h"
#include "core/jsonw.h"
#include "core/units.h"
#include "governor.h"
#include "io/cgroup.h"
#include "io/outfile.h"
#include "io/statefile.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* A memory figure, or the cgroup's "max" for none. */
static void human_bytes(uint64_t b, char *buf, size_t len)
{
	if (b == CG_UNLIMITED)
		snprintf(buf, len, "unlimited");
	else
		units_bytes(b, buf, len);
}

struct totals {
	uint64_t periods, throttled, throttled_ns, mem_events, oom_kills, windows;
	uint64_t mem_peak;
};

static void report_window(const struct lg_options *o, const struct cg_target *cg, FILE *log,
			  struct jsonw *jw, double elapsed, const struct cg_rates *r,
			  const struct cg_stats *s, struct totals *tot, int foreign)
{
	char mem[32], lim[32];
	struct timespec ts;

	human_bytes(s->mem_usage, mem, sizeof(mem));
	human_bytes(o->memory_bytes, lim, sizeof(lim));
	printf("[%6.1fs]", elapsed);
	if (cg->cpu_dir[0]) {
		if (r->usage_cores >= 0)
			printf(" cpu %.2f", r->usage_cores);
		else
			printf(" cpu ?");
		if (o->cpu_millicores)
			printf(" of %.2f cores", o->cpu_millicores / 1000.0);
		else
			printf(" cores");
		printf(", throttled %llu/%llu periods (%.0f%%), %.3fs",
		       (unsigned long long)r->throttled, (unsigned long long)r->periods,
		       r->throttle_ratio * 100, r->throttled_ns / 1e9);
	}
	if (cg->mem_dir[0]) {
		printf(" | mem %s", mem);
		if (o->memory_bytes)
			printf(" of %s", lim);
		printf(", +%llu events", (unsigned long long)r->mem_events);
		if (r->oom_kills)
			printf(", +%llu OOM kills", (unsigned long long)r->oom_kills);
	}
	if (foreign)
		printf(" | limit changed by someone else");
	printf("\n");
	fflush(stdout);

	tot->windows++;
	tot->periods += r->periods;
	tot->throttled += r->throttled;
	tot->throttled_ns += r->throttled_ns;
	tot->mem_events += r->mem_events;
	tot->oom_kills += r->oom_kills;
	if (s->mem_usage > tot->mem_peak)
		tot->mem_peak = s->mem_usage;

	if (!log)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	jw_reset(jw);
	jw_obj_begin(jw);
	jw_kv_u64(jw, "time_ms", (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	jw_kv_double(jw, "elapsed_s", elapsed);
	jw_kv_str(jw, "cgroup", cg->path);
	jw_kv_str(jw, "mode", o->dry_run ? "dry-run" : "enforce");
	if (o->cpu_millicores)
		jw_kv_double(jw, "cpu_limit_cores", o->cpu_millicores / 1000.0);
	jw_kv_double(jw, "cpu_usage_cores", r->usage_cores);
	jw_kv_u64(jw, "nr_periods", r->periods);
	jw_kv_u64(jw, "nr_throttled", r->throttled);
	jw_kv_double(jw, "throttle_ratio", r->throttle_ratio);
	jw_kv_u64(jw, "throttled_ns", r->throttled_ns);
	if (o->memory_bytes)
		jw_kv_u64(jw, "memory_limit_bytes", o->memory_bytes);
	jw_kv_u64(jw, "memory_usage_bytes", s->mem_usage);
	jw_kv_u64(jw, "memory_events", r->mem_events);
	jw_kv_u64(jw, "oom_kills", r->oom_kills);
	jw_kv_bool(jw, "foreign_write", foreign);
	jw_obj_end(jw);
	jw_raw(jw, "\n");
	if (!jw_finish(jw))
		fwrite(jw->buf, 1, jw->len, log);
}

int cmd_enforce(const struct lg_options *o)
{
	char err[1024], cpu_val[64] = "", mem_val[64] = "", weight_val[32] = "";
	struct knob_ctl cpu = { 0 }, mem = { 0 }, weight = { 0 };
	struct statefile *sf = NULL;
	struct cg_stats prev, cur;
	struct totals tot = { 0 };
	struct sigaction sa;
	struct cg_target cg;
	struct cg_rates r;
	struct jsonw jw;
	uint64_t period = 0, start, deadline, prev_ns, now;
	FILE *log = NULL, *dry = o->dry_run ? stdout : NULL;
	int ret, rc = -EIO, left, foreign, log_failed = 0;

	jw_init(&jw);
	ret = cg_open(&cg, o->cgroup, NULL, err, sizeof(err));
	if (ret) {
		/* whatever the call said (not a cgroup, no controller, ...), the path given is wrong */
		fprintf(stderr, "latgov enforce: %s\n", err);
		return -EINVAL;
	}
	if (o->cpu_millicores && !cg.cpu_dir[0]) {
		fprintf(stderr, "latgov enforce: --cpu: cgroup %s has no CPU controller (on cgroup v1, create the same name under /sys/fs/cgroup/cpu)\n",
			cg.path);
		return -EINVAL;
	}
	if (o->cpu_weight && !cg.cpu_dir[0]) {
		fprintf(stderr, "latgov enforce: --cpu-weight: cgroup %s has no CPU controller (on cgroup v1, create the same name under /sys/fs/cgroup/cpu)\n",
			cg.path);
		return -EINVAL;
	}
	if (o->memory_bytes && !cg.mem_dir[0]) {
		fprintf(stderr, "latgov enforce: --memory: cgroup %s has no memory controller (on cgroup v1, create the same name under /sys/fs/cgroup/memory)\n",
			cg.path);
		return -EINVAL;
	}
	cg_read_stats(&cg, &prev);
	if (o->memory_bytes && prev.have_mem && o->memory_bytes < prev.mem_usage) {
		char want[32], have[32];

		human_bytes(o->memory_bytes, want, sizeof(want));
		human_bytes(prev.mem_usage, have, sizeof(have));
		fprintf(stderr, "latgov enforce: --memory %s is below the cgroup's current usage %s; a hard limit below usage forces reclaim or an OOM kill, so give at least %s\n",
			want, have, have);
		return -EINVAL;
	}
	if (o->cpu_millicores) {
		ret = cg_cpu_period(&cg, &period);
		if (!ret)
			ret = cg_format_cpu(&cg, o->cpu_millicores, period, cpu_val, sizeof(cpu_val));
		if (ret) {
			fprintf(stderr, "latgov enforce: cgroup %s: cannot read the CFS period: %s\n", cg.path,
				strerror(-ret));
			return -EIO;
		}
	}
	if (o->memory_bytes)
		cg_format_mem(&cg, o->memory_bytes, mem_val, sizeof(mem_val));
	if (o->cpu_weight)
		cg_format_weight(&cg, o->cpu_weight, weight_val, sizeof(weight_val));

	if (o->log_path) {
		/* appended to as root: never through a link, nor to a file others can change */
		ret = outfile_open_stream(o->log_path, 0, err, sizeof(err));
		if (ret < 0) {
			fprintf(stderr, "latgov enforce: --log: %s\n", err);
			return -EINVAL;
		}
		log = fdopen(ret, "a");
		if (!log) {
			fprintf(stderr, "latgov enforce: cannot open the log %s: %s\n", o->log_path,
				strerror(errno));
			close(ret);
			return -EIO;
		}
		setvbuf(log, NULL, _IOLBF, 0);
	}
	if (!o->dry_run) {
		ret = statefile_acquire(&sf, STATEFILE_DIR, cg.key, err, sizeof(err));
		if (ret) {
			fprintf(stderr, "latgov enforce: %s\n", err);
			/*
			 * Another latgov on the cgroup, or a dead one's limits still to
			 * restore, is the machine's state; any other refusal (the path,
			 * where the record goes) the user fixes on the command line.
			 */
			rc = ret == -EBUSY || ret == -EEXIST ? ret : -EINVAL;
			goto out_log;
		}
	}
	/* originals go to the state file here, before the first write */
	if ((o->cpu_millicores && (ret = knob_ctl_init(&cpu, &cg, CG_KNOB_CPU_MAX, sf))) ||
	    (o->memory_bytes && (ret = knob_ctl_init(&mem, &cg, CG_KNOB_MEM_MAX, sf))) ||
	    (o->cpu_weight && (ret = knob_ctl_init(&weight, &cg, CG_KNOB_CPU_WEIGHT, sf)))) {
		fprintf(stderr, "latgov enforce: cannot read or record the current limits of %s: %s\n",
			cg.path, strerror(-ret));
		goto out_release;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: the sleep below wakes up */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (o->cpu_millicores) {
		ret = knob_ctl_write(&cpu, &cg, sf, cpu_val, dry);
		if (ret < 0) {
			fprintf(stderr, "latgov enforce: cannot write %s to %s: %s\n", cpu_val, cpu.path,
				strerror(-ret));
			goto out_restore;
		}
	}
	if (o->memory_bytes) {
		ret = knob_ctl_write(&mem, &cg, sf, mem_val, dry);
		if (ret < 0) {
			fprintf(stderr, "latgov enforce: cannot write %s to %s: %s%s\n", mem_val, mem.path,
				strerror(-ret),
				ret == -EBUSY ? " (the kernel could not reclaim down to it; give a larger --memory)" : "");
			goto out_restore;
		}
	}
	if (o->cpu_weight) {
		ret = knob_ctl_write(&weight, &cg, sf, weight_val, dry);
		if (ret < 0) {
			fprintf(stderr, "latgov enforce: cannot write %s to %s: %s\n", weight_val, weight.path,
				strerror(-ret));
			goto out_restore;
		}
	}
	printf("latgov: %s cgroup %s (v%d):", o->dry_run ? "dry run, would hold" : "holding", cg.path,
	       cg.version);
	if (o->cpu_millicores)
		printf(" cpu %.3g cores (%s = %s)", o->cpu_millicores / 1000.0,
		       cg_knob_file(&cg, CG_KNOB_CPU_MAX), cpu_val);
	if (o->memory_bytes)
		printf(" memory %s = %s", cg_knob_file(&cg, CG_KNOB_MEM_MAX), mem_val);
	if (o->cpu_weight)
		printf(" weight %u (%s = %s)", o->cpu_weight, cg_knob_file(&cg, CG_KNOB_CPU_WEIGHT), weight_val);
	if (o->duration_ns)
		printf(" for %.1fs", o->duration_ns / 1e9);
	printf("%s\n", o->dry_run ? "" : "; originals saved under " STATEFILE_DIR);
	fflush(stdout);

	start = prev_ns = mono_ns();
	deadline = start;
	while (!stop_signal) {
		struct timespec ts;
		uint64_t end = o->duration_ns ? start + o->duration_ns : UINT64_MAX;

		deadline += o->interval_ns;
		if (deadline > end)
			deadline = end;
		ts.tv_sec = deadline / 1000000000ull;
		ts.tv_nsec = deadline % 1000000000ull;
		while (!stop_signal && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		now = mono_ns();
		cg_read_stats(&cg, &cur);
		cg_rates_between(&prev, &cur, now - prev_ns, &r);
		foreign = 0;
		if (!o->dry_run) {
			foreign |= o->cpu_millicores && knob_ctl_check(&cpu, &cg, sf);
			foreign |= o->memory_bytes && knob_ctl_check(&mem, &cg, sf);
			foreign |= o->cpu_weight && knob_ctl_check(&weight, &cg, sf);
		}
		if (now > prev_ns) {
			report_window(o, &cg, log, &jw, (now - start) / 1e9, &r, &cur, &tot, foreign);
			/* errno is still the failed write's: report_window writes the line last */
			if (log && ferror(log) && !log_failed) {
				fprintf(stderr, "latgov enforce: cannot write the log %s: %s\n", o->log_path,
					strerror(errno));
				log_failed = 1;
			}
		}
		prev = cur;
		prev_ns = now;
		if (now >= end)
			break;
	}
	if (stop_signal)
		printf("latgov: %s, restoring\n", stop_signal == SIGINT ? "interrupted" : "terminated");
	rc = 0;
	{
		char peak[32];

		human_bytes(tot.mem_peak, peak, sizeof(peak));
		printf("latgov: over %llu windows: throttled %llu of %llu periods (%.1f%%), %.3fs throttled; memory peak %s, %llu events, %llu OOM kills\n",
		       (unsigned long long)tot.windows, (unsigned long long)tot.throttled,
		       (unsigned long long)tot.periods,
		       tot.periods ? 100.0 * tot.throttled / tot.periods : 0.0, tot.throttled_ns / 1e9,
		       peak, (unsigned long long)tot.mem_events, (unsigned long long)tot.oom_kills);
	}
out_restore:
	if (sf) {
		left = statefile_restore(sf, NULL, stdout);
		if (left) {
			fprintf(stderr, "latgov enforce: %d limit(s) could not be restored; the record stays in %s for 'latgov restore --cgroup %s'\n",
				left, STATEFILE_DIR, cg.key);
			rc = -EIO;
		}
		statefile_release(sf, left == 0);
		sf = NULL;
	} else if (o->dry_run) {
		printf("latgov: dry run: nothing was changed\n");
	}
out_release:
	statefile_release(sf, 1);
out_log:
	if (log && fclose(log) && !log_failed) {
		fprintf(stderr, "latgov enforce: cannot write the log %s: %s\n", o->log_path,
			strerror(errno));
		log_failed = 1;
	}
	if (log_failed && !rc)
		rc = -EIO;
	jw_free(&jw);
	return rc;
}
