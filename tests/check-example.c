/* check-example.c -- the worked example's reader (book/01-numbers.nw) on good
   and broken descriptions. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "example.h"
#include "command.h"

static const char good[] =
    "# a comment\n"
    "text =  The cat sat.  \n"
    "\n"
    "seed = 42\nlayers = 1\nheads = 2\nchannels = 16\ncontext = 8\nvocab = 300\n";

/* Read contents as a description; return example_read's status, message in err. */
static int read_text(const char *contents, size_t len, struct worked_example *ex,
                     char *err, size_t errlen)
{
    char *path = write_temp(contents, len);
    int status = example_read(path, ex, err, errlen);
    unlink(path);
    free(path);
    return status;
}

START_TEST(reads_a_good_description)
{
    struct worked_example ex;
    char err[256] = "";
    ck_assert_int_eq(read_text(good, strlen(good), &ex, err, sizeof err), 0);
    ck_assert_str_eq(ex.text, "The cat sat.");
    ck_assert_uint_eq(ex.seed, 42);
    ck_assert_int_eq(ex.model.num_layers, 1);
    ck_assert_int_eq(ex.model.num_heads, 2);
    ck_assert_int_eq(ex.model.channels, 16);
    ck_assert_int_eq(ex.model.max_seq_len, 8);
    ck_assert_int_eq(ex.model.vocab_size, 300);
    ck_assert_int_eq(ex.model.padded_vocab_size, 384);
}
END_TEST

START_TEST(reads_the_books_own_example)
{
    struct worked_example ex;
    char err[256] = "";
    ck_assert_msg(example_read("data/worked-example.conf", &ex, err, sizeof err) == 0,
                  "%s", err);
}
END_TEST

/* Each broken description: replace one line of the good one, expect a message. */
static const struct { const char *from, *to, *message; } broken[] = {
    { "seed = 42\n", "", "missing key 'seed'" },
    { "seed = 42\n", "seed = 42\nseed = 43\n", ":5: key given twice" },
    { "seed = 42\n", "sed = 42\n", ":4: unknown key 'sed'" },
    { "seed = 42\n", "seed = 4x2\n", ":4: seed must be a whole number" },
    { "seed = 42\n", "seed = -1\n", ":4: seed must be a whole number" },
    { "seed = 42\n", "seed =\n", ":4: seed must be a whole number" },
    { "heads = 2\n", "heads = 0\n", ":6: heads must be a whole number from 1" },
    { "heads = 2\n", "heads = 3\n", "heads must divide channels" },
    { "context = 8\n", "context = 99999999999999999999\n", ":8: context must be" },
    { "vocab = 300\n", "vocab 300\n", ":9: expected key = value" },
    { "vocab = 300\n", "vocab = 255\n", ":9: vocab must be a whole number from 256" },
    { "vocab = 300\n", "vocab = 2\n", ":9: vocab must be a whole number from 256" },
    { "text =  The cat sat.  \n", "text =\n", ":2: the text must have 1 to" },
};

static char *replaced(const char *from, const char *to)
{
    const char *at = strstr(good, from);
    ck_assert_ptr_nonnull(at);
    char *s = malloc(sizeof good + strlen(to));
    size_t head = (size_t)(at - good);
    memcpy(s, good, head);
    strcpy(s + head, to);
    strcat(s, at + strlen(from));
    return s;
}

START_TEST(rejects_a_broken_description)
{
    char *text = replaced(broken[_i].from, broken[_i].to), err[256] = "";
    struct worked_example ex;
    ck_assert_int_eq(read_text(text, strlen(text), &ex, err, sizeof err), -1);
    ck_assert_msg(strstr(err, broken[_i].message) != NULL,
                  "message '%s' lacks '%s'", err, broken[_i].message);
    free(text);
}
END_TEST

START_TEST(rejects_an_overlong_line)
{
    size_t n = 4 * EXAMPLE_TEXT_MAX;
    char *text = malloc(n + 16);
    strcpy(text, "text = ");
    memset(text + 7, 'a', n);
    strcpy(text + 7 + n, "\n");
    struct worked_example ex;
    char err[256] = "";
    ck_assert_int_eq(read_text(text, strlen(text), &ex, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, ":1: line too long"));
    free(text);
}
END_TEST

