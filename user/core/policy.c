// SPDX-License-Identifier: GPL-2.0-only
/*
 * Policy files: libyaml builds the node tree (with source marks), and one
 * table says, for every key, where its value goes, how it is parsed and its
 * range. Every number goes through core/parse.h. Marks from libyaml are
 * 0-based; messages print them 1-based, as editors count.
 */
#include "core/policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "core/parse.h"

#define NS_PER_US 1000ull
#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

void policy_defaults(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "unnamed");
	p->mode = POLICY_MODE_ENFORCE;
	p->metric = POLICY_METRIC_NONE;
	p->percentile = 99.0;
	p->max_error_rate = -1.0;
	p->window_ns = NS_PER_S;
	p->min_requests = 20;
	p->cpu_margin = 0.20;
	p->throttle_target = 0.10;
	p->mem_margin = 0.10;
	p->mem_step_down = 0.01;
	p->mem_pressure_target = 0.01;
	p->interval_ns = NS_PER_S;
	p->max_step_up = 1.0;
	p->max_step_down = 0.10;
	p->calm_ns = 10 * NS_PER_S;
	p->hysteresis = 0.10;
	p->cooldown_ns = 5 * NS_PER_S;
}

const char *policy_mode_name(enum policy_mode m)
{
	switch (m) {
	case POLICY_MODE_OBSERVE: return "observe";
	case POLICY_MODE_DRY_RUN: return "dry-run";
	case POLICY_MODE_ENFORCE: return "enforce";
	}
	return "?";
}

enum value_kind {
	V_NAME,
	V_MODE,
	V_METRIC,
	V_PERCENTILE,
	V_DURATION,	/* uint64_t ns, bounds in ns */
	V_CPU,		/* uint64_t millicores */
	V_SIZE,		/* uint64_t bytes */
	V_RATIO,	/* double: "10%" or "0.1" */
	V_COUNT,	/* uint64_t */
	V_SECTION,	/* a mapping of further keys */
};

struct key {
	const char *section;	/* NULL: top level */
	const char *name;
	enum value_kind kind;
	size_t off;
	double min, max;	/* range in the stored unit */
};

#define OFF(f) offsetof(struct policy, f)

