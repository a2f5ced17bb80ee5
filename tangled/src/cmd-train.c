/* cmd-train.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "gpt.h"
#include "support.h"
#include "tokenizer.h"
#include "train.h"
#include "many.h"

/* train command */
static volatile sig_atomic_t train_stop;

static void request_stop(int sig)
{
    if (train_stop)
        _exit(128 + sig);
    train_stop = sig;
}

struct train_command {
    const char *data, *tokenizer, *model, *log;
    int init[4], init_given;   /* --init-config L,H,C,T */
    long seed;
    int seed_given, new_schedule;
    double val_fraction;
    struct train_options o;
    int zero;                  /* --zero */
    struct many many;          /* the ranks of the run (Chapter 16) */
};

static int train_command_run(struct train_command *c);
static int train_read_corpus(struct train_command *c, int32_t **ids, size_t *n,
                             int *vocab, char *err, size_t errlen);
static FILE *train_open_log(const char *path, int t, char *err, size_t errlen);
static int train_claim_output(const struct train_command *c, int *lock, char *err,
                              size_t errlen);
static int train_make_model(struct train_command *c, struct gpt *m, struct adamw *opt,
                            int vocab, char *err, size_t errlen);
/* train command */
static int train_command_run(struct train_command *c)
{
    struct gpt m = { 0 };
    struct adamw opt = { 0 };
    int32_t *ids = NULL;
    int *tokens = NULL, status = 1, lock = -1;
    char err[1024] = "";
    size_t n = 0;
    int vocab = 0;
    /* join the run's ranks, or fail */
    if (many_start(&c->many, c->zero, err, sizeof err) != 0) {
        fprintf(stderr, "longhand train: %s\n", err);
        return 1;
    }
    c->o.many = c->many.ranks > 1 ? &c->many : NULL;
    /* read the corpus, make the model, and train */
    int made = -1;
    if (train_claim_output(c, &lock, err, sizeof err) == 0
        && train_read_corpus(c, &ids, &n, &vocab, err, sizeof err) == 0
        && (tokens = malloc((n ? n : 1) * sizeof *tokens))
        && (made = train_make_model(c, &m, &opt, vocab, err, sizeof err)) == 0) {
        for (size_t i = 0; i < n; i++)
            tokens[i] = ids[i];
        /* split the tokens and train, reporting the outcome */
        long n_val = (long)((double)n * c->val_fraction), n_train = (long)n - n_val;
        struct train_data d = { tokens, tokens + n_train, n_train, n_val };
        FILE *log = NULL;
        if (n_train < (long)c->o.B * c->o.T + 1)
            snprintf(err, sizeof err, "the training split has %ld tokens, fewer than one "
                     "batch of %d x %d + 1", n_train, c->o.B, c->o.T);
        else if (check_room(c->o.out, (CHECKPOINT_HEADER_INTS + STATE_HEADER_INTS) * sizeof(int)
                              + 3ull * m.num_params * sizeof(float), err, sizeof err) != 0)
            ;
        else if (c->log && c->many.rank == 0 && !(log = train_open_log(c->log, opt.t, err, sizeof err)))
            ;
        else {
            /* train with the stop signals caught, and say how it ended */
            static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
            struct sigaction sa = { .sa_handler = request_stop }, old[3];
            sigemptyset(&sa.sa_mask);
            train_stop = 0;
            for (int i = 0; i < 3; i++)
                sigaction(stop_signals[i], &sa, &old[i]);
            c->o.progress = c->many.rank == 0 ? stderr : NULL;
            c->o.progress_on_terminal = isatty(2);
            c->o.log = log;
            /* give the ranks one starting state, and say what ZeRO saves */
            int r = -1;
            if (many_prepare(&c->many, &opt, m.params, m.num_params, err, sizeof err) == 0) {
                if (c->many.ranks > 1 && c->many.rank == 0)
                    fprintf(stderr, "longhand train: %d ranks, %d micro-batches a step%s\n",
                            c->many.ranks, c->many.ranks * c->o.accum,
                            c->many.zero ? ", AdamW's state sharded" : "");
                if (c->many.ranks > 1 && c->many.zero && c->many.rank == 0)
                    fprintf(stderr, "longhand train: m and v of %zu of %zu parameters on this rank, "
                            "%.1f MiB saved per rank\n", opt.n, m.num_params,
                            2.0 * (double)(m.num_params - opt.n) * sizeof(float) / 1048576);
                r = train_run(&m, &opt, &d, &c->o, &train_stop, err, sizeof err);
            }
            for (int i = 0; i < 3; i++)
                sigaction(stop_signals[i], &old[i], NULL);
            if (c->o.progress_on_terminal && c->many.rank == 0)
                fputc('\n', stderr);
            if (r == 1 && c->many.rank == 0)
                fprintf(stderr, "longhand train: stopped by signal %d after step %d; %s written\n",
                        (int)train_stop, opt.t, c->o.out);
            status = r == 0 ? 0 : r == 1 ? 128 + (int)train_stop : 1;
        }
        if (log && fclose(log) != 0 && status == 0)
            status = 1, snprintf(err, sizeof err, "%s: write error", c->log);
    } else if (made == 2)
        status = 2;
    else if (!err[0])
        snprintf(err, sizeof err, "out of memory");
    if (status == 2)
        usage_error("train", "%s", err);
    else if (status == 1 && err[0])
        fprintf(stderr, "longhand train: %s\n", err);
    /* leave the run's ranks, ending them all after a failure */
    if (status != 0 && status != 130 && c->many.ranks > 1 && (err[0] || c->many.rank == 0)) {
        fflush(stderr);
        many_abort(&c->many, status);
    }
    many_stop(&c->many);
    adamw_free(&opt);
    gpt_free(&m);
    free(ids);
    free(tokens);
    if (lock >= 0)
        close(lock);
    return status;
}
/* train command */
static int train_claim_output(const struct train_command *c, int *lock, char *err,
                              size_t errlen)
{
    if (c->many.rank != 0)
        return 0;
    if ((*lock = lock_output(c->o.out, err, errlen)) < 0)
        return -1;
    int finished = train_recover(c->o.out, err, errlen);
    if (finished == 1)
        fprintf(stderr, "longhand train: %s: finished the save a kill interrupted\n",
                c->o.out);
    return finished < 0 ? -1 : 0;
}
/* train command */
static int train_read_corpus(struct train_command *c, int32_t **ids, size_t *n,
                             int *vocab, char *err, size_t errlen)
{
    struct tokenizer *tok = tokenizer_load(c->tokenizer, err, errlen);
    FILE *f = tok ? fopen(c->data, "rb") : NULL;
    if (tok && !f)
        snprintf(err, errlen, "%s: %s", c->data, strerror(errno));
    /* read the whole corpus into text, growing it as it fills */
    unsigned char *text = NULL;
    size_t len = 0, cap = 0;
    int out_of_memory = 0;
    for (size_t got = 1; f && got > 0; len += got) {
        if (len + 65536 > cap) {
            unsigned char *grown = realloc(text, cap = 2 * cap + 65536);
            if (!(out_of_memory = !grown))
                text = grown;
            else
                break;
        }
        got = fread(text + len, 1, cap - len, f);
    }
    if (out_of_memory)
        snprintf(err, errlen, "%s: out of memory", c->data);
    /* tokenise text into *ids */
    int status = -1;
    if (f && text && !ferror(f) && (*ids = malloc((len + 1) * sizeof **ids)))
        status = tokenizer_encode(tok, text, len, *ids, n) == 0 ? 0 : -1;
    if (f && status != 0 && !err[0])
        snprintf(err, errlen, "%s: cannot read or tokenise", c->data);
    if (tok)
        *vocab = tokenizer_vocab_size(tok);
    /* fingerprint the corpus and the tokenizer for the run's record */
    if (status == 0) {
        c->o.data_fingerprint = fnv1a(FNV1A_START, text, len);
        uint64_t h = FNV1A_START;
        for (int32_t id = 0; id < *vocab; id++) {
            size_t bytes = 0;
            const unsigned char *token = tokenizer_token(tok, id, &bytes);
            uint64_t length = bytes;
            h = fnv1a(h, &length, sizeof length);
            if (token)
                h = fnv1a(h, token, bytes);
        }
        c->o.tokenizer_fingerprint = h;
    }
    if (f)
        fclose(f);
    free(text);
    tokenizer_free(tok);
    return status;
}
/* train command */
static int train_make_model(struct train_command *c, struct gpt *m, struct adamw *opt,
                            int vocab, char *err, size_t errlen)
{
    if (c->init_given) {
        /* create the model of --init-config */
        int L = c->init[0], H = c->init[1], C = c->init[2], T = c->init[3];
        if (c->init_given != 4 || L > GPT_MAX_LAYERS || H > GPT_MAX_LAYERS
            || C > GPT_MAX_CHANNELS || T > GPT_MAX_CONTEXT) {
            snprintf(err, errlen, "--init-config wants L,H,C,T, four whole numbers within "
                     "the limits of a model (%d layers and heads, %d channels, context %d)",
                     GPT_MAX_LAYERS, GPT_MAX_CHANNELS, GPT_MAX_CONTEXT);
            return 2;
        }
        struct gpt_config cfg = { .max_seq_len = T, .vocab_size = vocab,
                                  .padded_vocab_size = padded_vocab(vocab), .num_layers = L,
                                  .num_heads = H, .channels = C };
        const char *invalid = gpt_config_error(&cfg);
        if (invalid)
            return snprintf(err, errlen, "--init-config: not a valid model: %s", invalid), 2;
        if (gpt_create(m, &cfg) != 0 || gpt_init(m, (unsigned long)c->seed) != 0)
            return snprintf(err, errlen, "out of memory"), -1;
    } else if (gpt_load(m, c->model, err, errlen) != 0)
        return -1;
    if (c->o.T > m->config.max_seq_len)
        return snprintf(err, errlen, "--context %d is beyond the model's context %d",
                        c->o.T, m->config.max_seq_len), 2;
    if (m->config.vocab_size < vocab) {
        snprintf(err, errlen, "the model's vocabulary (%d) is smaller than the "
                 "tokenizer's (%d)", m->config.vocab_size, vocab);
        return -1;
    }
    if (adamw_create(opt, m->num_params, adamw_defaults()) != 0)
        return snprintf(err, errlen, "out of memory"), -1;
    /* resume from the model's optimiser state, if it has one */
    char state[4096];
    if (snprintf(state, sizeof state, "%s.state", c->model ? c->model : "")
        >= (int)sizeof state)
        return snprintf(err, errlen, "--model: the name is too long"), -1;
    if (c->model && access(state, F_OK) == 0) {
        struct train_record was;
        if (adamw_load(opt, m->params, &was, state, err, errlen) != 0)
            return -1;
        /* refuse a resume whose run differs from its record, unless --new-schedule */
        if (!c->seed_given)
            c->o.seed = was.seed;
        struct train_record now = train_record_of(&c->o);
        char changes[1024];
        if (train_record_changes(&was, &now, changes, sizeof changes) > 0) {
            if (!c->new_schedule)
                return snprintf(err, errlen, "%.300s records another run: %.600s; give "
                                "--new-schedule to continue from the checkpoint with this "
                                "command line's", state, changes), -1;
            fprintf(stderr, "longhand train: a new schedule from step %d: %s\n", opt->t, changes);
        }
        /* refuse to resume a finished run, saying how to extend it */
        if (opt->t >= c->o.steps)
            return snprintf(err, errlen, "%.900s: the run is finished, at step %d of --steps "
                            "%d; to train further, raise --steps and give --new-schedule",
                            state, opt->t, c->o.steps), -1;
        fprintf(stderr, "longhand train: resuming at step %d\n", opt->t + 1);
    }
    return 0;
}
/* train command */
static FILE *train_open_log(const char *path, int t, char *err, size_t errlen)
{
    FILE *f = t > 0 ? fopen(path, "r+") : NULL;
    if (!f && (t == 0 || errno == ENOENT)) {
        if ((f = fopen(path, "w")))
            fprintf(f, "step\tlr\tloss\tval\n");
    } else if (f) {
        /* cut the log after its row of step t */
        char line[512];
        long keep = 0;
        int step;
        while (fgets(line, sizeof line, f) && strchr(line, '\n')
               && (sscanf(line, "%d", &step) != 1 || step <= t))
            keep = ftell(f);
        if (fseek(f, keep, SEEK_SET) != 0 || ftruncate(fileno(f), keep) != 0) {
            int why = errno;
            fclose(f);
            f = NULL;
            errno = why;
        }
    }
    if (!f)
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return f;
}

