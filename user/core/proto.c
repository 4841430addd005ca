// SPDX-License-Identifier: GPL-2.0-only
#include "core/proto.h"

#include <stdio.h>

#include "core/http.h"
#include "core/resp.h"
#include "latgov/abi.h"
#include "latgov/proto.h"

static const struct proto_ops protocols[LG_PROTO__MAX] = {
	[LG_PROTO_HTTP1] = { LG_PROTO_HTTP1, "http1", http_endpoint_name, http_is_error },
	[LG_PROTO_RESP] = { LG_PROTO_RESP, "resp", resp_endpoint_name, resp_is_error },
};

size_t proto_endpoint_name(const struct lg_request *r, char *out, size_t size,
			   const struct proto_ops **proto)
{
	__u32 n = r->req_len > LG_REQ_PREFIX ? LG_REQ_PREFIX : r->req_len;
	const struct proto_ops *p = &protocols[lg_proto_detect(r->req_prefix, n)];
	size_t len;
	int w;

	*proto = NULL;
	if (!size)
		return 0;
	if (p->endpoint_name) {
		len = p->endpoint_name(r, out, size);
		if (len) {
			*proto = p;
			return len;
		}
	}
	w = snprintf(out, size, "tcp:%u", (unsigned int)(r->role == LG_ROLE_CLIENT ? r->rport : r->lport));
	if (w < 0) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)w < size ? (size_t)w : size - 1;
}
