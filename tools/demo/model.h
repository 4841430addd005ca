/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The demo service's neural network: a multi-layer perceptron (dim -> hidden
 * -> ... -> dim, GELU between layers) plus a token embedding table that is
 * tied to the output for generation, as in small language models.
 *
 * The weights are not shipped: they are generated from a seed with
 * splitmix64 (Steele, Lea, Flood 2014: state += 0x9e3779b97f4a7c15, then two
 * xor-shift-multiply rounds), so every build and machine gets the same model
 * bit for bit and nothing has to be downloaded. The network is untrained: it
 * exists to spend real, size-controlled CPU per request, not to be right.
 *
 * Pure: no syscalls, no clock reads; memory comes from malloc.
 */
#ifndef LATGOV_DEMO_MODEL_H
#define LATGOV_DEMO_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define DEMO_DIM		64	/* input and output width of /v1/infer */
#define DEMO_MAX_DIM		1024
#define DEMO_MAX_HIDDEN		8192
#define DEMO_MAX_LAYERS		16	/* dense layers, including first and last */
#define DEMO_VOCAB		95	/* printable ASCII, ' ' .. '~' */
#define DEMO_DEFAULT_SEED	0x6c617467u	/* "latg" */

struct demo_dense {
	uint32_t in, out;
	float *w;		/* out rows of in weights, row-major */
	float *b;		/* out biases */
};

struct demo_model {
	uint32_t dim;		/* input = output width */
	uint32_t hidden;
	uint32_t n_layers;	/* dense layers: dim->hidden, (n-2) x hidden->hidden, hidden->dim */
	uint32_t vocab;
	uint64_t seed;
	struct demo_dense layer[DEMO_MAX_LAYERS];
	float *embed;		/* vocab rows of dim: token embeddings, tied output */
};

/* One splitmix64 step: advances *state and returns the next 64 random bits. */
uint64_t demo_splitmix64(uint64_t *state);

/*
 * Builds a model with weights drawn from seed. layers >= 2; dim, hidden and
 * vocab >= 1 and within the DEMO_MAX_* limits. Returns 0, -EINVAL for sizes
 * out of range, -ENOMEM. On failure the model holds nothing to free.
 */
int demo_model_init(struct demo_model *m, uint32_t dim, uint32_t hidden,
		    uint32_t layers, uint32_t vocab, uint64_t seed);
void demo_model_free(struct demo_model *m);

/* Number of weights and biases, embeddings included. */
size_t demo_model_params(const struct demo_model *m);

/* Multiply-adds of one forward pass: the cost model behind --hidden/--layers. */
uint64_t demo_model_macs(const struct demo_model *m);

/* Floats of scratch memory a forward pass or generation step needs. */
size_t demo_model_scratch_len(const struct demo_model *m);

/* The activation between layers: exact GELU, x * Phi(x). */
float demo_gelu(float x);

/*
 * One forward pass: in and out hold m->dim floats (they may alias), scratch
 * demo_model_scratch_len() floats.
 */
void demo_forward(const struct demo_model *m, const float *in, float *out,
		  float *scratch);

/* Index of the largest value (the first one on ties); 0 when n == 0. */
uint32_t demo_argmax(const float *v, uint32_t n);

/*
 * Token generation. The context is a decaying sum of the embeddings seen so
 * far (ctx = ctx / 2 + embed[token]); each step is one forward pass of the
 * context, logits = embed . output, and a draw from their softmax with a
 * generator seeded from the prompt, so the same prompt gives the same tokens.
 */
struct demo_gen {
	float ctx[DEMO_MAX_DIM];
	uint64_t rng;
	uint32_t produced;
};

/* Returns 0, or -EINVAL if a prompt token is >= vocab or the prompt is empty. */
int demo_gen_start(const struct demo_model *m, struct demo_gen *g,
		   const uint32_t *prompt, size_t n);
/* One forward pass; writes the next token (< vocab). */
void demo_gen_next(const struct demo_model *m, struct demo_gen *g,
		   float *scratch, uint32_t *token);

/* The character a token stands for. */
static inline char demo_token_char(uint32_t token)
{
	return (char)(' ' + token % DEMO_VOCAB);
}

#endif
