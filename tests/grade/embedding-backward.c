/* embedding-backward.c -- the hidden tests of Exercise 4.4: embedding_backward
   (book/04-embeddings.nw), against a scatter-add written out in float64. */
#include <math.h>
#include <string.h>
#include "embedding.h"
#include "numbers.h"
#include "grade.h"

enum { B = 2, T = 5, C = 6, V = 7 };
/* Token 3 occurs four times, token 0 never: repeated rows must add up. */
static const int tokens[B * T] = { 3, 1, 3, 4, 2, 6, 3, 5, 3, 1 };

static void reference(double *dwte, double *dwpe, const float *dout)
{
    for (int bt = 0; bt < B * T; bt++)
        for (int c = 0; c < C; c++) {
            dwte[tokens[bt] * C + c] += dout[bt * C + c];
            dwpe[(bt % T) * C + c] += dout[bt * C + c];
        }
}

START_TEST(gradient_rows_are_the_sums_of_their_positions)
{
    float dout[B * T * C], dwte[V * C] = { 0 }, dwpe[T * C] = { 0 };
    double want_te[V * C] = { 0 }, want_pe[T * C] = { 0 };
    gsl_rng *rng = rng_create(41);
    fill_normal(rng, dout, B * T * C, 1.0);
    gsl_rng_free(rng);
    ck_assert_int_eq(embedding_backward(dwte, dwpe, dout, tokens, B, T, C), 0);
    reference(want_te, want_pe, dout);
    for (int i = 0; i < V * C; i++)
        ck_assert_double_le(fabs(dwte[i] - want_te[i]), 1e-6 * (1 + fabs(want_te[i])));
    for (int i = 0; i < T * C; i++)
        ck_assert_double_le(fabs(dwpe[i] - want_pe[i]), 1e-6 * (1 + fabs(want_pe[i])));
}
END_TEST

START_TEST(rows_of_absent_tokens_are_untouched)
{
    float dout[B * T * C], dwte[V * C], dwpe[T * C] = { 0 };
    for (int i = 0; i < B * T * C; i++) dout[i] = 1.0f;
    for (int i = 0; i < V * C; i++) dwte[i] = 0.5f;
    embedding_backward(dwte, dwpe, dout, tokens, B, T, C);
    for (int c = 0; c < C; c++)
        ck_assert_float_eq(dwte[0 * C + c], 0.5f);   /* token 0 is not in the batch */
    for (int c = 0; c < C; c++)
        ck_assert_float_eq(dwte[3 * C + c], 4.5f);   /* token 3 is, four times */
}
END_TEST

START_TEST(gradients_accumulate)
{
    float dout[B * T * C], once_te[V * C] = { 0 }, once_pe[T * C] = { 0 };
    gsl_rng *rng = rng_create(42);
    fill_normal(rng, dout, B * T * C, 1.0);
    gsl_rng_free(rng);
    embedding_backward(once_te, once_pe, dout, tokens, B, T, C);
    float twice_te[V * C], twice_pe[T * C];
    memcpy(twice_te, once_te, sizeof once_te);
    memcpy(twice_pe, once_pe, sizeof once_pe);
    embedding_backward(twice_te, twice_pe, dout, tokens, B, T, C);
    for (int i = 0; i < V * C; i++)
        ck_assert_double_le(fabs(twice_te[i] - 2 * once_te[i]), 1e-5 * (1 + fabs(once_te[i])));
    for (int i = 0; i < T * C; i++)
        ck_assert_double_le(fabs(twice_pe[i] - 2 * once_pe[i]), 1e-5 * (1 + fabs(once_pe[i])));
}
END_TEST

START_TEST(sizes_below_one_are_rejected)
{
    float x[1] = { 0 };
    int tok[1] = { 0 };
    ck_assert_int_eq(embedding_backward(x, x, x, tok, 0, 1, 1), -1);
    ck_assert_int_eq(embedding_backward(x, x, x, tok, 1, -1, 1), -1);
    ck_assert_int_eq(embedding_backward(x, x, x, tok, 1, 1, 0), -1);
}
END_TEST

Suite *grade_suite(void)
{
    Suite *s = suite_create("embedding_backward");
    grade_add(s, "each gradient row is the sum of dout over its positions",
              gradient_rows_are_the_sums_of_their_positions);
    grade_add(s, "rows of tokens not in the batch are left as they were",
              rows_of_absent_tokens_are_untouched);
    grade_add(s, "gradients accumulate (+=), not overwrite", gradients_accumulate);
    grade_add(s, "sizes below one return -1", sizes_below_one_are_rejected);
    return s;
}
