/* check-layernorm.c -- LayerNorm (book/05-layernorm.nw) against a float64
   reference and its numerical derivatives. */
#include <check.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_statistics_float.h>
#include "layernorm.h"
#include "numbers.h"
#include "numdiff.h"

/* One problem: inputs in float (for the code under test) and double. */
struct ln_problem {
    int B, T, C;
    float *x, *w, *b, *dy;      /* [BT x C], [C], [C], [BT x C] */
};

static struct ln_problem ln_problem_new(int B, int T, int C, unsigned long seed)
{
    struct ln_problem p = { B, T, C, NULL, NULL, NULL, NULL };
    size_t n = (size_t)B * T * C;
    p.x = malloc(n * sizeof *p.x);
    p.dy = malloc(n * sizeof *p.dy);
    p.w = malloc((size_t)C * sizeof *p.w);
    p.b = malloc((size_t)C * sizeof *p.b);
    gsl_rng *rng = rng_create(seed);
    fill_normal(rng, p.x, n, 1.0);
    for (size_t i = 0; i < n; i++)
        p.x[i] += 0.5f; /* a non-zero mean, so the mean term matters */
    fill_normal(rng, p.dy, n, 1.0);
    fill_normal(rng, p.w, (size_t)C, 1.0);
    fill_normal(rng, p.b, (size_t)C, 1.0);
    gsl_rng_free(rng);
    return p;
}

static void ln_problem_free(struct ln_problem *p)
{
    free(p->x); free(p->w); free(p->b); free(p->dy);
}

/* The float64 reference: y = LayerNorm(x) * w + b, row by row. */
static void ln_reference(double *y, const double *x, const double *w, const double *b,
                         long rows, int C)
{
    for (long r = 0; r < rows; r++) {
        const double *xr = x + r * C;
        double m = 0, v = 0;
        for (int i = 0; i < C; i++) m += xr[i];
        m /= C;
        for (int i = 0; i < C; i++) v += (xr[i] - m) * (xr[i] - m);
        v /= C;
        double rs = 1 / sqrt(v + (double)LAYERNORM_EPS);
        for (int i = 0; i < C; i++)
            y[r * C + i] = (xr[i] - m) * rs * w[i] + b[i];
    }
}

/* L(x, w, b) = sum dy * y, the variables packed as [x | w | b]. */
struct ln_loss { long rows; int C; const double *dy; double *y; };

static double ln_loss(const double *v, void *params)
{
    struct ln_loss *p = params;
    size_t n = (size_t)p->rows * p->C;
    ln_reference(p->y, v, v + n, v + n + p->C, p->rows, p->C);
    double L = 0;
    for (size_t i = 0; i < n; i++)
        L += p->dy[i] * p->y[i];
    return L;
}

static double *to_double(const float *a, size_t n, double *out)
{
    for (size_t i = 0; i < n; i++) out[i] = a[i];
    return out;
}

START_TEST(forward_matches_float64_reference)
{
    struct ln_problem p = ln_problem_new(2, 5, 64, 11);
    size_t n = (size_t)2 * 5 * 64;
    float *y = malloc(n * sizeof *y), mean[10], rstd[10];
    ck_assert_int_eq(layernorm_forward(y, mean, rstd, p.x, p.w, p.b, 2, 5, 64), 0);
    double *x64 = malloc(n * sizeof *x64), *y64 = malloc(n * sizeof *y64);
    double w64[64], b64[64];
    ln_reference(y64, to_double(p.x, n, x64), to_double(p.w, 64, w64),
                 to_double(p.b, 64, b64), 10, 64);
    ck_assert_double_le(relative_max_error(y, y64, n, 1.0), 1e-5);
    free(y); free(x64); free(y64);
    ln_problem_free(&p);
}
END_TEST

START_TEST(normalised_rows_have_zero_mean_unit_variance)
{
    enum { C = 48, ROWS = 6 };
    struct ln_problem p = ln_problem_new(1, ROWS, C, 12);
    float ones[C], zeros[C], y[ROWS * C], mean[ROWS], rstd[ROWS];
    for (int i = 0; i < C; i++) { ones[i] = 1.0f; zeros[i] = 0.0f; }
    ck_assert_int_eq(layernorm_forward(y, mean, rstd, p.x, ones, zeros, 1, ROWS, C), 0);
    for (int r = 0; r < ROWS; r++) {
        double var = 1 / ((double)rstd[r] * rstd[r]) - LAYERNORM_EPS; /* sigma^2 */
        ck_assert_double_le(fabs(gsl_stats_float_mean(y + r * C, 1, C)), 1e-5);
        double v = gsl_stats_float_variance_with_fixed_mean(y + r * C, 1, C, 0.0);
        ck_assert_double_le(fabs(v - var / (var + LAYERNORM_EPS)), 1e-5);
    }
    ln_problem_free(&p);
}
END_TEST

/* Shapes for the gradient check: (B, T, C). */
static const int grad_shapes[][3] = { { 1, 1, 8 }, { 2, 3, 16 }, { 1, 4, 33 }, { 3, 2, 5 } };

