/* check-matmul.c -- the promises of chapter 2 (book/02-matmul.nw).
   Reference: GSL's CBLAS cblas_dgemm on float64 copies of the operands. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cblas.h>
#include "command.h"
#include "matmul.h"
#include "numbers.h"

static const double u = FLT_EPSILON / 2; /* unit roundoff, 2^-24 */

/* Shapes M, N, K: 1, 3, 17, 63, 129, and non-multiples of MR = 14, NR = 32 and
   of the block sizes of a Zen 5 (KC = 256, MC = 252, NB = 512, NC = 4096);
   kernels_agree_bitwise crosses this CPU's own blocks. */
static const int shapes[][3] = {
    { 1, 1, 1 },     { 3, 17, 63 },   { 17, 3, 129 },  { 63, 129, 17 }, { 129, 63, 3 },
    { 1, 129, 257 }, { 253, 33, 513 }, { 15, 515, 31 }, { 5, 4099, 20 }, { 300, 65, 255 },
};
enum { NUM_SHAPES = sizeof shapes / sizeof shapes[0] };

static float *random_floats(size_t n, unsigned long seed, double std)
{
    float *x = malloc((n ? n : 1) * sizeof *x);
    gsl_rng *rng = rng_create(seed);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(rng);
    fill_normal(rng, x, n, std);
    gsl_rng_free(rng);
    return x;
}

static double *to_double(const float *x, size_t n, int absolute)
{
    double *y = malloc((n ? n : 1) * sizeof *y);
    ck_assert_ptr_nonnull(y);
    for (size_t i = 0; i < n; i++)
        y[i] = absolute ? fabs(x[i]) : x[i];
    return y;
}

/* Check got[M x N] against C0 + op(A) op(B) computed by cblas_dgemm, element by
   element within the chapter's bound 2 (K+1) u (|C0| + |op(A)| |op(B)|); the
   factor 2 covers the O(u^2) term.  lda, ldb and the transposes are CBLAS's. */
static void check_product(const float *got, const float *C0, int M, int N, int K,
                          enum CBLAS_TRANSPOSE ta, const float *A, int lda,
                          enum CBLAS_TRANSPOSE tb, const float *B, int ldb)
{
    size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
    double *a = to_double(A, na, 0), *b = to_double(B, nb, 0), *c = to_double(C0, nc, 0);
    double *aa = to_double(A, na, 1), *ab = to_double(B, nb, 1), *ac = to_double(C0, nc, 1);
    cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, a, lda, b, ldb, 1.0, c, N);
    cblas_dgemm(CblasRowMajor, ta, tb, M, N, K, 1.0, aa, lda, ab, ldb, 1.0, ac, N);
    for (size_t i = 0; i < nc; i++) {
        double tol = 2 * (K + 1) * u * ac[i];
        if (!(fabs(got[i] - c[i]) <= tol))
            ck_abort_msg("M=%d N=%d K=%d element %zu: got %.9g want %.9g (tol %.3g)",
                         M, N, K, i, got[i], c[i], tol);
    }
    free(a), free(b), free(c), free(aa), free(ab), free(ac);
}

/* Every rung of the ladder, then the packed driver on transposed operands with
   either kernel, each accumulating into a random C, on every shape. */
START_TEST(every_product_matches_cblas)
{
    int M = shapes[_i][0], N = shapes[_i][1], K = shapes[_i][2];
    float *A = random_floats((size_t)M * K, 1 + _i, 1.0);
    float *B = random_floats((size_t)K * N, 100 + _i, 1.0);
    float *C0 = random_floats((size_t)M * N, 200 + _i, 1.0);
    float *C = malloc((size_t)M * N * sizeof *C);
    for (int v = 0; v < NUM_GEMM_VARIANTS; v++) {
        memcpy(C, C0, (size_t)M * N * sizeof *C);
        gemm_variants[v].run(M, N, K, A, B, C);
        check_product(C, C0, M, N, K, CblasNoTrans, A, K, CblasNoTrans, B, N);
    }
    for (int trans = 0; trans < 4; trans++) {
        int ta = trans & 1, tb = trans >> 1; /* A stored [K x M] if ta, B [N x K] if tb */
        struct matrix a = { A, ta ? 1 : K, ta ? M : 1 }, b = { B, tb ? 1 : N, tb ? K : 1 };
        for (int kernel = MATMUL_KERNEL_PORTABLE; kernel <= MATMUL_KERNEL_AVX512; kernel++) {
            memcpy(C, C0, (size_t)M * N * sizeof *C);
            gemm_strided(M, N, K, a, b, C, N, kernel, 1);
            check_product(C, C0, M, N, K, ta ? CblasTrans : CblasNoTrans, A, ta ? M : K,
                          tb ? CblasTrans : CblasNoTrans, B, tb ? K : N);
        }
    }
    free(A), free(B), free(C0), free(C);
}
END_TEST

