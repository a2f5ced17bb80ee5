/* trace-backprop.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace-backprop.c: includes */
#include "gpt.h"

/* trace-backprop.c: the part */
static double norm2(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return sqrt(s);
}

void trace_backprop(struct trace *t)
{
    struct gpt *m = t->model;
    if (!m || !m->acts) {
        t->failed = 1;
        return;
    }
    gpt_zero_grad(m);
    gpt_backward(m);
    /* write the gradient's norm at each stage of the stream */
    size_t BT = (size_t)m->B * m->T, C = m->config.channels, L = m->config.num_layers;
    FILE *f = trace_table(t, "backprop-flow");
    if (f) {
        fprintf(f, "gradient with respect to\t\tnorm\n");
        double logits = norm2(m->grad_act[ACT_LOGITS], BT * m->config.vocab_size);
        fprintf(f, "logits\t$z$\t%.4e\n", logits);
        fprintf(f, "final LayerNorm output\t$\\operatorname{LN}_f(h^{(%zu)})$\t%.4e\n", L,
                norm2(m->grad_act[ACT_LNF], BT * C));
        for (size_t l = L; l-- > 0;) {
            fprintf(f, "block %zu output\t$h^{(%zu)}$\t%.4e\n", l + 1, l + 1,
                    norm2(m->grad_act[ACT_RESIDUAL3] + l * BT * C, BT * C));
            fprintf(f, "block %zu middle\t$r^{(%zu)}$\t%.4e\n", l + 1, l + 1,
                    norm2(m->grad_act[ACT_RESIDUAL2] + l * BT * C, BT * C));
        }
        double encoded = norm2(m->grad_act[ACT_ENCODED], BT * C);
        fprintf(f, "embedding output\t$h^{(0)}$\t%.4e\n", encoded);
        trace_value(t, "BackpropLogitsNorm", "%.3e", logits);
        trace_value(t, "BackpropEncodedNorm", "%.3e", encoded);
    }
    trace_close(t, f);
    /* write each parameter tensor's gradient norm */
    f = trace_table(t, "backprop-params");
    if (f) {
        fprintf(f, "tensor\tgradient norm\tparameter norm\n");
        for (int i = 0; i < NUM_PARAM_TENSORS; i++)
            fprintf(f, "`%s`\t%.4e\t%.4e\n", param_tensors[i].name,
                    norm2(m->grad[i], m->param_size[i]), norm2(m->param[i], m->param_size[i]));
    }
    trace_close(t, f);
}
