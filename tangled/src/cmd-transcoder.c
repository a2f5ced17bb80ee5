/* cmd-transcoder.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "gpt.h"
#include "numbers.h"
#include "support.h"
#include "tokenizer.h"
#include "transcoder.h"

/* transcoder command: the model and the text */
struct tc_input {
    const char *model, *tokenizer, *data;
    struct gpt m;
    struct tokenizer *tok;
    int32_t *tokens;
    size_t n_tokens;
};
#define TC_INPUT_OPTIONS(in)                                                          \
    { "model", 'm', CLI_STRING, 0, 0, &(in).model, "FILE", .required = 1,             \
      .help = "the checkpoint" },                                                     \
    { "tokenizer", 't', CLI_STRING, 0, 0, &(in).tokenizer, "PATH", .required = 1,     \
      .help = "the model's tokenizer" },                                              \
    { "data", 'd', CLI_STRING, 0, 0, &(in).data, "FILE", .required = 1,               \
      .help = "the text the model reads" }

static void free_tc_input(struct tc_input *in)
{
    gpt_free(&in->m);
    tokenizer_free(in->tok);
    free(in->tokens);
    in->tok = NULL, in->tokens = NULL;
}

/* The tokens of the file at path into *ids (caller frees), or -1 with err. */
static int encode_file(struct tokenizer *tok, const char *path, int32_t **ids, size_t *n,
                       char *err, size_t errlen)
{
    size_t len = 0;
    unsigned char *text = read_file(path, &len);
    if (!text)
        return snprintf(err, errlen, "cannot read %s", path), -1;
    *ids = malloc((len + 1) * sizeof **ids);
    int status = *ids && tokenizer_encode(tok, text, len, *ids, n) == 0 ? 0 : -1;
    if (status)
        snprintf(err, errlen, "cannot encode %s", path);
    free(text);
    return status;
}

/* Load in's model, tokenizer and text: 0, or 1 (the exit status) with a message. */
static int load_tc_input(struct tc_input *in, const char *command)
{
    char err[512];
    if (gpt_load(&in->m, in->model, err, sizeof err) != 0
        || !(in->tok = tokenizer_load(in->tokenizer, err, sizeof err))
        || encode_file(in->tok, in->data, &in->tokens, &in->n_tokens, err, sizeof err) != 0) {
        fprintf(stderr, "longhand %s: %s\n", command, err);
        free_tc_input(in);
        return 1;
    }
    return 0;
}
/* transcoder command: the report */
static void print_report(const struct transcoder_report *r, int n)
{
    printf("block\tFVU\tL0\tdead\tagreement\n");
    for (int k = 0; k <= n; k++) {
        if (k < n)
            printf("%d", r[k].layer + 1);
        else
            printf("all");
        printf("\t%.4f\t%.2f\t%.4f\t%.4f\n", r[k].fvu, r[k].l0, r[k].dead, r[k].agreement);
    }
}

