/* run-grade.c -- runs one graded exercise's hidden tests (`make grade EX=N.M`)
   and says, test by test and then in one line, whether the reader's code
   passes.  The tests are in tests/grade/NAME.c, which defines grade_suite();
   GRADE_EXERCISE and GRADE_SOLUTION name the exercise and the file under test.
   Check runs each test in a child process, so a crash in the reader's code is
   reported as that test's failure, not as the grader's. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

Suite *grade_suite(void);

int main(void)
{
    SRunner *runner = srunner_create(grade_suite());
    srunner_run_all(runner, CK_SILENT);
    int n = srunner_ntests_run(runner), failed = srunner_ntests_failed(runner);
    TestResult **results = srunner_results(runner);
    printf("exercise %s, %s:\n", GRADE_EXERCISE, GRADE_SOLUTION);
    for (int i = 0; i < n; i++) {
        TestResult *r = results[i];
        int ok = tr_rtype(r) == CK_PASS;
        printf("  %s  %s", ok ? "pass" : "FAIL", tr_tcname(r));
        if (!ok)
            printf("\n        %s (%s:%d)", tr_msg(r), tr_lfile(r), tr_lno(r));
        printf("\n");
    }
    free(results);
    srunner_free(runner);
    if (failed == 0)
        printf("PASS: exercise %s, all %d checks\n", GRADE_EXERCISE, n);
    else
        printf("FAIL: exercise %s, %d of %d checks failed\n", GRADE_EXERCISE, failed, n);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
