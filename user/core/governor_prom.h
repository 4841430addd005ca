/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the governor shows of itself: the figures of its latest tick, for the
 * live view and /metrics, and their Prometheus metrics. Pure: the governor
 * shell fills a struct governor_status; this reports it as typed samples to a
 * struct prom_exposition (prom_text.h), which the session renders after the
 * request metrics.
 */
#ifndef LATGOV_GOVERNOR_PROM_H
#define LATGOV_GOVERNOR_PROM_H

#include <stdint.h>

#include "core/decide.h"
#include "core/prom_text.h"
#include "core/strbuf.h"

struct governor_status {
	uint64_t ticks;
	double cpu_limit_cores;		/* 0: unlimited or not governed */
	double cpu_usage_cores;
	double throttle_ratio;
	uint64_t mem_limit_bytes;	/* memory.high / soft limit; 0: unlimited or not governed */
	uint64_t mem_usage_bytes;
	enum decide_action last_action;
	char last_reason[DECIDE_REASON_MAX];
	uint64_t decisions[DECIDE_ACTION_COUNT];	/* latgov_decisions_total{action} */
	int cpu_foreign;		/* someone else wrote the CPU limit: hands off */
	int mem_foreign;
	int writes;			/* 0 in dry-run and observe */
};

/*
 * Reports the governor's metrics to x:
 *   latgov_cpu_limit_cores        gauge (0: unlimited or CPU not governed)
 *   latgov_cpu_usage_cores        gauge
 *   latgov_throttle_ratio         gauge
 *   latgov_memory_limit_bytes     gauge (0: unlimited or memory not governed)
 *   latgov_memory_usage_bytes     gauge
 *   latgov_decisions_total{action="hold|raise|lower|rollback"}  counter
 *   latgov_foreign_writes{resource="cpu|memory"}  gauge, 1 once latgov stepped aside
 * Byte counts are reported as exact integers. Errors come from prom_render().
 */
void governor_prom_metrics(struct prom_exposition *x, const struct governor_status *st);

/*
 * Appends the governor's metrics alone as text (governor_prom_metrics() then
 * prom_render()). Returns 0, or -ENOMEM when the buffer could not grow.
 */
int governor_prom_write(struct strbuf *sb, const struct governor_status *st);

#endif
