#line 765 "book/01-numbers.nw"
#include <stdarg.h>
#include <stdio.h>
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
