// SPDX-License-Identifier: GPL-2.0-only
/*
 * The demo service's network: the forward pass against values worked out by
 * hand, the seeded weights and output against fixed checksums (so a change to
 * the generator or the math shows), and token generation.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../tools/demo/model.h"

/*
 * The default model (seed DEMO_DEFAULT_SEED, 64-1024x3-64), recorded when the
 * generator was written: if these move, every demo run's numbers move too.
 */
#define WEIGHT_HASH 0x19b88994a638da8dull
#define OUT_SUM 0.645493213
#define OUT_ABS 10.2823669
#define OUT_ARGMAX 53

/* Relative closeness for floats computed in a different order or by another libm. */
static void assert_close(double got, double want, double rel)
{
	double tol = rel * (fabs(want) > 1 ? fabs(want) : 1);

	if (fabs(got - want) > tol)
		fail_msg("got %.9g, want %.9g (tolerance %.3g)", got, want, tol);
}

static void test_splitmix64_reference(void **state)
{
	uint64_t s = 0;

	(void)state;
	/* The first outputs of the reference splitmix64 from seed 0. */
	assert_true(demo_splitmix64(&s) == 0xe220a8397b1dcdafull);
	assert_true(demo_splitmix64(&s) == 0x6e789e6aa1b965f4ull);
	assert_true(demo_splitmix64(&s) == 0x06c45d188009454full);
}

static void test_gelu_values(void **state)
{
	(void)state;
	/* x * Phi(x) from tables of the normal distribution. */
	assert_close(demo_gelu(0), 0, 1e-7);
	assert_close(demo_gelu(1), 0.8413447461, 1e-6);
	assert_close(demo_gelu(-1), -0.1586552539, 1e-6);
	assert_close(demo_gelu(2), 1.9544997361, 1e-6);
	assert_close(demo_gelu(-3), -0.0040496970, 1e-5);
}

static void set(float *dst, const float *src, size_t n)
{
	memcpy(dst, src, n * sizeof(float));
}

/*
 * 2 -> 2 -> 2 with hand-set weights:
 *   layer 0: w = [[1, 0], [0, -1]], b = 0, so pre-activations are (x0, -x1);
 *   layer 1: w = [[1, 1], [2, 0]],  b = (0.5, 0).
 * For x = (1, 1): hidden = (gelu(1), gelu(-1)) = (0.8413447, -0.1586553),
 * out = (0.8413447 - 0.1586553 + 0.5, 2 * 0.8413447) = (1.1826895, 1.6826895).
 * For x = (2, 0): hidden = (gelu(2), 0) = (1.9544997, 0),
 * out = (2.4544997, 3.9089995).
 */
static void test_two_layer_by_hand(void **state)
{
	struct demo_model m;
	float scratch[64], out[2];

	(void)state;
	assert_int_equal(demo_model_init(&m, 2, 2, 2, 1, 1), 0);
	assert_true(demo_model_scratch_len(&m) <= 64);
	set(m.layer[0].w, (const float[]){ 1, 0, 0, -1 }, 4);
	set(m.layer[0].b, (const float[]){ 0, 0 }, 2);
	set(m.layer[1].w, (const float[]){ 1, 1, 2, 0 }, 4);
	set(m.layer[1].b, (const float[]){ 0.5f, 0 }, 2);

	demo_forward(&m, (const float[]){ 1, 1 }, out, scratch);
	assert_close(out[0], 1.1826894922, 1e-6);
	assert_close(out[1], 1.6826894922, 1e-6);
	assert_int_equal(demo_argmax(out, 2), 1);

	demo_forward(&m, (const float[]){ 2, 0 }, out, scratch);
	assert_close(out[0], 2.4544997361, 1e-6);
	assert_close(out[1], 3.9089994722, 1e-6);

	/* In and out may be the same array. */
	out[0] = 1;
	out[1] = 1;
	demo_forward(&m, out, out, scratch);
	assert_close(out[0], 1.1826894922, 1e-6);
	demo_model_free(&m);
}

