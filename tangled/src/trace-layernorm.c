/* trace-layernorm.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace-layernorm.c: includes */
#include <gsl/gsl_statistics_float.h>
#include "layernorm.h"

/* trace-layernorm.c: the part */
void trace_layernorm(struct trace *t)
{
    int T = t->num_tokens, C = t->ex.model.channels;
    float *mean = malloc((size_t)T * sizeof *mean);
    float *rstd = malloc((size_t)T * sizeof *rstd);
    float *dy = calloc((size_t)T * C, sizeof *dy), *dx = calloc((size_t)T * C, sizeof *dx);
    float *dw = calloc((size_t)C, sizeof *dw), *db = calloc((size_t)C, sizeof *db);
    t->ln1 = malloc((size_t)T * C * sizeof *t->ln1);
    if (!t->embedded || !mean || !rstd || !dy || !dx || !dw || !db || !t->ln1
        || layernorm_forward(t->ln1, mean, rstd, t->embedded, t->param[PARAM_LN1W],
                             t->param[PARAM_LN1B], 1, T, C) != 0)
        t->failed = 1;
    else {
        /* write the moments and the normalised rows of the example */
        FILE *f = trace_table(t, "layernorm-moments");
        if (f) {
            fprintf(f, "$t$\t$\\mu$\t$\\sigma^2$\t$r$\n");
            for (int i = 0; i < T && i < EXAMPLE_ROWS; i++)
                fprintf(f, "%d\t%.5f\t%.3e\t%.2f\n", i, mean[i],
                        1.0 / ((double)rstd[i] * rstd[i]) - LAYERNORM_EPS, rstd[i]);
        }
        trace_close(t, f);
        /* write the first channels of the first normalised rows, with their moments */
        f = trace_table(t, "layernorm-out");
        if (f) {
            fprintf(f, "$t$");
            for (int c = 0; c < EXAMPLE_COLS && c < C; c++)
                fprintf(f, "\t$y_{t,%d}$", c);
            fprintf(f, "\tmean\tvariance\n");
            for (int i = 0; i < T && i < EXAMPLE_ROWS; i++) {
                const float *y = t->ln1 + (size_t)i * C;
                fprintf(f, "%d", i);
                for (int c = 0; c < EXAMPLE_COLS && c < C; c++)
                    fprintf(f, "\t%.4f", y[c]);
                fprintf(f, "\t%.1e\t%.6f\n", gsl_stats_float_mean(y, 1, C),
                        gsl_stats_float_variance_with_fixed_mean(y, 1, C, 0.0));
            }
        }
        trace_close(t, f);
        /* send a stand-in gradient back through the first LayerNorm */
        gsl_rng *rng = rng_create(t->ex.seed + 1);
        if (rng)
            fill_normal(rng, dy, (size_t)T * C, 1.0);
        else /* out of memory: the trace fails, on a zero gradient rather than garbage */
            t->failed = 1;
        gsl_rng_free(rng);
        layernorm_backward(dx, dw, db, dy, t->embedded, t->param[PARAM_LN1W], mean, rstd, 1, T, C);
        /* write the first rows of dx */
        f = trace_table(t, "layernorm-dx");
        if (f) {
            fprintf(f, "$t$");
            for (int c = 0; c < EXAMPLE_COLS && c < C; c++)
                fprintf(f, "\t$dx_{t,%d}$", c);
            fputc('\n', f);
            for (int i = 0; i < T && i < EXAMPLE_ROWS; i++) {
                fprintf(f, "%d", i);
                for (int c = 0; c < EXAMPLE_COLS && c < C; c++)
                    fprintf(f, "\t%.4f", dx[(size_t)i * C + c]);
                fputc('\n', f);
            }
        }
        trace_close(t, f);
        /* check the row sums of dx and its products with the normalised rows */
        double max_sum = 0, max_dot = 0, max_residual = 0;
        for (int i = 0; i < T; i++) {
            double sum = 0, dot = 0;
            for (int c = 0; c < C; c++) {
                sum += dx[(size_t)i * C + c];
                dot += (double)dx[(size_t)i * C + c] * t->ln1[(size_t)i * C + c];
            }
            max_sum = fmax(max_sum, fabs(sum));
            max_dot = fmax(max_dot, fabs(dot));
            /* compare dot with its prediction from eq. ln-vjp */
            double gxhat = 0, xhat2 = 0;
            for (int c = 0; c < C; c++) {
                double xhat = t->ln1[(size_t)i * C + c];
                gxhat += dy[(size_t)i * C + c] * xhat;
                xhat2 += xhat * xhat;
            }
            max_residual = fmax(max_residual, fabs(dot - rstd[i] * gxhat / C * (C - xhat2)));
        }
        trace_value(t, "LayerNormDxRowSumMax", "%.1e", max_sum);
        trace_value(t, "LayerNormDxDotMax", "%.2f", max_dot);
        trace_value(t, "LayerNormDxDotResidual", "%.1e", max_residual);
    }
    free(mean); free(rstd); free(dy); free(dx); free(dw); free(db);
}
