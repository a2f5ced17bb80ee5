#line 175 "book/07-attention.nw"
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "attention.h"

#line 197 "book/07-attention.nw"
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
#line 223 "book/07-attention.nw"
/* out[hs] = sum_s P_s v_s over s <= t, writing the row's scores and weights
   into preatt[0..t] and att[0..t]. */
static void attend_one_query(float *out, float *preatt, float *att, const float *q,
                             const float *k, const float *v, long stride, int t, int hs)
{
    float scale = 1.0f / sqrtf((float)hs), m = -INFINITY;
    
#line 236 "book/07-attention.nw"
for (int s = 0; s <= t; s++) {
    float dot = 0.0f;
    #pragma omp simd reduction(+:dot)
    for (int i = 0; i < hs; i++)
        dot += q[i] * k[s * stride + i];
    preatt[s] = dot * scale;
    if (preatt[s] > m)
        m = preatt[s];
}
#line 230 "book/07-attention.nw"
    
#line 248 "book/07-attention.nw"
float sum = 0.0f;
for (int s = 0; s <= t; s++) {
    att[s] = expf(preatt[s] - m);
    sum += att[s];
}
float inv = 1.0f / sum; /* sum >= 1: the largest term is exp(0) */
for (int s = 0; s <= t; s++)
    att[s] *= inv;
#line 231 "book/07-attention.nw"
    
#line 259 "book/07-attention.nw"
for (int i = 0; i < hs; i++)
    out[i] = 0.0f;
for (int s = 0; s <= t; s++) {
    #pragma omp simd
    for (int i = 0; i < hs; i++)
        out[i] += att[s] * v[s * stride + i];
}
#line 232 "book/07-attention.nw"
}
#line 282 "book/07-attention.nw"
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
                
#line 304 "book/07-attention.nw"
for (int s = t + 1; s < T; s++) {
    preatt[row + s] = -INFINITY;
    att[row + s] = 0.0f;
}
#line 298 "book/07-attention.nw"
            }
    return 0;
}
#line 323 "book/07-attention.nw"
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
                
#line 351 "book/07-attention.nw"
long row = (((long)b * NH + h) * T + t) * T;
long x = (long)b * T * 3 * C + h * hs;
const float *q = qkv + x + (long)t * 3 * C, *k = qkv + x + C,
            *v = qkv + x + 2 * C, *p = att + row;
float *dq = dqkv + x + (long)t * 3 * C, *dk = dqkv + x + C,
      *dv = dqkv + x + 2 * C, *dp = datt + row, *ds = dpreatt + row;
const float *dout_t = dout + ((long)b * T + t) * C + h * hs;
#line 335 "book/07-attention.nw"
                
#line 361 "book/07-attention.nw"
for (int s = 0; s <= t; s++) {
    float dot = 0.0f;
    #pragma omp simd reduction(+:dot)
    for (int i = 0; i < hs; i++) {
        dot += dout_t[i] * v[(long)s * 3 * C + i];
        dv[(long)s * 3 * C + i] += p[s] * dout_t[i];
    }
    dp[s] = dot;
}
#line 336 "book/07-attention.nw"
                
#line 373 "book/07-attention.nw"
float pdp = 0.0f;
for (int s = 0; s <= t; s++)
    pdp += p[s] * dp[s];
for (int s = 0; s <= t; s++)
    ds[s] = p[s] * (dp[s] - pdp);
#line 337 "book/07-attention.nw"
                
#line 381 "book/07-attention.nw"
for (int s = 0; s <= t; s++) {
    #pragma omp simd
    for (int i = 0; i < hs; i++) {
        dq[i] += scale * ds[s] * k[(long)s * 3 * C + i];
        dk[(long)s * 3 * C + i] += scale * ds[s] * q[i];
    }
}
#line 338 "book/07-attention.nw"
            }
    return 0;
}
#line 430 "book/07-attention.nw"
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
                
#line 454 "book/07-attention.nw"
float m = -INFINITY, l = 0.0f, S[ATTENTION_KEY_BLOCK];
for (int i = 0; i < hs; i++)
    o[i] = 0.0f;
for (int s0 = 0; s0 <= t; s0 += ATTENTION_KEY_BLOCK) {
    int n = t + 1 - s0 < ATTENTION_KEY_BLOCK ? t + 1 - s0 : ATTENTION_KEY_BLOCK;
    float m_new = m;
    
#line 469 "book/07-attention.nw"
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
#line 461 "book/07-attention.nw"
    
#line 484 "book/07-attention.nw"
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
#line 462 "book/07-attention.nw"
    m = m_new;
}
for (int i = 0; i < hs; i++)
    o[i] /= l;
#line 446 "book/07-attention.nw"
            }
    return 0;
}
#line 537 "book/07-attention.nw"
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
#line 557 "book/07-attention.nw"
void kv_cache_free(struct kv_cache *cache)
{
    if (cache) {
        free(cache->qkv);
        free(cache->att);
        free(cache->preatt);
        free(cache);
    }
}
#line 578 "book/07-attention.nw"
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
