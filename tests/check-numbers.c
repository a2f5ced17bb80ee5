/* check-numbers.c -- the promises of chapter 1 (book/01-numbers.nw). */
#include <check.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_statistics_float.h>
#include "numbers.h"

static const double u = FLT_EPSILON / 2; /* unit roundoff, 2^-24 */

/* Fill x with n uniform numbers; return their sum in double and sum |x|. */
static double uniform_row(float *x, size_t n, unsigned long seed, double *abs_sum)
{
    gsl_rng *rng = rng_create(seed);
    ck_assert_ptr_nonnull(rng);
    fill_uniform(rng, x, n);
    gsl_rng_free(rng);
    double s = 0, a = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] -= 0.25f; /* mixed signs, so sum|x| differs from |sum x| */
        s += x[i];
        a += fabs(x[i]);
    }
    *abs_sum = a;
    return s;
}

/* Both sums stay within their bounds (2u covers the O(u^2) term). */
START_TEST(sums_within_derived_bounds)
{
    size_t n = (size_t)1 << (4 + 2 * _i);
    float *x = malloc(n * sizeof *x);
    double abs_sum, exact = uniform_row(x, n, 17 + (unsigned long)_i, &abs_sum);
    double seq_bound = (double)(n - 1) * 2 * u * abs_sum;
    double pair_bound = (8 - 1 + ceil(log2((double)n / 8))) * 2 * u * abs_sum;
    ck_assert_double_le(fabs(sum_sequential(x, n) - exact), seq_bound);
    ck_assert_double_le(fabs(sum_pairwise(x, n) - exact), pair_bound);
    free(x);
}
END_TEST

START_TEST(sums_of_small_arrays_are_exact)
{
    float x[5] = { 1.5f, -2.0f, 0.25f, 4.0f, 8.0f };
    for (size_t n = 0; n <= 5; n++) {
        float want = 0;
        for (size_t i = 0; i < n; i++)
            want += x[i]; /* all partial sums are exact in fp32 */
        ck_assert_float_eq(sum_sequential(x, n), want);
        ck_assert_float_eq(sum_pairwise(x, n), want);
    }
}
END_TEST

START_TEST(sequential_sum_of_ones_stagnates)
{
    size_t n = (size_t)1 << 25;
    float *ones = malloc(n * sizeof *ones);
    for (size_t i = 0; i < n; i++)
        ones[i] = 1.0f;
    ck_assert_float_eq(sum_sequential(ones, n), 16777216.0f);
    ck_assert_float_eq(sum_pairwise(ones, n), 33554432.0f);
    free(ones);
}
END_TEST

START_TEST(sum_rows_same_bits_on_one_and_two_threads)
{
    size_t rows = 37, n = 1001;
    float *x = malloc(rows * n * sizeof *x), one[37], two[37];
    gsl_rng *rng = rng_create(5);
    fill_normal(rng, x, rows * n, 1.0);
    gsl_rng_free(rng);
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    sum_rows(sum_sequential, x, rows, n, one);
    omp_set_num_threads(2);
    sum_rows(sum_sequential, x, rows, n, two);
    omp_set_num_threads(saved);
    ck_assert_mem_eq(one, two, sizeof one);
    for (size_t r = 0; r < rows; r++)
        ck_assert_float_eq(one[r], sum_sequential(x + r * n, n));
    free(x);
}
END_TEST

START_TEST(fill_normal_repeats_for_a_seed)
{
    enum { N = 1000 };
    float a[N], b[N], c[N];
    gsl_rng *r1 = rng_create(42), *r2 = rng_create(42), *r3 = rng_create(43);
    fill_normal(r1, a, N, 0.02);
    fill_normal(r2, b, N, 0.02);
    fill_normal(r3, c, N, 0.02);
    ck_assert_mem_eq(a, b, sizeof a);
    ck_assert_int_ne(memcmp(a, c, sizeof a), 0);
    gsl_rng_free(r1); gsl_rng_free(r2); gsl_rng_free(r3);
}
END_TEST

/* Mean and sd within 5 standard errors: a correct generator fails for ~1e-6 of seeds. */
START_TEST(fill_normal_has_requested_moments)
{
    enum { N = 100000 };
    const double sigma = 0.02;
    float *x = malloc(N * sizeof *x);
    gsl_rng *rng = rng_create(2024);
    fill_normal(rng, x, N, sigma);
    gsl_rng_free(rng);
    double mean = gsl_stats_float_mean(x, 1, N), sd = gsl_stats_float_sd(x, 1, N);
    ck_assert_double_le(fabs(mean), 5 * sigma / sqrt(N));
    ck_assert_double_le(fabs(sd - sigma), 5 * sigma / sqrt(2.0 * N));
    free(x);
}
END_TEST

