/* check-train.c -- training (book/11-training.nw): the schedule, clipping,
   accumulation, resume, learning, failures, and the command. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "command.h"
#include "numdiff.h"
#include "support.h"
#include "train.h"

START_TEST(schedule_at_key_steps)
{
    struct lr_schedule s = { .max_lr = 1e-3f, .min_lr = 1e-4f, .warmup = 10, .steps = 111 };
    ck_assert_float_eq_tol(lr_at(&s, 0), 1e-4f, 1e-10f);          /* (0+1)/10 */
    ck_assert_float_eq_tol(lr_at(&s, 9), 1e-3f, 1e-10f);          /* end of warmup */
    ck_assert_float_eq_tol(lr_at(&s, 10), 1e-3f, 1e-10f);         /* r = 0 */
    ck_assert_float_eq_tol(lr_at(&s, 60), 5.5e-4f, 1e-10f);       /* r = 1/2 */
    ck_assert_float_eq_tol(lr_at(&s, 110), 1e-4f, 1e-10f);        /* r = 1 */
    struct lr_schedule flat = { .max_lr = 2e-3f, .min_lr = 0, .warmup = 5, .steps = 6 };
    ck_assert_float_eq(lr_at(&flat, 5), 2e-3f);                   /* no decay phase */
}
END_TEST

START_TEST(clipping_scales_to_exact_norm)
{
    enum { N = 200003 };
    float *g = malloc(N * sizeof *g);
    gsl_rng *rng = rng_create(1);
    fill_normal(rng, g, N, 1.0);
    gsl_rng_free(rng);
    double exact = 0;
    for (size_t i = 0; i < N; i++) exact += (double)g[i] * g[i];
    exact = sqrt(exact);
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    double one = global_norm(g, N);
    omp_set_num_threads(2);
    double two = global_norm(g, N);
    omp_set_num_threads(saved);
    ck_assert_mem_eq(&one, &two, sizeof one);
    ck_assert_double_le(fabs(one - exact), 1e-12 * exact);
    ck_assert_double_eq(clip_global_norm(g, N, 2 * exact), one);  /* below: untouched */
    ck_assert_double_le(fabs(global_norm(g, N) - exact), 1e-12 * exact);
    clip_global_norm(g, N, 1.5);
    ck_assert_double_le(fabs(global_norm(g, N) - 1.5), 1e-6 * 1.5);
    free(g);
}
END_TEST

/* A tiny model and corpus shared by the training tests. */
static const struct gpt_config tiny = { .max_seq_len = 8, .vocab_size = 13,
                                        .padded_vocab_size = 128, .num_layers = 2,
                                        .num_heads = 2, .channels = 16 };
enum { CORPUS = 400 };
static int corpus[CORPUS];

static void make_corpus(void)
{
    for (int i = 0; i < CORPUS; i++)
        corpus[i] = (i * 5 + i / 13) % 13; /* repetitive, so learnable */
}

static struct train_data data(void)
{
    return (struct train_data){ corpus, corpus + 360, 360, 40 };
}

static void new_model(struct gpt *m, struct adamw *opt)
{
    ck_assert_int_eq(gpt_create(m, &tiny), 0);
    ck_assert_int_eq(gpt_init(m, 5), 0);
    ck_assert_int_eq(adamw_create(opt, m->num_params, adamw_defaults()), 0);
}

/* One step of train_run with accum micro-batches of B rows; the step's
   (scaled) gradients are left in m->grads. */
static float *one_step_gradients(int B, int accum)
{
    struct gpt m;
    struct adamw opt;
    new_model(&m, &opt);
    struct train_data d = data();
    struct train_options o = { .B = B, .T = 8, .steps = 1, .accum = accum,
                               .lr = { .max_lr = 1e-3f, .warmup = 0, .steps = 1 } };
    char err[256];
    ck_assert_int_eq(train_run(&m, &opt, &d, &o, NULL, err, sizeof err), 0);
    float *g = malloc(m.num_params * sizeof *g);
    memcpy(g, m.grads, m.num_params * sizeof *g);
    adamw_free(&opt);
    gpt_free(&m);
    return g;
}

