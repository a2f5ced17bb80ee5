/* adamw.c: tangled from book/10-adamw.nw; edit the book, not this file. */
#include <math.h>
#include <stdlib.h>
#include "adamw.h"

/* adamw.c: the optimiser's state */
struct adamw_hparams adamw_defaults(void)
{
    return (struct adamw_hparams){ .lr = 1e-4f, .beta1 = 0.9f, .beta2 = 0.999f,
                                   .eps = 1e-8f, .weight_decay = 0.0f };
}
/* adamw.c: the optimiser's state */
int adamw_create(struct adamw *opt, size_t n, struct adamw_hparams h)
{
    *opt = (struct adamw){ .h = h, .n = n, .m = calloc(n, sizeof(float)),
                           .v = calloc(n, sizeof(float)), .t = 0 };
    if (!opt->m || !opt->v) {
        adamw_free(opt);
        return -1;
    }
    return 0;
}
/* adamw.c: the optimiser's state */
void adamw_free(struct adamw *opt)
{
    free(opt->m);
    free(opt->v);
    opt->m = opt->v = NULL;
}
/* adamw.c: the update */
void adamw_update(struct adamw *opt, float *params, const float *grads)
{
    const struct adamw_hparams h = opt->h;
    int t = ++opt->t;
    float correction1 = 1.0f - powf(h.beta1, (float)t);
    float correction2 = 1.0f - powf(h.beta2, (float)t);
    #pragma omp parallel for schedule(static)
    for (size_t i = 0; i < opt->n; i++) {
        float g = grads[i];
        float m = h.beta1 * opt->m[i] + (1.0f - h.beta1) * g;
        float v = h.beta2 * opt->v[i] + (1.0f - h.beta2) * g * g;
        float m_hat = m / correction1, v_hat = v / correction2;
        opt->m[i] = m;
        opt->v[i] = v;
        params[i] -= h.lr * (m_hat / (sqrtf(v_hat) + h.eps) + h.weight_decay * params[i]);
    }
}
