/* llama.c: tangled from book/15-llama.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"
#include "support.h"
/* llama.c: includes */
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include "gpt.h"
#include "matmul.h"

/* llama.c: RMSNorm */
int rmsnorm_forward(float *out, float *rstd, const float *inp, const float *weight,
                    long BT, int C)
{
    if (BT < 1 || C < 1)
        return -1;
    #pragma omp parallel for schedule(static)
    for (long bt = 0; bt < BT; bt++) {
        const float *x = inp + bt * C;
        float ss = 0.0f;
        for (int i = 0; i < C; i++)
            ss += x[i] * x[i];
        ss /= C;
        float s = 1.0f / sqrtf(ss + RMSNORM_EPS);
        for (int i = 0; i < C; i++)
            out[bt * C + i] = weight[i] * (s * x[i]);
        rstd[bt] = s;
    }
    return 0;
}
/* llama.c: RMSNorm */
int rmsnorm_backward(float *dinp, float *dweight, const float *dout, const float *inp,
                     const float *weight, const float *rstd, long BT, int C)
{
    if (BT < 1 || C < 1)
        return -1;
    #pragma omp parallel for schedule(static)
    for (long bt = 0; bt < BT; bt++) {
        const float *x = inp + bt * C, *dy = dout + bt * C;
        float s = rstd[bt], gxhat_mean = 0.0f;
        for (int i = 0; i < C; i++)
            gxhat_mean += weight[i] * dy[i] * x[i] * s;
        gxhat_mean /= C;
        for (int i = 0; i < C; i++)
            dinp[bt * C + i] += s * (weight[i] * dy[i] - x[i] * s * gxhat_mean);
    }
    #pragma omp parallel for schedule(static)
    for (int i = 0; i < C; i++) {
        float dw = 0.0f;
        for (long bt = 0; bt < BT; bt++)
            dw += dout[bt * C + i] * inp[bt * C + i] * rstd[bt];
        dweight[i] += dw;
    }
    return 0;
}
/* llama.c: rotary positions */
static void rope_rotate(float *x, int B, int T, int n_heads, int hs, long stride,
                        int pos0, float sign)
{
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float *row = x + ((long)b * T + t) * stride;
            for (int i = 0; i < hs; i += 2) {
                float theta = 1.0f / powf(ROPE_THETA, (float)i / (float)hs);
                float angle = (float)(pos0 + t) * theta;
                float c = cosf(angle), s = sign * sinf(angle);
                for (int h = 0; h < n_heads; h++) {
                    float *pair = row + h * hs + i, x0 = pair[0], x1 = pair[1];
                    pair[0] = x0 * c - x1 * s;
                    pair[1] = x0 * s + x1 * c;
                }
            }
        }
}

void rope_forward(float *x, int B, int T, int n_heads, int hs, long stride, int pos0)
{
    rope_rotate(x, B, T, n_heads, hs, stride, pos0, 1.0f);
}

void rope_backward(float *dx, int B, int T, int n_heads, int hs, long stride, int pos0)
{
    rope_rotate(dx, B, T, n_heads, hs, stride, pos0, -1.0f);
}
/* llama.c: SwiGLU */
void swiglu_forward(float *out, const float *u, const float *v, long n)
{
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float silu = u[i] * (1.0f / (1.0f + expf(-u[i])));
        out[i] = silu * v[i];
    }
}

