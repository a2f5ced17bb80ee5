/* trace.h: tangled from book/92-trace.nw; edit the book, not this file. */
#ifndef LONGHAND_TRACE_H
#define LONGHAND_TRACE_H
#include <stdio.h>
#include "example.h"
#include "gpt.h"
#include "tokenizer.h"

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
/* trace.h: writing a trace */
/* Write token id's bytes as a `code` cell, escaping what is not plain ASCII. */
void write_token_cell(FILE *f, const struct tokenizer *tok, int32_t id);
/* trace.h: writing a trace */
enum { EXAMPLE_COLS = 4, EXAMPLE_ROWS = 8 };  /* the most a layer's table shows */
/* trace.h: each chapter's part */
void trace_example(struct trace *t);
void trace_sums(struct trace *t);
void trace_layout(struct trace *t);
void trace_init(struct trace *t);
/* trace.h: each chapter's part */
void trace_matmul(struct trace *t);
/* trace.h: each chapter's part */
void trace_tokenizer(struct trace *t);
/* trace.h: each chapter's part */
void trace_embedding(struct trace *t);
/* trace.h: each chapter's part */
void trace_layernorm(struct trace *t);
/* trace.h: each chapter's part */
void trace_gelu(struct trace *t);
void trace_mlp(struct trace *t);
/* trace.h: each chapter's part */
void trace_attention(struct trace *t);
/* trace.h: each chapter's part */
void trace_model(struct trace *t);
/* trace.h: each chapter's part */
void trace_backprop(struct trace *t);
/* trace.h: each chapter's part */
void trace_adamw(struct trace *t);
/* trace.h: each chapter's part */
void trace_sample(struct trace *t);
/* trace.h: each chapter's part */
void trace_llama(struct trace *t);
/* trace.h: each chapter's part */
void trace_many(struct trace *t);
#endif
