/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Server-Sent Events framing for /v1/generate: one event per token,
 * "data: <json>\n\n", then "data: [DONE]\n\n" as OpenAI-style streams end.
 * Pure: formats into a caller's buffer.
 */
#ifndef LATGOV_DEMO_SSE_H
#define LATGOV_DEMO_SSE_H

#include <stddef.h>
#include <stdint.h>

/* Room for any event this file formats. */
#define DEMO_SSE_EVENT_MAX 256

/*
 * Frames payload (len bytes) as one event: each line of it becomes a
 * "data: " line (a newline inside would otherwise end the event early), and
 * a blank line ends the event. Returns the event's length, or -ENOSPC if it
 * does not fit in cap bytes (nothing useful is then in buf).
 */
int demo_sse_frame(const char *payload, size_t len, char *buf, size_t cap);

/*
 * The event for the index-th generated token:
 * data: {"index":I,"token":T,"text":"c","t_ns":NOW}
 * t_ns is the server's CLOCK_MONOTONIC when the token was produced, so a
 * client on the same host can tell a streamed token from a buffered one.
 * Returns the length or -ENOSPC.
 */
int demo_sse_token(char *buf, size_t cap, uint32_t index, uint32_t token,
		   uint64_t t_ns);

/* The final event, "data: [DONE]\n\n". Returns the length or -ENOSPC. */
int demo_sse_done(char *buf, size_t cap);

#endif
