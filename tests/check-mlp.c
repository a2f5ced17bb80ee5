/* check-mlp.c -- GELU and the MLP (book/06-mlp.nw). */
#include <check.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_sf_erf.h>
#include "mlp.h"
#include "numbers.h"
#include "numdiff.h"

static double gelu_tanh64(double x)
{
    return 0.5 * x * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
}

START_TEST(exact_gelu_matches_erf)
{
    enum { N = 2001 };
    float x[N], y[N];
    for (int i = 0; i < N; i++) x[i] = (float)((i - 1000) * 0.01);
    gelu_exact_forward(y, x, N);
    for (int i = 0; i < N; i++) {
        double want = x[i] * 0.5 * gsl_sf_erfc(-x[i] / sqrt(2.0));
        ck_assert_double_le(fabs(y[i] - want), 2 * (FLT_EPSILON / 2) * fabs(want) + 1e-30);
    }
}
END_TEST

/* fp32 tanh GELU stays within the float64 worst case of the approximation
   plus 1e-6 for fp32 rounding of values of order one. */
START_TEST(tanh_gelu_within_approximation_bound)
{
    enum { N = 200001 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y), *e = malloc(N * sizeof *e);
    double bound = 0;
    for (int i = 0; i < N; i++) {
        x[i] = (float)((i - 100000) * 1e-4);
        bound = fmax(bound, fabs(gelu_tanh64(x[i]) - x[i] * 0.5 * gsl_sf_erfc(-x[i] / sqrt(2.0))));
    }
    gelu_forward(y, x, N);
    gelu_exact_forward(e, x, N);
    double worst = 0;
    for (int i = 0; i < N; i++)
        worst = fmax(worst, fabs((double)y[i] - e[i]));
    ck_assert_double_le(worst, bound + 1e-6);
    ck_assert_double_ge(worst, bound - 1e-6); /* and it is the approximation we measure */
    free(x); free(y); free(e);
}
END_TEST

static double gelu_sum_loss(const double *x, void *params)
{
    const double *dout = params;
    double L = 0;
    for (int i = 0; i < 64; i++) L += dout[i] * gelu_tanh64(x[i]);
    return L;
}

START_TEST(gelu_backward_matches_numerical_derivative)
{
    float x[64], dout[64], dx[64] = { 0 };
    double x64[64], d64[64], num[64], abserr[64];
    gsl_rng *rng = rng_create(5);
    fill_normal(rng, x, 64, 2.0);
    fill_normal(rng, dout, 64, 1.0);
    gsl_rng_free(rng);
    for (int i = 0; i < 64; i++) { x64[i] = x[i]; d64[i] = dout[i]; }
    gelu_backward(dx, x, dout, 64);
    numerical_gradient(gelu_sum_loss, x64, 64, d64, 1e-3, num, abserr);
    ck_assert_double_le(relative_max_error(dx, num, 64, 1e-3), 1e-5);
}
END_TEST

/* The float64 MLP and L = sum dy * y; variables packed [x | fcw | fcb | projw | projb]. */
struct mlp_loss { int BT, C; const double *dy; };

static double mlp_loss(const double *v, void *params)
{
    const struct mlp_loss *p = params;
    int BT = p->BT, C = p->C, H = 4 * C;
    const double *x = v, *fcw = x + BT * C, *fcb = fcw + H * C, *projw = fcb + H,
                 *projb = projw + C * H;
    double L = 0, *a = malloc((size_t)H * sizeof *a);
    for (int r = 0; r < BT; r++) {
        for (int i = 0; i < H; i++) {
            double h = fcb[i];
            for (int c = 0; c < C; c++) h += fcw[i * C + c] * x[r * C + c];
            a[i] = gelu_tanh64(h);
        }
        for (int o = 0; o < C; o++) {
            double y = projb[o];
            for (int i = 0; i < H; i++) y += projw[o * H + i] * a[i];
            L += p->dy[r * C + o] * y;
        }
    }
    free(a);
    return L;
}

