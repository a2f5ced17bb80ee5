/* check-sample.c -- sampling and cached generation (book/12-sampling.nw). */
#include <check.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "attention.h"
#include "gpt.h"
#include "command.h"
#include "sample.h"

static const struct sample_options plain = { .temperature = 1, .top_k = 0, .top_p = 1 };

static void random_logits(float *z, int V, unsigned long seed, double std)
{
    gsl_rng *rng = rng_create(seed);
    fill_normal(rng, z, (size_t)V, std);
    gsl_rng_free(rng);
}

START_TEST(greedy_is_argmax)
{
    enum { V = 1000 };
    float z[V];
    struct sampler s;
    const struct sample_options greedy = { .temperature = 0, .top_k = 0, .top_p = 1 };
    ck_assert_int_eq(sampler_create(&s, V, &greedy), 0);
    for (unsigned long seed = 1; seed <= 20; seed++) {
        random_logits(z, V, seed, 2.0);
        int best = 0;
        for (int i = 1; i < V; i++)
            best = z[i] > z[best] ? i : best;
        ck_assert_int_eq(sampler_next(&s, z, NULL), best);
    }
    /* A tie for the maximum goes to the smaller id. */
    for (int i = 0; i < V; i++)
        z[i] = (float)(i % 7);
    ck_assert_int_eq(sampler_next(&s, z, NULL), 6);
    sampler_free(&s);
}
END_TEST

/* The order of the logits of top_k_keeps_exactly_k: ids 10..29, then 0, 1, ... */
static int expected_order(int r)
{
    return r < 20 ? 10 + r : r - 20;
}

START_TEST(top_k_keeps_exactly_k)
{
    enum { V = 50 };
    float z[V];
    for (int i = 0; i < V; i++)  /* ids 10..19 share the largest logit, 20..29 the next */
        z[i] = i >= 10 && i < 20 ? 3.0f : i >= 20 && i < 30 ? 2.0f : -1.0f - 0.01f * i;
    for (int k = 1; k <= 25; k++) {
        struct sampler s;
        const struct sample_options o = { .temperature = 0.7, .top_k = k, .top_p = 1 };
        ck_assert_int_eq(sampler_create(&s, V, &o), 0);
        gsl_rng *rng = rng_create((unsigned long)k);
        for (int draw = 0; draw < 200; draw++) {
            int id = sampler_next(&s, z, rng), in_first_k = 0;
            ck_assert_int_eq(s.num_kept, k);
            for (int r = 0; r < k; r++)
                in_first_k |= id == expected_order(r);
            ck_assert(in_first_k);
        }
        for (int r = 0; r < k; r++)  /* ties are broken by increasing id */
            ck_assert_int_eq(s.kept[r].id, expected_order(r));
        gsl_rng_free(rng);
        sampler_free(&s);
    }
}
END_TEST

START_TEST(top_p_keeps_the_smallest_set_reaching_p)
{
    /* Probabilities exact in binary, so that "reaches" is exact. */
    const struct token_prob sorted[4] = { { 0.5, 2 }, { 0.25, 0 }, { 0.125, 1 },
                                          { 0.125, 3 } };
    ck_assert_int_eq(sample_top_p(sorted, 4, 0.1), 1);
    ck_assert_int_eq(sample_top_p(sorted, 4, 0.5), 1);
    ck_assert_int_eq(sample_top_p(sorted, 4, 0.5000001), 2);
    ck_assert_int_eq(sample_top_p(sorted, 4, 0.75), 2);
    ck_assert_int_eq(sample_top_p(sorted, 4, 0.76), 3);
    ck_assert_int_eq(sample_top_p(sorted, 4, 1.0), 4);
    /* Of the first two (mass 0.75), p = 0.8 asks for 0.6: both. */
    ck_assert_int_eq(sample_top_p(sorted, 2, 0.8), 2);
    /* Random distributions: the prefix reaches p, the one before it does not. */
    enum { V = 300 };
    float z[V];
    double p[V];
    struct token_prob tp[V];
    for (unsigned long seed = 1; seed <= 10; seed++) {
        random_logits(z, V, seed, 3.0);
        sample_softmax(p, z, V, 1.0);
        sample_sort(tp, p, V);
        for (double top_p = 0.05; top_p <= 1.0; top_p += 0.05) {
            int m = sample_top_p(tp, V, top_p);
            double mass = 0;
            for (int r = 0; r < m - 1; r++)
                mass += tp[r].p;
            ck_assert(mass < top_p);
            ck_assert(mass + tp[m - 1].p >= top_p * (1 - 1e-12));
            for (int r = 1; r < V; r++)
                ck_assert(tp[r - 1].p > tp[r].p
                          || (tp[r - 1].p == tp[r].p && tp[r - 1].id < tp[r].id));
        }
    }
}
END_TEST

