/* cmd-convert.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "gpt.h"
#include "llama.h"
#include "many.h"

int cmd_convert(int argc, char **argv)
{
    const char *from = "llmc-fp32", *to = "llmc-fp32", *out = NULL;
    /* the options of convert */
    const struct cli_option options[] = {
        { "from", 'f', CLI_STRING, 0, 0, &from, "FORMAT",
          .help = "the format of FILE: llama2c, or llm.c's (version 3 or 5)" },
        { "to", 't', CLI_STRING, 0, 0, &to, "FORMAT",
          .help = "the format written: llama2c, llmc-bf16 or llmc-fp32" },
        { "output", 'o', CLI_STRING, 0, 0, &out, "FILE", .required = 1,
          .help = "the file to write" },
        { 0 },
    };
    const struct cli_spec spec = { "convert", "FILE", "Convert the checkpoint FILE between "
        "Longhand's format (llm.c's version 3, fp32),\nllm.c's bf16 checkpoint (version 5) "
        "and llama2.c's version-0 format.", options, 1, 1 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    /* check the two formats */
    int from_llama = strcmp(from, "llama2c") == 0, to_llama = strcmp(to, "llama2c") == 0;
    int to_bf16 = strcmp(to, "llmc-bf16") == 0;
    if (!from_llama && strcmp(from, "llmc-fp32") != 0 && strcmp(from, "llmc-bf16") != 0)
        return usage_error("convert", "--from wants llama2c, llmc-fp32 or llmc-bf16, "
                           "not '%s'", from);
    if (!to_llama && !to_bf16 && strcmp(to, "llmc-fp32") != 0)
        return usage_error("convert", "--to wants llama2c, llmc-bf16 or llmc-fp32, not '%s'",
                           to);
    if (from_llama && to_llama)
        return usage_error("convert", "--from and --to are both llama2c");
    /* read the model in one format and write it in the other */
    struct gpt m;
    char err[1024];
    int ok = (from_llama ? llama2c_load(&m, argv[first], err, sizeof err)
              : to_llama ? gpt_load(&m, argv[first], err, sizeof err)
                         : llmc_load(&m, argv[first], err, sizeof err)) == 0;
    if (ok)
        ok = (to_llama ? llama2c_save(&m, out, err, sizeof err)
              : to_bf16 ? llmc_bf16_save(&m, out, err, sizeof err)
                        : gpt_save(&m, out, err, sizeof err)) == 0;
    if (!ok)
        fprintf(stderr, "longhand convert: %s\n", err);
    gpt_free(&m);
    return ok ? 0 : 1;
}
