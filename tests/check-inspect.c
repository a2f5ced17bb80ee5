/* check-inspect.c -- reading the model (book/13-reading.nw): the identities
   that hold exactly (lens = logits, attribution sums, patching 0 and 1), and
   models whose weights are set by hand to hold a previous-token head and an
   induction head, which `longhand inspect heads` must find. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "command.h"
#include "gpt.h"
#include "inspect.h"

enum { T = 8 };
static const int ids[T] = { 3, 1, 4, 1, 5, 9, 2, 6 };
static const int other[T] = { 2, 7, 1, 8, 2, 8, 1, 8 };

/* A random model of two blocks, its biases and LayerNorms drawn too, so that
   every component of the stream is nonzero. */
static void random_model(struct gpt *m)
{
    struct gpt_config cfg = { .max_seq_len = 16, .vocab_size = 37, .padded_vocab_size = 128,
                              .num_layers = 2, .num_heads = 2, .channels = 16 };
    ck_assert_int_eq(gpt_create(m, &cfg), 0);
    gsl_rng *rng = rng_create(7);
    fill_normal(rng, m->params, m->num_params, 0.3);
    gsl_rng_free(rng);
}

START_TEST(edited_pass_and_lens_equal_the_logits_bit_for_bit)
{
    struct gpt m;
    char err[256];
    random_model(&m);
    int V = m.config.vocab_size, C = m.config.channels, L = m.config.num_layers;
    ck_assert_int_eq(gpt_forward(&m, ids, NULL, 1, T, err, sizeof err), 0);
    float *want = malloc(T * V * sizeof *want), *lens = malloc(T * V * sizeof *lens);
    float *work = malloc(T * (C + 2) * sizeof *work), *h0 = malloc(T * C * sizeof *h0);
    memcpy(want, m.act[ACT_LOGITS], T * V * sizeof *want);
    inspect_lens(&m, L, lens, work);
    ck_assert_int_eq(memcmp(lens, want, T * V * sizeof *want), 0);
    /* Rewriting h^(0) with itself reruns every block: the same bits. */
    memcpy(h0, inspect_stream(&m, 0), T * C * sizeof *h0);
    struct inspect_edit e = { SITE_STREAM, 0, -1, -1, h0 };
    ck_assert_int_eq(inspect_forward(&m, ids, 1, T, &e, 1, err, sizeof err), 0);
    ck_assert_int_eq(memcmp(m.act[ACT_LOGITS], want, T * V * sizeof *want), 0);
    /* An edit outside the model is refused. */
    struct inspect_edit bad = { SITE_HEAD, 2, 0, -1, h0 };
    ck_assert_int_eq(inspect_forward(&m, ids, 1, T, &bad, 1, err, sizeof err), -1);
    free(want), free(lens), free(work), free(h0);
    gpt_free(&m);
}
END_TEST

START_TEST(attribution_sums_to_the_logit_within_its_bound)
{
    struct gpt m;
    char err[256];
    random_model(&m);
    int N = inspect_num_components(&m.config);
    double *values = malloc(N * sizeof *values);
    ck_assert_int_eq(N, 2 + 2 * (2 + 2));
    ck_assert_int_eq(gpt_forward(&m, ids, NULL, 1, T, err, sizeof err), 0);
    for (int t = 0; t < T; t++)
        for (int versus = -1; versus < 2; versus += 2) {
            struct inspect_attribution a = { .values = values };
            if (versus == ids[(t + 1) % T])
                continue;  /* a difference of a token with itself is zero */
            ck_assert_int_eq(inspect_dla(&m, 0, t, ids[(t + 1) % T], versus, &a), 0);
            double scale = 0, sum = 0;
            for (int i = 0; i < N; i++)
                scale += fabs(values[i]), sum += values[i];
            ck_assert_double_le(fabs(sum - a.sum), 1e-12 * scale);
            ck_assert_msg(fabs(a.sum - a.model) <= a.bound, "position %d: |%g - %g| > %g", t,
                          a.sum, a.model, a.bound);
            /* The bound is small enough that the check could fail. */
            ck_assert_msg(a.bound < 1e-3 * scale, "bound %g, scale %g", a.bound, scale);
        }
    ck_assert_str_eq(inspect_kind_name(inspect_component_at(&m.config, 0).kind), "embed");
    ck_assert_int_eq(inspect_component_at(&m.config, 4).kind, COMP_MLP);
    ck_assert_int_eq(inspect_component_at(&m.config, 5).layer, 1);
    ck_assert_int_eq(inspect_component_at(&m.config, N - 1).kind, COMP_LNF_BIAS);
    free(values);
    gpt_free(&m);
}
END_TEST

