/* Exercise 7.6 (book/07-attention.nw): the backward pass of causal
   multi-head attention.  Grade it with `make grade EX=7.6`.

   qkv [B x T x 3C] holds each position's query, key and value (in that
   order, each C wide, head h in channels h*hs .. h*hs+hs-1, hs = C/NH); att
   [B x NH x T x T] the forward pass's weights, row t nonzero for s <= t.
   Given dout [B x T x C], accumulate (+=) the gradient into dqkv:
     datt[t,s]  = dout[t] . v[s]                       (from out = att V)
     dv[s]     += att[t,s] * dout[t]
     dpreatt    = the softmax VJP of datt: att * (datt - sum_s att * datt)
     dq[t]     += dpreatt[t,s] k[s] / sqrt(hs),   dk[s] += dpreatt[t,s] q[t] / sqrt(hs).
   datt and dpreatt [B x NH x T x T] are scratch for you to use.
   Return 0, or -1 if attention_shape_error(B, T, C, NH, 0) is not NULL. */
#include <math.h>
#include "attention.h"

int attention_backward(float *dqkv, float *datt, float *dpreatt, const float *dout,
                       const float *qkv, const float *att, int B, int T, int C, int NH)
{
    /* your code here */
    return 0;
}
