/* trace-mlp.c: tangled from book/92-trace.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "trace.h"
/* trace-mlp.c: includes */
#include <gsl/gsl_cdf.h>
#include "mlp.h"

/* trace-mlp.c: the part */
enum { GELU_GRID_BLOCK = 1000, GELU_FIGURE_EVERY = 50 };

void trace_gelu(struct trace *t)
{
    FILE *f = trace_table(t, "mlp-gelu-curve");
    if (!f)
        return;
    fprintf(f, "$x$\t$\\mathrm{GELU}(x)$\t$\\mathrm{GELU}_{\\tanh}-\\mathrm{GELU}$\n");
    double worst = 0, worst_at = 0;
    float x[GELU_GRID_BLOCK], y[GELU_GRID_BLOCK];
    for (long start = -100000; start <= 100000; start += GELU_GRID_BLOCK) {
        for (int i = 0; i < GELU_GRID_BLOCK; i++)
            x[i] = (float)((start + i) * 1e-4);
        gelu_forward(y, x, GELU_GRID_BLOCK);
        /* compare the block with the exact GELU in double */
        for (int i = 0; i < GELU_GRID_BLOCK && start + i <= 100000; i++) {
            double exact = x[i] * gsl_cdf_ugaussian_P(x[i]), diff = y[i] - exact;
            if (fabs(diff) > worst) {
                worst = fabs(diff);
                worst_at = x[i];
            }
            if ((start + i) % GELU_FIGURE_EVERY == 0 && fabs(x[i]) <= 5)
                fprintf(f, "%.3f\t%.6f\t%.4e\n", x[i], exact, diff);
        }
    }
    trace_close(t, f);
    trace_value(t, "GeluMaxDiff", "%.3e", worst);
    trace_value(t, "GeluMaxDiffAt", "%.3f", worst_at);
}
/* trace-mlp.c: the part */
void trace_mlp(struct trace *t)
{
    int T = t->num_tokens, C = t->ex.model.channels;
    size_t nh = (size_t)T * 4 * C, ny = (size_t)T * C;
    float *h = malloc(nh * sizeof *h), *a = malloc(nh * sizeof *a),
          *exact = malloc(nh * sizeof *exact), *da = malloc(nh * sizeof *da),
          *dh = malloc(nh * sizeof *dh), *y = malloc(ny * sizeof *y),
          *dy = calloc(ny, sizeof *dy), *dx = calloc(ny, sizeof *dx),
          *grads = calloc((size_t)8 * C * C + 5 * (size_t)C, sizeof *grads);
    if (!t->ln1 || !h || !a || !exact || !da || !dh || !y || !dy || !dx || !grads
        || mlp_forward(y, h, a, t->ln1, t->param[PARAM_FCW], t->param[PARAM_FCB],
                       t->param[PARAM_FCPROJW], t->param[PARAM_FCPROJB], T, C) != 0)
        t->failed = 1;
    else {
        /* write the first hidden units through GELU, tanh and exact */
        gelu_exact_forward(exact, h, (long)nh);
        double worst = 0;
        for (size_t i = 0; i < nh; i++)
            worst = fmax(worst, fabs((double)a[i] - exact[i]));
        trace_value(t, "GeluExampleMaxDiff", "%.1e", worst);
        FILE *f = trace_table(t, "mlp-gelu");
        if (f) {
            fprintf(f, "unit $i$\t$h_i$\t$\\mathrm{GELU}_{\\tanh}(h_i)$\t"
                       "$\\mathrm{GELU}(h_i)$\tdifference\n");
            for (int i = 0; i < EXAMPLE_ROWS && i < 4 * C; i++)
                fprintf(f, "%d\t%.5f\t%.6f\t%.6f\t%.1e\n", i, h[i], a[i], exact[i],
                        (double)a[i] - exact[i]);
        }
        trace_close(t, f);
        /* send a stand-in gradient back through the MLP */
        gsl_rng *rng = rng_create(t->ex.seed + 1);
        if (rng)
            fill_normal(rng, dy, ny, 1.0);
        else /* out of memory: the trace fails, on a zero gradient rather than garbage */
            t->failed = 1;
        gsl_rng_free(rng);
        float *g = grads;
        mlp_backward(dx, g, g + 4 * C * C, g + 4 * C * C + 4 * C, g + 8 * C * C + 4 * C,
                     da, dh, dy, t->ln1, h, a, t->param[PARAM_FCW], t->param[PARAM_FCPROJW], T, C);
        f = trace_table(t, "mlp-back");
        if (f) {
            fprintf(f, "unit $i$\t$dA_i$\t$\\mathrm{GELU}_{\\tanh}'(h_i)$\t$dH_i$\n");
            for (int i = 0; i < EXAMPLE_ROWS && i < 4 * C; i++) {
                float one = 1.0f, slope = 0.0f;
                gelu_backward(&slope, &h[i], &one, 1);
                fprintf(f, "%d\t%.5f\t%.5f\t%.5f\n", i, da[i], slope, dh[i]);
            }
        }
        trace_close(t, f);
    }
    free(h); free(a); free(exact); free(da); free(dh); free(y); free(dy); free(dx);
    free(grads);
}
