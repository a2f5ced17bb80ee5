/* check-transcoder.c -- transcoders and the replacement model (book/14-circuits.nw). */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "command.h"
#include "gpt.h"
#include "numbers.h"
#include "numdiff.h"
#include "transcoder.h"

enum { N = 5, C = 6, F = 10 };

/* The loss of eq. tc-loss in float64; variables packed as params. */
struct tc_loss64 { const double *x, *y; double lambda, sigma; };

static double tc_loss64(const double *v, void *params)
{
    const struct tc_loss64 *p = params;
    const double *W_enc = v, *b_enc = W_enc + F * C, *W_dec = b_enc + F, *b_dec = W_dec + C * F;
    double E = 0, S = 0, a[F], norm[F];
    for (int f = 0; f < F; f++) {
        norm[f] = 0;
        for (int c = 0; c < C; c++)
            norm[f] += W_dec[c * F + f] * W_dec[c * F + f];
        norm[f] = sqrt(norm[f]);
    }
    for (int n = 0; n < N; n++) {
        for (int f = 0; f < F; f++) {
            double z = b_enc[f];
            for (int c = 0; c < C; c++)
                z += W_enc[f * C + c] * p->x[n * C + c];
            a[f] = z > 0 ? z : 0;
            S += a[f] * norm[f];
        }
        for (int c = 0; c < C; c++) {
            double yhat = b_dec[c];
            for (int f = 0; f < F; f++)
                yhat += W_dec[c * F + f] * a[f];
            E += (yhat - p->y[n * C + c]) * (yhat - p->y[n * C + c]);
        }
    }
    return E / (N * p->sigma * p->sigma) + p->lambda * S / (N * p->sigma);
}

/* A transcoder whose pre-activations are all at least 0.05 from zero. */
static void make_away_from_kinks(struct transcoder *tc, float *x, gsl_rng *rng)
{
    float z[N * F], a[N * F], yhat[N * C];
    for (int tries = 0; tries < 1000; tries++) {
        fill_normal(rng, tc->params, tc->num_params, 0.5);
        transcoder_forward(tc, x, N, z, a, yhat);
        int ok = 1;
        for (int i = 0; i < N * F; i++)
            ok &= fabsf(z[i]) >= 0.05f;
        if (ok)
            return;
    }
    ck_abort_msg("no transcoder away from the ReLU's kinks");
}

START_TEST(backward_matches_numerical_gradient)
{
    struct transcoder tc;
    float x[N * C], y[N * C], z[N * F], a[N * F], yhat[N * C], norms[F];
    float work[N * (C + F) + F];
    gsl_rng *rng = rng_create(14);
    ck_assert_int_eq(transcoder_create(&tc, 0, C, F), 0);
    fill_normal(rng, x, N * C, 1.0);
    fill_normal(rng, y, N * C, 1.0);
    make_away_from_kinks(&tc, x, rng);
    gsl_rng_free(rng);
    for (int with_penalty = 0; with_penalty < 2; with_penalty++) {
        struct transcoder_loss l = { .lambda = with_penalty ? 0.3 : 0, .sigma = 1.7 };
        float *grads = calloc(tc.num_params, sizeof *grads);
        double *v = malloc(tc.num_params * sizeof *v), *num = malloc(tc.num_params * sizeof *num);
        double *abserr = malloc(tc.num_params * sizeof *abserr), x64[N * C], y64[N * C];
        transcoder_forward(&tc, x, N, z, a, yhat);
        transcoder_decoder_norms(&tc, norms);
        transcoder_loss(&tc, a, yhat, y, norms, N, &l);
        transcoder_backward(&tc, grads, x, z, a, yhat, y, N, &l, work);
        for (size_t i = 0; i < tc.num_params; i++)
            v[i] = tc.params[i];
        for (int i = 0; i < N * C; i++)
            x64[i] = x[i], y64[i] = y[i];
        struct tc_loss64 p = { x64, y64, l.lambda, l.sigma };
        /* the fp32 loss is the fp64 one to rounding */
        ck_assert_double_le(fabs(l.loss - tc_loss64(v, &p)), 1e-5 * fabs(l.loss));
        numerical_gradient(tc_loss64, v, tc.num_params, &p, 1e-3, num, abserr);
        ck_assert_double_le(relative_max_error(grads, num, tc.num_params, 1e-3), 1e-4);
        free(grads), free(v), free(num), free(abserr);
    }
    transcoder_free(&tc);
}
END_TEST

