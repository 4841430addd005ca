// SPDX-License-Identifier: GPL-2.0-only
#include "core/governor_prom.h"

static const struct prom_metric cpu_limit_metric = {
	"latgov_cpu_limit_cores",
	"CPU limit the governor holds, in cores (0: unlimited or not governed).", PROM_GAUGE,
};
static const struct prom_metric cpu_usage_metric = {
	"latgov_cpu_usage_cores", "CPU usage of the governed cgroup over the last tick, in cores.",
	PROM_GAUGE,
};
static const struct prom_metric throttle_metric = {
	"latgov_throttle_ratio", "Share of CFS periods throttled over the last tick.", PROM_GAUGE,
};
static const struct prom_metric mem_limit_metric = {
	"latgov_memory_limit_bytes",
	"memory.high (v2) or soft limit (v1) the governor holds (0: unlimited or not governed).",
	PROM_GAUGE,
};
static const struct prom_metric mem_usage_metric = {
	"latgov_memory_usage_bytes", "Memory usage of the governed cgroup.", PROM_GAUGE,
};
static const struct prom_metric decisions_metric = {
	"latgov_decisions_total", "Governor decisions by action.", PROM_COUNTER,
};
static const struct prom_metric foreign_metric = {
	"latgov_foreign_writes",
	"1 once someone else wrote a limit and the governor stepped aside.", PROM_GAUGE,
};

void governor_prom_metrics(struct prom_exposition *x, const struct governor_status *st)
{
	struct prom_label label;

	prom_sample(x, &cpu_limit_metric, NULL, 0, st->cpu_limit_cores);
	prom_sample(x, &cpu_usage_metric, NULL, 0, st->cpu_usage_cores);
	prom_sample(x, &throttle_metric, NULL, 0, st->throttle_ratio);
	prom_sample_u64(x, &mem_limit_metric, NULL, 0, st->mem_limit_bytes);
	prom_sample_u64(x, &mem_usage_metric, NULL, 0, st->mem_usage_bytes);
	label.key = "action";
	for (int a = 0; a < DECIDE_ACTION_COUNT; a++) {
		label.value = decide_action_name(a);
		prom_sample_u64(x, &decisions_metric, &label, 1, st->decisions[a]);
	}
	label.key = "resource";
	label.value = "cpu";
	prom_sample_u64(x, &foreign_metric, &label, 1, st->cpu_foreign != 0);
	label.value = "memory";
	prom_sample_u64(x, &foreign_metric, &label, 1, st->mem_foreign != 0);
}

int governor_prom_write(struct strbuf *sb, const struct governor_status *st)
{
	struct prom_exposition x;
	int e;

	prom_exposition_init(&x);
	governor_prom_metrics(&x, st);
	e = prom_render(&x, sb);
	prom_exposition_free(&x);
	return e;
}
