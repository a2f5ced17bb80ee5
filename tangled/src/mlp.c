#line 122 "book/06-mlp.nw"
#include <math.h>
#include <gsl/gsl_cdf.h>
#include "matmul.h"
#include "mlp.h"

#line 146 "book/06-mlp.nw"
#define GELU_SCALE ((float)0.79788456080286535588) /* sqrt(2 / pi) */
#define GELU_CUBIC 0.044715f

void gelu_forward(float *out, const float *inp, long n)
{
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + tanhf(GELU_SCALE * (x + GELU_CUBIC * x * x * x)));
    }
}
#line 164 "book/06-mlp.nw"
void gelu_backward(float *dinp, const float *inp, const float *dout, long n)
{
    #pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) {
        float x = inp[i];
        float th = tanhf(GELU_SCALE * (x + GELU_CUBIC * x * x * x));
        float sech2 = 1.0f - th * th;
        float grad = 0.5f * (1.0f + th)
                   + 0.5f * x * sech2 * GELU_SCALE * (1.0f + 3.0f * GELU_CUBIC * x * x);
        dinp[i] += grad * dout[i];
    }
}
#line 182 "book/06-mlp.nw"
void gelu_exact_forward(float *out, const float *inp, long n)
{
    for (long i = 0; i < n; i++)
        out[i] = (float)(inp[i] * gsl_cdf_ugaussian_P(inp[i]));
}
#line 203 "book/06-mlp.nw"
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
#line 228 "book/06-mlp.nw"
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