/*
 * Deeper models pass activations between two scratch buffers. With identity
 * weights and zero biases, the output of an L-layer model on (3, 0) is GELU
 * applied L-1 times to 3 (worked out with Python's math.erf).
 */
static void test_deeper_by_hand(void **state)
{
	static const float identity[] = { 1, 0, 0, 1 };
	static const double want[] = { 0, 0, 2.99595030590511, 2.9918519804678865,
				       2.9877039171849344, 2.983504972496146 };
	float scratch[64], out[2];

	(void)state;
	for (uint32_t layers = 2; layers <= 5; layers++) {
		struct demo_model m;

		assert_int_equal(demo_model_init(&m, 2, 2, layers, 1, 1), 0);
		for (uint32_t l = 0; l < layers; l++) {
			set(m.layer[l].w, identity, 4);
			set(m.layer[l].b, (const float[]){ 0, 0 }, 2);
		}
		demo_forward(&m, (const float[]){ 3, 0 }, out, scratch);
		assert_close(out[0], want[layers], 1e-6);
		assert_close(out[1], 0, 1e-7);
		demo_model_free(&m);
	}
}

static void test_bad_sizes(void **state)
{
	struct demo_model m;

	(void)state;
	assert_int_equal(demo_model_init(&m, 64, 16, 1, DEMO_VOCAB, 1), -EINVAL);
	assert_int_equal(demo_model_init(&m, 64, 16, DEMO_MAX_LAYERS + 1, DEMO_VOCAB, 1), -EINVAL);
	assert_int_equal(demo_model_init(&m, 0, 16, 2, DEMO_VOCAB, 1), -EINVAL);
	assert_int_equal(demo_model_init(&m, 64, DEMO_MAX_HIDDEN + 1, 2, DEMO_VOCAB, 1), -EINVAL);
	assert_int_equal(demo_model_init(&m, 64, 16, 2, DEMO_VOCAB + 1, 1), -EINVAL);
	assert_null(m.embed);
}

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/*
 * The default model, as the server builds it. The weights are integer-derived
 * and exact, so their hash is fixed bit for bit; the output goes through erf
 * and sums, so it is compared with a tolerance.
 */
static void test_seeded_model_is_stable(void **state)
{
	struct demo_model m;
	float x[DEMO_DIM], *scratch;
	uint64_t h = 0xcbf29ce484222325ull;
	double sum = 0, abs_sum = 0;

	(void)state;
	assert_int_equal(demo_model_init(&m, DEMO_DIM, 1024, 4, DEMO_VOCAB, DEMO_DEFAULT_SEED), 0);
	assert_int_equal(demo_model_params(&m), 2237440);
	assert_int_equal(demo_model_macs(&m), 2228224);
	for (uint32_t l = 0; l < m.n_layers; l++) {
		h = fnv1a(h, m.layer[l].w, (size_t)m.layer[l].in * m.layer[l].out * sizeof(float));
		h = fnv1a(h, m.layer[l].b, m.layer[l].out * sizeof(float));
	}
	h = fnv1a(h, m.embed, (size_t)m.vocab * m.dim * sizeof(float));
	print_message("# weight hash 0x%016llx\n", (unsigned long long)h);
	assert_true(h == WEIGHT_HASH);

	scratch = malloc(demo_model_scratch_len(&m) * sizeof(float));
	assert_non_null(scratch);
	for (uint32_t i = 0; i < DEMO_DIM; i++)
		x[i] = (float)i / DEMO_DIM - 0.5f;
	demo_forward(&m, x, x, scratch);
	for (uint32_t i = 0; i < DEMO_DIM; i++) {
		sum += x[i];
		abs_sum += fabs(x[i]);
	}
	print_message("# output sum %.9g abs %.9g argmax %u\n", sum, abs_sum, demo_argmax(x, DEMO_DIM));
	assert_close(sum, OUT_SUM, 1e-4);
	assert_close(abs_sum, OUT_ABS, 1e-4);
	assert_int_equal(demo_argmax(x, DEMO_DIM), OUT_ARGMAX);
	free(scratch);
	demo_model_free(&m);
}

