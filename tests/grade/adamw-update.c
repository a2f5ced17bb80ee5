/* adamw-update.c -- the hidden tests of Exercise 10.4: adamw_update
   (book/10-adamw.nw), against the chapter's equations in float64. */
#include <math.h>
#include <string.h>
#include "adamw.h"
#include "numbers.h"
#include "grade.h"

enum { N = 64, STEPS = 5 };

/* The equations adam-m .. adamw in float64, one parameter over STEPS steps. */
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

static void check_steps(float weight_decay)
{
    struct adamw_hparams h = adamw_defaults();
    h.lr = 1e-2f;
    h.weight_decay = weight_decay;
    float params[N], grads[STEPS][N], start[N];
    gsl_rng *rng = rng_create(101);
    fill_normal(rng, params, N, 1.0);
    fill_normal(rng, &grads[0][0], STEPS * N, 1.0);
    gsl_rng_free(rng);
    memcpy(start, params, sizeof params);
    struct adamw opt;
    ck_assert_int_eq(adamw_create(&opt, N, h), 0);
    for (int t = 0; t < STEPS; t++)
        adamw_update(&opt, params, grads[t]);
    ck_assert_msg(opt.t == STEPS, "opt->t is %d after %d updates", opt.t, STEPS);
    for (int i = 0; i < N; i++) {
        double g[STEPS];
        for (int t = 0; t < STEPS; t++) g[t] = grads[t][i];
        double want = reference(start[i], g, h);
        ck_assert_msg(fabs(params[i] - want) <= 1e-6 * (fabs(want) + STEPS * h.lr),
                      "parameter %d is %.9g after %d steps, want %.9g", i, params[i], STEPS,
                      want);
    }
    adamw_free(&opt);
}

START_TEST(five_steps_match_the_equations) { check_steps(0.0f); }
END_TEST
START_TEST(five_steps_with_weight_decay_match_the_equations) { check_steps(0.1f); }
END_TEST

START_TEST(first_step_moves_by_lr_against_the_gradient)
{
    struct adamw_hparams h = adamw_defaults();
    h.lr = 1e-3f;
    float params[4] = { 0.5f, 0.5f, 0.5f, 0.5f }, grads[4] = { 3.0f, -0.01f, 1e-3f, -70.0f };
    struct adamw opt;
    ck_assert_int_eq(adamw_create(&opt, 4, h), 0);
    adamw_update(&opt, params, grads);
    for (int i = 0; i < 4; i++)
        ck_assert_double_le(fabs((params[i] - 0.5) + copysign(h.lr, grads[i])), 1e-3 * h.lr);
    adamw_free(&opt);
}
END_TEST

START_TEST(zero_gradient_without_decay_leaves_parameters)
{
    float params[2] = { 0.25f, -3.0f }, grads[2] = { 0.0f, 0.0f };
    struct adamw opt;
    ck_assert_int_eq(adamw_create(&opt, 2, adamw_defaults()), 0);
    adamw_update(&opt, params, grads);
    ck_assert_float_eq(params[0], 0.25f);
    ck_assert_float_eq(params[1], -3.0f);
    ck_assert_int_eq(opt.t, 1);
    adamw_free(&opt);
}
END_TEST

Suite *grade_suite(void)
{
    Suite *s = suite_create("adamw_update");
    grade_add(s, "five steps without weight decay follow the equations",
              five_steps_match_the_equations);
    grade_add(s, "five steps with weight decay 0.1 follow the equations",
              five_steps_with_weight_decay_match_the_equations);
    grade_add(s, "the first step moves each parameter by lr against its gradient",
              first_step_moves_by_lr_against_the_gradient);
    grade_add(s, "a zero gradient without decay leaves the parameters (and t counts)",
              zero_gradient_without_decay_leaves_parameters);
    return s;
}
