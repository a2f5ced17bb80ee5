/* Exercise 10.4 (book/10-adamw.nw): one AdamW step.
   Grade it with `make grade EX=10.4`.

   With opt->h's lr, beta1, beta2, eps and weight_decay, and t = opt->t + 1:
     m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2,
     m_hat = m / (1 - beta1^t),     v_hat = v / (1 - beta2^t),
     theta -= lr * (m_hat / (sqrt(v_hat) + eps) + weight_decay * theta),
   for each of the opt->n parameters, keeping m and v in opt->m and opt->v.
   Then advance opt->t. */
#include <math.h>
#include "adamw.h"

void adamw_update(struct adamw *opt, float *params, const float *grads)
{
    /* your code here */
}