void swiglu_backward(float *du, float *dv, const float *dout, const float *u,
                     const float *v, long n)
{
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float sig = 1.0f / (1.0f + expf(-u[i]));
        float dsilu = sig + u[i] * sig * (1.0f - sig);
        du[i] += dout[i] * v[i] * dsilu;
        dv[i] += dout[i] * u[i] * sig;
    }
}
/* llama.c: SwiGLU */
int swiglu_hidden(int C, int multiple_of)
{
    long F = 2L * 4 * C / 3;
    return (int)((F + multiple_of - 1) / multiple_of * multiple_of);
}
/* llama.c: grouped-query attention */
const char *gqa_shape_error(int C, int NH, int NKV)
{
    if (C < 1 || NH < 1 || NKV < 1)
        return "sizes must be at least 1";
    if (C % NH != 0)
        return "the number of heads must divide the channels";
    if (NH % NKV != 0)
        return "the number of key-value heads must divide the number of heads";
    if ((C / NH) % 2 != 0)
        return "the head size must be even for rotary positions";
    return NULL;
}
/* llama.c: grouped-query attention */
/* out[hs] = sum_s P_s v_s over s <= t; scores in preatt[0..t], weights in att. */
static void gqa_attend(float *out, float *preatt, float *att, const float *q,
                       const float *k, const float *v, long stride, int t, int hs)
{
    float m = -INFINITY, root = sqrtf((float)hs);
    for (int s = 0; s <= t; s++) {
        float dot = 0.0f;
        for (int i = 0; i < hs; i++)
            dot += q[i] * k[s * stride + i];
        preatt[s] = dot / root;
        m = preatt[s] > m ? preatt[s] : m;
    }
    float sum = 0.0f;
    for (int s = 0; s <= t; s++) {
        att[s] = expf(preatt[s] - m);
        sum += att[s];
    }
    for (int s = 0; s <= t; s++)
        att[s] /= sum;
    for (int i = 0; i < hs; i++)
        out[i] = 0.0f;
    for (int s = 0; s <= t; s++)
        for (int i = 0; i < hs; i++)
            out[i] += att[s] * v[s * stride + i];
}
/* llama.c: grouped-query attention */
int gqa_attention_forward(float *out, float *preatt, float *att, const float *qkv,
                          int B, int T, int C, int NH, int NKV)
{
    if (B < 1 || T < 1 || gqa_shape_error(C, NH, NKV))
        return -1;
    int hs = C / NH, G = NH / NKV;
    long W = C + 2L * NKV * hs;
    #pragma omp parallel for collapse(3) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *base = qkv + (long)b * T * W;
                const float *k = base + C + (long)(h / G) * hs, *v = k + (long)NKV * hs;
                long row = (((long)b * NH + h) * T + t) * T;
                gqa_attend(out + ((long)b * T + t) * C + h * hs, preatt + row, att + row,
                           base + t * W + h * hs, k, v, W, t, hs);
                for (int s = t + 1; s < T; s++) {
                    preatt[row + s] = -INFINITY;
                    att[row + s] = 0.0f;
                }
            }
    return 0;
}
/* llama.c: grouped-query attention */
int gqa_attention_backward(float *dqkv, float *datt, float *dpreatt, const float *dout,
                           const float *qkv, const float *att, int B, int T, int C,
                           int NH, int NKV)
{
    if (B < 1 || T < 1 || gqa_shape_error(C, NH, NKV))
        return -1;
    int hs = C / NH, G = NH / NKV;
    long W = C + 2L * NKV * hs;
    float root = sqrtf((float)hs);
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int g = 0; g < NKV; g++)
            for (int h = g * G; h < (g + 1) * G; h++)
                for (int t = 0; t < T; t++) {
                    /* back through query head h at position t into its group's dk, dv */
                    long row = (((long)b * NH + h) * T + t) * T, base = (long)b * T * W;
                    long kofs = base + C + (long)g * hs, vofs = kofs + (long)NKV * hs;
                    const float *q = qkv + base + t * W + h * hs, *k = qkv + kofs, *v = qkv + vofs;
                    const float *p = att + row, *dy = dout + ((long)b * T + t) * C + h * hs;
                    float *dq = dqkv + base + t * W + h * hs, *dk = dqkv + kofs, *dv = dqkv + vofs;
                    float *dp = datt + row, *ds = dpreatt + row, pdp = 0.0f;
                    for (int s = 0; s <= t; s++) {
                        float dot = 0.0f;
                        for (int i = 0; i < hs; i++) {
                            dot += dy[i] * v[s * W + i];
                            dv[s * W + i] += p[s] * dy[i];
                        }
                        dp[s] = dot;
                        pdp += p[s] * dot;
                    }
                    for (int s = 0; s <= t; s++)
                        ds[s] = p[s] * (dp[s] - pdp) / root;
                    for (int s = 0; s <= t; s++)
                        for (int i = 0; i < hs; i++) {
                            dq[i] += ds[s] * k[s * W + i];
                            dk[s * W + i] += ds[s] * q[i];
                        }
                }
    return 0;
}
/* llama.c: grouped-query attention */
struct gqa_cache *gqa_cache_create(int max_T, int C, int NH, int NKV)
{
    if (max_T < 1 || gqa_shape_error(C, NH, NKV))
        return NULL;
    struct gqa_cache *cache = calloc(1, sizeof *cache);
    if (!cache)
        return NULL;
    size_t kv = 2 * (size_t)NKV * (size_t)(C / NH);
    *cache = (struct gqa_cache){ max_T, C, NH, NKV, 0,
                                 malloc((size_t)max_T * kv * sizeof(float)),
                                 malloc((size_t)NH * max_T * sizeof(float)),
                                 malloc((size_t)NH * max_T * sizeof(float)) };
    if (!cache->kv || !cache->att || !cache->preatt) {
        gqa_cache_free(cache);
        return NULL;
    }
    return cache;
}