/* The portable and the vector kernels make the same roundings in the same order,
   and their packings, plain or transposing, pack the same values. */
START_TEST(kernels_agree_bitwise)
{
    const struct matmul_blocks *blocks = matmul_blocks();
    int M = blocks->mc + 1, N = 515, K = 2 * blocks->kc + 1;
    float *A = random_floats((size_t)M * K, 5, 1.0), *B = random_floats((size_t)K * N, 6, 1.0);
    float *C1 = calloc((size_t)M * N, sizeof *C1), *C2 = calloc((size_t)M * N, sizeof *C2);
    for (int trans = 0; trans < 4; trans++) {
        int ta = trans & 1, tb = trans >> 1; /* A stored [K x M] if ta, B [N x K] if tb */
        struct matrix a = { A, ta ? 1 : K, ta ? M : 1 }, b = { B, tb ? 1 : N, tb ? K : 1 };
        memset(C1, 0, (size_t)M * N * sizeof *C1);
        gemm_strided(M, N, K, a, b, C1, N, MATMUL_KERNEL_PORTABLE, 0);
        for (int kernel = MATMUL_KERNEL_AVX2; kernel <= MATMUL_KERNEL_BEST; kernel++) {
            if ((kernel == MATMUL_KERNEL_AVX2 && !matmul_have_avx2()) ||
                (kernel == MATMUL_KERNEL_AVX512 && !matmul_have_avx512()))
                continue; /* it would fall back to the portable kernel */
            memset(C2, 0, (size_t)M * N * sizeof *C2);
            gemm_strided(M, N, K, a, b, C2, N, kernel, 1);
            ck_assert_mem_eq(C1, C2, (size_t)M * N * sizeof *C1);
        }
    }
    free(A), free(B), free(C1), free(C2);
}
END_TEST

/* out = inp weight^T + bias, with and without a bias. */
START_TEST(forward_matches_cblas)
{
    int BT = shapes[_i][0], C = shapes[_i][2], OC = shapes[_i][1];
    float *inp = random_floats((size_t)BT * C, 7 + _i, 1.0);
    float *w = random_floats((size_t)OC * C, 8 + _i, 0.02);
    float *bias = random_floats((size_t)OC, 9 + _i, 1.0);
    float *out = malloc((size_t)BT * OC * sizeof *out), *C0 = malloc((size_t)BT * OC * sizeof *C0);
    for (int with_bias = 0; with_bias < 2; with_bias++) {
        for (int r = 0; r < BT; r++)
            for (int o = 0; o < OC; o++)
                C0[(size_t)r * OC + o] = with_bias ? bias[o] : 0.0f;
        memset(out, 0xff, (size_t)BT * OC * sizeof *out); /* NaNs: out is overwritten */
        matmul_forward(out, inp, w, with_bias ? bias : NULL, BT, C, OC);
        check_product(out, C0, BT, OC, C, CblasNoTrans, inp, C, CblasTrans, w, C);
    }
    free(inp), free(w), free(bias), free(out), free(C0);
}
END_TEST

