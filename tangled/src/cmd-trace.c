/* cmd-trace.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "commands.h"
#include "trace.h"

int cmd_trace(int argc, char **argv)
{
    const char *example = "data/worked-example.conf", *dir = NULL;
    const struct cli_option options[] = {
        { "example", 'e', CLI_STRING, 0, 0, &example, "FILE",
          .help = "the worked example's description" },
        { "output", 'o', CLI_STRING, 0, 0, &dir, "DIR", .required = 1,
          .help = "where the tables go: DIR/*.tsv and DIR/values.tsv" },
        { 0 },
    };
    const struct cli_spec spec = { "trace", "", "Run the worked example and write the "
        "book's tables as DIR/*.tsv and its quoted\nnumbers as DIR/values.tsv; DIR is "
        "made if it does not exist.", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    /* run the trace of example into dir */
    struct trace t = { .dir = dir };
    char err[1024], path[4096];
    if (example_read(example, &t.ex, err, sizeof err) != 0) {
        fprintf(stderr, "longhand trace: %s\n", err);
        return 1;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "longhand trace: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    snprintf(path, sizeof path, "%s/values.tsv", dir);
    if (!(t.values = fopen(path, "w"))) {
        fprintf(stderr, "longhand trace: %s: %s\n", path, strerror(errno));
        return 1;
    }
    /* run every chapter's part, then close values.tsv, checking both */
    int status = trace_run(&t);
    if (ferror(t.values) | fclose(t.values))
        status = -1;
    if (status != 0)
        fprintf(stderr, "longhand trace: could not write every file in %s\n", dir);
    return status == 0 ? 0 : 1;
}