void gqa_cache_free(struct gqa_cache *cache)
{
    if (cache) {
        free(cache->kv);
        free(cache->att);
        free(cache->preatt);
        free(cache);
    }
}
/* llama.c: grouped-query attention */
int gqa_attention_step(float *out, const float *qkv_t, struct gqa_cache *cache)
{
    if (cache->len >= cache->max_T)
        return -1;
    int C = cache->C, NH = cache->NH, NKV = cache->NKV, hs = C / NH, G = NH / NKV;
    int t = cache->len;
    long KV = (long)NKV * hs;
    memcpy(cache->kv + t * 2 * KV, qkv_t + C, 2 * (size_t)KV * sizeof(float));
    #pragma omp parallel for schedule(static)
    for (int h = 0; h < NH; h++) {
        const float *k = cache->kv + (long)(h / G) * hs;
        gqa_attend(out + h * hs, cache->preatt + (long)h * cache->max_T,
                   cache->att + (long)h * cache->max_T, qkv_t + h * hs, k, k + KV,
                   2 * KV, t, hs);
    }
    cache->len++;
    return 0;
}
/* llama.c: the model */
/* The sizes the Llama block's code uses, from the configuration. */
struct llama_sizes {
    int C, NH, NKV, hs, KV, F;  /* KV = NKV * hs, the width of k and of v */
    long W;                     /* C + 2 KV: a row of [q k v] */
};

static struct llama_sizes llama_sizes(const struct gpt_config *c)
{
    int hs = c->channels / c->num_heads, KV = c->num_kv_heads * hs;
    return (struct llama_sizes){ c->channels, c->num_heads, c->num_kv_heads, hs, KV,
                                 c->hidden_dim, c->channels + 2L * KV };
}

void llama_act_sizes(const struct gpt_config *cfg, int B, int T, size_t *s)
{
    struct llama_sizes z = llama_sizes(cfg);
    size_t L = (size_t)cfg->num_layers, C = (size_t)z.C, BT = (size_t)B * T;
    size_t NH = (size_t)z.NH, F = (size_t)z.F, V = (size_t)cfg->vocab_size;
    memset(s, 0, NUM_ACT_TENSORS * sizeof *s);
    s[ACT_ENCODED] = s[ACT_LNF] = BT * C;
    s[ACT_LN1] = s[ACT_ATTY] = s[ACT_ATTPROJ] = s[ACT_RESIDUAL2] = L * BT * C;
    s[ACT_LN2] = s[ACT_FCPROJ] = s[ACT_RESIDUAL3] = L * BT * C;
    s[ACT_LN1_RSTD] = s[ACT_LN2_RSTD] = L * BT;
    s[ACT_QKV] = L * BT * (size_t)z.W;
    s[ACT_PREATT] = BT * NH * T, s[ACT_ATT] = L * BT * NH * T;
    s[ACT_FCH] = L * 2 * BT * F, s[ACT_FCH_GELU] = L * BT * F;
    s[ACT_LNF_RSTD] = s[ACT_LOSSES] = BT;
    s[ACT_LOGITS] = s[ACT_PROBS] = BT * V;
}
/* llama.c: the model */
struct llama_layer {
    float *rms_att, *wq, *wk, *wv, *wo, *rms_ffn, *w1, *w2, *w3;
};
struct llama_acts {
    float *ln1, *rstd1, *qkv, *atty, *preatt, *att, *attproj, *residual2,
          *ln2, *rstd2, *u, *v, *gate, *fcproj, *residual3;
};

