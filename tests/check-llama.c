/* check-llama.c -- the Llama block's operations (book/15-llama.nw) against
   float64 references and their numerical derivatives. */
#include <check.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "attention.h"
#include "command.h"
#include "gpt.h"
#include "llama.h"
#include "numbers.h"
#include "numdiff.h"

static float *randn(size_t n, unsigned long seed, double std)
{
    float *x = malloc(n * sizeof *x);
    gsl_rng *rng = rng_create(seed);
    fill_normal(rng, x, n, std);
    gsl_rng_free(rng);
    return x;
}

static double *to_double(const float *a, size_t n)
{
    double *out = malloc(n * sizeof *out);
    for (size_t i = 0; i < n; i++) out[i] = a[i];
    return out;
}

/* ---- RMSNorm ---- */

static void ref_rmsnorm(double *y, const double *x, const double *w, long rows, int C)
{
    for (long r = 0; r < rows; r++) {
        double ss = 0;
        for (int i = 0; i < C; i++) ss += x[r * C + i] * x[r * C + i];
        double s = 1 / sqrt(ss / C + (double)RMSNORM_EPS);
        for (int i = 0; i < C; i++) y[r * C + i] = w[i] * s * x[r * C + i];
    }
}

/* L = sum dy * y for every operation below: the variables packed in v. */
struct op_loss { long rows; int C; const double *dy; double *y; int B, T, NH, NKV, pos0; };

static double rms_loss(const double *v, void *params)
{
    struct op_loss *p = params;
    size_t n = (size_t)p->rows * p->C;
    ref_rmsnorm(p->y, v, v + n, p->rows, p->C);
    double L = 0;
    for (size_t i = 0; i < n; i++) L += p->dy[i] * p->y[i];
    return L;
}

START_TEST(rmsnorm_forward_matches_float64)
{
    enum { ROWS = 10, C = 64 };
    float *x = randn(ROWS * C, 1, 1.0), *w = randn(C, 2, 1.0), y[ROWS * C], s[ROWS];
    for (int i = 0; i < ROWS * C; i++) x[i] += 0.5f;
    ck_assert_int_eq(rmsnorm_forward(y, s, x, w, ROWS, C), 0);
    double *x64 = to_double(x, ROWS * C), *w64 = to_double(w, C), y64[ROWS * C];
    ref_rmsnorm(y64, x64, w64, ROWS, C);
    ck_assert_double_le(relative_max_error(y, y64, ROWS * C, 1.0), 1e-5);
    ck_assert_int_eq(rmsnorm_forward(y, s, x, w, 0, C), -1);
    free(x); free(w); free(x64); free(w64);
}
END_TEST

static const int rms_shapes[][2] = { { 1, 8 }, { 6, 16 }, { 4, 33 }, { 6, 5 } };

START_TEST(rmsnorm_backward_matches_numerical_gradient)
{
    long rows = rms_shapes[_i][0];
    int C = rms_shapes[_i][1];
    size_t n = (size_t)rows * C;
    float *x = randn(n, 10 + _i, 1.0), *w = randn(C, 20 + _i, 1.0), *dy = randn(n, 30 + _i, 1.0);
    for (size_t i = 0; i < n; i++) x[i] += 0.5f;
    float *y = malloc(n * sizeof *y), *s = malloc(rows * sizeof *s);
    float *g = calloc(n + C, sizeof *g); /* [dx | dw] */
    rmsnorm_forward(y, s, x, w, rows, C);
    ck_assert_int_eq(rmsnorm_backward(g, g + n, dy, x, w, s, rows, C), 0);
    double *v = malloc((n + C) * sizeof *v), *num = malloc((n + C) * sizeof *num);
    double *abserr = malloc((n + C) * sizeof *abserr), *dy64 = to_double(dy, n);
    double *y64 = malloc(n * sizeof *y64);
    for (size_t i = 0; i < n; i++) v[i] = x[i];
    for (int i = 0; i < C; i++) v[n + i] = w[i];
    struct op_loss p = { rows, C, dy64, y64, 0, 0, 0, 0, 0 };
    numerical_gradient(rms_loss, v, n + C, &p, 1e-3, num, abserr);
    ck_assert_double_le(relative_max_error(g, num, n + C, 1e-3), 1e-4);
    /* unlike LayerNorm's, a row of dx need not sum to zero */
    double row_sum = 0;
    for (int i = 0; i < C; i++) row_sum += g[i];
    ck_assert_double_gt(fabs(row_sum), 1e-3);
    free(x); free(w); free(dy); free(y); free(s); free(g);
    free(v); free(num); free(abserr); free(dy64); free(y64);
}
END_TEST

/* ---- rotary positions ---- */

/* Rotate in float64 with the fp32 code's frequencies and angles. */
static void ref_rope(double *y, const double *x, int rows, int NH, int hs, int pos0)
{
    for (int t = 0; t < rows; t++)
        for (int i = 0; i < hs; i += 2) {
            float theta = 1.0f / powf(ROPE_THETA, (float)i / (float)hs);
            double a = (double)((float)(pos0 + t) * theta);
            for (int h = 0; h < NH; h++) {
                const double *p = x + (long)t * NH * hs + h * hs + i;
                double *q = y + (long)t * NH * hs + h * hs + i;
                q[0] = p[0] * cos(a) - p[1] * sin(a);
                q[1] = p[0] * sin(a) + p[1] * cos(a);
            }
        }
}

