#include <math.h>
#include <stdint.h>
#include <string.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>
#include "numbers.h"

/* numbers.c: summation */
float sum_sequential(const float *x, size_t n)
{
    float s = 0.0f;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s;
}
/* numbers.c: summation */
enum { PAIRWISE_BLOCK = 8 };

float sum_pairwise(const float *x, size_t n)
{
    if (n <= PAIRWISE_BLOCK)
        return sum_sequential(x, n);
    size_t half = n / 2;
    return sum_pairwise(x, half) + sum_pairwise(x + half, n - half);
}
/* numbers.c: summation */
void sum_rows(summation_fn sum, const float *x, size_t rows, size_t n, float *sums)
{
    #pragma omp parallel for schedule(static)
    for (size_t r = 0; r < rows; r++)
        sums[r] = sum(x + r * n, n);
}
/* numbers.c: random numbers */
gsl_rng *rng_create(unsigned long seed)
{
    gsl_error_handler_t *saved_handler = gsl_set_error_handler_off();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_set_error_handler(saved_handler);
    if (rng)
        gsl_rng_set(rng, seed);
    return rng;
}
/* numbers.c: random numbers */
void fill_normal(gsl_rng *rng, float *x, size_t n, double std)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)gsl_ran_gaussian(rng, std);
}

void fill_uniform(gsl_rng *rng, float *x, size_t n)
{
    const float below_one = nextafterf(1.0f, 0.0f);
    for (size_t i = 0; i < n; i++)
        x[i] = fminf((float)gsl_rng_uniform(rng), below_one);
}
/* numbers.c: parameter layout */
int padded_vocab(int vocab_size)
{
    return (vocab_size + VOCAB_PAD - 1) / VOCAB_PAD * VOCAB_PAD;
}
/* numbers.c: parameter layout */
const char *const param_tensor_names[NUM_PARAM_TENSORS] = {
    "wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
    "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb",
};

void param_sizes(const struct gpt_config *cfg, size_t sizes[NUM_PARAM_TENSORS])
{
    size_t Vp = (size_t)cfg->padded_vocab_size, T = (size_t)cfg->max_seq_len;
    size_t L = (size_t)cfg->num_layers, C = (size_t)cfg->channels;
    const size_t s[NUM_PARAM_TENSORS] = {
        Vp * C, T * C, L * C, L * C, L * 3 * C * C, L * 3 * C,
        L * C * C, L * C, L * C, L * C, L * 4 * C * C, L * 4 * C,
        L * C * 4 * C, L * C, C, C,
    };
    for (int i = 0; i < NUM_PARAM_TENSORS; i++)
        sizes[i] = s[i];
}
/* numbers.c: parameter layout */
size_t layout_total(const size_t *sizes, size_t count)
{
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        if (sizes[i] > SIZE_MAX - total)
            return 0;
        total += sizes[i];
    }
    return total;
}

void layout_views(float *base, const size_t *sizes, size_t count, float **views)
{
    for (size_t i = 0; i < count; i++) {
        views[i] = base;
        base += sizes[i];
    }
}
/* numbers.c: parameter layout */
void param_init(float *params, const struct gpt_config *cfg, gsl_rng *rng)
{
    size_t sizes[NUM_PARAM_TENSORS];
    float *p[NUM_PARAM_TENSORS];
    param_sizes(cfg, sizes);
    layout_views(params, sizes, NUM_PARAM_TENSORS, p);
    double residual_std = 0.02 / sqrt(2.0 * cfg->num_layers);
    for (int i = 0; i < NUM_PARAM_TENSORS; i++) {
        const char *name = param_tensor_names[i];
        size_t len = strlen(name);
        /* fill tensor i according to its kind */
        if (strncmp(name, "ln", 2) == 0 || name[len - 1] == 'b') {
            float constant = name[len - 1] == 'b' ? 0.0f : 1.0f;
            for (size_t k = 0; k < sizes[i]; k++)
                p[i][k] = constant;
        } else if (strcmp(name, "attprojw") == 0 || strcmp(name, "fcprojw") == 0)
            fill_normal(rng, p[i], sizes[i], residual_std);
        else
            fill_normal(rng, p[i], sizes[i], 0.02);
    }
}
