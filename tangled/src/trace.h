#ifndef LONGHAND_TRACE_H
#define LONGHAND_TRACE_H
#include <stdio.h>
#include "example.h"

struct trace {
    const char *dir;           /* where the TSV files go */
    FILE *values;              /* DIR/values.tsv */
    struct worked_example ex;  /* what to run */
    int failed;                /* set by any write that failed */
    /* trace.h: what each chapter's part passes to the next */
    float *params;                      /* the example model's parameters */
    float *param[NUM_PARAM_TENSORS];    /* a view of each tensor in params */
    /* trace.h: what each chapter's part passes to the next */
    struct tokenizer *tok;              /* the example's tokenizer */
    int *tokens;                        /* the sentence's token ids [num_tokens] */
    int num_tokens;                     /* T, the sentence's length in tokens */
    /* trace.h: what each chapter's part passes to the next */
    float *embedded;                    /* the embedding layer's output [T x C] */
    /* trace.h: what each chapter's part passes to the next */
    float *ln1;                         /* the first LayerNorm's output [T x C] */
    /* trace.h: what each chapter's part passes to the next */
    struct gpt *model;                  /* the example model, after its forward pass */
};
/* trace.h: writing a trace */
/* Open DIR/NAME.tsv for one table; NULL (and t->failed set) on failure. */
FILE *trace_table(struct trace *t, const char *name);
/* Finish a table opened by trace_table, recording a failed write. */
void trace_close(struct trace *t, FILE *f);
/* Append "NAME<TAB>value" to values.tsv; NAME must be letters only. */
void trace_value(struct trace *t, const char *name, const char *fmt, ...);
/* Write every chapter's part of the trace; 0 on success. */
int trace_run(struct trace *t);
#endif
