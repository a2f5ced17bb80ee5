/* numdiff.c -- numerical gradients by central differences (GSL). */
#include <math.h>
#include <gsl/gsl_deriv.h>
#include "numdiff.h"

struct along_one_input {
    scalar_fn f;
    double *x;
    size_t i;
    void *params;
};

/* f as a function of x[i] alone, the others held fixed. */
static double f_along_one_input(double xi, void *p)
{
    struct along_one_input *a = p;
    double saved = a->x[a->i];
    a->x[a->i] = xi;
    double y = a->f(a->x, a->params);
    a->x[a->i] = saved;
    return y;
}

void numerical_gradient(scalar_fn f, double *x, size_t n, void *params, double h,
                        double *grad, double *abserr)
{
    struct along_one_input a = { f, x, 0, params };
    gsl_function g = { f_along_one_input, &a };
    for (a.i = 0; a.i < n; a.i++)
        gsl_deriv_central(&g, x[a.i], h, &grad[a.i], &abserr[a.i]);
}

double relative_max_error(const float *a, const double *b, size_t n, double floor)
{
    double err = 0, scale = floor;
    for (size_t i = 0; i < n; i++) {
        err = fmax(err, fabs((double)a[i] - b[i]));
        scale = fmax(scale, fabs(b[i]));
    }
    return err / scale;
}
