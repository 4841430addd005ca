// SPDX-License-Identifier: GPL-2.0-only
#include "core/governor_prom.h"

#include <inttypes.h>
#include <math.h>

#include "core/prom.h"

static void header(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	sb_printf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The text format spells the values printf has no fixed form for as NaN, +Inf and -Inf. */
static void value(struct strbuf *sb, double v)
{
	if (isnan(v))
		sb_puts(sb, " NaN\n");
	else if (isinf(v))
		sb_puts(sb, v > 0 ? " +Inf\n" : " -Inf\n");
	else
		sb_printf(sb, " %.10g\n", v);
}

static void gauge(struct strbuf *sb, const char *name, const char *help, double v)
{
	header(sb, name, "gauge", help);
	sb_puts(sb, name);
	value(sb, v);
}

/* Bytes past 2^53 lose their last digits in a double: written as integers instead. */
static void gauge_u64(struct strbuf *sb, const char *name, const char *help, uint64_t v)
{
	header(sb, name, "gauge", help);
	sb_printf(sb, "%s %" PRIu64 "\n", name, v);
}

static void labelled(struct strbuf *sb, const char *name, const char *key, const char *label,
		     uint64_t v)
{
	sb_printf(sb, "%s{%s=\"", name, key);
	prom_escape_label(sb, label);
	sb_printf(sb, "\"} %" PRIu64 "\n", v);
}

int governor_prom_write(struct strbuf *sb, const struct governor_status *st)
{
	gauge(sb, "latgov_cpu_limit_cores",
	      "CPU limit the governor holds, in cores (0: unlimited or not governed).",
	      st->cpu_limit_cores);
	gauge(sb, "latgov_cpu_usage_cores",
	      "CPU usage of the governed cgroup over the last tick, in cores.", st->cpu_usage_cores);
	gauge(sb, "latgov_throttle_ratio", "Share of CFS periods throttled over the last tick.",
	      st->throttle_ratio);
	gauge_u64(sb, "latgov_memory_limit_bytes",
		  "memory.high (v2) or soft limit (v1) the governor holds (0: unlimited or not governed).",
		  st->mem_limit_bytes);
	gauge_u64(sb, "latgov_memory_usage_bytes", "Memory usage of the governed cgroup.",
		  st->mem_usage_bytes);
	header(sb, "latgov_decisions_total", "counter", "Governor decisions by action.");
	for (int a = 0; a < DECIDE_ACTION_COUNT; a++)
		labelled(sb, "latgov_decisions_total", "action", decide_action_name(a),
			 st->decisions[a]);
	header(sb, "latgov_foreign_writes", "gauge",
	       "1 once someone else wrote a limit and the governor stepped aside.");
	labelled(sb, "latgov_foreign_writes", "resource", "cpu", st->cpu_foreign != 0);
	labelled(sb, "latgov_foreign_writes", "resource", "memory", st->mem_foreign != 0);
	return sb_finish(sb);
}