START_TEST(fill_uniform_stays_in_unit_interval)
{
    enum { N = 100000 };
    float *x = malloc(N * sizeof *x);
    gsl_rng *rng = rng_create(7);
    fill_uniform(rng, x, N);
    gsl_rng_free(rng);
    for (size_t i = 0; i < N; i++) {
        ck_assert_float_ge(x[i], 0.0f);
        ck_assert_float_lt(x[i], 1.0f);
    }
    ck_assert_double_le(fabs(gsl_stats_float_mean(x, 1, N) - 0.5), 5 * sqrt(1.0 / 12 / N));
    free(x);
}
END_TEST

/* A generator whose every draw is mt19937's largest, 1 - 2^-32, which rounds to 1.0f. */
static void top_set(void *state, unsigned long seed) { (void)state; (void)seed; }
static unsigned long top_get(void *state) { (void)state; return 0xffffffffUL; }
static double top_get_double(void *state) { (void)state; return 1.0 - 0x1p-32; }
static const gsl_rng_type top_type = { "top", 0xffffffffUL, 0, sizeof(int),
                                       top_set, top_get, top_get_double };

START_TEST(fill_uniform_stays_below_one)
{
    gsl_rng *rng = gsl_rng_alloc(&top_type);
    float x[3];
    fill_uniform(rng, x, 3);
    gsl_rng_free(rng);
    for (int i = 0; i < 3; i++)
        ck_assert_float_eq(x[i], nextafterf(1.0f, 0.0f));
}
END_TEST

START_TEST(gpt2_small_has_llmc_parameter_count)
{
    struct gpt_config gpt2 = { .max_seq_len = 1024, .vocab_size = 50257,
                               .padded_vocab_size = padded_vocab(50257),
                               .num_layers = 12, .num_heads = 12, .channels = 768 };
    ck_assert_int_eq(gpt2.padded_vocab_size, 50304);
    size_t sizes[NUM_PARAM_TENSORS];
    param_sizes(&gpt2, sizes);
    ck_assert_uint_eq(layout_total(sizes, NUM_PARAM_TENSORS), 124475904);
    ck_assert_uint_eq(sizes[PARAM_WTE], (size_t)50304 * 768);
    ck_assert_uint_eq(sizes[PARAM_QKVW], (size_t)12 * 3 * 768 * 768);
}
END_TEST

START_TEST(padded_vocab_rounds_up_to_multiple)
{
    ck_assert_int_eq(padded_vocab(1), 128);
    ck_assert_int_eq(padded_vocab(128), 128);
    ck_assert_int_eq(padded_vocab(129), 256);
}
END_TEST

START_TEST(layout_total_detects_overflow)
{
    size_t sizes[3] = { SIZE_MAX / 2, SIZE_MAX / 2, 2 };
    ck_assert_uint_eq(layout_total(sizes, 2), SIZE_MAX - 1);
    ck_assert_uint_eq(layout_total(sizes, 3), 0);
}
END_TEST

START_TEST(layout_views_tile_the_buffer)
{
    size_t sizes[4] = { 3, 0, 5, 2 };
    float buffer[10], *views[4];
    layout_views(buffer, sizes, 4, views);
    ck_assert_ptr_eq(views[0], buffer);
    ck_assert_ptr_eq(views[1], buffer + 3);
    ck_assert_ptr_eq(views[2], buffer + 3);
    ck_assert_ptr_eq(views[3], buffer + 8);
    ck_assert_uint_eq(layout_total(sizes, 4), 10);
}
END_TEST

START_TEST(param_init_follows_gpt2)
{
    struct gpt_config cfg = { .max_seq_len = 32, .vocab_size = 100,
                              .padded_vocab_size = padded_vocab(100),
                              .num_layers = 3, .num_heads = 4, .channels = 64 };
    size_t sizes[NUM_PARAM_TENSORS];
    float *p[NUM_PARAM_TENSORS];
    param_sizes(&cfg, sizes);
    size_t total = layout_total(sizes, NUM_PARAM_TENSORS);
    float *params = malloc(total * sizeof *params), *again = malloc(total * sizeof *again);
    gsl_rng *rng = rng_create(3), *rng2 = rng_create(3);
    param_init(params, &cfg, rng);
    param_init(again, &cfg, rng2);
    ck_assert_mem_eq(params, again, total * sizeof *params);
    layout_views(params, sizes, NUM_PARAM_TENSORS, p);
    /* GPT-2's rule, written out here rather than read from the table. */
    const int ones[] = { PARAM_LN1W, PARAM_LN2W, PARAM_LNFW };
    const int zeros[] = { PARAM_LN1B, PARAM_QKVB, PARAM_ATTPROJB, PARAM_LN2B, PARAM_FCB,
                          PARAM_FCPROJB, PARAM_LNFB };
    const int normal[] = { PARAM_WTE, PARAM_WPE, PARAM_QKVW, PARAM_FCW };
    const int residual[] = { PARAM_ATTPROJW, PARAM_FCPROJW };
    for (size_t j = 0; j < sizeof ones / sizeof ones[0]; j++)
        for (size_t k = 0; k < sizes[ones[j]]; k++) ck_assert_float_eq(p[ones[j]][k], 1.0f);
    for (size_t j = 0; j < sizeof zeros / sizeof zeros[0]; j++)
        for (size_t k = 0; k < sizes[zeros[j]]; k++) ck_assert_float_eq(p[zeros[j]][k], 0.0f);
    for (size_t j = 0; j < 6; j++) {                  /* sd within 5 standard errors */
        int i = j < 4 ? normal[j] : residual[j - 4];
        double want = j < 4 ? 0.02 : 0.02 / sqrt(6.0);
        double sd = gsl_stats_float_sd(p[i], 1, sizes[i]);
        ck_assert_double_le(fabs(sd - want), 5 * want / sqrt(2.0 * sizes[i]));
    }
    /* The first tensor is the first draws of the stream. */
    float first[8];
    gsl_rng *rng3 = rng_create(3);
    fill_normal(rng3, first, 8, 0.02);
    ck_assert_mem_eq(first, params, sizeof first);
    gsl_rng_free(rng); gsl_rng_free(rng2); gsl_rng_free(rng3);
    free(params); free(again);
}
END_TEST

