/* check-gpt.c -- the model (book/08-model.nw) and its backward pass
   (book/09-backprop.nw) against an independent float64 GPT-2. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "command.h"
#include "gpt.h"
#include "numdiff.h"

enum { B = 2, T = 4 };
static const struct gpt_config small = { .max_seq_len = 6, .vocab_size = 9,
                                         .padded_vocab_size = 128, .num_layers = 2,
                                         .num_heads = 2, .channels = 8 };
static const int inputs[B * T] = { 1, 4, 4, 0, 8, 2, 7, 4 };
static const int targets[B * T] = { 4, 4, 0, 3, 2, 7, 4, 1 };

/* A model with large random weights, so that every path carries gradient. */
static void make_model(struct gpt *m, unsigned long seed)
{
    ck_assert_int_eq(gpt_create(m, &small), 0);
    gsl_rng *rng = rng_create(seed);
    fill_normal(rng, m->params, m->num_params, 0.5);
    gsl_rng_free(rng);
}

/* ---- the float64 reference: eqs. embedding, block-attn, block-mlp, logits,
   cross-entropy, written out directly ---- */

static void ref_layernorm(double *y, const double *x, const double *w, const double *b, int C)
{
    double m = 0, v = 0;
    for (int i = 0; i < C; i++) m += x[i];
    m /= C;
    for (int i = 0; i < C; i++) v += (x[i] - m) * (x[i] - m);
    double r = 1 / sqrt(v / C + 1e-5);
    for (int i = 0; i < C; i++) y[i] = (x[i] - m) * r * w[i] + b[i];
}

/* y[O] = W[O x I] x[I] + b[O] (b may be NULL). */
static void ref_linear(double *y, const double *x, const double *W, const double *b, int I, int O)
{
    for (int o = 0; o < O; o++) {
        double s = b ? b[o] : 0;
        for (int i = 0; i < I; i++) s += W[o * I + i] * x[i];
        y[o] = s;
    }
}

static double ref_gelu(double x)
{
    return 0.5 * x * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x)));
}

/* Attention of one sequence: out[T x C] from qkv[T x 3C]. */
static void ref_attention(double *out, const double *qkv, int n, int C, int NH)
{
    int hs = C / NH;
    for (int h = 0; h < NH; h++)
        for (int t = 0; t < n; t++) {
            double w[16], mx = -INFINITY, sum = 0;
            for (int s = 0; s <= t; s++) {
                double d = 0;
                for (int i = 0; i < hs; i++) d += qkv[t * 3 * C + h * hs + i] * qkv[s * 3 * C + C + h * hs + i];
                w[s] = d / sqrt(hs);
                mx = fmax(mx, w[s]);
            }
            for (int s = 0; s <= t; s++) sum += (w[s] = exp(w[s] - mx));
            for (int i = 0; i < hs; i++) {
                double o = 0;
                for (int s = 0; s <= t; s++) o += w[s] / sum * qkv[s * 3 * C + 2 * C + h * hs + i];
                out[t * C + h * hs + i] = o;
            }
        }
}

/* The mean loss of the batch for parameters p (a float64 copy of the buffer). */
static double ref_loss(const double *p, void *unused)
{
    (void)unused;
    const struct gpt_config *c = &small;
    int C = c->channels, V = c->vocab_size, L = c->num_layers;
    size_t sizes[NUM_PARAM_TENSORS];
    param_sizes(c, sizes);
    const double *w[NUM_PARAM_TENSORS];
    for (int i = 0, at = 0; i < NUM_PARAM_TENSORS; at += (int)sizes[i], i++) w[i] = p + at;
    double total = 0;
    for (int b = 0; b < B; b++) {
        double h[T][8], x[T][8], qkv[T][24], att[T][8], y[T][8], f[32], g[32];
        for (int t = 0; t < T; t++)
            for (int i = 0; i < C; i++)
                h[t][i] = w[PARAM_WTE][inputs[b * T + t] * C + i] + w[PARAM_WPE][t * C + i];
        for (int l = 0; l < L; l++) {
            for (int t = 0; t < T; t++) {
                ref_layernorm(x[t], h[t], w[PARAM_LN1W] + l * C, w[PARAM_LN1B] + l * C, C);
                ref_linear(qkv[t], x[t], w[PARAM_QKVW] + l * 3 * C * C, w[PARAM_QKVB] + l * 3 * C,
                           C, 3 * C);
            }
            ref_attention(&att[0][0], &qkv[0][0], T, C, c->num_heads);
            for (int t = 0; t < T; t++) {
                ref_linear(y[t], att[t], w[PARAM_ATTPROJW] + l * C * C, w[PARAM_ATTPROJB] + l * C,
                           C, C);
                for (int i = 0; i < C; i++) h[t][i] += y[t][i];
                ref_layernorm(x[t], h[t], w[PARAM_LN2W] + l * C, w[PARAM_LN2B] + l * C, C);
                ref_linear(f, x[t], w[PARAM_FCW] + l * 4 * C * C, w[PARAM_FCB] + l * 4 * C,
                           C, 4 * C);
                for (int i = 0; i < 4 * C; i++) g[i] = ref_gelu(f[i]);
                ref_linear(y[t], g, w[PARAM_FCPROJW] + l * 4 * C * C, w[PARAM_FCPROJB] + l * C,
                           4 * C, C);
                for (int i = 0; i < C; i++) h[t][i] += y[t][i];
            }
        }
        for (int t = 0; t < T; t++) {
            double z[9], mx = -INFINITY, sum = 0;
            ref_layernorm(x[t], h[t], w[PARAM_LNFW], w[PARAM_LNFB], C);
            ref_linear(z, x[t], w[PARAM_WTE], NULL, C, V);
            for (int j = 0; j < V; j++) mx = fmax(mx, z[j]);
            for (int j = 0; j < V; j++) sum += exp(z[j] - mx);
            total += mx + log(sum) - z[targets[b * T + t]];
        }
    }
    return total / (B * T);
}

