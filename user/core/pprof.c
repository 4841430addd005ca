// SPDX-License-Identifier: GPL-2.0-only
#include "core/pprof.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/utf8.h"

/* Field numbers of pprof's proto/profile.proto. */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10, PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUETYPE_TYPE = 1, VALUETYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
	LABEL_KEY = 1, LABEL_STR = 2,
	LOCATION_ID = 1, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3,
};

enum { WIRE_VARINT = 0, WIRE_LEN = 2 };

struct sample {
	uint64_t *locs;		/* location ids, leaf first */
	size_t nlocs;
	int64_t values[PPROF_MAX_TYPES];
	int64_t label_key, label_str;	/* string indexes; 0 = no label */
};

struct pprof {
	/* strings: index = position; open-addressed hash of indexes */
	char **strs;
	size_t nstrs, strs_cap;
	uint32_t *hash;		/* 0 = empty, else index+1 */
	size_t hash_cap;
	struct strbuf shown;	/* the string being interned, as core/utf8.h shows it */
	/* function id per string index (0 = none); location id == function id */
	uint64_t *func_of;
	uint64_t *func_name;	/* function id-1 -> string index */
	size_t nfuncs;

	int64_t types[PPROF_MAX_TYPES][2];
	int ntypes;
	int64_t default_type;
	int64_t period_type[2], period;
	int64_t time_nanos, duration_nanos;

	struct sample *samples;
	size_t nsamples, samples_cap;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static int rehash(struct pprof *p, size_t cap)
{
	uint32_t *h = calloc(cap, sizeof(*h));

	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < p->nstrs; i++) {
		size_t j;

		for (j = hash_str(p->strs[i]) & (cap - 1); h[j]; j = (j + 1) & (cap - 1))
			;
		h[j] = (uint32_t)(i + 1);
	}
	free(p->hash);
	p->hash = h;
	p->hash_cap = cap;
	return 0;
}

/*
 * Index of s in the string table, adding it as core/utf8.h shows it:
 * protobuf strings must be UTF-8, and pprof prints names to a terminal.
 * -ENOMEM on failure.
 */
static int64_t intern(struct pprof *p, const char *raw)
{
	const char *s;
	size_t j;

	sb_reset(&p->shown);
	utf8_sanitize(&p->shown, raw, strlen(raw));
	if (sb_finish(&p->shown))
		return -ENOMEM;
	s = p->shown.buf ? p->shown.buf : "";
	if ((p->nstrs + 1) * 2 > p->hash_cap && rehash(p, p->hash_cap * 2))
		return -ENOMEM;
	for (j = hash_str(s) & (p->hash_cap - 1); p->hash[j]; j = (j + 1) & (p->hash_cap - 1))
		if (!strcmp(p->strs[p->hash[j] - 1], s))
			return p->hash[j] - 1;
	if (p->nstrs == p->strs_cap) {
		size_t cap = p->strs_cap * 2;
		char **ns = realloc(p->strs, cap * sizeof(*ns));
		uint64_t *nf;

		if (!ns)
			return -ENOMEM;
		p->strs = ns;
		nf = realloc(p->func_of, cap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		p->func_of = nf;
		p->strs_cap = cap;
	}
	p->strs[p->nstrs] = strdup(s);
	if (!p->strs[p->nstrs])
		return -ENOMEM;
	p->func_of[p->nstrs] = 0;
	p->hash[j] = (uint32_t)(p->nstrs + 1);
	return (int64_t)p->nstrs++;
}

struct pprof *pprof_new(void)
{
	struct pprof *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->strs_cap = 64;
	p->strs = calloc(p->strs_cap, sizeof(*p->strs));
	p->func_of = calloc(p->strs_cap, sizeof(*p->func_of));
	p->hash_cap = 128;
	p->hash = calloc(p->hash_cap, sizeof(*p->hash));
	sb_init(&p->shown);
	if (!p->strs || !p->func_of || !p->hash || intern(p, "") != 0) {
		pprof_free(p);
		return NULL;
	}
	return p;
}

void pprof_free(struct pprof *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nstrs; i++)
		free(p->strs[i]);
	free(p->strs);
	free(p->hash);
	free(p->func_of);
	free(p->func_name);
	sb_free(&p->shown);
	for (size_t i = 0; i < p->nsamples; i++)
		free(p->samples[i].locs);
	free(p->samples);
	free(p);
}

