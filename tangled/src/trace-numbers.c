/* trace-numbers.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace-numbers.c: includes */
#include <float.h>
#include <math.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_statistics_float.h>
#include "numbers.h"

/* trace-numbers.c: the part */
void trace_example(struct trace *t)
{
    const struct worked_example *ex = &t->ex;
    trace_value(t, "ExampleText", "%s", ex->text);
    trace_value(t, "ExampleSeed", "%lu", ex->seed);
    trace_value(t, "ExampleLayers", "%d", ex->model.num_layers);
    trace_value(t, "ExampleHeads", "%d", ex->model.num_heads);
    trace_value(t, "ExampleChannels", "%d", ex->model.channels);
    trace_value(t, "ExampleContext", "%d", ex->model.max_seq_len);
    trace_value(t, "ExampleVocab", "%d", ex->model.vocab_size);
    trace_value(t, "UnitRoundoff", "%.3g", FLT_EPSILON / 2);
}
/* trace-numbers.c: the part */
enum { SUM_ROWS = 16, SUM_LOG2_MIN = 4, SUM_LOG2_MAX = 20 };

void trace_sums(struct trace *t)
{
    size_t nmax = (size_t)1 << SUM_LOG2_MAX;
    float *x = malloc(SUM_ROWS * nmax * sizeof *x), sums[SUM_ROWS];
    gsl_rng *rng = rng_create(t->ex.seed);
    FILE *f = trace_table(t, "numbers-sum-error");
    if (x && rng && f) {
        /* write a row of the error table for each length */
        fprintf(f, "$n$\tsequential\tpairwise\tbound~\\eqref{eq:sum-sequential}"
                   "\tbound~\\eqref{eq:sum-pairwise}\n");
        double logn[SUM_LOG2_MAX], logerr[SUM_LOG2_MAX];
        size_t nfit = 0;
        for (int log2n = SUM_LOG2_MIN; log2n <= SUM_LOG2_MAX; log2n += 2) {
            /* measure both sums on SUM_ROWS rows of length $2^{\mathit{log2n}}$ */
            size_t n = (size_t)1 << log2n;
            fill_uniform(rng, x, SUM_ROWS * n);
            double err[2] = { 0, 0 };
            summation_fn methods[2] = { sum_sequential, sum_pairwise };
            for (int m = 0; m < 2; m++) {
                sum_rows(methods[m], x, SUM_ROWS, n, sums);
                for (int r = 0; r < SUM_ROWS; r++) {
                    double exact = 0;
                    for (size_t i = 0; i < n; i++)
                        exact += x[r * n + i];
                    err[m] += fabs(sums[r] - exact) / exact / SUM_ROWS;
                }
            }
            /* write the errors and bounds of length n, and keep the sequential error */
            double u = FLT_EPSILON / 2, b = 8;
            fprintf(f, "%zu\t%.2e\t%.2e\t%.2e\t%.2e\n", n, err[0], err[1],
                    (double)(n - 1) * u, (b - 1 + ceil(log2((double)n / b))) * u);
            logn[nfit] = log((double)n);
            logerr[nfit++] = log(err[0]);
            if (log2n == SUM_LOG2_MAX) {
                double digits = FLT_MANT_DIG * log10(2.0);
                trace_value(t, "SumDigitsSequential", "%.1f", fmin(digits, -log10(err[0])));
                trace_value(t, "SumDigitsPairwise", "%.1f", fmin(digits, -log10(err[1])));
            }
        }
        /* fit the slope of the sequential error on logarithmic axes */
        double c0, c1, cov00, cov01, cov11, sumsq;
        gsl_fit_linear(logn, 1, logerr, 1, nfit, &c0, &c1, &cov00, &cov01, &cov11, &sumsq);
        trace_value(t, "SumSequentialSlope", "%.2f", c1);
        /* trace the sums of $2^{25}$ ones */
        size_t nones = (size_t)1 << 25;
        float *ones = malloc(nones * sizeof *ones);
        if (ones) {
            for (size_t i = 0; i < nones; i++)
                ones[i] = 1.0f;
            trace_value(t, "OnesSequential", "%.0f", sum_sequential(ones, nones));
            trace_value(t, "OnesPairwise", "%.0f", sum_pairwise(ones, nones));
            trace_value(t, "OnesExact", "%zu", nones);
            free(ones);
        } else
            t->failed = 1;
        trace_value(t, "SumRows", "%d", SUM_ROWS);
        trace_value(t, "SumLargestN", "%zu", nmax);
    } else
        t->failed = 1;
    trace_close(t, f);
    gsl_rng_free(rng);
    free(x);
}
/* trace-numbers.c: the part */
void trace_layout(struct trace *t)
{
    size_t sizes[NUM_PARAM_TENSORS], offset = 0;
    param_sizes(&t->ex.model, sizes);
    FILE *f = trace_table(t, "numbers-layout");
    if (!f)
        return;
    fprintf(f, "tensor\tfloats\toffset\n");
    for (int i = 0; i < NUM_PARAM_TENSORS; i++) {
        fprintf(f, "`%s`\t%zu\t%zu\n", param_tensors[i].name, sizes[i], offset);
        offset += sizes[i];
    }
    trace_close(t, f);
    size_t total = layout_total(sizes, NUM_PARAM_TENSORS);
    trace_value(t, "ParamCount", "%zu", total);
    trace_value(t, "ParamShareWte", "%.0f",
                100.0 * (double)sizes[PARAM_WTE] / (double)total);
}
/* trace-numbers.c: the part */
enum { INIT_ROWS = 4, INIT_COLS = 6 };

void trace_init(struct trace *t)
{
    const struct gpt_config *m = &t->ex.model;
    /* allocate the parameter buffer of the example's model */
    size_t sizes[NUM_PARAM_TENSORS];
    param_sizes(m, sizes);
    t->params = calloc(layout_total(sizes, NUM_PARAM_TENSORS), sizeof *t->params);
    gsl_rng *rng = rng_create(t->ex.seed);
    FILE *f = trace_table(t, "numbers-init");
    if (t->params && rng && f) {
        layout_views(t->params, sizes, NUM_PARAM_TENSORS, t->param);
        param_init(t->params, m, rng);
        float *wte = t->param[PARAM_WTE];
        /* write the top-left corner of wte */
        int cols = m->channels < INIT_COLS ? m->channels : INIT_COLS;
        fprintf(f, "row");
        for (int c = 0; c < cols; c++)
            fprintf(f, "\t$c=%d$", c);
        fputc('\n', f);
        for (int r = 0; r < INIT_ROWS; r++) {
            fprintf(f, "%d", r);
            for (int c = 0; c < cols; c++)
                fprintf(f, "\t%.5f", wte[(size_t)r * m->channels + c]);
            fputc('\n', f);
        }
        trace_value(t, "InitSampleStd", "%.5f",
                    gsl_stats_float_sd(wte, 1, sizes[PARAM_WTE]));
    } else
        t->failed = 1;
    trace_close(t, f);
    gsl_rng_free(rng);
}
