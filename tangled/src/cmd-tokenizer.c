/* cmd-tokenizer.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <errno.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "support.h"
#include "tokenizer.h"

/* tokenizer command: train */
static int train_corpus(char **files, int n_files, int vocab_size, const char *out);

static int tokenizer_train_cmd(int argc, char **argv)
{
    int vocab_size = 0;
    const char *out = NULL;
    const struct cli_option options[] = {
        { "vocab-size", 'v', CLI_INT, 256, TOKENIZER_MAX_VOCAB, &vocab_size, "N",
          .required = 1, .help = "tokens: 256 bytes and N - 256 merges" },
        { "output", 'o', CLI_STRING, 0, 0, &out, "FILE",
          .help = "where the tokenizer goes (default: standard output)" },
        { 0 },
    };
    const struct cli_spec spec = { "tokenizer train", "CORPUS...", "Learn byte-level "
        "BPE merges from the CORPUS files until the vocabulary has\nN tokens (fewer "
        "if no pair is left), and write the tokenizer.", options, 1, -1 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    return train_corpus(argv + first, argc - first, vocab_size, out);
}
/* tokenizer command: train */
static int train_corpus(char **files, int n_files, int vocab_size, const char *out)
{
    unsigned char **texts = calloc((size_t)n_files, sizeof *texts);
    size_t *lens = calloc((size_t)n_files, sizeof *lens);
    int status = texts && lens ? 0 : 1;
    /* read each corpus file whole */
    for (int i = 0; status == 0 && i < n_files; i++) {
        FILE *f = fopen(files[i], "rb");
        if (!f || !(texts[i] = read_stream(f, &lens[i]))) {
            fprintf(stderr, "longhand tokenizer train: %s: %s\n", files[i],
                    strerror(errno));
            status = 1;
        }
        if (f)
            fclose(f);
    }
    /* train on the texts and write the tokenizer to out */
    char err[512];
    struct tokenizer *tok = NULL;
    if (status == 0 && !(tok = tokenizer_train((const unsigned char *const *)texts, lens,
                                               (size_t)n_files, vocab_size,
                                               isatty(2) ? stderr : NULL, err, sizeof err))) {
        fprintf(stderr, "longhand tokenizer train: %s\n", err);
        status = 1;
    }
    /* write tok to out atomically, or to standard output */
    int written = 0;
    if (tok && !out && !(written = tokenizer_save(tok, stdout) == 0 && fflush(stdout) == 0))
        snprintf(err, sizeof err, "standard output: %s", strerror(errno));
    struct atomic_file a;
    if (tok && out && atomic_open(&a, out, 0, err, sizeof err) == 0) {
        int saved = tokenizer_save(tok, a.f) == 0;
        int closed = atomic_close(&a, err, sizeof err) == 0;
        if (closed && !saved) {
            unlink(a.tmp);
            snprintf(err, sizeof err, "%s: not a tokenizer this program writes", out);
        }
        written = closed && saved && atomic_rename(&a, err, sizeof err) == 0;
    }
    if (tok && !written) {
        fprintf(stderr, "longhand tokenizer train: cannot write %s\n", err);
        status = 1;
    }
    tokenizer_free(tok);
    for (int i = 0; texts && i < n_files; i++)
        free(texts[i]);
    free(texts), free(lens);
    return status;
}
/* tokenizer command: encode */
/* Parse --tokenizer PATH into *tok: CLI_CONTINUE, or the exit status to return. */
static int tokenizer_option(int argc, char **argv, const char *cmd, const char *what,
                            struct tokenizer **tok)
{
    const char *path = NULL;
    const struct cli_option options[] = {
        { "tokenizer", 't', CLI_STRING, 0, 0, &path, "PATH", .required = 1,
          .help = "a tokenizer file, or a directory of GPT-2's files" },
        { 0 },
    };
    const struct cli_spec spec = { cmd, "", what, options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    /* load the tokenizer at path, or say why not */
    char err[512];
    if (!(*tok = tokenizer_load(path, err, sizeof err))) {
        fprintf(stderr, "longhand %s: %s\n", cmd, err);
        return 1;
    }
    return CLI_CONTINUE;
}
/* tokenizer command: encode */
static int tokenizer_encode_cmd(int argc, char **argv)
{
    struct tokenizer *tok = NULL;
    int status = tokenizer_option(argc, argv, "tokenizer encode", "Encode the text on "
                                  "standard input; print its ids on one line.", &tok);
    if (status != CLI_CONTINUE)
        return status;
    status = 0;
    size_t len, n = 0;
    unsigned char *text = read_stream(stdin, &len);
    int32_t *ids = text ? malloc((len + 1) * sizeof *ids) : NULL;
    if (!ids || tokenizer_encode(tok, text, len, ids, &n) != 0) {
        fprintf(stderr, "longhand tokenizer encode: cannot read or encode the input\n");
        status = 1;
    }
    /* print the ids on one line, separated by spaces */
    for (size_t i = 0; status == 0 && i < n; i++)
        printf(i ? " %d" : "%d", ids[i]);
    if (status == 0 && (putchar('\n') == EOF || fflush(stdout) != 0))
        status = 1;
    free(ids), free(text), tokenizer_free(tok);
    return status;
}
/* tokenizer command: decode */
static int tokenizer_decode_cmd(int argc, char **argv)
{
    struct tokenizer *tok = NULL;
    int status = tokenizer_option(argc, argv, "tokenizer decode", "Decode the ids on "
                                  "standard input; write their bytes.", &tok);
    if (status != CLI_CONTINUE)
        return status;
    size_t len;
    char *text = (char *)read_stream(stdin, &len), *p = text, *end;
    if (text)
        text[len] = '\0';
    for (status = text ? 0 : 1; status == 0;) {
        /* write the bytes of the next id, or stop at the end */
        p += strspn(p, " \t\r\n");
        if (*p == '\0')
            break;
        errno = 0;
        long id = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : -1;
        size_t k;
        const unsigned char *s = id >= 0 && id <= INT32_MAX && !errno && strchr(" \t\r\n", *end)
                                 ? tokenizer_token(tok, (int32_t)id, &k) : NULL;
        if (!s) {
            int shown = (int)strcspn(p, " \t\r\n");
            fprintf(stderr, "longhand tokenizer decode: '%.*s' is not a token id (0 to %d)\n",
                    shown < 20 ? shown : 20, p, tokenizer_vocab_size(tok) - 1);
            status = 1;
        } else
            fwrite(s, 1, k, stdout), p = end;
    }
    free(text), tokenizer_free(tok);
    return fflush(stdout) == 0 ? status : 1;
}
/* tokenizer command: bench */
enum { BENCH_MAX_REPEAT = 100 };  /* the size of run_bench's arrays of times */
struct bench_options { const char *corpus, *text, *tokenizer; int vocab_size, repeat; };
static int run_bench(const struct bench_options *o);

static int tokenizer_bench_cmd(int argc, char **argv)
{
    struct bench_options o = { .vocab_size = 4096, .repeat = 5 };
    const struct cli_option options[] = {
        { "corpus", 'c', CLI_STRING, 0, 0, &o.corpus, "FILE", .required = 1,
          .help = "the text to train on" },
        { "text", 'x', CLI_STRING, 0, 0, &o.text, "FILE", .required = 1,
          .help = "the text to encode" },
        { "tokenizer", 't', CLI_STRING, 0, 0, &o.tokenizer, "PATH", .required = 1,
          .help = "the tokenizer to encode with" },
        { "vocab-size", 'v', CLI_INT, 256, TOKENIZER_MAX_VOCAB, &o.vocab_size, "N",
          .help = "the vocabulary to train to" },
        { "repeat", 'r', CLI_INT, 1, BENCH_MAX_REPEAT, &o.repeat, "N",
          .help = "repetitions; the medians are printed" },
        { 0 },
    };
    const struct cli_spec spec = { "tokenizer bench", "", "Train on the corpus and "
        "encode the text, each --repeat times; print the median\ntime of training "
        "and the median throughput of encoding.", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    return run_bench(&o);
}
/* tokenizer command: bench */
static int run_bench(const struct bench_options *o)
{
    /* read the corpus and the text, and load the tokenizer to encode with */
    size_t n_corpus = 0, n_text = 0, n_ids = 0;
    FILE *fc = fopen(o->corpus, "rb"), *ft = fopen(o->text, "rb");
    unsigned char *corpus = fc ? read_stream(fc, &n_corpus) : NULL;
    unsigned char *text = ft ? read_stream(ft, &n_text) : NULL;
    char err[512] = "cannot read the corpus or the text";
    struct tokenizer *gpt = corpus && text
                            ? tokenizer_load(o->tokenizer, err, sizeof err) : NULL;
    int32_t *ids = malloc((n_text + 1) * sizeof *ids);
    double train_s[BENCH_MAX_REPEAT], encode_s[BENCH_MAX_REPEAT];
    int status = gpt && ids ? 0 : 1;
    for (int r = 0; status == 0 && r < o->repeat; r++) {
        /* time one training and one encoding */
        const unsigned char *texts[1] = { corpus };
        tokenizer_forget_cache(gpt);                   /* outside both timings */
        double t0 = omp_get_wtime();
        struct tokenizer *tok = tokenizer_train(texts, &n_corpus, 1, (int)o->vocab_size, NULL,
                                                err, sizeof err);
        double t1 = omp_get_wtime();
        int failed = tokenizer_encode(gpt, text, n_text, ids, &n_ids);
        double t2 = omp_get_wtime();
        train_s[r] = t1 - t0, encode_s[r] = t2 - t1;
        if (tok && failed)
            snprintf(err, sizeof err, "cannot encode %s", o->text);
        if (!tok || failed)
            status = 1;
        tokenizer_free(tok);
    }
    /* print the medians, or why the bench failed */
    if (status == 0)
        printf("train  %.3f s  (median of %d; %zu bytes to %d tokens)\n"
               "encode %.2f MB/s  (median of %d; %zu bytes to %zu tokens)\n",
               median(train_s, (int)o->repeat), o->repeat, n_corpus, o->vocab_size,
               n_text / 1e6 / median(encode_s, (int)o->repeat), o->repeat, n_text, n_ids);
    else
        fprintf(stderr, "longhand tokenizer bench: %s\n", err);
    if (fc)
        fclose(fc);
    if (ft)
        fclose(ft);
    free(corpus), free(text), free(ids), tokenizer_free(gpt);
    return status;
}

int cmd_tokenizer(int argc, char **argv)
{
    static const struct command subcommands[] = {
        { "train", tokenizer_train_cmd, "learn BPE merges from corpus files" },
        { "encode", tokenizer_encode_cmd, "text on stdin to ids on stdout" },
        { "decode", tokenizer_decode_cmd, "ids on stdin to text on stdout" },
        { "bench", tokenizer_bench_cmd, "time training and encoding" },
    };
    return cli_dispatch("tokenizer", subcommands,
                        (int)(sizeof subcommands / sizeof *subcommands), argc, argv);
}