START_TEST(train_run_accumulates_the_mean_gradient)
{
    float *two = one_step_gradients(2, 2), *one = one_step_gradients(4, 1);
    size_t n = 0;
    struct gpt m;
    ck_assert_int_eq(gpt_create(&m, &tiny), 0);
    n = m.num_params;
    gpt_free(&m);
    double *big = malloc(n * sizeof *big);
    for (size_t i = 0; i < n; i++) big[i] = one[i];
    ck_assert_double_le(relative_max_error(two, big, n, 1e-6), 1e-5);
    free(two); free(one); free(big);
}
END_TEST

/* Accumulation is the fold of eq. fold: each micro-batch's gradient into a
   zeroed buffer, added in order, then scaled; exactly, bit for bit, so that
   N ranks (Chapter 16) can do the same additions. */
START_TEST(accumulation_is_the_ordered_fold)
{
    enum { K = 3, B = 2, T = 8 };
    float *got = one_step_gradients(B, K);
    struct gpt m;
    struct adamw opt;
    new_model(&m, &opt);
    char err[256];
    float *sum = malloc(m.num_params * sizeof *sum);
    for (int k = 0; k < K; k++) {
        const int *batch = corpus + k * B * T;
        gpt_zero_grad(&m);
        ck_assert_int_eq(gpt_forward(&m, batch, batch + 1, B, T, err, sizeof err), 0);
        gpt_backward(&m);
        for (size_t i = 0; i < m.num_params; i++)
            sum[i] = k == 0 ? m.grads[i] : sum[i] + m.grads[i];
    }
    for (size_t i = 0; i < m.num_params; i++)
        sum[i] *= 1.0f / K;
    ck_assert_mem_eq(got, sum, m.num_params * sizeof *sum);
    free(got); free(sum);
    adamw_free(&opt);
    gpt_free(&m);
}
END_TEST

START_TEST(accumulation_equals_one_large_batch)
{
    struct gpt m;
    struct adamw opt;
    new_model(&m, &opt);
    char err[256];
    enum { K = 3, B = 2, T = 8 };
    /* k micro-batches of B rows, accumulated and scaled by 1/k ... */
    gpt_zero_grad(&m);
    for (int k = 0; k < K; k++) {
        const int *batch = corpus + k * B * T;
        ck_assert_int_eq(gpt_forward(&m, batch, batch + 1, B, T, err, sizeof err), 0);
        gpt_backward(&m);
    }
    float *acc = malloc(m.num_params * sizeof *acc);
    for (size_t i = 0; i < m.num_params; i++) acc[i] = m.grads[i] / K;
    /* ... equal one batch of k*B rows over the same tokens. */
    ck_assert_int_eq(gpt_forward(&m, corpus, corpus + 1, K * B, T, err, sizeof err), 0);
    gpt_zero_grad(&m);
    gpt_backward(&m);
    double *big = malloc(m.num_params * sizeof *big);
    for (size_t i = 0; i < m.num_params; i++) big[i] = m.grads[i];
    ck_assert_double_le(relative_max_error(acc, big, m.num_params, 1e-6), 1e-5);
    free(acc); free(big);
    adamw_free(&opt);
    gpt_free(&m);
}
END_TEST

