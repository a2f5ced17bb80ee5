/* attention.c: tangled from book/07-attention.nw; edit the book, not this file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "attention.h"

/* attention.c: checking shapes */
const char *attention_shape_error(int B, int T, int C, int NH, int max_T)
{
    if (B < 1 || T < 1 || C < 1 || NH < 1)
        return "sizes must be at least 1";
    if (C % NH != 0)
        return "the number of heads must divide the channels";
    if (max_T > 0 && T > max_T)
        return "the sequence is longer than the context";
    return NULL;
}
/* attention.c: one query against its keys */
/* out[hs] = sum_s P_s v_s over s <= t, writing the row's scores and weights
   into preatt[0..t] and att[0..t]. */
static void attend_one_query(float *out, float *preatt, float *att, const float *q,
                             const float *k, const float *v, long stride, int t, int hs)
{
    float scale = 1.0f / sqrtf((float)hs), m = -INFINITY;
    /* score the keys 0..t and find their maximum m */
    for (int s = 0; s <= t; s++) {
        float dot = 0.0f;
        #pragma omp simd reduction(+:dot)
        for (int i = 0; i < hs; i++)
            dot += q[i] * k[s * stride + i];
        preatt[s] = dot * scale;
        if (preatt[s] > m)
            m = preatt[s];
    }
    /* exponentiate with m subtracted and normalise the weights */
    float sum = 0.0f;
    for (int s = 0; s <= t; s++) {
        att[s] = expf(preatt[s] - m);
        sum += att[s];
    }
    float inv = 1.0f / sum; /* sum >= 1: the largest term is exp(0) */
    for (int s = 0; s <= t; s++)
        att[s] *= inv;
    /* sum the values weighted by att */
    for (int i = 0; i < hs; i++)
        out[i] = 0.0f;
    for (int s = 0; s <= t; s++) {
        #pragma omp simd
        for (int i = 0; i < hs; i++)
            out[i] += att[s] * v[s * stride + i];
    }
}
/* attention.c: the forward pass */
int attention_forward(float *out, float *preatt, float *att, const float *qkv,
                      int B, int T, int C, int NH)
{
    if (attention_shape_error(B, T, C, NH, 0))
        return -1;
    int hs = C / NH;
    #pragma omp parallel for collapse(3) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *base = qkv + (long)b * T * 3 * C + h * hs;
                long row = (((long)b * NH + h) * T + t) * T;
                attend_one_query(out + ((long)b * T + t) * C + h * hs, preatt + row,
                                 att + row, base + (long)t * 3 * C, base + C,
                                 base + 2 * C, 3 * C, t, hs);
                /* mask the entries of the row after position t */
                for (int s = t + 1; s < T; s++) {
                    preatt[row + s] = -INFINITY;
                    att[row + s] = 0.0f;
                }
            }
    return 0;
}
/* attention.c: the backward pass */
int attention_backward(float *dqkv, float *datt, float *dpreatt, const float *dout,
                       const float *qkv, const float *att, int B, int T, int C, int NH)
{
    if (attention_shape_error(B, T, C, NH, 0))
        return -1;
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    #pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                /* point at the vectors and rows of position t and their gradients */
                long row = (((long)b * NH + h) * T + t) * T;
                long x = (long)b * T * 3 * C + h * hs;
                const float *q = qkv + x + (long)t * 3 * C, *k = qkv + x + C,
                            *v = qkv + x + 2 * C, *p = att + row;
                float *dq = dqkv + x + (long)t * 3 * C, *dk = dqkv + x + C,
                      *dv = dqkv + x + 2 * C, *dp = datt + row, *ds = dpreatt + row;
                const float *dout_t = dout + ((long)b * T + t) * C + h * hs;
                /* backward through the weighted sum, eq. dP-dV */
                for (int s = 0; s <= t; s++) {
                    float dot = 0.0f;
                    #pragma omp simd reduction(+:dot)
                    for (int i = 0; i < hs; i++) {
                        dot += dout_t[i] * v[(long)s * 3 * C + i];
                        dv[(long)s * 3 * C + i] += p[s] * dout_t[i];
                    }
                    dp[s] = dot;
                }
                /* backward through the softmax, eq. softmax-vjp */
                float pdp = 0.0f;
                for (int s = 0; s <= t; s++)
                    pdp += p[s] * dp[s];
                for (int s = 0; s <= t; s++)
                    ds[s] = p[s] * (dp[s] - pdp);
                /* backward through the scores, eq. dQ-dK */
                for (int s = 0; s <= t; s++) {
                    #pragma omp simd
                    for (int i = 0; i < hs; i++) {
                        dq[i] += scale * ds[s] * k[(long)s * 3 * C + i];
                        dk[(long)s * 3 * C + i] += scale * ds[s] * q[i];
                    }
                }
            }
    return 0;
}
/* attention.c: the lean forward pass */
enum { ATTENTION_KEY_BLOCK = 64 };

