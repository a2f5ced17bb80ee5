/* check-baseline.c -- the unigram and bigram baselines (book/11-training.nw):
   counts and probabilities on a text counted by hand, normalisation,
   scores, bits per byte, refusals, and the command. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include "baseline.h"
#include "commands.h"
#include "command.h"

/* The chapter's example: 0 1 0 1 2 over V = 3. */
static const int32_t hand[] = { 0, 1, 0, 1, 2 };

static struct baseline fit_hand(void)
{
    struct baseline b;
    char err[256] = "";
    ck_assert_msg(baseline_fit(&b, hand, 5, 3, err, sizeof err) == 0, "%s", err);
    return b;
}

START_TEST(counts_of_the_hand_example)
{
    struct baseline b = fit_hand();
    ck_assert_int_eq(b.n, 5);
    ck_assert_int_eq(b.count[0], 2);
    ck_assert_int_eq(b.count[1], 2);
    ck_assert_int_eq(b.count[2], 1);
    ck_assert_int_eq(b.n_pairs, 3);                          /* 0 1, 1 0, 1 2 */
    ck_assert_int_eq(baseline_pair_count(&b, 0, 1), 2);
    ck_assert_int_eq(baseline_pair_count(&b, 1, 0), 1);
    ck_assert_int_eq(baseline_pair_count(&b, 1, 2), 1);
    ck_assert_int_eq(baseline_pair_count(&b, 2, 0), 0);
    ck_assert_int_eq(baseline_pair_count(&b, 0, 0), 0);
    ck_assert_int_eq(b.context[0], 2);
    ck_assert_int_eq(b.context[1], 2);
    ck_assert_int_eq(b.context[2], 0);
    ck_assert_int_eq(b.successors[0], 1);
    ck_assert_int_eq(b.successors[1], 2);
    ck_assert_double_eq(b.D, 0.5);                           /* n1 = 2, n2 = 1 */
    baseline_free(&b);
}
END_TEST

START_TEST(probabilities_of_the_hand_example)
{
    struct baseline b = fit_hand();
    const double uni[3] = { 3.0 / 8, 3.0 / 8, 2.0 / 8 };     /* (c + 1) / (5 + 3) */
    /* p_D(v | a): rows a = 0, 1, 2; row 2 is an unseen context, the unigram. */
    const double bi[3][3] = { { 3.0 / 32, 27.0 / 32, 2.0 / 32 },
                              { 7.0 / 16, 3.0 / 16, 6.0 / 16 },
                              { 3.0 / 8, 3.0 / 8, 2.0 / 8 } };
    for (int v = 0; v < 3; v++)
        ck_assert_double_eq_tol(unigram_prob(&b, v), uni[v], 1e-15);
    for (int a = 0; a < 3; a++)
        for (int v = 0; v < 3; v++)
            ck_assert_double_eq_tol(bigram_prob(&b, a, v), bi[a][v], 1e-15);
    baseline_free(&b);
}
END_TEST

START_TEST(scores_of_the_hand_example)
{
    struct baseline b = fit_hand();
    const int32_t val[] = { 2, 0, 0, 1 };
    struct baseline_score s;
    char err[256] = "";
    ck_assert_int_eq(baseline_score(&b, val, 4, &s, err, sizeof err), 0);
    ck_assert_int_eq(s.tokens, 3);                           /* all but the first */
    ck_assert_double_eq_tol(s.unigram_nats, -2 * log(3.0 / 8) - log(3.0 / 8), 1e-14);
    /* p(0 | 2) = 3/8 (unseen context), p(0 | 0) = 3/32, p(1 | 0) = 27/32 */
    ck_assert_double_eq_tol(s.bigram_nats, -log(3.0 / 8) - log(3.0 / 32) - log(27.0 / 32),
                            1e-14);
    ck_assert_int_eq(s.unseen_pairs, 2);                     /* 2 0 and 0 0 */
    ck_assert_int_eq(s.unseen_tokens, 0);
    baseline_free(&b);
}
END_TEST