int pprof_sample_type(struct pprof *p, const char *type, const char *unit)
{
	int64_t t, u;

	if (p->ntypes >= PPROF_MAX_TYPES)
		return -E2BIG;
	t = intern(p, type);
	u = intern(p, unit);
	if (t < 0 || u < 0)
		return -ENOMEM;
	p->types[p->ntypes][0] = t;
	p->types[p->ntypes][1] = u;
	return p->ntypes++;
}

int pprof_default_type(struct pprof *p, const char *type)
{
	for (int i = 0; i < p->ntypes; i++) {
		if (!strcmp(p->strs[p->types[i][0]], type)) {
			p->default_type = p->types[i][0];
			return 0;
		}
	}
	return -EINVAL;
}

int pprof_period(struct pprof *p, const char *type, const char *unit, int64_t period)
{
	int64_t t = intern(p, type), u = intern(p, unit);

	if (t < 0 || u < 0)
		return -ENOMEM;
	p->period_type[0] = t;
	p->period_type[1] = u;
	p->period = period;
	return 0;
}

void pprof_time(struct pprof *p, int64_t time_nanos, int64_t duration_nanos)
{
	p->time_nanos = time_nanos;
	p->duration_nanos = duration_nanos;
}

/* The location (== function) id of a frame name, adding it. */
static int64_t location_of(struct pprof *p, const char *frame)
{
	int64_t s = intern(p, frame && frame[0] ? frame : "[unknown]");
	uint64_t *nf;

	if (s < 0)
		return s;
	if (p->func_of[s])
		return (int64_t)p->func_of[s];
	nf = realloc(p->func_name, (p->nfuncs + 1) * sizeof(*nf));
	if (!nf)
		return -ENOMEM;
	p->func_name = nf;
	p->func_name[p->nfuncs++] = (uint64_t)s;
	p->func_of[s] = p->nfuncs;
	return (int64_t)p->nfuncs;
}

int pprof_add(struct pprof *p, const char *const *frames, size_t n, const int64_t *values,
	      const char *label_key, const char *label_str)
{
	struct sample *s;

	if (!n || !p->ntypes)
		return -EINVAL;
	if (p->nsamples == p->samples_cap) {
		size_t cap = p->samples_cap ? p->samples_cap * 2 : 256;
		struct sample *ns = realloc(p->samples, cap * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		p->samples = ns;
		p->samples_cap = cap;
	}
	s = &p->samples[p->nsamples];
	memset(s, 0, sizeof(*s));
	s->locs = malloc(n * sizeof(*s->locs));
	if (!s->locs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int64_t id = location_of(p, frames[i]);

		if (id < 0) {
			free(s->locs);
			return (int)id;
		}
		s->locs[i] = (uint64_t)id;
	}
	s->nlocs = n;
	memcpy(s->values, values, (size_t)p->ntypes * sizeof(*values));
	if (label_key && label_str) {
		s->label_key = intern(p, label_key);
		s->label_str = intern(p, label_str);
		if (s->label_key < 0 || s->label_str < 0) {
			free(s->locs);
			return -ENOMEM;
		}
	}
	p->nsamples++;
	return 0;
}

/* ---- protobuf encoding ------------------------------------------------------ */

static void put_varint(struct strbuf *b, uint64_t v)
{
	char tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (char)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= (char)0x80;
		n++;
	} while (v);
	sb_add(b, tmp, n);
}

static void put_key(struct strbuf *b, int field, int wire)
{
	put_varint(b, (uint64_t)field << 3 | (uint64_t)wire);
}

/* A varint field; zero is omitted (proto3 default). */
static void put_uint(struct strbuf *b, int field, uint64_t v)
{
	if (!v)
		return;
	put_key(b, field, WIRE_VARINT);
	put_varint(b, v);
}

static void put_bytes(struct strbuf *b, int field, const void *s, size_t n)
{
	put_key(b, field, WIRE_LEN);
	put_varint(b, n);
	sb_add(b, s, n);
}

