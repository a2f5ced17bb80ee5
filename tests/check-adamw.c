/* check-adamw.c -- the AdamW update (book/10-adamw.nw) against the equations
   evaluated by hand in float64. */
#include <check.h>
#include <math.h>
#include <string.h>
#include "adamw.h"
#include "numbers.h"

enum { N = 64, STEPS = 5 };

/* Equations adam-m .. adamw in float64 for one parameter over STEPS steps. */
static double reference(double p, const double *g, struct adamw_hparams h)
{
    double m = 0, v = 0;
    for (int t = 1; t <= STEPS; t++) {
        m = h.beta1 * m + (1 - h.beta1) * g[t - 1];
        v = h.beta2 * v + (1 - h.beta2) * g[t - 1] * g[t - 1];
        double m_hat = m / (1 - pow(h.beta1, t)), v_hat = v / (1 - pow(h.beta2, t));
        p -= h.lr * (m_hat / (sqrt(v_hat) + h.eps) + h.weight_decay * p);
    }
    return p;
}

START_TEST(update_matches_float64_equations)
{
    struct adamw_hparams h = adamw_defaults();
    h.lr = 1e-2f;
    h.weight_decay = _i ? 0.1f : 0.0f;
    float params[N], grads[STEPS][N], start[N];
    gsl_rng *rng = rng_create(11);
    fill_normal(rng, params, N, 1.0);
    fill_normal(rng, &grads[0][0], STEPS * N, 1.0);
    gsl_rng_free(rng);
    memcpy(start, params, sizeof params);
    struct adamw opt;
    ck_assert_int_eq(adamw_create(&opt, N, h), 0);
    for (int t = 0; t < STEPS; t++)
        adamw_update(&opt, params, grads[t]);
    ck_assert_int_eq(opt.t, STEPS);
    for (int i = 0; i < N; i++) {
        double g[STEPS];
        for (int t = 0; t < STEPS; t++) g[t] = grads[t][i];
        double want = reference(start[i], g, h);
        /* Each step's move is about lr; a few fp32 roundings of it per step. */
        ck_assert_double_le(fabs(params[i] - want), 1e-6 * (fabs(want) + STEPS * h.lr));
    }
    adamw_free(&opt);
}
END_TEST

START_TEST(first_step_moves_by_lr_against_the_sign)
{
    struct adamw_hparams h = adamw_defaults();
    float params[4] = { 0.5f, 0.5f, 0.5f, 0.5f }, grads[4] = { 3.0f, -0.01f, 1e-3f, -200.0f };
    struct adamw opt;
    ck_assert_int_eq(adamw_create(&opt, 4, h), 0);
    adamw_update(&opt, params, grads);
    /* The move is lr * g / (|g| + eps): lr to within eps/|g| <= 1e-5 relative,
       plus the rounding of 0.5 - lr in fp32, half an ulp of 0.5, 3e-8 = 3e-4 lr. */
    for (int i = 0; i < 4; i++)
        ck_assert_double_le(fabs((params[i] - 0.5) + copysign(h.lr, grads[i])), 1e-3 * h.lr);
    adamw_free(&opt);
}
END_TEST

START_TEST(zero_gradient_without_decay_leaves_parameter)
{
    struct adamw opt;
    float params[2] = { 0.25f, -3.0f }, zero[2] = { 0, 0 };
    ck_assert_int_eq(adamw_create(&opt, 2, adamw_defaults()), 0);
    for (int t = 0; t < 3; t++)
        adamw_update(&opt, params, zero);
    ck_assert_float_eq(params[0], 0.25f);
    ck_assert_float_eq(params[1], -3.0f);
    adamw_free(&opt);
}
END_TEST

Suite *adamw_suite(void)
{
    Suite *s = suite_create("adamw");
    TCase *tc = tcase_create("adamw");
    tcase_add_loop_test(tc, update_matches_float64_equations, 0, 2);
    tcase_add_test(tc, first_step_moves_by_lr_against_the_sign);
    tcase_add_test(tc, zero_gradient_without_decay_leaves_parameter);
    suite_add_tcase(s, tc);
    return s;
}