static double rope_loss(const double *v, void *params)
{
    struct op_loss *p = params;
    size_t n = (size_t)p->rows * p->C;
    ref_rope(p->y, v, (int)p->rows, p->NH, p->C / p->NH, p->pos0);
    double L = 0;
    for (size_t i = 0; i < n; i++) L += p->dy[i] * p->y[i];
    return L;
}

START_TEST(rope_keeps_lengths_and_scores_depend_on_offset)
{
    enum { HS = 16 };
    float *q = randn(HS, 40, 1.0), *k = randn(HS, 41, 1.0);
    float qa[HS], ka[HS], qb[HS], kb[HS];
    memcpy(qa, q, sizeof qa); memcpy(qb, q, sizeof qb);
    memcpy(ka, k, sizeof ka); memcpy(kb, k, sizeof kb);
    rope_forward(qa, 1, 1, 1, HS, HS, 7);
    rope_forward(ka, 1, 1, 1, HS, HS, 3);
    rope_forward(qb, 1, 1, 1, HS, HS, 12);
    rope_forward(kb, 1, 1, 1, HS, HS, 8);
    for (int i = 0; i < HS; i += 2) {
        double before = hypot(q[i], q[i + 1]), after = hypot(qa[i], qa[i + 1]);
        ck_assert_double_le(fabs(after - before), 4 * (FLT_EPSILON / 2) * before);
    }
    double sa = 0, sb = 0, mag = 0;
    for (int i = 0; i < HS; i++) {
        sa += (double)qa[i] * ka[i];
        sb += (double)qb[i] * kb[i];
        mag += fabs((double)q[i] * k[i]);
    }
    ck_assert_double_le(fabs(sa - sb), 1e-5 * mag);
    free(q); free(k);
}
END_TEST

START_TEST(rope_backward_is_the_transpose)
{
    enum { T = 5, NH = 3, HS = 8, W = NH * HS + 4 }; /* rows wider than the heads */
    size_t n = (size_t)T * W;
    float *x = randn(n, 50, 1.0), *dy = randn(n, 51, 1.0);
    float *rx = malloc(n * sizeof *rx), *rtdy = malloc(n * sizeof *rtdy);
    memcpy(rx, x, n * sizeof *rx);
    memcpy(rtdy, dy, n * sizeof *rtdy);
    rope_forward(rx, 1, T, NH, HS, W, 2);
    rope_backward(rtdy, 1, T, NH, HS, W, 2);
    double lhs = 0, rhs = 0, mag = 0;
    for (size_t i = 0; i < n; i++) {
        lhs += (double)dy[i] * rx[i];
        rhs += (double)rtdy[i] * x[i];
        mag += fabs((double)dy[i] * x[i]);
    }
    ck_assert_double_le(fabs(lhs - rhs), 1e-5 * mag);
    for (int t = 0; t < T; t++) /* the columns past the heads are untouched */
        for (int c = NH * HS; c < W; c++)
            ck_assert_float_eq(rx[t * W + c], x[t * W + c]);
    /* against the numerical gradient of the float64 rotation (dense rows) */
    size_t m = (size_t)T * NH * HS;
    float *g = malloc(m * sizeof *g);
    double *dy64 = malloc(m * sizeof *dy64), *v = malloc(m * sizeof *v);
    for (int t = 0; t < T; t++)
        for (int c = 0; c < NH * HS; c++) {
            g[t * NH * HS + c] = dy[t * W + c];
            dy64[t * NH * HS + c] = dy[t * W + c];
            v[t * NH * HS + c] = x[t * W + c];
        }
    rope_backward(g, 1, T, NH, HS, NH * HS, 2);
    double *y64 = malloc(m * sizeof *y64), *num = malloc(m * sizeof *num),
           *abserr = malloc(m * sizeof *abserr);
    struct op_loss p = { T, NH * HS, dy64, y64, 1, T, NH, NH, 2 };
    numerical_gradient(rope_loss, v, m, &p, 1e-3, num, abserr);
    ck_assert_double_le(relative_max_error(g, num, m, 1e-3), 1e-4);
    free(x); free(dy); free(rx); free(rtdy); free(g); free(dy64); free(v);
    free(y64); free(num); free(abserr);
}
END_TEST

/* ---- SwiGLU ---- */

START_TEST(swiglu_backward_matches_derivative)
{
    enum { N = 64 };
    float *u = randn(N, 60, 3.0), *v = randn(N, 61, 1.0), *dy = randn(N, 62, 1.0);
    float out[N], du[N] = { 0 }, dv[N] = { 0 };
    u[0] = 100, u[1] = -100; /* e^-u overflows at the second */
    swiglu_forward(out, u, v, N);
    swiglu_backward(du, dv, dy, u, v, N);
    for (int i = 0; i < N; i++) {
        double x = u[i], sig = 1 / (1 + exp(-x)), silu = x * sig;
        double want_du = dy[i] * v[i] * (sig + x * sig * (1 - sig));
        double want_dv = dy[i] * silu;
        ck_assert(isfinite(du[i]) && isfinite(dv[i]) && isfinite(out[i]));
        ck_assert_double_le(fabs(out[i] - silu * v[i]), 1e-5 * (fabs(silu * v[i]) + 1e-20));
        ck_assert_double_le(fabs(du[i] - want_du), 1e-5 * (fabs(want_du) + 1e-20));
        ck_assert_double_le(fabs(dv[i] - want_dv), 1e-5 * (fabs(want_dv) + 1e-20));
    }
    ck_assert_int_eq(swiglu_hidden(288, 32), 768);
    ck_assert_int_eq(swiglu_hidden(4096, 256), 11008);
    free(u); free(v); free(dy);
}
END_TEST

