#line 703 "book/01-numbers.nw"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#line 1073 "book/01-numbers.nw"
#include "trace.h"

#line 1077 "book/01-numbers.nw"
static int cmd_trace(int argc, char **argv)
{
    static const struct option options[] = {
        { "example", required_argument, 0, 'e' },
        { "output", required_argument, 0, 'o' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *example = "data/worked-example.conf", *dir = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "e:o:h", options, NULL)) != -1) {
        
#line 1097 "book/01-numbers.nw"
switch (c) {
case 'e': example = optarg; break;
case 'o': dir = optarg; break;
case 'h':
    puts("usage: longhand trace [--example FILE] -o DIR\n\n"
         "Run the worked example described by FILE (default data/worked-example.conf)\n"
         "and write the book's tables as DIR/*.tsv and its quoted numbers as\n"
         "DIR/values.tsv.");
    return 0;
default:
    return usage_error("trace", "unknown option");
}
#line 1089 "book/01-numbers.nw"
    }
    if (!dir || optind != argc)
        return usage_error("trace", "want -o DIR and no other arguments");
    
#line 1112 "book/01-numbers.nw"
struct trace t = { .dir = dir };
char err[1024], path[4096];
if (example_read(example, &t.ex, err, sizeof err) != 0) {
    fprintf(stderr, "longhand trace: %s\n", err);
    return 1;
}
snprintf(path, sizeof path, "%s/values.tsv", dir);
if (!(t.values = fopen(path, "w"))) {
    fprintf(stderr, "longhand trace: %s: %s\n", path, strerror(errno));
    return 1;
}
int status = trace_run(&t);
if (ferror(t.values) | fclose(t.values))
    status = -1;
if (status != 0)
    fprintf(stderr, "longhand trace: could not write every file in %s\n", dir);
return status == 0 ? 0 : 1;
#line 1093 "book/01-numbers.nw"
}

#line 711 "book/01-numbers.nw"
static const struct command commands[] = {
    
#line 1132 "book/01-numbers.nw"
{ "trace", cmd_trace, "run the worked example, writing the book's tables" },
#line 713 "book/01-numbers.nw"
};
enum { NUM_COMMANDS = sizeof commands / sizeof commands[0] };

#line 736 "book/01-numbers.nw"
static void print_commands(FILE *out)
{
    fputs("usage: longhand COMMAND [OPTIONS]\n\ncommands:\n", out);
    for (int i = 0; i < NUM_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'longhand COMMAND --help' describes one command.\n", out);
}
#line 721 "book/01-numbers.nw"
int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
        print_commands(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < NUM_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "longhand: unknown command '%s' (try 'longhand help')\n", argv[1]);
    return 2;
}
