// SPDX-License-Identifier: GPL-2.0-only
#include "core/resp.h"

#include <string.h>

#include "latgov/abi.h"
#include "latgov/proto_resp.h"

/* Appends word (len bytes of the prefix at off) upper-cased to out at *o; 0, or -1 if it is not a name. */
static int append_name(const __u8 *p, __u32 off, __u32 len, char *out, size_t size, size_t *o)
{
	if (!len || len > RESP_NAME_MAX || *o + len + 1 > size)
		return -1;
	for (__u32 i = 0; i < len; i++) {
		unsigned char c = p[off + i];

		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (c == 0 || !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("_-|.:", c)))
			return -1;
		out[(*o)++] = (char)c;
	}
	out[*o] = '\0';
	return 0;
}

size_t resp_endpoint_name(const struct lg_request *r, char *out, size_t size)
{
	__u32 n = r->req_len > LG_REQ_PREFIX ? LG_REQ_PREFIX : r->req_len;
	struct lg_resp_words w;
	size_t o = 0;
	int words;

	if (!size)
		return 0;
	words = resp_request_words(r->req_prefix, n, &w);
	if (words < 1 || append_name(r->req_prefix, w.off[0], w.len[0], out, size, &o)) {
		out[0] = '\0';
		return 0;
	}
	if (words == 2 &&
	    resp_groups_subcommands(resp_word_upper8(r->req_prefix, w.off[0], w.len[0]), w.len[0])) {
		size_t keep = o;

		if (o + 1 < size) {
			out[o++] = ' ';
			if (append_name(r->req_prefix, w.off[1], w.len[1], out, size, &o)) {
				/* A subcommand that is no name: the command alone. */
				o = keep;
				out[o] = '\0';
			}
		}
	}
	return o;
}

int resp_is_error(const struct lg_request *r)
{
	__u32 n = r->resp_len > LG_RESP_PREFIX ? LG_RESP_PREFIX : r->resp_len;

	return resp_is_error_reply(r->resp_prefix, n);
}