static const struct key keys[] = {
	{ NULL, "name", V_NAME, OFF(name), 0, 0 },
	{ NULL, "mode", V_MODE, OFF(mode), 0, 0 },
	{ NULL, "window", V_DURATION, OFF(window_ns), 100 * NS_PER_MS, 3600.0 * NS_PER_S },
	{ NULL, "min_requests", V_COUNT, OFF(min_requests), 1, 1e9 },
	{ NULL, "objective", V_SECTION, 0, 0, 0 },
	{ NULL, "cpu", V_SECTION, 0, 0, 0 },
	{ NULL, "memory", V_SECTION, 0, 0, 0 },
	{ NULL, "control", V_SECTION, 0, 0, 0 },

	{ "objective", "metric", V_METRIC, OFF(metric), 0, 0 },
	{ "objective", "percentile", V_PERCENTILE, OFF(percentile), 1, 99.999 },
	{ "objective", "target", V_DURATION, OFF(target_us), 1 * NS_PER_US, 3600.0 * NS_PER_S },
	{ "objective", "max_error_rate", V_RATIO, OFF(max_error_rate), 0, 1 },

	{ "cpu", "min", V_CPU, OFF(cpu_min_mc), 10, 1024000 },
	{ "cpu", "max", V_CPU, OFF(cpu_max_mc), 10, 1024000 },
	{ "cpu", "initial", V_CPU, OFF(cpu_initial_mc), 10, 1024000 },
	{ "cpu", "margin", V_RATIO, OFF(cpu_margin), 0, 1 },
	{ "cpu", "throttle_target", V_RATIO, OFF(throttle_target), 0.001, 1 },

	{ "memory", "min", V_SIZE, OFF(mem_min), 1 << 20, 9.0e18 },
	{ "memory", "max", V_SIZE, OFF(mem_max), 1 << 20, 9.0e18 },
	{ "memory", "initial", V_SIZE, OFF(mem_initial), 1 << 20, 9.0e18 },
	{ "memory", "margin", V_RATIO, OFF(mem_margin), 0, 1 },
	{ "memory", "step_down", V_RATIO, OFF(mem_step_down), 0.001, 0.5 },
	{ "memory", "pressure_target", V_RATIO, OFF(mem_pressure_target), 0.0001, 1 },

	{ "control", "interval", V_DURATION, OFF(interval_ns), 100 * NS_PER_MS, 60.0 * NS_PER_S },
	{ "control", "max_step_up", V_RATIO, OFF(max_step_up), 0.01, 10 },
	{ "control", "max_step_down", V_RATIO, OFF(max_step_down), 0.001, 0.5 },
	{ "control", "calm", V_DURATION, OFF(calm_ns), 0, 86400.0 * NS_PER_S },
	{ "control", "hysteresis", V_RATIO, OFF(hysteresis), 0, 0.9 },
	{ "control", "cooldown", V_DURATION, OFF(cooldown_ns), 0, 86400.0 * NS_PER_S },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* Where each key was seen, for duplicate detection and cross-key messages. */
struct seen {
	int set;
	yaml_mark_t mark;
	char text[64];
};

struct parse_ctx {
	const char *file;
	char *err;
	size_t errlen;
	yaml_document_t *doc;
	struct policy *p;
	struct seen seen[NKEYS];
};

static int failf(struct parse_ctx *c, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failf(struct parse_ctx *c, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, c->errlen, "%s:%zu:%zu: ", c->file, m.line + 1, m.column + 1);
	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *kind_expect(enum value_kind k)
{
	switch (k) {
	case V_NAME: return "a short name (letters, digits, '-', '_', '.')";
	case V_MODE: return "one of observe, dry-run, enforce";
	case V_METRIC: return "one of latency, ttfb";
	case V_PERCENTILE: return "a percentile such as p99 or p99.9";
	case V_DURATION: return "a duration such as 50ms, 1s or 2m";
	case V_CPU: return "a CPU amount in cores (1.5) or millicores (500m)";
	case V_SIZE: return "a size in bytes with a unit such as 512Mi or 2Gi";
	case V_RATIO: return "a ratio such as 10% or 0.1";
	case V_COUNT: return "a whole number";
	case V_SECTION: return "a mapping of keys";
	}
	return "?";
}

/* The range of a key in the user's units, for "out of range" messages. */
static void format_range(const struct key *k, char *buf, size_t len)
{
	switch (k->kind) {
	case V_DURATION:
		snprintf(buf, len, "%gms to %gs", k->min / NS_PER_MS, k->max / NS_PER_S);
		break;
	case V_CPU:
		snprintf(buf, len, "%gm to %g cores", k->min, k->max / 1000);
		break;
	case V_SIZE:
		snprintf(buf, len, "1Mi or more");
		break;
	case V_RATIO:
		snprintf(buf, len, "%g%% to %g%%", k->min * 100, k->max * 100);
		break;
	case V_PERCENTILE:
		snprintf(buf, len, "p%g to p%g", k->min, k->max);
		break;
	default:
		snprintf(buf, len, "%g to %g", k->min, k->max);
		break;
	}
}

static int parse_ratio(const char *s, double *out)
{
	size_t n = strlen(s);
	char num[64];
	double v;
	int err;

	if (n > 1 && s[n - 1] == '%') {
		if (n >= sizeof(num))
			return -EINVAL;
		memcpy(num, s, n - 1);
		num[n - 1] = 0;
		err = parse_double(num, 0, 1e6, &v);
		if (err)
			return err;
		*out = v / 100.0;
		return 0;
	}
	return parse_double(s, 0, 1e6, out);
}

static int valid_name(const char *s)
{
	if (!*s || strlen(s) >= POLICY_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return 0;
	return 1;
}

static int set_value(struct parse_ctx *c, const struct key *k, const char *full, yaml_node_t *v)
{
	const char *s;
	char range[64];
	char *dst = (char *)c->p + k->off;
	uint64_t u = 0;
	double d = 0;
	int err = 0;

	if (v->type != YAML_SCALAR_NODE)
		return failf(c, v->start_mark, "%s: expected %s, got a %s", full, kind_expect(k->kind),
			     v->type == YAML_MAPPING_NODE ? "mapping" : "list");
	s = (const char *)v->data.scalar.value;

	switch (k->kind) {
	case V_NAME:
		if (!valid_name(s))
			goto bad;
		snprintf(c->p->name, sizeof(c->p->name), "%s", s);
		return 0;
	case V_MODE:
		if (!strcmp(s, "observe"))
			c->p->mode = POLICY_MODE_OBSERVE;
		else if (!strcmp(s, "dry-run"))
			c->p->mode = POLICY_MODE_DRY_RUN;
		else if (!strcmp(s, "enforce"))
			c->p->mode = POLICY_MODE_ENFORCE;
		else
			goto bad;
		return 0;
	case V_METRIC:
		if (!strcmp(s, "latency"))
			c->p->metric = POLICY_METRIC_LATENCY;
		else if (!strcmp(s, "ttfb"))
			c->p->metric = POLICY_METRIC_TTFB;
		else
			goto bad;
		return 0;
	case V_PERCENTILE:
		if (s[0] != 'p')
			goto bad;
		err = parse_double(s + 1, 0, 1e6, &d);
		if (err)
			goto bad;
		if (d < k->min || d > k->max)
			goto range;
		*(double *)dst = d;
		return 0;
	case V_DURATION:
		err = parse_duration(s, NS_PER_S, &u);
		if (err == -EINVAL)
			goto bad;
		if (err || u < k->min || u > k->max)
			goto range;
		/* target is kept in µs, the unit of the latency inputs */
		*(uint64_t *)dst = (k->off == OFF(target_us)) ? u / NS_PER_US : u;
		return 0;
	case V_CPU:
		err = parse_cpu(s, &u);
		if (err == -EINVAL)
			goto bad;
		if (err || u < k->min || u > k->max)
			goto range;
		*(uint64_t *)dst = u;
		return 0;
	case V_SIZE:
		err = parse_size(s, &u);
		if (err == -EINVAL)
			goto bad;
		if (err || u < k->min || u > k->max)
			goto range;
		*(uint64_t *)dst = u;
		return 0;
	case V_RATIO:
		err = parse_ratio(s, &d);
		if (err == -EINVAL)
			goto bad;
		if (err || d < k->min || d > k->max)
			goto range;
		*(double *)dst = d;
		return 0;
	case V_COUNT: {
		long long n;

		err = parse_int(s, 0, (long long)k->max, &n);
		if (err == -EINVAL)
			goto bad;
		if (err || n < (long long)k->min)
			goto range;
		*(uint64_t *)dst = (uint64_t)n;
		return 0;
	}
	case V_SECTION:
		break;
	}
bad:
	return failf(c, v->start_mark, "%s: expected %s, got '%s'", full, kind_expect(k->kind), s);
range:
	format_range(k, range, sizeof(range));
	return failf(c, v->start_mark, "%s: '%s' is out of range (expected %s)", full, s, range);
}

static void expected_keys(const char *section, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < NKEYS && n < len; i++) {
		if ((section == NULL) != (keys[i].section == NULL))
			continue;
		if (section && strcmp(section, keys[i].section))
			continue;
		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", keys[i].name);
	}
}

static int parse_mapping(struct parse_ctx *c, const char *section, yaml_node_t *map)
{
	char full[96], expect[256];

	if (map->type != YAML_MAPPING_NODE)
		return failf(c, map->start_mark, "%s%sexpected a mapping of keys",
			     section ? section : "", section ? ": " : "");

	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *kn = yaml_document_get_node(c->doc, pair->key);
		yaml_node_t *vn = yaml_document_get_node(c->doc, pair->value);
		const struct key *k = NULL;
		const char *name;
		size_t idx;
		int err;

		if (!kn || !vn)
			return failf(c, map->start_mark, "malformed mapping");
		if (kn->type != YAML_SCALAR_NODE)
			return failf(c, kn->start_mark, "expected a key name");
		name = (const char *)kn->data.scalar.value;
		for (idx = 0; idx < NKEYS; idx++) {
			if ((section == NULL) != (keys[idx].section == NULL))
				continue;
			if (section && strcmp(section, keys[idx].section))
				continue;
			if (!strcmp(name, keys[idx].name)) {
				k = &keys[idx];
				break;
			}
		}
		snprintf(full, sizeof(full), "%s%s%s", section ? section : "", section ? "." : "", name);
		if (!k) {
			expected_keys(section, expect, sizeof(expect));
			return failf(c, kn->start_mark, "unknown key '%s' (expected one of: %s)", full,
				     expect);
		}
		if (c->seen[idx].set)
			return failf(c, kn->start_mark, "duplicate key '%s' (first given on line %zu)",
				     full, c->seen[idx].mark.line + 1);
		c->seen[idx].set = 1;
		c->seen[idx].mark = vn->start_mark;
		if (vn->type == YAML_SCALAR_NODE)
			snprintf(c->seen[idx].text, sizeof(c->seen[idx].text), "%s",
				 (const char *)vn->data.scalar.value);

		if (k->kind == V_SECTION)
			err = parse_mapping(c, k->name, vn);
		else
			err = set_value(c, k, full, vn);
		if (err)
			return err;
	}
	return 0;
}

/* Where a key was seen; section NULL looks at the top level. */
static const struct seen *seen_key(const struct parse_ctx *c, const char *section, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if ((section == NULL) != (keys[i].section == NULL))
			continue;
		if (section && strcmp(keys[i].section, section))
			continue;
		if (!strcmp(keys[i].name, name))
			return &c->seen[i];
	}
	return NULL;	/* not reached: callers name keys of the table */
}

