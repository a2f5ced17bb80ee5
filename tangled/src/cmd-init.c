/* cmd-init.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "gpt.h"
#include "llama.h"

int cmd_init(int argc, char **argv)
{
    int L = 0, H = 0, C = 0, T = 0, V = 0, kv_heads = 0, hidden = 0, untied = 0;
    long seed = 0;
    const char *out = NULL, *arch = "gpt2";
    /* the options of init */
    const struct cli_option options[] = {
        { "layers", 'L', CLI_INT, 1, GPT_MAX_LAYERS, &L, "L", .required = 1,
          .help = "blocks" },
        { "heads", 'H', CLI_INT, 1, GPT_MAX_LAYERS, &H, "H", .required = 1,
          .help = "attention heads per block" },
        { "channels", 'C', CLI_INT, 1, GPT_MAX_CHANNELS, &C, "C", .required = 1,
          .help = "channels of the residual stream" },
        { "context", 'T', CLI_INT, 1, GPT_MAX_CONTEXT, &T, "T", .required = 1,
          .help = "the longest sequence" },
        { "vocab", 'V', CLI_INT, 1, GPT_MAX_VOCAB, &V, "V", .required = 1,
          .help = "tokens in the vocabulary" },
        { "seed", 's', CLI_LONG, 0, 4294967295.0, &seed, "S",
          .help = "the initialisation's seed" },
        { "output", 'o', CLI_STRING, 0, 0, &out, "FILE", .required = 1,
          .help = "the checkpoint to write" },
        { "arch", 'a', CLI_STRING, 0, 0, &arch, "NAME",
          .help = "gpt2 (the default) or llama: RMSNorm, RoPE, SwiGLU, GQA" },
        { "kv-heads", 0, CLI_INT, 1, GPT_MAX_LAYERS, &kv_heads, "N",
          .help = "llama: key-value heads (default: as many as heads)" },
        { "hidden", 0, CLI_INT, 1, 1 << 20, &hidden, "F",
          .help = "llama: SwiGLU's hidden size (default: 2/3 of 4C, to a multiple of 32)" },
        { "untied", 0, CLI_FLAG, 0, 0, &untied, "",
          .help = "llama: give the logits a matrix of their own" },
        { 0 },
    };
    const struct cli_spec spec = { "init", "", "Write a model of these sizes, "
        "initialised as GPT-2 is from the seed,\nas an llm.c checkpoint (version 103 "
        "for the Llama block).", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    /* create, initialise and save the model */
    struct gpt_config cfg = { .max_seq_len = T, .vocab_size = V,
                              .padded_vocab_size = padded_vocab(V), .num_layers = L,
                              .num_heads = H, .channels = C };
    /* make cfg a Llama-block model if --arch says so */
    if (strcmp(arch, "llama") == 0) {
        cfg.arch = ARCH_LLAMA, cfg.padded_vocab_size = V, cfg.untied_head = untied;
        cfg.num_kv_heads = kv_heads ? kv_heads : H;
        cfg.hidden_dim = hidden ? hidden : swiglu_hidden(C, 32);
    } else if (strcmp(arch, "gpt2") != 0)
        return usage_error("init", "--arch is gpt2 or llama, not '%s'", arch);
    else if (kv_heads || hidden || untied)
        return usage_error("init", "--kv-heads, --hidden and --untied are for --arch llama");
    struct gpt m;
    char err[512] = "out of memory";
    const char *invalid = gpt_config_error(&cfg);
    if (invalid)
        return usage_error("init", "not a valid model: %s", invalid);
    if (gpt_create(&m, &cfg) != 0) {
        fprintf(stderr, "longhand init: out of memory\n");
        return 1;
    }
    int status = gpt_init(&m, (unsigned long)seed) == 0
                 && gpt_save(&m, out, err, sizeof err) == 0;
    if (!status)
        fprintf(stderr, "longhand init: %s\n", err);
    gpt_free(&m);
    return status ? 0 : 1;
}
