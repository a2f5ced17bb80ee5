/* mlp.c: tangled from book/06-mlp.nw; edit the book, not this file. */
#include <math.h>
#include <stdint.h>
#include <gsl/gsl_cdf.h>
#include "matmul.h"
#include "mlp.h"

/* mlp.c: a tanh that vectorises */
/* e^x for -87 <= x <= 0, to about 2 ulp, in straight-line arithmetic. */
static inline float exp_nonpositive(float x)
{
    const float log2e = 1.44269504f, ln2_hi = 0.693145751953125f,
                ln2_lo = 1.428606765330187e-06f, round = 12582912.0f; /* 1.5 * 2^23 */
    x = x >= -87.0f ? x : -87.0f; /* NaN too: converting NaN to int is undefined */
    float k = (x * log2e + round) - round;            /* nearest integer to x / ln 2 */
    float r = x - k * ln2_hi - k * ln2_lo;             /* |r| <= ln 2 / 2 */
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24
              + r * (1.0f / 120 + r * (1.0f / 720))))));
    union { int32_t i; float f; } two_to_k = { .i = ((int32_t)k + 127) * (1 << 23) };
    return p * two_to_k.f;
}

/* tanh(u) to an absolute error of a few 1e-7. */
static inline float tanh_vectorisable(float u)
{
    float e = exp_nonpositive(-2.0f * fabsf(u));
    return copysignf((1.0f - e) / (1.0f + e), u);
}
/* mlp.c: GELU */
#define GELU_SCALE ((float)0.79788456080286535588) /* sqrt(2 / pi) */
#define GELU_CUBIC 0.044715f

void gelu_forward(float *out, const float *inp, long n)
{
    #pragma omp parallel for simd schedule(static)
    for (long i = 0; i < n; i++) {
        float x = inp[i], u = GELU_SCALE * (x + GELU_CUBIC * x * x * x);
        out[i] = 0.5f * x * (1.0f + tanh_vectorisable(u));
    }
}
/* mlp.c: GELU */
void gelu_backward(float *dinp, const float *inp, const float *dout, long n)
{
    #pragma omp parallel for simd schedule(static)
    for (long i = 0; i < n; i++) {
        float x = inp[i], u = GELU_SCALE * (x + GELU_CUBIC * x * x * x);
        float th = tanh_vectorisable(u);
        float sech2 = 1.0f - th * th;
        float grad = 0.5f * (1.0f + th)
                   + 0.5f * x * sech2 * GELU_SCALE * (1.0f + 3.0f * GELU_CUBIC * x * x);
        dinp[i] += grad * dout[i];
    }
}
/* mlp.c: GELU */
void gelu_exact_forward(float *out, const float *inp, long n)
{
    for (long i = 0; i < n; i++)
        out[i] = (float)(inp[i] * gsl_cdf_ugaussian_P(inp[i]));
}
/* mlp.c: the MLP */
int mlp_forward(float *y, float *h, float *a, const float *x, const float *fcw,
                const float *fcb, const float *projw, const float *projb, int BT, int C)
{
    if (BT < 1 || C < 1)
        return -1;
    matmul_forward(h, x, fcw, fcb, BT, C, 4 * C);
    gelu_forward(a, h, (long)BT * 4 * C);
    matmul_forward(y, a, projw, projb, BT, 4 * C, C);
    return 0;
}
/* mlp.c: the MLP */
int mlp_backward(float *dx, float *dfcw, float *dfcb, float *dprojw, float *dprojb,
                 float *da, float *dh, const float *dy, const float *x, const float *h,
                 const float *a, const float *fcw, const float *projw, int BT, int C)
{
    if (BT < 1 || C < 1)
        return -1;
    long n = (long)BT * 4 * C;
    for (long i = 0; i < n; i++)
        da[i] = dh[i] = 0.0f;
    matmul_backward(da, dprojw, dprojb, dy, a, projw, BT, 4 * C, C);
    gelu_backward(dh, h, da, n);
    matmul_backward(dx, dfcw, dfcb, dh, x, fcw, BT, C, 4 * C);
    return 0;
}
