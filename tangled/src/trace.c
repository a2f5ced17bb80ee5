#line 752 "book/01-numbers.nw"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
#line 806 "book/01-numbers.nw"
#include <float.h>
#include <math.h>
#include "numbers.h"
#line 1408 "book/02-matmul.nw"
#include "matmul.h"

#line 773 "book/01-numbers.nw"
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

void trace_close(struct trace *t, FILE *f)
{
    if (f && (ferror(f) | fclose(f)))
        t->failed = 1;
}

void trace_value(struct trace *t, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(t->values, "%s\t", name);
    vfprintf(t->values, fmt, ap);
    fputc('\n', t->values);
    va_end(ap);
}
#line 819 "book/01-numbers.nw"
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
#line 840 "book/01-numbers.nw"
enum { SUM_ROWS = 16, SUM_LOG2_MIN = 4, SUM_LOG2_MAX = 20 };

static void trace_sums(struct trace *t)
{
    size_t nmax = (size_t)1 << SUM_LOG2_MAX;
    float *x = malloc(SUM_ROWS * nmax * sizeof *x), sums[SUM_ROWS];
    gsl_rng *rng = rng_create(t->ex.seed);
    FILE *f = trace_table(t, "numbers-sum-error");
    if (x && rng && f) {
        fprintf(f, "$n$\tsequential\tpairwise\tbound~\\eqref{eq:sum-sequential}"
                   "\tbound~\\eqref{eq:sum-pairwise}\n");
        for (int log2n = SUM_LOG2_MIN; log2n <= SUM_LOG2_MAX; log2n += 2) {
            
#line 869 "book/01-numbers.nw"
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
double u = FLT_EPSILON / 2, b = 8;
fprintf(f, "%zu\t%.2e\t%.2e\t%.2e\t%.2e\n", n, err[0], err[1],
        (double)(n - 1) * u, (b - 1 + ceil(log2((double)n / b))) * u);
if (log2n == SUM_LOG2_MAX) {
    trace_value(t, "SumDigitsLostSequential", "%.1f", 7.2 + log10(err[0]));
    trace_value(t, "SumDigitsLostPairwise", "%.1f", fmax(0, 7.2 + log10(err[1])));
}
#line 853 "book/01-numbers.nw"
        }
        
#line 892 "book/01-numbers.nw"
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
#line 855 "book/01-numbers.nw"
        trace_value(t, "SumRows", "%d", SUM_ROWS);
        trace_value(t, "SumLargestN", "%zu", nmax);
    } else
        t->failed = 1;
    trace_close(t, f);
    gsl_rng_free(rng);
    free(x);
}
#line 907 "book/01-numbers.nw"
static void trace_layout(struct trace *t)
{
    size_t sizes[NUM_PARAM_TENSORS], offset = 0;
    param_sizes(&t->ex.model, sizes);
    FILE *f = trace_table(t, "numbers-layout");
    if (!f)
        return;
    fprintf(f, "tensor\tfloats\toffset\n");
    for (int i = 0; i < NUM_PARAM_TENSORS; i++) {
        fprintf(f, "`%s`\t%zu\t%zu\n", param_tensor_names[i], sizes[i], offset);
        offset += sizes[i];
    }
    trace_close(t, f);
    trace_value(t, "ParamCount", "%zu", layout_total(sizes, NUM_PARAM_TENSORS));
}
#line 927 "book/01-numbers.nw"
enum { INIT_ROWS = 4, INIT_COLS = 6 };

static void trace_init(struct trace *t)
{
    const struct gpt_config *m = &t->ex.model;
    size_t n = (size_t)m->padded_vocab_size * (size_t)m->channels;
    float *wte = malloc(n * sizeof *wte);
    gsl_rng *rng = rng_create(t->ex.seed);
    FILE *f = trace_table(t, "numbers-init");
    if (wte && rng && f) {
        fill_normal(rng, wte, n, 0.02);
        
#line 949 "book/01-numbers.nw"
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
#line 939 "book/01-numbers.nw"
        
#line 963 "book/01-numbers.nw"
double ss = 0;
for (size_t i = 0; i < n; i++)
    ss += (double)wte[i] * wte[i];
trace_value(t, "InitSampleStd", "%.5f", sqrt(ss / (double)n));
#line 940 "book/01-numbers.nw"
    } else
        t->failed = 1;
    trace_close(t, f);
    gsl_rng_free(rng);
    free(wte);
}
#line 1421 "book/02-matmul.nw"
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
#line 1444 "book/02-matmul.nw"
enum { MATMUL_BIG_M = 67, MATMUL_BIG_N = 203, MATMUL_BIG_K = 3001 };

static void trace_matmul(struct trace *t)
{
    int T = t->ex.model.max_seq_len, C = t->ex.model.channels;
    const int M[2] = { T, MATMUL_BIG_M }, N[2] = { 3 * C, MATMUL_BIG_N },
              K[2] = { C, MATMUL_BIG_K };
    float *a[2], *b[2], *out[2][NUM_GEMM_VARIANTS + 3];
    int ok = 1;
    
#line 1475 "book/02-matmul.nw"
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
    
#line 1497 "book/02-matmul.nw"
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
#line 1490 "book/02-matmul.nw"
}
gsl_rng_free(rng);
#line 1454 "book/02-matmul.nw"
    FILE *f = ok ? trace_table(t, "matmul-error") : NULL;
    if (f) {
        
#line 1517 "book/02-matmul.nw"
fputs("product\terror, example\tratio\terror, larger\tratio\n", f);
for (int v = 0; v < NUM_GEMM_VARIANTS + 3; v++) {
    static const char *model[3] = { "matmul_forward", "backward dinp",
                                    "backward dweight" };
    if (v < NUM_GEMM_VARIANTS)
        fprintf(f, "`gemm_%s`", gemm_variants[v].name);
    else
        fprintf(f, "`%s`", model[v - NUM_GEMM_VARIANTS]);
    for (int s = 0; s < 2; s++) {
        struct matrix X = { a[s], K[s], 1 }, Wt = { b[s], 1, K[s] };
        struct matrix W = { b[s], K[s], 1 };
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
#line 1457 "book/02-matmul.nw"
        trace_close(t, f);
    } else
        t->failed = 1;
    
#line 1544 "book/02-matmul.nw"
int agree = ok;
for (int s = 0; ok && s < 2; s++)
    agree = agree && memcmp(out[s][3], out[s][4],
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
#line 1461 "book/02-matmul.nw"
    for (int s = 0; s < 2; s++) {
        free(a[s]), free(b[s]);
        for (int v = 0; v < NUM_GEMM_VARIANTS + 3; v++)
            free(out[s][v]);
    }
}

#line 762 "book/01-numbers.nw"
int trace_run(struct trace *t)
{
    
#line 812 "book/01-numbers.nw"
trace_example(t);
trace_sums(t);
trace_layout(t);
trace_init(t);
#line 1412 "book/02-matmul.nw"
trace_matmul(t);
#line 765 "book/01-numbers.nw"
    return t->failed ? -1 : 0;
}