START_TEST(forward_loss_matches_float64_reference)
{
    struct gpt m;
    make_model(&m, 1);
    char err[256];
    ck_assert_int_eq(gpt_forward(&m, inputs, targets, B, T, err, sizeof err), 0);
    double *p = malloc(m.num_params * sizeof *p);
    for (size_t i = 0; i < m.num_params; i++) p[i] = m.params[i];
    double want = ref_loss(p, NULL);
    ck_assert_double_le(fabs(m.mean_loss - want), 1e-4 * fabs(want));
    free(p);
    gpt_free(&m);
}
END_TEST

START_TEST(probabilities_sum_to_one_and_init_loss_is_log_v)
{
    struct gpt m;
    ck_assert_int_eq(gpt_create(&m, &small), 0);
    ck_assert_int_eq(gpt_init(&m, 7), 0);
    char err[256];
    ck_assert_int_eq(gpt_forward(&m, inputs, targets, B, T, err, sizeof err), 0);
    int V = small.vocab_size;
    for (int bt = 0; bt < B * T; bt++) {
        double s = 0;
        for (int j = 0; j < V; j++) s += m.act[ACT_PROBS][bt * V + j];
        ck_assert_double_le(fabs(s - 1), 2 * V * FLT_EPSILON / 2);
    }
    ck_assert_double_le(fabs(m.mean_loss - log(V)), 0.05 * log(V));
    gpt_free(&m);
}
END_TEST

START_TEST(loss_is_finite_when_a_probability_underflows)
{
    struct gpt m;
    make_model(&m, 2);
    for (size_t i = 0; i < m.param_size[PARAM_WTE]; i++)
        m.param[PARAM_WTE][i] *= 400; /* huge logits */
    char err[256];
    ck_assert_int_eq(gpt_forward(&m, inputs, targets, B, T, err, sizeof err), 0);
    int underflowed = 0;
    for (int bt = 0; bt < B * T; bt++)
        underflowed += m.act[ACT_PROBS][bt * small.vocab_size + targets[bt]] == 0.0f;
    ck_assert_int_gt(underflowed, 0); /* the case this test is about happened */
    ck_assert(isfinite(m.mean_loss));
    ck_assert_float_gt(m.mean_loss, 10.0f);
    gpt_free(&m);
}
END_TEST

START_TEST(backward_matches_numerical_gradient_of_whole_model)
{
    struct gpt m;
    make_model(&m, 3);
    char err[256];
    ck_assert_int_eq(gpt_forward(&m, inputs, targets, B, T, err, sizeof err), 0);
    gpt_zero_grad(&m);
    ck_assert_int_eq(gpt_backward(&m), 0);
    size_t n = m.num_params;
    double *p = malloc(n * sizeof *p), *num = malloc(n * sizeof *num),
           *abserr = malloc(n * sizeof *abserr);
    for (size_t i = 0; i < n; i++) p[i] = m.params[i];
    numerical_gradient(ref_loss, p, n, NULL, 1e-3, num, abserr);
    ck_assert_double_le(relative_max_error(m.grads, num, n, 1e-3), 1e-3);
    for (size_t i = (size_t)small.vocab_size * small.channels; i < m.param_size[PARAM_WTE]; i++)
        ck_assert_float_eq(m.grad[PARAM_WTE][i], 0.0f); /* padding rows of the token table */
    free(p); free(num); free(abserr);
    gpt_free(&m);
}
END_TEST

