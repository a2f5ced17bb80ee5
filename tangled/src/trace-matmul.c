/* trace-matmul.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace-matmul.c: includes */
#include "matmul.h"

/* trace-matmul.c: the part */
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
/* trace-matmul.c: the part */
enum { MATMUL_BIG_M = 67, MATMUL_BIG_N = 203, MATMUL_BIG_K = 3001 };

void trace_matmul(struct trace *t)
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
    trace_value(t, "MatmulKC", "%d", matmul_blocks()->kc);
    trace_value(t, "MatmulMC", "%d", matmul_blocks()->mc);
    trace_value(t, "MatmulNC", "%d", matmul_blocks()->nc);
    trace_value(t, "MatmulNB", "%d", matmul_blocks()->nb);
    trace_value(t, "MatmulBigM", "%d", MATMUL_BIG_M);
    trace_value(t, "MatmulBigN", "%d", MATMUL_BIG_N);
    trace_value(t, "MatmulBigK", "%d", MATMUL_BIG_K);
    /* write the block sizes for this CPU's caches and three others' */
    {
        static const struct { const char *cpu; long l1, l2, l3; } published[] = {
            { "AMD Zen 5", 48L << 10, 1L << 20, 32L << 20 },
            { "AMD Zen 4", 32L << 10, 1L << 20, 32L << 20 },
            { "Intel Emerald Rapids", 48L << 10, 2L << 20, 320L << 20 },
        };
        FILE *g = trace_table(t, "matmul-blocks");
        if (g) {
            fputs("CPU\tL1d (KiB)\tL2 (KiB)\tL3 (MiB)\t$k_c$\t$m_c$\t$n_c$\t$n_b$\n", g);
            for (int i = -1; i < 3; i++) {
                struct matmul_blocks k = i < 0 ? *matmul_blocks()
                    : matmul_blocks_for(published[i].l1, published[i].l2, published[i].l3);
                fprintf(g, "%s\t%ld\t%ld\t%ld\t%d\t%d\t%d\t%d\n",
                        i < 0 ? "this machine" : published[i].cpu, k.l1 >> 10, k.l2 >> 10,
                        k.l3 >> 20, k.kc, k.mc, k.nc, k.nb);
            }
            trace_close(t, g);
        } else
            t->failed = 1;
    }
    /* free both products' operands and outputs */
    for (int s = 0; s < 2; s++) {
        free(a[s]), free(b[s]);
        for (int v = 0; v < NUM_GEMM_VARIANTS + 3; v++)
            free(out[s][v]);
    }
}