/* dinp += dout weight, dweight += dout^T inp, dbias += column sums of dout. */
START_TEST(backward_matches_cblas)
{
    int BT = shapes[_i][0], C = shapes[_i][2], OC = shapes[_i][1];
    float *inp = random_floats((size_t)BT * C, 11 + _i, 1.0);
    float *w = random_floats((size_t)OC * C, 12 + _i, 0.02);
    float *dout = random_floats((size_t)BT * OC, 13 + _i, 1.0);
    float *dinp0 = random_floats((size_t)BT * C, 14 + _i, 1.0);
    float *dw0 = random_floats((size_t)OC * C, 15 + _i, 1.0);
    float *db0 = random_floats((size_t)OC, 16 + _i, 1.0);
    float *dinp = malloc((size_t)BT * C * sizeof *dinp), *dw = malloc((size_t)OC * C * sizeof *dw);
    float *db = malloc((size_t)OC * sizeof *db);
    memcpy(dinp, dinp0, (size_t)BT * C * sizeof *dinp);
    memcpy(dw, dw0, (size_t)OC * C * sizeof *dw);
    memcpy(db, db0, (size_t)OC * sizeof *db);
    matmul_backward(dinp, dw, db, dout, inp, w, BT, C, OC);
    check_product(dinp, dinp0, BT, C, OC, CblasNoTrans, dout, OC, CblasNoTrans, w, C);
    check_product(dw, dw0, OC, C, BT, CblasTrans, dout, OC, CblasNoTrans, inp, C);
    for (int o = 0; o < OC; o++) { /* a sequential sum of BT + 1 terms */
        double want = db0[o], mag = fabs(db0[o]);
        for (int r = 0; r < BT; r++)
            want += dout[(size_t)r * OC + o], mag += fabs(dout[(size_t)r * OC + o]);
        ck_assert_double_le(fabs(db[o] - want), 2 * BT * u * mag);
    }
    free(inp), free(w), free(dout), free(dinp0), free(dw0), free(db0), free(dinp), free(dw), free(db);
}
END_TEST

/* A NULL dbias is allowed and leaves the other gradients as before. */
START_TEST(backward_without_dbias)
{
    int BT = 17, C = 63, OC = 129;
    float *inp = random_floats((size_t)BT * C, 21, 1.0), *w = random_floats((size_t)OC * C, 22, 0.02);
    float *dout = random_floats((size_t)BT * OC, 23, 1.0);
    float *d1 = calloc((size_t)BT * C, sizeof *d1), *d2 = calloc((size_t)BT * C, sizeof *d2);
    float *w1 = calloc((size_t)OC * C, sizeof *w1), *w2 = calloc((size_t)OC * C, sizeof *w2);
    float *db = calloc((size_t)OC, sizeof *db);
    matmul_backward(d1, w1, NULL, dout, inp, w, BT, C, OC);
    matmul_backward(d2, w2, db, dout, inp, w, BT, C, OC);
    ck_assert_mem_eq(d1, d2, (size_t)BT * C * sizeof *d1);
    ck_assert_mem_eq(w1, w2, (size_t)OC * C * sizeof *w1);
    free(inp), free(w), free(dout), free(d1), free(d2), free(w1), free(w2), free(db);
}
END_TEST

/* Same bits on one and two threads: forward, both backward products, the ladder. */
START_TEST(same_bits_on_one_and_two_threads)
{
    int BT = 600, C = 515, OC = 300;
    float *inp = random_floats((size_t)BT * C, 31, 1.0), *w = random_floats((size_t)OC * C, 32, 0.02);
    float *bias = random_floats((size_t)OC, 33, 1.0), *dout = random_floats((size_t)BT * OC, 34, 1.0);
    size_t sizes[4] = { (size_t)BT * OC, (size_t)BT * C, (size_t)OC * C, (size_t)OC };
    float *r[2][4];
    int saved = omp_get_max_threads();
    for (int t = 0; t < 2; t++) {
        for (int i = 0; i < 4; i++)
            r[t][i] = calloc(sizes[i], sizeof(float));
        omp_set_num_threads(t + 1);
        matmul_forward(r[t][0], inp, w, bias, BT, C, OC);
        matmul_backward(r[t][1], r[t][2], r[t][3], dout, inp, w, BT, C, OC);
        gemm_threaded(BT, OC, C, inp, w, r[t][0]); /* w read as [C x OC] */
    }
    omp_set_num_threads(saved);
    for (int i = 0; i < 4; i++) {
        ck_assert_mem_eq(r[0][i], r[1][i], sizes[i] * sizeof(float));
        free(r[0][i]), free(r[1][i]);
    }
    free(inp), free(w), free(bias), free(dout);
}
END_TEST

