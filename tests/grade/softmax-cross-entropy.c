/* softmax-cross-entropy.c -- the hidden tests of Exercise 8.4:
   softmax_cross_entropy (book/08-model.nw), against float64. */
#include <math.h>
#include "gpt.h"
#include "numbers.h"
#include "grade.h"

enum { V = 50 };

START_TEST(matches_float64_softmax_and_loss)
{
    float z[V], probs[V];
    gsl_rng *rng = rng_create(81);
    fill_normal(rng, z, V, 3.0);
    gsl_rng_free(rng);
    for (int target = 0; target < V; target += 7) {
        float loss = softmax_cross_entropy(probs, z, target, V);
        double m = z[0], sum = 0;
        for (int i = 1; i < V; i++) m = fmax(m, z[i]);
        for (int i = 0; i < V; i++) sum += exp(z[i] - m);
        for (int i = 0; i < V; i++)
            ck_assert_double_le(fabs(probs[i] - exp(z[i] - m) / sum), 1e-6);
        double want = m + log(sum) - z[target];
        ck_assert_msg(fabs(loss - want) <= 1e-5 * (1 + want),
                      "loss %g for target %d, want %g", loss, target, want);
    }
}
END_TEST

START_TEST(probabilities_sum_to_one)
{
    float z[V], probs[V];
    gsl_rng *rng = rng_create(82);
    fill_normal(rng, z, V, 1.0);
    gsl_rng_free(rng);
    softmax_cross_entropy(probs, z, 0, V);
    double sum = 0;
    for (int i = 0; i < V; i++) {
        ck_assert_float_ge(probs[i], 0.0f);
        sum += probs[i];
    }
    ck_assert_double_le(fabs(sum - 1), 1e-5);
}
END_TEST

START_TEST(equal_logits_give_log_v)
{
    float z[V], probs[V];
    for (int i = 0; i < V; i++) z[i] = 2.5f;
    ck_assert_double_le(fabs(softmax_cross_entropy(probs, z, 3, V) - log(V)), 1e-5);
}
END_TEST

START_TEST(large_logits_do_not_overflow)
{
    float z[3] = { 1000.0f, 999.0f, -1000.0f }, probs[3];
    float loss = softmax_cross_entropy(probs, z, 0, 3);
    ck_assert(isfinite(loss));
    /* 1000 + log(1 + e^-1) - 1000 in fp32: half an ulp of 1000 is 3e-5. */
    ck_assert_double_le(fabs(loss - log1p(exp(-1.0) + exp(-2000.0))), 1e-4);
    ck_assert(isfinite(probs[0]) && isfinite(probs[1]) && isfinite(probs[2]));
}
END_TEST

START_TEST(improbable_target_gives_large_finite_loss)
{
    float z[3] = { 50.0f, 0.0f, -60.0f }, probs[3];
    float loss = softmax_cross_entropy(probs, z, 2, 3);
    ck_assert_msg(isfinite(loss), "loss is %g: compute it from the logits, not as -log p", loss);
    ck_assert_double_le(fabs(loss - 110.0), 1e-3);
}
END_TEST

Suite *grade_suite(void)
{
    Suite *s = suite_create("softmax_cross_entropy");
    grade_add(s, "probs and loss match float64 for random logits",
              matches_float64_softmax_and_loss);
    grade_add(s, "the probabilities are non-negative and sum to one", probabilities_sum_to_one);
    grade_add(s, "V equal logits give a loss of log V", equal_logits_give_log_v);
    grade_add(s, "logits of 1000 do not overflow", large_logits_do_not_overflow);
    grade_add(s, "a target of probability e^-110 gives a loss of 110, not infinity",
              improbable_target_gives_large_finite_loss);
    return s;
}
