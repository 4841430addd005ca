// SPDX-License-Identifier: GPL-2.0-only
#include "bpf_log.h"

#include <stdio.h>
#include <stdlib.h>

#include <bpf/libbpf.h>

static int quiet;

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (getenv("LATGOV_DEBUG") || (level == LIBBPF_WARN && quiet <= 0))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

void bpf_log_init(void)
{
	libbpf_set_print(print);
}

void bpf_log_quiet(int q)
{
	quiet += q ? 1 : -1;
}
