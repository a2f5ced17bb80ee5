/* cmd-baseline.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "baseline.h"
#include "commands.h"
#include "gpt.h"
#include "support.h"
#include "tokenizer.h"

/* cmd-baseline.c: the options */
struct baseline_command {
    const char *tokenizer, *train, *val, *model, *values;
    int batch;
};
/* cmd-baseline.c: reading a text as tokens */
/* The tokens of the file at path in *ids (caller frees), their number in *n
   and the file's bytes in *bytes; 0, or -1 with a reason in err. */
static int read_tokens(struct tokenizer *tok, const char *path, int32_t **ids, size_t *n,
                       size_t *bytes, char *err, size_t errlen)
{
    size_t len = 0;
    unsigned char *text = read_file(path, &len);
    int status = -1;
    if (!text)
        return snprintf(err, errlen, "%s: %s", path, strerror(errno)), -1;
    if ((*ids = malloc((len + 1) * sizeof **ids)))
        status = tokenizer_encode(tok, text, len, *ids, n);
    if (status != 0)
        snprintf(err, errlen, "%s: %s", path, *ids ? "not text this tokenizer encodes"
                                                   : "out of memory");
    *bytes = len;
    free(text);
    return status;
}
/* cmd-baseline.c: the model's loss on the same tokens */
/* The summed loss of the model at path on tokens[1..n) given the ones
   before, in rows of its context, B rows a pass; 0, or -1 with err. */
static int model_nats(const char *path, const int32_t *tokens, size_t n, int B,
                      double *nats, char *err, size_t errlen)
{
    struct gpt m;
    if (gpt_load(&m, path, err, errlen) != 0)
        return -1;
    int T = m.config.max_seq_len, status = 0;
    size_t targets = n - 1, row = (size_t)T;
    int *in = malloc(((size_t)B * T + 1) * sizeof *in);
    *nats = 0;
    if (!in)
        status = -1, snprintf(err, errlen, "out of memory");
    for (size_t start = 0; status == 0 && start < targets;) {
        /* score one pass of up to B rows from start */
        size_t left = targets - start, rows = left / row < (size_t)B ? left / row : (size_t)B;
        int pass_B = rows > 0 ? (int)rows : 1, pass_T = rows > 0 ? T : (int)left;
        size_t positions = (size_t)pass_B * pass_T;
        for (size_t i = 0; i <= positions; i++)
            in[i] = tokens[start + i];
        if (gpt_forward(&m, in, in + 1, pass_B, pass_T, err, errlen) != 0) {
            status = -1;
            break;
        }
        for (size_t i = 0; i < positions; i++)
            *nats += m.act[ACT_LOSSES][i];
        start += positions;
    }
    free(in);
    gpt_free(&m);
    return status;
}
/* cmd-baseline.c: printing the table or the values */
static void print_results(const struct baseline_command *c, const struct baseline *b,
                          const struct baseline_score *s, double model, size_t bytes)
{
    const char *file = c->model ? strrchr(c->model, '/') : NULL;
    char model_name[256];
    snprintf(model_name, sizeof model_name, "model %s",
             file ? file + 1 : c->model ? c->model : "");
    const char *name[3] = { "unigram, add-one", "bigram, absolute discounting", model_name };
    const char *key[3] = { "Unigram", "Bigram", "Model" };
    double nats[3] = { s->unigram_nats, s->bigram_nats, model };
    if (!c->values)
        printf("model\tnats per token\tbits per byte\tto bigram\n");
    for (int k = 0; k < (c->model ? 3 : 2); k++) {
        double loss = nats[k] / (double)s->tokens, bpb = bits_per_byte(nats[k], bytes);
        if (c->values) {
            printf("%s%sLoss\t%.4f\n%s%sBpb\t%.4f\n", c->values, key[k], loss, c->values,
                   key[k], bpb);
            if (k != 1)
                printf("%s%sRatio\t%.4f\n", c->values, key[k], nats[k] / nats[1]);
        } else
            printf("%s\t%.4f\t%.4f\t%.4f\n", name[k], loss, bpb, nats[k] / nats[1]);
    }
    if (c->values)
        printf("%sValTokens\t%ld\n%sValBytes\t%zu\n%sTrainingTokens\t%ld\n"
               "%sBigramDiscount\t%.4f\n%sUnseenPairs\t%ld\n%sUnseenTokens\t%ld\n",
               c->values, s->tokens, c->values, bytes, c->values, b->n, c->values, b->D,
               c->values, s->unseen_pairs, c->values, s->unseen_tokens);
}
/* cmd-baseline.c: the command */
int cmd_baseline(int argc, char **argv)
{
    struct baseline_command c = { .batch = 8 };
    const struct cli_option options[] = {
        { "tokenizer", 't', CLI_STRING, 0, 0, &c.tokenizer, "PATH", .required = 1,
          .help = "a tokenizer file, or a directory of GPT-2's files" },
        { "train", 'd', CLI_STRING, 0, 0, &c.train, "FILE", .required = 1,
          .help = "the text the baselines are fitted to" },
        { "val", 'v', CLI_STRING, 0, 0, &c.val, "FILE", .required = 1,
          .help = "the text they are scored on" },
        { "model", 'm', CLI_STRING, 0, 0, &c.model, "FILE",
          .help = "also score this checkpoint on the same tokens" },
        { "batch", 'B', CLI_INT, 1, MAX_BATCH, &c.batch, "B",
          .help = "the model's rows scored at a time" },
        { "values", 0, CLI_STRING, 0, 0, &c.values, "NAME",
          .help = "print NAME-prefixed values for the book, not the table" },
        { 0 },
    };
    const struct cli_spec spec = { "baseline", "", "Tokenise both texts, fit a unigram "
        "model (add-one) and a bigram model\n(absolute discounting, D from the "
        "training counts) to --train, and print\ntheir losses on --val in nats per "
        "token and bits per byte, as TSV; with\n--model, also that checkpoint's loss "
        "on the same tokens.", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    char err[1024] = "";
    struct tokenizer *tok = tokenizer_load(c.tokenizer, err, sizeof err);
    int32_t *train = NULL, *val = NULL;
    size_t n_train = 0, n_val = 0, train_bytes = 0, val_bytes = 0;
    struct baseline b = { 0 };
    struct baseline_score s;
    double model = 0;
    int ok = tok
        && read_tokens(tok, c.train, &train, &n_train, &train_bytes, err, sizeof err) == 0
        && read_tokens(tok, c.val, &val, &n_val, &val_bytes, err, sizeof err) == 0
        && baseline_fit(&b, train, (long)n_train, tokenizer_vocab_size(tok), err,
                        sizeof err) == 0
        && baseline_score(&b, val, (long)n_val, &s, err, sizeof err) == 0
        && (!c.model || model_nats(c.model, val, n_val, (int)c.batch, &model, err,
                                   sizeof err) == 0);
    if (ok)
        print_results(&c, &b, &s, model, val_bytes);
    else
        fprintf(stderr, "longhand baseline: %s\n", err);
    baseline_free(&b);
    free(train);
    free(val);
    tokenizer_free(tok);
    return ok ? 0 : 1;
}
