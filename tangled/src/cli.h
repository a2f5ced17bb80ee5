#ifndef LONGHAND_CLI_H
#define LONGHAND_CLI_H
#include <getopt.h>

struct command {
    const char *name;                /* the subcommand, as typed */
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
    const char *summary;             /* one line for 'longhand help' */
};
/* Print "longhand CMD: why" and a hint to stderr; return 2, the usage status. */
int usage_error(const char *cmd, const char *fmt, ...);
/* cli.h: reading numbers from the command line */
/* *out = text as a whole number in [lo, hi]: 0, or -1 if it is not one. */
int parse_long(const char *text, long lo, long hi, long *out);
/* *out = text as a finite number in [lo, hi]: 0, or -1 if it is not one. */
int parse_double(const char *text, double lo, double hi, double *out);
#endif
