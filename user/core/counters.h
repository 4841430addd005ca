/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Names of the kernel's loss and activity counters (enum lg_counter in
 * include/latgov/abi.h), for every output that shows them: summary JSON,
 * Prometheus reason labels, the terminal table.
 */
#ifndef LATGOV_COUNTERS_H
#define LATGOV_COUNTERS_H

#include <stdint.h>

#include "latgov/abi.h"

/* "ringbuf_full", ...; NULL for an index >= LG_CNT__MAX. */
const char *counter_name(unsigned int i);

/* 1 if the counter counts something lost (not activity such as records submitted). */
int counter_is_loss(unsigned int i);

/* 1 if the counter counts lost request records (they are part of "dropped"). */
int counter_loses_requests(unsigned int i);

/* Sum of the counters that lose request records; counters may be NULL (0). */
uint64_t counters_dropped(const uint64_t counters[LG_CNT__MAX]);

#endif