int cmd_train(int argc, char **argv)
{
    struct train_command c = {
        .val_fraction = 0.1,
        .o = { .accum = 1, .val_batches = 8 },
    };
    double lr = 3e-4, min_lr = 0;
    /* the options of train */
    const struct cli_option options[] = {
        { "data", 'd', CLI_STRING, 0, 0, &c.data, "FILE", .required = 1,
          .help = "the text to train on" },
        { "tokenizer", 't', CLI_STRING, 0, 0, &c.tokenizer, "PATH", .required = 1,
          .help = "a tokenizer file, or a directory of GPT-2's files" },
        { "model", 'm', CLI_STRING, 0, 0, &c.model, "FILE",
          .help = "start from this checkpoint, resuming from FILE.state" },
        { "init-config", 'i', CLI_INTS, 1, GPT_MAX_VOCAB, c.init, "L,H,C,T",
          .given = &c.init_given, .max_count = 4,
          .help = "or a new model of these sizes" },
        { "batch", 'B', CLI_INT, 1, MAX_BATCH, &c.o.B, "B", .required = 1,
          .help = "rows per micro-batch" },
        { "context", 'T', CLI_INT, 1, GPT_MAX_CONTEXT, &c.o.T, "T", .required = 1,
          .help = "positions per row" },
        { "steps", 'n', CLI_INT, 1, MAX_STEPS, &c.o.steps, "N", .required = 1,
          .help = "optimiser steps in the whole run" },
        { "lr", 'l', CLI_DOUBLE, 0, 10, &lr, "X", .help = "the peak learning rate" },
        { "min-lr", 'L', CLI_DOUBLE, 0, 10, &min_lr, "X", .help = "the cosine's floor" },
        { "warmup", 'w', CLI_INT, 0, MAX_STEPS, &c.o.lr.warmup, "N",
          .help = "steps of linear warmup" },
        { "grad-clip", 'c', CLI_DOUBLE, 0, 1e30, &c.o.grad_clip, "X",
          .help = "clip the gradient's norm to X (0: no clipping)" },
        { "accum", 'a', CLI_INT, 1, MAX_BATCH, &c.o.accum, "K",
          .help = "micro-batches per step" },
        { "val-every", 'v', CLI_INT, 0, MAX_STEPS, &c.o.val_every, "N",
          .help = "validate every N steps (0: never)" },
        { "val-batches", 'V', CLI_INT, 1, 1 << 20, &c.o.val_batches, "N",
          .help = "batches per validation" },
        { "val-fraction", 'f', CLI_DOUBLE, 0, 0.9, &c.val_fraction, "X",
          .help = "the corpus's last fraction, held out" },
        { "checkpoint-every", 'k', CLI_INT, 0, MAX_STEPS, &c.o.checkpoint_every, "N",
          .help = "save every N steps (0: only at the end)" },
        { "seed", 's', CLI_LONG, 0, 4294967295.0, &c.seed, "S", .given = &c.seed_given,
          .help = "the new model's initialisation" },
        { "new-schedule", 'N', CLI_FLAG, 0, 0, &c.new_schedule, "",
          .help = "resume --model with this command line's batch and schedule" },
        { "log", 'g', CLI_STRING, 0, 0, &c.log, "FILE", .help = "step, lr, loss, val as TSV" },
        { "zero", 'z', CLI_FLAG, 0, 0, &c.zero, NULL,
          .help = "under mpirun: shard AdamW's m and v over the ranks (ZeRO-1)" },
        { "output", 'o', CLI_STRING, 0, 0, &c.o.out, "FILE", .required = 1,
          .help = "the checkpoint; its optimiser state goes to FILE.state" },
        { 0 },
    };
    const struct cli_spec spec = { "train", "", "Train on the text of FILE, tokenised "
        "with PATH, holding out its last tenth\n(--val-fraction) for validation.  Start "
        "from --model FILE, resuming from\nFILE.state when it exists, or from a new model "
        "of --init-config L,H,C,T.\nWrite the checkpoint and its state every "
        "--checkpoint-every steps, at the end,\nand on Ctrl-C, SIGTERM or SIGHUP "
        "(a second one exits at once).  A resumed run must have "
        "the batch, schedule and data\nthe state records, unless --new-schedule starts a "
        "new schedule from the\ncheckpoint (to extend a finished run, raise --steps).",
        options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    if (!c.model == !c.init_given)
        return usage_error("train", "want one of --model and --init-config");
    c.o.lr.max_lr = (float)lr, c.o.lr.min_lr = (float)min_lr;
    c.o.lr.steps = c.o.steps;
    c.o.seed = (uint64_t)c.seed;
    return train_command_run(&c);
}
