#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "cli.h"

int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "longhand %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(try 'longhand %s --help')\n", cmd);
    va_end(ap);
    return 2;
}
/* cli.c: read a whole number */
int parse_long(const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || n < lo || n > hi)
        return -1;
    *out = n;
    return 0;
}

/* cli.c: read a finite number */
int parse_double(const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || !isfinite(x) || x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}
