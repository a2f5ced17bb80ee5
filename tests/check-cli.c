/* check-cli.c -- reading numbers from the command line (book/01-numbers.nw). */
#include <check.h>
#include "command.h"
#include <stdio.h>
#include <string.h>
#include "cli.h"

START_TEST(parse_long_takes_whole_numbers_in_range)
{
    long n = 7;
    ck_assert_int_eq(parse_long("42", 0, 100, &n), 0);
    ck_assert_int_eq(n, 42);
    ck_assert_int_eq(parse_long("-3", -5, 5, &n), 0);
    ck_assert_int_eq(n, -3);
    ck_assert_int_eq(parse_long("0", 0, 100, &n), 0); /* both limits are in range */
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(parse_long("100", 0, 100, &n), 0);
    ck_assert_int_eq(n, 100);
    static const char *bad[] = { "", "12abc", "abc", "101", "-1", "1.5", " ", "99999999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        n = 7;
        ck_assert_int_eq(parse_long(bad[i], 0, 100, &n), -1);
        ck_assert_int_eq(n, 7); /* untouched */
    }
}
END_TEST

START_TEST(parse_double_takes_finite_numbers_in_range)
{
    double x = 0;
    ck_assert_int_eq(parse_double("3e-4", 0, 1, &x), 0);
    ck_assert_double_eq(x, 3e-4);
    ck_assert_int_eq(parse_double("0", 0, 1, &x), 0); /* both limits are in range */
    ck_assert_double_eq(x, 0);
    ck_assert_int_eq(parse_double("1", 0, 1, &x), 0);
    ck_assert_double_eq(x, 1);
    static const char *bad[] = { "", "nan", "inf", "1e999", "0.5x", "2", "-0.1" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        x = 0.25;
        ck_assert_int_eq(parse_double(bad[i], 0, 1, &x), -1);
        ck_assert_double_eq(x, 0.25); /* untouched */
    }
}
END_TEST

START_TEST(parse_long_list_reads_whole_lists)
{
    int v[3] = { 0 };
    ck_assert_int_eq(parse_long_list("1,2,3", 1, 9, v, 3), 3);
    ck_assert_int_eq(v[0] * 100 + v[1] * 10 + v[2], 123);
    static const char *bad[] = { "", "1,,2", "1,2,3,4", "1,x", "0", "10", ",1", "1," };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(parse_long_list(bad[i], 1, 9, v, 3) == -1, "accepted '%s'", bad[i]);
}
END_TEST

/* One table of every kind, parsed from a command line of words. */
static int n, flag, list[4], nlist;
static long big;
static double x;
static const char *name;
static const struct cli_option options[] = {
    { "n", 'n', CLI_INT, 1, 10, &n, "N", .required = 1, .help = "a count" },
    { "big", 0, CLI_LONG, 0, 4294967295.0, &big, "B", .help = "a seed" },
    { "x", 'x', CLI_DOUBLE, 0, 1, &x, "X", .help = "a fraction" },
    { "name", 'o', CLI_STRING, 0, 0, &name, "FILE", .help = "a file" },
    { "flag", 'f', CLI_FLAG, 0, 0, &flag, "", .help = "a switch" },
    { "list", 'l', CLI_INTS, 1, 99, list, "N,...", .given = &nlist, .max_count = 4,
      .help = "a list" },
    { 0 },
};
static const struct cli_spec spec = { "test", "[FILE]", "A test.", options, 0, 1 };

static int parse(const char *line, int *first)
{
    static char buf[256];
    char *argv[16] = { "test" };
    int argc = 1;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *w = strtok(buf, " "); w; w = strtok(NULL, " "))
        argv[argc++] = w;
    n = flag = nlist = 0, big = 0, x = 0, name = NULL;
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");   /* the messages are the commands' tests' */
    int status = cli_parse(&spec, argc, argv, first);
    fclose(stderr);
    stderr = saved;
    return status;
}

