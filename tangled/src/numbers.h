#ifndef LONGHAND_NUMBERS_H
#define LONGHAND_NUMBERS_H
#include <stddef.h>
#include <gsl/gsl_rng.h>

/* numbers.h: summation */
/* Left-to-right fp32 sum of x[0..n); error bound (n-1)u sum|x|. */
float sum_sequential(const float *x, size_t n);
/* numbers.h: summation */
/* Pairwise fp32 sum of x[0..n); error bound (b-1+ceil(log2(n/b)))u sum|x|, b = 8. */
float sum_pairwise(const float *x, size_t n);
/* numbers.h: summation */
/* A way to sum x[0..n): sum_sequential or sum_pairwise. */
typedef float (*summation_fn)(const float *x, size_t n);
/* sums[r] = sum(x[r*n .. r*n+n)) for r < rows; parallel over rows. */
void sum_rows(summation_fn sum, const float *x, size_t rows, size_t n, float *sums);
/* numbers.h: random numbers */
/* A Mersenne Twister (mt19937) seeded with seed; NULL if out of memory. */
gsl_rng *rng_create(unsigned long seed);
/* numbers.h: random numbers */
/* x[i] ~ N(0, std^2), drawn in order from rng. */
void fill_normal(gsl_rng *rng, float *x, size_t n, double std);
/* x[i] ~ U[0, 1), drawn in order from rng. */
void fill_uniform(gsl_rng *rng, float *x, size_t n);
/* numbers.h: parameter layout */
struct gpt_config {
    int max_seq_len;       /* T_max: the longest context */
    int vocab_size;        /* V: tokens the tokenizer produces */
    int padded_vocab_size; /* V_p: V rounded up to a multiple of 128 */
    int num_layers;        /* L */
    int num_heads;         /* H */
    int channels;          /* C */
};
enum { VOCAB_PAD = 128, NUM_PARAM_TENSORS = 16 };
/* V rounded up to a multiple of VOCAB_PAD. */
int padded_vocab(int vocab_size);
/* numbers.h: parameter layout */
/* Each tensor's name (llm.c's), in buffer order. */
extern const char *const param_tensor_names[NUM_PARAM_TENSORS];
/* The number of floats in each parameter tensor, in buffer order. */
void param_sizes(const struct gpt_config *cfg, size_t sizes[NUM_PARAM_TENSORS]);
/* numbers.h: parameter layout */
/* Sum of sizes[0..count), or 0 if the sum overflows size_t. */
size_t layout_total(const size_t *sizes, size_t count);
/* views[i] = base + sizes[0] + ... + sizes[i-1]. */
void layout_views(float *base, const size_t *sizes, size_t count, float **views);
/* numbers.h: parameter layout */
/* GPT-2's initialisation of the whole buffer: weights ~ N(0, 0.02^2), the two
   residual projections ~ N(0, 0.02^2 / 2L), LayerNorm scales 1, biases and
   shifts 0; drawn tensor by tensor in buffer order from rng. */
void param_init(float *params, const struct gpt_config *cfg, gsl_rng *rng);
#endif