static struct llama_layer llama_layer(float *const p[], const struct gpt_config *c, int l)
{
    struct llama_sizes z = llama_sizes(c);
    size_t C = (size_t)z.C, KV = (size_t)z.KV, F = (size_t)z.F;
    return (struct llama_layer){
        p[LLAMA_RMS_ATT] + l * C, p[LLAMA_WQ] + l * C * C, p[LLAMA_WK] + l * KV * C,
        p[LLAMA_WV] + l * KV * C, p[LLAMA_WO] + l * C * C, p[LLAMA_RMS_FFN] + l * C,
        p[LLAMA_W1] + l * F * C, p[LLAMA_W2] + l * C * F, p[LLAMA_W3] + l * F * C,
    };
}

static struct llama_acts llama_acts(float *const a[], const struct gpt_config *c,
                                    int B, int T, int l)
{
    struct llama_sizes z = llama_sizes(c);
    size_t BT = (size_t)B * T, btc = l * BT * z.C, bt = l * BT, F = (size_t)z.F;
    return (struct llama_acts){
        a[ACT_LN1] + btc, a[ACT_LN1_RSTD] + bt, a[ACT_QKV] + bt * z.W, a[ACT_ATTY] + btc,
        a[ACT_PREATT], a[ACT_ATT] + l * BT * z.NH * T, a[ACT_ATTPROJ] + btc,
        a[ACT_RESIDUAL2] + btc, a[ACT_LN2] + btc, a[ACT_LN2_RSTD] + bt,
        a[ACT_FCH] + 2 * bt * F, a[ACT_FCH] + (2 * bt + BT) * F, a[ACT_FCH_GELU] + bt * F,
        a[ACT_FCPROJ] + btc, a[ACT_RESIDUAL3] + btc,
    };
}
/* llama.c: the model */
/* out[BT x OC] (rows ldo apart) = inp[BT x C] weight[OC x C]^T. */
static void project_rows(float *out, long ldo, const float *inp, const float *weight,
                         long BT, int C, int OC)
{
    #pragma omp parallel for schedule(static)
    for (long r = 0; r < BT; r++)
        memset(out + r * ldo, 0, (size_t)OC * sizeof(float));
    struct matrix X = { inp, C, 1 }, Wt = { weight, 1, C };
    gemm_strided((int)BT, OC, C, X, Wt, out, ldo, MATMUL_KERNEL_BEST, 1);
}

/* dinp += dout weight and dweight += dout^T inp, dout's rows ldd apart. */
static void project_rows_backward(float *dinp, float *dweight, const float *dout, long ldd,
                                  const float *inp, const float *weight, long BT, int C,
                                  int OC)
{
    struct matrix G = { dout, ldd, 1 }, Gt = { dout, 1, ldd };
    struct matrix Wm = { weight, C, 1 }, X = { inp, C, 1 };
    gemm_strided((int)BT, C, OC, G, Wm, dinp, C, MATMUL_KERNEL_BEST, 1);
    gemm_strided(OC, C, (int)BT, Gt, X, dweight, C, MATMUL_KERNEL_BEST, 1);
}
/* llama.c: the model */
static void embed(float *out, const int *ids, const float *wte, long BT, int C)
{
    #pragma omp parallel for schedule(static)
    for (long bt = 0; bt < BT; bt++)
        memcpy(out + bt * C, wte + (size_t)ids[bt] * C, (size_t)C * sizeof(float));
}

