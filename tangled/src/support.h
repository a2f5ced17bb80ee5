/* support.h: tangled from book/90-program.nw; edit the book, not this file. */
#ifndef LONGHAND_SUPPORT_H
#define LONGHAND_SUPPORT_H
#include <stddef.h>
#include <stdio.h>
/* support.h: declarations */
/* The median of x[0..n-1], n >= 1; sorts x. */
double median(double *x, int n);
/* support.h: declarations */
/* All of f, in a buffer with one spare byte; NULL if out of memory or on error. */
unsigned char *read_stream(FILE *f, size_t *len);
/* All of the file at path, as read_stream; NULL with errno set on failure. */
unsigned char *read_file(const char *path, size_t *len);
#endif