START_TEST(backward_matches_numerical_gradient)
{
    int B = grad_shapes[_i][0], T = grad_shapes[_i][1], C = grad_shapes[_i][2];
    long rows = (long)B * T;
    size_t n = (size_t)rows * C, nv = n + 2 * (size_t)C;
    struct ln_problem p = ln_problem_new(B, T, C, 100 + (unsigned long)_i);
    float *y = malloc(n * sizeof *y), *mean = malloc(rows * sizeof *mean),
          *rstd = malloc(rows * sizeof *rstd), *grad = calloc(nv, sizeof *grad);
    ck_assert_int_eq(layernorm_forward(y, mean, rstd, p.x, p.w, p.b, B, T, C), 0);
    ck_assert_int_eq(layernorm_backward(grad, grad + n, grad + n + C, p.dy, p.x, p.w,
                                        mean, rstd, B, T, C), 0);
    double *v = malloc(nv * sizeof *v), *dy64 = malloc(n * sizeof *dy64),
           *y64 = malloc(n * sizeof *y64), *num = malloc(nv * sizeof *num),
           *abserr = malloc(nv * sizeof *abserr);
    to_double(p.x, n, v);
    to_double(p.w, (size_t)C, v + n);
    to_double(p.b, (size_t)C, v + n + C);
    struct ln_loss loss = { rows, C, to_double(p.dy, n, dy64), y64 };
    numerical_gradient(ln_loss, v, nv, &loss, 1e-3, num, abserr);
    for (size_t i = 0; i < nv; i++)
        ck_assert_double_le(abserr[i], 1e-8);
    ck_assert_double_le(relative_max_error(grad, num, n, 1e-3), 1e-4);          /* dx */
    ck_assert_double_le(relative_max_error(grad + n, num + n, 2 * (size_t)C, 1e-3), 1e-4);
    free(v); free(dy64); free(y64); free(num); free(abserr);
    free(y); free(mean); free(rstd); free(grad);
    ln_problem_free(&p);
}
END_TEST

START_TEST(backward_accumulates)
{
    enum { B = 2, T = 3, C = 8, N = B * T * C };
    struct ln_problem p = ln_problem_new(B, T, C, 21);
    float y[N], mean[B * T], rstd[B * T], once[N + 2 * C], twice[N + 2 * C];
    layernorm_forward(y, mean, rstd, p.x, p.w, p.b, B, T, C);
    memset(once, 0, sizeof once);
    layernorm_backward(once, once + N, once + N + C, p.dy, p.x, p.w, mean, rstd, B, T, C);
    memcpy(twice, once, sizeof once);
    layernorm_backward(twice, twice + N, twice + N + C, p.dy, p.x, p.w, mean, rstd, B, T, C);
    for (int i = 0; i < N + 2 * C; i++)
        ck_assert_float_eq(twice[i], 2 * once[i]); /* x + x is exact */
    ln_problem_free(&p);
}
END_TEST

START_TEST(same_bits_on_one_and_two_threads)
{
    enum { B = 4, T = 16, C = 40, N = B * T * C };
    struct ln_problem p = ln_problem_new(B, T, C, 31);
    static float y[2][N], g[2][N + 2 * C];
    float mean[B * T], rstd[B * T];
    int saved = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k + 1);
        layernorm_forward(y[k], mean, rstd, p.x, p.w, p.b, B, T, C);
        memset(g[k], 0, sizeof g[k]);
        layernorm_backward(g[k], g[k] + N, g[k] + N + C, p.dy, p.x, p.w, mean, rstd, B, T, C);
    }
    omp_set_num_threads(saved);
    ck_assert_mem_eq(y[0], y[1], sizeof y[0]);
    ck_assert_mem_eq(g[0], g[1], sizeof g[0]);
    ln_problem_free(&p);
}
END_TEST

START_TEST(rejects_sizes_below_one)
{
    float a[4] = { 0 }, m[1], r[1];
    ck_assert_int_eq(layernorm_forward(a, m, r, a, a, a, 0, 1, 4), -1);
    ck_assert_int_eq(layernorm_forward(a, m, r, a, a, a, 1, -1, 4), -1);
    ck_assert_int_eq(layernorm_forward(a, m, r, a, a, a, 1, 1, 0), -1);
    ck_assert_int_eq(layernorm_backward(a, a, a, a, a, a, m, r, 1, 1, 0), -1);
    ck_assert_int_eq(layernorm_backward(a, a, a, a, a, a, m, r, -2, 1, 4), -1);
}
END_TEST

Suite *layernorm_suite(void)
{
    Suite *s = suite_create("layernorm");
    TCase *tc = tcase_create("layernorm");
    tcase_add_test(tc, forward_matches_float64_reference);
    tcase_add_test(tc, normalised_rows_have_zero_mean_unit_variance);
    tcase_add_loop_test(tc, backward_matches_numerical_gradient, 0,
                        (int)(sizeof grad_shapes / sizeof grad_shapes[0]));
    tcase_add_test(tc, backward_accumulates);
    tcase_add_test(tc, same_bits_on_one_and_two_threads);
    tcase_add_test(tc, rejects_sizes_below_one);
    suite_add_tcase(s, tc);
    return s;
}
