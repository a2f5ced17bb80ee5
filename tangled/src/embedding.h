/* embedding.h: tangled from book/04-embeddings.nw; edit the book, not this file. */
#ifndef LONGHAND_EMBEDDING_H
#define LONGHAND_EMBEDDING_H

/* embedding.h: declarations */
/* out[B x T x C] = wte[tokens[b,t]] + wpe[t]; wte is [V_p x C], wpe at least
   [T x C].  Returns 0, or -1 (writing nothing) if a size is below one or a
   token id lies outside [0, V). */
int embedding_forward(float *out, const int *tokens, const float *wte,
                      const float *wpe, int B, int T, int C, int V);
/* embedding.h: declarations */
/* From dout [B x T x C], accumulate dwte[tokens[b,t]] += dout[b,t] and
   dwpe[t] += dout[b,t].  tokens must have passed embedding_forward.
   Returns 0, or -1 if a size is below one. */
int embedding_backward(float *dwte, float *dwpe, const float *dout,
                       const int *tokens, int B, int T, int C);
#endif
