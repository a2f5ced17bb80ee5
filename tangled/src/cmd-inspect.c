/* cmd-inspect.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "commands.h"
#include "gpt.h"
#include "inspect.h"
#include "numbers.h"
#include "support.h"
#include "tokenizer.h"

/* inspect command: the input */
enum { INSPECT_MAX_IDS = 4096 };
struct inspect_input {
    const char *model, *tokenizer, *prompt;
    int ids[INSPECT_MAX_IDS], n_ids, repeat;
    long seed;
    struct gpt m;                      /* loaded by load_input */
    struct tokenizer *tok;             /* or NULL */
    int tokens[INSPECT_MAX_IDS], T;    /* the input */
    int next;                          /* the token after it, or -1 if unknown */
};
#define INSPECT_INPUT_OPTIONS(in)                                                     \
    { "model", 'm', CLI_STRING, 0, 0, &(in).model, "FILE", .required = 1,             \
      .help = "the checkpoint" },                                                     \
    { "tokenizer", 't', CLI_STRING, 0, 0, &(in).tokenizer, "PATH",                    \
      .help = "encodes --prompt and names the tokens" },                              \
    { "prompt", 'p', CLI_STRING, 0, 0, &(in).prompt, "TEXT", .help = "the input" },    \
    { "ids", 'i', CLI_INTS, 0, GPT_MAX_VOCAB - 1, (in).ids, "N,N,...",                \
      .help = "the input as token ids", .given = &(in).n_ids,                         \
      .max_count = INSPECT_MAX_IDS },                                                 \
    { "repeat", 'r', CLI_INT, 1, INSPECT_MAX_IDS / 2, &(in).repeat, "N",             \
      .help = "the input: a random span of N tokens, twice" },                        \
    { "seed", 's', CLI_LONG, 0, 4294967295.0, &(in).seed, "S",                       \
      .help = "the generator of --repeat" }
/* inspect command: the input */
static void free_input(struct inspect_input *in)
{
    gpt_free(&in->m);
    tokenizer_free(in->tok);
    in->tok = NULL;
}

static int load_input(struct inspect_input *in, const char *command)
{
    char err[512];
    if (!!in->prompt + !!in->n_ids + !!in->repeat != 1)
        return usage_error(command, "give one input: --prompt, --ids or --repeat");
    if (in->prompt && !in->tokenizer)
        return usage_error(command, "--prompt needs --tokenizer");
    in->next = -1;
    if (gpt_load(&in->m, in->model, err, sizeof err) != 0
        || (in->tokenizer && !(in->tok = tokenizer_load(in->tokenizer, err, sizeof err)))) {
        fprintf(stderr, "longhand %s: %s\n", command, err);
        free_input(in);
        return 1;
    }
    /* make the input's tokens from the prompt, the ids or the seed */
    if (in->prompt) {
        int32_t ids[INSPECT_MAX_IDS];
        size_t n = 0, len = strlen(in->prompt);
        if (len >= INSPECT_MAX_IDS
            || tokenizer_encode(in->tok, (const unsigned char *)in->prompt, len, ids, &n) != 0)
            n = 0;
        for (size_t i = 0; i < n; i++)
            in->tokens[i] = ids[i];
        in->T = (int)n;
    } else if (in->n_ids) {
        memcpy(in->tokens, in->ids, (size_t)in->n_ids * sizeof *in->ids);
        in->T = in->n_ids;
    } else {
        int targets[INSPECT_MAX_IDS];
        gsl_rng *rng = rng_create((unsigned long)in->seed);
        in->T = 0;
        if (rng && 2 * in->repeat <= in->m.config.max_seq_len) {
            inspect_repeated_tokens(rng, in->m.config.vocab_size, in->repeat, 1, in->tokens, targets);
            in->T = 2 * in->repeat, in->next = targets[in->T - 1];
        }
        gsl_rng_free(rng);
    }
    if (in->T < 1 || in->T > in->m.config.max_seq_len) {
        fprintf(stderr, "longhand %s: the input has %d tokens; the model takes 1 to %d\n",
                command, in->T, in->m.config.max_seq_len);
        free_input(in);
        return 1;
    }
    return 0;
}
/* inspect command: the input */
static const char *token_label(const struct inspect_input *in, int id, char *buf, size_t len)
{
    size_t n = 0, k = 0;
    const unsigned char *b = in->tok ? tokenizer_token(in->tok, id, &n) : NULL;
    if (!b) {
        snprintf(buf, len, in->tok ? "<|%d|>" : "%d", id);
        return buf;
    }
    for (size_t i = 0; i < n && k + 5 < len; i++) {
        if (b[i] == '\t' || b[i] == '\n' || b[i] == '\\')
            k += (size_t)snprintf(buf + k, len - k, "\\%c",
                                  b[i] == '\t' ? 't' : b[i] == '\n' ? 'n' : '\\');
        else if (b[i] < 0x20 || b[i] >= 0x7f)
            k += (size_t)snprintf(buf + k, len - k, "\\x%02x", b[i]);
        else
            buf[k++] = (char)b[i];
    }
    buf[k] = '\0';
    return buf;
}
/* inspect command: lens */
/* inspect command: the lens's row at one position */
static void print_lens_row(const struct inspect_input *in, int l, int t, const float *z,
                           double *p, int top)
{
    int V = in->m.config.vocab_size, next = t + 1 < in->T ? in->tokens[t + 1] : in->next;
    double zmax = z[0], sum = 0;
    char a[64], b[64];
    for (int i = 1; i < V; i++)
        zmax = fmax(zmax, z[i]);
    for (int i = 0; i < V; i++)
        sum += p[i] = exp(z[i] - zmax);
    printf("%d\t%d\t%s\t%s\t", l, t, token_label(in, in->tokens[t], a, sizeof a),
           next >= 0 ? token_label(in, next, b, sizeof b) : "-");
    if (next >= 0)
        printf("%.4f\t", p[next] / sum);
    else
        printf("-\t");
    for (int k = 0; k < top && k < V; k++) {
        int best = 0;
        for (int i = 1; i < V; i++)
            if (p[i] > p[best])
                best = i;
        printf("%s%s %.3f", k ? ", " : "", token_label(in, best, a, sizeof a), p[best] / sum);
        p[best] = -1;
    }
    putchar('\n');
}