START_TEST(bits_per_byte_is_nats_over_ln2_over_bytes)
{
    ck_assert_double_eq_tol(bits_per_byte(8 * log(2.0), 4), 2.0, 1e-15);
    ck_assert_double_eq_tol(bits_per_byte(3.0, 1), 3.0 / log(2.0), 1e-15);
}
END_TEST

/* A longer text from a small Markov chain driven by a linear congruential
   generator: every row of p_D sums to one, and the discounted model's
   loss on its own training text lies above the unsmoothed model's (the
   maximum likelihood, the least possible) and below the unigram's. */
START_TEST(every_context_sums_to_one)
{
    enum { V = 11, N = 3000 };
    int32_t *t = malloc(N * sizeof *t);
    unsigned long x = 12345;
    t[0] = 0;
    for (int i = 1; i < N; i++) {
        x = x * 6364136223846793005ul + 1442695040888963407ul;
        t[i] = (int32_t)((t[i - 1] * 3 + (x >> 59)) % V);  /* few successors each */
    }
    struct baseline b;
    struct baseline_score s;
    char err[256] = "";
    ck_assert_int_eq(baseline_fit(&b, t, N, V, err, sizeof err), 0);
    ck_assert(b.D > 0 && b.D < 1);
    for (int a = 0; a < V; a++) {
        double sum = 0;
        for (int v = 0; v < V; v++)
            sum += bigram_prob(&b, a, v);
        ck_assert_double_eq_tol(sum, 1.0, 1e-12);
    }
    double uni = 0;
    for (int v = 0; v < V; v++)
        uni += unigram_prob(&b, v);
    ck_assert_double_eq_tol(uni, 1.0, 1e-12);
    ck_assert_int_eq(baseline_score(&b, t, N, &s, err, sizeof err), 0);
    double ml = 0;
    for (int i = 1; i < N; i++)
        ml -= log((double)baseline_pair_count(&b, t[i - 1], t[i]) / (double)b.context[t[i - 1]]);
    ck_assert_int_eq(s.unseen_pairs, 0);
    ck_assert_double_gt(s.bigram_nats, ml);
    ck_assert_double_lt(s.bigram_nats, s.unigram_nats);
    baseline_free(&b);
    free(t);
}
END_TEST

START_TEST(bad_input_is_refused)
{
    struct baseline b;
    struct baseline_score s;
    char err[256] = "";
    const int32_t outside[] = { 0, 3 };
    ck_assert_int_eq(baseline_fit(&b, hand, 0, 3, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "no training tokens"));
    ck_assert_int_eq(baseline_fit(&b, outside, 2, 3, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "outside the vocabulary"));
    ck_assert_int_eq(baseline_fit(&b, hand, 5, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "vocabulary must have"));
    b = fit_hand();
    ck_assert_int_eq(baseline_score(&b, outside, 2, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "outside the vocabulary"));
    ck_assert_int_eq(baseline_score(&b, hand, 1, &s, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "at least two"));
    baseline_free(&b);
}
END_TEST

/* The command on texts the byte tokenizer (no merges) reads as the hand
   example's kind: its table, its values, and its refusals. */
static char dir[] = "/tmp/longhand-baseline-XXXXXX";

static void make_files(void)
{
    static int made;
    char cmd[1024];
    if (made)
        return;
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "cd %s && printf 'abab' > train.txt && printf 'ba' > val.txt",
             dir);
    ck_assert_int_eq(system(cmd), 0);
    struct longhand_io io = { .dir = dir };
    ck_assert_int_eq(longhand_io(&io, "tokenizer train --vocab-size 256 -o t.bpe train.txt"),
                     0);
    made = 1;
}

