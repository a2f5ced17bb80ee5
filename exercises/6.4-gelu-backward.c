/* Exercise 6.4 (book/06-mlp.nw): the derivative of GPT-2's GELU.
   Grade it with `make grade EX=6.4`.

   GELU_tanh(x) = x/2 * (1 + tanh(u)), u = sqrt(2/pi) * (x + 0.044715 x^3).
   Accumulate dinp[i] += GELU_tanh'(inp[i]) * dout[i] for i < n, where
   GELU_tanh'(x) = (1 + tanh u)/2 + x/2 * (1 - tanh^2 u) * du/dx.
   tanhf from <math.h> is accurate enough; the result must stay finite for
   any finite input. */
#include <math.h>
#include "mlp.h"

void gelu_backward(float *dinp, const float *inp, const float *dout, long n)
{
    /* your code here */
}
