/* check-attribute.c -- the local replacement model's attribution graph (book/14-circuits.nw). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include "attribute.h"
#include "command.h"
#include "gpt.h"
#include "numbers.h"
#include "transcoder.h"

enum { T = 6, F = 6 };

/* A random model of two blocks with a random transcoder for each, biased
   so that about half the features fire. */
static void make_model(struct gpt *m, struct transcoder tcs[2])
{
    struct gpt_config cfg = { .max_seq_len = 8, .vocab_size = 40, .padded_vocab_size = 40,
                              .num_layers = 2, .num_heads = 2, .channels = 8 };
    ck_assert_int_eq(gpt_create(m, &cfg), 0);
    ck_assert_int_eq(gpt_init(m, 7), 0);
    gsl_rng *rng = rng_create(9);
    /* non-zero biases everywhere, so that the bias term is tested too */
    static const int biases[] = { PARAM_LN1B, PARAM_QKVB, PARAM_ATTPROJB, PARAM_LN2B, PARAM_FCB,
                                  PARAM_FCPROJB, PARAM_LNFB };
    for (int i = 0; i < 7; i++)
        fill_normal(rng, m->param[biases[i]], m->param_size[biases[i]], 0.1);
    for (int l = 0; l < 2; l++) {
        ck_assert_int_eq(transcoder_create(&tcs[l], l, 8, F), 0);
        fill_normal(rng, tcs[l].params, tcs[l].num_params, 0.5);
    }
    gsl_rng_free(rng);
}

START_TEST(incoming_weights_and_bias_sum_to_every_input)
{
    struct gpt m;
    struct transcoder tcs[2];
    struct attr_graph g;
    char err[256];
    int tokens[T] = { 3, 14, 15, 9, 26, 5 }, features = 0, logits = 0;
    make_model(&m, tcs);
    ck_assert_int_eq(attribute_graph(&m, tcs, 2, tokens, T, -1, 5, 0.99, &g, err, sizeof err), 0);
    double *in = calloc((size_t)g.n_nodes, sizeof *in), *scale = calloc((size_t)g.n_nodes, sizeof *scale);
    for (int e = 0; e < g.n_edges; e++) {
        ck_assert_int_lt(g.edges[e].source, g.edges[e].target);
        in[g.edges[e].target] += g.edges[e].weight;
        scale[g.edges[e].target] += fabs(g.edges[e].weight);
    }
    double source_influence = 0;
    for (int i = 0; i < g.n_nodes; i++) {
        const struct attr_node *n = &g.nodes[i];
        if (n->kind == ATTR_FEATURE || n->kind == ATTR_LOGIT) {
            double s = scale[i] + fabs(n->bias) + fabs(n->input);
            ck_assert_msg(fabs(in[i] + n->bias - n->input) <= 1e-4 * s,
                          "node %d (kind %d): %g + %g != %g", i, n->kind, in[i], n->bias, n->input);
            features += n->kind == ATTR_FEATURE, logits += n->kind == ATTR_LOGIT;
        } else
            source_influence += n->influence;
    }
    /* some features fire in each block, and the logits' influence all ends in the sources */
    ck_assert_int_gt(features, 4);
    ck_assert_int_ge(logits, 1);
    ck_assert_double_le(fabs(source_influence - 1), 1e-9);
    free(in), free(scale);
    attr_graph_free(&g);
    for (int l = 0; l < 2; l++)
        transcoder_free(&tcs[l]);
    gpt_free(&m);
}
END_TEST

START_TEST(refuses_transcoders_that_do_not_fit)
{
    struct gpt m;
    struct transcoder tcs[2];
    struct attr_graph g;
    char err[256];
    int tokens[T] = { 1, 2, 3, 4, 5, 6 };
    make_model(&m, tcs);
    ck_assert_int_eq(attribute_graph(&m, tcs, 1, tokens, T, -1, 5, 0.9, &g, err, sizeof err), -1);
    tcs[1].layer = 0;
    ck_assert_int_eq(attribute_graph(&m, tcs, 2, tokens, T, -1, 5, 0.9, &g, err, sizeof err), -1);
    for (int l = 0; l < 2; l++)
        transcoder_free(&tcs[l]);
    gpt_free(&m);
}
END_TEST