/* ---- grouped-query attention ---- */

static void ref_gqa(double *out, const double *qkv, int B, int T, int C, int NH, int NKV)
{
    int hs = C / NH, G = NH / NKV, W = C + 2 * NKV * hs;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const double *base = qkv + (long)b * T * W, *q = base + t * W + h * hs;
                double sc[64], m = -INFINITY, sum = 0;
                for (int s = 0; s <= t; s++) {
                    const double *k = base + s * W + C + (h / G) * hs;
                    double d = 0;
                    for (int i = 0; i < hs; i++) d += q[i] * k[i];
                    sc[s] = d / sqrt(hs);
                    m = fmax(m, sc[s]);
                }
                for (int s = 0; s <= t; s++) sum += sc[s] = exp(sc[s] - m);
                double *o = out + ((long)b * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) o[i] = 0;
                for (int s = 0; s <= t; s++) {
                    const double *v = base + s * W + C + NKV * hs + (h / G) * hs;
                    for (int i = 0; i < hs; i++) o[i] += sc[s] / sum * v[i];
                }
            }
}

static double gqa_loss(const double *v, void *params)
{
    struct op_loss *p = params;
    size_t n = (size_t)p->B * p->T * p->C;
    ref_gqa(p->y, v, p->B, p->T, p->C, p->NH, p->NKV);
    double L = 0;
    for (size_t i = 0; i < n; i++) L += p->dy[i] * p->y[i];
    return L;
}

static const int kv_heads[] = { 4, 2, 1 };

START_TEST(gqa_forward_and_backward)
{
    enum { B = 2, T = 5, C = 16, NH = 4 };
    int NKV = kv_heads[_i], hs = C / NH, W = C + 2 * NKV * hs;
    size_t nq = (size_t)B * T * W, no = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    float *qkv = randn(nq, 70 + _i, 1.0), *dy = randn(no, 80 + _i, 1.0);
    float *out = malloc(no * sizeof *out), *preatt = malloc(na * sizeof *preatt),
          *att = malloc(na * sizeof *att), *datt = malloc(na * sizeof *datt),
          *dpreatt = malloc(na * sizeof *dpreatt), *dqkv = calloc(nq, sizeof *dqkv);
    ck_assert_int_eq(gqa_attention_forward(out, preatt, att, qkv, B, T, C, NH, NKV), 0);
    double *qkv64 = to_double(qkv, nq), *out64 = malloc(no * sizeof *out64);
    ref_gqa(out64, qkv64, B, T, C, NH, NKV);
    ck_assert_double_le(relative_max_error(out, out64, no, 1.0), 1e-5);
    if (NKV == NH) { /* multi-head: Chapter 7's attention on the same numbers */
        float *out7 = malloc(no * sizeof *out7);
        attention_forward(out7, preatt, att, qkv, B, T, C, NH);
        for (size_t i = 0; i < no; i++)
            ck_assert_double_le(fabs(out7[i] - out[i]), 1e-6);
        free(out7);
        gqa_attention_forward(out, preatt, att, qkv, B, T, C, NH, NKV);
    }
    ck_assert_int_eq(gqa_attention_backward(dqkv, datt, dpreatt, dy, qkv, att, B, T, C, NH,
                                            NKV), 0);
    double *dy64 = to_double(dy, no), *num = malloc(nq * sizeof *num),
           *abserr = malloc(nq * sizeof *abserr);
    struct op_loss p = { 0, C, dy64, out64, B, T, NH, NKV, 0 };
    numerical_gradient(gqa_loss, qkv64, nq, &p, 1e-3, num, abserr);
    ck_assert_double_le(relative_max_error(dqkv, num, nq, 1e-3), 1e-4);
    /* one thread and two give the same bytes */
    float *d1 = calloc(nq, sizeof *d1), *d2 = calloc(nq, sizeof *d2);
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    gqa_attention_backward(d1, datt, dpreatt, dy, qkv, att, B, T, C, NH, NKV);
    omp_set_num_threads(2);
    gqa_attention_backward(d2, datt, dpreatt, dy, qkv, att, B, T, C, NH, NKV);
    omp_set_num_threads(threads);
    ck_assert_int_eq(memcmp(d1, d2, nq * sizeof *d1), 0);
    ck_assert_int_eq(gqa_attention_forward(out, preatt, att, qkv, B, T, C, NH, 3), -1);
    ck_assert_ptr_nonnull(gqa_shape_error(12, 4, 1)); /* an odd head size */
    free(qkv); free(dy); free(out); free(preatt); free(att); free(datt); free(dpreatt);
    free(dqkv); free(qkv64); free(out64); free(dy64); free(num); free(abserr);
    free(d1); free(d2);
}
END_TEST