static int inspect_lens_cmd(int argc, char **argv)
{
    struct inspect_input in = { 0 };
    int top = 3;
    const struct cli_option options[] = {
        INSPECT_INPUT_OPTIONS(in),
        { "top", 'k', CLI_INT, 1, 100, &top, "K", .help = "most probable tokens shown" },
        { 0 },
    };
    const struct cli_spec spec = { "inspect lens", "", "The logit lens (eq. lens): the "
        "stream h^(l) after each block, through the final\nLayerNorm and the "
        "unembedding, at every position: the next token's probability\nand the K "
        "most probable tokens.", options, 0, 0 };
    int first, status;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    if ((status = load_input(&in, "inspect lens")) != 0)
        return status;
    /* run the input and print the lens of every layer */
    char err[512];
    const struct gpt_config *c = &in.m.config;
    float *logits = malloc((size_t)in.T * c->vocab_size * sizeof *logits);
    float *work = malloc((size_t)in.T * (c->channels + 2) * sizeof *work);
    double *p = malloc((size_t)c->vocab_size * sizeof *p);
    status = 1;
    if (!logits || !work || !p)
        fprintf(stderr, "longhand inspect lens: out of memory\n");
    else if (gpt_forward(&in.m, in.tokens, NULL, 1, in.T, err, sizeof err) != 0)
        fprintf(stderr, "longhand inspect lens: %s\n", err);
    else {
        printf("layer\tposition\ttoken\tnext\tp(next)\ttop\n");
        for (int l = 0; l <= c->num_layers; l++) {
            inspect_lens(&in.m, l, logits, work);
            for (int t = 0; t < in.T; t++)
                print_lens_row(&in, l, t, logits + (size_t)t * c->vocab_size, p, top);
        }
        status = fflush(stdout) != 0;
    }
    free(logits), free(work), free(p);
    free_input(&in);
    return status;
}
/* inspect command: heads */
static int inspect_heads_cmd(int argc, char **argv)
{
    const char *model = NULL;
    int span = 0, batch = 8;
    long seed = 1;
    double threshold = 0.4;
    const struct cli_option options[] = {
        { "model", 'm', CLI_STRING, 0, 0, &model, "FILE", .required = 1,
          .help = "the checkpoint" },
        { "span", 'n', CLI_INT, 0, GPT_MAX_CONTEXT / 2, &span, "N",
          .help = "tokens in the repeated span (0: half the context)" },
        { "batch", 'B', CLI_INT, 1, 1024, &batch, "B", .help = "sequences averaged over" },
        { "seed", 's', CLI_LONG, 0, 4294967295.0, &seed, "S", .help = "the sequences' seed" },
        { "threshold", 'x', CLI_DOUBLE, 0, 1, &threshold, "X",
          .help = "a score this large detects its kind" },
        { 0 },
    };
    const struct cli_spec spec = { "inspect heads", "", "Score every head on B random "
        "spans of N tokens, each repeated once: the\nprevious-token, duplicate-token "
        "and induction scores (eqs. score-prev to\nscore-ind), and which reach X.",
        options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    /* load the model, run the repeated spans and print every head's scores */
    char err[512];
    struct gpt m;
    if (gpt_load(&m, model, err, sizeof err) != 0) {
        fprintf(stderr, "longhand inspect heads: %s\n", err);
        return 1;
    }
    const struct gpt_config *c = &m.config;
    if (span == 0)
        span = c->max_seq_len / 2;
    if (span < 1 || 2 * span > c->max_seq_len) {
        gpt_free(&m);
        return usage_error("inspect heads", "--span %d does not fit the context twice", span);
    }
    int *inputs = malloc((size_t)batch * 2 * span * sizeof *inputs), status = 1;
    double *s = malloc((size_t)c->num_layers * c->num_heads * NUM_SCORES * sizeof *s);
    gsl_rng *rng = rng_create((unsigned long)seed);
    if (!inputs || !s || !rng)
        fprintf(stderr, "longhand inspect heads: out of memory\n");
    else
        /* run the spans and print the table */
        {
            inspect_repeated_tokens(rng, c->vocab_size, span, batch, inputs, NULL);
            if (gpt_forward(&m, inputs, NULL, batch, 2 * span, err, sizeof err) != 0)
                fprintf(stderr, "longhand inspect heads: %s\n", err);
            else {
                static const char *const kinds[] = { "previous-token", "duplicate-token", "induction" };
                inspect_head_scores(&m, span, s);
                printf("layer\thead\tprevious-token\tduplicate-token\tinduction\tdetected\n");
                for (int k = 0; k < c->num_layers * c->num_heads; k++) {
                    const double *h = s + (size_t)k * NUM_SCORES;
                    int found = 0;
                    printf("%d\t%d\t%.4f\t%.4f\t%.4f\t", k / c->num_heads + 1, k % c->num_heads + 1,
                           h[0], h[1], h[2]);
                    for (int j = 0; j < NUM_SCORES; j++)
                        if (h[j] >= threshold)
                            printf("%s%s", found++ ? "," : "", kinds[j]);
                    puts(found ? "" : "-");
                }
                status = fflush(stdout) != 0;
            }
        }
    gsl_rng_free(rng), free(s), free(inputs), gpt_free(&m);
    return status;
}
/* inspect command: dla */
/* inspect command: the attribution at one position */
static int attribute_at(struct inspect_input *in, int t, int token, int versus,
                        double *values, double *worst)
{
    const struct gpt_config *c = &in->m.config;
    int j = token >= 0 ? token : t + 1 < in->T ? in->tokens[t + 1] : in->next;
    struct inspect_attribution a = { .values = values };
    if (j < 0)
        return 0;
    if (inspect_dla(&in->m, 0, t, j, versus, &a) != 0)
        return fprintf(stderr, "longhand inspect dla: out of memory\n"), 1;
    for (int i = 0; i < inspect_num_components(c); i++) {
        struct inspect_component k = inspect_component_at(c, i);
        char layer[16] = "-", name[16];
        if (k.layer >= 0)
            snprintf(layer, sizeof layer, "%d", k.layer + 1);
        if (k.kind == COMP_HEAD)
            snprintf(name, sizeof name, "%d", k.head + 1);
        else
            snprintf(name, sizeof name, "%s", k.kind == COMP_ATTN_BIAS ? "bias"
                                              : inspect_kind_name(k.kind));
        printf("%s\t%s\t%d\t%.6g\n", layer, name, t, values[i]);
    }
    *worst = fmax(*worst, fabs(a.sum - a.model) / a.bound);
    if (fabs(a.sum - a.model) <= a.bound)
        return 0;
    fprintf(stderr, "longhand inspect dla: position %d: the sum %.9g is %.3g from the "
            "model's %.9g, beyond the bound %.3g\n", t, a.sum, fabs(a.sum - a.model),
            a.model, a.bound);
    return 1;
}

static int inspect_dla_cmd(int argc, char **argv)
{
    struct inspect_input in = { 0 };
    int token = -1, versus = -1, position = -1;
    const struct cli_option options[] = {
        INSPECT_INPUT_OPTIONS(in),
        { "token", 'j', CLI_INT, -1, GPT_MAX_VOCAB - 1, &token, "ID",
          .help = "the logit attributed (-1: the next token's)" },
        { "versus", 'k', CLI_INT, -1, GPT_MAX_VOCAB - 1, &versus, "ID",
          .help = "minus this token's logit (-1: none)" },
        { "position", 'P', CLI_INT, -1, GPT_MAX_CONTEXT - 1, &position, "T",
          .help = "only this position (-1: every one)" },
        { 0 },
    };
    const struct cli_spec spec = { "inspect dla", "", "Direct logit attribution (eq. "
        "dla): the share of the embedding, every head,\nbias and MLP in a logit or a "
        "logit difference, the final LayerNorm's scale\nfrozen at its value.",
        options, 0, 0 };
    int first, status;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    if ((status = load_input(&in, "inspect dla")) != 0)
        return status;
    /* check the tokens and run the attribution at each position */
    char err[512];
    const struct gpt_config *c = &in.m.config;
    double worst = 0, *values = malloc((size_t)inspect_num_components(c) * sizeof *values);
    status = 1;
    if (token >= c->vocab_size || versus >= c->vocab_size || position >= in.T)
        status = usage_error("inspect dla", "--token, --versus or --position is outside the "
                             "model's %d tokens or the input's %d positions", c->vocab_size, in.T);
    else if (!values || gpt_forward(&in.m, in.tokens, NULL, 1, in.T, err, sizeof err) != 0)
        fprintf(stderr, "longhand inspect dla: %s\n", values ? err : "out of memory");
    else {
        printf("layer\tcomponent\tposition\tvalue\n");
        status = 0;
        for (int t = position < 0 ? 0 : position; t < (position < 0 ? in.T : position + 1); t++)
            status |= attribute_at(&in, t, token, versus, values, &worst);
        fprintf(stderr, "longhand inspect dla: largest |sum - model| / bound %.3g\n", worst);
        status |= fflush(stdout) != 0;
    }
    free(values);
    free_input(&in);
    return status;
}
/* inspect command: patch */
/* inspect command: the corrupted input */
struct corrupted_input {
    const char *prompt;
    int ids[INSPECT_MAX_IDS], n_ids;
    long seed;
    int tokens[INSPECT_MAX_IDS], T, next;
};

static int make_corrupted(const struct inspect_input *in, struct corrupted_input *bad,
                          struct inspect_patching *p)
{
    const struct gpt_config *c = &in->m.config;
    bad->next = -1;
    if (!!bad->prompt + !!bad->n_ids + (bad->seed >= 0) != 1)
        return usage_error("inspect patch", "give one corrupted input: --corrupt, "
                           "--corrupt-ids or --corrupt-seed");
    if ((bad->prompt && !in->tok) || (bad->seed >= 0 && !in->repeat))
        return usage_error("inspect patch", "--corrupt needs --tokenizer, and "
                           "--corrupt-seed needs --repeat");
    /* make the corrupted tokens */
    if (bad->prompt) {
        int32_t ids[INSPECT_MAX_IDS];
        size_t n = 0, len = strlen(bad->prompt);
        if (len < INSPECT_MAX_IDS
            && tokenizer_encode(in->tok, (const unsigned char *)bad->prompt, len, ids, &n) == 0)
            for (size_t i = 0; i < n; i++)
                bad->tokens[i] = ids[i];
        bad->T = (int)n;
    } else if (bad->n_ids) {
        memcpy(bad->tokens, bad->ids, (size_t)bad->n_ids * sizeof *bad->ids);
        bad->T = bad->n_ids;
    } else {
        int n = in->repeat, targets[INSPECT_MAX_IDS];
        gsl_rng *rng = rng_create((unsigned long)bad->seed);
        if (!rng)
            return fprintf(stderr, "longhand inspect patch: out of memory\n"), 1;
        inspect_repeated_tokens(rng, c->vocab_size, n, 1, bad->tokens, targets);
        gsl_rng_free(rng);
        memcpy(bad->tokens + n, in->tokens + n, (size_t)n * sizeof *bad->tokens);
        bad->T = 2 * n, bad->next = targets[2 * n - 1];
    }
    if (bad->T != in->T)
        return usage_error("inspect patch", "the corrupted input has %d tokens, the clean "
                           "%d", bad->T, in->T);
    p->token = p->token >= 0 ? p->token : in->next;
    p->versus = p->versus >= 0 ? p->versus : bad->next;
    if (p->token < 0 || p->versus < 0 || p->token >= c->vocab_size
        || p->versus >= c->vocab_size || p->pos >= in->T)
        return usage_error("inspect patch", "give --token and --versus within the model's "
                           "%d tokens, and --position within the input", c->vocab_size);
    return 0;
}
/* inspect command: patch every site */
static int patch_every_site(struct gpt *m, struct inspect_patching *p)
{
    char err[512];
    int L = m->config.num_layers, H = m->config.num_heads, status = 1;
    size_t TC = (size_t)p->T * m->config.channels;
    if (inspect_patch_prepare(m, p, err, sizeof err) != 0)
        return fprintf(stderr, "longhand inspect patch: %s\n", err), 1;
    fprintf(stderr, "longhand inspect patch: D clean %.6g, corrupted %.6g\n", p->d_clean,
            p->d_corrupt);
    printf("site\tlayer\thead\tposition\trecovered\n");
    for (int l = 0; l <= L; l++)
        for (int t = 0; t < p->T; t++) {
            struct inspect_edit e = { SITE_STREAM, l, -1, t, p->stream + l * TC };
            double rho;
            if (inspect_patch_run(m, p, &e, 1, &rho, err, sizeof err) != 0)
                goto failed;
            printf("stream\t%d\t-\t%d\t%.4f\n", l, t, rho);
        }
    for (int l = 0; l < L; l++)
        for (int h = 0; h < H; h++) {
            struct inspect_edit e = { SITE_HEAD, l, h, -1, p->heads + l * TC };
            double rho;
            if (inspect_patch_run(m, p, &e, 1, &rho, err, sizeof err) != 0)
                goto failed;
            printf("head\t%d\t%d\tall\t%.4f\n", l + 1, h + 1, rho);
        }
    status = fflush(stdout) != 0;
failed:
    if (status)
        fprintf(stderr, "longhand inspect patch: %s\n", err);
    inspect_patching_free(p);
    return status;
}

static int inspect_patch_cmd(int argc, char **argv)
{
    struct inspect_input in = { 0 };
    struct corrupted_input bad = { .seed = -1 };
    int token = -1, versus = -1, position = -1;
    const struct cli_option options[] = {
        INSPECT_INPUT_OPTIONS(in),
        /* the options of inspect patch for the corrupted input */
        { "corrupt", 'c', CLI_STRING, 0, 0, &bad.prompt, "TEXT", .help = "the corrupted input" },
        { "corrupt-ids", 'I', CLI_INTS, 0, GPT_MAX_VOCAB - 1, bad.ids, "N,N,...",
          .help = "the corrupted input as ids", .given = &bad.n_ids, .max_count = INSPECT_MAX_IDS },
        { "corrupt-seed", 'S', CLI_LONG, 0, 4294967295.0, &bad.seed, "S",
          .help = "with --repeat: redraw the first half from S" },
        { "token", 'j', CLI_INT, -1, GPT_MAX_VOCAB - 1, &token, "ID",
          .help = "D = z[token] - z[versus] (-1: the clean next token)" },
        { "versus", 'k', CLI_INT, -1, GPT_MAX_VOCAB - 1, &versus, "ID",
          .help = "(-1: the corrupted span's first token)" },
        { "position", 'P', CLI_INT, -1, GPT_MAX_CONTEXT - 1, &position, "T",
          .help = "where D is measured (-1: the last position)" },
        { 0 },
    };
    const struct cli_spec spec = { "inspect patch", "", "Activation patching (eq. "
        "recovered): the fraction of the logit difference\nD recovered by copying the "
        "clean run's stream at each layer and position, and\neach head's output, into "
        "the corrupted run.", options, 0, 0 };
    int first, status;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    if ((status = load_input(&in, "inspect patch")) != 0)
        return status;
    struct inspect_patching p = { .clean = in.tokens, .corrupt = bad.tokens, .T = in.T,
                                  .pos = position < 0 ? in.T - 1 : position,
                                  .token = token, .versus = versus };
    if ((status = make_corrupted(&in, &bad, &p)) == 0)
        status = patch_every_site(&in.m, &p);
    free_input(&in);
    return status;
}
/* inspect command: attention */
/* inspect command: the HTML page of the weights */
/* inspect command: one head's SVG */
static void html_text(FILE *f, const char *s)
{
    for (; *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
}
/* inspect command: one head's SVG */
enum { CELL = 14, MARGIN = 80 };

static void write_head_svg(FILE *f, const struct inspect_input *in, int l, int h)
{
    int T = in->T, H = in->m.config.num_heads, side = MARGIN + T * CELL;
    char a[64];
    const float *P = in->m.act[ACT_ATT] + ((size_t)l * H + h) * T * T;
    fprintf(f, "<figure><figcaption>block %d, head %d</figcaption>\n<svg xmlns=\"http://"
            "www.w3.org/2000/svg\" class=\"head\" width=\"%d\" height=\"%d\">\n", l + 1, h + 1,
            side + 4, side + 40);
    for (int t = 0; t < T; t++) {
        const char *label = token_label(in, in->tokens[t], a, sizeof a);
        fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", MARGIN - 4,
                MARGIN + t * CELL + CELL - 3);
        html_text(f, label);
        fprintf(f, "</text><text transform=\"translate(%d,%d) rotate(-90)\">",
                MARGIN + t * CELL + CELL - 3, MARGIN - 4);
        html_text(f, label);
        fputs("</text>\n", f);
    }
    for (int t = 0; t < T; t++)
        for (int s = 0; s < T; s++) {
            double w = P[(size_t)t * T + s];
            fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"rgb(%d,%d,%d)\">"
                    "<title>%.4f</title></rect>\n", MARGIN + s * CELL, MARGIN + t * CELL, CELL,
                    CELL, (int)lround(255 * (1 - w)), (int)lround(255 - 200 * w),
                    (int)lround(255 - 55 * w), w);
        }
    /* draw the colour bar under the squares */
    for (int k = 0; k <= 10; k++) {
        double w = k / 10.0;
        fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"10\" fill=\"rgb(%d,%d,%d)\"/>",
                MARGIN + 12 * k, side + 10, (int)lround(255 * (1 - w)), (int)lround(255 - 200 * w),
                (int)lround(255 - 55 * w));
    }
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text><text x=\"%d\" y=\"%d\">1"
            "</text>\n", MARGIN - 4, side + 19, MARGIN + 136, side + 19);
    fputs("</svg></figure>\n", f);
}