START_TEST(patching_nothing_recovers_0_and_the_whole_stream_1)
{
    struct gpt m;
    char err[256];
    random_model(&m);
    struct inspect_patching p = { .clean = ids, .corrupt = other, .T = T, .pos = T - 1,
                                  .token = 5, .versus = 11 };
    double rho;
    ck_assert_int_eq(inspect_patch_prepare(&m, &p, err, sizeof err), 0);
    ck_assert(p.d_clean != p.d_corrupt);
    ck_assert_int_eq(inspect_patch_run(&m, &p, NULL, 0, &rho, err, sizeof err), 0);
    ck_assert_double_eq(rho, 0.0);
    size_t TC = (size_t)T * m.config.channels;
    for (int l = 0; l <= m.config.num_layers; l++) {
        struct inspect_edit e = { SITE_STREAM, l, -1, -1, p.stream + l * TC };
        ck_assert_int_eq(inspect_patch_run(&m, &p, &e, 1, &rho, err, sizeof err), 0);
        ck_assert_double_eq(rho, 1.0);
    }
    /* Every head of every block at every position is not the whole stream:
       the embeddings still differ, so rho need not be 1; but it is a number. */
    struct inspect_edit heads[4];
    for (int k = 0; k < 4; k++)
        heads[k] = (struct inspect_edit){ SITE_HEAD, k / 2, k % 2, -1, p.heads + (k / 2) * TC };
    ck_assert_int_eq(inspect_patch_run(&m, &p, heads, 4, &rho, err, sizeof err), 0);
    ck_assert(isfinite(rho));
    inspect_patching_free(&p);
    gpt_free(&m);
}
END_TEST

/* The hand-built model: V tokens, one-hot in channels TOK..TOK+V (and their
   negatives in the next V, so that every stream has mean zero and a norm that
   does not depend on the position), the position as a point on a half circle
   in channels 0..4, and room for the previous token in PREV..PREV+2V. */
enum { HV = 8, HT = 16, TOK = 4, PREV = TOK + 2 * HV, HC = PREV + 2 * HV, HH = 2, HS = HC / HH };

static void set_qkv(struct gpt *m, int l, int which, int head, int i, int c, float w)
{
    m->param[PARAM_QKVW][(size_t)l * 3 * HC * HC + ((size_t)which * HC + head * HS + i) * HC + c] = w;
}

/* Block 1, head 1: a previous-token head, which writes the previous token
   into PREV.  With with_induction, block 2, head 2 attends where PREV holds
   the current token: an induction head.  Every other head is zero, and so
   uniform, and every MLP is zero. */
