/* cli.h: tangled from book/90-program.nw; edit the book, not this file. */
#ifndef LONGHAND_CLI_H
#define LONGHAND_CLI_H
#include <stdio.h>

/* cli.h: options */
enum cli_kind {
    CLI_FLAG,    /* no value; sets an int to 1 */
    CLI_INT,     /* a whole number, into an int */
    CLI_LONG,    /* a whole number, into a long */
    CLI_DOUBLE,  /* a finite number, into a double */
    CLI_STRING,  /* text, into a const char * */
    CLI_INTS,    /* comma-separated whole numbers, into an int array */
};
struct cli_option {
    const char *name;      /* the long name, as in --name */
    char letter;           /* the short name, as in -n, or 0 */
    enum cli_kind kind;
    double min, max;       /* limits of a number, or of each number of a list */
    void *dest;            /* where the value goes; its kind's C type */
    const char *arg;       /* what the value is, for the help: "N", "FILE" */
    const char *help;      /* one line */
    int required;          /* the command cannot run without it */
    int *given;            /* set to 1 when the option is given (may be NULL); */
                           /* for CLI_INTS, the number of values read */
    int max_count;         /* CLI_INTS: the room in dest */
};
/* cli.h: parsing a command line */
struct cli_spec {
    const char *command;      /* as typed after 'longhand': "tokenizer train" */
    const char *usage;        /* what follows the options, e.g. "[FILE...]" */
    const char *description;  /* the help's paragraph */
    const struct cli_option *options;  /* ends with a row whose name is NULL */
    int min_args, max_args;   /* arguments after the options; max_args -1: any */
};
enum { CLI_CONTINUE = -1, CLI_MAX_OPTIONS = 40 };
/* Parse argv[1..argc-1] by spec: CLI_CONTINUE, or the status to exit with. */
int cli_parse(const struct cli_spec *spec, int argc, char **argv, int *first_arg);
/* In a command: parse, or return the status cli_parse gave. */
#define CLI_PARSE_OR_RETURN(spec, argc, argv, first_arg)                       \
    do {                                                                       \
        int cli_status_ = cli_parse(spec, argc, argv, first_arg);              \
        if (cli_status_ != CLI_CONTINUE)                                       \
            return cli_status_;                                                \
    } while (0)
/* Print "longhand CMD: why" and a hint to stderr; return 2, the usage status. */
int usage_error(const char *command, const char *fmt, ...);
/* cli.h: commands and subcommands */
struct command {
    const char *name;                   /* as typed */
    int (*run)(int argc, char **argv);  /* argv[0] is the name */
    const char *summary;                /* one line for the list */
};
/* Run the subcommand argv[1] of command from table[0..n-1], or list them. */
int cli_dispatch(const char *command, const struct command *table, int n,
                 int argc, char **argv);
/* cli.h: reading numbers */
/* *out = text as a whole number in [lo, hi]: 0, or -1 if it is not one. */
int parse_long(const char *text, long lo, long hi, long *out);
/* *out = text as a finite number in [lo, hi]: 0, or -1 if it is not one. */
int parse_double(const char *text, double lo, double hi, double *out);
/* Read "N,N,..." of at most max_count numbers in [lo, hi]: their count, or -1. */
int parse_long_list(const char *text, long lo, long hi, int *out, int max_count);
#endif
