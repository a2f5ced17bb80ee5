/* many.h: tangled from book/16-many.nw; edit the book, not this file. */
#ifndef LONGHAND_MANY_H
#define LONGHAND_MANY_H
#include <stddef.h>
#include <stdint.h>
#include "adamw.h"
#include "gpt.h"

/* many.h: the ranks of a run */
struct many {
    int rank, ranks;        /* this process, and N */
    int zero;               /* ZeRO stage 1: m and v only for params [lo, hi) */
    size_t lo, hi;          /* this rank's shard of the parameters */
    int *counts, *displs;   /* [N] each: every rank's shard, for MPI */
    float *chunk;           /* [MANY_CHUNK]: rank 0's receive buffer */
};
enum { MANY_CHUNK = 1 << 20 };  /* floats per message of the chain */
/* Join the run (MPI_Init under mpirun; one rank otherwise); 0, or -1 with err. */
int many_start(struct many *w, int zero, char *err, size_t errlen);
/* Leave it normally, freeing w's buffers. */
void many_stop(struct many *w);
/* End every rank of the run at once, with this exit status. */
void many_abort(const struct many *w, int status);
/* This rank's place in each round of the fold, eq. many-order. */
int many_place(const struct many *w);
/* many.h: the fixed-order reduction */
/* Fold round j's gradients g[n] of every rank into sum[n] on rank 0, in the
   order of eq. many-order (first: the step's first round), and their mean
   losses into *loss; g is overwritten.  0, or -1 with err. */
int many_fold(struct many *w, float *sum, float *g, size_t n, int first,
              double mean_loss, double *loss, char *err, size_t errlen);
/* Copy rank 0's x[count] doubles to every rank; 0, or -1 with err. */
int many_share(const struct many *w, double *x, int count, char *err, size_t errlen);
/* many.h: sharding the optimiser */
/* Before training: check n fits MPI's counts, give every rank rank 0's
   params[n], opt->m, opt->v and step, and under ZeRO keep only this rank's
   shard of m and v.  0, or -1 with err. */
int many_prepare(struct many *w, struct adamw *opt, float *params, size_t n,
                 char *err, size_t errlen);
/* One AdamW step: rank 0's grads[n] to the ranks (all of it, or each its
   shard), the update of this rank's part, and under ZeRO the parameters
   gathered.  0, or -1 with err. */
int many_update(const struct many *w, struct adamw *opt, float *params, float *grads,
                size_t n, char *err, size_t errlen);
/* Under ZeRO, the whole m and v on rank 0 in *whole (to free with
   adamw_free); otherwise *whole = *opt.  0, or -1 with err. */
int many_gather_state(const struct many *w, const struct adamw *opt, struct adamw *whole,
                      size_t n, char *err, size_t errlen);
/* many.h: the cost model */
/* Seconds for the ring all-reduce of `bytes` over N ranks, eq. ring-cost,
   with latency alpha (s) and inverse bandwidth beta (s per byte). */
double many_ring_seconds(double bytes, int N, double alpha, double beta);
/* Seconds for this chapter's fixed-order chain and broadcast in P chunks,
   eq. chain-cost. */
double many_chain_seconds(double bytes, int N, double P, double alpha, double beta);
/* many.h: llm.c's bf16 checkpoints */
enum { LLMC_BF16_VERSION = 5 };
/* x rounded to the nearest bfloat16, ties to even (eq. bf16-round). */
uint16_t bf16_from_float(float x);
/* The float a bfloat16 stands for, exactly. */
float float_from_bf16(uint16_t b);
/* many.h: llm.c's bf16 checkpoints */
/* Write m as llm.c's version-5 checkpoint, bf16, atomically; 0, or -1 with err. */
int llmc_bf16_save(const struct gpt *m, const char *path, char *err, size_t errlen);
/* Read a version-3 (fp32) or version-5 (bf16) checkpoint into m. */
int llmc_load(struct gpt *m, const char *path, char *err, size_t errlen);
#endif
