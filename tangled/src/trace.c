#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace.c: includes */
#include <float.h>
#include <math.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_statistics_float.h>
#include "numbers.h"
/* trace.c: includes */
#include "matmul.h"
/* trace.c: includes */
#include "tokenizer.h"
/* trace.c: includes */
#include "embedding.h"
/* trace.c: includes */
#include <gsl/gsl_statistics_float.h>
#include "layernorm.h"
/* trace.c: includes */
#include <gsl/gsl_cdf.h>
#include "mlp.h"
/* trace.c: includes */
#include "attention.h"
#include "matmul.h"
/* trace.c: includes */
#include "gpt.h"
/* trace.c: includes */
#include "adamw.h"
/* trace.c: includes */
#include "sample.h"

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
/* trace.c: each chapter's part */
static void trace_example(struct trace *t)
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
/* trace.c: each chapter's part */
enum { SUM_ROWS = 16, SUM_LOG2_MIN = 4, SUM_LOG2_MAX = 20 };

static void trace_sums(struct trace *t)
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
/* trace.c: each chapter's part */
static void trace_layout(struct trace *t)
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
/* trace.c: each chapter's part */
enum { INIT_ROWS = 4, INIT_COLS = 6 };

static void trace_init(struct trace *t)
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
/* trace.c: each chapter's part */
static double max_error(const float *C, int M, int N, int K, struct matrix A,
                        struct matrix B, double *ratio)
{
    double worst = 0, u = FLT_EPSILON / 2;
    *ratio = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double exact = 0, mag = 0;
            for (int k = 0; k < K; k++) {
                double ab = (double)A.p[i * A.rs + k * A.cs]
                            * B.p[k * B.rs + j * B.cs];
                exact += ab, mag += fabs(ab);
            }
            double err = fabs(C[(size_t)i * N + j] - exact);
            worst = fmax(worst, err);
            if (mag > 0)
                *ratio = fmax(*ratio, err / ((K + 1) * u * mag));
        }
    return worst;
}
/* trace.c: each chapter's part */
enum { MATMUL_BIG_M = 67, MATMUL_BIG_N = 203, MATMUL_BIG_K = 3001 };

