/* transcoder.h: tangled from book/14-circuits.nw; edit the book, not this file. */
/* transcoder.h: tangled from book/14-circuits.nw; edit the book, not this file. */
#ifndef LONGHAND_TRANSCODER_H
#define LONGHAND_TRANSCODER_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <gsl/gsl_rng.h>
#include "gpt.h"

/* transcoder.h: the transcoder */
struct transcoder {
    int layer, C, F;          /* the block (from 0), channels, features */
    size_t num_params;        /* F*C + F + C*F + C */
    float *params;            /* one buffer, in the file's order: */
    float *W_enc, *b_enc;     /* [F x C], [F]  eq. tc-encode */
    float *W_dec, *b_dec;     /* [C x F], [C]  eq. tc-decode; column f is d_f */
};
enum { TRANSCODER_MAX_FEATURES = 1 << 20 };
/* Allocate a zeroed transcoder; 0, or -1 if a size is out of range or
   memory runs out (nothing allocated). */
int transcoder_create(struct transcoder *tc, int layer, int C, int F);
void transcoder_free(struct transcoder *tc);
/* The initialisation of the text: W_enc ~ N(0, 1/C), W_dec ~ N(0, sigma^2/(CF)),
   biases zero. */
void transcoder_init(struct transcoder *tc, gsl_rng *rng, double sigma);
/* transcoder.h: forward and backward */
/* z, a [N x F] and yhat [N x C] from x [N x C], eqs. tc-encode, tc-decode. */
void transcoder_forward(const struct transcoder *tc, const float *x, int N, float *z,
                        float *a, float *yhat);
/* norms[F] = ||d_f||, the decoder's column norms. */
void transcoder_decoder_norms(const struct transcoder *tc, float *norms);
struct transcoder_loss {
    double lambda, sigma;     /* given: the penalty's weight, the targets' spread */
    double E, S, loss;        /* computed: eq. tc-loss's terms, and E + lambda S */
};
/* Fill l->E, l->S and l->loss for a, yhat from transcoder_forward and
   targets y [N x C]; norms from transcoder_decoder_norms. */
void transcoder_loss(const struct transcoder *tc, const float *a, const float *yhat,
                     const float *y, const float *norms, int N, struct transcoder_loss *l);
/* grads (laid out as params) += the gradient of l's loss, eqs. tc-dyhat to
   tc-dwenc; work holds N*(C+F) + F floats. */
void transcoder_backward(const struct transcoder *tc, float *grads, const float *x,
                         const float *z, const float *a, const float *yhat,
                         const float *y, int N, const struct transcoder_loss *l,
                         float *work);
/* transcoder.h: files */
enum { TRANSCODER_MAGIC = 20260514, TRANSCODER_VERSION = 1, TRANSCODER_HEADER_INTS = 8 };
/* Write tcs[0..n) (one C and F, blocks increasing) to path atomically.
   0, or -1 with a reason in err. */
int transcoder_save(const struct transcoder *tcs, int n, const char *path, char *err,
                    size_t errlen);
/* Read the transcoders at path into *tcs (an array of *n, caller frees with
   transcoder_free_all).  0, or -1 with a reason in err, nothing allocated. */
int transcoder_load(const char *path, struct transcoder **tcs, int *n, char *err,
                    size_t errlen);
void transcoder_free_all(struct transcoder *tcs, int n);
/* transcoder.h: training */
struct transcoder_options {
    int batch, context, steps;   /* B rows of T tokens a step */
    double lr, lambda;           /* AdamW's rate; eq. tc-loss's weight */
    int log_every;               /* a log row every this many steps, and at the last */
    FILE *log;                   /* TSV: step, layer, loss, E, L0; or NULL */
};
/* Train tcs[0..n) (created, for m's blocks) on m's MLP inputs and outputs
   over tokens[0..n_tokens), read in order; initialised from rng.  Returns 0,
   or -1 with a reason in err. */
int transcoder_train(struct gpt *m, struct transcoder *tcs, int n, const int32_t *tokens,
                     size_t n_tokens, const struct transcoder_options *o, gsl_rng *rng,
                     char *err, size_t errlen);
/* transcoder.h: the replacement model */
/* gpt_forward without targets, each block of tcs[0..n) with its transcoder
   in place of its MLP; m's activations and logits are the replacement's.
   work holds 2*B*T*F floats.  0, or -1 with a reason in err. */
int transcoder_replace_forward(struct gpt *m, const int *inputs, int B, int T,
                               const struct transcoder *tcs, int n, float *work,
                               char *err, size_t errlen);
struct transcoder_report {
    int layer;                   /* the block, or -1 for all of them together */
    double fvu, l0, dead;        /* eq. fvu; mean L0; fraction of features dead */
    double agreement;            /* top-1 agreement of the replacement */
};
/* Over at most max_batches batches of B rows of m's context from
   tokens[0..n_tokens): r[k] for tcs[k] alone, and r[n] for all together
   (whose fvu, l0 and dead are the means of the others).  0, or -1 with err. */
int transcoder_evaluate(struct gpt *m, const struct transcoder *tcs, int n,
                        const int32_t *tokens, size_t n_tokens, int B, int max_batches,
                        struct transcoder_report *r, char *err, size_t errlen);
/* transcoder.h: reading features */
struct feature_context {
    float activation;            /* a_f at the token; 0 if the slot is empty */
    long position;               /* the token's index in the text, or -1 */
};
/* top [F x K], each feature's K largest activations, largest first (ties:
   the earlier position), and fires [F], how many tokens each was active on,
   over the rows of m's context of tokens[0..n_tokens), B rows a pass.
   0, or -1 with a reason in err. */
int transcoder_top_contexts(struct gpt *m, const struct transcoder *tc, const int32_t *tokens,
                            size_t n_tokens, int B, int K, struct feature_context *top,
                            long *fires, char *err, size_t errlen);
#endif