START_TEST(backward_accumulates_and_is_thread_independent)
{
    /* Wide enough (C = 96) that the products split into several panels. */
    struct gpt_config wide = small;
    wide.channels = 96;
    wide.num_heads = 4;
    struct gpt m;
    ck_assert_int_eq(gpt_create(&m, &wide), 0);
    gsl_rng *rng = rng_create(4);
    fill_normal(rng, m.params, m.num_params, 0.1);
    gsl_rng_free(rng);
    char err[256];
    size_t n = m.num_params;
    float *g[2];
    int saved = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k + 1);
        ck_assert_int_eq(gpt_forward(&m, inputs, targets, B, T, err, sizeof err), 0);
        gpt_zero_grad(&m);
        gpt_backward(&m);
        g[k] = malloc(n * sizeof(float));
        memcpy(g[k], m.grads, n * sizeof(float));
    }
    omp_set_num_threads(saved);
    ck_assert_mem_eq(g[0], g[1], n * sizeof(float));
    gpt_backward(&m); /* a second pass adds */
    for (size_t i = 0; i < n; i++)
        ck_assert_float_eq_tol(m.grads[i], 2 * g[1][i], 1e-5f * (1 + fabsf(g[1][i])));
    free(g[0]); free(g[1]);
    gpt_free(&m);
}
END_TEST

START_TEST(backward_uses_the_batch_the_forward_pass_kept)
{
    /* The reference: a twin model's gradient for (inputs, targets). */
    struct gpt m, twin;
    make_model(&m, 8);
    make_model(&twin, 8);
    char err[256];
    size_t n = m.num_params;
    ck_assert_int_eq(gpt_forward(&twin, inputs, targets, B, T, err, sizeof err), 0);
    gpt_zero_grad(&twin);
    ck_assert_int_eq(gpt_backward(&twin), 0);
    /* Run another batch first, then (x, y), then overwrite the caller's x and
       y before the backward pass: the gradient is still (inputs, targets)'. */
    int x[B * T], y[B * T];
    for (int i = 0; i < B * T; i++) x[i] = targets[i], y[i] = inputs[i];
    ck_assert_int_eq(gpt_forward(&m, x, y, B, T, err, sizeof err), 0);
    memcpy(x, inputs, sizeof x);
    memcpy(y, targets, sizeof y);
    ck_assert_int_eq(gpt_forward(&m, x, y, B, T, err, sizeof err), 0);
    for (int i = 0; i < B * T; i++) x[i] = 0, y[i] = 8;
    gpt_zero_grad(&m);
    ck_assert_int_eq(gpt_backward(&m), 0);
    ck_assert_mem_eq(m.grads, twin.grads, n * sizeof(float));
    /* A forward pass without targets: backward refuses, gradients untouched. */
    ck_assert_int_eq(gpt_forward(&m, inputs, NULL, B, T, err, sizeof err), 0);
    ck_assert_int_eq(gpt_backward(&m), -1);
    ck_assert_mem_eq(m.grads, twin.grads, n * sizeof(float));
    /* A new shape reallocates the kept batch, and the gradient follows it. */
    ck_assert_int_eq(gpt_forward(&m, inputs, targets, 1, T, err, sizeof err), 0);
    ck_assert_int_eq(gpt_forward(&twin, inputs, targets, 1, T, err, sizeof err), 0);
    gpt_zero_grad(&m);
    gpt_zero_grad(&twin);
    ck_assert_int_eq(gpt_backward(&m), 0);
    ck_assert_int_eq(gpt_backward(&twin), 0);
    ck_assert_mem_eq(m.grads, twin.grads, n * sizeof(float));
    gpt_free(&m);
    gpt_free(&twin);
}
END_TEST

