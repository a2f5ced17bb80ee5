/* cli.c: tangled from book/90-program.nw; edit the book, not this file. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* cli.c: reporting a usage error */
int usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "longhand %s: ", command);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n(try 'longhand %s --help')\n", command);
    va_end(ap);
    return 2;
}
/* cli.c: reading numbers */
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
/* cli.c: reading numbers */
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
/* cli.c: reading numbers */
int parse_long_list(const char *text, long lo, long hi, int *out, int max_count)
{
    int n = 0;
    char piece[32];
    for (const char *s = text;; s++) {
        size_t len = strcspn(s, ",");
        long v;
        if (n == max_count || len == 0 || len >= sizeof piece)
            return -1;
        memcpy(piece, s, len);
        piece[len] = '\0';
        if (parse_long(piece, lo, hi, &v) != 0)
            return -1;
        out[n++] = (int)v;
        s += len;
        if (*s == '\0')
            return n;
    }
}
/* cli.c: printing the help */
static void print_default(FILE *out, const struct cli_option *o)
{
    switch (o->kind) {
    case CLI_INT:    fprintf(out, " (default %d)", *(const int *)o->dest); break;
    case CLI_LONG:   fprintf(out, " (default %ld)", *(const long *)o->dest); break;
    case CLI_DOUBLE: fprintf(out, " (default %g)", *(const double *)o->dest); break;
    case CLI_STRING:
        if (*(const char *const *)o->dest)
            fprintf(out, " (default %s)", *(const char *const *)o->dest);
        break;
    case CLI_INTS: {
        const int *v = o->dest;
        for (int i = 0; o->given && i < *o->given; i++)
            fprintf(out, i ? ",%d" : " (default %d", v[i]);
        if (o->given && *o->given)
            fputc(')', out);
        break;
    }
    case CLI_FLAG: break;
    }
}
/* cli.c: printing the help */
static void print_help(const struct cli_spec *spec, FILE *out)
{
    fprintf(out, "usage: longhand %s [OPTIONS]%s%s\n\n%s\n\noptions:\n", spec->command,
            spec->usage[0] ? " " : "", spec->usage, spec->description);
    for (const struct cli_option *o = spec->options; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "%s%c%s--%s%s%s", o->letter ? "-" : "",
                 o->letter ? o->letter : ' ', o->letter ? ", " : " ", o->name,
                 o->kind == CLI_FLAG ? "" : " ", o->kind == CLI_FLAG ? "" : o->arg);
        fprintf(out, "  %-24s %s", left, o->help);
        if (o->kind == CLI_INT || o->kind == CLI_LONG || o->kind == CLI_INTS)
            fprintf(out, " [%.0f..%.0f]", o->min, o->max);
        else if (o->kind == CLI_DOUBLE)
            fprintf(out, " [%g..%g]", o->min, o->max);
        print_default(out, o);
        fputs(o->required ? " (required)\n" : "\n", out);
    }
    fputs("  -h, --help               print this help\n", out);
}
/* cli.c: storing one option's value */
static int option_given(const struct cli_spec *spec, int argc, char **argv,
                        const struct cli_option *o)
{
    size_t len = strlen(o->name);
    (void)spec;
    for (int i = 1; i < optind && i < argc; i++) {
        const char *a = argv[i];
        if (a[0] == '-' && a[1] == '-' && strncmp(a + 2, o->name, len) == 0
            && (a[2 + len] == '\0' || a[2 + len] == '='))
            return 1;
        if (o->letter && a[0] == '-' && a[1] != '-' && strchr(a + 1, o->letter))
            return 1;
    }
    return 0;
}
/* cli.c: storing one option's value */
static int store_option(const struct cli_spec *spec, const struct cli_option *o,
                        const char *text)
{
    long l;
    double d;
    if (o->given && o->kind != CLI_INTS)
        *o->given = 1;
    switch (o->kind) {
    case CLI_FLAG:
        *(int *)o->dest = 1;
        return 0;
    case CLI_STRING:
        *(const char **)o->dest = text;
        return 0;
    case CLI_INT:
    case CLI_LONG:
        if (parse_long(text, (long)o->min, (long)o->max, &l) != 0)
            return usage_error(spec->command, "--%s wants a whole number from %.0f to "
                               "%.0f, not '%s'", o->name, o->min, o->max, text);
        if (o->kind == CLI_INT)
            *(int *)o->dest = (int)l;
        else
            *(long *)o->dest = l;
        return 0;
    case CLI_DOUBLE:
        if (parse_double(text, o->min, o->max, &d) != 0)
            return usage_error(spec->command, "--%s wants a number from %g to %g, "
                               "not '%s'", o->name, o->min, o->max, text);
        *(double *)o->dest = d;
        return 0;
    case CLI_INTS:
        /* store a list of whole numbers */
        {
            int count = parse_long_list(text, (long)o->min, (long)o->max, o->dest, o->max_count);
            if (count < 0)
                return usage_error(spec->command, "--%s wants up to %d whole numbers from "
                                   "%.0f to %.0f separated by commas, not '%s'",
                                   o->name, o->max_count, o->min, o->max, text);
            if (o->given)
                *o->given = count;
            return 0;
        }
    }
    return usage_error(spec->command, "--%s: unknown kind of option", o->name);
}
/* cli.c: parsing a command line */
int cli_parse(const struct cli_spec *spec, int argc, char **argv, int *first_arg)
{
    struct option longopts[CLI_MAX_OPTIONS + 2];
    char shortopts[3 * CLI_MAX_OPTIONS + 4] = ":h";
    int n = 0;
    /* translate the table for getopt_long */
    for (; spec->options[n].name; n++) {
        const struct cli_option *o = &spec->options[n];
        if (n == CLI_MAX_OPTIONS) {
            fprintf(stderr, "longhand %s: too many options in the table\n", spec->command);
            return 1;
        }
        longopts[n] = (struct option){ o->name, o->kind == CLI_FLAG ? no_argument
                                                                    : required_argument,
                                       NULL, 256 + n };
        if (o->letter) {
            size_t len = strlen(shortopts);
            shortopts[len] = o->letter;
            shortopts[len + 1] = o->kind == CLI_FLAG ? '\0' : ':';
            shortopts[len + 2] = '\0';
        }
    }
    longopts[n] = (struct option){ "help", no_argument, NULL, 'h' };
    longopts[n + 1] = (struct option){ 0, 0, 0, 0 };
    optind = 0, opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        /* handle what getopt_long returned as c */
        if (c == 'h') {
            print_help(spec, stdout);
            return 0;
        }
        if (c == '?' || c == ':') {
            int row = optopt >= 256 ? optopt - 256 : -1;
            for (int i = 0; i < n && row < 0 && optopt; i++)
                if (spec->options[i].letter == optopt)
                    row = i;
            if (c == ':')
                return usage_error(spec->command, "--%s needs a value (%s)",
                                   spec->options[row].name, spec->options[row].arg);
            if (row >= 0)
                return usage_error(spec->command, "--%s takes no value", spec->options[row].name);
            if (optopt)
                return usage_error(spec->command, "unknown option -%c", optopt);
            return usage_error(spec->command, "unknown option %s", argv[optind - 1]);
        }
        int row = c >= 256 ? c - 256 : -1;
        for (int i = 0; i < n && row < 0; i++)
            if (spec->options[i].letter == c)
                row = i;
        if (store_option(spec, &spec->options[row], optarg) != 0)
            return 2;
    }
    /* check the required options and the number of arguments */
    for (int i = 0; i < n; i++) {
        const struct cli_option *o = &spec->options[i];
        if (o->required && !option_given(spec, argc, argv, o))
            return usage_error(spec->command, "--%s %s is required", o->name, o->arg);
    }
    int args = argc - optind;
    if (args < spec->min_args || (spec->max_args >= 0 && args > spec->max_args)) {
        if (spec->max_args == 0)
            return usage_error(spec->command, "unexpected argument '%s'", argv[optind]);
        return usage_error(spec->command, "wants %s%s after the options, not %d argument%s",
                           spec->usage, "", args, args == 1 ? "" : "s");
    }
    *first_arg = optind;
    return CLI_CONTINUE;
}
/* cli.c: dispatching to a subcommand */
int cli_dispatch(const char *command, const struct command *table, int n,
                 int argc, char **argv)
{
    int help = argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0);
    for (int i = 0; argc >= 2 && i < n; i++)
        if (strcmp(argv[1], table[i].name) == 0)
            return table[i].run(argc - 1, argv + 1);
    if (argc >= 2 && !help)
        fprintf(stderr, "longhand %s: unknown subcommand '%s'\n", command, argv[1]);
    FILE *out = help ? stdout : stderr;
    fprintf(out, "usage: longhand %s SUBCOMMAND [OPTIONS]\n\nsubcommands:\n", command);
    for (int i = 0; i < n; i++)
        fprintf(out, "  %-10s %s\n", table[i].name, table[i].summary);
    fprintf(out, "\n'longhand %s SUBCOMMAND --help' describes one.\n", command);
    return help ? 0 : 2;
}
