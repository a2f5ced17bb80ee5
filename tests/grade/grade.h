/* grade.h -- what the hidden tests of the graded exercises share.  Each check
   is a test case of its own, named by a sentence that says what it checks, so
   the report reads as a list of claims about the reader's function. */
#ifndef LONGHAND_TESTS_GRADE_H
#define LONGHAND_TESTS_GRADE_H
#include <check.h>
#include <stdlib.h>

/* Add test fn to suite s as a case of its own, called what. */
static inline void grade_add(Suite *s, const char *what, const TTest *fn)
{
    TCase *tc = tcase_create(what);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fn);
    suite_add_tcase(s, tc);
}

/* A fresh float64 copy of a[n]. */
static inline double *grade_to_double(const float *a, size_t n)
{
    double *d = malloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++) d[i] = a[i];
    return d;
}
#endif
