/* layernorm.h: tangled from book/05-layernorm.nw; edit the book, not this file. */
#ifndef LONGHAND_LAYERNORM_H
#define LONGHAND_LAYERNORM_H

/* layernorm.h: declarations */
#define LAYERNORM_EPS 1e-5f /* GPT-2's epsilon: keeps r finite for a constant row */
/* out[B x T x C] = LayerNorm(inp) * weight[C] + bias[C]; saves mean and rstd
   [B x T] for the backward pass.  Returns 0, or -1 if B, T or C < 1. */
int layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                      const float *weight, const float *bias, int B, int T, int C);
/* layernorm.h: declarations */
/* From dout [B x T x C], accumulate dinp [B x T x C] by the vector-Jacobian
   product and dweight, dbias [C] by summing over positions.  inp, weight,
   mean, rstd are the forward pass's.  Returns 0, or -1 if B, T or C < 1. */
int layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                       const float *inp, const float *weight, const float *mean,
                       const float *rstd, int B, int T, int C);
#endif
