/* Exercise 5.5 (book/05-layernorm.nw): the backward pass of LayerNorm.
   Grade it with `make grade EX=5.5`.

   The forward pass computed, for each of the B*T rows x of inp [B x T x C],
   xhat = (x - mean) * rstd and out = xhat * weight + bias, and saved mean and
   rstd [B x T].  Given dout [B x T x C], accumulate (+=):
     dbias[i]   += sum over rows of dout[i]
     dweight[i] += sum over rows of dout[i] * xhat[i]
     dinp[j]    += rstd * (g[j] - mean_i g[i] - xhat[j] * mean_i (g[i] * xhat[i])),
   with g[i] = weight[i] * dout[i], the chapter's vector-Jacobian product
   (eq. ln-vjp).  Recompute xhat from inp, mean and rstd.
   Return 0, or -1 if B, T or C is below one. */
#include "layernorm.h"

int layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                       const float *inp, const float *weight, const float *mean,
                       const float *rstd, int B, int T, int C)
{
    /* your code here */
    return 0;
}