static void embed_backward(float *dwte, const float *dout, const int *ids, long BT, int C)
{
    #pragma omp parallel for schedule(static)
    for (int i = 0; i < C; i++)
        for (long bt = 0; bt < BT; bt++)
            dwte[(size_t)ids[bt] * C + i] += dout[bt * C + i];
}

static void add_rows(float *out, const float *x, const float *y, long n)
{
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++)
        out[i] = x[i] + y[i];
}
/* llama.c: the model */
void llama_logits_forward(struct gpt *m)
{
    const struct gpt_config *c = &m->config;
    struct llama_sizes z = llama_sizes(c);
    int B = m->B, T = m->T, C = z.C;
    long BT = (long)B * T;
    embed(m->act[ACT_ENCODED], m->inputs, m->param[LLAMA_WTE], BT, C);
    for (int l = 0; l < c->num_layers; l++) {
        struct llama_layer w = llama_layer(m->param, c, l);
        struct llama_acts a = llama_acts(m->act, c, B, T, l);
        const float *h_in = l == 0 ? m->act[ACT_ENCODED]
                                    : llama_acts(m->act, c, B, T, l - 1).residual3;
        /* run the attention branch of Llama block l */
        rmsnorm_forward(a.ln1, a.rstd1, h_in, w.rms_att, BT, C);
        project_rows(a.qkv, z.W, a.ln1, w.wq, BT, C, C);
        project_rows(a.qkv + C, z.W, a.ln1, w.wk, BT, C, z.KV);
        project_rows(a.qkv + C + z.KV, z.W, a.ln1, w.wv, BT, C, z.KV);
        rope_forward(a.qkv, B, T, z.NH, z.hs, z.W, 0);
        rope_forward(a.qkv + C, B, T, z.NKV, z.hs, z.W, 0);
        gqa_attention_forward(a.atty, a.preatt, a.att, a.qkv, B, T, C, z.NH, z.NKV);
        matmul_forward(a.attproj, a.atty, w.wo, NULL, BT, C, C);
        add_rows(a.residual2, h_in, a.attproj, BT * C);
        /* run the MLP branch of Llama block l */
        rmsnorm_forward(a.ln2, a.rstd2, a.residual2, w.rms_ffn, BT, C);
        matmul_forward(a.u, a.ln2, w.w1, NULL, BT, C, z.F);
        matmul_forward(a.v, a.ln2, w.w3, NULL, BT, C, z.F);
        swiglu_forward(a.gate, a.u, a.v, BT * z.F);
        matmul_forward(a.fcproj, a.gate, w.w2, NULL, BT, z.F, C);
        add_rows(a.residual3, a.residual2, a.fcproj, BT * C);
    }
    /* apply the final RMSNorm and score every token */
    const float *h_last = llama_acts(m->act, c, B, T, c->num_layers - 1).residual3;
    rmsnorm_forward(m->act[ACT_LNF], m->act[ACT_LNF_RSTD], h_last, m->param[LLAMA_RMS_FINAL],
                    BT, C);
    matmul_forward(m->act[ACT_LOGITS], m->act[ACT_LNF],
                   m->param[c->untied_head ? LLAMA_WCLS : LLAMA_WTE], NULL, BT, C,
                   c->vocab_size);
}
/* llama.c: the model */
void llama_logits_backward(struct gpt *m)
{
    const struct gpt_config *c = &m->config;
    struct llama_sizes z = llama_sizes(c);
    int B = m->B, T = m->T, C = z.C, last = c->num_layers - 1;
    int head = c->untied_head ? LLAMA_WCLS : LLAMA_WTE;
    long BT = (long)B * T;
    matmul_backward(m->grad_act[ACT_LNF], m->grad[head], NULL, m->grad_act[ACT_LOGITS],
                    m->act[ACT_LNF], m->param[head], BT, C, c->vocab_size);
    rmsnorm_backward(llama_acts(m->grad_act, c, B, T, last).residual3,
                     m->grad[LLAMA_RMS_FINAL], m->grad_act[ACT_LNF],
                     llama_acts(m->act, c, B, T, last).residual3, m->param[LLAMA_RMS_FINAL],
                     m->act[ACT_LNF_RSTD], BT, C);
    for (int l = last; l >= 0; l--) {
        /* run Llama block l backward */
        struct llama_layer w = llama_layer(m->param, c, l), g = llama_layer(m->grad, c, l);
        struct llama_acts a = llama_acts(m->act, c, B, T, l);
        struct llama_acts d = llama_acts(m->grad_act, c, B, T, l);
        const float *h_in = l == 0 ? m->act[ACT_ENCODED]
                                    : llama_acts(m->act, c, B, T, l - 1).residual3;
        float *dh_in = l == 0 ? m->grad_act[ACT_ENCODED]
                              : llama_acts(m->grad_act, c, B, T, l - 1).residual3;
        /* back through the Llama MLP branch into d.residual2 */
        matmul_backward(d.gate, g.w2, NULL, d.residual3, a.gate, w.w2, BT, z.F, C);
        swiglu_backward(d.u, d.v, d.gate, a.u, a.v, BT * z.F);
        matmul_backward(d.ln2, g.w1, NULL, d.u, a.ln2, w.w1, BT, C, z.F);
        matmul_backward(d.ln2, g.w3, NULL, d.v, a.ln2, w.w3, BT, C, z.F);
        add_rows(d.residual2, d.residual2, d.residual3, BT * C);
        rmsnorm_backward(d.residual2, g.rms_ffn, d.ln2, a.residual2, w.rms_ffn, a.rstd2, BT, C);
        /* back through the Llama attention branch into dh_in */
        matmul_backward(d.atty, g.wo, NULL, d.residual2, a.atty, w.wo, BT, C, C);
        add_rows(dh_in, dh_in, d.residual2, BT * C);
        gqa_attention_backward(d.qkv, d.att, d.preatt, d.atty, a.qkv, a.att, B, T, C, z.NH, z.NKV);
        rope_backward(d.qkv, B, T, z.NH, z.hs, z.W, 0);
        rope_backward(d.qkv + C, B, T, z.NKV, z.hs, z.W, 0);
        project_rows_backward(d.ln1, g.wq, d.qkv, z.W, a.ln1, w.wq, BT, C, C);
        project_rows_backward(d.ln1, g.wk, d.qkv + C, z.W, a.ln1, w.wk, BT, C, z.KV);
        project_rows_backward(d.ln1, g.wv, d.qkv + C + z.KV, z.W, a.ln1, w.wv, BT, C, z.KV);
        rmsnorm_backward(dh_in, g.rms_att, d.ln1, h_in, w.rms_att, a.rstd1, BT, C);
    }
    embed_backward(m->grad[LLAMA_WTE], m->grad_act[ACT_ENCODED], m->inputs, BT, C);
}
/* llama.c: the model */
struct gpt_cache *llama_cache_create(const struct gpt *m, int max_T)
{
    const struct gpt_config *c = &m->config;
    struct llama_sizes z = llama_sizes(c);
    struct gpt_cache *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    size_t C = (size_t)z.C, F = (size_t)z.F, f = sizeof(float);
    *g = (struct gpt_cache){ c->num_layers, max_T, 0, NULL, malloc(C * f), malloc(C * f),
                             malloc((size_t)z.W * f), malloc(C * f), malloc(C * f),
                             malloc(2 * F * f), malloc(F * f),
                             malloc((size_t)c->vocab_size * f),
                             calloc((size_t)c->num_layers, sizeof *g->gqa), NULL };
    int ok = g->x && g->ln && g->qkv && g->atty && g->branch && g->fch && g->fch_gelu
             && g->logits && g->gqa;
    for (int l = 0; ok && l < c->num_layers; l++)
        ok = (g->gqa[l] = gqa_cache_create(max_T, z.C, z.NH, z.NKV)) != NULL;
    if (!ok) {
        gpt_cache_free(g);
        return NULL;
    }
    return g;
}
/* llama.c: the model */
/* out[OC] = weight[OC x C] x[C]: one row's product, for generation. */
static void matvec(float *out, const float *x, const float *weight, int C, int OC)
{
    #pragma omp parallel for schedule(static)
    for (int o = 0; o < OC; o++) {
        const float *row = weight + (size_t)o * C;
        float sum = 0.0f;
        #pragma omp simd reduction(+:sum)
        for (int k = 0; k < C; k++)
            sum += row[k] * x[k];
        out[o] = sum;
    }
}
/* llama.c: the model */
int llama_step(const struct gpt *m, struct gpt_cache *g, int token)
{
    const struct gpt_config *c = &m->config;
    struct llama_sizes z = llama_sizes(c);
    int C = z.C, V = c->vocab_size, t = g->len;
    float s;
    if (t >= g->max_T || token < 0 || token >= V)
        return -1;
    memcpy(g->x, m->param[LLAMA_WTE] + (size_t)token * C, (size_t)C * sizeof(float));
    for (int l = 0; l < c->num_layers; l++) {
        /* run Llama block l on the one new row */
        struct llama_layer w = llama_layer(m->param, c, l);
        float *q = g->qkv, *k = q + C, *v = k + z.KV;
        rmsnorm_forward(g->ln, &s, g->x, w.rms_att, 1, C);
        matvec(q, g->ln, w.wq, C, C);
        matvec(k, g->ln, w.wk, C, z.KV);
        matvec(v, g->ln, w.wv, C, z.KV);
        rope_forward(q, 1, 1, z.NH, z.hs, z.W, t);
        rope_forward(k, 1, 1, z.NKV, z.hs, z.W, t);
        gqa_attention_step(g->atty, g->qkv, g->gqa[l]);
        matvec(g->branch, g->atty, w.wo, C, C);
        add_rows(g->x, g->x, g->branch, C);
        rmsnorm_forward(g->ln, &s, g->x, w.rms_ffn, 1, C);
        matvec(g->fch, g->ln, w.w1, C, z.F);
        matvec(g->fch + z.F, g->ln, w.w3, C, z.F);
        swiglu_forward(g->fch_gelu, g->fch, g->fch + z.F, z.F);
        matvec(g->branch, g->fch_gelu, w.w2, z.F, C);
        add_rows(g->x, g->x, g->branch, C);
    }
    rmsnorm_forward(g->ln, &s, g->x, m->param[LLAMA_RMS_FINAL], 1, C);
    matvec(g->logits, g->ln, m->param[c->untied_head ? LLAMA_WCLS : LLAMA_WTE], C, V);
    g->len++;
    return 0;
}
/* llama.c: the model */
void llama_cache_fill(const struct gpt *m, struct gpt_cache *g, int n)
{
    const struct gpt_config *c = &m->config;
    struct llama_sizes z = llama_sizes(c);
    for (int l = 0; l < c->num_layers; l++) {
        const float *qkv = llama_acts(m->act, c, 1, n, l).qkv;
        for (int t = 0; t < n; t++)
            memcpy(g->gqa[l]->kv + (size_t)t * 2 * z.KV, qkv + t * z.W + z.C,
                   2 * (size_t)z.KV * sizeof(float));
        g->gqa[l]->len = n;
    }
}
/* llama.c: llama2.c's checkpoints */
/* The floats of the rotation tables llama2.c's files carry: 2 x T_max x hs/2. */
static size_t llama2c_freq_floats(const struct gpt_config *c)
{
    return (size_t)c->max_seq_len * (size_t)(c->channels / c->num_heads);
}

