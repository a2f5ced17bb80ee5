/* check-many.c -- the module of many machines (book/16-many.nw) without MPI:
   bfloat16 rounding, llm.c's bf16 checkpoints, the cost model, the stub. */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "command.h"
#include "gpt.h"
#include "many.h"
#include "numdiff.h"

static float from_bits(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }

START_TEST(bf16_rounds_to_nearest_even)
{
    ck_assert_uint_eq(bf16_from_float(1.0f), 0x3f80);
    ck_assert_uint_eq(bf16_from_float(from_bits(0x3f808000u)), 0x3f80);  /* tie, even below */
    ck_assert_uint_eq(bf16_from_float(from_bits(0x3f818000u)), 0x3f82);  /* tie, odd: up */
    ck_assert_uint_eq(bf16_from_float(from_bits(0x3f808001u)), 0x3f81);  /* above the tie */
    ck_assert_uint_eq(bf16_from_float(from_bits(0x3f807fffu)), 0x3f80);  /* below it */
    ck_assert_uint_eq(bf16_from_float(from_bits(0x3fffffffu)), 0x4000);  /* carry into exponent */
    ck_assert_uint_eq(bf16_from_float(-0.0f), 0x8000);
    ck_assert_uint_eq(bf16_from_float(INFINITY), 0x7f80);
    ck_assert_uint_eq(bf16_from_float(-INFINITY), 0xff80);
    ck_assert_uint_eq(bf16_from_float(FLT_MAX), 0x7f80);                  /* overflows */
    ck_assert(isnan(float_from_bf16(bf16_from_float(NAN))));
    ck_assert(isnan(float_from_bf16(bf16_from_float(from_bits(0x7f800001u)))));  /* low-bit NaN */
    ck_assert_float_eq(float_from_bf16(0x3f80), 1.0f);
}
END_TEST

/* Against the definition: the nearer of the two bfloat16 neighbours, in
   double, the even one on a tie. */
START_TEST(bf16_agrees_with_the_nearest_neighbour)
{
    gsl_rng *rng = rng_create(3);
    for (int i = 0; i < 1000000; i++) {
        uint32_t u = (uint32_t)gsl_rng_get(rng);
        if ((u & 0x7f800000u) == 0x7f800000u)
            continue;                                    /* infinities and NaNs above */
        uint16_t down = (uint16_t)(u >> 16), up = (uint16_t)(down + 1);
        double x = from_bits(u), a = float_from_bf16(down), b = float_from_bf16(up);
        if ((up & 0x7fff) == 0x7f80)        /* past the largest: IEEE rounds as if to 2^128 */
            b = copysign(ldexp(1.0, 128), x);
        double da = fabs(x - a), db = fabs(b - x);
        uint16_t want = da < db ? down : db < da ? up : (down & 1) ? up : down;
        ck_assert_msg(bf16_from_float((float)x) == want, "0x%08x: got 0x%04x, want 0x%04x",
                      u, bf16_from_float((float)x), want);
    }
    gsl_rng_free(rng);
}
END_TEST

START_TEST(bf16_checkpoint_round_trip)
{
    static char dir[] = "/tmp/longhand-bf16-XXXXXX";
    char path[1200], err[1024], out[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    struct longhand_io io = { .dir = dir, .err = err, .errlen = sizeof err };
    ck_assert_int_eq(longhand_io(&io, "init -L 2 -H 2 -C 16 -T 8 -V 50 --seed 5 -o a.bin"), 0);
    ck_assert_int_eq(longhand_io(&io, "convert --to llmc-bf16 a.bin -o b.bin"), 0);
    ck_assert_int_eq(longhand_io(&io, "convert --to llmc-fp32 b.bin -o c.bin"), 0);
    ck_assert_int_eq(longhand_io(&io, "convert --to llmc-bf16 c.bin -o d.bin"), 0);
    struct gpt a, c;
    snprintf(path, sizeof path, "%s/a.bin", dir);
    ck_assert_int_eq(gpt_load(&a, path, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/c.bin", dir);
    ck_assert_int_eq(gpt_load(&c, path, err, sizeof err), 0);
    ck_assert_uint_eq(a.num_params, c.num_params);
    for (size_t i = 0; i < a.num_params; i++)
        ck_assert_float_eq(c.params[i], float_from_bf16(bf16_from_float(a.params[i])));
    snprintf(path, sizeof path, "cd %s && cmp b.bin d.bin && od -An -t d4 -j 4 -N 4 b.bin"
             " && stat -c %%s b.bin", dir);
    ck_assert_int_eq(run_command(out, sizeof out, path), 0);
    unsigned long size = 0;
    int version = 0;
    ck_assert_int_eq(sscanf(out, "%d %lu", &version, &size), 2);
    ck_assert_int_eq(version, LLMC_BF16_VERSION);
    ck_assert_uint_eq(size, CHECKPOINT_HEADER_INTS * 4 + 2 * a.num_params);
    /* Truncated, and foreign, files are refused. */
    snprintf(path, sizeof path, "cd %s && head -c 2000 b.bin > t.bin && echo hi > x.bin", dir);
    ck_assert_int_eq(run_command(out, sizeof out, path), 0);
    ck_assert_int_eq(longhand_io(&io, "convert --to llmc-fp32 t.bin -o e.bin"), 1);
    ck_assert_ptr_nonnull(strstr(err, "does not match"));
    ck_assert_int_eq(longhand_io(&io, "convert --to llmc-fp32 x.bin -o e.bin"), 1);
    ck_assert_ptr_nonnull(strstr(err, "too short"));
    ck_assert_int_eq(longhand_io(&io, "convert --to gguf a.bin -o e.bin"), 2);
    ck_assert_int_eq(longhand_io(&io, "convert --to llmc-bf16 a.bin"), 2);
    gpt_free(&a);
    gpt_free(&c);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    ck_assert_int_eq(run_command(out, sizeof out, path), 0);
}
END_TEST

START_TEST(cost_model_and_stub)
{
    /* Two ranks: one latency each way and the whole vector once (eq. ring-cost). */
    ck_assert_double_eq_tol(many_ring_seconds(1000, 2, 1e-5, 1e-9), 2e-5 + 1e-6, 1e-15);
    /* Eight ranks, P = 4 (eq. chain-cost): 2 (8 + 4 - 2) (alpha + 250 beta). */
    ck_assert_double_eq_tol(many_chain_seconds(1000, 8, 4, 1e-5, 1e-9),
                            20 * (1e-5 + 250e-9), 1e-15);
    ck_assert_double_eq(many_chain_seconds(1000, 1, 4, 1e-5, 1e-9), 0);
    struct many w;
    char err[128];
    ck_assert_int_eq(many_start(&w, 1, err, sizeof err), 0);
    ck_assert_int_eq(w.ranks, 1);
    ck_assert_int_eq(w.rank, 0);
    ck_assert_int_eq(many_place(&w), 0);
    ck_assert_int_eq(many_share(&w, NULL, 0, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "without MPI"));
    many_stop(&w);
}
END_TEST

Suite *many_suite(void)
{
    Suite *s = suite_create("many");
    TCase *c = tcase_create("bf16 and the cost model");
    tcase_add_test(c, bf16_rounds_to_nearest_even);
    tcase_add_test(c, bf16_agrees_with_the_nearest_neighbour);
    tcase_add_test(c, bf16_checkpoint_round_trip);
    tcase_add_test(c, cost_model_and_stub);
    suite_add_tcase(s, c);
    return s;
}