/* NaN probabilities (from a broken model) sort after every number, by id. */
START_TEST(sort_is_total_with_nan)
{
    const double p[6] = { NAN, 0.25, NAN, 0.5, 0.25, NAN };
    const int order[6] = { 3, 1, 4, 0, 2, 5 };
    struct token_prob tp[6];
    sample_sort(tp, p, 6);
    for (int r = 0; r < 6; r++)
        ck_assert_int_eq(tp[r].id, order[r]);
    float z[4] = { 1.0f, NAN, 2.0f, 0.5f };
    struct sampler s;
    const struct sample_options o = { .temperature = 1, .top_k = 2, .top_p = 0.9 };
    ck_assert_int_eq(sampler_create(&s, 4, &o), 0);
    gsl_rng *rng = rng_create(1);
    int id = sampler_next(&s, z, rng);
    ck_assert(id >= 0 && id < 4);
    gsl_rng_free(rng);
    sampler_free(&s);
}
END_TEST

START_TEST(seed_reproduces_draws)
{
    enum { V = 100, N = 1000 };
    float z[V];
    int a[N], b[N], c[N];
    random_logits(z, V, 5, 1.0);
    const struct sample_options o = { .temperature = 0.9, .top_k = 40, .top_p = 0.95 };
    int *runs[3] = { a, b, c };
    unsigned long seeds[3] = { 42, 42, 43 };
    for (int run = 0; run < 3; run++) {
        struct sampler s;
        ck_assert_int_eq(sampler_create(&s, V, &o), 0);
        gsl_rng *rng = rng_create(seeds[run]);
        for (int i = 0; i < N; i++)
            runs[run][i] = sampler_next(&s, z, rng);
        gsl_rng_free(rng);
        sampler_free(&s);
    }
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert(memcmp(a, c, sizeof a) != 0);
}
END_TEST

/* The target of temperature, top-k and top-p, computed from the definitions. */
static void reference_target(double *q, const float *z, int V,
                             const struct sample_options *o)
{
    double m = z[0], total = 0, mass = 0, kept = 0;
    for (int i = 1; i < V; i++)
        m = fmax(m, z[i]);
    int rank[64];
    for (int i = 0; i < V; i++) {
        q[i] = exp((z[i] - m) / o->temperature);
        total += q[i];
    }
    for (int i = 0; i < V; i++) { /* rank by (probability desc, id asc), by counting */
        rank[i] = 0;
        for (int j = 0; j < V; j++)
            rank[i] += q[j] > q[i] || (q[j] == q[i] && j < i);
    }
    for (int i = 0; i < V; i++)
        if (rank[i] < o->top_k)
            mass += q[i] / total;
    for (int r = 0; r < o->top_k; r++) /* accumulate in rank order up to p of the mass */
        for (int i = 0; i < V; i++)
            if (rank[i] == r && kept < o->top_p * mass)
                kept += q[i] / total, rank[i] = -1 - rank[i];
    for (int i = 0; i < V; i++)
        q[i] = rank[i] < 0 ? q[i] / total / kept : 0;
}

START_TEST(frequencies_match_the_target)
{
    enum { V = 20, N = 200000 };
    const double alpha = 1e-3;
    float z[V];
    double q[V], full[V];
    long count[V] = { 0 };
    random_logits(z, V, 11, 1.0);
    const struct sample_options o = { .temperature = 0.8, .top_k = 12, .top_p = 0.9 };
    reference_target(q, z, V, &o);
    const struct sample_options uncut = { .temperature = 0.8, .top_k = V, .top_p = 1 };
    reference_target(full, z, V, &uncut);
    struct sampler s;
    ck_assert_int_eq(sampler_create(&s, V, &o), 0);
    gsl_rng *rng = rng_create(2024);
    for (int i = 0; i < N; i++)
        count[sampler_next(&s, z, rng)]++;
    double x2 = 0, x2_full = 0;
    int cells = 0;
    for (int i = 0; i < V; i++) {
        if (q[i] == 0) {
            ck_assert_int_eq(count[i], 0); /* cut tokens are never drawn */
        } else {
            ck_assert(N * q[i] >= 100);
            x2 += (count[i] - N * q[i]) * (count[i] - N * q[i]) / (N * q[i]);
            cells++;
        }
        x2_full += (count[i] - N * full[i]) * (count[i] - N * full[i]) / (N * full[i]);
    }
    ck_assert_int_ge(cells, 3);
    ck_assert_int_lt(cells, 12);  /* top-p did cut inside top-k */
    ck_assert_double_gt(gsl_cdf_chisq_Q(x2, cells - 1), alpha);
    ck_assert_double_lt(gsl_cdf_chisq_Q(x2_full, V - 1), alpha); /* the test has power */
    gsl_rng_free(rng);
    sampler_free(&s);
}
END_TEST

