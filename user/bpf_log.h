/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What libbpf prints: its warnings (a program or map that failed, with the
 * verifier's reason) on stderr, everything with LATGOV_DEBUG set. Set once,
 * by main. A load that may fail on purpose (a variant tried before its
 * fallback, check's probes) is bracketed by bpf_log_quiet(1) / (0).
 */
#ifndef LATGOV_BPF_LOG_H
#define LATGOV_BPF_LOG_H

/* Installs latgov's libbpf print callback. */
void bpf_log_init(void);

/* quiet 1: warnings are not printed until the matching quiet 0 (brackets nest; LATGOV_DEBUG prints them anyway). */
void bpf_log_quiet(int quiet);

#endif