START_TEST(rejects_bad_batches)
{
    struct gpt m;
    make_model(&m, 5);
    char err[256] = "";
    int bad[B * T];
    ck_assert_int_eq(gpt_forward(&m, inputs, targets, 1, 7, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "at most 6 positions"));
    ck_assert_int_eq(gpt_forward(&m, inputs, targets, 1 << 20, 2, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "too large")); /* 2^21 positions; ids never read */
    memcpy(bad, inputs, sizeof bad);
    bad[3] = 9;
    ck_assert_int_eq(gpt_forward(&m, bad, targets, B, T, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "token id 9 at position 3"));
    memcpy(bad, targets, sizeof bad);
    bad[5] = -1;
    ck_assert_int_eq(gpt_forward(&m, inputs, bad, B, T, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "token id -1 at position 5"));
    ck_assert_int_eq(gpt_backward(&m), -1); /* no forward pass yet */
    ck_assert_int_eq(gpt_forward(&m, inputs, NULL, B, T, err, sizeof err), 0);
    ck_assert_int_eq(gpt_backward(&m), -1); /* one without targets */
    ck_assert_int_eq(gpt_forward(&m, inputs, targets, B, T, err, sizeof err), 0);
    ck_assert_int_eq(gpt_forward(&m, inputs, bad, B, T, err, sizeof err), -1);
    ck_assert_int_eq(gpt_backward(&m), -1); /* one that failed */
    gpt_free(&m);
}
END_TEST

/* ---- checkpoints ---- */

static char *temp_path(const char *name)
{
    static char dir[] = "/tmp/longhand-gpt-XXXXXX";
    static int made = 0;
    if (!made) {
        ck_assert_ptr_nonnull(mkdtemp(dir));
        made = 1;
    }
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

START_TEST(checkpoint_round_trip_is_exact)
{
    struct gpt m, back;
    make_model(&m, 6);
    char err[256], *path = temp_path("round.bin");
    ck_assert_int_eq(gpt_save(&m, path, err, sizeof err), 0);
    ck_assert_int_eq(gpt_load(&back, path, err, sizeof err), 0);
    ck_assert_mem_eq(&back.config, &m.config, sizeof m.config);
    ck_assert_mem_eq(back.params, m.params, m.num_params * sizeof(float));
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 1024 + 4 * (long)m.num_params);
    gpt_free(&m); gpt_free(&back);
    unlink(path); free(path);
}
END_TEST

START_TEST(failed_save_keeps_the_old_file)
{
    struct gpt m;
    make_model(&m, 7);
    char err[256], *path = temp_path("keep.bin");
    ck_assert_int_eq(gpt_save(&m, path, err, sizeof err), 0);
    size_t before_len;
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    before_len = (size_t)ftell(f);
    rewind(f);
    char *before = malloc(before_len);
    ck_assert_uint_eq(fread(before, 1, before_len, f), before_len);
    fclose(f);
    /* A save over the same path that fails halfway: in a child process whose
       files may not exceed 2 KiB, so that nothing else is limited. */
    m.params[0] += 1;
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit small_files = { 2048, 2048 };
        setrlimit(RLIMIT_FSIZE, &small_files);
        int failed = gpt_save(&m, path, err, sizeof err) == -1 && strstr(err, "too large");
        _exit(failed ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "the limited save did not fail with 'too large'");
    f = fopen(path, "rb");
    char *after = malloc(before_len);
    ck_assert_uint_eq(fread(after, 1, before_len, f), before_len);
    ck_assert_int_eq(fgetc(f), EOF);
    fclose(f);
    ck_assert_mem_eq(after, before, before_len);
    /* and no temporary file is left behind */
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s.tmp-* 2>/dev/null | grep -q .", path);
    ck_assert_int_ne(system(cmd), 0);
    free(before); free(after);
    gpt_free(&m);
    unlink(path); free(path);
}
END_TEST

/* Write a header (and n floats of zeros) to path. */
static void write_checkpoint(const char *path, const int *header, long nfloats)
{
    FILE *f = fopen(path, "wb");
    int h[256] = { 0 };
    memcpy(h, header, 8 * sizeof(int));
    fwrite(h, sizeof h, 1, f);
    float zero = 0;
    for (long i = 0; i < nfloats; i++) fwrite(&zero, sizeof zero, 1, f);
    fclose(f);
}

static const struct { int header[8]; long delta; const char *message; } malformed[] = {
    { { 20240326, 3, 6, 9, 2, 2, 8, 128 }, -1, "size does not match" },
    { { 20240326, 3, 6, 9, 2, 2, 8, 128 }, +1, "size does not match" },
    { { 20240327, 3, 6, 9, 2, 2, 8, 128 }, 0, "bad magic" },
    { { 20240326, 5, 6, 9, 2, 2, 8, 128 }, 0, "version" },
    { { 20240326, 3, 6, 9, 2, 3, 8, 128 }, 0, "heads must divide" },
    { { 20240326, 3, 6, 9, 2, 2, 8, 4 }, 0, "vocabulary" },
    { { 20240326, 3, 0, 9, 2, 2, 8, 128 }, 0, "context" },
    { { 20240326, 3, 6, 9, 2, 2, 1 << 24, 128 }, 0, "channels" },
    { { 20240326, 3, 6, 9, -1, 2, 8, 128 }, 0, "layers" },
    { { 20240326, 3, 6, 9, 2, 2, 32768, 128 }, 0, "matrix products" },   /* 4C x C = 2^32 */
    { { 20240326, 3, 6, 1 << 21, 2, 2, 8, 1 << 21 }, 0, "matrix products" }, /* V > 2^20 */
};

