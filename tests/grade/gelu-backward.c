/* gelu-backward.c -- the hidden tests of Exercise 6.4: gelu_backward
   (book/06-mlp.nw), against the derivative of GPT-2's tanh GELU in float64. */
#include <math.h>
#include "mlp.h"
#include "numbers.h"
#include "numdiff.h"
#include "grade.h"

static double gelu_tanh64(double x)
{
    return 0.5 * x * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
}

enum { N = 256 };

static double gelu_sum_loss(const double *x, void *params)
{
    const double *dout = params;
    double L = 0;
    for (int i = 0; i < N; i++) L += dout[i] * gelu_tanh64(x[i]);
    return L;
}

START_TEST(matches_numerical_derivative)
{
    float x[N], dout[N], dx[N] = { 0 };
    gsl_rng *rng = rng_create(61);
    fill_normal(rng, x, N, 3.0);      /* far into both tails, and near zero */
    fill_normal(rng, dout, N, 1.0);
    gsl_rng_free(rng);
    double *x64 = grade_to_double(x, N), *d64 = grade_to_double(dout, N), num[N], abserr[N];
    gelu_backward(dx, x, dout, N);
    numerical_gradient(gelu_sum_loss, x64, N, d64, 1e-3, num, abserr);
    double err = relative_max_error(dx, num, N, 1e-3);
    ck_assert_msg(err <= 1e-5, "dinp is not GELU'(inp) * dout (relative error %g)", err);
    free(x64); free(d64);
}
END_TEST

START_TEST(slope_is_one_half_at_zero)
{
    float x[1] = { 0.0f }, dout[1] = { 2.0f }, dx[1] = { 0 };
    gelu_backward(dx, x, dout, 1);
    ck_assert_double_le(fabs(dx[0] - 1.0), 1e-6);
}
END_TEST

START_TEST(tails_have_slopes_one_and_zero)
{
    float x[2] = { 12.0f, -12.0f }, dout[2] = { 1.0f, 1.0f }, dx[2] = { 0 };
    gelu_backward(dx, x, dout, 2);
    ck_assert(isfinite(dx[0]) && isfinite(dx[1]));
    ck_assert_double_le(fabs(dx[0] - 1.0), 1e-6);
    ck_assert_double_le(fabs(dx[1]), 1e-6);
}
END_TEST

START_TEST(gradient_accumulates)
{
    float x[3] = { -1.0f, 0.5f, 2.0f }, dout[3] = { 1.0f, 1.0f, 1.0f };
    float dx[3] = { 10.0f, 10.0f, 10.0f }, fresh[3] = { 0 };
    gelu_backward(dx, x, dout, 3);
    gelu_backward(fresh, x, dout, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_double_gt(fabs(fresh[i]), 1e-3);
        ck_assert_double_le(fabs(dx[i] - (10.0 + fresh[i])), 1e-5);
    }
}
END_TEST

Suite *grade_suite(void)
{
    Suite *s = suite_create("gelu_backward");
    grade_add(s, "dinp is GELU'(inp) * dout, by numerical derivatives",
              matches_numerical_derivative);
    grade_add(s, "the slope at zero is one half", slope_is_one_half_at_zero);
    grade_add(s, "the slope is 1 far right and 0 far left, finite",
              tails_have_slopes_one_and_zero);
    grade_add(s, "the gradient accumulates (+=), not overwrites", gradient_accumulates);
    return s;
}