/* Evaluate tcs[0..n) on the text at path and print the report; 0, or -1 with err. */
static int report_on(struct tc_input *in, const struct transcoder *tcs, int n, const char *path,
                     int batch, int batches, char *err, size_t errlen)
{
    int32_t *ids = NULL;
    size_t n_ids = 0;
    struct transcoder_report *r = malloc((size_t)(n + 1) * sizeof *r);
    int status = -1;
    if (!r)
        snprintf(err, errlen, "out of memory");
    else if (encode_file(in->tok, path, &ids, &n_ids, err, errlen) == 0
             && transcoder_evaluate(&in->m, tcs, n, ids, n_ids, batch, batches, r, err,
                                    errlen) == 0) {
        print_report(r, n);
        status = fflush(stdout) == 0 ? 0 : -1;
    }
    free(ids), free(r);
    return status;
}
/* transcoder command: train */
static int transcoder_train_cmd(int argc, char **argv)
{
    struct tc_input in = { 0 };
    int layers[GPT_MAX_LAYERS], n_layers = 0, features = 0, val_batches = 8;
    long seed = 1;
    const char *out = NULL, *log = NULL, *val = NULL;
    struct transcoder_options o = { .batch = 8, .context = 0, .steps = 200, .lr = 1e-3,
                                    .lambda = 3e-3, .log_every = 10 };
    /* the options of transcoder train */
    const struct cli_option options[] = {
        TC_INPUT_OPTIONS(in),
        { "layer", 'l', CLI_INTS, 1, GPT_MAX_LAYERS, layers, "L,...", .given = &n_layers,
          .max_count = GPT_MAX_LAYERS, .help = "the blocks (from 1); default all" },
        { "features", 'F', CLI_INT, 1, TRANSCODER_MAX_FEATURES, &features, "F",
          .help = "features per transcoder; default 4C" },
        { "steps", 'n', CLI_INT, 1, MAX_STEPS, &o.steps, "S", .help = "optimiser steps" },
        { "batch", 'B', CLI_INT, 1, MAX_BATCH, &o.batch, "B", .help = "rows a step" },
        { "context", 'T', CLI_INT, 1, GPT_MAX_CONTEXT, &o.context, "T",
          .help = "tokens a row; default the model's context" },
        { "lr", 0, CLI_DOUBLE, 0, 1, &o.lr, "R", .help = "AdamW's learning rate" },
        { "lambda", 0, CLI_DOUBLE, 0, 1e6, &o.lambda, "X", .help = "the sparsity penalty's weight" },
        { "seed", 's', CLI_LONG, 0, 4294967295.0, &seed, "S", .help = "the initialisation's seed" },
        { "log", 0, CLI_STRING, 0, 0, &log, "FILE", .help = "TSV: step, block, loss, E, L0" },
        { "val", 0, CLI_STRING, 0, 0, &val, "FILE", .help = "then report on this text" },
        { "val-batches", 0, CLI_INT, 1, MAX_STEPS, &val_batches, "N",
          .help = "batches of --val measured" },
        { "output", 'o', CLI_STRING, 0, 0, &out, "FILE", .required = 1,
          .help = "the transcoders' file" },
        { 0 },
    };
    const struct cli_spec spec = { "transcoder train", "", "Train a transcoder (eq. tc-loss) "
        "for each block's MLP, or those of --layer,\non the model's MLP inputs and outputs over "
        "the text, and write them to one\nfile.  With --val, report on that text as "
        "'transcoder eval' does.", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    if (load_tc_input(&in, "transcoder train") != 0)
        return 1;
    /* make the transcoders, train them, save and report */
    const struct gpt_config *c = &in.m.config;
    char err[512] = "out of memory";
    int n = n_layers ? n_layers : c->num_layers, status = 1;
    for (int k = 0; k < n; k++) {
        layers[k] = n_layers ? layers[k] - 1 : k;
        if (layers[k] >= c->num_layers || (k && layers[k] <= layers[k - 1])) {
            free_tc_input(&in);
            return usage_error("transcoder train", "--layer: blocks of 1 to %d, increasing",
                               c->num_layers);
        }
    }
    o.context = o.context ? o.context : c->max_seq_len;
    features = features ? features : 4 * c->channels;
    struct transcoder *tcs = calloc((size_t)n, sizeof *tcs);
    gsl_rng *rng = rng_create((unsigned long)seed);
    FILE *logf = log ? fopen(log, "w") : NULL;
    int ok = tcs && rng && (!log || logf);
    for (int k = 0; ok && k < n; k++)
        ok = transcoder_create(&tcs[k], layers[k], c->channels, features) == 0;
    if (log && !logf)
        snprintf(err, sizeof err, "cannot write %s", log);
    if (logf)
        fprintf(logf, "step\tblock\tloss\tE\tL0\n");
    o.log = logf;
    if (ok && transcoder_train(&in.m, tcs, n, in.tokens, in.n_tokens, &o, rng, err, sizeof err) == 0
        && transcoder_save(tcs, n, out, err, sizeof err) == 0
        && (!val || report_on(&in, tcs, n, val, o.batch, val_batches, err, sizeof err) == 0))
        status = 0;
    if (logf && (ferror(logf) | fclose(logf)) && status == 0)
        status = 1, snprintf(err, sizeof err, "%s: could not write the log", log);
    if (status)
        fprintf(stderr, "longhand transcoder train: %s\n", err);
    transcoder_free_all(tcs, tcs ? n : 0);
    gsl_rng_free(rng);
    free_tc_input(&in);
    return status;
}
/* transcoder command: eval */
static int transcoder_eval_cmd(int argc, char **argv)
{
    struct tc_input in = { 0 };
    const char *path = NULL;
    int batch = 8, batches = 8;
    const struct cli_option options[] = {
        TC_INPUT_OPTIONS(in),
        { "transcoder", 'x', CLI_STRING, 0, 0, &path, "FILE", .required = 1,
          .help = "the transcoders" },
        { "batch", 'B', CLI_INT, 1, MAX_BATCH, &batch, "B", .help = "rows a pass" },
        { "batches", 'n', CLI_INT, 1, MAX_STEPS, &batches, "N", .help = "at most N passes" },
        { 0 },
    };
    const struct cli_spec spec = { "transcoder eval", "", "Measure transcoders on a text "
        "in rows of the model's context: per block\nthe fraction of variance unexplained "
        "(eq. fvu), the mean L0, the fraction\nof dead features and the top-1 agreement "
        "of the model with that MLP\nreplaced; the row 'all' replaces every one.",
        options, 0, 0 };
    int first, n = 0, status = 1;
    struct transcoder *tcs = NULL;
    char err[512];
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    if (load_tc_input(&in, "transcoder eval") != 0)
        return 1;
    if (transcoder_load(path, &tcs, &n, err, sizeof err) == 0
        && report_on(&in, tcs, n, in.data, batch, batches, err, sizeof err) == 0)
        status = 0;
    else
        fprintf(stderr, "longhand transcoder eval: %s\n", err);
    transcoder_free_all(tcs, n);
    free_tc_input(&in);
    return status;
}
/* transcoder command: features */
/* transcoder command: one context */
static void print_token_bytes(const struct tokenizer *tok, int32_t id)
{
    size_t n = 0;
    const unsigned char *b = tokenizer_token(tok, id, &n);
    for (size_t i = 0; b && i < n; i++)
        if (b[i] == '\t' || b[i] == '\n' || b[i] == '\\')
            printf("\\%c", b[i] == '\t' ? 't' : b[i] == '\n' ? 'n' : '\\');
        else if (b[i] < 0x20 || b[i] >= 0x7f)
            printf("\\x%02x", b[i]);
        else
            putchar(b[i]);
}

/* The window tokens before position, within its row, then [the token]. */
static void print_context(const struct tc_input *in, long position, int window)
{
    long T = in->m.config.max_seq_len, start = position - window;
    if (start < position / T * T)
        start = position / T * T;
    for (long i = start; i < position; i++)
        print_token_bytes(in->tok, in->tokens[i]);
    putchar('[');
    print_token_bytes(in->tok, in->tokens[position]);
    putchar(']');
}

static int transcoder_features_cmd(int argc, char **argv)
{
    struct tc_input in = { 0 };
    const char *path = NULL;
    int layer = 0, top = 5, window = 8, alive = 0, batch = 8, want[4096], n_want = 0;
    /* the options of transcoder features */
    const struct cli_option options[] = {
        TC_INPUT_OPTIONS(in),
        { "transcoder", 'x', CLI_STRING, 0, 0, &path, "FILE", .required = 1,
          .help = "the transcoders" },
        { "layer", 'l', CLI_INT, 1, GPT_MAX_LAYERS, &layer, "L", .required = 1,
          .help = "the block (from 1)" },
        { "features", 'f', CLI_INTS, 0, TRANSCODER_MAX_FEATURES - 1, want, "N,...",
          .given = &n_want, .max_count = 4096, .help = "these features (from 0)" },
        { "alive", 'a', CLI_INT, 1, TRANSCODER_MAX_FEATURES, &alive, "N",
          .help = "or the first N features that fire" },
        { "top", 'k', CLI_INT, 1, 1000, &top, "K", .help = "contexts per feature" },
        { "window", 'w', CLI_INT, 0, 256, &window, "W", .help = "tokens shown before the top one" },
        { "batch", 'B', CLI_INT, 1, MAX_BATCH, &batch, "B", .help = "rows a pass" },
        { 0 },
    };
    const struct cli_spec spec = { "transcoder features", "", "Each feature's top-activating "
        "contexts in the text, as TSV: block, feature,\nthe fraction of tokens it fires on, "
        "rank, activation, and the tokens\nbefore the top one with that token in brackets.",
        options, 0, 0 };
    int first, n = 0, status = 1;
    struct transcoder *tcs = NULL;
    char err[512] = "out of memory";
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    if (load_tc_input(&in, "transcoder features") != 0)
        return 1;
    /* scan the text with the block's transcoder and print the contexts */
    const struct transcoder *tc = NULL;
    struct feature_context *best = NULL;
    long *fires = NULL;
    if (transcoder_load(path, &tcs, &n, err, sizeof err) == 0) {
        for (int k = 0; k < n; k++)
            if (tcs[k].layer == layer - 1)
                tc = &tcs[k];
        if (!tc)
            snprintf(err, sizeof err, "%s has no transcoder of block %d", path, layer);
        for (int k = 0; tc && k < n_want; k++)
            if (want[k] >= tc->F)
                tc = NULL, snprintf(err, sizeof err, "feature %d: the transcoder has %d", want[k],
                                    tcs[0].F);
    }
    if (tc && (best = malloc((size_t)tc->F * top * sizeof *best))
        && (fires = malloc((size_t)tc->F * sizeof *fires))
        && transcoder_top_contexts(&in.m, tc, in.tokens, in.n_tokens, batch, top, best, fires,
                                   err, sizeof err) == 0) {
        /* print the top contexts of the features asked for */
        long rows_tokens = (long)(in.n_tokens / (size_t)in.m.config.max_seq_len) * in.m.config.max_seq_len;
        int shown = 0;
        printf("block\tfeature\tfires\trank\tactivation\tcontext\n");
        for (int f = 0; f < tc->F; f++) {
            int asked = n_want == 0;
            for (int k = 0; k < n_want; k++)
                asked |= want[k] == f;
            if (!asked || (n_want == 0 && fires[f] == 0) || (alive && shown >= alive))
                continue;
            shown++;
            for (int r = 0; r < top && best[(size_t)f * top + r].position >= 0; r++) {
                const struct feature_context *fc = &best[(size_t)f * top + r];
                printf("%d\t%d\t%.3g\t%d\t%.3f\t", layer, f, (double)fires[f] / (double)rows_tokens,
                       r + 1, fc->activation);
                print_context(&in, fc->position, window);
                putchar('\n');
            }
        }
        status = fflush(stdout) != 0;
    }
    if (status)
        fprintf(stderr, "longhand transcoder features: %s\n", err);
    free(best), free(fires);
    transcoder_free_all(tcs, n);
    free_tc_input(&in);
    return status;
}

int cmd_transcoder(int argc, char **argv)
{
    static const struct command subcommands[] = {
        { "train", transcoder_train_cmd, "train transcoders on a model's MLPs over a text" },
        { "eval", transcoder_eval_cmd, "variance unexplained, L0 and replacement agreement" },
        { "features", transcoder_features_cmd, "each feature's top-activating contexts" },
    };
    return cli_dispatch("transcoder", subcommands,
                        (int)(sizeof subcommands / sizeof *subcommands), argc, argv);
}
