/* numdiff.h -- numerical gradients for the backward-pass tests, in float64. */
#ifndef LONGHAND_TESTS_NUMDIFF_H
#define LONGHAND_TESTS_NUMDIFF_H
#include <stddef.h>

/* A scalar function of n doubles, with whatever else it needs in params. */
typedef double (*scalar_fn)(const double *x, void *params);

/* grad[i] = d f / d x[i] at x by GSL's gsl_deriv_central with initial step h;
   abserr[i] is GSL's estimate of that derivative's error.  x is restored. */
void numerical_gradient(scalar_fn f, double *x, size_t n, void *params, double h,
                        double *grad, double *abserr);

/* max_i |a[i] - b[i]| / max(max_i |b[i]|, floor): the error the tests bound. */
double relative_max_error(const float *a, const double *b, size_t n, double floor);
#endif
