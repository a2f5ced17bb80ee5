/* cmd-convert.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "gpt.h"
#include "llama.h"

int cmd_convert(int argc, char **argv)
{
    const char *from = NULL, *to = NULL, *out = NULL;
    /* the options of convert */
    const struct cli_option options[] = {
        { "from", 'f', CLI_STRING, 0, 0, &from, "FORMAT",
          .help = "read FILE in this format (llama2c), write a Longhand checkpoint" },
        { "to", 't', CLI_STRING, 0, 0, &to, "FORMAT",
          .help = "read the Longhand checkpoint FILE, write this format (llama2c)" },
        { "output", 'o', CLI_STRING, 0, 0, &out, "FILE", .required = 1,
          .help = "the file to write" },
        { 0 },
    };
    const struct cli_spec spec = { "convert", "FILE", "Convert the checkpoint FILE between "
        "Longhand's format (llm.c's) and llama2.c's\nversion-0 format.", options, 1, 1 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    /* check that exactly one of --from and --to names llama2c */
    if ((from != NULL) == (to != NULL))
        return usage_error("convert", "want one of --from and --to");
    const char *format = from ? from : to;
    if (strcmp(format, "llama2c") != 0)
        return usage_error("convert", "the one other format is llama2c, not '%s'", format);
    /* read the model in one format and write it in the other */
    struct gpt m;
    char err[1024];
    int ok = from ? llama2c_load(&m, argv[first], err, sizeof err) == 0
                  : gpt_load(&m, argv[first], err, sizeof err) == 0;
    if (ok)
        ok = (from ? gpt_save(&m, out, err, sizeof err)
                   : llama2c_save(&m, out, err, sizeof err)) == 0;
    if (!ok)
        fprintf(stderr, "longhand convert: %s\n", err);
    gpt_free(&m);
    return ok ? 0 : 1;
}