int attention_forward_lean(float *out, const float *qkv, int B, int T, int C, int NH)
{
    if (attention_shape_error(B, T, C, NH, 0))
        return -1;
    int hs = C / NH;
    float scale = 1.0f / sqrtf((float)hs);
    #pragma omp parallel for collapse(3) schedule(static)
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int t = 0; t < T; t++) {
                const float *base = qkv + (long)b * T * 3 * C + h * hs;
                const float *q = base + (long)t * 3 * C, *k = base + C, *v = base + 2 * C;
                float *o = out + ((long)b * T + t) * C + h * hs;
                /* run the online softmax over the key blocks of position t */
                float m = -INFINITY, l = 0.0f, S[ATTENTION_KEY_BLOCK];
                for (int i = 0; i < hs; i++)
                    o[i] = 0.0f;
                for (int s0 = 0; s0 <= t; s0 += ATTENTION_KEY_BLOCK) {
                    int n = t + 1 - s0 < ATTENTION_KEY_BLOCK ? t + 1 - s0 : ATTENTION_KEY_BLOCK;
                    float m_new = m;
                    /* score the block's keys into S, raising m_new */
                    for (int j = 0; j < n; j++) {
                        const float *kj = k + (long)(s0 + j) * 3 * C;
                        float dot = 0.0f;
                        #pragma omp simd reduction(+:dot)
                        for (int i = 0; i < hs; i++)
                            dot += q[i] * kj[i];
                        S[j] = dot * scale;
                        if (S[j] > m_new)
                            m_new = S[j];
                    }
                    /* rescale l and o to m_new and add the block, eq. online-softmax */
                    float shrink = expf(m - m_new);
                    l *= shrink;
                    #pragma omp simd
                    for (int i = 0; i < hs; i++)
                        o[i] *= shrink;
                    for (int j = 0; j < n; j++) {
                        float e = expf(S[j] - m_new);
                        const float *vj = v + (long)(s0 + j) * 3 * C;
                        l += e;
                        #pragma omp simd
                        for (int i = 0; i < hs; i++)
                            o[i] += e * vj[i];
                    }
                    m = m_new;
                }
                for (int i = 0; i < hs; i++)
                    o[i] /= l;
            }
    return 0;
}
/* attention.c: the key-value cache */
struct kv_cache *kv_cache_create(int max_T, int C, int NH)
{
    if (attention_shape_error(1, max_T, C, NH, 0))
        return NULL;
    struct kv_cache *cache = calloc(1, sizeof *cache);
    if (!cache)
        return NULL;
    *cache = (struct kv_cache){ max_T, C, NH, 0,
                                malloc((size_t)max_T * 3 * C * sizeof(float)),
                                malloc((size_t)max_T * sizeof(float)),
                                malloc((size_t)max_T * sizeof(float)) };
    if (!cache->qkv || !cache->att || !cache->preatt) {
        kv_cache_free(cache);
        return NULL;
    }
    return cache;
}
/* attention.c: the key-value cache */
void kv_cache_free(struct kv_cache *cache)
{
    if (cache) {
        free(cache->qkv);
        free(cache->att);
        free(cache->preatt);
        free(cache);
    }
}
/* attention.c: the key-value cache */
int attention_step(float *out, const float *qkv_t, struct kv_cache *cache)
{
    if (cache->len >= cache->max_T)
        return -1;
    int C = cache->C, hs = C / cache->NH, t = cache->len;
    memcpy(cache->qkv + (long)t * 3 * C, qkv_t, 3 * (size_t)C * sizeof *qkv_t);
    for (int h = 0; h < cache->NH; h++) {
        const float *base = cache->qkv + h * hs;
        attend_one_query(out + h * hs, cache->preatt, cache->att,
                         base + (long)t * 3 * C, base + C, base + 2 * C, 3 * C, t, hs);
    }
    cache->len++;
    return 0;
}
