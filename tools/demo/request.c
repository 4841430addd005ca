// SPDX-License-Identifier: GPL-2.0-only
#include "request.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

/* Deep enough for any valid body ({"input": [...]} is depth 2), shallow enough to stop nesting bombs. */
#define BODY_MAX_DEPTH 8

struct route_entry {
	const char *path;
	const char *method;
	enum demo_route route;
};

static const struct route_entry routes[] = {
	{ "/v1/infer", "POST", DEMO_ROUTE_INFER },
	{ "/v1/generate", "POST", DEMO_ROUTE_GENERATE },
	{ "/healthz", "GET", DEMO_ROUTE_HEALTH },
	{ "/metrics", "GET", DEMO_ROUTE_METRICS },
};

int demo_route(const char *method, const char *path, enum demo_route *route,
	       const char **allow)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route_entry *r = &routes[i];

		if (strcmp(path, r->path) != 0)
			continue;
		if (strcmp(method, r->method) == 0 ||
		    (strcmp(r->method, "GET") == 0 && strcmp(method, "HEAD") == 0)) {
			*route = r->route;
			return 0;
		}
		*allow = strcmp(r->method, "GET") == 0 ? "GET, HEAD" : r->method;
		return 405;
	}
	return 404;
}

const char *demo_route_name(enum demo_route route)
{
	switch (route) {
	case DEMO_ROUTE_INFER: return "infer";
	case DEMO_ROUTE_GENERATE: return "generate";
	case DEMO_ROUTE_HEALTH: return "healthz";
	case DEMO_ROUTE_METRICS: return "metrics";
	default: return "other";
	}
}

static int fail(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, DEMO_ERR_LEN, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * Parses the whole body as one JSON object. Trailing bytes other than
 * whitespace are an error (json-c stops after the first complete value).
 */
static int parse_object(const char *body, size_t len, json_object **out, char *err)
{
	struct json_tokener *tok;
	json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	if (len == 0)
		return fail(err, "empty body: send a JSON object");
	if (memchr(body, '\0', len))
		return fail(err, "body holds a NUL byte: send a JSON object");
	tok = json_tokener_new_ex(BODY_MAX_DEPTH);
	if (!tok)
		return fail(err, "out of memory parsing the body");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!obj && jerr == json_tokener_continue) {
		/*
		 * A bare number ("42") cannot end before the input does: a NUL
		 * tells json-c the body is over (there is none inside it).
		 */
		obj = json_tokener_parse_ex(tok, "", 1);
		end = len;
	}
	json_tokener_free(tok);
	if (!obj) {
		if (jerr == json_tokener_continue)
			return fail(err, "body is not valid JSON: it ends too early");
		return fail(err, "body is not valid JSON: %s at byte %zu",
			    json_tokener_error_desc(jerr), end);
	}
	for (; end < len; end++)
		if (!strchr(" \t\r\n", body[end])) {
			json_object_put(obj);
			return fail(err, "body is not valid JSON: extra data at byte %zu", end);
		}
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return fail(err, "body must be a JSON object");
	}
	*out = obj;
	return 0;
}

/* Rejects any key of obj not in the NULL-terminated list. */
static int only_keys(json_object *obj, const char *const *keys, char *err)
{
	json_object_object_foreach(obj, key, val) {
		size_t i;

		(void)val;
		for (i = 0; keys[i]; i++)
			if (strcmp(key, keys[i]) == 0)
				break;
		if (!keys[i])
			return fail(err, "unknown field \"%.40s\"", key);
	}
	return 0;
}