static void trace_matmul(struct trace *t)
{
    int T = t->ex.model.max_seq_len, C = t->ex.model.channels;
    const int M[2] = { T, MATMUL_BIG_M }, N[2] = { 3 * C, MATMUL_BIG_N },
              K[2] = { C, MATMUL_BIG_K };
    float *a[2] = { 0 }, *b[2] = { 0 }, *out[2][NUM_GEMM_VARIANTS + 3] = { { 0 } };
    int ok = 1;
    /* draw both products' operands and run every product */
    gsl_rng *rng = rng_create(t->ex.seed);
    for (int s = 0; s < 2; s++) {
        size_t mk = (size_t)M[s] * K[s], kn = (size_t)K[s] * N[s];
        a[s] = malloc(mk * sizeof(float)), b[s] = malloc(kn * sizeof(float));
        size_t most = (size_t)(M[s] > K[s] ? M[s] : K[s]) * (N[s] > K[s] ? N[s] : K[s]);
        for (int v = 0; v < NUM_GEMM_VARIANTS + 3; v++)
            out[s][v] = calloc(most, sizeof(float));
        ok = ok && rng && a[s] && b[s];
        for (int v = 0; v < NUM_GEMM_VARIANTS + 3; v++)
            ok = ok && out[s][v];
        if (!ok)
            break;
        fill_normal(rng, a[s], mk, 1.0);
        fill_normal(rng, b[s], kn, 0.02);
        /* run the ladder and the model's products on operands s */
        float *bt = malloc(kn * sizeof(float));
        ok = bt != NULL;
        for (int n = 0; ok && n < N[s]; n++)
            for (int k = 0; k < K[s]; k++)
                bt[(size_t)k * N[s] + n] = b[s][(size_t)n * K[s] + k];
        for (int v = 0; ok && v < NUM_GEMM_VARIANTS; v++)
            gemm_variants[v].run(M[s], N[s], K[s], a[s], bt, out[s][v]);
        free(bt);
        if (!ok)
            break;
        float *y = out[s][NUM_GEMM_VARIANTS], *dx = out[s][NUM_GEMM_VARIANTS + 1];
        matmul_forward(y, a[s], b[s], NULL, M[s], K[s], N[s]);
        float *dw = out[s][NUM_GEMM_VARIANTS + 2];
        matmul_backward(dx, dw, NULL, y, a[s], b[s], M[s], K[s], N[s]);
    }
    gsl_rng_free(rng);
    FILE *f = ok ? trace_table(t, "matmul-error") : NULL;
    if (f) {
        /* write one row of errors per product */
        fputs("product\terror, example\tratio\terror, larger\tratio\n", f);
        for (int v = 0; v < NUM_GEMM_VARIANTS + 3; v++) {
            static const char *model[3] = { "matmul_forward", "backward dinp",
                                            "backward dweight" };
            if (v < NUM_GEMM_VARIANTS)
                fprintf(f, "`gemm_%s`", gemm_variants[v].name);
            else
                fprintf(f, "`%s`", model[v - NUM_GEMM_VARIANTS]);
            for (int s = 0; s < 2; s++) {
                /* write the error of product v on operands s and its ratio to the bound */
                struct matrix X = { a[s], K[s], 1 }, Wt = { b[s], 1, K[s] }, W = { b[s], K[s], 1 };
                const float *y = out[s][NUM_GEMM_VARIANTS];
                struct matrix Y = { y, N[s], 1 }, Yt = { y, 1, N[s] };
                double ratio, err;
                if (v <= NUM_GEMM_VARIANTS)
                    err = max_error(out[s][v], M[s], N[s], K[s], X, Wt, &ratio);
                else if (v == NUM_GEMM_VARIANTS + 1)
                    err = max_error(out[s][v], M[s], K[s], N[s], Y, W, &ratio);
                else
                    err = max_error(out[s][v], N[s], K[s], M[s], Yt, X, &ratio);
                fprintf(f, "\t%.2e\t%.2e", err, ratio);
            }
            fputc('\n', f);
        }
        trace_close(t, f);
    } else
        t->failed = 1;
    /* trace the block sizes and whether the kernels agree */
    enum { RUNG_PACKED = 3, RUNG_SIMD = 4 }; /* their places in gemm_variants */
    int agree = ok;
    for (int s = 0; ok && s < 2; s++)
        agree = agree && memcmp(out[s][RUNG_PACKED], out[s][RUNG_SIMD],
                                (size_t)M[s] * N[s] * sizeof(float)) == 0;
    trace_value(t, "MatmulKernelsAgree", "%s", agree ? "identical" : "different");
    trace_value(t, "MatmulMR", "%d", MATMUL_MR);
    trace_value(t, "MatmulNR", "%d", MATMUL_NR);
    trace_value(t, "MatmulKC", "%d", MATMUL_KC);
    trace_value(t, "MatmulMC", "%d", MATMUL_MC);
    trace_value(t, "MatmulNC", "%d", MATMUL_NC);
    trace_value(t, "MatmulNB", "%d", MATMUL_NB);
    trace_value(t, "MatmulBigM", "%d", MATMUL_BIG_M);
    trace_value(t, "MatmulBigN", "%d", MATMUL_BIG_N);
    trace_value(t, "MatmulBigK", "%d", MATMUL_BIG_K);
    /* free both products' operands and outputs */
    for (int s = 0; s < 2; s++) {
        free(a[s]), free(b[s]);
        for (int v = 0; v < NUM_GEMM_VARIANTS + 3; v++)
            free(out[s][v]);
    }
}
/* trace.c: each chapter's part */
/* trace.c: write a token's bytes readably */
static void write_token_cell(FILE *f, const struct tokenizer *tok, int32_t id)
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