/* The command's JSON, read back: every field the format names, and the sums. */
START_TEST(command_writes_a_graph_whose_sums_hold)
{
    static char dir[] = "/tmp/longhand-attribute-XXXXXX", out[4096], err[4096];
    struct longhand_io io = { .err = err, .errlen = sizeof err, .out = out, .outlen = sizeof out };
    struct gpt m;
    struct transcoder tcs[2];
    char path[600];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    io.dir = dir;
    snprintf(path, sizeof path, "%s/c.txt", dir);
    FILE *f = fopen(path, "w");
    fputs("In the beginning God created the heaven and the earth.\n", f);
    fclose(f);
    ck_assert_int_eq(longhand_io(&io, "tokenizer train --vocab-size 260 -o t.bpe c.txt"), 0);
    struct gpt_config cfg = { .max_seq_len = 16, .vocab_size = 260, .padded_vocab_size = 264,
                              .num_layers = 2, .num_heads = 2, .channels = 8 };
    ck_assert_int_eq(gpt_create(&m, &cfg), 0);
    ck_assert_int_eq(gpt_init(&m, 3), 0);
    snprintf(path, sizeof path, "%s/m.bin", dir);
    ck_assert_int_eq(gpt_save(&m, path, err, sizeof err), 0);
    gsl_rng *rng = rng_create(2);
    for (int l = 0; l < 2; l++) {
        ck_assert_int_eq(transcoder_create(&tcs[l], l, 8, F), 0);
        fill_normal(rng, tcs[l].params, tcs[l].num_params, 0.5);
    }
    gsl_rng_free(rng);
    snprintf(path, sizeof path, "%s/tc.bin", dir);
    ck_assert_int_eq(transcoder_save(tcs, 2, path, err, sizeof err), 0);
    ck_assert_int_eq(longhand_io(&io, "attribute -m m.bin -t t.bpe -x tc.bin --prompt 'God created' "
                                 "--logits 3 -o g.json"), 0);
    ck_assert_ptr_nonnull(strstr(out, "replacement\t"));
    ck_assert_ptr_nonnull(strstr(out, "completeness\t"));
    snprintf(path, sizeof path, "%s/g.json", dir);
    json_object *root = json_object_from_file(path), *nodes, *edges;
    ck_assert_ptr_nonnull(root);
    ck_assert(json_object_object_get_ex(root, "nodes", &nodes));
    ck_assert(json_object_object_get_ex(root, "edges", &edges));
    int n = (int)json_object_array_length(nodes), n_edges = (int)json_object_array_length(edges);
    double *sum = calloc((size_t)n, sizeof *sum), *scale = calloc((size_t)n, sizeof *scale);
    for (int e = 0; e < n_edges; e++) {
        json_object *x = json_object_array_get_idx(edges, e), *s, *t, *w;
        ck_assert(json_object_object_get_ex(x, "source", &s) && json_object_object_get_ex(x, "target", &t)
                  && json_object_object_get_ex(x, "weight", &w));
        int target = json_object_get_int(t);
        ck_assert(target >= 0 && target < n && json_object_get_int(s) < target);
        sum[target] += json_object_get_double(w), scale[target] += fabs(json_object_get_double(w));
    }
    static const char *const fields[] = { "id", "kind", "layer", "pos", "feature", "activation",
                                          "influence" };
    for (int i = 0; i < n; i++) {
        json_object *x = json_object_array_get_idx(nodes, i), *v, *in, *b;
        for (int k = 0; k < 7; k++)
            ck_assert_msg(json_object_object_get_ex(x, fields[k], &v), "node %d: no %s", i, fields[k]);
        json_object_object_get_ex(x, "kind", &v);
        const char *kind = json_object_get_string(v);
        if (strcmp(kind, "feature") == 0 || strcmp(kind, "logit") == 0) {
            ck_assert(json_object_object_get_ex(x, "input", &in) && json_object_object_get_ex(x, "bias", &b));
            double input = json_object_get_double(in), bias = json_object_get_double(b);
            ck_assert_double_le(fabs(sum[i] + bias - input), 1e-4 * (scale[i] + fabs(bias) + fabs(input)));
        }
    }
    json_object_put(root);
    free(sum), free(scale);
    for (int l = 0; l < 2; l++)
        transcoder_free(&tcs[l]);
    gpt_free(&m);
    ck_assert_int_eq(longhand_io(&io, "attribute -m m.bin -t t.bpe -x tc.bin -o g.json"), 2);
    /* --target: one logit node, that token's */
    ck_assert_int_eq(longhand_io(&io, "attribute -m m.bin -t t.bpe -x tc.bin --prompt 'God' "
                                 "--target e -o g.json"), 0);
    ck_assert_ptr_nonnull(strstr(out, "logits\t1\n"));
    ck_assert_int_eq(longhand_io(&io, "attribute -m m.bin -t t.bpe -x tc.bin --prompt 'God' "
                                 "--target 'not one token' -o g.json"), 1);
    ck_assert_ptr_nonnull(strstr(err, "not one token"));
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *attribute_suite(void)
{
    Suite *s = suite_create("attribute");
    TCase *tc = tcase_create("attribute");
    tcase_add_test(tc, incoming_weights_and_bias_sum_to_every_input);
    tcase_add_test(tc, refuses_transcoders_that_do_not_fit);
    tcase_add_test(tc, command_writes_a_graph_whose_sums_hold);
    suite_add_tcase(s, tc);
    return s;
}