START_TEST(rejects_text_one_byte_too_long)
{
    char text[EXAMPLE_TEXT_MAX + 16];
    strcpy(text, "text = ");
    memset(text + 7, 'a', EXAMPLE_TEXT_MAX);
    strcpy(text + 7 + EXAMPLE_TEXT_MAX, "\n");
    struct worked_example ex;
    char err[256] = "";
    ck_assert_int_eq(read_text(text, strlen(text), &ex, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "the text must have"));
}
END_TEST

START_TEST(rejects_empty_missing_and_binary_files)
{
    struct worked_example ex;
    char err[256] = "";
    ck_assert_int_eq(read_text("", 0, &ex, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "missing key 'text'"));
    ck_assert_int_eq(example_read("/nonexistent/example.conf", &ex, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/example.conf: "));
    ck_assert_int_eq(example_read("tests", &ex, err, sizeof err), -1); /* a directory */
    ck_assert_str_eq(err, "tests: Is a directory");
    unsigned char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 2654435761u >> 13);
    ck_assert_int_eq(read_text((const char *)junk, sizeof junk, &ex, err, sizeof err), -1);
}
END_TEST

/* `longhand trace -o DIR` makes DIR when it is missing, and fails with status 1
   when it cannot. */
START_TEST(trace_makes_its_output_directory)
{
    char dir[] = "/tmp/longhand-trace-XXXXXX", cmd[256], out[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(longhand(out, sizeof out, NULL, 0, "trace -o %s/new", dir), 0);
    snprintf(cmd, sizeof cmd, "test -s %s/new/values.tsv", dir);
    ck_assert_int_eq(run_command(out, sizeof out, cmd), 0);
    ck_assert_int_eq(longhand(out, sizeof out, NULL, 0, "trace -o %s/no/such", dir), 1);
    snprintf(cmd, sizeof cmd, "rm -r %s", dir);
    ck_assert_int_eq(run_command(out, sizeof out, cmd), 0);
}
END_TEST

/* A head of one channel (channels = heads, and a model of one channel):
   every table of the trace is written, and under the sanitizers nothing is
   read outside a buffer. */
START_TEST(trace_runs_with_heads_of_one_channel)
{
    static const char *sizes[] = { "heads = 2\nchannels = 2\n", "heads = 1\nchannels = 1\n",
                                   "heads = 4\nchannels = 4\n" };
    char dir[] = "/tmp/longhand-trace1-XXXXXX", conf[512], path[256], err[512];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(conf, sizeof conf, "text = The cat sat.\nseed = 42\nlayers = 1\n%scontext = 8\n"
             "vocab = 260\n", sizes[_i]);
    snprintf(path, sizeof path, "%s/example.conf", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(conf, f);
    fclose(f);
    struct longhand_io io = { .dir = dir, .err = err, .errlen = sizeof err,
                              .out_path = "/dev/null" };
    ck_assert_int_eq(longhand_io(&io, "trace --example example.conf -o out"), 0);
    snprintf(path, sizeof path, "%s/out/attention-grads.tsv", dir);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char header[256];
    ck_assert_ptr_nonnull(fgets(header, sizeof header, f));
    fclose(f);
    ck_assert_str_eq(header, "$t$\t$dq_{t,0}$\t$dk_{t,0}$\t$dv_{t,0}$\n");
    snprintf(conf, sizeof conf, "rm -r %s", dir);
    ck_assert_int_eq(run_command(err, sizeof err, conf), 0);
}
END_TEST

Suite *example_suite(void)
{
    Suite *s = suite_create("example");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, reads_a_good_description);
    tcase_add_test(tc, reads_the_books_own_example);
    tcase_add_loop_test(tc, rejects_a_broken_description, 0,
                        (int)(sizeof broken / sizeof broken[0]));
    tcase_add_test(tc, rejects_an_overlong_line);
    tcase_add_test(tc, rejects_text_one_byte_too_long);
    tcase_add_test(tc, rejects_empty_missing_and_binary_files);
    tcase_add_test(tc, trace_makes_its_output_directory);
    tcase_add_loop_test(tc, trace_runs_with_heads_of_one_channel, 0, 3);
    suite_add_tcase(s, tc);
    return s;
}