static void trace_tokenizer(struct trace *t)
{
    /* train a tokenizer on the example's sentence to the example's vocabulary */
    const unsigned char *text = (const unsigned char *)t->ex.text;
    size_t len = strlen(t->ex.text), n = 0;
    char err[256];
    struct tokenizer *tok = tokenizer_train(&text, &len, 1, t->ex.model.vocab_size, NULL,
                                            err, sizeof err);
    int32_t *ids = malloc((len + 1) * sizeof *ids);
    if (!tok || !ids || tokenizer_encode(tok, text, len, ids, &n) != 0) {
        fprintf(stderr, "longhand trace: tokenizer: %s\n", tok ? "cannot encode" : err);
        t->failed = 1;
    } else {
        /* trace the merges of the example's tokenizer */
        int n_merges;
        const struct bpe_merge *merges = tokenizer_merges(tok, &n_merges);
        FILE *f = trace_table(t, "tokenizer-merges");
        if (f) {
            fprintf(f, "rank $m$\tnew id\tleft id\tright id\tleft\tright\tnew token\tcount\n");
            for (int m = 0; m < n_merges; m++) {
                const struct bpe_merge *mg = &merges[m];
                fprintf(f, "%d\t%d\t%d\t%d\t", m, mg->token, mg->left, mg->right);
                write_token_cell(f, tok, mg->left), fputc('\t', f);
                write_token_cell(f, tok, mg->right), fputc('\t', f);
                write_token_cell(f, tok, mg->token);
                fprintf(f, "\t%lld\n", (long long)mg->count);
            }
        }
        trace_close(t, f);
        /* trace the merges of the example's tokenizer */
        trace_value(t, "TokMergesWanted", "%d", t->ex.model.vocab_size - 256);
        trace_value(t, "TokMergesLearned", "%d", n_merges);
        trace_value(t, "TokLastId", "%d", tokenizer_vocab_size(tok) - 1);
        trace_value(t, "TokFirstCount", "%lld", n_merges ? (long long)merges[0].count : 0LL);
        trace_value(t, "TokStopReason", "%s", 256 + n_merges < t->ex.model.vocab_size
                    ? "every piece is a single token and no pair is left"
                    : "the vocabulary is full");
        /* trace the sentence's tokens */
        f = trace_table(t, "tokenizer-sentence");
        if (f) {
            fprintf(f, "position\ttoken\tid\n");
            for (size_t i = 0; i < n; i++) {
                fprintf(f, "%zu\t", i);
                write_token_cell(f, tok, ids[i]);
                fprintf(f, "\t%d\n", ids[i]);
            }
        }
        trace_close(t, f);
        char list[EXAMPLE_TEXT_MAX * 8] = "";
        for (size_t i = 0, at = 0; i < n && at + 16 < sizeof list; i++)
            at += (size_t)snprintf(list + at, sizeof list - at, i ? " %d" : "%d", ids[i]);
        trace_value(t, "TokSentenceIds", "%s", list);
        trace_value(t, "TokSentenceBytes", "%zu", len);
        trace_value(t, "TokSentenceTokens", "%zu", n);
        /* pass the tokenizer and the sentence's ids to the later chapters */
        t->tok = tok;
        tok = NULL;
        if (n > (size_t)t->ex.model.max_seq_len) {
            fprintf(stderr, "longhand trace: the sentence has %zu tokens, more than the "
                    "context of %d\n", n, t->ex.model.max_seq_len);
            t->failed = 1;
        } else if ((t->tokens = malloc((n + 1) * sizeof *t->tokens))) {
            for (size_t i = 0; i < n; i++)
                t->tokens[i] = ids[i];
            t->num_tokens = (int)n;
        } else {
            fprintf(stderr, "longhand trace: out of memory\n");
            t->failed = 1;
        }
    }
    free(ids);
    tokenizer_free(tok);
}
/* trace.c: each chapter's part */
enum { EXAMPLE_COLS = 4, EXAMPLE_ROWS = 8 };

static void trace_embedding(struct trace *t)
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
/* trace.c: each chapter's part */
static void trace_layernorm(struct trace *t)
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
/* trace.c: each chapter's part */
enum { GELU_GRID_BLOCK = 1000, GELU_FIGURE_EVERY = 50 };