START_TEST(cli_parse_reads_every_kind)
{
    int first;
    ck_assert_int_eq(parse("-n 3 --big 4294967295 -x 0.5 -o f --flag --list 4,5 arg",
                           &first), CLI_CONTINUE);
    ck_assert_int_eq(n, 3);
    ck_assert(big == 4294967295L);
    ck_assert_double_eq(x, 0.5);
    ck_assert_str_eq(name, "f");
    ck_assert_int_eq(flag, 1);
    ck_assert_int_eq(nlist, 2);
    ck_assert_int_eq(list[1], 5);
    ck_assert_int_eq(first, 12);  /* "arg", after the options */
    ck_assert_int_eq(parse("--n=7", &first), CLI_CONTINUE);
    ck_assert_int_eq(n, 7);
}
END_TEST

/* Every bad command line is a usage error, status 2. */
START_TEST(cli_parse_refuses_bad_lines)
{
    static const char *bad[] = {
        "", "-x 0.5", "-n 0", "-n 11", "-n 99999999999999999999", "-n 3x", "-n",
        "-n 3 --big -1", "-n 3 --big 4294967296", "-n 3 -x nan", "-n 3 -x 2",
        "-n 3 --list 1,,2", "-n 3 --list 1,2,3,4,5", "-n 3 --bogus", "-n 3 -q",
        "-n 3 a b", "-n 3 --flag=1",
    };
    int first;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(parse(bad[i], &first) == 2, "accepted '%s'", bad[i]);
}
END_TEST

/* Every command and subcommand: --help succeeds and prints its usage; an
   unknown option, and a missing value, are usage errors that name it. */
static const char *const commands[] = {
    "trace", "tokenizer train", "tokenizer encode", "tokenizer decode", "tokenizer bench",
    "init", "step", "train", "sample", "bench matmul", "bench attention", "bench train",
    "bench sample", "baseline", "inspect lens", "inspect heads", "inspect dla",
    "inspect patch", "inspect attention", "inspect induction", "convert", "bench memory",
    "transcoder train", "transcoder eval", "transcoder features", "attribute",
};

START_TEST(every_command_has_help_and_refuses_unknown_options)
{
    char out[4096], err[1024];
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "%s --help", commands[_i]), 0);
    ck_assert_msg(strncmp(out, "usage: longhand ", 16) == 0, "%s --help: %s", commands[_i], out);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "%s -h", commands[_i]), 0);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "%s --no-such-option",
                              commands[_i]), 2);
    ck_assert_msg(strstr(err, "unknown option --no-such-option"), "%s: %s", commands[_i], err);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(the_dispatch_lists_and_refuses)
{
    char out[4096], err[1024];
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "help"), 0);
    ck_assert_ptr_nonnull(strstr(out, "sample"));
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, ""), 2);
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "frobnicate"), 2);
    ck_assert_ptr_nonnull(strstr(err, "unknown command 'frobnicate'"));
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "bench frobnicate"), 2);
    ck_assert_ptr_nonnull(strstr(err, "unknown subcommand 'frobnicate'"));
    ck_assert_int_eq(longhand(out, sizeof out, err, sizeof err, "tokenizer --help"), 0);
    ck_assert_ptr_nonnull(strstr(out, "decode"));
}
END_TEST

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("numbers");
    tcase_add_test(tc, parse_long_takes_whole_numbers_in_range);
    tcase_add_test(tc, parse_double_takes_finite_numbers_in_range);
    tcase_add_test(tc, parse_long_list_reads_whole_lists);
    tcase_add_test(tc, cli_parse_reads_every_kind);
    tcase_add_test(tc, cli_parse_refuses_bad_lines);
    suite_add_tcase(s, tc);
    tc = tcase_create("commands");
    tcase_add_loop_test(tc, every_command_has_help_and_refuses_unknown_options, 0,
                        (int)(sizeof commands / sizeof commands[0]));
    tcase_add_test(tc, the_dispatch_lists_and_refuses);
    suite_add_tcase(s, tc);
    return s;
}
