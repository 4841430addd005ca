// SPDX-License-Identifier: GPL-2.0-only
/*
 * The pprof writer, checked by gunzipping and decoding the bytes back with a
 * small protobuf reader written here from profile.proto's field numbers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cmocka.h>

#include "core/pprof.h"
#include "core/utf8.h"

#define MAXN 64

struct dec_sample {
	uint64_t locs[MAXN];
	int nlocs;
	int64_t values[MAXN];
	int nvalues;
	uint64_t label_key, label_str;
};

struct decoded {
	char *strs[MAXN];
	int nstrs;
	uint64_t types[MAXN][2];
	int ntypes;
	struct dec_sample samples[MAXN];
	int nsamples;
	uint64_t loc_id[MAXN], loc_func[MAXN];
	int nlocs, loc_lines[MAXN];
	uint64_t func_id[MAXN], func_name[MAXN];
	int nfuncs;
	uint64_t period, default_type, duration;
};

struct rd {
	const uint8_t *p, *end;
};

static uint64_t varint(struct rd *r)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		assert_true(r->p < r->end);
		b = *r->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	fail_msg("varint too long");
	return 0;
}

/* Reads one key; for length-delimited fields *sub is the payload. Returns the field number. */
static int field(struct rd *r, uint64_t *val, struct rd *sub)
{
	uint64_t key = varint(r);

	if ((key & 7) == 0) {
		*val = varint(r);
	} else {
		uint64_t n;

		assert_int_equal(key & 7, 2);
		n = varint(r);
		assert_true(n <= (uint64_t)(r->end - r->p));
		sub->p = r->p;
		sub->end = r->p + n;
		r->p += n;
	}
	return (int)(key >> 3);
}

static void packed(struct rd *r, struct rd *sub, uint64_t *out, int *n)
{
	(void)r;
	while (sub->p < sub->end) {
		assert_true(*n < MAXN);
		out[(*n)++] = varint(sub);
	}
}

static void decode(const uint8_t *buf, size_t len, struct decoded *d)
{
	struct rd r = { buf, buf + len }, s, t, u;
	uint64_t v;

	memset(d, 0, sizeof(*d));
	while (r.p < r.end) {
		switch (field(&r, &v, &s)) {
		case 1:	/* sample_type */
			while (s.p < s.end) {
				int f = field(&s, &v, &t);

				d->types[d->ntypes][f - 1] = v;
			}
			d->ntypes++;
			break;
		case 2: {	/* sample */
			struct dec_sample *sm = &d->samples[d->nsamples++];

			while (s.p < s.end) {
				int f = field(&s, &v, &t);

				if (f == 1)
					packed(&s, &t, sm->locs, &sm->nlocs);
				else if (f == 2)
					packed(&s, &t, (uint64_t *)sm->values, &sm->nvalues);
				else if (f == 3)
					while (t.p < t.end) {
						int g = field(&t, &v, &u);

						if (g == 1)
							sm->label_key = v;
						else if (g == 2)
							sm->label_str = v;
					}
			}
			break;
		}
		case 4:	/* location */
			while (s.p < s.end) {
				int f = field(&s, &v, &t);

				if (f == 1)
					d->loc_id[d->nlocs] = v;
				if (f == 4) {
					d->loc_lines[d->nlocs]++;
					while (t.p < t.end)
						if (field(&t, &v, &u) == 1)
							d->loc_func[d->nlocs] = v;
				}
			}
			d->nlocs++;
			break;
		case 5:	/* function */
			while (s.p < s.end) {
				int f = field(&s, &v, &t);

				if (f == 1)
					d->func_id[d->nfuncs] = v;
				if (f == 2)
					d->func_name[d->nfuncs] = v;
			}
			d->nfuncs++;
			break;
		case 6:	/* string_table */
			d->strs[d->nstrs++] = strndup((const char *)s.p, (size_t)(s.end - s.p));
			break;
		case 10: d->duration = v; break;
		case 12: d->period = v; break;
		case 14: d->default_type = v; break;
		default: break;
		}
	}
}

static void decoded_free(struct decoded *d)
{
	for (int i = 0; i < d->nstrs; i++)
		free(d->strs[i]);
}

static const char *func_of_loc(const struct decoded *d, uint64_t loc)
{
	for (int i = 0; i < d->nlocs; i++) {
		if (d->loc_id[i] != loc)
			continue;
		for (int j = 0; j < d->nfuncs; j++)
			if (d->func_id[j] == d->loc_func[i])
				return d->strs[d->func_name[j]];
	}
	return NULL;
}

static size_t gunzip(const struct strbuf *gz, uint8_t *out, size_t cap)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);	/* gzip only */
	z.next_in = (Bytef *)gz->buf;
	z.avail_in = (uInt)gz->len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	inflateEnd(&z);
	return cap - z.avail_out;
}

