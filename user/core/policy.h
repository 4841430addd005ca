/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Governor policies: a YAML file (schema in policies/README.md) parsed with
 * libyaml into struct policy. Pure: the caller hands in the text; nothing is
 * read, printed or applied here.
 *
 * A policy either loads completely or not at all: on any error the output
 * struct is left untouched, so nothing from a bad file can reach a cgroup.
 */
#ifndef LATGOV_POLICY_H
#define LATGOV_POLICY_H

#include <stddef.h>
#include <stdint.h>

enum policy_metric {
	POLICY_METRIC_NONE = 0,	/* no objective: hold the bounds, steer by throttling */
	POLICY_METRIC_LATENCY,	/* request latency, first byte in to last byte out */
	POLICY_METRIC_TTFB,	/* time to first response byte (token streaming) */
};

enum policy_mode {
	POLICY_MODE_OBSERVE = 0,	/* decide and log, write nothing, say nothing of writes */
	POLICY_MODE_DRY_RUN,		/* decide, log and print what would be written */
	POLICY_MODE_ENFORCE,		/* write the limits */
};

#define POLICY_NAME_MAX 64

struct policy {
	char name[POLICY_NAME_MAX];
	enum policy_mode mode;

	/* objective */
	enum policy_metric metric;
	double percentile;		/* 0 < p < 100, e.g. 99 */
	uint64_t target_us;		/* the latency the percentile must stay at or under */
	double max_error_rate;		/* 0..1; negative: no error objective */
	uint64_t window_ns;		/* the window the objective is judged over */
	uint64_t min_requests;		/* fewer requests in a window: hold */

	/* cpu (millicores); cpu_set == 0: the policy leaves CPU alone */
	int cpu_set;
	uint64_t cpu_min_mc;
	uint64_t cpu_max_mc;
	uint64_t cpu_initial_mc;	/* 0: start from the current limit, clamped */
	double cpu_margin;		/* never lower below usage x (1 + margin) */
	double throttle_target;		/* throttle ratio above which CPU is short */

	/* memory (bytes): memory.high on v2, memory.soft_limit_in_bytes on v1 */
	int memory_set;
	uint64_t mem_min;
	uint64_t mem_max;
	uint64_t mem_initial;		/* 0: start from the current value, clamped */
	double mem_margin;
	double mem_step_down;		/* per step, gentler than CPU (Senpai: 1%) */
	double mem_pressure_target;	/* PSI some share (0..1) that counts as pressure */

	/* control */
	uint64_t interval_ns;
	double max_step_up;		/* a raise multiplies by at most 1 + max_step_up */
	double max_step_down;		/* a cut multiplies by at least 1 - max_step_down */
	uint64_t calm_ns;		/* no breach for this long before any step down */
	double hysteresis;		/* below target x (1 - h) counts as slack; between: hold */
	uint64_t cooldown_ns;		/* after any change; a breach within it rolls a cut back */
};

/* The defaults every key falls back to (documented in policies/README.md). */
void policy_defaults(struct policy *p);

/*
 * Parses YAML text of len bytes. filename is only used in messages.
 * Returns 0 and fills *out, or -EINVAL with one line in err of the form
 * "FILE:LINE:COLUMN: what was wrong, and what was expected" (1-based).
 */
int policy_parse(const char *text, size_t len, const char *filename,
		 struct policy *out, char *err, size_t errlen);

const char *policy_mode_name(enum policy_mode m);
#endif
