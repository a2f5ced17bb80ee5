/* cmd-attribute.c: tangled from book/91-commands.nw; edit the book, not this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "attribute.h"
#include "commands.h"
#include "gpt.h"
#include "support.h"
#include "tokenizer.h"
#include "transcoder.h"

/* attribute command: writing the graph */
static int write_graph(const struct attr_graph *g, const char *path, char *err, size_t errlen)
{
    static const char *const kind[] = { "embed", "feature", "error", "logit" };
    struct atomic_file a;
    if (atomic_open(&a, path, 0, err, errlen) != 0)
        return -1;
    fprintf(a.f, "{\"nodes\": [\n");
    for (int i = 0; i < g->n_nodes; i++) {
        const struct attr_node *x = &g->nodes[i];
        fprintf(a.f, "{\"id\": %d, \"kind\": \"%s\", \"layer\": %d, \"pos\": %d, ", i,
                kind[x->kind], x->layer + 1, x->pos);
        if (x->kind == ATTR_FEATURE)
            fprintf(a.f, "\"feature\": %d, ", x->feature);
        else
            fprintf(a.f, "\"feature\": null, ");
        if (x->kind == ATTR_LOGIT)
            fprintf(a.f, "\"token\": %d, ", x->feature);
        fprintf(a.f, "\"activation\": %.9g, \"influence\": %.9g", x->activation, x->influence);
        if (x->kind == ATTR_FEATURE || x->kind == ATTR_LOGIT)
            fprintf(a.f, ", \"input\": %.9g, \"bias\": %.9g", x->input, x->bias);
        fprintf(a.f, "}%s\n", i + 1 < g->n_nodes ? "," : "");
    }
    fprintf(a.f, "],\n\"edges\": [\n");
    for (int e = 0; e < g->n_edges; e++)
        fprintf(a.f, "{\"source\": %d, \"target\": %d, \"weight\": %.9g}%s\n", g->edges[e].source,
                g->edges[e].target, g->edges[e].weight, e + 1 < g->n_edges ? "," : "");
    fprintf(a.f, "]}\n");
    return atomic_close(&a, err, errlen) == 0 ? atomic_rename(&a, err, errlen) : -1;
}
/* attribute command: the sums and the scores */
static void report_graph(const struct attr_graph *g)
{
    if (g->n_nodes < 1)
        return;
    double *sum = calloc((size_t)g->n_nodes, sizeof *sum);
    double *scale = calloc((size_t)g->n_nodes, sizeof *scale);
    double worst = 0, replacement, completeness;
    int count[4] = { 0 };
    for (int e = 0; sum && scale && e < g->n_edges; e++) {
        sum[g->edges[e].target] += g->edges[e].weight;
        scale[g->edges[e].target] += fabs(g->edges[e].weight);
    }
    for (int i = 0; sum && scale && i < g->n_nodes; i++) {
        const struct attr_node *x = &g->nodes[i];
        count[x->kind]++;
        if (x->kind == ATTR_FEATURE || x->kind == ATTR_LOGIT)
            worst = fmax(worst, fabs(sum[i] + x->bias - x->input)
                                / (scale[i] + fabs(x->bias) + fabs(x->input)));
    }
    attribute_scores(g, &replacement, &completeness);
    printf("nodes\t%d\nedges\t%d\nembed\t%d\nfeatures\t%d\nerrors\t%d\nlogits\t%d\n", g->n_nodes,
           g->n_edges, count[ATTR_EMBED], count[ATTR_FEATURE], count[ATTR_ERROR],
           count[ATTR_LOGIT]);
    printf("worst miss\t%.3g\nreplacement\t%.4f\ncompleteness\t%.4f\n", worst, replacement,
           completeness);
    free(sum), free(scale);
}

int cmd_attribute(int argc, char **argv)
{
    const char *model = NULL, *tokenizer = NULL, *path = NULL, *prompt = NULL, *out = NULL;
    const char *target = NULL;
    int max_logits = 10;
    double coverage = 0.95;
    /* the options of attribute */
    const struct cli_option options[] = {
        { "model", 'm', CLI_STRING, 0, 0, &model, "FILE", .required = 1, .help = "the checkpoint" },
        { "tokenizer", 't', CLI_STRING, 0, 0, &tokenizer, "PATH", .required = 1,
          .help = "the model's tokenizer" },
        { "transcoder", 'x', CLI_STRING, 0, 0, &path, "FILE", .required = 1,
          .help = "one transcoder for every block" },
        { "prompt", 'p', CLI_STRING, 0, 0, &prompt, "TEXT", .required = 1, .help = "the input" },
        { "target", 0, CLI_STRING, 0, 0, &target, "TOKEN",
          .help = "the one logit node: this token's (its text)" },
        { "logits", 'k', CLI_INT, 1, 1000, &max_logits, "K", .help = "at most K logit nodes" },
        { "coverage", 0, CLI_DOUBLE, 0, 1, &coverage, "P",
          .help = "logits until their probability reaches P" },
        { "output", 'o', CLI_STRING, 0, 0, &out, "FILE", .required = 1, .help = "the graph, JSON" },
        { 0 },
    };
    const struct cli_spec spec = { "attribute", "", "The attribution graph of the prompt in "
        "the local replacement model (frozen\nattention and LayerNorms, error nodes): nodes, "
        "edges and influences as JSON,\nand its size, the check of its sums and its "
        "replacement and completeness\nscores on standard output.", options, 0, 0 };
    int first;
    CLI_PARSE_OR_RETURN(&spec, argc, argv, &first);
    /* load, encode the prompt, build the graph, write it and report */
    char err[512] = "out of memory";
    struct gpt m = { 0 };
    struct tokenizer *tok = NULL;
    struct transcoder *tcs = NULL;
    struct attr_graph g = { 0 };
    int n = 0, status = 1, ids[GPT_MAX_CONTEXT];
    size_t len = strlen(prompt), T = 0, n_target = 0;
    int32_t *enc = malloc((len + (target ? strlen(target) : 0) + 1) * sizeof *enc);
    if (gpt_load(&m, model, err, sizeof err) == 0 && (tok = tokenizer_load(tokenizer, err, sizeof err))
        && transcoder_load(path, &tcs, &n, err, sizeof err) == 0 && enc) {
        if (tokenizer_encode(tok, (const unsigned char *)prompt, len, enc, &T) != 0 || T < 1
            || T > (size_t)m.config.max_seq_len)
            snprintf(err, sizeof err, "the prompt is not 1 to %d tokens", m.config.max_seq_len);
        else if (target && (tokenizer_encode(tok, (const unsigned char *)target, strlen(target),
                                             enc + T, &n_target) != 0 || n_target != 1))
            snprintf(err, sizeof err, "--target: '%s' is not one token", target);
        else {
            for (size_t i = 0; i < T; i++)
                ids[i] = enc[i];
            if (attribute_graph(&m, tcs, n, ids, (int)T, target ? enc[T] : -1, max_logits, coverage,
                                &g, err, sizeof err) == 0
                && write_graph(&g, out, err, sizeof err) == 0) {
                report_graph(&g);
                status = fflush(stdout) != 0;
            }
        }
    }
    if (status)
        fprintf(stderr, "longhand attribute: %s\n", err);
    attr_graph_free(&g);
    transcoder_free_all(tcs, n);
    tokenizer_free(tok);
    gpt_free(&m);
    free(enc);
    return status;
}