static void test_roundtrip(void **state)
{
	struct pprof *p = pprof_new();
	struct strbuf raw, gz;
	static uint8_t back[1 << 16];
	struct decoded d;
	const int64_t v1[] = { 3, 30303 }, v2[] = { 0, 1500000 };
	const char *hot[] = { "hot", "work", "main" }, *nap[] = { "nanosleep_[k]", "nap", "main" };
	size_t n;

	(void)state;
	assert_non_null(p);
	assert_int_equal(pprof_add(p, hot + 1, 2, v1, NULL, NULL), -EINVAL);	/* no type yet */
	assert_int_equal(pprof_sample_type(p, "samples", "count"), 0);
	assert_int_equal(pprof_sample_type(p, "wall", "microseconds"), 1);
	assert_int_equal(pprof_default_type(p, "wall"), 0);
	assert_int_equal(pprof_default_type(p, "nope"), -EINVAL);
	assert_int_equal(pprof_period(p, "cpu", "nanoseconds", 10101010), 0);
	pprof_time(p, 1700000000000000000, 5000000000);
	assert_int_equal(pprof_add(p, hot, 3, v1, "phase", "oncpu"), 0);
	assert_int_equal(pprof_add(p, nap, 3, v2, "phase", "blocked"), 0);

	sb_init(&raw);
	sb_init(&gz);
	assert_int_equal(pprof_encode(p, &raw), 0);
	assert_int_equal(pprof_gzip(raw.buf, raw.len, &gz), 0);
	assert_true((uint8_t)gz.buf[0] == 0x1f && (uint8_t)gz.buf[1] == 0x8b);	/* gzip magic */
	n = gunzip(&gz, back, sizeof(back));
	assert_int_equal(n, raw.len);
	decode(back, n, &d);

	assert_string_equal(d.strs[0], "");
	assert_int_equal(d.ntypes, 2);
	assert_string_equal(d.strs[d.types[0][0]], "samples");
	assert_string_equal(d.strs[d.types[0][1]], "count");
	assert_string_equal(d.strs[d.types[1][0]], "wall");
	assert_string_equal(d.strs[d.types[1][1]], "microseconds");
	assert_string_equal(d.strs[d.default_type], "wall");
	assert_int_equal(d.period, 10101010);
	assert_int_equal(d.duration, 5000000000);

	assert_int_equal(d.nsamples, 2);
	/* leaf first */
	assert_int_equal(d.samples[0].nlocs, 3);
	assert_string_equal(func_of_loc(&d, d.samples[0].locs[0]), "hot");
	assert_string_equal(func_of_loc(&d, d.samples[0].locs[2]), "main");
	assert_int_equal(d.samples[0].nvalues, 2);
	assert_int_equal(d.samples[0].values[0], 3);
	assert_int_equal(d.samples[0].values[1], 30303);
	assert_string_equal(d.strs[d.samples[0].label_key], "phase");
	assert_string_equal(d.strs[d.samples[0].label_str], "oncpu");
	assert_string_equal(func_of_loc(&d, d.samples[1].locs[0]), "nanosleep_[k]");
	assert_int_equal(d.samples[1].nvalues, 2);	/* a zero value is still one value */
	assert_int_equal(d.samples[1].values[0], 0);
	assert_int_equal(d.samples[1].values[1], 1500000);
	assert_string_equal(d.strs[d.samples[1].label_str], "blocked");
	/* "main" is shared: 5 distinct frames, each one location with one line, ids from 1, unique */
	assert_int_equal(d.nlocs, 5);
	assert_int_equal(d.nfuncs, 5);
	for (int i = 0; i < d.nlocs; i++) {
		assert_int_equal(d.loc_id[i], i + 1);
		assert_int_equal(d.loc_lines[i], 1);
		assert_non_null(func_of_loc(&d, d.loc_id[i]));
	}
	assert_int_equal(d.samples[0].locs[2], d.samples[1].locs[2]);

	decoded_free(&d);
	sb_free(&raw);
	sb_free(&gz);
	pprof_free(p);
}

/*
 * protobuf strings must be valid UTF-8 (pprof refuses the file otherwise), and
 * pprof -top prints function names to a terminal: no escape sequence either.
 */
static void test_strings_valid_utf8(void **state)
{
	struct pprof *p = pprof_new();
	const int64_t v[] = { 1 };
	const char *frames[] = { "sym\xe2\x82", "c1\xc2\x9b", "svc\xff\xfe\x1b]2;pwned\x07" };
	struct strbuf raw;
	struct decoded d;

	(void)state;
	assert_int_equal(pprof_sample_type(p, "samples", "count"), 0);
	assert_int_equal(pprof_add(p, frames, 3, v, "phase", "on\xff"), 0);
	sb_init(&raw);
	assert_int_equal(pprof_encode(p, &raw), 0);
	decode((const uint8_t *)raw.buf, raw.len, &d);
	for (int i = 0; i < d.nstrs; i++) {
		assert_true(utf8_valid(d.strs[i], strlen(d.strs[i])));
		for (const char *c = d.strs[i]; *c; c++)
			assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
	}
	assert_string_equal(func_of_loc(&d, d.samples[0].locs[0]), "sym" UTF8_REPLACEMENT);
	assert_string_equal(func_of_loc(&d, d.samples[0].locs[1]), "c1?");
	assert_string_equal(func_of_loc(&d, d.samples[0].locs[2]),
			    "svc" UTF8_REPLACEMENT UTF8_REPLACEMENT "?]2;pwned?");
	assert_string_equal(d.strs[d.samples[0].label_str], "on" UTF8_REPLACEMENT);
	decoded_free(&d);
	sb_free(&raw);
	pprof_free(p);
}

static void test_empty_profile_valid(void **state)
{
	struct pprof *p = pprof_new();
	struct strbuf raw;
	struct decoded d;

	(void)state;
	assert_int_equal(pprof_sample_type(p, "samples", "count"), 0);
	sb_init(&raw);
	assert_int_equal(pprof_encode(p, &raw), 0);
	decode((const uint8_t *)raw.buf, raw.len, &d);
	assert_int_equal(d.nstrs, 3);
	assert_string_equal(d.strs[0], "");
	assert_int_equal(d.ntypes, 1);
	assert_int_equal(d.nsamples, 0);
	decoded_free(&d);
	sb_free(&raw);
	pprof_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_strings_valid_utf8),
		cmocka_unit_test(test_empty_profile_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