/* Two transcoders of blocks 0 and 2, random parameters, saved to a temporary. */
static char *save_two(struct transcoder tcs[2])
{
    char err[256];
    gsl_rng *rng = rng_create(3);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(transcoder_create(&tcs[k], 2 * k, C, F), 0);
        fill_normal(rng, tcs[k].params, tcs[k].num_params, 1.0);
    }
    gsl_rng_free(rng);
    char *path = write_temp("", 0);
    ck_assert_int_eq(transcoder_save(tcs, 2, path, err, sizeof err), 0);
    return path;
}

START_TEST(files_round_trip_bit_for_bit)
{
    struct transcoder tcs[2], *back;
    int n;
    char err[256];
    char *path = save_two(tcs);
    ck_assert_int_eq(transcoder_load(path, &back, &n, err, sizeof err), 0);
    ck_assert_int_eq(n, 2);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(back[k].layer, 2 * k);
        ck_assert_int_eq(back[k].F, F);
        ck_assert_mem_eq(back[k].params, tcs[k].params, tcs[k].num_params * sizeof(float));
        transcoder_free(&tcs[k]);
    }
    transcoder_free_all(back, n);
    unlink(path), free(path);
}
END_TEST

/* The saved file with bytes [at, at + n) replaced by with[n], and its length set to len. */
static char *altered(const unsigned char *file, size_t flen, size_t len, size_t at,
                     const void *with, size_t n)
{
    unsigned char *b = calloc(len > flen ? len : flen, 1);
    memcpy(b, file, flen);
    if (with)
        memcpy(b + at, with, n);
    char *path = write_temp(b, len);
    free(b);
    return path;
}

START_TEST(hostile_files_are_refused)
{
    struct transcoder tcs[2], *back = (struct transcoder *)1;
    int n = 7;
    char err[256], *path = save_two(tcs);
    FILE *f = fopen(path, "rb");
    static unsigned char file[1 << 16];
    size_t len = fread(file, 1, sizeof file, f);
    fclose(f);
    int32_t bad_magic = 1, huge = 1 << 30, order[2] = { 2, 0 };
    float nan = NAN;
    const struct { size_t len, at; const void *with; size_t n; const char *says; } cases[] = {
        { 0, 0, NULL, 0, "too short" },
        { len - 1, 0, NULL, 0, "wrong size" },
        { len + 1, 0, NULL, 0, "wrong size" },
        { len, 0, &bad_magic, 4, "magic" },
        { len, 16, &huge, 4, "out of range" },
        { len, 32, order, 8, "out of order" },
        { len, 40, &nan, 4, "not finite" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *p = altered(file, len, cases[i].len, cases[i].at, cases[i].with, cases[i].n);
        ck_assert_int_eq(transcoder_load(p, &back, &n, err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].says), "case %zu: %s", i, err);
        ck_assert_ptr_null(back);
        ck_assert_int_eq(n, 0);
        unlink(p), free(p);
    }
    ck_assert_int_eq(transcoder_load("/nonexistent/tc.bin", &back, &n, err, sizeof err), -1);
    for (int k = 0; k < 2; k++)
        transcoder_free(&tcs[k]);
    unlink(path), free(path);
}
END_TEST

static void make_model(struct gpt *m)
{
    struct gpt_config cfg = { .max_seq_len = 8, .vocab_size = 260, .padded_vocab_size = 264,
                              .num_layers = 2, .num_heads = 2, .channels = 8 };
    ck_assert_int_eq(gpt_create(m, &cfg), 0);
    ck_assert_int_eq(gpt_init(m, 5), 0);
}

START_TEST(replacing_nothing_gives_the_logits_bit_for_bit)
{
    struct gpt m;
    char err[256];
    int inputs[2 * 8];
    int32_t tokens[64];
    make_model(&m);
    for (int i = 0; i < 64; i++)
        tokens[i] = (i * 37) % 260;
    for (int i = 0; i < 16; i++)
        inputs[i] = tokens[i];
    size_t n_logits = 16 * (size_t)m.config.vocab_size;
    float *want = malloc(n_logits * sizeof *want), work[1];
    ck_assert_int_eq(gpt_forward(&m, inputs, NULL, 2, 8, err, sizeof err), 0);
    memcpy(want, m.act[ACT_LOGITS], n_logits * sizeof *want);
    ck_assert_int_eq(transcoder_replace_forward(&m, inputs, 2, 8, NULL, 0, work, err, sizeof err), 0);
    ck_assert_mem_eq(m.act[ACT_LOGITS], want, n_logits * sizeof *want);
    /* A transcoder of block 2 replaces only that block's MLP: its output is
       b_dec when the decoder is zero. */
    struct transcoder tc;
    struct transcoder_report r[2];
    ck_assert_int_eq(transcoder_create(&tc, 1, 8, 4), 0);
    for (int c = 0; c < 8; c++)
        tc.b_dec[c] = 0.25f * c;
    float *w = malloc(2 * 16 * 4 * sizeof *w);
    ck_assert_int_eq(transcoder_replace_forward(&m, inputs, 2, 8, &tc, 1, w, err, sizeof err), 0);
    for (int i = 0; i < 16 * 8; i++)
        ck_assert_float_eq(m.act[ACT_FCPROJ][16 * 8 + i], 0.25f * (i % 8));
    ck_assert_int_eq(transcoder_evaluate(&m, &tc, 1, tokens, 64, 2, 100, r, err, sizeof err), 0);
    ck_assert_double_eq(r[0].l0, 0);
    ck_assert_double_eq(r[0].dead, 1);
    ck_assert(r[0].agreement >= 0 && r[0].agreement <= 1);
    ck_assert(r[0].fvu > 0);
    transcoder_free(&tc);
    free(want), free(w);
    gpt_free(&m);
}
END_TEST