/* A small random model whose context holds more than one register tile of rows. */
static void small_model(struct gpt *m, int maxT)
{
    const struct gpt_config cfg = { .max_seq_len = maxT, .vocab_size = 67,
                                    .padded_vocab_size = padded_vocab(67), .num_layers = 2,
                                    .num_heads = 2, .channels = 16 };
    ck_assert_int_eq(gpt_create(m, &cfg), 0);
    gsl_rng *rng = rng_create(9);
    fill_normal(rng, m->params, m->num_params, 0.3); /* far from uniform logits */
    gsl_rng_free(rng);
}

static void check_step_equals_full_pass(int threads)
{
    enum { T = 40 };
    struct gpt m;
    char err[256];
    int tokens[T];
    small_model(&m, T);
    for (int i = 0; i < T; i++)
        tokens[i] = (i * 13 + 5) % 67;
    int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    struct gpt_cache *g = gpt_cache_create(&m, T), *h = gpt_cache_create(&m, T);
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_nonnull(h);
    for (int t = 1; t <= T; t++) {
        ck_assert_int_eq(gpt_step(&m, g, tokens[t - 1]), 0);
        ck_assert_int_eq(gpt_forward(&m, tokens, NULL, 1, t, err, sizeof err), 0);
        ck_assert_mem_eq(g->logits, m.act[ACT_LOGITS] + (size_t)(t - 1) * 67,
                         67 * sizeof(float));
        gpt_cache_rewind(h, 0);
        ck_assert_int_eq(gpt_prefill(&m, h, tokens, t, err, sizeof err), 0);
        ck_assert_mem_eq(h->logits, g->logits, 67 * sizeof(float));
        for (int l = 0; l < 2; l++)
            ck_assert_mem_eq(h->layer[l]->qkv, g->layer[l]->qkv,
                             (size_t)t * 48 * sizeof(float));
    }
    ck_assert_int_eq(gpt_step(&m, g, 0), -1); /* full */
    gpt_cache_rewind(g, 3);
    ck_assert_int_eq(g->len, 3);
    ck_assert_int_eq(gpt_step(&m, g, 67), -1); /* outside the vocabulary */
    ck_assert_int_eq(gpt_step(&m, g, 66), 0);
    omp_set_num_threads(saved);
    gpt_cache_free(g), gpt_cache_free(h);
    gpt_free(&m);
}

START_TEST(step_logits_equal_full_pass_bit_for_bit)
{
    check_step_equals_full_pass(1);
    check_step_equals_full_pass(2);
}
END_TEST

START_TEST(cache_equals_no_cache_token_for_token)
{
    enum { T = 40 };
    struct gpt m;
    char err[256];
    const int prompt[3] = { 1, 2, 3 };
    int out[2][T];
    small_model(&m, T);
    const struct sample_options o = { .temperature = 1.0, .top_k = 30, .top_p = 0.95 };
    for (int use_cache = 0; use_cache < 2; use_cache++) {
        struct sampler s;
        ck_assert_int_eq(sampler_create(&s, 67, &o), 0);
        gsl_rng *rng = rng_create(77);
        const struct generation g = { prompt, 3, 100, -1, use_cache, NULL, NULL };
        /* Stops at the context: 3 + 37 = 40 tokens. */
        ck_assert_int_eq(sample_generate(&m, &s, rng, &g, out[use_cache], err, sizeof err),
                         T - 3);
        gsl_rng_free(rng);
        sampler_free(&s);
    }
    ck_assert_mem_eq(out[0], out[1], (T - 3) * sizeof(int));
    /* An end token stops generation right after it is made. */
    struct sampler s;
    ck_assert_int_eq(sampler_create(&s, 67, &o), 0);
    gsl_rng *rng = rng_create(77);
    const struct generation g = { prompt, 3, 100, out[0][4], 1, NULL, NULL };
    int n = sample_generate(&m, &s, rng, &g, out[1], err, sizeof err);
    ck_assert_int_ge(n, 1);
    ck_assert_int_le(n, 5);
    ck_assert_int_eq(out[1][n - 1], out[0][4]);
    /* A prompt that fills the context gets nothing; an empty or longer one is refused. */
    int long_prompt[T + 1] = { 0 };
    const struct generation full = { long_prompt, T, 5, -1, 1, NULL, NULL },
                            empty = { prompt, 0, 5, -1, 1, NULL, NULL },
                            too_long = { long_prompt, T + 1, 5, -1, 1, NULL, NULL };
    ck_assert_int_eq(sample_generate(&m, &s, rng, &full, out[1], err, sizeof err), 0);
    ck_assert_int_eq(sample_generate(&m, &s, rng, &empty, out[1], err, sizeof err), -1);
    ck_assert_int_eq(sample_generate(&m, &s, rng, &too_long, out[1], err, sizeof err), -1);
    gsl_rng_free(rng);
    sampler_free(&s);
    gpt_free(&m);
}
END_TEST

