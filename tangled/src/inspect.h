/* inspect.h: tangled from book/13-reading.nw; edit the book, not this file. */
#ifndef LONGHAND_INSPECT_H
#define LONGHAND_INSPECT_H
#include <stdio.h>
#include <gsl/gsl_rng.h>
#include "gpt.h"

/* inspect.h: the stream and its edits */
/* h^(l) [B x T x C] of the last forward pass: l = 0 the embedding, l = L
   the input of the final LayerNorm. */
float *inspect_stream(const struct gpt *m, int l);
/* inspect.h: the stream and its edits */
enum inspect_site { SITE_STREAM, SITE_HEAD };
struct inspect_edit {
    enum inspect_site site;
    int layer;          /* SITE_STREAM: h^(layer), 0..L; SITE_HEAD: block 0..L-1 */
    int head;           /* SITE_HEAD: which head */
    int pos;            /* the position overwritten in every row; -1: all */
    const float *from;  /* [B x T x C]: an h^(layer), or block layer's ACT_ATTY */
};
/* gpt_forward without targets, with edits[0..n) applied as the pass reaches
   them.  Returns 0, or -1 with a reason in err. */
int inspect_forward(struct gpt *m, const int *inputs, int B, int T,
                    const struct inspect_edit *edits, int n, char *err, size_t errlen);
/* inspect.h: the logit lens */
/* logits [B x T x V] = W_te LN_f(h^(l)) for the last forward pass, eq. lens;
   work holds B*T*(C+2) floats.  At l = L, the model's logits bit for bit. */
void inspect_lens(const struct gpt *m, int l, float *logits, float *work);
/* inspect.h: head scores */
enum { SCORE_PREVIOUS, SCORE_DUPLICATE, SCORE_INDUCTION, NUM_SCORES };
/* B rows of a span of n tokens drawn uniformly from [0, V), then the span
   again: inputs [B x 2n]; targets [B x 2n] (or NULL) the inputs shifted by
   one, the repetition continuing. */
void inspect_repeated_tokens(gsl_rng *rng, int V, int n, int B, int *inputs, int *targets);
/* scores [L x H x NUM_SCORES], eqs. score-prev to score-ind, from the last
   forward pass, which ran on B rows of inspect_repeated_tokens of span n. */
void inspect_head_scores(const struct gpt *m, int n, double *scores);
/* inspect.h: direct logit attribution */
enum inspect_kind { COMP_EMBED, COMP_HEAD, COMP_ATTN_BIAS, COMP_MLP, COMP_LNF_BIAS };
struct inspect_component {
    enum inspect_kind kind;
    int layer, head;    /* -1 where they do not apply */
};
/* How many: the embedding, per block H heads, the bias and the MLP, then
   the final LayerNorm's bias. */
int inspect_num_components(const struct gpt_config *c);
/* The i-th component, in the order of the sum. */
struct inspect_component inspect_component_at(const struct gpt_config *c, int i);
/* "embed", "head", "attn-bias", "mlp", "lnf-bias" */
const char *inspect_kind_name(enum inspect_kind k);
/* inspect.h: direct logit attribution */
struct inspect_attribution {
    double *values;     /* [inspect_num_components], filled */
    double sum, model;  /* their sum, and the model's logit (difference) */
    double bound;       /* eq. dla-bound on |sum - model| */
};
/* Attribute z[token] (minus z[versus] if versus >= 0) at row b, position t
   of the last forward pass, eq. dla.  Returns 0, or -1 if out of memory. */
int inspect_dla(const struct gpt *m, int b, int t, int token, int versus,
                struct inspect_attribution *a);
/* inspect.h: activation patching */
struct inspect_patching {
    const int *clean, *corrupt;  /* the two inputs, [T] each */
    int T, pos, token, versus;   /* D = z[token] - z[versus] at pos */
    float *stream;               /* [(L+1) x T x C]: the clean h^(0..L) */
    float *heads;                /* [L x T x C]: the clean ACT_ATTY */
    double d_clean, d_corrupt;
};
/* Run both inputs and keep what patching needs.  0, or -1 with err. */
int inspect_patch_prepare(struct gpt *m, struct inspect_patching *p, char *err,
                          size_t errlen);
/* The fraction rho, eq. recovered, of the corrupted run with edits[0..n),
   whose sources point into p.  0, or -1 with err. */
int inspect_patch_run(struct gpt *m, const struct inspect_patching *p,
                      const struct inspect_edit *edits, int n, double *rho,
                      char *err, size_t errlen);
void inspect_patching_free(struct inspect_patching *p);
/* inspect.h: ablation */
enum inspect_ablation { ABLATE_ZERO, ABLATE_MEAN };
struct inspect_head { int layer, head; };   /* block and head, from 0 */
/* The mean loss of the batch inputs/targets [B x T] without edits (*clean)
   and with heads[0..n) ablated (*ablated).  0, or -1 with err. */
int inspect_ablate(struct gpt *m, const int *inputs, const int *targets, int B, int T,
                   const struct inspect_head *heads, int n, enum inspect_ablation kind,
                   double *clean, double *ablated, char *err, size_t errlen);
/* inspect.h: training an induction model */
struct induction_options {
    int span, min_period;        /* n (so T = 2n); the shortest period trained on */
    int max_gap;                 /* the longest gap between repetitions of the span */
    double copy_rate;            /* r: how often a token is the one after x[t-1] last time */
    double skip_rate;            /* q: how often a token is the one two back plus one */
    int batch, steps;            /* rows per step, optimiser steps */
    double lr, min_lr, grad_clip;
    int warmup;                  /* the schedule of Chapter 11 */
    unsigned long seed;          /* the batches' generator */
    int attention_only;          /* hold every MLP at zero */
    int log_every;               /* a log row every this many steps, and at the last */
    FILE *log;                   /* TSV (see induction_train), or NULL */
};
/* Train m from its present weights on fresh batches of inspect_repeated_tokens
   with AdamW.  Returns 0, or -1 with a reason in err. */
int induction_train(struct gpt *m, const struct induction_options *o, char *err,
                    size_t errlen);
#endif
