/* adamw.h: tangled from book/10-adamw.nw; edit the book, not this file. */
#ifndef LONGHAND_ADAMW_H
#define LONGHAND_ADAMW_H
#include <stddef.h>

/* adamw.h: declarations */
struct adamw_hparams {
    float lr, beta1, beta2, eps, weight_decay;
};
struct adamw {
    struct adamw_hparams h;
    size_t n;       /* parameters */
    float *m, *v;   /* [n] each: the moment estimates, eq. adam-m and adam-v */
    int t;          /* updates done so far */
};
/* llm.c's defaults: lr 1e-4, betas 0.9 and 0.999, eps 1e-8, no weight decay. */
struct adamw_hparams adamw_defaults(void);
/* Allocate zeroed state for n parameters; 0, or -1 if out of memory. */
int adamw_create(struct adamw *opt, size_t n, struct adamw_hparams h);
void adamw_free(struct adamw *opt);
/* adamw.h: declarations */
/* One AdamW step (eq. adamw) of params[n] along grads[n]; advances opt->t. */
void adamw_update(struct adamw *opt, float *params, const float *grads);
#endif