int llama2c_load(struct gpt *m, const char *path, char *err, size_t errlen)
{
    memset(m, 0, sizeof *m);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    int h[LLAMA2C_HEADER_INTS];
    struct stat st;
    struct gpt_config cfg = { 0 };
    const char *why = NULL;
    /* read and check a llama2.c header into cfg */
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)
        || fread(h, sizeof h, 1, f) != 1)
        why = "too short to hold llama2.c's header of 7 ints";
    else if (h[5] == INT_MIN || h[5] == 0)
        why = "the vocabulary size is not a size";
    else {
        cfg = (struct gpt_config){ .channels = h[0], .hidden_dim = h[1], .num_layers = h[2],
                                   .num_heads = h[3], .num_kv_heads = h[4],
                                   .vocab_size = abs(h[5]), .padded_vocab_size = abs(h[5]),
                                   .max_seq_len = h[6], .arch = ARCH_LLAMA,
                                   .untied_head = h[5] < 0 };
        why = gpt_config_error(&cfg);
    }
    /* check the llama2.c file's size against cfg */
    size_t sizes[NUM_PARAM_TENSORS], n = 0;
    if (!why) {
        param_sizes(&cfg, sizes);
        n = layout_total(sizes, NUM_PARAM_TENSORS);
        unsigned long long want = sizeof h
            + ((unsigned long long)n + llama2c_freq_floats(&cfg)) * sizeof(float);
        if (n == 0 || (unsigned long long)st.st_size != want)
            why = "its size does not match the sizes in its header";
    }
    /* allocate the model and read the llama2.c weights, or say why not */
    size_t head = why ? 0 : sizes[LLAMA_WCLS], body = n - head;
    if (!why && gpt_create(m, &cfg) != 0)
        why = "out of memory";
    if (!why && (fread(m->params, sizeof(float), body, f) != body
                 || fseek(f, (long)(llama2c_freq_floats(&cfg) * sizeof(float)), SEEK_CUR) != 0
                 || fread(m->params + body, sizeof(float), head, f) != head))
        why = "cannot read the weights";
    fclose(f);
    if (why) {
        gpt_free(m);
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    return 0;
}
/* llama.c: llama2.c's checkpoints */
int llama2c_save(const struct gpt *m, const char *path, char *err, size_t errlen)
{
    const struct gpt_config *c = &m->config;
    if (c->arch != ARCH_LLAMA) {
        snprintf(err, errlen, "%s: llama2.c's format holds only the Llama block", path);
        return -1;
    }
    int h[LLAMA2C_HEADER_INTS] = { c->channels, c->hidden_dim, c->num_layers, c->num_heads,
                                   c->num_kv_heads, c->untied_head ? -c->vocab_size
                                                                   : c->vocab_size,
                                   c->max_seq_len };
    size_t C = (size_t)c->channels, V = (size_t)c->vocab_size;
    size_t layers = m->param[LLAMA_WCLS] - m->param[LLAMA_RMS_ATT];  /* up to the head */
    size_t freqs = llama2c_freq_floats(c), head = c->untied_head ? V * C : 0;
    size_t total = V * C + layers + freqs + head;
    float *body = malloc(total * sizeof(float));
    if (!body)
        return snprintf(err, errlen, "%s: out of memory", path), -1;
    /* lay out the weights and the rotation tables in llama2.c's order in body */
    float *out = body;
    memcpy(out, m->param[LLAMA_WTE], V * C * sizeof(float));
    memcpy(out += V * C, m->param[LLAMA_RMS_ATT], layers * sizeof(float));
    out += layers;
    int hs = c->channels / c->num_heads;
    for (int part = 0; part < 2; part++)  /* the cosines, then the sines */
        for (int t = 0; t < c->max_seq_len; t++)
            for (int i = 0; i < hs; i += 2) {
                float theta = 1.0f / powf(ROPE_THETA, (float)i / (float)hs);
                float angle = (float)t * theta;
                *out++ = part == 0 ? cosf(angle) : sinf(angle);
            }
    if (head)
        memcpy(out, m->param[LLAMA_WCLS], head * sizeof(float));
    int status = write_file_atomically(path, h, sizeof h, body, total * sizeof(float),
                                       err, errlen);
    free(body);
    return status;
}
