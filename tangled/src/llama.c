#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "llama.h"
/* llama.c: includes */
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