/* The one-row product on weights packed once gives the bits of matmul_forward:
   for one row, for the last row of a partial and of a full register tile, with
   and without a bias, with every kernel, on one and two threads; the shapes
   cross the K block (KC = 256) and the thread threshold. */
START_TEST(row_product_has_the_bits_of_matmul_forward)
{
    static const int row_shapes[][2] = { /* C, OC */
        { 1, 1 }, { 16, 67 }, { 17, 3 }, { 257, 33 }, { 300, 65 }, { 3072, 130 }, { 513, 4099 },
    };
    const enum matmul_kernel kernels[] = { MATMUL_KERNEL_PORTABLE, MATMUL_KERNEL_AVX2,
                                           MATMUL_KERNEL_AVX512, MATMUL_KERNEL_BEST };
    int saved = omp_get_max_threads();
    for (size_t s = 0; s < sizeof row_shapes / sizeof row_shapes[0]; s++) {
        int C = row_shapes[s][0], OC = row_shapes[s][1], rows[3] = { 1, 15, 14 };
        float *inp = random_floats((size_t)15 * C, 41 + s, 1.0);
        float *w = random_floats((size_t)OC * C, 51 + s, 0.02), *bias = random_floats(OC, 61 + s, 1.0);
        float *packed = aligned_alloc(64, (matmul_row_floats(C, OC) * sizeof(float) + 63) / 64 * 64);
        float *full = malloc((size_t)15 * OC * sizeof(float)), *row = malloc(OC * sizeof(float));
        ck_assert(packed && full && row);
        matmul_row_pack(packed, w, C, OC);
        for (int b = 0; b < 2; b++)
            for (int r = 0; r < 3; r++) {
                int BT = rows[r];
                const float *last = inp + (size_t)(BT - 1) * C;
                matmul_forward(full, inp, w, b ? bias : NULL, BT, C, OC);
                for (int k = 0; k < 4; k++)
                    for (int t = 1; t <= 2; t++) {
                        omp_set_num_threads(t);
                        memset(row, 0xff, OC * sizeof(float)); /* NaNs */
                        matmul_row_forward(row, last, packed, b ? bias : NULL, C, OC, kernels[k]);
                        ck_assert_mem_eq(row, full + (size_t)(BT - 1) * OC, OC * sizeof(float));
                    }
            }
        omp_set_num_threads(saved);
        free(inp), free(w), free(bias), free(packed), free(full), free(row);
    }
}
END_TEST

/* The block sizes follow eq. matmul-blocks: a Zen 5's are the ones the chapter
   derives by hand; every size meets its cache condition and its rounding;
   caches too small for one unit still give working sizes. */
START_TEST(blocks_follow_the_caches)
{
    struct matmul_blocks z5 = matmul_blocks_for(48L << 10, 1L << 20, 32L << 20);
    ck_assert_int_eq(z5.kc, 256);
    ck_assert_int_eq(z5.mc, 252);
    ck_assert_int_eq(z5.nc, 4096);
    ck_assert_int_eq(z5.nb, 512);
    struct matmul_blocks z4 = matmul_blocks_for(32L << 10, 1L << 20, 32L << 20);
    ck_assert_int_eq(z4.kc, 256);
    ck_assert_int_eq(matmul_blocks_for(64L << 10, 1L << 20, 32L << 20).kc, 512);
    ck_assert_int_eq(matmul_blocks_for(48L << 10, 2L << 20, 320L << 20).nc, MATMUL_NC_MAX);
    const struct matmul_blocks *b = matmul_blocks();
    ck_assert_int_eq(b->kc & (b->kc - 1), 0); /* a power of two */
    ck_assert_int_eq(b->mc % MATMUL_MR, 0);
    ck_assert_int_eq(b->nc % MATMUL_NR, 0);
    ck_assert_int_eq(b->nb % 16, 0);
    ck_assert(b->kc >= 16 && (4L * b->kc * MATMUL_NR <= b->l1 || b->kc == 16));
    ck_assert(4L * 2 * b->kc * MATMUL_NR > b->l1); /* the largest */
    ck_assert(b->mc >= MATMUL_MR && 16L * b->mc * b->kc <= b->l2);
    ck_assert(b->nc >= MATMUL_NR && b->nc <= MATMUL_NC_MAX && 32L * b->kc * b->nc <= b->l3);
    struct matmul_blocks tiny = matmul_blocks_for(1, 1, 1);
    ck_assert_int_eq(tiny.kc, 16);
    ck_assert_int_eq(tiny.mc, MATMUL_MR);
    ck_assert_int_eq(tiny.nc, MATMUL_NR);
    ck_assert_int_eq(tiny.nb, 16);
}
END_TEST

