/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The demo service's HTTP surface, without the HTTP library: which route a
 * method and path reach, what a request body must hold, and the JSON bodies
 * of answers and errors. Pure, so every rule here is unit-tested.
 *
 * Request bodies are parsed with json-c (strict mode), then checked field by
 * field; unknown fields are rejected so a typo never goes unnoticed.
 */
#ifndef LATGOV_DEMO_REQUEST_H
#define LATGOV_DEMO_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "core/jsonw.h"

#define DEMO_MAX_BODY		(64 * 1024)	/* larger bodies get 413 */
#define DEMO_MAX_PROMPT		256
#define DEMO_MAX_TOKENS		256
#define DEMO_DEFAULT_TOKENS	16
#define DEMO_ERR_LEN		160

enum demo_route {
	DEMO_ROUTE_NONE = 0,
	DEMO_ROUTE_INFER,	/* POST /v1/infer */
	DEMO_ROUTE_GENERATE,	/* POST /v1/generate */
	DEMO_ROUTE_HEALTH,	/* GET /healthz */
	DEMO_ROUTE_METRICS,	/* GET /metrics */
};

/*
 * Routes a request. Returns 0 and sets *route, or an HTTP status: 404 for an
 * unknown path, 405 for a known path with another method (then *allow names
 * the method to put in the Allow header). HEAD is served like GET.
 */
int demo_route(const char *method, const char *path, enum demo_route *route,
	       const char **allow);

/* The route's name in logs and metrics ("infer", ...). */
const char *demo_route_name(enum demo_route route);

/*
 * Body of POST /v1/infer: {"input": [dim numbers]}. On success writes dim
 * floats to input and returns 0; otherwise returns -EINVAL and a message for
 * the client in err (DEMO_ERR_LEN bytes).
 */
int demo_parse_infer(const char *body, size_t len, uint32_t dim, float *input,
		     char *err);

struct demo_gen_request {
	uint32_t prompt[DEMO_MAX_PROMPT];
	size_t prompt_len;
	uint32_t tokens;
};

/*
 * Body of POST /v1/generate: {"prompt": [1..DEMO_MAX_PROMPT token ids below
 * vocab], "tokens": 1..DEMO_MAX_TOKENS (default DEMO_DEFAULT_TOKENS)}.
 * Returns 0, or -EINVAL with a message in err (DEMO_ERR_LEN bytes).
 */
int demo_parse_generate(const char *body, size_t len, uint32_t vocab,
			struct demo_gen_request *req, char *err);

/* {"output": [...], "argmax": N} */
void demo_write_infer(struct jsonw *jw, const float *output, uint32_t dim);

/* {"error": "message", "status": N} */
void demo_write_error(struct jsonw *jw, int status, const char *message);

#endif