static void trace_gelu(struct trace *t)
{
    FILE *f = trace_table(t, "mlp-gelu-curve");
    if (!f)
        return;
    fprintf(f, "$x$\t$\\mathrm{GELU}(x)$\t$\\mathrm{GELU}_{\\tanh}-\\mathrm{GELU}$\n");
    double worst = 0, worst_at = 0;
    float x[GELU_GRID_BLOCK], y[GELU_GRID_BLOCK];
    for (long start = -100000; start <= 100000; start += GELU_GRID_BLOCK) {
        for (int i = 0; i < GELU_GRID_BLOCK; i++)
            x[i] = (float)((start + i) * 1e-4);
        gelu_forward(y, x, GELU_GRID_BLOCK);
        /* compare the block with the exact GELU in double */
        for (int i = 0; i < GELU_GRID_BLOCK && start + i <= 100000; i++) {
            double exact = x[i] * gsl_cdf_ugaussian_P(x[i]), diff = y[i] - exact;
            if (fabs(diff) > worst) {
                worst = fabs(diff);
                worst_at = x[i];
            }
            if ((start + i) % GELU_FIGURE_EVERY == 0 && fabs(x[i]) <= 5)
                fprintf(f, "%.3f\t%.6f\t%.4e\n", x[i], exact, diff);
        }
    }
    trace_close(t, f);
    trace_value(t, "GeluMaxDiff", "%.3e", worst);
    trace_value(t, "GeluMaxDiffAt", "%.3f", worst_at);
}
/* trace.c: each chapter's part */
static void trace_mlp(struct trace *t)
{
    int T = t->num_tokens, C = t->ex.model.channels;
    size_t nh = (size_t)T * 4 * C, ny = (size_t)T * C;
    float *h = malloc(nh * sizeof *h), *a = malloc(nh * sizeof *a),
          *exact = malloc(nh * sizeof *exact), *da = malloc(nh * sizeof *da),
          *dh = malloc(nh * sizeof *dh), *y = malloc(ny * sizeof *y),
          *dy = calloc(ny, sizeof *dy), *dx = calloc(ny, sizeof *dx),
          *grads = calloc((size_t)8 * C * C + 5 * (size_t)C, sizeof *grads);
    if (!t->ln1 || !h || !a || !exact || !da || !dh || !y || !dy || !dx || !grads
        || mlp_forward(y, h, a, t->ln1, t->param[PARAM_FCW], t->param[PARAM_FCB],
                       t->param[PARAM_FCPROJW], t->param[PARAM_FCPROJB], T, C) != 0)
        t->failed = 1;
    else {
        /* write the first hidden units through GELU, tanh and exact */
        gelu_exact_forward(exact, h, (long)nh);
        double worst = 0;
        for (size_t i = 0; i < nh; i++)
            worst = fmax(worst, fabs((double)a[i] - exact[i]));
        trace_value(t, "GeluExampleMaxDiff", "%.1e", worst);
        FILE *f = trace_table(t, "mlp-gelu");
        if (f) {
            fprintf(f, "unit $i$\t$h_i$\t$\\mathrm{GELU}_{\\tanh}(h_i)$\t"
                       "$\\mathrm{GELU}(h_i)$\tdifference\n");
            for (int i = 0; i < EXAMPLE_ROWS && i < 4 * C; i++)
                fprintf(f, "%d\t%.5f\t%.6f\t%.6f\t%.1e\n", i, h[i], a[i], exact[i],
                        (double)a[i] - exact[i]);
        }
        trace_close(t, f);
        /* send a stand-in gradient back through the MLP */
        gsl_rng *rng = rng_create(t->ex.seed + 1);
        if (rng)
            fill_normal(rng, dy, ny, 1.0);
        else /* out of memory: the trace fails, on a zero gradient rather than garbage */
            t->failed = 1;
        gsl_rng_free(rng);
        float *g = grads;
        mlp_backward(dx, g, g + 4 * C * C, g + 4 * C * C + 4 * C, g + 8 * C * C + 4 * C,
                     da, dh, dy, t->ln1, h, a, t->param[PARAM_FCW], t->param[PARAM_FCPROJW], T, C);
        f = trace_table(t, "mlp-back");
        if (f) {
            fprintf(f, "unit $i$\t$dA_i$\t$\\mathrm{GELU}_{\\tanh}'(h_i)$\t$dH_i$\n");
            for (int i = 0; i < EXAMPLE_ROWS && i < 4 * C; i++) {
                float one = 1.0f, slope = 0.0f;
                gelu_backward(&slope, &h[i], &one, 1);
                fprintf(f, "%d\t%.5f\t%.5f\t%.5f\n", i, da[i], slope, dh[i]);
            }
        }
        trace_close(t, f);
    }
    free(h); free(a); free(exact); free(da); free(dh); free(y); free(dy); free(dx);
    free(grads);
}
/* trace.c: each chapter's part */
static void trace_attention_head(struct trace *t, const float *qkv, const float *preatt,
                                 const float *att, int h);
