/* trace-attention.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace-attention.c: includes */
#include "attention.h"
#include "matmul.h"

/* trace-attention.c: the part */
static void trace_attention_head(struct trace *t, const float *qkv, const float *preatt,
                                 const float *att, int h);
static void trace_attention_backward(struct trace *t, const float *qkv, const float *out,
                                     const float *att);
static int head_channels_shown(int hs);
/* trace-attention.c: the part */
void trace_attention(struct trace *t)
{
    int T = t->num_tokens, C = t->ex.model.channels, NH = t->ex.model.num_heads;
    size_t n3 = (size_t)T * 3 * C, nn = (size_t)NH * T * T, nc = (size_t)T * C;
    float *qkv = malloc(n3 * sizeof *qkv), *out = malloc(nc * sizeof *out),
          *preatt = malloc(nn * sizeof *preatt), *att = malloc(nn * sizeof *att);
    if (!t->ln1 || !qkv || !out || !preatt || !att)
        t->failed = 1;
    else {
        matmul_forward(qkv, t->ln1, t->param[PARAM_QKVW], t->param[PARAM_QKVB], T, C,
                       3 * C);
        attention_forward(out, preatt, att, qkv, 1, T, C, NH);
        trace_value(t, "AttnHeadSize", "%d", C / NH);
        trace_value(t, "AttnRowsShown", "%d", T < EXAMPLE_ROWS ? T : EXAMPLE_ROWS);
        for (int h = 0; h < NH; h++)
            trace_attention_head(t, qkv, preatt, att, h);
        /* write the heads' outputs and the extremes of scores and weights */
        double max_score = 0, max_dev = 0;
        for (size_t i = 0; i < nn; i++) {
            int row = (int)(i / T % T), col = (int)(i % T);
            if (col <= row) {
                max_score = fmax(max_score, fabs(preatt[i]));
                max_dev = fmax(max_dev, fabs(att[i] - 1.0 / (row + 1)));
            }
        }
        trace_value(t, "AttnMaxAbsScore", "%.4f", max_score);
        trace_value(t, "AttnMaxDeviation", "%.4f", max_dev);
        /* write the first two channels of each head's output */
        FILE *f = trace_table(t, "attention-out");
        int hs = C / NH, shown = head_channels_shown(hs);
        if (f) {
            fprintf(f, "$t$");
            for (int h = 0; h < NH && h < EXAMPLE_COLS; h++)
                for (int d = 0; d < shown; d++)
                    fprintf(f, "\thead %d, $o_{t,%d}$", h + 1, d);
            fputc('\n', f);
            for (int i = 0; i < T && i < EXAMPLE_ROWS; i++) {
                fprintf(f, "%d", i);
                for (int h = 0; h < NH && h < EXAMPLE_COLS; h++)
                    for (int d = 0; d < shown; d++)
                        fprintf(f, "\t%.5f", out[(size_t)i * C + h * hs + d]);
                fputc('\n', f);
            }
        }
        trace_close(t, f);
        trace_attention_backward(t, qkv, out, att);
    }
    free(qkv); free(out); free(preatt); free(att);
}
/* trace-attention.c: the part */
static float unmasked_score(const float *qkv, int t, int s, int h, int C, int hs)
{
    const float *q = qkv + (size_t)t * 3 * C + h * hs,
                *k = qkv + (size_t)s * 3 * C + C + h * hs;
    float dot = 0.0f;
    for (int d = 0; d < hs; d++)
        dot += q[d] * k[d];
    return dot / sqrtf((float)hs);
}
/* trace-attention.c: the part */
static void trace_attention_head(struct trace *t, const float *qkv, const float *preatt,
                                 const float *att, int h)
{
    int T = t->num_tokens, C = t->ex.model.channels, hs = C / t->ex.model.num_heads;
    int R = T < EXAMPLE_ROWS ? T : EXAMPLE_ROWS;
    const float *P = att + (size_t)h * T * T, *S = preatt + (size_t)h * T * T;
    char name[64];
    const char *kinds[3] = { "scores", "masked", "weights" };
    for (int kind = 0; kind < 3; kind++) {
        snprintf(name, sizeof name, "attention-h%d-%s", h + 1, kinds[kind]);
        FILE *f = trace_table(t, name);
        if (!f)
            return;
        /* write the first R rows of one kind of square table */
        fprintf(f, "$t\\backslash s$");
        for (int j = 0; j < R; j++)
            fprintf(f, "\t%d", j);
        fputc('\n', f);
        for (int i = 0; i < R; i++) {
            fprintf(f, "%d", i);
            for (int j = 0; j < R; j++) {
                float v = kind == 0 ? unmasked_score(qkv, i, j, h, C, hs)
                        : kind == 1 ? S[i * T + j] : P[i * T + j];
                fprintf(f, isinf(v) ? "\t%.0f" : "\t%.3f", v);
            }
            fputc('\n', f);
        }
        trace_close(t, f);
    }
    /* write the heat map's data for head h */
    snprintf(name, sizeof name, "attention-heat-h%d", h + 1);
    FILE *f = trace_table(t, name);
    if (f) {
        fprintf(f, "$s$\t$t$\t$P_{ts}$\n");
        for (int i = 0; i < T; i++)
            for (int j = 0; j < T; j++)
                fprintf(f, "%d\t%d\t%.5f\n", j, i, P[i * T + j]);
    }
    trace_close(t, f);
}
/* trace-attention.c: the part */
enum { HEAD_CHANNELS_SHOWN = 2 };
/* How many of a head's hs channels the tables show. */
static int head_channels_shown(int hs)
{
    return hs < HEAD_CHANNELS_SHOWN ? hs : HEAD_CHANNELS_SHOWN;
}
/* trace-attention.c: the part */
static void trace_attention_backward(struct trace *t, const float *qkv, const float *out,
                                     const float *att)
{
    int T = t->num_tokens, C = t->ex.model.channels, NH = t->ex.model.num_heads;
    size_t nc = (size_t)T * C, nn = (size_t)NH * T * T;
    /* allocate the gradients and the scratch of the backward passes */
    float *dy = malloc(nc * sizeof *dy), *dout = calloc(nc, sizeof *dout),
          *dqkv = calloc(3 * nc, sizeof *dqkv), *datt = malloc(nn * sizeof *datt),
          *dpreatt = malloc(nn * sizeof *dpreatt),
          *dw = calloc((size_t)C * C + C, sizeof *dw);
    gsl_rng *rng = rng_create(t->ex.seed + 1);
    FILE *f = NULL;
    if (dy && dout && dqkv && datt && dpreatt && dw && rng) {
        /* send a stand-in gradient back through the output projection and the heads */
        fill_normal(rng, dy, nc, 1.0);
        matmul_backward(dout, dw, dw + (size_t)C * C, dy, out, t->param[PARAM_ATTPROJW], T, C, C);
        attention_backward(dqkv, datt, dpreatt, dout, qkv, att, 1, T, C, NH);
        f = trace_table(t, "attention-grads");
    } else
        t->failed = 1;
    if (f) {
        /* write the gradients of head 1's query, key and value by position */
        int shown = head_channels_shown(C / NH);
        const char *parts[3] = { "q", "k", "v" };
        fprintf(f, "$t$");
        for (int p = 0; p < 3; p++)
            for (int d = 0; d < shown; d++)
                fprintf(f, "\t$d%s_{t,%d}$", parts[p], d);
        fputc('\n', f);
        for (int i = 0; i < T && i < EXAMPLE_ROWS; i++) {
            const float *g = dqkv + (size_t)i * 3 * C;
            fprintf(f, "%d", i);
            for (int p = 0; p < 3; p++)
                for (int d = 0; d < shown; d++)
                    fprintf(f, p < 2 ? "\t%.2e" : "\t%.4f", g[(size_t)p * C + d]);
            fputc('\n', f);
        }
    }
    trace_close(t, f);
    gsl_rng_free(rng);
    free(dy); free(dout); free(dqkv); free(datt); free(dpreatt); free(dw);
}
