/* trace-gpt.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace-gpt.c: includes */
#include "gpt.h"

/* trace-gpt.c: the part */
void trace_model(struct trace *t)
{
    int T = t->num_tokens - 1;
    char err[256];
    /* make the example's model and run it on the sentence */
    t->model = calloc(1, sizeof *t->model);
    if (t->tokens && T < 1)
        fprintf(stderr, "longhand trace: the sentence must have at least two tokens, "
                "an input and a target\n");
    if (!t->model || !t->tokens || T < 1 || gpt_create(t->model, &t->ex.model) != 0) {
        t->failed = 1;
        return;
    }
    memcpy(t->model->params, t->params, t->model->num_params * sizeof(float));
    if (gpt_forward(t->model, t->tokens, t->tokens + 1, 1, T, err, sizeof err) != 0) {
        fprintf(stderr, "longhand trace: model: %s\n", err);
        t->failed = 1;
        return;
    }
    trace_value(t, "ModelPositions", "%d", T);
    trace_value(t, "ModelLoss", "%.4f", t->model->mean_loss);
    trace_value(t, "ModelLogV", "%.4f", log((double)t->ex.model.vocab_size));
    double spread = 0.02 * sqrt((double)t->ex.model.channels); /* the exercise's s */
    trace_value(t, "ModelLogitSpread", "%.2f", spread);
    trace_value(t, "ModelLossExcess", "%.4f", spread * spread / 2);
    /* write each position's target, probability and loss */
    FILE *f = trace_table(t, "model-positions");
    if (f) {
        int V = t->ex.model.vocab_size;
        fprintf(f, "$t$\tinput\ttarget\t$p_t[y_t]$\t$\\ell_t$\t$\\max_j z_{t,j}$\n");
        for (int i = 0; i < T; i++) {
            const float *z = t->model->act[ACT_LOGITS] + (size_t)i * V;
            float zmax = z[0];
            for (int j = 1; j < V; j++)
                zmax = fmaxf(zmax, z[j]);
            fprintf(f, "%d\t", i);
            write_token_cell(f, t->tok, t->tokens[i]);
            fputc('\t', f);
            write_token_cell(f, t->tok, t->tokens[i + 1]);
            fprintf(f, "\t%.5f\t%.4f\t%.4f\n",
                    t->model->act[ACT_PROBS][(size_t)i * V + t->tokens[i + 1]],
                    t->model->act[ACT_LOSSES][i], zmax);
        }
    }
    trace_close(t, f);
}