START_TEST(gqa_cache_steps_give_the_batch_outputs)
{
    enum { T = 7, C = 16, NH = 4, NKV = 2, W = C + 2 * NKV * (C / NH) };
    float *qkv = randn(T * W, 90, 1.0), out[T * C], step[C];
    float *preatt = malloc(NH * T * T * sizeof *preatt), *att = malloc(NH * T * T * sizeof *att);
    gqa_attention_forward(out, preatt, att, qkv, 1, T, C, NH, NKV);
    struct gqa_cache *cache = gqa_cache_create(T, C, NH, NKV);
    ck_assert_ptr_nonnull(cache);
    for (int t = 0; t < T; t++) {
        ck_assert_int_eq(gqa_attention_step(step, qkv + t * W, cache), 0);
        for (int i = 0; i < C; i++)
            ck_assert_double_le(fabs(step[i] - out[t * C + i]), 1e-6);
    }
    ck_assert_int_eq(gqa_attention_step(step, qkv, cache), -1); /* full */
    gqa_cache_free(cache);
    free(qkv); free(preatt); free(att);
}
END_TEST


/* ---- the whole model against an independent float64 Llama ---- */

enum { MB = 2, MT = 4 };
static const int model_inputs[MB * MT] = { 1, 4, 4, 0, 8, 2, 7, 4 };
static const int model_targets[MB * MT] = { 4, 4, 0, 3, 2, 7, 4, 1 };

/* Two small Llama-block models: grouped (H_kv = 1 of 2 heads) with a tied
   head and a padded token table, and multi-head with an untied head. */
static const struct gpt_config llama_small[2] = {
    { .max_seq_len = 6, .vocab_size = 9, .padded_vocab_size = 12, .num_layers = 2,
      .num_heads = 2, .channels = 8, .arch = ARCH_LLAMA, .num_kv_heads = 1,
      .hidden_dim = 12, .untied_head = 0 },
    { .max_seq_len = 6, .vocab_size = 9, .padded_vocab_size = 9, .num_layers = 2,
      .num_heads = 2, .channels = 8, .arch = ARCH_LLAMA, .num_kv_heads = 2,
      .hidden_dim = 10, .untied_head = 1 },
};

static void make_llama(struct gpt *m, const struct gpt_config *cfg, unsigned long seed)
{
    ck_assert_int_eq(gpt_create(m, cfg), 0);
    gsl_rng *rng = rng_create(seed);
    fill_normal(rng, m->params, m->num_params, 0.5);
    gsl_rng_free(rng);
}

static void ref_rms(double *y, const double *x, const double *w, int C)
{
    double ss = 0;
    for (int i = 0; i < C; i++) ss += x[i] * x[i];
    double s = 1 / sqrt(ss / C + 1e-5);
    for (int i = 0; i < C; i++) y[i] = w[i] * s * x[i];
}

static void ref_mat(double *y, const double *x, const double *W, int I, int O)
{
    for (int o = 0; o < O; o++) {
        double s = 0;
        for (int i = 0; i < I; i++) s += W[o * I + i] * x[i];
        y[o] = s;
    }
}

static void ref_rotate(double *x, int heads, int hs, int t)
{
    for (int h = 0; h < heads; h++)
        for (int i = 0; i < hs; i += 2) {
            double a = t * pow(10000.0, -(double)i / hs), x0 = x[h * hs + i],
                   x1 = x[h * hs + i + 1];
            x[h * hs + i] = x0 * cos(a) - x1 * sin(a);
            x[h * hs + i + 1] = x0 * sin(a) + x1 * cos(a);
        }
}

/* The mean loss of the batch, the parameters p in llama2.c's order, the
   offsets counted here and not taken from the program's table. */
static double ref_llama_loss(const double *p, void *params)
{
    const struct gpt_config *c = params;
    enum { MAXC = 16, MAXF = 16 };
    int C = c->channels, L = c->num_layers, NH = c->num_heads, NKV = c->num_kv_heads;
    int hs = C / NH, KV = NKV * hs, F = c->hidden_dim, V = c->vocab_size, G = NH / NKV;
    const double *wte = p, *rms_att = wte + c->padded_vocab_size * C, *wq = rms_att + L * C,
                 *wk = wq + L * C * C, *wv = wk + L * KV * C, *wo = wv + L * KV * C,
                 *rms_ffn = wo + L * C * C, *w1 = rms_ffn + L * C, *w2 = w1 + L * F * C,
                 *w3 = w2 + L * C * F, *rms_final = w3 + L * F * C;
    const double *wcls = c->untied_head ? rms_final + C : wte;
    double loss = 0;
    for (int b = 0; b < MB; b++) {
        double x[MT][MAXC], xn[MT][MAXC], q[MT][MAXC], k[MT][MAXC], v[MT][MAXC];
        for (int t = 0; t < MT; t++)
            for (int i = 0; i < C; i++) x[t][i] = wte[model_inputs[b * MT + t] * C + i];
        for (int l = 0; l < L; l++) {
            for (int t = 0; t < MT; t++) {
                ref_rms(xn[t], x[t], rms_att + l * C, C);
                ref_mat(q[t], xn[t], wq + l * C * C, C, C);
                ref_mat(k[t], xn[t], wk + l * KV * C, C, KV);
                ref_mat(v[t], xn[t], wv + l * KV * C, C, KV);
                ref_rotate(q[t], NH, hs, t);
                ref_rotate(k[t], NKV, hs, t);
            }
            for (int t = 0; t < MT; t++) {
                double o[MAXC] = { 0 }, y[MAXC];
                for (int h = 0; h < NH; h++) {
                    double sc[MT], m = -INFINITY, sum = 0;
                    int g = h / G;
                    for (int s = 0; s <= t; s++) {
                        sc[s] = 0;
                        for (int i = 0; i < hs; i++) sc[s] += q[t][h * hs + i] * k[s][g * hs + i];
                        sc[s] /= sqrt(hs);
                        m = fmax(m, sc[s]);
                    }
                    for (int s = 0; s <= t; s++) sum += sc[s] = exp(sc[s] - m);
                    for (int s = 0; s <= t; s++)
                        for (int i = 0; i < hs; i++) o[h * hs + i] += sc[s] / sum * v[s][g * hs + i];
                }
                ref_mat(y, o, wo + l * C * C, C, C);
                for (int i = 0; i < C; i++) x[t][i] += y[i];
            }
            for (int t = 0; t < MT; t++) {
                double n[MAXC], u[MAXF], w[MAXF], gate[MAXF], y[MAXC];
                ref_rms(n, x[t], rms_ffn + l * C, C);
                ref_mat(u, n, w1 + l * F * C, C, F);
                ref_mat(w, n, w3 + l * F * C, C, F);
                for (int i = 0; i < F; i++) gate[i] = u[i] / (1 + exp(-u[i])) * w[i];
                ref_mat(y, gate, w2 + l * C * F, F, C);
                for (int i = 0; i < C; i++) x[t][i] += y[i];
            }
        }
        for (int t = 0; t < MT; t++) {
            double n[MAXC], z[16], m = -INFINITY, sum = 0;
            ref_rms(n, x[t], rms_final, C);
            ref_mat(z, n, wcls, C, V);
            for (int j = 0; j < V; j++) m = fmax(m, z[j]);
            for (int j = 0; j < V; j++) sum += exp(z[j] - m);
            loss += m + log(sum) - z[model_targets[b * MT + t]];
        }
    }
    return loss / (MB * MT);
}

