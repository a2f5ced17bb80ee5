/* cmd-sample.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "gpt.h"
#include "numbers.h"
#include "sample.h"
#include "tokenizer.h"

/* sample command */
struct sample_command {
    const char *model, *tokenizer, *prompt;
    int max_new, end_token;
    long seed;
    int ids, stats;
    struct sample_options o;
};

static int run_sample(const struct sample_command *o);

int cmd_sample(int argc, char **argv)
{
    struct sample_command o = { .max_new = 64, .end_token = -1,
                                .o = { .temperature = 1, .top_k = 0, .top_p = 1 } };
    /* the options of sample */
    const struct cli_option options[] = {
        { "model", 'm', CLI_STRING, 0, 0, &o.model, "FILE", .required = 1,
          .help = "the checkpoint" },
        { "tokenizer", 't', CLI_STRING, 0, 0, &o.tokenizer, "PATH", .required = 1,
          .help = "a tokenizer file, or a directory of GPT-2's files" },
        { "prompt", 'p', CLI_STRING, 0, 0, &o.prompt, "TEXT", .required = 1,
          .help = "the text to continue" },
        { "max-new", 'n', CLI_INT, 0, GPT_MAX_CONTEXT, &o.max_new, "N",
          .help = "tokens to generate at most" },
        { "temperature", 'T', CLI_DOUBLE, 0, 1e6, &o.o.temperature, "X",
          .help = "divides the logits; 0 is greedy" },
        { "top-k", 'k', CLI_INT, 0, GPT_MAX_VOCAB, &o.o.top_k, "K",
          .help = "keep the K most probable tokens (0: all)" },
        { "top-p", 'P', CLI_DOUBLE, 0, 1, &o.o.top_p, "P",
          .help = "then the fewest holding P of the probability" },
        { "seed", 's', CLI_LONG, 0, 4294967295.0, &o.seed, "S", .help = "the draws' seed" },
        { "end", 'e', CLI_INT, -1, GPT_MAX_VOCAB - 1, &o.end_token, "ID",
          .help = "stop after this token (-1: never)" },
        { "ids", 'i', CLI_FLAG, 0, 0, &o.ids, "", .help = "write token ids, not text" },
        { "stats", 'S', CLI_FLAG, 0, 0, &o.stats, "", .help = "report tokens/s on stderr" },
        { 0 },
    };
    const struct cli_spec spec = { "sample", "", "Continue TEXT with up to N tokens of "
        "the model, each drawn at the temperature\nfrom the K most probable tokens, then "
        "from the fewest of them holding P of\ntheir probability.  Stops at the model's "
        "context or after token ID.", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    if (o.o.top_p <= 0)
        return usage_error("sample", "--top-p wants a number in (0, 1]");
    return run_sample(&o);
}
/* sample command */
struct sample_emit { struct tokenizer *tok; int ids, count; };

static void emit_token(int token, void *arg)
{
    struct sample_emit *e = arg;
    size_t len = 0;
    const unsigned char *bytes = e->ids ? NULL : tokenizer_token(e->tok, token, &len);
    if (e->ids)
        printf(e->count ? " %d" : "%d", token);
    else if (bytes)
        fwrite(bytes, 1, len, stdout);
    else
        printf("<|%d|>", token);
    e->count++;
    fflush(stdout);
}
/* sample command */
static int run_sample(const struct sample_command *o)
{
    char err[512];
    struct gpt m;
    struct tokenizer *tok = tokenizer_load(o->tokenizer, err, sizeof err);
    if (!tok || gpt_load(&m, o->model, err, sizeof err) != 0) {
        fprintf(stderr, "longhand sample: %s\n", err);
        tokenizer_free(tok);
        return 1;
    }
    int status = 1;
    if (tokenizer_vocab_size(tok) > m.config.vocab_size)
        fprintf(stderr, "longhand sample: the tokenizer has %d tokens, the model only %d\n",
                tokenizer_vocab_size(tok), m.config.vocab_size);
    else
        /* encode the prompt and generate */
        {
            size_t len = strlen(o->prompt), n = 0;
            int32_t *prompt = malloc((len + 1) * sizeof *prompt);
            int *out = malloc((size_t)(o->max_new + 1) * sizeof *out);
            struct sampler s;
            gsl_rng *rng = rng_create((unsigned long)o->seed);
            if (!prompt || !out || !rng || sampler_create(&s, m.config.vocab_size, &o->o) != 0)
                fprintf(stderr, "longhand sample: out of memory\n");
            else {
                if (tokenizer_encode(tok, (const unsigned char *)o->prompt, len, prompt, &n) != 0
                    || n == 0)
                    fprintf(stderr, "longhand sample: the prompt encodes to no tokens\n");
                else
                    /* generate after the prompt, timing it */
                    {
                        struct sample_emit e = { tok, o->ids, 0 };
                        struct generation g = { prompt, (int)n, o->max_new, o->end_token, 1,
                                                emit_token, &e };
                        double t0 = omp_get_wtime();
                        int made = sample_generate(&m, &s, rng, &g, out, err, sizeof err);
                        double seconds = omp_get_wtime() - t0;
                        putchar('\n');
                        if (made < 0)
                            fprintf(stderr, "longhand sample: %s\n", err);
                        else if (o->stats)
                            fprintf(stderr, "longhand sample: prompt %zu tokens, %d new in %.3f s "
                                    "(%.1f tokens/s)\n", n, made, seconds, made / (seconds > 0 ? seconds : 1));
                        status = made < 0 || fflush(stdout) != 0;
                    }
                sampler_free(&s);
            }
            gsl_rng_free(rng), free(prompt), free(out);
        }
    gpt_free(&m);
    tokenizer_free(tok);
    return status;
}
