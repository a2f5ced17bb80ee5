/* train.h: tangled from book/11-training.nw; edit the book, not this file. */
#ifndef LONGHAND_TRAIN_H
#define LONGHAND_TRAIN_H
#include <signal.h>
#include <stdint.h>
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
/* What decides a run's steps besides its parameters and moments. */
struct train_record {
    int B, T, accum;         /* rows, positions, micro-batches per step */
    struct lr_schedule lr;   /* eta_max, eta_min, W, S */
    uint64_t seed;           /* the initialisation of a new model */
    uint64_t data;           /* fingerprint of the corpus's bytes */
    uint64_t tokenizer;      /* fingerprint of the tokenizer's vocabulary */
};
/* train.h: optimiser state */
#define FNV1A_START 14695981039346656037ull  /* FNV-1a's offset basis */
/* Continue the 64-bit FNV-1a hash h over bytes[0..n). */
uint64_t fnv1a(uint64_t h, const void *bytes, size_t n);
/* train.h: optimiser state */
struct train_options;
/* The record of the run o describes. */
struct train_record train_record_of(const struct train_options *o);
/* Name every field of now that differs from was, with both values, in msg;
   returns how many differ. */
int train_record_changes(const struct train_record *was, const struct train_record *now,
                         char *msg, size_t len);
/* train.h: optimiser state */
enum { STATE_MAGIC = 0x4c484157 /* "LHAW" */, STATE_VERSION = 3, STATE_HEADER_INTS = 32 };
/* Write opt's moments and step, the record of the run and the fingerprint of
   params[opt->n] to f; a failure shows in ferror(f). */
void adamw_write(const struct adamw *opt, const float *params,
                 const struct train_record *rec, FILE *f);
/* The same to path, atomically; 0, or -1 with err. */
int adamw_save(const struct adamw *opt, const float *params, const struct train_record *rec,
               const char *path, char *err, size_t errlen);
/* Read them back into opt, created for n parameters, and *rec; 0, or -1 with
   err if the file is not a state for n parameters or was saved with other
   params. */
int adamw_load(struct adamw *opt, const float *params, struct train_record *rec,
               const char *path, char *err, size_t errlen);
/* train.h: optimiser state */
/* The stages of saving a checkpoint and its state, in order. */
enum save_stage { SAVE_CHECKPOINT_OPENED, SAVE_CHECKPOINT_WRITTEN, SAVE_STATE_OPENED,
                  SAVE_STATE_WRITTEN, SAVE_CHECKPOINT_RENAMED, SAVE_STATE_RENAMED,
                  NUM_SAVE_STAGES };
/* If set, called after each stage of every save (the tests stop a save there). */
extern void (*train_save_hook)(enum save_stage stage);
/* Save m to path and opt's state, recording rec, to path.state as one unit;
   0, or -1 with err. */
int train_save(const struct gpt *m, const struct adamw *opt, const struct train_record *rec,
               const char *path, char *err, size_t errlen);
/* Finish the save at path that stopped between its renames, if one did, and
   remove the temporaries left; 1 if a save was finished, 0, or -1 with err. */
int train_recover(const char *path, char *err, size_t errlen);
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
    uint64_t seed;             /* for the record: the new model's seed, */
    uint64_t data_fingerprint, tokenizer_fingerprint; /* and what the ids came from */
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