static void trace_attention_backward(struct trace *t, const float *qkv, const float *out,
                                     const float *att);
/* trace.c: each chapter's part */
static void trace_attention(struct trace *t)
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
        if (f) {
            fprintf(f, "$t$");
            for (int h = 0; h < NH && h < EXAMPLE_COLS; h++)
                fprintf(f, "\thead %d, $o_{t,0}$\thead %d, $o_{t,1}$", h + 1, h + 1);
            fputc('\n', f);
            for (int i = 0; i < T && i < EXAMPLE_ROWS; i++) {
                fprintf(f, "%d", i);
                for (int h = 0; h < NH && h < EXAMPLE_COLS; h++)
                    fprintf(f, "\t%.5f\t%.5f", out[(size_t)i * C + h * (C / NH)],
                            out[(size_t)i * C + h * (C / NH) + 1]);
                fputc('\n', f);
            }
        }
        trace_close(t, f);
        trace_attention_backward(t, qkv, out, att);
    }
    free(qkv); free(out); free(preatt); free(att);
}
/* trace.c: each chapter's part */
static float unmasked_score(const float *qkv, int t, int s, int h, int C, int hs)
{
    const float *q = qkv + (size_t)t * 3 * C + h * hs,
                *k = qkv + (size_t)s * 3 * C + C + h * hs;
    float dot = 0.0f;
    for (int d = 0; d < hs; d++)
        dot += q[d] * k[d];
    return dot / sqrtf((float)hs);
}
/* trace.c: each chapter's part */
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
/* trace.c: each chapter's part */
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
        fprintf(f, "$t$\t$dq_{t,0}$\t$dq_{t,1}$\t$dk_{t,0}$\t$dk_{t,1}$\t$dv_{t,0}$\t$dv_{t,1}$\n");
        for (int i = 0; i < T && i < EXAMPLE_ROWS; i++) {
            const float *g = dqkv + (size_t)i * 3 * C;
            fprintf(f, "%d\t%.2e\t%.2e\t%.2e\t%.2e\t%.4f\t%.4f\n", i, g[0], g[1],
                    g[C], g[C + 1], g[2 * C], g[2 * C + 1]);
        }
    }
    trace_close(t, f);
    gsl_rng_free(rng);
    free(dy); free(dout); free(dqkv); free(datt); free(dpreatt); free(dw);
}
/* trace.c: each chapter's part */
static void trace_model(struct trace *t)
{
    int T = t->num_tokens - 1;
    char err[256];
    /* make the example's model and run it on the sentence */
    t->model = calloc(1, sizeof *t->model);
    if (t->tokens && T < 1)
        fprintf(stderr, "longhand trace: the sentence must have at least two tokens, "
                "an input and a target\n");
    if (!t->model || !t->tokens || T < 1 || gpt_create(t->model, &t->ex.model) != 0) {
        t->failed = 1;
        return;
    }
    memcpy(t->model->params, t->params, t->model->num_params * sizeof(float));
    if (gpt_forward(t->model, t->tokens, t->tokens + 1, 1, T, err, sizeof err) != 0) {
        fprintf(stderr, "longhand trace: model: %s\n", err);
        t->failed = 1;
        return;
    }
    trace_value(t, "ModelPositions", "%d", T);
    trace_value(t, "ModelLoss", "%.4f", t->model->mean_loss);
    trace_value(t, "ModelLogV", "%.4f", log((double)t->ex.model.vocab_size));
    double spread = 0.02 * sqrt((double)t->ex.model.channels); /* the exercise's s */
    trace_value(t, "ModelLogitSpread", "%.2f", spread);
    trace_value(t, "ModelLossExcess", "%.4f", spread * spread / 2);
    /* write each position's target, probability and loss */
    FILE *f = trace_table(t, "model-positions");
    if (f) {
        int V = t->ex.model.vocab_size;
        fprintf(f, "$t$\tinput\ttarget\t$p_t[y_t]$\t$\\ell_t$\t$\\max_j z_{t,j}$\n");
        for (int i = 0; i < T; i++) {
            const float *z = t->model->act[ACT_LOGITS] + (size_t)i * V;
            float zmax = z[0];
            for (int j = 1; j < V; j++)
                zmax = fmaxf(zmax, z[j]);
            fprintf(f, "%d\t", i);
            write_token_cell(f, t->tok, t->tokens[i]);
            fputc('\t', f);
            write_token_cell(f, t->tok, t->tokens[i + 1]);
            fprintf(f, "\t%.5f\t%.4f\t%.4f\n",
                    t->model->act[ACT_PROBS][(size_t)i * V + t->tokens[i + 1]],
                    t->model->act[ACT_LOSSES][i], zmax);
        }
    }
    trace_close(t, f);
}
/* trace.c: each chapter's part */
static double norm2(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s);
}

