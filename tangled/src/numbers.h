/* numbers.h: tangled from book/01-numbers.nw; edit the book, not this file. */
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
    /* numbers.h: the configuration of the other architecture */
    int arch;              /* ARCH_GPT2 (0) or ARCH_LLAMA: the block */
    int num_kv_heads;      /* H_kv: the Llama block's key-value heads */
    int hidden_dim;        /* F: its SwiGLU's hidden size */
    int untied_head;       /* 1: its logits have a matrix of their own */
};
enum { VOCAB_PAD = 128 };
/* V rounded up to a multiple of VOCAB_PAD. */
int padded_vocab(int vocab_size);
/* numbers.h: parameter layout */
enum param_tensor {
    PARAM_WTE, PARAM_WPE,                            /* the two embeddings */
    PARAM_LN1W, PARAM_LN1B, PARAM_QKVW, PARAM_QKVB,  /* the attention branch, */
    PARAM_ATTPROJW, PARAM_ATTPROJB,                  /*   stacked over L */
    PARAM_LN2W, PARAM_LN2B, PARAM_FCW, PARAM_FCB,    /* the MLP branch, */
    PARAM_FCPROJW, PARAM_FCPROJB,                    /*   stacked over L */
    PARAM_LNFW, PARAM_LNFB,                          /* the final LayerNorm */
    NUM_PARAM_TENSORS
};
/* numbers.h: parameter layout */
enum param_dim { DIM_NONE, DIM_VP, DIM_TMAX, DIM_L, DIM_C, DIM_3C, DIM_4C,
                 /* numbers.h: the other architecture's dimensions */
                 DIM_KV, DIM_F, DIM_HEAD };
enum param_init_rule {
    INIT_NORMAL,    /* N(0, 0.02^2) */
    INIT_RESIDUAL,  /* N(0, sigma_res^2), sigma_res = 0.02 / sqrt(2L) */
    INIT_ZEROS,
    INIT_ONES,
};
struct param_tensor_spec {
    const char *name;           /* llm.c's name */
    enum param_dim shape[3];    /* dimensions, outermost first */
    enum param_init_rule init;
};
/* The sixteen tensors, indexed by enum param_tensor. */
extern const struct param_tensor_spec param_tensors[NUM_PARAM_TENSORS];
/* numbers.h: parameter layout */
/* The size of dimension d for the model cfg (1 for DIM_NONE). */
size_t param_dim_size(const struct gpt_config *cfg, enum param_dim d);
/* The table of cfg's architecture: param_tensors for GPT-2; its rows in *count. */
const struct param_tensor_spec *param_table(const struct gpt_config *cfg, int *count);
/* The number of floats in each parameter tensor, in buffer order; the
   slots past the architecture's table are zero. */
void param_sizes(const struct gpt_config *cfg, size_t sizes[NUM_PARAM_TENSORS]);
/* numbers.h: parameter layout */
/* Sum of sizes[0..count), or 0 if the sum overflows size_t. */
size_t layout_total(const size_t *sizes, size_t count);
/* views[i] = base + sizes[0] + ... + sizes[i-1]. */
void layout_views(float *base, const size_t *sizes, size_t count, float **views);
/* numbers.h: parameter layout */
/* GPT-2's initialisation of the whole buffer, each tensor by its rule in
   param_tensors; drawn tensor by tensor in buffer order from rng. */
void param_init(float *params, const struct gpt_config *cfg, gsl_rng *rng);
/* numbers.h: the other architecture's tensors */
enum gpt_arch { ARCH_GPT2, ARCH_LLAMA };
enum llama_param_tensor {
    LLAMA_WTE,                                    /* the token table */
    LLAMA_RMS_ATT, LLAMA_WQ, LLAMA_WK, LLAMA_WV,  /* the attention branch, */
    LLAMA_WO,                                     /*   stacked over L */
    LLAMA_RMS_FFN, LLAMA_W1, LLAMA_W2, LLAMA_W3,  /* the MLP branch, stacked */
    LLAMA_RMS_FINAL, LLAMA_WCLS,                  /* the final norm, the head */
    NUM_LLAMA_PARAM_TENSORS
};
/* The Llama block's twelve tensors, indexed by enum llama_param_tensor. */
extern const struct param_tensor_spec llama_param_tensors[NUM_LLAMA_PARAM_TENSORS];
#endif