static int write_attention_html(const struct inspect_input *in, const char *path)
{
    char *page = NULL, err[512];
    size_t len = 0;
    FILE *f = open_memstream(&page, &len);
    const struct gpt_config *c = &in->m.config;
    if (!f)
        return fprintf(stderr, "longhand inspect attention: out of memory\n"), 1;
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Attention</title>\n"
          "<style>body{font-family:sans-serif;margin:1em} figure{display:inline-block;"
          "margin:0 1em 1em 0} figcaption{font-weight:bold} text{font-size:10px}</style>\n"
          "</head><body>\n<h1>Attention weights</h1>\n", f);
    fprintf(f, "<p>%d blocks of %d heads on %d tokens; row: query, column: key; "
            "white 0, blue 1.</p>\n", c->num_layers, c->num_heads, in->T);
    for (int l = 0; l < c->num_layers; l++)
        for (int h = 0; h < c->num_heads; h++)
            write_head_svg(f, in, l, h);
    fputs("</body></html>\n", f);
    int status = fclose(f) != 0
                 || write_file_atomically(path, page, len, NULL, 0, err, sizeof err) != 0;
    if (status)
        fprintf(stderr, "longhand inspect attention: %s\n", len ? err : "out of memory");
    free(page);
    return status;
}

static int inspect_attention_cmd(int argc, char **argv)
{
    struct inspect_input in = { 0 };
    const char *html = NULL;
    const struct cli_option options[] = {
        INSPECT_INPUT_OPTIONS(in),
        { "html", 'o', CLI_STRING, 0, 0, &html, "FILE", .help = "also write an HTML page" },
        { 0 },
    };
    const struct cli_spec spec = { "inspect attention", "", "Every head's attention "
        "weights on the input, as TSV (layer, head, query,\nkey, weight, and the two "
        "tokens), and with --html a self-contained page.", options, 0, 0 };
    int first, status;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    if ((status = load_input(&in, "inspect attention")) != 0)
        return status;
    /* run the input and print every head's weights */
    char err[512], a[64], b[64];
    const struct gpt_config *c = &in.m.config;
    int T = in.T, H = c->num_heads;
    status = 1;
    if (gpt_forward(&in.m, in.tokens, NULL, 1, T, err, sizeof err) != 0)
        fprintf(stderr, "longhand inspect attention: %s\n", err);
    else {
        printf("layer\thead\tquery\tkey\tweight\tquery token\tkey token\n");
        for (int l = 0; l < c->num_layers; l++)
            for (int h = 0; h < H; h++)
                for (int t = 0; t < T; t++)
                    for (int s = 0; s < T; s++)
                        printf("%d\t%d\t%d\t%d\t%.4f\t%s\t%s\n", l + 1, h + 1, t, s,
                               in.m.act[ACT_ATT][(((size_t)l * H + h) * T + t) * T + s],
                               token_label(&in, in.tokens[t], a, sizeof a),
                               token_label(&in, in.tokens[s], b, sizeof b));
        status = fflush(stdout) != 0 || (html && write_attention_html(&in, html) != 0);
    }
    free_input(&in);
    return status;
}
/* inspect command: ablate */
/* inspect command: the heads to ablate */
static int parse_heads(const char *list, const struct gpt_config *c, struct inspect_head *h,
                       int max)
{
    int n = 0;
    for (const char *p = list; *p; n++) {
        char *end;
        long l = strtol(p, &end, 10), k = *end == '.' ? strtol(end + 1, &end, 10) : 0;
        if (n == max || l < 1 || l > c->num_layers || k < 1 || k > c->num_heads
            || (*end && *end != ','))
            return -1;
        h[n] = (struct inspect_head){ (int)l - 1, (int)k - 1 };
        p = *end ? end + 1 : end;
    }
    return n;
}

