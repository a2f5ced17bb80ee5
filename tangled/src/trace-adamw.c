/* trace-adamw.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace-adamw.c: includes */
#include "adamw.h"

/* trace-adamw.c: the part */
void trace_adamw(struct trace *t)
{
    struct gpt *m = t->model;
    struct adamw opt;
    if (!m || !m->acts || adamw_create(&opt, m->num_params, adamw_defaults()) != 0) {
        t->failed = 1;
        return;
    }
    /* name the parameters the table shows and where they are */
    size_t C = (size_t)m->config.channels;
    const struct { const char *name; size_t at; } shown[] = {
        { "wte[x0][0]", (size_t)t->tokens[0] * C }, { "wte[0][0]", 0 },
        { "wpe[0][0]", m->param[PARAM_WPE] - m->params },
        { "qkvw[0]", m->param[PARAM_QKVW] - m->params },
        { "fcw[0]", m->param[PARAM_FCW] - m->params },
        { "lnfw[0]", m->param[PARAM_LNFW] - m->params },
    };
    /* update the model, keeping a copy of the parameters before */
    float *before = malloc(m->num_params * sizeof *before);
    if (!before) {
        t->failed = 1;
        adamw_free(&opt);
        return;
    }
    memcpy(before, m->params, m->num_params * sizeof *before);
    adamw_update(&opt, m->params, m->grads);
    /* write the first update of each parameter shown */
    enum { NUM_SHOWN = sizeof shown / sizeof shown[0] };
    float c1 = 1.0f - opt.h.beta1, c2 = 1.0f - opt.h.beta2; /* the corrections at t = 1 */
    double rows[8][NUM_SHOWN];
    for (int k = 0; k < NUM_SHOWN; k++) {
        size_t i = shown[k].at;
        double col[8] = { before[i], m->grads[i], opt.m[i], opt.v[i], opt.m[i] / c1,
                          opt.v[i] / c2, m->params[i] - before[i], m->params[i] };
        for (int r = 0; r < 8; r++)
            rows[r][k] = col[r];
    }
    /* write rows as a table, one column per parameter */
    static const char *const quantity[8] = { "$\\theta_0$", "$g$", "$m$", "$v$", "$\\hat m$",
                                             "$\\hat v$", "step", "$\\theta_1$" };
    FILE *f = trace_table(t, "adamw-first");
    if (f) {
        fprintf(f, " ");
        for (int k = 0; k < NUM_SHOWN; k++)
            fprintf(f, "\t\\texttt{%s}", shown[k].name);
        for (int r = 0; r < 8; r++) {
            fprintf(f, "\n%s", quantity[r]);
            for (int k = 0; k < NUM_SHOWN; k++)
                fprintf(f, r == 0 || r == 7 ? "\t%.5f" : "\t%.2e", rows[r][k]);
        }
        fputc('\n', f);
    }
    trace_close(t, f);
    trace_value(t, "AdamLr", "%g", opt.h.lr);
    /* measure the loss on the same batch after the update */
    char err[256];
    if (gpt_forward(m, t->tokens, t->tokens + 1, 1, t->num_tokens - 1, err, sizeof err) == 0)
        trace_value(t, "AdamLossAfter", "%.4f", m->mean_loss);
    else
        t->failed = 1;
    free(before);
    adamw_free(&opt);
}