START_TEST(llama_layout_is_llama2c_order)
{
    const struct gpt_config *c = &llama_small[1];
    struct gpt m;
    ck_assert_int_eq(gpt_create(&m, c), 0);
    int C = 8, L = 2, KV = 8, F = 10, V = 9;
    size_t want[] = { V * C, L * C, L * C * C, L * KV * C, L * KV * C, L * C * C, L * C,
                      L * F * C, L * C * F, L * F * C, C, V * C };
    for (int i = 0; i < NUM_LLAMA_PARAM_TENSORS; i++)
        ck_assert_uint_eq(m.param_size[i], want[i]);
    for (int i = NUM_LLAMA_PARAM_TENSORS; i < NUM_PARAM_TENSORS; i++)
        ck_assert_uint_eq(m.param_size[i], 0);
    ck_assert_str_eq(llama_param_tensors[LLAMA_WCLS].name, "wcls");
    gpt_free(&m);
    /* a tied head has no tensor of its own */
    ck_assert_int_eq(gpt_create(&m, &llama_small[0]), 0);
    ck_assert_uint_eq(m.param_size[LLAMA_WCLS], 0);
    ck_assert_uint_eq(m.param_size[LLAMA_WK], 2 * 4 * 8);
    /* the initialisation: norms one, the residual projections smaller */
    ck_assert_int_eq(gpt_init(&m, 5), 0);
    for (size_t i = 0; i < m.param_size[LLAMA_RMS_FFN]; i++)
        ck_assert_float_eq(m.param[LLAMA_RMS_FFN][i], 1.0f);
    gpt_free(&m);
    /* configurations the Llama block refuses, and GPT-2 with its fields set */
    struct gpt_config bad = llama_small[0];
    bad.num_kv_heads = 3;
    ck_assert_ptr_nonnull(gpt_config_error(&bad));
    bad = llama_small[0], bad.hidden_dim = 0;
    ck_assert_ptr_nonnull(gpt_config_error(&bad));
    bad = llama_small[0], bad.untied_head = 2;
    ck_assert_ptr_nonnull(gpt_config_error(&bad));
    bad = llama_small[0], bad.arch = 7;
    ck_assert_ptr_nonnull(gpt_config_error(&bad));
    bad = llama_small[0], bad.arch = ARCH_GPT2;
    ck_assert_ptr_nonnull(gpt_config_error(&bad));
}
END_TEST

START_TEST(llama_loss_and_gradient_match_float64_model)
{
    const struct gpt_config *c = &llama_small[_i];
    struct gpt m;
    make_llama(&m, c, 3 + _i);
    char err[256];
    ck_assert_int_eq(gpt_forward(&m, model_inputs, model_targets, MB, MT, err, sizeof err), 0);
    size_t n = m.num_params;
    double *p = malloc(n * sizeof *p), *num = malloc(n * sizeof *num),
           *abserr = malloc(n * sizeof *abserr);
    for (size_t i = 0; i < n; i++) p[i] = m.params[i];
    double want = ref_llama_loss(p, (void *)c);
    ck_assert_double_le(fabs(m.mean_loss - want), 1e-4 * fabs(want));
    gpt_zero_grad(&m);
    ck_assert_int_eq(gpt_backward(&m), 0);
    numerical_gradient(ref_llama_loss, p, n, (void *)c, 1e-3, num, abserr);
    ck_assert_double_le(relative_max_error(m.grads, num, n, 1e-3), 1e-3);
    for (size_t i = (size_t)c->vocab_size * c->channels; i < m.param_size[LLAMA_WTE]; i++)
        ck_assert_float_eq(m.grad[LLAMA_WTE][i], 0.0f); /* padding rows */
    /* one thread and two: the same gradient, to the bit */
    float *g1 = malloc(n * sizeof *g1);
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    gpt_forward(&m, model_inputs, model_targets, MB, MT, err, sizeof err);
    gpt_zero_grad(&m), gpt_backward(&m);
    memcpy(g1, m.grads, n * sizeof *g1);
    omp_set_num_threads(2);
    gpt_forward(&m, model_inputs, model_targets, MB, MT, err, sizeof err);
    gpt_zero_grad(&m), gpt_backward(&m);
    omp_set_num_threads(threads);
    ck_assert_mem_eq(g1, m.grads, n * sizeof *g1);
    free(g1); free(p); free(num); free(abserr);
    gpt_free(&m);
}
END_TEST

