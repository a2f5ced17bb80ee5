/* check-attention.c -- causal multi-head attention (book/07-attention.nw). */
#include <check.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include "attention.h"
#include "numbers.h"
#include "numdiff.h"

static const double u = FLT_EPSILON / 2;

/* A problem: qkv [B x T x 3C] and an upstream gradient dout [B x T x C]. */
struct problem { int B, T, C, NH; float *qkv, *dout, *out, *preatt, *att; };

static struct problem problem_new(int B, int T, int C, int NH, unsigned long seed)
{
    struct problem p = { B, T, C, NH, NULL, NULL, NULL, NULL, NULL };
    size_t n3 = (size_t)B * T * 3 * C, nc = (size_t)B * T * C, nn = (size_t)B * NH * T * T;
    p.qkv = malloc(n3 * sizeof *p.qkv);
    p.dout = malloc(nc * sizeof *p.dout);
    p.out = malloc(nc * sizeof *p.out);
    p.preatt = malloc(nn * sizeof *p.preatt);
    p.att = malloc(nn * sizeof *p.att);
    gsl_rng *rng = rng_create(seed);
    fill_normal(rng, p.qkv, n3, 1.0); /* scores of order one: weights far from uniform */
    fill_normal(rng, p.dout, nc, 1.0);
    gsl_rng_free(rng);
    return p;
}

static void problem_free(struct problem *p)
{
    free(p->qkv); free(p->dout); free(p->out); free(p->preatt); free(p->att);
}

/* Float64 attention: out [B x T x C] from qkv, by the chapter's equations. */
static void attention_reference(double *out, const double *qkv, int B, int T, int C, int NH)
{
    int hs = C / NH;
    double *w = malloc((size_t)T * sizeof *w);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const double *q = qkv + ((size_t)b * T + t) * 3 * C + h * hs;
                double m = -INFINITY, sum = 0;
                for (int s = 0; s <= t; s++) {
                    const double *k = qkv + ((size_t)b * T + s) * 3 * C + C + h * hs;
                    double dot = 0;
                    for (int i = 0; i < hs; i++) dot += q[i] * k[i];
                    w[s] = dot / sqrt(hs);
                    m = fmax(m, w[s]);
                }
                for (int s = 0; s <= t; s++) sum += (w[s] = exp(w[s] - m));
                double *o = out + ((size_t)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) o[i] = 0;
                for (int s = 0; s <= t; s++) {
                    const double *v = qkv + ((size_t)b * T + s) * 3 * C + 2 * C + h * hs;
                    for (int i = 0; i < hs; i++) o[i] += w[s] / sum * v[i];
                }
            }
    free(w);
}

static const int shapes[][4] = { /* B, T, C, NH */
    { 1, 1, 4, 1 }, { 1, 5, 8, 2 }, { 2, 7, 12, 3 }, { 1, 9, 16, 4 }, { 2, 3, 6, 6 },
};
enum { NUM_SHAPES = sizeof shapes / sizeof shapes[0] };

START_TEST(weights_are_causal_distributions)
{
    struct problem p = problem_new(shapes[_i][0], shapes[_i][1], shapes[_i][2], shapes[_i][3], 1);
    ck_assert_int_eq(attention_forward(p.out, p.preatt, p.att, p.qkv, p.B, p.T, p.C, p.NH), 0);
    for (long row = 0; row < (long)p.B * p.NH * p.T; row++) {
        int t = (int)(row % p.T);
        double sum = 0;
        for (int s = 0; s < p.T; s++) {
            float w = p.att[row * p.T + s];
            if (s > t) {
                ck_assert_float_eq(w, 0.0f);
                ck_assert(isinf(p.preatt[row * p.T + s]) && p.preatt[row * p.T + s] < 0);
            } else
                ck_assert_float_gt(w, 0.0f);
            sum += w;
        }
        ck_assert_double_le(fabs(sum - 1), 2 * p.T * u);
    }
    problem_free(&p);
}
END_TEST

static double *to_double(const float *a, size_t n)
{
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = a[i];
    return d;
}

START_TEST(forward_matches_float64_reference)
{
    struct problem p = problem_new(shapes[_i][0], shapes[_i][1], shapes[_i][2], shapes[_i][3], 2);
    size_t nc = (size_t)p.B * p.T * p.C;
    attention_forward(p.out, p.preatt, p.att, p.qkv, p.B, p.T, p.C, p.NH);
    double *qkv64 = to_double(p.qkv, nc * 3), *out64 = malloc(nc * sizeof *out64);
    attention_reference(out64, qkv64, p.B, p.T, p.C, p.NH);
    ck_assert_double_le(relative_max_error(p.out, out64, nc, 1.0), 1e-5);
    free(qkv64); free(out64);
    problem_free(&p);
}
END_TEST

struct attention_loss { int B, T, C, NH; const double *dout; double *out; };

static double attention_loss(const double *qkv, void *params)
{
    struct attention_loss *a = params;
    size_t nc = (size_t)a->B * a->T * a->C;
    attention_reference(a->out, qkv, a->B, a->T, a->C, a->NH);
    double L = 0;
    for (size_t i = 0; i < nc; i++) L += a->dout[i] * a->out[i];
    return L;
}