static int inspect_ablate_cmd(int argc, char **argv)
{
    struct inspect_input in = { 0 };
    const char *list = NULL;
    int mean = 0, B = 8, first, status;
    const struct cli_option options[] = {
        INSPECT_INPUT_OPTIONS(in),
        { "heads", 'a', CLI_STRING, 0, 0, &list, "L.H,...", .help = "the heads (default all)" },
        { "mean", 'M', CLI_FLAG, 0, 0, &mean, "", .help = "mean- rather than zero-ablation" },
        { "batch", 'B', CLI_INT, 1, 1024, &B, "B", .help = "rows of --repeat" },
        { 0 },
    };
    const struct cli_spec spec = { "inspect ablate", "", "The mean loss on the input "
        "with each chosen head zero- (or mean-) ablated,\nagainst the model's own.",
        options, 0, 0 };
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    if ((status = load_input(&in, "inspect ablate")) != 0)
        return status;
    /* ablate each head on the input's rows, and print the losses */
    const struct gpt_config *c = &in.m.config;
    int LH = c->num_layers * c->num_heads, n = LH, T = in.repeat ? in.T : in.T - 1;
    int rows = in.repeat ? B : 1;
    struct inspect_head *heads = malloc((size_t)LH * sizeof *heads);
    int *x = malloc(2 * (size_t)rows * in.T * sizeof *x);
    gsl_rng *rng = in.repeat ? rng_create((unsigned long)in.seed) : NULL;
    char err[512] = "out of memory";
    status = 1;
    if (heads && x && (rng || !in.repeat) && T >= 1) {
        for (int k = 0; k < LH; k++)
            heads[k] = (struct inspect_head){ k / c->num_heads, k % c->num_heads };
        if (list && (n = parse_heads(list, c, heads, LH)) < 1)
            status = usage_error("inspect ablate", "--heads: want L.H,... of this model");
        else {
            /* make the rows and their targets, and ablate each head */
            int *y = x + (size_t)rows * T;
            if (in.repeat)
                inspect_repeated_tokens(rng, c->vocab_size, in.repeat, rows, x, y);
            else
                memcpy(x, in.tokens, (size_t)T * sizeof *x), memcpy(y, in.tokens + 1, (size_t)T * sizeof *y);
            printf("layer\thead\tablation\tclean\tablated\tchange\n");
            status = 0;
            for (int k = 0; k < n && status == 0; k++) {
                double clean, ablated;
                if (inspect_ablate(&in.m, x, y, rows, T, &heads[k], 1, mean ? ABLATE_MEAN : ABLATE_ZERO,
                                   &clean, &ablated, err, sizeof err) != 0)
                    status = 1;
                else
                    printf("%d\t%d\t%s\t%.9g\t%.9g\t%.9g\n", heads[k].layer + 1, heads[k].head + 1,
                           mean ? "mean" : "zero", clean, ablated, ablated - clean);
            }
        }
    } else if (T < 1)
        status = usage_error("inspect ablate", "the input needs two tokens at least");
    if (status == 1)
        fprintf(stderr, "longhand inspect ablate: %s\n", err);
    gsl_rng_free(rng), free(x), free(heads);
    free_input(&in);
    return status;
}
/* inspect command: induction */
static int inspect_induction_cmd(int argc, char **argv)
{
    int L = 2, H = 4, C = 64, V = 64, full = 0;
    long seed = 1;
    const char *out = NULL, *log = NULL;
    struct induction_options o = { .span = 16, .min_period = 4, .batch = 16,
                                   .steps = 1000, .lr = 1e-3, .min_lr = 1e-4,
                                   .grad_clip = 1, .warmup = 50, .log_every = 10 };
    /* the options of inspect induction */
    const struct cli_option options[] = {
        { "layers", 'L', CLI_INT, 1, GPT_MAX_LAYERS, &L, "L", .help = "blocks" },
        { "heads", 'H', CLI_INT, 1, GPT_MAX_LAYERS, &H, "H", .help = "heads per block" },
        { "channels", 'C', CLI_INT, 1, GPT_MAX_CHANNELS, &C, "C", .help = "channels" },
        { "vocab", 'V', CLI_INT, 2, GPT_MAX_VOCAB, &V, "V", .help = "tokens drawn from" },
        { "span", 'n', CLI_INT, 2, GPT_MAX_CONTEXT / 2, &o.span, "N",
          .help = "the longest period; T = 2N" },
        { "min-period", 'k', CLI_INT, 1, GPT_MAX_CONTEXT / 2, &o.min_period, "K",
          .help = "the shortest period trained on" },
        { "max-gap", 'g', CLI_INT, 0, GPT_MAX_CONTEXT, &o.max_gap, "G",
          .help = "the longest gap between repetitions" },
        { "copy-rate", 'r', CLI_DOUBLE, 0, 1, &o.copy_rate, "R",
          .help = "how often a token follows its predecessor as last time" },
        { "skip-rate", 'q', CLI_DOUBLE, 0, 1, &o.skip_rate, "Q",
          .help = "how often a token is the one two back plus one" },
        { "batch", 'B', CLI_INT, 1, MAX_BATCH, &o.batch, "B", .help = "sequences per step" },
        { "steps", 'S', CLI_INT, 0, MAX_STEPS, &o.steps, "N",
          .help = "optimiser steps (0: the initial model)" },
        { "lr", 'l', CLI_DOUBLE, 0, 1, &o.lr, "X", .help = "peak learning rate" },
        { "min-lr", 0, CLI_DOUBLE, 0, 1, &o.min_lr, "X", .help = "final learning rate" },
        { "warmup", 'w', CLI_INT, 0, MAX_STEPS, &o.warmup, "N", .help = "warm-up steps" },
        { "grad-clip", 0, CLI_DOUBLE, 0, 1e9, &o.grad_clip, "X", .help = "0: no clipping" },
        { "seed", 's', CLI_LONG, 0, 4294967294.0, &seed, "S", .help = "the initialisation's seed" },
        { "full", 'f', CLI_FLAG, 0, 0, &full, "", .help = "train the MLPs too" },
        { "log", 0, CLI_STRING, 0, 0, &log, "FILE", .help = "the log (TSV)" },
        { "log-every", 0, CLI_INT, 1, MAX_STEPS, &o.log_every, "N", .help = "steps between rows" },
        { "output", 'o', CLI_STRING, 0, 0, &out, "FILE", .required = 1, .help = "the checkpoint" },
        { 0 },
    };
    const struct cli_spec spec = { "inspect induction", "", "Train an attention-only "
        "model (or, with --full, a whole one) on random spans\nof N tokens, each repeated "
        "once, logging the loss on both halves and the best\nprevious-token and induction "
        "scores.", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    if (o.min_period > o.span)
        return usage_error("inspect induction", "--min-period is longer than --span");
    /* make the model, train it on repeated spans, and save it */
    struct gpt_config cfg = { .max_seq_len = 2 * o.span, .vocab_size = V,
                              .padded_vocab_size = padded_vocab(V), .num_layers = L,
                              .num_heads = H, .channels = C };
    const char *invalid = gpt_config_error(&cfg);
    char err[512] = "out of memory";
    struct gpt m;
    if (invalid)
        return usage_error("inspect induction", "not a valid model: %s", invalid);
    FILE *logf = log ? fopen(log, "w") : NULL;
    if (log && !logf) {
        perror(log);
        return 1;
    }
    o.seed = (unsigned long)seed + 1, o.attention_only = !full, o.log = logf;
    int status = gpt_create(&m, &cfg) == 0 && gpt_init(&m, (unsigned long)seed) == 0
                 && induction_train(&m, &o, err, sizeof err) == 0
                 && gpt_save(&m, out, err, sizeof err) == 0;
    if (logf && (ferror(logf) | fclose(logf)) && status)
        status = 0, snprintf(err, sizeof err, "%s: could not write the log", log);
    if (!status)
        fprintf(stderr, "longhand inspect induction: %s\n", err);
    gpt_free(&m);
    return status ? 0 : 1;
}

int cmd_inspect(int argc, char **argv)
{
    static const struct command subcommands[] = {
        { "lens", inspect_lens_cmd, "the logit lens at every layer and position" },
        { "heads", inspect_heads_cmd, "previous-token, duplicate and induction scores" },
        { "dla", inspect_dla_cmd, "direct logit attribution to every component" },
        { "patch", inspect_patch_cmd, "activation patching, clean into corrupted" },
        { "attention", inspect_attention_cmd, "every head's weights, as TSV and HTML" },
        { "ablate", inspect_ablate_cmd, "the loss without chosen heads" },
        { "induction", inspect_induction_cmd, "train the induction model of chapter 13" },
    };
    return cli_dispatch("inspect", subcommands,
                        (int)(sizeof subcommands / sizeof *subcommands), argc, argv);
}
