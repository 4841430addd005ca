// SPDX-License-Identifier: GPL-2.0-only
#include "core/counters.h"

#include <stddef.h>

static const char *const names[] = {
	[LG_CNT_REQUESTS] = "requests",
	[LG_CNT_RINGBUF_FULL] = "ringbuf_full",
	[LG_CNT_CONN_MAP_FULL] = "conn_map_full",
	[LG_CNT_TARGET_MAP_FULL] = "target_map_full",
	[LG_CNT_THREAD_MAP_FULL] = "thread_map_full",
	[LG_CNT_STACK_LOST] = "stack_lost",
	[LG_CNT_STACK_MAP_FULL] = "stack_map_full",
	[LG_CNT_ANSWERED] = "answered",
	[LG_CNT_ANSWERED_EMITTED] = "answered_emitted",
};
/* A counter added to enum lg_counter without a name here fails the build. */
_Static_assert(sizeof(names) / sizeof(names[0]) == LG_CNT__MAX, "name every enum lg_counter");

const char *counter_name(unsigned int i)
{
	return i < LG_CNT__MAX ? names[i] : NULL;
}

int counter_is_loss(unsigned int i)
{
	return i < LG_CNT__MAX && i != LG_CNT_REQUESTS && i != LG_CNT_ANSWERED &&
	       i != LG_CNT_ANSWERED_EMITTED;
}

int counter_loses_requests(unsigned int i)
{
	return i == LG_CNT_RINGBUF_FULL || i == LG_CNT_CONN_MAP_FULL;
}

uint64_t counters_dropped(const uint64_t counters[LG_CNT__MAX])
{
	uint64_t n = 0;

	if (!counters)
		return 0;
	for (unsigned int i = 0; i < LG_CNT__MAX; i++)
		if (counter_loses_requests(i))
			n += counters[i];
	return n;
}
