/* main.c: tangled from book/90-program.nw; edit the book, not this file. */
#include <stdio.h>
#include <string.h>
#include "commands.h"

static const struct command commands[] = {
    /* main.c: command table */
    { "trace", cmd_trace, "run the worked example, writing the book's tables" },
    /* main.c: command table */
    { "tokenizer", cmd_tokenizer, "train a BPE tokenizer; encode and decode text" },
    /* main.c: command table */
    { "init", cmd_init, "write a freshly initialised model checkpoint" },
    /* main.c: command table */
    { "step", cmd_step, "one forward, backward and AdamW step, every result written" },
    /* main.c: command table */
    { "train", cmd_train, "train a model on a text corpus, with checkpoints and resume" },
    /* main.c: command table */
    { "baseline", cmd_baseline, "unigram and bigram baselines (and a model) on a text" },
    /* main.c: command table */
    { "sample", cmd_sample, "generate text from a model and a prompt" },
    /* main.c: command table */
    { "inspect", cmd_inspect, "read a model: lens, heads, attribution, patching" },
    /* main.c: command table */
    { "convert", cmd_convert, "convert a checkpoint: llama2.c's, llm.c's bf16 or fp32" },
    /* main.c: command table */
    { "transcoder", cmd_transcoder, "train transcoders of a model's MLPs; read their features" },
    /* main.c: command table */
    { "attribute", cmd_attribute, "the attribution graph of one prompt, as JSON" },
    /* main.c: command table */
    { "bench", cmd_bench, "time a part of the program (bench matmul, ...)" },
};
enum { NUM_COMMANDS = sizeof commands / sizeof commands[0] };

/* main.c: print the list of commands */
static void print_commands(FILE *out)
{
    fputs("usage: longhand COMMAND [OPTIONS]\n\ncommands:\n", out);
    for (int i = 0; i < NUM_COMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'longhand COMMAND --help' describes one command.\n", out);
}
/* main.c: dispatch on the first argument */
int longhand_main(int argc, char **argv);

#ifndef LONGHAND_TESTING
int main(int argc, char **argv)
{
    return longhand_main(argc, argv);
}
#endif

int longhand_main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0
        || strcmp(argv[1], "-h") == 0) {
        print_commands(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 0; i < NUM_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "longhand: unknown command '%s' (try 'longhand help')\n", argv[1]);
    return 2;
}