START_TEST(llama_checkpoint_round_trip)
{
    struct gpt m, r;
    char err[256], path[] = "/tmp/longhand-llama-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    make_llama(&m, &llama_small[_i], 4);
    ck_assert_int_eq(gpt_save(&m, path, err, sizeof err), 0);
    ck_assert_int_eq(gpt_load(&r, path, err, sizeof err), 0);
    ck_assert_mem_eq(&r.config, &m.config, sizeof m.config);
    ck_assert_mem_eq(r.params, m.params, m.num_params * sizeof(float));
    gpt_free(&r);
    /* a header whose key-value heads do not divide the heads is refused */
    FILE *f = fopen(path, "r+b");
    int three = 3;
    fseek(f, 8 * sizeof(int), SEEK_SET);
    fwrite(&three, sizeof three, 1, f);
    fclose(f);
    ck_assert_int_eq(gpt_load(&r, path, err, sizeof err), -1);
    unlink(path);
    gpt_free(&m);
}
END_TEST

START_TEST(llama_steps_equal_full_pass)
{
    enum { T = 20 };
    struct gpt_config cfg = llama_small[_i];
    cfg.max_seq_len = T;
    struct gpt m;
    make_llama(&m, &cfg, 6);
    char err[256];
    int tokens[T];
    for (int i = 0; i < T; i++) tokens[i] = (i * 5 + 2) % 9;
    struct gpt_cache *g = gpt_cache_create(&m, T), *h = gpt_cache_create(&m, T);
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_null(g->layer);
    int KV = 2 * cfg.num_kv_heads * (cfg.channels / cfg.num_heads);
    for (int t = 1; t <= T; t++) {
        ck_assert_int_eq(gpt_step(&m, g, tokens[t - 1]), 0);
        ck_assert_int_eq(gpt_forward(&m, tokens, NULL, 1, t, err, sizeof err), 0);
        double scale = 0, diff = 0;
        for (int j = 0; j < 9; j++) {
            float full = m.act[ACT_LOGITS][(size_t)(t - 1) * 9 + j];
            scale = fmax(scale, fabs(full));
            diff = fmax(diff, fabs(g->logits[j] - full));
        }
        ck_assert_double_le(diff, 1e-5 * scale);
        gpt_cache_rewind(h, 0);
        ck_assert_int_eq(gpt_prefill(&m, h, tokens, t, err, sizeof err), 0);
        for (int l = 0; l < cfg.num_layers; l++) {
            double kv_scale = 0, kv_diff = 0;
            for (int i = 0; i < t * KV; i++) {
                kv_scale = fmax(kv_scale, fabs(h->gqa[l]->kv[i]));
                kv_diff = fmax(kv_diff, fabs(h->gqa[l]->kv[i] - g->gqa[l]->kv[i]));
            }
            ck_assert_double_le(kv_diff, 1e-5 * kv_scale);
        }
    }
    ck_assert_int_eq(gpt_step(&m, g, 0), -1); /* full */
    gpt_cache_rewind(g, 2);
    ck_assert_int_eq(g->gqa[1]->len, 2);
    ck_assert_int_eq(gpt_step(&m, g, 9), -1); /* outside the vocabulary */
    ck_assert_int_eq(gpt_step(&m, g, 8), 0);
    /* one thread and two: the same step, to the bit */
    float one[9];
    int threads = omp_get_max_threads();
    omp_set_num_threads(1);
    gpt_cache_rewind(g, 2);
    gpt_step(&m, g, 3);
    memcpy(one, g->logits, sizeof one);
    omp_set_num_threads(2);
    gpt_cache_rewind(g, 2);
    gpt_step(&m, g, 3);
    omp_set_num_threads(threads);
    ck_assert_mem_eq(one, g->logits, sizeof one);
    gpt_cache_free(g), gpt_cache_free(h);
    gpt_free(&m);
}
END_TEST

