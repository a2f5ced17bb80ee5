/* Exercise 9.4 (book/09-backprop.nw): the MLP's backward pass as
   backpropagation through a graph of three nodes.  Grade it with
   `make grade EX=9.4`.

   The forward pass (book/06-mlp.nw) was h = x fcw^T + fcb [BT x 4C],
   a = GELU(h), y = a projw^T + projb [BT x C].  Given dy [BT x C], accumulate
   (+=) dx and the four parameter gradients, walking the graph backwards with
   the book's matmul_backward (matmul.h) and gelu_backward (mlp.h).  da and
   dh [BT x 4C] are scratch, yours to zero and use.
   Return 0, or -1 if BT or C is below one. */
#include <string.h>
#include "matmul.h"
#include "mlp.h"

int mlp_backward(float *dx, float *dfcw, float *dfcb, float *dprojw, float *dprojb,
                 float *da, float *dh, const float *dy, const float *x, const float *h,
                 const float *a, const float *fcw, const float *projw, int BT, int C)
{
    /* your code here */
    return 0;
}
