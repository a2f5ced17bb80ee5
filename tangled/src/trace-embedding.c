/* trace-embedding.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace-embedding.c: includes */
#include "embedding.h"

/* trace-embedding.c: the part */
void trace_embedding(struct trace *t)
{
    int T = t->num_tokens, C = t->ex.model.channels;
    if (t->params && t->tokens)
        t->embedded = malloc((size_t)T * C * sizeof *t->embedded);
    if (!t->embedded || embedding_forward(t->embedded, t->tokens, t->param[PARAM_WTE],
                                          t->param[PARAM_WPE], 1, T, C,
                                          t->ex.model.vocab_size) != 0) {
        t->failed = 1;
        return;
    }
    trace_value(t, "EmbedTokens", "%d", T);
    /* write the first positions' rows and their sums */
    FILE *f = trace_table(t, "embedding-forward");
    if (f) {
        fprintf(f, "$t$\ttoken\t$x_t$\t$W_{\\mathrm{te}}[x_t]_0$\t$W_{\\mathrm{te}}[x_t]_1$"
                   "\t$W_{\\mathrm{pe}}[t]_0$\t$W_{\\mathrm{pe}}[t]_1$"
                   "\t$h_{t,0}$\t$h_{t,1}$\n");
        for (int i = 0; i < T && i < EXAMPLE_ROWS; i++) {
            const float *te = t->param[PARAM_WTE] + (size_t)t->tokens[i] * C,
                        *pe = t->param[PARAM_WPE] + (size_t)i * C,
                        *h = t->embedded + (size_t)i * C;
            fprintf(f, "%d\t", i);
            write_token_cell(f, t->tok, t->tokens[i]);
            fprintf(f, "\t%d\t%.5f\t%.5f\t%.5f\t%.5f\t%.5f\t%.5f\n", t->tokens[i],
                    te[0], te[C > 1], pe[0], pe[C > 1], h[0], h[C > 1]);
        }
    }
    trace_close(t, f);
    /* scatter a stand-in gradient into the most frequent token's row */
    float *dh = malloc((size_t)T * C * sizeof *dh);
    float *dwte = calloc((size_t)t->ex.model.padded_vocab_size * C, sizeof *dwte);
    float *dwpe = calloc((size_t)T * C, sizeof *dwpe);
    gsl_rng *rng = rng_create(t->ex.seed + 1);
    if (dh && dwte && dwpe && rng) {
        fill_normal(rng, dh, (size_t)T * C, 1.0);
        embedding_backward(dwte, dwpe, dh, t->tokens, 1, T, C);
        /* find the most frequent token k and its count */
        int k = t->tokens[0], count = 0;
        for (int i = 0; i < T; i++) {
            int c = 0;
            for (int j = 0; j < T; j++)
                c += t->tokens[j] == t->tokens[i];
            if (c > count || (c == count && t->tokens[i] < k)) {
                k = t->tokens[i];
                count = c;
            }
        }
        /* write the gradients at each position of k and their sum */
        f = trace_table(t, "embedding-backward");
        char positions[256] = "";
        if (f) {
            /* write dh at each position of k, then k's row of dwte */
            fprintf(f, "row");
            for (int c = 0; c < EXAMPLE_COLS && c < C; c++)
                fprintf(f, "\tchannel %d", c);
            for (int i = 0; i < T; i++)
                if (t->tokens[i] == k) {
                    size_t at = strlen(positions);
                    snprintf(positions + at, sizeof positions - at, at ? ", %d" : "%d", i);
                    fprintf(f, "\n$dh_{%d}$", i);
                    for (int c = 0; c < EXAMPLE_COLS && c < C; c++)
                        fprintf(f, "\t%.4f", dh[(size_t)i * C + c]);
                }
            fprintf(f, "\n$dW_{\\mathrm{te}}[%d]$", k);
            for (int c = 0; c < EXAMPLE_COLS && c < C; c++)
                fprintf(f, "\t%.4f", dwte[(size_t)k * C + c]);
            fputc('\n', f);
        }
        trace_close(t, f);
        trace_value(t, "EmbedRepeatedCount", "%d", count);
        trace_value(t, "EmbedRepeatedPositions", "%s", positions);
        /* quote token k as a table cell shows it */
        char *cell = NULL;
        size_t cell_len = 0;
        FILE *m = open_memstream(&cell, &cell_len); /* the token as a table cell */
        if (m) {
            write_token_cell(m, t->tok, k);
            fclose(m);
            trace_value(t, "EmbedRepeatedToken", "%s", cell);
        }
        free(cell);
    } else
        t->failed = 1;
    gsl_rng_free(rng);
    free(dh); free(dwte); free(dwpe);
}
