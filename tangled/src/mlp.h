/* mlp.h: tangled from book/06-mlp.nw; edit the book, not this file. */
#ifndef LONGHAND_MLP_H
#define LONGHAND_MLP_H

/* mlp.h: GELU */
/* out[i] = GELU_tanh(inp[i]), GPT-2's approximation, for i < n. */
void gelu_forward(float *out, const float *inp, long n);
/* dinp[i] += GELU_tanh'(inp[i]) * dout[i], for i < n. */
void gelu_backward(float *dinp, const float *inp, const float *dout, long n);
/* out[i] = inp[i] * Phi(inp[i]), the exact GELU, for comparison. */
void gelu_exact_forward(float *out, const float *inp, long n);
/* mlp.h: the MLP */
/* y[BT x C] = MLP(x[BT x C]) by (eq. mlp); saves h and a [BT x 4C] for the
   backward pass.  fcw [4C x C], fcb [4C], projw [C x 4C], projb [C].
   Returns 0, or -1 if BT or C < 1. */
int mlp_forward(float *y, float *h, float *a, const float *x, const float *fcw,
                const float *fcb, const float *projw, const float *projb, int BT, int C);
/* mlp.h: the MLP */
/* From dy [BT x C], accumulate dx [BT x C] and the gradients of the four
   parameters; x, h, a, fcw, projw are the forward pass's.  da and dh are
   scratch arrays of [BT x 4C].  Returns 0, or -1 if BT or C < 1. */
int mlp_backward(float *dx, float *dfcw, float *dfcb, float *dprojw, float *dprojb,
                 float *da, float *dh, const float *dy, const float *x, const float *h,
                 const float *a, const float *fcw, const float *projw, int BT, int C);
#endif