START_TEST(rejects_malformed_checkpoints)
{
    /* delta makes the file wrong by one float. */
    size_t sizes[NUM_PARAM_TENSORS];
    param_sizes(&small, sizes);
    long n = (long)layout_total(sizes, NUM_PARAM_TENSORS);
    char *path = temp_path("bad.bin"), err[256] = "";
    write_checkpoint(path, malformed[_i].header, n + malformed[_i].delta);
    struct gpt m;
    ck_assert_int_eq(gpt_load(&m, path, err, sizeof err), -1);
    ck_assert_msg(strstr(err, malformed[_i].message), "'%s' lacks '%s'", err,
                  malformed[_i].message);
    ck_assert_ptr_null(m.params);
    unlink(path); free(path);
}
END_TEST

START_TEST(rejects_short_and_missing_files)
{
    char *path = temp_path("short.bin"), err[256];
    FILE *f = fopen(path, "wb");
    fputs("GPT", f);
    fclose(f);
    struct gpt m;
    ck_assert_int_eq(gpt_load(&m, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "too short"));
    ck_assert_int_eq(gpt_load(&m, "/nonexistent/model.bin", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
    unlink(path); free(path);
}
END_TEST

/* A NaN or an infinity anywhere in a checkpoint is refused at load, with the
   tensor and the index named; and `sample` on such a file fails. */
START_TEST(rejects_non_finite_parameters)
{
    static const struct { int tensor; size_t index; float value; const char *says; } bad[] = {
        { PARAM_WTE, 0, NAN, "parameter 0 of wte is nan" },
        { PARAM_QKVW, 17, INFINITY, "parameter 17 of qkvw is inf" },
        { PARAM_LNFB, 1, -INFINITY, "parameter 1 of lnfb is -inf" },
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        struct gpt m, back;
        make_model(&m, 6);
        m.param[bad[k].tensor][bad[k].index] = bad[k].value;
        char err[256], *path = temp_path("nan.bin");
        ck_assert_int_eq(gpt_save(&m, path, err, sizeof err), 0);
        ck_assert_int_eq(gpt_load(&back, path, err, sizeof err), -1);
        ck_assert_msg(strstr(err, bad[k].says), "'%s' lacks '%s'", err, bad[k].says);
        ck_assert_ptr_null(back.params);
        char out[256], msg[512];
        char *tokens = write_temp("1 2 3 4 5 6 7 8\n", 16);
        ck_assert_int_eq(longhand(out, sizeof out, msg, sizeof msg, "step --model %s "
                                  "--tokens %s --batch 1 --context 4", path, tokens), 1);
        unlink(tokens), free(tokens);
        ck_assert_ptr_nonnull(strstr(msg, "not finite"));
        gpt_free(&m);
        unlink(path), free(path);
    }
}
END_TEST

Suite *gpt_suite(void)
{
    Suite *s = suite_create("gpt");
    TCase *model = tcase_create("model");
    tcase_set_timeout(model, 120);
    tcase_add_test(model, forward_loss_matches_float64_reference);
    tcase_add_test(model, probabilities_sum_to_one_and_init_loss_is_log_v);
    tcase_add_test(model, loss_is_finite_when_a_probability_underflows);
    tcase_add_test(model, backward_matches_numerical_gradient_of_whole_model);
    tcase_add_test(model, backward_accumulates_and_is_thread_independent);
    tcase_add_test(model, backward_uses_the_batch_the_forward_pass_kept);
    tcase_add_test(model, rejects_bad_batches);
    suite_add_tcase(s, model);
    TCase *files = tcase_create("checkpoints");
    tcase_add_test(files, checkpoint_round_trip_is_exact);
    tcase_add_test(files, rejects_non_finite_parameters);
    tcase_add_test(files, failed_save_keeps_the_old_file);
    tcase_add_loop_test(files, rejects_malformed_checkpoints, 0,
                        (int)(sizeof malformed / sizeof malformed[0]));
    tcase_add_test(files, rejects_short_and_missing_files);
    suite_add_tcase(s, files);
    return s;
}