/* The generation step worked out with demo_forward(), outside the model's scratch juggling. */
static uint32_t reference_step(const struct demo_model *m, float *ctx, uint64_t *rng)
{
	float y[DEMO_MAX_DIM], logits[DEMO_VOCAB], scratch[4096], max, sum = 0, u;
	uint32_t t;

	demo_forward(m, ctx, y, scratch);
	for (uint32_t v = 0; v < m->vocab; v++) {
		double s = 0;

		for (uint32_t i = 0; i < m->dim; i++)
			s += (double)m->embed[v * m->dim + i] * y[i];
		logits[v] = (float)(s / sqrt(m->dim));
	}
	max = logits[demo_argmax(logits, m->vocab)];
	for (uint32_t v = 0; v < m->vocab; v++) {
		logits[v] = expf(logits[v] - max);
		sum += logits[v];
	}
	u = (float)(demo_splitmix64(rng) >> 40) * 0x1p-24f * sum;
	for (t = 0; t + 1 < m->vocab; t++) {
		u -= logits[t];
		if (u < 0)
			break;
	}
	for (uint32_t i = 0; i < m->dim; i++)
		ctx[i] = 0.5f * ctx[i] + m->embed[t * m->dim + i];
	return t;
}

static void test_generation(void **state)
{
	static const uint32_t prompt[] = { 40, 41, 42 };
	float scratch[4096];

	(void)state;
	for (uint32_t layers = 2; layers <= 5; layers++) {
		struct demo_model m;
		struct demo_gen a, b, ref;

		assert_int_equal(demo_model_init(&m, 16, 32, layers, DEMO_VOCAB, 7), 0);
		assert_true(demo_model_scratch_len(&m) <= 4096);
		assert_int_equal(demo_gen_start(&m, &a, prompt, 3), 0);
		assert_int_equal(demo_gen_start(&m, &b, prompt, 3), 0);
		ref = a;
		for (int i = 0; i < 20; i++) {
			uint32_t ta, tb, tr;

			demo_gen_next(&m, &a, scratch, &ta);
			demo_gen_next(&m, &b, scratch, &tb);
			tr = reference_step(&m, ref.ctx, &ref.rng);
			assert_true(ta < DEMO_VOCAB);
			/* The same prompt gives the same tokens. */
			assert_int_equal(ta, tb);
			/* The reference sums logits in double: equal unless a draw sits on a boundary. */
			assert_int_equal(ta, tr);
		}
		assert_int_equal(a.produced, 20);
		demo_model_free(&m);
	}
}

static void test_generation_rejects_bad_prompts(void **state)
{
	struct demo_model m;
	struct demo_gen g;

	(void)state;
	assert_int_equal(demo_model_init(&m, 16, 32, 2, DEMO_VOCAB, 7), 0);
	assert_int_equal(demo_gen_start(&m, &g, (const uint32_t[]){ 1 }, 0), -EINVAL);
	assert_int_equal(demo_gen_start(&m, &g, (const uint32_t[]){ 1, DEMO_VOCAB }, 2), -EINVAL);
	assert_int_equal(demo_token_char(0), ' ');
	assert_int_equal(demo_token_char(DEMO_VOCAB - 1), '~');
	demo_model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_splitmix64_reference),
		cmocka_unit_test(test_gelu_values),
		cmocka_unit_test(test_two_layer_by_hand),
		cmocka_unit_test(test_deeper_by_hand),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_seeded_model_is_stable),
		cmocka_unit_test(test_generation),
		cmocka_unit_test(test_generation_rejects_bad_prompts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
