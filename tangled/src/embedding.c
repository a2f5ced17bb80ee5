/* embedding.c: tangled from book/04-embeddings.nw; edit the book, not this file. */
#include "embedding.h"

/* embedding.c: check the token ids */
static int tokens_in_range(const int *tokens, long n, int V)
{
    for (long i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= V)
            return 0;
    return 1;
}
/* embedding.c: the forward pass */
int embedding_forward(float *out, const int *tokens, const float *wte,
                      const float *wpe, int B, int T, int C, int V)
{
    if (B < 1 || T < 1 || C < 1 || !tokens_in_range(tokens, (long)B * T, V))
        return -1;
    #pragma omp parallel for schedule(static)
    for (long bt = 0; bt < (long)B * T; bt++) {
        const float *te = wte + (long)tokens[bt] * C, *pe = wpe + (bt % T) * C;
        float *h = out + bt * C;
        for (int c = 0; c < C; c++)
            h[c] = te[c] + pe[c];
    }
    return 0;
}
/* embedding.c: the backward pass */
int embedding_backward(float *dwte, float *dwpe, const float *dout,
                       const int *tokens, int B, int T, int C)
{
    if (B < 1 || T < 1 || C < 1)
        return -1;
    #pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++)
        for (long bt = 0; bt < (long)B * T; bt++) {
            float g = dout[bt * C + c];
            dwte[(long)tokens[bt] * C + c] += g;
            dwpe[(bt % T) * C + c] += g;
        }
    return 0;
}
