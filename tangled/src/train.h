#ifndef LONGHAND_TRAIN_H
#define LONGHAND_TRAIN_H
#include <signal.h>
#include <stdio.h>
#include "adamw.h"
#include "gpt.h"
#include "many.h"

/* train.h: the schedule */
struct lr_schedule {
    float max_lr, min_lr;  /* eta_max and eta_min */
    int warmup, steps;     /* W and S */
};
/* The learning rate at step s (0-based), eq. schedule. */
float lr_at(const struct lr_schedule *sched, int s);
/* train.h: clipping */
/* The Euclidean norm of g[n], the same for any number of threads. */
double global_norm(const float *g, size_t n);
/* If ||g|| > max_norm > 0, scale g to norm max_norm.  Returns ||g|| before. */
double clip_global_norm(float *g, size_t n, double max_norm);
/* train.h: optimiser state */
enum { STATE_MAGIC = 0x4c484157 /* "LHAW" */, STATE_VERSION = 2, STATE_HEADER_INTS = 8 };
/* Write opt's moments and step, with the fingerprint of params[opt->n], to
   path atomically; 0, or -1 with err. */
int adamw_save(const struct adamw *opt, const float *params, const char *path,
               char *err, size_t errlen);
/* Read them back into opt, created for n parameters; 0, or -1 with err if the
   file is not a state for n parameters or was saved with other params. */
int adamw_load(struct adamw *opt, const float *params, const char *path,
               char *err, size_t errlen);
/* train.h: the training loop */
struct train_data {
    const int *train, *val;   /* the two splits of the tokenised corpus */
    long n_train, n_val;      /* their lengths in tokens */
};
struct train_options {
    int B, T;                  /* rows and positions of a micro-batch */
    int steps, accum;          /* optimiser steps; micro-batches per step */
    struct lr_schedule lr;
    double grad_clip;          /* 0: no clipping */
    int val_every, val_batches;/* 0: no validation */
    int checkpoint_every;      /* 0: only at the end */
    const char *out;           /* checkpoint path (its optimiser state: out.state) */
    FILE *progress;            /* a line per step, or NULL */
    int progress_on_terminal;  /* rewrite one line instead */
    FILE *log;                 /* TSV: step, lr, loss, val loss; or NULL */
    struct many *many;         /* the run's ranks (Chapter 16); NULL: one process */
};
/* train.h: the training loop */
/* Train m with opt from step opt->t up to o->steps, checkpointing to o->out.
   Returns 0 when done, 1 if *stop became set (after saving a checkpoint), or
   -1 with a reason in err (a non-finite loss or gradient: nothing is saved,
   so the last checkpoint is the last good one). */
int train_run(struct gpt *m, struct adamw *opt, const struct train_data *d,
              const struct train_options *o, volatile sig_atomic_t *stop,
              char *err, size_t errlen);
/* train.h: the run's micro-batches */
/* K: the micro-batches of one step over all the ranks, accum from each. */
int train_micro_batches(const struct train_options *o);
#endif
