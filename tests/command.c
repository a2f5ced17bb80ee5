/* command.c -- running longhand's commands from a test, in this process, so
   that they run under the test build's sanitizers. */
#include <check.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "command.h"

int longhand_main(int argc, char **argv); /* main.c, built with LONGHAND_TESTING */

enum { MAX_WORDS = 64 };

/* Split line in place at spaces, 'quotes' grouping; the number of words. */
static int split_words(char *line, char **words)
{
    int n = 0;
    for (char *p = line; *p;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        ck_assert_int_lt(n, MAX_WORDS - 1);
        char *w = p, *q = p;
        for (int quoted = 0; *p && (quoted || *p != ' '); p++)
            if (*p == '\'')
                quoted = !quoted;
            else
                *q++ = *p;
        if (*p)
            p++;
        *q = '\0';
        words[n++] = w;
    }
    words[n] = NULL;
    return n;
}

/* Point descriptor fd at path (opened with flags), returning a copy of the old one. */
static int redirect(int fd, const char *path, int flags)
{
    int saved = dup(fd), file = open(path, flags, 0600);
    ck_assert_msg(saved >= 0 && file >= 0, "cannot redirect to %s", path);
    ck_assert_int_ge(dup2(file, fd), 0);
    close(file);
    return saved;
}

static void restore(int fd, int saved)
{
    ck_assert_int_ge(dup2(saved, fd), 0);
    close(saved);
}

/* Read what a command wrote to path into buf, then remove the file. */
static void collect(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    size_t got = buf && len ? fread(buf, 1, len - 1, f) : 0;
    if (buf && len)
        buf[got] = '\0';
    fclose(f);
    unlink(path);
}

static int run_words(const struct longhand_io *io, char *line)
{
    char *argv[MAX_WORDS + 1] = { "longhand" };
    int argc = 1 + split_words(line, argv + 1);
    char out_path[] = "/tmp/longhand-out-XXXXXX", err_path[] = "/tmp/longhand-err-XXXXXX";
    close(mkstemp(out_path)), close(mkstemp(err_path));
    int here = open(".", O_RDONLY);
    ck_assert_msg(!io->dir || chdir(io->dir) == 0, "cannot enter %s", io->dir);
    fflush(stdout), fflush(stderr);
    int in = redirect(0, io->in ? io->in : "/dev/null", O_RDONLY);
    int out = redirect(1, io->out_path ? io->out_path : out_path, O_WRONLY | O_TRUNC);
    int err = redirect(2, err_path, O_WRONLY | O_TRUNC);
    clearerr(stdin), fseek(stdin, 0, SEEK_SET), clearerr(stdout);
    int status = longhand_main(argc, argv);
    fflush(stdout), fflush(stderr), clearerr(stdout), clearerr(stdin);
    restore(0, in), restore(1, out), restore(2, err);
    ck_assert_int_eq(fchdir(here), 0);
    close(here);
    collect(out_path, io->out, io->outlen);
    collect(err_path, io->err, io->errlen);
    return status;
}

static int run_format(const struct longhand_io *io, const char *fmt, va_list ap)
{
    char line[4096];
    int n = vsnprintf(line, sizeof line, fmt, ap);
    ck_assert_int_lt(n, (int)sizeof line);
    return run_words(io, line);
}

int longhand_io(const struct longhand_io *io, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = run_format(io, fmt, ap);
    va_end(ap);
    return status;
}

int longhand(char *out, size_t outlen, char *err, size_t errlen, const char *fmt, ...)
{
    struct longhand_io io = { .out = out, .outlen = outlen, .err = err, .errlen = errlen };
    va_list ap;
    va_start(ap, fmt);
    int status = run_format(&io, fmt, ap);
    va_end(ap);
    return status;
}

int run_command(char *out, size_t outlen, const char *cmd)
{
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t got = fread(out, 1, outlen - 1, p);
    out[got] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *write_temp(const void *contents, size_t len)
{
    char *path = strdup("/tmp/longhand-test-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, contents, len), (ssize_t)len);
    close(fd);
    return path;
}