int demo_parse_infer(const char *body, size_t len, uint32_t dim, float *input,
		     char *err)
{
	static const char *const keys[] = { "input", NULL };
	json_object *obj, *arr;
	size_t n;
	int ret;

	ret = parse_object(body, len, &obj, err);
	if (ret)
		return ret;
	ret = only_keys(obj, keys, err);
	if (ret)
		goto out;
	if (!json_object_object_get_ex(obj, "input", &arr)) {
		ret = fail(err, "missing field \"input\": an array of %u numbers", dim);
		goto out;
	}
	if (!json_object_is_type(arr, json_type_array)) {
		ret = fail(err, "\"input\" must be an array of %u numbers", dim);
		goto out;
	}
	n = json_object_array_length(arr);
	if (n != dim) {
		ret = fail(err, "\"input\" has %zu numbers, the model takes %u", n, dim);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		double d;

		if (!json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_int)) {
			ret = fail(err, "\"input\"[%zu] is not a number", i);
			goto out;
		}
		d = json_object_get_double(v);
		/* Beyond float range the pass would only produce inf and NaN. */
		if (!isfinite(d) || fabs(d) > 1e30) {
			ret = fail(err, "\"input\"[%zu] is out of range (|x| <= 1e30)", i);
			goto out;
		}
		input[i] = (float)d;
	}
out:
	json_object_put(obj);
	return ret;
}

int demo_parse_generate(const char *body, size_t len, uint32_t vocab,
			struct demo_gen_request *req, char *err)
{
	static const char *const keys[] = { "prompt", "tokens", NULL };
	json_object *obj, *arr, *tokens;
	size_t n;
	int ret;

	ret = parse_object(body, len, &obj, err);
	if (ret)
		return ret;
	ret = only_keys(obj, keys, err);
	if (ret)
		goto out;
	if (!json_object_object_get_ex(obj, "prompt", &arr)) {
		ret = fail(err, "missing field \"prompt\": an array of token ids below %u", vocab);
		goto out;
	}
	if (!json_object_is_type(arr, json_type_array)) {
		ret = fail(err, "\"prompt\" must be an array of token ids below %u", vocab);
		goto out;
	}
	n = json_object_array_length(arr);
	if (n < 1 || n > DEMO_MAX_PROMPT) {
		ret = fail(err, "\"prompt\" has %zu tokens, allowed 1..%d", n, DEMO_MAX_PROMPT);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(arr, i);
		int64_t t;

		if (!json_object_is_type(v, json_type_int)) {
			ret = fail(err, "\"prompt\"[%zu] is not an integer token id", i);
			goto out;
		}
		t = json_object_get_int64(v);
		if (t < 0 || t >= vocab) {
			ret = fail(err, "\"prompt\"[%zu] = %lld is not a token id (0..%u)",
				   i, (long long)t, vocab - 1);
			goto out;
		}
		req->prompt[i] = (uint32_t)t;
	}
	req->prompt_len = n;
	req->tokens = DEMO_DEFAULT_TOKENS;
	if (json_object_object_get_ex(obj, "tokens", &tokens)) {
		int64_t t;

		if (!json_object_is_type(tokens, json_type_int)) {
			ret = fail(err, "\"tokens\" must be an integer 1..%d", DEMO_MAX_TOKENS);
			goto out;
		}
		t = json_object_get_int64(tokens);
		if (t < 1 || t > DEMO_MAX_TOKENS) {
			ret = fail(err, "\"tokens\" = %lld is out of range 1..%d",
				   (long long)t, DEMO_MAX_TOKENS);
			goto out;
		}
		req->tokens = (uint32_t)t;
	}
out:
	json_object_put(obj);
	return ret;
}

void demo_write_infer(struct jsonw *jw, const float *output, uint32_t dim)
{
	jw_obj_begin(jw);
	jw_key(jw, "output");
	jw_arr_begin(jw);
	for (uint32_t i = 0; i < dim; i++)
		jw_double(jw, output[i]);
	jw_arr_end(jw);
	jw_kv_u64(jw, "argmax", demo_argmax(output, dim));
	jw_obj_end(jw);
}

void demo_write_error(struct jsonw *jw, int status, const char *message)
{
	jw_obj_begin(jw);
	jw_kv_str(jw, "error", message);
	jw_kv_i64(jw, "status", status);
	jw_obj_end(jw);
}
