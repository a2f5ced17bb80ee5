/* Exercise 4.4 (book/04-embeddings.nw): the backward pass of the embeddings.
   Grade it with `make grade EX=4.4`.

   The forward pass set out[b,t] = wte[tokens[b,t]] + wpe[t].  Accumulate
   (+=, never =) into dwte [V_p x C] and dwpe [T_max x C] the gradient of the
   loss, given its gradient dout [B x T x C] with respect to out:
   dwte[tokens[b,t]] += dout[b,t] and dwpe[t] += dout[b,t], for every b and t.
   A token that occurs several times receives the sum of its positions'
   gradients.  Return 0, or -1 (writing nothing) if B, T or C is below one. */
#include "embedding.h"

int embedding_backward(float *dwte, float *dwpe, const float *dout,
                       const int *tokens, int B, int T, int C)
{
    /* your code here */
    return 0;
}