START_TEST(param_table_is_llmc_order_and_shapes)
{
    /* The checkpoint format fixes the order: llm.c's names, and its shapes. */
    static const char *const llmc[NUM_PARAM_TENSORS] = {
        "wte", "wpe", "ln1w", "ln1b", "qkvw", "qkvb", "attprojw", "attprojb",
        "ln2w", "ln2b", "fcw", "fcb", "fcprojw", "fcprojb", "lnfw", "lnfb",
    };
    for (int i = 0; i < NUM_PARAM_TENSORS; i++)
        ck_assert_str_eq(param_tensors[i].name, llmc[i]);
    struct gpt_config cfg = { .max_seq_len = 5, .vocab_size = 7, .padded_vocab_size = 128,
                              .num_layers = 2, .num_heads = 1, .channels = 3 };
    const size_t Vp = 128, Tm = 5, L = 2, C = 3;
    const size_t want[NUM_PARAM_TENSORS] = {
        [PARAM_WTE] = Vp * C, [PARAM_WPE] = Tm * C, [PARAM_LN1W] = L * C,
        [PARAM_LN1B] = L * C, [PARAM_QKVW] = L * 3 * C * C, [PARAM_QKVB] = L * 3 * C,
        [PARAM_ATTPROJW] = L * C * C, [PARAM_ATTPROJB] = L * C, [PARAM_LN2W] = L * C,
        [PARAM_LN2B] = L * C, [PARAM_FCW] = L * 4 * C * C, [PARAM_FCB] = L * 4 * C,
        [PARAM_FCPROJW] = L * C * 4 * C, [PARAM_FCPROJB] = L * C, [PARAM_LNFW] = C,
        [PARAM_LNFB] = C,
    };
    size_t sizes[NUM_PARAM_TENSORS];
    param_sizes(&cfg, sizes);
    for (int i = 0; i < NUM_PARAM_TENSORS; i++)
        ck_assert_uint_eq(sizes[i], want[i]);
    ck_assert_uint_eq(param_dim_size(&cfg, DIM_NONE), 1);
}
END_TEST

Suite *numbers_suite(void)
{
    Suite *s = suite_create("numbers");
    TCase *sums = tcase_create("summation");
    tcase_set_timeout(sums, 60);
    tcase_add_loop_test(sums, sums_within_derived_bounds, 0, 9);
    tcase_add_test(sums, sums_of_small_arrays_are_exact);
    tcase_add_test(sums, sequential_sum_of_ones_stagnates);
    tcase_add_test(sums, sum_rows_same_bits_on_one_and_two_threads);
    suite_add_tcase(s, sums);
    TCase *random = tcase_create("random");
    tcase_add_test(random, fill_normal_repeats_for_a_seed);
    tcase_add_test(random, fill_normal_has_requested_moments);
    tcase_add_test(random, fill_uniform_stays_in_unit_interval);
    tcase_add_test(random, fill_uniform_stays_below_one);
    suite_add_tcase(s, random);
    TCase *layout = tcase_create("layout");
    tcase_add_test(layout, gpt2_small_has_llmc_parameter_count);
    tcase_add_test(layout, padded_vocab_rounds_up_to_multiple);
    tcase_add_test(layout, layout_total_detects_overflow);
    tcase_add_test(layout, layout_views_tile_the_buffer);
    tcase_add_test(layout, param_init_follows_gpt2);
    tcase_add_test(layout, param_table_is_llmc_order_and_shapes);
    suite_add_tcase(s, layout);
    return s;
}