/* Rules that span keys: min <= initial <= max, an objective needs a target. */
static int check_policy(struct parse_ctx *c, yaml_node_t *root)
{
	const struct seen *smin, *smax, *sinit, *sect;
	struct policy *p = c->p;

	p->cpu_set = seen_key(c, NULL, "cpu")->set;
	p->memory_set = seen_key(c, NULL, "memory")->set;
	if (!p->cpu_set && !p->memory_set)
		return failf(c, root->start_mark,
			     "the policy sets neither 'cpu' nor 'memory', so there is nothing to govern");

	/* an objective section must say what to meet */
	sect = seen_key(c, NULL, "objective");
	if (sect->set) {
		if (!seen_key(c, "objective", "target")->set)
			return failf(c, sect->mark, "objective: missing key 'target' (e.g. target: 50ms)");
		if (p->metric == POLICY_METRIC_NONE)
			p->metric = POLICY_METRIC_LATENCY;
	}

	if (p->cpu_set) {
		sect = seen_key(c, NULL, "cpu");
		smin = seen_key(c, "cpu", "min");
		smax = seen_key(c, "cpu", "max");
		sinit = seen_key(c, "cpu", "initial");
		if (!smin->set || !smax->set)
			return failf(c, sect->mark,
				     "cpu: both 'min' and 'max' are required (e.g. min: 250m, max: 2)");
		if (p->cpu_min_mc > p->cpu_max_mc)
			return failf(c, smin->mark, "cpu.min (%s) is greater than cpu.max (%s)",
				     smin->text, smax->text);
		if (sinit->set && (p->cpu_initial_mc < p->cpu_min_mc || p->cpu_initial_mc > p->cpu_max_mc))
			return failf(c, sinit->mark, "cpu.initial (%s) is outside cpu.min..cpu.max (%s..%s)",
				     sinit->text, smin->text, smax->text);
	}
	if (p->memory_set) {
		sect = seen_key(c, NULL, "memory");
		smin = seen_key(c, "memory", "min");
		smax = seen_key(c, "memory", "max");
		sinit = seen_key(c, "memory", "initial");
		if (!smin->set || !smax->set)
			return failf(c, sect->mark,
				     "memory: both 'min' and 'max' are required (e.g. min: 256Mi, max: 2Gi)");
		if (p->mem_min > p->mem_max)
			return failf(c, smin->mark, "memory.min (%s) is greater than memory.max (%s)",
				     smin->text, smax->text);
		if (sinit->set && (p->mem_initial < p->mem_min || p->mem_initial > p->mem_max))
			return failf(c, sinit->mark,
				     "memory.initial (%s) is outside memory.min..memory.max (%s..%s)",
				     sinit->text, smin->text, smax->text);
	}
	return 0;
}

int policy_parse(const char *text, size_t len, const char *filename,
		 struct policy *out, char *err, size_t errlen)
{
	struct parse_ctx c = { .file = filename, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	struct policy p;
	int ret;

	policy_defaults(&p);
	c.p = &p;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "%s: out of memory starting the YAML parser", filename);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_mark_t m = parser.problem_mark;

		if (parser.context)
			snprintf(err, errlen, "%s:%zu:%zu: YAML syntax error: %s (%s started on line %zu)",
				 filename, m.line + 1, m.column + 1,
				 parser.problem ? parser.problem : "unknown", parser.context,
				 parser.context_mark.line + 1);
		else
			snprintf(err, errlen, "%s:%zu:%zu: YAML syntax error: %s", filename, m.line + 1,
				 m.column + 1, parser.problem ? parser.problem : "unknown");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	c.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		snprintf(err, errlen, "%s:1:1: the policy is empty; expected a mapping with 'cpu' and/or 'memory' (see policies/README.md)",
			 filename);
		ret = -EINVAL;
		goto out;
	}
	ret = parse_mapping(&c, NULL, root);
	if (!ret)
		ret = check_policy(&c, root);
	if (!ret)
		*out = p;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return ret;
}
