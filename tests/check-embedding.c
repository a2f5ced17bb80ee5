/* check-embedding.c -- the embedding layer (book/04-embeddings.nw). */
#include <check.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "embedding.h"
#include "numbers.h"
#include "numdiff.h"

enum { B = 2, T = 5, C = 6, V = 7, N = B * T * C };
/* Token 3 occurs four times, token 6 never. */
static const int tokens[B * T] = { 3, 1, 3, 0, 2, 4, 3, 5, 3, 1 };

struct tables { float wte[V * C], wpe[T * C], dout[N]; };

static void tables_fill(struct tables *tb, unsigned long seed)
{
    gsl_rng *rng = rng_create(seed);
    fill_normal(rng, tb->wte, V * C, 1.0);
    fill_normal(rng, tb->wpe, T * C, 1.0);
    fill_normal(rng, tb->dout, N, 1.0);
    gsl_rng_free(rng);
}

START_TEST(forward_is_lookup_plus_position)
{
    struct tables tb;
    tables_fill(&tb, 1);
    float out[N];
    ck_assert_int_eq(embedding_forward(out, tokens, tb.wte, tb.wpe, B, T, C, V), 0);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++)
            for (int c = 0; c < C; c++)
                ck_assert_float_eq(out[(b * T + t) * C + c],
                                   tb.wte[tokens[b * T + t] * C + c] + tb.wpe[t * C + c]);
}
END_TEST

/* L(wte, wpe) = sum dout * h in float64, the variables packed as [wte | wpe]. */
static double embedding_loss(const double *v, void *params)
{
    const float *dout = params;
    double L = 0;
    for (int bt = 0; bt < B * T; bt++)
        for (int c = 0; c < C; c++)
            L += dout[bt * C + c] * (v[tokens[bt] * C + c] + v[V * C + (bt % T) * C + c]);
    return L;
}

START_TEST(backward_matches_numerical_gradient)
{
    struct tables tb;
    tables_fill(&tb, 2);
    float grad[V * C + T * C] = { 0 };
    ck_assert_int_eq(embedding_backward(grad, grad + V * C, tb.dout, tokens, B, T, C), 0);
    double v[V * C + T * C], num[V * C + T * C], abserr[V * C + T * C];
    for (int i = 0; i < V * C; i++) v[i] = tb.wte[i];
    for (int i = 0; i < T * C; i++) v[V * C + i] = tb.wpe[i];
    numerical_gradient(embedding_loss, v, V * C + T * C, tb.dout, 1e-2, num, abserr);
    ck_assert_double_le(relative_max_error(grad, num, V * C + T * C, 1.0), 1e-5);
    for (int c = 0; c < C; c++)
        ck_assert_float_eq(grad[6 * C + c], 0.0f); /* token 6 never occurs */
}
END_TEST

START_TEST(backward_accumulates)
{
    struct tables tb;
    tables_fill(&tb, 3);
    float once[V * C + T * C] = { 0 }, twice[V * C + T * C];
    embedding_backward(once, once + V * C, tb.dout, tokens, B, T, C);
    memcpy(twice, once, sizeof once);
    embedding_backward(twice, twice + V * C, tb.dout, tokens, B, T, C);
    /* The second call adds each position's gradient to what is there, so the
       sums round differently: |error| <= B*T*u*sum|dout| < 1e-5 here. */
    for (int i = 0; i < V * C + T * C; i++)
        ck_assert_float_eq_tol(twice[i], 2 * once[i], 1e-5f);
}
END_TEST

START_TEST(rejects_bad_ids_and_sizes_without_writing)
{
    struct tables tb;
    tables_fill(&tb, 4);
    const int bad_ids[] = { -1, V, 1 << 30, -2147483647 - 1 };
    for (size_t k = 0; k < sizeof bad_ids / sizeof bad_ids[0]; k++)
        for (int at = 0; at < B * T; at++) {
            int ids[B * T];
            memcpy(ids, tokens, sizeof ids);
            ids[at] = bad_ids[k];
            float out[N];
            memset(out, 0x7f, sizeof out);
            float before[N];
            memcpy(before, out, sizeof out);
            ck_assert_int_eq(embedding_forward(out, ids, tb.wte, tb.wpe, B, T, C, V), -1);
            ck_assert_mem_eq(out, before, sizeof out);
        }
    float out[N];
    ck_assert_int_eq(embedding_forward(out, tokens, tb.wte, tb.wpe, 0, T, C, V), -1);
    ck_assert_int_eq(embedding_forward(out, tokens, tb.wte, tb.wpe, B, T, -1, V), -1);
    ck_assert_int_eq(embedding_backward(out, out, tb.dout, tokens, B, 0, C), -1);
}
END_TEST

START_TEST(same_bits_on_one_and_two_threads)
{
    enum { BB = 8, TT = 64, CC = 48, VV = 5 };
    int *ids = malloc(BB * TT * sizeof *ids);
    for (int i = 0; i < BB * TT; i++)
        ids[i] = (i * 7 + i / 3) % VV; /* every token many times */
    float *dout = malloc((size_t)BB * TT * CC * sizeof *dout);
    gsl_rng *rng = rng_create(9);
    fill_normal(rng, dout, (size_t)BB * TT * CC, 1.0);
    gsl_rng_free(rng);
    static float g[2][VV * CC + TT * CC];
    int saved = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k + 1);
        embedding_backward(g[k], g[k] + VV * CC, dout, ids, BB, TT, CC);
    }
    omp_set_num_threads(saved);
    ck_assert_mem_eq(g[0], g[1], sizeof g[0]);
    free(ids);
    free(dout);
}
END_TEST

Suite *embedding_suite(void)
{
    Suite *s = suite_create("embedding");
    TCase *tc = tcase_create("embedding");
    tcase_add_test(tc, forward_is_lookup_plus_position);
    tcase_add_test(tc, backward_matches_numerical_gradient);
    tcase_add_test(tc, backward_accumulates);
    tcase_add_test(tc, rejects_bad_ids_and_sizes_without_writing);
    tcase_add_test(tc, same_bits_on_one_and_two_threads);
    suite_add_tcase(s, tc);
    return s;
}