START_TEST(mlp_backward_matches_numerical_gradient)
{
    enum { BT = 3, C = 4, H = 4 * C, NV = BT * C + H * C + H + C * H + C };
    float v[NV], dy[BT * C], y[BT * C], h[BT * H], a[BT * H], da[BT * H], dh[BT * H];
    float grad[NV] = { 0 };
    gsl_rng *rng = rng_create(8);
    fill_normal(rng, v, NV, 0.5);
    fill_normal(rng, dy, BT * C, 1.0);
    gsl_rng_free(rng);
    float *x = v, *fcw = x + BT * C, *fcb = fcw + H * C, *projw = fcb + H, *projb = projw + C * H;
    float *g = grad;
    ck_assert_int_eq(mlp_forward(y, h, a, x, fcw, fcb, projw, projb, BT, C), 0);
    ck_assert_int_eq(mlp_backward(g, g + BT * C, g + BT * C + H * C, g + BT * C + H * C + H,
                                  g + BT * C + H * C + H + C * H, da, dh, dy, x, h, a,
                                  fcw, projw, BT, C), 0);
    double v64[NV], dy64[BT * C], num[NV], abserr[NV];
    for (int i = 0; i < NV; i++) v64[i] = v[i];
    for (int i = 0; i < BT * C; i++) dy64[i] = dy[i];
    struct mlp_loss loss = { BT, C, dy64 };
    numerical_gradient(mlp_loss, v64, NV, &loss, 1e-3, num, abserr);
    ck_assert_double_le(relative_max_error(grad, num, NV, 1e-3), 1e-4);
}
END_TEST

START_TEST(same_bits_on_one_and_two_threads)
{
    enum { BT = 37, C = 24, H = 4 * C, NP = H * C + H + C * H + C };
    float *x = malloc(BT * C * sizeof *x), *p = malloc(NP * sizeof *p);
    gsl_rng *rng = rng_create(4);
    fill_normal(rng, x, BT * C, 1.0);
    fill_normal(rng, p, NP, 0.1);
    gsl_rng_free(rng);
    static float y[2][BT * C], h[2][BT * H], a[2][BT * H], dx[2][BT * C], g[2][NP];
    static float da[BT * H], dh[BT * H];
    int saved = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k + 1);
        mlp_forward(y[k], h[k], a[k], x, p, p + H * C, p + H * C + H, p + H * C + H + C * H, BT, C);
        mlp_backward(dx[k], g[k], g[k] + H * C, g[k] + H * C + H, g[k] + H * C + H + C * H,
                     da, dh, y[k], x, h[k], a[k], p, p + H * C + H, BT, C);
    }
    omp_set_num_threads(saved);
    ck_assert_mem_eq(y[0], y[1], sizeof y[0]);
    ck_assert_mem_eq(dx[0], dx[1], sizeof dx[0]);
    ck_assert_mem_eq(g[0], g[1], sizeof g[0]);
    free(x); free(p);
}
END_TEST

START_TEST(rejects_sizes_below_one)
{
    float z[16] = { 0 };
    ck_assert_int_eq(mlp_forward(z, z, z, z, z, z, z, z, 0, 4), -1);
    ck_assert_int_eq(mlp_forward(z, z, z, z, z, z, z, z, 1, 0), -1);
    ck_assert_int_eq(mlp_backward(z, z, z, z, z, z, z, z, z, z, z, z, z, -1, 4), -1);
}
END_TEST

Suite *mlp_suite(void)
{
    Suite *s = suite_create("mlp");
    TCase *tc = tcase_create("mlp");
    tcase_add_test(tc, exact_gelu_matches_erf);
    tcase_add_test(tc, tanh_gelu_within_approximation_bound);
    tcase_add_test(tc, gelu_backward_matches_numerical_derivative);
    tcase_add_test(tc, mlp_backward_matches_numerical_gradient);
    tcase_add_test(tc, same_bits_on_one_and_two_threads);
    tcase_add_test(tc, rejects_sizes_below_one);
    suite_add_tcase(s, tc);
    return s;
}
