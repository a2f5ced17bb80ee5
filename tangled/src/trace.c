/* trace.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <errno.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
#include "gpt.h"
#include "tokenizer.h"

/* trace.c: writing tables and values */
FILE *trace_table(struct trace *t, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.tsv", t->dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "longhand trace: %s: %s\n", path, strerror(errno));
        t->failed = 1;
    }
    return f;
}
/* trace.c: writing tables and values */
void trace_close(struct trace *t, FILE *f)
{
    if (f && (ferror(f) | fclose(f)))
        t->failed = 1;
}
/* trace.c: writing tables and values */
void trace_value(struct trace *t, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(t->values, "%s\t", name);
    vfprintf(t->values, fmt, ap);
    fputc('\n', t->values);
    va_end(ap);
}
/* trace.c: writing tables and values */
void write_token_cell(FILE *f, const struct tokenizer *tok, int32_t id)
{
    size_t n = 0;
    const unsigned char *s = tokenizer_token(tok, id, &n);
    fputc('`', f);
    for (size_t i = 0; s && i < n; i++)
        if (s[i] == ' ')
            fputc('_', f);
        else if (s[i] > ' ' && s[i] < 0x7f && !strchr("_\\`", s[i]))
            fputc(s[i], f);
        else
            fprintf(f, "\\x%02x", s[i]);
    fputc('`', f);
}

int trace_run(struct trace *t)
{
    /* trace.c: run each chapter's part */
    trace_example(t);
    trace_sums(t);
    trace_layout(t);
    trace_init(t);
    /* trace.c: run each chapter's part */
    trace_matmul(t);
    /* trace.c: run each chapter's part */
    trace_tokenizer(t);
    /* trace.c: run each chapter's part */
    trace_embedding(t);
    /* trace.c: run each chapter's part */
    trace_layernorm(t);
    /* trace.c: run each chapter's part */
    trace_gelu(t);
    trace_mlp(t);
    /* trace.c: run each chapter's part */
    trace_attention(t);
    /* trace.c: run each chapter's part */
    trace_model(t);
    /* trace.c: run each chapter's part */
    trace_backprop(t);
    /* trace.c: run each chapter's part */
    trace_adamw(t);
    /* trace.c: run each chapter's part */
    trace_sample(t);
    /* trace.c: run each chapter's part */
    trace_llama(t);
    /* trace.c: run each chapter's part */
    trace_many(t);
    /* trace.c: free what the parts passed along */
    free(t->params);
    /* trace.c: free what the parts passed along */
    tokenizer_free(t->tok);
    free(t->tokens);
    /* trace.c: free what the parts passed along */
    free(t->embedded);
    /* trace.c: free what the parts passed along */
    free(t->ln1);
    /* trace.c: free what the parts passed along */
    if (t->model)
        gpt_free(t->model);
    free(t->model);
    return t->failed ? -1 : 0;
}
