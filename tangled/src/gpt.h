/* gpt.h: tangled from book/08-model.nw; edit the book, not this file. */
#ifndef LONGHAND_GPT_H
#define LONGHAND_GPT_H
#include <stddef.h>
#include <stdio.h>
#include "numbers.h"

/* gpt.h: activations */
enum {
    ACT_ENCODED,     /* [B x T x C]      embedding output, h^(0) */
    /* gpt.h: activations of the attention branch */
    ACT_LN1,         /* [L x B x T x C]  first LayerNorm of each block */
    ACT_LN1_MEAN,    /* [L x B x T] */
    ACT_LN1_RSTD,    /* [L x B x T] */
    ACT_QKV,         /* [L x B x T x 3C] */
    ACT_ATTY,        /* [L x B x T x C]  heads' joined outputs */
    ACT_PREATT,      /* [B x NH x T x T]     one layer's, reused by every layer */
    ACT_ATT,         /* [L x B x NH x T x T] */
    ACT_ATTPROJ,     /* [L x B x T x C]  attention branch output */
    ACT_RESIDUAL2,   /* [L x B x T x C]  r^(l) */
    /* gpt.h: activations of the MLP branch */
    ACT_LN2,         /* [L x B x T x C] */
    ACT_LN2_MEAN,    /* [L x B x T] */
    ACT_LN2_RSTD,    /* [L x B x T] */
    ACT_FCH,         /* [L x B x T x 4C] MLP pre-activation */
    ACT_FCH_GELU,    /* [L x B x T x 4C] */
    ACT_FCPROJ,      /* [L x B x T x C]  MLP branch output */
    ACT_RESIDUAL3,   /* [L x B x T x C]  h^(l) */
    /* gpt.h: activations of the head and the loss */
    ACT_LNF,         /* [B x T x C]      final LayerNorm */
    ACT_LNF_MEAN,    /* [B x T] */
    ACT_LNF_RSTD,    /* [B x T] */
    ACT_LOGITS,      /* [B x T x V] */
    ACT_PROBS,       /* [B x T x V] */
    ACT_LOSSES,      /* [B x T] */
    NUM_ACT_TENSORS
};
/* gpt.h: the model */
struct gpt {
    struct gpt_config config;
    size_t num_params, param_size[NUM_PARAM_TENSORS];
    float *params, *param[NUM_PARAM_TENSORS];  /* one buffer, a view per tensor */
    float *grads, *grad[NUM_PARAM_TENSORS];    /* same layout */
    int B, T;                                  /* activations allocated for B x T */
    size_t num_acts, num_grad_acts;            /* floats in acts and in grad_acts */
    float *acts, *act[NUM_ACT_TENSORS];
    float *grad_acts, *grad_act[NUM_ACT_TENSORS];
    int *inputs, *targets;                     /* the last forward pass's ids, [B x T] */
    float mean_loss;                           /* of the last forward pass with targets */
    int have_targets;                          /* did the last forward pass have them? */
};
/* Allocate a model for cfg, parameters and gradients zeroed; 0, or -1 (with
   nothing allocated) if cfg is not a valid model or memory runs out. */
int gpt_create(struct gpt *m, const struct gpt_config *cfg);
void gpt_free(struct gpt *m);
/* GPT-2's initialisation (param_init) from a generator seeded with seed;
   0, or -1 if memory for the generator runs out. */
int gpt_init(struct gpt *m, unsigned long seed);
/* gpt.h: the model */
/* NULL if cfg is a valid model, else a sentence saying what is wrong. */
const char *gpt_config_error(const struct gpt_config *cfg);
/* gpt.h: the model */
enum { GPT_MAX_CONTEXT = 1 << 16, GPT_MAX_VOCAB = 1 << 24, GPT_MAX_LAYERS = 1024,
       GPT_MAX_CHANNELS = 1 << 16 };
/* gpt.h: the forward pass */
/* Run the model on inputs [B x T]; with targets [B x T] (or NULL) also the
   losses and mean_loss.  Keeps a copy of both for gpt_backward.  Returns 0,
   or -1 (with a reason in err) if B or T is out of range, an id is outside
   [0, V), or memory runs out. */
int gpt_forward(struct gpt *m, const int *inputs, const int *targets, int B, int T,
                char *err, size_t errlen);
/* gpt.h: the forward pass */
/* probs[V] = softmax(z[V]); returns -log probs[target], by log-sum-exp. */
float softmax_cross_entropy(float *probs, const float *z, int target, int V);
/* gpt.h: checkpoints */
enum { CHECKPOINT_MAGIC = 20240326, CHECKPOINT_VERSION = 3, CHECKPOINT_HEADER_INTS = 256 };
/* Write m's parameters to path atomically: the old file survives any failure.
   Returns 0, or -1 with a reason in err. */
int gpt_save(const struct gpt *m, const char *path, char *err, size_t errlen);
/* Create m from the checkpoint at path.  Returns 0, or -1 with a reason in
   err (and nothing allocated) if the file is not a valid checkpoint. */
int gpt_load(struct gpt *m, const char *path, char *err, size_t errlen);
/* gpt.h: checkpoints */
/* Write m's checkpoint to f; a failure shows in ferror(f). */
void gpt_write(const struct gpt *m, FILE *f);
/* gpt.h: the backward pass */
/* Set every parameter gradient to zero. */
void gpt_zero_grad(struct gpt *m);
/* Accumulate into m->grads the gradient of mean_loss with respect to every
   parameter, for the batch of the last gpt_forward, whose inputs and targets
   the model kept.  Returns 0, or -1 if that call did not succeed with
   targets (or there was none). */
int gpt_backward(struct gpt *m);
/* gpt.h: later chapters' additions */
struct kv_cache;
struct gpt_cache {
    int num_layers, max_T;
    int len;                 /* positions run so far */
    struct kv_cache **layer; /* [L]: each layer's cached [q k v] rows */
    float *x;                /* [C]: the residual stream at the new position */
    float *ln, *qkv, *atty, *branch, *fch, *fch_gelu;  /* one row of each */
    float *logits;           /* [V]: the logits of the last position run */
    struct gqa_cache **gqa;  /* [L]: the Llama block's caches (llama.c), or NULL */
    float **row_weight;      /* [4L + 1]: each layer's four matrices, then W_te,
                                laid out once by matmul_row_pack */
};
/* A cache for m's sequences of up to max_T (at most its context) positions,
   holding a copy of m's weight matrices for one-row products: valid while m's
   parameters do not change.  NULL if max_T is out of range or memory runs out. */
struct gpt_cache *gpt_cache_create(const struct gpt *m, int max_T);
void gpt_cache_free(struct gpt_cache *g);
/* Keep only the first len positions (len <= g->len). */
void gpt_cache_rewind(struct gpt_cache *g, int len);
/* gpt.h: later chapters' additions */
/* Run token at position g->len through m, appending to the cache; the
   position's logits [V] are then in g->logits.  Returns 0, or -1 if the
   cache is full or token is outside [0, V). */
int gpt_step(const struct gpt *m, struct gpt_cache *g, int token);
/* gpt.h: later chapters' additions */
/* Run tokens[0..n) through m's forward pass (which replaces its activations)
   and fill the empty cache g from it, as n calls of gpt_step would.  Returns
   0, or -1 (with a reason in err) if g is not empty or n does not fit. */
int gpt_prefill(struct gpt *m, struct gpt_cache *g, const int *tokens, int n,
                char *err, size_t errlen);
#endif