START_TEST(llama_init_and_sample_commands)
{
    char out[4096], err[1024], model[64];
    snprintf(model, sizeof model, "/tmp/longhand-llama-%d.bin", (int)getpid());
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "init --arch llama --layers 2"
                              " --heads 4 --kv-heads 2 --channels 16 --context 12 --vocab 50257"
                              " --seed 5 -o %s", model), 0);
    struct gpt m;
    ck_assert_int_eq(gpt_load(&m, model, err, sizeof err), 0);
    ck_assert_int_eq(m.config.arch, ARCH_LLAMA);
    ck_assert_int_eq(m.config.num_kv_heads, 2);
    ck_assert_int_eq(m.config.hidden_dim, swiglu_hidden(16, 32));
    ck_assert_int_eq(m.config.padded_vocab_size, 50257);
    gpt_free(&m);
    /* greedy generation through the grouped cache fills the context */
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "sample --model %s --tokenizer"
                              " build/gpt2 --prompt 'The cat' --ids --temperature 0", model), 0);
    int n = 0;
    for (char *w = strtok(out, " \n"); w; w = strtok(NULL, " \n"))
        n++;
    ck_assert_int_eq(n, 10);
    remove(model);
    static const char *const refused[] = {
        "init --arch llama --layers 1 --heads 4 --kv-heads 3 --channels 16 --context 8"
        " --vocab 11 -o x.bin",
        "init --arch llama --layers 1 --heads 2 --channels 6 --context 8 --vocab 11 -o x.bin",
        "init --arch mamba --layers 1 --heads 2 --channels 8 --context 8 --vocab 11 -o x.bin",
        "init --kv-heads 1 --layers 1 --heads 2 --channels 8 --context 8 --vocab 11 -o x.bin",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "%s", refused[i]), 2);
}
END_TEST

/* ---- llama2.c's checkpoints ---- */

static char *temp_path(const char *tag)
{
    static char paths[8][96];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, sizeof paths[0], "/tmp/longhand-%s-%d-%d", tag, (int)getpid(), next);
    return p;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

START_TEST(llama2c_round_trip_and_layout)
{
    struct gpt_config cfg = llama_small[_i];
    cfg.padded_vocab_size = cfg.vocab_size;
    struct gpt m, r;
    char out[256], err[1024];
    make_llama(&m, &cfg, 7);
    char *ours = temp_path("ours"), *theirs = temp_path("l2c"), *back = temp_path("back");
    ck_assert_int_eq(gpt_save(&m, ours, err, sizeof err), 0);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "convert --to llama2c %s -o %s",
                              ours, theirs), 0);
    /* the layout: the header, the weights in order, the rotation tables, the head */
    int C = cfg.channels, V = cfg.vocab_size, T = cfg.max_seq_len, hs = C / cfg.num_heads;
    size_t head = cfg.untied_head ? (size_t)V * C : 0, freqs = (size_t)T * hs;
    ck_assert_int_eq(file_size(theirs), (long)(7 * sizeof(int)
                     + (m.num_params + freqs) * sizeof(float)));
    FILE *f = fopen(theirs, "rb");
    int h[7];
    ck_assert_int_eq(fread(h, sizeof h, 1, f), 1);
    int want[7] = { C, cfg.hidden_dim, cfg.num_layers, cfg.num_heads, cfg.num_kv_heads,
                    cfg.untied_head ? -V : V, T };
    ck_assert_mem_eq(h, want, sizeof want);
    float *body = malloc((m.num_params + freqs) * sizeof *body);
    ck_assert_int_eq(fread(body, sizeof *body, m.num_params + freqs, f), m.num_params + freqs);
    fclose(f);
    size_t before_head = m.num_params - head;
    ck_assert_mem_eq(body, m.params, before_head * sizeof(float));
    ck_assert_mem_eq(body + before_head + freqs, m.param[LLAMA_WCLS], head * sizeof(float));
    ck_assert_float_eq(body[(size_t)(m.param[LLAMA_WQ] - m.params)], m.param[LLAMA_WQ][0]);
    const float *cosines = body + before_head, *sines = cosines + freqs / 2;
    for (int t = 0; t < T; t++)
        for (int j = 0; j < hs / 2; j++) {
            double a = t * pow(10000.0, -2.0 * j / hs);
            ck_assert_double_le(fabs(cosines[t * hs / 2 + j] - cos(a)), 1e-5);
            ck_assert_double_le(fabs(sines[t * hs / 2 + j] - sin(a)), 1e-5);
        }
    free(body);
    /* and back: the same configuration and weights, to the byte */
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "convert --from llama2c %s -o %s",
                              theirs, back), 0);
    ck_assert_int_eq(gpt_load(&r, back, err, sizeof err), 0);
    ck_assert_mem_eq(&r.config, &m.config, sizeof m.config);
    ck_assert_mem_eq(r.params, m.params, m.num_params * sizeof(float));
    gpt_free(&r);
    /* a padded token table exports its first V rows */
    gpt_free(&m);
    make_llama(&m, &llama_small[0], 8);
    ck_assert_int_eq(llama2c_save(&m, theirs, err, sizeof err), 0);
    ck_assert_int_eq(llama2c_load(&r, theirs, err, sizeof err), 0);
    ck_assert_mem_eq(r.params, m.params, (size_t)9 * 8 * sizeof(float));
    ck_assert_mem_eq(r.param[LLAMA_RMS_ATT], m.param[LLAMA_RMS_ATT],
                     (size_t)(m.params + m.num_params - m.param[LLAMA_RMS_ATT]) * sizeof(float));
    gpt_free(&r);
    gpt_free(&m);
    unlink(ours), unlink(theirs), unlink(back);
}
END_TEST

/* Write a llama2.c header h and n floats of zeros; return the path. */
static char *write_llama2c(const int h[7], size_t n)
{
    char *path = temp_path("bad");
    FILE *f = fopen(path, "wb");
    fwrite(h, sizeof(int), 7, f);
    float zero = 0;
    for (size_t i = 0; i < n; i++)
        fwrite(&zero, sizeof zero, 1, f);
    fclose(f);
    return path;
}