static void hand_built_model(struct gpt *m, int with_induction)
{
    struct gpt_config cfg = { .max_seq_len = HT, .vocab_size = HV, .padded_vocab_size = 128,
                              .num_layers = 2, .num_heads = HH, .channels = HC };
    ck_assert_int_eq(gpt_create(m, &cfg), 0);
    for (int p = PARAM_LN1W; p <= PARAM_LNFW; p++)
        if (p == PARAM_LN1W || p == PARAM_LN2W || p == PARAM_LNFW)
            for (size_t i = 0; i < m->param_size[p]; i++)
                m->param[p][i] = 1;
    double theta = 3.14159265358979323846 / HT;
    for (int v = 0; v < HV; v++)
        m->param[PARAM_WTE][v * HC + TOK + v] = 1, m->param[PARAM_WTE][v * HC + TOK + HV + v] = -1;
    for (int t = 0; t < HT; t++) {
        float *p = m->param[PARAM_WPE] + t * HC;
        p[0] = (float)cos(theta * t), p[1] = (float)sin(theta * t), p[2] = -p[0], p[3] = -p[1];
    }
    /* q_t = kappa R(-theta) (position of t) aims at the position of t - 1. */
    float kappa = 300;
    set_qkv(m, 0, 0, 0, 0, 0, kappa * (float)cos(theta));
    set_qkv(m, 0, 0, 0, 0, 1, kappa * (float)sin(theta));
    set_qkv(m, 0, 0, 0, 1, 0, -kappa * (float)sin(theta));
    set_qkv(m, 0, 0, 0, 1, 1, kappa * (float)cos(theta));
    set_qkv(m, 0, 1, 0, 0, 0, 1);
    set_qkv(m, 0, 1, 0, 1, 1, 1);
    for (int i = 0; i < HV; i++) {
        set_qkv(m, 0, 2, 0, i, TOK + i, 1);  /* the value: the token */
        float *W = m->param[PARAM_ATTPROJW];
        W[(PREV + i) * HC + i] = 1.0f / 3, W[(PREV + HV + i) * HC + i] = -1.0f / 3;
        if (with_induction) {
            set_qkv(m, 1, 0, 1, i, TOK + i, 20);  /* query: the current token */
            set_qkv(m, 1, 1, 1, i, PREV + i, 1);  /* key: the previous one */
        }
    }
}

/* Run `inspect heads` on m and return its rows' detected column joined. */
static void detected_heads(struct gpt *m, char *found, size_t len)
{
    char path[] = "/tmp/longhand-inspect-XXXXXX", err[256], out[4096];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(gpt_save(m, path, err, sizeof err), 0);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "inspect heads -m %s --span 4"
                              " --batch 64 --seed 5", path), 0);
    unlink(path);
    found[0] = '\0';
    char *line = strtok(out, "\n");
    for (line = strtok(NULL, "\n"); line; line = strtok(NULL, "\n")) {
        int layer, head;
        char what[128];
        ck_assert_int_eq(sscanf(line, "%d %d %*f %*f %*f %127s", &layer, &head, what), 3);
        if (strcmp(what, "-") != 0)
            snprintf(found + strlen(found), len - strlen(found), "%d.%d:%s ", layer, head, what);
    }
}

START_TEST(heads_finds_a_hand_built_previous_token_head)
{
    struct gpt m;
    char found[512];
    hand_built_model(&m, 0);
    detected_heads(&m, found, sizeof found);
    ck_assert_str_eq(found, "1.1:previous-token ");
    gpt_free(&m);
}
END_TEST

START_TEST(heads_finds_a_hand_built_induction_head)
{
    struct gpt m;
    char found[512];
    hand_built_model(&m, 1);
    detected_heads(&m, found, sizeof found);
    ck_assert_str_eq(found, "1.1:previous-token 2.2:induction ");
    gpt_free(&m);
}
END_TEST

/* A head whose projection W_O^h is zero writes nothing: ablating it, zero or
   mean, leaves the loss the same to the last bit; ablating a head that
   writes changes it. */
START_TEST(ablating_a_head_that_writes_nothing_changes_no_bit)
{
    struct gpt m;
    char err[512];
    random_model(&m);
    int C = m.config.channels, hs = C / m.config.num_heads, B = 3;
    float *W = m.param[PARAM_ATTPROJW] + (size_t)1 * C * C;   /* block 2 */
    for (int o = 0; o < C; o++)
        for (int c = 0; c < hs; c++)
            W[o * C + c] = 0;                                   /* its head 1 */
    int x[3 * 2 * T], y[3 * 2 * T];
    gsl_rng *rng = rng_create(11);
    inspect_repeated_tokens(rng, m.config.vocab_size, T, B, x, y);
    gsl_rng_free(rng);
    const struct inspect_head quiet = { 1, 0 }, loud = { 0, 1 };
    for (int kind = ABLATE_ZERO; kind <= ABLATE_MEAN; kind++) {
        double clean, ablated, clean2, changed;
        ck_assert_int_eq(inspect_ablate(&m, x, y, B, 2 * T, &quiet, 1, kind, &clean, &ablated,
                                        err, sizeof err), 0);
        ck_assert(memcmp(&clean, &ablated, sizeof clean) == 0);
        ck_assert(clean > 0 && isfinite(clean));
        ck_assert_int_eq(inspect_ablate(&m, x, y, B, 2 * T, &loud, 1, kind, &clean2, &changed,
                                        err, sizeof err), 0);
        ck_assert(memcmp(&clean, &clean2, sizeof clean) == 0);
        ck_assert(fabs(changed - clean) > 1e-6);
    }
    gpt_free(&m);
}
END_TEST