/* The three commands on a small random model, in a directory of their own. */
START_TEST(commands_train_report_and_read_features)
{
    static char dir[] = "/tmp/longhand-transcoder-XXXXXX", out[1 << 16], err[4096];
    struct longhand_io io = { .err = err, .errlen = sizeof err, .out = out, .outlen = sizeof out };
    struct gpt m;
    char path[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    io.dir = dir;
    snprintf(path, sizeof path, "%s/c.txt", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 60; i++)
        fprintf(f, "In the beginning God created the heaven and the earth. %d\n", i);
    fclose(f);
    ck_assert_int_eq(longhand_io(&io, "tokenizer train --vocab-size 260 -o t.bpe c.txt"), 0);
    make_model(&m);
    snprintf(path, sizeof path, "%s/m.bin", dir);
    ck_assert_int_eq(gpt_save(&m, path, err, sizeof err), 0);
    gpt_free(&m);
    ck_assert_int_eq(longhand_io(&io, "transcoder train -m m.bin -t t.bpe -d c.txt --steps 30 "
                                 "--batch 4 --lambda 0.01 --log log.tsv --val c.txt -o tc.bin"),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "block\tFVU\tL0\tdead\tagreement\n1\t"));
    ck_assert_ptr_nonnull(strstr(out, "\n2\t"));
    ck_assert_ptr_nonnull(strstr(out, "\nall\t"));
    /* the loss of block 1 falls from the first step to the last */
    snprintf(path, sizeof path, "%s/log.tsv", dir);
    f = fopen(path, "r");
    char line[256];
    double first = -1, last = -1, loss;
    int step, block;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%d\t%d\t%lf", &step, &block, &loss) == 3 && block == 1)
            last = loss, first = first < 0 ? loss : first;
    fclose(f);
    ck_assert_double_lt(last, first);
    ck_assert_int_eq(longhand_io(&io, "transcoder eval -m m.bin -t t.bpe -d c.txt -x tc.bin"), 0);
    ck_assert_ptr_nonnull(strstr(out, "\nall\t"));
    ck_assert_int_eq(longhand_io(&io, "transcoder features -m m.bin -t t.bpe -d c.txt -x tc.bin "
                                 "--layer 2 --features 0,1 --top 3"), 0);
    ck_assert_ptr_nonnull(strstr(out, "block\tfeature\tfires\trank\tactivation\tcontext\n"));
    int rows = 0;
    for (char *p = out; (p = strchr(p, '\n')); p++)
        rows++;
    ck_assert_int_le(rows, 1 + 2 * 3);
    ck_assert_int_eq(longhand_io(&io, "transcoder features -m m.bin -t t.bpe -d c.txt -x tc.bin "
                                 "--layer 3"), 1);
    ck_assert_ptr_nonnull(strstr(err, "no transcoder of block 3"));
    ck_assert_int_eq(longhand_io(&io, "transcoder train -m m.bin -t t.bpe -d c.txt --layer 2,1 "
                                 "-o x.bin"), 2);
    ck_assert_int_eq(longhand_io(&io, "transcoder eval -m m.bin -t t.bpe -d c.txt -x c.txt"), 1);
    ck_assert_ptr_nonnull(strstr(err, "magic"));
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *transcoder_suite(void)
{
    Suite *s = suite_create("transcoder");
    TCase *tc = tcase_create("transcoder");
    tcase_add_test(tc, backward_matches_numerical_gradient);
    tcase_add_test(tc, files_round_trip_bit_for_bit);
    tcase_add_test(tc, hostile_files_are_refused);
    tcase_add_test(tc, replacing_nothing_gives_the_logits_bit_for_bit);
    tcase_add_test(tc, commands_train_report_and_read_features);
    suite_add_tcase(s, tc);
    return s;
}