static void trace_backprop(struct trace *t)
{
    struct gpt *m = t->model;
    if (!m || !m->acts) {
        t->failed = 1;
        return;
    }
    gpt_zero_grad(m);
    gpt_backward(m);
    /* write the gradient's norm at each stage of the stream */
    size_t BT = (size_t)m->B * m->T, C = m->config.channels, L = m->config.num_layers;
    FILE *f = trace_table(t, "backprop-flow");
    if (f) {
        fprintf(f, "gradient with respect to\t\tnorm\n");
        double logits = norm2(m->grad_act[ACT_LOGITS], BT * m->config.vocab_size);
        fprintf(f, "logits\t$z$\t%.4e\n", logits);
        fprintf(f, "final LayerNorm output\t$\\operatorname{LN}_f(h^{(%zu)})$\t%.4e\n", L,
                norm2(m->grad_act[ACT_LNF], BT * C));
        for (size_t l = L; l-- > 0;) {
            fprintf(f, "block %zu output\t$h^{(%zu)}$\t%.4e\n", l + 1, l + 1,
                    norm2(m->grad_act[ACT_RESIDUAL3] + l * BT * C, BT * C));
            fprintf(f, "block %zu middle\t$r^{(%zu)}$\t%.4e\n", l + 1, l + 1,
                    norm2(m->grad_act[ACT_RESIDUAL2] + l * BT * C, BT * C));
        }
        double encoded = norm2(m->grad_act[ACT_ENCODED], BT * C);
        fprintf(f, "embedding output\t$h^{(0)}$\t%.4e\n", encoded);
        trace_value(t, "BackpropLogitsNorm", "%.3e", logits);
        trace_value(t, "BackpropEncodedNorm", "%.3e", encoded);
    }
    trace_close(t, f);
    /* write each parameter tensor's gradient norm */
    f = trace_table(t, "backprop-params");
    if (f) {
        fprintf(f, "tensor\tgradient norm\tparameter norm\n");
        for (int i = 0; i < NUM_PARAM_TENSORS; i++)
            fprintf(f, "`%s`\t%.4e\t%.4e\n", param_tensors[i].name,
                    norm2(m->grad[i], m->param_size[i]), norm2(m->param[i], m->param_size[i]));
    }
    trace_close(t, f);
}
/* trace.c: each chapter's part */
static void trace_adamw(struct trace *t)
{
    struct gpt *m = t->model;
    struct adamw opt;
    if (!m || !m->acts || adamw_create(&opt, m->num_params, adamw_defaults()) != 0) {
        t->failed = 1;
        return;
    }
    /* name the parameters the table shows and where they are */
    size_t C = (size_t)m->config.channels;
    const struct { const char *name; size_t at; } shown[] = {
        { "wte[x0][0]", (size_t)t->tokens[0] * C }, { "wte[0][0]", 0 },
        { "wpe[0][0]", m->param[PARAM_WPE] - m->params },
        { "qkvw[0]", m->param[PARAM_QKVW] - m->params },
        { "fcw[0]", m->param[PARAM_FCW] - m->params },
        { "lnfw[0]", m->param[PARAM_LNFW] - m->params },
    };
    /* update the model, keeping a copy of the parameters before */
    float *before = malloc(m->num_params * sizeof *before);
    if (!before) {
        t->failed = 1;
        adamw_free(&opt);
        return;
    }
    memcpy(before, m->params, m->num_params * sizeof *before);
    adamw_update(&opt, m->params, m->grads);
    /* write the first update of each parameter shown */
    enum { NUM_SHOWN = sizeof shown / sizeof shown[0] };
    float c1 = 1.0f - opt.h.beta1, c2 = 1.0f - opt.h.beta2; /* the corrections at t = 1 */
    double rows[8][NUM_SHOWN];
    for (int k = 0; k < NUM_SHOWN; k++) {
        size_t i = shown[k].at;
        double col[8] = { before[i], m->grads[i], opt.m[i], opt.v[i], opt.m[i] / c1,
                          opt.v[i] / c2, m->params[i] - before[i], m->params[i] };
        for (int r = 0; r < 8; r++)
            rows[r][k] = col[r];
    }
    /* write rows as a table, one column per parameter */
    static const char *const quantity[8] = { "$\\theta_0$", "$g$", "$m$", "$v$", "$\\hat m$",
                                             "$\\hat v$", "step", "$\\theta_1$" };
    FILE *f = trace_table(t, "adamw-first");
    if (f) {
        fprintf(f, " ");
        for (int k = 0; k < NUM_SHOWN; k++)
            fprintf(f, "\t\\texttt{%s}", shown[k].name);
        for (int r = 0; r < 8; r++) {
            fprintf(f, "\n%s", quantity[r]);
            for (int k = 0; k < NUM_SHOWN; k++)
                fprintf(f, r == 0 || r == 7 ? "\t%.5f" : "\t%.2e", rows[r][k]);
        }
        fputc('\n', f);
    }
    trace_close(t, f);
    trace_value(t, "AdamLr", "%g", opt.h.lr);
    /* measure the loss on the same batch after the update */
    char err[256];
    if (gpt_forward(m, t->tokens, t->tokens + 1, 1, t->num_tokens - 1, err, sizeof err) == 0)
        trace_value(t, "AdamLossAfter", "%.4f", m->mean_loss);
    else
        t->failed = 1;
    free(before);
    adamw_free(&opt);
}
/* trace.c: each chapter's part */
static void write_sampled_token_cell(FILE *f, const struct tokenizer *tok, int id)
{
    size_t len;
    if (tokenizer_token(tok, id, &len))
        write_token_cell(f, tok, id);
    else
        fprintf(f, "`<|%d|>`", id);
}
/* trace.c: each chapter's part */
static void trace_sample(struct trace *t)
{
    struct gpt *m = t->model;
    const struct sample_options o = { .temperature = 0.1, .top_k = 8, .top_p = 0.5 };
    enum { SHOWN = 10, NEW = 8 };
    if (!m || !t->tokens) {
        t->failed = 1;
        return;
    }
    /* choose the prefix, leaving room in the context for the continuation */
    int V = m->config.vocab_size, maxT = m->config.max_seq_len;
    int new_tokens = maxT > NEW ? NEW : maxT - 1;
    int n = t->num_tokens < maxT - new_tokens ? t->num_tokens : maxT - new_tokens;
    /* make the part's own cache, and a sampler for its scratch arrays */
    struct gpt_cache *g = gpt_cache_create(m, m->config.max_seq_len);
    struct sampler s;
    if (!g || sampler_create(&s, V, &o) != 0) {
        gpt_cache_free(g);
        t->failed = 1;
        return;
    }
    /* run the prefix through the cache and trace each stage */
    for (int i = 0; i < n; i++)
        gpt_step(m, g, t->tokens[i]);
    double *p1 = malloc((size_t)V * sizeof *p1);
    if (!p1) {
        t->failed = 1;
        sampler_free(&s), gpt_cache_free(g);
        return;
    }
    sample_softmax(p1, g->logits, V, 1.0);
    sample_softmax(s.p, g->logits, V, o.temperature);
    sample_sort(s.kept, s.p, V);
    int kept_k = o.top_k < V ? o.top_k : V, kept_p = sample_top_p(s.kept, kept_k, o.top_p);
    double mass_p = 0;
    for (int r = 0; r < kept_p; r++)
        mass_p += s.kept[r].p;
    /* write the stages of the most probable tokens */
    FILE *f = trace_table(t, "sample-stages");
    double shown_raw = 0, shown_temp = 0;
    if (f) {
        fprintf(f, "rank\ttoken\tid\t$z$\t$p$\t$p_\\tau$\ttop-$k$\ttop-$p$\t$q$\n");
        for (int r = 0; r < SHOWN && r < V; r++) {
            int id = s.kept[r].id;
            double pt = s.kept[r].p;
            fprintf(f, "%d\t", r + 1);
            write_sampled_token_cell(f, t->tok, id);
            fprintf(f, "\t%d\t%.4f\t%.5f\t%.4f\t%.4f\t%.4f\t%.4f\n", id, g->logits[id], p1[id],
                    pt, r < kept_k ? pt : 0.0, r < kept_p ? pt : 0.0,
                    r < kept_p ? pt / mass_p : 0.0);
            shown_raw += p1[id], shown_temp += pt;
        }
    }
    trace_close(t, f);
    /* write the stages of the most probable tokens */
    trace_value(t, "SamplePrefix", "%d", n);
    trace_value(t, "SampleTemperature", "%g", o.temperature);
    trace_value(t, "SampleTopK", "%d", o.top_k);
    trace_value(t, "SampleTopP", "%g", o.top_p);
    trace_value(t, "SampleKeptP", "%d", kept_p);
    trace_value(t, "SampleShown", "%d", SHOWN);
    trace_value(t, "SampleShownMassRaw", "%.4f", shown_raw);
    trace_value(t, "SampleShownMassTemp", "%.4f", shown_temp);
    free(p1);
    /* trace the entropy at several temperatures */
    static const double taus[] = { 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 100 };
    double *p = malloc((size_t)V * sizeof *p);
    FILE *fe = p ? trace_table(t, "sample-entropy") : NULL;
    if (fe) {
        fprintf(fe, "$\\tau$\t$H(\\tau)$\t$\\max_i p_\\tau(i)$\n");
        for (size_t j = 0; j < sizeof taus / sizeof taus[0]; j++) {
            sample_softmax(p, g->logits, V, taus[j]);
            double H = 0, pmax = 0;
            for (int i = 0; i < V; i++) {
                H -= p[i] > 0 ? p[i] * log(p[i]) : 0;
                pmax = fmax(pmax, p[i]);
            }
            fprintf(fe, "%g\t%.4f\t%.4f\n", taus[j], H, pmax);
        }
    }
    trace_close(t, fe);
    free(p);
    /* trace a greedy and a sampled continuation */
    int greedy[NEW], sampled[NEW];
    const struct sample_options greedy_o = { .temperature = 0, .top_p = 1 };
    struct sampler gs;
    gsl_rng *rng = rng_create(t->ex.seed);
    if (rng && sampler_create(&gs, V, &greedy_o) == 0) {
        for (int pass = 0; pass < 2; pass++) {
            gpt_cache_rewind(g, n - 1);
            gpt_step(m, g, t->tokens[n - 1]);
            for (int i = 0; i < new_tokens; i++) {
                int next = sampler_next(pass ? &s : &gs, g->logits, rng);
                (pass ? sampled : greedy)[i] = next;
                if (i + 1 < new_tokens)
                    gpt_step(m, g, next);
            }
        }
        sampler_free(&gs);
        /* write the two continuations */
        FILE *ft = trace_table(t, "sample-text");
        if (ft) {
            fprintf(ft, "step\tgreedy\tid\tsampled\tid\n");
            for (int i = 0; i < new_tokens; i++) {
                fprintf(ft, "%d\t", i + 1);
                write_sampled_token_cell(ft, t->tok, greedy[i]);
                fprintf(ft, "\t%d\t", greedy[i]);
                write_sampled_token_cell(ft, t->tok, sampled[i]);
                fprintf(ft, "\t%d\n", sampled[i]);
            }
        }
        trace_close(t, ft);
        trace_value(t, "SampleSeed", "%lu", t->ex.seed);
        trace_value(t, "SampleNew", "%d", new_tokens);
    } else
        t->failed = 1;
    gsl_rng_free(rng);
    sampler_free(&s);
    gpt_cache_free(g);
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