START_TEST(backward_matches_numerical_gradient)
{
    struct problem p = problem_new(shapes[_i][0], shapes[_i][1], shapes[_i][2], shapes[_i][3], 3);
    size_t nc = (size_t)p.B * p.T * p.C, nn = (size_t)p.B * p.NH * p.T * p.T;
    float *dqkv = calloc(3 * nc, sizeof *dqkv), *datt = malloc(nn * sizeof *datt),
          *dpreatt = malloc(nn * sizeof *dpreatt);
    attention_forward(p.out, p.preatt, p.att, p.qkv, p.B, p.T, p.C, p.NH);
    ck_assert_int_eq(attention_backward(dqkv, datt, dpreatt, p.dout, p.qkv, p.att,
                                        p.B, p.T, p.C, p.NH), 0);
    double *qkv64 = to_double(p.qkv, 3 * nc), *dout64 = to_double(p.dout, nc),
           *out64 = malloc(nc * sizeof *out64), *num = malloc(3 * nc * sizeof *num),
           *abserr = malloc(3 * nc * sizeof *abserr);
    struct attention_loss loss = { p.B, p.T, p.C, p.NH, dout64, out64 };
    numerical_gradient(attention_loss, qkv64, 3 * nc, &loss, 1e-3, num, abserr);
    ck_assert_double_le(relative_max_error(dqkv, num, 3 * nc, 1e-3), 1e-4);
    free(dqkv); free(datt); free(dpreatt); free(qkv64); free(dout64); free(out64);
    free(num); free(abserr);
    problem_free(&p);
}
END_TEST

START_TEST(same_bits_on_one_and_two_threads)
{
    struct problem p = problem_new(3, 33, 32, 4, 4);
    size_t nc = (size_t)3 * 33 * 32, nn = (size_t)3 * 4 * 33 * 33;
    float *out[2], *dqkv[2], *datt = malloc(nn * sizeof *datt), *dpreatt = malloc(nn * sizeof *dpreatt);
    int saved = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k + 1);
        out[k] = malloc(nc * sizeof *out[k]);
        dqkv[k] = calloc(3 * nc, sizeof *dqkv[k]);
        attention_forward(out[k], p.preatt, p.att, p.qkv, p.B, p.T, p.C, p.NH);
        attention_backward(dqkv[k], datt, dpreatt, p.dout, p.qkv, p.att, p.B, p.T, p.C, p.NH);
    }
    omp_set_num_threads(saved);
    ck_assert_mem_eq(out[0], out[1], nc * sizeof *out[0]);
    ck_assert_mem_eq(dqkv[0], dqkv[1], 3 * nc * sizeof *dqkv[0]);
    for (int k = 0; k < 2; k++) { free(out[k]); free(dqkv[k]); }
    free(datt); free(dpreatt);
    problem_free(&p);
}
END_TEST

START_TEST(lean_forward_equals_plain)
{
    static const int T[] = { 1, 63, 64, 65, 200 };
    struct problem p = problem_new(2, T[_i], 24, 3, 5);
    size_t nc = (size_t)2 * T[_i] * 24;
    float *lean = malloc(nc * sizeof *lean);
    attention_forward(p.out, p.preatt, p.att, p.qkv, p.B, p.T, p.C, p.NH);
    ck_assert_int_eq(attention_forward_lean(lean, p.qkv, p.B, p.T, p.C, p.NH), 0);
    double *plain = to_double(p.out, nc);
    double d_k = p.C / p.NH; /* each pass within (d_k + T)u of exact: twice that apart */
    ck_assert_double_le(relative_max_error(lean, plain, nc, 1.0), 2 * (d_k + p.T) * u);
    free(lean); free(plain);
    problem_free(&p);
}
END_TEST

START_TEST(cache_equals_full_computation)
{
    enum { T = 21, C = 16, NH = 4 };
    struct problem p = problem_new(1, T, C, NH, 6);
    attention_forward(p.out, p.preatt, p.att, p.qkv, 1, T, C, NH);
    struct kv_cache *cache = kv_cache_create(T, C, NH);
    ck_assert_ptr_nonnull(cache);
    float step[C];
    for (int t = 0; t < T; t++) {
        ck_assert_int_eq(attention_step(step, p.qkv + (size_t)t * 3 * C, cache), 0);
        ck_assert_mem_eq(step, p.out + (size_t)t * C, sizeof step);
    }
    ck_assert_int_eq(attention_step(step, p.qkv, cache), -1); /* full */
    kv_cache_free(cache);
    problem_free(&p);
}
END_TEST

START_TEST(rejects_bad_shapes)
{
    float x[64] = { 0 };
    ck_assert_str_eq(attention_shape_error(1, 4, 10, 3, 0),
                     "the number of heads must divide the channels");
    ck_assert_str_eq(attention_shape_error(1, 9, 8, 2, 8), "the sequence is longer than the context");
    ck_assert_str_eq(attention_shape_error(0, 4, 8, 2, 0), "sizes must be at least 1");
    ck_assert_ptr_null(attention_shape_error(2, 8, 8, 2, 8));
    ck_assert_int_eq(attention_forward(x, x, x, x, 1, 2, 10, 3), -1);
    ck_assert_int_eq(attention_forward_lean(x, x, 1, 2, 10, 3), -1);
    ck_assert_int_eq(attention_backward(x, x, x, x, x, x, 1, 0, 8, 2), -1);
    ck_assert_ptr_null(kv_cache_create(8, 10, 3));
    ck_assert_ptr_null(kv_cache_create(0, 8, 2));
}
END_TEST

Suite *attention_suite(void)
{
    Suite *s = suite_create("attention");
    TCase *tc = tcase_create("attention");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, weights_are_causal_distributions, 0, NUM_SHAPES);
    tcase_add_loop_test(tc, forward_matches_float64_reference, 0, NUM_SHAPES);
    tcase_add_loop_test(tc, backward_matches_numerical_gradient, 0, NUM_SHAPES);
    tcase_add_test(tc, same_bits_on_one_and_two_threads);
    tcase_add_loop_test(tc, lean_forward_equals_plain, 0, 5);
    tcase_add_test(tc, cache_equals_full_computation);
    tcase_add_test(tc, rejects_bad_shapes);
    suite_add_tcase(s, tc);
    return s;
}
