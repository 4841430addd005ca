// SPDX-License-Identifier: GPL-2.0-only
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

uint64_t demo_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [-a, a). The top 24 bits make the [0, 1) draw exact in a float. */
static float uniform(uint64_t *state, float a)
{
	float u = (float)(demo_splitmix64(state) >> 40) * 0x1p-24f;

	return (2.0f * u - 1.0f) * a;
}

void demo_model_free(struct demo_model *m)
{
	for (uint32_t i = 0; i < DEMO_MAX_LAYERS; i++) {
		free(m->layer[i].w);
		free(m->layer[i].b);
	}
	free(m->embed);
	memset(m, 0, sizeof(*m));
}

int demo_model_init(struct demo_model *m, uint32_t dim, uint32_t hidden,
		    uint32_t layers, uint32_t vocab, uint64_t seed)
{
	uint64_t state = seed;

	memset(m, 0, sizeof(*m));
	if (dim < 1 || dim > DEMO_MAX_DIM || hidden < 1 || hidden > DEMO_MAX_HIDDEN ||
	    layers < 2 || layers > DEMO_MAX_LAYERS || vocab < 1 || vocab > DEMO_VOCAB)
		return -EINVAL;
	m->dim = dim;
	m->hidden = hidden;
	m->n_layers = layers;
	m->vocab = vocab;
	m->seed = seed;

	for (uint32_t l = 0; l < layers; l++) {
		struct demo_dense *d = &m->layer[l];
		/* Variance-preserving (He) scale, so activations neither die nor blow up with depth. */
		float a;

		d->in = l == 0 ? dim : hidden;
		d->out = l == layers - 1 ? dim : hidden;
		d->w = malloc((size_t)d->in * d->out * sizeof(float));
		d->b = malloc((size_t)d->out * sizeof(float));
		if (!d->w || !d->b)
			goto fail;
		a = sqrtf(6.0f / (float)d->in);
		for (size_t i = 0; i < (size_t)d->in * d->out; i++)
			d->w[i] = uniform(&state, a);
		for (uint32_t i = 0; i < d->out; i++)
			d->b[i] = uniform(&state, 0.1f);
	}
	m->embed = malloc((size_t)vocab * dim * sizeof(float));
	if (!m->embed)
		goto fail;
	for (size_t i = 0; i < (size_t)vocab * dim; i++)
		m->embed[i] = uniform(&state, 1.0f);
	return 0;
fail:
	demo_model_free(m);
	return -ENOMEM;
}

size_t demo_model_params(const struct demo_model *m)
{
	size_t n = (size_t)m->vocab * m->dim;

	for (uint32_t l = 0; l < m->n_layers; l++)
		n += (size_t)m->layer[l].in * m->layer[l].out + m->layer[l].out;
	return n;
}

uint64_t demo_model_macs(const struct demo_model *m)
{
	uint64_t n = 0;

	for (uint32_t l = 0; l < m->n_layers; l++)
		n += (uint64_t)m->layer[l].in * m->layer[l].out;
	return n;
}

size_t demo_model_scratch_len(const struct demo_model *m)
{
	size_t w = m->hidden > m->dim ? m->hidden : m->dim;

	if (m->vocab > w)
		w = m->vocab;
	/* Two buffers for the layers of a pass, a third for a generation step's output. */
	return 3 * w;
}

float demo_gelu(float x)
{
	return 0.5f * x * (1.0f + erff(x * (float)M_SQRT1_2));
}

/*
 * Four independent sums: a single running sum is bound by the latency of one
 * floating-point add per weight; four keep the adder busy without -ffast-math
 * (the order is still fixed, so results are the same on every run).
 */
static float dot(const float *w, const float *x, uint32_t n)
{
	float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	uint32_t i = 0;

	for (; i + 4 <= n; i += 4) {
		s0 += w[i] * x[i];
		s1 += w[i + 1] * x[i + 1];
		s2 += w[i + 2] * x[i + 2];
		s3 += w[i + 3] * x[i + 3];
	}
	for (; i < n; i++)
		s0 += w[i] * x[i];
	return (s0 + s1) + (s2 + s3);
}

static void dense(const struct demo_dense *d, const float *x, float *y, int activate)
{
	for (uint32_t o = 0; o < d->out; o++) {
		float v = d->b[o] + dot(d->w + (size_t)o * d->in, x, d->in);

		y[o] = activate ? demo_gelu(v) : v;
	}
}

void demo_forward(const struct demo_model *m, const float *in, float *out,
		  float *scratch)
{
	size_t third = demo_model_scratch_len(m) / 3;
	float *a = scratch, *b = scratch + third;
	const float *x = in;

	for (uint32_t l = 0; l + 1 < m->n_layers; l++) {
		float *y = (l % 2 == 0) ? a : b;

		dense(&m->layer[l], x, y, 1);
		x = y;
	}
	/* x lives in scratch, never in out, so in and out may be the same array. */
	dense(&m->layer[m->n_layers - 1], x, out, 0);
}

uint32_t demo_argmax(const float *v, uint32_t n)
{
	uint32_t best = 0;

	for (uint32_t i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

static void gen_push(const struct demo_model *m, struct demo_gen *g, uint32_t token)
{
	const float *e = m->embed + (size_t)token * m->dim;

	for (uint32_t i = 0; i < m->dim; i++)
		g->ctx[i] = 0.5f * g->ctx[i] + e[i];
}

int demo_gen_start(const struct demo_model *m, struct demo_gen *g,
		   const uint32_t *prompt, size_t n)
{
	/* FNV-1a over the prompt: the sampling seed, so a prompt always gives the same text. */
	uint64_t h = 0xcbf29ce484222325ull ^ m->seed;

	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (prompt[i] >= m->vocab)
			return -EINVAL;
	memset(g, 0, sizeof(*g));
	for (size_t i = 0; i < n; i++) {
		gen_push(m, g, prompt[i]);
		h = (h ^ prompt[i]) * 0x100000001b3ull;
	}
	g->rng = h;
	return 0;
}

void demo_gen_next(const struct demo_model *m, struct demo_gen *g,
		   float *scratch, uint32_t *token)
{
	size_t third = demo_model_scratch_len(m) / 3;
	float *y = scratch + 2 * third, *logits = scratch;
	float scale = 1.0f / sqrtf((float)m->dim), max, sum = 0, u;
	uint32_t t;

	/* The pass uses the first two thirds of scratch; its output goes to the last. */
	demo_forward(m, g->ctx, y, scratch);
	for (uint32_t v = 0; v < m->vocab; v++)
		logits[v] = scale * dot(m->embed + (size_t)v * m->dim, y, m->dim);
	max = logits[demo_argmax(logits, m->vocab)];
	for (uint32_t v = 0; v < m->vocab; v++) {
		logits[v] = expf(logits[v] - max);
		sum += logits[v];
	}
	u = (float)(demo_splitmix64(&g->rng) >> 40) * 0x1p-24f * sum;
	for (t = 0; t + 1 < m->vocab; t++) {
		u -= logits[t];
		if (u < 0)
			break;
	}
	*token = t;
	gen_push(m, g, t);
	g->produced++;
}
