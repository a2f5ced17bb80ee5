/* cmd-step.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "adamw.h"
#include "commands.h"
#include "gpt.h"
#include "numbers.h"
#include "support.h"

struct step_options {
    const char *model, *tokens, *grads_out, *model_out;
    int B, T;
    double lr, beta1, beta2, eps, weight_decay;
};
/* step command */
/* The first n whitespace-separated ids of path into ids; 0, or -1 with a message. */
static int read_token_ids(const char *path, int *ids, long n)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "longhand step: %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* read words into ids until n of them or one that is not an id */
    char word[32] = "";
    long i = 0, id = 0;
    int bad_word = 0;
    while (i < n && fscanf(f, "%31s", word) == 1) {
        bad_word = strlen(word) == sizeof word - 1
                   || parse_long(word, 0, 2147483647L, &id) != 0;
        if (bad_word)
            break;
        ids[i++] = (int)id;
    }
    fclose(f);
    if (i == n)
        return 0;
    if (bad_word)
        fprintf(stderr, "longhand step: %s: want %ld token ids (whole numbers from 0), "
                "found %ld before the bad word '%s'\n", path, n, i, word);
    else
        fprintf(stderr, "longhand step: %s: want %ld token ids (whole numbers from 0), "
                "found %ld before the end\n", path, n, i);
    return -1;
}
/* step command */
static int run_step(const struct step_options *o)
{
    struct adamw_hparams h = { .lr = (float)o->lr, .beta1 = (float)o->beta1,
                               .beta2 = (float)o->beta2, .eps = (float)o->eps,
                               .weight_decay = (float)o->weight_decay };
    struct gpt m;
    struct adamw opt = { 0 };
    char err[512];
    long n = (long)o->B * o->T;
    int *ids = malloc((size_t)(n + 1) * sizeof *ids), status = 1;
    if (!ids || gpt_load(&m, o->model, err, sizeof err) != 0) {
        fprintf(stderr, "longhand step: %s\n", ids ? err : "out of memory");
        free(ids);
        return 1;
    }
    if (o->T > m.config.max_seq_len)
        status = usage_error("step", "--context %d is beyond the model's context %d",
                             o->T, m.config.max_seq_len);
    else if (read_token_ids(o->tokens, ids, n + 1) == 0) {
        /* run one forward, backward and update, and write the results */
        if (gpt_forward(&m, ids, ids + 1, o->B, o->T, err, sizeof err) != 0)
            fprintf(stderr, "longhand step: %s\n", err);
        else if (adamw_create(&opt, m.num_params, h) != 0)
            fprintf(stderr, "longhand step: out of memory\n");
        else {
            gpt_zero_grad(&m);
            gpt_backward(&m);
            printf("loss %.9g\n", m.mean_loss);
            adamw_update(&opt, m.params, m.grads);
            status = 0;
            size_t bytes = m.num_params * sizeof(float);
            if (o->grads_out
                && write_file_atomically(o->grads_out, NULL, 0, m.grads, bytes, err, sizeof err))
                status = 1;
            if (status == 0 && o->model_out && gpt_save(&m, o->model_out, err, sizeof err))
                status = 1;
            if (status)
                fprintf(stderr, "longhand step: %s\n", err);
        }
    }
    adamw_free(&opt);
    gpt_free(&m);
    free(ids);
    return status;
}

int cmd_step(int argc, char **argv)
{
    struct adamw_hparams h = adamw_defaults();
    struct step_options o = { .lr = h.lr, .beta1 = h.beta1, .beta2 = h.beta2,
                              .eps = h.eps, .weight_decay = h.weight_decay };
    /* the options of step */
    const struct cli_option options[] = {
        { "model", 'm', CLI_STRING, 0, 0, &o.model, "FILE", .required = 1,
          .help = "the checkpoint" },
        { "tokens", 'k', CLI_STRING, 0, 0, &o.tokens, "FILE", .required = 1,
          .help = "token ids, whitespace-separated" },
        { "batch", 'B', CLI_INT, 1, MAX_BATCH, &o.B, "B", .required = 1,
          .help = "rows of the batch" },
        { "context", 'T', CLI_INT, 1, GPT_MAX_CONTEXT, &o.T, "T", .required = 1,
          .help = "positions per row" },
        { "lr", 'l', CLI_DOUBLE, 0, 1e3, &o.lr, "X", .help = "learning rate" },
        { "beta1", '1', CLI_DOUBLE, 0, 0.999999, &o.beta1, "X", .help = "momentum's decay" },
        { "beta2", '2', CLI_DOUBLE, 0, 0.999999, &o.beta2, "X", .help = "the RMS's decay" },
        { "eps", 'e', CLI_DOUBLE, 1e-30, 1, &o.eps, "X", .help = "added to the RMS" },
        { "weight-decay", 'w', CLI_DOUBLE, 0, 1e3, &o.weight_decay, "X",
          .help = "decoupled weight decay" },
        { "grads-out", 'g', CLI_STRING, 0, 0, &o.grads_out, "FILE",
          .help = "write the gradients (fp32, parameter order)" },
        { "model-out", 'o', CLI_STRING, 0, 0, &o.model_out, "FILE",
          .help = "write the updated checkpoint" },
        { 0 },
    };
    const struct cli_spec spec = { "step", "", "Read the first B*T+1 token ids of FILE "
        "(inputs: the first B*T; targets: the\nsame shifted by one), run one forward "
        "pass, one backward pass and one AdamW\nupdate, print 'loss L', and write the "
        "gradients and the updated checkpoint.", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    return run_step(&o);
}