START_TEST(bad_options_rejected)
{
    struct sampler s;
    struct sample_options o = plain;
    ck_assert_ptr_null(sample_options_error(&o));
    o.temperature = -0.5;
    ck_assert_ptr_nonnull(sample_options_error(&o));
    ck_assert_int_eq(sampler_create(&s, 10, &o), -1);
    o = plain, o.top_p = 0;
    ck_assert_ptr_nonnull(sample_options_error(&o));
    o.top_p = 1.5;
    ck_assert_ptr_nonnull(sample_options_error(&o));
    o = plain, o.top_k = -1;
    ck_assert_ptr_nonnull(sample_options_error(&o));
    o = plain, o.temperature = NAN;
    ck_assert_ptr_nonnull(sample_options_error(&o));
}
END_TEST


/* Run `longhand sample` on the test's model with these options: its exit
   status, its standard output in out and its standard error in err. */
static char err[1024];
static int sample(char *out, size_t outlen, const char *model, const char *options)
{
    return longhand(out, outlen, err, sizeof err, "sample --model %s --tokenizer build/gpt2"
                    " --prompt 'The cat' %s", model, options);
}

START_TEST(command_line)
{
    char out[4096], again[4096], model[64];
    snprintf(model, sizeof model, "/tmp/longhand-sample-%d.bin", (int)getpid());
    ck_assert_int_eq(longhand(out, sizeof out, NULL, 0, "init --layers 1 --heads 2"
                              " --channels 8 --context 12 --vocab 50257 --seed 5 -o %s",
                              model), 0);
    const char *opts = "--ids --seed 3 --top-k 50 --top-p 0.9";
    ck_assert_int_eq(sample(out, sizeof out, model, opts), 0);
    ck_assert_int_eq(sample(again, sizeof again, model, opts), 0);
    ck_assert_str_eq(out, again);
    /* "The cat" is 2 tokens: 10 more fill the context of 12. */
    int n = 0;
    for (char *s = strtok(out, " \n"); s; s = strtok(NULL, " \n"))
        n++;
    ck_assert_int_eq(n, 10);
    ck_assert_int_eq(sample(out, sizeof out, model,
                            "--temperature 0 --max-new 3 --stats"), 0);
    ck_assert_ptr_nonnull(strstr(err, "tokens/s"));
    ck_assert_int_eq(sample(out, sizeof out, model, "--temperature -1"), 2);
    ck_assert_ptr_nonnull(strstr(err, "--temperature"));
    ck_assert_int_eq(sample(out, sizeof out, model, "--top-p 0"), 2);
    ck_assert_ptr_nonnull(strstr(err, "(0, 1]"));
    ck_assert_int_eq(sample(out, sizeof out, model, "--top-p 1.01"), 2);
    ck_assert_int_eq(sample(out, sizeof out, model, "--top-k -1"), 2);
    ck_assert_ptr_nonnull(strstr(err, "--top-k"));
    ck_assert_int_eq(sample(out, sizeof out, model, "--max-new x"), 2);
    ck_assert_int_eq(sample(out, sizeof out, model, "--max-new"), 2);
    ck_assert_ptr_nonnull(strstr(err, "--max-new needs a value"));
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "sample --model /nonexistent"
                              " --tokenizer build/gpt2 --prompt x"), 1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent"));
    remove(model);
}
END_TEST

Suite *sample_suite(void)
{
    Suite *s = suite_create("sample");
    TCase *tc = tcase_create("sample");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, greedy_is_argmax);
    tcase_add_test(tc, top_k_keeps_exactly_k);
    tcase_add_test(tc, top_p_keeps_the_smallest_set_reaching_p);
    tcase_add_test(tc, sort_is_total_with_nan);
    tcase_add_test(tc, seed_reproduces_draws);
    tcase_add_test(tc, frequencies_match_the_target);
    tcase_add_test(tc, step_logits_equal_full_pass_bit_for_bit);
    tcase_add_test(tc, cache_equals_no_cache_token_for_token);
    tcase_add_test(tc, bad_options_rejected);
    tcase_add_test(tc, command_line);
    suite_add_tcase(s, tc);
    return s;
}
