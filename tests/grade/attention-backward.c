/* attention-backward.c -- the hidden tests of Exercise 7.6: attention_backward
   (book/07-attention.nw), against the numerical gradient of a float64
   causal multi-head attention. */
#include <math.h>
#include <string.h>
#include "attention.h"
#include "numbers.h"
#include "numdiff.h"
#include "grade.h"

struct shape { int B, T, C, NH; };
struct attention_loss { struct shape s; const double *dout; double *out; };

/* Float64 attention of qkv [B x T x 3C] into out [B x T x C]. */
static void attention64(double *out, const double *qkv, struct shape sh)
{
    int B = sh.B, T = sh.T, C = sh.C, NH = sh.NH, hs = C / NH;
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

static double attention_loss(const double *qkv, void *params)
{
    struct attention_loss *a = params;
    size_t nc = (size_t)a->s.B * a->s.T * a->s.C;
    attention64(a->out, qkv, a->s);
    double L = 0;
    for (size_t i = 0; i < nc; i++) L += a->dout[i] * a->out[i];
    return L;
}

/* Run the book's forward pass and the reader's backward pass; dqkv starts
   at start (so accumulation can be tested) and is returned. */
static float *backward(struct shape s, unsigned long seed, float start, float **qkv_out,
                       float **dout_out)
{
    size_t n3 = (size_t)s.B * s.T * 3 * s.C, nc = n3 / 3, nn = (size_t)s.B * s.NH * s.T * s.T;
    float *qkv = malloc(n3 * sizeof *qkv), *dout = malloc(nc * sizeof *dout),
          *out = malloc(nc * sizeof *out), *preatt = malloc(nn * sizeof *preatt),
          *att = malloc(nn * sizeof *att), *datt = malloc(nn * sizeof *datt),
          *dpreatt = malloc(nn * sizeof *dpreatt), *dqkv = malloc(n3 * sizeof *dqkv);
    gsl_rng *rng = rng_create(seed);
    fill_normal(rng, qkv, n3, 1.0);
    fill_normal(rng, dout, nc, 1.0);
    gsl_rng_free(rng);
    for (size_t i = 0; i < n3; i++) dqkv[i] = start;
    ck_assert_int_eq(attention_forward(out, preatt, att, qkv, s.B, s.T, s.C, s.NH), 0);
    ck_assert_int_eq(attention_backward(dqkv, datt, dpreatt, dout, qkv, att,
                                        s.B, s.T, s.C, s.NH), 0);
    free(out); free(preatt); free(att); free(datt); free(dpreatt);
    *qkv_out = qkv;
    *dout_out = dout;
    return dqkv;
}

static void check_shape(struct shape s, unsigned long seed)
{
    size_t nc = (size_t)s.B * s.T * s.C;
    float *qkv, *dout, *dqkv = backward(s, seed, 0.0f, &qkv, &dout);
    double *qkv64 = grade_to_double(qkv, 3 * nc), *dout64 = grade_to_double(dout, nc),
           *out64 = malloc(nc * sizeof *out64), *num = malloc(3 * nc * sizeof *num),
           *abserr = malloc(3 * nc * sizeof *abserr);
    struct attention_loss loss = { s, dout64, out64 };
    numerical_gradient(attention_loss, qkv64, 3 * nc, &loss, 1e-3, num, abserr);
    const char *part[3] = { "dq", "dk", "dv" };
    for (int p = 0; p < 3; p++) {   /* each of q, k, v on its own, to say which is wrong */
        double worst = 0, scale = 1e-3;
        for (size_t bt = 0; bt < nc / s.C; bt++)
            for (int c = 0; c < s.C; c++) {
                size_t i = bt * 3 * s.C + p * s.C + c;
                worst = fmax(worst, fabs(dqkv[i] - num[i]));
                scale = fmax(scale, fabs(num[i]));
            }
        ck_assert_msg(worst / scale <= 1e-4, "%s is not the gradient (relative error %g)",
                      part[p], worst / scale);
    }
    free(qkv); free(dout); free(dqkv); free(qkv64); free(dout64); free(out64);
    free(num); free(abserr);
}

START_TEST(one_head_matches_numerical_gradient) { check_shape((struct shape){ 1, 5, 4, 1 }, 71); }
END_TEST
START_TEST(two_heads_match_numerical_gradient) { check_shape((struct shape){ 1, 6, 8, 2 }, 72); }
END_TEST
START_TEST(batch_of_three_heads_matches_numerical_gradient)
{
    check_shape((struct shape){ 2, 7, 12, 3 }, 73);
}
END_TEST

START_TEST(gradient_accumulates)
{
    struct shape s = { 1, 4, 8, 2 };
    size_t n3 = (size_t)s.B * s.T * 3 * s.C;
    float *qkv, *dout, *fresh = backward(s, 74, 0.0f, &qkv, &dout);
    free(qkv); free(dout);
    float *added = backward(s, 74, 1.0f, &qkv, &dout);
    for (size_t i = 0; i < n3; i++)
        ck_assert_double_le(fabs(added[i] - (1.0 + fresh[i])), 1e-5 * (1 + fabs(fresh[i])));
    free(qkv); free(dout); free(fresh); free(added);
}
END_TEST

START_TEST(bad_shapes_are_rejected)
{
    float x[64] = { 0 };
    ck_assert_int_eq(attention_backward(x, x, x, x, x, x, 1, 2, 10, 3), -1); /* 10 % 3 */
    ck_assert_int_eq(attention_backward(x, x, x, x, x, x, 0, 2, 4, 1), -1);
    ck_assert_int_eq(attention_backward(x, x, x, x, x, x, 1, 2, 4, 0), -1);
}
END_TEST

Suite *grade_suite(void)
{
    Suite *s = suite_create("attention_backward");
    grade_add(s, "one head, 5 positions: dq, dk, dv are the numerical gradient",
              one_head_matches_numerical_gradient);
    grade_add(s, "two heads, 6 positions: the numerical gradient",
              two_heads_match_numerical_gradient);
    grade_add(s, "a batch of 2, three heads, 7 positions: the numerical gradient",
              batch_of_three_heads_matches_numerical_gradient);
    grade_add(s, "dqkv accumulates (+=), not overwrites", gradient_accumulates);
    grade_add(s, "shapes attention_shape_error refuses return -1", bad_shapes_are_rejected);
    return s;
}