static struct train_options options(int steps, const char *out)
{
    return (struct train_options){ .B = 2, .T = 8, .steps = steps, .accum = 2,
        .lr = { .max_lr = 1e-2f, .min_lr = 1e-3f, .warmup = 2, .steps = steps },
        .grad_clip = 1.0, .val_every = 2, .val_batches = 2, .out = out };
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    char *buf = malloc(*len ? *len : 1);
    ck_assert_uint_eq(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

static void assert_same_file(const char *a, const char *b)
{
    size_t na, nb;
    char *x = slurp(a, &na), *y = slurp(b, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert_mem_eq(x, y, na);
    free(x); free(y);
}

START_TEST(resume_equals_uninterrupted)
{
    char dir[] = "/tmp/longhand-train-XXXXXX", a[128], b[128], sa[140], sb[140], err[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(a, sizeof a, "%s/straight.bin", dir);
    snprintf(b, sizeof b, "%s/resumed.bin", dir);
    struct train_data d = data();
    struct gpt m;
    struct adamw opt;
    new_model(&m, &opt);
    struct train_options o = options(6, a);
    ck_assert_int_eq(train_run(&m, &opt, &d, &o, NULL, err, sizeof err), 0);
    gpt_free(&m), adamw_free(&opt);
    /* Three steps, a checkpoint, then a fresh process's worth of loading. */
    new_model(&m, &opt);
    o = options(6, b);
    o.steps = 3;
    ck_assert_int_eq(train_run(&m, &opt, &d, &o, NULL, err, sizeof err), 0);
    gpt_free(&m), adamw_free(&opt);
    snprintf(sb, sizeof sb, "%s.state", b);
    ck_assert_int_eq(gpt_load(&m, b, err, sizeof err), 0);
    ck_assert_int_eq(adamw_create(&opt, m.num_params, adamw_defaults()), 0);
    struct train_record rec;
    ck_assert_int_eq(adamw_load(&opt, m.params, &rec, sb, err, sizeof err), 0);
    ck_assert_int_eq(opt.t, 3);
    o = options(6, b);
    ck_assert_int_eq(train_run(&m, &opt, &d, &o, NULL, err, sizeof err), 0);
    assert_same_file(a, b);
    snprintf(sa, sizeof sa, "%s.state", a);
    assert_same_file(sa, sb);
    gpt_free(&m), adamw_free(&opt);
}
END_TEST

START_TEST(tiny_model_learns_tiny_corpus)
{
    struct gpt m;
    struct adamw opt;
    new_model(&m, &opt);
    struct train_data d = data();
    char err[256];
    const int *batch = corpus;
    ck_assert_int_eq(gpt_forward(&m, batch, batch + 1, 2, 8, err, sizeof err), 0);
    float before = m.mean_loss;
    struct train_options o = options(60, NULL);
    ck_assert_int_eq(train_run(&m, &opt, &d, &o, NULL, err, sizeof err), 0);
    ck_assert_int_eq(gpt_forward(&m, batch, batch + 1, 2, 8, err, sizeof err), 0);
    ck_assert_float_lt(m.mean_loss, before / 2);
    adamw_free(&opt);
    gpt_free(&m);
}
END_TEST

START_TEST(non_finite_loss_stops_and_keeps_the_last_checkpoint)
{
    char dir[] = "/tmp/longhand-nan-XXXXXX", path[128], good[128], err[256] = "";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.bin", dir);
    struct gpt m;
    struct adamw opt;
    new_model(&m, &opt);
    struct train_data d = data();
    struct train_options o = options(4, path);
    o.steps = o.lr.steps = 2;
    o.checkpoint_every = 1;
    ck_assert_int_eq(train_run(&m, &opt, &d, &o, NULL, err, sizeof err), 0);
    snprintf(good, sizeof good, "%s/good.bin", dir);
    ck_assert_int_eq(gpt_save(&m, good, err, sizeof err), 0);
    m.param[PARAM_LNFW][0] = NAN; /* the final LayerNorm's scale, after step 2 */
    o.steps = o.lr.steps = 4;
    ck_assert_int_eq(train_run(&m, &opt, &d, &o, NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "step 3: the loss is not finite"));
    assert_same_file(path, good);
    adamw_free(&opt);
    gpt_free(&m);
}
END_TEST

/* No validation batches, or a validation split shorter than a batch, is no
   validation: the run completes and logs no validation loss. */
START_TEST(validation_is_skipped_when_it_cannot_run)
{
    struct gpt m;
    struct adamw opt;
    new_model(&m, &opt);
    struct train_data d = data();
    struct train_options o = options(2, NULL);
    if (_i == 0)
        o.val_batches = 0;
    else
        d.n_val = o.B * o.T;
    char err[256] = "", row[256];
    o.log = tmpfile();
    ck_assert_ptr_nonnull(o.log);
    ck_assert_int_eq(train_run(&m, &opt, &d, &o, NULL, err, sizeof err), 0);
    rewind(o.log);
    while (fgets(row, sizeof row, o.log))
        ck_assert_msg(strstr(row, "\tnan\n") != NULL, "log row '%s' has a val loss", row);
    fclose(o.log);
    adamw_free(&opt);
    gpt_free(&m);
}
END_TEST

/* Write a state file of header h (of hn words, the rest zero) and n
   parameters' zeros. */
static void write_state(const char *path, const int *h, size_t n)
{
    FILE *f = fopen(path, "wb");
    int header[STATE_HEADER_INTS] = { 0 };
    memcpy(header, h, 8 * sizeof *h);
    fwrite(header, sizeof(int), STATE_HEADER_INTS, f);
    float zero = 0;
    for (size_t i = 0; i < 2 * n; i++) fwrite(&zero, sizeof zero, 1, f);
    fclose(f);
}

START_TEST(malformed_states_are_refused)
{
    char path[] = "/tmp/longhand-state-XXXXXX", err[256];
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    float params[10] = { 1, 2, 3 }, other[10] = { 1, 2, 4 };
    struct adamw opt, eleven;
    ck_assert_int_eq(adamw_create(&opt, 10, adamw_defaults()), 0);
    ck_assert_int_eq(adamw_create(&eleven, 11, adamw_defaults()), 0);
    opt.t = 7;
    struct train_record rec = { .B = 3, .T = 5, .accum = 2,
        .lr = { .max_lr = 1e-3f, .min_lr = 1e-5f, .warmup = 4, .steps = 100 },
        .seed = 4000000000u, .data = 0x0123456789abcdefull, .tokenizer = 0xfedcba9876543210ull },
        back = { 0 };
    ck_assert_int_eq(adamw_save(&opt, params, &rec, path, err, sizeof err), 0);
    opt.t = 0;
    ck_assert_int_eq(adamw_load(&opt, params, &back, path, err, sizeof err), 0);
    ck_assert_int_eq(opt.t, 7);
    char changes[512];                                /* the record comes back whole */
    ck_assert_int_eq(train_record_changes(&rec, &back, changes, sizeof changes), 0);
    back.seed++, back.lr.warmup++;
    ck_assert_int_eq(train_record_changes(&rec, &back, changes, sizeof changes), 2);
    ck_assert_str_eq(changes, "--warmup was 4, now 5; --seed was 4000000000, now 4000000001");
    ck_assert_int_eq(adamw_load(&eleven, params, &back, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "does not match"));
    ck_assert_int_eq(adamw_load(&opt, other, &back, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "other parameters"));
    static const struct { int h[8]; const char *says; } bad[] = {
        { { 0x4c484158, 3, 1, 10 }, "not an optimiser state" },
        { { 0x4c484157, 2, 1, 10 }, "version 2, which this program does not read" },
        { { 0x4c484157, 1, 1, 10 }, "remove it to start a new optimiser" },
        { { 0x4c484157, 3, -1, 10 }, "step is negative" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_state(path, bad[i].h, 10);
        ck_assert_int_eq(adamw_load(&opt, params, &back, path, err, sizeof err), -1);
        ck_assert_msg(strstr(err, bad[i].says), "'%s' lacks '%s'", err, bad[i].says);
    }
    FILE *f = fopen(path, "wb");
    fputs("LHAW", f);
    fclose(f);
    ck_assert_int_eq(adamw_load(&opt, params, &back, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "too short"));
    ck_assert_int_eq(adamw_load(&opt, params, &back, "/nonexistent/x.state", err,
                                sizeof err), -1);
    unlink(path);
    adamw_free(&opt), adamw_free(&eleven);
}
END_TEST

/* The command's refusals: arguments, exit status, a word of the message. */
static const struct { const char *args; int status; const char *says; } bad[] = {
    { "train --tokenizer t.bpe --init-config 1,2,8,8 --batch 1 --context 4 --steps 2 -o m",
      2, "--data FILE is required" },
    { "train --data c.txt --tokenizer t.bpe --init-config 1,2,8,8 --model m.bin --batch 1"
      " --context 4 --steps 2 -o m", 2, "one of --model" },
    { "train --data c.txt --tokenizer t.bpe --init-config 1,2,8,8 --batch 0 --context 4"
      " --steps 2 -o m", 2, "'0'" },
    { "train --data c.txt --tokenizer t.bpe --init-config 1,2,8,8 --batch 1 --context 4"
      " --steps 2 --lr abc -o m", 2, "'abc'" },
    { "train --data none.txt --tokenizer t.bpe --init-config 1,2,8,8 --batch 1 --context 4"
      " --steps 2 -o m", 1, "none.txt" },
    { "train --data c.txt --tokenizer none.bpe --init-config 1,2,8,8 --batch 1 --context 4"
      " --steps 2 -o m", 1, "none.bpe" },
    { "train --data c.txt --tokenizer t.bpe --model none.bin --batch 1 --context 4"
      " --steps 2 -o m", 1, "none.bin" },
    { "train --data c.txt --tokenizer t.bpe --init-config 1,3,8,8 --batch 1 --context 4"
      " --steps 2 -o m", 2, "heads must divide" },
    { "train --data c.txt --tokenizer t.bpe --init-config 1,2,8 --batch 1 --context 4"
      " --steps 2 -o m", 2, "L,H,C,T" },
    { "train --data c.txt --tokenizer t.bpe --init-config 1,2,8,8 --batch 1 --context 9"
      " --steps 2 -o m", 2, "beyond the model's context" },
    { "train --help", 0, "" },
    { "train --data c.txt --tokenizer t.bpe --init-config 1,2,8,8 --batch 64 --context 8"
      " --steps 2 -o m", 1, "fewer than one batch" },
    { "bench train 4294967297,1,8,11,1,4", 2, "within a model's limits" },
    { "bench train 1,1,8,11,65537,4", 2, "within a model's limits" },
};

START_TEST(command_refuses_bad_input)
{
    static char dir[] = "/tmp/longhand-traincmd-XXXXXX";
    static int made;
    char path[1024], err[1024];
    struct longhand_io io = { .dir = dir, .err = err, .errlen = sizeof err };
    if (!made) {
        ck_assert_ptr_nonnull(mkdtemp(dir));
        made = 1;
        snprintf(path, sizeof path, "%s/c.txt", dir);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs("the cat sat on the mat. ", f);
        fclose(f);
        ck_assert_int_eq(longhand_io(&io, "tokenizer train --vocab-size 260 -o t.bpe c.txt"),
                         0);
    }
    int status = longhand_io(&io, "%s", bad[_i].args);
    ck_assert_int_eq(status, bad[_i].status);
    ck_assert_msg(strstr(err, bad[_i].says), "stderr '%s' lacks '%s'", err, bad[_i].says);
}
END_TEST

/* A directory with a corpus c.txt, another d.txt, tokenizers t.bpe and u.bpe,
   and a run of four steps to m.bin with its log. */
static void make_run(char *dir, struct longhand_io *io)
{
    ck_assert_ptr_nonnull(mkdtemp(dir));
    io->dir = dir;
    char path[1024];
    const char *texts[] = { "c.txt", "the cat sat on the mat; the dog sat on the log. ",
                            "d.txt", "a bird in the hand is worth two in the bush. " };
    for (int i = 0; i < 4; i += 2) {
        snprintf(path, sizeof path, "%s/%s", dir, texts[i]);
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        for (int k = 0; k < 8; k++)
            fputs(texts[i + 1], f);
        fclose(f);
    }
    ck_assert_int_eq(longhand_io(io, "tokenizer train --vocab-size 260 -o t.bpe c.txt"), 0);
    ck_assert_int_eq(longhand_io(io, "tokenizer train --vocab-size 260 -o u.bpe d.txt"), 0);
    ck_assert_int_eq(longhand_io(io, "train --data c.txt --tokenizer t.bpe --init-config "
                                 "1,2,8,8 --batch 2 --context 8 --steps 4 --seed 3 "
                                 "--log log.tsv -o m.bin"), 0);
}

#define RESUME "train --tokenizer t.bpe --model m.bin --context 8 -o m.bin --log log.tsv "

/* Resuming with anything the state records changed is refused, naming the
   change with both values; so is resuming a finished run. */
static const struct { const char *args, *says; } changed[] = {
    { RESUME "--data c.txt --batch 2 --steps 4", "the run is finished, at step 4" },
    { RESUME "--data c.txt --batch 2 --steps 4", "raise --steps and give --new-schedule" },
    { RESUME "--data c.txt --batch 2 --steps 6", "--steps was 4, now 6" },
    { RESUME "--data c.txt --batch 1 --steps 4", "--batch was 2, now 1" },
    { RESUME "--data c.txt --batch 2 --steps 4 --lr 1e-3", "--lr was 0.000300000014, now 0.00100000005" },
    { RESUME "--data c.txt --batch 2 --steps 4 --warmup 2", "--warmup was 0, now 2" },
    { RESUME "--data c.txt --batch 2 --steps 4 --accum 2", "(--accum times the ranks) were 1, now 2" },
    { RESUME "--data c.txt --batch 2 --steps 4 --min-lr 1e-5", "--min-lr was 0, now" },
    { RESUME "--data c.txt --batch 2 --steps 4 --seed 4", "--seed was 3, now 4" },
    { RESUME "--data d.txt --batch 2 --steps 4", "the corpus (--data) was" },
    { "train --tokenizer u.bpe --model m.bin --context 8 -o m.bin --data c.txt --batch 2"
      " --steps 4", "the tokenizer was" },
    { RESUME "--data c.txt --batch 2 --steps 6", "give --new-schedule" },
};

START_TEST(resume_refuses_another_run)
{
    static char dir[] = "/tmp/longhand-resume-XXXXXX";
    static struct longhand_io io;
    static char err[2048];
    if (!io.dir) {
        io.err = err, io.errlen = sizeof err;
        make_run(dir, &io);
    }
    ck_assert_int_eq(longhand_io(&io, "%s", changed[_i].args), 1);
    ck_assert_msg(strstr(err, changed[_i].says), "stderr '%s' lacks '%s'", err,
                  changed[_i].says);
}
END_TEST

/* The steps in the log's rows, in order, into steps[]; their number. */
static int log_steps(const char *path, int *steps, int room)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    int n = 0;
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "step\tlr\tloss\tval\n");
    while (fgets(line, sizeof line, f) && n < room)
        steps[n++] = atoi(line);
    fclose(f);
    return n;
}

/* --new-schedule extends a finished run; the log keeps one row per step,
   the rows past the checkpoint (a run killed after it) and a half-written
   row cut away and written again. */
START_TEST(new_schedule_extends_and_the_log_does_not_repeat)
{
    char dir[] = "/tmp/longhand-extend-XXXXXX", err[2048], path[1024];
    struct longhand_io io = { .err = err, .errlen = sizeof err };
    make_run(dir, &io);
    snprintf(path, sizeof path, "%s/log.tsv", dir);
    FILE *f = fopen(path, "a");
    fputs("5\t1\t9.9\tnan\n6\t1\t9.9\tnan\n7\t1\t9", f);   /* a lost run's rows */
    fclose(f);
    ck_assert_int_eq(longhand_io(&io, RESUME "--data c.txt --batch 2 --steps 7 "
                                 "--new-schedule"), 0);
    ck_assert_ptr_nonnull(strstr(err, "a new schedule from step 4: --steps was 4, now 7"));
    int steps[16];
    ck_assert_int_eq(log_steps(path, steps, 16), 7);
    for (int i = 0; i < 7; i++)
        ck_assert_int_eq(steps[i], i + 1);
    f = fopen(path, "r");
    char all[4096];
    size_t len = fread(all, 1, sizeof all - 1, f);
    all[len] = 0;
    fclose(f);
    ck_assert_ptr_null(strstr(all, "9.9"));
    /* The extended run is finished in its turn, at its new length. */
    ck_assert_int_eq(longhand_io(&io, RESUME "--data c.txt --batch 2 --steps 7"), 1);
    ck_assert_ptr_nonnull(strstr(err, "finished, at step 7 of --steps 7"));
}
END_TEST

static enum save_stage kill_at;

static void die_at_stage(enum save_stage stage)
{
    if (stage == kill_at)
        raise(SIGKILL);
}

static int file_exists(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* A save killed at each of its stages, in a child: what is left, once
   train_recover has run, is always a pair that loads, the old one before
   the checkpoint's rename and the new one from then on, with no temporary
   left; and resuming from the old one gives the new one's bytes. */
START_TEST(a_save_killed_at_any_stage_leaves_a_pair_that_resumes)
{
    char dir[] = "/tmp/longhand-kill-XXXXXX", path[128], state[140], err[256];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.bin", dir);
    snprintf(state, sizeof state, "%s.state", path);
    struct train_data d = data();
    struct gpt m2, m4, back;
    struct adamw o2, o4, oback;
    new_model(&m2, &o2);
    struct train_options o = options(4, path);
    o.steps = 2;
    ck_assert_int_eq(train_run(&m2, &o2, &d, &o, NULL, err, sizeof err), 0);
    new_model(&m4, &o4);
    o.steps = 4, o.out = NULL;
    ck_assert_int_eq(train_run(&m4, &o4, &d, &o, NULL, err, sizeof err), 0);
    struct train_record rec = train_record_of(&o);
    size_t bytes = m2.num_params * sizeof(float);
    for (kill_at = 0; kill_at < NUM_SAVE_STAGES; kill_at++) {
        ck_assert_int_eq(train_save(&m2, &o2, &rec, path, err, sizeof err), 0);
        pid_t child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
            train_save_hook = die_at_stage;
            train_save(&m4, &o4, &rec, path, err, sizeof err);
            _exit(0);
        }
        int status;
        ck_assert_int_eq(waitpid(child, &status, 0), child);
        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        ck_assert_int_eq(train_recover(path, err, sizeof err),
                         kill_at == SAVE_CHECKPOINT_RENAMED);
        ck_assert(!file_exists(dir, "m.bin.new") && !file_exists(dir, "m.bin.state.new"));
        ck_assert_int_eq(gpt_load(&back, path, err, sizeof err), 0);
        ck_assert_int_eq(adamw_create(&oback, back.num_params, adamw_defaults()), 0);
        struct train_record was;
        ck_assert_msg(adamw_load(&oback, back.params, &was, state, err, sizeof err) == 0,
                      "stage %d: %s", kill_at, err);
        int renamed = kill_at >= SAVE_CHECKPOINT_RENAMED;
        ck_assert_int_eq(oback.t, renamed ? 4 : 2);
        if (!renamed) {
            o.out = NULL;
            ck_assert_int_eq(train_run(&back, &oback, &d, &o, NULL, err, sizeof err), 0);
        }
        ck_assert_mem_eq(back.params, m4.params, bytes);
        ck_assert_mem_eq(oback.m, o4.m, bytes);
        gpt_free(&back), adamw_free(&oback);
    }
    gpt_free(&m2), gpt_free(&m4), adamw_free(&o2), adamw_free(&o4);
}
END_TEST

/* Poll (up to a minute) until the file at path holds want; 1 if it did. */
static int wait_for_text(const char *path, const char *want)
{
    char text[4096];
    for (int tries = 0; tries < 6000; tries++) {
        FILE *f = fopen(path, "r");
        size_t len = f ? fread(text, 1, sizeof text - 1, f) : 0;
        if (f)
            fclose(f);
        text[len] = 0;
        if (strstr(text, want))
            return 1;
        nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
    }
    return 0;
}

/* A second run on the output of a running one is refused, naming the
   first's pid; SIGTERM stops the first with a checkpoint that resumes and
   the status of a death by SIGTERM; then the output is free again. */
START_TEST(a_second_run_is_refused_and_sigterm_saves)
{
    static char dir[] = "/tmp/longhand-lock-XXXXXX";
    char err[2048], path[256], pid[32];
    struct longhand_io io = { .err = err, .errlen = sizeof err };
    make_run(dir, &io);
    const char *binary = getenv("LONGHAND");
    ck_assert_msg(binary != NULL, "LONGHAND is not set");
    char exe[1024], cwd[512];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(exe, sizeof exe, "%s%s%s", binary[0] == '/' ? "" : cwd,
             binary[0] == '/' ? "" : "/", binary);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        if (chdir(dir) != 0 || !freopen("/dev/null", "w", stderr))
            _exit(127);
        execl(exe, exe, "train", "--data", "c.txt", "--tokenizer", "t.bpe",
              "--init-config", "1,2,8,8", "--batch", "2", "--context", "8",
              "--steps", "1000000", "--log", "long.tsv", "-o", "long.bin", (char *)NULL);
        _exit(127);
    }
    snprintf(pid, sizeof pid, "%ld\n", (long)child);
    snprintf(path, sizeof path, "%s/long.bin.lock", dir);
    ck_assert(wait_for_text(path, pid));
    snprintf(path, sizeof path, "%s/long.tsv", dir);
    ck_assert(wait_for_text(path, "\n2\t"));      /* training, past step 1 */
    ck_assert_int_eq(longhand_io(&io, "train --data c.txt --tokenizer t.bpe --init-config "
                                 "1,2,8,8 --batch 2 --context 8 --steps 4 -o long.bin"), 1);
    pid[strlen(pid) - 1] = 0;
    ck_assert_msg(strstr(err, "in use by another run") && strstr(err, pid),
                  "stderr '%s' does not name pid %s", err, pid);
    ck_assert_int_eq(kill(child, SIGTERM), 0);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGTERM,
                  "status %d", status);
    /* What it saved loads as a pair, past step 1; the lock went with it. */
    struct gpt m;
    struct adamw opt;
    struct train_record rec;
    char model[256], state[256];
    snprintf(model, sizeof model, "%s/long.bin", dir);
    snprintf(state, sizeof state, "%s/long.bin.state", dir);
    ck_assert_int_eq(gpt_load(&m, model, err, sizeof err), 0);
    ck_assert_int_eq(adamw_create(&opt, m.num_params, adamw_defaults()), 0);
    ck_assert_int_eq(adamw_load(&opt, m.params, &rec, state, err, sizeof err), 0);
    ck_assert_int_ge(opt.t, 2);
    gpt_free(&m), adamw_free(&opt);
    int fd = lock_output(model, err, sizeof err);
    ck_assert_msg(fd >= 0, "%s", err);
    close(fd);
}
END_TEST

/* An output directory this process cannot write is refused before any
   work (root is made nobody for the test, in a child). */
START_TEST(an_unwritable_output_is_refused_first)
{
    static char dir[] = "/tmp/longhand-ro-XXXXXX";
    char err[2048], path[256];
    struct longhand_io io = { .err = err, .errlen = sizeof err };
    make_run(dir, &io);
    snprintf(path, sizeof path, "%s/ro", dir);
    ck_assert_int_eq(mkdir(path, 0555), 0);
    ck_assert_int_eq(chmod(dir, 0777), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        omp_set_num_threads(1);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        int status = longhand_io(&io, "train --data c.txt --tokenizer t.bpe --init-config "
                                 "1,2,8,8 --batch 2 --context 8 --steps 4 -o ro/m.bin");
        _exit(status == 1 && strstr(err, "ro/m.bin.lock: Permission denied") ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
    char room[512];
    ck_assert_int_eq(check_room(path, 1ull << 62, room, sizeof room), -1);
    ck_assert_ptr_nonnull(strstr(room, "fewer than the 4611686018427387904"));
    ck_assert_int_eq(check_room(path, 1, room, sizeof room), 0);
}
END_TEST

Suite *train_suite(void)
{
    make_corpus();
    Suite *s = suite_create("train");
    TCase *pieces = tcase_create("pieces");
    tcase_add_test(pieces, schedule_at_key_steps);
    tcase_add_test(pieces, clipping_scales_to_exact_norm);
    tcase_add_test(pieces, accumulation_equals_one_large_batch);
    tcase_add_test(pieces, accumulation_is_the_ordered_fold);
    tcase_add_test(pieces, train_run_accumulates_the_mean_gradient);
    tcase_add_test(pieces, malformed_states_are_refused);
    suite_add_tcase(s, pieces);
    TCase *runs = tcase_create("runs");
    tcase_set_timeout(runs, 120);
    tcase_add_test(runs, resume_equals_uninterrupted);
    tcase_add_test(runs, tiny_model_learns_tiny_corpus);
    tcase_add_test(runs, non_finite_loss_stops_and_keeps_the_last_checkpoint);
    tcase_add_loop_test(runs, validation_is_skipped_when_it_cannot_run, 0, 2);
    tcase_add_loop_test(runs, command_refuses_bad_input, 0, (int)(sizeof bad / sizeof bad[0]));
    tcase_add_loop_test(runs, resume_refuses_another_run, 0,
                        (int)(sizeof changed / sizeof changed[0]));
    tcase_add_test(runs, new_schedule_extends_and_the_log_does_not_repeat);
    tcase_add_test(runs, a_save_killed_at_any_stage_leaves_a_pair_that_resumes);
    tcase_add_test(runs, a_second_run_is_refused_and_sigterm_saves);
    tcase_add_test(runs, an_unwritable_output_is_refused_first);
    suite_add_tcase(s, runs);
    return s;
}
