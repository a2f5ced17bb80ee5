/* numbers.c: tangled from book/01-numbers.nw; edit the book, not this file. */
#include <math.h>
#include <stdint.h>
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
/* numbers.c: the other architecture's tensors */
_Static_assert((int)NUM_LLAMA_PARAM_TENSORS <= (int)NUM_PARAM_TENSORS,
               "the model has a view for each of at most NUM_PARAM_TENSORS tensors");
const struct param_tensor_spec llama_param_tensors[NUM_LLAMA_PARAM_TENSORS] = {
    [LLAMA_WTE]       = { "token_embedding_table", { DIM_VP, DIM_C },        INIT_NORMAL },
    [LLAMA_RMS_ATT]   = { "rms_att_weight",   { DIM_L, DIM_C },          INIT_ONES },
    [LLAMA_WQ]        = { "wq",               { DIM_L, DIM_C, DIM_C },   INIT_NORMAL },
    [LLAMA_WK]        = { "wk",               { DIM_L, DIM_KV, DIM_C },  INIT_NORMAL },
    [LLAMA_WV]        = { "wv",               { DIM_L, DIM_KV, DIM_C },  INIT_NORMAL },
    [LLAMA_WO]        = { "wo",               { DIM_L, DIM_C, DIM_C },   INIT_RESIDUAL },
    [LLAMA_RMS_FFN]   = { "rms_ffn_weight",   { DIM_L, DIM_C },          INIT_ONES },
    [LLAMA_W1]        = { "w1",               { DIM_L, DIM_F, DIM_C },   INIT_NORMAL },
    [LLAMA_W2]        = { "w2",               { DIM_L, DIM_C, DIM_F },   INIT_RESIDUAL },
    [LLAMA_W3]        = { "w3",               { DIM_L, DIM_F, DIM_C },   INIT_NORMAL },
    [LLAMA_RMS_FINAL] = { "rms_final_weight", { DIM_C },                 INIT_ONES },
    [LLAMA_WCLS]      = { "wcls",             { DIM_HEAD, DIM_C },       INIT_NORMAL },
};
/* numbers.c: parameter layout */
int padded_vocab(int vocab_size)
{
    return (vocab_size + VOCAB_PAD - 1) / VOCAB_PAD * VOCAB_PAD;
}
/* numbers.c: parameter layout */
const struct param_tensor_spec param_tensors[NUM_PARAM_TENSORS] = {
    [PARAM_WTE]      = { "wte",      { DIM_VP, DIM_C },         INIT_NORMAL },
    [PARAM_WPE]      = { "wpe",      { DIM_TMAX, DIM_C },       INIT_NORMAL },
    [PARAM_LN1W]     = { "ln1w",     { DIM_L, DIM_C },          INIT_ONES },
    [PARAM_LN1B]     = { "ln1b",     { DIM_L, DIM_C },          INIT_ZEROS },
    [PARAM_QKVW]     = { "qkvw",     { DIM_L, DIM_3C, DIM_C },  INIT_NORMAL },
    [PARAM_QKVB]     = { "qkvb",     { DIM_L, DIM_3C },         INIT_ZEROS },
    [PARAM_ATTPROJW] = { "attprojw", { DIM_L, DIM_C, DIM_C },   INIT_RESIDUAL },
    [PARAM_ATTPROJB] = { "attprojb", { DIM_L, DIM_C },          INIT_ZEROS },
    [PARAM_LN2W]     = { "ln2w",     { DIM_L, DIM_C },          INIT_ONES },
    [PARAM_LN2B]     = { "ln2b",     { DIM_L, DIM_C },          INIT_ZEROS },
    [PARAM_FCW]      = { "fcw",      { DIM_L, DIM_4C, DIM_C },  INIT_NORMAL },
    [PARAM_FCB]      = { "fcb",      { DIM_L, DIM_4C },         INIT_ZEROS },
    [PARAM_FCPROJW]  = { "fcprojw",  { DIM_L, DIM_C, DIM_4C },  INIT_RESIDUAL },
    [PARAM_FCPROJB]  = { "fcprojb",  { DIM_L, DIM_C },          INIT_ZEROS },
    [PARAM_LNFW]     = { "lnfw",     { DIM_C },                 INIT_ONES },
    [PARAM_LNFB]     = { "lnfb",     { DIM_C },                 INIT_ZEROS },
};
/* numbers.c: parameter layout */
size_t param_dim_size(const struct gpt_config *cfg, enum param_dim d)
{
    size_t C = (size_t)cfg->channels;
    switch (d) {
    case DIM_VP:   return (size_t)cfg->padded_vocab_size;
    case DIM_TMAX: return (size_t)cfg->max_seq_len;
    case DIM_L:    return (size_t)cfg->num_layers;
    case DIM_C:    return C;
    case DIM_3C:   return 3 * C;
    case DIM_4C:   return 4 * C;
    /* numbers.c: sizes of the other architecture's dimensions */
    case DIM_KV:   return cfg->num_heads > 0 ? C / (size_t)cfg->num_heads
                                                 * (size_t)cfg->num_kv_heads : 0;
    case DIM_F:    return (size_t)cfg->hidden_dim;
    case DIM_HEAD: return cfg->untied_head ? (size_t)cfg->padded_vocab_size : 0;
    case DIM_NONE: break;
    }
    return 1;
}

const struct param_tensor_spec *param_table(const struct gpt_config *cfg, int *count)
{
    /* return the table of the other architecture, if cfg is of it */
    if (cfg->arch == ARCH_LLAMA) {
        *count = NUM_LLAMA_PARAM_TENSORS;
        return llama_param_tensors;
    }
    *count = NUM_PARAM_TENSORS;
    return param_tensors;
}

void param_sizes(const struct gpt_config *cfg, size_t sizes[NUM_PARAM_TENSORS])
{
    int count;
    const struct param_tensor_spec *table = param_table(cfg, &count);
    for (int i = 0; i < NUM_PARAM_TENSORS; i++) {
        sizes[i] = i < count ? 1 : 0;
        for (int k = 0; i < count && k < 3; k++)
            sizes[i] *= param_dim_size(cfg, table[i].shape[k]);
    }
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
    int count;
    const struct param_tensor_spec *table = param_table(cfg, &count);
    param_sizes(cfg, sizes);
    layout_views(params, sizes, NUM_PARAM_TENSORS, p);
    for (int i = 0; i < count; i++) {
        /* fill tensor i by its initialisation rule */
        switch (table[i].init) {
        case INIT_NORMAL:
            fill_normal(rng, p[i], sizes[i], 0.02);
            break;
        case INIT_RESIDUAL:
            fill_normal(rng, p[i], sizes[i], 0.02 / sqrt(2.0 * cfg->num_layers));
            break;
        case INIT_ZEROS:
        case INIT_ONES:
            for (size_t k = 0; k < sizes[i]; k++)
                p[i][k] = table[i].init == INIT_ONES ? 1.0f : 0.0f;
            break;
        }
    }
}
