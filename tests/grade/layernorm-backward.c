/* layernorm-backward.c -- the hidden tests of Exercise 5.5: layernorm_backward
   (book/05-layernorm.nw), against the numerical gradient of a float64
   LayerNorm. */
#include <math.h>
#include <string.h>
#include "layernorm.h"
#include "numbers.h"
#include "numdiff.h"
#include "grade.h"

/* y = LayerNorm(x) * w + b in float64; L = sum dy * y, variables [x | w | b]. */
struct ln_loss { long rows; int C; const double *dy; };

static double ln_loss(const double *v, void *params)
{
    const struct ln_loss *p = params;
    const double *x = v, *w = v + p->rows * p->C, *b = w + p->C;
    double L = 0;
    for (long r = 0; r < p->rows; r++) {
        const double *xr = x + r * p->C;
        double m = 0, var = 0;
        for (int i = 0; i < p->C; i++) m += xr[i];
        m /= p->C;
        for (int i = 0; i < p->C; i++) var += (xr[i] - m) * (xr[i] - m);
        var /= p->C;
        double rs = 1 / sqrt(var + (double)LAYERNORM_EPS);
        for (int i = 0; i < p->C; i++)
            L += p->dy[r * p->C + i] * ((xr[i] - m) * rs * w[i] + b[i]);
    }
    return L;
}

/* A problem of B x T x C: x with a non-zero mean, w, b and dy random. */
static float *problem(int B, int T, int C, unsigned long seed)
{
    size_t n = (size_t)B * T * C;
    float *v = malloc((2 * n + 2 * C) * sizeof *v);   /* [x | w | b | dy] */
    gsl_rng *rng = rng_create(seed);
    fill_normal(rng, v, 2 * n + 2 * C, 1.0);
    gsl_rng_free(rng);
    for (size_t i = 0; i < n; i++) v[i] += 0.5f;
    return v;
}

static void check_shape(int B, int T, int C)
{
    long rows = (long)B * T;
    size_t n = (size_t)rows * C, nv = n + 2 * (size_t)C;
    float *v = problem(B, T, C, 500 + C), *x = v, *w = x + n, *b = w + C, *dy = b + C;
    float *y = malloc(n * sizeof *y), *mean = malloc(rows * sizeof *mean),
          *rstd = malloc(rows * sizeof *rstd), *grad = calloc(nv, sizeof *grad);
    ck_assert_int_eq(layernorm_forward(y, mean, rstd, x, w, b, B, T, C), 0);
    ck_assert_int_eq(layernorm_backward(grad, grad + n, grad + n + C, dy, x, w, mean, rstd,
                                        B, T, C), 0);
    double *v64 = grade_to_double(v, nv), *dy64 = grade_to_double(dy, n);
    double *num = malloc(nv * sizeof *num), *abserr = malloc(nv * sizeof *abserr);
    struct ln_loss loss = { rows, C, dy64 };
    numerical_gradient(ln_loss, v64, nv, &loss, 1e-3, num, abserr);
    ck_assert_msg(relative_max_error(grad, num, n, 1e-3) <= 1e-4,
                  "dinp is not the gradient (relative error %g)",
                  relative_max_error(grad, num, n, 1e-3));
    ck_assert_msg(relative_max_error(grad + n, num + n, (size_t)C, 1e-3) <= 1e-4,
                  "dweight is not the gradient");
    ck_assert_msg(relative_max_error(grad + n + C, num + n + C, (size_t)C, 1e-3) <= 1e-4,
                  "dbias is not the gradient");
    free(v); free(y); free(mean); free(rstd); free(grad); free(v64); free(dy64);
    free(num); free(abserr);
}

START_TEST(one_position_matches_numerical_gradient) { check_shape(1, 1, 8); }
END_TEST
START_TEST(many_positions_match_numerical_gradient) { check_shape(2, 3, 16); }
END_TEST
START_TEST(odd_channels_match_numerical_gradient) { check_shape(3, 2, 33); }
END_TEST

START_TEST(each_row_of_dinp_sums_to_zero)
{
    enum { B = 2, T = 4, C = 24, N = B * T * C };
    float *v = problem(B, T, C, 77), *x = v, *w = x + N, *b = w + C, *dy = b + C;
    float y[N], mean[B * T], rstd[B * T], dx[N] = { 0 }, dw[C] = { 0 }, db[C] = { 0 };
    layernorm_forward(y, mean, rstd, x, w, b, B, T, C);
    layernorm_backward(dx, dw, db, dy, x, w, mean, rstd, B, T, C);
    for (int r = 0; r < B * T; r++) {
        double sum = 0, scale = 0;
        for (int c = 0; c < C; c++) { sum += dx[r * C + c]; scale += fabs(dx[r * C + c]); }
        ck_assert_double_gt(scale, 0);
        ck_assert_double_le(fabs(sum), 1e-5 * scale);
    }
    free(v);
}
END_TEST

START_TEST(gradients_accumulate)
{
    enum { B = 1, T = 3, C = 8, N = B * T * C, NG = N + 2 * C };
    float *v = problem(B, T, C, 78), *x = v, *w = x + N, *b = w + C, *dy = b + C;
    float y[N], mean[B * T], rstd[B * T], once[NG] = { 0 }, twice[NG];
    layernorm_forward(y, mean, rstd, x, w, b, B, T, C);
    layernorm_backward(once, once + N, once + N + C, dy, x, w, mean, rstd, B, T, C);
    memcpy(twice, once, sizeof once);
    layernorm_backward(twice, twice + N, twice + N + C, dy, x, w, mean, rstd, B, T, C);
    for (int i = 0; i < NG; i++)
        ck_assert_double_le(fabs(twice[i] - 2 * once[i]), 1e-6 * (1 + fabs(once[i])));
    ck_assert_double_gt(fabs(once[0]) + fabs(once[N]), 0);
    free(v);
}
END_TEST

START_TEST(sizes_below_one_are_rejected)
{
    float a[4] = { 0 }, m[1] = { 0 }, r[1] = { 1 };
    ck_assert_int_eq(layernorm_backward(a, a, a, a, a, a, m, r, 1, 1, 0), -1);
    ck_assert_int_eq(layernorm_backward(a, a, a, a, a, a, m, r, -2, 1, 4), -1);
    ck_assert_int_eq(layernorm_backward(a, a, a, a, a, a, m, r, 1, 0, 4), -1);
}
END_TEST

Suite *grade_suite(void)
{
    Suite *s = suite_create("layernorm_backward");
    grade_add(s, "one position: dinp, dweight, dbias are the numerical gradient",
              one_position_matches_numerical_gradient);
    grade_add(s, "2 x 3 positions of 16 channels: the numerical gradient",
              many_positions_match_numerical_gradient);
    grade_add(s, "3 x 2 positions of 33 channels: the numerical gradient",
              odd_channels_match_numerical_gradient);
    grade_add(s, "every row of dinp sums to zero", each_row_of_dinp_sums_to_zero);
    grade_add(s, "gradients accumulate (+=), not overwrite", gradients_accumulate);
    grade_add(s, "sizes below one return -1", sizes_below_one_are_rejected);
    return s;
}