/* Writes msg as a length-delimited field and empties it for reuse. */
static void put_msg(struct strbuf *b, int field, struct strbuf *msg)
{
	put_bytes(b, field, msg->buf ? msg->buf : "", msg->len);
	if (msg->failed)
		b->failed = 1;
	msg->len = 0;
}

static void put_value_type(struct strbuf *b, int field, const int64_t vt[2], struct strbuf *tmp)
{
	put_uint(tmp, VALUETYPE_TYPE, (uint64_t)vt[0]);
	put_uint(tmp, VALUETYPE_UNIT, (uint64_t)vt[1]);
	put_msg(b, field, tmp);
}

int pprof_encode(const struct pprof *p, struct strbuf *out)
{
	struct strbuf m, sub, packed;
	int err;

	sb_init(&m);
	sb_init(&sub);
	sb_init(&packed);
	for (int i = 0; i < p->ntypes; i++)
		put_value_type(out, PROFILE_SAMPLE_TYPE, p->types[i], &m);
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct sample *s = &p->samples[i];

		for (size_t j = 0; j < s->nlocs; j++)
			put_varint(&packed, s->locs[j]);
		put_msg(&m, SAMPLE_LOCATION_ID, &packed);
		for (int j = 0; j < p->ntypes; j++)
			put_varint(&packed, (uint64_t)s->values[j]);
		put_msg(&m, SAMPLE_VALUE, &packed);
		if (s->label_key) {
			put_uint(&sub, LABEL_KEY, (uint64_t)s->label_key);
			put_uint(&sub, LABEL_STR, (uint64_t)s->label_str);
			put_msg(&m, SAMPLE_LABEL, &sub);
		}
		put_msg(out, PROFILE_SAMPLE, &m);
	}
	for (size_t i = 0; i < p->nfuncs; i++) {
		uint64_t id = i + 1;

		put_uint(&m, LOCATION_ID, id);
		put_uint(&sub, LINE_FUNCTION_ID, id);
		put_msg(&m, LOCATION_LINE, &sub);
		put_msg(out, PROFILE_LOCATION, &m);
	}
	for (size_t i = 0; i < p->nfuncs; i++) {
		put_uint(&m, FUNCTION_ID, i + 1);
		put_uint(&m, FUNCTION_NAME, p->func_name[i]);
		put_uint(&m, FUNCTION_SYSTEM_NAME, p->func_name[i]);
		put_msg(out, PROFILE_FUNCTION, &m);
	}
	for (size_t i = 0; i < p->nstrs; i++)
		put_bytes(out, PROFILE_STRING_TABLE, p->strs[i], strlen(p->strs[i]));
	put_uint(out, PROFILE_TIME_NANOS, (uint64_t)p->time_nanos);
	put_uint(out, PROFILE_DURATION_NANOS, (uint64_t)p->duration_nanos);
	if (p->period_type[0])
		put_value_type(out, PROFILE_PERIOD_TYPE, p->period_type, &m);
	put_uint(out, PROFILE_PERIOD, (uint64_t)p->period);
	put_uint(out, PROFILE_DEFAULT_SAMPLE_TYPE, (uint64_t)p->default_type);
	err = m.failed || sub.failed || packed.failed ? -ENOMEM : sb_finish(out);
	sb_free(&m);
	sb_free(&sub);
	sb_free(&packed);
	return err;
}

int pprof_gzip(const void *in, size_t len, struct strbuf *out)
{
	z_stream z;
	char chunk[16384];
	int zr, err = 0;

	memset(&z, 0, sizeof(z));
	/* windowBits 15 + 16: a gzip header and trailer instead of zlib's. */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	do {
		z.next_out = (Bytef *)chunk;
		z.avail_out = sizeof(chunk);
		zr = deflate(&z, Z_FINISH);
		if (zr == Z_STREAM_ERROR) {
			err = -EIO;
			break;
		}
		sb_add(out, chunk, sizeof(chunk) - z.avail_out);
	} while (zr != Z_STREAM_END);
	deflateEnd(&z);
	if (!err)
		err = sb_finish(out);
	return err;
}