START_TEST(command_prints_the_baselines)
{
    char out[4096];
    struct longhand_io io = { .dir = dir, .out = out, .outlen = sizeof out };
    make_files();
    /* Bytes: V = 256, train a b a b (n = 4), val b a: one target, a after b.
       p_1(a) = 3/260; c(b a) = 1, c(b .) = 1, N1+(b .) = 1, n1 = 1, n2 = 1, D = 1/3:
       p_D(a | b) = 2/3 + 1/3 * 3/260. */
    ck_assert_int_eq(longhand_io(&io, "baseline --tokenizer t.bpe --train train.txt"
                                 " --val val.txt --values X"), 0);
    char expect[512];
    double uni = -log(3.0 / 260), bi = -log(2.0 / 3 + 1.0 / 3 * 3.0 / 260);
    snprintf(expect, sizeof expect, "XUnigramLoss\t%.4f\nXUnigramBpb\t%.4f\n", uni,
             uni / log(2.0) / 2);
    ck_assert_msg(strstr(out, expect), "'%s' lacks '%s'", out, expect);
    snprintf(expect, sizeof expect, "XBigramLoss\t%.4f\nXBigramBpb\t%.4f\n", bi,
             bi / log(2.0) / 2);
    ck_assert_msg(strstr(out, expect), "'%s' lacks '%s'", out, expect);
    ck_assert_ptr_nonnull(strstr(out, "XValTokens\t1\nXValBytes\t2\n"));
    ck_assert_ptr_nonnull(strstr(out, "XBigramDiscount\t0.3333\n"));
    ck_assert_int_eq(longhand_io(&io, "baseline --tokenizer t.bpe --train train.txt"
                                 " --val val.txt"), 0);
    ck_assert_ptr_nonnull(strstr(out, "model\tnats per token\tbits per byte\tto bigram\n"));
    ck_assert_ptr_nonnull(strstr(out, "bigram, absolute discounting\t"));
}
END_TEST

START_TEST(command_help_is_status_zero)
{
    char *argv[] = { "baseline", "--help", NULL };
    ck_assert_int_eq(cmd_baseline(2, argv), 0);
    char *argv_h[] = { "baseline", "-h", NULL };
    ck_assert_int_eq(cmd_baseline(2, argv_h), 0);
}
END_TEST

static const struct { const char *args; int status; const char *says; } bad[] = {
    { "baseline --train train.txt --val val.txt", 2, "--tokenizer PATH is required" },
    { "baseline --tokenizer t.bpe --train train.txt --val", 2, "--val needs a value" },
    { "baseline --tokenizer t.bpe --train train.txt --val val.txt --frobnicate 1", 2,
      "unknown option" },
    { "baseline --tokenizer t.bpe --train train.txt --val val.txt --batch 0", 2, "'0'" },
    { "baseline --tokenizer none.bpe --train train.txt --val val.txt", 1, "none.bpe" },
    { "baseline --tokenizer t.bpe --train none.txt --val val.txt", 1, "none.txt" },
    { "baseline --tokenizer t.bpe --train train.txt --val train.txt --model none.bin", 1,
      "none.bin" },
    { "baseline --tokenizer t.bpe --train /dev/null --val val.txt", 1, "no training tokens" },
};

START_TEST(command_refuses_bad_input)
{
    char err[1024];
    struct longhand_io io = { .dir = dir, .err = err, .errlen = sizeof err };
    make_files();
    int status = longhand_io(&io, "%s", bad[_i].args);
    ck_assert_int_eq(status, bad[_i].status);
    ck_assert_msg(strstr(err, bad[_i].says), "stderr '%s' lacks '%s'", err, bad[_i].says);
}
END_TEST

Suite *baseline_suite(void)
{
    Suite *s = suite_create("baseline");
    TCase *models = tcase_create("models");
    tcase_add_test(models, counts_of_the_hand_example);
    tcase_add_test(models, probabilities_of_the_hand_example);
    tcase_add_test(models, scores_of_the_hand_example);
    tcase_add_test(models, bits_per_byte_is_nats_over_ln2_over_bytes);
    tcase_add_test(models, every_context_sums_to_one);
    tcase_add_test(models, bad_input_is_refused);
    suite_add_tcase(s, models);
    TCase *command = tcase_create("command");
    tcase_add_test(command, command_prints_the_baselines);
    tcase_add_test(command, command_help_is_status_zero);
    tcase_add_loop_test(command, command_refuses_bad_input, 0,
                        (int)(sizeof bad / sizeof bad[0]));
    suite_add_tcase(s, command);
    return s;
}
