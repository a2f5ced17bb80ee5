/* support.c: tangled from book/90-program.nw; edit the book, not this file. */
#include <errno.h>
#include <stdlib.h>
#include "support.h"

/* support.c: reading a whole stream */
unsigned char *read_stream(FILE *f, size_t *len)
{
    size_t cap = 1 << 16;
    unsigned char *buf = malloc(cap), *p;
    *len = 0;
    errno = 0;
    while (buf) {
        *len += fread(buf + *len, 1, cap - *len - 1, f);
        if (*len < cap - 1)
            break;
        if (!(p = realloc(buf, cap *= 2)))
            free(buf);
        buf = p;
    }
    if (buf && ferror(f)) {
        int why = errno ? errno : EIO;
        free(buf), buf = NULL;
        errno = why;
    }
    return buf;
}
/* support.c: reading a whole stream */
unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = read_stream(f, len);
    int saved = errno;
    fclose(f);
    errno = saved;
    return buf;
}
/* support.c: medians and time */
static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double median(double *x, int n)
{
    qsort(x, (size_t)n, sizeof *x, compare_doubles);
    return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}
