/* check-step.c -- `longhand init` and `longhand step` (book/08-model.nw,
   book/10-adamw.nw), run as the reader runs them, against the library. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "adamw.h"
#include "command.h"
#include "gpt.h"

static char dir[] = "/tmp/longhand-step-XXXXXX";
static const int ids[9] = { 3, 1, 4, 1, 5, 9, 2, 6, 5 };

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Run `longhand ARGS` in dir: its exit status; stdout in out, stderr in err. */
static int run(char *out, size_t outlen, char *err, size_t errlen, const char *args)
{
    struct longhand_io io = { .dir = dir, .out = out, .outlen = outlen,
                              .err = err, .errlen = errlen };
    return longhand_io(&io, "%s", args);
}

static void write_text(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *name, size_t *len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *buf = malloc(*len);
    ck_assert_uint_eq(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

START_TEST(step_matches_the_library)
{
    char out[256], path[256];
    ck_assert_int_eq(run(out, sizeof out, NULL, 0, "init --layers 2 --heads 2 --channels 8"
                         " --context 8 --vocab 11 --seed 3 -o m.bin"), 0);
    write_text("ids.txt", "3 1 4\n1 5\t9 2 6 5 8 8\n"); /* extra ids are ignored */
    ck_assert_int_eq(run(out, sizeof out, NULL, 0, "step --model m.bin --tokens ids.txt"
                         " --batch 2 --context 4 --lr 1e-3 --weight-decay 0.01"
                         " --grads-out g.bin --model-out m2.bin"), 0);
    float printed;
    ck_assert_int_eq(sscanf(out, "loss %g", &printed), 1);
    /* The same step in this process. */
    struct gpt m;
    char err[256];
    snprintf(path, sizeof path, "%s/m.bin", dir);
    ck_assert_int_eq(gpt_load(&m, path, err, sizeof err), 0);
    ck_assert_int_eq(gpt_forward(&m, ids, ids + 1, 2, 4, err, sizeof err), 0);
    ck_assert_float_eq(printed, m.mean_loss); /* %.9g round-trips a float */
    gpt_zero_grad(&m);
    gpt_backward(&m);
    size_t len;
    char *grads = slurp("g.bin", &len);
    ck_assert_uint_eq(len, m.num_params * sizeof(float));
    ck_assert_mem_eq(grads, m.grads, len);
    struct adamw_hparams h = adamw_defaults();
    h.lr = 1e-3f;
    h.weight_decay = 0.01f;
    struct adamw opt;
    ck_assert_int_eq(adamw_create(&opt, m.num_params, h), 0);
    adamw_update(&opt, m.params, m.grads);
    char *model = slurp("m2.bin", &len);
    ck_assert_uint_eq(len, 1024 + m.num_params * sizeof(float));
    ck_assert_mem_eq(model + 1024, m.params, m.num_params * sizeof(float));
    free(grads); free(model);
    adamw_free(&opt);
    gpt_free(&m);
}
END_TEST

/* Each bad command line, its exit status, and a word its message must hold. */
static const struct { const char *args; int status; const char *says; } bad[] = {
    { "step --tokens ids.txt --batch 1 --context 4", 2, "--model FILE is required" },
    { "step --model m.bin --tokens ids.txt --batch 1 --context 4 --lr -1", 2, "'-1'" },
    { "step --model m.bin --tokens ids.txt --batch 1 --context 4 --beta1 1", 2, "'1'" },
    { "step --model m.bin --tokens ids.txt --batch 0 --context 4", 2, "'0'" },
    { "step --model m.bin --tokens ids.txt --batch 1 --context 4x", 2, "'4x'" },
    { "step --model none.bin --tokens ids.txt --batch 1 --context 4", 1, "none.bin" },
    { "step --model m.bin --tokens few.txt --batch 2 --context 4", 1, "want 9 token ids" },
    { "step --model m.bin --tokens word.txt --batch 1 --context 4", 1, "bad word 'x'" },
    { "step --model m.bin --tokens last.txt --batch 1 --context 4", 1, "bad word 'x'" },
    { "step --model m.bin --tokens big.txt --batch 1 --context 4", 1, "outside the vocabulary" },
    { "step --model m.bin --tokens ids.txt --batch 1 --context 9", 2, "beyond the model's context 8" },
    { "init --layers 1 --heads 3 --channels 8 --context 8 --vocab 11 -o x.bin", 2, "not a valid" },
    { "init --layers 1 --heads 2 --channels 8 --context 8 -o x.bin", 2, "--vocab V is required" },
    { "init --layers", 2, "--layers needs a value" },
    { "init --layers 99999999999999999999 --heads 2 --channels 8 --context 8 --vocab 11"
      " -o x.bin", 2, "from 1 to" },
    { "init --bogus", 2, "unknown option --bogus" },
    { "step --help", 0, "" },
    { "init -h", 0, "" },
    { "init --layers one --heads 2 --channels 8 --context 8 --vocab 11 -o x.bin", 2, "'one'" },
    { "frobnicate", 2, "unknown command" },
};

START_TEST(bad_command_lines_are_refused)
{
    char out[256], err[1024];
    run(out, sizeof out, NULL, 0, "init --layers 1 --heads 2 --channels 8 --context 8"
        " --vocab 11 -o m.bin");
    write_text("ids.txt", "1 2 3 4 5 6 7 8 9 10");
    write_text("few.txt", "1 2 3");
    write_text("word.txt", "1 2 x 4 5");
    write_text("last.txt", "1 2 x"); /* the bad word ends the file */
    write_text("big.txt", "1 2 11 4 5");
    int status = run(out, sizeof out, err, sizeof err, bad[_i].args);
    ck_assert_int_eq(status, bad[_i].status);
    ck_assert_msg(strstr(err, bad[_i].says), "stderr '%s' lacks '%s'", err, bad[_i].says);
}
END_TEST

Suite *step_suite(void)
{
    Suite *s = suite_create("step");
    TCase *tc = tcase_create("commands");
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, step_matches_the_library);
    tcase_add_loop_test(tc, bad_command_lines_are_refused, 0, (int)(sizeof bad / sizeof bad[0]));
    suite_add_tcase(s, tc);
    return s;
}
