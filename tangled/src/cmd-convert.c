#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "gpt.h"
#include "many.h"

int cmd_convert(int argc, char **argv)
{
    const char *to = NULL;
    const struct cli_option options[] = {
        { "to", 't', CLI_STRING, 0, 0, &to, "FORMAT", .required = 1,
          .help = "llmc-bf16 or llmc-fp32" },
        { 0 },
    };
    const struct cli_spec spec = { "convert", "IN OUT", "Rewrite the llm.c checkpoint "
        "IN (version 3, fp32, or 5, bf16) as OUT,\nin llm.c's bf16 (llmc-bf16) or "
        "fp32 (llmc-fp32) format.", options, 2, 2 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    /* read IN and write it as OUT in the format asked for */
    int bf16 = strcmp(to, "llmc-bf16") == 0;
    if (!bf16 && strcmp(to, "llmc-fp32") != 0)
        return usage_error("convert", "--to wants llmc-bf16 or llmc-fp32, not '%s'", to);
    struct gpt m;
    char err[1024];
    int status = llmc_load(&m, argv[first], err, sizeof err) == 0
                 && (bf16 ? llmc_bf16_save(&m, argv[first + 1], err, sizeof err)
                          : gpt_save(&m, argv[first + 1], err, sizeof err)) == 0;
    if (!status)
        fprintf(stderr, "longhand convert: %s\n", err);
    gpt_free(&m);
    return status ? 0 : 1;
}