START_TEST(commands_print_every_row)
{
    struct gpt m;
    char path[] = "/tmp/longhand-inspect-XXXXXX", err[1024], html[64];
    static char out[1 << 16];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    random_model(&m);
    ck_assert_int_eq(gpt_save(&m, path, err, sizeof err), 0);
    int L = m.config.num_layers, H = m.config.num_heads, N = inspect_num_components(&m.config);
    gpt_free(&m);
    int lines = 0;
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "inspect lens -m %s --ids "
                              "3,1,4,1,5,9,2,6", path), 0);
    for (char *c = out; *c; c++)
        lines += *c == '\n';
    ck_assert_int_eq(lines, 1 + (L + 1) * T);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "inspect dla -m %s --ids "
                              "3,1,4,1,5,9,2,6 --versus 0", path), 0);
    lines = 0;
    for (char *c = out; *c; c++)
        lines += *c == '\n';
    ck_assert_int_eq(lines, 1 + (T - 1) * N);  /* the last position has no next token */
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "inspect patch -m %s --repeat 4"
                              " --corrupt-seed 9", path), 0);
    lines = 0;
    for (char *c = out; *c; c++)
        lines += *c == '\n';
    ck_assert_int_eq(lines, 1 + (L + 1) * T + L * H);
    snprintf(html, sizeof html, "%s.html", path);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "inspect attention -m %s "
                              "--repeat 4 --html %s", path, html), 0);
    size_t len;
    FILE *f = fopen(html, "rb");
    ck_assert_ptr_nonnull(f);
    char *page = calloc(1, 1 << 20);
    len = fread(page, 1, (1 << 20) - 1, f);
    fclose(f);
    ck_assert_uint_gt(len, 0);
    int svgs = 0;
    for (char *s = page; (s = strstr(s, "<svg")); s++)
        svgs++;
    ck_assert_int_eq(svgs, L * H);
    free(page);
    unlink(html);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "inspect ablate -m %s "
                              "--repeat 4 --batch 2 --mean", path), 0);
    lines = 0;
    for (char *c = out; *c; c++)
        lines += *c == '\n';
    ck_assert_int_eq(lines, 1 + L * H);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "inspect ablate -m %s "
                              "--repeat 4 --heads 3.1", path), 2);
    /* Usage errors: two inputs, none, a prompt without a tokenizer. */
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "inspect lens -m %s --ids 1 "
                              "--repeat 2", path), 2);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "inspect lens -m %s", path), 2);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "inspect dla -m %s --prompt hi",
                              path), 2);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "inspect patch -m %s --ids 1,2 "
                              "--corrupt-ids 1", path), 2);
    unlink(path);
}
END_TEST

Suite *inspect_suite(void)
{
    Suite *s = suite_create("inspect");
    TCase *tc = tcase_create("inspect");
    tcase_add_test(tc, edited_pass_and_lens_equal_the_logits_bit_for_bit);
    tcase_add_test(tc, attribution_sums_to_the_logit_within_its_bound);
    tcase_add_test(tc, patching_nothing_recovers_0_and_the_whole_stream_1);
    tcase_add_test(tc, heads_finds_a_hand_built_previous_token_head);
    tcase_add_test(tc, heads_finds_a_hand_built_induction_head);
    tcase_add_test(tc, ablating_a_head_that_writes_nothing_changes_no_bit);
    tcase_add_test(tc, commands_print_every_row);
    suite_add_tcase(s, tc);
    return s;
}