/* Zero sizes do nothing; the check rejects what the products must not get. */
START_TEST(zero_sizes_do_nothing)
{
    float A[4] = { 1, 2, 3, 4 }, B[4] = { 5, 6, 7, 8 }, C[4] = { 9, 9, 9, 9 };
    for (int v = 0; v < NUM_GEMM_VARIANTS; v++) {
        gemm_variants[v].run(2, 2, 0, A, B, C);
        gemm_variants[v].run(0, 2, 2, A, B, C);
        gemm_variants[v].run(2, 0, 2, A, B, C);
    }
    for (int i = 0; i < 4; i++)
        ck_assert_float_eq(C[i], 9.0f);
}
END_TEST

START_TEST(bad_sizes_rejected)
{
    ck_assert_int_eq(matmul_check_sizes(1, 1, 1), 0);
    ck_assert_int_eq(matmul_check_sizes(4096, 3072, 768), 0);
    ck_assert_int_eq(matmul_check_sizes(0, 5, 5), -1);
    ck_assert_int_eq(matmul_check_sizes(5, -1, 5), -1);
    ck_assert_int_eq(matmul_check_sizes(5, 5, 0), -1);
    ck_assert_int_eq(matmul_check_sizes(MATMUL_MAX_DIM + 1L, 1, 1), -1);
    ck_assert_int_eq(matmul_check_sizes(1L << 16, 1L << 16, 1), -1); /* M*N = 2^32 */
    ck_assert_int_eq(matmul_check_sizes(1, 1L << 16, 1L << 15), -1); /* K*N = 2^31 */
    ck_assert_int_eq(matmul_check_sizes(1L << 15, 1, 1L << 15), 0);  /* 2^30 each */
}
END_TEST

/* `longhand bench matmul` refuses bad options with status 2 before timing anything. */
START_TEST(bench_rejects_bad_options)
{
    static const char *const bad[] = {
        "--threads 300", "--threads 0", "--sizes 0", "--sizes 12,x", "--reps 0",
        "--reps 1001", "--naive-max abc", "--naive-max -1", "--rows 3000000", "--bogus",
    };
    char out[256], err[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(longhand(out, sizeof out, err, sizeof err, "bench matmul %s",
                               bad[i]) == 2, "accepted: %s", bad[i]);
        ck_assert_str_eq(out, "");
        ck_assert_ptr_nonnull(strstr(err, "longhand bench matmul: "));
    }
    ck_assert_int_eq(longhand(out, sizeof out, NULL, 0, "bench matmul --help"), 0);
}
END_TEST

Suite *matmul_suite(void)
{
    Suite *s = suite_create("matmul");
    TCase *ladder = tcase_create("ladder");
    tcase_set_timeout(ladder, 120);
    tcase_add_loop_test(ladder, every_product_matches_cblas, 0, NUM_SHAPES);
    tcase_add_test(ladder, kernels_agree_bitwise);
    suite_add_tcase(s, ladder);
    TCase *model = tcase_create("model");
    tcase_set_timeout(model, 120);
    tcase_add_loop_test(model, forward_matches_cblas, 0, NUM_SHAPES);
    tcase_add_loop_test(model, backward_matches_cblas, 0, NUM_SHAPES);
    tcase_add_test(model, backward_without_dbias);
    tcase_add_test(model, same_bits_on_one_and_two_threads);
    tcase_add_test(model, row_product_has_the_bits_of_matmul_forward);
    suite_add_tcase(s, model);
    TCase *sizes = tcase_create("sizes");
    tcase_add_test(sizes, zero_sizes_do_nothing);
    tcase_add_test(sizes, blocks_follow_the_caches);
    tcase_add_test(sizes, bad_sizes_rejected);
    tcase_add_test(sizes, bench_rejects_bad_options);
    suite_add_tcase(s, sizes);
    return s;
}