START_TEST(llama2c_reader_refuses_bad_files)
{
    struct gpt m;
    char err[1024], out[256];
    /* a good file: C 8, F 12, L 1, H 2, H_kv 1, V 5, T 4 */
    const int good[7] = { 8, 12, 1, 2, 1, 5, 4 };
    size_t n = 5 * 8 + 8 + 64 + 2 * 32 + 64 + 8 + 3 * 96 + 8 + 4 * 4;
    char *path = write_llama2c(good, n);
    ck_assert_int_eq(llama2c_load(&m, path, err, sizeof err), 0);
    ck_assert_int_eq(m.config.num_kv_heads, 1);
    gpt_free(&m);
    unlink(path);
    path = write_llama2c(good, n - 1);
    ck_assert_int_eq(llama2c_load(&m, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "size does not match"));
    unlink(path);
    path = write_llama2c(good, n + 1);
    ck_assert_int_eq(llama2c_load(&m, path, err, sizeof err), -1);
    unlink(path);
    /* untied: the file must also hold the head */
    int untied[7] = { 8, 12, 1, 2, 1, -5, 4 };
    path = write_llama2c(untied, n);
    ck_assert_int_eq(llama2c_load(&m, path, err, sizeof err), -1);
    unlink(path);
    path = write_llama2c(untied, n + 5 * 8);
    ck_assert_int_eq(llama2c_load(&m, path, err, sizeof err), 0);
    ck_assert_int_eq(m.config.untied_head, 1);
    gpt_free(&m);
    unlink(path);
    /* headers no file can satisfy, each refused before anything is allocated */
    static const int bad[][7] = {
        { 8, 12, 1, 2, 1, INT_MIN, 4 }, { 8, 12, 1, 2, 1, 0, 4 }, { 0, 12, 1, 2, 1, 5, 4 },
        { 8, 12, 1, 2, 3, 5, 4 },       { 8, 12, 1, 2, 0, 5, 4 }, { 8, 0, 1, 2, 1, 5, 4 },
        { 8, 12, 1, 2, 1, 5, 0 },       { 6, 12, 1, 2, 1, 5, 4 }, { -8, 12, 1, 2, 1, 5, 4 },
        { 65536, 1 << 20, 1024, 1024, 1024, 1 << 20, 65536 },
        { 8, 12, 1 << 30, 2, 1, 5, 4 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        path = write_llama2c(bad[i], n);
        ck_assert_msg(llama2c_load(&m, path, err, sizeof err) == -1, "accepted header %zu", i);
        ck_assert_ptr_null(m.params);
        unlink(path);
    }
    path = write_llama2c(good, 0);
    ck_assert_int_eq(truncate(path, 10), 0);
    ck_assert_int_eq(llama2c_load(&m, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "too short"));
    unlink(path);
    ck_assert_int_eq(llama2c_load(&m, "/tmp", err, sizeof err), -1);
    ck_assert_int_eq(llama2c_load(&m, "/nonexistent/x.bin", err, sizeof err), -1);
    /* the command's usage errors, and a GPT-2 model, which has no llama2.c form */
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "convert x"), 2);  /* no -o */
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err,
                              "convert --from llama2c --to llama2c x -o y"), 2);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "convert --from gguf x -o y"), 2);
    char *gpt2 = temp_path("gpt2"), *dest = temp_path("dest");
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "init --layers 1 --heads 2"
                              " --channels 8 --context 8 --vocab 11 -o %s", gpt2), 0);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "convert --to llama2c %s -o %s",
                              gpt2, dest), 1);
    ck_assert_ptr_nonnull(strstr(err, "only the Llama block"));
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "convert --from llama2c %s -o %s",
                              gpt2, dest), 1);
    ck_assert_int_eq(access(dest, F_OK), -1);
    unlink(gpt2);
}
END_TEST

Suite *llama_suite(void)
{
    Suite *s = suite_create("llama");
    TCase *tc = tcase_create("operations");
    tcase_add_test(tc, rmsnorm_forward_matches_float64);
    tcase_add_loop_test(tc, rmsnorm_backward_matches_numerical_gradient, 0, 4);
    tcase_add_test(tc, rope_keeps_lengths_and_scores_depend_on_offset);
    tcase_add_test(tc, rope_backward_is_the_transpose);
    tcase_add_test(tc, swiglu_backward_matches_derivative);
    tcase_add_loop_test(tc, gqa_forward_and_backward, 0, 3);
    tcase_add_test(tc, gqa_cache_steps_give_the_batch_outputs);
    suite_add_tcase(s, tc);
    TCase *model = tcase_create("model");
    tcase_add_test(model, llama_layout_is_llama2c_order);
    tcase_add_loop_test(model, llama_loss_and_gradient_match_float64_model, 0, 2);
    tcase_add_loop_test(model, llama_checkpoint_round_trip, 0, 2);
    tcase_add_loop_test(model, llama_steps_equal_full_pass, 0, 2);
    tcase_add_test(model, llama_init_and_sample_commands);
    tcase_add_loop_test(model, llama2c_round_trip_and_layout, 0, 2);
    tcase_add_test(model, llama2c_reader_refuses_bad_files);
    tcase_set_timeout(model, 120);
    suite_add_tcase(s, model);
    return s;
}
