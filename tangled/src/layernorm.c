/* layernorm.c: tangled from book/05-layernorm.nw; edit the book, not this file. */
#include <math.h>
#include "layernorm.h"

/* layernorm.c: the forward pass */
int layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                      const float *weight, const float *bias, int B, int T, int C)
{
    if (B < 1 || T < 1 || C < 1)
        return -1;
    #pragma omp parallel for schedule(static)
    for (long bt = 0; bt < (long)B * T; bt++) {
        const float *x = inp + bt * C;
        float *y = out + bt * C;
        /* compute m and r of x by the two-pass formulas */
        float m = 0.0f;
        for (int i = 0; i < C; i++)
            m += x[i];
        m /= C;
        float v = 0.0f;
        for (int i = 0; i < C; i++)
            v += (x[i] - m) * (x[i] - m);
        v /= C;
        float r = 1.0f / sqrtf(v + LAYERNORM_EPS);
        for (int i = 0; i < C; i++)
            y[i] = (x[i] - m) * r * weight[i] + bias[i];
        mean[bt] = m;
        rstd[bt] = r;
    }
    return 0;
}
/* layernorm.c: the backward pass */
int layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                       const float *inp, const float *weight, const float *mean,
                       const float *rstd, int B, int T, int C)
{
    if (B < 1 || T < 1 || C < 1)
        return -1;
    long BT = (long)B * T;
    /* accumulate dinp, one position at a time */
    #pragma omp parallel for schedule(static)
    for (long bt = 0; bt < BT; bt++) {
        const float *x = inp + bt * C, *dy = dout + bt * C;
        float m = mean[bt], r = rstd[bt], g_mean = 0.0f, gxhat_mean = 0.0f;
        for (int i = 0; i < C; i++) {
            float g = weight[i] * dy[i];
            g_mean += g;
            gxhat_mean += g * (x[i] - m) * r;
        }
        g_mean /= C;
        gxhat_mean /= C;
        for (int i = 0; i < C; i++) {
            float g = weight[i] * dy[i], xhat = (x[i] - m) * r;
            dinp[bt * C + i] += r * (g - g_mean - xhat * gxhat_mean);
        }
    }
    /* accumulate dweight and dbias, one channel at a time */
    #pragma omp parallel for schedule(static)
    for (int i = 0; i < C; i++) {
        float dw = 0.0f, db = 0.0f;
        for (long bt = 0; bt < BT; bt++) {
            float dy = dout[bt * C + i];
            dw += dy * (inp[bt * C + i] - mean[bt]) * rstd[bt];
            db += dy;
        }
        dweight[i] += dw;
        dbias[i] += db;
    }
    return 0;
}
