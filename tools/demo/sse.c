// SPDX-License-Identifier: GPL-2.0-only
#include "sse.h"

#include <errno.h>
#include <string.h>

#include "core/jsonw.h"
#include "model.h"

static int put(char *buf, size_t cap, size_t *at, const char *s, size_t n)
{
	if (*at + n > cap)
		return -ENOSPC;
	memcpy(buf + *at, s, n);
	*at += n;
	return 0;
}

int demo_sse_frame(const char *payload, size_t len, char *buf, size_t cap)
{
	size_t at = 0, start = 0;

	for (;;) {
		const char *nl = memchr(payload + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - payload) : len;
		size_t line = end - start;

		/* A CR before the newline would be a line end of its own in SSE. */
		if (line && payload[end - 1] == '\r')
			line--;
		if (put(buf, cap, &at, "data: ", 6) ||
		    put(buf, cap, &at, payload + start, line) ||
		    put(buf, cap, &at, "\n", 1))
			return -ENOSPC;
		if (!nl)
			break;
		start = end + 1;
	}
	if (put(buf, cap, &at, "\n", 1))
		return -ENOSPC;
	return (int)at;
}

int demo_sse_token(char *buf, size_t cap, uint32_t index, uint32_t token,
		   uint64_t t_ns)
{
	struct jsonw jw;
	char text[2] = { demo_token_char(token), 0 };
	int ret;

	jw_init(&jw);
	jw_obj_begin(&jw);
	jw_kv_u64(&jw, "index", index);
	jw_kv_u64(&jw, "token", token);
	jw_kv_str(&jw, "text", text);
	jw_kv_u64(&jw, "t_ns", t_ns);
	jw_obj_end(&jw);
	ret = jw_finish(&jw);
	if (!ret)
		ret = demo_sse_frame(jw.buf, jw.len, buf, cap);
	jw_free(&jw);
	return ret;
}

int demo_sse_done(char *buf, size_t cap)
{
	return demo_sse_frame("[DONE]", 6, buf, cap);
}
