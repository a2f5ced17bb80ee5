/* check-cli.c -- reading numbers from the command line (book/01-numbers.nw). */
#include <check.h>
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

Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("numbers");
    tcase_add_test(tc, parse_long_takes_whole_numbers_in_range);
    tcase_add_test(tc, parse_double_takes_finite_numbers_in_range);
    suite_add_tcase(s, tc);
    return s;
}
